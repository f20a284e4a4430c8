"""kpilib: monthly performance-appraisal (绩效考核) scoring and reporting.

The few names a notebook needs::

    import kpilib
    result = kpilib.score_month("params/channel_ops.yaml", "2024-11")
    result.people      # one row per person: total, grade, completion, gates
    result.items       # one row per person and item, with the reason for every point
"""

from __future__ import annotations

from pathlib import Path

from kpilib.errors import DataError, KpiError, PlanError
from kpilib.io import read_inputs
from kpilib.plan import Plan, load_plan
from kpilib.scoring import Result, score

__all__ = [
    "score_month",
    "load_plan",
    "score",
    "Plan",
    "Result",
    "KpiError",
    "PlanError",
    "DataError",
]


def score_month(plan: str | Path | Plan, month: str, actuals: str | Path | None = None) -> Result:
    """Load a plan and its inputs for ``month`` and score them.

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
    >>> result.people[["person", "total", "grade"]].head(2)
    """
    plan = plan if isinstance(plan, Plan) else load_plan(plan)
    return score(plan, month=month, **read_inputs(plan, month, actuals))
