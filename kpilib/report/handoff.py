"""The month a report worker scored, handed to the notebook it runs: loaded once, not twice.

A report worker loads the department's month (:meth:`MonthReport.load
<kpilib.report.sections.MonthReport.load>`: scored and saved if the store lacks it,
and every earlier month read from the store) for the scorecards and the run record.
The notebook's first cell asks for the same month again. Instead of reading it a
second time, the worker writes what it loaded to a file in the run's folder (:func:`write`),
the warm kernel reads it into memory before the notebook starts (:func:`receive`,
from :func:`kpilib.report.kernel.kernel_reset`), and ``MonthReport.load`` takes it
(:func:`take`) when asked for exactly that department, month, plan file, actuals
file and ``save``. Anything else (a notebook run by hand, a notebook that loads
another month or a second time) loads as before.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kpilib.months import MonthHistory

# inside the kernel: the month handed for the next notebook, by its load() arguments
_WAITING: dict[tuple, MonthHistory] = {}


def key(
    department: str,
    month: str,
    plan_path: str | Path | None,
    actuals: str | Path | None,
    save: bool,
) -> tuple:
    """What ``MonthReport.load`` was asked for, with paths made absolute."""
    return (
        department,
        month,
        str(Path(plan_path).resolve()) if plan_path is not None else None,
        str(Path(actuals).resolve()) if actuals is not None else None,
        bool(save),
    )


def write(months: MonthHistory, asked: tuple, folder: Path) -> Path | None:
    """Write ``months`` (what ``load(*asked)`` gave) to a file in ``folder``; its path.

    ``folder`` is the run's temporary version folder, so a killed run's file goes with
    it. ``None`` when the month cannot be pickled (the notebook then loads it itself).
    The caller deletes the file.
    """
    try:
        data = pickle.dumps((asked, months), protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, AttributeError, TypeError):
        return None
    path = Path(folder) / ".month.pickle"
    path.write_bytes(data)
    return path


def receive(path: str | None) -> None:
    """Inside the kernel, before a notebook: forget any month handed before, then read the
    one written to ``path`` (none when ``path`` is None)."""
    _WAITING.clear()
    if path is None:
        return
    try:
        asked, months = pickle.loads(Path(path).read_bytes())
    except Exception:  # noqa: BLE001 - not read here, the notebook loads the month itself
        return
    _WAITING[asked] = months


def take(asked: tuple) -> MonthHistory | None:
    """The month handed for exactly these ``load`` arguments (:func:`key`), once; else
    ``None``."""
    return _WAITING.pop(asked, None)
