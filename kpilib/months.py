"""A department's month as one result: read the inputs, score them.

The service layer between the pure engine and the outputs: the report, the
scorecards, payroll, explain and the notebooks ask here for a month's result.
"""

from __future__ import annotations

from pathlib import Path

from kpilib.engine.plan import Plan, load_plan
from kpilib.engine.scoring import Result, score
from kpilib.sheets.inputs import read_inputs


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
    >>> len(result.people)  # seed 000's table: 19 people
    19
    >>> result.people.set_index("person").loc["危鹤坚", "total"]  # 64.84 + 34.41
    np.float64(99.25)
    """
    plan = plan if isinstance(plan, Plan) else load_plan(plan)
    return score(plan, month=month, **read_inputs(plan, month, actuals))
