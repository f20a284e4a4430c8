"""Messages are Chinese by default and English on request, from one gettext catalog.

Issue 11 #8: every text a user reads is Chinese by default (plan validation errors
included: today's "Value error, cap 0.5 is below floor"), English when KPI_LANG (or
LANG/LC_ALL) asks for it, and no message is written twice in code.
"""

from __future__ import annotations

import ast
import gettext
import html
import io
import json
import os
import re
import string
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from kpilib.errors import DataError, Problem
from kpilib.i18n import VARIABLES, language

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "kpilib/locale/en/LC_MESSAGES/kpilib.po"
MO = PO.with_suffix(".mo")

# an unknown key and a zero scale, and (checked once the keys are right) grades going up
BAD_PLAN = """\
department: t
name: 测试
scale: 0
sources: {targets: t.csv, actuals: a.csv}
indicators:
  GMV: {rule: {type: ratio}, colour: red}
grades: [{name: 优秀, min: 60}, {name: 良好, min: 80}, {name: 不合格}]
"""
GRADES_UP = BAD_PLAN.replace("scale: 0", "scale: 100").replace(", colour: red", "")

SHOW = """
from kpilib.engine.plan import load_plan
from kpilib.errors import PlanError
try:
    load_plan({path!r})
except PlanError as exc:
    print(exc)
    print(sorted(p.code for p in exc.problems))
"""


