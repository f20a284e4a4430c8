"""A department's period (quarter, half-year, two-month period, year) as one result.

The period report, the year-end payroll and ``kpi score --period`` ask here, as the
monthly outputs ask :mod:`kpilib.months`. A period is made the way the plan's
``periods:`` entry says: rolled up from the months (each month as
:func:`kpilib.months.history` gives it: from the store, scored once if missing) or
scored directly from the period's own files. The result is stored as a version
(:mod:`kpilib.period_store`); it is made again only when the month versions it was
rolled up from, its input files or the plan changed.
"""

from __future__ import annotations

import glob
import hashlib
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from kpilib import period_store
from kpilib.engine.period_plan import PeriodSpec
from kpilib.engine.plan import Plan, Sources, load_plan
from kpilib.engine.scoring import score
from kpilib.errors import DataError, PlanError, Problem
from kpilib.i18n import _
from kpilib.outcomes.rollup import from_result, period_flags, roll_up
from kpilib.periods import Kind, Period
from kpilib.project import available_months, input_files, store_path


@dataclass(frozen=True)
class PeriodResult:
    """One department's period.

    Attributes
    ----------
    people : DataFrame
        One row per person (:data:`kpilib.outcomes.rollup.PERIOD_COLUMNS`): the
        period's total, grade (``未完整`` while incomplete, with ``provisional_grade``),
        rank, counts of valid, voided and missing months, ``month_totals``.
    months : DataFrame
        The months' people rows (with ``month``) the period was rolled up from.
    month_items : DataFrame
        Their items (for qualifying months and the report).
    items : DataFrame
        A period scored from its own files: its items; else empty.
    version : int or None
        The stored version (``None`` when not stored).
    notes : list of str
        Months that could not be scored, and why.
    levels : DataFrame
        With pay levels (``periods.<kind>.pay.levels``): person, level (this period's,
        carried from the period before), next_level, reason; else empty.
    """

    plan: Plan
    period: Period
    spec: PeriodSpec
    people: pd.DataFrame
    months: pd.DataFrame = field(default_factory=pd.DataFrame)
    month_items: pd.DataFrame = field(default_factory=pd.DataFrame)
    items: pd.DataFrame = field(default_factory=pd.DataFrame)
    version: int | None = None
    notes: list[str] = field(default_factory=list)
    levels: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def complete(self) -> bool:
        """Whether every person's period is complete (every month scored)."""
        return bool(len(self.people)) and bool(self.people["complete"].all())

    @property
    def unscored(self) -> list[str]:
        """The period's months the department has no result for yet."""
        done = set(self.months["month"]) if len(self.months) else set()
        if self.spec.source == "actuals":
            return []
        return [m for m in self.period.months if m not in done]

    def flags(self) -> pd.DataFrame:
        """The period's rules applied (seed 004: 年度 ≥ 80 → 提升培训, < 60 → 降级)."""
        return period_flags(self.people, self.spec, self.period)

    def calibrated(self) -> pd.DataFrame:
        """The period's people with its grade quotas applied (``periods.<kind>.calibration``):
        ``grade_before``, ``grade``, ``calibrated``, ``calibration`` as for a month; an
        incomplete person is outside the quota's count and places."""
        from types import SimpleNamespace

        from kpilib.outcomes.calibrate import calibrate

        people = self.people.assign(valid=self.people["valid"] & self.people["complete"])
        plan = self.plan.model_copy(
            update={
                "grades": self.spec.grades or self.plan.grades,
                "calibration": self.spec.calibration,
            }
        )
        # a period has no items: the tie-break by the heaviest item's completion is empty
        items = pd.DataFrame({"person": [], "weight": [], "completion": []})
        out = calibrate(SimpleNamespace(people=people, items=items), plan)
        return out.assign(valid=self.people["valid"])

    def pay(self) -> pd.DataFrame:
        """The period's pay (``periods.<kind>.pay``): a year-end bonus in months of base
        salary, or performance pay on the period's result; an incomplete period pays nothing."""
        from kpilib.outcomes import pay

        config = self.spec.pay
        if config is None:
            raise PlanError(
                Problem(
                    _("方案没有为{kind}写 pay").format(kind=self.period.kind.label),
                    _("在 periods.{key} 下加 pay:（docs/plan-format.md）").format(
                        key=self.period.kind.value
                    ),
                    file=str(self.plan.path),
                    code="no_period_pay",
                    where=f"periods.{self.period.kind.value}.pay",
                )
            )
        plan = self.plan.model_copy(update={"pay": config})
        if config.year_end is not None:
            return pay.year_end(
                self.months, plan, self.period.year, self.month_items, scores=self.people
            )
        months = len(self.period.months) if self.spec.pay_per_month else 1
        if months > 1:
            scaled = {"base": {role: base * months for role, base in config.base.items()}}
            if config.levels is not None:
                level_base = {level: base * months for level, base in config.levels.base.items()}
                scaled["levels"] = config.levels.model_copy(update={"base": level_base})
            plan = plan.model_copy(update={"pay": config.model_copy(update=scaled)})
        people = self.people.assign(
            valid=self.people["valid"] & self.people["complete"],
            gates=self.people["complete"].map({True: "", False: _("周期未完整")}),
        )
        if config.levels is not None:  # paid at the level carried from the period before
            people = people.merge(self.levels[["person", "level"]], on="person", how="left")
        return pay.compute(people, plan)


