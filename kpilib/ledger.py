"""Money and grades decided by people, and pay levels, kept in the results store.

``record_money`` keeps a fine or an award given case by case (seed 002 mall:
"给予通报表扬或予以200——1000元不等的奖励"), with who decided it and why, like an
adjustment; ``money_items`` reads them back for payroll. ``save_levels`` keeps the
pay level each person was paid at in a month and the level they carry into the next
(seed 002 regional sales: 降一级 / 晋升一级); ``pay_levels`` reads that history.
``record_review`` keeps a reviewer's change of grade (复核调整, seed 002 #8: "各级复核人员
可依规定修改下级考核人员成绩"), with who and why; ``reviews`` reads them back for
calibration (:meth:`kpilib.months.MonthHistory.calibrated`), so payroll and the report
apply them.
Rows are only ever added; the latest row of a person's month wins.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from kpilib.errors import DataError, KpiError, Problem
from kpilib.i18n import _
from kpilib.project import store_path
from kpilib.rounding import yuan
from kpilib.store import _loaded, connect, transaction

if TYPE_CHECKING:
    from kpilib.engine.plan import Plan

MONEY_COLUMNS = [
    "money_id",
    "department",
    "month",
    "person",
    "kind",
    "amount",
    "reason",
    "made_by",
    "filed_at",
]
REVIEW_COLUMNS = [
    "review_id",
    "department",
    "month",
    "person",
    "grade",
    "reason",
    "made_by",
    "filed_at",
]
LEVEL_COLUMNS = ["department", "month", "person", "level", "next_level", "reason", "recorded_at"]


def record_money(
    plan: str | Path | Plan,
    month: str,
    person: str,
    amount: Decimal | float | str,
    *,
    reason: str,
    by: str,
    kind: str | None = None,
    filed_at: datetime | None = None,
    store: str | Path | None = None,
) -> int:
    """Record a fine (negative) or an award (positive) for a person's month; return its ID.

    Parameters
    ----------
    plan : path or Plan
    month, person : str
        The person must be in the store's current version of the month.
    amount : Decimal or str
        Yuan to the fen: ``-50`` is a fine of 50 元, ``500`` an award.
    reason, by : str
        Why, and who decided (both required: payroll shows them).
    kind : str, optional
        罚款 or 奖励 (default: by the sign), or any label (突出贡献奖).
    """
    plan = _loaded(plan)
    where = {"file": str(store_path(store)), "person": person}
    problems = []
    try:
        value = Decimal(str(amount).replace(",", "").replace("元", "").strip())
    except ArithmeticError:
        value = None
    if value is None or not value.is_finite() or value == 0 or value != yuan(value):
        problems.append(
            Problem(
                _("金额 {amount!r} 不是到分的非零元数").format(amount=amount),
                _("写成元，最多两位小数，罚款为负数（例如 -50），奖励为正数（例如 500）"),
                column="金额",
                code="bad_amount",
                **where,
            )
        )
    if not str(reason).strip() or not str(by).strip():
        problems.append(
            Problem(
                _("罚款或奖励必须写明原因和决定人"),
                _("加上 --reason 原因 和 --by 决定人"),
                code="missing_reason",
                **where,
            )
        )
    if problems:
        raise KpiError(problems)
    kind = kind or ("罚款" if value < 0 else "奖励")
    decided = [kind, value, reason, by, filed_at or datetime.now()]
    return _record("money_items", "money_id", plan, month, person, decided, where, store)


def _record(
    table: str, key: str, plan: Plan, month: str, person: str, decided: list, where, store
) -> int:
    """Add one decision for ``person``'s stored month to ``table`` under the next
    ``key``, in one transaction; return that ID. The person must be in the month."""
    with connect(store, create=False) as con:
        _check_person(con, plan, month, person, where)
        with transaction(con):
            (number,) = con.execute(f"SELECT coalesce(max({key}), 0) + 1 FROM {table}").fetchone()
            row = [number, plan.department, month, person, *decided]
            con.execute(f"INSERT INTO {table} VALUES ({', '.join('?' * len(row))})", row)
    return number


def _check_person(con, plan: Plan, month: str, person: str, where: dict) -> None:
    """Refuse a person who is not in the store's current version of the month."""
    from kpilib.engine.plan import nearest

    scored = {
        p
        for (p,) in con.execute(
            "SELECT DISTINCT p.person FROM people p JOIN current_runs r USING (run_id) "
            "WHERE r.department = ? AND r.month = ?",
            [plan.department, month],
        ).fetchall()
    }
    if not scored:
        raise DataError(
            Problem(
                _("{department} 在结果库中没有 {month} 的结果").format(
                    department=plan.department, month=month
                ),
                _("先计分：kpi score {plan} --month {month}").format(plan=plan.path, month=month),
                code="month_not_stored",
                **where,
            )
        )
    if person not in scored:
        raise DataError(
            Problem(
                _("{month} 的结果里没有 {person!r}{hint}").format(
                    month=month, person=person, hint=nearest(person, scored)
                ),
                _("按当月结果里的姓名填写"),
                code="unknown_person",
                **where,
            )
        )


