"""Writing workbooks with xlsxwriter: the results and payroll workbooks.

xlsxwriter writes a 100,000-row sheet in about a third of openpyxl's time
(``scripts/bench_workbooks.py``). What the module guarantees:

- text is always a text cell (``write_string``), never a formula, and text that a
  spreadsheet would read as one (``= + - @``) is also quote-prefixed, so retyping
  the cell in Excel does not turn it into a formula either;
- formats are made once per combination and shared;
- column widths measure only the cells that can be the widest (:func:`column_width`);
- every sheet prints: A4, fit to one page wide, header rows repeated, a print area.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from collections.abc import Iterable

    from xlsxwriter.format import Format
    from xlsxwriter.worksheet import Worksheet

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
HEADER_FILL = "#DDEBF7"
A4 = 9  # xlsxwriter's paper code


class Book:
    """An xlsxwriter workbook whose formats are made once per combination of properties.

    Parameters
    ----------
    path : path
        The ``.xlsx`` to write (written when :meth:`close` is called).
    """

    def __init__(self, path: str | Path):
        import xlsxwriter

        self.book = xlsxwriter.Workbook(
            str(path),
            # write() never guesses: no formulas, links or numbers made from text
            {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False},
        )
        self._formats: dict = {}

    def format(self, **props: object) -> Format:
        """The shared format for ``props`` (xlsxwriter property names), vertically centred."""
        props = {"valign": "vcenter", **props}
        key = tuple(sorted(props.items()))
        if key not in self._formats:
            self._formats[key] = self.book.add_format(props)
        return self._formats[key]

    def sheet(self, name: str) -> Worksheet:
        return self.book.add_worksheet(sheet_title(name))

    def close(self) -> None:
        self.book.close()


def cells(values: Iterable) -> list:
    """A column as Python values ready to write: ``None`` for blanks, floats for numbers.

    Decimals (yuan to the fen) become the nearest float, which Excel shows to the
    fen exactly; text stays text.
    """
    series = pd.Series(values, dtype=object)
    blank = series.isna().to_numpy()
    out = series.tolist()
    for i in np.flatnonzero(blank):
        out[i] = None
    return out


def write_column(
    book: Book,
    sheet: Worksheet,
    first_row: int,
    col: int,
    values: Iterable,
    number_format: str | None = None,
    **props: object,
) -> None:
    """Write ``values`` down column ``col`` from ``first_row`` (0-based).

    ``number_format`` is one Excel format for the column or a sequence, one per row;
    ``props`` are further format properties for every cell (``align="center"``).
    Strings are text cells; strings starting like a formula are quote-prefixed.
    """
    values = cells(values)
    per_row = number_format if isinstance(number_format, list | tuple | np.ndarray) else None
    plain = book.format(
        **props, **({"num_format": number_format} if per_row is None and number_format else {})
    )
    if per_row is not None:
        made = {f: book.format(**props, num_format=f) for f in set(per_row)}
        per_row = [made[f] for f in per_row]
    text = book.format(**props)
    quoted = book.format(**props, quote_prefix=True)
    write_string, write_number = sheet.write_string, sheet.write_number
    for r, value in enumerate(values, start=first_row):
        if value is None or value == "":  # a blank cell is no cell: smaller and faster
            continue
        if isinstance(value, str):
            write_string(r, col, value, quoted if value.startswith(FORMULA_START) else text)
        else:
            fmt = plain if per_row is None else per_row[r - first_row]
            write_number(r, col, float(value), fmt)


def header(book: Book, sheet: Worksheet, row: int, names: list[str]) -> None:
    """Bold, filled, centred, wrapped header cells."""
    fmt = book.format(bold=True, bg_color=HEADER_FILL, align="center", text_wrap=True, border=1)
    for col, name in enumerate(names):
        sheet.write_string(row, col, name, fmt)


def title(
    book: Book, sheet: Worksheet, text: str, last_col: int, row: int = 0, **props: object
) -> None:
    """A title across the table's width (merged), bold 13 pt unless ``props`` say otherwise."""
    fmt = book.format(**(props or {"bold": True, "font_size": 13}))
    if last_col > 0:
        sheet.merge_range(row, 0, row, last_col, text, fmt)
    else:
        sheet.write_string(row, 0, text, fmt)


