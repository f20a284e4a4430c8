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
live kernels deadlock); each worker keeps its imports and one Chromium for all
its PDFs. A department that fails is reported with the reason (the failing
cell for a notebook error) and the others still complete.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from kpilib.errors import KpiError, Problem

TEMPLATES = Path(__file__).parent / "templates"
FORMATS = ("html", "pdf")
CHROMIUM = os.environ.get("KPILIB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PARAMETERS = ("department", "month", "plan_path", "actuals")


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


# ---------------------------------------------------------------- one department


def build_department(job: Job) -> Outcome:
    """Score, execute, render and write one department's report; never raises.

    Every failure becomes an ``Outcome`` with status ``failed`` and a message
    saying what is missing and what to do.
    """
    import time

    started = time.perf_counter()
    made_at = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    base = {"department": job.department, "name": job.department, "made_at": made_at}
    try:
        outcome = _build(job, base)
    except KpiError as exc:
        outcome = Outcome(status="failed", error=str(exc), **base)
    except _NotebookFailed as exc:
        outcome = exc.outcome
    except Exception as exc:  # noqa: BLE001 - one department's crash must not stop the others
        outcome = Outcome(status="failed", error=f"{type(exc).__name__}: {exc}", **base)
    return Outcome(**{**asdict(outcome), "seconds": round(time.perf_counter() - started, 2)})


class _NotebookFailed(Exception):
    def __init__(self, outcome: Outcome):
        self.outcome = outcome


def _build(job: Job, base: dict) -> Outcome:
    from kpilib.engine.plan import load_plan
    from kpilib.files import checksum
    from kpilib.project import available_months, input_files
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
    notebook = _notebook(plan, job.params)
    declared = _check_parameters(notebook)
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
    executed = _execute(
        notebook,
        stem.with_suffix(".ipynb"),
        declared,
        job,
        plan_path,
        Outcome(status="failed", version=version, folder=_rel(folder, job), **base, **plan_info),
    )
    from kpilib.files import write_atomically

    html = _to_html(executed, f"{plan.name} {job.month} 绩效考核报告")
    files = {"notebook": stem.with_suffix(".ipynb")}
    html_path = stem.with_suffix(".html")
    write_atomically({html_path: lambda p: p.write_text(html, encoding="utf-8")})
    if "html" in job.formats:
        files["HTML"] = html_path
    if "pdf" in job.formats:
        pdf_path = stem.with_suffix(".pdf")
        footer = f"{plan.name} {job.month}"
        write_atomically({pdf_path: lambda p: print_pdf(html_path, p, footer)})
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


def _notebook(plan, params: Path) -> Path:
    # a plan may name its own notebook, relative to the plan file like its data sources
    if plan.notebook:
        path = (Path(plan.path).parent / plan.notebook).resolve()
        where = f"the plan's notebook: key ({plan.notebook})"
    else:
        path = (params.parent / "notebooks" / "department.ipynb").resolve()
        where = "the default department notebook"
    if not path.exists():
        raise KpiError(
            Problem(
                f"{where} {path} does not exist",
                "fix the plan's notebook: path, or restore notebooks/department.ipynb",
                file=str(plan.path),
            )
        )
    return path


def _check_parameters(notebook: Path) -> set[str]:
    """The parameters the notebook declares; an error if it has no ``parameters`` cell."""
    import nbformat
    import papermill

    nb = nbformat.read(notebook, as_version=4)
    if not any("parameters" in c.get("metadata", {}).get("tags", []) for c in nb.cells):
        raise KpiError(
            Problem(
                "the notebook has no cell tagged 'parameters', so the month and department "
                "cannot be passed to it",
                "in JupyterLab select the cell that sets department and month, open the "
                "property inspector (gear icon) and add the tag parameters",
                file=str(notebook),
            )
        )
    declared = set(papermill.inspect_notebook(str(notebook)))
    missing = [p for p in ("department", "month") if p not in declared]
    if missing:
        raise KpiError(
            Problem(
                f"the parameters cell does not set {', '.join(missing)}",
                f"add {' and '.join(f'{m} = ...' for m in missing)} to the parameters cell",
                file=str(notebook),
            )
        )
    return declared


def _execute(
    notebook: Path, output: Path, declared: set[str], job: Job, plan_path: Path, failed: Outcome
):
    import papermill
    from papermill.exceptions import PapermillExecutionError

    values = {"department": job.department, "month": job.month, "plan_path": str(plan_path)}
    try:
        return papermill.execute_notebook(
            str(notebook),
            str(output),
            parameters={k: v for k, v in values.items() if k in declared},
            kernel_name="python3",
            progress_bar=False,
            cwd=str(notebook.parent),
            request_save_on_cell_execute=False,
            kernel_manager_class=_ipc_kernel_manager(),
            shutdown_kernel="immediate",
        )
    except PapermillExecutionError as exc:
        first = next((line for line in exc.source.splitlines() if line.strip()), "")
        # the 0-based index in the executed notebook, which has papermill's injected cell
        # before it, is the 1-based position in the notebook the analyst edits
        position = exc.cell_index
        message = (
            f"notebook {notebook.name}: cell {position} (In [{exc.exec_count}]: "
            f"{first.strip()[:80]}) failed: {exc.ename}: {exc.evalue.strip()[:400]}. "
            f"The executed notebook with the error is kept at {output}; "
            "open it in JupyterLab to see the traceback"
        )
        raise _NotebookFailed(
            Outcome(
                **{**asdict(failed), "error": message, "files": {"notebook": _rel(output, job)}}
            )
        ) from None


def _ipc_kernel_manager():
    # ipykernel 7 warns on every start over unencrypted TCP; local IPC sockets avoid it.
    # Each kernel gets its own socket prefix: the default one is shared by every kernel
    # started in the same folder, and two parallel kernels then answer each other.
    import tempfile
    import uuid

    from jupyter_client.manager import AsyncKernelManager
    from traitlets import CaselessStrEnum, default

    class IpcKernelManager(AsyncKernelManager):
        transport = CaselessStrEnum(["tcp", "ipc"], default_value="ipc", config=True)

        @default("ip")
        def _unique_ip(self):
            return str(Path(tempfile.gettempdir()) / f"kpi-kernel-{uuid.uuid4().hex[:12]}")

    return IpcKernelManager


def _to_html(nb, title: str) -> str:
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        extra_template_basedirs=[str(TEMPLATES)],
        template_name="report",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    body, _ = exporter.from_notebook_node(
        nb, resources={"kpi_css": report_css(), "metadata": {"name": title}}
    )
    return body


def report_css() -> str:
    """The style shared by reports, scorecards and the index."""
    return (TEMPLATES / "report.css").read_text(encoding="utf-8")


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


# ---------------------------------------------------------------- PDF through Chromium

_browser = None


def _chromium():
    """One headless Chromium per process, reused for every PDF it prints."""
    global _browser
    if _browser is None:
        try:
            from playwright.sync_api import sync_playwright
        except ImportError:
            raise KpiError(
                Problem("PDF needs playwright", "pip install playwright (or run bash setup.sh)")
            ) from None
        if not Path(CHROMIUM).exists():
            raise KpiError(
                Problem(
                    f"no Chromium at {CHROMIUM}",
                    "sudo apt-get install chromium (or run bash setup.sh), or "
                    "set KPILIB_CHROMIUM to the browser's path",
                )
            )
        driver = sync_playwright().start()
        _browser = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        import atexit

        atexit.register(_close_browser, driver)
    return _browser


def _close_browser(driver) -> None:
    global _browser
    if _browser is not None:
        _browser.close()
        driver.stop()
        _browser = None


def open_page(browser=None):
    """A fresh page that may load only local files: any network request is refused."""
    import re

    context = (browser or _chromium()).new_context()
    context.route(re.compile(r"^(?!file:|data:|about:)"), lambda route: route.abort())
    return context


def print_pdf(html: Path, pdf: Path, footer: str = "") -> None:
    """Print an HTML file to an A4 PDF with page numbers, in the shared Chromium."""
    context = open_page()
    try:
        page = context.new_page()
        page.goto(Path(html).resolve().as_uri(), wait_until="load")
        footer_html = (
            '<div style="font-size:8px;width:100%;text-align:center;color:#5d6d7e;'
            "font-family:'WenQuanYi Micro Hei',sans-serif\">"
            f'{_escape(footer)} · 第 <span class="pageNumber"></span> / '
            '<span class="totalPages"></span> 页</div>'
        )
        page.pdf(
            path=str(pdf),
            format="A4",
            print_background=True,
            prefer_css_page_size=True,
            display_header_footer=True,
            header_template="<span></span>",
            footer_template=footer_html,
        )
    finally:
        context.close()


def _escape(value: str) -> str:
    import html

    return html.escape(value)


# ---------------------------------------------------------------- scorecards


def write_scorecards(report, folder: Path, made_at: str = "") -> list[Path]:
    """One self-contained HTML file per person holding only that person's data.

    Parameters
    ----------
    report : kpilib.report.sections.MonthReport
    folder : Path
        Where to write ``<person>.html``; existing files are never replaced.

    Returns
    -------
    list of Path
    """
    import jinja2

    from kpilib import text
    from kpilib.files import write_atomically
    from kpilib.report.sections import BELOW, person_section, person_summary

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)
    template = env.get_template("scorecard.html.j2")
    result, css = report.result, report_css()
    history = report.history.sort_values("month")
    history_by_person = dict(list(history.groupby("person", sort=False)))
    pages = {}
    for _, row in result.people.iterrows():  # rendering one page per person, not scoring
        person = row["person"]
        own = history_by_person.get(person, history.iloc[:0])
        own_table = own.assign(
            total=text.points(own["total"]), completion=text.percent(own["completion"])
        )
        own_table = own_table[["month", "total", "grade", "completion"]]
        own_table.columns = ["月份", "总分", "等级", "考核完成率"]
        english = row["english_name"] if row["english_name"] not in ("", "/") else ""
        pages[folder / f"{_safe_name(person)}.html"] = template.render(
            person=person,
            english=english,
            role=row["role"],
            plan=result.plan,
            month=result.month,
            made_at=made_at,
            css=css,
            summary=person_summary(row),
            below=bool(row["completion"] < BELOW),
            items_table=person_section(result, person),  # the report's own explanation
            history_table=own_table.to_html(index=False, classes="kpi", border=0, na_rep="—"),
        )
    write_atomically(
        {
            p: (lambda path, page=page: path.write_text(page, encoding="utf-8"))
            for p, page in pages.items()
        }
    )
    return list(pages)


