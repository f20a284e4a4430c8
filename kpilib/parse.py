"""Cell text to numbers, the way HR sheets and plan files write them.

``2,400,000``, ``70%``, full-width ``１２０％`` and numbers stored as text all read;
anything else is a problem naming its file, row, person and column. Pure: no files.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated

import numpy as np
import pandas as pd
from pydantic import BaseModel, BeforeValidator, ConfigDict

from kpilib.errors import Problem
from kpilib.i18n import _


class Frozen(BaseModel):
    """Base of every plan model: frozen (updated by copy, never in place), unknown keys refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")


def parse_fraction(value: object) -> object:
    """Accept ``1.2``, ``"120%"`` or ``"１２０％"`` for ratio-like parameters."""
    if isinstance(value, str):
        raw = unicodedata.normalize("NFKC", value).strip().replace(",", "")
        try:
            return float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
        except ValueError:  # Python's own words are English: say it in the kit's
            raise ValueError(
                _("{value!r} 不是数字或百分数；请写如 1.2 或 120%").format(value=value)
            ) from None
    return value


Fraction = Annotated[float, BeforeValidator(parse_fraction)]


# No figure of a monthly appraisal reaches 10^15 (a thousand trillion yuan): a number
# beyond it is a typo, an overflow or a float limit (1e308), never data.
LARGEST = 1e15


def to_number(
    frame: pd.DataFrame,
    column: str,
    *,
    label: str | None = None,
    allow_blank: bool = False,
    allow_negative: bool = False,
    percent_points: bool = False,
) -> tuple[pd.Series, list[Problem]]:
    """Parse a text column into floats, collecting a problem per bad cell.

    ``percent_points``: a bare number above 1 is read as percentage points
    (``70`` means 70%), as HR often writes weights. ``inf``, ``Infinity``,
    ``1e999`` and ``NaN`` (code ``non_finite``) and numbers beyond
    :data:`LARGEST` (code ``too_large``) are problems naming the cell.
    """
    if pd.api.types.is_numeric_dtype(frame[column]):  # numbers already: nothing to parse
        number = frame[column].astype(float)
        pct = bad = pd.Series(False, index=frame.index)
        blank = number.isna()
    else:
        text = (
            frame[column]
            .astype(str)
            .str.normalize("NFKC")
            .str.strip()
            .str.replace(",", "", regex=False)
            .str.replace(" ", "", regex=False)
        )
        pct = text.str.endswith("%")
        number = pd.to_numeric(text.str.rstrip("%"), errors="coerce").astype(float)
        number = number.where(~pct, number / 100)
        blank = text == ""
        # "nan" parses as NaN: a written not-a-number, not a blank cell
        written_nan = text.str.rstrip("%").str.lower().isin(["nan", "-nan", "+nan"])
        bad = number.isna() & ~blank & ~written_nan
    if percent_points:
        number = number.where(pct | ~(number > 1), number / 100)
    non_finite = np.isinf(number) | (number.isna() & ~blank & ~bad)
    too_large = ~non_finite & (number.abs() > LARGEST)
    negative = (number < 0) & ~np.asarray(allow_negative) & ~non_finite & ~too_large
    problems = []
    name = label or column
    for mask, what, fix, code in (
        (bad, _("{value!r} 不是数字"), _("填写数字，如 2400000 或 92.5%"), "not_a_number"),
        (blank & ~np.asarray(allow_blank), _("值为空"), _("填上这个值"), "blank"),
        (negative, _("{value!r} 是负数"), _("检查正负号；这一列只能填 0 或正数"), "negative"),
        (
            non_finite,
            _("{value!r} 不是有限的数（无穷大或 NaN）"),
            _("填写实际的数值，如 2400000 或 92.5%"),
            "non_finite",
        ),
        (
            too_large,
            _("{value!r} 超过 {largest:.0e}，不像真实的考核数据"),
            _("检查这个单元格（多打了位数，或公式溢出），填写实际的数值"),
            "too_large",
        ),
    ):
        for _index, row in frame[mask].iterrows():  # error path only: a handful of rows
            problems.append(
                Problem(
                    what.format(value=row[column], largest=LARGEST),
                    fix,
                    file=row["_file"],
                    where=_("第 {row} 行").format(row=row["_row"]),
                    person=row.get("person") or None,
                    column=row.get("_column", name),
                    code=code,
                )
            )
    return number, problems
