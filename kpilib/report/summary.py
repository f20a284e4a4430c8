"""Short text summaries of a scored month, for the terminal and logs."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kpilib import text
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
    lines += [f"  {line}" for line in probation_review(result)["line"]]
    voided = people[~people["valid"]]
    if len(voided):
        lines.append(
            "  voided: "
            + ", ".join(
                f"{p} ({g})" for p, g in zip(voided["person"], voided["gates"], strict=True)
            )
        )
    return "\n".join(lines)


def probation_review(result: Result) -> pd.DataFrame:
    """One 转正评估 line per person on probation this month (seed 000 rule 5:
    试用期员工绩效得分作为转正评估依据): person, total, grade, completion, line.

    On probation: the people table's ``probation`` (from the plan's staff dates) or the
    plan's ``consequences.probation`` list. Excluded months are scored too, and say so.
    """
    people, plan = result.people, result.plan
    listed = plan.consequences.probation if plan.consequences else []
    on = people["person"].isin(listed)
    if "probation" in people:
        on |= people["probation"].fillna(False).astype(bool)
    rows = people[on.to_numpy()]
    note = (
        rows["excluded"]
        .fillna(False)
        .map({True: "（本月不参加考核，得分仅供转正评估）", False: ""})
        if "excluded" in rows
        else ""
    )
    valid = rows["valid"].fillna(False).astype(bool).to_numpy()
    line = text.cat(
        "转正评估：",
        rows["person"].to_numpy(object),
        " 试用期本月总分 ",
        text.points(rows["total"]),
        "，考核完成率 ",
        text.percent(rows["completion"]),
        np.where(valid, text.cat("，等级 ", rows["grade"].to_numpy(object)), "，本月考核无效"),
        note if isinstance(note, str) else note.to_numpy(object),
    )
    return rows[["person", "total", "grade", "completion"]].assign(line=line)
