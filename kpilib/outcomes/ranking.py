"""Who takes part in a month's ranking, and in what order: one place for both.

Grade quotas (:mod:`kpilib.outcomes.calibrate`) and the forced distribution
(:mod:`kpilib.outcomes.distribution`) take people in the same order: total, best
first, then the plan's ``tie_break`` keys (权重最大项完成率, 考核完成率, 姓名 in
pinyin order). Voided months and people excluded from the month (不参加考核) take
no place.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kpilib.text import pinyin_key


def takes_part(people: pd.DataFrame) -> np.ndarray:
    """Per row of ``people``: a valid month and not excluded (不参加考核)."""
    valid = people["valid"].to_numpy(bool)
    if "excluded" in people:
        valid = valid & ~people["excluded"].fillna(False).to_numpy(bool)
    return valid


def rank_order(people: pd.DataFrame, items: pd.DataFrame, tie_break: list[str]) -> pd.Index:
    """The index of the people who take part, best first.

    Parameters
    ----------
    people : DataFrame
        person, total, completion, valid (and ``excluded`` when the plan excludes people).
    items : DataFrame
        person, weight, completion: the heaviest weighted item's completion is a tie key.
    tie_break : list of str
        Keys after the total: ``heaviest_completion``, ``completion``, ``person``.

    Examples
    --------
    >>> import pandas as pd
    >>> people = pd.DataFrame({"person": ["乙", "甲", "丙"], "total": [90.0, 90.0, 95.0],
    ...                        "completion": [0.9, 0.9, 0.95], "valid": [True, True, False]})
    >>> items = pd.DataFrame(columns=["person", "weight", "completion"])
    >>> rank_order(people, items, ["person"]).tolist()  # 丙 is void; 甲 (jia) before 乙 (yi)
    [1, 0]
    """
    heaviest = (
        items[items["weight"] > 0]
        .sort_values(["person", "weight"], ascending=[True, False], kind="stable")
        .drop_duplicates("person")
        .set_index("person")["completion"]
    )
    keys = {
        "total": people["total"],
        "heaviest_completion": people["person"].map(heaviest),
        "completion": people["completion"],
        "person": pinyin_key(people["person"]),  # names in roster (pinyin) order
    }
    by = ["total", *tie_break]
    order = (
        pd.DataFrame({k: keys[k] for k in by})
        .sort_values(by, ascending=[k == "person" for k in by], kind="stable")
        .index
    )
    return order[takes_part(people.loc[order])]


__all__ = ["takes_part", "rank_order"]
