"""Benchmark: writing results.xlsx (100,000 items + 10,000 people) and payroll.xlsx
(100,000 people), as ``kpi score --xlsx`` and ``kpi payroll`` do.

    python scripts/bench_workbooks.py [--people 10000] [--payroll 100000] [--repeat 3]

Scores a synthetic month (10 indicators per person, reasons included), then times,
median of ``--repeat`` runs, :func:`kpilib.sheets.workbooks.write_results` and
:func:`kpilib.sheets.payroll.write` on a synthetic payroll table. Targets (issue 13):
results.xlsx ≤ 11 s, payroll.xlsx ≤ 10 s on a 2-core machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_scoring import inputs, plan  # noqa: E402  (the same synthetic month)

from kpilib.engine.scoring import score  # noqa: E402
from kpilib.sheets import payroll  # noqa: E402
from kpilib.sheets.workbooks import write_results  # noqa: E402


def payroll_table(people: int, rng: np.random.Generator) -> pd.DataFrame:
    """What :func:`kpilib.sheets.payroll.frame` returns, for ``people`` people."""
    total = np.round(rng.uniform(40, 110, people), 2)
    base = np.where(np.arange(people) % 3 == 0, 3000, 2000)
    pay = [Decimal(b * t / 100).quantize(Decimal("0.01")) for b, t in zip(base, total, strict=True)]
    return pd.DataFrame(
        {
            "person": [f"员工{i:06d}" for i in range(people)],
            "role": np.where(np.arange(people) % 3 == 0, "主管", "专员"),
            "total": total,
            "completion": np.round(total / 100, 4),
            "grade_before": np.where(total >= 90, "优秀", "合格"),
            "grade": np.where(total >= 90, "优秀", "合格"),
            "base": [Decimal(int(b)) for b in base],
            "performance_pay": pay,
            "award": Decimal("0.00"),
            "payable": pay,
            "flags": np.where(total < 60, "完成率低于 60%：免当月绩效奖金", ""),
            "adjusted": "",
            "pay_reason": [f"{b:,} × {t:.2f} / 100" for b, t in zip(base, total, strict=True)],
        }
    )


def timed(fn, repeat: int) -> tuple[float, float]:
    """Median wall-clock and CPU seconds (CPU time does not grow when the machine is busy)."""
    wall, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=10_000, help="results.xlsx 人数")
    parser.add_argument("--payroll", type=int, default=100_000, help="payroll.xlsx 人数")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(7)
    targets, actuals = inputs(args.people * 10, rng)
    result = score(plan(), targets, actuals, month="2024-11")
    table = payroll_table(args.payroll, rng)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t_results = timed(lambda: write_results(result, folder / "results.xlsx"), args.repeat)

        def write_payroll():
            path = folder / "payroll.xlsx"
            path.unlink(missing_ok=True)
            payroll.write(table, path, "基准", "2024-11")

        t_payroll = timed(write_payroll, args.repeat)
        size = (folder / "results.xlsx").stat().st_size / 1e6
    print(
        f"results.xlsx  {len(result.items):,} items + {len(result.people):,} people  "
        f"{t_results[0]:6.2f} s (CPU {t_results[1]:.2f} s; {size:.1f} MB; target ≤ 11 s)"
    )
    print(
        f"payroll.xlsx  {len(table):,} people                 "
        f"{t_payroll[0]:6.2f} s (CPU {t_payroll[1]:.2f} s; target ≤ 10 s)"
    )


if __name__ == "__main__":
    main()
