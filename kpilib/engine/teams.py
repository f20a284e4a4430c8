"""Rules that look across a person's items or across people: block caps, staff dates,
exclusions, grade ceilings, team actuals and derived targets.

Each is a plan key (docs/plan-format.md) with its schema here and one vectorized
function that :mod:`kpilib.engine.scoring` calls at one clear place:

``sections:``       a cap or floor on a block of items (seed 002 bank 客户经理:
                    考核任务指标(80%),按照完成比例计算得分,最高比例控制130%)
``staff:``          入职日期 and 转正日期 per person: probation and tenure per month
``exclusions:``     people left out of ranking, quotas and team statistics for a month,
                    without voiding it (seed 002: 下列人员不参加考核: 试用未满者)
``grade_ceilings:`` the best grade a condition allows (seed 002: 新进人员第一次考核成绩
                    不得高于二等)
``team:``           an indicator's actual aggregated over other people (seed 002: 对各级
                    主管之工作实绩品质,以该所属全体实绩为实绩)
``target_of:``      a target as a share of another item's target (seed 000: 华南区域KA
                    客户GMV（区域总GMV目标的70%）)

Pure: no files, no store.
"""

from __future__ import annotations

import datetime as dt
import difflib
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd
from pydantic import ConfigDict, Field, model_validator

from kpilib import compare, text
from kpilib.engine.formula import Formula, FormulaError
from kpilib.engine.rules import round_points
from kpilib.errors import DataError, Problem
from kpilib.i18n import _
from kpilib.parse import Fraction, Frozen

if TYPE_CHECKING:
    from kpilib.engine.plan import Plan

# names a staff condition (exclusions, grade ceilings) may use besides the month's measures
STAFF_NAMES = ("probation", "tenure_months", "total", "completion")
STAFF_LABELS = {
    "probation": "试用期",
    "tenure_months": "入职月数",
    "total": "总分",
    "completion": "考核完成率",
}


class SectionLimit(Frozen):
    """A cap or floor on the points of a block (section) of weighted items.

    ``cap``/``floor`` are shares of the block's full points (``130%``);
    ``cap_points``/``floor_points`` are points. The items keep their own points;
    the person's total uses the limited block.
    """

    cap: Fraction | None = Field(default=None, gt=0)
    floor: Fraction | None = Field(default=None, ge=0)
    cap_points: float | None = None
    floor_points: float | None = None
    seed: str | None = None

    @model_validator(mode="after")
    def _check(self):
        if self.cap is not None and self.cap_points is not None:
            raise ValueError(_("写 cap 或 cap_points 之一，不能同时写"))
        if self.floor is not None and self.floor_points is not None:
            raise ValueError(_("写 floor 或 floor_points 之一，不能同时写"))
        if all(v is None for v in (self.cap, self.floor, self.cap_points, self.floor_points)):
            raise ValueError(_("类别限额要写 cap、floor、cap_points 或 floor_points"))
        return self


class Staff(Frozen):
    """One person's dates: 入职日期 (hired) and 转正日期 (made regular)."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    hired: dt.date | None = Field(default=None, alias="入职日期")
    regular: dt.date | None = Field(default=None, alias="转正日期")

    @model_validator(mode="after")
    def _check(self):
        if self.hired and self.regular and self.regular < self.hired:
            raise ValueError(
                _("转正日期 {regular} 早于入职日期 {hired}").format(
                    regular=self.regular, hired=self.hired
                )
            )
        return self


class Exclusion(Frozen):
    """People for whom ``when`` holds do not take part in the month's appraisal (不参加考核)."""

    name: str
    when: str
    seed: str | None = None


class GradeCeiling(Frozen):
    """When ``when`` holds, the person's grade is at best ``grade`` (不得高于).

    ``when`` may name the month's measures, ``probation``, ``tenure_months``, ``total``
    and ``completion``.
    """

    name: str
    when: str
    grade: str
    seed: str | None = None


