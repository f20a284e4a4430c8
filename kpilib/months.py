"""A department's month as one result: the one place every output gets it from.

The report, the scorecards, payroll, explain and investigation ask here for a
month (:func:`month_result`) and the months before it (:func:`history`). A month
comes from the results store, the one history: the current stored version is
returned as it is. A month is scored from its files only when the store lacks it,
when its input files changed since the stored version, or when an adjustment was
recorded after it; the new result is saved as the next version (unless
``save=False``), so a month is scored once, not on every read.

Adjustments are an input to scoring (:mod:`kpilib.engine.adjustments`): the month
is scored with every recorded adjustment that was filed against these very inputs;
one filed against other inputs is not applied and shows as needing review (待复核)
until :func:`confirm`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pandas as pd

from kpilib import store as results
from kpilib.engine.plan import Plan, load_plan
from kpilib.engine.scoring import (
    ADJUSTED_ITEM_COLUMNS,
    ADJUSTED_PEOPLE_COLUMNS,
    ITEM_COLUMNS,
    PEOPLE_COLUMNS,
    Result,
    score,
)
from kpilib.errors import DataError, KpiError
from kpilib.i18n import _
from kpilib.project import available_months, input_files, store_path
from kpilib.sheets.inputs import read_inputs
from kpilib.sheets.workbooks import check_template_targets


def score_month(plan: str | Path | Plan, month: str, actuals: str | Path | None = None) -> Result:
    """Load a plan and its inputs for ``month`` and score them (no store, no adjustments).

    Parameters
    ----------
    plan : path or Plan
        A plan file in ``params/`` or a loaded plan.
    month : str
        ``YYYY-MM``.
    actuals : path, optional
        Overrides the plan's actuals file for the month.

    Examples
    --------
    >>> result = score_month("params/channel_ops.yaml", "2024-11")
    >>> len(result.people)  # seed 000's table: 19 people
    19
    >>> result.people.set_index("person").loc["危鹤坚", "total"]  # 64.84 + 34.41
    np.float64(99.25)
    """
    plan = _plan(plan)
    return score(plan, month=month, **_inputs(plan, month, actuals))


def month_result(
    plan: str | Path | Plan,
    month: str,
    store: str | Path | None = None,
    save: bool = True,
    actuals: str | Path | None = None,
) -> Result:
    """The department's month: the current stored version, with its adjustments.

    Scored from the files (with the recorded adjustments) and saved as a new
    version only when the store lacks the month, its inputs changed, or an
    adjustment was recorded since; otherwise nothing is scored.

    Parameters
    ----------
    plan : path or Plan
    month : str
        ``YYYY-MM``.
    store : path, optional
        See :func:`kpilib.project.store_path`.
    save : bool
        Save a month that had to be scored (``kpi report --no-store``: False).
    actuals : path, optional
        Overrides the plan's actuals file for the month.

    Examples
    --------
    >>> result = month_result("params/mall_floor.yaml", "2024-11")
    >>> first = result.people.iloc[0]
    >>> first["person"], float(first["total"])  # 数据掌握 35 × 1.5 counts before the veto
    ('赵一鸣', 113.43)
    """
    plan = _plan(plan)
    stored = _stored(plan, [month], store)
    return _resolve(plan, month, stored, store, save, actuals)[0]


@dataclass(frozen=True)
class MonthHistory:
    """A month and every earlier month of one department, as the store holds them.

    Attributes
    ----------
    result : Result
        The month itself.
    people, items : DataFrame
        Every month up to and including this one, with a ``month`` column.
    notes : list of str
        Earlier months that could not be scored, and why.
    adjustments : DataFrame
        The month's recorded adjustments with their ``status`` in ``result``:
        applied, review (待复核: filed against inputs that changed since; not
        applied until ``kpi adjust --confirm ID``) or superseded.
    grade_reviews : DataFrame
        The month's recorded grade reviews (复核调整, ``kpi review``): the ``overrides``
        that payroll and the report pass to :func:`kpilib.outcomes.calibrate.calibrate`.
    """

    result: Result
    people: pd.DataFrame
    items: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    adjustments: pd.DataFrame = field(default_factory=pd.DataFrame)
    grade_reviews: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def review(self) -> pd.DataFrame:
        """The adjustments that need review (待复核)."""
        if self.adjustments.empty:
            return self.adjustments
        return self.adjustments[self.adjustments["status"] == "review"].reset_index(drop=True)

    @property
    def plan(self) -> Plan:
        return self.result.plan

    @property
    def month(self) -> str:
        return self.result.month

    def pay(self, pool: Decimal | str | None = None) -> pd.DataFrame:
        """The month's pay, the one computation payroll, the report, the scorecards and
        explanations all show: grades after the plan's quotas and the recorded 复核调整,
        pay levels carried from the earlier months (降一级 / 晋升一级), then
        :func:`kpilib.outcomes.pay.compute` (``pool``: this month's bonus pool, yuan).

        Returns
        -------
        DataFrame
            :func:`~kpilib.outcomes.pay.compute`'s columns (performance_pay, pay_reason,
            pool_paid...), with grade_before, grade (calibrated) and calibration, and with
            level, next_level and level_reason when the plan carries pay levels; in the
            people's order.
        """
        from kpilib.outcomes import calibrate, money
        from kpilib.outcomes import pay as pay_rules

        plan, result = self.plan, self.result
        people = result.people
        if plan.pay is not None and plan.pay.levels is not None:
            levels = money.carry_levels(plan, self.people, self.items)
            levels = levels[levels["month"] == self.month].set_index("person")
            levels = levels.rename(columns={"reason": "level_reason"})
            people = people.join(levels[["level", "next_level", "level_reason"]], on="person")
            result = replace(result, people=people)
        calibrated = calibrate.calibrate(result, plan, overrides=self.grade_reviews)
        out = pay_rules.compute(calibrated, plan, pool=pool, items=result.items)
        out["grade_before"], out["grade"] = calibrated["grade_before"], calibrated["grade"]
        out["calibration"] = calibrated["calibration"]
        for column in ("level", "next_level", "level_reason"):
            if column in people:
                out[column] = people[column].to_numpy(object)
        return out

    def flags(self) -> pd.DataFrame:
        """The plan's consequence flags of this month, from this history (the report
        and payroll both show exactly these)."""
        from kpilib.outcomes.consequences import flags

        found = flags(self.people, self.plan, self.items)
        return found[found["month"] == self.month].reset_index(drop=True)

    def in_force(self) -> pd.DataFrame:
        """The consequences in force this month: :meth:`flags`, and every flag of a rule
        counted over several months (警告, 改进计划, 调岗...) raised earlier in this
        calendar year, whose counts the seeds keep per year (年度累积). The store holds no
        record of a consequence being resolved, so one stays listed to the year's end.
        A one-month rule (免当月绩效奖金) or an award of an earlier month is not in force.

        Returns
        -------
        DataFrame
            As :func:`kpilib.outcomes.consequences.flags`: person, month (when it was
            raised), rule, action, count, months (the triggering months), award, reason;
            by person in the people's order, then month.
        """
        from kpilib.outcomes.consequences import flags

        found = flags(self.people, self.plan, self.items)
        rules = self.plan.consequences.rules if self.plan.consequences else []
        lasting = {r.name for r in rules if r.over != "month" and r.award is None}
        earlier = (
            found["rule"].isin(lasting)
            & (found["month"].str[:4] == self.month[:4])
            & (found["month"] < self.month)
        )
        keep = found[(found["month"] == self.month) | earlier]
        order = {p: i for i, p in enumerate(self.result.people["person"])}
        return (
            keep.assign(_o=keep["person"].map(order))
            .sort_values(["_o", "month"], kind="stable")
            .drop(columns="_o")
            .reset_index(drop=True)
        )


def history(
    plan: str | Path | Plan,
    month: str,
    store: str | Path | None = None,
    save: bool = True,
    actuals: str | Path | None = None,
) -> MonthHistory:
    """``month`` and every earlier month that is stored or has an actuals file.

    Each month as :func:`month_result` gives it (scored and saved at most once);
    an earlier month that fails to score is left out and described in ``notes``,
    so one bad old file does not stop this month. One read of the store.
    """
    plan = _plan(plan)
    stored = _stored(plan, None, store)
    earlier = sorted(
        {m for m in stored["months"] if m < month}
        | {m for m in available_months(plan) if m < month}
    )
    done, notes = [], []
    for m in earlier:
        try:
            done.append(_resolve(plan, m, stored, store, save, None)[0])
        except KpiError as exc:
            notes.append(_("{month} 未计入趋势：{error}").format(month=m, error=exc))
    result, recorded = _resolve(plan, month, stored, store, save, actuals)
    done.append(result)
    people = pd.concat([r.people.assign(month=r.month) for r in done], ignore_index=True)
    items = pd.concat([r.items.assign(month=r.month) for r in done], ignore_index=True)
    from kpilib.ledger import reviews

    return MonthHistory(
        result, people, items, notes, recorded, reviews(plan.department, month, store)
    )


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
) -> tuple[int, Result]:
    """Record an appeal's outcome or an adjustment, then score the month with it.

    The month is scored from its files with the adjustment as an input and saved
    as a new version, so it goes through the same rules, gates, bonus cap,
    rounding, grades and ranks as any month. See :func:`kpilib.store.adjust` for
    the checks (nothing is recorded when one fails).

    Returns
    -------
    (int, Result)
        The adjustment's ID and the month as now stored.
    """
    plan = _plan(plan)
    number = results.adjust(
        plan,
        month,
        person,
        item,
        reason=reason,
        by=by,
        actual=actual,
        points=points,
        filed_at=filed_at,
        force=force,
        store=store,
    )
    return number, month_result(plan, month, store)


def confirm(
    plan: str | Path | Plan, adjustment_id: int, store: str | Path | None = None
) -> tuple[int, Result]:
    """Re-apply adjustment ``adjustment_id`` (待复核) to the month's current inputs and
    score the month with it; returns the new adjustment's ID and the month."""
    plan = _plan(plan)
    month, number = results.confirm(plan, adjustment_id, store)
    return number, month_result(plan, month, store)


