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
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import pandas as pd

from kpilib import text
from kpilib.engine import adjustments as adjust
from kpilib.engine import teams
from kpilib.engine.formula import Formula, FormulaError
from kpilib.engine.plan import Plan, grade_of, nearest
from kpilib.engine.rules import COMBINE_LABELS
from kpilib.errors import DataError, Problem
from kpilib.i18n import N_, _
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
ENGINES = ("auto", "pandas", "duckdb")
# ``engine="auto"`` hands a month of this many target (person-indicator) rows or more to
# DuckDB SQL. Measured with scripts/bench_scoring.py (README) on 2 cores, the SQL path took
# about 4x the pandas path's CPU at 1M and at 10M rows, with more memory at both: auto keeps
# pandas for every size measured; DuckDB is there on request (engine="duckdb")
SQL_ROWS = 50_000_000
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
    # scored with explain=False: writes reasons when asked (see reasons())
    later: Callable[[str | None], pd.Series] | None = field(default=None, repr=False, compare=False)

    def reasons(self, person: str | None = None) -> pd.Series:
        """The reason of each item, or of ``person``'s items only, indexed like ``items``.

        A result scored with ``explain=False`` writes them now, for the person shown
        (a few milliseconds) or for everyone; the text is the same ``explain=True``
        writes while scoring.
        """
        if self.later is not None:
            return self.later(person)
        reason = self.items["reason"]
        return reason if person is None else reason[self.items["person"] == person]

    def explained(self) -> Result:
        """This result with every item's reason written in ``items``."""
        if self.later is None:
            return self
        return replace(self, items=self.items.assign(reason=self.reasons().to_numpy()), later=None)