def run(tmp_path, plan=BAD_PLAN, **env) -> str:
    """The plan error as a fresh process prints it, with ``env`` as its only language variables."""
    path = tmp_path / "t.yaml"
    path.write_text(plan, encoding="utf-8")
    clean = {k: v for k, v in os.environ.items() if k not in ("KPI_LANG", "LC_ALL", "LANG")}
    result = subprocess.run(
        [sys.executable, "-c", SHOW.format(path=str(path))],
        env={**clean, "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


CODES = "['extra_forbidden', 'greater_than']"


def test_a_plan_validation_error_is_chinese_by_default(tmp_path):
    out = run(tmp_path, LANG="C.UTF-8")
    assert out.startswith("2 个问题：")
    assert "indicators.GMV.colour：不认识的键 'colour'（读到 'red'）。改法：删掉它" in out
    assert "scale：应大于 0（读到 0）。改法：见 docs/plan-format.md" in out
    assert "Fix" not in out and "should" not in out
    assert out.strip().endswith(CODES)
    # a validator's own message, without pydantic's "Value error, " prefix
    out = run(tmp_path, GRADES_UP)
    assert "t.yaml：grades：各等级的 min [60.0, 80.0] 必须从高到低逐个变小" in out
    assert "Value error" not in out
    assert out.strip().endswith("['value_error']")


@pytest.mark.parametrize(
    "env", [{"KPI_LANG": "en"}, {"LANG": "en_US.UTF-8"}, {"LC_ALL": "en_GB.UTF-8", "LANG": "zh_CN"}]
)
def test_the_same_error_is_english_when_asked(tmp_path, env):
    out = run(tmp_path, **env)
    assert out.startswith("2 problems:")
    assert "indicators.GMV.colour: unknown key 'colour' (got 'red'). Fix: remove it" in out
    assert "scale: should be greater than 0 (got 0). Fix: see docs/plan-format.md" in out
    assert out.strip().endswith(CODES)  # the codes never change with the language
    out = run(tmp_path, GRADES_UP, **env)
    assert "t.yaml: grades: min values [60.0, 80.0] must go strictly down" in out
    assert out.strip().endswith("['value_error']")


def test_kpi_lang_wins_over_the_machines_locale(tmp_path):
    assert run(tmp_path, KPI_LANG="zh_CN", LANG="en_US.UTF-8").startswith("2 个问题：")


@pytest.mark.parametrize(
    "environ, expected",
    [
        ({}, "zh"),
        ({"LANG": "C.UTF-8"}, "zh"),
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LC_ALL": "zh_CN.UTF-8", "LANG": "en_US.UTF-8"}, "zh"),
        ({"KPI_LANG": "EN"}, "en"),
        ({"KPI_LANG": "", "LANG": "en"}, "en"),  # an empty variable is not set
    ],
)
def test_language_follows_kpi_lang_then_the_posix_order(environ, expected):
    assert language(environ) == expected


def test_a_problem_reads_place_message_and_fix_in_chinese():
    problem = Problem(
        "'七成' 不是数字。", "写数字", file="f.csv", where="第 2 行", person="甲", column="权重"
    )
    assert str(problem) == "f.csv，第 2 行，人员 甲，列 权重：'七成' 不是数字。改法：写数字"
    many = DataError([Problem(f"问题 {i}", code="x") for i in range(12)])
    assert str(many).splitlines()[0] == "12 个问题："
    assert str(many).splitlines()[-1] == "  ……另有 2 个"


# ------------------------------------------------------------------ the catalog itself


def extracted() -> set[str]:
    """Every msgid in the code, found as ``pybabel extract -F babel.cfg`` finds them."""
    found = extract_from_dir(str(ROOT / "kpilib"), method_map=[("**.py", "python")])
    return {message for _, _, message, _, _ in found if isinstance(message, str)}


def catalog():
    with open(PO, "rb") as handle:
        return read_po(handle)


def test_every_message_in_the_code_is_in_the_english_catalog():
    po = {m.id for m in catalog() if m.id}
    code = extracted()
    missing, stale = sorted(code - po), sorted(po - code)
    assert missing == [], "run the pybabel extract/update/compile steps of docs/i18n.md"
    assert stale == [], "obsolete entries: run pybabel update (docs/i18n.md)"


def fields(text: str) -> list:
    return sorted(
        (name, conversion) for _, name, _, conversion in string.Formatter().parse(text) if name
    )


def test_every_message_is_translated_with_the_same_placeholders():
    for message in catalog():
        if not message.id:
            continue
        assert message.string, f"untranslated: {message.id!r}"
        assert not message.fuzzy, f"fuzzy: {message.id!r}"
        assert fields(message.string) == fields(message.id), message.id


def test_the_committed_mo_is_the_compiled_po():
    compiled = io.BytesIO()
    write_mo(compiled, catalog())
    compiled.seek(0)
    fresh = gettext.GNUTranslations(compiled)
    with open(MO, "rb") as handle:
        committed = gettext.GNUTranslations(handle)
    assert committed._catalog == fresh._catalog, "run pybabel compile (docs/i18n.md)"


def test_messages_are_templates_not_formatted_strings():
    """``_(f"…")`` or ``_("…".format())`` would look up a text no catalog holds."""
    wrong = []
    for path in (ROOT / "kpilib").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("_", "N_")
                and node.args
                and isinstance(node.args[0], ast.JoinedStr | ast.Call | ast.BinOp)
            ):
                wrong.append(f"{path.relative_to(ROOT)}:{node.lineno}")
            if isinstance(node, ast.JoinedStr):  # pybabel does not look inside f-strings
                inside = [n for n in ast.walk(node) if isinstance(n, ast.Call)]
                if any(isinstance(n.func, ast.Name) and n.func.id == "_" for n in inside):
                    wrong.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert wrong == []


def _binds_underscore(function: ast.AST) -> bool:
    """Whether ``function`` assigns ``_`` in its own scope (not in a comprehension or a
    nested function), which makes every ``_("…")`` in it an UnboundLocalError."""
    stack = list(ast.iter_child_nodes(function))
    while stack:
        node = stack.pop()
        if isinstance(
            node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.comprehension
        ):
            continue
        if isinstance(node, ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp):
            continue
        if isinstance(node, ast.Name) and node.id == "_" and isinstance(node.ctx, ast.Store):
            return True
        stack.extend(ast.iter_child_nodes(node))
    return False


def test_no_function_hides_the_translation_function():
    """``for _, row in ...`` beside ``_("…")`` in one function breaks only on the error path."""
    wrong = []
    for path in (ROOT / "kpilib").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and _binds_underscore(node):
                calls = any(
                    isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "_"
                    for n in ast.walk(node)
                )
                if calls:
                    wrong.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}")
    assert wrong == []


# ------------------------------------------------------------------ the reports themselves

