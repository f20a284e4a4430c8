"""Every point of one person's month: rule, inputs, arithmetic, gates, adjustments, pay.

::

    from kpilib.explain import explain
    why = explain("params/channel_ops.yaml", "危鹤坚", "2024-11")
    why.steps        # one row per step, as a DataFrame
    print(why.text())
    why              # in a notebook: the same as HTML

``steps`` has one row per item (its rule in words, the inputs, the engine's
arithmetic and the points), then the bonus cap, the gates, the recorded
appeals and adjustments, the total and grade, and the pay derived from them.
The points of the item and bonus rows add up to the total.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from kpilib import text
from kpilib.engine.plan import Indicator, Plan, load_plan, nearest
from kpilib.engine.policy import shown
from kpilib.engine.rules import outside_weights
from kpilib.engine.scoring import Result
from kpilib.errors import KpiError, Problem
from kpilib.i18n import N_, _

STEP_COLUMNS = ["kind", "name", "rule", "inputs", "arithmetic", "points"]
KIND_LABELS = {  # shown through _()
    "item": N_("考核项"),
    "bonus": N_("加减分"),
    "bonus_cap": N_("加分封顶"),
    "gate": N_("否决/调整条件"),
    "adjustment": N_("申诉调整"),
    "total": N_("总分"),
    "grade": N_("等级"),
    "calibration": N_("等级校准"),
    "pay": N_("绩效工资"),
    "pool": N_("奖金包"),
}


def _kind(kind: str) -> str:
    return _(KIND_LABELS[kind]) if kind in KIND_LABELS else kind


def _pct(value) -> str:
    return text.percent([value])[0]


def describe_rule(indicator: Indicator) -> str:
    """An indicator's rule in words (``完成率 = 实际 / 目标，封顶 120%``)."""
    return indicator.rule.describe(indicator.lower, indicator.unit)


@dataclass(frozen=True)
class Explanation:
    """One person's month explained; see the module docstring.

    Attributes
    ----------
    person, month : str
    plan : Plan
    summary : dict
        role, english_name, total, grade, completion, rank, valid, gates,
        performance_pay (Decimal yuan or None).
    steps : DataFrame
        kind, name, rule, inputs, arithmetic, points: every point, in order.
    """

    person: str
    month: str | None
    plan: Plan
    summary: dict
    steps: pd.DataFrame

    def text(self) -> str:
        """Plain text, one line per step."""
        s = self.summary
        lines = [
            f"{self.person} · {s['role']} · {self.plan.name} · {self.month}",
            self._headline(),
        ]
        for row in self.steps.itertuples(index=False):  # a person has a few dozen steps
            label = _kind(row.kind)
            body = _("；").join(p for p in (row.rule, row.inputs, row.arithmetic) if p)
            lines.append(
                _("- [{kind}] {name}：{body}").format(kind=label, name=row.name, body=body)
            )
        return "\n".join(lines)

    def html(self, heading: bool = True) -> str:
        """An HTML section (escaped) for notebooks, the report and the scorecards;
        ``heading=False`` leaves out the name and total (a scorecard has them above)."""
        s = self.summary
        english = s.get("english_name") or ""
        name = (
            _("{person}（{english}）").format(person=self.person, english=english)
            if english not in ("", "/")
            else self.person
        )
        head = (
            f"<h3>{_e(name)} · {_e(s['role'])} · {_e(self.month)}</h3>"
            f'<p class="summary">{_e(self._headline())}</p>'
            if heading
            else ""
        )
        table = pd.DataFrame(
            {
                _("步骤"): self.steps["kind"].map(_kind),
                _("项目"): self.steps["name"],
                _("规则"): self.steps["rule"],
                _("输入"): self.steps["inputs"],
                _("计算"): self.steps["arithmetic"],
                _("得分"): text.table_points(self.steps["points"]),
            }
        )
        return (
            f'<section class="person explain">{head}'
            f"{table.to_html(index=False, border=0, classes='kpi', na_rep='')}</section>"
        )

    def _repr_html_(self) -> str:
        return self.html()

    def _headline(self) -> str:
        s = self.summary
        return _("总分 {total} · {grade} · 考核完成率 {completion}").format(
            total=text.table_points([s["total"]])[0],
            grade=s["grade"],
            completion=_pct(s["completion"]),
        )


