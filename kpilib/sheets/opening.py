"""Opening a data file before reading it: one clear Chinese error instead of a traceback.

What HR people hand over is not always what its name says: a 0-byte file, a CSV
renamed to ``.xlsx``, an ``.xls`` that an HR system exported as a web page, a
password-protected workbook, a workbook written by a program and never opened in
Excel (formulas with no computed value), a CSV saved as "Unicode text" (UTF-16,
tab-separated). :func:`open_workbook`, :func:`check_formulas` and :func:`csv_rows`
turn each into a :class:`~kpilib.errors.DataError` that names the file, what it
really is and what to do, for both readers (:mod:`kpilib.sheets.inputs` and
:mod:`kpilib.sheets.layout`).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING
from xml.etree import ElementTree

from kpilib.errors import DataError, Problem
from kpilib.i18n import N_, _

if TYPE_CHECKING:
    from python_calamine import CalamineWorkbook

SAVE_AS = N_("在 Excel 或 WPS 里打开它，另存为 .xlsx（或「CSV UTF-8（逗号分隔）」）再用")
# what a text file renamed to .xlsx is: it also takes the fix "rename it back to .csv"
TEXT_FILES = (
    N_("文本文件（UTF-16，多半是改了扩展名的 CSV 或「Unicode 文本」）"),
    N_("文本文件（多半是改了扩展名的 CSV）"),
)


def existing(path: str | Path) -> Path:
    """``path`` as a Path, or a DataError (``no_such_file``) when there is no such file."""
    path = Path(path)
    if not path.exists():
        raise DataError(
            Problem(
                _("文件 {path} 不存在").format(path=path),
                _("检查路径"),
                file=str(path),
                code="no_such_file",
            )
        )
    return path


def _what_it_is(data: bytes) -> str | None:
    """What the first bytes of a file say it is, when that is not a workbook."""
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if not data:
        return _("空文件（0 字节）")
    if head.startswith((b"<html", b"<!doctype html", b"<table", b"<?xml")) or b"<html" in head:
        return _("网页（HTML/XML）文件，只是扩展名是 Excel 的（很多 HR 系统这样导出）")
    if data.startswith((b"\xd0\xcf\x11\xe0", b"PK\x03\x04")):
        return None  # an OLE (.xls, or an encrypted .xlsx) or a zip (.xlsx) container
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _(TEXT_FILES[0])
    for encoding in ("utf-8", "gb18030"):
        try:  # incremental: a character cut at byte 4000 is not an error
            text = codecs.getincrementaldecoder(encoding)().decode(data[:4000])
        except UnicodeDecodeError:
            continue
        if not re.search(r"[\x00-\x08\x0e-\x1f]", text):
            return _(TEXT_FILES[1])
    return None


def open_workbook(path: Path) -> CalamineWorkbook:
    """A ``CalamineWorkbook`` for ``path``, or a DataError saying what the file really is.

    Raises
    ------
    DataError
        ``not_a_workbook`` (empty, text, web page, damaged), ``encrypted``
        (password-protected).
    """
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        return CalamineWorkbook.from_path(str(path))
    except (CalamineError, OSError, ValueError) as exc:
        data = path.read_bytes()
        what = _what_it_is(data)
        if (
            what is None
            and data.startswith(b"\xd0\xcf\x11\xe0")
            and b"EncryptedPackage" in (data.replace(b"\x00", b""))
        ):
            raise DataError(
                Problem(
                    _("{name} 设了打开密码，读不了").format(name=path.name),
                    _("在 Excel 或 WPS 里打开，去掉密码（文件 > 信息 > 保护工作簿）后另存为 .xlsx"),
                    file=str(path),
                    code="encrypted",
                )
            ) from None
        if what in map(_, TEXT_FILES):
            fix = _("把扩展名改回 .csv（{stem}.csv），或{save_as}").format(
                stem=path.stem, save_as=_(SAVE_AS)
            )
        else:
            fix = _(SAVE_AS)
        raise DataError(
            Problem(
                _("{name} 不是能读的 Excel 工作簿：它是{what}（{error}）").format(
                    name=path.name,
                    what=what or _("损坏的文件"),
                    error=f"{type(exc).__name__}: {exc}",
                ),
                fix,
                file=str(path),
                code="not_a_workbook",
            )
        ) from None


def sheet_cells(book: CalamineWorkbook, name: str, path: Path) -> tuple[object, list[list]]:
    """``(sheet, cells from A1)`` of one sheet, parsed once; a damaged sheet is a
    DataError naming it."""
    from python_calamine import CalamineError

    try:
        ws = book.get_sheet_by_name(name)
        return ws, ws.to_python(skip_empty_area=False)
    except (CalamineError, ValueError) as exc:
        raise DataError(
            Problem(
                _("{file} 的工作表「{name}」读不出来（{error}）").format(
                    file=path.name, name=name, error=exc
                ),
                _(SAVE_AS),
                file=str(path),
                where=_("工作表 {name}").format(name=name),
                code="not_a_workbook",
            )
        ) from None


_OOXML = (".xlsx", ".xlsm")
_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
SHOW = 5


def check_formulas(path: Path, sheets: list[str]) -> None:
    """Refuse formula cells that have no computed value in ``sheets`` of an .xlsx.

    A workbook written by a program (openpyxl, pandas) and never opened in Excel
    stores a formula without its result; every reader then sees an empty cell, and
    an empty actual would silently score as missing. Excel writes ``t="str"`` with an
    empty value for a formula whose result is the empty text (``IF(A1="","",A1)``):
    that is a value, not a missing one.
    """
    if path.suffix.lower() not in _OOXML:
        return
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        return  # open_workbook has already said what the file is
    with archive:
        targets = _sheet_parts(archive)
        parts = set(archive.namelist())  # once: namelist() builds a new list per call
        found = []
        for name in sheets:
            part = targets.get(name)
            if part is None or part not in parts:
                continue
            with archive.open(part) as raw:
                if b"<f" not in raw.read():
                    continue  # no formulas at all: the common case, no parsing
            with archive.open(part) as raw:
                found += [(name, ref) for ref in _uncached(raw)]
    if found:
        cells = "、".join(f"「{s}」{ref}" for s, ref in found[:SHOW])
        more = _(" 等 {count} 个单元格").format(count=len(found)) if len(found) > SHOW else ""
        raise DataError(
            Problem(
                _(
                    "{name} 的公式单元格 {cells}{more} 没有计算结果（文件由程序生成，"
                    "从未在 Excel 里打开保存过），读出来会是空的"
                ).format(name=path.name, cells=cells, more=more),
                _("在 Excel 或 WPS 里打开这个文件，保存一次（公式会算出结果），再运行"),
                file=str(path),
                where=f"{found[0][0]} {found[0][1]}",
                code="formula_without_value",
            )
        )


def _sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> its XML part (``xl/worksheets/sheet1.xml``)."""
    try:
        book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ElementTree.ParseError):
        return {}
    by_id = {}
    for rel in rels:
        target = rel.get("Target", "")
        target = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
        by_id[rel.get("Id")] = target
    return {s.get("name"): by_id.get(s.get(f"{_REL_NS}id"), "") for s in book.iter(f"{_NS}sheet")}


