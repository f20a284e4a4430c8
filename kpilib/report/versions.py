"""Version folders of ``kpi report``: complete or not there, and every run on disk.

A department's run is built in a temporary folder ``<month>/<department>/.v<N>.tmp/``
and renamed to ``v<N>`` only when its ``run.json`` (the run's record) is written,
so a killed run never leaves a folder that looks like a version. A run that
fails before it has a folder leaves its record in ``<month>/failed/``. The month's
``runs.json`` and ``index.html`` are derived from these records
(:mod:`kpilib.report.index`), so runs made by several processes at once are
never lost. The next run removes what a killed run left behind.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import time
from pathlib import Path

RECORD = "run.json"
FAILED = "failed"
OWNER = ".owner"  # "<host> <pid>" of the process building a temporary folder
STALE_SECONDS = 24 * 3600  # a temporary folder of another host, or without owner, this old


def new_version(department_folder: Path) -> tuple[Path, int]:
    """Reserve the next version: create ``.v<N>.tmp`` and return it with ``N``.

    ``mkdir`` is atomic, so two processes never get the same folder; a number whose
    ``v<N>`` already exists (renamed since the folder was listed) is skipped.
    """
    department_folder.mkdir(parents=True, exist_ok=True)
    remove_leftovers(department_folder)
    names = [p.name for p in department_folder.iterdir()]
    taken = [_number(n) for n in names]
    version = max((n for n in taken if n is not None), default=0) + 1
    while True:
        work = department_folder / f".v{version}.tmp"
        try:
            work.mkdir()
        except FileExistsError:
            version += 1
            continue
        if (department_folder / f"v{version}").exists():
            work.rmdir()  # finished and renamed between our listing and our mkdir
            version += 1
            continue
        (work / OWNER).write_text(f"{socket.gethostname()} {os.getpid()}", encoding="utf-8")
        return work, version


def finish(work: Path, record: dict) -> Path:
    """Write the run's record into ``work`` and rename it to ``v<N>``; return the folder."""
    from kpilib.files import write_atomically

    final = work.with_name(work.name[1:].removesuffix(".tmp"))
    write_atomically({work / RECORD: lambda p: p.write_text(_json(record), encoding="utf-8")})
    (work / OWNER).unlink(missing_ok=True)
    os.rename(work, final)  # atomic: the version appears complete, with its record
    return final


def record_failure(month_folder: Path, record: dict) -> Path:
    """Keep the record of a run that failed before it had a version folder."""
    import tempfile

    folder = month_folder / FAILED
    folder.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{stamp}-", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(_json(record))
    final = Path(tmp).with_name(Path(tmp).name[1:].removesuffix(".tmp") + ".json")
    os.rename(tmp, final)
    return final


def read_records(month_folder: Path) -> list[dict]:
    """Every run record of the month: each version's ``run.json`` and each failure's.

    A record that cannot be read (a disk error, a hand edit) is skipped, not fatal.
    """
    paths = [*month_folder.glob(f"*/v*/{RECORD}"), *month_folder.glob(f"{FAILED}/*.json")]
    records = []
    for path in paths:
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(record, dict) and {"department", "status", "made_at"} <= set(record):
            records.append(record)
    return records


def remove_leftovers(department_folder: Path) -> list[Path]:
    """Remove the temporary folders of runs that were killed; return what was removed."""
    removed = []
    for work in department_folder.glob(".v*.tmp"):
        if _abandoned(work):
            shutil.rmtree(work, ignore_errors=True)
            removed.append(work)
    return removed


def _abandoned(work: Path) -> bool:
    try:
        host, pid = (work / OWNER).read_text(encoding="utf-8").split()
    except (OSError, ValueError):
        return _age(work) > STALE_SECONDS  # an owner is written right after mkdir
    if host != socket.gethostname():
        return _age(work) > STALE_SECONDS
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except (PermissionError, ValueError):
        return False
    return False


def _age(path: Path) -> float:
    try:
        return time.time() - path.stat().st_mtime
    except OSError:
        return 0.0


def _number(name: str) -> int | None:
    core = name[1:].removesuffix(".tmp") if name.startswith(".v") else name
    return int(core[1:]) if core[:1] == "v" and core[1:].isdigit() else None


def _json(record: dict) -> str:
    return json.dumps(record, ensure_ascii=False, indent=1)
