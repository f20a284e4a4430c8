"""Benchmark: one what-if widget change (re-score + redraw) for 20 and 5,000 people.

    .venv/bin/python scripts/bench_whatif.py [--people 5000] [--repeat 7]

A change in the panel (kpilib.interactive.widgets.WhatIfApp) re-scores the month under the
tweaked plan, compares it with the published plan (grades, pay) and redraws the
tables and the grade chart. Measured here exactly as the panel does it, by
setting a control's value: the channel operations plan (seed 000, 19 people)
and a synthetic plan of ``--people`` people with ten indicators each (the
scoring benchmark's plan, plus pay). Targets: under 0.5 s and under 2 s.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import bench_scoring  # noqa: E402  (the synthetic plan and inputs)

from kpilib.engine.policy import Pay  # noqa: E402
from kpilib.interactive.widgets import WhatIfApp  # noqa: E402


def timed_changes(app: WhatIfApp, repeat: int) -> list[float]:
    """Seconds per widget change: the weight slider, then the cap slider, alternating."""
    rules = app.plan.indicators
    app.indicator.value = next(n for n in app.indicator.options if rules[n].rule.type == "ratio")
    weight = app.controls.children[0]
    cap = app.controls.children[1].children[1]  # (enable, slider)
    times = []
    for i in range(repeat):
        control, value = (weight, 40 + i) if i % 2 else (cap, 100 + i)
        start = time.perf_counter()
        before = app.comparison
        control.value = value
        times.append(time.perf_counter() - start)
        assert app.comparison is not before, "the change did not re-score"
    return times


def synthetic(people: int):
    rng = np.random.default_rng(7)
    targets, actuals = bench_scoring.inputs(people * len(bench_scoring.INDICATORS), rng)
    plan = bench_scoring.plan().model_copy(update={"pay": Pay(base={"": Decimal(1000)})})
    return plan, {"targets": targets, "actuals": actuals, "incidents": None, "ratings": None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    cases = [("channel_ops (seed 000)", ROOT / "params/channel_ops.yaml", None, 0.5)]
    plan, inputs = synthetic(args.people)
    cases.append((f"synthetic, {args.people:,} people", plan, inputs, 2.0))
    for label, plan, inputs, limit in cases:
        start = time.perf_counter()
        app = WhatIfApp(plan, "2024-11", inputs=inputs)
        opened = time.perf_counter() - start
        times = timed_changes(app, args.repeat)
        people = len(app.comparison.people)
        median, worst = statistics.median(times), max(times)
        verdict = "ok" if worst < limit else "TOO SLOW"
        print(
            f"{label}: {people:,} people; panel opened in {opened:.2f} s; one change "
            f"(re-score + redraw) median {median:.3f} s, worst {worst:.3f} s "
            f"over {args.repeat} changes (target < {limit} s: {verdict})"
        )


if __name__ == "__main__":
    main()
