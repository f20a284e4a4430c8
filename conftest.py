"""Shared by the tests and the docstring examples (pytest --doctest-modules)."""

from __future__ import annotations

import os

import pytest

# Tests assert the kit's default language, Chinese, whatever the machine's LANG says;
# set before kpilib chooses its catalog (once per process, at the first message).
# Subprocesses (the CLI, papermill's kernels) inherit it.
os.environ["KPI_LANG"] = "zh"


@pytest.fixture(autouse=True)
def _store_in_tmp(tmp_path, monkeypatch):
    """Never write the project's own results store (data/results.duckdb)."""
    monkeypatch.setenv("KPI_STORE", str(tmp_path / "results.duckdb"))


@pytest.fixture(autouse=True)
def _doctest_names(doctest_namespace):
    """Docstring examples may use ``kpilib`` without importing it."""
    import kpilib

    doctest_namespace["kpilib"] = kpilib
