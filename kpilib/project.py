"""Where things are: the project root, the results store, a plan's input files, and how
a plan file's text is read.

Found the same way from the repository root, from ``notebooks/`` (JupyterLab and
Papermill run notebooks there) and from a test's temporary folder: the root is the
nearest folder, from the working folder up, that has a ``params/`` folder.
"""

from __future__ import annotations

import codecs
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from kpilib.errors import PlanError, Problem
from kpilib.i18n import _

if TYPE_CHECKING:
    from kpilib.engine.plan import Plan

STORE_NAME = Path("data") / "results.duckdb"
# a department ID names its plan file and its report folder: letters, digits, _, - or 汉字
DEPARTMENT_ID = re.compile(r"[A-Za-z0-9_\-\u4e00-\u9fff]+")


def root(start: str | Path = ".") -> Path:
    """The project folder: ``start`` or its nearest parent with a ``params/`` folder.

    Falls back to ``start`` itself when no parent has one (a bare folder of plans).
    """
    start = Path(start).resolve()
    for folder in (start, *start.parents):
        if (folder / "params").is_dir():
            return folder
    return start


def store_path(store: str | Path | None = None) -> Path:
    """The results store: ``store``, else ``$KPI_STORE``, else ``data/results.duckdb``
    under the project root (so a notebook in ``notebooks/`` finds the same store)."""
    if store or os.environ.get("KPI_STORE"):
        return Path(store or os.environ["KPI_STORE"])
    return root() / STORE_NAME


def find_plan(department: str, start: str | Path = ".") -> Path:
    """``params/<department>.yaml`` in ``start`` or the nearest parent folder that has one."""
    start = Path(start).resolve()
    for folder in (start, *start.parents):
        candidate = folder / "params" / f"{department}.yaml"
        if candidate.exists():
            return candidate
    raise PlanError(
        Problem(
            _("在 {start} 及其上级文件夹里找不到方案 params/{department}.yaml").format(
                start=start, department=department
            ),
            _("检查部门 ID，或直接给出方案文件的路径（plan_path）"),
            code="no_such_plan",
        )
    )


def input_files(plan: Plan, month: str, actuals: str | Path | None = None) -> list[Path]:
    """The files a month's score reads (for checksums in reports and the store)."""
    paths = [
        plan.path,
        plan.source("targets", month),
        Path(actuals) if actuals else plan.source("actuals", month),
        plan.source("incidents", month),
        plan.source("ratings", month),
    ]
    ytd = any(getattr(i, "year_to_date", None) for i in plan.indicators.values())
    if ytd and re.fullmatch(r"\d{4}-\d{2}", month):
        # year-to-date items read the actuals of every month from January
        paths += [plan.source("actuals", f"{month[:4]}-{m:02d}") for m in range(1, int(month[5:7]))]
    return [Path(p).resolve() for p in paths if p is not None and Path(p).exists()]


def available_months(plan: Plan) -> list[str]:
    """The months (``YYYY-MM``) that have an actuals file, oldest first."""
    pattern = plan.source("actuals", "MONTH")
    folder = pattern.parent
    regex = re.compile(re.escape(pattern.name).replace("MONTH", r"(\d{4}-\d{2})") + "$")
    found = (regex.match(p.name) for p in folder.glob("*")) if folder.exists() else ()
    return sorted(m.group(1) for m in found if m)


def plan_text(raw: bytes, path: Path) -> str:
    """The plan's text: UTF-8 (with or without BOM), UTF-16 with a BOM, or GB18030/GBK,
    which older Windows editors (记事本 "ANSI") write for Chinese text."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return raw.decode("utf-16")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        utf8_error = exc
    try:
        return raw.decode("gb18030")  # a superset of GBK and GB2312
    except UnicodeDecodeError:
        raise PlanError(
            Problem(
                _("方案文件不是 UTF-8 也不是 GBK/GB18030 编码（第 {byte} 字节无法解码）").format(
                    byte=utf8_error.start
                ),
                _("用编辑器把它另存为 UTF-8 编码（记事本：另存为 → 编码选 UTF-8）"),
                file=str(path),
                code="bad_encoding",
            )
        ) from None
