"""Reasons written later, and the two scoring paths, give the same tables as scoring at once.

issue 13 point 2: scoring hashes each key column once; reasons are built only when
shown (one person) or on request (everyone) with the text ``explain=True`` writes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import kpilib
from kpilib.engine.scoring import _factorize, score
from kpilib.sheets.inputs import read_inputs
from tests.conftest import ROOT, actuals, make_plan, targets

PLANS = sorted(  # the plans with months (regional_sales is scored per two-month period)
    p.stem for p in (ROOT / "params").glob("*.yaml") if kpilib.load_plan(p).monthly
)


@pytest.fixture(scope="module", params=PLANS)
def month_inputs(request):
    plan = kpilib.load_plan(ROOT / f"params/{request.param}.yaml")
    return plan, read_inputs(plan, "2024-11")


def test_reasons_written_later_are_the_reasons_written_at_once(month_inputs):
    plan, inputs = month_inputs
    now = score(plan, month="2024-11", **inputs)
    later = score(plan, month="2024-11", explain=False, **inputs)
    assert (later.items["reason"] == "").all()
    pd.testing.assert_frame_equal(
        later.items.drop(columns="reason"), now.items.drop(columns="reason")
    )
    pd.testing.assert_frame_equal(later.people, now.people)
    assert later.reasons().tolist() == now.items["reason"].tolist()
    pd.testing.assert_frame_equal(later.explained().items, now.items)
    for person in now.people["person"]:  # one person at a time, as a scorecard shows them
        mine = now.items["person"] == person
        assert later.reasons(person).tolist() == now.items.loc[mine, "reason"].tolist()
        assert later.reasons(person).index.tolist() == now.items.index[mine].tolist()


def test_a_later_reason_keeps_the_appeal_and_the_gate():
    # seed 002 #12 (二): "若达到96%--100%,则此考核项权重得分上调50%", with an appeal on the same item
    plan = make_plan(
        {"A": {"rule": {"type": "ratio"}}, "B": {"rule": {"type": "ratio"}}},
        gates=[
            {"name": "上调", "when": "A >= 1", "effect": "multiply", "item": "B", "factor": 1.5}
        ],
    )
    t = targets(
        [("甲", "A", 0.5, 100), ("甲", "B", 0.5, 100), ("乙", "A", 0.5, 100), ("乙", "B", 0.5, 100)]
    )
    a = actuals([("甲", "A", 100), ("甲", "B", 40), ("乙", "A", 90), ("乙", "B", 40)])
    adjustments = pd.DataFrame(
        {
            "adjustment_id": [1],
            "person": ["甲"],
            "item": ["B"],
            "actual": [50.0],
            "points": [None],
            "note": ["漏计"],
        }
    )
    now = score(plan, t, a, adjustments=adjustments)
    later = score(plan, t, a, adjustments=adjustments, explain=False)
    # 甲: B 50 / 100 = 50% × 50 = 25, appeal noted, then × 1.5 = 37.5
    assert now.items.loc[1, "points"] == 37.5
    assert now.items.loc[1, "reason"].endswith("；申诉调整（漏计）；上调 ×1.5 → 37.5")
    assert later.reasons("甲").tolist() == now.items.loc[:1, "reason"].tolist()
    assert later.reasons("乙").tolist() == now.items.loc[2:, "reason"].tolist()


def test_a_persons_rows_in_one_block_or_scattered_score_the_same():
    # issue 13 point 2: a person's rows that come together are hashed once per block;
    # 600 people × 3 items is past the 1,000 rows from which blocks are looked for
    ratio = {"rule": {"type": "ratio"}}
    plan = make_plan({"A": ratio, "B": ratio, "C": ratio})
    people = [f"员工{n:03d}" for n in range(600)]
    weights = {"A": 0.5, "B": 0.25, "C": 0.25}
    t = targets([(p, i, w, 100) for p in people for i, w in weights.items()])
    a = actuals([(p, i, n % 150 if i == "A" else 40) for n, p in enumerate(people) for i in "ABC"])
    scattered = np.random.default_rng(5).permutation(len(t))
    for t_rows, a_rows in ((t, a), (t.iloc[scattered], a.iloc[scattered[::-1]])):
        got = score(plan, t_rows, a_rows, explain=False).people.set_index("person")["total"]
        # A: actual n % 150 of 100 (no cap) × 50 = (n % 150) / 2; B, C: 40% × 25 = 10 each
        want = [(n % 150) / 2 + 20 for n in range(600)]
        assert got.reindex(people).tolist() == want


@pytest.mark.parametrize("blocks", [True, False])
@pytest.mark.parametrize("with_na", [True, False])
def test_key_codes_are_the_same_however_the_rows_come(blocks, with_na):
    # blanks, NaN, numbers and (with_na) pd.NA, which cannot be compared, among the names
    pool = ["甲", "乙", "", None, np.nan, 1, 1.0, "P1"] + ([pd.NA] if with_na else [])
    pool = np.array(pool, dtype=object)
    rng = np.random.default_rng(11)
    picks = rng.integers(0, len(pool), 3000)
    values = np.repeat(pool[picks], 5)[:3000] if blocks else pool[picks]
    codes, uniques = _factorize(pd.Series(values, dtype=object), len(pool))
    want_codes, want_uniques = pd.factorize(values)
    assert codes.tolist() == want_codes.tolist()
    assert list(uniques) == list(want_uniques)
