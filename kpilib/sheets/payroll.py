"""The monthly payroll workbook: one row per person for the payroll office.

``frame(plan, month)`` gathers, from the results store, the month's current
(adjusted) results, the calibrated grade, the pay figures and the consequence
flags; ``write(frame, path)`` writes it as an Excel workbook with Chinese
headers, yuan and percentage formats and a frozen header. Text from users
(names, reasons) is always written as text: a name starting with ``=``,
``+``, ``-`` or ``@`` never becomes a formula.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pandas as pd

from kpilib.errors import DataError, Problem
from kpilib.sheets.workbooks import put

# column -> (Chinese header, number format or None for text, width)
COLUMNS = {
    "person": ("姓名", None, 10),
    "role": ("岗位", None, 12),
    "total": ("考核得分", "0.00", 10),
    "completion": ("考核完成率", "0.0%", 11),
    "grade_before": ("校准前等级", None, 10),
    "grade": ("等级", None, 8),
    "level": ("薪酬等级", None, 8),
    "next_level": ("下月薪酬等级", None, 10),
    "base": ("绩效工资基数(元)", "#,##0.00", 15),
    "performance_pay": ("绩效工资(元)", "#,##0.00", 13),
    "pool_bonus": ("奖金池分配(元)", "#,##0.00", 14),
    "deferred": ("递延支付(元)", "#,##0.00", 13),
    "award": ("奖励(元)", "#,##0.00", 10),
    "money": ("罚款/奖励(元)", "#,##0.00", 13),
    "commission": ("提成(元)", "#,##0.00", 12),
    "payable": ("本月应发合计(元)", "#,##0.00", 15),
    "flags": ("考核结果应用", None, 40),
    "adjusted": ("申诉调整", None, 9),
    "pay_reason": ("绩效工资说明", None, 50),
    "calibration": ("校准说明", None, 40),
    "money_reason": ("罚款/奖励说明", None, 40),
    "level_reason": ("薪酬等级说明", None, 30),
    "commission_reason": ("提成说明", None, 40),
}


def frame(plan, month: str, store=None, pool=None) -> pd.DataFrame:
    """The payroll table of one stored month.

    Parameters
    ----------
    plan : path or Plan
    month : str
        ``YYYY-MM``; must be in the results store.
    store : path, optional
        See :func:`kpilib.store.store_path`.
    pool : Decimal or str, optional
        This month's bonus pool (yuan), if the plan splits one.

    Returns
    -------
    DataFrame
        One row per person; the columns of ``COLUMNS`` that apply.
    """
    from kpilib import ledger
    from kpilib.engine.plan import Plan, load_plan
    from kpilib.engine.scoring import Result
    from kpilib.outcomes import calibrate, consequences, money, pay
    from kpilib.store import load

    plan = plan if isinstance(plan, Plan) else load_plan(plan)
    past = load(plan, store)
    if month not in set(past.people["month"]):
        raise DataError(
            Problem(
                f"{plan.department} has no stored results for {month} (stored: "
                f"{', '.join(sorted(set(past.people['month']))) or 'none'})",
                f"score it first: kpi score {plan.path} --month {month}",
            )
        )
    people = past.people[past.people["month"] == month].reset_index(drop=True)
    items = past.items[past.items["month"] == month].reset_index(drop=True)
    if plan.pay is not None and plan.pay.levels is not None:
        # 薪酬等级 carried from the months before (seed 002 regional: 降一级 / 晋升一级)
        levels = money.carry_levels(plan, past.people[past.people["month"] <= month], past.items)
        levels = levels[levels["month"] == month].set_index("person")
        levels = levels.rename(columns={"reason": "level_reason"})
        people = people.join(levels[["level", "next_level", "level_reason"]], on="person")
    calibrated = calibrate.calibrate(Result(plan, month, items, people), plan)
    out = pay.compute(calibrated, plan, pool=pool, items=items)
    out["grade_before"], out["grade"] = calibrated["grade_before"], calibrated["grade"]
    out["calibration"] = calibrated["calibration"]
    for column in ("level", "next_level", "level_reason"):
        if column in people:
            out[column] = people[column].to_numpy(object)
    out["adjusted"] = people["adjusted"].map({True: "是", False: ""})
    flags = consequences.flags(past.people[past.people["month"] <= month], plan, past.items)
    flags = flags[flags["month"] == month]
    text = flags.groupby("person")["reason"].agg("；".join)
    out["flags"] = out["person"].map(text).fillna("")
    awards = (
        flags.dropna(subset=["award"])
        .groupby("person")["award"]
        .agg(lambda a: sum(a, Decimal("0.00")))
    )
    out["award"] = [awards.get(p, Decimal("0.00")) for p in out["person"]]
    paid = out["pool_paid"] if "pool_paid" in out else Decimal("0.00")
    # fines the plan states (pay.fines) and money recorded case by case (kpi money)
    lines = pd.concat([money.fines(plan, items), ledger.money_items(plan.department, month, store)])
    out = out.join(money.per_person(lines, out["person"]), on="person")
    out["payable"] = out["performance_pay"] + out["award"] + paid + out["money"]
    if plan.pay.commission is not None:
        out = out.merge(money.commission(plan, items), on="person", how="left")
        out["commission"] = out["commission"].fillna(Decimal("0.00"))
        out["payable"] += out["commission"]
    return out[[c for c in COLUMNS if c in out]]


def write(table: pd.DataFrame, path: str | Path, title: str = "", force: bool = False) -> Path:
    """Write the payroll table as an .xlsx workbook (all-or-nothing, never silently replaced).

    Parameters
    ----------
    table : DataFrame
        From :func:`frame`.
    path : path
        Destination ``.xlsx``.
    title : str
        Sheet title, e.g. ``渠道运营中心 2024-11 绩效工资``.
    force : bool
        Replace an existing file.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    from kpilib.files import write_atomically

    book = Workbook()
    sheet = book.active
    sheet.title = (title or "绩效工资")[:31]
    columns = [c for c in COLUMNS if c in table]
    for col, name in enumerate(columns, start=1):
        header, _, width = COLUMNS[name]
        cell = sheet.cell(1, col, header)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        sheet.column_dimensions[cell.column_letter].width = width
    for row, record in enumerate(table[columns].itertuples(index=False), start=2):
        for col, (name, value) in enumerate(zip(columns, record, strict=True), start=1):
            if value is None or (isinstance(value, float) and pd.isna(value)):
                continue
            fmt = COLUMNS[name][1]
            if fmt is None:
                value = str(value)
            elif not isinstance(value, Decimal):  # openpyxl writes Decimal exactly
                value = float(value)
            put(sheet, row, col, value, fmt)  # text never becomes a formula
    sheet.freeze_panes = "B2"
    sheet.auto_filter.ref = sheet.dimensions
    path = Path(path)
    write_atomically({path: lambda p: book.save(p)}, force=force)
    return path
