"""Recorded appeals and adjustments as an input to scoring (seed 003: 申诉, every change recorded).

An adjustment either corrects an item's actual, which then goes through the
item's rule like any actual, or decides the item's points, which replace the
rule's points before gates, the bonus cap, totals, grades and ranks. So an
adjusted month is scored by the same code as any month; there is no second
implementation. :func:`kpilib.engine.scoring.score` takes the adjustments as a
frame with :data:`ADJUSTMENT_COLUMNS`; this module locates them, applies them,
and says what an item's rule can give (:func:`points_range`), which is what an
adjustment's points are checked against.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from kpilib import text
from kpilib.engine.plan import nearest
from kpilib.engine.rules import Bands, Bonus, Incidents, Rating, Ratio, Step, round_points
from kpilib.errors import Problem
from kpilib.i18n import _

if TYPE_CHECKING:
    from kpilib.engine.rules import Rule

ADJUSTMENT_COLUMNS = ["adjustment_id", "person", "item", "actual", "points", "note"]
"""adjustment_id, person, item, actual (a corrected actual) or points (decided points),
note (``漏计订单，HR 王``: why and who, shown in the item's reason)."""


def locate(items: pd.DataFrame, adjustments: pd.DataFrame, problems: list) -> np.ndarray:
    """Row position in ``items`` of each adjustment; an unknown person or item is a problem."""
    key = pd.MultiIndex.from_frame(items[["person", "item"]].astype(object))
    at = key.get_indexer(pd.MultiIndex.from_frame(adjustments[["person", "item"]].astype(object)))
    for row in adjustments[at < 0].itertuples(index=False):  # a few appeals, each its own error
        mine = items.loc[items["person"] == row.person, "item"]
        problems.append(
            Problem(
                _("第 {id} 号调整针对的 {person} 的 {item!r} 本月不存在{hint}").format(
                    id=row.adjustment_id,
                    person=row.person,
                    item=row.item,
                    hint=nearest(row.item, mine) if len(mine) else "",
                ),
                _("核对姓名和指标；若目标表已改，用 kpi adjust 按本月的项目重新登记"),
                person=row.person,
                column="item",
                code="unknown_item",
            )
        )
    return at


def replace_actuals(items: pd.DataFrame, adjustments: pd.DataFrame, at: np.ndarray) -> pd.DataFrame:
    """``items`` with the corrected actuals in place, before the rules run."""
    given = adjustments["actual"].notna().to_numpy() & (at >= 0)
    items = items.copy()
    rows = items.index[at[given]]
    items.loc[rows, "actual"] = adjustments.loc[given, "actual"].to_numpy(float)
    return items


def replace_points(
    items: pd.DataFrame, adjustments: pd.DataFrame, at: np.ndarray, explain: bool
) -> pd.DataFrame:
    """After the rules, before gates: decided points replace the rule's, and every
    adjusted item's reason says who changed it and why."""
    items = items.copy()
    ok = at >= 0
    rows = items.index[at[ok]]
    decided = adjustments["points"].to_numpy(float)[ok]
    has_points = ~np.isnan(decided)
    items.loc[rows[has_points], "points"] = round_points(decided[has_points])
    if explain:
        note = adjustments["note"].to_numpy(object)[ok]
        reason = items.loc[rows, "reason"].to_numpy(object)
        tail = np.where(
            has_points,
            text.cat(_("；申诉调整（"), note, _("）→ "), text.points(items.loc[rows, "points"])),
            text.cat(_("；申诉调整（"), note, _("）")),
        )
        items.loc[rows, "reason"] = text.cat(reason, tail)
    return items


def mark(
    items: pd.DataFrame,
    people: pd.DataFrame,
    original: tuple[pd.DataFrame, pd.DataFrame] | None,
    adjustments: pd.DataFrame | None = None,
    at: np.ndarray | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Add ``adjusted``, ``adjustment_id``, ``original_points``, ``original_actual`` to the
    items and ``adjusted``, ``original_total`` to the people; ``original`` is the same
    month scored without the adjustments (row for row), ``None`` when there were none."""
    before_items, before_people = original if original is not None else (items, people)
    items = items.assign(
        adjusted=False,
        adjustment_id=np.nan,
        original_points=before_items["points"].to_numpy(float),
        original_actual=before_items["actual"].to_numpy(float),
    )
    if original is not None:
        ok = at >= 0
        rows = items.index[at[ok]]
        items.loc[rows, "adjusted"] = True
        items.loc[rows, "adjustment_id"] = adjustments["adjustment_id"].to_numpy(float)[ok]
    touched = items.loc[items["adjusted"], "person"].unique()
    people = people.assign(
        adjusted=people["person"].isin(touched),
        original_total=before_people["total"].to_numpy(float),
    )
    return items, people


def points_range(rule: Rule, full_points: float) -> tuple[float, float]:
    """The lowest and highest points ``rule`` can give an item worth ``full_points``.

    Ratios: floor to cap (without a cap: full points; zero below a threshold: 0);
    bands: the lowest to the highest share; steps: 0 to ``max_share``; incidents:
    their floor (no lower end with ``overdraft``) to full points; ratings: the
    lowest level to full points; bonuses: their floor and cap (open where none).
    """
    full = float(full_points)
    if isinstance(rule, Ratio):  # Count too
        low = 0.0 if rule.zero_below is not None else rule.floor * full
        return low, (rule.cap if rule.cap is not None else 1.0) * full
    if isinstance(rule, Bands):
        shares = [b.share for b in rule.bands] + [rule.otherwise]
        return min(shares) * full, max(shares) * full
    if isinstance(rule, Step):
        return 0.0, rule.max_share * full
    if isinstance(rule, Incidents):
        return (-np.inf if rule.overdraft else rule.floor), full
    if isinstance(rule, Rating):
        return min(rule.levels.values()) / max(rule.levels.values()) * full, full
    if isinstance(rule, Bonus):
        return (
            rule.floor if rule.floor is not None else -np.inf,
            rule.cap if rule.cap is not None else np.inf,
        )
    raise TypeError(f"no points range for rule {rule.type!r}")  # a programming error


__all__ = ["ADJUSTMENT_COLUMNS", "locate", "replace_actuals", "replace_points", "mark"]
