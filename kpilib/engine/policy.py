"""The plan's pay, calibration and consequence settings: their schema only.

They are part of a plan file, so they are validated when the plan loads; what
they compute (money, grades after quotas, flags over months) lives in
:mod:`kpilib.outcomes`. Conditions are :mod:`kpilib.engine.formula` expressions on a
person's month (``completion < 60%``), checked here.
"""

from __future__ import annotations

import ast
import re
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import AfterValidator, BeforeValidator, Field, field_validator, model_validator

from kpilib.engine.formula import Formula, FormulaError
from kpilib.i18n import N_, _
from kpilib.parse import Fraction, Frozen

if TYPE_CHECKING:
    from kpilib.engine.plan import Plan

NAMES = ("total", "completion", "rank", "valid", "weighted_points", "bonus_points", "probation")


LABELS = {  # shown through _()
    "total": N_("总分"),
    "completion": N_("考核完成率"),
    "rank": N_("名次"),
    "valid": N_("有效"),
    "weighted_points": N_("考核项得分"),
    "bonus_points": N_("加减分"),
    "probation": N_("试用期"),
}


_NAME = re.compile(r"\b(" + "|".join(NAMES) + r")\b")


def shown(condition: str, plan: Plan | None = None) -> str:
    """A condition in words, as a report shows it.

    Names become the report's labels, lookups the item's name, operators the signs
    people write; values compared with a percentage read as percentages, points
    carry 分. ``plan`` gives measures' units (``费用收缴率 < 0.75`` → ``< 75%``).

    Examples
    --------
    >>> shown("completion < 60%")
    '考核完成率 < 60%'
    >>> shown('section("部门考评") <= 51')
    '部门考评 ≤ 51 分'
    >>> shown('actual("执行力") >= 4 or total < 60')
    '执行力 ≥ 4 或 总分 < 60 分'
    """
    try:
        formula = Formula.parse(condition)
    except FormulaError:  # shown as written; the plan's validation names the problem
        return _NAME.sub(lambda m: _(LABELS[m.group(1)]), condition)
    return _Words(formula.aliases, plan).text(formula.tree.body)


_SIGNS = {"Lt": "<", "LtE": "≤", "Gt": ">", "GtE": "≥", "Eq": "=", "NotEq": "≠"}
_ARITHMETIC = {"Add": "+", "Sub": "-", "Mult": "×", "Div": "/"}
_POINTS = {"total", "weighted_points", "bonus_points"}
_LOOKUP_WORDS = {  # shown through _()
    "points": N_("{item}得分"),
    "completion": N_("{item}完成率"),
    "actual": "{item}",
    "section": "{item}",
}


