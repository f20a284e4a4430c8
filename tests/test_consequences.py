"""Consequence rules over monthly histories, hand-checked against the seeds' wording."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest

import kpilib
from kpilib import store as history
from kpilib.errors import PlanError
from kpilib.outcomes import consequences
from tests.conftest import ROOT, make_plan

RATIO = {"销售额": {"rule": {"type": "ratio"}}}
CHANNEL_OPS = kpilib.load_plan(ROOT / "params/channel_ops.yaml")


def months(person, values, column="completion", start="2024-01", valid=None):
    """One person's history: ``values`` per calendar month from ``start`` (None = not scored)."""
    labels = pd.period_range(start, periods=len(values), freq="M").strftime("%Y-%m")
    rows = [(person, m, v) for m, v in zip(labels, values, strict=True) if v is not None]
    out = pd.DataFrame(rows, columns=["person", "month", column])
    for col, default in (("completion", 1.0), ("total", 100.0), ("rank", 2.0)):
        if col not in out:
            out[col] = default
    out["valid"] = (
        True if valid is None else [v for v, x in zip(valid, values, strict=True) if x is not None]
    )
    return out


def fired(frame, rule):
    hits = frame[frame["rule"] == rule]
    return list(zip(hits["month"], hits["months"], strict=True))


def test_seed_000_warning_on_the_second_month_below_60_in_a_year():
    # seed 000: 2、年度累积两次月度考核完成率低于60%者，作警告处理；
    # below in March and May → a warning in May, naming both months
    flags = consequences.flags(months("甲", [0.9, 0.9, 0.5, 0.9, 0.55, 0.9]), CHANNEL_OPS)
    assert fired(flags, "警告") == [("2024-05", "2024-03、2024-05")]
    assert fired(flags, "绩效改进计划") == []  # not consecutive
    assert fired(flags, "免当月绩效奖金") == [("2024-03", "2024-03"), ("2024-05", "2024-05")]


def test_seed_000_improvement_plan_on_two_consecutive_months():
    # seed 000: 3、连续两次月度完成率低于60%者，纳入绩效改进计划；
    flags = consequences.flags(months("甲", [0.9] * 4 + [0.5, 0.59]), CHANNEL_OPS)
    assert fired(flags, "绩效改进计划") == [("2024-06", "2024-05、2024-06")]
    assert flags.loc[flags["rule"] == "绩效改进计划", "reason"].iloc[0] == (
        "2024-05、2024-06：考核完成率 < 60%（连续2个月） → 纳入绩效改进计划"
    )


def test_a_month_not_scored_breaks_a_streak_but_not_the_year_count():
    flags = consequences.flags(months("甲", [0.5, None, 0.5]), CHANNEL_OPS)
    assert fired(flags, "绩效改进计划") == []
    assert fired(flags, "警告") == [("2024-03", "2024-01、2024-03")]


def test_seed_000_third_time_in_a_year_and_the_count_restarts_in_january():
    # seed 000: 4、年度累积三次考核完成率低于60%者，公司将无条件对其作调岗、降薪或淘汰处理；
    history_ = months("甲", [0.5, 0.9, 0.5, 0.9, 0.9, 0.5, 0.5], start="2024-09")
    flags = consequences.flags(history_, CHANNEL_OPS)
    # Sep, Nov 2024 count twice (warning in Nov); Feb 2025 is only the 1st of 2025
    assert fired(flags, "调岗降薪或淘汰") == []
    assert fired(flags, "警告") == [
        ("2024-11", "2024-09、2024-11"),
        ("2025-03", "2025-02、2025-03"),
    ]
    flags = consequences.flags(months("甲", [0.5, 0.9, 0.5, 0.5]), CHANNEL_OPS)
    assert fired(flags, "调岗降薪或淘汰") == [("2024-04", "2024-01、2024-03、2024-04")]


def test_seed_000_probation_flag_every_month_for_people_on_probation():
    # seed 000: 5、试用期员工绩效得分作为转正评估依据。
    plan = CHANNEL_OPS.model_copy(
        update={"consequences": CHANNEL_OPS.consequences.model_copy(update={"probation": ["乙"]})}
    )
    frame = pd.concat([months("甲", [0.9, 0.9]), months("乙", [0.9, 0.9])])
    assert fired(consequences.flags(frame, plan), "转正评估") == [
        ("2024-01", "2024-01"),
        ("2024-02", "2024-02"),
    ]


SEED_002 = make_plan(
    RATIO,
    consequences={
        "rules": [
            # (六) 全年以自然月计算,连续有两个月或累计有三个月绩效考核成绩无效者,则做调岗或辞退处理
            {
                "name": "调岗或辞退",
                "when": "valid == 0",
                "over": "consecutive",
                "months": 2,
                "fires": "once",
            },
            {
                "name": "调岗或辞退",
                "when": "valid == 0",
                "over": "year",
                "months": 3,
                "fires": "once",
            },
            # #10 7、如连续2个考核区间任务指标完成率高于100%，则该地区主管晋升一级
            {"name": "晋升候选", "when": "completion > 100%", "over": "consecutive", "months": 2},
        ]
    },
)


