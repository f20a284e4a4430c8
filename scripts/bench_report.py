"""Time ``kpi report --all`` at 7, 28 and 70 departments against the plain way (not a test).

    .venv/bin/python scripts/bench_report.py [--month 2024-11] [--sizes 7 28 70]

Departments: for each size, a temporary project whose ``params/`` holds that many
copies of the shipped plans, each under a new department ID and file name
(``channel_ops_2.yaml`` says ``department: channel_ops_2``), reading the shipped
data. Its results store already holds every month before ``--month``, as after
the earlier months' runs (filled before the clock starts), so each run scores the
month itself and reads the earlier ones for the trend.

kpi way: one ``kpi report --all --format html,pdf`` (spawned workers, ``--jobs``
left at its default, the machine's cores); and ``kpi report --dept channel_ops``
alone (median of 3 runs, each on a copy of the store).
Plain way, per department, serially, on the 7 shipped departments (its time per
department does not depend on how many there are): one ``papermill`` CLI call, one
``jupyter nbconvert --to html --no-input`` call and one ``chromium --headless
--print-to-pdf`` call (nbconvert's own webpdf cannot find Debian's Chromium).
Everything is written into temporary folders; reports/ and data/results.duckdb are
untouched. The processes may write Python's bytecode cache, as an installed kit has one.
"""

from __future__ import annotations

import argparse
import itertools
import os
import re
import shutil
import statistics
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
sys.path.insert(0, str(ROOT))  # this checkout's kpilib, here and in every command run
from kpilib.report.batch import _monthly  # noqa: E402

SHIPPED = sorted(  # the monthly plans, as kpi report --all --month picks them
    p.stem for p in (ROOT / "params").glob("*.yaml") if _monthly(p)
)
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
# the processes may write Python's bytecode cache, as an installed kit has one (see
# scripts/bench_cli.py): with PYTHONDONTWRITEBYTECODE set, as in some sandboxes, the kpi
# process and every kernel would compile kpilib's modules again on each run
ENV.pop("PYTHONDONTWRITEBYTECODE", None)


def project(folder: Path, size: int) -> list[str]:
    """A project in ``folder`` with ``size`` plans copied from the shipped ones; their IDs."""
    (folder / "params").mkdir(parents=True)
    (folder / "data").symlink_to(ROOT / "data")  # plans read ../data/<shipped id>/...
    (folder / "notebooks").symlink_to(ROOT / "notebooks")
    departments = []
    for n, stem in zip(range(size), itertools.cycle(SHIPPED)):
        copy = n // len(SHIPPED)
        department = stem if copy == 0 else f"{stem}_{copy + 1}"
        text = (ROOT / "params" / f"{stem}.yaml").read_text(encoding="utf-8")
        text = re.sub(r"(?m)^department: .*$", f"department: {department}", text, count=1)
        (folder / "params" / f"{department}.yaml").write_text(text, encoding="utf-8")
        departments.append(department)
    return departments


def fill_store(folder: Path, departments: list[str], month: str) -> Path:
    """The store as after the earlier months' runs: every month before ``month`` saved."""
    from kpilib.months import history

    store = folder / "results.duckdb"
    year, number = map(int, month.split("-"))
    before = f"{year - (number == 1)}-{(number - 2) % 12 + 1:02d}"
    for department in departments:
        history(folder / "params" / f"{department}.yaml", before, store=store)
    return store


def kpi_way(folder: Path, month: str, store: Path) -> tuple[float, int]:
    out = folder / "reports"
    started = time.perf_counter()
    subprocess.run(
        [BIN / "kpi", "report", "--all", "--month", month, "--format", "html,pdf"]
        + ["--params", folder / "params", "--out", out],
        cwd=folder,
        env={**ENV, "KPI_STORE": str(store)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    seconds = time.perf_counter() - started
    return seconds, len(list(out.glob(f"{month}/*/v1/*.pdf")))


def one_department(folder: Path, month: str, store: Path, department: str) -> float:
    """``kpi report --dept``: the median of 3 runs, each with a copy of ``store``."""
    times = []
    for run in range(3):
        copy = folder / f"one-{run}.duckdb"
        shutil.copy(store, copy)
        started = time.perf_counter()
        subprocess.run(
            [BIN / "kpi", "report", "--dept", department, "--month", month]
            + ["--params", folder / "params", "--out", folder / f"one-{run}"],
            cwd=folder,
            env={**ENV, "KPI_STORE": str(copy)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=True,
        )
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def plain_way(folder: Path, month: str, departments: list[str], store: Path) -> tuple[float, int]:
    out = folder / "plain"
    out.mkdir()
    env = {**ENV, "KPI_STORE": str(store)}
    started, made = time.perf_counter(), 0
    for dept in departments:
        executed = out / f"{dept}.ipynb"
        run = subprocess.run(
            [BIN / "papermill", "notebooks/department.ipynb", executed]
            + ["-p", "department", dept, "-p", "month", month]
            + ["-p", "plan_path", str(folder / "params" / f"{dept}.yaml"), "--cwd", "notebooks"],
            cwd=folder,
            env=env,
            capture_output=True,
        )
        if run.returncode:
            continue
        subprocess.run(
            [BIN / "jupyter", "nbconvert", "--to", "html", "--no-input", executed],
            cwd=folder,
            env=env,
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
    parser.add_argument("--sizes", type=int, nargs="+", default=[7, 28, 70])
    args = parser.parse_args()
    print(f"month {args.month}, {os.cpu_count()} CPUs, HTML + PDF + scorecards per department")
    kpi = {}
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            departments = project(folder, size)
            store = fill_store(folder, departments, args.month)
            kpi[size] = kpi_way(folder, args.month, store)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        departments = project(folder, len(SHIPPED))
        store = fill_store(folder, departments, args.month)
        one = one_department(folder, args.month, store, "channel_ops")
        plain_seconds, plain_made = plain_way(folder, args.month, departments, store)
    plain = plain_seconds / len(SHIPPED)
    for size, (seconds, made) in kpi.items():
        print(
            f"kpi report --all, {size:3d} departments: {seconds:6.1f} s total, "
            f"{seconds / size:5.2f} s/department, {plain / (seconds / size):4.1f}x the plain way "
            f"({made} reports made)"
        )
    print(f"kpi report --dept channel_ops: {one:5.2f} s (median of 3)")
    print(
        f"plain CLI calls,    {len(SHIPPED):3d} departments: {plain_seconds:6.1f} s total, "
        f"{plain:5.2f} s/department ({plain_made} reports made)"
    )


if __name__ == "__main__":
    main()
