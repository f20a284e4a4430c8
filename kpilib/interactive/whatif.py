"""What-if: re-score a month under a tweaked plan and see who and what moves.

A tweak changes an indicator's rule parameters (cap, floor, threshold, band
edges, step...) with :func:`with_rule`, or its weight with ``weights=``
(``{"GMV指标": 0.6}``: the indicator carries 60% for everyone who has it, and
each person's other weighted items are rescaled so their weights still total
100%). Rules across items and people are tweaked too: a block's cap or floor
(``sections:``) with :func:`with_sections`, a forced distribution's ratios with
:func:`with_distribution`. Grades are compared after the plan's quotas and
distribution, as payroll pays them. The month's inputs are read once; each re-score
is pure and fast::

    plan = kpilib.load_plan("params/channel_ops.yaml")
    tweaked = with_rule(plan, "GMV指标", cap="100%")
    cmp = compare(plan, tweaked, "2024-11", weights={"GMV指标": 0.6})
    cmp.moved      # who changes grade
    cmp.grades     # grade distribution before/after
    cmp.people     # every person: total, grade and pay before/after
    save_plan(tweaked, weights={"GMV指标": 0.6})   # params/channel_ops_whatif.yaml

Nothing here touches the published plan: :func:`save_plan` writes a new file
next to it and never replaces one.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from pydantic import ValidationError

from kpilib import compare as numbers
from kpilib import text
from kpilib.engine import validation
from kpilib.engine.plan import Plan, load_plan, nearest
from kpilib.engine.policy import Calibration, Distribution
from kpilib.engine.scoring import score
from kpilib.engine.teams import SectionLimit
from kpilib.errors import KpiError, PlanError, Problem
from kpilib.i18n import N_, _
from kpilib.rounding import round_points

if TYPE_CHECKING:
    from collections.abc import Iterable

    from matplotlib.figure import Figure


def _plan(plan: str | Path | Plan) -> Plan:
    return plan if isinstance(plan, Plan) else load_plan(plan)


def with_rule(plan: Plan, indicator: str, **changes: object) -> Plan:
    """A copy of ``plan`` with some parameters of one indicator's rule changed.

    Parameters
    ----------
    plan : Plan
        Left unchanged.
    indicator : str
        An indicator of the plan.
    **changes
        Rule parameters (``cap``, ``floor``, ``zero_below``, ``step``...; see
        the rule's ``knobs``) as fractions or ``"120%"``; ``cap=None`` removes the cap.
        For band rules, ``edges=[0.1, 0.15, ...]`` moves the band edges in order.

    Raises
    ------
    PlanError
        Unknown indicator or parameter, or a value the rule rejects (a cap
        below the floor, edges out of order), naming the key path.

    Examples
    --------
    >>> plan = kpilib.load_plan("params/channel_ops.yaml")
    >>> tweaked = with_rule(plan, "GMV指标", cap="100%", zero_below="60%")
    >>> tweaked.indicators["GMV指标"].rule.cap
    1.0
    """
    if indicator not in plan.indicators:
        raise PlanError(
            Problem(
                _("方案 {department!r} 没有指标 {name!r}{hint}").format(
                    department=plan.department,
                    name=indicator,
                    hint=nearest(indicator, plan.indicators),
                ),
                _("改用方案中的指标之一"),
                file=str(plan.path),
                where="indicators",
                code="unknown_indicator",
            )
        )
    ind = plan.indicators[indicator]
    rule = ind.rule
    where = f"indicators.{indicator}.rule"
    unknown = sorted(set(changes) - set(rule.knobs))
    if unknown:
        raise PlanError(
            Problem(
                _("{rule} 规则没有可调参数 {names}").format(
                    rule=rule.type, names="、".join(map(repr, unknown))
                ),
                _("改用其中之一：{names}").format(names="、".join(rule.knobs) or _("（无）")),
                file=str(plan.path),
                where=where,
                code="unknown_knob",
            )
        )
    data = rule.model_dump()
    if "edges" in changes:
        edges = list(changes.pop("edges"))
        if len(edges) != len(rule.bands):
            raise PlanError(
                Problem(
                    _("给了 {edges} 个档位边界，但有 {bands} 档").format(
                        edges=len(edges), bands=len(rule.bands)
                    ),
                    _("每档给一个边界，按各档的顺序"),
                    file=str(plan.path),
                    code="edges_count",
                    where=f"{where}.bands",
                )
            )
        data["bands"] = [
            {**band, ("at_most" if band["at_most"] is not None else "at_least"): e}
            for band, e in zip(data["bands"], edges, strict=True)
        ]
    try:
        new_rule = type(rule).model_validate({**data, **changes})
    except ValidationError as exc:
        raise PlanError(
            [
                Problem(
                    validation.message(err)[0],
                    _("换一个值"),
                    file=str(plan.path),
                    where=".".join([where, *map(str, err["loc"])]),
                    code=err["type"],
                )
                for err in exc.errors()
            ]
        ) from None
    indicators = {**plan.indicators, indicator: ind.model_copy(update={"rule": new_rule})}
    return plan.model_copy(update={"indicators": indicators})


def with_rules(plan: Plan, rules: dict[str, dict] | None) -> Plan:
    """:func:`with_rule` for several indicators: ``{"GMV指标": {"cap": "100%"}, ...}``."""
    for indicator, changes in (rules or {}).items():
        plan = with_rule(plan, indicator, **changes)
    return plan


def _invalid(exc: ValidationError, plan: Plan, where: str, what: str) -> list[Problem]:
    return [
        Problem(
            _("{what}：{message}").format(what=what, message=validation.message(err)[0]),
            _("换一个值"),
            file=str(plan.path),
            where=".".join([where, *map(str, err["loc"])]),
            code=err["type"],
        )
        for err in exc.errors()
    ]


def _close(name: str, choices) -> str:
    close = difflib.get_close_matches(str(name), sorted(map(str, choices)), n=3, cutoff=0.4)
    return _("（相近的：{names}）").format(names="、".join(close)) if close else ""


# a limit is given as a share of the block's full points or in points, not both: giving
# one replaces the other
_OTHER = {
    "cap": "cap_points",
    "cap_points": "cap",
    "floor": "floor_points",
    "floor_points": "floor",
}


def with_sections(plan: Plan, sections: dict[str, dict | None] | None) -> Plan:
    """A copy of ``plan`` with block caps and floors (``sections:``) changed.

    Parameters
    ----------
    plan : Plan
        Left unchanged.
    sections : dict
        Section -> changes of its limit: ``cap``/``floor`` as shares of the block's
        full points (``"100%"``), ``cap_points``/``floor_points`` in points; ``None``
        for a key removes it, ``None`` for the section removes its limit. A section
        without a limit yet gets one. Giving ``cap`` replaces ``cap_points`` (and
        the other way round), the same for floors.

    Raises
    ------
    PlanError
        A section no indicator belongs to (with the nearest names), or a limit the
        schema rejects (a cap of 0, no cap nor floor left), naming the key path.

    Examples
    --------
    >>> plan = kpilib.load_plan("params/bank_branch.yaml")
    >>> with_sections(plan, {"考核任务": {"cap": "100%"}}).sections["考核任务"].cap
    1.0
    """
    known = {i.section for i in plan.indicators.values() if i.section}
    limits = dict(plan.sections)
    problems = []
    for name, changes in (sections or {}).items():
        where = f"sections.{name}"
        if name not in known:
            problems.append(
                Problem(
                    _("方案中没有板块 {name!r}{hint}").format(name=name, hint=_close(name, known)),
                    _("写方案指标的 section 之一：{names}").format(
                        names="、".join(sorted(known)) or _("（无）")
                    ),
                    file=str(plan.path),
                    where=where,
                    code="unknown_section",
                )
            )
            continue
        if changes is None:
            limits.pop(name, None)
            continue
        data = limits[name].model_dump() if name in limits else {}
        for key in changes:
            if key in _OTHER and _OTHER[key] not in changes:
                data.pop(_OTHER[key], None)
        try:
            limits[name] = SectionLimit.model_validate({**data, **changes})
        except ValidationError as exc:
            problems += _invalid(exc, plan, where, _("板块 {name} 的封顶/保底").format(name=name))
    if problems:
        raise PlanError(problems)
    return plan.model_copy(update={"sections": limits})


_UNSET = object()


def with_distribution(
    plan: Plan,
    ratios: dict[str, dict | None] | None = None,
    by: str | None = _UNSET,
    ties: str | None = _UNSET,
) -> Plan:
    """A copy of ``plan`` with its forced distribution (``calibration.distribution``) changed.

    Parameters
    ----------
    plan : Plan
        Left unchanged. A plan without a distribution gets one.
    ratios : dict, optional
        Grade -> changes of its ratio: ``share`` (exact), or ``min``/``max``, as
        fractions or ``"15%"``. Giving ``share`` drops the grade's min and max (and
        the other way round); ``None`` for a grade removes its ratio.
    by : ``"role"`` or None, optional
        Rank within each role, or the whole department (None); default: unchanged.
    ties : ``"order"`` or ``"up"``, optional
        Default: unchanged.

    Raises
    ------
    PlanError
        An unknown grade (with the nearest names), a ratio the schema rejects, or
        exact shares and minimums totalling more than 100% (places no group can give).

    Examples
    --------
    >>> plan = kpilib.load_plan("params/bank_branch.yaml")
    >>> tweaked = with_distribution(plan, {"优秀": {"max": "20%"}, "不合格": {"min": "10%"}})
    >>> [(r.grade, r.max, r.min) for r in tweaked.calibration.distribution.ratios]
    [('优秀', 0.2, None), ('不合格', None, 0.1)]
    """
    names = [g.name for g in plan.grades]
    calibration = plan.calibration or Calibration()
    current = calibration.distribution
    data = current.model_dump() if current is not None else {}
    table = {r["grade"]: r for r in data.pop("ratios", [])}
    where = "calibration.distribution"
    problems = []
    for grade, changes in (ratios or {}).items():
        if grade not in names:
            problems.append(
                Problem(
                    _("方案中没有等级 {grade!r}{hint}").format(
                        grade=grade, hint=_close(grade, names)
                    ),
                    _("写方案的等级之一：{names}").format(names="、".join(names)),
                    file=str(plan.path),
                    where=f"{where}.ratios.{grade}",
                    code="unknown_grade",
                )
            )
            continue
        if changes is None:
            table.pop(grade, None)
            continue
        ratio = {k: v for k, v in table.get(grade, {}).items() if v is not None}
        if "share" in changes:
            ratio = {k: v for k, v in ratio.items() if k not in ("min", "max")}
        elif "min" in changes or "max" in changes:
            ratio.pop("share", None)
        table[grade] = {**ratio, **changes, "grade": grade}
    if by is not _UNSET:
        data["by"] = by
    if ties is not _UNSET:
        data["ties"] = ties
    distribution = None
    if table and not problems:
        try:  # ratios best grade first, as the distribution takes them
            distribution = Distribution.model_validate(
                {**data, "ratios": [table[g] for g in names if g in table]}
            )
        except ValidationError as exc:
            problems += _invalid(exc, plan, where, _("强制分布比例"))
    if distribution is not None:
        reserved = sum(
            r.share if r.share is not None else (r.min or 0) for r in distribution.ratios
        )
        if numbers.settle(reserved) > 1:
            problems.append(
                Problem(
                    _("强制分布的比例（share 与 min）合计 {total:g}%，超过 100%").format(
                        total=reserved * 100
                    ),
                    _("调低某一等级的比例，使合计不超过 100%"),
                    file=str(plan.path),
                    where=f"{where}.ratios",
                    code="shares_over_100",
                )
            )
    if problems:
        raise PlanError(problems)
    update = {"distribution": distribution}
    return plan.model_copy(update={"calibration": calibration.model_copy(update=update)})


def tweak(
    plan: Plan,
    rules: dict | None = None,
    sections: dict | None = None,
    distribution: dict | None = None,
) -> Plan:
    """:func:`with_rules`, :func:`with_sections` and :func:`with_distribution` at once."""
    plan = with_sections(with_rules(plan, rules), sections)
    return with_distribution(plan, distribution) if distribution else plan


def reweight(targets: pd.DataFrame, plan: Plan, weights: dict[str, float] | None) -> pd.DataFrame:
    """Targets with the given indicators' weights, everyone's other items rescaled.

    A person who carries the indicator gets exactly that weight for it (split
    over its sub-items in their current proportions); the person's other
    weighted items are scaled so the weights still total 100%. A person
    without the indicator, or for whom it is the only weighted item, keeps
    their weights.

    Parameters
    ----------
    targets : DataFrame
        From :func:`kpilib.sheets.inputs.read_targets`; not changed.
    plan : Plan
        Tells which indicators are bonus items (outside the weights).
    weights : dict
        Indicator -> weight as a fraction (``0.6``) or ``"60%"``.
    """
    if not weights:
        return targets
    from kpilib.parse import parse_fraction

    bonus = {n for n, i in plan.indicators.items() if not i.rule.weighted}
    weighted = ~targets["indicator"].isin(bonus).to_numpy()
    weight = targets["weight"].to_numpy(float).copy()
    problems = []
    for indicator, wanted in weights.items():  # one vectorized pass per changed indicator
        w = float(parse_fraction(wanted))
        if indicator not in plan.indicators:
            problems.append(
                Problem(
                    _("没有指标 {name!r}{hint}").format(
                        name=indicator, hint=nearest(indicator, plan.indicators)
                    ),
                    _("改用方案中的指标之一"),
                    where="weights",
                    code="unknown_indicator",
                )
            )
            continue
        if not 0 <= w <= 1:
            problems.append(
                Problem(
                    _("{name!r} 的权重 {weight:g} 不在 0–100% 之间").format(
                        name=indicator, weight=w
                    ),
                    _("给一个 0% 到 100% 之间的权重"),
                    where="weights",
                    code="weight_out_of_range",
                )
            )
            continue
        mine = (targets["indicator"] == indicator).to_numpy() & weighted
        persons = targets["person"]
        current = pd.Series(np.where(mine, weight, 0)).groupby(persons.to_numpy()).transform("sum")
        rest = (
            pd.Series(np.where(~mine & weighted, weight, 0))
            .groupby(persons.to_numpy())
            .transform("sum")
        )
        current, rest = current.to_numpy(), rest.to_numpy()
        ok = (current > 0) & (rest > 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            scaled = np.where(mine, weight * w / current, weight * (1 - w) / rest)
        weight = np.where(ok & weighted, scaled, weight)
    if problems:
        raise PlanError(problems)
    return targets.assign(weight=weight)


def _graded(result) -> pd.DataFrame:
    """People with their grade after the plan's quotas and forced distribution (as on the
    payroll), and ``performance_pay`` (Decimal yuan; None when the plan has no pay)."""
    plan, people = result.plan, result.people
    if plan.calibration is not None:
        from kpilib.outcomes.calibrate import calibrate

        people = calibrate(result, plan)
    if plan.pay is None:
        return people.assign(performance_pay=None)
    from kpilib.outcomes import pay

    paid = pay.compute(people, plan, items=result.items)["performance_pay"]
    return people.assign(performance_pay=paid.to_numpy())


def _grade_order(*plans: Plan) -> list[str]:
    order = []
    for plan in plans:
        order += [g.name for g in plan.grades if g.name not in order]
    for plan in plans:
        if plan.void_grade not in order:
            order.append(plan.void_grade)
    return order


def _diff_money(after: pd.Series, before: pd.Series) -> pd.Series:
    if after.isna().all() or before.isna().all():
        return pd.Series([None] * len(after), index=after.index, dtype=object)
    return after - before  # Decimal minus Decimal: exact to the fen


@dataclass(frozen=True)
class Comparison:
    """A month scored under two plans (or weightings): what moves.

    Attributes
    ----------
    people : DataFrame
        person, role, total_before, total_after, total_change, grade_before,
        grade_after, grade_changed, pay_before, pay_after, pay_change (Decimal
        yuan; None when the plan has no pay), in the targets' order.
    moved : DataFrame
        The rows of ``people`` whose grade changes.
    grades : DataFrame
        grade, before, after, change: head counts per grade (void grade last).
    totals : DataFrame
        measure, before, after, change: head count, mean total, pay in total,
        people gaining and losing pay.
    """

    month: str | None
    people: pd.DataFrame
    moved: pd.DataFrame
    grades: pd.DataFrame
    totals: pd.DataFrame

    def html(self, limit: int = 30) -> str:
        """Tables for a notebook: grade changes, the distribution, pay (``limit`` rows each)."""
        moved = self.moved.head(limit)
        changed = self.people[self.people["total_change"].abs() > 0]
        if self.people["pay_change"].notna().any():
            changed = changed.assign(_abs=changed["pay_change"].map(abs)).sort_values(
                "_abs", ascending=False, kind="stable"
            )
        shown = changed.head(limit)
        more = _("，显示前 {limit}").format(limit=limit) if len(changed) > limit else ""
        parts = [
            "<h4>" + _("等级变化的人员（{count} 人）").format(count=len(self.moved)) + "</h4>",
            _people_table(moved) if len(moved) else "<p>" + _("没有人的等级发生变化。") + "</p>",
            "<h4>" + _("等级分布") + "</h4>",
            self.grades.rename(
                columns={
                    "grade": _("等级"),
                    "before": _("原方案"),
                    "after": _("新方案"),
                    "change": _("变化"),
                }
            ).to_html(index=False, border=0, classes="kpi"),
            "<h4>" + _("合计") + "</h4>",
            _totals_table(self.totals),
            "<h4>"
            + _("得分或绩效工资变化的人员（{count} 人{more}）").format(
                count=len(changed), more=more
            )
            + "</h4>",
            _people_table(shown) if len(shown) else "<p>" + _("没有变化。") + "</p>",
        ]
        return "".join(parts)

    def _repr_html_(self) -> str:
        return self.html()


def _people_table(frame: pd.DataFrame) -> str:
    table = pd.DataFrame(
        {
            _("姓名"): frame["person"].to_numpy(),
            _("岗位"): frame["role"].to_numpy(),
            _("原总分"): text.table_points(frame["total_before"]),
            _("新总分"): text.table_points(frame["total_after"]),
            _("原等级"): frame["grade_before"].to_numpy(),
            _("新等级"): frame["grade_after"].to_numpy(),
            _("原绩效工资"): text.money(frame["pay_before"]),
            _("新绩效工资"): text.money(frame["pay_after"]),
            _("增减(元)"): text.money(frame["pay_change"], signed=True),
        }
    )
    return table.to_html(index=False, border=0, classes="kpi")


def _totals_table(totals: pd.DataFrame) -> str:
    def shown(v):
        if v is None or v != v:
            return "—"
        return f"{v:,.2f}" if isinstance(v, Decimal | float) else f"{v}"

    table = pd.DataFrame(
        {
            _("项目"): totals["measure"],
            _("原方案"): totals["before"].map(shown),
            _("新方案"): totals["after"].map(shown),
            _("变化"): totals["change"].map(shown),
        }
    )
    return table.to_html(index=False, border=0, classes="kpi")


class WhatIf:
    """One plan's month, inputs read once, re-scored under any number of tweaks.

    Parameters
    ----------
    plan : path or Plan
        The published plan: the baseline of every comparison.
    month : str
        ``YYYY-MM``.
    inputs : dict, optional
        From :func:`kpilib.sheets.inputs.read_inputs`; read here when not given.

    Examples
    --------
    >>> session = WhatIf("params/channel_ops.yaml", "2024-11")
    >>> moved = session.compare(with_rule(session.plan, "GMV指标", cap=1.0)).moved
    >>> moved.columns[:4].tolist()  # one row per person whose grade changes
    ['person', 'role', 'total_before', 'total_after']
    """

    def __init__(self, plan: str | Path | Plan, month: str, inputs: dict | None = None):
        from kpilib.sheets.inputs import read_inputs

        self.plan = _plan(plan)
        self.month = month
        self.inputs = inputs if inputs is not None else read_inputs(self.plan, month)
        self._other_targets: dict[Path, pd.DataFrame] = {}
        self.baseline = self.score(self.plan)

    def score(
        self, plan: Plan | None = None, weights: dict | None = None, explain: bool = False
    ) -> pd.DataFrame:
        """People of the month under ``plan`` and ``weights``, with ``performance_pay``.

        The grade is the one after the plan's quotas and forced distribution
        (``calibration:``), the grade pay and payroll use.
        """
        plan = plan or self.plan
        inputs = {**self.inputs, "targets": reweight(self._targets(plan), plan, weights)}
        return _graded(score(plan, month=self.month, explain=explain, **inputs))

    def _targets(self, plan: Plan) -> pd.DataFrame:
        """The month's targets for ``plan``: its own file when it has another one (a saved
        what-if with its own weights), else the baseline's, read once."""
        path = plan.source("targets", self.month)
        if plan is self.plan or path == self.plan.source("targets", self.month):
            return self.inputs["targets"]
        if path not in self._other_targets:
            from kpilib.sheets.inputs import read_targets

            self._other_targets[path] = read_targets(
                path, plan.sources.targets_layout, plan.sources.targets_sheet
            )
        return self._other_targets[path]

    def compare(self, plan: Plan | None = None, weights: dict | None = None) -> Comparison:
        """The baseline against ``plan`` with ``weights``: see :class:`Comparison`."""
        plan = plan or self.plan
        before, after = self.baseline, self.score(plan, weights)
        people = pd.DataFrame(
            {
                "person": before["person"],
                "role": before["role"],
                "total_before": before["total"],
                "total_after": after["total"].to_numpy(),
                "grade_before": before["grade"],
                "grade_after": after["grade"].to_numpy(),
                "pay_before": before["performance_pay"],
                "pay_after": after["performance_pay"].to_numpy(),
            }
        )
        people["total_change"] = round_points(people["total_after"] - people["total_before"])
        people["grade_changed"] = people["grade_before"] != people["grade_after"]
        people["pay_change"] = _diff_money(people["pay_after"], people["pay_before"])
        people = people[
            [
                "person",
                "role",
                "total_before",
                "total_after",
                "total_change",
                "grade_before",
                "grade_after",
                "grade_changed",
                "pay_before",
                "pay_after",
                "pay_change",
            ]
        ]
        order = _grade_order(self.plan, plan)
        grades = pd.DataFrame(
            {
                "grade": order,
                "before": people["grade_before"]
                .value_counts()
                .reindex(order, fill_value=0)
                .to_numpy(),
                "after": people["grade_after"]
                .value_counts()
                .reindex(order, fill_value=0)
                .to_numpy(),
            }
        )
        grades["change"] = grades["after"] - grades["before"]
        grades = grades[
            (grades["before"] > 0)
            | (grades["after"] > 0)
            | grades["grade"].isin([g.name for g in plan.grades])
        ].reset_index(drop=True)
        return Comparison(
            self.month,
            people,
            people[people["grade_changed"]].reset_index(drop=True),
            grades,
            _totals(people),
        )

    def sensitivity(
        self, indicator: str, weights: Iterable[float] | None = None, plan: Plan | None = None
    ) -> pd.DataFrame:
        """Grade counts and total pay as ``indicator``'s weight sweeps ``weights``.

        Returns one row per weight: weight, people (carrying the indicator), a
        column per grade (head counts), mean_total, pay (Decimal yuan, total).
        """
        plan = plan or self.plan
        if indicator not in plan.indicators:
            raise PlanError(
                Problem(
                    _("没有指标 {name!r}{hint}").format(
                        name=indicator, hint=nearest(indicator, plan.indicators)
                    ),
                    _("改用方案中的指标之一"),
                    file=str(plan.path),
                    code="unknown_indicator",
                )
            )
        weights = np.round(np.linspace(0.1, 0.9, 9), 4) if weights is None else weights
        order = _grade_order(plan)
        carriers = int(
            self.inputs["targets"]
            .loc[self.inputs["targets"]["indicator"] == indicator, "person"]
            .nunique()
        )
        rows = []
        for w in weights:  # one re-score per point of the sweep
            people = self.score(plan, {indicator: w})
            counts = people["grade"].value_counts().reindex(order, fill_value=0)
            pay = people["performance_pay"]
            rows.append(
                {
                    "weight": float(w),
                    "people": carriers,
                    **counts.to_dict(),
                    "mean_total": round(float(people.loc[people["valid"], "total"].mean()), 2),
                    "pay": sum(pay, Decimal(0)) if pay.notna().all() else None,
                }
            )
        return pd.DataFrame(rows)


