"""Consequences across months: flags from a person's stored monthly history.

A plan's ``consequences:`` says, declaratively, what happens after repeated
failure (seed 000: 年度累积两次月度考核完成率低于60%者，作警告处理) or repeated
success (seed 003: 连续3个月考核排名第一的，给予一次性奖励200元). Each rule is a
condition on one person's month plus how matching months are counted:

``month``        this month matches
``year``         the n-th (or later) matching month of the calendar year
``consecutive``  n matching calendar months in a row
``window``       n matching months among the last ``window`` calendar months

Flags are computed from the history in the store (:func:`kpilib.store.load`),
never from one month alone, so a month scored late or re-scored changes the
flags of the months after it. Each flag names the months that triggered it.

Conditions are :mod:`kpilib.engine.formula` expressions over the person's month:
``total``, ``completion``, ``rank``, ``valid``, ``weighted_points``,
``bonus_points``, ``probation`` (1 for people listed under
``consequences.probation``), and ``points("item")``, ``completion("item")``,
``actual("item")``. ``60%`` may be written for ``0.6``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from kpilib.engine.policy import ConsequenceRule, parse_condition, shown
from kpilib.errors import PlanError, Problem
from kpilib.i18n import _
from kpilib.rounding import round_points

if TYPE_CHECKING:
    from collections.abc import Iterable

    from kpilib.engine.plan import Plan

FLAG_COLUMNS = ["person", "month", "rule", "action", "count", "months", "award", "reason"]


def evaluate(
    condition: str,
    people: pd.DataFrame,
    items: pd.DataFrame | None = None,
    probation: Iterable[str] = (),
) -> np.ndarray:
    """Where ``condition`` holds, one boolean per row of ``people``.

    Parameters
    ----------
    condition : str
        E.g. ``"completion < 60%"``, ``"rank == 1"``, ``"valid == 0"``.
    people : DataFrame
        ``Result.people`` or stored history (with a ``month`` column).
    items : DataFrame, optional
        The matching items, needed only for ``points("item")`` and friends.
    probation : iterable of str
        People on probation (试用期).
    """
    formula = parse_condition(condition)
    keys = (
        ["person", "month"]
        if "month" in people and items is not None and "month" in items
        else ["person"]
    )
    index = pd.MultiIndex.from_frame(people[keys])

    def name(n):
        if n == "probation":
            listed = people["person"].isin(list(probation))
            if "probation" in people:  # from the plan's staff dates (入职日期, 转正日期)
                listed |= people["probation"].fillna(False).astype(bool)
            return pd.Series(listed.to_numpy(float))
        return pd.Series(people[n].to_numpy(float))

    def lookup(fn, item):
        if items is None or item not in set(items["indicator"]) | set(items["item"]):
            known = [] if items is None else sorted(set(items["item"]))
            raise PlanError(
                Problem(
                    _("条件 {condition!r}：结果中没有指标 {item!r}").format(
                        condition=condition, item=item
                    ),
                    _("改用其中之一：{names}").format(names="、".join(known) or _("（无指标）")),
                    code="unknown_item",
                )
            )
        rows = items[(items["item"] == item) | (items["indicator"] == item)]
        table = rows.groupby(keys)[fn].sum()
        return pd.Series(table.reindex(index).to_numpy(float))

    value = np.asarray(formula.evaluate(name, lookup), dtype=float)
    return np.broadcast_to(np.nan_to_num(value) != 0, (len(people),)).copy()


def flags(people: pd.DataFrame, plan: Plan, items: pd.DataFrame | None = None) -> pd.DataFrame:
    """Evaluate the plan's consequence rules over a monthly history.

    Parameters
    ----------
    people : DataFrame
        One row per person and month with ``month`` (``YYYY-MM``): ``history.load(...).people``.
    plan : Plan
        Its ``consequences`` rules are evaluated.
    items : DataFrame, optional
        The history's items, for conditions that look at one item.

    Returns
    -------
    DataFrame
        person, month, rule, action, count, months (the triggering months,
        ``2024-03、2024-05``), award (Decimal yuan or None), reason.

    Examples
    --------
    >>> kpilib.store.save(kpilib.score_month("params/channel_ops.yaml", "2024-11"))
    1
    >>> history = kpilib.store.load("params/channel_ops.yaml")
    >>> flags(history.people, history.plan).columns.tolist()[:4]
    ['person', 'month', 'rule', 'action']
    """
    config = getattr(plan, "consequences", None)
    if "excluded" in people:
        # an excluded month (不参加考核) is neither failed nor voided: it is not counted
        # at all, and it breaks a run of consecutive months like any non-matching month
        people = people[~people["excluded"].fillna(False).astype(bool).to_numpy()]
    if config is None or not config.rules or people.empty:
        return pd.DataFrame(columns=FLAG_COLUMNS)
    calendar = pd.period_range(people["month"].min(), people["month"].max(), freq="M")
    labels = calendar.strftime("%Y-%m")
    persons = pd.unique(people["person"])
    out = []
    for rule in config.rules:
        hit = evaluate(rule.when, people, items, config.probation)
        grid = (
            pd.Series(hit, index=pd.MultiIndex.from_frame(people[["person", "month"]]))
            .groupby(level=[0, 1])
            .any()
            .unstack("month", fill_value=False)
            .reindex(index=persons, columns=labels, fill_value=False)
            .to_numpy(bool)
        )
        count = _count(grid, rule, calendar)
        fire = grid & (count >= rule.months)
        if rule.fires == "each":
            fire &= count % rule.months == 0
        elif rule.fires == "once":
            fire &= count == rule.months
        rows, cols = np.nonzero(fire)
        # fired cells are few (a flag is an exception); listing their months is not a hot path
        months = [
            _trigger(grid[r], c, int(count[r, c]), rule, calendar, labels)
            for r, c in zip(rows, cols, strict=True)
        ]
        n = count[rows, cols].astype(int)
        out.append(
            pd.DataFrame(
                {
                    "person": persons[rows],
                    "month": labels[cols],
                    "rule": rule.name,
                    "action": rule.action,
                    "count": n,
                    "months": months,
                    "award": [rule.award] * len(rows),
                    "reason": [
                        _("{month}：{condition}（{count}）").format(
                            month=m, condition=shown(rule.when, plan), count=_describe(rule, k)
                        )
                        + (f" → {rule.action}" if rule.action else "")
                        for m, k in zip(months, n, strict=True)
                    ],
                }
            )
        )
    frame = pd.concat(out, ignore_index=True)
    order = {p: i for i, p in enumerate(persons)}
    return (
        frame.assign(_o=frame["person"].map(order))
        .sort_values(["month", "_o"], kind="stable")
        .drop(columns="_o")
        .reset_index(drop=True)[FLAG_COLUMNS]
    )


def _count(grid: np.ndarray, rule: ConsequenceRule, calendar: pd.PeriodIndex) -> np.ndarray:
    """Per person and month: how many matching months count toward the rule."""
    m = grid.astype(int)
    if rule.over == "month":
        return m
    if rule.over == "year":
        count = np.zeros_like(m)
        for year in np.unique(calendar.year):  # a handful of years at most
            cols = np.asarray(calendar.year == year)
            count[:, cols] = m[:, cols].cumsum(axis=1)
        return count
    if rule.over == "consecutive":
        total = m.cumsum(axis=1)
        # the running total at the last non-matching month resets the streak
        reset = np.maximum.accumulate(np.where(grid, 0, total), axis=1)
        return total - reset
    return pd.DataFrame(m.T).rolling(rule.window, min_periods=1).sum().T.to_numpy().astype(int)


def _trigger(row, col, count, rule, calendar, labels) -> str:
    if rule.over == "month":
        picked = [col]
    elif rule.over == "consecutive":
        length = rule.months if rule.fires == "each" else count
        picked = list(range(col - length + 1, col + 1))
    else:
        first = (
            np.flatnonzero(np.asarray(calendar.year == calendar[col].year))[0]
            if rule.over == "year"
            else max(0, col - rule.window + 1)
        )
        picked = [c for c in range(first, col + 1) if row[c]]
        if rule.fires == "each":
            picked = picked[-rule.months :]
    return _("、").join(labels[picked])


def _describe(rule: ConsequenceRule, count: int) -> str:
    if rule.over == "month":
        return _("本月")
    if rule.over == "year":
        return _("年内第{count}次").format(count=count)
    if rule.over == "consecutive":
        return _("连续{count}个月").format(count=count)
    return _("近{window}个月内{count}次").format(window=rule.window, count=count)


def annual(people: pd.DataFrame) -> pd.DataFrame:
    """Annual roll-up: annual score = mean of the valid monthly totals (seed 002).

    Seed 002 mall rule (五): 全年考核成绩以全年检查得分的平均值为最终得分结果,
    公式:(自然月得分总和/自然月=全年考核成绩); a voided month (``valid`` False)
    is 不计入本年度全年考核成绩.

    Returns
    -------
    DataFrame
        person, year, months (scored), valid_months, annual_score (rounded to 0.01).
    """
    frame = people.assign(
        year=people["month"].str[:4].astype(int),
        _valid_total=people["total"].where(people["valid"].astype(bool)),
    )
    out = (
        frame.groupby(["person", "year"], sort=False)
        .agg(
            months=("month", "nunique"),
            valid_months=("_valid_total", "count"),
            annual_score=("_valid_total", "mean"),
        )
        .reset_index()
    )
    out["annual_score"] = round_points(out["annual_score"])
    return out
