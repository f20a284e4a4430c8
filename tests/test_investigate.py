"""Ad hoc questions over the stored history of the channel plan's sample months 2024-06..11
(the sample data now covers all of 2024; these questions are about June to November).

Seed 000 rule 3: "连续两次月度完成率低于60%者，纳入绩效改进计划"; rule 2: "年度累积两次月度考核
完成率低于60%者，作警告处理". In the sample data 曾志伟, 潘君捷, 邓文 and 郑伟林 are below 60%
in 2024-06.
"""

from __future__ import annotations

import pandas as pd
import pytest

import kpilib
from kpilib import store as history
from kpilib.interactive.investigate import (
    heading_for,
    indicator_correlation,
    rank_moves,
    team_year,
    unreached_targets,
)
from kpilib.project import available_months, input_files
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def past(tmp_path_factory):
    store = tmp_path_factory.mktemp("store") / "results.duckdb"
    plan = kpilib.load_plan(ROOT / "params/channel_ops.yaml")
    for month in [m for m in available_months(plan) if "2024-06" <= m <= "2024-11"]:
        history.save(kpilib.score_month(plan, month), input_files(plan, month), store)
    return history.load(plan, store)


def test_one_low_month_puts_four_people_one_month_from_an_improvement_plan(past):
    ahead = heading_for(past.people, past.plan, "2024-06")
    plan_rows = ahead[ahead["rule"] == "绩效改进计划"]
    assert plan_rows["person"].tolist() == ["曾志伟", "潘君捷", "邓文", "郑伟林"]
    assert set(ahead.loc[ahead["rule"] == "警告", "person"]) == set(plan_rows["person"])
    assert (plan_rows["completion"] < 0.6).all()
    # by 2024-11 those still low are on the plan already: nobody new is heading there
    assert heading_for(past.people, past.plan)["rule"].ne("绩效改进计划").all()


def test_team_year_rank_moves_unreached_targets_and_correlation(past):
    year = team_year(past.people, "商务岗")
    assert len(year) == 9 and year.columns[-1] == "年均"
    # seed 000 危鹤坚 (GMV指标 70% of 2,400,000, 有产客户数 30% of 68), actuals 2,223,200 and
    # 78: 64.84 + 34.41
    assert year.loc["危鹤坚", "2024-11"] == 99.25
    # seed 000 何嘉健 (GMV指标 70% of 2,400,000, 有产客户数 30% of 68), actuals 2,598,300 and 61:
    # 108.26% × 70 = 75.78 + 89.71% × 30 = 26.91
    assert year.loc["何嘉健", "2024-11"] == 102.69
    never = unreached_targets(past.items).set_index("indicator")
    assert (
        never.loc["售前支持", "months_nobody_reached"] == 6
    )  # target 2 (seed 000), 郑伟林 1 a month
    pairs = indicator_correlation(past.items)
    top = pairs.iloc[0]
    assert {top["indicator_a"], top["indicator_b"]} == {"GMV指标", "有产客户数"}
    assert top["pairs"] == 54  # 9 商务岗 x 6 months


def test_rank_moves_are_first_minus_last_biggest_first():
    # rank 5 in June to rank 2 in November is +3 up; 1 to 4 is 3 down; 2 to 2 did not move
    people = pd.DataFrame(
        [
            ("甲", "2024-06", 5),
            ("甲", "2024-11", 2),
            ("乙", "2024-06", 1),
            ("乙", "2024-11", 4),
            ("丙", "2024-06", 2),
            ("丙", "2024-11", 2),
            ("丁", "2024-11", 1),  # not scored in June: no move to show
        ],
        columns=["person", "month", "rank"],
    )
    moves = rank_moves(people)
    assert moves[["person", "rank_first", "rank_last", "moved"]].values.tolist() == [
        ["甲", 5, 2, 3],
        ["乙", 1, 4, -3],
        ["丙", 2, 2, 0],
    ]
