"""Pay levels carried between periods (issue 15 point 11, kpilib.period_results and
kpilib.outcomes.money.carry_levels over periods): seed 002 regional sales, 地区主管.

Seed 002 (地区主管): "7、如某个考核区间的任务完成率低于85%,则地区主管未达标,下一个考核区间则
享受低一级的薪酬标准;如连续2个考核区间任务指标完成率高于100%,则该地区主管晋升一级;如连续2个
考核区间任务指标完成率低于85%,则地区主管不合格,则另行安排其他职位。" and its table "A级市场
B级市场C级市场D级市场E级(试用期)": 月绩效薪酬 3500, 3000, 2500, 20xx, 1800 (D chosen 2000).
"6、...超过95%以上...按月度绩效薪酬标准乘以90%核算发放两个月的绩效薪酬;低于95%高于85%,获得50%
的绩效薪酬;低于85%,不能获得绩效薪酬。"

Every expected figure is computed by hand from those lines.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from kpilib import ledger, load_plan
from kpilib.errors import DataError
from kpilib.period_results import period_result
from tests.conftest import ROOT

PLAN = """
department: levels_test
monthly: false
name: 地区主管
scale: 100
sources:
  targets: targets/{period}.csv
  targets_layout: long
  actuals: actuals/{period}.csv
indicators:
  回款: {unit: 元, rule: {type: ratio, cap: 150%}}
grades: [{name: 达标, min: 95}, {name: 基本达标, min: 85}, {name: 未达标}]
periods:
  two_month:
    from: actuals
    sources:
      targets: targets/{period}.csv
      targets_layout: long
      actuals: actuals/{period}.csv
    pay_per_month: true
    pay:
      form: tiers
      levels:
        base: {A级: 3500, B级: 3000, C级: 2500, D级: 2000, E级: 1800}
        default: E级
        start: {A级地区主管: A级, B级地区主管: B级, C级地区主管: C级}
        down: {when: completion < 85%}
        up: {when: completion > 100%, months: 2}
        reassign: {when: completion < 85%, months: 2, action: 另行安排其他职位}
      tiers: [{min: 95%, share: 90%}, {min: 85%, share: 50%}, {share: 0}]
