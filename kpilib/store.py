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

import time
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from kpilib.engine.plan import Plan, load_plan, nearest
from kpilib.engine.scoring import ITEM_COLUMNS, PEOPLE_COLUMNS, Result
from kpilib.errors import DataError, KpiError, Problem
from kpilib.project import store_path

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
    # 3 (teams): exclusions, probation and grade ceilings on people (kpilib/engine/teams.py)
    """
    ALTER TABLE people ADD COLUMN excluded BOOLEAN DEFAULT FALSE;
    ALTER TABLE people ADD COLUMN exclusion VARCHAR DEFAULT '';
    ALTER TABLE people ADD COLUMN probation BOOLEAN DEFAULT FALSE;
    ALTER TABLE people ADD COLUMN ceiling VARCHAR DEFAULT '';
    """,
    # 4 (money): fines and awards per person, pay levels carried between months
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
]
SCHEMA_VERSION = len(SCHEMA)


@contextmanager
def connect(store: str | Path | None = None, create: bool = True):
    """Open the store (creating or migrating it), yield a DuckDB connection, close it.

    Connections are short-lived so that a notebook never holds the file's lock
    while another process saves. A store locked by another process is waited
    for ``LOCK_WAIT`` seconds, then reported; a corrupt file is reported, never
    replaced.
    """
    import duckdb

    path = store_path(store)
    if not path.exists() and not create:
        raise KpiError(
            Problem(
                f"no results store at {path}",
                "score a month first (kpi score PLAN --month YYYY-MM), or point "
                "--store / KPI_STORE at the store",
                file=str(path),
            )
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + LOCK_WAIT
    while True:
        try:
            con = duckdb.connect(str(path))
            break
        except duckdb.IOException as exc:
            message = str(exc)
            if "lock" in message.lower() and time.monotonic() < deadline:
                time.sleep(0.1)
                continue
            if "lock" in message.lower():
                holder = message.split("Conflicting lock is held in", 1)[-1].split(". See")[0]
                raise KpiError(
                    Problem(
                        f"the results store is in use by another process ({holder.strip()})",
                        "wait for it to finish, or close the notebook kernel or program holding "
                        "it, then run again",
                        file=str(path),
                    )
                ) from None
            raise KpiError(
                Problem(
                    f"the results store is not a readable DuckDB file ({message})",
                    "restore it from a backup, or move it aside to start a new store; "
                    "nothing was changed",
                    file=str(path),
                )
            ) from None
    try:
        _upgrade(con, path)
        yield con
    finally:
        con.close()


def _upgrade(con, path: Path) -> None:
    tables = {
        row[0] for row in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    }
    if "meta" in tables:
        version = int(
            con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0]
        )
    elif tables:
        raise KpiError(
            Problem(
                "this DuckDB file is not a kpilib results store (it has no meta table)",
                "point --store / KPI_STORE at the results store, or move this file aside",
                file=str(path),
            )
        )
    else:
        version = 0
    if version > SCHEMA_VERSION:
        raise KpiError(
            Problem(
                f"the results store has schema version {version}, newer than this kpilib "
                f"understands ({SCHEMA_VERSION})",
                "upgrade kpilib (pip install -U -e .), or use the kpilib that wrote the store",
                file=str(path),
            )
        )
    if version == SCHEMA_VERSION:
        return
    con.begin()  # all missing steps in one transaction: a failed migration changes nothing
    try:
        for step in SCHEMA[version:]:
            con.execute(step)
        con.execute(
            "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)]
        )
        con.commit()
    except Exception:
        con.rollback()
        raise


