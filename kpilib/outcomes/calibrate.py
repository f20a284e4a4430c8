"""Calibration: grade quotas and forced distribution (强制分布).

Seed 002 #8 rule 20 asks that grades follow 考绩正态分布比率 and seed 004 caps the
excellent grade by a quota. A plan's ``calibration:`` lists, per grade, the
largest share of the department allowed in it; people beyond the quota move
down to the next grade (or the one ``to:`` names), in the order the plan's tie
rule states. The grade before and after are both kept.

The quota counts the people with a valid month; ``floor(share × people)``
places are given (19 people at 20% → 3 places).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from kpilib import compare
from kpilib.engine.policy import TIE_KEYS, Calibration
from kpilib.errors import PlanError, Problem
from kpilib.i18n import _
from kpilib.outcomes import distribution, ranking

if TYPE_CHECKING:
    from kpilib.engine.plan import Plan
    from kpilib.engine.scoring import Result


def calibrate(
    result: Result, plan: Plan | None = None, overrides: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Apply the plan's grade quotas to a scored month.

    People are ordered by total, then by the plan's ``tie_break`` keys; in
    each quota grade, from the top grade down, the first ``floor(at_most × n)``
    keep it and the rest move down (and count toward the next grade's quota).

    Parameters
    ----------
    result : Result
        A scored month.
    plan : Plan, optional
        Defaults to ``result.plan``.
    overrides : DataFrame or list of dict, optional
        A reviewer's recorded changes (复核调整): person, grade, made_by, reason;
        applied last (:func:`kpilib.outcomes.distribution.review`).

    Returns
    -------
    DataFrame
        The people table with ``grade_before``, ``grade`` (after calibration),
        ``calibrated`` (bool) and ``calibration`` (the reason, empty if unchanged).

    Examples
    --------
    >>> from kpilib.engine.policy import Calibration
    >>> result = kpilib.score_month("params/channel_ops.yaml", "2024-11")
    >>> quota = Calibration(quotas=[{"grade": "优秀", "at_most": "20%"}])
    >>> people = calibrate(result, result.plan.model_copy(update={"calibration": quota}))
    >>> int((people["grade"] == "优秀").sum()) <= 3  # floor(20% × 19 people) places
    True
    """
    plan = plan if plan is not None else result.plan
    people = result.people.copy()
    people["grade_before"] = people["grade"]
    people["calibrated"] = False
    people["calibration"] = ""
    config: Calibration | None = getattr(plan, "calibration", None)
    if config is None:  # no quotas nor distribution; a reviewer's changes still apply
        if overrides is not None and len(overrides):
            people = distribution.review(people, overrides, plan)
            people["calibrated"] = people["grade"] != people["grade_before"]
        return people
    names = [g.name for g in plan.grades]
    problems = [
        Problem(
            _("calibration 中的等级 {grade!r} 不是方案的等级").format(grade=g),
            _("改用其中之一：{names}").format(names="、".join(names)),
            file=str(plan.path),
            code="unknown_grade",
            where=f"calibration.quotas.{i}",
        )
        for i, q in enumerate(config.quotas)
        for g in (q.grade, q.to)
        if g is not None and g not in names
    ]
    if problems:
        raise PlanError(problems)
    order = ranking.rank_order(people, result.items, config.tie_break)  # who takes part
    n = len(order)
    quota_of = {q.grade: q for q in config.quotas}
    grade = people["grade"].copy()
    for position, name in enumerate(names[:-1]):  # a handful of grades, top down
        quota = quota_of.get(name)
        if quota is None:
            continue
        places = compare.places(quota.at_most, n)
        members = order[(grade[order] == name).to_numpy()]
        excess = members[places:]
        target = quota.to or names[position + 1]
        grade[excess] = target
        people.loc[excess, "calibration"] = _(
            "{grade}名额 {share}% × {count} 人 = {places} 人，按{keys}排序未入选 → {target}"
        ).format(
            grade=name,
            share=f"{quota.at_most * 100:g}",
            count=n,
            places=places,
            keys=_("、").join([_("总分"), *(_(TIE_KEYS[k]) for k in config.tie_break)]),
            target=target,
        )
    people["grade"] = grade
    if config.distribution is not None:
        people = distribution.distribute(people, order, plan, config.distribution)
    if overrides is not None and len(overrides):
        people = distribution.review(people, overrides, plan)
    people["calibrated"] = people["grade"] != people["grade_before"]
    return people