"""


def write_plan(folder, periods: dict[str, dict[str, tuple[str, float]]]):
    """A period plan in ``folder`` and, per period, person -> (岗位, completion) on a
    task of 1,000,000."""
    (folder / "targets").mkdir()
    (folder / "actuals").mkdir()
    for key, people in periods.items():
        (folder / "targets" / f"{key}.csv").write_text(
            "岗位,姓名,指标,权重,目标值\n"
            + "".join(f"{role},{p},回款,100%,1000000\n" for p, (role, _) in people.items()),
            encoding="utf-8",
        )
        (folder / "actuals" / f"{key}.csv").write_text(
            "姓名,指标,实际值\n"
            + "".join(f"{p},回款,{round(c * 1_000_000)}\n" for p, (_, c) in people.items()),
            encoding="utf-8",
        )
    path = folder / "levels_test.yaml"
    path.write_text(PLAN, encoding="utf-8")
    return load_plan(path)


def test_below_85_percent_pays_one_level_lower_in_the_next_period(tmp_path):
    # "如某个考核区间的任务完成率低于85%,则地区主管未达标,下一个考核区间则享受低一级的薪酬标准"
    plan = write_plan(
        tmp_path,
        {
            "2024-B5": {"甲": ("B级地区主管", 0.80), "乙": ("B级地区主管", 0.85)},
            "2024-B6": {"甲": ("B级地区主管", 0.90), "乙": ("B级地区主管", 0.90)},
        },
    )
    store = tmp_path / "r.duckdb"
    first = period_result(plan, "2024-B5", store)
    levels = first.levels.set_index("person")
    # the first period: the level of the person's 岗位 (B级市场)
    assert levels.loc["甲", "level"] == "B级" and levels.loc["甲", "next_level"] == "C级"
    assert "降一级" in levels.loc["甲", "reason"]
    # 85% is not 低于85%: 乙 keeps B级
    assert levels.loc["乙", "next_level"] == "B级"
    # B5 pay at B级: 80% → 0; 85% → 3,000 × 2 × 50% = 3,000.00
    paid = first.pay().set_index("person")["performance_pay"]
    assert paid["甲"] == Decimal("0.00") and paid["乙"] == Decimal("3000.00")
    second = period_result(plan, "2024-B6", store)
    assert second.levels.set_index("person").loc["甲", "level"] == "C级"
    paid = second.pay().set_index("person")["performance_pay"]
    # 90% (低于95%高于85%: 50%) at C级: 2,500 × 2 × 50% = 2,500.00; 乙 at B级 3,000.00
    assert paid["甲"] == Decimal("2500.00")
    assert paid["乙"] == Decimal("3000.00")


def test_two_periods_above_100_percent_promote_one_level_in_the_third(tmp_path):
    # "如连续2个考核区间任务指标完成率高于100%,则该地区主管晋升一级"
    plan = write_plan(
        tmp_path,
        {
            "2024-B4": {"乙": ("B级地区主管", 1.01), "丙": ("B级地区主管", 1.00)},
            "2024-B5": {"乙": ("B级地区主管", 1.02), "丙": ("B级地区主管", 1.05)},
            "2024-B6": {"乙": ("B级地区主管", 0.96), "丙": ("B级地区主管", 0.96)},
        },
    )
    store = tmp_path / "r.duckdb"
    b5 = period_result(plan, "2024-B5", store).levels.set_index("person")
    assert b5.loc["乙", "level"] == "B级"  # one period above 100% is not yet two
    assert b5.loc["乙", "next_level"] == "A级" and "晋升一级" in b5.loc["乙", "reason"]
    b6 = period_result(plan, "2024-B6", store)
    levels = b6.levels.set_index("person")
    assert levels.loc["乙", "level"] == "A级"
    # 100% is not 高于100%: 丙 has one period above, stays B级
    assert levels.loc["丙", "level"] == "B级"
    paid = b6.pay().set_index("person")["performance_pay"]
    assert paid["乙"] == Decimal("6300.00")  # A级 3,500 × 2 × 90%
    assert paid["丙"] == Decimal("5400.00")  # B级 3,000 × 2 × 90%


def test_two_periods_below_85_percent_flag_another_post(tmp_path):
    # "如连续2个考核区间任务指标完成率低于85%,则地区主管不合格,则另行安排其他职位"
    plan = write_plan(
        tmp_path,
        {
            "2024-B4": {"丁": ("C级地区主管", 0.80)},
            "2024-B5": {"丁": ("C级地区主管", 0.84)},
        },
    )
    result = period_result(plan, "2024-B5", tmp_path / "r.duckdb")
    row = result.levels.set_index("person").loc["丁"]
    assert row["level"] == "D级"  # demoted after B4's 80%
    assert row["next_level"] == ""  # off the levels
    assert row["reason"].endswith("另行安排其他职位")
    assert "连续 2 个考核周期" in row["reason"]
    # B5 at D级: 84% < 85% → 0; B4 at C级 → 0 too
    assert result.pay().set_index("person").loc["丁", "performance_pay"] == Decimal("0.00")


def test_a_new_supervisor_starts_at_e_level(tmp_path):
    # seed 002 地区主管 "9、所有由子公司业务代表升任的地区主管,第一个考核周期(试用期)适用E级职位薪酬"
    plan = write_plan(tmp_path, {"2024-B6": {"戊": ("地区主管(试用期)", 0.97)}})
    result = period_result(plan, "2024-B6", tmp_path / "r.duckdb")
    assert result.levels.set_index("person").loc["戊", "level"] == "E级"
    # 97% ≥ 95%: 1,800 × 2 × 90% = 3,240.00
    assert result.pay().set_index("person").loc["戊", "performance_pay"] == Decimal("3240.00")


def test_a_missing_period_between_is_refused(tmp_path):
    plan = write_plan(
        tmp_path,
        {"2024-B4": {"甲": ("B级地区主管", 0.80)}, "2024-B6": {"甲": ("B级地区主管", 0.90)}},
    )
    with pytest.raises(DataError) as info:
        period_result(plan, "2024-B6", tmp_path / "r.duckdb")
    assert info.value.problems[0].code == "period_gap"
    assert "2024年第5考核区间" in info.value.problems[0].message


def test_levels_are_stored_shown_in_the_report_and_on_payroll(tmp_path):
    from kpilib.report.period import PeriodReport
    from kpilib.sheets import payroll

    plan = write_plan(
        tmp_path,
        {
            "2024-B5": {"甲": ("B级地区主管", 0.80)},
            "2024-B6": {"甲": ("B级地区主管", 0.90)},
        },
    )
    store = tmp_path / "r.duckdb"
    result = period_result(plan, "2024-B6", store)
    stored = ledger.pay_levels(plan.department, store=store).set_index("month")
    # the store keeps the period key where a month's levels keep the month
    assert stored.loc["2024-B5", "next_level"] == "C级"
    assert stored.loc["2024-B6", "level"] == "C级"
    html = str(PeriodReport(result).levels())
    assert "本期等级" in html and "下期等级" in html and "C级" in html
    table = payroll.period_frame(plan, "2024-B6", store).set_index("person")
    assert table.loc["甲", "level"] == "C级" and table.loc["甲", "next_period_level"] == "C级"


def test_the_shipped_regional_plan_moves_each_way(tmp_path):
    # params/regional_sales.yaml over data/regional_sales 2024-B4..B6
    store = tmp_path / "r.duckdb"
    b5 = period_result(ROOT / "params/regional_sales.yaml", "2024-B5", store)
    moves = b5.levels.set_index("person")
    # 白云飞 A级 at 3,200,000 / 4,000,000 = 80% → B级; 苏晴 103%, 105% → A级;
    # 贺新 83%, 80% → 另行安排其他职位
    assert (moves.loc["白云飞", "level"], moves.loc["白云飞", "next_level"]) == ("A级", "B级")
    assert (moves.loc["苏晴", "level"], moves.loc["苏晴", "next_level"]) == ("B级", "A级")
    assert moves.loc["贺新", "next_level"] == "" and "另行安排" in moves.loc["贺新", "reason"]


def test_kpi_history_lists_a_period_only_departments_levels(tmp_path, capsys):
    from kpilib.cli import main

    plan = write_plan(
        tmp_path,
        {"2024-B5": {"甲": ("B级地区主管", 0.80)}, "2024-B6": {"甲": ("B级地区主管", 0.90)}},
    )
    store = tmp_path / "r.duckdb"
    period_result(plan, "2024-B6", store)
    assert main(["history", "--department", "levels_test", "--store", str(store)]) == 0
    shown = capsys.readouterr().out
    # no month is stored: the periods and the levels are listed all the same
    assert "薪酬等级" in shown and "2024-B5" in shown and "C级" in shown
