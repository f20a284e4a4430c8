"""Excel in and out, the way analysts work.

``template(plan, month)`` builds the month's input workbook (``kpi template``): the
plan's people and their inputs pre-filled, units and targets shown, number cells
with data validation, one sheet for actuals (实际值), and where the plan uses them one
for incidents (扣分记录) and one for ratings (评分记录). Filled in, it goes back to
``kpi score --actuals FILE``; :func:`kpilib.sheets.inputs.read_inputs` reads all three sheets.

``write_results(result, path)`` writes a scored month (``kpi score --xlsx``): the
people and items sheets with Chinese headers, yuan and percentage formats, a frozen
header row, grade colours and fitted column widths.

Text that came from input files (names, indicator names, reasons) is always written
as a text cell: a name like ``=HYPERLINK(...)`` or ``-张三`` never becomes a formula.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from kpilib.engine.formula import Formula
from kpilib.engine.plan import Plan
from kpilib.engine.scoring import Result
from kpilib.files import write_atomically
from kpilib.i18n import _
from kpilib.rounding import yuan
from kpilib.sheets.inputs import TEMPLATE_SHEETS, read_targets

if TYPE_CHECKING:
    from openpyxl import Workbook
    from openpyxl.cell import Cell
    from openpyxl.worksheet.worksheet import Worksheet

# openpyxl is imported inside the functions: `kpi --help` and `kpi score` without
# --xlsx do not pay for it
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# text a spreadsheet reads as a formula: starts with one of FORMULA_START and is not
# a plain negative number such as "-3" or "-12.5%"
_FORMULA_LIKE = r"(?!-\d+(?:\.\d+)?(?:[eE][-+]?\d+)?%?\Z)[=+\-@\t\r]"
HEADER_FILL, INPUT_FILL = "DDEBF7", "FFF2CC"  # input fill: cells the analyst fills in
YUAN, PERCENT, POINTS = "#,##0.00", "0.0%", "0.00"
INTEGER, DECIMAL, GENERAL = "#,##0", "#,##0.00##", "General"
BLANK_INCIDENT_ROWS = 200

PEOPLE_HEADERS = {
    "rank": "排名",
    "person": "姓名",
    "role": "岗位",
    "english_name": "英文名",
    "total": "总分",
    "grade": "等级",
    "weighted_points": "权重得分",
    "bonus_points": "加减分",
    "completion": "考核完成率",
    "valid": "本月有效",
    "gates": "触发规则",
}
ITEM_HEADERS = {
    "person": "姓名",
    "role": "岗位",
    "section": "考核项目",
    "indicator": "指标",
    "item": "考核内容",
    "weight": "权重",
    "target": "目标值",
    "actual": "实际值",
    "completion": "完成率",
    "points": "得分",
    "full_points": "满分",
    "rule": "规则",
    "reason": "计算过程",
}


def formula_like(text: object) -> bool:
    """Whether a spreadsheet would read ``text`` as a formula (``=HYPERLINK(...)``,
    ``+cmd|' /C calc'!A0``, ``@SUM(...)``); a plain negative number is not."""
    return isinstance(text, str) and re.match(_FORMULA_LIKE, text) is not None


def defuse(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose formula-like text cells get a leading ``'``.

    For CSV files opened in Excel or WPS, which have no text cell type: the quote
    makes them show the text instead of running it. Number columns are untouched.
    """
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if values.dtype.kind in "biufcmM":
            continue
        risky = values.str.match(_FORMULA_LIKE).fillna(False).astype(bool)
        if risky.any():
            out[column] = values.where(~risky, "'" + values.astype(str))
    return out


def put(
    sheet: Worksheet, row: int, col: int, value: object, number_format: str | None = None
) -> Cell:
    """Write one cell; text is always a text cell, never a formula.

    openpyxl turns any string starting with ``=`` into a formula. Strings are
    forced to the text type, and those starting with a character a spreadsheet
    reads as a formula (``= + - @``) are also marked quote-prefixed, so retyping
    the cell in Excel does not turn it into one either.
    """
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return sheet.cell(row, col)
    cell = sheet.cell(row, col, value)
    if isinstance(value, str):
        cell.data_type = "s"
        if formula_like(value):
            cell.quotePrefix = True
    elif number_format:
        cell.number_format = number_format
    return cell


