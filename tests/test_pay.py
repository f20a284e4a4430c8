"""Pay forms from the seeds, hand-computed in yuan to the fen."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest

import kpilib
from kpilib.errors import DataError, PlanError
from kpilib.outcomes import pay
from tests.conftest import ROOT, make_plan

RATIO = {"销售额": {"rule": {"type": "ratio"}}}


def people(rows, month="2024-03"):
    """(person, role, total, completion[, valid]) rows as a people table."""
    rows = [(*r, True) if len(r) == 4 else r for r in rows]
    out = pd.DataFrame(rows, columns=["person", "role", "total", "completion", "valid"])
    out["grade"], out["gates"], out["month"] = "", "", month
    out["rank"] = out["total"].rank(ascending=False, method="min")
    return out


def D(text):  # noqa: N802
    return Decimal(text)


def test_seed_002_mall_base_times_score_over_100():
    # seed 002 (四): 基本工资+绩效工资(主管绩效600元|助理500元)*(月度总得分/100)
    plan = make_plan(RATIO, pay={"form": "score", "base": {"主管": 600, "助理": 500}})
    out = pay.compute(
        people(
            [
                ("甲", "主管", 85.5, 0.855),
                ("乙", "助理", 92.37, 0.9237),
                ("丙", "助理", 100.01, 1.0001),
            ]
        ),
        plan,
    )
    # 600 × 85.5 / 100 = 513.00; 500 × 92.37 / 100 = 461.85; 500 × 100.01 / 100 = 500.05
    assert list(out["performance_pay"]) == [D("513.00"), D("461.85"), D("500.05")]
    assert out["pay_reason"][0] == "600.00 × 85.5 / 100 = 513.00"


def test_seed_004_one_point_one_yuan_capped_at_300():
    # seed 004: 采购部每月的绩效考核工资是300元 / 考核总分300分 / 每分为1元
    plan = make_plan(RATIO, scale=300, pay={"form": "points", "per_point": 1, "cap": 300})
    out = pay.compute(people([("甲", "采购", 287.5, 0.958), ("乙", "采购", 301.25, 1.004)]), plan)
    assert list(out["performance_pay"]) == [D("287.50"), D("300.00")]
    assert "封顶 300" in out["pay_reason"][1]


@pytest.mark.parametrize(
    "completion, share, expected",
    [
        (0.96, "90.0%", "900.00"),
        (0.95, "90.0%", "900.00"),
        (0.9499, "50.0%", "500.00"),
        (0.85, "50.0%", "500.00"),
        (0.8499, "0.0%", "0.00"),
    ],
)
def test_seed_002_regional_tiers_by_completion(completion, share, expected):
    # seed 002 #10 6、超过95%以上 ... 乘以90%；低于95%高于85%，获得50%；低于85%，不能获得
    plan = make_plan(
        RATIO,
        pay={
            "form": "tiers",
            "base": {"地区主管": 1000},
            "tiers": [{"min": "95%", "share": "90%"}, {"min": "85%", "share": "50%"}, {"share": 0}],
        },
    )
    out = pay.compute(people([("甲", "地区主管", completion * 100, completion)]), plan)
    assert out["performance_pay"][0] == D(expected)
    assert out["pay_reason"][0].endswith(f"1,000.00 × {share} = {expected}")


def test_seed_000_below_60_percent_no_bonus_that_month():
    # seed 000: 1、每次月度考核完成率低于60%者，免当月绩效奖金；
    result = kpilib.score_month(ROOT / "params/channel_ops.yaml", "2024-11")
    out = pay.compute(result).set_index("person")
    assert out.loc["曾志伟", "performance_pay"] == D("0.00")  # 考核完成率 53.9%
    assert out.loc["曾志伟", "pay_reason"].endswith("完成率低于60%免当月绩效奖金 → 0.00")
    # 张诚磊 74.42, 商务岗 2,000 (the plan's assumed base): 2000 × 74.42 / 100 = 1,488.40
    assert out.loc["张诚磊", "performance_pay"] == D("1488.40")


def test_a_voided_month_pays_nothing():
    plan = make_plan(RATIO, pay={"base": {"主管": 600}})
    frame = people([("甲", "主管", 95.0, 0.95, False)])
    frame["gates"] = "联检考核≤18分"
    out = pay.compute(frame, plan)
    assert out["performance_pay"][0] == D("0.00")
    assert out["pay_reason"][0] == "本月考核无效（联检考核≤18分）→ 0.00"


def test_seed_002_pool_split_by_points_with_deferred_shares():
    # seed 002 #13: 单位积分奖金值=奖金包/积分总额; 个人 = 积分 x 单位积分奖金值;
    # 营销前台人员 ... 挂钩比例为15%，非营销前台人员挂钩比例为10%，... 挂钩5%
    plan = make_plan(
        RATIO,
        pay={
            "base": {"前台": 0, "柜员": 0, "综合员": 0},
            "pool": {"deferred": {"前台": "15%", "柜员": "10%"}, "default_deferred": "5%"},
        },
    )
    frame = people([("甲", "前台", 90, 0.9), ("乙", "柜员", 80, 0.8), ("丙", "综合员", 70, 0.7)])
    out = pay.compute(frame, plan, pool="10000")
    # unit 10000 / 240 = 41.6667; 90 × = 3,750.00, 80 × = 3,333.333 → 3,333.33,
    # 70 × = 2,916.667 → 2,916.67; they add up to 10,000.00 exactly
    assert list(out["pool_bonus"]) == [D("3750.00"), D("3333.33"), D("2916.67")]
    assert sum(out["pool_bonus"]) == D("10000.00")
    # deferred 15% of 3,750.00 = 562.50; 10% of 3,333.33 = 333.33; 5% of 2,916.67 = 145.83
    assert list(out["deferred"]) == [D("562.50"), D("333.33"), D("145.83")]
    assert list(out["pool_paid"]) == [D("3187.50"), D("3000.00"), D("2770.84")]
    assert "单位积分奖金值 41.6667 元" in out["pool_reason"][0]


def test_a_pool_shared_by_equal_points_still_adds_up_to_the_fen():
    plan = make_plan(RATIO, pay={"base": {"x": 0}, "pool": {"amount": 100}})
    out = pay.compute(
        people([("甲", "x", 80, 0.8), ("乙", "x", 80, 0.8), ("丙", "x", 80, 0.8)]), plan
    )
    assert list(out["pool_bonus"]) == [D("33.34"), D("33.33"), D("33.33")]


def test_a_pool_of_zero_is_refused():
    plan = make_plan(RATIO, pay={"base": {"x": 0}})
    with pytest.raises(DataError, match="奖金池为 0 元.*大于 0 的奖金池"):
        pay.compute(people([("甲", "x", 80, 0.8)]), plan, pool="0")


def test_a_role_with_no_base_pay_names_the_person_and_role():
    plan = make_plan(RATIO, pay={"base": {"主管": 600}})
    with pytest.raises(PlanError, match="pay.base，人员 乙：岗位 '助理' 没有绩效工资基数"):
        pay.compute(people([("甲", "主管", 80, 0.8), ("乙", "助理", 80, 0.8)]), plan)


def test_money_with_more_than_two_decimals_is_a_plan_error():
    with pytest.raises(Exception, match="600.005 超过两位小数"):
        make_plan(RATIO, pay={"base": {"主管": "600.005"}})


def test_seed_002_mall_year_end_bonus_by_annual_score_or_qualifying_months():
    # seed 002 (七) 累计 ... 有十个月(含)及以上或全年考核成绩90分(含)以上者,年底奖金为三个月基本工资
    # (八) 八至九个月或85分(含)以上 → 两个月; (九) 六至七个月或80分(含)以上 → 一个月;
    # (十) 全年考核成绩80分以下者,年底无奖金
    plan = make_plan(
        RATIO,
        pay={
            "base": {"主管": 600},
            "year_end": {
                "salary": {"主管": 3000},
                "qualifying": "total >= 95",
                "tiers": [
                    {"months": 10, "annual": 90, "salary_months": 3},
                    {"months": 8, "annual": 85, "salary_months": 2},
                    {"months": 6, "annual": 80, "salary_months": 1},
                    {"salary_months": 0},
                ],
            },
        },
    )
    rows = []
    for m in range(1, 13):
        month = f"2024-{m:02d}"
        rows += [
            ("甲", "主管", 86.0, 0.86, True, month),  # annual 86 → 2 months
            ("乙", "主管", 96.0 if m <= 6 else 70.0, 0.9, True, month),  # 6 months ≥95
            ("丙", "主管", 20.0 if m == 1 else 81.0, 0.8, m != 1, month),
        ]  # Jan voided
    frame = pd.DataFrame(rows, columns=["person", "role", "total", "completion", "valid", "month"])
    out = pay.year_end(frame, plan, 2024).set_index("person")
    assert list(out["year_end_bonus"]) == [D("6000.00"), D("3000.00"), D("3000.00")]
    # 乙: (6 × 96 + 6 × 70) / 12 = 83.0, below 85, but 6 qualifying months → (九)
    assert out.loc["乙", "annual_score"] == 83.0 and out.loc["乙", "qualifying_months"] == 6
    # 丙: the voided January is not counted: 11 × 81 / 11 = 81.0 → (九)
    assert out.loc["丙", "annual_score"] == 81.0 and out.loc["丙", "valid_months"] == 11


def test_a_deferred_share_rounds_half_up_to_the_fen_not_down():
    # seed 002 #13: "营销前台人员 ... 挂钩比例为15%": a pool of 651.84 yuan all to one person of
    # 90 points; 15% of 651.84 = 97.776 yuan → 97.78 deferred (truncating would give 97.77),
    # 651.84 − 97.78 = 554.06 paid now
    plan = make_plan(RATIO, pay={"base": {"前台": 0}, "pool": {"deferred": {"前台": "15%"}}})
    out = pay.compute(people([("甲", "前台", 90, 0.9)]), plan, pool="651.84")
    assert out["pool_bonus"][0] == D("651.84")
    assert out["deferred"][0] == D("97.78")
    assert out["pool_paid"][0] == D("554.06")


def test_performance_pay_rounds_half_up_to_the_fen():
    # seed 002 (四): 绩效工资 × (月度总得分/100), here with a base of 555.55 yuan (a plan's
    # figure): 555.55 × 83.33 / 100 = 462.939815 → 462.94 (truncating: 462.93)
    plan = make_plan(RATIO, pay={"form": "score", "base": {"主管": "555.55"}})
    out = pay.compute(people([("甲", "主管", 83.33, 0.8333)]), plan)
    assert out["performance_pay"][0] == D("462.94")