def period_result(
    plan: str | Path | Plan,
    period: str | Period,
    store: str | Path | None = None,
    save: bool = True,
) -> PeriodResult:
    """The department's period: the stored version if it is up to date, else made and saved.

    Parameters
    ----------
    plan : path or Plan
    period : str or Period
        ``2024-Q4``, ``2024-H2``, ``2024-B6``, ``2024``.
    store : path, optional
    save : bool
        Save the months and the period when they had to be made.

    Examples
    --------
    >>> result = period_result("params/mall_floor.yaml", "2024")
    >>> row = result.people.set_index("person").loc["孙婷"]  # March, April, July voided
    >>> int(row["valid_months"]), int(row["voided_months"]), row["grade"]
    (9, 3, '优秀')
    """
    plan = plan if isinstance(plan, Plan) else load_plan(plan)
    period = period if isinstance(period, Period) else Period.parse(period)
    spec = _spec(plan, period)
    result = _made(plan, period, spec, store, save)
    if spec.pay is not None and spec.pay.levels is not None:
        result = replace(result, levels=_levels(result, store, save))
    return result


def _made(plan: Plan, period: Period, spec: PeriodSpec, store, save: bool) -> PeriodResult:
    """The period's result, without its pay levels (which look at the periods before)."""
    grades = spec.grades or plan.grades
    if spec.source == "actuals":
        return _from_actuals(plan, period, spec, grades, store, save)
    from kpilib.months import history

    known = _known_months(plan, store)
    inside = sorted(m for m in known if m in period.months)
    if not inside:
        raise DataError(
            Problem(
                _("{period}（{first}–{last}）没有任何月份的结果或实际值").format(
                    period=period.label, first=period.months[0], last=period.months[-1]
                ),
                _("先为其中的月份放入实际值并计分，例如 kpi score {plan} --month {month}").format(
                    plan=plan.path, month=period.months[0]
                ),
                file=str(plan.path),
                code="no_months",
            )
        )
    past = history(plan, inside[-1], store, save)
    people = past.people[past.people["month"].isin(period.months)].reset_index(drop=True)
    items = past.items[past.items["month"].isin(period.months)].reset_index(drop=True)
    frame = roll_up(
        people, period, spec, grades, plan.void_grade, items=items, scored=set(people["month"])
    )
    version = None
    if save:
        basis = _basis(plan, people, store)
        version = _stored_version(
            plan, period, frame, basis, "months", _("月份结果或方案已变，重新汇总"), store
        )
    return PeriodResult(
        plan, period, spec, frame, people, items, pd.DataFrame(), version, past.notes
    )


def _spec(plan: Plan, period: Period) -> PeriodSpec:
    if period.kind is Kind.month:
        raise PlanError(
            Problem(
                _("{period} 是月份").format(period=period.key),
                _("月份用 --month {period}（或 kpilib.months.month_result）").format(
                    period=period.key
                ),
                code="period_is_month",
            )
        )
    spec = plan.periods.spec(period.kind.value) if plan.periods else None
    if spec is None:
        declared = "、".join(plan.periods.kinds) if plan.periods else _("无")
        raise PlanError(
            Problem(
                _(
                    "方案 {department} 没有{kind}考核（periods.{key}）；已声明的周期：{declared}"
                ).format(
                    department=plan.department,
                    kind=period.kind.label,
                    key=period.kind.value,
                    declared=declared,
                ),
                _("在方案中加 periods: {key}: …（docs/plan-format.md），或换一个周期").format(
                    key=period.kind.value
                ),
                file=str(plan.path),
                where="periods",
                code="period_not_declared",
            )
        )
    return spec


def _known_months(plan: Plan, store) -> set[str]:
    """The months with an actuals file or a stored result."""
    known = set(available_months(plan))
    if store_path(store).exists():
        from kpilib import store as results

        known |= set(results.runs(store, plan.department)["month"])
    return known


def _own(plan: Plan, spec: PeriodSpec) -> Plan:
    """The plan reading the period's own files (``from: actuals``)."""
    sources = Sources.model_validate(
        {
            **plan.sources.model_dump(),
            "targets_sheet": plan.sources.targets_sheet,
            **spec.sources.model_dump(),
        }
    )
    return plan.model_copy(update={"sources": sources})


