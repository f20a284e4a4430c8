"""The month's index page: every department's current report and every run.

``runs.json`` and ``index.html`` are derived from the run records on disk (see
:mod:`kpilib.report.versions`), rebuilt under a file lock: several ``kpi report``
processes finishing at once each rebuild them from everything recorded so far,
and no run is lost.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import time
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

import pandas as pd

from kpilib.errors import KpiError, Problem
from kpilib.i18n import _
from kpilib.report.notebook import TEMPLATES, report_css

if TYPE_CHECKING:
    import jinja2

LOCK_WAIT = 120.0  # seconds; rebuilding the index takes well under one


def write_index(folder: Path, month: str) -> Path:
    """Rebuild ``runs.json`` and ``index.html`` of a month from every run recorded.

    Runs listed in an earlier ``runs.json`` but without a record on disk (written by
    an earlier kpilib) are kept. A ``runs.json`` that cannot be read is kept aside
    as ``runs.json.broken-<time>`` and the log is rebuilt from the records.
    """
    from filelock import FileLock, Timeout

    folder.mkdir(parents=True, exist_ok=True)
    try:
        with FileLock(folder / ".index.lock", timeout=LOCK_WAIT):
            return _rebuild(folder, month)
    except Timeout:
        raise KpiError(
            Problem(
                _("等了 {seconds:.0f} 秒，另一个 kpi report 仍在更新本月索引").format(
                    seconds=LOCK_WAIT
                ),
                _("等它结束后再运行一次 kpi report（索引会按磁盘上的全部记录重建）"),
                code="index_locked",
                file=str(folder / ".index.lock"),
            )
        ) from None


@functools.cache
def page_template() -> jinja2.Template:
    """The index page's template, compiled once per process."""
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)
    return env.get_template("index.html.j2")


def _rebuild(folder: Path, month: str) -> Path:
    from kpilib.files import write_atomically
    from kpilib.report.versions import read_records

    log = folder / "runs.json"
    for stale in folder.glob(".*.tmp"):  # a killed rebuild's temporary files: we hold the lock
        stale.unlink(missing_ok=True)
    runs = read_records(folder)
    seen = {_key(r) for r in runs}
    runs += [r for r in _old_log(log) if _key(r) not in seen]
    runs = [{**_defaults(), "name": r["department"], **r} for r in runs]  # older records
    runs.sort(key=lambda r: (r["made_at"], r.get("version") or 0, r["department"]))
    current = {}
    for run in runs:  # the highest successful version is current
        if run["status"] == "ok" and (run.get("version") or 0) >= (
            current.get(run["department"], {}).get("version") or 0
        ):
            current[run["department"]] = run
    departments = []
    for dept in {r["department"] for r in runs}:
        own = [r for r in runs if r["department"] == dept]
        cur = current.get(dept)
        departments.append(
            {
                "department": dept,
                "name": (cur or own[-1])["name"],
                "current": cur and _with_links(cur, _last_pdf(own, cur, folder)),
                "last_error": own[-1]["error"],
            }
        )
    # by department name, in pinyin order, as people look for them
    from kpilib.text import local_time, pinyin_key

    if len(departments) > 1:  # one needs no order (and no pinyin dictionaries loaded)
        names = pd.Series([d["name"] for d in departments], dtype=object)
        departments = [departments[i] for i in names.sort_values(key=pinyin_key).index]
    shown_runs = [
        {**_with_links(r), "is_current": current.get(r["department"]) is r} for r in reversed(runs)
    ]
    for run in shown_runs:
        run["made_at_text"] = local_time(run["made_at"])
    for dept in departments:
        if dept["current"]:
            dept["current"]["made_at_text"] = local_time(dept["current"]["made_at"])
    page = page_template().render(
        month=month,
        departments=departments,
        runs=shown_runs,
        css=report_css(),
        updated=local_time(dt.datetime.now().astimezone()),
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


def _defaults() -> dict:
    """What a record written by an earlier kpilib may lack (see batch.Outcome)."""
    return {
        "error": "",
        "version": None,
        "folder": "",
        "files": None,
        "scorecards": 0,
        "cards": None,
        "plan_file": "",
        "plan_title": "",
        "plan_digest": "",
        "inputs": (),
        "seconds": 0.0,
    }


def _key(run: dict) -> tuple:
    return (run.get("department"), run.get("made_at"), run.get("version"), run.get("status"))


def _old_log(log: Path) -> list[dict]:
    """The runs of an existing ``runs.json``; a broken one is kept aside, not trusted."""
    if not log.exists():
        return []
    try:
        runs = json.loads(log.read_text(encoding="utf-8"))
        if isinstance(runs, list) and all(
            isinstance(r, dict) and {"department", "status", "made_at"} <= set(r) for r in runs
        ):
            return runs
    except (OSError, ValueError):
        pass
    log.rename(log.with_name(f"runs.json.broken-{time.strftime('%Y%m%d-%H%M%S')}"))
    return []


def _last_pdf(own: list[dict], current: dict, folder: Path) -> tuple[str, str] | None:
    """The newest PDF of a department when its current version was rendered without one
    (``--format html``): the earlier PDF is still the one to print, not hidden."""
    if "PDF" in (current.get("files") or {}):
        return None
    for run in sorted(own, key=lambda r: r.get("version") or 0, reverse=True):
        href = (run.get("files") or {}).get("PDF")
        if run["status"] == "ok" and href and (folder / href).exists():
            return f"PDF（v{run['version']}）", href
    return None


def _with_links(run: dict, last_pdf: tuple[str, str] | None = None) -> dict:
    """Links a person opens (HTML, PDF, scorecards); the executed notebook apart, for the
    details row."""
    files = run.get("files") or {}
    links = [(label, quote(href)) for label, href in files.items() if label != "notebook"]
    if last_pdf is not None:
        links.append((last_pdf[0], quote(last_pdf[1])))
    if run.get("scorecards"):
        links.append((_("个人成绩单"), quote(f"{run['folder']}/scorecards/")))
    notebook = quote(files["notebook"]) if "notebook" in files else ""
    cards = [(person, quote(href)) for person, href in (run.get("cards") or {}).items()]
    return {**run, "links": links, "notebook": notebook, "cards": cards}
