"""The month's index page: every department's current report and every run."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from kpilib.report.notebook import TEMPLATES, report_css


def write_index(folder: Path, new: list[dict], month: str) -> Path:
    """Append ``new`` to ``runs.json`` and rewrite ``index.html`` from every recorded run."""
    import jinja2

    from kpilib.files import write_atomically

    log = folder / "runs.json"
    runs = json.loads(log.read_text(encoding="utf-8")) if log.exists() else []
    runs += new
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