RENDER = """
import json
from kpilib.report.period import PeriodReport
from kpilib.report.sections import MonthReport
month = MonthReport.load("channel_ops", "2024-11", plan_path={plan!r}, save=False)
shown = {{n: str(getattr(month, n)()) for n in
         ("title", "headline", "indicators", "ranking", "trend", "below_threshold", "pay",
          "workings")}}
period = PeriodReport.load("channel_ops", "2024-Q4", plan_path={plan!r}, save=False)
shown.update({{"period." + n: str(getattr(period, n)()) for n in
              ("title", "summary", "months", "rules", "pay")}})
plan, people = month.plan, month.result.people
gates = plan.pay.gates if plan.pay and plan.pay.gates else []
rules = plan.consequences.rules if plan.consequences else []
data = [plan.name, plan.title, *plan.indicators, *(g.name for g in plan.grades),
        *people["person"], *people["role"], *(g.name for g in gates),
        *(r.action for r in rules), *(r.seed or "" for r in rules), *(g.seed or "" for g in gates)]
print(json.dumps({{"shown": shown, "data": [d for d in data if d]}}, ensure_ascii=False))
"""
CJK = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]")


def render(tmp_path, **env) -> tuple[dict, list]:
    """The channel_ops November report's sections and its Q4 period report, as a fresh
    process with ``env`` as its only language variables renders them (its own store, so
    every reason is written in that language), and the plan's and people's own words."""
    clean = {k: v for k, v in os.environ.items() if k not in (*VARIABLES, "KPI_STORE")}
    result = subprocess.run(
        [sys.executable, "-c", RENDER.format(plan=str(ROOT / "params/channel_ops.yaml"))],
        env={**clean, "PYTHONPATH": str(ROOT), "KPI_STORE": str(tmp_path / "s.duckdb"), **env},
        capture_output=True,
        text=True,
        check=True,
    )
    out = json.loads(result.stdout)
    return out["shown"], out["data"]


class Headings(HTMLParser):
    """The text of every heading, table header and caption of a page."""

    TAGS = {"h1", "h2", "h3", "th", "figcaption"}

    def __init__(self, markup: str):
        super().__init__()
        self.found, self.open = [], []
        self.feed(markup)

    def handle_starttag(self, tag, attrs):
        if tag in self.TAGS:
            self.open.append([tag, ""])

    def handle_endtag(self, tag):
        if self.open and self.open[-1][0] == tag:
            self.found.append(tuple(self.open.pop()))

    def handle_data(self, data):
        if self.open:
            self.open[-1][1] += data


def test_the_reports_speak_english_when_asked_except_for_names_and_the_plans_words(tmp_path):
    shown, data = render(tmp_path, KPI_LANG="en")
    for section, markup in shown.items():
        visible = html.unescape(re.sub(r"<[^>]+>", " ", markup))
        for words in sorted(data, key=len, reverse=True):  # 商务岗 before 商务
            visible = visible.replace(words, "")
        assert not CJK.search(visible), (section, CJK.findall(visible), visible[:300])
    headings = [t for s in shown.values() for t in Headings(s).found]
    assert ("h2", "Ranking") in headings and ("th", "Name") in headings
    assert ("h2", "Monthly scores") in headings  # the period report's


@pytest.mark.parametrize("env", [{}, {"LANG": "C.UTF-8"}], ids=["no LANG", "C.UTF-8"])
def test_a_fresh_debian_machine_gets_the_reports_in_chinese(tmp_path, env):
    # Debian's images set no LANG, or C.UTF-8: neither asks for English
    shown, _data = render(tmp_path, **env)
    found = {s: Headings(m).found for s, m in shown.items()}
    assert found["title"][0][1] == "渠道运营中心 · 2024-11 绩效考核报告"
    assert [t for tag, t in found["ranking"] if tag == "th"][:6] == [
        "名次",
        "姓名",
        "岗位",
        "总分",
        "等级",
        "考核完成率",
    ]
    assert [t for tag, t in found["pay"] if tag in ("h2", "h3")] == [
        "绩效工资与处理",
        "绩效工资",
        "在执行的考核结果处理",
    ]
    assert ("h2", "各月得分") in found["period.months"]
    assert ("h2", "各指标汇总（按权重排序）") in found["indicators"]
    assert not re.search(r"\b(Ranking|Name|Total|People|Note)\b", "".join(shown.values()))
