"""Rule types: how one indicator's actual becomes points.

Each rule is a frozen model (its parameters, validated when a plan loads) plus
one vectorized ``score`` over all of a plan's items that use it. ``score`` takes
a frame with the columns ``full_points`` (the item's weight times the plan's
scale), ``target`` and ``actual`` (and ``deduction``/``share``/``detail`` for
incident and rating rules, aggregated by :mod:`kpilib.scoring`) and returns the
columns ``completion``, ``points`` and ``reason``. No loop over people.

``RULES`` maps a plan's ``type:`` to its class; docs/plan-format.md shows an
example of each.
"""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from kpilib import compare, text


def parse_fraction(value):
    """Accept ``1.2``, ``"120%"`` or ``"１２０％"`` for ratio-like parameters."""
    if isinstance(value, str):
        import unicodedata

        raw = unicodedata.normalize("NFKC", value).strip().replace(",", "")
        if raw.endswith("%"):
            return float(raw[:-1]) / 100
        return float(raw)
    return value


Fraction = Annotated[float, BeforeValidator(parse_fraction)]


def round_points(values):
    """Round to 0.01 point the way Excel's ROUND does: half away from zero, on the
    decimal value (0.7635 × 10 = 7.635 → 7.64, though the float is 7.63499...)."""
    scaled = np.round(np.asarray(values, dtype=float) * 100, 6)
    return np.sign(scaled) * np.floor(np.abs(scaled) + 0.5) / 100


