"""Pay: performance pay, bonus pools and year-end bonuses, in exact yuan.

A plan's ``pay:`` key declares how a month's score becomes money; the forms
come from the seeds:

``score``   base performance pay per role × total / scale
            (seed 002 mall: 绩效工资(主管绩效600元|助理500元)*(月度总得分/100))
``points``  total × yuan per point, capped (seed 004: 每分为1元, 考核总分300分)
``tiers``   a share of the base by completion (seed 002 regional: 超过95% → 90%,
            85%-95% → 50%, 低于85% → 0)

plus gates that cancel the month's performance pay (seed 000 rule 1:
每次月度考核完成率低于60%者，免当月绩效奖金), a bonus pool split by points with a
deferred share per role (seed 002 #13), and a year-end bonus by qualifying
months or annual score (seed 002 mall rules 七-十).

Money is computed in integer fen (分) and shown as :class:`decimal.Decimal`
yuan: nothing drifts, and a pool's shares add up to the pool exactly.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from kpilib import compare, text
from kpilib.engine.policy import Pay, Pool, _money
from kpilib.errors import DataError, PlanError, Problem
from kpilib.i18n import _
from kpilib.outcomes.consequences import annual, evaluate
from kpilib.rounding import fen as to_fen

if TYPE_CHECKING:
    from kpilib.engine.plan import Plan
    from kpilib.engine.scoring import Result

PAY_COLUMNS = [
    "person",
    "role",
    "grade",
    "total",
    "completion",
    "valid",
    "base",
    "performance_pay",
    "pay_reason",
]
POOL_COLUMNS = ["pool_points", "pool_bonus", "deferred", "pool_paid", "pool_reason"]


def compute(
    result: Result | pd.DataFrame,
    plan: Plan | None = None,
    pool: Decimal | str | float | None = None,
    items: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Pay per person for one scored month, each figure with its reason.

    Parameters
    ----------
    result : Result or DataFrame
        A scored month (``Result``), or its people table (then pass ``plan``).
    plan : Plan, optional
        Defaults to ``result.plan``.
    pool : Decimal or str, optional
        This month's bonus pool in yuan; overrides ``pay.pool.amount``.
    items : DataFrame, optional
        The month's items, for gate conditions that look at one item.

    Returns
    -------
    DataFrame
        person, role, grade, total, completion, valid, base, performance_pay
        (Decimal yuan), pay_reason, and with a pool: pool_points, pool_bonus,
        deferred, pool_paid (Decimal yuan), pool_reason.

    Examples
    --------
    >>> pay = compute(kpilib.score_month("params/channel_ops.yaml", "2024-11"))
    >>> pay.set_index("person").loc["危鹤坚", "pay_reason"]  # 商务岗 2,000 元 × 99.25 分
    '2,000.00 × 99.25 / 100 = 1,985.00'
    """
    people = result if isinstance(result, pd.DataFrame) else result.people
    if items is None and not isinstance(result, pd.DataFrame):
        items = result.items
    plan = plan if plan is not None else result.plan
    config: Pay | None = getattr(plan, "pay", None)
    if config is None:
        raise PlanError(
            Problem(
                _("方案 {department!r} 没有写 pay").format(department=plan.department),
                _("在方案中加 pay: 一节（docs/plan-format.md）"),
                file=str(plan.path),
                code="no_pay",
            )
        )
    base = _base(config, people, plan)
    centi = np.rint(people["total"].to_numpy(float) * 100).astype(np.int64)
    if config.form == "score":
        scale = int(round(plan.scale * 100))
        fen = _div(base * centi, scale)
        reason = text.cat(
            _yuan_text(base),
            " × ",
            text.points(people["total"]),
            f" / {plan.scale:g} = ",
            _yuan_text(fen),
        )
    elif config.form == "points":
        per = to_fen(config.per_point)
        fen = _div(centi * per, 100)
        reason = text.fill(
            _("{points} 分 × {per_point} 元/分 = {pay}"),
            points=text.points(people["total"]),
            per_point=str(config.per_point),
            pay=_yuan_text(fen),
        )
        if config.cap is not None:
            capped = fen > to_fen(config.cap)
            fen = np.minimum(fen, to_fen(config.cap))
            reason = np.where(
                capped, text.cat(reason, _("，封顶 {cap}").format(cap=config.cap)), reason
            )
        fen = np.maximum(fen, 0)
    else:
        completion = people["completion"].to_numpy(float)
        tiers = sorted(config.tiers, key=lambda t: -1 if t.min is None else t.min, reverse=True)
        conds = [
            compare.at_least(completion, t.min if t.min is not None else -np.inf) for t in tiers
        ]
        bp = np.select(conds, [round(t.share * 10000) for t in tiers], 0).astype(np.int64)
        label = np.select(
            conds,
            [f"≥{t.min * 100:g}%" if t.min is not None else _("其余") for t in tiers],
            _("未达最低档"),
        )
        fen = _div(base * bp, 10000)
        reason = text.fill(
            _("完成率 {completion} {tier} → {base} × {share} = {pay}"),
            completion=text.percent(completion),
            tier=label,
            base=_yuan_text(base),
            share=text.percent(bp / 10000),
            pay=_yuan_text(fen),
        )
    fen = np.maximum(fen, 0)
    reason = np.asarray(reason, dtype=object)
    if config.grade_factor:
        # 绩效系数 by grade; a grade the plan does not list (无效, 不参加) keeps factor 1
        factor = people["grade"].map(config.grade_factor).fillna(1.0).to_numpy(float)
        fen = _div(fen * np.rint(factor * 10000).astype(np.int64), 10000)
        reason = text.cat(
            reason,
            text.fill(
                _("；等级系数 ×{factor} = {pay}"), factor=text.number(factor), pay=_yuan_text(fen)
            ),
        )
    valid = people["valid"].to_numpy(bool)
    gated = np.zeros(len(people), bool)
    gate_text = np.full(len(people), "", dtype=object)
    probation = plan.consequences.probation if getattr(plan, "consequences", None) else ()
    for gate in config.gates:
        hit = evaluate(gate.when, people, items, probation) & valid & ~gated
        gate_text = np.where(hit, gate.name, gate_text)
        gated |= hit
    reason = np.where(
        gated, text.cat(reason, text.fill(_("；{gate} → 0.00"), gate=gate_text)), reason
    )
    reason = np.where(
        valid,
        reason,
        text.fill(
            _("本月考核无效（{gates}）→ 0.00"), gates=people["gates"].fillna("").to_numpy(object)
        ),
    )
    excluded = (
        people["excluded"].fillna(False).to_numpy(bool)
        if "excluded" in people
        else np.zeros(len(people), bool)
    )
    reason = np.where(
        excluded,
        text.fill(
            _("不参加本月考核（{why}）→ 0.00"),
            why=people["exclusion"].to_numpy(object) if "exclusion" in people else "",
        ),
        reason,
    )
    gated |= excluded
    fen = np.where(valid & ~gated, fen, 0)
    out = people[["person", "role", "grade", "total", "completion", "valid"]].copy()
    out["base"] = _decimal(base) if config.form != "points" else None
    out["performance_pay"] = _decimal(fen)
    out["pay_reason"] = reason
    amount = _money(pool) if pool is not None else (config.pool.amount if config.pool else None)
    if amount is not None:
        out = pd.concat([out, _pool(out, config.pool or Pool(), amount, valid & ~gated)], axis=1)
    return out


