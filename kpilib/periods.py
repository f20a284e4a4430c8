"""Appraisal periods (考核周期): a month, a two-month period, a quarter, a half-year, a year.

A period is written the way the CLI takes it (``--period``) and the store keeps it:

=========  ===============================  =====================
``2024-11``  month                          2024年11月
``2024-B6``  two-month period (Nov–Dec)     2024年第6考核区间（11–12月）
``2024-Q4``  quarter                        2024年第四季度
``2024-H2``  half-year                      2024年下半年
``2024``     year                           2024年度
=========  ===============================  =====================

Seed 002 (regional sales): 按每2个月的任务指标作为一个考核区间进行考核; seed 001:
月度考核 / 季度考核 / 年度考核; seed 002 (an enterprise plan): 一年二次 (年中 1/1–6/30,
年终 7/1–12/31) or 四次.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from kpilib.errors import Problem
from kpilib.i18n import N_, _


class Kind(StrEnum):
    """How long a period is, with its number of months."""

    month = "month"
    two_month = "two_month"
    quarter = "quarter"
    half = "half"
    year = "year"

    @property
    def months(self) -> int:
        return {"month": 1, "two_month": 2, "quarter": 3, "half": 6, "year": 12}[self.value]

    @property
    def label(self) -> str:
        """Chinese name of the kind: 月度, 双月, 季度, 半年度, 年度."""
        return _(_KIND_LABELS[self.value])


_KIND_LABELS = {
    "month": N_("月度"),
    "two_month": N_("双月"),
    "quarter": N_("季度"),
    "half": N_("半年度"),
    "year": N_("年度"),
}
_QUARTERS = {1: N_("第一季度"), 2: N_("第二季度"), 3: N_("第三季度"), 4: N_("第四季度")}
_LETTERS = {"B": Kind.two_month, "Q": Kind.quarter, "H": Kind.half}
_PATTERN = re.compile(r"(\d{4})(?:-(?:(0[1-9]|1[0-2])|([BQH])(\d{1,2})))?")


@dataclass(frozen=True, order=True)
class Period:
    """One appraisal period: a year, a kind and its number within the year (1-based).

    Examples
    --------
    >>> p = Period.parse("2024-B6")
    >>> p.months
    ('2024-11', '2024-12')
    >>> p.label
    '2024年第6考核区间（11–12月）'
    >>> Period.parse("2024-Q4").label, Period.parse("2024").key
    ('2024年第四季度', '2024')
    >>> Period.parse("2024-11").kind
    <Kind.month: 'month'>
    """

    year: int
    kind: Kind
    number: int = 1

    @classmethod
    def parse(cls, text: str) -> Period:
        """Read ``2024-11``, ``2024-B6``, ``2024-Q4``, ``2024-H2`` or ``2024``.

        Raises ``ValueError`` with a Chinese message naming the accepted forms.
        """
        match = _PATTERN.fullmatch(str(text).strip())
        if match is None:
            raise ValueError(_("{text!r} 不是考核周期；{forms}").format(text=text, forms=_(FORMS)))
        year, month, letter, number = match.groups()
        if month:
            return cls(int(year), Kind.month, int(month))
        if letter is None:
            return cls(int(year), Kind.year, 1)
        kind = _LETTERS[letter]
        count = 12 // kind.months
        if not 1 <= int(number) <= count:
            raise ValueError(
                _("{text!r}：{kind}编号只能是 1–{count}；{forms}").format(
                    text=text, kind=kind.label, count=count, forms=_(FORMS)
                )
            )
        return cls(int(year), kind, int(number))

    @classmethod
    def of_month(cls, month: str, kind: Kind) -> Period:
        """The period of ``kind`` that contains ``month`` (``YYYY-MM``)."""
        year, m = int(month[:4]), int(month[5:7])
        return cls(year, kind, (m - 1) // kind.months + 1)

    @property
    def key(self) -> str:
        """The period as written: ``2024-Q4`` (the store's and the CLI's form)."""
        if self.kind is Kind.month:
            return f"{self.year}-{self.number:02d}"
        if self.kind is Kind.year:
            return str(self.year)
        letter = {v: k for k, v in _LETTERS.items()}[self.kind]
        return f"{self.year}-{letter}{self.number}"

    @property
    def first_month(self) -> int:
        return (self.number - 1) * self.kind.months + 1

    @property
    def months(self) -> tuple[str, ...]:
        """The calendar months of the period, ``YYYY-MM``, oldest first."""
        first = self.first_month
        return tuple(f"{self.year}-{m:02d}" for m in range(first, first + self.kind.months))

    @property
    def label(self) -> str:
        """The period in Chinese: 2024年11月, 2024年第四季度, 2024年下半年, 2024年度."""
        y, n = self.year, self.number
        if self.kind is Kind.month:
            return _("{year}年{n}月").format(year=y, n=n)
        if self.kind is Kind.two_month:
            first = self.first_month
            return _("{year}年第{n}考核区间（{first}–{last}月）").format(
                year=y, n=n, first=first, last=first + 1
            )
        if self.kind is Kind.quarter:
            return _("{year}年{quarter}").format(year=y, quarter=_(_QUARTERS[n]))
        if self.kind is Kind.half:
            return (_("{year}年上半年") if n == 1 else _("{year}年下半年")).format(year=y)
        return _("{year}年度").format(year=y)

    @property
    def is_month(self) -> bool:
        return self.kind is Kind.month

    def fields(self) -> dict[str, str]:
        """The source-path fields of this period: ``{period}`` and ``{year}``
        (and ``{month}`` for a month)."""
        out = {"period": self.key, "year": str(self.year)}
        if self.is_month:
            out["month"] = self.key
        return out

    def __str__(self) -> str:
        return self.key


FORMS = N_(
    "请写成 2024-11（月）、2024-B6（双月，第6个两月区间即11–12月）、2024-Q4（季度）、"
    "2024-H2（半年）或 2024（全年）"
)


def period_problem(text: str, where: str = "") -> Problem:
    """The problem for an unreadable period ``text``."""
    return Problem(
        _("{text!r} 不是考核周期").format(text=text),
        _(FORMS),
        where=where or None,
        code="bad_period",
    )


__all__ = ["Period", "Kind", "period_problem", "FORMS"]
