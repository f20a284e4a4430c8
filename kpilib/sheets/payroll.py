"""The monthly payroll workbook: one row per person for the payroll office.

``frame(plan, month)`` gathers, from the results store (:mod:`kpilib.months`:
a month it lacks is scored once and saved), the month's current results, the
calibrated grade, the pay figures and the consequences in force (as the department
report lists them); ``write(frame, path)``
writes it as an Excel workbook with Chinese headers, yuan and percentage formats
and a frozen header. Text from users (names, reasons) is always written as text:
a name starting with ``=``, ``+``, ``-`` or ``@`` never becomes a formula.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from kpilib.i18n import N_, _

if TYPE_CHECKING:
    from kpilib.engine.plan import Plan
    from kpilib.periods import Period

# column -> (Chinese header, number format or None for text, width)
COLUMNS = {
    "employee_id": (N_("工号"), None, 10),
    "person": (N_("姓名"), None, 10),
    "role": (N_("岗位"), None, 12),
    "total": (N_("考核得分"), "0.00", 10),
    "completion": (N_("考核完成率"), "0.0%", 11),
    "grade_before": (N_("校准前等级"), None, 10),
    "grade": (N_("等级"), None, 8),
    "level": (N_("薪酬等级"), None, 8),
    "next_level": (N_("下月薪酬等级"), None, 10),
    "next_period_level": (N_("下期薪酬等级"), None, 10),
    "base": (N_("绩效工资基数(元)"), "#,##0.00", 15),
    "performance_pay": (N_("绩效工资(元)"), "#,##0.00", 13),
    "pool_bonus": (N_("奖金池分配(元)"), "#,##0.00", 14),
    "deferred": (N_("递延支付(元)"), "#,##0.00", 13),
    "award": (N_("奖励(元)"), "#,##0.00", 10),
    "money": (N_("罚款/奖励(元)"), "#,##0.00", 13),
    "commission": (N_("提成(元)"), "#,##0.00", 12),
    "payable": (N_("本月应发合计(元)"), "#,##0.00", 15),
    # a period's payroll (kpi payroll --period): the year-end bonus (年底奖金)
    "annual_score": (N_("全年考核成绩"), "0.00", 12),
    "valid_months": (N_("有效月数"), "0", 9),
    "qualifying_months": (N_("达标月数"), "0", 9),
    "salary_months": (N_("奖金月数"), "0.0", 9),
    "year_end_bonus": (N_("年底奖金(元)"), "#,##0.00", 13),
    "complete": (N_("周期完整"), None, 9),
    "month_totals": (N_("各月得分"), None, 40),
    "flags": (N_("考核结果应用"), None, 30),
    "adjusted": (N_("申诉调整"), None, 9),
    "pay_reason": (N_("绩效工资说明"), None, 50),
    "reason": (N_("年底奖金说明"), None, 50),
    "calibration": (N_("校准说明"), None, 40),
    "money_reason": (N_("罚款/奖励说明"), None, 40),
    "level_reason": (N_("薪酬等级说明"), None, 30),
    "commission_reason": (N_("提成说明"), None, 40),
}
# headers of an employee-number column in a targets sheet (kept by read_sheet as written)
EMPLOYEE_ID = ("工号", "员工编号", "员工工号", "employee_id")


def frame(
    plan: str | Path | Plan,
    month: str,
    store: str | Path | None = None,
    pool: Decimal | str | None = None,
) -> pd.DataFrame:
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
    from kpilib import ledger
    from kpilib.engine.plan import Plan, load_plan
    from kpilib.months import history
    from kpilib.outcomes import money

    plan = plan if isinstance(plan, Plan) else load_plan(plan)
    past = history(plan, month, store)  # the stored month and the months before it
    people, items = past.result.people, past.result.items
    out = past.pay(pool)
    out["adjusted"] = people["adjusted"].map({True: _("是"), False: ""})
    # the consequences in force, as the department report lists them: this month's flags
    # and a 警告/改进计划/调岗 raised earlier this year. Payroll says what applies and when
    # it was raised (作警告处理（2024-08）); the report and the scorecards say why
    force = past.in_force()
    raised = force.groupby(["person", "action"], sort=False)["month"].agg(_("、").join)
    said = [
        _("{action}（{months}）").format(action=action, months=months)
        for (_person, action), months in raised.items()
    ]
    text = pd.Series(said, raised.index.get_level_values("person"), dtype=object)
    text = text.groupby(level=0, sort=False).agg(_("；").join)
    out["flags"] = out["person"].map(text).astype(object).fillna("")
    flags = force[force["month"] == month]  # awards are paid in the month earned, once
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
    if plan.pay is not None and plan.pay.commission is not None:
        out = out.merge(money.commission(plan, items), on="person", how="left")
        out["commission"] = out["commission"].fillna(Decimal("0.00"))
        out["payable"] += out["commission"]
    ids = employee_ids(plan, month)
    if len(ids):
        out["employee_id"] = out["person"].map(ids).fillna("")
    # payroll looks people up as on its roster: by 工号 where there is one, else by name
    # in pinyin order
    from kpilib.text import pinyin_key

    order = ["employee_id", "person"] if len(ids) else ["person"]
    # zfill: 工号 9 before 10, E9 before E10
    out = out.sort_values(
        order, key=lambda c: pinyin_key(c) if c.name == "person" else c.str.zfill(20)
    )
    return out[[c for c in COLUMNS if c in out]].reset_index(drop=True)


def period_frame(
    plan: str | Path | Plan, period: Period | str, store: str | Path | None = None
) -> pd.DataFrame:
    """The payroll table of a period (:mod:`kpilib.period_results`): the year-end bonus
    when the period's pay declares ``year_end``, else the period's performance pay; with
    the period's grade, whether it is complete, the months' scores and the period's rules.
    """
    from kpilib.period_results import period_result

    result = period_result(plan, period, store)
    people = result.people.set_index("person")
    table = result.pay()
    table["grade"] = table["person"].map(people["grade"])
    table["total"] = table["person"].map(people["total"])
    table["complete"] = table["person"].map(people["complete"]).map({True: _("是"), False: _("否")})
    table["month_totals"] = table["person"].map(people["month_totals"])
    if "salary_months" in table:
        table["salary_months"] = table["salary_months"].astype(float)
    flags = result.flags()
    said = (
        flags.groupby("person")["reason"].agg(_("；").join)
        if len(flags)
        else pd.Series(dtype=object)
    )
    table["flags"] = table["person"].map(said).astype(object).fillna("")
    if len(result.levels):  # 薪酬等级 carried between periods (seed 002 regional)
        levels = result.levels.set_index("person")
        table["level"] = table["person"].map(levels["level"])
        table["next_period_level"] = table["person"].map(levels["next_level"])
        table["level_reason"] = table["person"].map(levels["reason"])
    return table


def employee_ids(plan: Plan, month: str) -> pd.Series:
    """工号 by person from the month's targets sheet; empty when it has no such column."""
    from kpilib.sheets.inputs import read_sheet

    path = plan.source("targets", month)
    if not path.exists():  # payroll reads the store; the targets file only adds 工号
        return pd.Series(dtype=object)
    sheet = read_sheet(path, plan.sources.targets_sheet)
    column = next((c for c in sheet.columns if str(c).lower() in EMPLOYEE_ID), None)
    if column is None:
        return pd.Series(dtype=object)
    known = sheet[(sheet["person"] != "") & (sheet[column] != "")]
    return known.drop_duplicates("person").set_index("person")[column]


