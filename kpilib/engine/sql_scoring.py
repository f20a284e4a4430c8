"""The row-level work of :func:`kpilib.engine.scoring.score` as DuckDB SQL, for big months.

One query checks the inputs, keys them, joins each target row to its actual and
scores it with its rule's SQL form (:meth:`kpilib.engine.rules.Rule.sql`); the
per-person stages (totals, gates, grades, ranks, reasons) stay with the pandas
code, on the scored rows. The numbers are the same as the pandas path's, to the bit.

Two things are handed to the pandas path whole, so that what it says is said once:

- a month this path does not cover (:func:`covers`): a plan with formulas, team
  actuals, derived targets, bonus, incident or rating items, or a rule without SQL
  form; recorded adjustments; actuals given as text;
- a month whose inputs have anything wrong or doubtful: the SQL only counts what
  could be a problem, and the pandas checks name every problem (file, row, person,
  column, fix) exactly as they always do.

Only this module imports DuckDB; :mod:`kpilib.engine.scoring` imports it when a month
is big enough (or when asked).
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from kpilib.engine.plan import Plan
from kpilib.parse import LARGEST, to_number

# a weight sum this close to the pandas check's 1e-6 is left to that check to decide
_WEIGHT_SLACK = 1e-6 - 1e-9


def covers(
    plan: Plan,
    actuals: pd.DataFrame,
    incidents: pd.DataFrame | None,
    adjustments: pd.DataFrame | None,
) -> bool:
    """Whether this path scores the month (else the pandas path does, whole). Ratings
    need no look: with no rated item in the plan, the pandas path reads none either."""
    plain = all(
        i.rule.inputs == "actual"
        and i.rule.weighted
        and not i.bonus
        and i.formula is None
        and i.team is None
        and i.target_of is None
        and i.rule.sql(i.lower) is not None
        for i in plan.indicators.values()
    )
    return (
        plain
        and all(x is None or len(x) == 0 for x in (incidents, adjustments))
        and not pd.api.types.is_bool_dtype(actuals["value"])
    )


def _keys(column: pd.Series) -> bool:
    """Text keys without blanks: only then do SQL and pandas compare them alike."""
    if column.hasnans:
        return False
    if isinstance(column.dtype, pd.CategoricalDtype):
        column = pd.Series(column.cat.categories)
    return pd.api.types.infer_dtype(column, skipna=False) in ("string", "empty")


def score_rows(plan: Plan, targets: pd.DataFrame, actuals: pd.DataFrame) -> dict | None:
    """Per target row (in the targets' order): ``_ind`` (the indicator's place in the plan),
    ``actual``, ``completion`` and ``points``, and ``values``: the month's actuals (person,
    item, value as numbers, blanks left out); ``None`` when anything could be wrong.

    ``targets`` and ``actuals`` are the frames :func:`~kpilib.engine.scoring.score` takes;
    the month must be one :func:`covers` accepts.
    """
    keys = [targets[c] for c in ("person", "indicator", "item")]
    if not all(_keys(c) for c in [*keys, actuals["person"], actuals["item"]]):
        return None
    entries = {**plan.measures, **plan.indicators}
    names = list(plan.indicators)
    book = pd.DataFrame(
        {
            "name": names,
            "code": np.arange(len(names), dtype=np.int32),
            "needs": [i.rule.needs_target() for i in plan.indicators.values()],
            "divides": [i.rule.divides_by_target() for i in plan.indicators.values()],
        }
    )
    allowed = pd.DataFrame(
        {"name": list(entries), "negative": [e.allow_negative for e in entries.values()]}
    )
    measures = pd.DataFrame({"name": pd.Series(list(plan.measures), dtype=object)})
    t = pd.DataFrame(
        {
            "pos": np.arange(len(targets), dtype=np.int64),
            "person": targets["person"].to_numpy(),
            "indicator": targets["indicator"].to_numpy(),
            "item": targets["item"].to_numpy(),
            "weight": targets["weight"].to_numpy(),
            "target": targets["target"].to_numpy(),
        },
        copy=False,
    )
    value = actuals["value"]
    if not pd.api.types.is_numeric_dtype(value):  # text as files give it: read as pandas does
        value, bad = to_number(actuals, "value", allow_blank=True, allow_negative=True)
        if bad:
            return None
    a = pd.DataFrame(
        {
            "person": actuals["person"].to_numpy(),
            "item": actuals["item"].to_numpy(),
            "value": np.asarray(value),
        },
        copy=False,
    )
    if not all(pd.api.types.is_numeric_dtype(t[c]) for c in ("weight", "target")):
        return None
    rules = [i.rule.sql(i.lower) for i in plan.indicators.values()]
    completion = " ".join(f"WHEN {k} THEN {c}" for k, (c, _) in enumerate(rules))
    points = " ".join(f"WHEN {k} THEN {p}" for k, (_, p) in enumerate(rules))
    with duckdb.connect() as con:
        for name, frame in (("t_in", t), ("a_in", a), ("book", book), ("allowed", allowed)):
            con.register(name, frame)
        con.register("measures", measures)
        # text keys as VARCHAR: a categorical arrives as an ENUM of its own categories
        con.execute(
            """
            CREATE TEMP TABLE t AS
            SELECT pos, person::VARCHAR AS person, item::VARCHAR AS item, code AS ind,
                   needs, divides, weight, target, weight * $scale AS full_points
            FROM t_in LEFT JOIN book ON indicator::VARCHAR = book.name;
            CREATE TEMP TABLE a AS
            SELECT person::VARCHAR AS person, item::VARCHAR AS item, value
            FROM a_in WHERE value IS NOT NULL
            """.replace("$scale", repr(float(plan.scale)))
        )
        doubtful = con.execute(
            f"""
            SELECT
              (SELECT count(*) FROM t WHERE ind IS NULL OR weight IS NULL
                 OR (needs AND target IS NULL) OR (divides AND target = 0))
            + (SELECT count(*) FROM (SELECT person, item FROM t GROUP BY ALL HAVING count(*) > 1))
            + (SELECT count(*) FROM (SELECT person FROM t GROUP BY person
                 HAVING abs(sum(weight) - 1) > {_WEIGHT_SLACK}))
            + (SELECT count(*) FROM (SELECT person, item FROM a GROUP BY ALL HAVING count(*) > 1))
            + (SELECT count(*) FROM a_in WHERE value IS NULL
                 AND person::VARCHAR NOT IN (SELECT person FROM t))
            + (SELECT count(*) FROM a LEFT JOIN allowed ON a.item = allowed.name
                 WHERE isinf(value) OR abs(value) > {LARGEST}
                   OR (value < 0 AND NOT coalesce(negative, false)))
            + (SELECT count(*) FROM a ANTI JOIN t USING (person, item)
                 WHERE item NOT IN (SELECT name FROM measures)
                   OR person NOT IN (SELECT person FROM t))
            """
        ).fetchone()[0]
        if doubtful:
            return None
        got = con.execute(
            f"""
            SELECT pos, ind, actual, CASE ind {completion} END AS completion,
                   CASE ind {points} END AS points
            FROM (SELECT t.*, a.value AS actual FROM t LEFT JOIN a USING (person, item))
            """
        ).fetchnumpy()
    if np.isnan(np.asarray(got["actual"], float)).any():  # a rule's actual not given
        return None
    order = np.argsort(got["pos"], kind="stable")  # rows in the targets' order
    rows = {c: np.asarray(got[c])[order] for c in ("ind", "actual", "completion", "points")}
    # every non-blank actual passed the checks: they are the month's values
    given = a["value"].notna().to_numpy()
    rows["values"] = actuals[given].assign(value=a["value"].to_numpy(float)[given])
    return rows