def _totals(people: pd.DataFrame) -> pd.DataFrame:
    has_pay = people["pay_before"].notna().all() and people["pay_after"].notna().all()
    before_pay = sum(people["pay_before"], Decimal(0)) if has_pay else None
    after_pay = sum(people["pay_after"], Decimal(0)) if has_pay else None
    change = people["pay_change"]
    rows = [
        (_("人数"), len(people), len(people), 0),
        (
            _("平均总分"),
            round(float(people["total_before"].mean()), 2),
            round(float(people["total_after"].mean()), 2),
            round(float(people["total_after"].mean() - people["total_before"].mean()), 2),
        ),
        (_("等级变化人数"), None, int(people["grade_changed"].sum()), None),
        (_("绩效工资合计(元)"), before_pay, after_pay, after_pay - before_pay if has_pay else None),
        (_("绩效工资增加人数"), None, int((change > 0).sum()) if has_pay else None, None),
        (_("绩效工资减少人数"), None, int((change < 0).sum()) if has_pay else None, None),
    ]
    return pd.DataFrame(rows, columns=["measure", "before", "after", "change"])


def compare(
    plan_a: str | Path | Plan,
    plan_b: str | Path | Plan,
    month: str,
    weights: dict | None = None,
    inputs: dict | None = None,
) -> Comparison:
    """Score ``month`` under ``plan_a`` (the published plan) and ``plan_b``; what moves.

    Parameters
    ----------
    plan_a, plan_b : path or Plan
        Both are scored on ``plan_a``'s inputs for the month.
    month : str
        ``YYYY-MM``.
    weights : dict, optional
        Indicator weights for ``plan_b``'s run (see :func:`reweight`).
    inputs : dict, optional
        Pre-read inputs (:func:`kpilib.sheets.inputs.read_inputs`).

    Returns
    -------
    Comparison
        ``people``, ``moved`` (who changes grade), ``grades`` (distribution
        before/after), ``totals`` (pay gained and lost).

    Examples
    --------
    >>> plan = kpilib.load_plan("params/channel_ops.yaml")
    >>> compare(plan, with_rule(plan, "GMV指标", cap=1.0), "2024-11").grades.columns.tolist()
    ['grade', 'before', 'after', 'change']
    """
    return WhatIf(plan_a, month, inputs).compare(_plan(plan_b), weights)