def save(
    result: Result,
    files: Iterable[str | Path] | None = None,
    store: str | Path | None = None,
    note: str = "",
) -> int:
    """Store a scored month as a new version; return the version number.

    Parameters
    ----------
    result : Result
        From :func:`kpilib.score_month`.
    files : paths, optional
        The input files read (checksummed); default ``io.input_files(plan, month)``.
    store : path, optional
        See :func:`store_path`.
    note : str
        Free text kept with the version (why it was re-scored).

    Examples
    --------
    >>> result = kpilib.score_month("params/channel_ops.yaml", "2024-11")
    >>> save(result)
    1
    """
    from kpilib.files import checksum
    from kpilib.project import input_files

    if not result.month:
        raise KpiError(
            Problem(
                "a result without a month cannot be stored",
                "score with kpilib.score_month(plan, 'YYYY-MM')",
            )
        )
    plan = result.plan
    paths = [Path(p) for p in (files if files is not None else input_files(plan, result.month))]
    sums = [checksum(p) for p in paths]
    with connect(store) as con:
        con.begin()
        try:
            run_id, version = con.execute(
                "SELECT coalesce((SELECT max(run_id) FROM runs), 0) + 1, "
                "coalesce(max(version), 0) + 1 FROM runs WHERE department = ? AND month = ?",
                [plan.department, result.month],
            ).fetchone()
            con.execute(
                "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    run_id,
                    plan.department,
                    result.month,
                    version,
                    datetime.now(),
                    str(plan.path) if plan.path else None,
                    plan.digest or "",
                    note,
                ],
            )
            if paths:  # DuckDB refuses an empty executemany
                con.executemany(
                    "INSERT INTO input_files VALUES (?, ?, ?, ?)",
                    [[run_id, str(p), s, n] for p, (s, n) in zip(paths, sums, strict=True)],
                )
            _insert(con, "items", result.items[ITEM_COLUMNS], run_id)
            _insert(con, "people", result.people[PEOPLE_COLUMNS], run_id)
            con.commit()
        except BaseException:
            con.rollback()
            raise
    return version


