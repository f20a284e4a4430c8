"""The monthly payroll workbook: one row per person for the payroll office.

``frame(plan, month)`` gathers, from the results store (:mod:`kpilib.months`:
a month it lacks is scored once and saved), the month's current results, the
calibrated grade, the pay figures and the consequence flags; ``write(frame, path)``
writes it as an Excel workbook with Chinese headers, yuan and percentage formats
and a frozen header. Text from users (names, reasons) is always written as text:
a name starting with ``=``, ``+``, ``-`` or ``@`` never becomes a formula.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pandas as pd

from kpilib.sheets.workbooks import put

# column -> (Chinese header, number format or None for text, width)
COLUMNS = {
    "person": ("姓名", None, 10),
    "role": ("岗位", None, 12),
    "total": ("考核得分", "0.00", 10),
    "completion": ("考核完成率", "0.0%", 11),
    "grade_before": ("校准前等级", None, 10),
    "grade": ("等级", None, 8),
    "base": ("绩效工资基数(元)", "#,##0.00", 15),
    "performance_pay": ("绩效工资(元)", "#,##0.00", 13),
    "pool_bonus": ("奖金池分配(元)", "#,##0.00", 14),
    "deferred": ("递延支付(元)", "#,##0.00", 13),
    "award": ("奖励(元)", "#,##0.00", 10),
    "payable": ("本月应发合计(元)", "#,##0.00", 15),
    "flags": ("考核结果应用", None, 40),
    "adjusted": ("申诉调整", None, 9),
    "pay_reason": ("绩效工资说明", None, 50),
    "calibration": ("校准说明", None, 40),
}


def frame(plan, month: str, store=None, pool=None) -> pd.DataFrame:
    """The payroll table of one stored month.

    Parameters
    ----------
    plan : path or Plan
    month : str
        ``YYYY-MM``; from the results store (scored and saved if missing).
    store : path, optional
        See :func:`kpilib.store.store_path`.
    pool : Decimal or str, optional
        This month's bonus pool (yuan), if the plan splits one.

    Returns
    -------
    DataFrame
        One row per person; the columns of ``COLUMNS`` that apply.
    """
    from kpilib.engine.plan import Plan, load_plan
    from kpilib.months import history
    from kpilib.outcomes import calibrate, pay

    plan = plan if isinstance(plan, Plan) else load_plan(plan)
    past = history(plan, month, store)  # the stored month and the months before it
    result = past.result
    people, items = result.people, result.items
    calibrated = calibrate.calibrate(result, plan)
    out = pay.compute(calibrated, plan, pool=pool, items=items)
    out["grade_before"], out["grade"] = calibrated["grade_before"], calibrated["grade"]
    out["calibration"] = calibrated["calibration"]
    out["adjusted"] = people["adjusted"].map({True: "是", False: ""})
    flags = past.flags()  # the same flags the department report shows
    text = flags.groupby("person")["reason"].agg("；".join)
    out["flags"] = out["person"].map(text).fillna("")
    awards = (
        flags.dropna(subset=["award"])
        .groupby("person")["award"]
        .agg(lambda a: sum(a, Decimal("0.00")))
    )
    out["award"] = [awards.get(p, Decimal("0.00")) for p in out["person"]]
    paid = out["pool_paid"] if "pool_paid" in out else Decimal("0.00")
    out["payable"] = out["performance_pay"] + out["award"] + paid
    return out[[c for c in COLUMNS if c in out]]


def sheet_title(text: str) -> str:
    """``text`` as an Excel sheet name: none of ``\\ / ? * [ ] :``, at most 31 characters,
    not starting or ending with ``'`` (a plan name such as ``华东/华南区`` is common)."""
    cleaned = re.sub(r"[\\/?*\[\]:]", "_", str(text))[:31].strip("'")
    return cleaned or "绩效工资"


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
    sheet.title = sheet_title(title or "绩效工资")
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