def sensitivity(
    plan: str | Path | Plan,
    month: str,
    indicator: str,
    weights: Iterable[float] | None = None,
    inputs: dict | None = None,
) -> pd.DataFrame:
    """How the grade distribution and total pay move as one indicator's weight sweeps.

    See :meth:`WhatIf.sensitivity`; ``weights`` defaults to 10%, 20% ... 90%.

    Examples
    --------
    >>> sweep = sensitivity("params/channel_ops.yaml", "2024-11", "GMV指标")
    >>> sweep["weight"].tolist()[:3]
    [0.1, 0.2, 0.3]
    >>> sensitivity_chart(sweep, "GMV指标").axes[0].get_xlabel()
    'GMV指标 的权重'
    """
    return WhatIf(plan, month, inputs).sensitivity(indicator, weights)


def sensitivity_chart(sweep: pd.DataFrame, indicator: str) -> Figure:
    """Stacked bars of head counts per grade, and total pay as a line, against the weight."""
    from kpilib.report import charts

    with charts.styled():
        grades = [c for c in sweep.columns if c not in ("weight", "people", "mean_total", "pay")]
        fig = charts.figure(3.2)
        ax = fig.add_subplot()
        x = np.arange(len(sweep))
        bottom = np.zeros(len(sweep))
        colours = ["#27ae60", "#5dade2", "#f5b041", "#c0392b", "#7f8c8d", "#8e44ad"]
        for i, grade in enumerate(grades):
            counts = sweep[grade].to_numpy(float)
            if counts.any():
                ax.bar(
                    x,
                    counts,
                    bottom=bottom,
                    color=colours[i % len(colours)],
                    label=grade,
                    width=0.6,
                )
            bottom += counts
        ax.set_xticks(x, text.percent(sweep["weight"]))
        ax.set_xlabel(_("{indicator} 的权重").format(indicator=indicator))
        ax.set_ylabel(_("人数"))
        ax.yaxis.get_major_locator().set_params(integer=True)
        if sweep["pay"].notna().all():
            pay = ax.twinx()
            pay.plot(
                x, sweep["pay"].astype(float), color="#2c3e50", marker="o", label=_("绩效工资合计")
            )
            pay.set_ylabel(_("绩效工资合计(元)"))
            pay.legend(loc="upper right", fontsize=8)
        ax.legend(loc="upper left", fontsize=8, ncols=len(grades))
        ax.set_title(
            _("{indicator} 权重敏感性：等级分布与绩效工资").format(indicator=indicator), fontsize=11
        )
    return fig