def _plan(plan) -> Plan:
    return plan if isinstance(plan, Plan) else load_plan(plan)


def _stored(plan: Plan, months: list[str] | None, store) -> dict:
    """The store's current versions of ``months`` (all when None), grouped by month."""
    if not store_path(store).exists():
        return {"months": set(), "runs": {}, "people": {}, "items": {}, "adjustments": {}}
    past = results.load(plan, store, months=months)
    return {
        "months": set(past.runs["month"]),
        "runs": {r["month"]: r for _, r in past.runs.iterrows()},  # one row per month
        "people": dict(list(past.people.groupby("month"))),
        "items": dict(list(past.items.groupby("month"))),
        "adjustments": dict(list(past.adjustments.groupby("month"))),
    }


def _resolve(plan: Plan, month: str, stored: dict, store, save: bool, actuals):
    """The stored version of ``month`` if it is up to date, else score (and save) it;
    with the month's adjustments and their status in that result."""
    digest = results.current_digest(plan, month, actuals)
    recorded = stored["adjustments"].get(month)
    run = stored["runs"].get(month)
    if run is not None:
        # a version saved without its input files cannot be compared: it stands
        unknown = pd.isna(run["inputs_digest"]) or run["inputs_digest"] == results.NO_FILES
        fresh = digest is None or unknown or digest == run["inputs_digest"]
        pending = recorded is not None and (recorded["status"] == "pending").any()
        if fresh and not pending:
            return _from_store(plan, month, stored), _or_empty(recorded)
    if recorded is None or recorded.empty:
        decided = None
    else:
        decided = results.decide(recorded.drop(columns="status"), digest)
    applied = decided[decided["status"] == "applied"] if decided is not None else None
    result = score(
        plan, month=month, adjustments=_as_input(applied), **_inputs(plan, month, actuals)
    )
    if save:
        note = (
            ""
            if run is None
            else (
                _("输入文件已改动，重新计分")
                if digest != run["inputs_digest"]
                else _("计入新登记的调整")
            )
        )
        results.save(
            result, input_files(plan, month, actuals), store, note=note, adjustments=decided
        )
    return result, _or_empty(decided)


