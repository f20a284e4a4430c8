"""Plan + input frames -> the per-item and per-person tables. No I/O, no global state.

``score`` is a pure function of a plan and frames of rows, vectorized per rule
(one call per indicator, never per person), so the same code can run per
partition on a distributed engine. Every problem in the inputs is collected
and raised together as one :class:`~kpilib.errors.DataError`.

Output columns (stable names, documented in docs/outputs.md):

items
    person, role, indicator, item, section, weight, target, actual, completion,
    points, full_points, rule, reason
people
    person, role, english_name, total, weighted_points, bonus_points, completion,
    grade, valid, gates, rank
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kpilib import text
from kpilib.errors import DataError, Problem
from kpilib.formula import Formula, FormulaError
from kpilib.io import to_number
from kpilib.plan import Plan, nearest
from kpilib.rules import Bonus, Incidents, Rating, round_points

ITEM_COLUMNS = ["person", "role", "indicator", "item", "section", "weight", "target", "actual",
                "completion", "points", "full_points", "rule", "reason"]
PEOPLE_COLUMNS = ["person", "role", "english_name", "total", "weighted_points", "bonus_points",
                  "completion", "grade", "valid", "gates", "rank"]


@dataclass(frozen=True)
class Result:
    """One plan scored for one month."""

    plan: Plan
    month: str | None
    items: pd.DataFrame
    people: pd.DataFrame


def _at(row) -> dict:
    return {"file": row["_file"], "where": f"row {row['_row']}"}


def score(plan: Plan, targets: pd.DataFrame, actuals: pd.DataFrame | None = None,
          incidents: pd.DataFrame | None = None, ratings: pd.DataFrame | None = None,
          month: str | None = None) -> Result:
    """Score one month.

    Parameters
    ----------
    plan : Plan
        From :func:`kpilib.load_plan`.
    targets : DataFrame
        From :func:`kpilib.io.read_targets`: person, indicator, item, weight, target...
    actuals : DataFrame, optional
        From :func:`kpilib.io.read_actuals`: person, item, value (long).
    incidents, ratings : DataFrame, optional
        For ``incidents`` and ``rating`` rules.

    Returns
    -------
    Result
        ``items`` and ``people`` tables.

    Raises
    ------
    DataError
        Listing every problem found in the inputs.
    """
    problems: list[Problem] = []
    items = _check_targets(plan, targets, problems)
    values = _values(plan, items, actuals, problems)
    items = _attach_actuals(plan, items, values, problems)
    items = _attach_incidents(plan, items, incidents, problems)
    items = _attach_ratings(plan, items, ratings, problems)
    if problems:
        raise DataError(problems)
    items = _score_items(plan, items)
    items, people = _people(plan, items, targets, _wide(values))
    return Result(plan, month, items[ITEM_COLUMNS], people[PEOPLE_COLUMNS])


def _check_targets(plan: Plan, targets: pd.DataFrame, problems: list) -> pd.DataFrame:
    known = targets["indicator"].isin(list(plan.indicators))
    for _, row in targets[~known].iterrows():
        problems.append(Problem(
            f"indicator {row['indicator']!r} is not in the plan"
            f"{nearest(row['indicator'], plan.indicators)}",
            "fix the name, or add the indicator to the plan's indicators:",
            person=row["person"], column="指标", **_at(row)))
    dup = targets.duplicated(["person", "item"], keep=False)
    for (person, item), rows in targets[dup].groupby(["person", "item"])["_row"]:
        problems.append(Problem(
            f"item {item!r} appears {len(rows)} times (rows {', '.join(map(str, rows))})",
            "keep one row per person and item", file=targets["_file"].iloc[0],
            person=person, column="指标"))
    items = targets[known].copy()
    rule_of = {n: i.rule for n, i in plan.indicators.items()}
    is_bonus = {n: isinstance(r, Bonus) for n, r in rule_of.items()}
    weighted = ~items["indicator"].map(is_bonus).astype(bool)
    sums = items[weighted].groupby("person", sort=False)["weight"].sum()
    for person, total in sums[(sums - 1).abs() > 1e-6].items():
        rows = items.loc[items["person"] == person, "_row"]
        problems.append(Problem(
            f"weights add up to {total * 100:g}%, not 100% (rows {rows.min()}-{rows.max()})",
            "correct the 权重 column so this person's weights total 100%",
            file=items["_file"].iloc[0], person=person, column="权重"))
    needs = items["indicator"].map({n: r.needs_target() for n, r in rule_of.items()})
    divides = items["indicator"].map({n: r.divides_by_target() for n, r in rule_of.items()})
    derived = items["indicator"].map({n: i.formula is not None for n, i in plan.indicators.items()})
    missing = needs.astype(bool) & items["target"].isna()
    zero = divides.astype(bool) & (items["target"] == 0)
    for _, row in items[missing | zero].iterrows():
        what = "missing" if pd.isna(row["target"]) else "zero"
        problems.append(Problem(
            f"target for {row['item']!r} is {what}, but its rule "
            f"{'divides by' if what == 'zero' else 'needs'} a target",
            "fill in a target above 0 in 目标值", person=row["person"], column="目标值",
            **_at(row)))
    items["_rule"] = items["indicator"].map(rule_of)
    items["_derived"] = derived.astype(bool)
    items["_weighted"] = weighted
    return items


def _values(plan: Plan, items: pd.DataFrame, actuals: pd.DataFrame | None,
            problems: list) -> pd.DataFrame:
    """Parse the actuals against the plan: person, item, value (float)."""
    if actuals is None:
        return pd.DataFrame({"person": [], "item": [], "value": []})
    people = set(items["person"])
    person_items = set(zip(items["person"], items["item"], strict=True))
    bonus = {n for n, i in plan.indicators.items() if isinstance(i.rule, Bonus) and not i.formula}
    allowed = set(plan.measures) | bonus
    stray = ~actuals["person"].isin(people)
    for person, rows in actuals[stray].groupby("person", sort=False)["_row"]:
        problems.append(Problem(
            f"person {person!r} is in the actuals but not in the plan's targets"
            f"{nearest(person, people)}",
            "add the person to the targets, or remove their rows",
            file=actuals["_file"].iloc[0], where=f"row {rows.iloc[0]}", person=person))
    actuals = actuals[~stray]
    pairs = pd.MultiIndex.from_arrays([actuals["person"], actuals["item"]])
    own = pairs.isin(list(person_items)) | actuals["item"].isin(allowed)
    blank = actuals["value"].astype(str).str.strip() == ""
    # wide sheets have a column for every indicator: a blank cell outside the
    # person's own items is simply not theirs
    unknown = ~own & ~blank
    for _, row in actuals[unknown].iterrows():
        mine = [i for p, i in person_items if p == row["person"]]
        if row["item"] in plan.indicators or any(i.startswith(row["item"]) for i in mine):
            msg = (f"{row['item']!r} is not one of this person's items "
                   f"({', '.join(mine)}){nearest(row['item'], mine)}")
            fix = "put the value under one of the person's items, or add the item to the targets"
        else:
            msg = (f"unknown indicator or measure {row['item']!r}"
                   f"{nearest(row['item'], [*plan.indicators, *plan.measures])}")
            fix = "fix the name, or declare it under the plan's measures:"
        problems.append(Problem(msg, fix, person=row["person"], column=row["_column"],
                                **_at(row)))
    actuals = actuals[own & ~blank].copy()
    dup = actuals.duplicated(["person", "item"], keep=False)
    for (person, item), rows in actuals[dup].groupby(["person", "item"], sort=False)["_row"]:
        problems.append(Problem(
            f"{item!r} has {len(rows)} values (rows {', '.join(map(str, rows))})",
            "keep one row per person and indicator", file=actuals["_file"].iloc[0],
            person=person, column="实际值"))
    may_be_negative = {n: e.allow_negative for n, e in {**plan.measures, **plan.indicators}.items()}
    allow_negative = actuals["item"].map(may_be_negative).fillna(False).astype(bool)
    actuals["value"], bad = to_number(actuals, "value", allow_negative=allow_negative)
    for p in bad:  # to_number does not know the wide layout's column names
        problems.append(p)
    return actuals[["person", "item", "value", "_file", "_row"]]


def _attach_actuals(plan, items, values, problems) -> pd.DataFrame:
    given = values[["person", "item", "value"]].drop_duplicates(["person", "item"])
    items = items.merge(given.assign(_given=True), on=["person", "item"], how="left")
    items = items.rename(columns={"value": "actual"})
    measures = _wide(values)
    for name, ind in plan.indicators.items():
        mask = (items["indicator"] == name).to_numpy()
        if not ind.formula or not mask.any():
            continue
        formula = Formula.parse(ind.formula)
        persons = items.loc[mask, "person"]
        frame = measures.reindex(index=persons.unique(),
                                 columns=sorted(formula.names | set(measures.columns)))
        missing = frame[sorted(formula.names)].isna()
        for person, row in missing[missing.any(axis=1)].iterrows():
            problems.append(Problem(
                f"{name!r} is derived by {ind.formula!r}, but "
                f"{', '.join(row[row].index)} is missing",
                "add the measure to the month's actuals", person=person))
        try:
            derived = formula.evaluate(lambda n: frame[n])
        except FormulaError as exc:
            zero = frame.index[np.asarray(exc.where) & ~missing.any(axis=1).to_numpy()]
            for person in zero:
                problems.append(Problem(
                    f"{name!r}: {exc} for this person", "check the measures in the actuals",
                    person=person))
            derived = pd.Series(np.nan, index=frame.index)
        items.loc[mask, "actual"] = persons.map(derived).to_numpy()
    reads_actual = {n: not isinstance(i.rule, Incidents | Rating | Bonus)
                    for n, i in plan.indicators.items()}
    # a value given but unreadable was reported already; here: values not given at all
    missing = (items["_given"].isna() & items["indicator"].map(reads_actual).astype(bool)
               & ~items["_derived"])
    absent = set(items.loc[missing, "person"]) - set(values["person"])
    for person in sorted(absent, key=list(items["person"]).index):
        problems.append(Problem(
            f"person {person!r} is in the targets but has no actuals",
            "add their row(s) to the month's actuals, or remove them from the targets",
            person=person))
    for _, row in items[missing & ~items["person"].isin(absent)].iterrows():
        problems.append(Problem(
            f"no actual for {row['item']!r}", f"add a value for {row['item']!r}",
            person=row["person"]))
    extra = [_bonus_rows(name, ind, values, measures)
             for name, ind in plan.indicators.items() if isinstance(ind.rule, Bonus)]
    extra = [e for e in extra if len(e)]
    if extra:
        extra = pd.concat(extra).merge(items.drop_duplicates("person")[["person", "role"]],
                                       on="person")
        items = pd.concat([items, extra.assign(
            weight=0.0, target=np.nan, _weighted=False,
            _rule=extra["indicator"].map({n: i.rule for n, i in plan.indicators.items()}))],
            ignore_index=True)
    return items


def _bonus_rows(name, ind, values, measures) -> pd.DataFrame:
    """Bonus items for the people who have a value for them: given, or derived by formula."""
    if ind.formula:
        formula = Formula.parse(ind.formula)
        if not formula.names <= set(measures.columns):
            return pd.DataFrame()
        have = measures.dropna(subset=sorted(formula.names))
        actual = pd.Series(np.asarray(formula.evaluate(lambda n: have[n]), float), have.index)
    else:
        given = values[values["item"] == name]
        actual = pd.Series(given["value"].to_numpy(float), given["person"].to_numpy())
    return pd.DataFrame({"person": actual.index, "indicator": name, "item": name,
                         "actual": actual.to_numpy(), "_derived": bool(ind.formula)})


def _wide(values: pd.DataFrame) -> pd.DataFrame:
    """Person × measure table of the actuals, for formulas and gates."""
    return values.drop_duplicates(["person", "item"]).pivot(
        index="person", columns="item", values="value")


def _attach_incidents(plan, items, incidents, problems) -> pd.DataFrame:
    items["deduction"], items["detail"] = 0.0, ""
    if incidents is None or incidents.empty:
        return items
    rule_of = {n: i.rule for n, i in plan.indicators.items() if isinstance(i.rule, Incidents)}
    keys = set(zip(items["person"], items["item"], strict=True))
    ok = pd.Series(True, index=incidents.index)
    for idx, row in incidents.iterrows():  # incident tables are short; errors need each row
        rule = rule_of.get(row["item"])
        where = {"person": row["person"], **_at(row)}
        if rule is None:
            problems.append(Problem(
                f"{row['item']!r} is not an incidents item of the plan"
                f"{nearest(row['item'], rule_of)}", "use one of: " + ", ".join(rule_of),
                column="指标", **where))
        elif (row["person"], row["item"]) not in keys:
            problems.append(Problem(f"person has no item {row['item']!r} in the targets",
                                    "check the name, or add the item to their targets", **where))
        elif row["kind"] not in rule.kinds:
            problems.append(Problem(
                f"unknown kind {row['kind']!r} for {row['item']!r}"
                f"{nearest(row['kind'], rule.kinds)}", "use one of: " + ", ".join(rule.kinds),
                column="类型", **where))
        else:
            kind = rule.kinds[row["kind"]]
            if kind.points is None and not (kind.min <= (row["points"] or -1) <= kind.max):
                problems.append(Problem(
                    f"{row['kind']!r} deducts {kind.min:g}-{kind.max:g} points per incident; "
                    f"got {row['points'] if pd.notna(row['points']) else 'nothing'}",
                    "write the deduction decided for this incident in 扣分", column="扣分",
                    **where))
            else:
                continue
        ok[idx] = False
    good = incidents[ok]
    if good.empty:
        return items
    grouped = good.groupby(["person", "item", "kind"], sort=False).agg(
        count=("count", "sum"), given=("points", "sum")).reset_index()
    cost = np.zeros(len(grouped))
    for item, rule in rule_of.items():
        for kind_name, kind in rule.kinds.items():
            m = ((grouped["item"] == item) & (grouped["kind"] == kind_name)).to_numpy()
            cost[m] = kind.cost(grouped.loc[m, "count"].to_numpy(), grouped.loc[m, "given"])
    grouped["cost"] = cost
    grouped["text"] = text.cat(grouped["kind"], "×", text.number(grouped["count"]), " 扣 ",
                               text.number(cost))
    per_item = grouped.groupby(["person", "item"], sort=False).agg(
        deduction=("cost", "sum"), detail=("text", "、".join)).reset_index()
    items = items.drop(columns=["deduction", "detail"]).merge(per_item, on=["person", "item"],
                                                              how="left")
    items["deduction"] = items["deduction"].fillna(0.0)
    items["detail"] = items["detail"].fillna("")
    return items


def _attach_ratings(plan, items, ratings, problems) -> pd.DataFrame:
    items["share"] = np.nan
    rated = [n for n, i in plan.indicators.items() if isinstance(i.rule, Rating)]
    needed = items[items["indicator"].isin(rated)]
    if needed.empty:
        return items
    if ratings is None:
        ratings = pd.DataFrame(columns=["person", "item", "rater", "level", "_file", "_row"])
    parts = []
    for item, wanted in needed.groupby("item", sort=False):  # one pass per rated item
        rule = plan.indicators[wanted["indicator"].iloc[0]].rule
        raters = rule.raters or {"": 1.0}
        mine = ratings[ratings["item"] == item]
        for col, allowed, label in (("level", rule.levels, "等级"), ("rater", raters, "评价人")):
            for _, row in mine[~mine[col].isin(list(allowed))].iterrows():
                problems.append(Problem(
                    f"unknown {col} {row[col]!r} for {item!r}",
                    f"use one of: {', '.join(allowed) or '(blank)'}", person=row["person"],
                    column=label, **_at(row)))
        mine = mine[mine["level"].isin(list(rule.levels)) & mine["rater"].isin(list(raters))]
        for _, row in mine[mine.duplicated(["person", "rater"])].iterrows():
            problems.append(Problem(f"{item!r} rated twice by {row['rater'] or 'the rater'}",
                                    "keep one rating per rater", person=row["person"], **_at(row)))
        weight = mine["rater"].map(raters)
        mine = mine.assign(
            part=mine["level"].map(rule.levels) / max(rule.levels.values()) * weight,
            piece=text.cat(mine["rater"].where(mine["rater"] == "", mine["rater"] + " "),
                           mine["level"],
                           text.cat("(", text.number(weight * 100), "%)") if rule.raters else ""))
        got = mine.drop_duplicates(["person", "rater"]).groupby("person").agg(
            share=("part", "sum"), n=("part", "size"), detail=("piece", "、".join))
        count = got["n"].reindex(wanted["person"]).fillna(0)
        for person in count[count < len(raters)].index:
            have = set(mine.loc[mine["person"] == person, "rater"])
            lacking = [r or "a rating" for r in raters if r not in have]
            problems.append(Problem(f"{item!r} lacks {', '.join(lacking)}",
                                    "add the rating(s) to the ratings file", person=person))
        parts.append(got.reset_index().assign(item=item))
    got = pd.concat(parts)[["person", "item", "share", "detail"]]
    items = items.drop(columns="share").merge(got.rename(columns={"detail": "_rated"}),
                                              on=["person", "item"], how="left")
    items["detail"] = items["_rated"].fillna(items["detail"])
    return items.drop(columns="_rated")


def _score_items(plan: Plan, items: pd.DataFrame) -> pd.DataFrame:
    items = items.reset_index(drop=True)
    items["full_points"] = items["weight"] * plan.scale
    parts = []
    for name, frame in items.groupby("indicator", sort=False):
        ind = plan.indicators[name]
        out = ind.rule.score(frame, ind.lower, ind.unit)
        out.index = frame.index
        parts.append(out)
    scored = pd.concat(parts).reindex(items.index)
    # rules round points to 0.01 (Excel's ROUND), so a total is the sum of the
    # figures the reasons show
    items[["completion", "points", "reason"]] = scored
    items["section"] = items["indicator"].map({n: i.section for n, i in plan.indicators.items()})
    items["rule"] = items["indicator"].map({n: i.rule.type for n, i in plan.indicators.items()})
    return items


def _people(plan: Plan, items: pd.DataFrame, targets: pd.DataFrame, measures: pd.DataFrame):
    persons = targets.drop_duplicates("person").set_index("person")[["role", "english_name"]]
    weighted = items[items["_weighted"]]
    base = weighted.groupby("person", sort=False)["points"].sum()
    full = weighted.groupby("person", sort=False)["full_points"].sum()
    people = persons.assign(completion=(base / full).reindex(persons.index))
    valid = pd.Series(True, index=persons.index)
    fired = pd.Series("", index=persons.index, dtype=object)
    for gate in plan.gates:
        hit = pd.Series(_gate_hits(gate, items, measures, persons.index), index=persons.index)
        fired = fired + np.where(hit, gate.name + "；", "")
        if gate.effect == "void":
            valid &= ~hit
        else:
            m = ((items["indicator"] == gate.item) & items["person"].map(hit)).to_numpy()
            items.loc[m, "points"] = round_points(items.loc[m, "points"] * gate.factor)
            items.loc[m, "reason"] = text.cat(
                items.loc[m, "reason"], f"；{gate.name} ×{gate.factor:g} → ",
                text.points(items.loc[m, "points"]))
    weighted = items[items["_weighted"]]
    people["weighted_points"] = weighted.groupby("person")["points"].sum().reindex(persons.index)
    bonus = items[~items["_weighted"]].groupby("person")["points"].sum()
    bonus = bonus.reindex(persons.index).fillna(0.0)
    if plan.bonus_cap is not None:
        bonus = bonus.clip(upper=plan.bonus_cap)
    people["bonus_points"] = bonus
    people["total"] = (people["weighted_points"] + bonus).round(2)
    people["valid"] = valid
    people["gates"] = fired.str.rstrip("；")
    people["grade"] = _grade(plan, people["total"]).where(valid, plan.void_grade)
    people["rank"] = people["total"].where(valid).rank(ascending=False, method="min")
    return items, people.reset_index()


def _grade(plan: Plan, total: pd.Series) -> pd.Series:
    grades = plan.grades
    conditions = [total >= g.min for g in grades[:-1]]
    return pd.Series(np.select(conditions, [g.name for g in grades[:-1]], grades[-1].name),
                     index=total.index)


def _gate_hits(gate, items, measures, persons: pd.Index) -> np.ndarray:
    """Where ``gate.when`` holds; a gate whose inputs a person lacks never fires for them."""
    def wide(frame, key, column):
        return frame.pivot_table(index="person", columns=key, values=column,
                                 aggfunc="sum").reindex(persons)

    sections = wide(items.dropna(subset=["section"]), "section", "points")
    tables = {fn: wide(items, "indicator", fn) for fn in ("actual", "points", "completion")}
    named = pd.concat([measures.reindex(persons), tables["actual"]], axis=1)
    named = named.loc[:, ~named.columns.duplicated(keep="last")]
    tables["section"] = sections
    seen = []

    def column(table, key):
        value = table[key] if key in table else pd.Series(np.nan, index=persons)
        seen.append(value.notna().to_numpy())
        return value

    def lookup(fn, arg):
        table = tables[fn]
        return column(sections if arg not in table and arg in sections else table, arg)

    when = Formula.parse(gate.when).evaluate(lambda n: column(named, n), lookup)
    return (np.asarray(when, dtype=float) != 0) & np.logical_and.reduce(seen)