class Rule(BaseModel):
    """Base of all rule types."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    def needs_target(self) -> bool:
        """Whether each item needs a target (``divides_by_target`` also forbids 0)."""
        return True

    def divides_by_target(self) -> bool:
        return self.needs_target()

    def score(
        self, items: pd.DataFrame, lower: bool, unit: str | None, explain: bool = True
    ) -> pd.DataFrame:
        """Columns completion, points and (if ``explain``) reason, for ``items``."""
        raise NotImplementedError


def _result(completion, points, reason) -> pd.DataFrame:
    return pd.DataFrame({"completion": completion, "points": points, "reason": reason})


class Ratio(Rule):
    """Completion = actual / target, clipped to [floor, cap]; points = weight × completion.

    ``zero_below``: completion under this scores nothing. Lower-is-better items use
    ``target / actual`` (``lower: inverse``, an actual of 0 earns the cap) or
    ``2 − actual / target`` (``lower: mirror``).
    """

    type: Literal["ratio"]
    cap: Fraction | None = None
    floor: Fraction = 0.0
    zero_below: Fraction | None = None
    lower: Literal["inverse", "mirror"] = "inverse"

    @model_validator(mode="after")
    def _check(self):
        if self.cap is not None and self.cap < self.floor:
            raise ValueError(
                f"cap {self.cap:g} is below floor {self.floor:g}; cap must be >= floor"
            )
        if self.floor < 0:
            raise ValueError(f"floor {self.floor:g} is negative; use 0 or more")
        return self

    def score(self, items, lower, unit, explain=True):
        actual, target = items["actual"].to_numpy(float), items["target"].to_numpy(float)
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
        full = items["full_points"].to_numpy(float)
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
        shown_raw = np.where(np.isinf(raw), "—(实际为 0)", text.percent(raw))
        note = np.select(
            [zeroed, raw > cap, raw < self.floor],
            [
                text.cat("，低于门槛 ", text.percent(self.zero_below or 0), " → 0"),
                text.cat("，封顶 ", text.percent(cap)),
                text.cat("，保底 ", text.percent(self.floor)),
            ],
            "",
        )
        tail = np.where(zeroed, "", text.cat(" × ", text.number(full), " = ", text.points(points)))
        return _result(completion, points, text.cat(shown, " = ", shown_raw, note, tail))


class Count(Ratio):
    """Delivered tasks or items against a target count; a ratio capped at 100% by default."""

    type: Literal["count"]
    cap: Fraction | None = 1.0


class Band(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    at_most: Fraction | None = None
    at_least: Fraction | None = None
    share: Fraction = Field(description="share of the item's points in this band")

    @model_validator(mode="after")
    def _one_edge(self):
        if (self.at_most is None) == (self.at_least is None):
            raise ValueError("each band needs exactly one of at_most or at_least")
        return self


class Bands(Rule):
    """Banded scoring (分档): the first band the value falls in gives a share of the points.

    Edges are inclusive (含). Lower-is-better bands use ``at_most`` in ascending
    order, higher-is-better ``at_least`` in descending order. ``on`` scores the
    raw actual or the completion (actual / target).
    """

    type: Literal["bands"]
    on: Literal["actual", "completion"] = "actual"
    bands: list[Band] = Field(min_length=1)
    otherwise: Fraction = 0.0

    @model_validator(mode="after")
    def _ordered(self):
        kinds = {"at_most" if b.at_most is not None else "at_least" for b in self.bands}
        if len(kinds) > 1:
            raise ValueError("bands mix at_most and at_least; use one kind in one rule")
        edges = [b.at_most if b.at_most is not None else b.at_least for b in self.bands]
        ascending = kinds == {"at_most"}
        pairs = zip(edges, edges[1:], strict=False)
        if any((b <= a) if ascending else (b >= a) for a, b in pairs):
            order = "ascending (at_most)" if ascending else "descending (at_least)"
            raise ValueError(f"band edges {edges} are out of order; list them {order}")
        return self

    def needs_target(self):
        return self.on == "completion"

    def score(self, items, lower, unit, explain=True):
        actual = items["actual"].to_numpy(float)
        value = actual / items["target"].to_numpy(float) if self.on == "completion" else actual
        shown_unit = "%" if self.on == "completion" else unit
        ascending = self.bands[0].at_most is not None
        edges = [b.at_most if ascending else b.at_least for b in self.bands]
        # edges are inclusive (含) at the precision the plan writes them: 1 − 7/10 is ≤ 30%
        within = compare.at_most if ascending else compare.at_least
        conditions = [within(value, e) for e in edges]
        share = np.select(conditions, [b.share for b in self.bands], self.otherwise)
        full = items["full_points"].to_numpy(float)
        points = round_points(full * share)
        completion = value if self.on == "completion" else share
        if not explain:
            return _result(completion, points, None)
        sign = "≤" if ascending else "≥"
        band_text = np.select(
            conditions,
            [f"{sign}{text.by_unit([e], shown_unit)[0]} 档" for e in edges],
            "不在任何档",
        )
        reason = text.cat(
            text.by_unit(value, shown_unit),
            " 落在 ",
            band_text,
            " → ",
            text.percent(share),
            " × ",
            text.number(full),
            " = ",
            text.points(points),
        )
        return _result(completion, points, reason)


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
    on: Literal["completion", "actual"] = "completion"
    step: Fraction = Field(gt=0)
    deduct: float = Field(gt=0)
    add: float = 0.0
    max_share: Fraction = 1.0
    mode: Literal["whole", "proportional"] = "whole"

    @model_validator(mode="after")
    def _check(self):
        if self.max_share < 1:
            raise ValueError(f"max_share {self.max_share:g} is below 1; use 1 (100%) or more")
        return self

    def divides_by_target(self):
        return self.on == "completion"

    def score(self, items, lower, unit, explain=True):
        actual, target = items["actual"].to_numpy(float), items["target"].to_numpy(float)
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
        full = items["full_points"].to_numpy(float)
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
        (worse, short), (better, over) = (
            (("高于", "超出"), ("低于", "少")) if lower else (("低于", "差"), ("高于", "超"))
        )
        reason = np.select(
            [gap < 0, (gap > 0) & (self.add > 0)],
            [
                text.cat(
                    a,
                    f" {worse}目标 ",
                    t,
                    f"，{short} ",
                    gap_text,
                    "，计 ",
                    text.number(steps),
                    f" 档(每档 {step_text}) × 扣 {self.deduct:g} → ",
                    text.points(points),
                ),
                text.cat(
                    a,
                    f" {better}目标 ",
                    t,
                    f"，{over} ",
                    gap_text,
                    "，计 ",
                    text.number(steps),
                    f" 档(每档 {step_text}) × 加 {self.add:g} → ",
                    text.points(points),
                ),
            ],
            text.cat(a, " 达到目标 ", t, " → 满分 ", text.points(points)),
        )
        return _result(completion, points, reason)


class IncidentKind(BaseModel):
    """One kind of incident: a fixed deduction (with optional escalation) or a range.

    ``then_for`` says how escalation reads: ``rest`` (the default) charges ``then``
    only for the incidents past ``escalate_after`` (3 late arrivals = 1 + 1 + 3);
    ``all`` charges ``then`` for every incident once the count is past it
    (3 late arrivals = 3 × 3 = 9), as seed 002's bank plan words it.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")
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
            raise ValueError("give either points (fixed) or min and max (a range)")
        if ranged and (self.min is None or self.max is None or self.max < self.min):
            raise ValueError("a ranged kind needs min <= max")
        if (self.escalate_after is None) != (self.then is None):
            raise ValueError("escalate_after and then go together")
        return self

    def cost(self, count, given):
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
    kinds: dict[str, IncidentKind] = Field(min_length=1)
    floor: float = 0.0
    overdraft: bool = False

    def needs_target(self):
        return False

    def score(self, items, lower, unit, explain=True):
        full = items["full_points"].to_numpy(float)
        deduction = items["deduction"].to_numpy(float)
        # 29% × 100 − 29 is −3.6e-15 in floats: not an overdraft, not "−0.0"
        raw = compare.settle(full - deduction)
        points = round_points(raw if self.overdraft else np.maximum(raw, self.floor))
        if not explain:
            return _result(points / np.where(full == 0, 1, full), points, None)
        floored = (~np.asarray(self.overdraft)) & (raw < self.floor)
        reason = np.where(
            deduction == 0,
            text.cat("无扣分 → 满分 ", text.points(full)),
            text.cat(
                items["detail"].to_numpy(object),
                "，共扣 ",
                text.number(deduction),
                " → ",
                text.number(full),
                " − ",
                text.number(deduction),
                " = ",
                text.points(raw),
                np.where(floored, text.cat("，保底 ", text.points(points)), ""),
                np.where(self.overdraft & (raw < 0), "(透支计入总分)", ""),
            ),
        )
        return _result(points / np.where(full == 0, 1, full), points, reason)