def _insert(con, table: str, frame: pd.DataFrame, run_id: int) -> None:
    con.register("_frame", frame)
    try:
        columns = ", ".join(f'"{c}"' for c in frame.columns)
        con.execute(f"INSERT INTO {table} SELECT {run_id}, {columns} FROM _frame")
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
        The stored tables with department, month, version, run_id, and, after
        adjustments, ``adjusted`` plus the original figures.
    adjustments : DataFrame
        The audit trail: every appeal or adjustment recorded.
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
    """Read a department's history: the current version of each month, adjusted.

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
    if plan is not None and not isinstance(plan, Plan):
        plan = load_plan(plan)
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
            f"SELECT * FROM adjustments r WHERE {adj_where} ORDER BY adjustment_id", args
        ).df()
    people, items = apply_adjustments(people, items, adjustments, plan)
    return History(plan, runs, people, items, adjustments, files)


def apply_adjustments(
    people: pd.DataFrame, items: pd.DataFrame, adjustments: pd.DataFrame, plan: Plan | None = None
):
    """Apply the latest adjustment of each item on top of the computed results.

    Items gain ``adjusted``, ``original_points`` and ``original_actual``;
    people gain ``adjusted`` and ``original_total``, with total, completion,
    grade (when ``plan`` is given) and rank recomputed from the adjusted points.
    """
    items = items.assign(
        adjusted=False, original_points=items["points"], original_actual=items["actual"]
    )
    people = people.assign(adjusted=False, original_total=people["total"])
    if adjustments.empty or items.empty:
        return people, items
    key = ["department", "month", "person", "item"]
    latest = adjustments.drop_duplicates(key, keep="last").rename(
        columns={"actual": "new_actual", "points": "new_points"}
    )
    items = items.merge(
        latest[[*key, "new_actual", "new_points", "reason", "made_by"]].rename(
            columns={"reason": "adj_reason"}
        ),
        on=key,
        how="left",
    )
    hit = items["adj_reason"].notna()
    if plan is not None and items.loc[hit, "new_actual"].notna().any():
        items = _rescore(items, hit & items["new_actual"].notna(), plan)
    new = items["new_points"].where(hit & items["new_points"].notna(), items["points"])
    items["adjusted"] = hit
    items["points"] = new.round(2)
    items["reason"] = items["reason"].where(
        ~hit,
        items["reason"]
        + "；申诉调整（"
        + items["adj_reason"].fillna("")
        + "，"
        + items["made_by"].fillna("")
        + "）→ "
        + items["points"].map("{:g}".format),
    )
    items = items.drop(columns=["new_actual", "new_points", "adj_reason", "made_by"])
    delta = (items["points"] - items["original_points"]).fillna(0)
    run_key = ["run_id", "person"]
    weighted = items["rule"] != "bonus"
    sums = (
        pd.DataFrame(
            {
                "d_weighted": delta.where(weighted, 0),
                "d_bonus": delta.where(~weighted, 0),
                "full": items["full_points"].where(weighted, 0),
                "adjusted": items["adjusted"],
            }
        )
        .groupby([items["run_id"], items["person"]])
        .agg(
            d_weighted=("d_weighted", "sum"),
            d_bonus=("d_bonus", "sum"),
            full=("full", "sum"),
            adjusted=("adjusted", "any"),
        )
        .reset_index()
    )
    people = people.drop(columns="adjusted").merge(sums, on=run_key, how="left")
    people["adjusted"] = people["adjusted"].fillna(False).astype(bool)
    changed = people["adjusted"]
    people["weighted_points"] = (people["weighted_points"] + people["d_weighted"].fillna(0)).round(
        2
    )
    people["bonus_points"] = (people["bonus_points"] + people["d_bonus"].fillna(0)).round(2)
    people["total"] = (
        people["total"] + people["d_weighted"].fillna(0) + people["d_bonus"].fillna(0)
    ).round(2)
    people["completion"] = people["completion"].where(
        ~changed, people["weighted_points"] / people["full"]
    )
    if plan is not None:
        bands = plan.grades
        grade = np.select(
            [people["total"] >= g.min for g in bands[:-1]],
            [g.name for g in bands[:-1]],
            bands[-1].name,
        )
        people["grade"] = people["grade"].where(~changed | ~people["valid"], grade)
    people["rank"] = (
        people["total"]
        .where(people["valid"])
        .groupby(people["run_id"])
        .rank(ascending=False, method="min")
    )
    return people.drop(columns=["d_weighted", "d_bonus", "full"]), items


def adjustments(
    department: str, month: str, person: str | None = None, store: str | Path | None = None
) -> pd.DataFrame:
    """The appeals and adjustments recorded for a month (and one person), oldest first;
    empty when there is no store."""
    if not store_path(store).exists():
        return pd.DataFrame()
    query = "SELECT * FROM adjustments WHERE department = ? AND month = ?"
    args = [department, month]
    if person is not None:
        query, args = query + " AND person = ?", [*args, person]
    with connect(store, create=False) as con:
        return con.execute(query + " ORDER BY adjustment_id", args).df()


def _rescore(items: pd.DataFrame, mask: pd.Series, plan: Plan) -> pd.DataFrame:
    """Score adjusted actuals with the plan's rule for their indicator."""
    items = items.copy()
    items.loc[mask, "actual"] = items.loc[mask, "new_actual"]
    for name, rows in items[mask].groupby("indicator"):  # one call per indicator
        ind = plan.indicators[name]
        frame = rows.assign(deduction=0.0, share=np.nan, detail="")
        scored = ind.rule.score(frame, ind.lower, ind.unit)
        scored.index = rows.index
        items.loc[rows.index, "completion"] = scored["completion"].to_numpy(float)
        items.loc[rows.index, "new_points"] = scored["points"].to_numpy(float)
        items.loc[rows.index, "reason"] = scored["reason"].to_numpy(object)
    return items


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
    """Record an appeal's outcome or an adjustment; return its ID.

    The stored results stay as computed; :func:`load` applies the latest
    adjustment of each item on top and marks it. Seed 003: an appeal filed
    more than ``APPEAL_WORKING_DAYS`` working days (Monday-Friday) after the
    month's results were first stored is refused unless ``force``.

    Parameters
    ----------
    plan : path or Plan
    month, person, item : str
        Must exist in the store's current version of the month.
    reason, by : str
        Why, and who decided (both required: the audit trail shows them).
    actual : float, optional
        A corrected actual, re-scored with the plan's rule.
    points : float, optional
        The item's new points, as decided.
    filed_at : datetime, optional
        When the appeal was filed; default now.
    force : bool
        Record it even past the deadline (the trail shows it was forced).
    """
    plan = plan if isinstance(plan, Plan) else load_plan(plan)
    where = {"file": str(store_path(store))}
    if (actual is None) == (points is None):
        raise KpiError(
            Problem(
                "give either a new actual or new points, not both or neither",
                "pass --actual VALUE or --points VALUE",
                **where,
            )
        )
    if not str(reason).strip() or not str(by).strip():
        raise KpiError(
            Problem(
                "an adjustment needs a reason and who made it",
                "pass --reason TEXT and --by NAME",
                **where,
            )
        )
    filed_at = filed_at or datetime.now()
    with connect(store, create=False) as con:
        stored = con.execute(
            "SELECT month, min(scored_at) FROM runs WHERE department = ? GROUP BY month",
            [plan.department],
        ).fetchall()
        first_scored = dict(stored)
        if month not in first_scored:
            raise DataError(
                Problem(
                    f"{plan.department} has no stored results for {month} "
                    f"(stored: {', '.join(sorted(first_scored)) or 'none'})",
                    f"score the month first: kpi score {plan.path} --month {month}",
                    **where,
                )
            )
        rows = con.execute(
            "SELECT i.person, i.item, i.rule FROM items i JOIN current_runs r USING (run_id) "
            "WHERE r.department = ? AND r.month = ?",
            [plan.department, month],
        ).fetchall()
        persons = {p for p, _, _ in rows}
        if person not in persons:
            raise DataError(
                Problem(
                    f"nobody called {person!r} was scored in {month}{nearest(person, persons)}",
                    "check the name against the month's results",
                    person=person,
                    **where,
                )
            )
        mine = {i: r for p, i, r in rows if p == person}
        if item not in mine:
            raise DataError(
                Problem(
                    f"{person} has no item {item!r} in {month}{nearest(item, mine)}",
                    f"use one of: {', '.join(mine)}",
                    person=person,
                    column="item",
                    **where,
                )
            )
        if actual is not None and mine[item] in ("incidents", "rating", "bonus"):
            raise DataError(
                Problem(
                    f"{item!r} is scored by a {mine[item]} rule, not from one actual",
                    "adjust its points instead (--points)",
                    person=person,
                    **where,
                )
            )
        days = int(np.busday_count(first_scored[month].date(), filed_at.date()))
        if days > APPEAL_WORKING_DAYS and not force:
            raise KpiError(
                Problem(
                    f"the appeal was filed {days} working days after the {month} results "
                    f"({first_scored[month]:%Y-%m-%d}); appeals are accepted within "
                    f"{APPEAL_WORKING_DAYS} working days (seed 003)",
                    "refuse it, or record it anyway with --force (the trail marks it forced)",
                    person=person,
                    **where,
                )
            )
        con.begin()
        try:
            (adjustment_id,) = con.execute(
                "SELECT coalesce(max(adjustment_id), 0) + 1 FROM adjustments"
            ).fetchone()
            con.execute(
                "INSERT INTO adjustments VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
                    force and days > APPEAL_WORKING_DAYS,
                ],
            )
            con.commit()
        except BaseException:
            con.rollback()
            raise
    return adjustment_id


def audit_trail(store: str | Path | None = None, department: str | None = None) -> pd.DataFrame:
    """Every recorded appeal and adjustment, oldest first (``kpi history``)."""
    with connect(store, create=False) as con:
        return con.execute(
            "SELECT adjustment_id AS id, department, month, person, item, actual, points, "
            "reason, made_by, filed_at, forced FROM adjustments "
            + ("WHERE department = ? " if department else "")
            + "ORDER BY adjustment_id",
            [department] if department else [],
        ).df()


__all__ = [
    "save",
    "load",
    "runs",
    "adjust",
    "audit_trail",
    "History",
    "store_path",
    "connect",
    "SCHEMA_VERSION",
]
