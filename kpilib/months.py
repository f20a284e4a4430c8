"""A department's month as one result: read the inputs, score them.

The service layer between the pure engine and the outputs: the report, the
scorecards, payroll, explain and the notebooks ask here for a month's result.
"""

from __future__ import annotations

from pathlib import Path

from kpilib.engine.plan import Plan, load_plan
from kpilib.engine.scoring import Result, score
from kpilib.sheets.inputs import read_inputs
from kpilib.sheets.workbooks import check_template_targets


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
    >>> len(result.people), result.people["total"].max()
    (19, 112.83)
    """
    plan = plan if isinstance(plan, Plan) else load_plan(plan)
    inputs = read_inputs(plan, month, actuals)
    if actuals is not None:  # a filled template's targets must be the plan's
        check_template_targets(actuals, inputs["targets"])
    return score(plan, month=month, **inputs)