class Team(Frozen):
    """An indicator's actual aggregated over other people's actuals of ``items``.

    ``roles`` and ``people`` pick the members (none given: everyone in the month's
    targets); the person who holds the indicator is left out unless listed.
    """

    items: list[str] = Field(min_length=1)
    how: Literal["sum", "mean"] = "sum"
    roles: list[str] = []
    people: list[str] = []


class TargetOf(Frozen):
    """A target as ``share`` of another target (区域总GMV目标的70%).

    The base is the same person's target for ``item``, or, with ``people``, the sum
    of those people's targets for ``item`` (a region's total).
    """

    item: str
    share: Fraction = Field(gt=0)
    people: list[str] = []


# ---------------------------------------------------------------- checks at plan load


def check_plan(plan: Plan) -> list[Problem]:
    """Problems of the plan keys this module owns (names that do not exist), and of the
    names under ``pay:`` (:func:`check_pay_names`)."""
    problems = []
    where = str(plan.path)
    sections = {i.section for i in plan.indicators.values() if i.section}
    for name in plan.sections:
        if name not in sections:
            problems.append(
                Problem(
                    _("sections：{name!r} 不是任何指标的类别（section）").format(name=name),
                    _("改用其中之一：{types}").format(types="、".join(sorted(sections)) or "—"),
                    file=where,
                    where=f"sections.{name}",
                    code="unknown_section",
                )
            )
    grades = [g.name for g in plan.grades]
    allowed = set(plan.measures) | set(STAFF_NAMES)
    for key, entries in (("exclusions", plan.exclusions), ("grade_ceilings", plan.grade_ceilings)):
        for i, entry in enumerate(entries):
            try:
                unknown = sorted(Formula.parse(entry.when).names - allowed)
            except FormulaError as exc:
                unknown = []
                problems.append(
                    Problem(
                        str(exc),
                        _("改正公式"),
                        file=where,
                        where=f"{key}.{i}.when",
                        code="bad_formula",
                    )
                )
            for name in unknown:
                problems.append(
                    Problem(
                        _("{key}：条件 {condition!r} 用到不认识的名称 {name!r}").format(
                            key=key, condition=entry.when, name=name
                        ),
                        _("用方案里的量（measures），或 {names} 之一").format(
                            names=", ".join(STAFF_NAMES)
                        ),
                        file=where,
                        where=f"{key}.{i}.when",
                        code="unknown_measure",
                    )
                )
            if key == "grade_ceilings" and entry.grade not in grades:
                problems.append(
                    Problem(
                        _("等级上限 {name!r} 用了不存在的等级 {grade!r}").format(
                            name=entry.name, grade=entry.grade
                        ),
                        _("改用其中之一：{types}").format(types="、".join(grades)),
                        file=where,
                        where=f"{key}.{i}.grade",
                        code="unknown_grade",
                    )
                )
    for name, ind in plan.indicators.items():
        for key, names in (
            ("team", ind.team.items if ind.team else []),
            ("target_of", [ind.target_of.item] if ind.target_of else []),
        ):
            for other in names:
                if other not in plan.indicators and other not in plan.measures:
                    problems.append(
                        Problem(
                            _("{name}.{key} 用了不存在的项目 {other!r}").format(
                                name=name, key=key, other=other
                            ),
                            _("写方案里的指标名或量（measures）的名称"),
                            file=where,
                            where=f"indicators.{name}.{key}",
                            code="unknown_item",
                        )
                    )
        if ind.team and ind.formula:
            problems.append(
                Problem(
                    _("{name!r} 同时写了 formula 和 team；实际值只能来自其中之一").format(
                        name=name
                    ),
                    _("删掉 formula 或 team"),
                    file=where,
                    where=f"indicators.{name}",
                    code="formula_and_team",
                )
            )
    return problems + check_pay_names(plan)


def _close(name: str, choices) -> str:
    """The nearest names, for a message: ``（相近的：GMV指标、GMV）`` or empty."""
    close = difflib.get_close_matches(str(name), sorted(map(str, choices)), n=3, cutoff=0.4)
    return _("（相近的：{names}）").format(names=_("、").join(close)) if close else ""


