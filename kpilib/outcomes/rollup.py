"""A period's result from its months: roll-up, completeness, grade, rank, rules and pay.

Pure functions of stored monthly results (one row per person and month, as
:func:`kpilib.store.load` or :class:`kpilib.months.MonthHistory` give them) and a
plan's ``periods:`` entry (:mod:`kpilib.engine.period_plan`).

Each month of the period is, per person, *valid*, *voided* (一票否决: ``valid`` is
false) or *missing* (no result: the department's month is not scored yet, or the
person was not appraised that month). The plan says what a voided month and a
missing month mean (excluded, zero, or the period is incomplete), then the counted
months are rolled up (mean, sum, last, or a formula over ``mean``, ``sum``,
``last``...). A period with a month the department has not scored is incomplete: it
says so and is not graded (``incomplete_grade``, default 未完整, with the grade it
would have as ``provisional_grade``) unless the plan's ``complete_if`` holds.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from kpilib import text
from kpilib.engine.period_plan import (
    PERIOD_LABELS,
    RULE_NAMES,
    PeriodSpec,
    parse_period_formula,
)
from kpilib.engine.plan import grade_of
from kpilib.i18n import N_, _
from kpilib.outcomes.consequences import evaluate
from kpilib.periods import Period
from kpilib.rounding import round_points

PERIOD_COLUMNS = [
    "person",
    "role",
    "total",
    "completion",
    "grade",
    "provisional_grade",
    "rank",
    "valid",
    "complete",
    "months",
    "valid_months",
    "voided_months",
    "missing_months",
    "qualifying_months",
    "month_totals",
    "reason",
]
FLAG_COLUMNS = ["person", "period", "rule", "action", "reason"]
ROLLUP_LABELS = {"mean": N_("平均"), "sum": N_("合计"), "last": N_("末月"), "formula": N_("公式")}


def roll_up(
    people: pd.DataFrame,
    period: Period,
    spec: PeriodSpec,
    grades: list,
    void_grade: str = "无效",
    items: pd.DataFrame | None = None,
    scored: set[str] | None = None,
) -> pd.DataFrame:
    """One row per person: the period's score from the months' totals.

    Parameters
    ----------
    people : DataFrame
        Monthly results with ``month``, person, role, total, completion, valid
        (and ``excluded``: a month a person did not take part in counts as missing).
    period : Period
    spec : PeriodSpec
        The plan's entry for this kind of period.
    grades : list of Grade
        The period's grade bands (its own, else the plan's).
    items : DataFrame, optional
        The months' items, for a ``qualifying`` condition that looks at one item.
    scored : set of str, optional
        The months the department has a result for; default: the months in ``people``.

    Returns
    -------
    DataFrame
        :data:`PERIOD_COLUMNS`.

    Examples
    --------
    >>> months = pd.DataFrame({"person": "甲", "role": "", "month": ["2024-10", "2024-11"],
    ...                        "total": [80.0, 90.0], "completion": [0.8, 0.9],
    ...                        "valid": True})
    >>> spec = PeriodSpec.model_validate({"rollup": "mean"})
    >>> row = roll_up(months, Period.parse("2024-Q4"), spec, []).iloc[0]
    >>> float(row["total"]), bool(row["complete"]), row["grade"]  # December not scored yet
    (85.0, False, '未完整')
    """
    labels = list(period.months)
    mine = people[people["month"].isin(labels)]
    scored = set(mine["month"]) if scored is None else set(scored) & set(labels)
    persons = pd.unique(mine["person"])
    if "excluded" in mine:  # 不参加考核 that month: no result for the person
        mine = mine[~mine["excluded"].fillna(False).astype(bool).to_numpy()]

    def grid(column, fill):
        return (
            mine.assign(**{column: mine[column].astype(float)})
            .pivot_table(index="person", columns="month", values=column, aggfunc="last")
            .reindex(index=persons, columns=labels)
            .to_numpy(float)
            if len(mine)
            else np.full((len(persons), len(labels)), fill)
        )

    totals = grid("total", np.nan)
    present = ~np.isnan(totals)
    valid_cells = present & (np.nan_to_num(grid("valid", 0.0)) != 0)
    voided = present & ~valid_cells
    missing = ~present
    used = np.where(valid_cells, totals, np.nan)
    if spec.voided == "zero":
        used = np.where(voided, 0.0, used)
    if spec.missing == "zero":
        used = np.where(missing, 0.0, used)
    counted = ~np.isnan(used)
    n = counted.sum(axis=1)
    names = _stats(used, counted, n)
    names["months"] = n.astype(float)
    names["valid_months"] = valid_cells.sum(axis=1).astype(float)
    names["voided_months"] = voided.sum(axis=1).astype(float)
    names["missing_months"] = missing.sum(axis=1).astype(float)
    completion = np.where(counted, grid("completion", np.nan), np.nan)
    known = ~np.isnan(completion)
    with np.errstate(invalid="ignore", divide="ignore"):
        names["completion"] = np.nansum(completion, axis=1) / known.sum(axis=1)
    names["qualifying_months"] = _qualifying(spec, mine, items, persons, labels)
    # the department has scored every month of the period; a person's own missing month
    # makes it incomplete only when the plan says so
    unscored = [m for m in labels if m not in scored]
    complete = np.full(len(persons), not unscored)
    if spec.missing == "incomplete":
        complete &= names["missing_months"] == 0
    names["complete"] = complete.astype(float)
    if spec.rollup == "formula":
        total = _formula(spec.formula, names)
    else:
        total = names[spec.rollup]
    total = np.where(n > 0, round_points(total), np.nan)
    names["total"] = total
    if spec.complete_if is not None:
        complete |= _formula(spec.complete_if, names) != 0
    valid = n > 0
    graded = grade_of(grades, total)
    grade = np.where(valid, np.where(complete, graded, spec.incomplete_grade), void_grade)
    ranked = pd.Series(np.where(valid & complete, total, np.nan)).rank(
        ascending=False, method="min"
    )
    role = mine.drop_duplicates("person", keep="last").set_index("person")["role"]
    shown = _month_totals(labels, totals, valid_cells, missing, scored)
    out = pd.DataFrame(
        {
            "person": persons,
            "role": pd.Series(persons).map(role).fillna("").to_numpy(object),
            "total": total,
            "completion": names["completion"],
            "grade": grade,
            "provisional_grade": np.where(valid & ~complete, graded, ""),
            "rank": ranked.to_numpy(float),
            "valid": valid,
            "complete": complete,
            "months": n,
            "valid_months": names["valid_months"].astype(int),
            "voided_months": names["voided_months"].astype(int),
            "missing_months": names["missing_months"].astype(int),
            "qualifying_months": names["qualifying_months"].astype(int),
            "month_totals": shown,
        }
    )
    out["reason"] = _reason(out, spec, unscored)
    return out[PERIOD_COLUMNS]


def from_result(
    people: pd.DataFrame, period: Period, grades: list, void_grade: str
) -> pd.DataFrame:
    """A period scored directly from its own files (``from: actuals``), in the period's
    columns: every month counts, the period is complete, graded by the period's bands."""
    valid = people["valid"].to_numpy(bool)
    total = people["total"].to_numpy(float)
    n = len(period.months)
    out = pd.DataFrame(
        {
            "person": people["person"].to_numpy(object),
            "role": people["role"].fillna("").to_numpy(object),
            "total": total,
            "completion": people["completion"].to_numpy(float),
            "grade": np.where(valid, grade_of(grades, total), void_grade),
            "provisional_grade": "",
            "rank": pd.Series(np.where(valid, total, np.nan))
            .rank(ascending=False, method="min")
            .to_numpy(float),
            "valid": valid,
            "complete": True,
            "months": n,
            "valid_months": n * valid,
            "voided_months": n * ~valid,
            "missing_months": 0,
            "qualifying_months": 0,
            "month_totals": "",
        }
    )
    out["reason"] = text.cat(
        _("{period}按本周期目标和实际值计分：").format(period=period.label), text.points(total)
    )
    return out[PERIOD_COLUMNS]