class _Words:
    """Walks a parsed condition (:mod:`ast`) and writes it in words."""

    def __init__(self, aliases, plan):
        self.aliases, self.plan = aliases, plan

    def kind(self, node) -> str:
        """``%`` for a percentage, ``分`` for points, ``""`` otherwise."""
        if isinstance(node, ast.Name):
            name = self.aliases.get(node.id, node.id)
            if name == "completion":
                return "%"
            if name in _POINTS:
                return "分"
            unit = self.plan.unit(name) if self.plan is not None else None
            return "%" if unit == "%" else ""
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            fn, item = node.func.id, node.args[0].value
            if fn in ("section", "points"):
                return "分"
            if fn == "completion":
                return "%"
            if fn == "actual" and self.plan is not None and self.plan.unit(item) == "%":
                return "%"
        return ""

    def text(self, node, kind: str = "") -> str:
        op = type(getattr(node, "op", None)).__name__
        if isinstance(node, ast.Compare):
            kinds = [self.kind(n) for n in (node.left, *node.comparators)]
            kind = next((k for k in kinds if k), "")
            parts = [self.text(node.left, kind)]
            for sign, right in zip(node.ops, node.comparators, strict=True):
                parts += [_SIGNS[type(sign).__name__], self.text(right, kind)]
            return " ".join(parts)
        if isinstance(node, ast.BoolOp):
            joint = _(" 且 ") if op == "And" else _(" 或 ")
            return joint.join(self.text(v, kind) for v in node.values)
        if isinstance(node, ast.UnaryOp):
            inner = self.text(node.operand, kind)
            if op == "Not":
                return _("非（{condition}）").format(condition=inner)
            return f"-{inner}" if op == "USub" else inner
        if isinstance(node, ast.BinOp):
            if (  # 60% is parsed as (60/100)
                op == "Div"
                and isinstance(node.left, ast.Constant)
                and isinstance(node.right, ast.Constant)
                and node.right.value == 100
            ):
                return f"{node.left.value:g}%"
            left, right = self.text(node.left), self.text(node.right)
            return f"{left} {_ARITHMETIC.get(op, op)} {right}"
        if isinstance(node, ast.Name):
            name = self.aliases.get(node.id, node.id)
            return _(LABELS[name]) if name in LABELS else name
        if isinstance(node, ast.Call):
            fn = node.func.id
            if fn in _LOOKUP_WORDS and node.args and isinstance(node.args[0], ast.Constant):
                return _(_LOOKUP_WORDS[fn]).format(item=node.args[0].value)
            return f"{fn}({', '.join(self.text(a) for a in node.args)})"
        if isinstance(node, ast.Constant):
            value = float(node.value)
            if kind == "%":
                return f"{value * 100:g}%"
            if kind == "分":
                return _("{value} 分").format(value=f"{value:g}")
            return f"{value:g}"
        return ast.unparse(node)


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
            _(
                "条件 {condition!r} 用到不认识的名称 {names}；条件只能用 {allowed} 和 {lookups}"
            ).format(
                condition=text,
                names="、".join(map(repr, unknown)),
                allowed=", ".join(NAMES),
                lookups=_LOOKUP_HELP,
            )
        )
    if formula.group:
        raise ValueError(
            _(
                "条件 {condition!r} 用了 {functions}()：按部门统计的函数只能用在"
                "指标公式和 gates 中（这里的条件按月逐行判断，跨月统计会混在一起）"
            ).format(condition=text, functions="、".join(sorted(formula.group)))
        )
    bad = sorted(fn for fn, _arg in formula.lookups if fn not in ITEM_LOOKUPS)
    if bad:
        raise ValueError(
            _("条件 {condition!r}：这里不能用 {function}()；可用 {lookups}").format(
                condition=text, function=bad[0], lookups=", ".join(ITEM_LOOKUPS)
            )
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
            raise ValueError(_("over: window 必须写 window:，其他 over: 不写 window:"))
        if self.window is not None and self.months > self.window:
            raise ValueError(
                _("months（{months}）不能大于 window（{window}）").format(
                    months=self.months, window=self.window
                )
            )
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
        raise ValueError(_("{value} 超过两位小数；金额以元为单位，精确到分").format(value=value))
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
    # only for these roles (seed 002 mall: 事务主管 一个半月, 前台 一个月); empty: every role
    roles: list[str] = []


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


# ---- money beyond base × score (kpilib/outcomes/money.py computes them):
# fines       money per incident count (seed 002 mall: 第三次罚款50元,以此类推)
# commission  rate × amount in bands, accelerators above target, a cap
#             (seed 002 业绩提成比例; seed 003 提成点数)
# pools       several bonus pools split by points within a group and combined by
#             weights, or a group's mean × 调节系数 (seed 002 bank #13)
# deferral    the part above last year's bonus deferred, a loan topping up a bonus far
#             below it (seed 002 bank #13 五、调节机制)
# levels      a pay level carried from month to month (seed 002 regional sales:
#             降一级 / 晋升一级 / D级职位(试用期))


class Fine(Frozen):
    """A fine from an item's incident count: ``amount`` from the ``from``-th incident on.

    ``each: true`` fines every incident from the ``from``-th (以此类推); ``false`` fines
    once when the count reaches ``from``.
    """

    name: str
    item: str = Field(description="an indicator whose actual counts incidents (次)")
    start: int = Field(alias="from", ge=1)
    amount: Money = Field(gt=0)
    each: bool = True
    seed: str | None = None


class Band(Frozen):
    """A commission band: ``rate`` on the amount up to ``upto`` (share of the target) or
    ``upto_amount`` (yuan); the last band has neither."""

    upto: Fraction | None = Field(default=None, gt=0)
    upto_amount: Money | None = None
    rate: Fraction = Field(ge=0)

    @model_validator(mode="after")
    def _check(self):
        if self.upto is not None and self.upto_amount is not None:
            raise ValueError(_("一个档位只写 upto（目标的百分比）或 upto_amount（元）之一"))
        return self


class Commission(Frozen):
    """Commission (提成) on an item's actual amount, in bands.

    ``progressive: true`` (累进): each band's rate applies to the part of the amount
    inside the band; ``false``: the band the whole amount reaches sets one rate.
    """

    item: str
    bands: list[Band] = Field(min_length=1)
    progressive: bool = True
    cap: Money | None = None
    seed: str | None = None

    @model_validator(mode="after")
    def _check(self):
        *inner, last = self.bands
        if any(b.upto is None and b.upto_amount is None for b in inner):
            raise ValueError(_("只有最后一档可以不写上限（upto 或 upto_amount）"))
        if last.upto is not None or last.upto_amount is not None:
            raise ValueError(_("最后一档不写上限：它管上一档以上的全部金额"))
        if len({b.upto is None for b in inner}) > 1:
            raise ValueError(_("各档上限要么都写 upto（目标的百分比），要么都写 upto_amount（元）"))
        edges = [b.upto if b.upto is not None else b.upto_amount for b in inner]
        if any(b <= a for a, b in zip(edges, edges[1:], strict=False)):
            raise ValueError(_("档位上限 {edges} 必须逐档变大").format(edges=edges))
        return self


class BonusPool(Frozen):
    """One pool of several: split by points in its group, or a mean of another × 调节系数.

    ``split`` maps sections or items to weights (0.7 × 内控 + 0.3 × 服务): a person gets
    amount × Σ weight × own points / the group's points. ``mean_of`` names another
    pool (or ``all`` pools): the mean bonus there × ``coefficient`` (per role).
    ``paid`` is the share paid now (风险挂钩: the rest is deferred).
    """

    name: str
    roles: list[str] = Field(min_length=1)
    amount: Money | None = Field(default=None, gt=0)
    split: dict[str, Fraction] = {}
    mean_of: str | None = None
    coefficient: dict[str, Decimal] | Decimal = Decimal(1)
    paid: Fraction = Field(default=1.0, ge=0, le=1)
    seed: str | None = None

    @model_validator(mode="after")
    def _check(self):
        if (self.amount is None) == (self.mean_of is None):
            raise ValueError(
                _("奖金池 {name}：写 amount（按积分分配）或 mean_of（平均奖×系数）之一").format(
                    name=self.name
                )
            )
        if self.amount is not None and not self.split:
            raise ValueError(
                _("奖金池 {name}：按积分分配要写 split（板块或指标: 权重）").format(name=self.name)
            )
        if self.split and abs(sum(self.split.values()) - 1) > 1e-9:
            raise ValueError(
                _("奖金池 {name}：split 的权重合计 {total:g}，不是 100%").format(
                    name=self.name, total=sum(self.split.values())
                )
            )
        return self


class Deferral(Frozen):
    """Against last year's bonus of the same period (上年同期奖金):

    the part above ``above`` × last year's is deferred (延期支付, into the personal
    pool as a plus); a bonus under ``below`` × last year's is topped up to ``top_up``
    × last year's, of which up to ``lend`` × last year's is a loan (借支, into the
    personal pool as a minus) and the rest a grant.
    """

    above: Fraction = Field(default=1.0, gt=0)
    below: Fraction | None = Field(default=None, gt=0)
    top_up: Fraction | None = Field(default=None, gt=0)
    lend: Fraction | None = Field(default=None, ge=0)
    seed: str | None = None

    @model_validator(mode="after")
    def _check(self):
        if (self.below is None) != (self.top_up is None):
            raise ValueError(_("below 和 top_up 要一起写"))
        return self


class LevelRule(Frozen):
    """Move one level when ``when`` holds for ``months`` months running.

    In a period's pay (``periods.<kind>.pay.levels``) ``months`` counts that kind of
    period: ``months: 2`` under ``two_month`` is 连续2个考核区间.
    """

    when: Condition
    months: int = Field(default=1, ge=1)


class Reassign(LevelRule):
    """Leave the pay levels (seed 002 regional: 连续2个考核区间...低于85%,则地区主管不合格,
    则另行安排其他职位): no next level, ``action`` says what follows."""

    action: str = Field(min_length=1)


class Levels(Frozen):
    """Pay levels (薪酬等级) carried between months (or periods), best first in ``base``.

    Each month's level is the one carried from the month before (the first month:
    ``start`` for the person, else ``start`` for their role, else ``default``); ``down``
    and ``up`` decide the next; ``reassign`` takes the person off the levels.
    """

    base: dict[str, Money] = Field(min_length=2, description="level -> 月绩效薪酬 (元)")
    default: str
    # person or role -> level in their first month; a person's own entry wins
    start: dict[str, str] = {}
    down: LevelRule | None = None
    up: LevelRule | None = None
    reassign: Reassign | None = None
    seed: str | None = None

    @model_validator(mode="after")
    def _check(self):
        unknown = sorted({self.default, *self.start.values()} - set(self.base))
        if unknown:
            raise ValueError(
                _("等级 {unknown} 不在 base 中（{levels}）").format(
                    unknown="、".join(unknown), levels="、".join(self.base)
                )
            )
        return self


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
    # money beyond base × score (kpilib/outcomes/money.py)
    fines: list[Fine] = []
    commission: Commission | None = None
    pools: list[BonusPool] = []
    deferral: Deferral | None = None
    levels: Levels | None = None


TIE_KEYS = {
    "heaviest_completion": N_("权重最大项完成率"),
    "completion": N_("考核完成率"),
    "person": N_("姓名"),
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
            raise ValueError(_("写 share，或写 min/max，不能同时写"))
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(_("min {low:g} 大于 max {high:g}").format(low=self.min, high=self.max))
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
