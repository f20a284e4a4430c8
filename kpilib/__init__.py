"""kpilib: monthly performance-appraisal (绩效考核) scoring and reporting.

The names a notebook needs, loaded on first use (so ``kpi --help`` stays fast)::

    import kpilib
    result = kpilib.score_month("params/channel_ops.yaml", "2024-11")
    result.people      # one row per person: total, grade, completion, gates
    result.items       # one row per person and item, with the reason for every point
    from kpilib.explain import explain
    explain("params/channel_ops.yaml", "曾志伟", "2024-11").text()
"""

from __future__ import annotations

import importlib

# public name -> the module that defines it (``explain`` is not here: ``kpilib.explain`` is
# the module, and importing it would rebind the name)
_HOMES = {
    "score_month": "kpilib.months",
    "month_result": "kpilib.months",
    "period_result": "kpilib.period_results",
    "Period": "kpilib.periods",
    "load_plan": "kpilib.engine.plan",
    "Plan": "kpilib.engine.plan",
    "score": "kpilib.engine.scoring",
    "Result": "kpilib.engine.scoring",
    "KpiError": "kpilib.errors",
    "PlanError": "kpilib.errors",
    "DataError": "kpilib.errors",
    "find_plan": "kpilib.project",
}
__all__ = sorted(_HOMES)


def __getattr__(name: str):
    if name in _HOMES:
        value = getattr(importlib.import_module(_HOMES[name]), name)
    else:  # a submodule: kpilib.store, kpilib.months ...
        try:
            value = importlib.import_module(f"kpilib.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"kpilib.{name}":
                raise
            raise AttributeError(f"module 'kpilib' has no attribute {name!r}") from None
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