def test_seed_002_two_consecutive_or_three_invalid_months_in_a_year():
    flags = consequences.flags(
        pd.concat(
            [
                months("甲", [1] * 4, valid=[True, False, False, True]),
                months("乙", [1] * 5, valid=[False, True, False, True, False]),
            ]
        ),
        SEED_002,
    )
    assert list(zip(flags["person"], flags["month"], flags["months"], strict=True)) == [
        ("甲", "2024-03", "2024-02、2024-03"),
        ("乙", "2024-05", "2024-01、2024-03、2024-05"),
    ]


def test_seed_002_two_consecutive_periods_above_100_percent_promotion_candidate():
    flags = consequences.flags(months("甲", [1.05, 1.0, 1.01, 1.2]), SEED_002)
    assert fired(flags, "晋升候选") == [("2024-04", "2024-03、2024-04")]  # 100% is not >100%


def test_seed_003_three_months_ranked_first_gets_200_yuan_each_time():
    # seed 003 第9条: 连续3个月考核排名第一的，给予一次性奖励200元，上不封顶，
    # 连续3个月考核不及格的，自动请辞。
    plan = make_plan(
        RATIO,
        consequences={
            "rules": [
                {
                    "name": "排名第一奖励",
                    "when": "rank == 1",
                    "over": "consecutive",
                    "months": 3,
                    "fires": "each",
                    "award": 200,
                },
                {
                    "name": "自动请辞",
                    "when": "total < 60",
                    "over": "consecutive",
                    "months": 3,
                    "fires": "once",
                },
            ]
        },
    )
    frame = pd.concat(
        [
            months("甲", [1, 1, 1, 1, 1, 1, 2], column="rank"),
            months("乙", [50, 55, 59, 61, 40], column="total"),
        ]
    )
    flags = consequences.flags(frame, plan)
    awards = flags[flags["rule"] == "排名第一奖励"]
    assert list(awards["month"]) == ["2024-03", "2024-06"]
    assert list(awards["months"]) == ["2024-01、2024-02、2024-03", "2024-04、2024-05、2024-06"]
    assert list(awards["award"]) == [Decimal(200), Decimal(200)]
    assert fired(flags, "自动请辞") == [("2024-03", "2024-01、2024-02、2024-03")]


def test_a_rolling_window():
    plan = make_plan(
        RATIO,
        consequences={
            "rules": [
                {
                    "name": "近三月两次",
                    "when": "completion < 60%",
                    "over": "window",
                    "window": 3,
                    "months": 2,
                }
            ]
        },
    )
    flags = consequences.flags(months("甲", [0.5, 0.9, 0.9, 0.5, 0.9, 0.5]), plan)
    assert fired(flags, "近三月两次") == [("2024-06", "2024-04、2024-06")]


def test_a_rule_naming_an_unknown_condition_is_a_plan_error(tmp_path):
    plan = tmp_path / "channel_ops.yaml"
    text = (ROOT / "params/channel_ops.yaml").read_text(encoding="utf-8")
    plan.write_text(text.replace("when: probation", "when: probatoin"), encoding="utf-8")
    with pytest.raises(PlanError, match="用到不认识的名称 'probatoin'") as info:
        kpilib.load_plan(plan)
    (problem,) = info.value.problems
    assert (problem.where, problem.code) == ("consequences.rules.4.when", "value_error")


def test_annual_score_is_the_mean_of_the_valid_months():
    # seed 002 (五) 全年考核成绩 = 自然月得分总和/自然月; voided months are not counted
    frame = months("甲", [80, 90, 30, 100], column="total", valid=[True, True, False, True])
    out = consequences.annual(frame)
    assert out["annual_score"].iloc[0] == 90.0 and out["valid_months"].iloc[0] == 3


def test_flags_follow_the_store_when_an_earlier_month_is_rescored(tmp_path):
    """A warning in May disappears when March is re-scored above 60%."""
    store = tmp_path / "r.duckdb"
    base = kpilib.score_month(CHANNEL_OPS, "2024-11")

    def as_month(month, completion):
        people = base.people.copy()
        people["completion"] = completion
        return kpilib.Result(CHANNEL_OPS, month, base.items, people)

    history.save(as_month("2024-03", 0.5), store=store)
    history.save(as_month("2024-05", 0.5), store=store)
    past = history.load(CHANNEL_OPS, store)
    flags = consequences.flags(past.people, CHANNEL_OPS, past.items)
    assert len(flags.query("rule == '警告' and month == '2024-05'")) == 19
    history.save(as_month("2024-03", 0.8), store=store, note="March corrected")
    past = history.load(CHANNEL_OPS, store)
    flags = consequences.flags(past.people, CHANNEL_OPS, past.items)
    assert flags.query("rule == '警告'").empty


def test_seed_000_a_warning_fires_once_not_every_month_after():
    # seed 000: "2、年度累积两次月度考核完成率低于60%者，作警告处理；" and "3、连续两次月度完成率低于
    # 60%者，纳入绩效改进计划；" (fires: once). Below 60% from January to April: one warning and
    # one improvement plan, in February; March and April repeat neither (the third low month
    # is rule 4's business: 调岗降薪或淘汰 in March)
    flags = consequences.flags(months("甲", [0.5, 0.5, 0.5, 0.5]), CHANNEL_OPS)
    assert fired(flags, "警告") == [("2024-02", "2024-01、2024-02")]
    assert fired(flags, "绩效改进计划") == [("2024-02", "2024-01、2024-02")]
    assert fired(flags, "调岗降薪或淘汰") == [("2024-03", "2024-01、2024-02、2024-03")]