def _e(value) -> str:
    return html.escape("" if value is None else str(value))


def explain(
    plan: str | Path | Plan,
    person: str,
    month: str,
    *,
    result: Result | None = None,
    store: str | Path | None = None,
    adjustments: bool | pd.DataFrame = True,
    paid: pd.DataFrame | None = None,
) -> Explanation:
    """Explain every point of ``person``'s score for ``month``.

    Parameters
    ----------
    plan : path or Plan
    person : str
        As written in the targets (姓名).
    month : str
        ``YYYY-MM``.
    result : Result, optional
        An already scored month (the report passes its own); else the month from the
        results store (:func:`kpilib.months.month_result`, scored once if missing).
    store : path, optional
        Results store (default ``$KPI_STORE`` or ``data/results.duckdb``).
    adjustments : bool or DataFrame
        The month as stored, with its adjustments (each listed with its status:
        applied, or 待复核 and not applied); False explains the month as computed
        from its files, without them. The report passes the month's recorded
        adjustments it already read (``MonthHistory.adjustments``).
    paid : DataFrame, optional
        The month's pay (:meth:`kpilib.months.MonthHistory.pay`: after grade quotas and
        复核调整, at the carried pay levels), as the report has it. By default the stored
        month's, or, with ``result`` given, that result's own (its grade quotas applied).

    Returns
    -------
    Explanation
        ``steps`` (DataFrame), ``text()``, ``html()``.

    Examples
    --------
    >>> why = explain("params/channel_ops.yaml", "危鹤坚", "2024-11")
    >>> why.steps.set_index("name").loc["总分", "arithmetic"]  # GMV 64.84 + 客户 34.41
    '99.25 + 0.0 = 99.25'
    """
    from kpilib.months import MonthHistory, history

    plan = plan if isinstance(plan, Plan) else load_plan(plan)
    if result is None and adjustments is not False:
        past = history(plan, month, store)  # the stored month, scored once if missing
        result = past.result
        paid = past.pay() if paid is None and plan.pay is not None else paid
        if adjustments is True:  # the month's adjustments as read with it, not read again
            adjustments = past.adjustments
    elif result is None:
        from kpilib.months import score_month

        result = score_month(plan, month)  # as computed from the files, nothing applied
    plan = result.plan
    everyone, items = result.people, result.items
    if person not in set(everyone["person"]):
        raise KpiError(
            Problem(
                _("{department} {month} 的结果里没有 {person!r}{hint}").format(
                    department=plan.department,
                    month=month,
                    person=person,
                    hint=nearest(person, everyone["person"]),
                ),
                _("按目标表里写的姓名填写"),
                person=person,
                code="unknown_person",
            )
        )
    items = items[items["person"] == person]
    people = everyone[everyone["person"] == person]
    from kpilib import store as results

    if isinstance(adjustments, pd.DataFrame):
        recorded = adjustments[adjustments["person"] == person] if len(adjustments) else adjustments
    elif adjustments:
        recorded = results.adjustments(plan.department, month, person, store)
    else:
        recorded = pd.DataFrame()
    row = people.iloc[0]
    steps = [_item_steps(plan, items)]
    bonus = items.loc[items["rule"].isin(outside_weights()), "points"].sum()
    if plan.bonus_cap is not None and bonus > plan.bonus_cap:
        steps.append(
            _steps(
                "bonus_cap",
                _("加分合计"),
                _("加分最多 {cap} 分").format(cap=f"{plan.bonus_cap:g}"),
                _("加分合计 {bonus}").format(bonus=text.points([bonus])[0]),
                _("封顶 {cap}").format(cap=f"{plan.bonus_cap:g}"),
                plan.bonus_cap - bonus,
            )
        )
    steps.append(_gate_steps(plan, row))
    if len(recorded):
        state = recorded["status"].map(
            {
                "applied": _("已计入"),
                "review": _(
                    "待复核：登记后输入文件已改动，未计入；kpi adjust --confirm 编号 后计入"
                ),
                "superseded": _("已被后来的调整取代"),
                "pending": _("尚未计分"),
            }
        )
        steps.append(
            _steps(
                "adjustment",
                recorded["item"],
                text.fill(
                    _("申诉/调整第 {id} 号（{state}）"),
                    id=recorded["adjustment_id"].astype(str).to_numpy(object),
                    state=state.to_numpy(object),
                ),
                text.fill(
                    _("由 {by} 于 {at} 记录"),
                    by=recorded["made_by"].to_numpy(object),
                    at=recorded["filed_at"].astype(str).str[:16].to_numpy(object),
                ),
                text.fill(
                    _("{reason}：{change}"),
                    reason=recorded["reason"].to_numpy(object),
                    change=np.where(
                        recorded["points"].notna(),
                        text.fill(_("得分改为 {points}"), points=text.points(recorded["points"])),
                        text.fill(_("实际值改为 {actual}"), actual=text.number(recorded["actual"])),
                    ),
                ),
                np.nan,
            )
        )
    weighted, bonus, total = text.points(
        [row["weighted_points"], row["bonus_points"], row["total"]]
    )
    steps.append(
        _steps(
            "total",
            _("总分"),
            _("各项得分 + 加减分"),
            _("考核项 {weighted}，加减分 {bonus}").format(weighted=weighted, bonus=bonus),
            f"{weighted} + {bonus} = {total}",
            row["total"],
        )
    )
    steps.append(
        _steps(
            "grade",
            _("等级"),
            _grade_text(plan),
            _("总分 {total}").format(total=total),
            f"→ {row['grade']}" + ("" if row["valid"] else _("（本月考核无效）")),
            np.nan,
        )
    )
    pay_value = None
    if getattr(plan, "pay", None) is not None:
        if paid is None:  # the whole month: a pool is shared, this is one person's share
            month_only = MonthHistory(
                result, everyone.assign(month=month), result.items.assign(month=month)
            )
            paid = month_only.pay()
        money = paid[paid["person"] == person].iloc[0]
        pay_value = money["performance_pay"]
        if money["grade"] != money["grade_before"]:  # a quota or a 复核调整 moved the grade
            steps.append(
                _steps(
                    "calibration",
                    _("等级校准"),
                    _("等级比例限制与复核调整"),
                    _("原等级 {grade}").format(grade=money["grade_before"]),
                    money["calibration"],
                    np.nan,
                )
            )
        steps.append(
            _steps(
                "pay",
                _("绩效工资"),
                _pay_text(plan),
                _("岗位 {role}").format(role=row["role"]),
                money["pay_reason"],
                np.nan,
            )
        )
        if "pool_reason" in money:
            steps.append(
                _steps(
                    "pool",
                    _("奖金包"),
                    _("按积分分配奖金包"),
                    "",
                    money["pool_reason"],
                    np.nan,
                )
            )
    frame = pd.concat(steps, ignore_index=True)[STEP_COLUMNS]
    summary = {
        k: row[k]
        for k in ("role", "english_name", "total", "grade", "completion", "rank", "valid", "gates")
    }
    summary["performance_pay"] = pay_value
    return Explanation(person, month, plan, summary, frame)