class Rating(Rule):
    """Rated item (等级): each level is worth a share of the item's points.

    ``levels`` maps a level to its value on the scale whose top is full marks
    (优/良/中/差 = 20/15/10/5: 良 earns 15/20 of the points). ``raters`` weights
    several raters (360-degree); every rater must rate every person.
    """

    type: Literal["rating"]
    levels: dict[str, float] = Field(min_length=2)
    raters: dict[str, Fraction] | None = None

    def needs_target(self):
        return False

    @model_validator(mode="after")
    def _check(self):
        if min(self.levels.values()) < 0:
            raise ValueError("level values must be 0 or more")
        if self.raters is not None and abs(sum(self.raters.values()) - 1) > 1e-9:
            total = sum(self.raters.values()) * 100
            raise ValueError(f"rater weights add up to {total:g}%, not 100%")
        return self

    def score(self, items, lower, unit, explain=True):
        full = items["full_points"].to_numpy(float)
        share = items["share"].to_numpy(float)
        points = round_points(full * share)
        if not explain:
            return _result(share, points, None)
        reason = text.cat(
            items["detail"].to_numpy(object),
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
    per_unit: float
    cap: float | None = None
    floor: float | None = None

    def needs_target(self):
        return False

    def score(self, items, lower, unit, explain=True):
        actual = items["actual"].to_numpy(float)
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
            [f"，封顶 {self.cap}", f"，保底 {self.floor}"],
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


RULES = {
    cls.model_fields["type"].annotation.__args__[0]: cls
    for cls in (Ratio, Count, Bands, Step, Incidents, Rating, Bonus)
}
AnyRule = Annotated[
    Ratio | Count | Bands | Step | Incidents | Rating | Bonus, Field(discriminator="type")
]
