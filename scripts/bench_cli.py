"""Benchmark: how long the ``kpi`` commands people type take to answer.

    .venv/bin/python scripts/bench_cli.py [--repeat 5]

Times ``kpi --help``, ``kpi score`` of one plan (channel_ops, 2024-11, scored from
its files into a fresh store each run) and ``kpi history``, each as a new process
from this checkout: median wall-clock seconds and the CPU seconds the process
itself used (the machine may be shared with other work; CPU time is not).

The processes may write Python's bytecode cache (``__pycache__``), as an installed
package has one: with ``PYTHONDONTWRITEBYTECODE`` set (as in some sandboxes) and no
cache yet, every process would compile kpilib's modules again (about 0.1 s of CPU),
which no user's ``kpi`` does after its first run.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
ENV.pop("PYTHONDONTWRITEBYTECODE", None)


def once(args: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one ``kpi`` process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "kpilib.cli", *args],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        check=True,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    repeat = parser.parse_args().repeat
    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "results.duckdb"

        def score(run: int) -> list[str]:
            fresh = Path(tmp) / f"store{run}.duckdb"
            out = Path(tmp) / f"out{run}"
            return ["score", "params/channel_ops.yaml", "--month", "2024-11"] + [
                "--out", str(out), "--store", str(fresh),
            ]  # fmt: skip

        once(["score", "params/channel_ops.yaml", "--month", "2024-11", "--out", tmp + "/o",
              "--store", str(store)])  # fmt: skip
        commands = {
            "kpi --help": lambda run: ["--help"],
            "kpi score (one plan)": score,
            "kpi history": lambda run: ["history", "--store", str(store)],
        }
        for args in (["--help"], ["history", "--store", str(store)]):
            once(args)  # warm the file cache (and write the bytecode cache)
        print(
            f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}, "
            f"median of {repeat} runs, each a new process"
        )
        for label, args in commands.items():
            runs = [once(args(run)) for run in range(repeat)]
            wall = statistics.median(w for w, _ in runs)
            cpu = statistics.median(c for _, c in runs)
            print(f"{label:22} {wall * 1000:5.0f} ms (CPU {cpu * 1000:4.0f} ms)")
        print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