def record_review(
    plan: str | Path | Plan,
    month: str,
    person: str,
    grade: str,
    *,
    reason: str,
    by: str,
    filed_at: datetime | None = None,
    store: str | Path | None = None,
) -> int:
    """Record a reviewer's change of a person's grade (复核调整); return its ID.

    It is applied after the plan's quotas and forced distribution wherever the month's
    grade is calibrated (payroll, the report). A later review of the same person's
    month replaces an earlier one; both stay in the store.

    Parameters
    ----------
    plan : path or Plan
    month, person : str
        The person must be in the store's current version of the month.
    grade : str
        One of the plan's grades.
    reason, by : str
        Why, and who reviewed (both required).
    """
    from kpilib.engine.plan import nearest

    plan = _loaded(plan)
    where = {"file": str(store_path(store)), "person": person}
    names = [g.name for g in plan.grades]
    problems = []
    if grade not in names:
        problems.append(
            Problem(
                _("等级 {grade!r} 不是方案的等级{hint}").format(
                    grade=grade, hint=nearest(grade, names)
                ),
                _("写方案的等级之一：{names}").format(names="、".join(names)),
                column="等级",
                code="unknown_grade",
                **where,
            )
        )
    if not str(reason).strip() or not str(by).strip():
        problems.append(
            Problem(
                _("复核调整必须写明理由和复核人"),
                _("加上 --reason 理由 和 --by 复核人"),
                code="missing_reason",
                **where,
            )
        )
    if problems:
        raise KpiError(problems)
    decided = [grade, reason, by, filed_at or datetime.now()]
    return _record("grade_reviews", "review_id", plan, month, person, decided, where, store)


def reviews(
    department: str | None = None, month: str | None = None, store: str | Path | None = None
) -> pd.DataFrame:
    """The recorded grade reviews (复核调整) in force: the latest of each person's month.

    Columns as :data:`REVIEW_COLUMNS`, oldest first; empty if there is no store. The
    frame is what :func:`kpilib.outcomes.calibrate.calibrate` takes as ``overrides``.
    """
    if not store_path(store).exists():
        return pd.DataFrame(columns=REVIEW_COLUMNS)
    where, args = _where(department, month)
    with connect(store) as con:
        rows = con.execute(
            f"SELECT {', '.join(REVIEW_COLUMNS)} FROM grade_reviews {where} ORDER BY review_id",
            args,
        ).fetchall()
    frame = pd.DataFrame(rows, columns=REVIEW_COLUMNS)
    latest = frame.drop_duplicates(["department", "month", "person"], keep="last")
    return latest.reset_index(drop=True)


def money_items(
    department: str | None = None, month: str | None = None, store: str | Path | None = None
) -> pd.DataFrame:
    """Recorded fines and awards, oldest first (``amount`` in Decimal yuan); empty if no store."""
    if not store_path(store).exists():
        return pd.DataFrame(columns=MONEY_COLUMNS)
    where, args = _where(department, month)
    with connect(store) as con:
        rows = con.execute(
            f"SELECT {', '.join(MONEY_COLUMNS)} FROM money_items {where} ORDER BY money_id", args
        ).fetchall()
    return pd.DataFrame(rows, columns=MONEY_COLUMNS)


def save_levels(levels: pd.DataFrame, department: str, store: str | Path | None = None) -> int:
    """Add the pay levels of ``levels`` (month, person, level, next_level, reason); return rows.

    ``month`` holds a month (``2024-11``) or, for a period plan's levels, the period key
    (``2024-B6``): the two never look alike. ``next_level`` is blank for 另行安排其他职位.

    A month already recorded with the same levels is not recorded again.
    """
    frame = levels[["month", "person", "level", "next_level", "reason"]].assign(
        department=department, recorded_at=datetime.now()
    )[LEVEL_COLUMNS]
    have = pay_levels(department, store=store)
    if len(have):
        key = ["month", "person", "level", "next_level"]
        same = frame[key].merge(have[key].drop_duplicates(), how="left", indicator=True)
        frame = frame[(same["_merge"] == "left_only").to_numpy()]
    if frame.empty:
        return 0
    with connect(store) as con:
        con.executemany(
            "INSERT INTO pay_levels VALUES (?, ?, ?, ?, ?, ?, ?)",
            frame.astype(object).to_numpy().tolist(),
        )
    return len(frame)


def pay_levels(
    department: str | None = None, month: str | None = None, store: str | Path | None = None
) -> pd.DataFrame:
    """The recorded pay levels, the latest record of each person's month (``kpi history``)."""
    if not store_path(store).exists():
        return pd.DataFrame(columns=LEVEL_COLUMNS)
    where, args = _where(department, month)
    with connect(store) as con:
        frame = con.execute(
            f"SELECT {', '.join(LEVEL_COLUMNS)} FROM pay_levels {where} "
            "ORDER BY department, month, person, recorded_at",
            args,
        ).df()
    return frame.drop_duplicates(["department", "month", "person"], keep="last").reset_index(
        drop=True
    )


def _where(department, month):
    where, args = [], []
    if department:
        where.append("department = ?")
        args.append(department)
    if month:
        where.append("month = ?")
        args.append(month)
    return ("WHERE " + " AND ".join(where)) if where else "", args


__all__ = [
    "record_money",
    "money_items",
    "record_review",
    "reviews",
    "save_levels",
    "pay_levels",
]