def _steps(kind, name, rule, inputs, arithmetic, points) -> pd.DataFrame:
    frame = pd.DataFrame({"name": np.atleast_1d(np.asarray(name, dtype=object))})
    return frame.assign(kind=kind, rule=rule, inputs=inputs, arithmetic=arithmetic, points=points)


def _item_steps(plan: Plan, items: pd.DataFrame) -> pd.DataFrame:
    rules = {name: describe_rule(ind) for name, ind in plan.indicators.items()}
    units = {name: ind.unit for name, ind in plan.indicators.items()}
    unit = items["indicator"].map(units)
    shown = np.where(
        unit.eq("%").to_numpy(), text.percent(items["target"]), text.number(items["target"])
    )
    actual = np.where(
        unit.eq("%").to_numpy(), text.percent(items["actual"]), text.number(items["actual"])
    )
    bonus = items["rule"].isin(outside_weights()).to_numpy()
    has_target = items["target"].notna().to_numpy()
    has_actual = items["actual"].notna().to_numpy()
    # incident and rated items have no target or actual: their inputs are in the arithmetic
    inputs = np.where(
        bonus,
        text.fill(_("实际 {actual}"), actual=actual),
        text.cat(
            text.fill(
                _("权重 {weight}（满分 {full}）"),
                weight=text.percent(items["weight"]),
                full=text.points(items["full_points"]),
            ),
            np.where(has_target, text.fill(_("，目标 {target}"), target=shown), ""),
            np.where(has_actual, text.fill(_("，实际 {actual}"), actual=actual), ""),
        ),
    )
    return pd.DataFrame(
        {
            "kind": np.where(bonus, "bonus", "item"),
            "name": items["item"].to_numpy(object),
            "rule": items["indicator"].map(rules).to_numpy(object),
            "inputs": inputs,
            "arithmetic": items["reason"].to_numpy(object),
            "points": items["points"].to_numpy(float),
        }
    )