def _safe_name(person: str) -> str:
    return "".join("_" if c in '/\\:*?"<>|' else c for c in str(person)).strip() or "_"


# ---------------------------------------------------------------- the batch and the index


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

    params, out = Path(params).resolve(), Path(out).resolve()
    departments = departments or sorted(p.stem for p in params.glob("*.yaml"))
    if not departments:
        raise KpiError(Problem(f"no plans in {params}", "add params/<department>.yaml"))
    work = [Job(d, month, params, out, tuple(formats)) for d in departments]
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(work)))
    bar = tqdm(total=len(work), desc=f"kpi report {month}", unit="dept", disable=not progress)
    outcomes = {}
    try:
        if jobs == 1:
            for job in work:
                bar.set_postfix_str(job.department)
                outcomes[job.department] = build_department(job)
                bar.update()
        else:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor, as_completed

            with ProcessPoolExecutor(
                jobs, mp_context=multiprocessing.get_context("spawn"), initializer=_warm_up
            ) as pool:
                futures = {pool.submit(build_department, job): job for job in work}
                for future in as_completed(futures):
                    outcome = future.result()
                    outcomes[outcome.department] = outcome
                    bar.set_postfix_str(outcome.department)
                    bar.update()
    finally:
        bar.close()
    ordered = [outcomes[d] for d in departments if d in outcomes]
    write_index(out / month, ordered, month)
    return ordered