def period_flags(frame: pd.DataFrame, spec: PeriodSpec, period: Period) -> pd.DataFrame:
    """The period's rules (``periods.<kind>.rules``) over its result: who they apply to.

    Only a complete period applies a rule: an incomplete year decides no demotion. A
    period without a counted month (every month voided) has no total: a rule on
    ``total`` does not hold for it, one on ``voided_months`` does.
    """
    out = []
    settled = frame["complete"].to_numpy(bool)
    names = {n: frame[n].to_numpy(float) for n in RULE_NAMES}
    for rule in spec.rules:
        if rule.grade is not None:
            hit = frame["grade"].to_numpy(object) == rule.grade
            said = _("{period}等级为{grade}").format(period=period.label, grade=rule.grade)
        else:
            hit = _formula(rule.when, names) != 0
            said = f"{period.label}{_shown(rule.when)}"
        hit &= settled
        rows = frame[hit]
        out.append(
            pd.DataFrame(
                {
                    "person": rows["person"].to_numpy(object),
                    "period": period.key,
                    "rule": rule.name,
                    "action": rule.action,
                    "reason": text.cat(
                        said,
                        _("（周期得分 "),
                        text.points(rows["total"]),
                        _("）"),
                        f" → {rule.action}" if rule.action else "",
                    ),
                }
            )
        )
    if not out:
        return pd.DataFrame(columns=FLAG_COLUMNS)
    return pd.concat(out, ignore_index=True)[FLAG_COLUMNS]


