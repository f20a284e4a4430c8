"""The results store: every scored month, every version, in one DuckDB file.

``save`` adds a scored month as a new version (one transaction: a failure
leaves the store as it was); nothing is ever deleted or overwritten, the
latest version of a month is current and the older ones stay queryable.
``load`` returns the history as DataFrames, with appeals and adjustments
(``adjust``) applied on top of the computed results and the originals kept.
docs/store.md documents the tables for SQL users.

The store's path is decided in one place, :func:`store_path`: an explicit
argument, else the ``KPI_STORE`` environment variable, else
``data/results.duckdb`` under the current folder (the project's data folder).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from kpilib.errors import DataError, KpiError, Problem
from kpilib.i18n import N_, _
from kpilib.project import store_path

if TYPE_CHECKING:
    from collections.abc import Iterator

    import duckdb

    from kpilib.engine.plan import Plan
    from kpilib.engine.scoring import Result

LOCK_WAIT = 5.0  # seconds to wait for another process's save before giving up
APPEAL_WORKING_DAYS = 3  # seed 003: 有权在得知考核结果3个工作日内 ... 申诉

# Each step upgrades the store by one schema version; a new store runs them all,
# an older one runs those it lacks. Append, never edit, a released step.
SCHEMA = [
    # 1: runs with their inputs, and the scored tables
    """
    CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL);
    CREATE TABLE runs (
        run_id INTEGER PRIMARY KEY, department VARCHAR NOT NULL, month VARCHAR NOT NULL,
        version INTEGER NOT NULL, scored_at TIMESTAMP NOT NULL, plan_path VARCHAR,
        plan_digest VARCHAR NOT NULL, note VARCHAR, UNIQUE (department, month, version));
    CREATE TABLE input_files (
        run_id INTEGER NOT NULL, path VARCHAR NOT NULL, sha256 VARCHAR NOT NULL,
        bytes BIGINT NOT NULL);
    CREATE TABLE items (
        run_id INTEGER NOT NULL, person VARCHAR NOT NULL, role VARCHAR, indicator VARCHAR,
        item VARCHAR NOT NULL, section VARCHAR, weight DOUBLE, target DOUBLE, actual DOUBLE,
        completion DOUBLE, points DOUBLE, full_points DOUBLE, rule VARCHAR, reason VARCHAR);
    CREATE TABLE people (
        run_id INTEGER NOT NULL, person VARCHAR NOT NULL, role VARCHAR, english_name VARCHAR,
        total DOUBLE, weighted_points DOUBLE, bonus_points DOUBLE, completion DOUBLE,
        grade VARCHAR, valid BOOLEAN, gates VARCHAR, rank DOUBLE);
    CREATE VIEW current_runs AS
        SELECT * FROM runs r WHERE version =
            (SELECT max(version) FROM runs x WHERE x.department = r.department
             AND x.month = r.month);
    """,
    # 2: appeals and adjustments (seed 003: every change recorded)
    """
    CREATE TABLE adjustments (
        adjustment_id INTEGER PRIMARY KEY, department VARCHAR NOT NULL, month VARCHAR NOT NULL,
        person VARCHAR NOT NULL, item VARCHAR NOT NULL, actual DOUBLE, points DOUBLE,
        reason VARCHAR NOT NULL, made_by VARCHAR NOT NULL, filed_at TIMESTAMP NOT NULL,
        forced BOOLEAN NOT NULL);
    """,
    # 3: a stored version holds its adjustments (scored with them as inputs); versions
    # and adjustments know the inputs they belong to; each version says per adjustment
    # whether it was applied, needs review (待复核: filed against other inputs) or superseded
    """
    ALTER TABLE runs ADD COLUMN inputs_digest VARCHAR;
    UPDATE runs SET inputs_digest = (SELECT sha256(string_agg(f.sha256, ',' ORDER BY f.sha256))
        FROM input_files f WHERE f.run_id = runs.run_id);
    CREATE OR REPLACE VIEW current_runs AS
        SELECT * FROM runs r WHERE version =
            (SELECT max(version) FROM runs x WHERE x.department = r.department
             AND x.month = r.month);
    ALTER TABLE items ADD COLUMN adjusted BOOLEAN DEFAULT FALSE;
    ALTER TABLE items ADD COLUMN adjustment_id INTEGER;
    ALTER TABLE items ADD COLUMN original_points DOUBLE;
    ALTER TABLE items ADD COLUMN original_actual DOUBLE;
    UPDATE items SET original_points = points, original_actual = actual;
    ALTER TABLE people ADD COLUMN adjusted BOOLEAN DEFAULT FALSE;
    ALTER TABLE people ADD COLUMN original_total DOUBLE;
    UPDATE people SET original_total = total;
    ALTER TABLE adjustments ADD COLUMN inputs_digest VARCHAR;
    ALTER TABLE adjustments ADD COLUMN confirms INTEGER;
    -- before this step adjustments were applied to whatever version was current
    UPDATE adjustments SET inputs_digest = (SELECT r.inputs_digest FROM current_runs r
        WHERE r.department = adjustments.department AND r.month = adjustments.month);
    CREATE TABLE run_adjustments (
        run_id INTEGER NOT NULL, adjustment_id INTEGER NOT NULL, status VARCHAR NOT NULL);
    """,
    # 4: exclusions, probation and grade ceilings on people (kpilib/engine/teams.py)
    """
    ALTER TABLE people ADD COLUMN excluded BOOLEAN DEFAULT FALSE;
    ALTER TABLE people ADD COLUMN exclusion VARCHAR DEFAULT '';
    ALTER TABLE people ADD COLUMN probation BOOLEAN DEFAULT FALSE;
    ALTER TABLE people ADD COLUMN ceiling VARCHAR DEFAULT '';
    """,
    # 5: fines and awards per person, pay levels carried between months
    # (kpilib/ledger.py)
    """
    CREATE TABLE money_items (
        money_id INTEGER PRIMARY KEY, department VARCHAR NOT NULL, month VARCHAR NOT NULL,
        person VARCHAR NOT NULL, kind VARCHAR NOT NULL, amount DECIMAL(14, 2) NOT NULL,
        reason VARCHAR NOT NULL, made_by VARCHAR NOT NULL, filed_at TIMESTAMP NOT NULL);
    CREATE TABLE pay_levels (
        department VARCHAR NOT NULL, month VARCHAR NOT NULL, person VARCHAR NOT NULL,
        level VARCHAR NOT NULL, next_level VARCHAR NOT NULL, reason VARCHAR NOT NULL,
        recorded_at TIMESTAMP NOT NULL);
    """,
    # 6: a reviewer's grade changes (复核调整, seed 002 #8 rule 21), who and why
    # (kpilib/ledger.py)
    """
    CREATE TABLE grade_reviews (
        review_id INTEGER PRIMARY KEY, department VARCHAR NOT NULL, month VARCHAR NOT NULL,
        person VARCHAR NOT NULL, grade VARCHAR NOT NULL, reason VARCHAR NOT NULL,
        made_by VARCHAR NOT NULL, filed_at TIMESTAMP NOT NULL);
    """,
    # 7: appraisal periods beyond the month (kpilib/period_store.py): each version of a
    # period says what it was made from (basis: the month versions rolled up, or its own
    # input files), whether it is complete, and holds its people and (scored directly
    # from its own files) items
    """
    CREATE TABLE period_runs (
        run_id INTEGER PRIMARY KEY, department VARCHAR NOT NULL, period VARCHAR NOT NULL,
        kind VARCHAR NOT NULL, version INTEGER NOT NULL, scored_at TIMESTAMP NOT NULL,
        plan_digest VARCHAR NOT NULL, source VARCHAR NOT NULL, basis VARCHAR NOT NULL,
        complete BOOLEAN NOT NULL, note VARCHAR, UNIQUE (department, period, version));
    CREATE TABLE period_people (
        run_id INTEGER NOT NULL, person VARCHAR NOT NULL, role VARCHAR, total DOUBLE,
        completion DOUBLE, grade VARCHAR, provisional_grade VARCHAR, rank DOUBLE,
        valid BOOLEAN, complete BOOLEAN, months INTEGER, valid_months INTEGER,
        voided_months INTEGER, missing_months INTEGER, qualifying_months INTEGER,
        month_totals VARCHAR, reason VARCHAR);
    CREATE TABLE period_items (
        run_id INTEGER NOT NULL, person VARCHAR NOT NULL, role VARCHAR, indicator VARCHAR,
        item VARCHAR NOT NULL, section VARCHAR, weight DOUBLE, target DOUBLE, actual DOUBLE,
        completion DOUBLE, points DOUBLE, full_points DOUBLE, rule VARCHAR, reason VARCHAR);
    """,
]
STATUS = {"applied": N_("已应用"), "review": N_("待复核"), "superseded": N_("已被取代")}
SCHEMA_VERSION = len(SCHEMA)


# the connections a command holds open (see :func:`session`), by resolved store path;
# None outside a session: every connect() then opens and closes its own
_HELD: ContextVar[dict[Path, duckdb.DuckDBPyConnection] | None] = ContextVar(
    "kpilib_store_held", default=None
)


@contextmanager
def session() -> Iterator[None]:
    """One connection per store for everything inside: :func:`connect` opens (and
    checks or migrates) each store once and hands the same connection to every later
    caller; all are closed when the block ends.

    For one short command (``kpi score``, ``kpi history``...): each DuckDB open and
    close costs tens of milliseconds, and a command used to open the store three to
    five times. Every save still runs in its own transaction. A connection whose user
    raised is closed at once and the next caller opens a fresh one, as without a
    session. Not for long jobs: the store stays locked to other processes until the
    block ends (``kpi report``'s workers save from other processes).
    """
    held: dict[Path, duckdb.DuckDBPyConnection] = {}
    token = _HELD.set(held)
    try:
        yield
    finally:
        _HELD.reset(token)
        for con in held.values():
            con.close()


@contextmanager
def connect(
    store: str | Path | None = None, create: bool = True
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the store (creating or migrating it), yield a DuckDB connection, close it.

    Connections are short-lived so that a notebook never holds the file's lock
    while another process saves. A store locked by another process is waited
    for ``LOCK_WAIT`` seconds, then reported; a corrupt file is reported, never
    replaced. Inside :func:`session` the store is opened once and the connection
    stays open until the session ends.
    """
    import duckdb

    path = store_path(store)
    held = _HELD.get()
    key = path.resolve()
    con = held.get(key) if held is not None else None
    opened = con is None
    if opened:
        con = _open(path, create)
    try:
        if opened:
            _upgrade(con, path)
            if held is not None:
                held[key] = con
        yield con
    except BaseException as exc:
        if held is not None and held.get(key) is con:
            del held[key]  # a failed use may have left it mid-transaction: closed below
        if not isinstance(exc, duckdb.Error):
            raise
        # a checksum-bad block or a full disk shows up only when read or written
        problem = store_problem(exc, path)
        if problem is None:
            raise
        raise KpiError(problem) from None
    finally:
        if held is None or held.get(key) is not con:
            con.close()


def _open(path: Path, create: bool) -> duckdb.DuckDBPyConnection:
    """A new connection to the store file, waiting ``LOCK_WAIT`` for another process."""
    import duckdb

    if not path.exists() and not create:
        raise KpiError(
            Problem(
                _("没有结果库 {path}").format(path=path),
                _(
                    "先为一个月份计分（kpi score 方案 --month YYYY-MM），"
                    "或用 --store / KPI_STORE 指向结果库"
                ),
                file=str(path),
                code="no_store",
            )
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise KpiError(_os_problem(exc, path)) from None
    deadline = time.monotonic() + LOCK_WAIT
    while True:
        try:
            return duckdb.connect(str(path))
        except duckdb.Error as exc:
            if "Conflicting lock" in str(exc) and time.monotonic() < deadline:
                time.sleep(0.1)
                continue
            raise KpiError(
                store_problem(exc, path)
                or Problem(
                    _("无法打开结果库（{error}）").format(error=exc),
                    _(
                        "检查文件 {path}；若已损坏，从备份恢复，或运行 "
                        "mv {path} {path}.broken 后重新计分"
                    ).format(path=path),
                    file=str(path),
                    code="store_unreadable",
                )
            ) from None


def store_problem(exc: Exception, path: Path) -> Problem | None:
    """The real cause of a DuckDB error, in words an analyst can act on; ``None`` if unknown.

    Distinguishes a store locked by another process (naming it), a read-only
    file or folder, a full disk, and a corrupt file (with the recovery command).
    """
    message = str(exc)
    if "Conflicting lock" in message:
        holder = message.split("Conflicting lock is held in", 1)[-1].split(". See")[0].strip()
        pid = re.search(r"PID (\d+)", holder)
        command = _command_line(int(pid.group(1))) if pid else ""
        return Problem(
            _("结果库正被另一个进程占用：{holder}{command}").format(
                holder=holder,
                command=_("，命令 {command}").format(command=command) if command else "",
            ),
            _(
                "等它结束，或关闭占用它的笔记本内核（Kernel → Shut Down）或程序后重新运行；"
                "本次什么都没有写入"
            ),
            file=str(path),
            code="store_locked",
        )
    if re.search(r"Read-only file system|Permission denied", message):
        return Problem(
            _("结果库是只读的（文件或所在文件夹不可写）"),
            _(
                "给 {path} 和它所在的文件夹写权限，或用 --store / KPI_STORE 指向可写的位置；"
                "只想看结果时加 --no-store；本次什么都没有写入"
            ).format(path=path),
            file=str(path),
            code="store_read_only",
        )
    if re.search(r"No space left|File too large|[Dd]isk (is )?full", message):
        return Problem(
            _("磁盘已满（或超过了文件大小限制），结果库写不下"),
            _("腾出磁盘空间后重新运行；结果库保持原样，本次什么都没有写入"),
            file=str(path),
            code="disk_full",
        )
    if re.search(
        r"not a valid DuckDB database|Corrupt database|checksum|Could not read enough bytes",
        message,
    ):
        return Problem(
            _("结果库文件已损坏（{error}）").format(error=message.splitlines()[0][:200]),
            _(
                "从备份恢复 {path}；没有备份时先保留坏文件：mv {path} {path}.broken ，"
                "再对需要的月份重新运行 kpi score（会新建结果库）"
            ).format(path=path),
            file=str(path),
            code="store_corrupt",
        )
    return None


def _command_line(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    return " ".join(part.decode(errors="replace") for part in raw.split(b"\0") if part)[:200]


def _os_problem(exc: OSError, path: Path) -> Problem:
    return Problem(
        _("无法使用结果库所在的文件夹（{error}）").format(error=exc.strerror),
        _("用 --store / KPI_STORE 指向一个可写的位置"),
        code="store_folder",
        file=str(exc.filename or path),
    )


def _upgrade(con, path: Path) -> None:
    import duckdb

    # the store's own meta table first: listing the catalog (information_schema) costs
    # ten times as much, and only a file without a meta table needs it
    try:
        row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        version = int(row[0])
    except duckdb.CatalogException:
        if con.execute("SELECT table_name FROM information_schema.tables").fetchall():
            raise KpiError(
                Problem(
                    _("这个 DuckDB 文件不是 kpilib 的结果库（没有 meta 表）"),
                    _("用 --store / KPI_STORE 指向结果库，或把这个文件移开"),
                    file=str(path),
                    code="not_a_store",
                )
            ) from None
        version = 0
    if version > SCHEMA_VERSION:
        raise KpiError(
            Problem(
                _("结果库的结构版本是 {version}，比这个 kpilib 能读的（{known}）新").format(
                    version=version, known=SCHEMA_VERSION
                ),
                _("升级 kpilib（pip install -U -e .），或用写出这个结果库的 kpilib"),
                file=str(path),
                code="store_too_new",
            )
        )
    if version == SCHEMA_VERSION:
        return
    # all missing steps in one transaction: a failed migration changes nothing
    with transaction(con):
        for step in SCHEMA[version:]:
            con.execute(step)
        con.execute(
            "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)]
        )


def inputs_digest(sums: Iterable[str]) -> str:
    """One sha256 over the sha256 of each input file (order-free): what a version was
    scored from and what an adjustment was filed against."""
    import hashlib

    return hashlib.sha256(",".join(sorted(sums)).encode()).hexdigest()


NO_FILES = inputs_digest([])  # a version saved without its input files


def save(
    result: Result,
    files: Iterable[str | Path] | None = None,
    store: str | Path | None = None,
    note: str = "",
    adjustments: pd.DataFrame | None = None,
) -> int:
    """Store a scored month as a new version; return the version number.

    Parameters
    ----------
    result : Result
        From :func:`kpilib.score_month` (or :func:`kpilib.months.month_result`), with
        any adjustments already scored in.
    files : paths, optional
        The input files read (checksummed); default ``project.input_files(plan, month)``.
    store : path, optional
        See :func:`store_path`.
    note : str
        Free text kept with the version (why it was re-scored).
    adjustments : DataFrame, optional
        adjustment_id and status (``applied``, ``review``, ``superseded``) of every
        adjustment recorded for the month, as this version treated it.

    Examples
    --------
    >>> result = kpilib.score_month("params/channel_ops.yaml", "2024-11")
    >>> save(result)
    1
    """
    from kpilib.engine.plan import ARCHIVE, is_archived
    from kpilib.engine.scoring import (
        ADJUSTED_ITEM_COLUMNS,
        ADJUSTED_PEOPLE_COLUMNS,
        ITEM_COLUMNS,
        PEOPLE_COLUMNS,
    )
    from kpilib.files import checksum
    from kpilib.project import input_files

    if not result.month:
        raise KpiError(
            Problem(
                _("没有月份的结果不能存入结果库"),
                _("用 kpilib.score_month(方案, 'YYYY-MM') 计分"),
                code="no_month",
            )
        )
    plan = result.plan
    if is_archived(plan):
        raise KpiError(
            Problem(
                _("{path} 是已被替换的旧方案（{archive}/），只用于对照，不能存为当前结果").format(
                    path=plan.path, archive=ARCHIVE
                ),
                _("用现行方案 params/{department}.yaml 计分，或加 --no-store 只看结果").format(
                    department=plan.department
                ),
                file=str(plan.path),
                code="archived_plan",
            )
        )
    paths = [Path(p) for p in (files if files is not None else input_files(plan, result.month))]
    sums = [checksum(p) for p in paths]
    with connect(store) as con:
        with transaction(con):
            run_id, version = con.execute(
                "SELECT coalesce((SELECT max(run_id) FROM runs), 0) + 1, "
                "coalesce(max(version), 0) + 1 FROM runs WHERE department = ? AND month = ?",
                [plan.department, result.month],
            ).fetchone()
            con.execute(
                "INSERT INTO runs (run_id, department, month, version, scored_at, plan_path, "
                "plan_digest, note, inputs_digest) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    run_id,
                    plan.department,
                    result.month,
                    version,
                    datetime.now(),
                    str(plan.path) if plan.path else None,
                    plan.digest or "",
                    note,
                    inputs_digest(s for s, _ in sums),
                ],
            )
            if paths:  # DuckDB refuses an empty executemany
                con.executemany(
                    "INSERT INTO input_files VALUES (?, ?, ?, ?)",
                    [[run_id, str(p), s, n] for p, (s, n) in zip(paths, sums, strict=True)],
                )
            items = result.items[ITEM_COLUMNS + ADJUSTED_ITEM_COLUMNS]
            insert_frame(con, "items", items.astype({"adjustment_id": "Int64"}), run_id)
            insert_frame(
                con, "people", result.people[PEOPLE_COLUMNS + ADJUSTED_PEOPLE_COLUMNS], run_id
            )
            if adjustments is not None and len(adjustments):
                insert_frame(
                    con, "run_adjustments", adjustments[["adjustment_id", "status"]], run_id
                )
    return version


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """One transaction on ``con``: committed when the block ends, rolled back (nothing
    written) when it raises."""
    import duckdb

    con.begin()
    try:
        yield
        con.commit()
    except BaseException:
        # a failed commit (a full disk) has already ended the transaction: rolling
        # back again would raise "no transaction is active" and hide the real cause
        with suppress(duckdb.Error):
            con.rollback()
        raise


def insert_frame(
    con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame, run_id: int
) -> None:
    """Insert ``frame``'s rows into ``table`` under ``run_id``, by column name."""
    con.register("_frame", frame)
    try:
        columns = ", ".join(f'"{c}"' for c in frame.columns)
        con.execute(
            f"INSERT INTO {table} (run_id, {columns}) SELECT {run_id}, {columns} FROM _frame"
        )
    finally:
        con.unregister("_frame")


@dataclass(frozen=True)
class History:
    """A department's stored results, as DataFrames.

    Attributes
    ----------
    runs : DataFrame
        run_id, department, month, version, scored_at, plan_path, plan_digest, note, current.
    people, items : DataFrame
        The stored tables with department, month, version, run_id; each version was
        scored with its adjustments (``adjusted`` plus the original figures).
    adjustments : DataFrame
        The audit trail: every appeal or adjustment recorded, with its ``status`` in
        the current version of its month (see :func:`adjustments`).
    files : DataFrame
        run_id, path, sha256, bytes of each version's inputs.
    """

    plan: Plan | None
    runs: pd.DataFrame
    people: pd.DataFrame
    items: pd.DataFrame
    adjustments: pd.DataFrame
    files: pd.DataFrame


def load(
    plan: str | Path | Plan | None = None,
    store: str | Path | None = None,
    months: Iterable[str] | None = None,
    all_versions: bool = False,
) -> History:
    """Read a department's history: the current version of each month, as stored.

    Parameters
    ----------
    plan : path or Plan, optional
        The department's plan (for its ID and grade bands); ``None`` reads
        every department, without re-grading adjusted people.
    store : path, optional
        See :func:`store_path`.
    months : list of ``YYYY-MM``, optional
        Only these months.
    all_versions : bool
        Also the superseded versions (``runs.current`` tells which is current).

    Examples
    --------
    >>> save(kpilib.score_month("params/channel_ops.yaml", "2024-11"))
    1
    >>> history = load("params/channel_ops.yaml")
    >>> history.people["month"].unique().tolist()
    ['2024-11']
    """
    if plan is not None:
        plan = _loaded(plan)
    where, args = ["TRUE"], []
    if plan is not None:
        where.append("r.department = ?")
        args.append(plan.department)
    if months is not None:
        months = list(months)
        where.append(f"r.month IN ({', '.join('?' * len(months))})" if months else "FALSE")
        args += months
    if not all_versions:
        where.append("r.run_id IN (SELECT run_id FROM current_runs)")
    condition = " AND ".join(where)
    keys = "r.department, r.month, r.version, r.run_id"
    with connect(store, create=False) as con:

        def query(sql):
            return con.execute(sql, args).df()

        runs = query(
            f"SELECT r.*, r.run_id IN (SELECT run_id FROM current_runs) AS current "
            f"FROM runs r WHERE {condition} ORDER BY r.department, r.month, r.version"
        )
        people = query(
            f"SELECT {keys}, p.* EXCLUDE (run_id) FROM people p JOIN runs r "
            f"USING (run_id) WHERE {condition} ORDER BY r.month, r.version, p.rowid"
        )
        items = query(
            f"SELECT {keys}, i.* EXCLUDE (run_id) FROM items i JOIN runs r "
            f"USING (run_id) WHERE {condition} ORDER BY r.month, r.version, i.rowid"
        )
        files = query(f"SELECT f.* FROM input_files f JOIN runs r USING (run_id) WHERE {condition}")
        adj_where = condition.replace("r.run_id IN (SELECT run_id FROM current_runs)", "TRUE")
        adjustments = con.execute(
            f"SELECT * FROM ({RECORDED}) r WHERE {adj_where} ORDER BY adjustment_id", args
        ).df()
    return History(plan, runs, people, items, adjustments, files)


# every recorded adjustment with how the current version of its month treats it
RECORDED = """
    SELECT a.*, coalesce(s.status, 'pending') AS status FROM adjustments a
    LEFT JOIN (SELECT x.adjustment_id, x.status FROM run_adjustments x
               JOIN current_runs c USING (run_id)) s USING (adjustment_id)
"""


def adjustments(
    department: str, month: str, person: str | None = None, store: str | Path | None = None
) -> pd.DataFrame:
    """The appeals and adjustments recorded for a month (and one person), oldest first,
    with ``status`` in the month's current version: ``applied``, ``review`` (待复核:
    filed against other inputs), ``superseded`` (a later one for the same item) or
    ``pending`` (recorded after it); empty when there is no store."""
    if not store_path(store).exists():
        return pd.DataFrame(columns=["adjustment_id", "person", "item", "status"])
    query = f"SELECT * FROM ({RECORDED}) a WHERE department = ? AND month = ?"
    args = [department, month]
    if person is not None:
        query, args = query + " AND person = ?", [*args, person]
    with connect(store, create=False) as con:
        return con.execute(query + " ORDER BY adjustment_id", args).df()


def decide(recorded: pd.DataFrame, digest: str) -> pd.DataFrame:
    """How a version scored from inputs ``digest`` treats each recorded adjustment.

    The latest adjustment of an item counts; it is ``applied`` when it was filed
    against these very inputs and needs ``review`` (待复核) when the inputs changed
    since; earlier ones are ``superseded``.

    Returns
    -------
    DataFrame
        ``recorded`` plus ``status``.
    """
    latest = ~recorded.duplicated(["person", "item"], keep="last").to_numpy()
    same = (recorded["inputs_digest"] == digest).to_numpy()
    status = np.where(latest, np.where(same, "applied", "review"), "superseded")
    return recorded.assign(status=status)


def runs(store: str | Path | None = None, department: str | None = None) -> pd.DataFrame:
    """Every stored version: department, month, version, current, scored_at, people, files."""
    where, args = ("WHERE r.department = ?", [department]) if department else ("", [])
    with connect(store, create=False) as con:
        return con.execute(
            "SELECT r.department, r.month, r.version, "
            "r.run_id IN (SELECT run_id FROM current_runs) AS current, r.scored_at, "
            "r.plan_digest, r.note, "
            "(SELECT count(*) FROM people p WHERE p.run_id = r.run_id) AS people, "
            "(SELECT count(*) FROM input_files f WHERE f.run_id = r.run_id) AS files "
            f"FROM runs r {where} ORDER BY r.department, r.month, r.version",
            args,
        ).df()


def adjust(
    plan: str | Path | Plan,
    month: str,
    person: str,
    item: str,
    *,
    reason: str,
    by: str,
    actual: float | None = None,
    points: float | None = None,
    filed_at: datetime | None = None,
    force: bool = False,
    store: str | Path | None = None,
) -> int:
    """Check and record an appeal's outcome or an adjustment; return its ID.

    Nothing is scored here: :func:`kpilib.months.adjust` records through this and
    then scores the month with the adjustment as an input (a new version). The
    adjustment keeps the checksum of the inputs of the version it was filed against.
    Seed 003: an appeal filed more than ``APPEAL_WORKING_DAYS`` working days (China's
    official calendar) after the month's results were first stored is refused
    unless ``force``.

    Parameters
    ----------
    plan : path or Plan
    month, person, item : str
        Must exist in the store's current version of the month.
    reason, by : str
        Why, and who decided (both required: the audit trail shows them).
    actual : float, optional
        A corrected actual, checked like the actuals file and scored by the item's rule.
    points : float, optional
        The item's new points, within what the item's rule can give.
    filed_at : datetime, optional
        When the appeal was filed; default now. Not before the month's first
        scoring, not in the future.
    force : bool
        Record it even past the deadline (the trail shows it was forced).

    Raises
    ------
    KpiError
        Listing every problem with the request; nothing is recorded.
    """
    plan = _loaded(plan)
    where = {"file": str(store_path(store)), "person": person}
    if (actual is None) == (points is None):
        raise KpiError(
            Problem(
                _("调整须给出新的实际值或新的得分，二者只能给一个"),
                _("加 --actual 数值 或 --points 数值"),
                code="actual_or_points",
                **where,
            )
        )
    if not str(reason).strip() or not str(by).strip():
        raise KpiError(
            Problem(
                _("调整须写明原因和决定人"),
                _("加 --reason 原因 和 --by 姓名"),
                code="reason_and_by",
                **where,
            )
        )
    from kpilib.engine.plan import nearest

    now = datetime.now()
    filed_at = filed_at or now
    with connect(store, create=False) as con:
        first_scored = dict(
            con.execute(
                "SELECT month, min(scored_at) FROM runs WHERE department = ? GROUP BY month",
                [plan.department],
            ).fetchall()
        )
        if month not in first_scored:
            raise DataError(
                Problem(
                    _("{department} 在结果库中没有 {month} 的结果（已存：{stored}）").format(
                        department=plan.department,
                        month=month,
                        stored="、".join(sorted(first_scored)) or _("无"),
                    ),
                    _("先为这个月计分：kpi score {plan} --month {month}").format(
                        plan=plan.path, month=month
                    ),
                    code="month_not_stored",
                    **where,
                )
            )
        rows = con.execute(
            "SELECT i.person, i.item, i.indicator, i.full_points, i.rule FROM items i "
            "JOIN current_runs r USING (run_id) WHERE r.department = ? AND r.month = ?",
            [plan.department, month],
        ).fetchall()
        basis, version = con.execute(
            "SELECT inputs_digest, version FROM current_runs WHERE department = ? AND month = ?",
            [plan.department, month],
        ).fetchone()
        persons = {r[0] for r in rows}
        if person not in persons:
            raise DataError(
                Problem(
                    _("{month} 没有名为 {person!r} 的人员的得分{hint}").format(
                        month=month, person=person, hint=nearest(person, persons)
                    ),
                    _("对照当月结果核对姓名"),
                    code="unknown_person",
                    **where,
                )
            )
        mine = {r[1]: r[2:] for r in rows if r[0] == person}
        if item not in mine:
            raise DataError(
                Problem(
                    _("{person} 在 {month} 没有指标 {item!r}{hint}").format(
                        person=person, month=month, item=item, hint=nearest(item, mine)
                    ),
                    _("改用其中之一：{names}").format(names="、".join(mine)),
                    column="item",
                    code="not_persons_item",
                    **where,
                )
            )
        indicator, full_points, rule_type = mine[item]
        problems = _check_value(plan, indicator, rule_type, full_points, actual, points, where)
        problems += _check_filed(filed_at, first_scored[month], now, month, force, where)
        current = current_digest(plan, month)
        if current != basis:
            problems.append(
                Problem(
                    _(
                        "{month} 的输入文件在第 {version} 版计分之后已改动（或已不在原处），"
                        "调整无法对应到结果库中的数字"
                    ).format(month=month, version=version),
                    _(
                        "先重新计分：kpi score {plan} --month {month}（已登记的调整会标为"
                        "待复核），再按新结果登记"
                    ).format(plan=plan.path, month=month),
                    code="inputs_changed",
                    **where,
                )
            )
        if problems:
            raise DataError(problems)
        try:
            late = _working_days(first_scored[month], filed_at) > APPEAL_WORKING_DAYS
        except NotImplementedError:  # a year the calendar lacks: recorded only with force
            late = True
        with transaction(con):
            (adjustment_id,) = con.execute(
                "SELECT coalesce(max(adjustment_id), 0) + 1 FROM adjustments"
            ).fetchone()
            con.execute(
                "INSERT INTO adjustments (adjustment_id, department, month, person, item, "
                "actual, points, reason, made_by, filed_at, forced, inputs_digest, confirms) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
                [
                    adjustment_id,
                    plan.department,
                    month,
                    person,
                    item,
                    actual,
                    points,
                    reason,
                    by,
                    filed_at,
                    force and late,
                    basis,
                ],
            )
    return adjustment_id


def confirm(
    plan: str | Path | Plan, adjustment_id: int, store: str | Path | None = None
) -> tuple[str, int]:
    """Re-file adjustment ``adjustment_id`` against the month's current inputs; return
    the month and the new adjustment's ID.

    For an adjustment that needs review (待复核): its month was re-scored from
    changed inputs after it was filed. The trail keeps both rows; the new one
    names the one it confirms (``confirms``).
    """
    plan = _loaded(plan)
    where = {"file": str(store_path(store))}
    with connect(store, create=False) as con:
        found = con.execute(
            f"SELECT * FROM ({RECORDED}) a WHERE adjustment_id = ? AND department = ?",
            [adjustment_id, plan.department],
        ).df()
        if found.empty:
            raise DataError(
                Problem(
                    _("{department} 没有第 {id} 号调整").format(
                        department=plan.department, id=adjustment_id
                    ),
                    _("用 kpi history 查看调整记录及其编号"),
                    code="no_such_adjustment",
                    **where,
                )
            )
        row = found.iloc[0]
        if row["status"] != "review":
            status = STATUS.get(row["status"], row["status"])
            raise DataError(
                Problem(
                    _("第 {id} 号调整当前为“{status}”，不是待复核").format(
                        id=adjustment_id, status=_(status)
                    ),
                    _("只有因输入文件改动而待复核的调整需要确认；用 kpi history 查看状态"),
                    person=row["person"],
                    code="not_for_review",
                    **where,
                )
            )
        basis = con.execute(
            "SELECT inputs_digest FROM current_runs WHERE department = ? AND month = ?",
            [plan.department, row["month"]],
        ).fetchone()[0]
        if current_digest(plan, row["month"]) != basis:
            raise DataError(
                Problem(
                    _("{month} 的输入文件在当前版本计分之后又改动了").format(month=row["month"]),
                    _("先重新计分：kpi score {plan} --month {month}，再确认").format(
                        plan=plan.path, month=row["month"]
                    ),
                    code="inputs_changed",
                    **where,
                )
            )
        with transaction(con):
            (new_id,) = con.execute(
                "SELECT coalesce(max(adjustment_id), 0) + 1 FROM adjustments"
            ).fetchone()
            con.execute(
                "INSERT INTO adjustments SELECT ? AS adjustment_id, department, month, person, "
                "item, actual, points, reason, made_by, filed_at, forced, ? AS inputs_digest, "
                "adjustment_id AS confirms FROM adjustments WHERE adjustment_id = ?",
                [new_id, basis, adjustment_id],
            )
    return row["month"], new_id


def _loaded(plan: str | Path | Plan) -> Plan:
    # imported here, not at the top: kpi history reads the store without the plan models
    from kpilib.engine.plan import Plan, load_plan

    return plan if isinstance(plan, Plan) else load_plan(plan)


def current_digest(plan: Plan, month: str, actuals: str | Path | None = None) -> str | None:
    """The digest of the month's input files as they are now; ``None`` if its actuals
    file is gone (the store then holds the only copy of the month)."""
    from kpilib.files import checksum
    from kpilib.project import input_files

    if not Path(actuals or plan.source("actuals", month)).exists():
        return None
    return inputs_digest(checksum(p)[0] for p in input_files(plan, month, actuals))


def _check_value(plan, indicator, rule_type, full_points, actual, points, where) -> list[Problem]:
    """An adjustment's value, checked like the actuals file (actual) or against what the
    item's rule can give (points)."""
    from kpilib.engine.adjustments import points_range
    from kpilib.parse import to_number

    ind = plan.indicators.get(indicator)
    if ind is None:
        return [
            Problem(
                _("指标 {name!r} 已不在方案中").format(name=indicator),
                _("按当前方案重新计分后再登记调整"),
                column="item",
                code="indicator_gone",
                **where,
            )
        ]
    if points is not None:
        low, high = points_range(ind.rule, full_points)
        if not np.isfinite(points) or not (low - 1e-9 <= points <= high + 1e-9):
            shown = "、".join(
                text
                for text in (
                    _("不低于 {low:g}").format(low=low) if np.isfinite(low) else "",
                    _("不高于 {high:g}").format(high=high) if np.isfinite(high) else "",
                )
                if text
            )
            return [
                Problem(
                    _("得分 {points!r} 超出该项规则能给的范围（{range}）").format(
                        points=points, range=shown or _("有限数")
                    ),
                    _("给出 {range} 的得分；要超出规则的上限，请更正实际值（--actual）").format(
                        range=shown or _("一个有限的数")
                    ),
                    column="points",
                    code="points_out_of_range",
                    **where,
                )
            ]
        return []
    if rule_type in ("incidents", "rating"):
        return [
            Problem(
                _("{name!r} 按{rule}规则计分，不是由一个实际值算出").format(
                    name=indicator, rule=rule_type
                ),
                _("改为调整得分（--points）"),
                column="actual",
                code="no_actual_to_adjust",
                **where,
            )
        ]
    cell = pd.DataFrame(
        {"value": [actual], "_file": "kpi adjust --actual", "_row": 1, "_column": "实际值"}
    ).assign(person=where.get("person"))
    parsed, problems = to_number(cell, "value", allow_negative=ind.allow_negative)
    if not problems and not np.isfinite(parsed.iloc[0]):
        problems = [
            Problem(
                _("实际值 {actual!r} 不是有限的数").format(actual=actual),
                _("写一个普通数字，例如 2160000 或 0.925"),
                column="actual",
                code="not_finite",
                **where,
            )
        ]
    return problems


def _working_days(first: datetime, filed: datetime) -> int:
    """Working days after ``first`` up to and including ``filed``, on China's official
    calendar (holidays and make-up working days, 调休)."""
    import chinese_calendar

    start = first.date() + pd.Timedelta(days=1)
    if start > filed.date():
        return 0
    return len(chinese_calendar.get_workdays(start, filed.date()))


def _check_filed(filed_at, first, now, month, force, where) -> list[Problem]:
    if filed_at.date() < first.date():
        return [
            Problem(
                _("申诉日期 {filed:%Y-%m-%d} 早于 {month} 结果首次计分（{first:%Y-%m-%d}）").format(
                    filed=filed_at, month=month, first=first
                ),
                _("写实际提交申诉的日期（--filed YYYY-MM-DD）"),
                column="filed",
                code="filed_too_early",
                **where,
            )
        ]
    if filed_at > now:
        return [
            Problem(
                _("申诉日期 {filed:%Y-%m-%d} 在未来").format(filed=filed_at),
                _("写实际提交申诉的日期（--filed YYYY-MM-DD），或不写（默认现在）"),
                column="filed",
                code="filed_in_future",
                **where,
            )
        ]
    try:
        days = _working_days(first, filed_at)
    except NotImplementedError:
        return (
            []
            if force
            else [
                Problem(
                    _("工作日历（chinesecalendar）还没有 {year:%Y} 年的节假日安排").format(
                        year=filed_at
                    ),
                    _(
                        "升级 chinesecalendar（pip install -U chinesecalendar），"
                        "或确认未超期后加 --force"
                    ),
                    column="filed",
                    code="no_calendar",
                    **where,
                )
            ]
        )
    if days > APPEAL_WORKING_DAYS and not force:
        return [
            Problem(
                _(
                    "申诉在 {month} 结果首次计分（{first:%Y-%m-%d}）后第 {days} 个工作日提交；"
                    "申诉须在 {limit} 个工作日内提出（seed 003）"
                ).format(month=month, first=first, days=days, limit=APPEAL_WORKING_DAYS),
                _("驳回该申诉；或确需记录时加 --force（审计记录会标明）"),
                column="filed",
                code="appeal_late",
                **where,
            )
        ]
    return []


def audit_trail(store: str | Path | None = None, department: str | None = None) -> pd.DataFrame:
    """Every recorded appeal and adjustment, oldest first (``kpi history``), with its
    status in the current version of its month (已应用, 待复核, 已被取代, 未计入) and the
    adjustment it confirms, if any."""
    with connect(store, create=False) as con:
        trail = con.execute(
            "SELECT adjustment_id AS id, department, month, person, item, actual, points, "
            f"reason, made_by, filed_at, forced, confirms, status FROM ({RECORDED}) a "
            + ("WHERE department = ? " if department else "")
            + "ORDER BY adjustment_id",
            [department] if department else [],
        ).df()
    shown = {**STATUS, "pending": N_("未计入")}
    return trail.assign(status=trail["status"].map({k: _(v) for k, v in shown.items()}))


__all__ = [
    "save",
    "load",
    "runs",
    "adjust",
    "confirm",
    "adjustments",
    "decide",
    "inputs_digest",
    "audit_trail",
    "History",
    "store_path",
    "connect",
    "SCHEMA_VERSION",
]
