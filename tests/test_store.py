"""The results store: versions, transactions, crashes, locks, schema, adjustments."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import textwrap
from datetime import datetime

import duckdb
import pytest

import kpilib
from kpilib import months as months_
from kpilib import store as history
from kpilib.cli import main
from kpilib.errors import DataError, KpiError
from tests.conftest import ROOT

PLAN = str(ROOT / "params" / "channel_ops.yaml")


@pytest.fixture(scope="module")
def months():
    plan = kpilib.load_plan(PLAN)
    return {m: kpilib.score_month(plan, m) for m in ("2024-10", "2024-11")}


@pytest.fixture
def store(tmp_path, months):
    path = tmp_path / "results.duckdb"
    for result in months.values():
        history.save(result, store=path)
    return path


def _counts(path):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {
            t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("runs", "items", "people", "input_files", "adjustments")
        }
    finally:
        con.close()


def test_a_saved_month_comes_back_with_its_inputs_checksummed(store, months):
    past = history.load(PLAN, store)
    assert sorted(set(past.people["month"])) == ["2024-10", "2024-11"]
    nov = past.people[past.people["month"] == "2024-11"].set_index("person")
    # the engine's 2024-11 figures, unchanged by the round trip
    assert nov.loc["曾志伟", "total"] == 53.85 and nov.loc["曾志伟", "grade"] == "不合格"
    assert len(nov) == 19 and len(past.items) == 2 * len(months["2024-11"].items)
    actuals = ROOT / "data/channel_ops/actuals/2024-11.csv"
    stored = past.files.set_index("path").loc[str(actuals.resolve()), "sha256"]
    assert stored == hashlib.sha256(actuals.read_bytes()).hexdigest()
    assert set(past.runs["plan_digest"]) == {kpilib.load_plan(PLAN).digest}


def test_rescoring_adds_a_version_and_keeps_the_old_one(store, months):
    assert history.save(months["2024-11"], store=store, note="re-scored") == 2
    runs = history.runs(store)
    assert list(runs["version"]) == [1, 1, 2] and list(runs["current"]) == [True, False, True]
    current = history.load(PLAN, store)
    assert set(current.people["version"]) == {1, 2} and len(current.people) == 38
    everything = history.load(PLAN, store, all_versions=True)
    assert len(everything.people) == 57  # 19 people × 3 stored versions, none deleted


def test_kpi_history_lists_months_versions_and_the_current_one(store, months, capsys):
    history.save(months["2024-11"], store=store)
    assert main(["history", "--store", str(store)]) == 0
    lines = capsys.readouterr().out.splitlines()
    nov = [line.split() for line in lines if "2024-11" in line]
    assert nov[0][2] == "1" and nov[0][3] != "*"  # superseded
    assert nov[1][2:4] == ["2", "*"]  # current


def _fail_saving_people(monkeypatch) -> None:
    """Saving fails (a full disk) when it comes to the people table."""
    real = history.insert_frame

    def fail_on_people(con, table, frame, run_id):
        if table == "people":
            raise OSError("disk full (simulated)")
        real(con, table, frame, run_id)

    monkeypatch.setattr(history, "insert_frame", fail_on_people)


def test_a_failure_while_saving_leaves_the_store_as_it_was(store, months, monkeypatch):
    before = _counts(store)
    _fail_saving_people(monkeypatch)
    with pytest.raises(OSError, match="simulated"):
        history.save(months["2024-11"], store=store)
    assert _counts(store) == before


def test_a_process_killed_in_the_middle_of_saving_loses_nothing_stored(store):
    before = _counts(store)
    child = textwrap.dedent(f"""
        import os, kpilib
        from kpilib import store as history
        real = history.insert_frame
        def die(con, table, frame, run_id):
            real(con, table, frame, run_id)
            if table == "items":
                os._exit(9)  # a crash: no rollback, no close
        history.insert_frame = die
        history.save(kpilib.score_month({PLAN!r}, "2024-11"), store={str(store)!r})
    """)
    done = subprocess.run([sys.executable, "-c", child], cwd=ROOT)
    assert done.returncode == 9
    assert _counts(store) == before
    assert history.load(PLAN, store).people["version"].max() == 1


def test_a_store_locked_by_another_process_is_reported(store, monkeypatch):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, time; c = duckdb.connect({str(store)!r}); "
            "print('ready', flush=True); time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        monkeypatch.setattr(history, "LOCK_WAIT", 0.3)
        with pytest.raises(KpiError, match=r"结果库正被另一个进程占用.*PID \d+"):
            history.load(PLAN, store)
    finally:
        holder.kill()
        holder.wait()


def test_a_corrupt_store_is_reported_and_left_alone(tmp_path, months):
    path = tmp_path / "results.duckdb"
    path.write_bytes(b"not a database" * 100)
    with pytest.raises(KpiError, match=r"结果库文件已损坏.*mv .*results\.duckdb\.broken"):
        history.save(months["2024-11"], store=path)
    assert path.read_bytes() == b"not a database" * 100


def test_a_store_from_a_newer_kpilib_says_what_to_do(store):
    con = duckdb.connect(str(store))
    con.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    con.close()
    with pytest.raises(KpiError, match="结构版本是 99.*升级 kpilib"):
        history.load(PLAN, store)


def test_a_store_of_schema_1_is_migrated_and_keeps_its_results(tmp_path, months):
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute(history.SCHEMA[0])
    con.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    con.close()
    # a version-1 kpilib could not record adjustments: the table is added on open
    history.save(months["2024-11"], store=path)
    assert _counts(path)["adjustments"] == 0 and _counts(path)["people"] == 19
    con = duckdb.connect(str(path))
    assert con.execute("SELECT value FROM meta").fetchone()[0] == str(history.SCHEMA_VERSION)
    con.close()


def _first_scored(store, day: str):
    con = duckdb.connect(str(store))
    con.execute("UPDATE runs SET scored_at = ?", [datetime.fromisoformat(day)])
    con.close()


def test_an_adjusted_actual_is_rescored_and_the_original_stays_visible(store):
    _first_scored(store, "2024-12-02 10:00")  # a Monday
    months_.adjust(
        PLAN,
        "2024-11",
        "曾志伟",
        "GMV指标",
        actual=2_160_000,
        reason="漏计一笔订单",
        by="HR 王",
        filed_at=datetime(2024, 12, 5),
        store=store,
    )
    past = history.load(PLAN, store)
    item = past.items[
        (past.items["month"] == "2024-11")
        & (past.items["person"] == "曾志伟")
        & (past.items["item"] == "GMV指标")
    ].iloc[0]
    # 2,160,000 / 2,400,000 = 90.0% × 70 = 63.0 (was 1,286,800 → 37.53)
    assert item["points"] == 63.0 and item["original_points"] == 37.53 and item["adjusted"]
    assert "申诉调整（漏计一笔订单，HR 王）" in item["reason"]
    person = past.people[
        (past.people["month"] == "2024-11") & (past.people["person"] == "曾志伟")
    ].iloc[0]
    # 63.0 + 16.32 (有产客户数) = 79.32 → 合格 (60-79), was 53.85 不合格
    assert person["total"] == 79.32 and person["original_total"] == 53.85
    assert person["grade"] == "合格" and person["completion"] == pytest.approx(0.7932)
    assert person["adjusted"]


def test_adjusted_points_replace_the_item_and_the_trail_shows_it(store, capsys):
    _first_scored(store, "2024-12-02 10:00")
    months_.adjust(
        PLAN,
        "2024-11",
        "曾志伟",
        "有产客户数",
        points=30,
        reason="复核",
        by="李经理",
        filed_at=datetime(2024, 12, 4),
        store=store,
    )
    person = history.load(PLAN, store).people.query("month == '2024-11' and person == '曾志伟'")
    assert person["total"].iloc[0] == 67.53  # 37.53 + 30
    assert main(["history", "--store", str(store)]) == 0
    assert "李经理" in capsys.readouterr().out


def test_an_appeal_after_three_working_days_is_refused_unless_forced(store):
    # seed 003: 有权在得知考核结果3个工作日内 ... 申诉. Results Mon 2 Dec; Fri 6 Dec is day 4
    _first_scored(store, "2024-12-02 10:00")
    before = _counts(store)
    with pytest.raises(KpiError) as refused:
        history.adjust(
            PLAN,
            "2024-11",
            "曾志伟",
            "有产客户数",
            points=30,
            reason="申诉",
            by="HR",
            filed_at=datetime(2024, 12, 6),
            store=store,
        )
    assert [p.column for p in refused.value.problems] == ["filed"]
    assert "第 4 个工作日" in refused.value.problems[0].message
    assert _counts(store) == before
    history.adjust(
        PLAN,
        "2024-11",
        "曾志伟",
        "有产客户数",
        points=30,
        reason="申诉",
        by="HR",
        filed_at=datetime(2024, 12, 6),
        force=True,
        store=store,
    )
    assert bool(history.load(PLAN, store).adjustments["forced"].iloc[0])


@pytest.mark.parametrize(
    "month, person, item, match",
    [
        ("2024-05", "曾志伟", "GMV指标", "没有 2024-05 的结果"),
        ("2024-11", "曾志卫", "GMV指标", "没有名为 '曾志卫'.*（是不是 '曾志伟'？）"),
        ("2024-11", "曾志伟", "GMV", "没有指标 'GMV'.*GMV指标、有产客户数"),
    ],
)
def test_an_adjustment_for_something_not_stored_is_refused(store, month, person, item, match):
    before = _counts(store)
    with pytest.raises(DataError, match=match):
        history.adjust(PLAN, month, person, item, points=1, reason="x", by="y", store=store)
    assert _counts(store) == before


def test_kpi_score_saves_to_the_store_unless_told_not_to(tmp_path):
    store = tmp_path / "s.duckdb"
    out = ["--out", str(tmp_path / "o"), "--store", str(store)]
    assert main(["score", PLAN, "--month", "2024-11", *out]) == 0
    assert main(["score", PLAN, "--month", "2024-11", *out, "--force", "--no-store"]) == 0
    assert list(history.runs(store)["version"]) == [1]


# ---- one connection per command (issue 13 #3)


def _count_opens(monkeypatch) -> list[str]:
    opened = []
    real = duckdb.connect

    def counting(path, *args, **kwargs):
        opened.append(path)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(duckdb, "connect", counting)
    return opened


def test_a_session_hands_every_reader_and_saver_one_connection(store, months, monkeypatch):
    opened = _count_opens(monkeypatch)
    with history.session():
        history.save(months["2024-11"], store=store, note="again")
        assert list(history.runs(store)["version"]) == [1, 1, 2]
        assert len(history.load(PLAN, store).people) == 38  # 19 people, two months
    assert opened == [str(store)]
    # closed with the session: another process may open the store at once
    subprocess.run(
        [sys.executable, "-c", f"import duckdb; duckdb.connect({str(store)!r}).close()"],
        check=True,
    )


def test_in_a_session_a_failed_save_leaves_the_store_as_it_was(store, months, monkeypatch):
    before = _counts(store)
    _fail_saving_people(monkeypatch)
    opened = _count_opens(monkeypatch)
    with history.session():
        with pytest.raises(OSError, match="simulated"):
            history.save(months["2024-11"], store=store)
        # the failed user's connection is dropped: the next reader opens afresh
        assert list(history.runs(store)["version"]) == [1, 1]
    assert len(opened) == 2
    assert _counts(store) == before


@pytest.mark.parametrize(
    "command",
    [
        ["score", PLAN, "--month", "2024-11", "--force"],
        ["history"],
        ["history", "--department", "channel_ops", "--period", "2024-Q4"],
    ],
)
def test_a_kpi_command_opens_the_store_once(command, store, tmp_path, monkeypatch, capsys):
    opened = _count_opens(monkeypatch)
    extra = ["--out", str(tmp_path / "out")] if command[0] == "score" else []
    assert main([*command, *extra, "--store", str(store)]) == 0
    assert opened == [str(store)]
    assert "2024-11" in capsys.readouterr().out


def test_a_duckdb_file_that_is_not_a_store_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "other.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE sales (amount DOUBLE); INSERT INTO sales VALUES (1.5)")
    con.close()
    with pytest.raises(KpiError) as caught:
        history.runs(path)
    assert [p.code for p in caught.value.problems] == ["not_a_store"]
    con = duckdb.connect(str(path), read_only=True)
    tables = con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    assert tables == [("sales",)]
    con.close()


def test_a_store_of_a_newer_kpilib_is_refused(store):
    con = duckdb.connect(str(store))
    newer = str(history.SCHEMA_VERSION + 1)
    con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [newer])
    con.close()
    with pytest.raises(KpiError) as caught:
        history.runs(store)
    assert [p.code for p in caught.value.problems] == ["store_too_new"]


def test_an_empty_duckdb_file_becomes_a_store(tmp_path):
    path = tmp_path / "empty.duckdb"
    duckdb.connect(str(path)).close()
    assert history.runs(path).empty
    con = duckdb.connect(str(path), read_only=True)
    version = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    assert version == (str(history.SCHEMA_VERSION),)
    con.close()