def plan_diff(
    before: Plan, after: Plan, weights: dict | None = None, targets: pd.DataFrame | None = None
) -> pd.DataFrame:
    """What changed between two plans (and in the weights): where, what, before, after.

    ``where`` is a plan key path (``indicators.GMV指标.rule.cap``) or
    ``weights.<indicator>``; ``what`` says it in words, with the rule's own knob labels
    (``GMV指标 封顶``); fractions are shown as percentages (``120%``).
    """
    a, b = _flat(_dumped(before)), _flat(_dumped(after))
    rows = [
        (k, _label(k, before, after), _fraction_text(k, a.get(k)), _fraction_text(k, b.get(k)))
        for k in sorted(set(a) | set(b), key=_key_order(a, b))
        if a.get(k) != b.get(k)
    ]
    for indicator, w in (weights or {}).items():
        from kpilib.parse import parse_fraction

        was = "—"
        if targets is not None:
            mine = targets[targets["indicator"] == indicator]
            was = "/".join(
                _percent(v)
                for v in mine.groupby("person", sort=False)["weight"].sum().drop_duplicates()
            )
        label = _("{indicator} 权重").format(indicator=indicator)
        rows.append((f"weights.{indicator}", label, was, _percent(parse_fraction(w))))
    # object columns: a side the other plan lacks stays None (shown as （无）), never NaN
    return pd.DataFrame(rows, columns=["where", "what", "before", "after"], dtype=object)


