"""The month a report worker loaded is handed to its notebook, not read again.

Issue 13, point 1: "the month is scored once and handed to the notebook". What must
hold: the notebook's ``MonthReport.load`` takes the worker's month only when asked
for exactly that department, month, plan, actuals file and ``save``, once; and every
section renders the same from the handed month as from the month read back from
the store (so the report is the same, byte for byte).
"""

from pathlib import Path

import pytest

from kpilib.report import handoff
from kpilib.report.sections import MonthReport
from tests.conftest import ROOT

MONTH = "2024-11"
PLAN = ROOT / "params" / "channel_ops.yaml"


@pytest.fixture
def handed(tmp_path, monkeypatch):
    """channel_ops 2024-11 as the worker loads it (scored and saved), handed over."""
    monkeypatch.setenv("KPI_STORE", str(tmp_path / "results.duckdb"))
    report = MonthReport.load("channel_ops", MONTH, plan_path=PLAN)
    asked = handoff.key("channel_ops", MONTH, PLAN, None, True)
    path = handoff.write(report.months, asked, tmp_path)
    yield report, path
    path.unlink()
    handoff.receive(None)


def test_the_notebook_takes_the_handed_month_once_and_only_for_the_same_arguments(
    handed, monkeypatch
):
    report, path = handed
    handoff.receive(str(path))
    relative = Path("params") / "channel_ops.yaml"
    monkeypatch.chdir(ROOT)  # the same plan file named relative to the project
    assert (
        handoff.take(handoff.key("channel_ops", MONTH, relative, None, False)) is None
    )  # save differs
    assert handoff.take(handoff.key("channel_ops", "2024-10", relative, None, True)) is None
    taken = handoff.take(handoff.key("channel_ops", MONTH, relative, None, True))
    assert taken is not None and taken.month == MONTH
    assert len(taken.result.people) == 19  # seed 000: the 19 people of 渠道运营中心
    assert handoff.take(handoff.key("channel_ops", MONTH, relative, None, True)) is None  # once


def test_a_new_notebook_forgets_a_month_handed_before(handed):
    _, path = handed
    handoff.receive(str(path))
    handoff.receive(None)  # kernel_reset before the next notebook, with nothing handed
    assert handoff.take(handoff.key("channel_ops", MONTH, PLAN, None, True)) is None


def test_load_uses_the_handed_month_without_reading_the_store(handed, monkeypatch):
    report, path = handed
    handoff.receive(str(path))
    monkeypatch.setattr("kpilib.report.sections.history", None)  # a read would fail
    loaded = MonthReport.load("channel_ops", MONTH, plan_path=str(PLAN), save=True)
    assert loaded.result.people.equals(report.result.people)


@pytest.mark.slow
def test_every_section_renders_the_same_from_the_handed_month_as_from_the_store(handed):
    report, path = handed
    handoff.receive(str(path))
    from_worker = MonthReport.load("channel_ops", MONTH, plan_path=PLAN)
    assert (
        handoff.take(handoff.key("channel_ops", MONTH, PLAN, None, True)) is None
    )  # the load took it
    from_store = MonthReport.load("channel_ops", MONTH, plan_path=PLAN)
    assert from_worker.months is not from_store.months
    for section in (
        "title",
        "headline",
        "ranking",
        "indicators",
        "heatmap",
        "distribution",
        "trend",
        "below_threshold",
        "pay",
        "workings",
        "explanations",
    ):
        assert str(getattr(from_worker, section)()) == str(getattr(from_store, section)()), section
