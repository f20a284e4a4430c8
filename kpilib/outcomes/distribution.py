"""Forced distribution (考绩正态分布比率) and the reviewer's recorded overrides (复核调整).

Seed 002 #8 rule 20: "每一项目的成绩分布情形,应考虑考绩正态分布比率,其比率相差太高时,请复核
人员酌情加以调整"; rule 21: "各级复核人员可依规定修改下级考核人员成绩". A plan's
``calibration.distribution`` gives each grade an exact ``share`` of its group or a
``min``/``max`` share; people are taken in rank order (total, then the plan's
``tie_break``) within each group (the whole department, or each role with ``by: role``).

For each grade from the top: the people whose score grade is this grade or better
keep it, but never fewer than ``min`` nor more than ``max`` places (and never so
many that the grades below cannot get their ``min``); the last grade takes the rest.
Places: ``max`` → ``floor(max × n)``, ``min`` → ``ceil(min × n)``, ``share`` →
``round(share × n)`` (half up), all at 9 decimals. With ``ties: up``, people with the
same total all get the best grade any of them got (a group may then exceed a max).

Excluded people (不参加考核) and voided months take no place and keep their grade.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from kpilib import compare, text
from kpilib.engine.policy import Distribution
from kpilib.errors import PlanError, Problem
from kpilib.i18n import _

if TYPE_CHECKING:
    from kpilib.engine.plan import Plan


def _places(ratio, n: int) -> tuple[int, int]:
    if ratio.share is not None:
        exact = int(np.floor(compare.settle(ratio.share * n) + 0.5))
        return exact, exact
    low = int(np.ceil(compare.settle((ratio.min or 0) * n)))
    high = compare.places(ratio.max, n) if ratio.max is not None else n
    return low, high


def distribute(
    people: pd.DataFrame, order: pd.Index, plan: Plan, config: Distribution
) -> pd.DataFrame:
    """Grades after the forced distribution; ``people`` has grade, total, valid, role.

    ``order`` is :func:`kpilib.outcomes.ranking.rank_order`: the index of the people
    who take part, best first (the same order the grade quotas use). Returns ``people``
    with ``grade`` and ``calibration`` (the reason) updated where the distribution moved
    someone.
    """
    names = [g.name for g in plan.grades]
    listed = [r.grade for r in config.ratios]
    unknown = [g for g in listed if g not in names]
    if unknown or listed != [n for n in names if n in listed]:
        raise PlanError(
            Problem(
                _("calibration.distribution 列出的等级 {listed} 不对").format(listed=listed),
                _("按从好到差列出方案的等级：{names}").format(names="、".join(names)),
                file=str(plan.path),
                code="bad_distribution",
                where="calibration.distribution.ratios",
            )
        )
    people = people.copy()
    position = pd.Series(range(len(names)), index=names)
    ranked = list(order)
    groups = (
        pd.Series(ranked).groupby(people.loc[ranked, "role"].to_numpy(), sort=False)
        if config.by == "role"
        else [(None, pd.Series(ranked))]
    )
    ratio_of = {r.grade: r for r in config.ratios}
    for _key, members in groups:  # a handful of groups; grades inside are array slices
        members = members.to_numpy()
        n = len(members)
        now = position[people.loc[members, "grade"]].to_numpy()
        bounds = [_places(ratio_of[g], n) if g in ratio_of else (0, n) for g in names]
        new = np.empty(n, dtype=object)
        start = 0
        for g, name in enumerate(names[:-1]):
            reserved = sum(low for low, _ in bounds[g + 1 :])
            natural = int((now[start:] <= g).sum())
            low, high = bounds[g]
            take = max(0, min(max(natural, low), high, n - start - reserved))
            new[start : start + take] = name
            start += take
        new[start:] = names[-1]
        if config.ties == "up":
            totals = people.loc[members, "total"].to_numpy(float)
            best = (
                pd.Series(position[new].to_numpy()).groupby(compare.settle(totals)).transform("min")
            )
            new = np.array(names, dtype=object)[best.to_numpy()]
        moved = new != people.loc[members, "grade"].to_numpy()
        label = _("、").join(
            f"{r.grade} {r.share * 100:g}%"
            if r.share is not None
            else f"{r.grade} {'' if r.min is None else f'≥{r.min * 100:g}%'}"
            f"{'' if r.max is None else f'≤{r.max * 100:g}%'}"
            for r in config.ratios
        )
        people.loc[members[moved], "calibration"] = text.fill(
            _("强制分布（{ratios}，{count} 人按名次）→ {grade}"),
            ratios=label,
            count=str(n),
            grade=new[moved].astype(object),
        )
        people.loc[members, "grade"] = new
    return people


def review(people: pd.DataFrame, overrides: pd.DataFrame | None, plan: Plan) -> pd.DataFrame:
    """A reviewer's changes of grade (复核调整), each with who made it and why.

    Parameters
    ----------
    overrides : DataFrame or list of dict
        person, grade, made_by, reason.
    """
    overrides = pd.DataFrame(overrides, columns=["person", "grade", "made_by", "reason"])
    names = [g.name for g in plan.grades]
    problems = []
    for row in overrides.itertuples(index=False):  # a reviewer changes a few people
        if row.person not in set(people["person"]):
            problems.append(
                Problem(
                    _("复核调整的人员 {person!r} 不在本月结果中").format(person=row.person),
                    person=row.person,
                    code="unknown_person",
                )
            )
        if row.grade not in names:
            problems.append(
                Problem(
                    _("复核调整的等级 {grade!r} 不在计划中").format(grade=row.grade),
                    _("改用其中之一：{names}").format(names="、".join(names)),
                    person=row.person,
                    code="unknown_grade",
                )
            )
        if not str(row.reason or "").strip() or not str(row.made_by or "").strip():
            problems.append(
                Problem(
                    _("复核调整须写明调整人和理由"),
                    _("填写 made_by 和 reason"),
                    person=row.person,
                    code="reason_and_by",
                )
            )
    if problems:
        raise PlanError(problems)
    people = people.copy()
    at = people.reset_index().set_index("person")["index"]
    rows = at[overrides["person"]].to_numpy()
    people.loc[rows, "calibration"] = text.fill(
        _("复核调整（{made_by}）：{reason} → {grade}"),
        made_by=overrides["made_by"].to_numpy(object),
        reason=overrides["reason"].to_numpy(object),
        grade=overrides["grade"].to_numpy(object),
    )
    people.loc[rows, "grade"] = overrides["grade"].to_numpy(object)
    return people


def preview(
    before: pd.DataFrame, after: pd.DataFrame, plan: Plan, pay: pd.Series | None = None
) -> pd.DataFrame:
    """Head count per grade before and after calibration, and pay when a pay table is given.

    ``pay`` is a function of a people table returning performance pay per person
    (``kpilib.outcomes.pay.compute``); the budget it implies is shown before anyone
    applies the distribution.
    """
    names = [g.name for g in plan.grades]
    out = pd.DataFrame(
        {
            "grade": names,
            "before": before["grade"].value_counts().reindex(names, fill_value=0).to_numpy(),
            "after": after["grade"].value_counts().reindex(names, fill_value=0).to_numpy(),
        }
    )
    if pay is not None:
        for key, frame in (("pay_before", before), ("pay_after", after)):
            money = pay(frame)
            out[key] = (
                money.groupby(frame["grade"].to_numpy())["performance_pay"]
                .sum()
                .reindex(names)
                .to_numpy()
            )
    return out