def _fill(colour: str):
    from openpyxl.styles import PatternFill

    return PatternFill("solid", fgColor=colour)


def _header(sheet, row: int, names: list[str]) -> None:
    from openpyxl.styles import Alignment, Font

    for col, name in enumerate(names, start=1):
        cell = put(sheet, row, col, name)
        cell.font = Font(bold=True)
        cell.fill = _fill(HEADER_FILL)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)


def _title(sheet, text: str) -> None:
    from openpyxl.styles import Font

    put(sheet, 1, 1, text).font = Font(bold=True, size=13)


def fit_columns(sheet: Worksheet, header_row: int, low: int = 6, high: int = 60) -> None:
    """Column widths that fit the header and the widest value, within [low, high]."""
    from openpyxl.utils import get_column_letter

    from kpilib.sheets.xlsx import column_width

    for col, cells in enumerate(sheet.iter_cols(min_row=header_row, values_only=True), start=1):
        if any(v is not None for v in cells):
            width = column_width(cells, low=low, high=high)
            sheet.column_dimensions[get_column_letter(col)].width = width


def unit_format(unit: str | None, value: object = None) -> str:
    """Excel number format for an indicator's unit and, for plain numbers, its value.

    ``%`` → 0.0%, 元 → #,##0.00; other numbers: whole ones as integers (#,##0: a
    count shows ``3``, never ``3.``), others with two to four decimals. Without a
    value (an empty input cell) a plain number is left in Excel's General format,
    so whatever the analyst types shows as typed.
    """
    if unit == "%":
        return PERCENT
    if unit == "元":
        return YUAN
    if value is None or pd.isna(value):
        return GENERAL
    return INTEGER if float(value).is_integer() else DECIMAL


def cell_formats(units: pd.Series, values: pd.Series) -> np.ndarray:
    """:func:`unit_format` per row, vectorized (a column of mixed indicators)."""
    units = np.asarray(units, dtype=object)
    numbers = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").to_numpy(float)
    return np.select(
        [units == "%", units == "元", np.isnan(numbers), numbers == np.round(numbers)],
        [PERCENT, YUAN, GENERAL, INTEGER],
        DECIMAL,
    )


# ---------------------------------------------------------------- template (Excel in)


def template_rows(plan: Plan, targets: pd.DataFrame) -> pd.DataFrame:
    """The actuals sheet's rows: one per person and input the person's items read.

    A directly entered item gets its target and unit; a derived item (``formula``)
    asks for each measure it reads instead. Bonus items and the measures that
    only bonus formulas or gates read are offered to everyone and may stay blank.
    """
    extra = []
    for name, ind in plan.indicators.items():
        if not ind.rule.weighted:
            extra += sorted(Formula.parse(ind.formula).names) if ind.formula else [name]
    for gate in plan.gates:
        extra += sorted(Formula.parse(gate.when).names & set(plan.measures))
    rows = []
    for person, own in targets.groupby("person", sort=False):
        role = own["role"].iloc[0]
        seen = set()

        def add(name, note, target=None, person=person, role=role, seen=seen):
            if name in seen:
                return
            seen.add(name)
            entry = plan.indicators.get(name) or plan.measures.get(name)
            rows.append(
                {
                    "person": person,
                    "role": role,
                    "input": name,
                    "label": (entry.label if entry else None) or name,
                    "unit": plan.unit(name) or "",
                    "target": target,
                    "note": note,
                    "allow_negative": bool(entry and entry.allow_negative),
                }
            )

        for item, indicator, target in zip(
            own["item"], own["indicator"], own["target"], strict=True
        ):
            ind = plan.indicators[indicator]
            if ind.rule.inputs != "actual" or not ind.rule.weighted:
                continue
            if ind.formula:
                for name in sorted(Formula.parse(ind.formula).names):
                    add(name, _("用于 {item} = {formula}").format(item=item, formula=ind.formula))
            else:
                add(item, "", target)
        for name in extra:
            add(name, _("加分项或否决条件用，没有可留空"))
    return pd.DataFrame(rows)


