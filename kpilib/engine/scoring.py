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

import difflib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kpilib import compare, text
from kpilib.engine import adjustments as adjust
from kpilib.engine import teams
from kpilib.engine.formula import Formula, FormulaError
from kpilib.engine.plan import Plan, nearest
from kpilib.engine.rules import COMBINE_LABELS
from kpilib.errors import DataError, Problem
from kpilib.parse import to_number
from kpilib.rounding import round_points

ITEM_COLUMNS = [
    "person",
    "role",
    "indicator",
    "item",
    "section",
    "weight",
    "target",
    "actual",
    "completion",
    "points",
    "full_points",
    "rule",
    "reason",
]
PEOPLE_COLUMNS = [
    "person",
    "role",
    "english_name",
    "total",
    "weighted_points",
    "bonus_points",
    "completion",
    "grade",
    "valid",
    "gates",
    "rank",
    "excluded",
    "exclusion",
    "probation",
    "ceiling",
]
# what an adjusted month adds (see kpilib.engine.adjustments); present in every result
ADJUSTED_ITEM_COLUMNS = ["adjusted", "adjustment_id", "original_points", "original_actual"]
ADJUSTED_PEOPLE_COLUMNS = ["adjusted", "original_total"]


@dataclass(frozen=True)
class Result:
    """One plan scored for one month."""

    plan: Plan
    month: str | None
    items: pd.DataFrame
    people: pd.DataFrame