def _base(config: Pay, people: pd.DataFrame, plan) -> np.ndarray:
    if config.form == "points":
        return np.zeros(len(people), np.int64)
    if config.levels is not None and "level" in people:
        # 薪酬等级 carried between months (kpilib.outcomes.money.carry_levels)
        return (
            people["level"]
            .map({k: to_fen(v) for k, v in config.levels.base.items()})
            .to_numpy(np.int64)
        )
    known = {role: to_fen(v) for role, v in config.base.items()}
    missing = people.loc[~people["role"].isin(list(known)), ["person", "role"]]
    if len(missing):
        raise PlanError(
            [
                Problem(
                    _("岗位 {role!r} 没有绩效工资基数").format(role=role),
                    _("在 pay.base 下加上 {role!r}（已有的岗位：{known}）").format(
                        role=role, known="、".join(known) or _("无")
                    ),
                    code="no_base_pay",
                    file=str(plan.path),
                    where="pay.base",
                    person=person,
                )
                for person, role in missing.itertuples(index=False)
            ]
        )
    return people["role"].map(known).to_numpy(np.int64)


def _pool(pay: pd.DataFrame, config: Pool, amount: Decimal, eligible: np.ndarray):
    """Split ``amount`` by points; largest remainders get the leftover fen (seed 002 #13)."""
    if amount <= 0:
        raise DataError(
            Problem(
                _("奖金池为 {amount} 元").format(amount=amount),
                _("给一个大于 0 的奖金池（pay.pool.amount 或 --pool）"),
                column="pool",
                code="empty_pool",
            )
        )
    pool_fen = to_fen(amount)
    centi = np.where(eligible, np.rint(pay["total"].to_numpy(float) * 100), 0).astype(np.int64)
    centi = np.maximum(centi, 0)
    total = int(centi.sum())
    if total == 0:
        raise DataError(
            Problem(
                _("本月没有人有积分可分奖金池"),
                _("检查当月结果；奖金池按积分分配，需要有积分"),
                code="no_points_for_pool",
            )
        )
    share, remainder = np.divmod(pool_fen * centi, total)
    leftover = pool_fen - int(share.sum())
    # the leftover fen go one each to the largest remainders (ties: table order)
    share[np.argsort(-remainder, kind="stable")[:leftover]] += 1
    rate = pay["role"].map(config.deferred).fillna(config.default_deferred).to_numpy(float)
    bp = np.rint(rate * 10000).astype(np.int64)
    deferred = _div(share * bp, 10000)
    unit = (amount / (Decimal(total) / 100)).quantize(Decimal("0.0001"), ROUND_HALF_UP)
    reason = text.fill(
        _("{points} 分 × 单位积分奖金值 {unit} 元 = {bonus}，递延 {rate} {deferred}"),
        points=text.points(centi / 100),
        unit=str(unit),
        bonus=_yuan_text(share),
        rate=text.percent(bp / 10000),
        deferred=_yuan_text(deferred),
    )
    return pd.DataFrame(
        {
            "pool_points": centi / 100,
            "pool_bonus": _decimal(share),
            "deferred": _decimal(deferred),
            "pool_paid": _decimal(share - deferred),
            "pool_reason": reason,
        },
        index=pay.index,
    )