def _percent(value: float) -> str:
    """A fraction as people write a percentage: ``1.2`` -> ``120%``, ``0.925`` -> ``92.5%``."""
    return f"{round(value * 100, 4):g}%"


# the words of plan keys outside rules (a rule's own come from its knobs)
_WORDS = {
    "cap": N_("封顶"),
    "floor": N_("保底"),
    "share": N_("比例"),
    "min": N_("至少"),
    "max": N_("至多"),
}


def _label(key: str, before: Plan, after: Plan) -> str:
    """A changed key in words: ``indicators.GMV指标.rule.cap`` -> ``GMV指标 封顶`` (the
    rule's knob label), a band edge -> ``投诉解决 第 1 档边界``; other keys as they are."""
    parts = key.split(".")
    if parts[0] == "sections" and len(parts) == 3 and parts[2] in _WORDS:
        return _("板块 {name} {what}").format(name=parts[1], what=_(_WORDS[parts[2]]))
    if parts[:3] == ["calibration", "distribution", "ratios"] and len(parts) == 5:
        if parts[4] in _WORDS:
            return _("强制分布 {grade} {what}").format(grade=parts[3], what=_(_WORDS[parts[4]]))
    if len(parts) < 4 or parts[0] != "indicators" or parts[2] != "rule":
        return key
    indicator, param = parts[1], parts[3]
    ind = after.indicators.get(indicator) or before.indicators.get(indicator)
    knobs = ind.rule.knobs if ind is not None else {}
    if param == "bands" and len(parts) == 6 and parts[5] in ("at_most", "at_least"):
        return _("{indicator} 第 {n} 档边界").format(indicator=indicator, n=int(parts[4]) + 1)
    if param in knobs and len(parts) == 4:
        return indicator + " " + _(knobs[param].label)
    return f"{indicator} {'.'.join(parts[3:])}"