def score(
    plan: Plan,
    targets: pd.DataFrame,
    actuals: pd.DataFrame | None = None,
    incidents: pd.DataFrame | None = None,
    ratings: pd.DataFrame | None = None,
    month: str | None = None,
    explain: bool = True,
    adjustments: pd.DataFrame | None = None,
) -> Result:
    """Score one month.

    Parameters
    ----------
    plan : Plan
        From :func:`kpilib.load_plan`.
    targets : DataFrame
        From :func:`kpilib.sheets.inputs.read_targets`: person, indicator, item, weight, target...
    actuals : DataFrame, optional
        From :func:`kpilib.sheets.inputs.read_actuals`: person, item, value (long).
    incidents, ratings : DataFrame, optional
        For ``incidents`` and ``rating`` rules.
    explain : bool
        Write the human-readable ``reason`` of every item (the default). Bulk runs
        that only need the numbers can skip it.
    adjustments : DataFrame, optional
        Recorded appeals and adjustments (:data:`kpilib.engine.adjustments.ADJUSTMENT_COLUMNS`):
        a corrected actual replaces the actual before the rules run, decided points
        replace the rule's points before gates, the bonus cap, grades and ranks.
        Adjusted items keep ``original_points`` and ``original_actual``.

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
    if actuals is None:
        actuals = pd.DataFrame(columns=["person", "item", "value", "_file", "_row", "_column"])
    targets = teams.derive_targets(plan, targets, problems)
    items, persons, names = _check_targets(plan, targets, problems)
    values = _values(plan, items, persons, names, actuals, problems)
    items = _attach_actuals(plan, items, values, problems)
    items = teams.team_actuals(plan, items, values, problems)
    items = _attach_incidents(plan, items, incidents, problems)
    items = _attach_ratings(plan, items, ratings, problems).reset_index(drop=True)
    adjusting = adjustments is not None and len(adjustments) > 0
    at = adjust.locate(items, adjustments, problems) if adjusting else None
    if problems:
        raise DataError(problems)
    needs_measures = bool(plan.gates or plan.exclusions or plan.grade_ceilings)
    measures = _wide(values) if needs_measures else None
    scored = _people(plan, _score_items(plan, items, explain), targets, measures)
    if adjusting:  # the same month without them, row for row, gives the original figures
        original = scored
        items = _score_items(plan, adjust.replace_actuals(items, adjustments, at), explain)
        items = adjust.replace_points(items, adjustments, at, explain)
        scored = _people(plan, items, targets, measures)
    items, people = adjust.mark(*scored, original if adjusting else None, adjustments, at)
    people = teams.exclude_and_cap(plan, people.set_index("person"), measures, month)
    return Result(
        plan,
        month,
        items[ITEM_COLUMNS + ADJUSTED_ITEM_COLUMNS],
        people.reset_index()[PEOPLE_COLUMNS + ADJUSTED_PEOPLE_COLUMNS],
    )


def _at(row) -> dict:
    return {"file": row["_file"], "where": f"row {row['_row']}"}


def _codes(values: pd.Series, book: pd.Index) -> np.ndarray:
    """Positions of ``values`` in ``book`` (-1 if absent), hashing each distinct value once."""
    codes, uniques = pd.factorize(values)
    return np.append(book.get_indexer(uniques), -1)[codes]


def _per_indicator(plan: Plan, items: pd.DataFrame, attribute) -> np.ndarray:
    """``attribute(indicator)`` for every item row, via the ``_ind`` codes."""
    return np.array([attribute(i) for i in plan.indicators.values()])[items["_ind"].to_numpy()]


def _check_targets(plan: Plan, targets: pd.DataFrame, problems: list) -> pd.DataFrame:
    known = targets["indicator"].isin(list(plan.indicators))
    for _, row in targets[~known].iterrows():
        problems.append(
            Problem(
                f"indicator {row['indicator']!r} is not in the plan"
                f"{nearest(row['indicator'], plan.indicators)}",
                "fix the name, or add the indicator to the plan's indicators:",
                person=row["person"],
                column="指标",
                **_at(row),
            )
        )
    items = targets[known].reset_index(drop=True)
    p_codes, persons = pd.factorize(items["person"])
    i_codes, names = pd.factorize(items["item"])
    items = items.assign(
        _p=p_codes, _i=i_codes, _ind=_codes(items["indicator"], pd.Index(list(plan.indicators)))
    )
    key = p_codes.astype(np.int64) * max(len(names), 1) + i_codes
    dup = pd.Series(key).duplicated(keep=False).to_numpy()
    for (person, item), rows in items[dup].groupby(["person", "item"])["_row"]:
        problems.append(
            Problem(
                f"item {item!r} appears {len(rows)} times (rows {', '.join(map(str, rows))})",
                "keep one row per person and item",
                file=items["_file"].iloc[0],
                person=person,
                column="指标",
            )
        )
    items["_key"] = key
    weighted = _per_indicator(plan, items, lambda i: i.rule.weighted and not i.bonus)
    weight = np.bincount(
        p_codes[weighted], items["weight"].to_numpy(float)[weighted], minlength=len(persons)
    )
    for code in np.flatnonzero(np.abs(weight - 1) > 1e-6):
        rows = items.loc[items["_p"] == code, "_row"]
        problems.append(
            Problem(
                f"weights add up to {weight[code] * 100:g}%, not 100% "
                f"(rows {rows.min()}-{rows.max()})",
                "correct the 权重 column so this person's weights total 100%",
                file=items["_file"].iloc[0],
                person=persons[code],
                column="权重",
            )
        )
    needs = _per_indicator(plan, items, lambda i: i.rule.needs_target())
    divides = _per_indicator(plan, items, lambda i: i.rule.divides_by_target())
    target = items["target"].to_numpy(float)
    bad = (needs & np.isnan(target)) | (divides & (target == 0))
    for _, row in items[bad].iterrows():
        what = "missing" if pd.isna(row["target"]) else "zero"
        problems.append(
            Problem(
                f"target for {row['item']!r} is {what}, but its rule "
                f"{'divides by' if what == 'zero' else 'needs'} a target",
                "fill in a target above 0 in 目标值",
                person=row["person"],
                column="目标值",
                **_at(row),
            )
        )
    items["_derived"] = _per_indicator(
        plan, items, lambda i: i.formula is not None or i.team is not None
    )
    items["_weighted"] = weighted
    return items, pd.Index(persons), pd.Index(names)


def _values(
    plan: Plan,
    items: pd.DataFrame,
    persons: pd.Index,
    names: pd.Index,
    actuals: pd.DataFrame,
    problems: list,
) -> pd.DataFrame:
    """Check the actuals against the plan and the targets: person, item, value (float)."""
    bonus = {n for n, i in plan.indicators.items() if not i.rule.weighted and not i.formula}
    extra = [n for n in [*plan.measures, *bonus] if n not in names]
    book = names.append(pd.Index(extra))
    p = _codes(actuals["person"], persons)
    i = _codes(actuals["item"], book)
    stray = p < 0
    for person, rows in actuals[stray].groupby("person", sort=False)["_row"]:
        problems.append(
            Problem(
                f"person {person!r} is in the actuals but not in the plan's targets"
                f"{nearest(person, persons)}",
                "add the person to the targets, or remove their rows",
                file=actuals["_file"].iloc[0],
                where=f"row {rows.iloc[0]}",
                person=person,
                code="unknown_person",
            )
        )
    value = actuals["value"]
    blank = (
        value.isna().to_numpy()
        if pd.api.types.is_numeric_dtype(value)
        else (value.astype(str).str.strip() == "").to_numpy()
    )
    # an item outside the book (-1) or a person outside the targets (-1) gets no key at
    # all: a key computed from a -1 code would land on another person's item
    known = ~stray & (i >= 0)
    key = np.where(known, p.astype(np.int64) * len(book) + i, -1)
    items["_key"] = items["_p"].to_numpy(np.int64) * len(book) + items["_i"].to_numpy()
    is_measure = np.isin(book, [*plan.measures, *bonus])
    own = known & (pd.Series(key).isin(items["_key"]).to_numpy() | is_measure[np.maximum(i, 0)])
    in_plan = actuals["item"].isin(list(plan.indicators)).to_numpy()
    _unknown_names(plan, actuals[(i < 0) & ~in_plan & ~blank], problems)
    # wide sheets have a column for every indicator: a blank cell outside the
    # person's own items is simply not theirs
    for _, row in actuals[~stray & ~own & (in_plan | (i >= 0)) & ~blank].iterrows():
        mine = list(items.loc[items["person"] == row["person"], "item"])
        problems.append(
            Problem(
                f"{row['item']!r} is not one of this person's items "
                f"({', '.join(mine)}){nearest(row['item'], mine)}",
                "put the value under one of the person's items, or add the item to the targets",
                person=row["person"],
                column=row["_column"],
                code="not_persons_item",
                **_at(row),
            )
        )
    keep = own & ~blank
    actuals = actuals[keep].assign(_key=key[keep])
    dup = actuals["_key"].duplicated(keep=False).to_numpy()
    for (person, item), rows in actuals[dup].groupby(["person", "item"], sort=False)["_row"]:
        problems.append(
            Problem(
                f"{item!r} has {len(rows)} values (rows {', '.join(map(str, rows))})",
                "keep one row per person and indicator",
                file=actuals["_file"].iloc[0],
                person=person,
                column="实际值",
                code="duplicate_value",
            )
        )
    entries = {**plan.measures, **plan.indicators}
    may_be_negative = np.array([n in entries and entries[n].allow_negative for n in book])
    allow_negative = may_be_negative[i[keep]]
    parsed, bad = to_number(actuals, "value", allow_negative=allow_negative)
    problems.extend(bad)
    return actuals.assign(value=parsed, _p=p[keep])[
        ["person", "item", "value", "_key", "_p", "_file", "_row"]
    ]


def _unknown_names(plan: Plan, given: pd.DataFrame, problems: list) -> None:
    """One problem per unknown column (wide sheets) or unknown name (long sheets).

    ``given`` holds the non-blank values whose item is neither a target item, a
    measure nor a bonus item. A column the plan does not know is reported once, with
    how many people have a value in it, never once per person.
    """
    known = [*plan.indicators, *plan.measures]
    for (item, column), rows in given.groupby(["item", "_column"], sort=False):
        close = difflib.get_close_matches(str(item), known, n=3, cutoff=0.4)
        hint = f"；最接近的已知名称：{'、'.join(close)}" if close else ""
        wide = column == item
        where = f"列 {item!r}" if wide else f"指标 {item!r}"
        problems.append(
            Problem(
                f"{where}不在计划的指标或原始数据(measures)中，"
                f"{rows['person'].nunique()} 人在此有值{hint}",
                "改正名称，或在计划的 indicators/measures 中声明它；不用的列请删除",
                file=rows["_file"].iloc[0],
                where=f"row {rows['_row'].iloc[0]}" if not wide else None,
                person=rows["person"].iloc[0] if rows["person"].nunique() == 1 else None,
                column=column,
                code="unknown_column" if wide else "unknown_indicator",
            )
        )


def _attach_actuals(plan, items, values, problems) -> pd.DataFrame:
    unique = values.drop_duplicates("_key")
    at = pd.Index(unique["_key"]).get_indexer(items["_key"])
    items["actual"] = np.append(unique["value"].to_numpy(float), np.nan)[at]
    given = at >= 0
    formulas = {n: i for n, i in plan.indicators.items() if i.formula}
    measures = _wide(values) if formulas else None
    # a derived value's inputs are in the actuals file: its problems name that file
    source = values["_file"].iloc[0] if len(values) else None
    for name, ind in formulas.items():
        mask = (items["indicator"] == name).to_numpy()
        if not ind.rule.weighted or not mask.any():
            continue
        formula = Formula.parse(ind.formula)
        persons = items.loc[mask, "person"]
        holders = persons.unique()
        frame = measures.reindex(columns=sorted(formula.names))
        # rank(), mean()... see everyone who has the measures, not only the holders
        # (seed 003: 项目负责人安排系数 = 2 × 研发人平均安排系数)
        everyone = frame.index.union(holders) if formula.group else holders
        frame = frame.reindex(index=everyone)
        missing = frame.reindex(index=holders, columns=sorted(formula.own_names)).isna()
        for person, row in missing[missing.any(axis=1)].iterrows():
            problems.append(
                Problem(
                    f"{name!r} is derived by {ind.formula!r}, but "
                    f"{', '.join(row[row].index)} is missing",
                    "add the measure to the month's actuals",
                    file=source,
                    person=person,
                )
            )
        try:
            derived = formula.evaluate(lambda n, f=frame: f[n])
        except FormulaError as exc:
            where = np.broadcast_to(np.asarray(exc.where), (len(frame),))
            where = pd.Series(where, index=frame.index).reindex(holders)
            for person in holders[where.to_numpy(bool) & ~missing.any(axis=1).to_numpy()]:
                problems.append(
                    Problem(
                        f"{name!r}: {exc} for this person",
                        "check the measures in the actuals",
                        file=source,
                        person=person,
                    )
                )
            derived = pd.Series(np.nan, index=frame.index)
        items.loc[mask, "actual"] = persons.map(derived).to_numpy()
    reads_actual = _per_indicator(
        plan, items, lambda i: i.rule.inputs == "actual" and i.rule.weighted
    )
    # a value given but unreadable was reported already; here: values not given at all
    missing = ~given & reads_actual & ~items["_derived"].to_numpy()
    has_values = np.bincount(values["_p"], minlength=items["_p"].max() + 1) > 0
    absent = missing & ~has_values[items["_p"]]
    for person in items.loc[absent, "person"].unique():
        problems.append(
            Problem(
                f"person {person!r} is in the targets but has no actuals",
                "add their row(s) to the month's actuals, or remove them from the targets",
                file=source,
                person=person,
            )
        )
    for _, row in items[missing & ~absent].iterrows():
        problems.append(
            Problem(
                f"no actual for {row['item']!r}",
                f"add a value for {row['item']!r}",
                file=source,
                person=row["person"],
            )
        )
    extra = [
        _bonus_rows(name, ind, values, measures)
        for name, ind in plan.indicators.items()
        if not ind.rule.weighted
    ]
    extra = [e for e in extra if len(e)]
    if extra:
        extra = pd.concat(extra).merge(
            items.drop_duplicates("person")[["person", "role", "_p"]], on="person"
        )
        extra["_ind"] = _codes(extra["indicator"], pd.Index(list(plan.indicators)))
        items = pd.concat(
            [items, extra.assign(weight=0.0, target=np.nan, _weighted=False)], ignore_index=True
        )
    return items


def _bonus_rows(name, ind, values, measures) -> pd.DataFrame:
    """Bonus items for the people who have a value for them: given, or derived by formula."""
    if ind.formula:
        formula = Formula.parse(ind.formula)
        if measures is None or not formula.names <= set(measures.columns):
            return pd.DataFrame()
        have = measures.dropna(subset=sorted(formula.names))
        actual = pd.Series(np.asarray(formula.evaluate(lambda n: have[n]), float), have.index)
    else:
        given = values[values["item"] == name]
        actual = pd.Series(given["value"].to_numpy(float), given["person"].to_numpy())
    return pd.DataFrame(
        {
            "person": actual.index,
            "indicator": name,
            "item": name,
            "actual": actual.to_numpy(),
            "_derived": bool(ind.formula),
        }
    )


def _wide(values: pd.DataFrame) -> pd.DataFrame:
    """Person × measure table of the actuals, for formulas and gates."""
    return values.drop_duplicates(["person", "item"]).pivot(
        index="person", columns="item", values="value"
    )


def _attach_incidents(plan, items, incidents, problems) -> pd.DataFrame:
    items["deduction"], items["detail"] = 0.0, ""
    if incidents is None or incidents.empty:
        return items
    rule_of = {n: i.rule for n, i in plan.indicators.items() if i.rule.inputs == "incidents"}
    keys = set(zip(items["person"], items["item"], strict=True))
    ok = pd.Series(True, index=incidents.index)
    for idx, row in incidents.iterrows():  # incident tables are short; errors need each row
        rule = rule_of.get(row["item"])
        where = {"person": row["person"], **_at(row)}
        if rule is None:
            problems.append(
                Problem(
                    f"{row['item']!r} is not an incidents item of the plan"
                    f"{nearest(row['item'], rule_of)}",
                    "use one of: " + ", ".join(rule_of),
                    column="指标",
                    **where,
                )
            )
        elif (row["person"], row["item"]) not in keys:
            problems.append(
                Problem(
                    f"person has no item {row['item']!r} in the targets",
                    "check the name, or add the item to their targets",
                    **where,
                )
            )
        elif row["kind"] not in rule.kinds:
            problems.append(
                Problem(
                    f"unknown kind {row['kind']!r} for {row['item']!r}"
                    f"{nearest(row['kind'], rule.kinds)}",
                    "use one of: " + ", ".join(rule.kinds),
                    column="类型",
                    **where,
                )
            )
        else:
            kind = rule.kinds[row["kind"]]
            if kind.points is None and not (kind.min <= (row["points"] or -1) <= kind.max):
                problems.append(
                    Problem(
                        f"{row['kind']!r} deducts {kind.min:g}-{kind.max:g} points per incident; "
                        f"got {row['points'] if pd.notna(row['points']) else 'nothing'}",
                        "write the deduction decided for this incident in 扣分",
                        column="扣分",
                        **where,
                    )
                )
            else:
                continue
        ok[idx] = False
    good = incidents[ok]
    if good.empty:
        return items
    # 扣分 of a ranged kind is decided per incident: a row of 次数 4, 扣分 10 costs 40.
    # Rows of the same kind are pooled first, so escalation counts all of them.
    grouped = (
        good.assign(given=good["points"] * good["count"])
        .groupby(["person", "item", "kind"], sort=False)
        .agg(count=("count", "sum"), given=("given", "sum"))
        .reset_index()
    )
    cost = np.zeros(len(grouped))
    for item, rule in rule_of.items():
        for kind_name, kind in rule.kinds.items():
            m = ((grouped["item"] == item) & (grouped["kind"] == kind_name)).to_numpy()
            cost[m] = kind.cost(grouped.loc[m, "count"].to_numpy(), grouped.loc[m, "given"])
    grouped["cost"] = cost
    grouped["text"] = text.cat(
        grouped["kind"], "×", text.number(grouped["count"]), " 扣 ", text.number(cost)
    )
    per_item = (
        grouped.groupby(["person", "item"], sort=False)
        .agg(deduction=("cost", "sum"), detail=("text", "、".join))
        .reset_index()
    )
    items = items.drop(columns=["deduction", "detail"]).merge(
        per_item, on=["person", "item"], how="left"
    )
    items["deduction"] = items["deduction"].fillna(0.0)
    items["detail"] = items["detail"].fillna("")
    return items


def _attach_ratings(plan, items, ratings, problems) -> pd.DataFrame:
    items["share"] = np.nan
    rated = [n for n, i in plan.indicators.items() if i.rule.inputs == "ratings"]
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
                problems.append(
                    Problem(
                        f"unknown {col} {row[col]!r} for {item!r}",
                        f"use one of: {', '.join(allowed) or '(blank)'}",
                        person=row["person"],
                        column=label,
                        **_at(row),
                    )
                )
        mine = mine[mine["level"].isin(list(rule.levels)) & mine["rater"].isin(list(raters))]
        # a role under combine: may have several raters (同事互评), told apart by
        # 评价人姓名 when the file gives it; any other role rates once
        several = mine["rater"].isin(list(rule.combine)).to_numpy()
        same_name = (
            mine["rater_name"].fillna("").ne("")
            & mine.duplicated(["person", "rater", "rater_name"])
            if "rater_name" in mine
            else False
        )
        twice = np.where(several, same_name, mine.duplicated(["person", "rater"]))
        for _, row in mine[twice].iterrows():
            problems.append(
                Problem(
                    f"{item!r} rated twice by {row['rater'] or 'the rater'}",
                    "keep one rating per rater",
                    person=row["person"],
                    code="rated_twice",
                    **_at(row),
                )
            )
        got = _combine_ratings(rule, raters, mine[~twice])
        count = got["roles"].reindex(wanted["person"]).fillna(0)
        for person in count[count < len(raters)].index:
            have = set(mine.loc[mine["person"] == person, "rater"])
            lacking = [r or "a rating" for r in raters if r not in have]
            problems.append(
                Problem(
                    f"{item!r} lacks {', '.join(lacking)}",
                    "add the rating(s) to the ratings file",
                    person=person,
                )
            )
        parts.append(got.reset_index().assign(item=item))
    got = pd.concat(parts)[["person", "item", "share", "detail"]]
    items = items.drop(columns="share").merge(
        got.rename(columns={"detail": "_rated"}), on=["person", "item"], how="left"
    )
    items["detail"] = items["_rated"].fillna(items["detail"])
    return items.drop(columns="_rated")


def _combine_ratings(rule, raters: dict, ratings: pd.DataFrame) -> pd.DataFrame:
    """Per person: share (0-1), roles rated and the reason's detail, raters' names never shown.

    Each role's level values are combined first (one rater: its value; a role under
    ``combine``: mean, median or trimmed mean of its raters), then weighted by the role.
    """
    value = ratings["level"].map(rule.levels).astype(float)
    top = max(rule.levels.values())
    per = (
        ratings.assign(value=value, ranked=value.rank(method="first", ascending=False))
        .sort_values("ranked")
        .groupby(["person", "rater"], sort=False)
        .agg(
            n=("value", "size"),
            mean=("value", "mean"),
            median=("value", "median"),
            total=("value", "sum"),
            high=("value", "max"),
            low=("value", "min"),
            level=("level", "first"),
            levels=("level", "、".join),
        )
        .reset_index()
    )
    # the reason lists the roles in the plan's order
    per = per.iloc[np.argsort(pd.Index(list(raters)).get_indexer(per["rater"]), kind="stable")]
    per = per.reset_index(drop=True)
    how = per["rater"].map(pd.Series(rule.combine, dtype=object)).to_numpy(object)
    how = np.where(pd.isna(how), "mean", how)
    trimmed = np.where(
        per["n"] >= 3, (per["total"] - per["high"] - per["low"]) / (per["n"] - 2), per["mean"]
    )
    combined = np.select([how == "median", how == "trimmed"], [per["median"], trimmed], per["mean"])
    weight = per["rater"].map(raters).to_numpy(float)
    label = per["rater"].where(per["rater"] == "", per["rater"] + " ")
    several = per["n"].to_numpy() > 1
    said = pd.Series(how).map(COMBINE_LABELS).to_numpy(object)
    piece = np.where(
        several,
        text.cat(
            label,
            per["n"].astype(str),
            "人（",
            per["levels"],
            "）",
            said,
            " ",
            text.percent(combined / top),
        ),
        text.cat(label, per["level"]),
    )
    if rule.raters:
        piece = text.cat(piece, "(", text.number(weight * 100), "%)")
    per = per.assign(part=combined / top * weight, piece=piece)
    return per.groupby("person", sort=False).agg(
        share=("part", "sum"), roles=("part", "size"), detail=("piece", "、".join)
    )


def _score_items(plan: Plan, items: pd.DataFrame, explain: bool) -> pd.DataFrame:
    items = items.reset_index(drop=True)
    items["full_points"] = items["weight"].to_numpy(float) * plan.scale
    codes = items["_ind"].to_numpy()
    inputs = items[["full_points", "target", "actual", "deduction", "share", "detail"]]
    completion, points = np.empty(len(items)), np.empty(len(items))
    reason = np.full(len(items), "", dtype=object)
    for code, ind in enumerate(plan.indicators.values()):  # one vectorized call per indicator
        rows = np.flatnonzero(codes == code)
        if not len(rows):
            continue
        out = ind.rule.score(inputs.iloc[rows], ind.lower, ind.unit, explain)
        completion[rows], points[rows] = out["completion"], out["points"]
        if explain:
            reason[rows] = out["reason"]
    items["completion"], items["points"], items["reason"] = completion, points, reason
    # per-indicator labels as categoricals: one code per row, no string per row
    for column, attribute in (("section", lambda i: i.section), ("rule", lambda i: i.rule.type)):
        labels = pd.Index([attribute(i) for i in plan.indicators.values()])
        categories = labels.dropna().unique()
        codes = np.append(categories.get_indexer(labels), -1)[items["_ind"].to_numpy()]
        items[column] = pd.Categorical.from_codes(codes, categories)
    return items


def _people(plan: Plan, items: pd.DataFrame, targets: pd.DataFrame, measures):
    persons = targets.drop_duplicates("person").set_index("person")[["role", "english_name"]]
    order = persons.index.get_indexer(items["person"])
    n = len(persons)

    def per_person(values, mask):
        return np.bincount(order[mask], np.asarray(values, float)[mask], minlength=n)

    weighted = items["_weighted"].to_numpy(bool)
    base = per_person(items["points"], weighted)
    full = per_person(items["full_points"], weighted)
    with np.errstate(invalid="ignore", divide="ignore"):
        people = persons.assign(completion=np.where(full > 0, base / full, np.nan))
    valid = pd.Series(True, index=persons.index)
    fired = pd.Series("", index=persons.index, dtype=object)
    # multipliers first, in the plan's order, then vetoes, which see the multiplied
    # points (docs/plan-format.md), wherever the plan lists them
    gates = sorted(plan.gates, key=lambda g: g.effect == "void")
    for gate in gates:
        hit = pd.Series(_gate_hits(gate, items, measures, persons.index), index=persons.index)
        fired = fired + np.where(hit, gate.name + "；", "")
        if gate.effect == "void":
            valid &= ~hit
        else:
            m = ((items["indicator"] == gate.item) & items["person"].map(hit)).to_numpy()
            items.loc[m, "points"] = round_points(items.loc[m, "points"] * gate.factor)
            items.loc[m, "reason"] = text.cat(
                items.loc[m, "reason"],
                f"；{gate.name} ×{gate.factor:g} → ",
                text.points(items.loc[m, "points"]),
            )
    block, items = teams.limit_sections(plan, items, order, n)
    people["weighted_points"] = per_person(items["points"], weighted) + block
    bonus = per_person(items["points"], ~weighted)
    if plan.bonus_cap is not None:
        bonus = np.minimum(bonus, plan.bonus_cap)
    people["bonus_points"] = bonus
    people["total"] = round_points(people["weighted_points"] + bonus)
    people["valid"] = valid
    people["gates"] = fired.str.rstrip("；")
    people["grade"] = _grade(plan, people["total"]).where(valid, plan.void_grade)
    people["rank"] = people["total"].where(valid).rank(ascending=False, method="min")
    return items, people.reset_index()


def _grade(plan: Plan, total: pd.Series) -> pd.Series:
    grades = plan.grades
    # a total at or above a grade's min (含); np.select needs one condition at least,
    # so a plan with a single grade gives it to everyone
    conditions = [compare.at_least(total, g.min) for g in grades[:-1]]
    conditions = conditions or [np.zeros(len(total), bool)]
    names = [g.name for g in grades[:-1]] or [grades[-1].name]
    return pd.Series(np.select(conditions, names, grades[-1].name), index=total.index)


def _gate_hits(gate, items, measures, persons: pd.Index) -> np.ndarray:
    """Where ``gate.when`` holds; a gate whose inputs a person lacks never fires for them."""

    def wide(frame, key, column):
        return frame.pivot_table(index="person", columns=key, values=column, aggfunc="sum").reindex(
            persons
        )

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
