"""Money beyond base × score: fines, commission, several pools, deferral, pay levels.

The plan declares them under ``pay:`` (schema in :mod:`kpilib.engine.policy`,
examples in docs/plan-format.md). Every figure is computed in integer fen and
returned as exact :class:`decimal.Decimal` yuan, each with its reason in Chinese.
Pure functions of scored months: no files, no store.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from kpilib import text
from kpilib.errors import DataError, PlanError, Problem
from kpilib.i18n import _
from kpilib.outcomes.pay import _decimal, _div, _yuan_text
from kpilib.rounding import fen as to_fen

if TYPE_CHECKING:
    from kpilib.engine.plan import Plan

PPM = 1_000_000  # rates in parts per million: 2.5% = 25,000 exactly


def _fen(values) -> np.ndarray:
    """Float yuan (an item's actual) to whole fen, half away from zero."""
    values = np.round(np.asarray(values, dtype=float) * 100, 6)
    return (np.sign(values) * np.floor(np.abs(values) + 0.5)).astype(np.int64)


def _ppm(rate: float) -> int:
    return int(round(rate * PPM))


def _rows(plan, items: pd.DataFrame, item: str, where: str) -> pd.DataFrame:
    rows = items[items["indicator"] == item]
    if item not in plan.indicators:
        raise PlanError(
            Problem(
                _("{item!r} 不是方案中的指标").format(item=item),
                file=str(plan.path),
                where=where,
                code="unknown_indicator",
            )
        )
    return rows.drop_duplicates("person")


# ------------------------------------------------------------------ fines (罚款)


def fines(plan: Plan, items: pd.DataFrame) -> pd.DataFrame:
    """The plan's fines (``pay.fines``) for one month: person, kind, amount (negative), reason.

    Examples
    --------
    Seed 002 mall 纪律: "第三次罚款50元,以此类推" — 4 violations are fined twice:

    >>> import pandas as pd
    >>> plan = kpilib.load_plan("params/mall_floor.yaml")
    >>> items = pd.DataFrame({"person": ["甲"], "indicator": ["纪律"], "actual": [4.0]})
    >>> fines(plan, items)["amount"].tolist()
    [Decimal('-100.00')]
    """
    config = plan.pay.fines if plan.pay else []
    parts = []
    for i, fine in enumerate(config):
        rows = _rows(plan, items, fine.item, f"pay.fines.{i}.item")
        count = np.nan_to_num(rows["actual"].to_numpy(float)).astype(np.int64)
        fined = np.maximum(count - fine.start + 1, 0)
        fined = fined if fine.each else np.minimum(fined, 1)
        fen = -fined * to_fen(fine.amount)
        hit = fined > 0
        parts.append(
            pd.DataFrame(
                {
                    "person": rows["person"].to_numpy()[hit],
                    "kind": "罚款",
                    "amount": _decimal(fen[hit]),
                    "reason": text.fill(
                        _(
                            "{name}：{item} {count} 次，"
                            "第 {start} 次起{each}罚 {amount} 元 → {fine}"
                        ),
                        name=fine.name,
                        item=fine.item,
                        count=count[hit].astype(str),
                        start=str(fine.start),
                        each=_("每次") if fine.each else "",
                        amount=str(fine.amount),
                        fine=_yuan_text(fen[hit]),
                    ),
                }
            )
        )
    columns = ["person", "kind", "amount", "reason"]
    return pd.concat(parts, ignore_index=True)[columns] if parts else pd.DataFrame(columns=columns)


# ------------------------------------------------------------------ commission (提成)


def commission(plan: Plan, items: pd.DataFrame) -> pd.DataFrame:
    """Commission per person (``pay.commission``): person, commission (Decimal), reason.

    The amount is the item's actual in yuan; band edges given as ``upto`` are shares
    of the person's target for the item (含: an amount exactly at an edge is inside).
    """
    config = plan.pay.commission if plan.pay else None
    if config is None:
        return pd.DataFrame(columns=["person", "commission", "commission_reason"])
    rows = _rows(plan, items, config.item, "pay.commission.item")
    amount = _fen(rows["actual"].fillna(0))
    relative = config.bands[0].upto is not None and len(config.bands) > 1
    if relative and rows["target"].isna().any():
        raise DataError(
            [
                Problem(
                    _("提成按目标的百分比分档，但 {item!r} 没有目标值").format(item=config.item),
                    _("在目标表中填上目标值，或把档位写成 upto_amount（元）"),
                    person=p,
                    column="目标值",
                    code="missing_target",
                )
                for p in rows.loc[rows["target"].isna(), "person"]
            ]
        )
    target = _fen(rows["target"].fillna(0))
    lower = np.zeros(len(rows), np.int64)
    total = np.zeros(len(rows), np.int64)  # fen × ppm
    pieces = np.full(len(rows), "", dtype=object)
    reached = np.full(len(rows), -1)
    for i, band in enumerate(config.bands):
        if band.upto is not None:
            upper = _div(target * _ppm(band.upto), PPM)
            edge = _("目标 {share}%").format(share=f"{band.upto * 100:g}")
        elif band.upto_amount is not None:
            upper = np.full(len(rows), to_fen(band.upto_amount))
            edge = _("{amount} 元").format(amount=f"{band.upto_amount:,}")
        else:
            upper, edge = np.full(len(rows), np.iinfo(np.int64).max), None
        part = np.clip(amount, lower, upper) - lower
        reached = np.where((reached < 0) & (amount <= upper), i, reached)
        if config.progressive:
            total += part * _ppm(band.rate)
            said = _("至{edge}部分 ").format(edge=edge) if edge else _("以上部分 ")
            pieces = np.where(
                part > 0,
                text.cat(
                    pieces,
                    np.where(pieces == "", "", " + "),
                    said,
                    _yuan_text(part),
                    f" × {band.rate * 100:g}%",
                ),
                pieces,
            )
        lower = np.maximum(lower, upper)
    if not config.progressive:
        rates = np.array([_ppm(b.rate) for b in config.bands])[reached]
        total = amount * rates
        pieces = text.cat(_yuan_text(amount), " × ", text.number(rates / PPM * 100), "%")
    fen = _div(total, PPM)
    reason = text.fill(
        _("提成：{item} {amount} 元；{pieces} = {commission}"),
        item=config.item,
        amount=_yuan_text(amount),
        pieces=pieces,
        commission=_yuan_text(fen),
    )
    if config.cap is not None:
        capped = fen > to_fen(config.cap)
        fen = np.minimum(fen, to_fen(config.cap))
        reason = np.where(
            capped, text.cat(reason, _("，封顶 {cap}").format(cap=f"{config.cap:,.2f}")), reason
        )
    return pd.DataFrame(
        {
            "person": rows["person"].to_numpy(),
            "commission": _decimal(fen),
            "commission_reason": reason,
        }
    )


def per_person(lines: pd.DataFrame, persons: pd.Series) -> pd.DataFrame:
    """Money lines (person, kind, amount, reason[, made_by]) summed per person of ``persons``.

    Returns money (Decimal yuan, 0.00 for nobody's lines) and money_reason
    (``罚款 -50.00（违反规定第三次起…）；奖励 +500.00（合理化建议，张经理）``).
    """
    lines = lines if len(lines) else pd.DataFrame(columns=["person", "kind", "amount", "reason"])
    by = lines["made_by"] if "made_by" in lines else pd.Series("", index=lines.index)
    said = text.fill(
        _("{kind} {amount}（{reason}{by}）"),
        kind=lines["kind"].to_numpy(object),
        amount=text.money(list(lines["amount"]), signed=True),
        reason=lines["reason"].to_numpy(object),
        by=np.where(
            by.fillna("").to_numpy(object) != "",
            text.fill(_("，{by}"), by=by.fillna("").to_numpy(object)),
            "",
        ),
    )
    grouped = lines.assign(said=said).groupby("person", sort=False)
    total = grouped["amount"].agg(lambda a: sum(a, Decimal("0.00")))
    reason = grouped["said"].agg(_("；").join)
    persons = pd.Index(persons)
    return pd.DataFrame(
        {
            "money": [total.get(p, Decimal("0.00")) for p in persons],
            "money_reason": reason.reindex(persons).fillna("").to_numpy(object),
        },
        index=persons,
    )


# ------------------------------------------------------------------ several pools


def _largest_remainder(total_fen: int, weights: np.ndarray) -> np.ndarray:
    """``total_fen`` split by ``weights`` (summing to 1) in whole fen that add up exactly."""
    raw = total_fen * weights
    fen = np.floor(raw).astype(np.int64)
    fen[np.argsort(-(raw - fen), kind="stable")[: total_fen - int(fen.sum())]] += 1
    return fen


def pools(plan: Plan, people: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
    """Each person's share of the plan's pools (``pay.pools``), in the plan's order.

    Returns
    -------
    DataFrame
        person, pool, gross, paid, deferred (Decimal yuan) and pool_reason; one row per
        person and pool they belong to. Voided and excluded months take no share.

    A ``split`` pool gives each member amount × Σ weight × own points / the group's
    points of each section or item (seed 002 #13: 0.7 × 内控考核个人积分/内控考核总积分 +
    0.3 × 服务考核个人积分/服务考核总积分); a ``mean_of`` pool gives the mean gross of
    another pool (``all``: of every earlier pool) × the role's 调节系数.
    """
    config = plan.pay.pools if plan.pay else []
    open_ = people["valid"].to_numpy(bool).copy()
    if "excluded" in people:
        open_ &= ~people["excluded"].fillna(False).to_numpy(bool)
    done: dict[str, pd.DataFrame] = {}
    for pool in config:
        members = people[people["role"].isin(pool.roles).to_numpy() & open_]
        persons = members["person"].to_numpy()
        if pool.amount is not None:
            weights = np.zeros(len(members))
            said = np.full(len(members), "", dtype=object)
            for key, w in pool.split.items():
                mine = items[(items["section"] == key) | (items["indicator"] == key)]
                pts = mine.groupby("person")["points"].sum().reindex(persons).fillna(0)
                whole = pts.sum()
                if whole <= 0:
                    raise DataError(
                        Problem(
                            _("奖金池 {pool}：本组在 {key!r} 上没有积分，无法按积分分配").format(
                                pool=pool.name, key=key
                            ),
                            _("检查当月结果，或修改方案 pay.pools 的 split"),
                            code="no_points_for_pool",
                        )
                    )
                weights += w * pts.to_numpy(float) / whole
                said = text.cat(
                    said,
                    np.where(said == "", "", " + "),
                    f"{w:g}×",
                    text.points(pts),
                    f"/{whole:g}",
                )
            gross = _largest_remainder(to_fen(pool.amount), weights)
            reason = text.cat(
                f"{pool.name} {pool.amount:,.2f} × (", said, ") = ", _yuan_text(gross)
            )
        else:
            source = list(done.values()) if pool.mean_of == "all" else [done.get(pool.mean_of)]
            if any(s is None for s in source) or not source:
                raise PlanError(
                    Problem(
                        _("奖金池 {pool}：mean_of {mean_of!r} 不是排在它前面的奖金池").format(
                            pool=pool.name, mean_of=pool.mean_of
                        ),
                        _("写前面的奖金池之一：{names}，或 all").format(
                            names="、".join(done) or _("（无）")
                        ),
                        file=str(plan.path),
                        code="bad_mean_of",
                        where="pay.pools",
                    )
                )
            gross_all = np.concatenate([s["_gross"].to_numpy(np.int64) for s in source])
            mean = _div(np.array([gross_all.sum()]), max(len(gross_all), 1))[0]
            coefficient = pool.coefficient
            if isinstance(coefficient, dict):
                factor = members["role"].map({r: float(c) for r, c in coefficient.items()})
                factor = factor.fillna(1.0).to_numpy(float)
            else:
                factor = np.full(len(members), float(coefficient))
            gross = _div(mean * np.rint(factor * PPM).astype(np.int64), PPM)
            reason = text.fill(
                _("{who}平均奖金 {mean} × 调节系数 {factor} = {bonus}"),
                who=pool.mean_of if pool.mean_of != "all" else _("全员"),
                mean=_yuan_text([mean])[0],
                factor=text.number(factor),
                bonus=_yuan_text(gross),
            )
        paid = _div(gross * _ppm(pool.paid), PPM)
        if pool.paid < 1:
            reason = text.cat(
                reason,
                text.fill(
                    _("；× {share}% 当期发放 {paid}，延期 {deferred}"),
                    share=f"{pool.paid * 100:g}",
                    paid=_yuan_text(paid),
                    deferred=_yuan_text(gross - paid),
                ),
            )
        done[pool.name] = pd.DataFrame(
            {
                "person": persons,
                "pool": pool.name,
                "_gross": gross,
                "gross": _decimal(gross),
                "paid": _decimal(paid),
                "deferred": _decimal(gross - paid),
                "pool_reason": reason,
            }
        )
    columns = ["person", "pool", "gross", "paid", "deferred", "pool_reason"]
    if not done:
        return pd.DataFrame(columns=columns)
    return pd.concat(done.values(), ignore_index=True)[columns]


def deferral(plan: Plan, bonus: pd.Series, last_year: pd.Series) -> pd.DataFrame:
    """Pay now against last year's bonus of the same period (``pay.deferral``).

    Parameters
    ----------
    bonus, last_year : Series
        Decimal yuan by person: this period's bonus and 上年同期奖金.

    Returns
    -------
    DataFrame indexed by person: bonus, paid_now, personal_pool (Decimal yuan: the
    deferred part as a plus, the loan as a minus) and deferral_reason.
    """
    config = plan.pay.deferral
    if config is None:
        raise PlanError(
            Problem(
                _("方案没有 pay.deferral"),
                _("在 pay 下写 deferral"),
                file=str(plan.path),
                code="no_deferral",
            )
        )
    lacking = sorted(set(bonus.index) - set(last_year.dropna().index))
    if lacking:
        raise DataError(
            [
                Problem(
                    _("没有上年同期奖金"),
                    _("补上此人的上年同期奖金"),
                    person=p,
                    code="no_last_year_bonus",
                )
                for p in lacking
            ]
        )
    now = np.array([to_fen(v) for v in bonus], np.int64)
    ref = np.array([to_fen(last_year[p]) for p in bonus.index], np.int64)
    ceiling = _div(ref * _ppm(config.above), PPM)
    deferred = np.maximum(now - ceiling, 0)
    loan = np.zeros(len(now), np.int64)
    grant = np.zeros(len(now), np.int64)
    reason = np.where(
        deferred > 0,
        text.fill(
            _("超过上年同期 {share}% 的部分延期 {deferred}"),
            share=f"{config.above * 100:g}",
            deferred=_yuan_text(deferred),
        ),
        "",
    )
    if config.below is not None:
        low = now < _div(ref * _ppm(config.below), PPM)
        top = np.where(low, np.maximum(_div(ref * _ppm(config.top_up), PPM) - now, 0), 0)
        cap = _div(ref * _ppm(config.lend), PPM) if config.lend is not None else top
        loan = np.minimum(top, cap)
        grant = top - loan
        reason = np.where(
            low,
            text.fill(
                _(
                    "低于上年同期 {below}%，补足到 {top_up}% 共 {top}：借支 {loan}"
                    "（计入个人奖金池，负值），补足 {grant}"
                ),
                below=f"{config.below * 100:g}",
                top_up=f"{config.top_up * 100:g}",
                top=_yuan_text(top),
                loan=_yuan_text(loan),
                grant=_yuan_text(grant),
            ),
            reason,
        )
    paid = now - deferred + top if config.below is not None else now - deferred
    return pd.DataFrame(
        {
            "bonus": _decimal(now),
            "paid_now": _decimal(paid),
            "personal_pool": _decimal(deferred - loan),
            "deferral_reason": reason,
        },
        index=bonus.index,
    )


# ------------------------------------------------------------------ pay levels


def carry_levels(
    plan: Plan, history: pd.DataFrame, items: pd.DataFrame | None = None, step: str = "month"
) -> pd.DataFrame:
    """Each person's pay level month by month (``pay.levels``), from stored months.

    A month's level is the one carried from the person's month before (their first
    month: ``start`` for them, else ``start`` for their role, else ``default``). ``down``
    moves one level lower for the next month once its condition held ``months`` months
    running; ``up`` one higher; a move starts both counts afresh. ``reassign`` (另行安排
    其他职位) leaves the next level blank once its condition held ``months`` months
    running, whatever moved in between; a person back on the levels later starts at
    ``default``, as a new person does.

    Parameters
    ----------
    history : DataFrame
        People rows with ``month`` (``kpilib.store.load(plan).people``), or with the
        column ``step`` names.
    items : DataFrame, optional
        Their items, for conditions on one item (``actual("回款")``).
    step : str
        The column that orders the steps: ``month``, or ``period`` for a period plan's
        levels (:func:`kpilib.period_results.period_result`: 连续2个考核区间).

    Returns
    -------
    DataFrame
        ``step`` (month), person, level, next_level, reason, in step order.
    """
    from kpilib.engine.policy import shown
    from kpilib.outcomes.consequences import evaluate

    config = plan.pay.levels if plan.pay else None
    if config is None:
        raise PlanError(
            Problem(
                _("方案没有 pay.levels"),
                _("在 pay 下写 levels"),
                file=str(plan.path),
                code="no_pay_levels",
            )
        )
    order = list(config.base)
    unit = _("个月") if step == "month" else _("个考核周期")
    start = pd.Series(config.start, dtype=object)
    carried = pd.Series(dtype=object)
    runs = {key: pd.Series(dtype=float) for key in ("down", "up", "reassign")}
    out = []
    for key, rows in history.groupby(step, sort=True):  # steps in order; people at once
        persons = pd.Index(rows["person"])
        roles = rows["role"] if "role" in rows else pd.Series("", index=rows.index)
        first = start.reindex(persons).fillna(pd.Series(start.reindex(roles).to_numpy(), persons))
        level = carried.reindex(persons).fillna(first.fillna(config.default))
        at = level.map({name: i for i, name in enumerate(order)}).to_numpy(int)
        table = rows.reset_index(drop=True)
        step_items = items[items[step] == key] if items is not None else None

        def held(rule, name, table=table, step_items=step_items, persons=persons):
            """Where ``rule`` has held its ``months`` running, counting on from before."""
            hit = evaluate(rule.when, table, step_items)
            run = np.where(hit, runs[name].reindex(persons).fillna(0).to_numpy() + 1, 0)
            runs[name] = pd.Series(run, persons)
            said = _(" 连续 {n} {unit}").format(n=rule.months, unit=unit)
            return run >= rule.months, shown(rule.when, plan) + (said if rule.months > 1 else "")

        move = np.zeros(len(rows), int)
        why = np.full(len(rows), _("保持"), dtype=object)
        for name, shift, said in (("down", 1, _("降一级")), ("up", -1, _("晋升一级"))):
            rule = getattr(config, name)
            if rule is None:
                continue
            fire, note = held(rule, name)
            fire &= move == 0
            move = np.where(fire, shift, move)
            why = np.where(fire, f"{note} → {said}", why)
        nxt = np.array(order, dtype=object)[np.clip(at + move, 0, len(order) - 1)]
        for name in ("down", "up"):  # a move starts both counts afresh
            runs[name] = runs[name].reindex(persons).fillna(0).where(move == 0, 0)
        kept = nxt
        if config.reassign is not None:
            gone, note = held(config.reassign, "reassign")
            why = np.where(gone, f"{note} → {config.reassign.action}", why)
            nxt = np.where(gone, "", nxt)
            kept = np.where(gone, config.default, kept)
        carried = pd.concat([carried.drop(persons, errors="ignore"), pd.Series(kept, persons)])
        out.append(
            pd.DataFrame(
                {
                    step: key,
                    "person": persons,
                    "level": level.to_numpy(object),
                    "next_level": nxt,
                    "reason": why,
                }
            )
        )
    columns = [step, "person", "level", "next_level", "reason"]
    return pd.concat(out, ignore_index=True)[columns] if out else pd.DataFrame(columns=columns)
