"""Issue 15 cases 3, 8-12 and 转正评估: several raters of one role, fines and awards,
commission, department functions in formulas, several pools, pay levels carried between
months. Numbers are hand-computed from the seeds' wording (quoted)."""

from __future__ import annotations

import pytest

import kpilib
from kpilib.errors import DataError, PlanError
from tests.conftest import actuals, frame, make_plan, targets

# ------------------------------------------------------------------ 12. several raters

PEERS = {
    "团队协作": {
        "rule": {
            "type": "rating",
            "levels": {"优": 20, "良": 15, "中": 10, "差": 5},
            "raters": {"上级": "50%", "同事": "50%"},
            "combine": {"同事": "mean"},
        }
    }
}


def test_several_peers_averaged_before_role_weights():
    # seed 001: "5.同事互评:在一定范围内开展同事互评,评价员工的团队协作能力、沟通能力等。"
    # 上级 良 = 15/20 = 75%; 三位同事 优 良 中 = (20 + 15 + 10) / 3 = 15 → 75%:
    # 50% × 75% + 50% × 75% = 75% of 100 points = 75.0
    # 乙: 上级 优 100%; 同事 优 优 → 100%: 100.0
    plan = make_plan(PEERS)
    t = targets([("甲", "团队协作", 1.0, None), ("乙", "团队协作", 1.0, None)])
    r = frame(
        [
            ("甲", "团队协作", "上级", "良"),
            ("甲", "团队协作", "同事", "中"),
            ("甲", "团队协作", "同事", "优"),
            ("甲", "团队协作", "同事", "良"),
            ("乙", "团队协作", "上级", "优"),
            ("乙", "团队协作", "同事", "优"),
            ("乙", "团队协作", "同事", "优"),
        ],
        ["person", "item", "rater", "level"],
    )
    result = kpilib.score(plan, t, actuals([]), ratings=r)
    total = result.people.set_index("person")["total"]
    assert total["甲"] == 75.0 and total["乙"] == 100.0
    # the report shows the role, how many and their levels, never who rated
    reason = result.items.set_index("person").loc["甲", "reason"]
    assert reason == "上级 良(50%)、同事 3人（优、良、中）平均 75.0%(50%) → 75.0% × 100 = 75.0"


def test_trimmed_mean_and_median_of_peers():
    # seed 003 360度考核: "由被考评者的上级、同事、下级以及被考评者本人担任考评者"
    # trimmed: 优 良 中 差 → drop 20 and 5 → (15 + 10) / 2 = 12.5 → 62.5% × 50% = 31.25
    # plus 上级 优 50: 81.25 → 81.25 points; median of the same four: 12.5 as well
    # median of 优 优 差 = 20 → 100%: 50 + 50 = 100
    for how, levels, want in (
        ("trimmed", ["优", "良", "中", "差"], 81.25),
        ("median", ["优", "良", "中", "差"], 81.25),
        ("median", ["优", "优", "差"], 100.0),
        ("mean", ["优", "优", "差"], 50 + 50 * 15 / 20),
    ):
        rule = {**PEERS["团队协作"]["rule"], "combine": {"同事": how}}
        plan = make_plan({"团队协作": {"rule": rule}})
        rows = [("甲", "团队协作", "上级", "优")] + [("甲", "团队协作", "同事", lv) for lv in levels]
        r = frame(rows, ["person", "item", "rater", "level"])
        result = kpilib.score(plan, targets([("甲", "团队协作", 1.0, None)]), actuals([]), ratings=r)
        assert result.people["total"].iloc[0] == pytest.approx(want), how


def test_one_peer_named_twice_and_a_leader_twice_are_refused():
    plan = make_plan(PEERS)
    r = frame(
        [
            ("甲", "团队协作", "上级", "良", ""),
            ("甲", "团队协作", "上级", "优", ""),
            ("甲", "团队协作", "同事", "优", "王五"),
            ("甲", "团队协作", "同事", "良", "王五"),
            ("甲", "团队协作", "同事", "良", "赵六"),
        ],
        ["person", "item", "rater", "level", "rater_name"],
    )
    with pytest.raises(DataError) as info:
        kpilib.score(plan, targets([("甲", "团队协作", 1.0, None)]), actuals([]), ratings=r)
    twice = [p for p in info.value.problems if p.code == "rated_twice"]
    assert sorted(p.where for p in twice) == ["row 3", "row 5"]


def test_combine_must_name_a_rater_role():
    rule = {**PEERS["团队协作"]["rule"], "combine": {"下级": "mean"}}
    with pytest.raises(Exception, match="下级"):
        make_plan({"团队协作": {"rule": rule}})
