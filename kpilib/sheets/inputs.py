"""Reading and writing data files: the only module that touches them.

Every frame read here has canonical English columns (see ``COLUMNS``) plus
``_file`` and ``_row`` (the 1-based line or spreadsheet row), so later checks can
say exactly where a problem is. Numbers are parsed leniently the way HR sheets
write them (``2,400,000``, ``70%``, full-width ``１２０``), and anything that is
still not a number is reported with its file, row, person and column.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from kpilib.errors import DataError, Problem, raise_if
from kpilib.i18n import _
from kpilib.parse import to_number
from kpilib.sheets.opening import existing

if TYPE_CHECKING:
    from kpilib.engine.plan import Plan

# Canonical column -> header spellings accepted (Chinese first: it is what HR writes).
COLUMNS = {
    "person": ["姓名", "person", "name", "员工", "员工姓名"],
    "role": ["岗位", "role", "职位"],
    "english_name": ["英文名", "english_name"],
    "indicator": ["指标", "indicator", "考核指标", "item", "项目"],
    "weight": ["权重", "weight"],
    "target": ["目标值", "target", "目标"],
    "note": ["备注", "note", "说明"],
    "value": ["实际值", "value", "actual", "实际", "完成值"],
    "month": ["月份", "month"],
    "kind": ["类型", "kind", "事项"],
    "count": ["次数", "count"],
    "points": ["扣分", "points", "分值"],
    "date": ["日期", "date"],
    "rater": ["评价人", "rater"],
    "rater_name": ["评价人姓名", "rater_name"],
    "level": ["等级", "level", "评级"],
}
_ALIAS = {a.lower(): canon for canon, names in COLUMNS.items() for a in names}
META = {"role", "english_name", "note", "month"}


def read_sheet(path: str | Path, sheet: str | int = 0, need_rows: bool = False) -> pd.DataFrame:
    """Read a CSV or Excel sheet as text, find its header row, name columns canonically.

    Title rows above the header, trailing blank rows and merged cells (blank
    below their first row) are tolerated. Returns all-text columns plus
    ``_file`` and ``_row``. An empty file, a file that is not what its extension
    says, and formulas without a computed value are refused (kpilib.sheets.opening);
    with ``need_rows`` so is a header without data rows (targets and actuals;
    an incidents file with a header only means "none this month").
    """
    path = existing(path)
    where = str(path)
    encoding = None
    if path.suffix.lower() in EXCEL:
        raw, sheet_name = _read_workbook(path, sheet)
        where = _("{path}（工作表 {sheet}）").format(path=path, sheet=sheet_name)
    else:
        from kpilib.sheets.layout import decode_csv
        from kpilib.sheets.opening import csv_rows, empty_csv

        text, encoding = decode_csv(path)
        where = str(path) if encoding == "UTF-8" else f"{path}（{encoding}）"
        rows = csv_rows(text)
        empty = empty_csv(path, rows, encoding)
        if empty is not None and (need_rows or empty.code == "empty_file"):
            raise DataError(empty)
        raw = pd.DataFrame(rows, dtype=object)
    cells = raw.map(_cell_text)
    header_at = _find_header(cells, path, encoding)
    from kpilib.sheets.layout import normalize  # 姓    名, 員工姓名, 权重：as 姓名, 员工姓名, 权重

    names = [_ALIAS.get(normalize(c), str(c).strip()) for c in cells.iloc[header_at]]
    body = cells.iloc[header_at + 1 :].copy()
    body.columns = names
    body = body.loc[:, [n != "" for n in names]]
    body["_row"] = body.index + 1
    body = body[(body.drop(columns="_row") != "").any(axis=1)]
    body["_file"] = where
    if need_rows and body.empty:
        raise DataError(
            Problem(
                _("{name} 第 {row} 行是表头，下面没有数据行").format(
                    name=Path(path).name, row=header_at + 1
                ),
                _("在表头下面填上每人的数据，或换成填好数据的文件"),
                file=where,
                where=_("第 {row} 行").format(row=header_at + 1),
                code="header_only",
            )
        )
    return body.reset_index(drop=True)


EXCEL = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")


def _read_workbook(path: Path, sheet: str | int) -> tuple[pd.DataFrame, str]:
    """One sheet as cells from A1 (so row numbers are the sheet's), merged cells filled.

    python-calamine reads about 7x faster than openpyxl (scripts/bench_excel.py).
    A merged cell (岗位 or 姓名 over several rows) holds its value in the top-left
    cell only; every cell of the range gets it, as the analyst sees it.
    """
    from kpilib.sheets.opening import check_formulas, open_workbook, sheet_cells

    book = open_workbook(path)
    names = book.sheet_names
    # an index counts visible sheets only: a hidden first sheet often holds stale data
    visible = [m.name for m in book.sheets_metadata if str(m.visible).endswith("Visible")]
    if isinstance(sheet, int) and 0 <= sheet < len(visible):
        sheet = visible[sheet]
        _warn_hidden(book, path, sheet)
    if (
        isinstance(sheet, str)
        and sheet not in names
        or isinstance(sheet, int)
        and not (0 <= sheet < len(names))
    ):
        raise DataError(
            Problem(
                _("工作簿里没有工作表 {sheet!r}；有：{names}").format(
                    sheet=sheet, names="、".join(names)
                ),
                _("改工作表名，或让方案指向其中之一（targets_sheet）"),
                file=str(path),
                code="no_such_sheet",
            )
        )
    name = sheet if isinstance(sheet, str) else names[sheet]
    ws, cells = sheet_cells(book, name, path)
    raw = pd.DataFrame(cells, dtype=object)
    check_formulas(path, [ws.name])
    for (r0, c0), (r1, c1) in ws.merged_cell_ranges or ():
        if r0 < raw.shape[0] and c0 < raw.shape[1]:
            raw.iloc[r0 : r1 + 1, c0 : c1 + 1] = raw.iat[r0, c0]
    return raw, ws.name


class HiddenSheetWarning(UserWarning):
    """A workbook has hidden sheets holding data that were not read."""


def _warn_hidden(book, path: Path, used: str) -> None:
    import warnings

    hidden = [
        m.name
        for m in book.sheets_metadata
        if not str(m.visible).endswith("Visible")
        and any(
            any(v not in ("", None) for v in row)
            for row in book.get_sheet_by_name(m.name).to_python()
        )
    ]
    if hidden:
        warnings.warn(
            _(
                "{name}：读取的是第一个可见工作表「{used}」；隐藏的工作表「{hidden}」里有数据，"
                "未读取（要读它，在 plan 里写 targets_sheet: 表名）"
            ).format(name=path.name, used=used, hidden="」「".join(hidden)),
            HiddenSheetWarning,
            stacklevel=4,
        )


def _cell_text(value) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _find_header(cells: pd.DataFrame, path: Path, encoding: str | None = None) -> int:
    from kpilib.sheets.layout import normalize

    persons = {a.lower() for a in COLUMNS["person"]}
    for i in range(min(len(cells), 30)):
        if any(normalize(c) in persons for c in cells.iloc[i] if c):
            return i
    read_as = _("（按 {encoding} 读取）").format(encoding=encoding)
    raise DataError(
        Problem(
            _("前 30 行里没有找到带姓名列的表头行{read_as}").format(
                read_as=read_as if encoding and encoding != "UTF-8" else ""
            ),
            _(
                "加一行表头，写明姓名列（{names}）；HR 原样的工作簿，先运行 `kpi inspect 文件`，"
                "再在方案里写 targets_layout: sheet"
            ).format(names=_("或").join(COLUMNS["person"][:2])),
            file=str(path),
            code="no_header",
        )
    )


def _require(frame: pd.DataFrame, columns: list[str], path) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        wanted = "、".join(COLUMNS[c][0] for c in missing)
        raise DataError(
            Problem(
                _("缺少列：{wanted}；表里有：{found}").format(
                    wanted=wanted, found="、".join(map(str, frame.columns[:-2]))
                ),
                _("加上这些列的表头"),
                file=str(path),
                code="missing_column",
            )
        )


def read_targets(path: str | Path, layout: str = "hr", sheet: str | int = 0) -> pd.DataFrame:
    """Per-person targets and weights.

    ``hr``: the layout of seed 000 (岗位, 姓名, 英文名, 指标, 权重, 目标值, 备注), where a
    row with an empty 姓名 continues the person above and a row with an empty 指标
    is a further sub-item of the indicator above (林燕's 业务运营 ①②③).
    ``long``: one row per person and indicator. Both give the columns person,
    role, english_name, indicator, item, weight (a fraction), target, note.
    Sub-items are named ``indicator①``, ``indicator②``...
    """
    frame = read_sheet(path, sheet, need_rows=True)
    _require(frame, ["person", "indicator", "weight"], path)
    for col in ("role", "english_name", "target", "note"):
        if col not in frame:
            frame[col] = ""
    frame = frame.copy()
    if layout == "hr":
        starts = frame["person"] != ""
        for col in ("person", "role", "english_name"):
            frame[col] = frame[col].where(starts).ffill().fillna("")
        # a row with an empty 指标 is a further sub-item of the indicator above
        named = frame["indicator"] != ""
        item_block = named.cumsum()
        frame["indicator"] = frame["indicator"].where(named).groupby(starts.cumsum()).ffill()
        frame["indicator"] = frame["indicator"].fillna("")
        sub = frame.groupby(item_block).cumcount().to_numpy()
        has_subs = frame.groupby(item_block)["indicator"].transform("size").to_numpy() > 1
        circled = np.array(list("①②③④⑤⑥⑦⑧⑨⑩"))
        frame["item"] = (
            np.where(has_subs, frame["indicator"] + circled[sub.clip(0, 9)], frame["indicator"])
            if has_subs.any()
            else frame["indicator"]  # one column for both: scoring then compares nothing
        )
    else:
        frame["item"] = frame["item"] if "item" in frame else frame["indicator"]
    problems = []
    for col, label in (("person", "姓名"), ("indicator", "指标")):
        for _index, row in frame[frame[col] == ""].iterrows():
            problems.append(
                Problem(
                    _("{label}为空").format(label=label),
                    _("填上{label}").format(label=label),
                    file=row["_file"],
                    where=_("第 {row} 行").format(row=row["_row"]),
                    column=label,
                    code="blank",
                )
            )
    frame["weight"], p1 = to_number(frame, "weight", label="权重", percent_points=True)
    frame["target"], p2 = to_number(frame, "target", label="目标值", allow_blank=True)
    raise_if(problems + p1 + p2)
    return frame[
        [
            "person",
            "role",
            "english_name",
            "indicator",
            "item",
            "weight",
            "target",
            "note",
            "_file",
            "_row",
        ]
    ]


def read_actuals(path: str | Path, month: str | None = None, sheet: str | int = 0) -> pd.DataFrame:
    """A month's actuals, long (person, indicator, value) or wide (a column per indicator).

    Returns the long form: person, item, value (text, parsed later against the
    plan), ``_file``, ``_row`` and ``_column`` (where the value sits).
    """
    frame = read_sheet(path, sheet, need_rows=True)
    problems = []
    if month and "month" in frame:
        wrong = frame[(frame["month"] != "") & (frame["month"].str[:7] != month)]
        for _index, row in wrong.head(1).iterrows():
            problems.append(
                Problem(
                    _("月份列写的是 {written!r}，本次计算的是 {month}").format(
                        written=row["month"], month=month
                    ),
                    _("换成该月的文件"),
                    file=str(path),
                    where=_("第 {row} 行").format(row=row["_row"]),
                    code="wrong_month",
                )
            )
    if "indicator" in frame and "value" in frame:
        long = frame.rename(columns={"indicator": "item"})
        long["_column"] = "实际值"
    else:
        _require(frame, ["person"], path)
        columns = [c for c in frame.columns if c not in META | {"person", "_row", "_file"}]
        long = frame.melt(
            id_vars=["person", "_row", "_file"],
            value_vars=columns,
            var_name="item",
            value_name="value",
        )
        long["_column"] = long["item"]
        long = long.sort_values(["_row", "item"], kind="stable")
    raise_if(problems)
    return long[["person", "item", "value", "_file", "_row", "_column"]].reset_index(drop=True)


def read_incidents(path: str | Path, sheet: str | int = 0) -> pd.DataFrame:
    """Incidents: person, indicator, kind, count (default 1), points (for ranged kinds)."""
    frame = read_sheet(path, sheet)
    _require(frame, ["person", "indicator", "kind"], path)
    frame = frame.rename(columns={"indicator": "item"})
    for col in ("count", "points", "date", "note"):
        if col not in frame:
            frame[col] = ""
    frame["count"] = frame["count"].replace("", "1")
    frame["count"], p1 = to_number(frame, "count", label="次数")
    frame["points"], p2 = to_number(frame, "points", label="扣分", allow_blank=True)
    raise_if(p1 + p2)
    return frame[["person", "item", "kind", "count", "points", "date", "note", "_file", "_row"]]


def read_ratings(path: str | Path, sheet: str | int = 0) -> pd.DataFrame:
    """Ratings: person, indicator, rater (optional), level."""
    frame = read_sheet(path, sheet)
    _require(frame, ["person", "indicator", "level"], path)
    frame = frame.rename(columns={"indicator": "item"})
    if "rater" not in frame:
        frame["rater"] = ""
    # 评价人姓名 tells several raters of one role apart; reports never show it
    named = ["rater_name"] if "rater_name" in frame else []
    return frame[["person", "item", "rater", *named, "level", "_file", "_row"]]


def read_inputs(plan: Plan, month: str, actuals: str | Path | None = None) -> dict:
    """Read every input a plan needs for ``month``: the keyword arguments of ``score``.

    A missing actuals file is an error naming the expected path; missing
    incidents or ratings files mean "none this month". A filled-in input template
    (``kpi template``) passed as ``actuals`` also carries the month's incidents and
    ratings in its sheets 扣分记录 and 评分记录, which then replace the plan's files.
    """
    path = Path(actuals) if actuals else plan.source("actuals", month)
    if not path.exists():
        raise DataError(
            Problem(
                _("没有 {month} 的实际值：{path} 不存在").format(month=month, path=path),
                _("把该月的实际值放在这里，或指定另一个实际值文件"),
                file=str(path),
                code="no_actuals",
            )
        )
    if plan.sources.targets_layout == "sheet":
        return _read_sheet_inputs(plan, month, path)
    in_template = _template_sheets(path)
    inputs = {
        "targets": read_targets(
            plan.source("targets", month), plan.sources.targets_layout, plan.sources.targets_sheet
        ),
        "actuals": read_actuals(path, month, in_template.get("actuals", 0)),
    }
    for key, reader in (("incidents", read_incidents), ("ratings", read_ratings)):
        source = plan.source(key, month)
        if key in in_template:
            inputs[key] = reader(path, in_template[key])
        else:
            inputs[key] = reader(source) if source is not None and source.exists() else None
    return inputs


def _read_sheet_inputs(plan, month: str, actuals: Path) -> dict:
    """``targets_layout: sheet``: the workbook as HR keeps it, read by kpilib.sheets.layout; the
    actuals (or given scores) come from the actuals file, often the same workbook."""
    from kpilib.sheets.layout import read_file, to_inputs

    sources = plan.sources
    options = {
        "sheet": sources.targets_sheet if isinstance(sources.targets_sheet, str) else None,
        "columns": sources.columns,
        "roster": plan.source("roster"),
    }
    inputs = to_inputs(read_file(plan.source("targets", month), **options), plan)
    if actuals.resolve() != plan.source("targets", month):
        inputs["actuals"] = to_inputs(read_file(actuals, **options), plan)["actuals"]
    for key, reader in (("incidents", read_incidents), ("ratings", read_ratings)):
        source = plan.source(key, month)
        inputs[key] = reader(source) if source is not None and source.exists() else None
    return inputs


# The sheets of the input template written by ``kpi template`` (kpilib.sheets.workbooks).
TEMPLATE_SHEETS = {"actuals": "实际值", "incidents": "扣分记录", "ratings": "评分记录"}


def _template_sheets(path: Path) -> dict[str, str]:
    """Which template sheets an Excel workbook has: ``{"incidents": "扣分记录", ...}``."""
    if path.suffix.lower() not in EXCEL:
        return {}
    from kpilib.sheets.opening import open_workbook

    names = set(open_workbook(path).sheet_names)
    return {key: name for key, name in TEMPLATE_SHEETS.items() if name in names}


def write_targets(targets: pd.DataFrame, path: str | Path) -> None:
    """Write targets (as :func:`read_targets` returns them) as an HR-layout CSV.

    The layout reads back with ``targets_layout: hr``: a person's name on their
    first row only, a sub-item (``业务运营②``) as a row with an empty 指标 under
    its indicator, weights as percentages with enough digits to total 100%.
    """
    first_of_person = targets["person"].ne(targets["person"].shift()).to_numpy()
    same_indicator = targets["indicator"].eq(targets["indicator"].shift()).to_numpy()
    continues = ~first_of_person & same_indicator & (targets["item"] != targets["indicator"])
    weight = targets["weight"].to_numpy(float) * 100
    out = pd.DataFrame(
        {
            "岗位": np.where(first_of_person, targets["role"], ""),
            "姓名": np.where(first_of_person, targets["person"], ""),
            "英文名": np.where(first_of_person, targets["english_name"], ""),
            "指标": np.where(continues, "", targets["indicator"]),
            "权重": [f"{w:.10g}%" for w in weight],
            "目标值": targets["target"].map(lambda t: "" if pd.isna(t) else f"{t:.15g}"),
            "备注": targets["note"].fillna(""),
        }
    )
    out.to_csv(path, index=False, encoding="utf-8-sig")