def check_pay_names(plan: Plan) -> list[Problem]:
    """Names under ``pay:`` that must exist in the plan: fines' and commission's items,
    pools' ``split`` keys (an indicator or a section) and ``mean_of`` (an earlier pool)."""
    pay = plan.pay
    if pay is None:
        return []
    where = str(plan.path)
    indicators = set(plan.indicators)
    sections = {i.section for i in plan.indicators.values() if i.section}
    named = [(f"pay.fines.{i}.item", fine.item, _("罚款")) for i, fine in enumerate(pay.fines)]
    if pay.commission is not None:
        named.append(("pay.commission.item", pay.commission.item, _("提成")))
    problems = [
        Problem(
            _("{what}的指标 {item!r} 不在方案的指标中{close}").format(
                what=what, item=item, close=_close(item, indicators)
            ),
            _("写方案 indicators: 下的一个指标名"),
            file=where,
            where=key,
            code="unknown_indicator",
        )
        for key, item, what in named
        if item not in indicators
    ]
    earlier = []
    for i, pool in enumerate(pay.pools):
        for key in pool.split:
            if key not in indicators | sections:
                problems.append(
                    Problem(
                        _(
                            "奖金池 {pool} 的 split 写了 {key!r}，它不是方案的指标或板块{close}"
                        ).format(pool=pool.name, key=key, close=_close(key, indicators | sections)),
                        _("写方案中的指标名或 section（板块）名"),
                        file=where,
                        where=f"pay.pools.{i}.split.{key}",
                        code="unknown_indicator",
                    )
                )
        if pool.mean_of is not None and pool.mean_of != "all" and pool.mean_of not in earlier:
            problems.append(
                Problem(
                    _("奖金池 {pool} 的 mean_of {mean_of!r} 不是排在它前面的奖金池{close}").format(
                        pool=pool.name, mean_of=pool.mean_of, close=_close(pool.mean_of, earlier)
                    ),
                    _("写前面的奖金池之一：{names}，或 all").format(
                        names="、".join(earlier) or _("（无）")
                    ),
                    file=where,
                    where=f"pay.pools.{i}.mean_of",
                    code="unknown_pool",
                )
            )
        earlier.append(pool.name)
    return problems


# ---------------------------------------------------------------- before scoring


def derive_targets(plan: Plan, targets: pd.DataFrame, problems: list) -> pd.DataFrame:
    """Fill the targets the plan derives from other targets (``target_of:``).

    A blank target is filled; a target written in the sheet must equal the derived
    one (to 9 decimals), else it is a problem naming both.
    """
    derived = {n: i.target_of for n, i in plan.indicators.items() if i.target_of}
    if not derived:
        return targets
    targets = targets.copy()
    given = pd.to_numeric(targets["target"], errors="coerce")
    for name, of in derived.items():  # one vectorized step per derived indicator
        rows = (targets["indicator"] == name).to_numpy()
        if not rows.any():
            continue
        of_item = targets[targets["item"] == of.item]
        of_target = pd.to_numeric(of_item["target"], errors="coerce")
        if of.people:
            picked = of_target[of_item["person"].isin(of.people).to_numpy()]
            lacking = sorted(set(of.people) - set(of_item["person"]))
            base = np.full(rows.sum(), picked.sum() if not lacking else np.nan)
            what = _("{people} 的 {item} 目标合计").format(
                people="、".join(of.people), item=of.item
            )
        else:
            base = (
                of_target.groupby(of_item["person"])
                .sum()
                .reindex(targets.loc[rows, "person"])
                .to_numpy(float)
            )
            lacking = list(targets.loc[rows, "person"][np.isnan(base)])
            what = _("本人 {item} 目标").format(item=of.item)
        want = base * of.share
        for person in lacking:
            problems.append(
                Problem(
                    _(
                        "{name!r} 的目标是{what}的 {share:g}%，但 {person!r} 没有 {item!r} 的目标"
                    ).format(
                        name=name, what=what, share=of.share * 100, person=person, item=of.item
                    ),
                    _("在目标表里加上 {item!r} 及其目标值").format(item=of.item),
                    person=person,
                    column="目标值",
                    code="missing_target",
                )
            )
        have = given[rows].to_numpy(float)
        clash = ~np.isnan(have) & ~np.isnan(want) & ~compare.equal(have, want)
        for (_index, row), w in zip(targets[rows][clash].iterrows(), want[clash], strict=True):
            problems.append(
                Problem(
                    _(
                        "{item!r} 的目标是 {target}，"
                        "但方案推算出 {derived:,.2f}（{what}的 {share:g}%）"
                    ).format(
                        item=row["item"],
                        target=row["target"],
                        derived=w,
                        what=what,
                        share=of.share * 100,
                    ),
                    _("把目标值留空以使用推算的目标，或改正方案里的 target_of"),
                    person=row["person"],
                    column="目标值",
                    code="target_mismatch",
                    file=row["_file"],
                    where=_("第 {row} 行").format(row=row["_row"]),
                )
            )
        targets.loc[rows, "target"] = np.where(np.isnan(have), want, have)
    return targets


