"""Finding the appraisal tables in a workbook laid out the way HR people lay them out.

Real appraisal sheets are not tidy tables: a title above the header, a header
split over two merged rows (质量 over 错字 and 漏字), a form per person with
``姓名：张三`` written above the items, one sheet per person, 合计 and 签字 rows
under the table, a second table beside the first, weights written into the
header text (``GMV（业绩）45%``). :func:`read_file` finds every table, says how
it read it, and returns plain rows (person, indicator, weight, target, actual,
scores) plus the totals and grades the sheet states, so :mod:`kpilib.sheets.inspect`
can show it and :func:`to_inputs` can turn it into the frames
:func:`kpilib.engine.scoring.score` takes.

Reading walks the cells of a sheet (a few hundred rows in practice); scoring
stays vectorized.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from kpilib.engine.plan import KIT_NAMES
from kpilib.errors import DataError, Problem
from kpilib.i18n import N_, _
from kpilib.sheets.opening import existing

if TYPE_CHECKING:
    from kpilib.engine.plan import Plan

# Header words per kind of column, as HR writes them (after normalize()).
WORDS = {
    "person": "姓名 员工姓名 被考核人 被考核人姓名 被考核者 名字 员工 人员 考核对象 被评价人 "
    "被评估人 被考评人 person name",
    "code": "工号 员工编号 员工代码 代码 职工号 员工工号 编码",
    "role": "岗位 职位 岗位名称 职务 role",
    "department": "部门 所属部门 部门名称 所在部门 中心",
    "group": "组 小组 班组 组别 团队",
    "seq": "序号 no 编号",
    "section": "考核类别 类别 一级指标 考核方面 指标类别 考核模块 模块",
    "indicator": "指标 考核指标 考核项目 考核维度 kpi指标 kpi 考核内容 项目 指标名称 考核项 "
    "二级指标 具体指标 评价维度 评价项目 评估维度 indicator item",
    # 分值/标准分: an item's full points (40 of 100), read as a weight like 40%
    "weight": "权重 目标权重 权重占比 权重分解 占比 权重(%) 权重% 分值 标准分 满分 weight",
    "target": "目标值 目标 计划值 任务 目标任务 任务量 月度目标 target",
    "actual": "实际值 完成值 实际完成 实际 实际完成值 完成量 value actual",
    "self_score": "自评 自评分 自评得分 员工自评 本人自评 自我评分",
    "leader_score": "上级评分 上级评 上级评价 领导评分 主管评分 上级打分 直接上级评分 上级得分 "
    "部门负责人评分",
    "score": "得分 评分 分数 单项得分 考评得分 加权得分 加权分 综合评分 评估得分",
    "total": "总分 考核得分 最终绩效 考核总分 综合得分 最终得分 绩效得分 合计得分 总得分 最终分数",
    "grade": "等级 绩效等级 考核等级 评级 考核结果 绩效结果",
    "note": "备注 说明 评分标准 考核要求 完成情况说明 考核标准 计算方式 评分说明 数据来源 "
    "考核说明 指标说明 指标定义 完成情况 评分依据 扣分说明 note",
    "month": "月份 考核期间 考核月份 考核周期 month",
    "date": "日期 时间 date",
}
KIND_OF = {w.lower(): kind for kind, words in WORDS.items() for w in words.split()}

# The kit's name of each kind, as a plan's ``columns:`` writes it and inspect shows it.
_KIT_KIND = {name: kind for kind, name in KIT_NAMES.items()} | {k: k for k in KIT_NAMES}
VALUES = ("weight", "target", "actual", "self_score", "leader_score", "score")
IGNORED = {"seq", "department", "group", "note", "date"}
# label cells (姓名：张三) and the kind of value they give
LABELS = {"person", "code", "role", "department", "month", "total", "grade", "group"}

# Traditional forms of the characters met in appraisal headers: a header map only;
# names of people and indicators are kept as written.
_TRADITIONAL = str.maketrans(
    "員績權標實際評項級計劃務門總號準說備註簽審額達業質量職類務結數據據單認為關",
    "员绩权标实际评项级计划务门总号准说备注签审额达业质量职类务结数据据单认为关",
)
# rows that are not people: first filled cell of the row starts with one of these
SKIP = re.compile(
    r"^(合计|总计|小计|平均|平均分|说明|备注|注[:：]|注意|评分标准|签字|签名|审核|审批|日期|"
    r"制表|填表|考核人签|被考核人签|部门负责人签|核准|批准)"
)
TOTAL_ROW = re.compile(r"^(合计|总计|总分|得分合计)")
_LABEL = re.compile(r"^\s*([^:：]{1,8}?)\s*[:：]\s*(.*?)\s*$")
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*%")
_BRACKETS = re.compile(r"[(\[【][^)\]】]*[)\]】]")
CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩"
# an indicator column that is a dimension over the 考核指标 column beside it
DIMENSIONS = {"考核维度", "评价维度", "评估维度", "维度", "考核方面"}
_NOT_A_NAME = re.compile(r"(表|考核|绩效|汇总|sheet|工作表|模板|说明|目录|明细|统计|\d)", re.I)
_ROSTER_WORDS = {
    "入职日期",
    "身份证号",
    "身份证",
    "电话",
    "手机",
    "联系电话",
    "性别",
    "学历",
    "出生日期",
}


def normalize(text: object, lower: bool = True) -> str:
    """A header as compared: full-width to half-width, traditional to simplified
    (header characters), no spaces or line breaks, no trailing colon, lower case.

    Examples
    --------
    >>> normalize("姓    名")
    '姓名'
    >>> normalize("員工姓名：")
    '员工姓名'
    >>> normalize("权重分解\\n（100%）")
    '权重分解(100%)'
    """
    out = unicodedata.normalize("NFKC", str(text)).translate(_TRADITIONAL)
    # spaces go (姓    名), except one between Latin words (KA GMV)
    out = re.sub(r"(?<=[A-Za-z0-9])\s+(?=[A-Za-z0-9])", " ", out.strip())
    out = re.sub(r"(?<![A-Za-z0-9])\s+|\s+(?![A-Za-z0-9])", "", out).strip(":：")
    return out.lower() if lower else out


def classify(
    header: str, columns: dict[str, str | None] | None = None
) -> tuple[str | None, str, float | None]:
    """``(kind, name, weight)`` of a header: kind from the header words (or the
    plan's ``columns:``), the name without brackets and percent, a weight written
    into the header (``GMV（业绩）45%`` → 0.45) or None.

    Examples
    --------
    >>> classify("GMV（业绩）45%")
    (None, 'GMV', 0.45)
    >>> classify("权重分解（100%）")
    ('weight', '权重分解', None)
    """
    norm = normalize(header)
    shown = normalize(header, lower=False)  # names keep their case: GMV, not gmv
    columns = columns or {}
    if norm in columns:
        mapped = columns[norm]
        return (None if mapped is None else _KIT_KIND.get(mapped, "ignore")), shown, None
    found = _PERCENT.search(norm)
    base = _PERCENT.sub("", _BRACKETS.sub("", shown)).strip(":：/")
    kind = KIND_OF.get(base.lower()) or KIND_OF.get(norm)
    weight = float(found.group(1)) / 100 if found and kind is None else None
    return kind, base if (kind or weight is not None) else shown, weight


def number(text: object, percent_points: bool = False) -> float | None:
    """A cell as a number (``2,400,000``, ``70%``, ``≥95%``, full-width digits), else None."""
    if text is None or text == "":
        return None
    raw = unicodedata.normalize("NFKC", str(text)).strip().replace(",", "").replace(" ", "")
    raw = raw.lstrip("≥≤><=约")
    pct = raw.endswith("%")
    try:
        value = float(raw.rstrip("%"))
    except ValueError:
        return None
    if value != value or value in (float("inf"), float("-inf")):
        return None
    if pct or (percent_points and value > 1):
        value /= 100
    return value


# ---------------------------------------------------------------- cells


@dataclass(frozen=True)
class Grid:
    """A sheet's cells as text from A1, merged ranges filled as the analyst sees them."""

    sheet: str
    cells: list[list[str]]
    merged: frozenset = frozenset()  # (row, col) filled from a merge, not its first cell
    spans: dict = field(default_factory=dict)  # (row, col) of a merge's first cell -> (r1, c1)
    hidden_cols: frozenset = frozenset()  # columns hidden in Excel/WPS (helper columns)

    def at(self, r: int, c: int) -> str:
        if r < len(self.cells) and c < len(self.cells[r]):
            return self.cells[r][c]
        return ""

    def blank(self, r: int, cols: list = None) -> bool:
        cols = range(len(self.cells[r])) if cols is None else cols
        return all(self.at(r, c) == "" for c in cols)


def cell_text(value: object) -> str:
    """A cell as the analyst reads it: ``2400000`` not ``2400000.0``, dates as ISO dates."""
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def decode_csv(path: Path) -> tuple[str, str]:
    """The text of a CSV file and its encoding: UTF-8 (with or without BOM) first, then
    whatever charset-normalizer finds (Excel in China saves GBK/GB18030, or UTF-16)."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError:
        pass
    # Excel in China saves GB18030/GBK (Big5 in Taiwan and Hong Kong): prefer them over a
    # detector's guess, which on a short file is often Korean (CP949) or Japanese and
    # turns every name into nonsense. UTF-16 without a BOM decodes with NULs, and Big5
    # read as GBK with private-use characters: neither is taken.
    for encoding in ("gb18030", "big5") * (not data.startswith((b"\xff\xfe", b"\xfe\xff"))):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if not re.search("[\x00\ue000-\uf8ff]", text):
            return text, encoding.upper()
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise DataError(
            Problem(
                _("无法识别 {name} 的编码（不是 UTF-8，也不是 GBK/GB18030 或 UTF-16）").format(
                    name=path.name
                ),
                _("在 Excel 里另存为「CSV UTF-8（逗号分隔）」或 .xlsx"),
                file=str(path),
                code="unknown_encoding",
            )
        )
    encoding = best.encoding
    if encoding in ("gbk", "gb2312", "cp936", "hz"):
        encoding = "gb18030"  # the superset: a GBK guess never loses a rare character
    return data.decode(encoding), encoding.upper().replace("_", "-")


def load_grids(
    path: Path, sheet: str | int | None = None
) -> tuple[list[Grid], list[dict], str | None]:
    """``(grids, sheets, encoding)``: the sheets to read as :class:`Grid` and what was
    done with each sheet (``{"name", "used", "hidden", "why"}``).

    ``sheet`` names one sheet (or its index); otherwise every visible sheet is read
    and hidden sheets are skipped (listed, with whether they hold data).
    """
    from kpilib.sheets.opening import (
        check_formulas,
        csv_rows,
        empty_csv,
        hidden_columns,
        open_workbook,
    )

    if path.suffix.lower() not in EXCEL:
        text, encoding = decode_csv(path)
        rows = csv_rows(text)
        empty = empty_csv(path, rows, encoding)
        if empty is not None:
            raise DataError(empty)
        return [Grid(path.stem, rows)], [_sheet_entry(path.stem, True, False, "")], encoding
    book = open_workbook(path)
    metas = book.sheets_metadata
    names = [m.name for m in metas]
    hidden = {m.name for m in metas if str(m.visible).rsplit(".", 1)[-1] != "Visible"}
    if isinstance(sheet, int) and 0 <= sheet < len(names):
        sheet = names[sheet]
    if sheet is not None and sheet not in names:
        raise DataError(
            Problem(
                _("工作簿里没有工作表「{sheet}」；有：{names}").format(
                    sheet=sheet, names="、".join(names)
                ),
                _("把 plan 的 sources.targets_sheet（或 --sheet）改成其中之一"),
                file=str(path),
                code="no_such_sheet",
            )
        )
    grids, sheets = [], []
    hidden_cols = hidden_columns(path)
    for name in names:
        if sheet is not None and name != sheet:
            sheets.append(
                _sheet_entry(name, False, name in hidden, _("未选用（只读指定的工作表）"))
            )
            continue
        grid = _grid(book, name, path)
        if name in hidden_cols:
            grid = replace(grid, hidden_cols=hidden_cols[name])
        has_data = any(any(row) for row in grid.cells)
        if name in hidden and sheet is None:
            why = _("隐藏的工作表，里面有数据，未读取") if has_data else _("隐藏的工作表（空）")
            sheets.append(_sheet_entry(name, False, True, why))
            continue
        grids.append(grid)
        sheets.append(_sheet_entry(name, True, name in hidden, ""))
    check_formulas(path, [g.sheet for g in grids])
    return grids, sheets, None


EXCEL = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods", ".et")


def _sheet_entry(name, used, hidden, why) -> dict:
    return {"name": name, "used": used, "hidden": hidden, "why": why}


def _grid(book, name: str, path: Path) -> Grid:
    from kpilib.sheets.opening import sheet_cells

    ws, values = sheet_cells(book, name, path)
    cells = [[cell_text(v) for v in row] for row in values]
    width = max((len(r) for r in cells), default=0)
    cells = [row + [""] * (width - len(row)) for row in cells]
    merged, spans = set(), {}
    for (r0, c0), (r1, c1) in ws.merged_cell_ranges or ():
        if r0 >= len(cells) or c0 >= width:
            continue
        spans[(r0, c0)] = (r1, c1)
        for r in range(r0, min(r1 + 1, len(cells))):
            for c in range(c0, min(c1 + 1, width)):
                if (r, c) != (r0, c0):
                    cells[r][c] = cells[r0][c0]
                    merged.add((r, c))
    return Grid(name, cells, frozenset(merged), spans)


# ---------------------------------------------------------------- reading


@dataclass(frozen=True)
class Reading:
    """How a file was read: everything ``kpi inspect`` shows, as plain data."""

    file: str
    encoding: str | None
    sheets: list[dict]
    tables: list[dict]
    columns: dict[str, str | None]
    rows: list[dict]
    totals: dict[str, float]
    grades: dict[str, str]
    skipped: list[dict]
    notes: list[str]
    problems: list[Problem]
    what: str | None = None  # what a file that is not appraisal data seems to be


def read_file(
    path: str | Path,
    sheet: str | int | None = None,
    columns: dict[str, str | None] | None = None,
    roster: str | Path | None = None,
) -> Reading:
    """Read an appraisal workbook (or CSV, or a folder of one file per person) as it is.

    Parameters
    ----------
    path : path
        ``.xlsx``/``.xls``/``.et``/``.ods``/CSV, or a folder: every such file in it,
        one per person.
    sheet : str or int, optional
        Read only this sheet; by default every visible sheet.
    columns : dict, optional
        The plan's ``columns:``: header as written -> the kit's name (姓名, 指标,
        权重, 目标值, 实际值, 自评, 上级评分, 得分, 总分, 等级...) or None to ignore.
    roster : path, optional
        A roster with 工号 and 姓名 columns, for sheets that name people by code.

    Returns
    -------
    Reading
        rows (one per person and item), totals and grades stated, what was skipped.
    """
    path = existing(path)
    if path.is_dir():
        return _read_folder(path, sheet, columns, roster)
    columns = {normalize(k): v for k, v in (columns or {}).items()}
    grids, sheets, encoding = load_grids(path, sheet)
    state = _State(file=str(path), columns=columns)
    for grid in grids:
        before = len(state.tables)
        _read_grid(grid, state, fallback=_person_from_name(path.stem))
        if len(state.tables) == before:
            entry = next(s for s in sheets if s["name"] == grid.sheet)
            entry["why"] = _("没有找到考核表")
    codes = _roster(roster) if roster else None
    if codes is not None:
        for row in state.rows:
            row["person"] = codes.get(row["person"], row["person"])
    empty = None if state.rows else _empty(path, grids, state.tables)
    what = None if empty else _not_appraisal(state, grids)
    problems = state.problems
    if empty:
        problems = [empty]
    elif what:
        problems = [what[1]]
    elif not state.rows and not state.problems:
        problems = [_no_table(path, grids)]
    return Reading(
        file=str(path),
        encoding=encoding,
        sheets=sheets,
        tables=state.tables,
        columns=state.header_map,
        rows=state.rows,
        totals=state.totals,
        grades=state.grades,
        skipped=state.skipped,
        notes=state.notes,
        problems=problems,
        what=what[0] if what else None,
    )


def _read_folder(path, sheet, columns, roster) -> Reading:
    files = sorted(p for p in path.iterdir() if p.suffix.lower() in (*EXCEL, ".csv"))
    parts = [read_file(p, sheet, columns, roster) for p in files if not p.name.startswith("~$")]
    merged = Reading(str(path), None, [], [], {}, [], {}, {}, [], [], [])
    for part in parts:
        merged.sheets.extend(
            {**s, "name": f"{Path(part.file).name}:{s['name']}"} for s in part.sheets
        )
        merged.tables.extend(part.tables)
        merged.columns.update(part.columns)
        merged.rows.extend(part.rows)
        merged.totals.update(part.totals)
        merged.grades.update(part.grades)
        merged.skipped.extend(part.skipped)
        merged.notes.extend(part.notes)
        merged.problems.extend(part.problems)
    return merged


@dataclass
class _State:
    """What reading has found so far (one file)."""

    file: str
    columns: dict
    tables: list = field(default_factory=list)
    header_map: dict = field(default_factory=dict)
    rows: list = field(default_factory=list)
    totals: dict = field(default_factory=dict)
    grades: dict = field(default_factory=dict)
    skipped: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    problems: list = field(default_factory=list)


def _person_from_name(name: str) -> str | None:
    """``研发部-李四`` → 李四; ``Sheet1`` or ``绩效考核表`` → None."""
    for part in reversed(re.split(r"[-_－—·\s.()（）]+", name)):
        if re.fullmatch(r"[\u4e00-\u9fff·]{2,4}", part) and not _NOT_A_NAME.search(part):
            return part
    return None


def _labels(grid: Grid, r: int) -> dict[str, tuple[str, str]]:
    """Label cells of row r: ``{kind: (value, cell text, row)}`` for ``姓名：张三``
    (or ``姓名：`` with the value in the next cell)."""
    found = {}
    row = grid.cells[r]
    for c, text in enumerate(row):
        if (r, c) in grid.merged:
            continue
        for piece in re.split(r"\s{2,}|　+", text):
            m = _LABEL.match(piece)
            if not m:
                continue
            kind = KIND_OF.get(normalize(m.group(1)))
            if kind not in LABELS:
                continue
            value = m.group(2)
            if not value:  # the value in the next filled cell
                value = next((v for v in row[c + 1 :] if v), "")
                if _LABEL.match(value):
                    value = ""
            found[kind] = (value, piece, r + 1)
    return found


def _header_kinds(grid: Grid, r: int, columns: dict) -> list:
    return [
        classify(t, columns) if t and not _LABEL.match(t) else (None, "", None)
        for t in grid.cells[r]
    ]


def _is_header(kinds) -> bool:
    known = [k or "weighted" for k, _, w in kinds if k and k != "ignore" or w is not None]
    anchors = {"person", "code", "indicator"} & set(known)
    return len(known) >= 2 and bool(anchors) or len(known) >= 3


def _names_columns(kinds) -> bool:
    """A person column and at least one other header: a wide sheet of indicators."""
    person = any(k in ("person", "code") for k, _, _ in kinds)
    return person and sum(1 for k, name, w in kinds if name or k) >= 2


def _label_pairs(grid: Grid, r: int, columns: dict) -> dict:
    """Labels written without a colon (``姓名 | 张三 | 部门 | 研发部``) above a header row."""
    filled = [grid.at(r, c) for c in range(len(grid.cells[r])) if grid.at(r, c)]
    if not filled or len(filled) % 2 or r + 1 >= len(grid.cells):
        return {}
    found = {}
    for key, value in zip(filled[::2], filled[1::2], strict=True):
        kind = KIND_OF.get(normalize(key))
        if kind not in LABELS or classify(value, columns)[0] is not None:
            return {}
        found[kind] = (value, f"{key}：{value}", r + 1)
    below = _header_kinds(grid, r + 1, columns)
    return found if _is_header(below) else {}


def _read_grid(grid: Grid, state: _State, fallback: str | None) -> None:
    r, labels, last_person = 0, {}, None
    n = len(grid.cells)
    while r < n:
        if grid.blank(r):
            r += 1
            continue
        kinds = _header_kinds(grid, r, state.columns)
        pairs = _label_pairs(grid, r, state.columns)
        if pairs or not (_is_header(kinds) or _names_columns(kinds)):
            found = pairs or _labels(grid, r)
            if found:
                after = {k: v for k, v in found.items() if k in ("total", "grade")}
                if after and last_person and "person" not in found:
                    _stated(state, last_person, after, grid.sheet, r)
                labels.update(found)
                if "person" in found:
                    last_person = found["person"][0] or last_person
                    if "total" in found or "grade" in found:
                        _stated(state, last_person, found, grid.sheet, r)
            else:
                why = _("表格外的文字（标题或说明）")
                if SKIP.match(next(t for t in grid.cells[r] if t)):
                    why = _("签字、日期或说明行")
                state.skipped.append({"sheet": grid.sheet, "row": r + 1, "why": why})
            r += 1
            continue
        end = r
        for start, stop in _column_runs(grid, r, kinds):
            got_end, person = _read_table(grid, state, r, range(start, stop), labels, fallback)
            last_person = person or last_person
            end = max(end, got_end)
        labels = {}
        r = end + 1


def _column_runs(grid: Grid, r: int, kinds) -> list[tuple[int, int]]:
    """Side-by-side tables: header cells split by an empty column that starts a new
    header (a person or indicator column again); otherwise one run."""
    filled = [c for c, t in enumerate(grid.cells[r]) if t]
    runs, start = [], filled[0]
    for a, b in zip(filled, filled[1:], strict=False):
        if b - a > 1 and kinds[b][0] in ("person", "code", "indicator", "seq"):
            gap_empty = all(grid.at(rr, c) == "" for c in range(a + 1, b) for rr in range(r, r + 3))
            if gap_empty and sum(1 for t in grid.cells[r][b:] if t) >= 2:
                runs.append((start, a + 1))
                start = b
    runs.append((start, filled[-1] + 1))
    # a blank header over the first column of names belongs to the table
    first = runs[0][0]
    if first > 0 and grid.at(r + 1, first - 1) and number(grid.at(r + 1, first - 1)) is None:
        runs[0] = (first - 1, runs[0][1])
    return runs


def _header(grid: Grid, r: int, cols: range, columns: dict):
    """Header names per column and the number of header rows (1 or 2).

    A second header row is read when a header cell is merged across several columns
    (a group such as 质量 over 错字 and 漏字), or when the row below names columns
    whose header cell is blank: names join as ``质量/错字``.
    """
    top = [grid.at(r, c) for c in cols]
    below = [grid.at(r + 1, c) for c in cols]
    group = any(
        (r, c) in grid.spans and grid.spans[(r, c)][1] > c and grid.spans[(r, c)][0] == r
        for c in cols
    )
    texts = [t for t in below if t]
    under_blank = any(
        b and (not t or (r, c) in grid.merged) for c, t, b in zip(cols, top, below, strict=True)
    )
    second = bool(texts) and all(number(t) is None for t in texts) and (group or under_blank)
    names = []
    parent = ""
    for c, t, b in zip(cols, top, below, strict=True):
        if t and (r, c) not in grid.merged:
            parent = t
        elif not t:
            parent = parent if second and b else ""
        if second and b and (r + 1, c) not in grid.merged and b != t:
            names.append(f"{t or parent}/{b}" if (t or parent) else b)
        else:
            names.append(t)
    return names, 2 if second else 1


def _read_table(grid, state, r, cols, labels, fallback):
    names, depth = _header(grid, r, cols, state.columns)
    spec = []  # (col, header, kind, name, weight in header)
    for c, header in zip(cols, names, strict=True):
        if not header:
            spec.append((c, "", None, "", None))
            continue
        kind, name, weight = classify(header, state.columns)
        if c in grid.hidden_cols and kind not in ("person", "code") and kind != "ignore":
            if normalize(header) not in state.columns:  # the plan may name a hidden column
                state.notes.append(
                    _("{sheet}：「{header}」是隐藏列，未读取").format(
                        sheet=grid.sheet, header=header
                    )
                )
                spec.append((c, header, "hidden", name, None))
                continue
        if kind is None and "/" in header:  # 评分/自评: the child names the kind
            child_kind = classify(header.rsplit("/", 1)[1], state.columns)[0]
            if child_kind in VALUES:
                kind = child_kind
            if kind is None and normalize(header) in state.columns:
                kind = "ignore"
        spec.append((c, header, kind, name, weight))
    by_kind = {}
    for c, _head, kind, _name, _weight in spec:
        if kind and kind != "ignore":
            by_kind.setdefault(kind, []).append(c)
    indicator_cols = by_kind.get("indicator", [])
    table = {
        "sheet": grid.sheet,
        "header_rows": list(range(r + 1, r + depth + 1)),
        "columns": {},
    }
    raters = [
        (c, h)
        for c, h, kind, _, _ in spec
        if indicator_cols and kind in (None, "self_score", "leader_score") and _PERCENT.search(h)
    ]
    if raters:  # 360: 上级（40%）、同事（30%）… each a rater with a weight
        shown = "「" + "」「".join(h for _c, h in raters) + "」"
        rater_cols = {c for c, _h in raters}
        by_kind = {k: [x for x in v if x not in rater_cols] for k, v in by_kind.items()}
        spec = [(c, h, "rater" if c in rater_cols else k, n, w) for c, h, k, n, w in spec]
        if not by_kind.get("score"):
            state.problems.append(
                Problem(
                    _(
                        "{sheet} 第 {row} 行的 {shown} 是多位评价人的评分列（360 度），"
                        "表里没有每项的加权得分列，kit 不替表格加权"
                    ).format(sheet=grid.sheet, row=r + 1, shown=shown),
                    _(
                        "在表里加一列「加权得分」（按评价人权重算好的每项得分），"
                        "或在 plan 的 columns: 里把已有的得分列映射为 得分"
                    ),
                    where=_("{sheet} 第 {row} 行").format(sheet=grid.sheet, row=r + 1),
                    code="rater_columns",
                )
            )
            state.tables.append(table | {"layout": _("360 评价（未读取）")})
            return max(_body_rows(grid, r + depth, cols), default=r), None
        state.notes.append(
            _("{sheet}：{shown} 是评价人评分列，每项得分取「加权得分」列").format(
                sheet=grid.sheet, shown=shown
            )
        )
    if indicator_cols:
        end, person = _read_long(
            grid, state, r + depth, cols, spec, by_kind, labels, fallback, table
        )
    else:
        end, person = _read_wide(grid, state, r + depth, cols, spec, by_kind, table)
    state.tables.append(table)
    state.header_map.update(table["columns"])
    return end, person


def _body_rows(grid, start, cols):
    """Rows of a table: from ``start`` to the first blank row."""
    r = start
    while r < len(grid.cells) and not grid.blank(r, cols):
        yield r
        r += 1


def _skip_row(grid, state, r, cols) -> str | None:
    # the first cell written in this row: a person's name merged down from above does
    # not hide the 小计 or 合计 beside it
    first = next((grid.at(r, c) for c in cols if grid.at(r, c) and (r, c) not in grid.merged), "")
    m = SKIP.match(normalize(first))
    if m:
        state.skipped.append(
            {
                "sheet": grid.sheet,
                "row": r + 1,
                "why": _("「{label}」行，不是人员").format(label=m.group(1)),
            }
        )
        return m.group(1)
    return None


def _total_in_row(grid, r, cols, by_kind):
    """The number a 合计 row states: under 总分, else the score columns, else in its text."""
    for kind in ("total", "leader_score", "score", "self_score"):
        for c in reversed(by_kind.get(kind, [])):
            value = number(grid.at(r, c))
            if value is not None:
                return value
    for c in cols:
        m = re.search(r"[:：]\s*(-?\d+(?:\.\d+)?)", grid.at(r, c))
        if m:
            return float(m.group(1))
    return None


def _read_long(grid, state, start, cols, spec, by_kind, labels, fallback, table):
    """One row per item: person column, or one person per form (label or sheet name)."""
    person_col = (by_kind.get("person") or by_kind.get("code") or [None])[0]
    blank_head = [c for c, h, *_ in spec if not h]
    if person_col is None and blank_head and blank_head[0] == cols[0]:
        person_col = cols[0]  # names under a blank header
    form_person = None
    if person_col is None:
        form_person = labels.get("person", ("",))[0] or None
        if form_person:
            table["layout"] = _("单人表")
            cell, at = labels["person"][1:]
            state.notes.append(
                _(
                    "{sheet} 第 {row} 行的「{cell}」是标注单元格，不是表头；该表按「单人表」读取"
                ).format(sheet=grid.sheet, row=at, cell=cell)
            )
        elif fallback or _person_from_name(grid.sheet):
            form_person = _person_from_name(grid.sheet) or fallback
            table["layout"] = _("单人表")
            where = _("工作表名") if _person_from_name(grid.sheet) else _("文件名")
            state.notes.append(
                _("{sheet}：表里没有姓名列，人员「{person}」取自{where}").format(
                    sheet=grid.sheet, person=form_person, where=where
                )
            )
        else:
            table["layout"] = _("单人表")
    else:
        table["layout"] = _("每人每项一行")
    indicator_cols = by_kind["indicator"]
    section_col = (by_kind.get("section") or [None])[0]
    ind_col = indicator_cols[0]
    sub_col = indicator_cols[1] if len(indicator_cols) > 1 else None
    headers = {c: normalize(h) for c, h, *_ in spec}
    if (
        section_col is None
        and sub_col is not None
        and (_carries_weight(grid, start, cols, ind_col) or headers[ind_col] in DIMENSIONS)
    ):  # 业绩 70% over its items, or 考核维度 over 考核指标: a section, not the indicator
        section_col, ind_col, sub_col = ind_col, sub_col, (indicator_cols[2:] or [None])[0]
    if sub_col is not None and _is_prose(grid, start, cols, sub_col):
        # 考核项目 | 考核内容 with sentences under 考核内容: a description, not sub-items
        spec = [(c, h, "note" if c == sub_col else k, n, w) for c, h, k, n, w in spec]
        sub_col = None
    _map_columns(table, spec, person_col, {ind_col, sub_col} - {None}, section_col)
    total_col = (by_kind.get("total") or [None])[0]
    grade_col = (by_kind.get("grade") or [None])[0]
    scored = [c for k in VALUES[1:] for c in by_kind.get(k, [])]
    body = list(_body_rows(grid, start, cols))
    measured = [c for k in VALUES[2:] for c in by_kind.get(k, [])]  # actuals and scores
    unknown = [c for c, h, k, _, _ in spec if h and k is None]  # 本月达成: maybe a measure
    nobody = (
        person_col is None
        and form_person is None
        and not any(grid.at(r, c) for r in body for c in measured)
        and not any(number(grid.at(r, c)) is not None for r in body for c in unknown)
    )
    if (scored and not any(grid.at(r, c) for r in body for c in scored)) or nobody:
        # a rubric, a KPI library or a blank template: nothing to read yet
        table["empty"] = True
        return (body[-1] if body else start - 1), form_person
    items, person, section, indicator = [], form_person, "", ""
    end = start - 1
    for r in _body_rows(grid, start, cols):
        end = r
        skip = _skip_row(grid, state, r, cols)
        if skip:
            if TOTAL_ROW.match(skip) and person:
                value = _total_in_row(grid, r, cols, by_kind)
                if value is not None:
                    state.totals[person] = value
            continue
        found = _labels(grid, r)
        if found and all(_LABEL.match(grid.at(r, c)) for c in cols if grid.at(r, c)):
            if person:
                _stated(state, person, found, grid.sheet, r)
            state.skipped.append(
                {"sheet": grid.sheet, "row": r + 1, "why": _("标注行（如 等级：B）")}
            )
            continue
        if person_col is not None:
            name = grid.at(r, person_col)
            if name and (r, person_col) not in grid.merged:
                person = name
        if section_col is not None and grid.at(r, section_col):
            section = grid.at(r, section_col)
        ind = grid.at(r, ind_col)
        new_block = bool(ind) and (r, ind_col) not in grid.merged
        if new_block:
            indicator = ind
        row = {
            "person": person,
            "indicator": indicator,
            "sub": grid.at(r, sub_col) if sub_col is not None else "",
            "section": _PERCENT.sub("", _BRACKETS.sub("", normalize(section))) if section else "",
            "section_weight": _section_weight(section),
            "new_block": new_block,
            "sheet": grid.sheet,
            "row": r + 1,
        }
        for kind in VALUES:
            row[kind] = _value(grid, r, by_kind.get(kind), kind)
        if total_col is not None and person and number(grid.at(r, total_col)) is not None:
            row["_total"] = number(grid.at(r, total_col))
        if grade_col is not None and person and grid.at(r, grade_col):
            state.grades[person] = grid.at(r, grade_col)
        if not person:
            state.problems.append(_no_person(grid, r))
            break
        items.append(row)
    _finish_items(state, items, total_col is not None)
    return end, person


def _is_prose(grid, start, cols, col) -> bool:
    texts = [grid.at(r, col) for r in _body_rows(grid, start, cols) if grid.at(r, col)]
    return bool(texts) and sum(len(t) > 12 or "，" in t for t in texts) * 2 > len(texts)


def _carries_weight(grid, start, cols, col) -> bool:
    return any(_PERCENT.search(grid.at(r, col)) for r in _body_rows(grid, start, cols))


def _section_weight(text: str):
    m = _PERCENT.search(unicodedata.normalize("NFKC", text))
    return float(m.group(1)) / 100 if m else None


def _value(grid, r, cols, kind):
    if not cols:
        return None
    text = grid.at(r, cols[0])
    if (r, cols[0]) in grid.merged and kind != "weight":
        return None  # a merged score spans the person's rows: one total, not per item
    value = number(text, percent_points=kind == "weight")
    return value if value is not None or not text else text


def _map_columns(table, spec, person_col, indicator_cols, section_col=None) -> None:
    for c, header, kind, _name, _weight in spec:
        if not header:
            if c == person_col:
                table["columns"]["(无表头)"] = "姓名"
            continue
        if c == person_col:
            mapped = "姓名"
        elif c == section_col:
            mapped = KIT_NAMES["section"]
        elif c in indicator_cols or kind == "section":
            mapped = KIT_NAMES.get(kind, "指标")
        elif kind in KIT_NAMES and kind not in ("indicator",):
            mapped = KIT_NAMES[kind]
        else:
            mapped = None
        table["columns"][header] = mapped


def _finish_items(state, items, has_total_column) -> None:
    """Sub-items, two-level weights and per-person totals, then rows into ``state``."""
    if not items:
        return
    # blocks: an indicator with the rows merged under it or with an empty 指标 cell
    blocks, current = [], []
    for item in items:
        if item["new_block"] or not current or current[0]["person"] != item["person"]:
            current = [item]
            blocks.append(current)
        else:
            current.append(item)
    for block in blocks:
        for k, item in enumerate(block):
            if item["sub"] and item["sub"] != item["indicator"]:
                item["item"] = f"{item['indicator']}/{item['sub']}"
            elif len(block) > 1:
                item["item"] = f"{item['indicator']}{CIRCLED[min(k, 9)]}"
            else:
                item["item"] = item["indicator"]
    # two-level weights: a section weight times item weights that total 100% inside it
    by_section = {}
    for item in items:
        if item["section_weight"] is not None and isinstance(item["weight"], float):
            by_section.setdefault((item["person"], item["section"]), []).append(item)
    for group in by_section.values():
        if abs(sum(i["weight"] for i in group) - 1) < 1e-6:
            for i in group:
                i["weight"] = i["section_weight"] * i["weight"]
    for item in items:
        if "_total" in item:
            if has_total_column:
                state.totals[item["person"]] = item["_total"]
        state.rows.append(
            {
                "person": item["person"],
                "indicator": item["item"],
                "section": item["section"] or None,
                "weight": item["weight"],
                "target": item["target"],
                "actual": item["actual"],
                "self_score": item["self_score"],
                "leader_score": item["leader_score"],
                "score": _chosen(item),
                "sheet": item["sheet"],
                "row": item["row"],
                "column": None,
            }
        )


def _chosen(item, prefer: str = "leader"):
    """The given score: the leader's, else a plain 得分, else the self score
    (``prefer: self`` swaps leader and self). A 得分 beside 上级评分 is most often
    weight × 上级评分 (points), so the leader's own score comes first."""
    first, other = ("leader_score", "self_score")[:: 1 if prefer == "leader" else -1]
    for key in (first, "score", other):
        if isinstance(item.get(key), float):
            return item[key]
    return None


def _read_wide(grid, state, start, cols, spec, by_kind, table):
    """One row per person, a column per indicator (weights in the header text or in a
    paired 权重 column right of it), 总分 and 等级 columns stated per person."""
    table["layout"] = _("每人一行")
    person_col = (by_kind.get("person") or by_kind.get("code") or [None])[0]
    if person_col is None and not spec[0][1]:
        person_col = spec[0][0]
    body = list(_body_rows(grid, start, cols))
    values = []  # (col, header, name, weight in header, weight col)
    for k, (c, header, kind, name, weight) in enumerate(spec):
        if c == person_col or not header:
            continue
        if kind in ("total", "grade", "role", "month", "code", "person") or kind in IGNORED:
            table["columns"][header] = KIT_NAMES.get(kind) if kind not in IGNORED else None
            continue
        if kind == "weight":
            continue  # paired with the value column on its left, below
        if kind not in (None, "actual", "score", "self_score", "leader_score"):
            table["columns"][header] = None
            continue
        texts = [grid.at(r, c) for r in body if grid.at(r, c)]
        if texts and all(number(t) is None for t in texts):
            table["columns"][header] = None  # names, departments, free text: not a measure
            state.notes.append(
                _("「{header}」列全是文字，不是数值：按说明列忽略").format(header=header)
            )
            continue
        paired = spec[k + 1][0] if k + 1 < len(spec) and spec[k + 1][2] == "weight" else None
        values.append((c, header, name, weight, paired))
        table["columns"][header] = f"指标:{values[-1][2]}"
        if paired is not None:
            table["columns"][spec[k + 1][1]] = f"权重:{values[-1][2]}"
    if person_col is not None:
        table["columns"][dict((c, h) for c, h, *_ in spec).get(person_col) or "(无表头)"] = "姓名"
    total_col = (by_kind.get("total") or [None])[0]
    grade_col = (by_kind.get("grade") or [None])[0]
    end, person = start - 1, None
    for r in body:
        end = r
        if _skip_row(grid, state, r, cols) or person_col is None:
            continue
        name = grid.at(r, person_col)
        if not name:
            state.skipped.append({"sheet": grid.sheet, "row": r + 1, "why": _("姓名为空")})
            continue
        person = name
        for c, header, indicator, weight, paired in values:
            text = grid.at(r, c)
            if not text:
                continue
            value = number(text)
            kind = "score" if re.search("得分|评分|/自评|/上级", header) else "actual"
            state.rows.append(
                {
                    "person": name,
                    "indicator": indicator,
                    "section": None,
                    "weight": number(grid.at(r, paired), True) if paired is not None else weight,
                    "target": None,
                    "actual": (value if value is not None else text) if kind == "actual" else None,
                    "self_score": None,
                    "leader_score": None,
                    "score": value if kind == "score" else None,
                    "sheet": grid.sheet,
                    "row": r + 1,
                    "column": header,
                }
            )
        if total_col is not None and number(grid.at(r, total_col)) is not None:
            state.totals[name] = number(grid.at(r, total_col))
        if grade_col is not None and grid.at(r, grade_col):
            state.grades[name] = grid.at(r, grade_col)
    return end, person


def _stated(state, person, found, sheet, r) -> None:
    if "total" in found and number(found["total"][0]) is not None:
        state.totals[person] = number(found["total"][0])
    if "grade" in found and found["grade"][0]:
        state.grades[person] = found["grade"][0]


def _empty(path, grids, tables) -> Problem | None:
    """A workbook with no cells, or whose tables are headers with nothing under them."""
    if not any(any(row) for g in grids for row in g.cells):
        return Problem(
            _("{name} 是空的，读取的工作表里没有任何内容").format(name=path.name),
            _("确认导出的是这个月的数据；数据在别的工作表里时用 --sheet 或 targets_sheet 指定"),
            file=str(path),
            code="empty_file",
        )
    by_sheet = {g.sheet: g for g in grids}
    below = [
        (t, by_sheet[t["sheet"]], t["header_rows"][-1]) for t in tables if t["sheet"] in by_sheet
    ]
    if below and all(r >= len(g.cells) or g.blank(r) for _t, g, r in below):
        t = below[0][0]
        rows = "、".join(map(str, t["header_rows"]))
        return Problem(
            _("{name} 的工作表「{sheet}」第 {rows} 行是表头，下面没有数据行").format(
                name=path.name, sheet=t["sheet"], rows=rows
            ),
            _("在表头下面填上每人的数据，或换成填好数据的文件"),
            file=str(path),
            where=_("{sheet} 第 {row} 行").format(sheet=t["sheet"], row=rows),
            code="header_only",
        )
    return None


def _no_person(grid, r) -> Problem:
    return Problem(
        _(
            "{sheet} 第 {row} 行起的表没有姓名列，表上方也没有「姓名：」标注，工作表名也不是人名"
        ).format(sheet=grid.sheet, row=r + 1),
        _(
            "在表上方写一格「姓名：张三」，或把工作表命名为人名（如「研发部-李四」），"
            "或在 plan 的 columns: 里指明哪一列是姓名"
        ),
        where=_("{sheet} 第 {row} 行").format(sheet=grid.sheet, row=r + 1),
        code="no_person",
    )


def _no_table(path, grids) -> Problem:
    labels = [
        (g.sheet, r, cell)
        for g in grids
        for r in range(min(len(g.cells), 60))
        for cell in g.cells[r]
        if _LABEL.match(cell) and KIND_OF.get(normalize(_LABEL.match(cell).group(1))) == "person"
    ]
    if labels:
        sheet, r, cell = labels[0]
        return Problem(
            _(
                "{sheet} 第 {row} 行的「{cell}」是标注单元格，不是表头；其下没有找到考核项目表"
                "（需要 考核项目/指标 与 权重 或 得分 的表头行）"
            ).format(sheet=sheet, row=r + 1, cell=cell),
            _(
                "在项目表上方加一行表头（考核项目、权重、得分），"
                "或在 plan 的 columns: 里把表头映射到 指标/权重/得分"
            ),
            file=str(path),
            code="no_table",
        )
    return Problem(
        _(
            "前 60 行里没有找到表头行"
            "（需要 姓名/被考核人 或 考核项目/指标 列，外加 权重、目标值、实际值或得分）"
        ),
        _("在 plan 的 columns: 里把本文件的表头映射到 姓名、指标、权重、目标值、实际值 或 得分"),
        file=str(path),
        code="no_header",
    )


# ---------------------------------------------------------------- not appraisal data


_NEEDS = N_(
    "kit 需要的是考核数据：每人每个指标一行（姓名、指标、权重、目标值、实际值或得分），"
    "或每人一行、每个指标一列；见 docs/plan-format.md 与 kpi inspect 的示例"
)


def _not_appraisal(state: _State, grids) -> tuple[str, Problem] | None:
    """What a file that holds no appraisal data seems to be, as one problem."""
    rows = state.rows
    headers = {normalize(h).split("/")[-1] for h in state.header_map}
    all_cells = [t for g in grids for row in g.cells for t in row if t]
    what = None
    commission = sorted(h for h in headers if "提成" in h)
    if commission and not any(isinstance(r["weight"], float) for r in rows):
        what = _("销售提成核算表（有「{columns}」列，没有权重）").format(
            columns="」「".join(commission)
        )
    elif len(headers & _ROSTER_WORDS) >= 2:
        what = _("员工花名册（有「{columns}」列，没有指标和数值）").format(
            columns="、".join(sorted(headers & _ROSTER_WORDS))
        )
    elif "日期" in headers and _repeats_by_date(grids):
        what = _("每日流水记录（同一人按日期多行）")
    elif not rows and any(t.get("empty") for t in state.tables):
        what = _("评分标准表或 KPI 指标库（有考核项目和权重，没有得分和实际值）")
    elif (
        rows
        and any(r["actual"] == 0 or r["score"] == 0 for r in rows)  # not a targets-only file
        and all(
            (isinstance(r["actual"], float) and r["actual"] == 0 or r["actual"] is None)
            and (r["score"] in (0.0, None))
            for r in rows
        )
        and all(v in (0, 0.0) for v in state.totals.values())
    ):
        what = _("全是 0 的统计表（还没有填数，或是奖金台账）")
    elif not rows and all_cells and sum(len(t) for t in all_cells) / len(all_cells) > 25:
        what = _("文字材料（如自评、述职，没有数值表格）")
    if what is None:
        return None
    return what, Problem(
        _("这个文件看起来是{what}，不是考核数据").format(what=what),
        _(_NEEDS),
        file=state.file,
        code="not_appraisal",
    )


def _repeats_by_date(grids) -> bool:
    dates = re.compile(r"^\d{4}[-/年]\d{1,2}[-/月]\d{1,2}")
    return sum(1 for g in grids for row in g.cells for t in row if dates.match(t)) >= 5


def _roster(path) -> dict[str, str]:
    """工号 -> 姓名 from a roster file."""
    out = {}
    for g in load_grids(Path(path))[0]:
        for r in range(len(g.cells)):
            kinds = [classify(t)[0] if t else None for t in g.cells[r]]
            if "code" in kinds and "person" in kinds:
                code, name = kinds.index("code"), kinds.index("person")
                for rr in range(r + 1, len(g.cells)):
                    if g.at(rr, code) and g.at(rr, name):
                        out[g.at(rr, code)] = g.at(rr, name)
                break
    return out


# ---------------------------------------------------------------- to scoring


def to_inputs(reading: Reading, plan: Plan) -> dict:
    """The ``targets`` and ``actuals`` frames :func:`kpilib.engine.scoring.score` takes, from a
    reading: an item's actual is the sheet's given score for ``score`` rules (the
    leader's or the self score, as the rule's ``prefer`` says), else the actual.

    Raises
    ------
    DataError
        When the file could not be read, a row has no weight, or a given score is
        outside what its rule allows.
    """
    import pandas as pd

    from kpilib.engine.rules import GivenScore
    from kpilib.errors import raise_if

    problems = list(reading.problems)
    targets, actuals = [], []
    for row in reading.rows:
        where = {
            "file": _("{path}（工作表 {sheet}）").format(path=reading.file, sheet=row["sheet"]),
            "where": _("第 {row} 行").format(row=row["row"]),
            "person": row["person"],
        }
        item = row["indicator"]
        base = re.split(r"[/①-⑩]", item)[0]
        name = item if item in plan.indicators else base
        entry = plan.indicators.get(name)
        weight = row["weight"]
        if weight is None and entry is not None and entry.bonus:
            weight = 0.0
        if not isinstance(weight, float):
            problems.append(
                Problem(
                    _("「{item}」没有权重").format(item=item)
                    + (_("（读到 {got!r}）").format(got=weight) if weight else ""),
                    _("在权重列填上百分比，或在表头里写明权重（如「GMV 45%」）"),
                    column="权重",
                    code="no_weight",
                    **where,
                )
            )
            continue
        value = row["actual"]
        if entry is not None and isinstance(entry.rule, GivenScore):
            # a wide sheet's column of numbers is the score when the plan says so
            value = _chosen(row, entry.rule.prefer)
            value = value if value is not None else row["actual"]
            top = weight * plan.scale if entry.rule.given_as == "points" else entry.rule.out_of
            if isinstance(value, float) and not (0 <= value <= top + 1e-9):
                problems.append(
                    Problem(
                        _("「{item}」的评分 {value:g} 超出 0–{top:g}").format(
                            item=item, value=value, top=top
                        ),
                        _("核对评分；满分不是 100 时在规则里写 out_of，得分即分值时写 as: points"),
                        column="得分",
                        code="score_out_of_range",
                        **where,
                    )
                )
        target = row["target"] if isinstance(row["target"], float) else float("nan")
        targets.append(
            {
                "person": row["person"],
                "role": "",
                "english_name": "",
                "indicator": name,
                "item": item,
                "weight": weight,
                "target": target,
                "note": "",
                "_file": where["file"],
                "_row": row["row"],
            }
        )
        actuals.append(
            {
                "person": row["person"],
                "item": item,
                "value": "" if value is None else str(value),
                "_file": where["file"],
                "_row": row["row"],
                "_column": row["column"] or "实际值",
            }
        )
    raise_if(problems)
    columns = ["person", "item", "value", "_file", "_row", "_column"]
    return {
        "targets": pd.DataFrame(targets),
        "actuals": pd.DataFrame(actuals, columns=columns),
    }
