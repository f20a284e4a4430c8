"""Ad hoc questions over the results history (``kpilib.store.load``).

Each function takes the history's ``people`` or ``items`` table (one row per
person and month, adjustments applied) and returns a small DataFrame; the
investigation notebook (``notebooks/investigate.ipynb``) shows them next to the
equivalent SQL on the store, for analysts to copy and change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from kpilib.engine.rules import ratio_types
from kpilib.outcomes.consequences import flags
from kpilib.rounding import round_points

if TYPE_CHECKING:
    from kpilib.engine.plan import Plan


def heading_for(people: pd.DataFrame, plan: Plan, as_of: str | None = None) -> pd.DataFrame:
    """Who a low next month would put on an improvement plan (or any other consequence).

    The months up to ``as_of`` (default: the latest) are evaluated with the plan's
    consequence rules twice: as they are, and with one more month after
    ``as_of`` in which everyone scores nothing (total and completion 0). The
    flags that only the extra month raises are what a failed next month would
    trigger for each person.

    Returns
    -------
    DataFrame
        person, completion (in ``as_of``), rule, action, reason.
    """
    as_of = as_of or people["month"].max()
    past = people[people["month"] <= as_of]
    latest = past[past["month"] == as_of]
    following = (pd.Period(as_of, "M") + 1).strftime("%Y-%m")
    failed = latest.assign(month=following, total=0.0, completion=0.0, rank=np.nan)
    before = flags(past, plan)
    after = flags(pd.concat([past, failed], ignore_index=True), plan)
    new = after[after["month"] == following]
    # a rule that fires every low month (免当月绩效奖金) says nothing about where someone is heading
    every_month = (
        {r.name for r in plan.consequences.rules if r.over == "month"}
        if getattr(plan, "consequences", None)
        else set()
    )
    new = new[~new["rule"].isin(every_month)]
    # a rule already firing in as_of (fires: from) is where someone is, not where they head
    ongoing = before[before["month"] == as_of].set_index(["person", "rule"]).index
    new = new[~new.set_index(["person", "rule"]).index.isin(ongoing)]
    out = new.merge(latest[["person", "completion"]], on="person", how="left")
    return out[["person", "completion", "rule", "action", "reason"]].reset_index(drop=True)


def team_year(people: pd.DataFrame, role: str | None = None) -> pd.DataFrame:
    """Person × month totals for a team (a role, or everyone), with the year's mean."""
    team = people if role is None else people[people["role"] == role]
    table = team.pivot_table(index="person", columns="month", values="total", sort=False)
    table["年均"] = round_points(table.mean(axis=1))
    return table.sort_values("年均", ascending=False)


def rank_moves(
    people: pd.DataFrame, first: str | None = None, last: str | None = None
) -> pd.DataFrame:
    """Rank in ``first`` and ``last`` month (default: the earliest and latest), biggest moves first.

    ``moved`` > 0 is up the ranking (rank 5 to rank 2 is +3).
    """
    first = first or people["month"].min()
    last = last or people["month"].max()
    ranks = people[people["month"].isin([first, last])].pivot_table(
        index="person", columns="month", values="rank"
    )
    out = pd.DataFrame({"rank_first": ranks.get(first), "rank_last": ranks.get(last)})
    out["moved"] = out["rank_first"] - out["rank_last"]
    out = out.dropna().assign(_abs=lambda f: f["moved"].abs())
    return out.sort_values(["_abs", "moved"], ascending=False).drop(columns="_abs").reset_index()


def unreached_targets(items: pd.DataFrame) -> pd.DataFrame:
    """Per indicator: in how many months nobody reached its target (100%).

    A target nobody reaches month after month is more likely wrong than
    everyone failing. Ratio and count items only (they have a target).

    Returns
    -------
    DataFrame
        indicator, people (carrying it), months, months_nobody_reached,
        share_reached (of person-months), best (highest completion seen),
        most unreached first.
    """
    scored = items.dropna(subset=["target", "completion"])
    scored = scored[scored["rule"].isin(ratio_types())]
    per_month = (
        scored.assign(hit=scored["completion"] >= 1 - 1e-9)
        .groupby(["indicator", "month"])
        .agg(
            people=("person", "nunique"),
            reached=("hit", "sum"),
            rows=("hit", "size"),
            best=("completion", "max"),
        )
    )
    out = (
        per_month.assign(nobody=per_month["reached"] == 0)
        .groupby("indicator")
        .agg(
            people=("people", "max"),
            months=("reached", "size"),
            months_nobody_reached=("nobody", "sum"),
            reached=("reached", "sum"),
            rows=("rows", "sum"),
            best=("best", "max"),
        )
        .reset_index()
    )
    out["share_reached"] = out["reached"] / out["rows"]
    out = out.sort_values(["months_nobody_reached", "share_reached"], ascending=[False, True])
    return out[
        ["indicator", "people", "months", "months_nobody_reached", "share_reached", "best"]
    ].reset_index(drop=True)


def indicator_correlation(items: pd.DataFrame, min_pairs: int = 5) -> pd.DataFrame:
    """Pairs of indicators whose completions move together, over person-months having both.

    Returns
    -------
    DataFrame
        indicator_a, indicator_b, pairs (person-months with both), r (Pearson),
        strongest first; pairs seen fewer than ``min_pairs`` times are left out.
    """
    wide = items.dropna(subset=["completion"]).pivot_table(
        index=["person", "month"], columns="indicator", values="completion"
    )
    corr = wide.corr(min_periods=min_pairs)
    present = wide.notna().astype(int)
    pairs = present.T @ present
    upper = np.triu(np.ones(corr.shape, bool), k=1)
    long = pd.DataFrame(
        {"r": corr.where(upper).stack(), "pairs": pairs.where(upper).stack()}
    ).dropna()
    long.index.names = ["indicator_a", "indicator_b"]
    long = long.reset_index().astype({"pairs": int})
    return long.reindex(long["r"].abs().sort_values(ascending=False).index)[
        ["indicator_a", "indicator_b", "pairs", "r"]
    ].reset_index(drop=True)


__all__ = ["heading_for", "team_year", "rank_moves", "unreached_targets", "indicator_correlation"]