def team_actuals(
    plan: Plan,
    items: pd.DataFrame,
    values: pd.DataFrame,
    problems: list,
    outside: pd.Index | None = None,
) -> pd.DataFrame:
    """Actuals of ``team:`` indicators: the members' actuals of the named items, aggregated.

    ``values`` are the month's actuals (person, item, value); members are everyone in
    the targets, narrowed by ``roles`` and ``people``, less ``outside`` (people excluded
    from the month, :func:`left_out`). The holder's own figures count only when
    ``people`` lists them.
    """
    teams = {n: i.team for n, i in plan.indicators.items() if i.team}
    if not teams:
        return items
    items = items.copy()
    roles = items.drop_duplicates("person").set_index("person")["role"]
    for name, team in teams.items():  # one vectorized aggregate per team indicator
        rows = (items["indicator"] == name).to_numpy()
        if not rows.any():
            continue
        members = pd.Series(True, index=roles.index)
        if team.roles:
            members &= roles.isin(team.roles)
        if team.people:
            for person in sorted(set(team.people) - set(roles.index)):
                problems.append(
                    Problem(
                        _("{name!r}：团队成员 {person!r} 不在本月的目标表里").format(
                            name=name, person=person
                        ),
                        _("改正 team.people 下的姓名，或在目标表里加上此人的目标"),
                        person=person,
                        code="unknown_person",
                    )
                )
            members &= roles.index.isin(team.people)
        if outside is not None:  # 不参加考核 this month: out of the team's statistics
            members &= ~roles.index.isin(outside)
        picked = values[
            values["person"].isin(members[members].index) & values["item"].isin(team.items)
        ]
        per = picked.groupby("person")["value"].agg(["sum", "count"])
        holders = items.loc[rows, "person"]
        own = per.reindex(holders).fillna(0).to_numpy(float)
        own[holders.isin(team.people).to_numpy()] = 0  # listed: the holder's own figures count
        total = per["sum"].sum() - own[:, 0]
        count = per["count"].sum() - own[:, 1]
        with np.errstate(invalid="ignore", divide="ignore"):
            actual = total if team.how == "sum" else np.where(count > 0, total / count, np.nan)
        items.loc[rows, "actual"] = np.where(count > 0, actual, np.nan)
    return items


def team_note(team: Team) -> str:
    """How a team actual is found, for the item's reason."""
    who = "、".join(team.people or team.roles) or _("全体人员")
    how = {"sum": _("合计"), "mean": _("平均")}[team.how]
    return _("；实际值 = {who}的{items}{how}").format(who=who, items="、".join(team.items), how=how)


# ---------------------------------------------------------------- after scoring


