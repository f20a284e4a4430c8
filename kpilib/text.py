"""Number formatting for reasons and reports: vectorized over unique values."""

from __future__ import annotations

import string
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime

    from numpy.typing import ArrayLike


def _map_unique(values, fmt, decimals: int = 4) -> np.ndarray:
    # Many rows share a target or a weight: format each distinct value once.
    # A value that shows as zero at ``decimals`` is zero, so nothing prints as "-0.0"
    # (−3.6e-15 from 29% × 100 − 29, or −0.0 itself)
    values = np.atleast_1d(np.asarray(values, dtype=float))
    codes, uniques = pd.factorize(np.where(np.abs(values) < 0.5 / 10**decimals, 0.0, values))
    texts = np.array([fmt(u) for u in uniques] + ["—"], dtype=object)
    return texts[codes]


def number(values: ArrayLike) -> np.ndarray:
    """``2160000 -> '2,160,000'``, ``0.125 -> '0.125'``, ``-3 -> '-3'``."""
    return _map_unique(values, lambda x: f"{x:,.4f}".rstrip("0").rstrip("."))


def points(values: ArrayLike) -> np.ndarray:
    """Points as stored (two decimals), showing at least one: ``63 -> '63.0'``, ``42.82``."""
    return _map_unique(
        values, lambda x: f"{x:,.2f}"[:-1] if f"{x:.2f}"[-1] == "0" else f"{x:,.2f}", 2
    )


def table_points(values: ArrayLike) -> np.ndarray:
    """Points in a report's tables and cards: always two decimals, so ``76.80`` lines up
    with ``74.42`` (a reason's arithmetic keeps :func:`points`)."""
    return _map_unique(values, lambda x: f"{x:,.2f}", 2)


def local_time(moment: str | datetime) -> str:
    """A time as people here read it, in this machine's time zone:
    ``2024-12-02T01:30:00+00:00`` → ``2024年12月2日 09:30:00`` (in UTC+8); text that is
    not an ISO time is returned as it is."""
    import datetime as dt

    try:
        value = moment if isinstance(moment, dt.datetime) else dt.datetime.fromisoformat(moment)
    except (TypeError, ValueError):
        return "" if moment is None else str(moment)
    value = value.astimezone()
    return f"{value.year}年{value.month}月{value.day}日 {value:%H:%M:%S}"


def percent(values: ArrayLike) -> np.ndarray:
    """Fractions as people write percentages: ``0.925 -> '92.5%'``."""
    return _map_unique(values, lambda x: f"{float(x) * 100:,.1f}%", 3)


def money(values: Iterable, signed: bool = False) -> np.ndarray:
    """Yuan to the fen: ``Decimal("3024.6") -> '3,024.60'``; ``+`` on gains if ``signed``.

    Works on Decimals (exact) as well as floats; a missing value shows as ``—``.
    """

    def fmt(v):
        if v is None or v != v:
            return "—"
        return f"{v:+,.2f}" if signed and v != 0 else f"{v:,.2f}"

    return np.array([fmt(v) for v in values], dtype=object)


def by_unit(values: ArrayLike, unit: str | None) -> np.ndarray:
    """Format an indicator's values in its unit: percentages for ``%``, else numbers."""
    return percent(values) if unit == "%" else number(values)


def cat(*parts: ArrayLike | str) -> np.ndarray:
    """Concatenate string arrays and scalars elementwise."""
    out = np.asarray(parts[0], dtype=object)
    for part in parts[1:]:
        out = out + np.asarray(part, dtype=object)
    return out


def fill(template: str, **values: ArrayLike | str) -> np.ndarray:
    """``template`` (a translated message) filled elementwise with arrays or scalars of
    text, so a reason built for every row is still one whole sentence in the catalog.

    >>> fill("{a} 落在 {b}", a=np.array(["1", "2"]), b="≤3 档").tolist()
    ['1 落在 ≤3 档', '2 落在 ≤3 档']
    """
    parts: list = [""]
    for literal, name, _spec, _conversion in string.Formatter().parse(template):
        parts.append(literal)
        if name is not None:
            parts.append(values[name])
    return cat(*parts)


# Surnames read otherwise than the character's common reading (pypinyin reads
# 曾 as céng, 单 as dān); a name's first character is read as a surname.
SURNAMES = {
    "曾": "zeng1",
    "单": "shan4",
    "解": "xie4",
    "仇": "qiu2",
    "朴": "piao2",
    "查": "zha1",
    "区": "ou1",
    "盖": "ge3",
    "乐": "yue4",
    "尉": "yu4",
    "覃": "qin2",
    "缪": "miao4",
    "翟": "zhai2",
    "秘": "bi4",
    "繁": "po2",
    "黑": "he4",
    "召": "shao4",
    "种": "chong2",
    "折": "she2",
    "员": "yun4",
    "华": "hua4",
}


def pinyin_key(names: pd.Series) -> pd.Series:
    """Sort key that orders Chinese names by pinyin, as a roster does: 安 < 白 < 陈 < 张.

    For ``sort_values(key=pinyin_key)``. The first character is read as a surname
    (曾 zēng, 单 shàn); tones break ties (李 lǐ before 栗 lì), then the characters
    themselves, so equal readings still sort the same way every time; Latin
    letters sort among the pinyin, case ignored.

    Examples
    --------
    >>> pd.Series(["张伟", "陈静", "曾志伟", "安琪", "Bob"]).sort_values(key=pinyin_key).tolist()
    ['安琪', 'Bob', '陈静', '曾志伟', '张伟']
    """
    from pypinyin import Style, lazy_pinyin

    def read(name: str) -> str:
        syllables = lazy_pinyin(name, style=Style.TONE3, neutral_tone_with_five=True)
        if name[:1] in SURNAMES:
            syllables[0] = SURNAMES[name[0]]
        return " ".join(syllables).lower() + "\x00" + name

    unique = pd.unique(names.astype(str))
    return names.astype(str).map({n: read(n) for n in unique})
