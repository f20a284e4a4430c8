"""The kpi command as an analyst runs it."""

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
    assert "渠道运营中心 2024-11: 19 people scored" in out
    # the plan's own pay gate (seed 000: 每次月度考核完成率低于60%者，免当月绩效奖金)
    assert "考核完成率 < 60%: 潘君捷 40.8%" in out
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
    assert "bad.csv, row 2, person 危鹤坚, column 实际值: 'abc' is not a number" in err
    assert "person '何嘉健' is in the targets but has no actuals" in err
    assert not out.exists()


def test_a_month_without_actuals(capsys):
    assert main(["score", PLAN, "--month", "2023-01"]) == 2
    assert "no actuals for 2023-01" in capsys.readouterr().err


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
