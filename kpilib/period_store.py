"""Stored period results: every version of a department's quarter, half-year, year...

The tables are schema step 6 of :data:`kpilib.store.SCHEMA` (``period_runs``,
``period_people``, ``period_items``). As with months, nothing is overwritten: a
period made again from changed months is the next version, the highest is current.
A version's ``basis`` says what it was made from (the month versions rolled up, or
its own input files), so a reader knows when it is out of date.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import pandas as pd

from kpilib.project import store_path
from kpilib.store import connect, insert_frame, transaction

if TYPE_CHECKING:
    from pathlib import Path

    from kpilib.periods import Period


def save(
    department: str,
    period: Period,
    people: pd.DataFrame,
    *,
    plan_digest: str,
    source: str,
    basis: str,
    items: pd.DataFrame | None = None,
    note: str = "",
    store: str | Path | None = None,
) -> int:
    """Store a period's result as its next version (one transaction); return the version."""
    from kpilib.engine.scoring import ITEM_COLUMNS
    from kpilib.outcomes.rollup import PERIOD_COLUMNS

    complete = bool(people["complete"].all()) if len(people) else False
    with connect(store) as con:
        with transaction(con):
            run_id, version = con.execute(
                "SELECT coalesce((SELECT max(run_id) FROM period_runs), 0) + 1, "
                "coalesce(max(version), 0) + 1 FROM period_runs "
                "WHERE department = ? AND period = ?",
                [department, period.key],
            ).fetchone()
            con.execute(
                "INSERT INTO period_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    run_id,
                    department,
                    period.key,
                    period.kind.value,
                    version,
                    datetime.now(),
                    plan_digest,
                    source,
                    basis,
                    complete,
                    note,
                ],
            )
            insert_frame(con, "period_people", people[PERIOD_COLUMNS], run_id)
            if items is not None and len(items):
                insert_frame(con, "period_items", items[ITEM_COLUMNS], run_id)
    return version


def current(department: str, period: Period, store: str | Path | None = None) -> dict | None:
    """The current version of a period: ``{"run": row, "people": ..., "items": ...}``,
    or ``None`` when it is not stored."""
    if not store_path(store).exists():
        return None
    with connect(store, create=False) as con:
        run = con.execute(
            "SELECT * FROM period_runs WHERE department = ? AND period = ? "
            "ORDER BY version DESC LIMIT 1",
            [department, period.key],
        ).df()
        if run.empty:
            return None
        run_id = int(run["run_id"].iloc[0])
        people = con.execute(
            "SELECT * EXCLUDE (run_id) FROM period_people WHERE run_id = ? ORDER BY rowid",
            [run_id],
        ).df()
        items = con.execute(
            "SELECT * EXCLUDE (run_id) FROM period_items WHERE run_id = ? ORDER BY rowid",
            [run_id],
        ).df()
    return {"run": run.iloc[0], "people": people, "items": items}


def runs(store: str | Path | None = None, department: str | None = None) -> pd.DataFrame:
    """Every stored period version: department, period, kind, version, current, complete..."""
    if not store_path(store).exists():
        return pd.DataFrame()
    where, args = ("WHERE r.department = ?", [department]) if department else ("", [])
    with connect(store, create=False) as con:
        return con.execute(
            "SELECT r.department, r.period, r.kind, r.version, "
            "r.version = (SELECT max(version) FROM period_runs x WHERE x.department = "
            "r.department AND x.period = r.period) AS current, r.scored_at, r.source, "
            "r.complete, r.plan_digest, r.note, "
            "(SELECT count(*) FROM period_people p WHERE p.run_id = r.run_id) AS people "
            f"FROM period_runs r {where} ORDER BY r.department, r.period, r.version",
            args,
        ).df()


__all__ = ["save", "current", "runs"]