SIGN_OFF = (N_("制表"), N_("审核"), N_("批准"), N_("日期"))
CENTRED = {"employee_id", "grade_before", "grade", "adjusted"}
OPTIONAL = {"flags", "adjusted", "calibration", "pay_reason"}  # printed only when not blank


def _left_out(table: pd.DataFrame, column: str) -> bool:
    """Columns that say nothing this month: blank notes, a calibration that changed nothing."""
    if column == "grade_before":
        return bool((table["grade_before"] == table["grade"]).all())
    if column in OPTIONAL:
        return bool(table[column].fillna("").astype(str).str.strip().eq("").all())
    return False


MONEY = "#,##0.00"


def write(
    table: pd.DataFrame,
    path: str | Path,
    department: str = "",
    month: str = "",
    force: bool = False,
    generated: datetime | None = None,
) -> Path:
    """Write the payroll table as an .xlsx ready to sign (all-or-nothing, never silently replaced).

    The sheet: a title, a line with department, period and generation time, the
    header, one row per person, a 合计 row (money columns added exactly, to the
    fen) and a sign-off block 制表 / 审核 / 批准 / 日期. It prints A4 landscape,
    one page wide, the title and header rows repeated on every page.

    Parameters
    ----------
    table : DataFrame
        From :func:`frame`.
    path : path
        Destination ``.xlsx``.
    department, month : str
        Shown in the title, e.g. ``渠道运营中心`` and ``2024-11``.
    force : bool
        Replace an existing file.
    generated : datetime, optional
        The generation time shown; default now.
    """
    from kpilib.files import write_atomically

    path = Path(path)
    write_atomically(
        {path: lambda p: _write(table, p, department, month, generated or datetime.now())},
        force=force,
    )
    return path


