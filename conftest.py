"""Shared by the tests and the docstring examples (pytest --doctest-modules)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _store_in_tmp(tmp_path, monkeypatch):
    """Never write the project's own results store (data/results.duckdb)."""
    monkeypatch.setenv("KPI_STORE", str(tmp_path / "results.duckdb"))


@pytest.fixture(autouse=True)
def _doctest_names(doctest_namespace):
    """Docstring examples may use ``kpilib`` without importing it."""
    import kpilib

    doctest_namespace["kpilib"] = kpilib
