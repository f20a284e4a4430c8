"""Appraisal periods beyond the month (issue 14): the Period type, roll-ups of months,
incomplete periods, rules and pay on a period, stored period versions.

Every expected figure is computed by hand from the seed's wording or the case's numbers.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from kpilib import load_plan
from kpilib.engine.period_plan import PeriodSpec
from kpilib.errors import PlanError
from kpilib.outcomes import pay
from kpilib.outcomes.rollup import period_flags, roll_up
from kpilib.period_results import period_result
from kpilib.periods import Kind, Period
from tests.conftest import ROOT

YEAR = [f"2024-{m:02d}" for m in range(1, 13)]


def months(person, totals, valid=None, role="楼面主管", month_list=YEAR):
    """One person's monthly results as the store gives them."""
    n = len(totals)
    return pd.DataFrame(
        {
            "person": person,
            "role": role,
            "month": month_list[:n],
            "total": [float(t) for t in totals],
            "completion": [t / 100 for t in totals],
            "valid": [True] * n if valid is None else valid,
        }
    )


# --- the Period type -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind", "first", "last", "label"),
    [
        ("2024-11", Kind.month, "2024-11", "2024-11", "2024年11月"),
        ("2024-B6", Kind.two_month, "2024-11", "2024-12", "2024年第6考核区间（11–12月）"),
        ("2024-B1", Kind.two_month, "2024-01", "2024-02", "2024年第1考核区间（1–2月）"),
        ("2024-Q4", Kind.quarter, "2024-10", "2024-12", "2024年第四季度"),
        ("2024-Q1", Kind.quarter, "2024-01", "2024-03", "2024年第一季度"),
        ("2024-H1", Kind.half, "2024-01", "2024-06", "2024年上半年"),
        ("2024-H2", Kind.half, "2024-07", "2024-12", "2024年下半年"),
        ("2024", Kind.year, "2024-01", "2024-12", "2024年度"),
    ],
)
def test_a_period_knows_its_months_and_its_chinese_name(text, kind, first, last, label):
    period = Period.parse(text)
    assert period.kind is kind
    assert (period.months[0], period.months[-1]) == (first, last)
    assert len(period.months) == kind.months
    assert period.label == label
    assert period.key == text


def test_seed_002_enterprise_half_years_are_january_to_june_and_july_to_december():
    # seed 002: "年中考核自1月1日起至6月30日止,年终考核自7月1日起到12月31日止"
    assert Period.parse("2024-H1").months == tuple(YEAR[:6])
    assert Period.parse("2024-H2").months == tuple(YEAR[6:])


@pytest.mark.parametrize("text", ["2024-Q5", "2024-B7", "2024-H3", "2024-13", "24-Q1", "Q4", ""])
def test_an_unreadable_period_is_refused(text):
    with pytest.raises(ValueError, match="考核周期|编号"):
        Period.parse(text)


def test_the_period_of_a_month():
    assert Period.of_month("2024-11", Kind.two_month).key == "2024-B6"
    assert Period.of_month("2024-11", Kind.quarter).key == "2024-Q4"
    assert Period.of_month("2024-06", Kind.half).key == "2024-H1"


# --- roll-ups ----------------------------------------------------------------------------


def test_seed_002_mall_annual_score_is_the_mean_of_the_ten_valid_months():
    # seed 002 mall 七(五): "全年考核成绩以全年检查得分的平均值为最终得分结果,公式:(自然月得分
    # 总和/自然月=全年考核成绩)"; 七(二): a voided month "不计入本年度全年考核成绩"
    plan = load_plan(ROOT / "params/mall_floor.yaml")
    totals = [90, 92, 40, 88, 94, 96, 30, 85, 91, 93, 89, 95]
    valid = [m not in (2, 6) for m in range(12)]  # March and July voided
    people = months("赵一鸣", totals, valid)
    items = collection_items(people, [0.97] * 12)
    frame = roll_up(people, Period.parse("2024"), plan.periods.year, [], items=items)
    row = frame.iloc[0]
    # (90+92+88+94+96+85+91+93+89+95) / 10 = 913 / 10
    assert row["total"] == 91.3
    assert (row["months"], row["valid_months"], row["voided_months"]) == (10, 10, 2)
    assert row["qualifying_months"] == 10  # 收缴率 97% in every valid month
    assert bool(row["complete"])