def template(plan: Plan, month: str) -> Workbook:
    """Build the month's input workbook for ``plan``.

    Parameters
    ----------
    plan : Plan
        From :func:`kpilib.load_plan`.
    month : str
        ``YYYY-MM``; the 月份 column guards against scoring it for another month.

    Returns
    -------
    openpyxl.Workbook
        Sheets 实际值, and 扣分记录 / 扣分标准 and 评分记录 where the plan uses them.
    """
    from openpyxl import Workbook

    targets = read_targets(
        plan.source("targets", month), plan.sources.targets_layout, plan.sources.targets_sheet
    )
    book = Workbook()
    _actuals_sheet(book.active, plan, month, template_rows(plan, targets))
    rules = {n: i.rule for n, i in plan.indicators.items()}
    own = targets.assign(rule=targets["indicator"].map(rules))
    incident_items = own[own["rule"].map(lambda r: r.inputs == "incidents")]
    if len(incident_items):
        _incidents_sheets(book, plan, month, incident_items)
    rated = own[own["rule"].map(lambda r: r.inputs == "ratings")]
    if len(rated):
        _ratings_sheet(book, plan, month, rated)
    for sheet in book.worksheets:
        _protect_and_print(sheet)
    return book


def _input(cell) -> None:
    """A cell the analyst fills in: yellow, and unlocked on the protected sheet."""
    from openpyxl.styles import Protection

    cell.fill = _fill(INPUT_FILL)
    cell.protection = Protection(locked=False)


def _protect_and_print(sheet) -> None:
    """Lock everything but the input cells; print A4 landscape, one page wide.

    Protected without a password: it keeps targets and weights from being edited by
    mistake (scoring reads them from the plan's targets file, not from here), and
    an analyst who must can still lift it (审阅 → 撤消工作表保护).
    """
    header_row = 1 if sheet.title == "扣分标准" else 2  # the others have a title row above
    protection = sheet.protection
    protection.sheet = True
    # column widths, row heights, sorting and filtering stay allowed
    protection.formatColumns = protection.formatRows = False
    protection.sort = protection.autoFilter = False
    if sheet.sheet_state != "visible":
        return
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = f"1:{header_row}"
    sheet.print_area = sheet.dimensions
    sheet.oddFooter.center.text = "第 &P 页，共 &N 页"


def _number_validation(sheet, cells: list[str], negative: bool) -> None:
    from openpyxl.worksheet.datavalidation import DataValidation

    if not cells:
        return
    check = DataValidation(
        type="decimal",
        operator="between",
        formula1="-1E+15" if negative else "0",
        formula2="1E+15",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle=_("请填写数字"),
        error=_("这里只能填数字，例如 2400000、92.5% 或 0.925")
        + ("" if negative else _("（不能为负）")),
    )
    for where in cells:
        check.add(where)
    sheet.add_data_validation(check)


def _actuals_sheet(sheet, plan: Plan, month: str, rows: pd.DataFrame) -> None:
    sheet.title = TEMPLATE_SHEETS["actuals"]
    _title(
        sheet,
        _(
            "{name} {month} 实际值录入表 — 在黄色的「实际值」列填数字，"
            "百分比写 92.5% 或 0.925；不适用的留空"
        ).format(name=plan.name, month=month),
    )
    headers = ["月份", "岗位", "姓名", "指标", "名称", "单位", "目标值", "实际值", "说明"]
    _header(sheet, 2, headers)
    cells = {False: [], True: []}
    for r, row in enumerate(rows.itertuples(index=False), start=3):
        for col, value in enumerate(
            [month, row.role, row.person, row.input, row.label, row.unit, row.target], start=1
        ):
            put(sheet, r, col, value, unit_format(row.unit, row.target) if col == 7 else None)
        value_cell = sheet.cell(r, 8)
        value_cell.number_format = unit_format(row.unit)
        _input(value_cell)
        put(sheet, r, 9, row.note)
        cells[row.allow_negative].append(f"H{r}")
    for negative, where in cells.items():
        _number_validation(sheet, where, negative)
    sheet.freeze_panes = "A3"
    fit_columns(sheet, 2, high=40)
    sheet.column_dimensions["H"].width = 16