def _stats(used: np.ndarray, counted: np.ndarray, n: np.ndarray) -> dict:
    rows = np.arange(len(used))
    any_ = n > 0
    last = np.where(any_, used[rows, used.shape[1] - 1 - np.argmax(counted[:, ::-1], axis=1)], 0)
    first = np.where(any_, used[rows, np.argmax(counted, axis=1)], 0)
    with np.errstate(invalid="ignore"):
        return {
            "sum": np.nansum(used, axis=1),
            "mean": np.where(any_, np.nansum(used, axis=1) / np.maximum(n, 1), np.nan),
            "last": np.where(any_, last, np.nan),
            "first": np.where(any_, first, np.nan),
            "lowest": np.where(any_, np.nanmin(np.where(counted, used, np.inf), axis=1), np.nan),
            "highest": np.where(any_, np.nanmax(np.where(counted, used, -np.inf), axis=1), np.nan),
        }


def _formula(formula: str, names: dict) -> np.ndarray:
    parsed = parse_period_formula(formula)
    value = parsed.evaluate(lambda name: pd.Series(np.asarray(names[name], float)))
    return np.broadcast_to(np.asarray(value, float), np.shape(names["months"])).copy()


def _qualifying(spec, mine, items, persons, labels) -> np.ndarray:
    if spec.qualifying is None or mine.empty:
        return np.zeros(len(persons))
    if items is not None:
        items = items[items["month"].isin(labels)]
    hit = evaluate(spec.qualifying, mine, items) & mine["valid"].to_numpy(bool)
    return (
        pd.Series(hit, index=mine.index)
        .groupby(mine["person"].to_numpy())
        .sum()
        .reindex(persons, fill_value=0)
        .to_numpy(float)
    )


def _month_totals(labels, totals, valid_cells, missing, scored) -> np.ndarray:
    """``10月 88.5；11月 无效；12月 未计分`` per person."""
    parts = []
    for j, month in enumerate(labels):  # at most twelve months
        short = _("{n}月 ").format(n=int(month[5:7]))
        cell = np.where(
            valid_cells[:, j],
            text.points(totals[:, j]),
            np.where(missing[:, j], _("未计分") if month not in scored else _("未考核"), _("无效")),
        )
        parts.append(text.cat(short, cell))
    out = parts[0]
    for part in parts[1:]:
        out = text.cat(out, "；", part)
    return out


def _reason(out: pd.DataFrame, spec: PeriodSpec, unscored: list[str]) -> np.ndarray:
    how = _(ROLLUP_LABELS[spec.rollup]) + (f"（{spec.formula}）" if spec.formula else "")
    reason = text.cat(
        out["months"].astype(str).to_numpy(object),
        _(" 个月{how} = ").format(how=how),
        text.points(out["total"]),
    )
    voided = out["voided_months"].to_numpy(int)
    reason = np.where(
        voided > 0,
        text.cat(
            reason,
            _("；无效月 "),
            voided.astype(str).astype(object),
            _(" 个计 0 分") if spec.voided == "zero" else _(" 个不计入"),
        ),
        reason,
    )
    if unscored:
        reason = text.cat(
            reason, _("；周期未完整：{months} 尚未计分").format(months="、".join(unscored))
        )
    return reason


def _shown(condition: str) -> str:
    """``total >= 80`` → ``周期得分 >= 80``."""
    words = re.compile(r"\b(" + "|".join(sorted(PERIOD_LABELS, key=len, reverse=True)) + r")\b")
    return words.sub(lambda m: _(PERIOD_LABELS[m.group(1)]), condition)


__all__ = ["roll_up", "from_result", "period_flags", "PERIOD_COLUMNS", "FLAG_COLUMNS"]
