"""The conditions on a month that a plan ties pay or consequences to: its own policy.

Seed 000's "每次月度考核完成率低于60%者，免当月绩效奖金" is channel operations' rule,
not everyone's: the report's "below threshold" section, its headline cards, the
scorecards and the text summary list the conditions of each plan's own pay gates
and consequence rules, grouped by condition, with the plan's wording of every
rule on it. A plan with neither has none.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from kpilib.engine.policy import shown
from kpilib.i18n import _
from kpilib.outcomes.consequences import evaluate

if TYPE_CHECKING:
    from kpilib.engine.plan import Plan


@dataclass(frozen=True)
class Threshold:
    """One condition and the plan's rules on it.

    Attributes
    ----------
    when : str
        As the plan writes it (``completion < 60%``).
    label : str
        In words (``考核完成率 < 60%``).
    rules : tuple of str
        The plan's wording of each rule on it: its seed line, else name → action.
    """

    when: str
    label: str
    rules: tuple[str, ...]


def thresholds(plan: Plan) -> list[Threshold]:
    """The plan's pay gates and consequence rules, one entry per condition, in plan order."""
    pay = getattr(plan, "pay", None)
    consequences = getattr(plan, "consequences", None)
    entries = [
        (g.when, g.seed or _("{name}：免当月绩效工资").format(name=g.name))
        for g in (pay.gates if pay else [])
    ]
    entries += [
        (r.when, r.seed or f"{r.name}" + (f"：{r.action}" if r.action else ""))
        for r in (consequences.rules if consequences else [])
    ]
    grouped: dict[str, list[str]] = {}
    for when, wording in entries:
        rules = grouped.setdefault(when, [])
        if wording not in rules:
            rules.append(wording)
    return [Threshold(when, shown(when, plan), tuple(rules)) for when, rules in grouped.items()]


def hits(plan: Plan, people: pd.DataFrame, items: pd.DataFrame | None = None) -> pd.DataFrame:
    """Who meets each of the plan's conditions this month: one boolean column per
    threshold label, one row per row of ``people`` (no columns for a plan without any)."""
    consequences = getattr(plan, "consequences", None)
    probation = consequences.probation if consequences else ()
    return pd.DataFrame(
        {t.label: evaluate(t.when, people, items, probation) for t in thresholds(plan)},
        index=people.index,
        dtype=bool,
    )


def any_hit(plan: Plan, people: pd.DataFrame, items: pd.DataFrame | None = None) -> np.ndarray:
    """Rows of ``people`` meeting any of the plan's conditions."""
    table = hits(plan, people, items)
    return table.any(axis=1).to_numpy(bool) if table.shape[1] else np.zeros(len(people), bool)


__all__ = ["Threshold", "thresholds", "hits", "any_hit"]
