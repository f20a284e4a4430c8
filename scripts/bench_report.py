"""Time ``kpi report --all`` against the plain way, in the same run (not a test).

    .venv/bin/python scripts/bench_report.py [--month 2024-11]

kpi way: one ``kpi report --all --format html,pdf`` (spawned workers, one warm
Chromium per worker, imports paid once per worker).
Plain way, per department, serially: one ``papermill`` CLI call, one
``jupyter nbconvert --to html --no-input`` CLI call, and one
``chromium --headless --print-to-pdf`` call (nbconvert's own webpdf cannot find
Debian's Chromium). Both write into temporary folders; reports/ is untouched.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CHROMIUM = [
    "/usr/bin/chromium",
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def kpi_way(month: str, out: Path) -> float:
    started = time.perf_counter()
    subprocess.run(
        [BIN / "kpi", "report", "--all", "--month", month, "--format", "html,pdf", "--out", out],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def plain_way(month: str, departments: list[str], out: Path) -> tuple[float, int]:
    started, made = time.perf_counter(), 0
    for dept in departments:
        executed = out / f"{dept}.ipynb"
        run = subprocess.run(
            [
                BIN / "papermill",
                "notebooks/department.ipynb",
                executed,
                "-p",
                "department",
                dept,
                "-p",
                "month",
                month,
                "-p",
                "plan_path",
                str(ROOT / "params" / f"{dept}.yaml"),
                "--cwd",
                "notebooks",
            ],
            cwd=ROOT,
            capture_output=True,
        )
        if run.returncode:
            continue
        subprocess.run(
            [BIN / "jupyter", "nbconvert", "--to", "html", "--no-input", executed],
            cwd=ROOT,
            capture_output=True,
            check=True,
        )
        with tempfile.TemporaryDirectory() as profile:
            subprocess.run(
                [
                    *CHROMIUM,
                    f"--user-data-dir={profile}",
                    f"--print-to-pdf={out / f'{dept}.pdf'}",
                    executed.with_suffix(".html").as_uri(),
                ],
                capture_output=True,
            )
        made += 1
    return time.perf_counter() - started, made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--month", default="2024-11")
    args = parser.parse_args()
    departments = sorted(p.stem for p in (ROOT / "params").glob("*.yaml"))
    with tempfile.TemporaryDirectory() as kpi_out, tempfile.TemporaryDirectory() as plain_out:
        kpi_seconds = kpi_way(args.month, Path(kpi_out))
        kpi_made = len(list(Path(kpi_out).glob(f"{args.month}/*/v1/*.pdf")))
        plain_seconds, plain_made = plain_way(args.month, departments, Path(plain_out))
    n = len(departments)
    print(f"{n} departments, month {args.month}, {os.cpu_count()} CPUs")
    print(
        f"kpi report --all : {kpi_seconds:6.1f} s total, {kpi_seconds / n:5.2f} s/department "
        f"({kpi_made} reports made)"
    )
    print(
        f"plain CLI calls  : {plain_seconds:6.1f} s total, {plain_seconds / n:5.2f} s/department "
        f"({plain_made} reports made)"
    )
    print(f"speed-up         : {plain_seconds / kpi_seconds:4.1f}x")


if __name__ == "__main__":
    main()
