"""Forced distribution by ratios, min/max, groups, ties; reviewer overrides; the budget."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kpilib.engine.scoring import score
from kpilib.errors import PlanError
from kpilib.outcomes import distribution, pay
from kpilib.outcomes.calibrate import calibrate
from tests.conftest import ROOT, actuals, make_plan, targets

ONE = {"销售额": {"rule": {"type": "ratio"}}}
# seed 002 #8: "20.员工考核评分以100分为满分,等第分为五等。...每一项目的成绩分布情形,应考虑
# 考绩正态分布比率,其比率相差太高时,请复核人员酌情加以调整"
NORMAL = [
    {"grade": "优秀", "share": "10%"},
    {"grade": "良好", "share": "20%"},
    {"grade": "合格", "share": "50%"},
    {"grade": "不合格", "share": "20%"},
]


def month(plan, totals: dict, roles=None):
    t = targets([(p, "销售额", 1.0, 100) for p in totals])
    if roles:
        t["role"] = [roles[p] for p in totals]
    return score(plan, t, actuals([(p, "销售额", v) for p, v in totals.items()]), month="2024-11")


TEN = {f"员{i}": 69 - i for i in range(10)}  # 69, 68, ..., 60: all 合格 by score


def test_shares_place_a_team_scoring_60_to_69_by_rank():
    # quotas alone leave all ten in 合格; the ratios place them by rank:
    # 10% × 10 = 1 优秀, 20% = 2 良好, 50% = 5 合格, 20% = 2 不合格
    plan = make_plan(ONE, calibration={"distribution": {"ratios": NORMAL}})
    out = calibrate(month(plan, TEN)).set_index("person")
    assert out["grade"].tolist() == ["优秀"] + ["良好"] * 2 + ["合格"] * 5 + ["不合格"] * 2
    assert out.loc["员0", "calibration"].startswith("强制分布（优秀 10%、良好 20%")
    assert out.loc["员3", "calibration"] == ""  # 合格 before and after


def test_min_and_max_shares():
    # 优秀 at most 20%, 不合格 at least 10% of 10 people
    plan = make_plan(
        ONE,
        calibration={
            "distribution": {
                "ratios": [{"grade": "优秀", "max": "20%"}, {"grade": "不合格", "min": "10%"}]
            }
        },
    )
    totals = dict(zip("ABCDEFGHIJ", [95, 93, 91, 85, 82, 75, 70, 65, 62, 61], strict=True))
    out = calibrate(month(plan, totals)).set_index("person")
    # 95, 93 优秀 (2 places); 91 moves to 良好 with 85, 82; 75..62 合格; the lowest, 61, fills
    # 不合格's minimum of ceil(10% × 10) = 1
    assert "".join(out.loc[out["grade"] == "优秀"].index) == "AB"
    assert "".join(out.loc[out["grade"] == "良好"].index) == "CDE"
    assert "".join(out.loc[out["grade"] == "合格"].index) == "FGHI"
    assert "".join(out.loc[out["grade"] == "不合格"].index) == "J"


def test_by_role_and_ties_up():
    ratios = [{"grade": "优秀", "share": "50%"}, {"grade": "良好", "share": "50%"}]
    plan = make_plan(
        ONE, calibration={"distribution": {"ratios": ratios, "by": "role", "ties": "up"}}
    )
    totals = {"甲": 90, "乙": 90, "丙": 80, "丁": 70, "戊": 95, "己": 60}
    roles = {
        "甲": "商务岗",
        "乙": "商务岗",
        "丙": "商务岗",
        "丁": "商务岗",
        "戊": "运营岗",
        "己": "运营岗",
    }
    out = calibrate(month(plan, totals, roles)).set_index("person")
    # 商务岗 (4): 2 优秀 places → 甲, 乙; 运营岗 (2): 1 place → 戊
    assert out["grade"].to_dict() == {
        "甲": "优秀",
        "乙": "优秀",
        "丙": "良好",
        "丁": "良好",
        "戊": "优秀",
        "己": "良好",
    }
    # ties up: 3 people at 90 in one group of 4 with 1 place (25%): all three 优秀
    plan = make_plan(
        ONE,
        calibration={
            "distribution": {
                "ratios": [{"grade": "优秀", "share": "25%"}, {"grade": "良好", "share": "75%"}],
                "ties": "up",
            }
        },
    )
    out = calibrate(month(plan, {"甲": 90, "乙": 90, "丙": 90, "丁": 70})).set_index("person")
    assert out["grade"].tolist() == ["优秀", "优秀", "优秀", "良好"]


def test_reviewer_override_is_recorded_with_who_and_why():
    # seed 002 #8: "21.各级复核人员可依规定修改下级考核人员成绩"
    plan = make_plan(ONE, calibration={"distribution": {"ratios": NORMAL}})
    override = [
        {"person": "员9", "grade": "合格", "made_by": "张经理", "reason": "病假返岗，酌情调整"}
    ]
    out = calibrate(month(plan, TEN), overrides=override).set_index("person")
    assert out.loc["员9", "grade"] == "合格" and out.loc["员9", "grade_before"] == "合格"
    assert out.loc["员9", "calibration"] == "复核调整（张经理）：病假返岗，酌情调整 → 合格"
    with pytest.raises(PlanError) as err:
        calibrate(
            month(plan, TEN),
            overrides=[{"person": "员9", "grade": "合格", "made_by": "", "reason": ""}],
        )
    assert err.value.problems[0].person == "员9"


def test_the_budget_is_shown_before_applying():
    # base 1000 × total / 100 × 绩效系数 (优秀 1.2, 良好 1.0, 合格 0.8, 不合格 0)
    plan = make_plan(
        ONE,
        calibration={"distribution": {"ratios": NORMAL}},
        pay={
            "form": "score",
            "base": {"": 1000},
            "grade_factor": {"优秀": 1.2, "良好": 1, "合格": 0.8, "不合格": 0},
        },
    )
    result = month(plan, TEN)
    after = calibrate(result)
    table = distribution.preview(result.people, after, plan, lambda p: pay.compute(p, plan))
    table = table.set_index("grade")
    assert table["before"].tolist() == [0, 0, 10, 0] and table["after"].tolist() == [1, 2, 5, 2]
    # before: all 合格: (690 + 680 + ... + 600) × 0.8 = 6450 × 0.8 = 5160
    assert table["pay_before"].sum() == Decimal("5160.00")
    # after: 690 × 1.2 = 828; 680 + 670 = 1350; (660 + ... + 620) × 0.8 = 2560; 不合格 0
    assert table.loc["优秀", "pay_after"] == Decimal("828.00")
    assert table["pay_after"].sum() == Decimal("4738.00")


# ------------------------------------------------------------------ 复核调整 kept in the store


@pytest.fixture
def mall(tmp_path):
    """The mall plan with 绩效系数 by grade (the case's own: 优秀 1.2, 良好 1.0, 合格 0.8,
    不合格 0) in a temporary project, its 2024-11 stored."""
    import shutil

    import kpilib
    from kpilib import store as results

    (tmp_path / "params").mkdir()
    text = (ROOT / "params/mall_floor.yaml").read_text(encoding="utf-8")
    factor = "  grade_factor: {优秀: 1.2, 良好: 1.0, 合格: 0.8, 不合格: 0}\n"
    text = text.replace(
        "  base: {楼面主管: 600, 楼面助理: 500}\n",
        "  base: {楼面主管: 600, 楼面助理: 500}\n" + factor,
    )
    assert factor in text
    path = tmp_path / "params/mall_floor.yaml"
    path.write_text(text, encoding="utf-8")
    shutil.copytree(ROOT / "data/mall_floor", tmp_path / "data/mall_floor")
    store = tmp_path / "r.duckdb"
    plan = kpilib.load_plan(path)
    results.save(kpilib.score_month(plan, "2024-11"), files=[], store=store)
    return plan, store


def test_kpi_review_is_stored_and_payroll_and_the_report_apply_it(mall):
    # seed 002 #8: "21.各级复核人员可依规定修改下级考核人员成绩"
    from kpilib import ledger
    from kpilib.cli import main
    from kpilib.months import history
    from kpilib.report.sections import MonthReport
    from kpilib.sheets import payroll

    plan, store = mall
    before = payroll.frame(plan, "2024-11", store).set_index("person")
    # 钱进 (楼面主管) 87.95 → 良好: 600 × 87.95 / 100 × 1.0 = 527.70
    assert (before.loc["钱进", "grade"], before.loc["钱进", "performance_pay"]) == (
        "良好",
        Decimal("527.70"),
    )
    argv = [
        "review",
        str(plan.path),
        "--month",
        "2024-11",
        "--person",
        "钱进",
        "--store",
        str(store),
    ]
    assert (
        main([*argv, "--grade", "合格", "--reason", "顾客投诉复核属实", "--by", "商场总经理"]) == 0
    )
    after = payroll.frame(plan, "2024-11", store).set_index("person")
    qian = after.loc["钱进"]
    # 合格: 527.70 × 0.8 = 422.16
    assert (qian["grade_before"], qian["grade"], qian["performance_pay"]) == (
        "良好",
        "合格",
        Decimal("422.16"),
    )
    assert qian["calibration"] == "复核调整（商场总经理）：顾客投诉复核属实 → 合格"
    assert after.drop(index="钱进")["grade"].equals(before.drop(index="钱进")["grade"])
    html = MonthReport(history(plan, "2024-11", store)).pay().markup
    assert "复核调整（商场总经理）：顾客投诉复核属实 → 合格" in html
    # a second review of the same month replaces the first; both stay recorded
    assert main([*argv, "--grade", "良好", "--reason", "投诉已撤回", "--by", "商场总经理"]) == 0
    assert payroll.frame(plan, "2024-11", store).set_index("person").loc["钱进", "grade"] == "良好"
    from kpilib.store import connect

    with connect(store) as con:
        assert con.execute("SELECT count(*) FROM grade_reviews").fetchone()[0] == 2
    assert ledger.reviews("mall_floor", "2024-11", store)["reason"].tolist() == ["投诉已撤回"]


def test_a_review_needs_a_grade_of_the_plan_a_reason_and_a_person_of_the_month(mall):
    from kpilib import ledger
    from kpilib.errors import DataError, KpiError

    plan, store = mall
    with pytest.raises(KpiError) as err:
        ledger.record_review(plan, "2024-11", "钱进", "良", reason=" ", by="", store=store)
    assert {p.code for p in err.value.problems} == {"unknown_grade", "missing_reason"}
    with pytest.raises(DataError) as err:
        ledger.record_review(plan, "2024-11", "钱近", "合格", reason="x", by="y", store=store)
    assert err.value.problems[0].code == "unknown_person" and "钱进" in str(err.value)
    with pytest.raises(DataError) as err:
        ledger.record_review(plan, "2024-10", "钱进", "合格", reason="x", by="y", store=store)
    assert err.value.problems[0].code == "month_not_stored"


def test_the_explanation_and_the_scorecard_pay_what_payroll_pays_after_a_review(mall, tmp_path):
    # seed 002 #8: "21.各级复核人员可依规定修改下级考核人员成绩": the pay that follows the
    # reviewed grade is the one payroll pays, and the one every explanation of it shows
    from kpilib import ledger
    from kpilib.explain import explain
    from kpilib.months import history
    from kpilib.report.scorecards import write_scorecards
    from kpilib.report.sections import MonthReport

    plan, store = mall
    ledger.record_review(
        plan, "2024-11", "钱进", "合格", reason="投诉属实", by="总经理", store=store
    )
    # 钱进 楼面主管 87.95, 合格: 600 × 87.95 / 100 × 0.8 = 422.16 (良好 would be 527.70)
    why = explain(plan, "钱进", "2024-11", store=store)
    assert why.summary["performance_pay"] == Decimal("422.16")
    steps = why.steps.set_index("kind")
    assert steps.loc["calibration", "arithmetic"] == "复核调整（总经理）：投诉属实 → 合格"
    assert steps.loc["calibration", "inputs"] == "原等级 良好"
    pay_step = steps.loc["pay", "arithmetic"]
    assert pay_step == "600.00 × 87.95 / 100 = 527.70；等级系数 ×0.8 = 422.16"
    report = MonthReport(history(plan, "2024-11", store))
    assert "等级系数 ×0.8 = 422.16" in report.explanations().markup  # the notebooks' workings
    card = write_scorecards(report, tmp_path / "cards")["钱进"].read_text(encoding="utf-8")
    assert "绩效工资 422.16 元" in card and "等级系数 ×0.8 = 422.16" in card
    assert "总分 87.95 · 合格（校准前 良好）" in card  # as the report's ranking shows it
    assert "等级系数 ×1 = 527.70" not in card