def _dumped(plan: Plan) -> dict:
    """The plan as data, its distribution's ratios keyed by grade
    (``calibration.distribution.ratios.优秀.share``, not ``...ratios.0.share``)."""
    data = plan.model_dump(mode="json")
    # no calibration or distribution is their defaults: a new one shows only what it sets
    data["calibration"] = data["calibration"] or Calibration().model_dump(mode="json")
    distribution = data["calibration"]["distribution"] or {
        k: f.default for k, f in Distribution.model_fields.items() if not f.is_required()
    }
    distribution["ratios"] = {r.pop("grade"): r for r in distribution.get("ratios", [])}
    data["calibration"]["distribution"] = distribution
    return data


FRACTION_KEYS = ("cap", "floor", "zero_below", "share", "max_share", "otherwise")
# fractions outside rules: block limits, distribution ratios, quotas
PLAN_FRACTION_KEYS = {
    "sections.": ("cap", "floor"),
    "calibration.": ("share", "min", "max", "at_most"),
}


def _fraction_text(key: str, value):
    """Rule fractions as people write them (``1.2`` -> ``120.0%``); anything else as is."""
    last = key.rsplit(".", 1)[-1]
    fraction = ".rule." in key and last in FRACTION_KEYS
    fraction |= any(key.startswith(k) and last in v for k, v in PLAN_FRACTION_KEYS.items())
    if isinstance(value, float | int) and not isinstance(value, bool) and fraction:
        return _percent(value)
    return value