def test_voided_months_counted_as_zero_when_the_plan_says_so():
    spec = PeriodSpec.model_validate({"rollup": "mean", "voided": "zero"})
    frame = roll_up(
        months("甲", [90, 60, 90], [True, False, True]), Period.parse("2024-Q1"), spec, []
    )
    assert frame.iloc[0]["total"] == 60.0  # (90 + 0 + 90) / 3


@pytest.mark.parametrize(
    ("rollup", "formula", "expected"),
    [("sum", None, 240.0), ("last", None, 70.0), ("formula", "0.5 * mean + 0.5 * last", 75.0)],
)
def test_sum_last_and_formula_roll_ups(rollup, formula, expected):
    spec = PeriodSpec.model_validate({"rollup": rollup, "formula": formula})
    frame = roll_up(months("甲", [90, 80, 70]), Period.parse("2024-Q1"), spec, [])
    # sum 90+80+70 = 240; last 70; mean 80 → 0.5 × 80 + 0.5 × 70 = 75
    assert frame.iloc[0]["total"] == expected


def test_an_incomplete_quarter_says_so_and_is_not_graded():
    # seed 001: "季度考核:每季度对员工进行一次综合考核"; October and November scored,
    # December not yet
    plan = load_plan(ROOT / "params/member_ops.yaml")
    q4 = Period.parse("2024-Q4")
    frame = roll_up(
        months("周晓梅", [92, 94], month_list=list(q4.months)),
        q4,
        plan.periods.quarter,
        plan.grades,
    )
    row = frame.iloc[0]
    assert not row["complete"]
    assert row["grade"] == "未完整"
    assert row["provisional_grade"] == "优秀"  # (92 + 94) / 2 = 93 ≥ 90
    assert row["total"] == 93.0
    assert "2024-12 尚未计分" in row["reason"]
    assert "12月 未计分" in row["month_totals"]
    assert np.isnan(row["rank"])  # not ranked as if complete


def test_complete_if_lets_a_plan_grade_a_partial_period():
    spec = PeriodSpec.model_validate({"rollup": "mean", "complete_if": "months >= 2"})
    q4 = Period.parse("2024-Q4")
    frame = roll_up(months("甲", [92, 94], month_list=list(q4.months)), q4, spec, [])
    assert bool(frame.iloc[0]["complete"]) and frame.iloc[0]["total"] == 93.0


def test_a_persons_missing_month_makes_the_quarter_incomplete_when_the_plan_says_so():
    spec = PeriodSpec.model_validate({"missing": "incomplete"})
    q1 = Period.parse("2024-Q1")
    # the department scored all three months; 乙 has no result in February
    frame = roll_up(
        pd.concat([months("甲", [80, 80, 80]), months("乙", [70, 90], month_list=YEAR[0:3:2])]),
        q1,
        spec,
        [],
    ).set_index("person")
    assert bool(frame.loc["甲", "complete"]) and not frame.loc["乙", "complete"]
    assert frame.loc["乙", "missing_months"] == 1


# --- rules on a period -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("monthly", "annual", "rule"),
    [((240, 246), 81.0, "提升培训"), ((174, 174), 58.0, "适职培训"), ((210, 210), 70.0, None)],
)
def test_seed_004_annual_score_decides_training_or_demotion(monthly, annual, rule):
    # seed 004: "全年考评分数由每月考核平均值构成"; "年度绩效考核得分在80分以上的人员,有资格
    # 享受公司安排的提升培训;年度绩效考核得分在60分以下的人员,必须参加由公司安排的适职培训,
    # 培训后不能胜任本工作者,给予降级或劝退处理" (a month is out of 300: the mean ÷ 3)
    plan = load_plan(ROOT / "params/procurement.yaml")
    spec, year = plan.periods.year, Period.parse("2024")
    frame = roll_up(months("何军", list(monthly) * 6, role="采购员"), year, spec, spec.grades)
    assert frame.iloc[0]["total"] == annual  # (240 + 246) / 2 / 3 = 81; 174 / 3 = 58
    flags = period_flags(frame, spec, year)
    assert flags["rule"].tolist() == ([rule] if rule else [])
    if rule == "适职培训":
        assert "降级" in flags.iloc[0]["action"]


def test_seed_001_annual_grade_decides_the_raise():
    # seed 001 考核结果应用: "年度考核结果为优秀的员工,给予较高幅度的薪酬调升; ...
    # 不合格的员工视情况进行降薪或其他处理"
    plan = load_plan(ROOT / "params/member_ops.yaml")
    year = Period.parse("2024")
    frame = roll_up(
        pd.concat([months("周晓梅", [95] * 12), months("黄俊杰", [55] * 12)]),
        year,
        plan.periods.year,
        plan.grades,
    )
    flags = period_flags(frame, plan.periods.year, year).set_index("person")
    assert flags.loc["周晓梅", "rule"] == "较高幅度调薪"
    assert flags.loc["黄俊杰", "rule"] == "降薪或其他处理"


