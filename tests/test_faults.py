"""Faults and hostile input (issue 12): nothing partial, nothing lost, no traceback.

Each test makes its fault for real in a temporary folder: hostile plan files, a
store held by another process, a corrupt store, a full disk (RLIMIT_FSIZE), a
killed ``kpi report``, several processes at once.
"""

from __future__ import annotations

import pytest

from kpilib.engine.formula import Formula, FormulaError
from kpilib.engine.plan import load_plan
from kpilib.errors import PlanError
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
