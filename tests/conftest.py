"""Builders for small in-memory plans and inputs, shared by the engine tests."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from kpilib.engine.plan import Plan

ROOT = Path(__file__).resolve().parent.parent


def make_plan(indicators: dict, **extra) -> Plan:
    """A plan with the given indicators and seed 001's grade bands."""
    data = {
        "department": "test",
        "name": "测试部",
        "sources": {"targets": "t.csv", "actuals": "{month}.csv"},
        "indicators": indicators,
        "grades": [
            {"name": "优秀", "min": 90},
            {"name": "良好", "min": 80},
            {"name": "合格", "min": 60},
            {"name": "不合格"},
        ],
        **extra,
    }
    return Plan.model_validate(data)


def frame(rows: list[tuple], columns: list[str], file: str = "input.csv") -> pd.DataFrame:
    """Rows as a loaded frame would have them: with _file and _row (header is row 1)."""
    out = pd.DataFrame(rows, columns=columns)
    out["_file"], out["_row"] = file, range(2, len(rows) + 2)
    return out


def targets(rows) -> pd.DataFrame:
    """(person, indicator, weight, target) rows; item = indicator."""
    out = frame(
        [(p, i, i, w, t) for p, i, w, t in rows],
        ["person", "indicator", "item", "weight", "target"],
        "targets.csv",
    )
    out["role"], out["english_name"], out["note"] = "", "", ""
    return out


def actuals(rows) -> pd.DataFrame:
    """(person, item, value) rows, values as text the way files give them."""
    out = frame([(p, i, str(v)) for p, i, v in rows], ["person", "item", "value"], "actuals.csv")
    out["_column"] = "实际值"
    return out


@pytest.fixture
def channel_ops_plan():
    from kpilib import load_plan

    return load_plan(ROOT / "params/channel_ops.yaml")
