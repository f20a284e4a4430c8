"""Rule types: how one indicator's actual becomes points.

Each rule is a frozen model (its parameters, validated when a plan loads) plus
one vectorized ``score`` over all of a plan's items that use it. A rule class owns
everything about its rule: ``label`` (its Chinese name), ``describe`` (the rule in
words for explanations), ``knobs`` (what the what-if panel may tweak, and the ranges),
``inputs`` (what each item reads: an actual, incidents or ratings) and ``weighted``
(whether it counts in the weights; bonus items do not). Subclassing :class:`Rule`
with a ``type`` registers the rule: no other module needs to know it. ``score`` takes
a frame with the columns ``full_points`` (the item's weight times the plan's
scale), ``target`` and ``actual`` (and ``deduction``/``share``/``detail`` for
incident and rating rules, aggregated by :mod:`kpilib.engine.scoring`) and returns the
columns ``completion``, ``points`` and ``reason``. No loop over people.

``RULES`` maps a plan's ``type:`` to its class; docs/plan-format.md shows an
example of each.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, ClassVar, Literal

import numpy as np
from pydantic import (
    BeforeValidator,
    ConfigDict,
    Field,
    SerializeAsAny,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

from kpilib import compare, text
from kpilib.engine import validation
from kpilib.i18n import N_, _
from kpilib.parse import Fraction, Frozen
from kpilib.rounding import round_points

if TYPE_CHECKING:
    from collections.abc import Mapping

    from numpy.typing import ArrayLike

    # a rule's input and output: named columns of equal length, as a DataFrame or a dict
    # of arrays (scoring passes plain arrays: building a DataFrame per indicator copies them)
    Columns = Mapping[str, ArrayLike]


@dataclass(frozen=True)
class Knob:
    """A rule parameter the what-if panel may change, with its label and slider range.

    ``percent`` parameters are fractions shown as percentages (``low``/``high`` in
    percent); ``optional`` ones may be switched off (``None``); ``edges`` is the list
    of a banded rule's edges.
    """

    label: str
    percent: bool = False
    low: float = 0.0
    high: float = 100.0
    optional: bool = False


def _pct(value) -> str:
    return text.percent([value])[0]


RULES: dict[str, type[Rule]] = {}


class Rule(Frozen):
    """Base of all rule types; a subclass with a ``type`` literal registers itself."""

    label: ClassVar[str] = ""
    inputs: ClassVar[Literal["actual", "incidents", "ratings"]] = "actual"
    weighted: ClassVar[bool] = True
    knobs: ClassVar[dict[str, Knob]] = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        annotation = cls.__annotations__.get("type")
        if annotation is not None:
            # a string under `from __future__ import annotations`, else typing.Literal[...]
            name = re.fullmatch(r"(?:typing\.)?Literal\[['\"](\w+)['\"]\]", str(annotation))
            if name is None:
                raise TypeError(f"{cls.__name__}.type must be Literal['name']")
            RULES[name.group(1)] = cls

    def describe(self, lower: bool = False, unit: str | None = None) -> str:
        """The rule in words, for explanations (``完成率 = 实际 / 目标，封顶 120%``)."""
        raise NotImplementedError

    def needs_target(self) -> bool:
        """Whether each item needs a target (``divides_by_target`` also forbids 0)."""
        return True

    def divides_by_target(self) -> bool:
        return self.needs_target()

    def score(self, items: Columns, lower: bool, unit: str | None, explain: bool = True) -> Columns:
        """Arrays completion, points and (if ``explain``) reason, for ``items``: the columns
        actual, target and full_points (incident and rating rules also deduction, share,
        detail)."""
        raise NotImplementedError

    def sql(self, lower: bool) -> tuple[str, str] | None:
        """Completion and points as SQL expressions (DuckDB) over the columns ``actual``,
        ``target`` and ``full_points`` of finite, checked inputs: the same numbers as
        :meth:`score`, written the same way step by step. ``None``: the rule has no SQL
        form and is scored by :meth:`score`."""
        return None


def _result(completion, points, reason) -> Columns:
    columns = {"completion": completion, "points": points}
    if reason is not None:  # numbers only (explain=False): no column of empty texts to build
        columns["reason"] = reason
    return columns


# SQL twins of compare.settle and round_points: DuckDB's round_even on a DOUBLE rounds half
# to even exactly as np.round does (tests/test_sql_scoring.py compares them on a million values)
def _lit(value: float) -> str:
    return f"CAST('{float(value)!r}' AS DOUBLE)"  # the shortest text that reads back exactly


def _settle_sql(expr: str) -> str:
    return f"(round_even({expr}, {compare.DECIMALS}) + 0.0)"


def _points_sql(expr: str) -> str:
    scaled = f"round_even(({expr}) * 100, 6)"
    return f"(sign({scaled}) * floor(abs({scaled}) + 0.5) / 100)"


class Ratio(Rule):
    """Completion = actual / target, clipped to [floor, cap]; points = weight × completion.

    ``zero_below``: completion under this scores nothing. Lower-is-better items use
    ``target / actual`` (``lower: inverse``, an actual of 0 earns the cap) or
    ``2 − actual / target`` (``lower: mirror``).
    """

    type: Literal["ratio"]
    label: ClassVar[str] = N_("完成率")
    knobs: ClassVar[dict[str, Knob]] = {
        "cap": Knob(N_("封顶"), percent=True, low=50, high=300, optional=True),
        "floor": Knob(N_("保底"), percent=True, low=0, high=100),
        "zero_below": Knob(N_("低于此完成率不得分"), percent=True, low=0, high=100, optional=True),
    }
    cap: Fraction | None = None
    floor: Fraction = 0.0
    zero_below: Fraction | None = None
    lower: Literal["inverse", "mirror"] = "inverse"

    @model_validator(mode="after")
    def _check(self):
        if self.cap is not None and self.cap < self.floor:
            raise ValueError(
                _("封顶 cap {cap:g} 低于保底 floor {floor:g}；封顶须不低于保底").format(
                    cap=self.cap, floor=self.floor
                )
            )
        if self.floor < 0:
            raise ValueError(
                _("保底 floor {floor:g} 是负数；请写 0 或更大").format(floor=self.floor)
            )
        return self

    def describe(self, lower: bool = False, unit: str | None = None) -> str:
        how = (
            (_("目标 / 实际") if self.lower == "inverse" else _("2 − 实际 / 目标"))
            if lower
            else _("实际 / 目标")
        )
        parts = [_("完成率 = {how}").format(how=how)]
        if self.cap is not None:
            parts.append(_("封顶 {cap}").format(cap=_pct(self.cap)))
        if self.floor:
            parts.append(_("保底 {floor}").format(floor=_pct(self.floor)))
        if self.zero_below is not None:
            parts.append(_("低于 {threshold} 不得分").format(threshold=_pct(self.zero_below)))
        return _("，").join(parts) + _("；得分 = 满分 × 完成率")

    def score(self, items: Columns, lower: bool, unit: str | None, explain: bool = True) -> Columns:
        actual, target = np.asarray(items["actual"], float), np.asarray(items["target"], float)
        if not lower:
            raw = actual / target
        elif self.lower == "mirror":
            raw = 2 - actual / target
        else:
            with np.errstate(divide="ignore", over="ignore"):
                raw = np.where(actual == 0, np.inf, target / np.where(actual == 0, 1, actual))
        cap = np.inf if self.cap is None else self.cap
        completion = np.clip(raw, self.floor, cap)
        zeroed = (
            compare.less(raw, self.zero_below)
            if self.zero_below is not None
            else np.zeros(len(raw), bool)
        )
        full = np.asarray(items["full_points"], float)
        points = round_points(np.where(zeroed, 0.0, full * completion))
        if not explain:
            return _result(completion, points, None)
        a, t = text.by_unit(actual, unit), text.by_unit(target, unit)
        shown = (
            text.cat(a, " / ", t)
            if not lower
            else text.cat("2 − ", a, " / ", t)
            if self.lower == "mirror"
            else text.cat(t, " / ", a)
        )
        shown_raw = np.where(np.isinf(raw), _("—(实际为 0)"), text.percent(raw))
        note = np.select(
            [zeroed, raw > cap, raw < self.floor],
            [
                text.fill(
                    _("，低于门槛 {threshold} → 0"), threshold=text.percent(self.zero_below or 0)
                ),
                text.fill(_("，封顶 {cap}"), cap=text.percent(cap)),
                text.fill(_("，保底 {floor}"), floor=text.percent(self.floor)),
            ],
            "",
        )
        tail = np.where(zeroed, "", text.cat(" × ", text.number(full), " = ", text.points(points)))
        return _result(completion, points, text.cat(shown, " = ", shown_raw, note, tail))

    def sql(self, lower: bool) -> tuple[str, str]:
        if not lower:
            raw = "(actual / target)"
        elif self.lower == "mirror":
            raw = "(2 - actual / target)"
        else:
            raw = f"(CASE WHEN actual = 0 THEN {_lit(np.inf)} ELSE target / actual END)"
        cap = np.inf if self.cap is None else self.cap
        completion = f"least(greatest({raw}, {_lit(self.floor)}), {_lit(cap)})"
        points = f"full_points * {completion}"
        if self.zero_below is not None:
            zeroed = f"{_settle_sql(raw)} < {_lit(compare.settle(self.zero_below))}"
            points = f"CASE WHEN {zeroed} THEN 0.0 ELSE {points} END"
        return completion, _points_sql(points)


class Count(Ratio):
    """Delivered tasks or items against a target count; a ratio capped at 100% by default."""

    type: Literal["count"]
    label: ClassVar[str] = N_("计数")
    cap: Fraction | None = 1.0


class Band(Frozen):
    at_most: Fraction | None = None
    at_least: Fraction | None = None
    share: Fraction = Field(description="share of the item's points in this band")

    @model_validator(mode="after")
    def _one_edge(self):
        if (self.at_most is None) == (self.at_least is None):
            raise ValueError(_("每一档须且只须写 at_most 或 at_least 之一"))
        return self


class Bands(Rule):
    """Banded scoring (分档): the first band the value falls in gives a share of the points.

    Edges are inclusive (含). Lower-is-better bands use ``at_most`` in ascending
    order, higher-is-better ``at_least`` in descending order. ``on`` scores the
    raw actual or the completion (actual / target).
    """

    type: Literal["bands"]
    label: ClassVar[str] = N_("分档")
    knobs: ClassVar[dict[str, Knob]] = {
        "edges": Knob(N_("档位边界")),
        "otherwise": Knob(N_("不在任何档"), percent=True, low=0, high=100),
    }
    on: Literal["actual", "completion"] = "actual"
    bands: list[Band] = Field(min_length=1)
    otherwise: Fraction = 0.0

    @model_validator(mode="after")
    def _ordered(self):
        kinds = {"at_most" if b.at_most is not None else "at_least" for b in self.bands}
        if len(kinds) > 1:
            raise ValueError(_("各档混用了 at_most 和 at_least；一条规则只用其中一种"))
        edges = [b.at_most if b.at_most is not None else b.at_least for b in self.bands]
        ascending = kinds == {"at_most"}
        pairs = zip(edges, edges[1:], strict=False)
        if any((b <= a) if ascending else (b >= a) for a, b in pairs):
            order = _("从小到大（at_most）") if ascending else _("从大到小（at_least）")
            raise ValueError(
                _("档位边界 {edges} 顺序不对；请按{order}排列").format(edges=edges, order=order)
            )
        return self

    def needs_target(self) -> bool:
        return self.on == "completion"

    def describe(self, lower: bool = False, unit: str | None = None) -> str:
        unit = "%" if self.on == "completion" else unit
        sign = "≤" if self.bands[0].at_most is not None else "≥"
        bands = _("、").join(
            f"{sign}{text.by_unit([b.at_most if b.at_most is not None else b.at_least], unit)[0]}"
            f" → {_pct(b.share)}"
            for b in self.bands
        )
        on = _("完成率") if self.on == "completion" else _("实际值")
        return _("分档（{on}，含边界）：{bands}，其余 → {otherwise}").format(
            on=on, bands=bands, otherwise=_pct(self.otherwise)
        )

    def score(self, items: Columns, lower: bool, unit: str | None, explain: bool = True) -> Columns:
        actual = np.asarray(items["actual"], float)
        value = actual / np.asarray(items["target"], float) if self.on == "completion" else actual
        shown_unit = "%" if self.on == "completion" else unit
        ascending = self.bands[0].at_most is not None
        edges = [b.at_most if ascending else b.at_least for b in self.bands]
        # edges are inclusive (含) at the precision the plan writes them: 1 − 7/10 is ≤ 30%
        within = compare.at_most if ascending else compare.at_least
        conditions = [within(value, e) for e in edges]
        share = np.select(conditions, [b.share for b in self.bands], self.otherwise)
        full = np.asarray(items["full_points"], float)
        points = round_points(full * share)
        completion = value if self.on == "completion" else share
        if not explain:
            return _result(completion, points, None)
        sign = "≤" if ascending else "≥"
        band_text = np.select(
            conditions,
            [
                _("{sign}{edge} 档").format(sign=sign, edge=text.by_unit([e], shown_unit)[0])
                for e in edges
            ],
            _("不在任何档"),
        )
        reason = text.fill(
            _("{value} 落在 {band} → {share} × {full} = {points}"),
            value=text.by_unit(value, shown_unit),
            band=band_text,
            share=text.percent(share),
            full=text.number(full),
            points=text.points(points),
        )
        return _result(completion, points, reason)

    def sql(self, lower: bool) -> tuple[str, str]:
        value = "(actual / target)" if self.on == "completion" else "actual"
        ascending = self.bands[0].at_most is not None
        sign = "<=" if ascending else ">="
        edges = [b.at_most if ascending else b.at_least for b in self.bands]
        share = " ".join(
            f"WHEN {_settle_sql(value)} {sign} {_lit(compare.settle(e))} THEN {_lit(b.share)}"
            for b, e in zip(self.bands, edges, strict=True)
        )
        share = f"(CASE {share} ELSE {_lit(self.otherwise)} END)"
        return (value if self.on == "completion" else share), _points_sql(f"full_points * {share}")


class Step(Rule):
    """Deduction per step of shortfall from the target (每低于目标 X 扣 Y 分).

    The shortfall is measured on the completion (``on: completion``: 1 − actual/target)
    or on the actual itself (``on: actual``: target − actual, reversed for
    lower-is-better). ``mode: whole`` counts whole steps only
    (10% short with a 10% step is one step, 9.9% is none); ``proportional``
    deducts for fractions of a step too. ``add`` gives points per step above
    the target, up to ``max_share`` of the item's points.
    """

    type: Literal["step"]
    label: ClassVar[str] = N_("扣分")
    knobs: ClassVar[dict[str, Knob]] = {
        "step": Knob(N_("每档")),
        "deduct": Knob(N_("每档扣分")),
        "add": Knob(N_("每档加分")),
        "max_share": Knob(N_("最多为满分的"), percent=True, low=100, high=300),
    }
    on: Literal["completion", "actual"] = "completion"
    step: Fraction = Field(gt=0)
    deduct: float = Field(gt=0)
    add: float = 0.0
    max_share: Fraction = 1.0
    mode: Literal["whole", "proportional"] = "whole"

    @model_validator(mode="after")
    def _check(self):
        if self.max_share < 1:
            raise ValueError(
                _("max_share {share:g} 小于 1；请写 1（100%）或更大").format(share=self.max_share)
            )
        return self

    def divides_by_target(self) -> bool:
        return self.on == "completion"

    def describe(self, lower: bool = False, unit: str | None = None) -> str:
        step = text.by_unit([self.step], "%" if self.on == "completion" else unit)[0]
        out = _("每低于目标 {step} 扣 {deduct} 分").format(step=step, deduct=f"{self.deduct:g}")
        if self.add:
            out += _("，每超过 {step} 加 {add} 分（至多满分的 {most}）").format(
                step=step, add=f"{self.add:g}", most=_pct(self.max_share)
            )
        return out + (_("（按比例）") if self.mode == "proportional" else _("（按整档）"))

    def score(self, items: Columns, lower: bool, unit: str | None, explain: bool = True) -> Columns:
        actual, target = np.asarray(items["actual"], float), np.asarray(items["target"], float)
        if self.on == "completion":
            gap = (actual / target - 1) * (-1 if lower else 1)
            shown_unit = "%"
        else:
            gap = (actual - target) * (-1 if lower else 1)
            shown_unit = unit
        # gap > 0 is above target, < 0 short of it; settle float noise such as 0.1/0.1
        gap = compare.settle(gap)
        steps = compare.settle(np.abs(gap) / self.step)
        if self.mode == "whole":
            steps = np.floor(steps)
        full = np.asarray(items["full_points"], float)
        change = np.where(gap < 0, -steps * self.deduct, steps * self.add)
        points = round_points(np.clip(full + change, 0, full * self.max_share))
        completion = actual / target if self.on == "completion" else points / full
        if not explain:
            return _result(completion, points, None)
        a, t = text.by_unit(actual, unit), text.by_unit(target, unit)
        gap_text = text.by_unit(np.abs(gap), shown_unit)
        step_text = text.by_unit([self.step], shown_unit)[0]
        # short of target is below it, or above it for lower-is-better (120,000 of bad
        # loans against a target of 0 is 高于目标)
        worse, better = (
            (
                _(
                    "{actual} 高于目标 {target}，超出 {gap}，"
                    "计 {steps} 档(每档 {step}) × 扣 {deduct} → {points}"
                ),
                _(
                    "{actual} 低于目标 {target}，少 {gap}，"
                    "计 {steps} 档(每档 {step}) × 加 {add} → {points}"
                ),
            )
            if lower
            else (
                _(
                    "{actual} 低于目标 {target}，差 {gap}，"
                    "计 {steps} 档(每档 {step}) × 扣 {deduct} → {points}"
                ),
                _(
                    "{actual} 高于目标 {target}，超 {gap}，"
                    "计 {steps} 档(每档 {step}) × 加 {add} → {points}"
                ),
            )
        )
        shown = {
            "actual": a,
            "target": t,
            "gap": gap_text,
            "steps": text.number(steps),
            "step": step_text,
            "deduct": f"{self.deduct:g}",
            "add": f"{self.add:g}",
            "points": text.points(points),
        }
        reason = np.select(
            [gap < 0, (gap > 0) & (self.add > 0)],
            [text.fill(worse, **shown), text.fill(better, **shown)],
            text.fill(_("{actual} 达到目标 {target} → 满分 {points}"), **shown),
        )
        return _result(completion, points, reason)

    def sql(self, lower: bool) -> tuple[str, str]:
        sign = -1 if lower else 1
        raw = "(actual / target - 1)" if self.on == "completion" else "(actual - target)"
        gap = _settle_sql(f"{raw} * {sign}")
        steps = _settle_sql(f"abs({gap}) / {_lit(self.step)}")
        if self.mode == "whole":
            steps = f"floor({steps})"
        less, more = f"-{steps} * {_lit(self.deduct)}", f"{steps} * {_lit(self.add)}"
        change = f"(CASE WHEN {gap} < 0 THEN {less} ELSE {more} END)"
        top = f"full_points * {_lit(self.max_share)}"
        points = _points_sql(f"least(greatest(full_points + {change}, 0), {top})")
        completion = "(actual / target)" if self.on == "completion" else f"({points} / full_points)"
        return completion, points


class IncidentKind(Frozen):
    """One kind of incident: a fixed deduction (with optional escalation) or a range.

    ``then_for`` says how escalation reads: ``rest`` (the default) charges ``then``
    only for the incidents past ``escalate_after`` (3 late arrivals = 1 + 1 + 3);
    ``all`` charges ``then`` for every incident once the count is past it
    (3 late arrivals = 3 × 3 = 9), as seed 002's bank plan words it.
    """

    points: float | None = Field(default=None, gt=0)
    escalate_after: int | None = Field(default=None, ge=0)
    then: float | None = Field(default=None, gt=0)
    then_for: Literal["rest", "all"] = "rest"
    min: float | None = Field(default=None, gt=0)
    max: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _check(self):
        ranged = self.min is not None or self.max is not None
        if ranged == (self.points is not None):
            raise ValueError(_("写 points（固定分值）或 min 和 max（范围），二者选一"))
        if ranged and (self.min is None or self.max is None or self.max < self.min):
            raise ValueError(_("范围扣分须 min 不大于 max"))
        if (self.escalate_after is None) != (self.then is None):
            raise ValueError(_("escalate_after 和 then 须一起写"))
        return self

    def cost(self, count: np.ndarray, given: ArrayLike) -> np.ndarray:
        """Deduction for ``count`` incidents.

        Fixed kinds charge their points per incident (escalated as ``then_for``
        says); ranged kinds charge ``given``: the points decided, summed over the
        incident rows as 次数 × 扣分 (4 incidents judged at 10 each: 40).
        """
        count = np.asarray(count, dtype=float)
        if self.points is None:
            return np.asarray(given, dtype=float)
        if self.escalate_after is None:
            return count * self.points
        past = count > self.escalate_after
        if self.then_for == "all":
            return np.where(past, count * self.then, count * self.points)
        first = np.minimum(count, self.escalate_after)
        return first * self.points + (count - first) * self.then


class Incidents(Rule):
    """Deduction per incident from the incidents table (扣分项).

    The item starts at its full points; each incident deducts its kind's points
    (more after ``escalate_after`` incidents); points stop at ``floor`` unless
    ``overdraft: true`` lets the deduction run on into the total (跨项目透支扣减).
    """

    type: Literal["incidents"]
    label: ClassVar[str] = N_("按事项扣分")
    inputs: ClassVar[str] = "incidents"
    knobs: ClassVar[dict[str, Knob]] = {"floor": Knob(N_("保底分"))}
    kinds: dict[str, IncidentKind] = Field(min_length=1)
    floor: float = 0.0
    overdraft: bool = False

    def needs_target(self) -> bool:
        return False

    def describe(self, lower: bool = False, unit: str | None = None) -> str:
        kinds = _("、").join(
            _("{name} 每次扣 {points}").format(name=name, points=f"{k.points:g}")
            + (
                _("，{after} 次以上每次扣 {then}").format(
                    after=k.escalate_after, then=f"{k.then:g}"
                )
                if k.escalate_after is not None
                else ""
            )
            if k.points is not None
            else _("{name} 扣 {min}-{max}").format(name=name, min=f"{k.min:g}", max=f"{k.max:g}")
            for name, k in self.kinds.items()
        )
        tail = (
            _("，可透支计入总分")
            if self.overdraft
            else _("，最低 {floor} 分").format(floor=f"{self.floor:g}")
        )
        return _("按事项扣分：{kinds}{tail}").format(kinds=kinds, tail=tail)

    def score(self, items: Columns, lower: bool, unit: str | None, explain: bool = True) -> Columns:
        full = np.asarray(items["full_points"], float)
        deduction = np.asarray(items["deduction"], float)
        # 29% × 100 − 29 is −3.6e-15 in floats: not an overdraft, not "−0.0"
        raw = compare.settle(full - deduction)
        points = round_points(raw if self.overdraft else np.maximum(raw, self.floor))
        if not explain:
            return _result(points / np.where(full == 0, 1, full), points, None)
        floored = (~np.asarray(self.overdraft)) & (raw < self.floor)
        reason = np.where(
            deduction == 0,
            text.fill(_("无扣分 → 满分 {full}"), full=text.points(full)),
            text.fill(
                _("{detail}，共扣 {deduction} → {full} − {deduction} = {raw}{floor}{overdraft}"),
                detail=np.asarray(items["detail"], object),
                deduction=text.number(deduction),
                full=text.number(full),
                raw=text.points(raw),
                floor=np.where(
                    floored, text.fill(_("，保底 {floor}"), floor=text.points(points)), ""
                ),
                overdraft=np.where(self.overdraft & (raw < 0), _("(透支计入总分)"), ""),
            ),
        )
        return _result(points / np.where(full == 0, 1, full), points, reason)


COMBINE_LABELS = {"mean": N_("平均"), "median": N_("取中位数"), "trimmed": N_("去掉最高最低后平均")}


class Rating(Rule):
    """Rated item (等级): each level is worth a share of the item's points.

    ``levels`` maps a level to its value on the scale whose top is full marks
    (优/良/中/差 = 20/15/10/5: 良 earns 15/20 of the points). ``raters`` weights
    several raters (360-degree); every rater must rate every person. ``combine``
    names the rater roles that may have several raters (同事互评) and how their
    level values are combined before the role's weight applies: ``mean``, ``median``
    or ``trimmed`` (去掉一个最高分和一个最低分后平均, from three raters on).
    """

    type: Literal["rating"]
    label: ClassVar[str] = N_("评级")
    inputs: ClassVar[str] = "ratings"
    levels: dict[str, float] = Field(min_length=2)
    raters: dict[str, Fraction] | None = None
    combine: dict[str, Literal["mean", "median", "trimmed"]] = {}

    def needs_target(self) -> bool:
        return False

    @model_validator(mode="after")
    def _check(self):
        if min(self.levels.values()) < 0:
            raise ValueError(_("各等级的分值须为 0 或更大"))
        if self.raters is not None and abs(sum(self.raters.values()) - 1) > 1e-9:
            total = sum(self.raters.values()) * 100
            raise ValueError(_("评价人权重合计 {total:g}%，不是 100%").format(total=total))
        unknown = sorted(set(self.combine) - set(self.raters or {"": 1}))
        if unknown:
            raise ValueError(
                _(
                    "combine 中的 {unknown} 不是 raters 里的评价人（{raters}）；"
                    "请先在 raters 下写上这个角色及其权重"
                ).format(
                    unknown="、".join(unknown) or _("(空)"),
                    raters="、".join(self.raters or {}) or _("无"),
                )
            )
        return self

    def describe(self, lower: bool = False, unit: str | None = None) -> str:
        levels = "/".join(self.levels)
        values = "/".join(f"{v:g}" for v in self.levels.values())
        raters = (
            _("；评价人 {raters}").format(
                raters=_("、").join(f"{r} {_pct(w)}" for r, w in self.raters.items())
            )
            if self.raters
            else ""
        )
        several = "".join(
            _("；{rater}多人{how}").format(rater=r, how=_(COMBINE_LABELS[how]))
            for r, how in self.combine.items()
        )
        return _("等级评分：{levels} = {values}{raters}{several}").format(
            levels=levels, values=values, raters=raters, several=several
        )

    def score(self, items: Columns, lower: bool, unit: str | None, explain: bool = True) -> Columns:
        full = np.asarray(items["full_points"], float)
        share = np.asarray(items["share"], float)
        points = round_points(full * share)
        if not explain:
            return _result(share, points, None)
        reason = text.cat(
            np.asarray(items["detail"], object),
            " → ",
            text.percent(share),
            " × ",
            text.number(full),
            " = ",
            text.points(points),
        )
        return _result(share, points, reason)


class Bonus(Rule):
    """Points outside the weights (加分项 or, with a negative ``per_unit``, 减分项).

    points = actual × per_unit, within [floor, cap]. A 0/1 flag derived by a
    formula (``差错次数 == 0``) with ``per_unit: 3`` gives "no errors: +3".
    """

    type: Literal["bonus"]
    label: ClassVar[str] = N_("加分")
    weighted: ClassVar[bool] = False
    knobs: ClassVar[dict[str, Knob]] = {
        "per_unit": Knob(N_("每单位分值")),
        "cap": Knob(N_("封顶")),
        "floor": Knob(N_("保底")),
    }
    per_unit: float
    cap: float | None = None
    floor: float | None = None

    def needs_target(self) -> bool:
        return False

    def describe(self, lower: bool = False, unit: str | None = None) -> str:
        out = _("加分项：每单位 {per_unit} 分").format(per_unit=f"{self.per_unit:g}")
        if self.cap is not None:
            out += _("，最多 {cap}").format(cap=f"{self.cap:g}")
        if self.floor is not None:
            out += _("，最少 {floor}").format(floor=f"{self.floor:g}")
        return out

    def score(self, items: Columns, lower: bool, unit: str | None, explain: bool = True) -> Columns:
        actual = np.asarray(items["actual"], float)
        raw = actual * self.per_unit
        points = round_points(
            np.clip(raw, self.floor, self.cap) if (self.cap, self.floor) != (None, None) else raw
        )
        if not explain:
            return _result(np.full(len(actual), np.nan), points, None)
        note = np.select(
            [
                raw > (self.cap if self.cap is not None else np.inf),
                raw < (self.floor if self.floor is not None else -np.inf),
            ],
            [_("，封顶 {cap}").format(cap=self.cap), _("，保底 {floor}").format(floor=self.floor)],
            "",
        )
        reason = text.cat(
            text.by_unit(actual, unit),
            f" × {self.per_unit:g} = ",
            text.points(raw),
            note,
            " → ",
            text.points(points),
        )
        return _result(np.full(len(actual), np.nan), points, reason)


class GivenScore(Rule):
    """The score the sheet already gives the item (自评, 上级评分): no target needed.

    ``as: percent`` (the default): the score is out of ``out_of`` (100) and
    points = full points × score / out_of; ``as: points``: the score is the points.
    ``prefer``: which score counts when a sheet has both, the leader's (上级评分,
    the default) or the self score (自评); the other is used only when it is blank.
    """

    model_config = ConfigDict(populate_by_name=True)
    type: Literal["score"]
    label: ClassVar[str] = N_("评分")
    given_as: Literal["percent", "points"] = Field("percent", alias="as")
    out_of: float = Field(100.0, gt=0)
    prefer: Literal["leader", "self"] = "leader"

    def needs_target(self) -> bool:
        return False

    def describe(self, lower: bool = False, unit: str | None = None) -> str:
        if self.given_as == "points":
            return _("表中给定的评分即得分")
        who = (
            _("上级评分优先，其次自评") if self.prefer == "leader" else _("自评优先，其次上级评分")
        )
        return _("表中给定的评分（满分 {out_of}）× 满分 / {out_of}；{who}").format(
            out_of=f"{self.out_of:g}", who=who
        )

    def top(self, full_points: np.ndarray) -> np.ndarray:
        """The highest score a sheet may give for an item of ``full_points``."""
        return full_points if self.given_as == "points" else np.full_like(full_points, self.out_of)

    def score(self, items: Columns, lower: bool, unit: str | None, explain: bool = True) -> Columns:
        given = np.asarray(items["actual"], float)
        full = np.asarray(items["full_points"], float)
        if self.given_as == "points":
            points = round_points(given)
        else:
            points = round_points(full * given / self.out_of)
        completion = points / np.where(full == 0, 1, full)
        if not explain:
            return _result(completion, points, None)
        if self.given_as == "points":
            reason = text.fill(
                _("评分 {given} 分（按分值计）→ {points}"),
                given=text.number(given),
                points=text.points(points),
            )
        else:
            reason = text.fill(
                _("评分 {given} / {out_of} × {full} = {points}"),
                given=text.number(given),
                out_of=f"{self.out_of:g}",
                full=text.number(full),
                points=text.points(points),
            )
        return _result(completion, points, reason)


def make_rule(value: object) -> Rule:
    """A rule from its plan mapping: ``{"type": "ratio", "cap": "120%"}`` → :class:`Ratio`."""
    if isinstance(value, Rule):
        return value
    tag = value.get("type") if isinstance(value, dict) else None
    if tag not in RULES:
        raise PydanticCustomError("unknown_rule_type", "unknown rule type {tag!r}", {"tag": tag})
    try:
        return RULES[tag].model_validate(value)
    except ValidationError as exc:  # keep the parameter's place: rule.bands.0: ...
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        message, fix = validation.message(first)
        raise PydanticCustomError(
            "rule_parameter",
            "{where}{message}",
            {
                "where": _("{where}：").format(where=where) if where else "",
                "message": message,
                "fix": fix,
            },
        ) from None


AnyRule = Annotated[SerializeAsAny[Rule], BeforeValidator(make_rule)]
"""A plan's ``rule:``: validated by the class its ``type`` names in :data:`RULES`."""


def outside_weights() -> list[str]:
    """Rule types whose points fall outside the weights (bonus items), as items' ``rule``."""
    return [name for name, cls in RULES.items() if not cls.weighted]


def ratio_types() -> list[str]:
    """Rule types whose completion is actual against target (:class:`Ratio` and kin)."""
    return [name for name, cls in RULES.items() if issubclass(cls, Ratio)]
