"""Monthly department reports: ``kpi report``.

For each department (a plan ``params/<department>.yaml``) and a month, this
scores the plan, executes the department notebook with Papermill, keeps the
executed notebook, renders it to HTML (code hidden, nothing loaded from the
network) and to an A4 PDF through headless Chromium, writes one scorecard per
person, and updates ``reports/<month>/index.html``.

Output never replaces earlier output: each run of a department writes a new
version folder ``reports/<month>/<department>/v<N>/``, built under a temporary
name and renamed when complete (:mod:`kpilib.report.versions`); ``runs.json``
lists every run (when, plan digest, input files with sha256), rebuilt from the
records on disk, and the index marks the latest successful version of each
department as current.

Departments run in spawn-started worker processes (fork-started pools with
live kernels deadlock), fed from a queue; each worker keeps its imports, one
:class:`~kpilib.report.kernel.WarmKernel` for all its notebooks (each starting in
an empty namespace) and one :class:`~kpilib.report.pdf.Printer` (one browser page)
for all its PDFs. A department that fails is
reported with the reason (the failing cell for a notebook error) and the others
still complete. The steps of one department: :mod:`kpilib.report.notebook`
(execute, HTML), :mod:`kpilib.report.pdf`, :mod:`kpilib.report.scorecards`, then
:mod:`kpilib.report.index` for the month.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager, nullcontext
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kpilib.errors import KpiError, Problem
from kpilib.i18n import _

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from kpilib.report.kernel import WarmKernel
    from kpilib.report.pdf import Printer

FORMATS = ("html", "pdf")


@dataclass(frozen=True)
class Job:
    """One department's report for one month (what a worker is given)."""

    department: str
    month: str
    params: Path
    out: Path
    formats: tuple[str, ...] = FORMATS
    save: bool = True  # save the months it scores in the results store (--no-store: False)


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
    cards: dict | None = None  # person -> scorecard path relative to the month folder
    plan_file: str = ""
    plan_title: str = ""
    plan_digest: str = ""
    inputs: tuple[dict, ...] = ()
    seconds: float = 0.0


def build_department(
    job: Job,
    printer: Printer | None = None,
    kernel: WarmKernel | None = None,
    *,
    alone: bool = False,
    last: bool = False,
) -> Outcome:
    """Score, execute, render and write one department's report; never raises.

    ``printer`` is an open :class:`~kpilib.report.pdf.Printer`, needed for PDFs;
    ``kernel`` an open :class:`~kpilib.report.kernel.WarmKernel` to execute the
    notebook in (by default one is started for this department). ``alone``: this
    process makes the whole batch, no workers: the month's index is written here next
    (what it needs is made ready while the notebook runs), and the month is loaded
    holding one store connection (no other worker waits for it). ``last``: the
    kernel's last notebook; it shuts down while the HTML and PDF are made.

    Every failure becomes an ``Outcome`` with status ``failed`` and a message
    saying what is missing and what to do.
    """
    import time

    from kpilib.report import versions

    started = time.perf_counter()
    made_at = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    base = {"department": job.department, "name": job.department, "made_at": made_at}
    state = {}  # "work": the temporary version folder, once made
    try:
        with nullcontext(kernel) if kernel else _kernel() as kernel:
            outcome = _build(job, base, printer, kernel, state, alone, last)
    except KpiError as exc:
        outcome = Outcome(status="failed", error=str(exc), **base)
    except _Failed as exc:
        outcome = exc.outcome
    except Exception as exc:  # noqa: BLE001 - one department's crash must not stop the others
        outcome = Outcome(status="failed", error=f"{type(exc).__name__}: {exc}", **base)
    record = {**asdict(outcome), "seconds": round(time.perf_counter() - started, 2)}
    try:
        if "work" in state:  # complete or failed, the version folder appears with its record
            work, version = state["work"]
            if record["status"] != "ok":  # scorecards are kept only with a report
                shutil.rmtree(work / "scorecards", ignore_errors=True)
            final = work.with_name(f"v{version}")
            record.update(
                version=version,
                folder=_rel(final, job),
                error=record["error"].replace(str(work), str(final)),
            )
            versions.finish(work, record)
        else:
            versions.record_failure(job.out / job.month, record)
    except OSError as exc:
        record.update(
            status="failed",
            error=_(
                "无法写入运行记录 {file}（{error}）；"
                "检查磁盘空间和权限后重新运行，未完成的临时文件夹会在下次运行时清除"
            ).format(file=exc.filename or "", error=exc.strerror),
        )
    return Outcome(**record)


class _Failed(Exception):
    """A department failed after its version folder was made: the outcome says where."""

    def __init__(self, outcome: Outcome):
        self.outcome = outcome


