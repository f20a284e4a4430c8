"""Workbooks the readers were not built on (issue 16, "real workbooks you have not seen").

Nine imitations of public Chinese appraisal templates (tests/wild_books.py). Each
either reads to the rows and totals worked out by hand from its cells, and the kit's
own totals agree with the sheet's, or fails with one problem naming what the file is
or the setting that fixes it.
"""

import pytest

from kpilib import score_month
from kpilib.sheets.inspect import inspect_file
from kpilib.sheets.layout import read_file
from tests import wild_books
from tests.test_inspect import plan_for


def rows(reading, *keys):
    keys = keys or ("person", "indicator", "weight", "score")
    return [tuple(r[k] for k in keys) for r in reading.rows]


def reconciled(tmp_path, path, indicators: dict, rule: str) -> list:
    """The sheet totals the kit does not reproduce (grades depend on the test plan's
    A/B/C/D bands, not on the reading, and are left out)."""
    plan = plan_for(tmp_path, path, {name: rule for name in indicators})
    report = inspect_file(path, plan)
    assert report["problems"] == []
    return [d for d in report["reconciled"] if "sheet_total" in d]


def test_monthly_form_with_title_labels_two_row_header_and_signatures(tmp_path):
    path = wild_books.monthly(tmp_path)
    r = read_file(path)
    # 考核维度 is the section over 考核指标; 得分 (points) is not the score: 上级评分 is
    assert rows(r, "person", "indicator", "section", "weight", "target", "actual", "score") == [
        ("王小明", "销售额（元）", "业绩指标", 0.3, 500000, 450000, 80),
        ("王小明", "新客户数", "业绩指标", 0.2, 20, 22, 100),
        ("王小明", "回款率", "业绩指标", 0.2, 0.95, 0.9, 85),
        ("王小明", "团队协作", "能力态度", 0.15, "-", "-", 90),
        ("王小明", "工作主动性", "能力态度", 0.15, "-", "-", 70),
    ]
    assert r.totals == {"王小明": 85} and r.problems == []
    assert {s["row"]: s["why"] for s in r.skipped}[11] == "「被考核人签」行，不是人员"
    # 30×80 + 20×100 + 20×85 + 15×90 + 15×70, /100 = 24 + 20 + 17 + 13.5 + 10.5 = 85
    names = [row[1] for row in rows(r, "person", "indicator")]
    assert reconciled(tmp_path, path, names, "{type: score}") == []


def test_annual_form_scored_in_points_with_a_review_text(tmp_path):
    path = wild_books.annual(tmp_path)
    r = read_file(path)
    # 考核内容 holds sentences: a description, not sub-items; 分值 40 is a 40% weight
    assert rows(r) == [
        ("李华", "工作业绩", 0.4, 36),
        ("李华", "工作能力", 0.3, 26),
        ("李华", "工作态度", 0.2, 18),
        ("李华", "团队合作", 0.1, 8),
    ]
    assert r.totals == {"李华": 88} and r.grades == {"李华": "良好"}
    assert r.columns["考核内容"] is None and r.columns["分值"] == "权重"
    report = inspect_file(path)
    # 36 + 26 + 18 + 8 = 88 = the sheet's 合计: the scores are points
    assert report["settings"]["rule"] == {"type": "score", "prefer": "leader", "as": "points"}
    names = ["工作业绩", "工作能力", "工作态度", "团队合作"]
    assert reconciled(tmp_path, path, names, "{type: score, as: points}") == []
    # read as 0-100 scores instead, the kit's total is 40×36/100 + … = 26.6: shown, not hidden
    (diff,) = reconciled(tmp_path, path, names, "{type: score}")
    assert diff["sheet_total"] == 88 and diff["kit_total"] == pytest.approx(26.6)


def test_kpi_library_is_not_appraisal_data(tmp_path):
    r = read_file(wild_books.kpi_library(tmp_path))
    assert [p.code for p in r.problems] == ["not_appraisal"]
    assert r.what.startswith("评分标准表或 KPI 指标库") and r.rows == []


def test_360_sheet_reads_the_weighted_score_not_one_rater(tmp_path):
    path = wild_books.three_sixty(tmp_path)
    r = read_file(path)
    # 沟通协作 of 周杰: 40%×85 + 30%×80 + 20%×90 + 10%×95 = 85.5 (加权得分), not 自评 95
    assert rows(r) == [
        ("周杰", "沟通协作", 0.3, 85.5),
        ("周杰", "专业能力", 0.4, 86.5),
        ("周杰", "责任心", 0.3, 86),
        ("赵敏", "沟通协作", 0.3, 75.5),
        ("赵敏", "专业能力", 0.4, 76.5),
        ("赵敏", "责任心", 0.3, 82),
    ]
    assert r.columns["自评（10%）"] is None and r.columns["加权得分"] == "得分"
    plan = plan_for(
        tmp_path, path, dict.fromkeys(["沟通协作", "专业能力", "责任心"], "{type: score}")
    )
    people = score_month(plan, "2024-11").people.set_index("person")["total"].to_dict()
    # 周杰: 0.3×85.5 + 0.4×86.5 + 0.3×86 = 25.65 + 34.6 + 25.8 = 86.05
    # 赵敏: 0.3×75.5 + 0.4×76.5 + 0.3×82 = 22.65 + 30.6 + 24.6 = 77.85
    assert people == pytest.approx({"周杰": 86.05, "赵敏": 77.85})


