"""Benchmark: score 1,000,000 and 10,000,000 synthetic person-indicator rows.

    .venv/bin/python scripts/bench_scoring.py [--rows 1000000 10000000] [--repeat 3]

For each size, in a fresh process (so its peak memory is its own): the pandas/NumPy
path, numbers only and with reasons written later (one person's, then everyone's
on request), wall-clock and
CPU seconds (best of ``--repeat``; the machine may be shared, and CPU time is what
this process itself spent). At 1M rows also a straightforward per-row Python
implementation of the same rules, which must give the same totals, and the
speed-up over it in the same run. 1M rows come with string keys as the readers
give them (pandas' str dtype, one object per distinct name, the item column the
indicator column when there are no sub-items); 10M rows with dictionary-encoded
(categorical) person and item columns, as a columnar reader hands them over: 10M
Python strings alone would take 6 GB.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import time

import numpy as np
import pandas as pd

from kpilib.engine.plan import Plan
from kpilib.engine.scoring import SQL_ROWS, score

INDICATORS = {
    "GMV": {"rule": {"type": "ratio", "cap": 1.2}},
    "客户数": {"rule": {"type": "ratio", "cap": 1.2, "zero_below": 0.5}},
    "回款": {"rule": {"type": "ratio", "cap": 1.0}},
    "毛利": {"rule": {"type": "ratio", "cap": 1.5}},
    "关键任务": {"rule": {"type": "count"}},
    "报告": {"rule": {"type": "count"}},
    "投诉率": {
        "direction": "lower",
        "unit": "%",
        "rule": {
            "type": "bands",
            "bands": [
                {"at_most": 0.10, "share": 1.0},
                {"at_most": 0.15, "share": 0.8},
                {"at_most": 0.20, "share": 0.6},
                {"at_most": 0.30, "share": 0.4},
            ],
        },
    },
    "新会员": {"rule": {"type": "step", "on": "completion", "step": 0.1, "deduct": 2}},
    "退货率": {"direction": "lower", "rule": {"type": "ratio", "cap": 1.2}},
    "满意度": {"rule": {"type": "step", "on": "actual", "step": 1, "deduct": 1}},
}
TARGETS = {
    "GMV": 2_400_000,
    "客户数": 68,
    "回款": 1_000_000,
    "毛利": 300_000,
    "关键任务": 3,
    "报告": 10,
    "投诉率": np.nan,
    "新会员": 1000,
    "退货率": 0.05,
    "满意度": 90,
}


def plan() -> Plan:
    return Plan.model_validate(
        {
            "department": "bench",
            "name": "基准",
            "indicators": INDICATORS,
            "sources": {"targets": "t.csv", "actuals": "{month}.csv"},
            "grades": [
                {"name": "优秀", "min": 90},
                {"name": "良好", "min": 80},
                {"name": "合格", "min": 60},
                {"name": "不合格"},
            ],
        }
    )


def inputs(rows: int, rng: np.random.Generator, categorical: bool = False):
    """Targets and actuals of ``rows`` person-indicator rows; ``categorical``: the key
    columns dictionary-encoded from the start (no Python string per row)."""
    people = rows // len(INDICATORS)
    k = len(INDICATORS)
    labels = [f"P{i:07d}" for i in range(people)]
    person_codes = np.repeat(np.arange(people), k)
    indicator_codes = np.tile(np.arange(k), people)

    def keys(labels, codes):
        if categorical:
            return pd.Categorical.from_codes(codes, labels)
        # as read_csv gives them: pandas' str dtype, one string object per distinct name
        return pd.array(np.array(labels, dtype=object)[codes], dtype="str")

    target = np.array([TARGETS[i] for i in INDICATORS])[indicator_codes]
    level = np.repeat(rng.uniform(0.3, 1.3, people), k)
    n = people * k
    actual = np.where(
        np.isnan(target),
        rng.uniform(0, 0.4, n),
        np.nan_to_num(target) * level * rng.normal(1, 0.1, n),
    )
    actual = np.where(target >= 10, np.round(actual), np.round(actual, 4))
    actual = np.maximum(actual, 0)
    rownum = np.arange(2, n + 2)
    targets = pd.DataFrame(
        {
            "person": keys(labels, person_codes),
            "role": "",
            "english_name": "",
            "indicator": keys(list(INDICATORS), indicator_codes),
            "weight": 0.1,
            "target": target,
            "note": "",
            "_file": "targets",
            "_row": rownum,
        }
    )
    targets.insert(4, "item", targets["indicator"])  # no sub-items: read_targets does the same
    actuals = pd.DataFrame(
        {
            "person": keys(labels, person_codes),
            "item": keys(list(INDICATORS), indicator_codes),
            "value": actual,
            "_file": "actuals",
            "_row": rownum,
            "_column": "实际值",
        }
    )
    return targets, actuals


def per_row(targets: pd.DataFrame, actuals: pd.DataFrame, explain: bool = False) -> dict:
    """The same rules, one row at a time, as a spreadsheet-minded script would
    (with ``explain``, also a reason string per row, as kpilib writes)."""
    values = {
        (p, i): v
        for p, i, v in zip(actuals["person"], actuals["item"], actuals["value"], strict=True)
    }
    totals: dict = {}
    reasons = []
    for person, ind, weight, target in zip(
        targets["person"], targets["indicator"], targets["weight"], targets["target"], strict=True
    ):
        rule, actual, full = INDICATORS[ind]["rule"], values[(person, ind)], weight * 100
        kind = rule["type"]
        if ind == "投诉率":
            share = 0.0
            for band in rule["bands"]:
                if actual <= band["at_most"]:
                    share = band["share"]
                    break
            pts = full * share
        elif kind == "step":
            gap = (actual / target - 1) if rule["on"] == "completion" else actual - target
            steps = math.floor(round(abs(gap) / rule["step"], 9)) if gap < 0 else 0
            pts = min(max(full - steps * rule["deduct"], 0), full)
        else:
            if ind == "退货率":
                c = math.inf if actual == 0 else target / actual
            else:
                c = actual / target
            cap = rule.get("cap", 1.0)
            pts = full * min(max(c, 0), cap)
            if rule.get("zero_below") is not None and c < rule["zero_below"]:
                pts = 0.0
        # Excel's ROUND(pts, 2): half away from zero on the decimal value
        pts = math.floor(round(pts * 100, 6) + 0.5) / 100
        if explain:
            reasons.append(f"{actual:,.4f} / {target:,.4f} × {full:,.0f} = {pts:,.2f}")
        totals[person] = totals.get(person, 0.0) + pts
    grades = {}
    for person, total in totals.items():
        grades[person] = (
            "优秀"
            if total >= 90
            else "良好"
            if total >= 80
            else "合格"
            if total >= 60
            else "不合格"
        )
    return totals


ENGINES = ("pandas", "duckdb")


def timed(work, repeat: int):
    """Best wall-clock and CPU seconds of ``repeat`` runs, and the last result."""
    walls, cpus, out = [], [], None
    for _ in range(repeat):
        out = None  # the last run's result is no part of this run's peak memory
        wall, cpu = time.perf_counter(), time.process_time()
        out = work()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus), out


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(rows: int, engine: str, repeat: int) -> dict:
    """One size and one path, in this process; returns the figures as a dict."""
    targets, actuals = inputs(rows, np.random.default_rng(7), categorical=rows > 1_000_000)
    p = plan()
    score(p, targets.head(100), actuals.head(100), engine=engine)  # imports, first calls
    out = {"rows": rows, "engine": engine, "inputs_mb": peak_mb()}
    out["numbers"] = timed(lambda: score(p, targets, actuals, explain=False, engine=engine), repeat)
    result = out["numbers"][2]
    out["people"], out["numbers"] = len(result.people), out["numbers"][:2]
    out["peak_mb"] = peak_mb()
    person = result.people["person"].iloc[len(result.people) // 2]
    out["one_person"] = timed(lambda: result.reasons(person), repeat)[:2]
    if rows <= 1_000_000:
        out["all_reasons"] = timed(lambda: result.explained(), 1)[:2]
        wall, cpu, reference = timed(lambda: per_row(targets, actuals), 1)
        out["per_row"] = wall, cpu
        out["per_row_reasons"] = timed(lambda: per_row(targets, actuals, explain=True), 1)[:2]
        ours = result.people.set_index("person")["total"]
        theirs = pd.Series(reference).reindex(ours.index)
        out["same_as_per_row"] = bool(np.allclose(ours, theirs, atol=1e-6))
    out["totals"] = float(result.people["total"].sum())
    return out


def run(rows: int, engine: str, repeat: int) -> dict:
    """``child`` in a fresh interpreter, so peak memory is this size's alone."""
    done = subprocess.run(
        [sys.executable, __file__, "--child", str(rows), engine, "--repeat", str(repeat)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def secs(pair) -> str:
    return f"{pair[0]:.2f} s (CPU {pair[1]:.2f} s)"


def report(sizes: list[int], repeat: int) -> None:
    print(f"{os.cpu_count()} CPUs, best of {repeat}; CPU time is this process's own")
    for rows in sizes:
        runs = {engine: run(rows, engine, repeat) for engine in ENGINES}
        first = runs["pandas"]
        keys = "string keys" if rows <= 1_000_000 else "categorical keys"
        print(
            f"{rows:,} rows ({first['people']:,} people, {len(INDICATORS)} indicators, "
            f"5 rule types; {keys}; inputs validated)"
        )
        for engine, r in runs.items():
            n = r["rows"]
            rate = n / r["numbers"][0]
            line = f"  {engine:6} numbers only: {secs(r['numbers'])} = {rate:,.0f} rows/s"
            if "per_row" in r:
                line += f"; speed-up {r['per_row'][0] / r['numbers'][0]:.1f}x"
            print(line)
            reasons = f"one person's reasons when shown {r['one_person'][0] * 1000:.1f} ms"
            if "all_reasons" in r:
                reasons += f", everyone's on request {secs(r['all_reasons'])}"
            print(f"  {engine:6} with reasons: {reasons}")
            print(
                f"  {engine:6} peak memory: {r['peak_mb']:,.0f} MB RSS "
                f"(inputs alone: {r['inputs_mb']:,.0f} MB)"
            )
        if "per_row" in first:
            print(
                f"  per-row Python: {secs(first['per_row'])}; "
                f"with reason strings {secs(first['per_row_reasons'])}"
            )
            assert first["same_as_per_row"], "per-row and vectorized totals differ"
        assert len({r["totals"] for r in runs.values()}) == 1, "the paths differ"
        print(f'  engine="auto" picks {"duckdb" if rows >= SQL_ROWS else "pandas"}')
    print("same total for every person in every implementation")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", nargs=2, metavar=("ROWS", "ENGINE"))
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(int(args.child[0]), args.child[1], args.repeat)))
    else:
        report(args.rows, args.repeat)


if __name__ == "__main__":
    main()
