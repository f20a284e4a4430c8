"""Monthly department reports: ``kpi report``.

For each department (a plan ``params/<department>.yaml``) and a month, this
scores the plan, executes the department notebook with Papermill, keeps the
executed notebook, renders it to HTML (code hidden, nothing loaded from the
network) and to an A4 PDF through headless Chromium, writes one scorecard per
person, and updates ``reports/<month>/index.html``.

Output never replaces earlier output: each run of a department writes a new
version folder ``reports/<month>/<department>/v<N>/``; ``runs.json`` records
every run (when, plan digest, input files with sha256) and the index marks the
latest successful version of each department as current.

Departments run in spawn-started worker processes (fork-started pools with
live kernels deadlock), fed from a queue; each worker keeps its imports and one
:class:`~kpilib.report.pdf.Printer` for all its PDFs. A department that fails is
reported with the reason (the failing cell for a notebook error) and the others
still complete. The steps of one department: :mod:`kpilib.report.notebook`
(execute, HTML), :mod:`kpilib.report.pdf`, :mod:`kpilib.report.scorecards`, then
:mod:`kpilib.report.index` for the month.
"""

from __future__ import annotations

import datetime as dt
import os
from contextlib import nullcontext
from dataclasses import asdict, dataclass
from pathlib import Path

from kpilib.errors import KpiError, Problem

FORMATS = ("html", "pdf")


@dataclass(frozen=True)
class Job:
    """One department's report for one month (what a worker is given)."""

    department: str
    month: str
    params: Path
    out: Path
    formats: tuple[str, ...] = FORMATS


@dataclass(frozen=True)
class Outcome:
    """What became of one department's report: a row of ``runs.json``."""

    department: str
    name: str
    status: str  # "ok" or "failed"
    made_at: str
    error: str = ""
    version: int | None = None
    folder: str = ""  # relative to the month folder
    files: dict | None = None  # label -> path relative to the month folder
    scorecards: int = 0
    plan_file: str = ""
    plan_title: str = ""
    plan_digest: str = ""
    inputs: tuple[dict, ...] = ()
    seconds: float = 0.0


def build_department(job: Job, printer=None) -> Outcome:
    """Score, execute, render and write one department's report; never raises.

    ``printer`` is an open :class:`~kpilib.report.pdf.Printer`, needed for PDFs.

    Every failure becomes an ``Outcome`` with status ``failed`` and a message
    saying what is missing and what to do.
    """
    import time

    started = time.perf_counter()
    made_at = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    base = {"department": job.department, "name": job.department, "made_at": made_at}
    try:
        outcome = _build(job, base, printer)
    except KpiError as exc:
        outcome = Outcome(status="failed", error=str(exc), **base)
    except _Failed as exc:
        outcome = exc.outcome
    except Exception as exc:  # noqa: BLE001 - one department's crash must not stop the others
        outcome = Outcome(status="failed", error=f"{type(exc).__name__}: {exc}", **base)
    return Outcome(**{**asdict(outcome), "seconds": round(time.perf_counter() - started, 2)})


class _Failed(Exception):
    """A department failed after its version folder was made: the outcome says where."""

    def __init__(self, outcome: Outcome):
        self.outcome = outcome


def _build(job: Job, base: dict, printer) -> Outcome:
    from kpilib.engine.plan import load_plan
    from kpilib.files import checksum
    from kpilib.project import available_months, input_files
    from kpilib.report import notebook
    from kpilib.report.scorecards import write_scorecards
    from kpilib.report.sections import MonthReport

    plan_path = job.params / f"{job.department}.yaml"
    if not plan_path.exists():
        known = sorted(p.stem for p in job.params.glob("*.yaml"))
        raise KpiError(
            Problem(
                f"department {job.department!r} has no plan {plan_path}",
                f"use one of: {', '.join(known) or '(none)'}; or add {plan_path}",
            )
        )
    plan = load_plan(plan_path)
    base["name"] = plan.name
    source = notebook.find_notebook(plan, job.params)
    declared = notebook.check_parameters(source)
    try:
        report = MonthReport.load(job.department, job.month, plan_path=plan_path)
    except KpiError as exc:
        months = available_months(plan)
        found = (
            f"months with actuals: {', '.join(months)}"
            if months
            else f"no month has an actuals file yet ({plan.sources.actuals})"
        )
        raise type(exc)(
            exc.problems
            + [
                Problem(
                    f"the {job.month} report of {job.department} was not made",
                    f"fix the input above and run kpi report again; {found}",
                )
            ]
        ) from None
    plan_info = {
        "plan_file": _shown(plan_path),
        "plan_title": plan.title or plan.name,
        "plan_digest": plan.digest or "",
        "inputs": tuple(
            {"path": _shown(p), "sha256": checksum(p)[0]} for p in input_files(plan, job.month)
        ),
    }
    folder, version = _new_version(job.out / job.month / job.department)
    stem = folder / job.department
    parameters = {"department": job.department, "month": job.month, "plan_path": str(plan_path)}
    try:
        executed = notebook.execute(source, stem.with_suffix(".ipynb"), parameters, declared)
    except notebook.NotebookFailed as exc:
        raise _Failed(
            Outcome(
                status="failed",
                error=str(exc),
                version=version,
                folder=_rel(folder, job),
                files={"notebook": _rel(stem.with_suffix(".ipynb"), job)},
                **base,
                **plan_info,
            )
        ) from None
    from kpilib.files import write_atomically

    html = notebook.to_html(executed, f"{plan.name} {job.month} 绩效考核报告")
    files = {"notebook": stem.with_suffix(".ipynb")}
    html_path = stem.with_suffix(".html")
    write_atomically({html_path: lambda p: p.write_text(html, encoding="utf-8")})
    if "html" in job.formats:
        files["HTML"] = html_path
    if "pdf" in job.formats:
        pdf_path = stem.with_suffix(".pdf")
        footer = f"{plan.name} {job.month}"
        write_atomically({pdf_path: lambda p: printer.print(html_path, p, footer)})
        files["PDF"] = pdf_path
        if "html" not in job.formats:
            html_path.unlink()
    cards = write_scorecards(report, folder / "scorecards", made_at=base["made_at"])
    return Outcome(
        status="ok",
        version=version,
        folder=_rel(folder, job),
        files={k: _rel(v, job) for k, v in files.items()},
        scorecards=len(cards),
        **base,
        **plan_info,
    )


