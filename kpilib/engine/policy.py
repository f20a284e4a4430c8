"""The plan's pay, calibration and consequence settings: their schema only.

They are part of a plan file, so they are validated when the plan loads; what
they compute (money, grades after quotas, flags over months) lives in
:mod:`kpilib.outcomes`. Conditions are :mod:`kpilib.engine.formula` expressions on a
person's month (``completion < 60%``), checked here.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, BeforeValidator, Field, field_validator, model_validator

from kpilib.engine.formula import Formula, FormulaError
from kpilib.parse import Fraction, Frozen

NAMES = ("total", "completion", "rank", "valid", "weighted_points", "bonus_points", "probation")


LABELS = {
    "total": "总分",
    "completion": "考核完成率",
    "rank": "名次",
    "valid": "有效",
    "weighted_points": "考核项得分",
    "bonus_points": "加减分",
    "probation": "试用期",
}


_NAME = re.compile(r"\b(" + "|".join(NAMES) + r")\b")


def shown(condition: str) -> str:
    """A condition as a report shows it: ``completion < 60%`` → ``考核完成率 < 60%``."""
    return _NAME.sub(lambda m: LABELS[m.group(1)], condition)


ITEM_LOOKUPS = ("points", "completion", "actual")


_LOOKUP_HELP = ", ".join(f'{fn}("item")' for fn in ITEM_LOOKUPS)


def parse_condition(text: str) -> Formula:
    """Parse a condition on a person's month; unknown names are errors listing the valid ones.

    Examples
    --------
    >>> parse_condition("completion < 60%").names
    frozenset({'completion'})
    """
    try:
        formula = Formula.parse(text)
    except FormulaError as exc:
        raise ValueError(str(exc)) from None
    unknown = sorted(formula.names - set(NAMES))
    if unknown:
        raise ValueError(
            f"condition {text!r} names unknown {', '.join(map(repr, unknown))}; "
            f"a condition may use {', '.join(NAMES)} and "
            f"{_LOOKUP_HELP}"
        )
    bad = sorted(fn for fn, _ in formula.lookups if fn not in ITEM_LOOKUPS)
    if bad:
        raise ValueError(
            f"condition {text!r}: {bad[0]}() is not available here; use {', '.join(ITEM_LOOKUPS)}"
        )
    return formula


def _valid_condition(value: str) -> str:
    parse_condition(value)
    return value


Condition = Annotated[str, AfterValidator(_valid_condition)]
"""A plan condition on a person's month (``completion < 60%``), checked when the plan loads."""


class ConsequenceRule(Frozen):
    """One consequence: a condition on a month and how matching months are counted."""

    name: str
    when: Condition
    over: Literal["month", "year", "consecutive", "window"] = "month"
    months: int = Field(default=1, ge=1, description="matching months it takes")
    window: int | None = Field(default=None, ge=1, description="window length, for over: window")
    fires: Literal["from", "once", "each"] = Field(
        default="from",
        description="from: every matching month once the count is reached; once: only "
        "when it is first reached (per year or streak); each: at every n-th "
        "matching month (one-off awards, 上不封顶)",
    )
    action: str = ""
    award: Decimal | None = Field(default=None, ge=0, description="yuan paid when it fires")
    seed: str | None = None

    @model_validator(mode="after")
    def _check(self):
        if (self.over == "window") != (self.window is not None):
            raise ValueError("window: is required for over: window, and only there")
        if self.window is not None and self.months > self.window:
            raise ValueError(f"months ({self.months}) cannot exceed window ({self.window})")
        return self


class Consequences(Frozen):
    """The plan's ``consequences:`` key."""

    probation: list[str] = Field(default=[], description="people on probation (试用期)")
    rules: list[ConsequenceRule] = []


FEN = Decimal("0.01")


def _money(value):
    # YAML gives floats: go through their text so 0.1 stays 0.1, not 0.1000000000000000055
    if isinstance(value, float | int):
        value = str(value)
    if isinstance(value, str):
        value = Decimal(value.replace(",", "").replace("元", "").strip())
    if isinstance(value, Decimal) and value != value.quantize(FEN):
        raise ValueError(f"{value} has more than two decimals; money is in yuan to the fen")
    return value


Money = Annotated[Decimal, BeforeValidator(_money)]


class Tier(Frozen):
    """Share of the base performance pay at or above a completion (含)."""

    min: Fraction | None = None
    share: Fraction = Field(ge=0)


class PayGate(Frozen):
    """When ``when`` holds for a person's month, no performance pay that month."""

    name: str
    when: Condition
    seed: str | None = None


class Pool(Frozen):
    """A bonus pool split by points (seed 002 #13: 单位积分奖金值 = 奖金包 / 积分总额)."""

    amount: Money | None = Field(default=None, description="yuan; can be given per month")
    deferred: dict[str, Fraction] = Field(default={}, description="role -> share deferred")
    default_deferred: Fraction = 0.0


class YearEndTier(Frozen):
    """``salary_months`` of base salary for ``months`` qualifying months or an annual score."""

    months: int | None = Field(default=None, ge=0)
    annual: float | None = None
    salary_months: Decimal = Field(ge=0)


class YearEnd(Frozen):
    """Year-end bonus (年底奖金) in months of base salary."""

    salary: dict[str, Money] = Field(description="role -> monthly base salary (基本工资)")
    qualifying: str | None = Field(default=None, description="condition for a qualifying month")
    tiers: list[YearEndTier] = Field(min_length=1)

    @field_validator("qualifying")
    @classmethod
    def _condition(cls, value):
        if value is not None:
            parse_condition(value)
        return value


class Pay(Frozen):
    """The plan's ``pay:`` key."""

    form: Literal["score", "points", "tiers"] = "score"
    base: dict[str, Money] = Field(default={}, description="role -> base performance pay (元)")
    per_point: Money = Decimal(1)
    cap: Money | None = None
    tiers: list[Tier] = []
    gates: list[PayGate] = []
    pool: Pool | None = None
    year_end: YearEnd | None = None
    # 绩效系数 by grade: performance pay × the factor of the person's (calibrated) grade
    grade_factor: dict[str, Fraction] = {}


TIE_KEYS = {
    "heaviest_completion": "权重最大项完成率",
    "completion": "考核完成率",
    "person": "姓名",
}


class Quota(Frozen):
    grade: str
    at_most: Fraction = Field(ge=0, le=1)
    to: str | None = Field(default=None, description="grade for the excess; default next down")


class Ratio(Frozen):
    """A grade's place in a forced distribution: an exact ``share`` or a ``min``/``max``."""

    grade: str
    share: Fraction | None = Field(default=None, ge=0, le=1)
    min: Fraction | None = Field(default=None, ge=0, le=1)
    max: Fraction | None = Field(default=None, ge=0, le=1)

    @model_validator(mode="after")
    def _check(self):
        if self.share is not None and (self.min is not None or self.max is not None):
            raise ValueError("give share, or min/max, not both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min:g} is above max {self.max:g}")
        return self


class Distribution(Frozen):
    """Forced distribution (考绩正态分布比率): grades by rank within a group."""

    ratios: list[Ratio] = Field(min_length=1)
    by: Literal["role"] | None = None
    ties: Literal["order", "up"] = "order"
    seed: str | None = None


class Calibration(Frozen):
    """The plan's ``calibration:`` key."""

    quotas: list[Quota] = []
    distribution: Distribution | None = None
    tie_break: list[Literal["heaviest_completion", "completion", "person"]] = [
        "heaviest_completion",
        "person",
    ]