# Unicode's wide and full-width blocks (East Asian Width W/F): CJK, kana, hangul,
# full-width forms, the common emoji. Two character units each in a column width;
# of the 62,000 assigned BMP characters it differs from unicodedata on 135 symbols
# (watch, zodiac, weather signs), which names and reasons do not contain.
WIDE = np.array(
    [
        (0x1100, 0x115F),
        (0x2E80, 0x303E),
        (0x3041, 0x33FF),
        (0x3400, 0x4DBF),
        (0x4E00, 0x9FFF),
        (0xA000, 0xA4CF),
        (0xAC00, 0xD7A3),
        (0xF900, 0xFAFF),
        (0xFE30, 0xFE4F),
        (0xFF00, 0xFF60),
        (0xFFE0, 0xFFE6),
        (0x16FE0, 0x18DFF),
        (0x1B000, 0x1B2FF),
        (0x1F300, 0x1F64F),
        (0x1F900, 0x1F9FF),
        (0x1FA70, 0x1FAFF),
        (0x20000, 0x3FFFD),
    ]
)


def display_widths(texts: Iterable[str]) -> np.ndarray:
    """Widths in Excel's character units, vectorized: a Chinese character counts two.

    Examples
    --------
    >>> display_widths(["渠道运营", "GMV 92.5%", ""]).tolist()
    [8, 9, 0]
    """
    chars = np.asarray(texts, dtype=str)
    if chars.size == 0:
        return np.zeros(0, dtype=int)
    codes = chars.reshape(-1, 1).view(np.uint32)  # one row of code points per text (0-padded)
    wide = np.zeros(codes.shape, dtype=bool)
    for low, high in WIDE:
        wide |= (codes >= low) & (codes <= high)
    return (codes > 0).sum(axis=1) + wide.sum(axis=1)


def display_width(text: str) -> int:
    """Width of one text in Excel's character units (see :func:`display_widths`)."""
    return int(display_widths([text])[0])


def _shown(value: float, number_format: str | None) -> str:
    """A number roughly as Excel shows it in ``number_format`` (for widths only)."""
    if number_format and number_format.endswith("%"):
        return f"{value * 100:,.1f}%"
    if number_format in ("0", "#,##0"):
        return f"{value:,.0f}"
    return f"{value:,.2f}"


def column_width(
    values: Iterable,
    number_format: str | None = None,
    header: str = "",
    low: int = 6,
    high: int = 60,
) -> float:
    """A column width that fits ``header`` and the widest value, within [low, high].

    Only the candidates for the widest cell are measured: a text of ``n``
    characters is ``n`` to ``2n`` wide, so a text shorter than half the longest
    cannot be the widest; of numbers, only the largest and the smallest.
    """
    series = pd.Series(cells(values), dtype=object).dropna()
    width = display_width(header)
    is_text = series.map(type).eq(str).to_numpy()
    texts = pd.unique(series[is_text].astype(str).to_numpy())
    if len(texts):
        lengths = pd.Series(texts).str.len().to_numpy()
        candidates = texts[lengths * 2 >= lengths.max()]
        width = max(width, int(display_widths(candidates).max()))
    numbers = pd.to_numeric(series[~is_text], errors="coerce").dropna()
    if len(numbers):
        fmt = number_format if isinstance(number_format, str) else None
        width = max(width, *(len(_shown(v, fmt)) for v in (numbers.max(), numbers.min())))
    return min(max(width + 2, low), high)


def line_counts(values: Iterable, width: int) -> np.ndarray:
    """Lines each text takes wrapped in a column ``width`` wide (1 for a blank).

    Only texts that may not fit (over half the width in characters) are measured.
    A Chinese character is counted two units wide, a little wider than printed, so
    the estimate errs towards a spare line rather than a clipped one.
    """
    texts = pd.Series(cells(values), dtype=object).fillna("").astype(str)
    lines = np.ones(len(texts), dtype=int)
    long = np.flatnonzero(texts.str.len().to_numpy() * 2 > width)
    lines[long] = -(-display_widths(texts.to_numpy()[long]) // width)
    return np.maximum(lines, 1)


def print_setup(sheet: Worksheet, last_row: int, last_col: int, repeat: tuple[int, int]) -> None:
    """A4 landscape, one page wide, rows ``repeat`` (0-based, inclusive) on every page."""
    sheet.set_paper(A4)
    sheet.set_landscape()
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(*repeat)
    sheet.print_area(0, 0, last_row, last_col)
    sheet.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)
    sheet.set_footer("&C第 &P 页，共 &N 页")


def money_sum(values: Iterable) -> Decimal:
    """Yuan added exactly, as the 合计 row shows it."""
    return sum((Decimal(str(v)) for v in values if v is not None and v == v), Decimal("0.00"))


def sheet_title(text: str) -> str:
    """``text`` as an Excel sheet name: none of ``\\ / ? * [ ] :``, at most 31 characters,
    not starting or ending with ``'`` (a plan name such as ``华东/华南区`` is common)."""
    cleaned = re.sub(r"[\\/?*\[\]:]", "_", str(text))[:31].strip("'")
    return cleaned or "Sheet1"