def _key_order(a: dict, b: dict):
    order = {k: i for i, k in enumerate([*a, *(k for k in b if k not in a)])}
    return order.get


def _flat(value, prefix: str = "") -> dict:
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            out |= _flat(v, f"{prefix}.{k}" if prefix else str(k))
        return out
    if isinstance(value, list):
        out = {}
        for i, v in enumerate(value):
            out |= _flat(v, f"{prefix}.{i}")
        return out
    return {prefix: value}


def save_plan(
    plan: Plan,
    weights: dict | None = None,
    path: str | Path | None = None,
    original: Plan | None = None,
    month: str | None = None,
) -> tuple[Path, pd.DataFrame]:
    """Save a tweaked plan as a NEW plan file; return its path and the diff.

    Parameters
    ----------
    plan : Plan
        The tweaked plan (from :func:`with_rule`); its ``path`` is the original's.
    weights : dict, optional
        Indicator weights: written into a copy of the targets
        (``<new plan>.targets.csv`` beside the new plan), which the new plan
        points to. The original targets file is not touched.
    path : path, optional
        Where to write; default ``params/drafts/<original>_whatif.yaml`` (then
        ``_whatif2``...). A what-if is a draft: never written into ``params/``
        itself, where ``kpi report --all`` would publish it; ``kpi plan publish``
        makes it the plan deliberately. An existing file is never replaced.
    original : Plan, optional
        The published plan, for the diff; default: re-read from ``plan.path``.
    month : str, optional
        For a targets file named per month (``{month}`` in its path).

    Returns
    -------
    (Path, DataFrame)
        The new plan file and :func:`plan_diff` of what changed, also written
        as comments at the top of the file.
    """
    import yaml

    from kpilib.files import write_atomically
    from kpilib.sheets.inputs import read_targets, write_targets

    if plan.path is None:
        raise KpiError(
            Problem(
                _("方案没有文件，草稿无处存放"),
                _("用 kpilib.load_plan 读入方案，或给出 path="),
                code="no_plan_file",
            )
        )
    original = original or load_plan(plan.path)
    if path is None:
        path = _free_name(draft_path(plan))
    path = Path(path).resolve()
    if path == Path(plan.path).resolve():
        raise KpiError(
            Problem(
                _("{path} 是已发布的方案；模拟不会替换它").format(path=path),
                _("换一个文件名"),
                file=str(path),
                code="published_plan",
            )
        )
    if path.parent == Path(plan.path).resolve().parent:
        raise KpiError(
            Problem(
                _("{path} 与已发布的方案在同一文件夹，kpi report --all 会把它当作正式方案").format(
                    path=path
                ),
                _("草稿请存到 {folder}（用 draft_path），确认后用 kpi plan publish 发布").format(
                    folder=draft_path(plan).parent
                ),
                file=str(path),
                code="draft_beside_plans",
            )
        )
    folder = path.parent
    sources = {k: v for k, v in plan.sources.model_dump().items()}
    for key in ("targets", "actuals", "incidents", "ratings"):
        if sources[key] is not None:  # keep the sources right from the new file's folder
            resolved = (Path(plan.path).parent / sources[key]).resolve()
            sources[key] = Path(_relative(resolved, folder)).as_posix()
    outputs = {}
    targets = None
    if weights:
        targets_file = plan.source("targets", month)
        if "{month}" in plan.sources.targets and month is None:
            raise KpiError(
                Problem(
                    _("目标文件按月份命名"),
                    _("给出 month=，保存那个月的权重"),
                    code="month_needed",
                )
            )
        targets = read_targets(
            targets_file, plan.sources.targets_layout, plan.sources.targets_sheet
        )
        new_targets = path.with_name(f"{path.stem}.targets.csv")
        reweighted = reweight(targets, plan, weights)
        outputs[new_targets] = lambda p: write_targets(reweighted, p)
        sources.update(targets=new_targets.name, targets_layout="hr", targets_sheet=0)
    diff = plan_diff(original, plan, weights, targets)
    data = plan.model_dump(mode="json", exclude_defaults=True)
    data.update(department=path.stem, sources={k: v for k, v in sources.items() if v is not None})
    header = [
        "# "
        + _("模拟方案（what-if），由 {file} 修改而来（原方案版本 {digest}）。").format(
            file=Path(plan.path).name, digest=(original.digest or "")[:12]
        ),
        "# " + (_("改动：") if len(diff) else _("与原方案相同。")),
        *(
            f"#   {what}: {_shown(b)} → {_shown(a)}"
            for _where, what, b, a in diff.itertuples(index=False)
        ),
    ]
    body = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
    outputs[path] = lambda p: p.write_text("\n".join(header) + "\n" + body, encoding="utf-8")
    write_atomically(outputs)
    return path, diff


def _relative(target: Path, folder: Path) -> str:
    import os

    return os.path.relpath(target, folder)


def _shown(value) -> str:
    return _("（无）") if value is None else str(value)


def draft_path(plan: Plan, name: str | None = None) -> Path:
    """Where a what-if of ``plan`` is saved: ``params/drafts/<name>.yaml``.

    ``name`` defaults to ``<department>_whatif``; ``.yaml`` is added if missing.
    """
    folder = Path(plan.path).resolve().parent / "drafts"
    name = name or f"{Path(plan.path).stem}_whatif"
    return folder / (name if name.endswith(".yaml") else f"{name}.yaml")


def _free_name(first: Path) -> Path:
    stem, n = first.stem, 1
    candidate = first
    while candidate.exists():
        n += 1
        candidate = first.with_name(f"{stem}{n}.yaml")
    return candidate


__all__ = [
    "with_rule",
    "with_rules",
    "with_sections",
    "with_distribution",
    "tweak",
    "reweight",
    "Comparison",
    "WhatIf",
    "compare",
    "sensitivity",
    "sensitivity_chart",
    "plan_diff",
    "save_plan",
    "draft_path",
]