def _uncached(raw) -> list[str]:
    refs = []
    for _event, cell in ElementTree.iterparse(raw):
        if cell.tag != f"{_NS}c":
            continue
        if cell.find(f"{_NS}f") is not None:
            value = cell.find(f"{_NS}v")
            if value is None or (not value.text and cell.get("t") != "str"):
                refs.append(cell.get("r", "?"))
        cell.clear()
    return refs


def hidden_columns(path: Path) -> dict[str, frozenset[int]]:
    """The hidden columns (0-based) of each sheet of an .xlsx: WPS and Excel templates
    hide helper columns (a lookup 系数, a 工号 for VLOOKUP) that the analyst never sees
    and that must not become indicators. Other formats: none known."""
    if path.suffix.lower() not in _OOXML:
        return {}
    out = {}
    with zipfile.ZipFile(path) as archive:
        parts = set(archive.namelist())  # once: namelist() builds a new list per call
        for name, part in _sheet_parts(archive).items():
            if part not in parts:
                continue
            hidden = set()
            with archive.open(part) as raw:
                for _, element in ElementTree.iterparse(raw, events=("start",)):
                    if element.tag == f"{_NS}sheetData":
                        break  # <cols> comes before the cells: no need to read them
                    if element.tag == f"{_NS}col" and element.get("hidden") in ("1", "true"):
                        first, last = int(element.get("min", 1)), int(element.get("max", 1))
                        hidden.update(range(first - 1, min(last, 16384)))
            if hidden:
                out[name] = frozenset(hidden)
    return out


def csv_rows(text: str) -> list[list[str]]:
    """The rows of a decoded CSV: comma-separated, or tab- (semicolon-) separated when
    the header line has tabs (semicolons) and no comma, as Excel's "Unicode 文本"
    (UTF-16) and some exports write them."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = ","
    if "," not in first and "\t" in first:
        delimiter = "\t"
    elif "," not in first and ";" in first:
        delimiter = ";"
    return [[c.strip() for c in row] for row in csv.reader(io.StringIO(text), delimiter=delimiter)]


def empty_csv(path: Path, rows: list[list[str]], encoding: str | None) -> Problem | None:
    """A CSV with no cells, or with a header and no data rows: one problem, not dozens."""
    filled = [r for r in rows if any(c for c in r)]
    shown = _("（编码 {encoding}）").format(encoding=encoding)
    shown = shown if encoding and encoding != "UTF-8" else ""
    if not filled:
        return Problem(
            _("{name}{encoding} 是空的，没有任何内容").format(name=path.name, encoding=shown),
            _("确认导出的是这个月的数据，或重新从 Excel 另存为 CSV"),
            file=str(path),
            code="empty_file",
        )
    if len(filled) == 1:
        header = "、".join(c for c in filled[0] if c)[:60]
        return Problem(
            _("{name}{encoding} 只有表头（{header}），没有数据行").format(
                name=path.name, encoding=shown, header=header
            ),
            _("在表头下面填上每人的数据，或换成填好数据的文件"),
            file=str(path),
            where=_("第 {row} 行").format(row=1),
            code="header_only",
        )
    return None
