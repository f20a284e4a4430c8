"""Year-to-date actuals and annual or pro-rated targets, worked out before scoring.

An indicator with ``year_to_date:`` is scored on the sum of its actuals from January
to this month against its annual target (``target: annual``, seed 002 bank: 分红保险
全年任务5000元), or against the annual target pro-rated to the month (``target:
prorated``: annual × months elapsed / 12, or × the plan's cumulative ``split``).
The targets file holds the annual target; the months before come from their own
actuals files (:mod:`kpilib.months` reads them). Pure: frames in, frames out; the
rules then score the figures as they score any month.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from kpilib.errors import DataError, Problem
from kpilib.i18n import _
from kpilib.parse import Fraction, Frozen, to_number

if TYPE_CHECKING:
    from kpilib.engine.plan import Plan


class YearToDate(Frozen):
    """An indicator's ``year_to_date:``."""

    target: Literal["annual", "prorated"] = "annual"
    # 12 shares of the annual target, January first (a plan-given month split); default 1/12 each
    split: list[Fraction] = Field(default=[])

    @model_validator(mode="after")
    def _check(self):
        if self.split and (len(self.split) != 12 or abs(sum(self.split) - 1) > 1e-9):
            raise ValueError(_("split 要写 12 个月的比例（1月在前），合计 100%"))
        if self.split and self.target != "prorated":
            raise ValueError(_("split 只用于 target: prorated"))
        return self

    def share(self, month: str) -> float:
        """The share of the annual target due by the end of ``month`` (``YYYY-MM``)."""
        elapsed = int(month[5:7])
        if self.target == "annual":
            return 1.0
        # shares as written (5% + 5% + 10%): drop the float noise of adding them
        return round(float(sum(self.split[:elapsed])), 10) if self.split else elapsed / 12


def earlier_months(month: str) -> list[str]:
    """January to the month before ``month``, of the same year."""
    year, m = month[:4], int(month[5:7])
    return [f"{year}-{k:02d}" for k in range(1, m)]


def apply(
    plan: Plan,
    month: str,
    targets: pd.DataFrame,
    actuals: pd.DataFrame,
    earlier: dict[str, pd.DataFrame],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Targets and actuals of ``month`` with every year-to-date indicator's figures.

    Parameters
    ----------
    plan : Plan
    month : str
    targets, actuals : DataFrame
        As :func:`kpilib.sheets.inputs.read_inputs` gives them (annual targets).
    earlier : dict
        Month -> that month's actuals, for every month from January before ``month``.

    Returns
    -------
    (DataFrame, DataFrame)
        New targets (pro-rated where asked) and actuals (each year-to-date item's
        value replaced by the sum from January, as text like the file's).
    """
    wanted = {n: i.year_to_date for n, i in plan.indicators.items() if i.year_to_date}
    if not wanted:
        return targets, actuals
    problems = []
    frames = [actuals.assign(_month=month)]
    frames += [frame.assign(_month=m) for m, frame in sorted(earlier.items())]
    stacked = pd.concat(frames, ignore_index=True)
    stacked = stacked[stacked["item"].isin(list(wanted))].reset_index(drop=True)
    values, found = to_number(stacked, "value", label="实际值")
    problems += found
    if problems:
        raise DataError(problems)
    total = values.groupby([stacked["person"], stacked["item"]]).sum()
    mine = actuals["item"].isin(list(wanted)).to_numpy()
    keys = pd.MultiIndex.from_arrays([actuals["person"], actuals["item"]])
    summed = total.reindex(keys).to_numpy(float)
    actuals = actuals.copy()
    actuals.loc[mine, "value"] = [repr(float(v)) for v in summed[mine]]
    share = targets["indicator"].map({n: y.share(month) for n, y in wanted.items()})
    prorated = share.notna().to_numpy() & (share.to_numpy(float) != 1.0)
    if prorated.any():  # targets are numbers once read (kpilib.sheets.inputs.read_targets)
        factor = np.where(prorated, share.to_numpy(float), 1.0)
        targets = targets.assign(target=targets["target"].to_numpy(float) * factor)
    return targets, actuals


def missing_months(month: str, available: set[str]) -> list[str]:
    """The months from January before ``month`` that have no actuals file."""
    return [m for m in earlier_months(month) if m not in available]


def missing_problem(plan: Plan, month: str, missing: list[str]) -> Problem:
    names = "、".join(n for n, i in plan.indicators.items() if i.year_to_date)
    return Problem(
        _("{names} 按本年累计计分，{month} 需要 1 月起各月的实际值，缺 {missing}").format(
            names=names, month=month, missing="、".join(missing)
        ),
        _("把这些月份的实际值放到 {path} 指定的位置（没有发生也要有文件，填 0）").format(
            path=plan.sources.actuals
        ),
        file=str(plan.path),
        code="year_to_date_month_missing",
    )


__all__ = ["YearToDate", "apply", "earlier_months", "missing_months", "missing_problem"]