def _warm_up() -> None:
    # imports a worker needs anyway, done while the other worker starts its first notebook
    import nbconvert  # noqa: F401
    import papermill  # noqa: F401

    import kpilib.report.sections  # noqa: F401


def write_index(folder: Path, new: list[Outcome], month: str) -> Path:
    """Append ``new`` to ``runs.json`` and rewrite ``index.html`` from every recorded run."""
    import jinja2

    from kpilib.files import write_atomically

    log = folder / "runs.json"
    runs = json.loads(log.read_text(encoding="utf-8")) if log.exists() else []
    runs += [asdict(o) for o in new]
    current = {}
    for run in runs:  # later runs win
        if run["status"] == "ok":
            current[run["department"]] = run
    departments = []
    for dept in sorted({r["department"] for r in runs}):
        last = [r for r in runs if r["department"] == dept][-1]
        cur = current.get(dept)
        departments.append(
            {
                "department": dept,
                "name": (cur or last)["name"],
                "current": cur and _with_links(cur),
                "last_error": last["error"],
            }
        )
    shown_runs = [
        {**_with_links(r), "is_current": current.get(r["department"]) is r} for r in reversed(runs)
    ]
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)
    page = env.get_template("index.html.j2").render(
        month=month,
        departments=departments,
        runs=shown_runs,
        css=report_css(),
        updated=dt.datetime.now().astimezone().isoformat(timespec="seconds"),
    )
    index = folder / "index.html"
    # the index and the run log are the only files rewritten: they are derived from
    # every run recorded, and nothing in them is lost
    write_atomically(
        {
            log: lambda p: p.write_text(
                json.dumps(runs, ensure_ascii=False, indent=1), encoding="utf-8"
            ),
            index: lambda p: p.write_text(page, encoding="utf-8"),
        },
        force=True,
    )
    return index


def _with_links(run: dict) -> dict:
    files = run.get("files") or {}
    links = [(label, href) for label, href in files.items() if label != "notebook"]
    if run.get("scorecards"):
        links.append(("个人成绩单", f"{run['folder']}/scorecards/"))
    if "notebook" in files:
        links.append(("notebook", files["notebook"]))
    return {**run, "links": links}