def _list_validation(sheet, source: str, where: str, what: str) -> None:
    from openpyxl.worksheet.datavalidation import DataValidation

    check = DataValidation(
        type="list",
        formula1=source,
        allow_blank=True,
        showErrorMessage=True,
        errorTitle=_("{what}不在清单中").format(what=what),
        error=_("请从下拉清单中选择{what}").format(what=what),
    )
    check.add(where)
    sheet.add_data_validation(check)


def _incidents_sheets(book, plan: Plan, month: str, items: pd.DataFrame) -> None:
    from openpyxl.worksheet.datavalidation import DataValidation

    sheet = book.create_sheet(TEMPLATE_SHEETS["incidents"])
    _title(
        sheet,
        _(
            "{name} {month} 扣分记录 — 一行一件事；类型和扣分标准见「扣分标准」；"
            "「扣分」只在标准为区间时填写"
        ).format(name=plan.name, month=month),
    )
    _header(sheet, 2, ["姓名", "指标", "类型", "次数", "扣分", "日期", "说明"])
    standard = book.create_sheet("扣分标准")
    _header(standard, 1, ["指标", "类型", "扣分", "说明"])
    names = list(dict.fromkeys(items["indicator"]))
    r = 2
    for name in names:
        rule = plan.indicators[name].rule
        for kind, spec in rule.kinds.items():
            if spec.points is None:
                points = f"{spec.min:g}–{spec.max:g}"
                note = _("区间：在扣分记录的「扣分」列填写认定的分数")
            else:
                points, note = spec.points, ""
                if spec.escalate_after is not None:
                    note = _("前 {count} 次每次 {points:g} 分，之后每次 {then:g} 分").format(
                        count=spec.escalate_after, points=spec.points, then=spec.then
                    )
            for col, value in enumerate([name, kind, points, note], start=1):
                put(standard, r, col, value)
            r += 1
    fit_columns(standard, 1)
    standard.freeze_panes = "A2"
    # drop-down lists live on a hidden sheet: a list typed into the validation is
    # limited to 255 characters, which a plan's kinds easily exceed
    lists = book.create_sheet("选项")
    lists.sheet_state = "hidden"
    people = list(dict.fromkeys(items["person"]))
    kinds = list(dict.fromkeys(k for n in names for k in plan.indicators[n].rule.kinds))
    for col, values in enumerate([people, names, kinds], start=1):
        for row, value in enumerate(values, start=1):
            put(lists, row, col, value)
    last = 2 + BLANK_INCIDENT_ROWS
    for letter, values, what in (("A", people, "姓名"), ("B", names, "指标"), ("C", kinds, "类型")):
        _list_validation(
            sheet, f"选项!${letter}$1:${letter}${len(values)}", f"{letter}3:{letter}{last}", what
        )
    count = DataValidation(
        type="whole",
        operator="between",
        formula1="1",
        formula2="10000",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle=_("请填写次数"),
        error=_("次数是 1 或以上的整数；留空算 1 次"),
    )
    count.add(f"D3:D{last}")
    sheet.add_data_validation(count)
    _number_validation(sheet, [f"E3:E{last}"], negative=False)
    dates = DataValidation(type="date", operator="greaterThan", formula1="1", allow_blank=True)
    dates.add(f"F3:F{last}")
    sheet.add_data_validation(dates)
    for row in range(3, last + 1):
        for col in range(1, 8):
            _input(sheet.cell(row, col))
        sheet.cell(row, 6).number_format = "yyyy-mm-dd"
    for letter, width in zip("ABCDEFG", (10, 22, 22, 7, 7, 12, 40), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A3"


def _ratings_sheet(book, plan: Plan, month: str, items: pd.DataFrame) -> None:
    sheet = book.create_sheet(TEMPLATE_SHEETS["ratings"])
    _title(
        sheet,
        _("{name} {month} 评分记录 — 在黄色的「等级」列从下拉清单选择").format(
            name=plan.name, month=month
        ),
    )
    _header(sheet, 2, ["姓名", "岗位", "指标", "评价人", "等级", "可选等级"])
    r = 3
    for person, role, item, indicator in zip(
        items["person"], items["role"], items["item"], items["indicator"], strict=True
    ):
        rule = plan.indicators[indicator].rule
        levels = list(rule.levels)
        choices = " / ".join(f"{k}={v:g}" for k, v in rule.levels.items())
        for rater in rule.raters or {"": 1.0}:
            for col, value in enumerate([person, role, item, rater, None, choices], start=1):
                put(sheet, r, col, value)
            _input(sheet.cell(r, 5))
            _list_validation(sheet, '"' + ",".join(levels) + '"', f"E{r}", "等级")
            r += 1
    fit_columns(sheet, 2)
    sheet.column_dimensions["E"].width = 12
    sheet.freeze_panes = "A3"


def check_template_targets(path: str | Path, targets: pd.DataFrame) -> None:
    """Refuse a filled template whose 目标值 differ from the targets being scored.

    The template shows each target for reference; scoring reads targets from the
    plan's targets file. A target edited in the template (its sheet unprotected)
    or a template made before the targets changed would otherwise be silently
    ignored. Does nothing for a file that is not a template.

    Parameters
    ----------
    path : path
        The actuals file passed to scoring.
    targets : DataFrame
        The targets scored (:func:`kpilib.sheets.inputs.read_targets`).

    Raises
    ------
    DataError
        One problem per differing target: file, row, person, column 目标值.
    """
    from kpilib.errors import DataError, Problem, raise_if
    from kpilib.parse import to_number
    from kpilib.sheets.inputs import EXCEL, read_sheet

    path = Path(path)
    if path.suffix.lower() not in EXCEL:
        return
    from python_calamine import CalamineWorkbook

    if TEMPLATE_SHEETS["actuals"] not in CalamineWorkbook.from_path(str(path)).sheet_names:
        return
    sheet = read_sheet(path, TEMPLATE_SHEETS["actuals"])
    if "target" not in sheet or "indicator" not in sheet:
        return
    sheet = sheet[sheet["target"] != ""]
    shown, problems = to_number(sheet, "target", label="目标值")
    planned = targets.drop_duplicates(["person", "item"]).set_index(["person", "item"])["target"]
    keys = pd.MultiIndex.from_arrays([sheet["person"], sheet["indicator"]])
    expected = planned.reindex(keys).to_numpy(dtype=float)
    differs = ~np.isclose(shown.to_numpy(dtype=float), expected, rtol=1e-9, atol=1e-9)
    for i in np.flatnonzero(differs & ~np.isnan(shown.to_numpy(dtype=float))):
        row = sheet.iloc[i]
        now = _("没有这一项") if np.isnan(expected[i]) else f"{expected[i]:,.10g}"
        problems.append(
            Problem(
                _(
                    "录入表的目标值 {shown:,.10g} 与目标表 {file} 中 {indicator} 的目标 {now} "
                    "不同；计分只用目标表"
                ).format(
                    shown=shown.iat[i],
                    file=targets["_file"].iat[0],
                    indicator=row["indicator"],
                    now=now,
                ),
                _(
                    "目标请在目标表中修改，再用 kpi template 重新生成录入表；"
                    "录入表里的目标值只作参考，不要改"
                ),
                file=row["_file"],
                where=_("第 {row} 行").format(row=row["_row"]),
                person=row["person"],
                column="目标值",
                code="template_target_changed",
            )
        )
    raise_if(problems, DataError)


def write_template(plan: Plan, month: str, path: str | Path, force: bool = False) -> Path:
    """Write :func:`template` to ``path`` (never replacing a file without ``force``)."""
    book = template(plan, month)
    path = Path(path)
    write_atomically({path: lambda p: book.save(p)}, force=force)
    return path


# ---------------------------------------------------------------- results (Excel out)


def write_results(result: Result, path: str | Path) -> None:
    """Write the scored month to ``path``: sheets 考核结果 (people) and 考核明细 (items).

    Written with xlsxwriter (:mod:`kpilib.sheets.xlsx`); used inside
    ``write_atomically``. Each sheet prints A4 landscape, one page wide, with its
    title and header rows on every page.
    """
    from kpilib.sheets.xlsx import Book

    plan = result.plan
    book = Book(path)
    table = result.people.sort_values(["valid", "rank"], ascending=[False, True], kind="stable")
    table = table.assign(valid=table["valid"].map({True: "是", False: "否"}))
    if (table["english_name"].fillna("").isin(["", "/"])).all():
        table = table.drop(columns="english_name")
    formats = {
        "total": POINTS,
        "weighted_points": POINTS,
        "bonus_points": POINTS,
        "completion": PERCENT,
        "rank": INTEGER,
    }
    people = book.sheet("考核结果")
    _table(
        book, people, f"{plan.name} {result.month or ''} 考核结果", table, PEOPLE_HEADERS, formats
    )
    grade_col = [c for c in PEOPLE_HEADERS if c in table].index("grade")
    _grade_colours(book, people, plan, grade_col, len(table))

    detail = result.items
    units = detail["indicator"].map(plan.unit)
    money = (units == "元").to_numpy()
    columns = {}
    for col in ("target", "actual"):  # money to the fen, exactly
        values = detail[col].astype(object)
        values[money] = values[money].map(yuan)
        columns[col] = values
    columns["rule"] = detail["rule"].map(RULE_NAMES).fillna(detail["rule"])
    detail = detail.assign(**columns)
    formats = {"weight": PERCENT, "completion": PERCENT, "points": POINTS, "full_points": POINTS}
    for col in ("target", "actual"):
        formats[col] = cell_formats(units, detail[col])
    _table(
        book,
        book.sheet("考核明细"),
        f"{plan.name} {result.month or ''} 考核明细",
        detail,
        ITEM_HEADERS,
        formats,
    )
    book.close()


# rule types as the seeds name them (the items sheet's 规则 column)
RULE_NAMES = {
    "ratio": "完成率",
    "count": "计数",
    "bands": "分档",
    "step": "扣分",
    "incidents": "扣分",
    "rating": "评级",
    "bonus": "加分",
}
CENTRED = {"grade", "valid", "rule"}  # short words beside numbers


def _table(book, sheet, title: str, table: pd.DataFrame, headers: dict, formats: dict) -> None:
    from kpilib.sheets.xlsx import column_width, header, print_setup, write_column
    from kpilib.sheets.xlsx import title as write_title

    # a column blank in every row (no 考核项目, no gate triggered) is not printed
    columns = [c for c in headers if c in table and not _blank(table[c])]
    last_row, last_col = len(table) + 1, len(columns) - 1
    write_title(book, sheet, title, last_col)
    header(book, sheet, 1, [headers[c] for c in columns])
    for c, name in enumerate(columns):
        values = table[name].to_numpy(dtype=object)
        centred = {"align": "center"} if name in CENTRED else {}
        write_column(book, sheet, 2, c, values, formats.get(name), **centred)
        sheet.set_column(c, c, column_width(values, formats.get(name), headers[name]))
    sheet.freeze_panes(2, 1)
    sheet.autofilter(1, 0, last_row, last_col)
    print_setup(sheet, last_row, last_col, repeat=(0, 1))


def _blank(column: pd.Series) -> bool:
    return bool(column.isna().all() or column.astype(str).str.strip().isin(["", "nan"]).all())


GRADE_COLOURS = ["#C6EFCE", "#DDEBF7", "#FFEB9C", "#F8CBAD", "#FFC7CE"]


def _grade_colours(book, sheet, plan: Plan, col: int, rows: int) -> None:
    """Best grade green, then blue, yellow...; the lowest red; a voided month grey."""
    names = [g.name for g in plan.grades]
    colours = GRADE_COLOURS[: len(names) - 1] + [GRADE_COLOURS[-1]]
    for name, colour in [*zip(names, colours, strict=True), (plan.void_grade, "#D9D9D9")]:
        quoted = '"' + name.replace('"', '""') + '"'
        fill = book.book.add_format({"bg_color": colour})
        sheet.conditional_format(
            2,
            col,
            rows + 1,
            col,
            {"type": "cell", "criteria": "==", "value": quoted, "format": fill},
        )