def _inputs(plan: Plan, month: str, actuals) -> dict:
    inputs = read_inputs(plan, month, actuals)
    if actuals is not None:  # a filled template's targets must be the plan's
        check_template_targets(actuals, inputs["targets"])
    if any(i.year_to_date for i in plan.indicators.values()):
        inputs = _year_to_date(plan, month, inputs)
    return inputs


def _year_to_date(plan: Plan, month: str, inputs: dict) -> dict:
    """Year-to-date items: the months from January are read from their actuals files
    (project.input_files lists them, so a change to one re-scores this month)."""
    from kpilib.engine import to_date
    from kpilib.sheets.inputs import read_actuals

    missing = to_date.missing_months(month, set(available_months(plan)))
    if missing:
        raise DataError(to_date.missing_problem(plan, month, missing))
    earlier = {m: read_actuals(plan.source("actuals", m), m) for m in to_date.earlier_months(month)}
    targets, actuals = to_date.apply(plan, month, inputs["targets"], inputs["actuals"], earlier)
    return {**inputs, "targets": targets, "actuals": actuals}


def _or_empty(frame: pd.DataFrame | None) -> pd.DataFrame:
    return frame.reset_index(drop=True) if frame is not None else pd.DataFrame()


def _as_input(applied: pd.DataFrame | None) -> pd.DataFrame | None:
    """Recorded adjustments as the engine takes them (why and who in ``note``)."""
    if applied is None or applied.empty:
        return None
    return pd.DataFrame(
        {
            "adjustment_id": applied["adjustment_id"].to_numpy(),
            "person": applied["person"].to_numpy(object),
            "item": applied["item"].to_numpy(object),
            "actual": applied["actual"].to_numpy(float),
            "points": applied["points"].to_numpy(float),
            "note": (applied["reason"] + "，" + applied["made_by"]).to_numpy(object),
        }
    )


def _from_store(plan: Plan, month: str, stored: dict) -> Result:
    items = stored["items"][month].reset_index(drop=True)
    people = stored["people"][month].reset_index(drop=True)
    items = items[ITEM_COLUMNS + ADJUSTED_ITEM_COLUMNS].astype(
        {"adjustment_id": float, "adjusted": bool}
    )
    people = people[PEOPLE_COLUMNS + ADJUSTED_PEOPLE_COLUMNS].astype({"adjusted": bool})
    return Result(plan, month, items, people)


__all__ = ["score_month", "month_result", "history", "MonthHistory", "adjust", "confirm"]
