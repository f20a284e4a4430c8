"""Short text summaries of a scored month, for the terminal and logs."""

from __future__ import annotations

from kpilib.engine.scoring import Result
from kpilib.outcomes.thresholds import hits


def summary(result: Result) -> str:
    """A few lines: people scored, average, people per grade, and who meets each
    condition of the plan's own pay gates and consequence rules (none if it has none)."""
    people, plan = result.people, result.plan
    valid = people[people["valid"]]
    counts = people["grade"].value_counts()
    order = [g.name for g in plan.grades] + [plan.void_grade]
    grades = " · ".join(f"{g} {counts[g]}" for g in order if g in counts)
    # when every month is voided there is no average to give, only the fact
    average = f"average {valid['total'].mean():.1f}" if len(valid) else "无有效得分(全部考核无效)"
    lines = [
        f"{plan.name} {result.month or ''}: {len(people)} people scored, {average}",
        f"  {grades}",
    ]
    for label, hit in hits(plan, people, result.items).items():
        low = people[hit.to_numpy()].sort_values("completion")
        if len(low):
            names = ", ".join(
                f"{p} {c * 100:.1f}%" for p, c in zip(low["person"], low["completion"], strict=True)
            )
            lines.append(f"  {label}: {names}")
    voided = people[~people["valid"]]
    if len(voided):
        lines.append(
            "  voided: "
            + ", ".join(
                f"{p} ({g})" for p, g in zip(voided["person"], voided["gates"], strict=True)
            )
        )
    return "\n".join(lines)