def test_seed_002_mall_three_voided_months_in_the_year_mean_transfer_or_dismissal():
    # seed 002 mall 七(六): "全年以自然月计算,连续有两个月或累计有三个月绩效考核成绩无效者,
    # 则做调岗或辞退处理" (the 累计 part, over the year)
    plan = load_plan(ROOT / "params/mall_floor.yaml")
    two = [m not in (2, 6) for m in range(12)]
    three = [m not in (2, 6, 9) for m in range(12)]
    people = pd.concat(
        [
            months("孙婷", [90] * 12, two),
            months("钱进", [90] * 12, three),
            months("吴佳", [40] * 12, [False] * 12, role="楼面助理"),
        ]
    )
    year = Period.parse("2024")
    frame = roll_up(people, year, plan.periods.year, [], items=collection_items(people, 0.9))
    flags = period_flags(frame, plan.periods.year, year)
    moved = flags[flags["rule"] == "调岗或辞退"]
    assert moved["person"].tolist() == ["钱进", "吴佳"]  # three and twelve voided months


def test_an_incomplete_year_applies_no_rule():
    plan = load_plan(ROOT / "params/procurement.yaml")
    year = Period.parse("2024")
    frame = roll_up(months("梁静", [150] * 11), year, plan.periods.year, [], scored=set(YEAR[:11]))
    assert not frame.iloc[0]["complete"]
    assert period_flags(frame, plan.periods.year, year).empty  # 50 < 60, but December is open


def test_seed_004_annual_excellent_grade_within_its_quota():
    # seed 004: "被确定为年度考核优秀等次人员应在“教职工职业道德情况考核”优秀人员内产生,并控制在
    # 乡中心下达指标额度之内" — the year's 优秀 within a quota, here at most 20%
    from kpilib.period_results import PeriodResult

    plan = load_plan(ROOT / "params/member_ops.yaml")
    quota = {"quotas": [{"grade": "优秀", "at_most": "20%"}]}
    spec = PeriodSpec.model_validate(
        {**plan.periods.year.model_dump(by_alias=True), "calibration": quota}
    )
    people = pd.concat(
        [months(p, [t] * 12) for p, t in zip("甲乙丙丁戊", (95, 93, 91, 85, 70), strict=True)]
    )
    year = Period.parse("2024")
    frame = roll_up(people, year, spec, plan.grades)
    out = PeriodResult(plan, year, spec, frame, people).calibrated().set_index("person")
    # floor(20% × 5 people) = 1 place: 甲 (95) keeps 优秀; 乙 93 and 丙 91 move to 良好
    assert out["grade"].tolist() == ["优秀", "良好", "良好", "良好", "合格"]
    assert out.loc["乙", "grade_before"] == "优秀" and out.loc["乙", "calibrated"]


# --- pay on a period ---------------------------------------------------------------------


def mall_year_end(people, items):
    plan = load_plan(ROOT / "params/mall_floor.yaml")
    year_plan = plan.model_copy(update={"pay": plan.periods.year.pay})
    frame = roll_up(people, Period.parse("2024"), plan.periods.year, plan.grades, items=items)
    return pay.year_end(people, year_plan, 2024, items, scores=frame).set_index("person")


def collection_items(people, rates):
    """数据掌握 items whose actual is the month's 费用收缴率."""
    return people[["person", "month"]].assign(
        indicator="数据掌握", item="数据掌握", points=0.0, completion=0.0, actual=rates
    )


