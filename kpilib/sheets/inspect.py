"""``kpi inspect``: how the kit reads a file, before anything is scored.

:func:`inspect_file` returns one plain dict (the ``--json`` output): the sheets
used and skipped, the columns and what each was mapped to, every row read, the
totals and grades the sheet states, the rows skipped and why, the problems, and
the plan settings that read the file this way. With a plan it also checks the
file against the plan and compares the sheet's own totals and grades with the
kit's (``reconciled``). :func:`render` writes the same for a terminal, in the user's
language (Chinese by default, :mod:`kpilib.i18n`).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from kpilib.errors import KpiError, Problem
from kpilib.i18n import _
from kpilib.sheets.layout import read_file, to_inputs

if TYPE_CHECKING:
    import pandas as pd

    from kpilib.engine.plan import Plan

ROW_KEYS = ("person", "indicator", "weight", "target", "actual", "score")


def inspect_file(
    path: str | Path,
    plan: Plan | None = None,
    sheet: str | None = None,
    columns: dict | None = None,
) -> dict:
    """How ``path`` is read, as a plain dict (numbers as numbers, weights as fractions).

    Parameters
    ----------
    path : path
        A workbook, CSV, or a folder of one file per person.
    plan : Plan, optional
        Check the file against it (unknown indicators, weights, people) and compare
        the sheet's totals and grades with the kit's result.
    sheet : str, optional
        Read only this sheet.
    columns : dict, optional
        Header mapping; the plan's ``sources.columns`` when a plan is given.
    """
    if plan is not None:
        columns = {**plan.sources.columns, **(columns or {})}
        roster = plan.source("roster")
    else:
        roster = None
    reading = read_file(path, sheet=sheet, columns=columns, roster=roster)
    people = {}
    for row in reading.rows:
        entry = people.setdefault(row["person"], {"items": 0, "weight": 0.0})
        entry["items"] += 1
        if isinstance(row["weight"], float):
            entry["weight"] = round(entry["weight"] + row["weight"], 9)
    report = {
        "file": reading.file,
        "encoding": reading.encoding,
        "sheets": reading.sheets,
        "tables": reading.tables,
        "columns": reading.columns,
        "rows": [{k: row[k] for k in ROW_KEYS} for row in reading.rows],
        "people": people,
        "totals": reading.totals,
        "grades": reading.grades,
        "skipped": reading.skipped,
        "notes": reading.notes,
        "what": reading.what,
        "problems": [],
        "settings": _settings(reading, sheet, columns),
    }
    problems = list(reading.problems)
    if plan is not None and reading.rows and not problems:
        problems += _check_against(plan, reading, people, report)
    report["problems"] = [_problem(p) for p in problems]
    return report


def _problem(p: Problem) -> dict:
    return {k: v for k, v in vars(p).items() if v not in (None, "")}


def _settings(reading, sheet, columns) -> dict:
    """The plan settings that read the file the way it was read."""
    sources = {"targets_layout": "sheet"}
    if sheet:
        sources["targets_sheet"] = sheet
    if columns:
        sources["columns"] = dict(columns)
    settings = {"sources": sources}
    scale = _score_scale(reading)
    if any(isinstance(r["score"], float) for r in reading.rows) or scale:
        settings["rule"] = {"type": "score", "prefer": "leader"} | scale
    over = sorted(
        {r["person"] for r in reading.rows}
        & {p for p, w in _weights(reading).items() if w > 1 + 1e-6}
    )
    if over:
        settings["bonus"] = _("权重合计超过 100%（{people}）：在加分的指标上写 bonus: true").format(
            people="、".join(over)
        )
    return settings


def _score_scale(reading) -> dict:
    """How the sheet's own totals are made from its numbers (a score, else the actual):
    ``{"as": "points"}`` when a total is their sum (分值 40, 上级评分 36),
    ``{"as": "percent"}`` when it is Σ weight × number (接通率（40%） 95 → 38);
    nothing when no totals are stated or neither reading gives them."""
    as_percent, as_points = {}, {}
    for r in reading.rows:
        value = r["score"] if isinstance(r["score"], float) else r["actual"]
        if isinstance(value, float):
            as_points[r["person"]] = as_points.get(r["person"], 0.0) + value
            if isinstance(r["weight"], float):
                as_percent[r["person"]] = as_percent.get(r["person"], 0.0) + r["weight"] * value
    stated = {p: t for p, t in reading.totals.items() if p in as_points}

    def agrees(sums):
        return all(abs(sums.get(p, float("nan")) - t) < 0.05 for p, t in stated.items())

    if stated and agrees(as_percent):
        return {"as": "percent"}
    if stated and agrees(as_points):
        return {"as": "points"}
    return {}


def _weights(reading) -> dict:
    out = {}
    for r in reading.rows:
        if isinstance(r["weight"], float):
            out[r["person"]] = out.get(r["person"], 0.0) + r["weight"]
    return out


def _check_against(plan, reading, people, report) -> list[Problem]:
    """Unknown indicators (one problem per indicator), weights, then the reconciliation."""
    import re

    from kpilib.engine.plan import nearest
    from kpilib.engine.scoring import score

    problems = []
    unknown = {}
    for row in reading.rows:
        base = re.split(r"[/①-⑩]", row["indicator"])[0]
        if row["indicator"] not in plan.indicators and base not in plan.indicators:
            unknown.setdefault(row["indicator"], []).append(row["person"])
    for name, persons in unknown.items():
        problems.append(
            Problem(
                _("指标「{name}」不在 plan 的 indicators 里{hint}（{count} 人有这一项）").format(
                    name=name, hint=nearest(name, plan.indicators), count=len(persons)
                ),
                _("在 plan 的 indicators: 里加上它，或改成 plan 里的名字"),
                file=reading.file,
                column="指标",
                code="unknown_indicator",
            )
        )
    bonus = {n for n, i in plan.indicators.items() if i.bonus or not i.rule.weighted}
    weights = dict.fromkeys(people, 0.0)  # one pass over the rows, not one per person
    for r in reading.rows:
        if (
            isinstance(r["weight"], float)
            and re.split(r"[/①-⑩]", r["indicator"])[0] not in bonus
            and r["indicator"] not in bonus
        ):
            weights[r["person"]] += r["weight"]
    for person, weight in weights.items():
        if abs(weight - 1) > 1e-6:
            problems.append(
                Problem(
                    _("权重合计 {total:g}%，不是 100%").format(total=weight * 100),
                    _("核对权重；额外的加分列在 plan 里写 bonus: true"),
                    file=reading.file,
                    person=person,
                    column="权重",
                    code="weights_not_100",
                )
            )
    if problems or not (reading.totals or reading.grades):
        return problems
    try:
        result = score(plan, **to_inputs(reading, plan))
    except KpiError as exc:
        return problems + exc.problems
    report["reconciled"] = reconcile(reading.totals, reading.grades, result.people)
    return problems


def reconcile(totals: dict, grades: dict, people: pd.DataFrame) -> list[dict]:
    """Every person whose sheet total or grade differs from the kit's.

    Returns
    -------
    list of dict
        ``{"person", "sheet_total", "kit_total", "difference"}`` (difference = kit −
        sheet, to the fen of a point) and, for grades, ``{"person", "sheet_grade",
        "kit_grade"}``.
    """
    kit = people.set_index("person")
    out = []
    for person, stated in totals.items():
        got = float(kit["total"].get(person, float("nan")))
        if not abs(got - stated) < 0.005:
            out.append(
                {
                    "person": person,
                    "sheet_total": stated,
                    "kit_total": got,
                    "difference": round(got - stated, 2),
                }
            )
    for person, stated in grades.items():
        got = kit["grade"].get(person)
        if got != stated:
            out.append({"person": person, "sheet_grade": stated, "kit_grade": got})
    return out


def render(report: dict) -> str:
    """The report for a terminal, in the user's language."""
    encoding = _("（编码 {encoding}）").format(encoding=report["encoding"])
    lines = [
        _("文件：{path}").format(path=report["file"]) + (encoding if report["encoding"] else "")
    ]
    for s in report["sheets"]:
        state = _("已读") if s["used"] else _("未读")
        hidden = _("，隐藏") if s["hidden"] else ""
        why = _("，{why}").format(why=s["why"]) if s["why"] else ""
        lines.append(
            _("工作表「{name}」：{state}{hidden}{why}").format(
                name=s["name"], state=state, hidden=hidden, why=why
            )
        )
    if report["what"]:
        lines.append(_("这个文件看起来是{what}").format(what=report["what"]))
    for k, t in enumerate(report["tables"], 1):
        rows = "、".join(map(str, t["header_rows"]))
        lines.append(
            _("表 {number}：工作表「{sheet}」第 {rows} 行是表头，按「{layout}」读取").format(
                number=k, sheet=t["sheet"], rows=rows, layout=t.get("layout", "")
            )
        )
        ignored = _("忽略")
        mapped = [f"{h} → {m or ignored}" for h, m in t["columns"].items()]
        lines.append(_("  列：") + _("；").join(mapped))
    if report["people"]:
        lines.append(_("人员 {count} 人：").format(count=len(report["people"])))
        for person, p in report["people"].items():
            total = report["totals"].get(person)
            grade = report["grades"].get(person)
            extra = (_("  表内总分 {total:g}").format(total=total) if total is not None else "") + (
                _("  表内等级 {grade}").format(grade=grade) if grade else ""
            )
            lines.append(
                _("  {person}  {items} 项  权重合计 {weight:g}%{extra}").format(
                    person=person, items=p["items"], weight=p["weight"] * 100, extra=extra
                )
            )
    if report["skipped"]:
        lines.append(_("跳过的行："))
        lines += [_("  {sheet} 第 {row} 行：{why}").format(**s) for s in report["skipped"]]
    if report["notes"]:
        lines.append(_("说明："))
        lines += [f"  {n}" for n in report["notes"]]
    for d in report.get("reconciled", []):
        if "sheet_total" in d:
            lines.append(
                _(
                    "总分不一致：{person} 表内 {sheet_total:g}，"
                    "kit {kit_total:g}，差 {difference:+g}"
                ).format(**d)
            )
        else:
            lines.append(_("等级不一致：{person} 表内 {sheet_grade}，kit {kit_grade}").format(**d))
    if "reconciled" in report and not report["reconciled"]:
        lines.append(_("表内总分、等级与 kit 的结果一致"))
    if report["problems"]:
        lines.append(_("问题 {count} 个：").format(count=len(report["problems"])))
        for p in report["problems"]:
            place = " ".join(p.get(k, "") for k in ("where", "person", "column") if p.get(k))
            where = _("{place}：").format(place=place) if place else ""
            lines.append(f"  - {where}{p['message']}")
            if p.get("fix"):
                lines.append(_("    改法：{fix}").format(fix=p["fix"]))
    import yaml

    lines.append(_("按这样读取的 plan 设置："))
    settings = yaml.safe_dump(report["settings"], allow_unicode=True, default_flow_style=None)
    lines += [f"  {line}" for line in settings.splitlines()]
    return "\n".join(lines)