def score(
    plan: Plan,
    targets: pd.DataFrame,
    actuals: pd.DataFrame | None = None,
    incidents: pd.DataFrame | None = None,
    ratings: pd.DataFrame | None = None,
    month: str | None = None,
    explain: bool = True,
    adjustments: pd.DataFrame | None = None,
    engine: Literal["auto", "pandas", "duckdb"] = "auto",
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
        Write the human-readable ``reason`` of every item (the default). With
        ``False`` (bulk runs) ``reason`` is left empty and the result writes the
        same text when asked: :meth:`Result.reasons` for the person shown, or
        :meth:`Result.explained` for everyone.
    adjustments : DataFrame, optional
        Recorded appeals and adjustments (:data:`kpilib.engine.adjustments.ADJUSTMENT_COLUMNS`):
        a corrected actual replaces the actual before the rules run, decided points
        replace the rule's points before gates, the bonus cap, grades and ranks.
        Adjusted items keep ``original_points`` and ``original_actual``.
    engine : {"auto", "pandas", "duckdb"}
        Who does the row-level work (checking, keying, joining, the rules' points):
        pandas/NumPy, or DuckDB SQL (:mod:`kpilib.engine.sql_scoring`); ``auto``: DuckDB
        from :data:`SQL_ROWS` target rows on. The result is the same; a month the SQL
        path does not cover, or whose inputs have a problem, is scored (and its problems
        reported) by the pandas path.

    Returns
    -------
    Result
        ``items`` and ``people`` tables.

    Raises
    ------
    DataError
        Listing every problem found in the inputs.
    """
    if engine not in ENGINES:
        raise ValueError(
            _("engine 须是 {allowed} 之一；读到 {got!r}").format(
                allowed="、".join(ENGINES), got=engine
            )
        )
    problems: list[Problem] = []
    if actuals is None:
        actuals = pd.DataFrame(columns=["person", "item", "value", "_file", "_row", "_column"])
    needs_measures = bool(plan.gates or plan.exclusions or plan.grade_ceilings)
    # person × measure: built once, for formulas, exclusions, gates and grade ceilings
    needs_wide = needs_measures or any(i.formula for i in plan.indicators.values())
    if engine == "duckdb" or (engine == "auto" and len(targets) >= SQL_ROWS):
        from kpilib.engine import sql_scoring  # only big months pay for importing DuckDB

        if sql_scoring.covers(plan, actuals, incidents, adjustments):
            got = sql_scoring.score_rows(plan, targets, actuals)
            if got is not None:
                measures = _wide(got["values"]) if needs_measures else None
                outside = _left_out(plan, measures, targets["person"], month)
                items = _sql_items(plan, targets, got)
                return _finish(plan, month, items, measures, explain, outside)
    targets = teams.derive_targets(plan, targets, problems)
    items, persons, names = _check_targets(plan, targets, problems)
    values = _values(plan, items, persons, names, actuals, problems)
    wide = _wide(values) if needs_wide else None
    # 不参加考核 decided from measures and staff dates: out of rank(), mean(), team actuals
    outside = _left_out(plan, wide, items["person"], month)
    items = _attach_actuals(plan, items, values, wide, problems, outside)
    items = teams.team_actuals(plan, items, values, problems, outside)
    items = _attach_incidents(plan, items, incidents, problems)
    items = _attach_ratings(plan, items, ratings, problems).reset_index(drop=True)
    adjusting = adjustments is not None and len(adjustments) > 0
    at = adjust.locate(items, adjustments, problems) if adjusting else None
    if problems:
        raise DataError(problems)
    measures = wide if needs_measures else None
    # points first, reasons after: the same pass writes them now or for whoever is shown
    items = _score_items(plan, items, False)
    adjustments = adjustments if adjusting else None
    return _finish(plan, month, items, measures, explain, outside, adjustments, at)


def _finish(
    plan, month, items, measures, explain, outside=None, adjustments=None, at=None
) -> Result:
    """Per-person totals, gates, grades, ranks and reasons of the scored ``items``;
    ``outside``: the people left out of the department's functions (不参加考核)."""
    adjusting = adjustments is not None
    items, people, hits = _people(plan, items, measures, outside)
    if adjusting:  # the same month without them, row for row, gives the original figures
        original = (items, people)
        items = _score_items(plan, adjust.replace_actuals(items, adjustments, at), False)
        items = adjust.replace_points(items, adjustments, at, False)
        items, people, hits = _people(plan, items, measures, outside)
    items, people = adjust.mark(items, people, original if adjusting else None, adjustments, at)
    people = teams.exclude_and_cap(plan, people.set_index("person"), measures, month)
    later = _Reasons(plan, items, adjustments if adjusting else None, hits, people.index)
    if explain:
        items = items.assign(reason=later(None).to_numpy())
    return Result(
        plan,
        month,
        items[ITEM_COLUMNS + ADJUSTED_ITEM_COLUMNS],
        people.reset_index()[PEOPLE_COLUMNS + ADJUSTED_PEOPLE_COLUMNS],
        None if explain else later,
    )


def _left_out(plan: Plan, measures, persons: pd.Series, month) -> pd.Index | None:
    """不参加考核 decided from ``measures`` (person × measure) and staff dates (out of
    rank(), mean(), team actuals); None, at no cost, for a plan without exclusions."""
    if not plan.exclusions:
        return None
    return teams.left_out(plan, measures, pd.Index(pd.unique(persons)), month)


def _sql_items(plan: Plan, targets: pd.DataFrame, got: dict) -> pd.DataFrame:
    """The items :func:`kpilib.engine.sql_scoring.score_rows` scored, with the columns (and
    dtypes) the pandas path gives them, for the per-person stages and the reasons."""
    items = targets.reset_index(drop=True)
    items["_p"] = _factorize(items["person"], len(items) // len(plan.indicators))[0]
    items["_ind"] = got["ind"].astype(np.int64)
    items["_derived"], items["_weighted"] = False, True
    items["actual"] = got["actual"].astype(float)
    items["deduction"], items["detail"], items["share"] = 0.0, "", np.nan
    items["full_points"] = items["weight"].to_numpy(float) * plan.scale
    items["completion"] = got["completion"].astype(float)
    items["points"] = got["points"].astype(float)
    items["reason"] = np.full(len(items), "", dtype=object)
    return _labelled(plan, items)


@dataclass(frozen=True)
class _Reasons:
    """What a result keeps to write its reasons later: for one person, or for everyone."""

    plan: Plan
    items: pd.DataFrame
    adjustments: pd.DataFrame | None
    hits: list
    persons: pd.Index

    def __call__(self, person: str | None) -> pd.Series:
        rows = slice(None)
        if person is not None:
            code = self.persons.get_indexer([person])[0]
            rows = np.flatnonzero(self.items["_p"].to_numpy() == code)
        items = self.items.iloc[rows]
        reasons = _reasons(self.plan, items, self.adjustments, self.hits, len(self.persons))
        return pd.Series(reasons, index=items.index, name="reason")


def _at(row) -> dict:
    return {"file": row["_file"], "where": _("第 {row} 行").format(row=row["_row"])}


def _factorize(values: pd.Series, distinct: int) -> tuple[np.ndarray, pd.Index]:
    """Integer codes (first appearance order, -1 for blank) and the distinct values.

    Every key column is hashed once, here, and only its codes travel on. A plain
    object array hashes faster than pandas' string array; a categorical column
    is hashed already, so only its integer codes are (cheaply) renumbered.
    ``distinct``: about how many distinct values to expect. The hash table is sized
    for twice as many (it grows if there are more; a fuller table probes longer), not
    for every row: a table for a million rows is 32 MB of fresh memory to fault in.
    """
    if isinstance(values.dtype, pd.CategoricalDtype) and not values.hasnans:
        codes, used = pd.factorize(values.cat.codes.to_numpy())
        return codes, pd.Index(values.cat.categories[used], dtype=values.cat.categories.dtype)
    values = values.to_numpy(object)
    # a person's rows usually come together (a sheet lists one person's indicators in
    # a block): then only the first row of each run is hashed, and a comparison with
    # the row before, a fraction of a hash, does for the rest
    head = values[:1000]
    try:  # (pd.NA cannot be compared: such a column is hashed row by row)
        runs = len(values) > 1000 and np.count_nonzero(head[1:] == head[:-1]) > len(head) // 2
        starts = np.flatnonzero(np.append(True, values[1:] != values[:-1])) if runs else None
    except TypeError:
        starts = None
    if starts is not None:
        codes, uniques = pd.factorize(values[starts], size_hint=2 * distinct)
        return np.repeat(codes, np.diff(np.append(starts, len(values)))), pd.Index(uniques)
    codes, uniques = pd.factorize(values, size_hint=2 * distinct)
    return codes, pd.Index(uniques)


def _codes(values: pd.Series, book: pd.Index) -> np.ndarray:
    """Positions of ``values`` in ``book`` (-1 if absent), hashing each distinct value once."""
    codes, uniques = _factorize(values, len(book))
    return np.append(book.get_indexer(uniques), -1)[codes]


def _positions(keys: np.ndarray, wanted: np.ndarray, size: int) -> np.ndarray:
    """Where each of ``wanted`` first occurs in ``keys`` (-1 if nowhere); keys lie in [0, size).

    Keys are person code × items + item code: while that range is small, a dense
    table answers without hashing anything.
    """
    keys, wanted = np.asarray(keys, np.int64), np.asarray(wanted, np.int64)
    if size <= 4 * (len(keys) + len(wanted)) + 4096:
        table = np.full(size + 1, -1, np.int64)  # the last slot answers for -1 (no key)
        table[keys[::-1]] = np.arange(len(keys) - 1, -1, -1)  # the first occurrence wins
        return table[np.where(wanted < 0, size, wanted)]
    first = np.flatnonzero(~pd.Series(keys).duplicated().to_numpy())
    return np.append(first, -1)[pd.Index(keys[first]).get_indexer(wanted)]


def _per_indicator(plan: Plan, items: pd.DataFrame, attribute) -> np.ndarray:
    """``attribute(indicator)`` for every item row, via the ``_ind`` codes."""
    return np.array([attribute(i) for i in plan.indicators.values()])[items["_ind"].to_numpy()]


def _check_targets(plan: Plan, targets: pd.DataFrame, problems: list) -> pd.DataFrame:
    book = pd.Index(list(plan.indicators))
    i_codes, names = _factorize(targets["item"], len(plan.indicators))
    indicator = np.append(book.get_indexer(names), -1)[i_codes]
    # most rows name their indicator as their item: comparing the two columns costs a
    # fraction of hashing one, so only the other rows' indicators are hashed; a sheet
    # without sub-items is read with one column for both (nothing to compare)
    indicators, item_names = targets["indicator"].to_numpy(object), targets["item"].to_numpy(object)
    other = indicators != item_names if indicators is not item_names else np.zeros(0, bool)
    if other.any():
        indicator[other] = _codes(targets["indicator"][other], book)
    known = indicator >= 0
    for _i, row in targets[~known].iterrows():
        problems.append(
            Problem(
                _("指标 {name!r} 不在方案中{hint}").format(
                    name=row["indicator"], hint=nearest(row["indicator"], plan.indicators)
                ),
                _("改正名称，或把该指标加到方案的 indicators: 下"),
                person=row["person"],
                column="指标",
                code="unknown_indicator",
                **_at(row),
            )
        )
    items = targets.reset_index(drop=True)
    if not known.all():
        items = targets[known].reset_index(drop=True)
        i_codes, names = _factorize(items["item"], len(plan.indicators))
    # most people hold every indicator: a first guess at how many there are
    p_codes, persons = _factorize(items["person"], len(items) // len(plan.indicators) + 1)
    items = items.assign(_p=p_codes, _i=i_codes, _ind=indicator[known])
    key = p_codes.astype(np.int64) * max(len(names), 1) + i_codes
    size = len(persons) * max(len(names), 1)
    dup = _positions(key, key, size) != np.arange(len(key))  # a later copy of a key
    if dup.any():
        dup = np.isin(key, key[dup])
    for (person, item), rows in items[dup].groupby(["person", "item"])["_row"]:
        problems.append(
            Problem(
                _("指标 {item!r} 出现 {count} 次（第 {rows} 行）").format(
                    item=item, count=len(rows), rows="、".join(map(str, rows))
                ),
                _("每人每个指标只留一行"),
                file=items["_file"].iloc[0],
                person=person,
                column="指标",
                code="duplicate_item",
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
                _("权重合计 {total:g}%，不是 100%（第 {first}–{last} 行）").format(
                    total=weight[code] * 100, first=rows.min(), last=rows.max()
                ),
                _("改正「权重」列，使此人的权重合计为 100%"),
                file=items["_file"].iloc[0],
                person=persons[code],
                column="权重",
                code="weights_not_100",
            )
        )
    needs = _per_indicator(plan, items, lambda i: i.rule.needs_target())
    divides = _per_indicator(plan, items, lambda i: i.rule.divides_by_target())
    target = items["target"].to_numpy(float)
    bad = (needs & np.isnan(target)) | (divides & (target == 0))
    for _i, row in items[bad].iterrows():
        missing = pd.isna(row["target"])
        template = (
            _("{item!r} 没有目标值，但它的规则需要目标值")
            if missing
            else _("{item!r} 的目标值为 0，但它的规则要除以目标值")
        )
        problems.append(
            Problem(
                template.format(item=row["item"]),
                _("在「目标值」列填一个大于 0 的目标"),
                person=row["person"],
                column="目标值",
                code="missing_target" if missing else "zero_target",
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
                _("人员 {person!r} 在实际值中，但不在方案的目标里{hint}").format(
                    person=person, hint=nearest(person, persons)
                ),
                _("把此人加到目标表，或删掉此人的行"),
                file=actuals["_file"].iloc[0],
                where=_("第 {row} 行").format(row=rows.iloc[0]),
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
    size = len(persons) * len(book)
    is_measure = np.isin(book, [*plan.measures, *bonus])
    own = known & (
        (_positions(items["_key"].to_numpy(), key, size) >= 0) | is_measure[np.maximum(i, 0)]
    )
    # the item's code says whether the plan knows it; only names outside the book are looked up
    in_plan = np.append(book.isin(list(plan.indicators)), False)[i]
    outside = i < 0
    if outside.any():
        in_plan[outside] = actuals.loc[outside, "item"].isin(list(plan.indicators)).to_numpy()
    _unknown_names(plan, actuals[(i < 0) & ~in_plan & ~blank], problems)
    # wide sheets have a column for every indicator: a blank cell outside the
    # person's own items is simply not theirs
    for _i, row in actuals[~stray & ~own & (in_plan | (i >= 0)) & ~blank].iterrows():
        mine = list(items.loc[items["person"] == row["person"], "item"])
        problems.append(
            Problem(
                _("{item!r} 不是此人的考核指标（{items}）{hint}").format(
                    item=row["item"], items="、".join(mine), hint=nearest(row["item"], mine)
                ),
                _("把值写在此人的某个指标下，或把该指标加到目标表"),
                person=row["person"],
                column=row["_column"],
                code="not_persons_item",
                **_at(row),
            )
        )
    keep = own & ~blank
    actuals = (actuals if keep.all() else actuals[keep]).assign(_key=key[keep])
    dup = _positions(key[keep], key[keep], size) != np.arange(keep.sum())
    if dup.any():
        dup = np.isin(key[keep], key[keep][dup])
    for (person, item), rows in actuals[dup].groupby(["person", "item"], sort=False)["_row"]:
        problems.append(
            Problem(
                _("{item!r} 有 {count} 个值（第 {rows} 行）").format(
                    item=item, count=len(rows), rows="、".join(map(str, rows))
                ),
                _("每人每个指标只留一行"),
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
        hint = _("；最接近的已知名称：{names}").format(names="、".join(close)) if close else ""
        wide = column == item
        where = (_("列 {name!r}") if wide else _("指标 {name!r}")).format(name=item)
        problems.append(
            Problem(
                _("{where}不在计划的指标或原始数据(measures)中，{count} 人在此有值{hint}").format(
                    where=where, count=rows["person"].nunique(), hint=hint
                ),
                _("改正名称，或在计划的 indicators/measures 中声明它；不用的列请删除"),
                file=rows["_file"].iloc[0],
                where=_("第 {row} 行").format(row=rows["_row"].iloc[0]) if not wide else None,
                person=rows["person"].iloc[0] if rows["person"].nunique() == 1 else None,
                column=column,
                code="unknown_column" if wide else "unknown_indicator",
            )
        )


def _attach_actuals(plan, items, values, measures, problems, outside=None) -> pd.DataFrame:
    keys, wanted = values["_key"].to_numpy(np.int64), items["_key"].to_numpy(np.int64)
    size = int(max(keys.max(initial=0), wanted.max(initial=0))) + 1
    at = _positions(keys, wanted, size)
    items["actual"] = np.append(values["value"].to_numpy(float), np.nan)[at]
    given = at >= 0
    formulas = {n: i for n, i in plan.indicators.items() if i.formula}
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
                    _("{name!r} 由 {formula!r} 算出，但缺少 {measures}").format(
                        name=name, formula=ind.formula, measures="、".join(row[row].index)
                    ),
                    _("把这项原始数据加到本月的实际值中"),
                    file=source,
                    person=person,
                    code="missing_measure",
                )
            )
        try:
            members = None if outside is None else ~frame.index.isin(outside)
            derived = formula.evaluate(lambda n, f=frame: f[n], members=members)
        except FormulaError as exc:
            where = np.broadcast_to(np.asarray(exc.where), (len(frame),))
            where = pd.Series(where, index=frame.index).reindex(holders)
            for person in holders[where.to_numpy(bool) & ~missing.any(axis=1).to_numpy()]:
                problems.append(
                    Problem(
                        _("{name!r}：此人{error}").format(name=name, error=exc),
                        _("检查实际值中的原始数据"),
                        file=source,
                        person=person,
                        code="formula_error",
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
                _("人员 {person!r} 在目标中，但没有实际值").format(person=person),
                _("把此人的行加到本月的实际值中，或从目标表删掉此人"),
                file=source,
                person=person,
                code="no_actuals",
            )
        )
    for _i, row in items[missing & ~absent].iterrows():
        problems.append(
            Problem(
                _("{item!r} 没有实际值").format(item=row["item"]),
                _("为 {item!r} 填一个值").format(item=row["item"]),
                file=source,
                person=row["person"],
                code="missing_actual",
            )
        )
    extra = [
        _bonus_rows(name, ind, values, measures, outside)
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


def _bonus_rows(name, ind, values, measures, outside=None) -> pd.DataFrame:
    """Bonus items for the people who have a value for them: given, or derived by formula."""
    if ind.formula:
        formula = Formula.parse(ind.formula)
        if measures is None or not formula.names <= set(measures.columns):
            return pd.DataFrame()
        have = measures.dropna(subset=sorted(formula.names))
        members = None if outside is None else ~have.index.isin(outside)
        actual = formula.evaluate(lambda n: have[n], members=members)
        actual = pd.Series(np.asarray(actual, float), have.index)
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
                    _("{item!r} 不是方案中的按事项扣分指标{hint}").format(
                        item=row["item"], hint=nearest(row["item"], rule_of)
                    ),
                    _("改用其中之一：{names}").format(names="、".join(rule_of)),
                    column="指标",
                    code="not_incidents_item",
                    **where,
                )
            )
        elif (row["person"], row["item"]) not in keys:
            problems.append(
                Problem(
                    _("此人在目标中没有指标 {item!r}").format(item=row["item"]),
                    _("核对名称，或把该指标加到此人的目标中"),
                    code="not_persons_item",
                    **where,
                )
            )
        elif row["kind"] not in rule.kinds:
            problems.append(
                Problem(
                    _("{item!r} 没有类型 {kind!r}{hint}").format(
                        item=row["item"], kind=row["kind"], hint=nearest(row["kind"], rule.kinds)
                    ),
                    _("改用其中之一：{names}").format(names="、".join(rule.kinds)),
                    column="类型",
                    code="unknown_kind",
                    **where,
                )
            )
        else:
            kind = rule.kinds[row["kind"]]
            if kind.points is None and not (kind.min <= (row["points"] or -1) <= kind.max):
                problems.append(
                    Problem(
                        _("{kind!r} 每次扣 {low:g}–{high:g} 分；读到 {got}").format(
                            kind=row["kind"],
                            low=kind.min,
                            high=kind.max,
                            got=row["points"] if pd.notna(row["points"]) else _("空"),
                        ),
                        _("在「扣分」列写明这次事项决定扣的分"),
                        column="扣分",
                        code="deduction_out_of_range",
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
        for col, allowed, label in (
            ("level", rule.levels, N_("等级")),
            ("rater", raters, N_("评价人")),
        ):
            for _i, row in mine[~mine[col].isin(list(allowed))].iterrows():
                problems.append(
                    Problem(
                        _("{item!r} 没有{what} {value!r}").format(
                            item=item, what=_(label), value=row[col]
                        ),
                        _("改用其中之一：{names}").format(names="、".join(allowed) or _("（空）")),
                        person=row["person"],
                        column=label,
                        code=f"unknown_{col}",
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
        for _i, row in mine[twice].iterrows():
            problems.append(
                Problem(
                    _("{item!r} 被{rater}评了两次").format(
                        item=item, rater=row["rater"] or _("评价人")
                    ),
                    _("每位评价人只留一条评级"),
                    person=row["person"],
                    code="rated_twice",
                    **_at(row),
                )
            )
        got = _combine_ratings(rule, raters, mine[~twice])
        count = got["roles"].reindex(wanted["person"]).fillna(0)
        for person in count[count < len(raters)].index:
            have = set(mine.loc[mine["person"] == person, "rater"])
            lacking = [r or _("评级") for r in raters if r not in have]
            problems.append(
                Problem(
                    _("{item!r} 缺少 {lacking}").format(item=item, lacking="、".join(lacking)),
                    _("把缺少的评级加到评级文件中"),
                    person=person,
                    code="missing_rating",
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
    columns = {c: items[c].to_numpy() for c in ["full_points", "target", "actual"]}
    tallied = {c: items[c].to_numpy() for c in ["deduction", "share", "detail"]}
    completion, points = np.empty(len(items)), np.empty(len(items))
    # numbers only: one empty text for the column (an array of them costs 30 ms a million)
    reason = np.full(len(items), "", dtype=object) if explain else ""
    for code, ind in enumerate(plan.indicators.values()):  # one vectorized call per indicator
        rows = np.flatnonzero(codes == code)
        if not len(rows):
            continue
        # incident and rating rules also read what scoring tallied for them
        given = {**columns, **tallied} if ind.rule.inputs != "actual" else columns
        out = ind.rule.score({c: v[rows] for c, v in given.items()}, ind.lower, ind.unit, explain)
        completion[rows], points[rows] = out["completion"], out["points"]
        if explain:
            reason[rows] = out["reason"]
    items["completion"], items["points"], items["reason"] = completion, points, reason
    return _labelled(plan, items)


def _labelled(plan: Plan, items: pd.DataFrame) -> pd.DataFrame:
    """``section`` and ``rule`` of each item, as categoricals: one code per row, no string."""
    for column, attribute in (("section", lambda i: i.section), ("rule", lambda i: i.rule.type)):
        labels = pd.Index([attribute(i) for i in plan.indicators.values()])
        categories = labels.dropna().unique()
        codes = np.append(categories.get_indexer(labels), -1)[items["_ind"].to_numpy()]
        items[column] = pd.Categorical.from_codes(codes, categories)
    return items


def _people(plan: Plan, items: pd.DataFrame, measures, outside=None):
    """Per-person totals, gates, grades and ranks; items get the gates' multipliers.

    Returns the items, the people and, per gate (in the order they apply), where it
    holds per person code, which is all :func:`_reasons` needs to say so later.
    """
    order = items["_p"].to_numpy()
    n = int(order.max(initial=-1)) + 1
    first = np.empty(n, np.int64)  # each person's first row, in the targets' order
    first[order[::-1]] = np.arange(len(order) - 1, -1, -1)
    persons = items[["person", "role", "english_name"]].iloc[first].set_index("person")

    def per_person(values, mask):
        return np.bincount(order[mask], np.asarray(values, float)[mask], minlength=n)

    weighted = items["_weighted"].to_numpy(bool)
    base = per_person(items["points"], weighted)
    full = per_person(items["full_points"], weighted)
    with np.errstate(invalid="ignore", divide="ignore"):
        people = persons.assign(completion=np.where(full > 0, base / full, np.nan))
    valid = np.ones(n, bool)
    fired = np.full(n, "", dtype=object)
    hits = []
    for gate in _gates(plan):
        hit = _gate_hits(gate, items, measures, persons.index, outside)
        hits.append(hit)
        fired = fired + np.where(hit, gate.name + "；", "")
        if gate.effect == "void":
            valid &= ~hit
        else:
            items = _multiply(plan, items, gate, hit, explain=False)
    block, items = teams.limit_sections(plan, items, order, n, explain=False)
    weighted_points = per_person(items["points"], weighted) + block
    bonus = per_person(items["points"], ~weighted)
    if plan.bonus_cap is not None:
        bonus = np.minimum(bonus, plan.bonus_cap)
    total = round_points(weighted_points + bonus)
    # plain arrays: a Series on the person index would hash 100k names to align them;
    # the rank comes with the exclusions (teams.exclude_and_cap)
    people = people.assign(
        weighted_points=weighted_points,
        bonus_points=bonus,
        total=total,
        valid=valid,
        gates=pd.Series(fired).str.rstrip("；").to_numpy(object) if hits else "",
        grade=np.where(valid, grade_of(plan.grades, total), plan.void_grade),
    )
    return items, people.reset_index(), hits


def _gates(plan: Plan) -> list:
    # multipliers first, in the plan's order, then vetoes, which see the multiplied
    # points (docs/plan-format.md), wherever the plan lists them
    return sorted(plan.gates, key=lambda g: g.effect == "void")


def _multiply(plan: Plan, items: pd.DataFrame, gate, hit: np.ndarray, explain: bool):
    """A multiplier gate on ``gate.item`` for the people it holds for (``hit`` per person code)."""
    code = list(plan.indicators).index(gate.item) if gate.item in plan.indicators else -2
    m = (items["_ind"].to_numpy() == code) & hit[items["_p"].to_numpy()]
    if not m.any():
        return items
    items = items.copy()
    items.loc[m, "points"] = round_points(items.loc[m, "points"] * gate.factor)
    if explain:
        items.loc[m, "reason"] = text.cat(
            items.loc[m, "reason"],
            f"；{gate.name} ×{gate.factor:g} → ",
            text.points(items.loc[m, "points"]),
        )
    return items


def _reasons(plan: Plan, items: pd.DataFrame, adjustments, hits: list, n: int) -> np.ndarray:
    """The reason of every row of ``items`` (all the items of the people in it).

    The scored items keep what their rules read (targets, actuals, incidents,
    ratings) and ``hits`` where each gate held, so the text is the same whether it is
    written for everyone while scoring or later for the people being shown: the
    rule's own reason, then an appeal's decision, the gates' multipliers, the team
    and block notes, in the order the points went through them.
    """
    items = _score_items(plan, items, explain=True)
    if adjustments is not None and len(adjustments):
        mine = adjustments[adjustments["person"].isin(items["person"].unique())]
        at = adjust.locate(items, mine, [])
        items = adjust.replace_points(items, mine, at, explain=True)
    for gate, hit in zip(_gates(plan), hits, strict=True):
        if gate.effect != "void":
            items = _multiply(plan, items, gate, hit, explain=True)
    _, items = teams.limit_sections(plan, items, items["_p"].to_numpy(), n)
    return items["reason"].to_numpy(object)


def _gate_hits(gate, items, measures, persons: pd.Index, outside=None) -> np.ndarray:
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

    members = None if outside is None else ~persons.isin(outside)
    when = Formula.parse(gate.when).evaluate(lambda n: column(named, n), lookup, members)
    return (np.asarray(when, dtype=float) != 0) & np.logical_and.reduce(seen)