def year_end(
    people: pd.DataFrame,
    plan: Plan,
    year: int | None = None,
    items: pd.DataFrame | None = None,
    scores: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Year-end bonus per person from a year of stored months (seed 002 mall rules 七-十).

    The first tier whose ``months`` (qualifying months) or ``annual`` (annual
    score = mean of the valid monthly totals) is reached gives ``salary_months``
    × the role's monthly salary.

    Parameters
    ----------
    people : DataFrame
        Stored history (``history.load(plan).people``), one row per person and month.
    plan : Plan
    year : int, optional
        Defaults to the latest year in ``people``.
    scores : DataFrame, optional
        The year's period result (:mod:`kpilib.period_results`: person, total, complete):
        its total is the annual score, as the plan's ``periods.year`` rolls it up, and
        a person whose year is incomplete gets no year-end bonus yet.

    Returns
    -------
    DataFrame
        person, role, year, months, valid_months, annual_score,
        qualifying_months, salary_months, year_end_bonus (Decimal yuan), reason.
    """
    config = plan.pay.year_end if getattr(plan, "pay", None) else None
    if config is None:
        raise PlanError(
            Problem(
                _("方案 {department!r} 没有写 pay.year_end").format(department=plan.department),
                _("在方案中加 pay.year_end"),
                file=str(plan.path),
                code="no_year_end",
            )
        )
    year = year if year is not None else int(people["month"].max()[:4])
    months = people[people["month"].str[:4].astype(int) == year]
    if items is not None:
        items = items[items["month"].str[:4].astype(int) == year]
    out = annual(months)
    incomplete = np.zeros(len(out), bool)
    if scores is not None:
        by_person = scores.set_index("person")
        out["annual_score"] = out["person"].map(by_person["total"]).to_numpy(float)
        incomplete = ~out["person"].map(by_person["complete"]).fillna(False).to_numpy(bool)
    hit = (
        evaluate(config.qualifying, months, items)
        if config.qualifying
        else np.zeros(len(months), bool)
    ) & months["valid"].to_numpy(bool)
    out["qualifying_months"] = (
        pd.Series(hit, index=months.index)
        .groupby(months["person"])
        .sum()
        .reindex(out["person"])
        .to_numpy(int)
    )
    role = months.drop_duplicates("person", keep="last").set_index("person")["role"]
    out.insert(1, "role", out["person"].map(role))
    score = out["annual_score"].fillna(-np.inf).to_numpy(float)
    q = out["qualifying_months"].to_numpy(int)
    roles = out["role"].to_numpy(object)
    conds = [
        (
            ((q >= t.months) if t.months is not None else False)
            | (compare.at_least(score, t.annual) if t.annual is not None else False)
            | (t.months is None and t.annual is None)
        )
        & (np.isin(roles, t.roles) if t.roles else True)
        for t in config.tiers
    ]
    conds = [np.broadcast_to(c, q.shape) for c in conds]
    tenths = np.select(conds, [int(t.salary_months * 10) for t in config.tiers], 0)
    tenths = np.where(incomplete, 0, tenths)
    salary = out["role"].map({r: to_fen(v) for r, v in config.salary.items()})
    if salary.isna().any():
        bad = out.loc[salary.isna(), ["person", "role"]].itertuples(index=False)
        raise PlanError(
            [
                Problem(
                    _("岗位 {role!r} 没有年底奖金的工资基数").format(role=r),
                    _("在 pay.year_end.salary 下加上 {role!r}").format(role=r),
                    code="no_year_end_salary",
                    file=str(plan.path),
                    where="pay.year_end.salary",
                    person=p,
                )
                for p, r in bad
            ]
        )
    bonus = _div(salary.to_numpy(np.int64) * tenths, 10)
    out["salary_months"] = [Decimal(int(t)) / 10 for t in tenths]
    out["year_end_bonus"] = _decimal(bonus)
    out["reason"] = text.cat(
        np.where(incomplete, _("全年未完整，暂不发放；"), ""),
        text.fill(
            _(
                "全年考核成绩 {score}（有效月 {valid}），达标月 {qualifying}"
                " → {months} 个月基本工资 = {bonus}"
            ),
            score=text.points(out["annual_score"]),
            valid=out["valid_months"].astype(str).to_numpy(object),
            qualifying=out["qualifying_months"].astype(str).to_numpy(object),
            months=out["salary_months"].astype(str).to_numpy(object),
            bonus=_yuan_text(bonus),
        ),
    )
    return out


def _div(numerator: np.ndarray, denominator: int) -> np.ndarray:
    """Integer division rounded half away from zero (as people round money), exact."""
    numerator = np.asarray(numerator, dtype=np.int64)
    magnitude = (2 * np.abs(numerator) + denominator) // (2 * denominator)
    return np.sign(numerator) * magnitude


def _decimal(fen) -> list[Decimal]:
    return [Decimal(int(f)).scaleb(-2) for f in np.asarray(fen)]


def _yuan_text(fen) -> np.ndarray:
    return text.money(_decimal(fen))