def _from_actuals(plan, period, spec, grades, store, save) -> PeriodResult:
    from kpilib import store as results
    from kpilib.files import checksum
    from kpilib.sheets.inputs import read_inputs

    own = _own(plan, spec)
    scored = score(own, month=period.key, **read_inputs(own, period.key))
    frame = from_result(scored.people, period, grades, plan.void_grade)
    version = None
    if save:
        files = input_files(own, period.key)
        basis = results.inputs_digest(checksum(p)[0] for p in files)
        version = _stored_version(
            plan,
            period,
            frame,
            basis,
            "actuals",
            _("输入文件已改动，重新计分"),
            store,
            items=scored.items,
        )
    return PeriodResult(plan, period, spec, frame, items=scored.items, version=version)


def _levels(result: PeriodResult, store, save: bool) -> pd.DataFrame:
    """The period's pay levels, carried from the earlier periods of its kind (seed 002
    regional: 下一个考核区间则享受低一级的薪酬标准); saved with the period key in the
    store's ``pay_levels`` (``kpi history`` lists them)."""
    from kpilib import ledger
    from kpilib.outcomes.money import carry_levels

    plan, period, spec = result.plan, result.period, result.spec
    parts = [_made(plan, p, spec, store, save) for p in _earlier(plan, period, spec, store)]
    parts.append(result)
    history = pd.concat([r.people.assign(period=r.period.key) for r in parts], ignore_index=True)
    # an incomplete period decides no move, as it applies no rule
    settled = history["complete"].astype(bool)
    history = history.assign(
        total=history["total"].where(settled), completion=history["completion"].where(settled)
    )
    items = None
    if spec.source == "actuals":  # conditions may read the period's own items
        items = pd.concat([r.items.assign(period=r.period.key) for r in parts], ignore_index=True)
    levels = carry_levels(plan.model_copy(update={"pay": spec.pay}), history, items, "period")
    if save:
        ledger.save_levels(levels.rename(columns={"period": "month"}), plan.department, store)
    return levels[levels["period"] == period.key].drop(columns="period").reset_index(drop=True)


def _earlier(plan: Plan, period: Period, spec: PeriodSpec, store) -> list[Period]:
    """The periods of ``period``'s kind before it that have inputs, oldest first; a period
    without inputs between them is refused (a level is carried from the period before)."""
    if spec.source == "actuals":
        pattern = str(_own(plan, spec).source("actuals", "MONTH"))
        regex = re.compile(re.escape(pattern).replace("MONTH", "([^/]+)") + "$")
        matches = (regex.match(p) for p in glob.glob(pattern.replace("MONTH", "*")))
        keys = [g for m in matches if m for g in m.groups()]
    else:
        keys = [Period.of_month(m, period.kind).key for m in _known_months(plan, store)]
    found = set()
    for key in keys:
        try:
            found.add(Period.parse(key))
        except ValueError:
            continue
    before = sorted(p for p in found if p.kind is period.kind and p < period)
    if not before:
        return []
    chain, p = [], before[0]
    while p < period:
        chain.append(p)
        count = 12 // p.kind.months
        p = Period(p.year + p.number // count, p.kind, p.number % count + 1)
    lacking = [p for p in chain if p not in found]
    if lacking:
        raise DataError(
            Problem(
                _(
                    "薪酬等级按上一考核周期结转，但 {lacking} 没有输入（{first} 至 {period} 之间）"
                ).format(
                    lacking="、".join(p.label for p in lacking),
                    first=before[0].label,
                    period=period.label,
                ),
                _("补上这些周期的目标和实际值文件，再计分"),
                file=str(plan.path),
                code="period_gap",
            )
        )
    return chain


def _stored_version(
    plan: Plan,
    period: Period,
    frame: pd.DataFrame,
    basis: str,
    source: str,
    note: str,
    store,
    items: pd.DataFrame | None = None,
) -> int:
    """The stored version of the period if it was made from ``basis``, else a new one."""
    stored = period_store.current(plan.department, period, store)
    if stored is not None and stored["run"]["basis"] == basis:
        return int(stored["run"]["version"])
    return period_store.save(
        plan.department,
        period,
        frame,
        plan_digest=plan.digest or "",
        source=source,
        basis=basis,
        items=items,
        note="" if stored is None else note,
        store=store,
    )


def _basis(plan: Plan, people: pd.DataFrame, store) -> str:
    """What a rolled-up period was made from: the plan and each month's current version."""
    from kpilib import store as results

    runs = results.runs(store, plan.department)
    months = sorted(set(people["month"]))
    current = runs[runs["current"] & runs["month"].isin(months)]
    text = ",".join(f"{m}:v{v}" for m, v in zip(current["month"], current["version"], strict=True))
    return hashlib.sha256(f"{plan.digest}|{text}".encode()).hexdigest()


__all__ = ["PeriodResult", "period_result"]