def test_seed_002_mall_year_end_bonus_by_qualifying_months_or_annual_score():
    # seed 002 mall 七(七): "累计费用收缴率达96%——100%有十个月(含)及以上或全年考核成绩90分(含)
    # 以上者,年底奖金为三个月基本工资"; (八) "有八(含)至九个月或全年考核成绩85分(含)以上者,
    # 年底奖金为两个月基本工资"; (九) "有六(含)至七个月或全年考核成绩80分(含)以上者,年底奖金
    # 为一个月基本工资"; (十) "全年考核成绩80分以下者,年底无奖金"
    six = months("孙婷", [70] * 12)
    nine = months("钱进", [75] * 12)
    annual = months("赵一鸣", [93.5] * 12)
    none = months("郑浩", [70] * 12, role="楼面助理")
    people = pd.concat([six, nine, annual, none], ignore_index=True)
    rates = [0.97] * 6 + [0.90] * 6 + [0.965] * 9 + [0.95] * 3 + [0.90] * 12 + [0.80] * 12
    out = mall_year_end(people, collection_items(people, rates))
    assert out.loc["孙婷", "qualifying_months"] == 6
    assert out.loc["孙婷", "year_end_bonus"] == Decimal("3000.00")  # one month of 3,000
    assert out.loc["钱进", "qualifying_months"] == 9
    assert out.loc["钱进", "year_end_bonus"] == Decimal("6000.00")  # two months
    assert out.loc["赵一鸣", "annual_score"] == 93.5
    assert out.loc["赵一鸣", "year_end_bonus"] == Decimal("9000.00")  # three months
    assert out.loc["郑浩", "year_end_bonus"] == Decimal("0.00")  # 70 < 80, no month ≥ 96%


def test_seed_002_mall_year_end_for_the_office_roles_is_fixed():
    # seed 002 mall 七(四): "运营部事务主管工资结构为:基本工资+年底奖金(一个半月的基本工资)";
    # "前台及广播室工资结构为:基本工资+年底奖金(一个月的基本工资)"
    people = pd.concat(
        [months("林芳", [60] * 12, role="事务主管"), months("许可", [60] * 12, role="前台")],
        ignore_index=True,
    )
    out = mall_year_end(people, collection_items(people, [0.5] * 24))
    assert out.loc["林芳", "year_end_bonus"] == Decimal("5250.00")  # 3,500 × 1.5
    assert out.loc["许可", "year_end_bonus"] == Decimal("2200.00")  # 2,200 × 1


def test_seed_002_regional_two_month_completion_pays_ninety_percent_of_two_months(tmp_path):
    # seed 002 regional: "按每2个月的任务指标作为一个考核区间进行考核"; "每个考核区间的回款任务
    # 完成率超过95%以上,则地区主管达标,按月度绩效薪酬标准乘以90%核算发放两个月的绩效薪酬;
    # 低于95%高于85%,获得50%的绩效薪酬;低于85%,不能获得绩效薪酬"
    result = period_result(ROOT / "params/regional_sales.yaml", "2024-B4", tmp_path / "r.duckdb")
    paid = result.pay().set_index("person")
    # data/regional_sales 2024-B4 (the first period: each at the level of their 岗位):
    # 白云飞 3,840,000 of 4,000,000 over Jul+Aug = 96%
    assert result.people.set_index("person").loc["白云飞", "completion"] == 0.96
    assert paid.loc["白云飞", "performance_pay"] == Decimal("6300.00")  # A级 3,500 × 2 × 90%
    assert paid.loc["苏晴", "performance_pay"] == Decimal("5400.00")  # 103%: 3,000 × 2 × 90%
    assert paid.loc["贺新", "performance_pay"] == Decimal("0.00")  # 83% < 85%


# --- stored period results ---------------------------------------------------------------


def test_the_shipped_mall_year_is_stored_once_and_read_back(tmp_path):
    store = tmp_path / "r.duckdb"
    first = period_result(ROOT / "params/mall_floor.yaml", "2024", store)
    again = period_result(ROOT / "params/mall_floor.yaml", "2024", store)
    assert first.version == again.version == 1
    # 孙婷's March and July are voided by the sample data (收缴率 70% < 75%) and April by
    # 调研培训≤6分 (her training rated 未完成 that month): nine valid months
    row = first.people.set_index("person").loc["孙婷"]
    assert (row["months"], row["voided_months"]) == (9, 3)
    assert first.complete


def test_a_period_the_plan_does_not_declare_is_refused():
    with pytest.raises(PlanError) as info:
        period_result(ROOT / "params/mall_floor.yaml", "2024-Q4")
    assert info.value.problems[0].code == "period_not_declared"


# --- the CLI -----------------------------------------------------------------------------


def kpi(*argv) -> int:
    from kpilib.cli import main

    return main([str(a) for a in argv])


def test_kpi_score_period_says_an_incomplete_quarter_is_incomplete(tmp_path, capsys):
    # member_ops ships 2024-09..11: its fourth quarter lacks December
    code = kpi("score", ROOT / "params/member_ops.yaml", "--period", "2024-Q4", "--out", tmp_path)
    said = capsys.readouterr().out
    assert code == 0
    assert "周期未完整：2024-12 尚未计分" in said
    table = pd.read_csv(tmp_path / "period.csv", encoding="utf-8-sig")
    assert set(table["grade"]) == {"未完整"}
    assert not table["complete"].any()


