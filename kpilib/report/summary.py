"""Short text summaries of a scored month, for the terminal and logs."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kpilib import text
from kpilib.engine.scoring import Result
from kpilib.i18n import _
from kpilib.outcomes.thresholds import hits


def summary(result: Result) -> str:
    """A few lines: people scored, average, people per grade, and who meets each
    condition of the plan's own pay gates and consequence rules (none if it has none)."""
    people, plan = result.people, result.plan
    # the average is over the appraised: not voided, not excluded (不参加考核)
    valid = people[people["valid"]]
    if "excluded" in people:
        valid = valid[~valid["excluded"].fillna(False).astype(bool)]
    counts = people["grade"].value_counts()
    order = [g.name for g in plan.grades] + [plan.void_grade, plan.excluded_grade]
    grades = " · ".join(f"{g} {counts[g]}" for g in order if g in counts)
    # when every month is voided there is no average to give, only the fact
    average = (
        _("平均分 {average:.1f}").format(average=valid["total"].mean())
        if len(valid)
        else _("无有效得分(全部考核无效)")
    )
    lines = [
        _("{plan} {month}：{count} 人计分，{average}").format(
            plan=plan.name, month=result.month or "", count=len(people), average=average
        ),
        f"  {grades}",
    ]
    for label, hit in hits(plan, people, result.items).items():
        low = people[hit.to_numpy()].sort_values("completion")
        if len(low):
            names = "、".join(
                f"{p} {c * 100:.1f}%" for p, c in zip(low["person"], low["completion"], strict=True)
            )
            lines.append("  " + _("{label}：{names}").format(label=label, names=names))
    lines += [f"  {line}" for line in probation_review(result)["line"]]
    voided = people[~people["valid"]]
    if len(voided):
        names = "、".join(
            f"{p}（{g}）" for p, g in zip(voided["person"], voided["gates"], strict=True)
        )
        lines.append("  " + _("考核无效：{names}").format(names=names))
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
        .map({True: _("（本月不参加考核，得分仅供转正评估）"), False: ""})
        if "excluded" in rows
        else ""
    )
    valid = rows["valid"].fillna(False).astype(bool).to_numpy()
    line = text.cat(
        _("转正评估："),
        rows["person"].to_numpy(object),
        _(" 试用期本月总分 "),
        text.points(rows["total"]),
        _("，考核完成率 "),
        text.percent(rows["completion"]),
        np.where(
            valid, text.cat(_("，等级 "), rows["grade"].to_numpy(object)), _("，本月考核无效")
        ),
        note if isinstance(note, str) else note.to_numpy(object),
    )
    return rows[["person", "total", "grade", "completion"]].assign(line=line)