def _new_version(folder: Path) -> tuple[Path, int]:
    """Create the next ``v<N>`` folder; ``mkdir`` is atomic, so two runs never share one."""
    folder.mkdir(parents=True, exist_ok=True)
    taken = [int(p.name[1:]) for p in folder.glob("v*") if p.name[1:].isdigit()]
    version = max(taken, default=0) + 1
    while True:
        try:
            (folder / f"v{version}").mkdir()
            return folder / f"v{version}", version
        except FileExistsError:
            version += 1


def _rel(path: Path, job: Job) -> str:
    return Path(path).relative_to(job.out / job.month).as_posix()


def _shown(path: Path) -> str:
    path = Path(path).resolve()
    return str(path.relative_to(Path.cwd())) if path.is_relative_to(Path.cwd()) else str(path)


def make_reports(
    month: str,
    departments: list[str] | None = None,
    *,
    params: Path = Path("params"),
    out: Path = Path("reports"),
    formats=FORMATS,
    jobs: int | None = None,
    progress: bool = True,
) -> list[Outcome]:
    """Make every requested department's report for ``month``, then update the index.

    Parameters
    ----------
    month : str
        ``YYYY-MM``.
    departments : list of str, optional
        Plan IDs; default every ``params/*.yaml``.
    params, out : Path
        The plans folder and the reports folder.
    formats : sequence of {"html", "pdf"}
    jobs : int, optional
        Worker processes; default the number of CPUs (at most one per department).
        ``1`` runs in this process.
    progress : bool
        Show a progress bar on stderr.

    Returns
    -------
    list of Outcome
        One per department, in the order given; ``status`` says whether it failed.
    """
    from tqdm import tqdm

    from kpilib.report.index import write_index

    params, out = Path(params).resolve(), Path(out).resolve()
    departments = departments or sorted(p.stem for p in params.glob("*.yaml"))
    if not departments:
        raise KpiError(Problem(f"no plans in {params}", "add params/<department>.yaml"))
    work = [Job(d, month, params, out, tuple(formats)) for d in departments]
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(work)))
    # disable=None: tqdm draws only on a terminal; in a log its \r frames are noise
    bar = tqdm(
        total=len(work), desc=f"kpi report {month}", unit="dept", disable=None if progress else True
    )
    outcomes = {}
    try:
        for outcome in _run(work, jobs):
            outcomes[outcome.department] = outcome
            bar.set_postfix_str(outcome.department)
            bar.update()
    finally:
        bar.close()
    ordered = [outcomes[d] for d in departments if d in outcomes]
    write_index(out / month, [asdict(o) for o in ordered], month)
    return ordered


def _printer(pdf: bool):
    from kpilib.report.pdf import Printer

    return Printer() if pdf else nullcontext()


def _run(work: list[Job], jobs: int):
    """Outcomes as departments finish: here for one job, else in ``jobs`` workers."""
    if jobs == 1:
        with _printer(any("pdf" in job.formats for job in work)) as printer:
            for job in work:
                yield build_department(job, printer)
        return
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    todo, done = context.Queue(), context.Queue()
    for job in work:
        todo.put(job)
    pdf = any("pdf" in job.formats for job in work)
    workers = [context.Process(target=_worker, args=(todo, done, pdf)) for _ in range(jobs)]
    for worker in workers:
        todo.put(None)  # one stop sign per worker
        worker.start()
    try:
        for _ in work:
            yield done.get()
    finally:
        for worker in workers:
            worker.join(timeout=30)
            if worker.is_alive():
                worker.terminate()


def _worker(todo, done, pdf: bool) -> None:
    """A worker process: one printer for every department it takes from ``todo``."""
    _warm_up()
    with _printer(pdf) as printer:
        while (job := todo.get()) is not None:
            done.put(build_department(job, printer))


def _warm_up() -> None:
    # imports a worker needs anyway, done while the other worker starts its first notebook
    import nbconvert  # noqa: F401
    import papermill  # noqa: F401

    import kpilib.report.scorecards  # noqa: F401
    import kpilib.report.sections  # noqa: F401
