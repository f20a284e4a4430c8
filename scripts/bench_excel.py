"""Benchmark: reading a 100,000-row actuals sheet, openpyxl vs python-calamine.

    python scripts/bench_excel.py [--rows 100000] [--repeat 3]

Writes a long-layout actuals workbook (姓名, 指标, 实际值, 单位, 月份, 备注) to a
temporary folder, then times, median of ``--repeat`` runs:

- ``pd.read_excel(engine="openpyxl")``: pandas' classic reader;
- ``pd.read_excel(engine="calamine")``;
- ``kpilib.sheets.inputs.read_actuals``: what ``kpi score`` does (calamine, header search,
  merged cells, text cells, long form).

and checks that both engines return the same values.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd


def make_sheet(path: Path, rows: int) -> None:
    rng = np.random.default_rng(7)
    people = np.array([f"员工{i:05d}" for i in range(rows // 10 + 1)])
    frame = pd.DataFrame(
        {
            "姓名": people[np.arange(rows) // 10],
            "指标": np.tile([f"指标{k}" for k in range(10)], rows // 10 + 1)[:rows],
            "实际值": np.round(rng.uniform(0, 3_000_000, rows), 2),
            "单位": "元",
            "月份": "2024-11",
            "备注": "",
        }
    )
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        frame.to_excel(writer, index=False, sheet_name="实际值")


def timed(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from kpilib.sheets.inputs import read_actuals

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "actuals.xlsx"
        start = time.perf_counter()
        make_sheet(path, args.rows)
        print(f"wrote {args.rows:,} rows × 6 columns in {time.perf_counter() - start:.1f} s")
        t_openpyxl, a = timed(lambda: pd.read_excel(path, engine="openpyxl"), args.repeat)
        t_calamine, b = timed(lambda: pd.read_excel(path, engine="calamine"), args.repeat)
        t_kpilib, c = timed(lambda: read_actuals(path), args.repeat)
        same = a["实际值"].astype(float).equals(b["实际值"].astype(float))
        print(f"pandas + openpyxl      {t_openpyxl:6.2f} s")
        speedup = t_openpyxl / t_calamine
        print(f"pandas + calamine      {t_calamine:6.2f} s  ({speedup:.1f}x faster)")
        print(f"kpilib.sheets.inputs.read_actuals {t_kpilib:6.2f} s  ({len(c):,} rows, calamine)")
        print(f"same values from both engines: {same}")


if __name__ == "__main__":
    main()