def limit_sections(
    plan: Plan, items: pd.DataFrame, order: np.ndarray, n: int, explain: bool = True
) -> tuple[np.ndarray, pd.DataFrame]:
    """Per-person points to add to the weighted points so each limited block stays in range.

    Returns the adjustment per person (negative above a cap, positive below a floor)
    and the items with notes appended to their reasons (unless ``explain`` is false):
    the block's limit where it applied, and how a team actual was found.
    """
    adjust = np.zeros(n)
    reason = items["reason"].to_numpy(object).copy() if explain else None
    for name, ind in plan.indicators.items():
        if ind.team is not None and explain:
            rows = (items["indicator"] == name).to_numpy()
            reason[rows] = text.cat(reason[rows], team_note(ind.team))
    if not plan.sections:
        return adjust, items.assign(reason=reason) if explain else items
    weighted = items["_weighted"].to_numpy(bool)
    section = items["section"].astype(object).to_numpy()
    for name, limit in plan.sections.items():  # a handful of blocks
        rows = weighted & (section == name)
        got = np.bincount(order[rows], items["points"].to_numpy(float)[rows], minlength=n)
        full = np.bincount(order[rows], items["full_points"].to_numpy(float)[rows], minlength=n)
        cap = full * limit.cap if limit.cap is not None else np.full(n, np.inf)
        cap = np.full(n, limit.cap_points) if limit.cap_points is not None else cap
        floor = full * limit.floor if limit.floor is not None else np.full(n, -np.inf)
        floor = np.full(n, limit.floor_points) if limit.floor_points is not None else floor
        kept = round_points(np.clip(got, floor, cap))
        has = np.bincount(order[rows], minlength=n) > 0
        delta = np.where(has, kept - round_points(got), 0.0)
        adjust += delta
        hit = rows & (delta != 0)[order]
        if hit.any() and explain:
            which = np.where(delta > 0, _("保底"), _("封顶"))[order[hit]]
            reason[hit] = text.cat(
                reason[hit],
                _("；{section}合计 ").format(section=name),
                text.points(round_points(got)[order[hit]]),
                _(" 分，"),
                which,
                " ",
                text.points(kept[order[hit]]),
                _(" 分"),
            )
    return adjust, items.assign(reason=reason) if explain else items


def staff_facts(plan: Plan, persons: pd.Index, month: str | None) -> pd.DataFrame:
    """``probation`` (0/1) and ``tenure_months`` per person for ``month`` (``YYYY-MM``).

    On probation: 转正日期 falls after the month's first day (some of the month on
    probation). Tenure: whole months from 入职日期 to the month's last day. People
    without dates get NaN (a condition on them never holds).
    """
    facts = pd.DataFrame(np.nan, index=persons, columns=["probation", "tenure_months"])
    if not plan.staff or month is None:
        return facts
    first = pd.Timestamp(f"{month}-01")
    last = first + pd.offsets.MonthEnd(0)
    dates = pd.DataFrame(
        [(p, s.hired, s.regular) for p, s in plan.staff.items()],
        columns=["person", "hired", "regular"],
    ).set_index("person")
    dates = dates.reindex(persons)
    hired = pd.to_datetime(dates["hired"])
    regular = pd.to_datetime(dates["regular"])
    tenure = (last.year - hired.dt.year) * 12 + (last.month - hired.dt.month)
    tenure = tenure - (hired.dt.day > last.day)
    facts["tenure_months"] = tenure.where(hired.notna()).astype(float)
    on_probation = (regular > first).astype(float).where(regular.notna() | hired.notna())
    facts["probation"] = on_probation.where(~(regular.isna() & hired.notna()), 0.0)
    return facts


def _holds(condition: str, table: pd.DataFrame) -> np.ndarray:
    """Where ``condition`` holds per row of ``table``; never where a name it reads is NaN."""
    formula = Formula.parse(condition)
    seen = []

    def name(n):
        value = table[n] if n in table else pd.Series(np.nan, index=table.index)
        seen.append(value.notna().to_numpy())
        return value

    value = np.asarray(formula.evaluate(name), dtype=float)
    value = np.broadcast_to(np.nan_to_num(value) != 0, (len(table),))
    return value & np.logical_and.reduce(seen) if seen else value.copy()


