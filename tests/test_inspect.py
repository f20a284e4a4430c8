"""kpi inspect, given scores and the sheet's own totals reconciled (issue 16, layouts 3, 4, 11)."""

import json

import pytest

from kpilib import score_month
from kpilib.cli import main
from kpilib.engine.plan import load_plan
from kpilib.errors import DataError
from kpilib.sheets.inspect import inspect_file
from tests.test_layout import LI, ZHANG, book, form

PLAN = """\
department: forms
name: 研发部
sources:
  targets: {file}
  targets_layout: sheet
  actuals: {file}
indicators:
{indicators}
grades:
  - {{name: A, min: 90}}
  - {{name: B, min: 80}}
  - {{name: C, min: 60}}
  - {{name: D}}
"""


def plan_for(tmp_path, file, indicators: dict, bonus=()):
    lines = "\n".join(
        f"  {name}: {{rule: {rule}{', bonus: true' if name in bonus else ''}}}"
        for name, rule in indicators.items()
    )
    path = tmp_path / "forms.yaml"
    path.write_text(PLAN.format(file=file.name, indicators=lines), encoding="utf-8")
    return load_plan(path)


SCORED = {"工作质量": "{type: score}", "工作效率": "{type: score}", "团队协作": "{type: score}"}


def forms_book(tmp_path, li_total=75, li_grade=None):
    sheet = form("张三", ZHANG, 88, "B") + [[]] + form("李四", LI, li_total, li_grade)
    return book(tmp_path / "forms.xlsx", {"考核表": sheet})


def test_3_given_scores_score_with_the_leaders_score_first(tmp_path):
    path = forms_book(tmp_path)
    people = score_month(plan_for(tmp_path, path, SCORED), "2024-11").people.set_index("person")
    # 张三: 40 × 85/100 + 30 × 80/100 + 30 × 100/100 (self score: no leader score) = 34 + 24 + 30
    # 李四: 50 × 60/100 + 50 × 90/100 = 30 + 45
    assert people["total"].to_dict() == {"张三": 88.0, "李四": 75.0}


def test_3_prefer_self(tmp_path):
    path = forms_book(tmp_path)
    self_first = {k: "{type: score, prefer: self}" for k in SCORED}
    people = score_month(plan_for(tmp_path, path, self_first), "2024-11").people
    # 李四: 50 × 70/100 + 50 × 80/100
    assert people.set_index("person")["total"]["李四"] == 75.0
    # 张三: 40 × 90/100 + 30 × 80/100 + 30 × 100/100 = 36 + 24 + 30
    assert people.set_index("person")["total"]["张三"] == 90.0


def test_4_sheet_totals_and_grades_that_agree_are_not_listed(tmp_path):
    path = forms_book(tmp_path)
    report = inspect_file(path, plan_for(tmp_path, path, SCORED))
    assert report["totals"] == {"张三": 88, "李四": 75} and report["reconciled"] == []


def test_4_every_disagreement_is_listed(tmp_path):
    # the sheet says 李四 78 and B; the kit computes 50 × 60/100 + 50 × 90/100 = 75, grade C
    path = forms_book(tmp_path, li_total=78, li_grade="B")
    report = inspect_file(path, plan_for(tmp_path, path, SCORED))
    assert report["reconciled"] == [
        {"person": "李四", "sheet_total": 78, "kit_total": 75.0, "difference": -3.0},
        {"person": "李四", "sheet_grade": "B", "kit_grade": "C"},
    ]


def wide_with_bonus(tmp_path):
    return book(
        tmp_path / "bonus.xlsx",
        {
            "11月": [
                ["姓名", "质量得分 50%", "效率得分 50%", "额外加分 10%", "总分"],
                ["张三", 90, 80, 100, 95],
                ["李四", 60, 70, None, 65],
            ]
        },
    )


def test_11_a_bonus_column_outside_the_weights(tmp_path):
    path = wide_with_bonus(tmp_path)
    scored = {"质量得分": "{type: score}", "效率得分": "{type: score}", "额外加分": "{type: score}"}
    without = inspect_file(path, plan_for(tmp_path, path, scored))
    assert [(p["code"], p["person"]) for p in without["problems"]] == [("weights_not_100", "张三")]
    assert "bonus: true" in without["settings"]["bonus"]
    plan = plan_for(tmp_path, path, scored, bonus={"额外加分"})
    people = score_month(plan, "2024-11").people.set_index("person")
    # 张三: 50 × 90/100 + 50 × 80/100 = 85, plus 10 × 100/100 outside the weights = 95
    assert people.loc["张三", ["weighted_points", "bonus_points", "total"]].tolist() == [85, 10, 95]
    assert people.loc["李四", "total"] == 65  # 30 + 35, no bonus
    assert inspect_file(path, plan)["reconciled"] == []


def test_a_score_above_full_marks_is_refused(tmp_path):
    path = book(
        tmp_path / "a.xlsx",
        {"Sheet1": [["姓名", "考核项目", "权重", "得分"], ["张三", "质量", 1, 120]]},
    )
    with pytest.raises(DataError) as err:
        score_month(plan_for(tmp_path, path, {"质量": "{type: score}"}), "2024-11")
    assert [(p.code, p.person, p.where) for p in err.value.problems] == [
        ("score_out_of_range", "张三", "第 2 行")
    ]


def test_an_unknown_indicator_is_one_problem_not_one_per_person(tmp_path):
    path = forms_book(tmp_path)
    report = inspect_file(path, plan_for(tmp_path, path, {"工作质量": "{type: score}"}))
    unknown = [p for p in report["problems"] if p["code"] == "unknown_indicator"]
    assert [p["message"][:8] for p in unknown] == ["指标「工作效率」", "指标「团队协作」"]


def test_kpi_inspect_json_has_the_issues_shape(tmp_path, capsys):
    path = forms_book(tmp_path)
    assert main(["inspect", str(path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {"file", "sheets", "columns", "rows", "totals", "grades", "skipped", "problems"} <= set(
        out
    )
    assert out["rows"][0] == {
        "person": "张三",
        "indicator": "工作质量",
        "weight": 0.4,
        "target": None,
        "actual": None,
        "score": 85,
    }
    assert out["people"]["张三"] == {"items": 3, "weight": 1.0}


def test_kpi_inspect_text_in_chinese(tmp_path, capsys):
    path = forms_book(tmp_path, li_total=78)
    plan = plan_for(tmp_path, path, SCORED)
    assert main(["inspect", str(path), "--plan", str(plan.path)]) == 0
    out = capsys.readouterr().out
    assert "张三  3 项  权重合计 100%  表内总分 88  表内等级 B" in out
    assert "总分不一致：李四 表内 78，kit 75，差 -3" in out
    assert "考核表 第 7 行：「合计」行，不是人员" in out


def test_kpi_inspect_not_appraisal_exit_code(tmp_path, capsys):
    path = tmp_path / "花名册.csv"
    path.write_text("工号,姓名,入职日期,联系电话\nE1,张三,2020-01-01,138\n", encoding="gbk")
    assert main(["inspect", str(path)]) == 1
    out = capsys.readouterr().out
    assert "编码 GB18030" in out and "员工花名册" in out