def _build(job: Job, base: dict, printer, kernel, state, alone: bool, last: bool) -> Outcome:
    from kpilib.engine.plan import load_plan
    from kpilib.files import checksum
    from kpilib.project import available_months, input_files
    from kpilib.report import handoff, notebook
    from kpilib.report.pdf import in_background
    from kpilib.report.scorecards import write_scorecards
    from kpilib.report.sections import MonthReport
    from kpilib.store import session

    plan_path = job.params / f"{job.department}.yaml"
    if not plan_path.exists():
        raise KpiError(_no_plan(job.department, job.params))
    plan = load_plan(plan_path)
    base["name"] = plan.name
    if not plan.monthly:
        raise KpiError(
            Problem(
                _("{name} 只按考核周期考核（方案写明 monthly: false），没有月度报告").format(
                    name=plan.name
                ),
                _("用 kpi report --period 出这个部门的周期报告"),
                file=str(plan_path),
            )
        )
    source = notebook.find_notebook(plan, job.params)
    declared = notebook.check_parameters(source)
    if not job.save and "save" not in declared:
        raise KpiError(
            Problem(
                _(
                    "指定了 --no-store，但笔记本 {source} 没有声明 save 参数，"
                    "仍会把计分的月份存入结果库"
                ).format(source=source),
                _(
                    "在笔记本的 parameters 单元格中加上 save = True，"
                    "并把 save=save 传给 MonthReport.load；或不加 --no-store 运行"
                ),
                code="save_not_declared",
                file=str(source),
            )
        )
    try:
        # scores (and saves) each month the store lacks, once; the notebook then reads them.
        # One connection for all of it when no worker shares the store: closed before the
        # notebook runs, which may open the store itself
        with session() if alone else nullcontext():
            report = MonthReport.load(job.department, job.month, plan_path=plan_path, save=job.save)
    except KpiError as exc:
        months = available_months(plan)
        found = (
            _("有实际值的月份：{months}").format(months=", ".join(months))
            if months
            else _("还没有任何月份的实际值文件（{path}）").format(path=plan.sources.actuals)
        )
        raise type(exc)(
            exc.problems
            + [
                Problem(
                    _("{department} 的 {month} 报告没有生成").format(
                        department=job.department, month=job.month
                    ),
                    _("改正上面的输入后重新运行 kpi report；{found}").format(found=found),
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
    from kpilib.report.versions import new_version

    work, version = new_version(job.out / job.month / job.department)
    state["work"] = work, version
    final = work.with_name(f"v{version}")

    def rel(path: Path) -> str:  # where a file will be once the folder is renamed
        return _rel(final / Path(path).relative_to(work), job)

    stem = work / job.department
    parameters = {
        "department": job.department,
        "month": job.month,
        "plan_path": str(plan_path),
        "save": job.save,
    }
    # the notebook's MonthReport.load gets this very month instead of reading it again
    handed = handoff.write(
        report.months, handoff.key(job.department, job.month, plan_path, None, job.save), work
    )
    with ThreadPoolExecutor(1, initializer=in_background) as pool:
        # what comes after the notebook, made ready while the kernel starts or runs it (the
        # index sorts names when it lists several)
        pool.submit(_warm_up, alone, alone and _others(job))

        def scorecards():  # they need no notebook: written while Chromium prints the PDF
            return pool.submit(write_scorecards, report, work / "scorecards", base["made_at"])

        try:
            files, cards = _render(
                job,
                plan,
                source,
                stem,
                parameters,
                declared,
                kernel,
                printer,
                handed,
                last,
                scorecards,
            )
        except notebook.NotebookFailed as exc:
            raise _Failed(
                Outcome(
                    status="failed",
                    error=str(exc),
                    version=version,
                    folder=_rel(final, job),
                    files={"notebook": rel(stem.with_suffix(".ipynb"))},
                    **base,
                    **plan_info,
                )
            ) from None
        finally:
            if handed is not None:
                handed.unlink(missing_ok=True)
    cards = cards.result()
    return Outcome(
        status="ok",
        version=version,
        folder=_rel(final, job),
        files={k: rel(v) for k, v in files.items()},
        scorecards=len(cards),
        cards={str(person): rel(path) for person, path in cards.items()},
        **base,
        **plan_info,
    )


def _render(
    job: Job, plan, source, stem: Path, parameters, declared, kernel, printer, handed, last, beside
) -> tuple[dict, object]:
    """Execute the notebook into ``stem.ipynb``, write the HTML and PDF: label -> file,
    and what ``beside()`` returned (it starts the work done while the PDF prints, once
    the HTML is written)."""
    from kpilib.files import write_atomically
    from kpilib.report import notebook

    executed = notebook.execute(
        source, stem.with_suffix(".ipynb"), parameters, declared, kernel, handed
    )
    if last:
        kernel.close_soon()
    html = notebook.to_html(
        executed, _("{name} {month} 绩效考核报告").format(name=plan.name, month=job.month)
    )
    files = {"notebook": stem.with_suffix(".ipynb")}
    html_path = stem.with_suffix(".html")
    write_atomically({html_path: lambda p: p.write_text(html, encoding="utf-8")})
    if "html" in job.formats:
        files["HTML"] = html_path
    started = beside()
    if "pdf" in job.formats:
        pdf_path = stem.with_suffix(".pdf")
        footer = f"{plan.name} {job.month}"
        write_atomically({pdf_path: lambda p: printer.print(html_path, p, footer)})
        files["PDF"] = pdf_path
        if "html" not in job.formats:
            html_path.unlink()
    return files, started


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
    formats: Iterable[str] = FORMATS,
    jobs: int | None = None,
    progress: bool = True,
    save: bool = True,
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
    save : bool
        Save every month scored in the results store, so each is scored once
        (``kpi report --no-store``: False).

    Returns
    -------
    list of Outcome
        One per department, in the order given; ``status`` says whether it failed.
    """
    params, out = Path(params).resolve(), Path(out).resolve()
    _check_folders(params, out, month)
    formats = tuple(formats)
    with ThreadPoolExecutor(1) as indexing, ExitStack() as stack:
        started = None
        if _here(departments, params, jobs):
            # the reports are made in this process: its kernel and browser start first,
            # and start up while the plans load and the month is scored
            started = stack.enter_context(tools("pdf" in formats))
        ordered = _make(month, departments, params, out, formats, jobs, progress, save, started)
        # the index is written while the kernel and the browser shut down
        indexed = indexing.submit(_write_index, out / month, month)
    indexed.result()
    return ordered


def _make(month, departments, params, out, formats, jobs, progress, save, started) -> list:
    """The outcomes of :func:`make_reports`, before the index is written."""
    from tqdm import tqdm

    departments = departments or [p.stem for p in sorted(params.glob("*.yaml")) if _monthly(p)]
    if not departments:
        raise KpiError(
            Problem(
                _("{params} 中没有按月考核的方案").format(params=params),
                _("添加 params/<部门>.yaml，或用 --params 指向方案文件夹"),
                code="no_plans",
            )
        )
    # a department without a plan is refused here: it makes no folder and no index entry
    outcomes = {d: _unknown(d, month, params) for d in departments}
    outcomes = {d: o for d, o in outcomes.items() if o is not None}
    work = [Job(d, month, params, out, formats, save) for d in departments if d not in outcomes]
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(work) or 1))
    # disable=None: tqdm draws only on a terminal; in a log its \r frames are noise
    bar = tqdm(
        total=len(work), desc=f"kpi report {month}", unit="dept", disable=None if progress else True
    )
    try:
        for outcome in _run(work, jobs, started):
            outcomes[outcome.department] = outcome
            bar.set_postfix_str(outcome.department)
            bar.update()
    finally:
        bar.close()
    return [outcomes[d] for d in departments if d in outcomes]


def _here(departments: list[str] | None, params: Path, jobs: int | None) -> bool:
    """Whether the reports will be made in this process: one plan, or ``jobs`` 1."""
    if departments:
        plans = [params / f"{d}.yaml" for d in departments]
    else:
        plans = list(params.glob("*.yaml"))
    plans = [p for p in plans if p.is_file()]
    return bool(plans) and (jobs == 1 or len(plans) == 1)


def _write_index(folder: Path, month: str) -> None:
    from kpilib.report.index import write_index

    write_index(folder, month)


def _check_folders(params: Path, out: Path, month: str) -> None:
    problems = []
    if not params.is_dir():
        problems.append(
            Problem(
                _("方案文件夹 {folder} 不存在或不是文件夹").format(folder=params),
                _("用 --params 指向 params/ 文件夹"),
                code="no_params_folder",
            )
        )
    for folder in (out, out / month):
        if folder.exists() and not folder.is_dir():
            problems.append(
                Problem(
                    _("报告文件夹 {folder} 是一个文件，不是文件夹").format(folder=folder),
                    _("用 --out 指向一个文件夹（不存在时会新建），或把这个文件移走"),
                    code="out_is_a_file",
                    file=str(folder),
                )
            )
    if problems:
        raise KpiError(problems)


def _monthly(plan_path: Path) -> bool:
    """Whether ``--all`` reports this plan for a month: its ``monthly:`` key, read without
    validating the plan (each worker loads its own), so the workers start sooner. A plan
    that does not read is kept, so its own report says what is wrong."""
    import yaml

    from kpilib.project import plan_text

    try:
        text = plan_text(plan_path.read_bytes(), plan_path)  # UTF-8, UTF-16 or GBK
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (OSError, KpiError, yaml.YAMLError):
        return True
    return not (isinstance(data, dict) and data.get("monthly") is False)


def _unknown(department: str, month: str, params: Path) -> Outcome | None:
    """A failed outcome for a department that is not a plain ID with a plan, else None."""
    from kpilib.project import DEPARTMENT_ID

    plan_path = params / f"{department}.yaml"
    if DEPARTMENT_ID.fullmatch(department) and plan_path.is_file():
        return None
    made_at = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    return Outcome(
        department=department,
        name=department,
        status="failed",
        made_at=made_at,
        error=str(_no_plan(department, params)),
    )


def _no_plan(department: str, params: Path) -> Problem:
    """``department`` has no plan in ``params``: the plans there to choose from."""
    plan_path = params / f"{department}.yaml"
    known = sorted(p.stem for p in params.glob("*.yaml"))
    return Problem(
        _("部门 {department!r} 没有方案 {path}").format(department=department, path=plan_path),
        _("改用其中之一：{known}；或添加 {path}").format(
            known=", ".join(known) or _("（无）"), path=plan_path
        ),
        code="no_plan",
    )


def _kernel():
    from kpilib.report.kernel import WarmKernel

    return WarmKernel()


@contextmanager
def tools(pdf: bool) -> Iterator[tuple[WarmKernel, Printer | None]]:
    """One warm kernel and (for PDFs) one printer, for all the departments of a worker
    (or of ``kpi report --period``), started at once.

    If either cannot start, every department fails saying why, instead of the batch
    stopping or waiting for a worker that died.
    """
    from kpilib.report.pdf import Printer

    _skip_slow_imports()
    with ExitStack() as stack:
        try:
            kernel = stack.enter_context(_kernel())  # starts now, importing pandas and kpilib
            printer = stack.enter_context(Printer()) if pdf else None
            if printer is not None:  # at the lowest priority: on the CPU the others leave
                printer.start()
            # leaving: the browser closes while the kernel shuts down
            stack.callback(kernel.close_soon)
            if printer is not None:
                stack.callback(printer.close_soon)
        except Exception as exc:  # noqa: BLE001 - reported with each department
            kernel = printer = _Unavailable(exc)
        yield kernel, printer


class _Unavailable:
    """Stands in for a kernel or printer that did not start: using it raises why."""

    def __init__(self, exc: Exception):
        self.exc = exc

    def __getattr__(self, name):
        raise self.exc


def _run(work: list[Job], jobs: int, started: tuple | None = None):
    """Outcomes as departments finish: here for one job (with ``started``, the kernel and
    printer of :func:`tools`, if already started), else in ``jobs`` workers."""
    if jobs == 1:
        pdf = any("pdf" in job.formats for job in work)
        with nullcontext(started) if started else tools(pdf) as (kernel, printer):
            for n, job in enumerate(work, 1):
                yield build_department(job, printer, kernel, alone=True, last=n == len(work))
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
    """A worker process: one kernel and one printer for every department it takes from
    ``todo``."""
    with tools(pdf) as (kernel, printer):
        while (job := todo.get()) is not None:
            done.put(build_department(job, printer, kernel))


def _skip_slow_imports() -> None:
    # nbformat imports jsonschema, which imports rfc3987_syntax when it is installed
    # (jupyterlab brings it) to check IRIs, building a grammar for about 1 s. Nothing
    # here checks IRIs, and jsonschema does without it (it skips an ImportError).
    import sys

    sys.modules.setdefault("rfc3987_syntax", None)


def _others(job: Job) -> bool:
    """Whether the month's folder has a department other than ``job``'s."""
    folder = job.out / job.month
    return folder.is_dir() and any(
        p.is_dir() and p.name != job.department for p in folder.iterdir()
    )


@functools.cache
def _warm_up(index: bool, several: bool) -> None:
    """What comes after the notebook, made ready while the kernel runs it: the HTML
    export's templates; the index's template and file lock (``index``: this process
    writes the index next) and its pinyin sort (``several``: it lists several
    departments)."""
    import nbformat

    from kpilib.report import notebook

    notebook.to_html(nbformat.v4.new_notebook(), "")  # once per process: then cached
    if index:
        import filelock  # noqa: F401

        from kpilib.report.index import page_template

        page_template()
    if several:
        import pandas as pd

        from kpilib.text import pinyin_key

        pinyin_key(pd.Series(["渠道"]))  # pypinyin reads its dictionaries