def test_360_sheet_without_a_weighted_score_is_one_problem(tmp_path):
    from openpyxl import load_workbook

    path = wild_books.three_sixty(tmp_path)
    wb = load_workbook(path)
    wb["360评估"].delete_cols(8)
    wb.save(path)
    r = read_file(path)
    assert [p.code for p in r.problems] == ["rater_columns"] and r.rows == []
    assert "加权得分" in r.problems[0].fix


def test_commission_sheet_is_not_appraisal_data(tmp_path):
    r = read_file(wild_books.commission(tmp_path))
    assert [p.code for p in r.problems] == ["not_appraisal"]
    assert r.what.startswith("销售提成核算表")


def test_wps_workbook_hidden_helper_column_and_list_sheet(tmp_path):
    path = wild_books.wps_helpers(tmp_path)
    r = read_file(path)
    # the hidden 辅助列 (1.0, 1.0, 0.8) is no indicator; the 下拉选项 sheet holds no table
    assert rows(r, "person", "indicator", "weight", "actual")[:3] == [
        ("陈晨", "接通率", 0.4, 95),
        ("陈晨", "满意度", 0.4, 90),
        ("陈晨", "质检", 0.2, 80),
    ]
    assert {row[1] for row in rows(r)} == {"接通率", "满意度", "质检"} and len(r.rows) == 9
    assert r.totals == {"陈晨": 90, "林琳": 96, "黄海": 72}
    assert r.grades == {"陈晨": "B", "林琳": "A", "黄海": "C"}
    assert next(s for s in r.sheets if s["name"] == "下拉选项")["why"] == "没有找到考核表"
    # 陈晨: 0.4×95 + 0.4×90 + 0.2×80 = 90; 林琳 40 + 38 + 18 = 96; 黄海 32 + 28 + 12 = 72
    assert reconciled(tmp_path, path, ["接通率", "满意度", "质检"], "{type: score}") == []


def test_subtotals_beside_a_merged_name_are_not_items(tmp_path):
    path = wild_books.sections_with_subtotals(tmp_path)
    r = read_file(path)
    assert rows(r, "person", "indicator", "section", "weight", "score") == [
        ("郑强", "产量达成率", "生产", 0.4, 39.2),
        ("郑强", "良品率", "生产", 0.3, 30),
        ("郑强", "安全事故", "管理", 0.2, 20),
        ("郑强", "5S检查", "管理", 0.1, 9.4),
        ("冯雪", "产量达成率", "生产", 0.4, 36),
        ("冯雪", "良品率", "生产", 0.3, 29.4),
        ("冯雪", "安全事故", "管理", 0.2, 0),
        ("冯雪", "5S检查", "管理", 0.1, 10),
    ]
    assert r.totals == {"郑强": 98.6, "冯雪": 75.4}
    assert [s["why"] for s in r.skipped].count("「小计」行，不是人员") == 4
    names = ["产量达成率", "良品率", "安全事故", "5S检查"]
    # 39.2 + 30 + 20 + 9.4 = 98.6; 36 + 29.4 + 0 + 10 = 75.4: 得分 are points
    assert reconciled(tmp_path, path, names, "{type: score, as: points}") == []


def test_one_sheet_per_department_with_several_people(tmp_path):
    r = read_file(wild_books.per_department(tmp_path))
    assert rows(r, "person", "indicator", "weight", "target", "actual") == [
        ("蒋文", "销售额", 0.7, 1000000, 900000),
        ("蒋文", "回款率", 0.3, 0.95, 0.95),
        ("韩梅", "销售额", 0.7, 300000, 330000),
        ("韩梅", "回款率", 0.3, 0.95, 0.85),
        ("杨帆", "需求按期交付率", 0.6, 0.95, 1.0),
        ("杨帆", "线上缺陷数", 0.4, 2, 3),
        ("朱琳", "用例覆盖率", 1.0, 0.9, 0.81),
    ]
    assert [row["sheet"] for row in r.rows] == ["销售部"] * 4 + ["技术部"] * 3


def test_gbk_export_from_an_hr_suite_with_trailing_empty_columns(tmp_path):
    r = read_file(wild_books.hr_suite_csv(tmp_path))
    assert r.encoding == "GB18030" and r.problems == []
    assert rows(r, "person", "indicator", "weight", "target", "actual", "score") == [
        ("许静", "费用预算控制率", 0.5, 1.0, 0.96, 48),
        ("许静", "会议组织满意度", 0.5, 90, 92, 50),
        ("何亮", "费用预算控制率", 0.5, 1.0, 1.05, 40),
        ("何亮", "会议组织满意度", 0.5, 90, 80, 44.4),
    ]
    assert r.columns["员工编号"] == "工号" and r.columns["所属部门"] is None