def left_out(
    plan: Plan, measures: pd.DataFrame | None, persons: pd.Index, month: str | None
) -> pd.Index:
    """The people an exclusion leaves out of the month before it is scored.

    Only exclusions whose condition reads the month's measures and staff dates
    (``probation``, ``tenure_months``) can be decided before scoring; those are left
    out of the department's functions (``rank()``, ``mean()``...) and team actuals. An
    exclusion on ``total`` or ``completion`` is decided after scoring: the people it
    excludes are still in that month's functions (their score is needed to decide).
    """
    before = [
        r for r in plan.exclusions if not Formula.parse(r.when).names & {"total", "completion"}
    ]
    if not before:
        return pd.Index([])
    table = staff_facts(plan, persons, month)
    if measures is not None:
        table = pd.concat([table, measures.reindex(persons)], axis=1)
    hit = np.zeros(len(persons), bool)
    for rule in before:
        hit |= _holds(rule.when, table)
    return persons[hit]


def exclude_and_cap(
    plan: Plan, people: pd.DataFrame, measures: pd.DataFrame | None, month: str | None
) -> pd.DataFrame:
    """The exclusion and grade-ceiling columns of the people table.

    ``people`` is indexed by person with total, completion, grade and valid. Returns
    it with ``excluded``, ``exclusion``, ``probation`` and ``ceiling``, the grade
    lowered to each ceiling that holds (void and excluded months keep their grade),
    and ``rank`` among the valid people who are not excluded.
    """
    facts = staff_facts(plan, people.index, month)
    if (plan.exclusions or plan.grade_ceilings) and plan.staff and month is None:
        raise DataError(
            Problem(
                _("方案写了员工的入职/转正日期，但计分时没有给月份"),
                _("计分时给出 month='YYYY-MM'，才能算出试用期和入职月数"),
                code="no_month",
            )
        )
    table = pd.concat(
        [people[["total", "completion"]], facts]
        + ([measures.reindex(people.index)] if measures is not None else []),
        axis=1,
    )
    excluded = np.zeros(len(people), bool)
    why = np.full(len(people), "", dtype=object)
    for rule in plan.exclusions:
        hit = _holds(rule.when, table) & ~excluded
        why = np.where(hit, rule.name, why)
        excluded |= hit
    people = people.assign(
        excluded=excluded,
        exclusion=why,
        probation=facts["probation"].fillna(0).astype(bool).to_numpy(),
    )
    names = [g.name for g in plan.grades]
    position = pd.Series(range(len(names)), index=names)
    grade = people["grade"].to_numpy(object)
    ceiling = np.full(len(people), "", dtype=object)
    open_ = people["valid"].to_numpy(bool) & ~excluded
    for rule in plan.grade_ceilings:
        now = position.reindex(grade).to_numpy(float)  # void grades are NaN: left alone
        hit = _holds(rule.when, table) & open_ & (now < position[rule.grade])
        ceiling = np.where(
            hit,
            text.cat(ceiling, rule.name, _("：最高"), rule.grade, _("（原"), grade, _("）；")),
            ceiling,
        )
        grade = np.where(hit, rule.grade, grade)
    people["grade"] = np.where(excluded, plan.excluded_grade, grade)
    people["ceiling"] = (
        pd.Series(ceiling, index=people.index).str.rstrip("；") if plan.grade_ceilings else ""
    )
    ranked = people["total"].where(people["valid"] & ~people["excluded"])
    people["rank"] = ranked.rank(ascending=False, method="min")
    return people


__all__ = [
    "SectionLimit",
    "Staff",
    "Exclusion",
    "GradeCeiling",
    "Team",
    "TargetOf",
    "check_plan",
    "check_pay_names",
    "derive_targets",
    "team_actuals",
    "limit_sections",
    "staff_facts",
    "exclude_and_cap",
    "left_out",
]