def _write(table: pd.DataFrame, path, department: str, month: str, generated) -> None:
    from kpilib.sheets.xlsx import (
        Book,
        header,
        line_counts,
        money_sum,
        print_setup,
        title,
        write_column,
    )

    book = Book(path)
    sheet = book.sheet(_("{month} 绩效工资").format(month=month).strip())
    columns = [c for c in COLUMNS if c in table and not _left_out(table, c)]
    last_col = len(columns) - 1
    title(
        book,
        sheet,
        _("{department} {month} 绩效工资表").format(department=department, month=month).strip(),
        last_col,
        align="center",
        bold=True,
        font_size=14,
    )
    stamp = generated.strftime("%Y-%m-%d %H:%M:%S")
    title(
        book,
        sheet,
        _("部门：{department}　　期间：{month}　　生成时间：{stamp}").format(
            department=department, month=month, stamp=stamp
        ),
        last_col,
        row=1,
        font_size=10,
    )
    header(book, sheet, 2, [_(COLUMNS[c][0]) for c in columns])
    first = 3
    lines = np.ones(len(table), dtype=int)
    for col, name in enumerate(columns):
        _header, fmt, width = COLUMNS[name]
        values = table[name].to_numpy(dtype=object)
        if fmt is None:  # text columns: whatever the value, written as text
            values = [None if v is None or v != v else str(v) for v in values]
        wrapped = width >= 20
        props = {"text_wrap": True} if wrapped else {"align": "center"} if name in CENTRED else {}
        write_column(book, sheet, first, col, values, fmt, **props)
        sheet.set_column(col, col, width)
        if wrapped:
            lines = np.maximum(lines, line_counts(values, width))
    # Excel and LibreOffice do not grow a row for wrapped text written by a program
    for r in np.flatnonzero(lines > 1):
        sheet.set_row(first + int(r), 15 * int(lines[r]))
    total_row = first + len(table)
    bold = book.format(bold=True, top=1, bottom=6)
    for col in range(len(columns)):
        sheet.write_blank(total_row, col, None, bold)
    sheet.write_string(total_row, 0, _("合计"), bold)
    sheet.write_string(total_row, 1, _("{count} 人").format(count=len(table)), bold)
    for col, name in enumerate(columns):
        if COLUMNS[name][1] == MONEY:
            total = money_sum(table[name])
            sheet.write_number(
                total_row,
                col,
                float(total),
                book.format(bold=True, top=1, bottom=6, num_format=MONEY),
            )
    sign_row = total_row + 2
    label = book.format(bold=True, align="right")
    line = book.format(bottom=1)
    for i, what in enumerate(SIGN_OFF):
        sheet.write_string(sign_row, 2 * i, _("{what}：").format(what=_(what)), label)
        sheet.write_blank(sign_row, 2 * i + 1, None, line)
    sheet.set_row(sign_row, 28)
    sheet.set_row(0, 24)
    sheet.freeze_panes(first, 1)
    sheet.autofilter(first - 1, 0, total_row - 1, last_col)
    print_setup(sheet, sign_row, last_col, repeat=(0, first - 1))
    book.close()
