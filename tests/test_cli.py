"""The kpi command as an analyst runs it."""

import os
import re
import subprocess
import sys

import pandas as pd
import pytest

from kpilib.cli import main
from tests.conftest import ROOT

PLAN = str(ROOT / "params/channel_ops.yaml")


def test_score_writes_both_tables_and_a_summary(tmp_path, capsys):
    assert main(["score", PLAN, "--month", "2024-11", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "渠道运营中心 2024-11：19 人计分" in out
    # the plan's own pay gate (seed 000: 每次月度考核完成率低于60%者，免当月绩效奖金)
    assert "考核完成率 < 60%：潘君捷 40.8%" in out
    people = pd.read_csv(tmp_path / "people.csv", encoding="utf-8-sig")
    items = pd.read_csv(tmp_path / "items.csv", encoding="utf-8-sig")
    assert len(people) == 19 and list(people.columns[:4]) == [
        "person",
        "role",
        "english_name",
        "total",
    ]
    assert "reason" in items.columns and len(items) == 53


def test_score_refuses_to_overwrite_without_force(tmp_path, capsys):
    (tmp_path / "people.csv").write_text("earlier")
    assert main(["score", PLAN, "--month", "2024-11", "--out", str(tmp_path)]) == 2
    assert "已存在" in capsys.readouterr().err
    assert (tmp_path / "people.csv").read_text() == "earlier"
    assert not (tmp_path / "items.csv").exists()
    assert main(["score", PLAN, "--month", "2024-11", "--out", str(tmp_path), "--force"]) == 0


def test_bad_actuals_write_nothing_and_exit_non_zero(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("姓名,指标,实际值\n危鹤坚,GMV指标,abc\n", encoding="utf-8")
    out = tmp_path / "out"
    assert (
        main(["score", PLAN, "--month", "2024-11", "--actuals", str(bad), "--out", str(out)]) == 2
    )
    err = capsys.readouterr().err
    assert "bad.csv，第 2 行，人员 危鹤坚，列 实际值：'abc' 不是数字" in err
    assert "人员 '何嘉健' 在目标中，但没有实际值" in err
    assert not out.exists()


def test_a_month_without_actuals(capsys):
    assert main(["score", PLAN, "--month", "2023-01"]) == 2
    assert "没有 2023-01 的实际值" in capsys.readouterr().err


def test_help_explains_itself():
    done = subprocess.run(
        [sys.executable, "-m", "kpilib.cli", "score", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "--month" in done.stdout and "YYYY-MM" in done.stdout and "--force" in done.stdout


@pytest.mark.parametrize("month", ["2024-13", "202411", "Nov"])
def test_a_bad_month_is_refused(month, capsys):
    with pytest.raises(SystemExit):
        main(["score", PLAN, "--month", month])
    assert "YYYY-MM" in capsys.readouterr().err


# ---- kpi history, kpi lab (issue 11 #16, #17)


@pytest.fixture
def stored(tmp_path):
    from kpilib.months import month_result

    path = tmp_path / "r.duckdb"
    month_result(PLAN, "2024-11", path)  # scored once and saved with its input files
    return path


def test_kpi_history_is_readable(stored, capsys):
    # seed 003: every change recorded — an actual corrected to 2,160,000, points set to 25
    for change in (["--actual", "2160000"], ["--points", "25"]):
        item = "GMV指标" if change[0] == "--actual" else "有产客户数"
        args = ["adjust", PLAN, "--month", "2024-11", "--person", "危鹤坚", "--item", item]
        assert (
            main(
                [
                    *args,
                    *change,
                    "--reason",
                    "申诉",
                    "--by",
                    "王经理",
                    "--force",
                    "--store",
                    str(stored),
                ]
            )
            == 0
        )
    capsys.readouterr()
    assert main(["history", "--store", str(stored)]) == 0
    out = capsys.readouterr().out
    assert "部门" in out and "计分时间" in out and "新实际值" in out  # Chinese headers
    assert "2,160,000" in out and "2160000.0" not in out
    assert "NaN" not in out and "nan" not in out and "None" not in out
    stamps = re.findall(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d+)?", out)
    # three versions (scored, then once per adjustment) and two filing times, to the second
    assert len(stamps) == 5 and not any(stamps)
    assert "已应用" in out


def test_kpi_history_of_an_unknown_department_names_the_known_ones(stored, capsys):
    assert main(["history", "--store", str(stored), "--department", "nope"]) == 2
    err = capsys.readouterr().err
    assert "'nope'" in err and "channel_ops" in err


def test_kpi_lab_starts_jupyter_lab_in_notebooks(monkeypatch):
    from kpilib import cli

    monkeypatch.setattr("os.geteuid", lambda: 0)  # root: jupyter refuses without --allow-root
    command = cli.lab_command(["--port", "8899"])
    assert command[1:] == ["-m", "jupyter", "lab", "--port", "8899", "--allow-root"]
    monkeypatch.setattr("os.geteuid", lambda: 1000)
    assert "--allow-root" not in cli.lab_command([])


def test_kpi_lab_runs_jupyter_lab_from_notebooks_with_its_arguments(monkeypatch):
    seen = {}
    monkeypatch.setattr("os.chdir", lambda folder: seen.update(cwd=folder))
    monkeypatch.setattr("os.execv", lambda path, argv: seen.update(argv=argv))
    main(["lab", "--port", "8899", "--no-browser"])
    assert seen["cwd"] == ROOT / "notebooks"
    assert seen["argv"][1:6] == ["-m", "jupyter", "lab", "--port", "8899"]
    with pytest.raises(SystemExit):  # other commands still refuse what they do not know
        main(["history", "--port", "8899"])


def test_no_progress_bar_frames_in_a_log(monkeypatch, capsys, tmp_path):
    import kpilib.report.batch as batch
    from kpilib.report.batch import make_reports

    monkeypatch.setattr(batch, "_run", lambda work, jobs, tools=None: [])
    monkeypatch.setattr("kpilib.report.index.write_index", lambda *a, **k: None)
    make_reports("2024-11", params=ROOT / "params", out=tmp_path, progress=True)
    err = capsys.readouterr().err  # captured: not a terminal, as in a log or a pipe
    assert "\r" not in err and "kpi report" not in err


# ---- start-up (issue 13 #3): what a command does not need is never imported

HEAVY = ("pandas", "numpy", "duckdb", "pydantic", "yaml")


def _loaded_by(argv: list[str]) -> list[str]:
    """The top-level packages a ``kpi`` process with ``argv`` has imported when it ends."""
    code = (
        "import sys\nfrom kpilib.cli import main\n"
        f"try:\n    main({argv!r})\nexcept SystemExit:\n    pass\n"
        "print('\\n'.join(sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return sorted({m.split(".")[0] for m in done.stdout.split()} | set(done.stdout.split()))


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["score", "--help"],
        ["score", PLAN, "--month", "2024-13"],  # refused by argparse
        ["history", "--nope"],
        [],
    ],
)
def test_help_and_argument_errors_load_no_heavy_library(argv):
    loaded = _loaded_by(argv)
    assert [m for m in loaded if m in HEAVY] == []


def test_kpi_history_loads_no_plan_models(tmp_path):
    from kpilib import store
    from kpilib.months import score_month

    path = tmp_path / "r.duckdb"
    store.save(score_month(PLAN, "2024-11"), store=path)
    loaded = _loaded_by(["history", "--store", str(path)])
    assert "pandas" in loaded and "duckdb" in loaded  # it did read the store
    assert [m for m in loaded if m in ("pydantic", "yaml") or m.startswith("kpilib.engine")] == []


def test_the_kpi_program_ends_with_its_work_done(tmp_path):
    # run as the program, a store command ends without Python's teardown: its output,
    # exit code, files and store are as complete as with it
    path, out = tmp_path / "r.duckdb", tmp_path / "out"

    def kpi(*args):
        return subprocess.run(
            [sys.executable, "-m", "kpilib.cli", *args, "--store", str(path)],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )

    done = kpi("score", PLAN, "--month", "2024-11", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "19 人计分" in done.stdout and "当前为第 1 版" in done.stdout.splitlines()[-1]
    assert len(pd.read_csv(out / "people.csv", encoding="utf-8-sig")) == 19
    listed = kpi("history")
    assert listed.returncode == 0 and "channel_ops 2024-11" in listed.stdout
    refused = kpi("score", PLAN, "--month", "2024-11", "--out", str(out))
    assert refused.returncode == 2 and "已存在" in refused.stderr
    # the store was closed properly: nothing left to replay, readable by a new connection
    assert not path.with_name(path.name + ".wal").exists()
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    assert con.execute("SELECT count(*) FROM people").fetchone() == (19,)
    con.close()


@pytest.mark.parametrize(
    "lang, help_words, error_words",
    [
        (None, ["用法：kpi score", "选项", "显示本帮助并退出"], "参数 --month：后面须跟一个值"),
        ("en", ["usage: kpi score", "options", "show this help"], "expected one argument"),
    ],
)
def test_argparse_speaks_the_kits_language(lang, help_words, error_words):
    # issue 11 #8: CLI help and error messages in Chinese by default, argparse's own words too
    env = {k: v for k, v in os.environ.items() if k not in ("KPI_LANG", "LANG", "LC_ALL")}
    if lang:
        env["KPI_LANG"] = lang

    def kpi(*args):
        command = [sys.executable, "-m", "kpilib.cli", *args]
        return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=env)

    shown = kpi("score", "--help").stdout
    assert all(word in shown for word in help_words), shown
    refused = kpi("score", PLAN, "--month")
    assert refused.returncode == 2 and error_words in refused.stderr


def test_payroll_refuses_an_out_path_excel_would_not_open(tmp_path, capsys):
    # `--out pay` used to write a workbook named "pay", which Excel does not open
    out = tmp_path / "pay"
    store = ["--store", str(tmp_path / "s.duckdb")]
    assert main(["payroll", PLAN, "--month", "2024-11", "--out", str(out), *store]) == 2
    assert ".xlsx" in capsys.readouterr().err and not out.exists()