def test_kpi_takes_exactly_one_of_month_and_period(capsys):
    plan = ROOT / "params/mall_floor.yaml"
    for argv in (["--month", "2024-11", "--period", "2024"], []):
        with pytest.raises(SystemExit) as info:
            kpi("score", plan, *argv)
        assert info.value.code == 2
    capsys.readouterr()
    with pytest.raises(SystemExit):
        kpi("payroll", plan, "--period", "2024-Q5")
    assert "编号只能是 1–4" in capsys.readouterr().err


def test_kpi_payroll_period_writes_the_mall_year_end_workbook(tmp_path, capsys):
    from openpyxl import load_workbook

    out = tmp_path / "年底奖金.xlsx"
    assert kpi("payroll", ROOT / "params/mall_floor.yaml", "--period", "2024", "--out", out) == 0
    sheet = load_workbook(out).active
    headers = [c.value for c in sheet[3]]
    assert "年底奖金(元)" in headers and "达标月数" in headers and "周期完整" in headers
    assert "年底奖金合计" in capsys.readouterr().out


@pytest.mark.slow
def test_kpi_report_period_renders_the_year(tmp_path, capsys):
    code = kpi(
        "report",
        "--period",
        "2024",
        "--dept",
        "channel_ops",
        "--params",
        ROOT / "params",
        "--out",
        tmp_path,
        "--format",
        "html",
    )
    assert code == 0, capsys.readouterr()
    page = (tmp_path / "2024/channel_ops/v1/channel_ops.html").read_text(encoding="utf-8")
    assert "2024年度 考核报告" in page and "各月得分" in page and "12月" in page


@pytest.mark.slow
def test_kpi_report_period_runs_every_department_in_one_kernel(tmp_path, capsys, monkeypatch):
    from kpilib.report.kernel import WarmKernel

    starts = []
    real = WarmKernel._start
    monkeypatch.setattr(WarmKernel, "_start", lambda self: starts.append(1) or real(self))
    argv = ["report", "--period", "2024", "--dept", "channel_ops", "mall_floor"]
    code = kpi(*argv, "--params", ROOT / "params", "--out", tmp_path, "--format", "html")
    assert code == 0, capsys.readouterr()
    for department in ("channel_ops", "mall_floor"):
        assert (tmp_path / f"2024/{department}/v1/{department}.html").is_file()
    assert len(starts) == 1


def test_the_period_report_shows_points_as_the_month_report_does(tmp_path):
    # a table of points reads down its column: two decimals each (89.20 above 90.25, not
    # 89.2), right-aligned, in the period's summary and in its months side by side
    import re

    from kpilib.report.period import PeriodReport

    result = period_result(ROOT / "params/channel_ops.yaml", "2024", tmp_path / "r.duckdb")
    report = PeriodReport(result)
    for html, column in ((str(report.summary()), 2), (str(report.months()), 13)):
        rows = re.findall(r"<tr>(.*?)</tr>", html.split("<tbody>")[1])
        assert len(rows) == 19
        cells = [re.findall(r"<td([^>]*)>(.*?)</td>", row)[column] for row in rows]
        assert all(attrs == ' class="num"' for attrs, _ in cells)
        assert all(re.fullmatch(r"\d{1,3}\.\d\d", value) for _, value in cells)


@pytest.mark.slow
def test_kpi_report_period_says_why_each_department_failed_and_goes_on(
    tmp_path, capsys, monkeypatch
):
    # a browser that does not start: each department's line says so and what to do,
    # with no traceback, and the second department is still tried
    from kpilib.report import pdf

    monkeypatch.setattr(pdf, "CHROMIUM", "/bin/false")
    argv = ["report", "--period", "2024", "--dept", "channel_ops", "mall_floor"]
    assert kpi(*argv, "--params", ROOT / "params", "--out", tmp_path) == 1
    err = capsys.readouterr().err
    failed = [line for line in err.splitlines() if line.startswith("失败")]
    assert [line.split("：")[0] for line in failed] == ["失败  channel_ops", "失败  mall_floor"]
    assert all(
        "Chromium（/bin/false）无法启动" in line and "KPILIB_CHROMIUM" in line for line in failed
    )
    assert "Traceback" not in err
