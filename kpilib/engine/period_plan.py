"""The plan's ``periods:`` key: which longer periods a plan appraises and how each is made.

Schema only (validated when the plan loads); :mod:`kpilib.outcomes.rollup` computes
a period from months, :mod:`kpilib.period_results` stores and reads it. Keys are the
period kinds of :mod:`kpilib.periods` (``two_month``, ``quarter``, ``half``, ``year``)::

    periods:
      year:
        from: months        # rolled up from the stored months
        rollup: mean        # mean | sum | last | formula
        missing: exclude    # a month without the person's result: exclude | zero | incomplete
        voided: exclude     # a voided month (一票否决): exclude | zero
      two_month:
        from: actuals       # scored directly from the period's own files
        sources: {targets: ..., actuals: ../data/x/periods/{period}.csv}

Seed 002 mall (五): 全年考核成绩以全年检查得分的平均值为最终得分结果; seed 002 mall
(二): 本月考核成绩无效,同时也不计入本年度全年考核成绩 (voided: exclude).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from kpilib.engine.formula import Formula, FormulaError
from kpilib.engine.policy import Calibration, Condition, Pay
from kpilib.i18n import N_, _
from kpilib.parse import Frozen

if TYPE_CHECKING:
    from collections.abc import Iterable

# what a period's own conditions and formulas may name, per person
PERIOD_NAMES = (
    "total",
    "mean",
    "sum",
    "last",
    "first",
    "lowest",
    "highest",
    "months",
    "valid_months",
    "voided_months",
    "missing_months",
    "qualifying_months",
    "complete",
    "completion",
)
# what a period's rules may name: the stored period result
RULE_NAMES = (
    "total",
    "completion",
    "months",
    "valid_months",
    "voided_months",
    "missing_months",
    "qualifying_months",
    "complete",
)
PERIOD_LABELS = {
    "total": N_("周期得分"),
    "mean": N_("月均分"),
    "sum": N_("月分合计"),
    "last": N_("末月得分"),
    "first": N_("首月得分"),
    "lowest": N_("最低月分"),
    "highest": N_("最高月分"),
    "months": N_("计入月数"),
    "valid_months": N_("有效月数"),
    "voided_months": N_("无效月数"),
    "missing_months": N_("缺考核月数"),
    "qualifying_months": N_("达标月数"),
    "complete": N_("周期完整"),
    "completion": N_("完成率"),
}


def parse_period_formula(text: str, allowed: Iterable[str] = PERIOD_NAMES) -> Formula:
    """Parse a formula or condition over a period's names (:data:`PERIOD_NAMES`).

    Examples
    --------
    >>> sorted(parse_period_formula("0.5 * mean + 0.5 * last").names)
    ['last', 'mean']
    """
    try:
        formula = Formula.parse(text)
    except FormulaError as exc:
        raise ValueError(str(exc)) from None
    unknown = sorted(formula.names - set(allowed))
    if unknown or formula.lookups or formula.group:
        raise ValueError(
            _(
                "周期公式 {text!r} 用了 {used}；"
                "只能用 {allowed}（按人统计的周期数字）和 + - * / 比较"
            ).format(text=text, used="、".join(unknown) or _("函数"), allowed="、".join(allowed))
        )
    return formula


def _valid(value: str) -> str:
    parse_period_formula(value)
    return value


def _valid_rule(value: str) -> str:
    parse_period_formula(value, RULE_NAMES)
    return value


PeriodFormula = Annotated[str, AfterValidator(_valid)]
RuleCondition = Annotated[str, AfterValidator(_valid_rule)]


class PeriodGrade(Frozen):
    name: str
    min: float | None = None


class PeriodRule(Frozen):
    """A consequence of a period's result (seed 004: 年度绩效考核得分在80分以上的人员,
    有资格享受公司安排的提升培训): ``when`` a condition on the period, or ``grade`` a
    period grade (seed 001: 年度考核结果为优秀的员工,给予较高幅度的薪酬调升)."""

    name: str
    when: RuleCondition | None = None
    grade: str | None = None
    action: str = ""
    seed: str | None = None

    @model_validator(mode="after")
    def _check(self):
        if (self.when is None) == (self.grade is None):
            raise ValueError(
                _("周期结果应用 {name}：写 when（条件）或 grade（等级）之一").format(name=self.name)
            )
        return self


class PeriodSources(Frozen):
    """A period's own files (``from: actuals``); ``{period}`` is ``2024-B6``, ``2024-Q4``..."""

    targets: str
    targets_layout: Literal["hr", "long", "sheet"] = "hr"
    actuals: str
    incidents: str | None = None
    ratings: str | None = None


class PeriodSpec(Frozen):
    """How one kind of period is made and what follows from it."""

    source: Literal["months", "actuals"] = Field(default="months", alias="from")
    rollup: Literal["mean", "sum", "last", "formula"] = "mean"
    formula: PeriodFormula | None = None
    missing: Literal["exclude", "zero", "incomplete"] = "exclude"
    voided: Literal["exclude", "zero"] = "exclude"
    # a period whose months are not all scored is incomplete (not graded) unless this holds
    complete_if: PeriodFormula | None = None
    incomplete_grade: str = "未完整"
    # a qualifying month (seed 002 mall: 累计费用收缴率达96%——100%有十个月)
    qualifying: Condition | None = None
    grades: list[PeriodGrade] = []
    # grade quotas on the period (seed 004: 年度考核优秀等次...控制在...指标额度之内)
    calibration: Calibration | None = None
    sources: PeriodSources | None = None
    rules: list[PeriodRule] = []
    pay: Pay | None = None
    # the period's pay base is monthly: multiply by the period's months
    # (seed 002 regional: 按月度绩效薪酬标准乘以90%核算发放两个月的绩效薪酬)
    pay_per_month: bool = False
    seed: str | None = None

    @model_validator(mode="after")
    def _check(self):
        if (self.rollup == "formula") != (self.formula is not None):
            raise ValueError(_("rollup: formula 要写 formula:，且只有它写 formula:"))
        if (self.source == "actuals") != (self.sources is not None):
            raise ValueError(
                _("from: actuals 要写 sources:（周期自己的目标和实际值文件），且只有它写")
            )
        mins = [g.min for g in self.grades[:-1]]
        if any(m is None for m in mins):
            raise ValueError(_("grades：除最后一档外每档都要写 min"))
        if any(b >= a for a, b in zip(mins, mins[1:], strict=False)):
            raise ValueError(_("grades：min {mins} 必须逐档变小").format(mins=mins))
        return self


class Periods(Frozen):
    """The plan's ``periods:`` key, one entry per period kind."""

    two_month: PeriodSpec | None = None
    quarter: PeriodSpec | None = None
    half: PeriodSpec | None = None
    year: PeriodSpec | None = None

    def spec(self, kind: str) -> PeriodSpec | None:
        return getattr(self, kind, None)

    @property
    def kinds(self) -> list[str]:
        return [k for k in ("two_month", "quarter", "half", "year") if getattr(self, k)]


__all__ = [
    "Periods",
    "PeriodSpec",
    "PeriodRule",
    "PERIOD_NAMES",
    "RULE_NAMES",
    "PERIOD_LABELS",
    "parse_period_formula",
]