def _gate_steps(plan: Plan, row: pd.Series) -> pd.DataFrame:
    """Every gate of the plan, fired or not: the explanation says why a month stands."""
    fired = set(str(row["gates"] or "").split("；")) - {""}
    gates = [*plan.gates, *(plan.pay.gates if getattr(plan, "pay", None) else [])]
    if not gates:
        return pd.DataFrame(columns=STEP_COLUMNS)
    names = [g.name for g in gates]
    effects = [
        (_("本月考核无效") if g.effect == "void" else f"{g.item} ×{g.factor:g}")
        if hasattr(g, "effect")
        else _("免当月绩效工资")
        for g in gates
    ]
    # pay gates are evaluated with the pay (its reason says whether one fired)
    state = [
        _("触发")
        if g.name in fired
        else (_("见绩效工资") if not hasattr(g, "effect") else _("未触发"))
        for g in gates
    ]
    conditions = np.array([shown(g.when, plan) for g in gates], object)
    return _steps(
        "gate",
        names,
        text.fill(_("条件 {condition}"), condition=conditions),
        text.fill(_("效果：{effect}"), effect=np.array(effects, object)),
        np.array(state, object),
        np.nan,
    )


def _grade_text(plan: Plan) -> str:
    bands = [f"{g.name} ≥{g.min:g}" for g in plan.grades[:-1]] + [plan.grades[-1].name]
    return _("、").join(bands)


def _pay_text(plan: Plan) -> str:
    config = plan.pay
    if config.form == "score":
        return _("绩效工资基数 × 总分 / {scale}").format(scale=f"{plan.scale:g}")
    if config.form == "points":
        return _("总分 × {per_point} 元/分").format(per_point=config.per_point) + (
            _("，封顶 {cap}").format(cap=config.cap) if config.cap else ""
        )
    return _("按完成率分档：{tiers}").format(
        tiers=_("、").join(
            f"≥{_pct(t.min)} → {_pct(t.share)}"
            if t.min is not None
            else _("其余 → {share}").format(share=_pct(t.share))
            for t in config.tiers
        )
    )


__all__ = ["explain", "Explanation", "describe_rule"]
