"""Threshold comparisons at the plan's precision (issue 9 case 6), in every place that compares."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

import kpilib
from kpilib import compare
from kpilib.outcomes import calibrate, consequences, pay
from tests.conftest import actuals, make_plan, targets

# A 300-point plan (seed 004: "考核总分300分") with three items weighted 33.333…%, as a
# spreadsheet rounds 1/3 to ten decimals: 33.3333333334% each (100.0000000002%, within the
# weight check's tolerance), so the full points add up to 300.0000000006.
WEIGHTS = [0.333333333334] * 3
THIRDS = {f"项目{k}": {"rule": {"type": "ratio"}} for k in range(3)}
# seed 000: "1、每次月度考核完成率低于60%者，免当月绩效奖金；" and "2、年度累积两次月度考核完成率
# 低于60%者，作警告处理"
BELOW_60 = "completion < 60%"


def _at_60_percent():
    plan = make_plan(
        THIRDS,
        scale=300,
        grades=[{"name": "合格", "min": 180}, {"name": "不合格"}],
        pay={
            "form": "points",
            "per_point": 1,
            "gates": [{"name": "完成率低于60%免当月绩效奖金", "when": BELOW_60}],
        },
        consequences={"rules": [{"name": "警告", "when": BELOW_60}]},
    )
    t = targets([("甲", f"项目{k}", w, 100) for k, w in enumerate(WEIGHTS)])
    a = actuals([("甲", f"项目{k}", 60) for k in range(3)])
    return plan, kpilib.score(plan, t, a, month="2024-11")


def test_180_of_300_points_is_not_below_60_percent():
    plan, result = _at_60_percent()
    person = result.people.iloc[0]
    # every item 60 / 100 = 60% of its 100 points: 60 + 60 + 60 = 180 of 300
    assert person["total"] == 180
    assert person["completion"] < 0.6  # in floats 180 / 300.0000000006: the noise is real
    assert person["grade"] == "合格"  # "合格 ≥180" (含)
    money = pay.compute(result)
    assert money["performance_pay"][0] == Decimal("180.00")  # 1 yuan a point, no gate
    history = result.people.assign(month="2024-11")
    assert consequences.flags(history, plan).empty
    assert not consequences.evaluate(BELOW_60, result.people)[0]


def test_a_rate_of_1_minus_7_tenths_falls_in_the_30_percent_band():
    # seed 002 mall 附表: "投诉率25%以上30%以内(含30%)" → 40% of 投诉解决's 10 points.
    # 投诉率 = 1 − 解决数 / 投诉数 = 1 − 7/10 = 30% (0.30000000000000004 in floats)
    bands = [{"at_most": f"{e}%", "share": f"{s}%"} for e, s in ((10, 100), (15, 80), (30, 40))]
    plan = make_plan(
        {
            "投诉解决": {
                "formula": "1 - 解决数 / 投诉数",
                "direction": "lower",
                "unit": "%",
                "rule": {"type": "bands", "bands": bands},
            }
        },
        measures={"解决数": {}, "投诉数": {}},
    )
    result = kpilib.score(
        plan,
        targets([("甲", "投诉解决", 1, None)]),
        actuals([("甲", "解决数", 7), ("甲", "投诉数", 10)]),
    )
    assert result.items["points"][0] == 40.0  # 40% × 100 (the only item, weight 100%)
    assert "≤30.0% 档" in result.items["reason"][0]


@pytest.mark.parametrize(
    "share, people, places",
    [
        (0.20, 19, 3),  # 3.8: floor, never 4
        (0.29, 100, 29),  # 28.999999999999996 in floats
        (0.10, 10, 1),
    ],
)
def test_quota_places_are_floored_at_the_plan_precision(share, people, places):
    assert compare.places(share, people) == places


def test_a_29_percent_quota_of_100_people_keeps_29():
    # seed 004's excellent quota at 29% of 100 people: 29 places (float 28.999999999999996)
    plan = make_plan(THIRDS, calibration={"quotas": [{"grade": "优秀", "at_most": "29%"}]})
    people = pd.DataFrame(
        {
            "person": [f"员{k:03d}" for k in range(100)],
            "total": 95.0,
            "completion": 0.95,
            "valid": True,
            "grade": "优秀",
        }
    )
    items = pd.DataFrame({"person": people["person"], "weight": 1.0, "completion": 0.95})
    out = calibrate.calibrate(kpilib.Result(plan, "2024-11", items, people))
    assert (out["grade"] == "优秀").sum() == 29


@pytest.mark.parametrize(
    "check, value, edge, expected",
    [
        (compare.at_most, 1 - 7 / 10, 0.3, True),
        (compare.less, 180 / 300.0000000006, 0.6, False),
        (compare.at_least, 180 / 300.0000000006, 0.6, True),
        (compare.less, 0.599999, 0.6, True),  # a real shortfall stays one
        (compare.greater, 0.1 + 0.2, 0.3, False),
        (compare.equal, 0.1 + 0.2, 0.3, True),
    ],
)
def test_comparisons_settle_float_noise_only(check, value, edge, expected):
    assert bool(check(value, edge)) is expected
    assert check(np.array([value, np.nan]), edge)[1] == (check is compare.not_equal)
