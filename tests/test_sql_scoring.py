"""The DuckDB SQL scoring path: the same results as the pandas path, the same refusals."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import duckdb
import numpy as np
import pandas as pd
import pytest

import kpilib
from kpilib import months, period_results
from kpilib.engine import rules, sql_scoring
from kpilib.engine.scoring import score
from kpilib.errors import DataError
from kpilib.project import available_months
from kpilib.rounding import round_points
from tests.conftest import ROOT, actuals, make_plan, targets

MONTHLY = ["bank_branch", "channel_ops", "ecommerce", "mall_floor", "member_ops"]
MONTHLY += ["member_retail", "procurement"]


@pytest.fixture
def sql_used(monkeypatch):
    """How many months the SQL path itself scored (not handed to the pandas path)."""
    used = []
    real = sql_scoring.score_rows

    def spy(*args):
        got = real(*args)
        used.append(got is not None)
        return got

    monkeypatch.setattr(sql_scoring, "score_rows", spy)
    return used


def both(monkeypatch, module, run):
    """``run()`` (which calls ``module.score``) once per engine: the two Results."""
    results = {}
    for engine in ("pandas", "duckdb"):
        kept = []

        def scored(*args, engine=engine, kept=kept, **kwargs):
            kept.append(score(*args, engine=engine, **kwargs))
            return kept[-1]

        monkeypatch.setattr(module, "score", scored)
        run()
        results[engine] = kept[-1]
    return results["pandas"], results["duckdb"]


def assert_same(a, b):
    pd.testing.assert_frame_equal(a.people, b.people)
    pd.testing.assert_frame_equal(a.items, b.items)


def shipped_months():
    for name in MONTHLY:
        for month in available_months(kpilib.load_plan(ROOT / f"params/{name}.yaml")):
            yield name, month


@pytest.mark.parametrize("name, month", list(shipped_months()))
def test_both_paths_agree_on_every_shipped_month(monkeypatch, sql_used, name, month):
    plan = kpilib.load_plan(ROOT / f"params/{name}.yaml")
    assert_same(*both(monkeypatch, months, lambda: months.score_month(plan, month)))
    # channel_ops has ratio and count rules only: scored in SQL. The others have formulas,
    # teams, bonus, incident or rating items, which the SQL path hands to pandas whole
    assert sql_used == ([True] if name == "channel_ops" else [])


@pytest.mark.parametrize("period", ["2024-B4", "2024-B5", "2024-B6"])
def test_both_paths_agree_on_the_period_plan(monkeypatch, tmp_path, sql_used, period):
    path = ROOT / "params/regional_sales.yaml"
    run = lambda: period_results.period_result(path, period, tmp_path / "r.duckdb", save=False)  # noqa: E731
    assert_same(*both(monkeypatch, period_results, run))
    # one ratio rule, numbers from CSV text: the period and the earlier ones its pay levels
    # are carried from (2024-B4 on) all in SQL
    assert sql_used == [True] * (int(period[-1]) - 3)


def bench():
    spec = importlib.util.spec_from_file_location("bench", ROOT / "scripts/bench_scoring.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    "rows, categorical",
    [
        (20_000, False),
        (20_000, True),
        pytest.param(1_000_000, False, marks=pytest.mark.slow),
    ],
)
def test_both_paths_agree_on_synthetic_rows(sql_used, rows, categorical):
    b = bench()
    t, a = b.inputs(rows, np.random.default_rng(3), categorical=categorical)
    plan = b.plan()
    pandas, sql = (score(plan, t, a, engine=e) for e in ("pandas", "duckdb"))
    assert sql_used == [True]
    assert_same(pandas, sql)
    assert (sql.people["total"] > 0).all()


def test_a_month_with_gates_and_text_values_goes_through_sql(sql_used):
    # seed 002 mall: "投诉率10%以内(含10%)" → full points; 10%以上15%以内(含15%) → 80%;
    # a veto gate on a measure the month gives (检查得分 ≤ 18 voids the month)
    plan = make_plan(
        {
            "销售额": {"rule": {"type": "ratio", "cap": "120%"}},
            "投诉率": {
                "direction": "lower",
                "rule": {
                    "type": "bands",
                    "bands": [{"at_most": "10%", "share": 1}, {"at_most": "15%", "share": 0.8}],
                },
            },
        },
        measures={"检查得分": {}},
        gates=[{"name": "检查否决", "when": "检查得分 <= 18", "effect": "void"}],
    )
    t = targets(
        [(p, i, 0.5, tgt) for p in "甲乙" for i, tgt in (("销售额", 100), ("投诉率", np.nan))]
    )
    a = actuals(
        [("甲", "销售额", 90), ("甲", "投诉率", "15%"), ("甲", "检查得分", 20)]
        + [("乙", "销售额", 130), ("乙", "投诉率", "9%"), ("乙", "检查得分", 18)]
    )
    pandas, sql = (score(plan, t, a, engine=e) for e in ("pandas", "duckdb"))
    assert sql_used == [True]
    assert_same(pandas, sql)
    people = sql.people.set_index("person")
    # 甲: 90% × 50 = 45; 15% is in the ≤15% band: 80% × 50 = 40
    assert people.loc["甲", "total"] == pytest.approx(85)
    # 乙: capped 120% × 50 = 60, ≤10% band 50: 110, but 检查得分 18 ≤ 18 voids the month
    assert people.loc["乙", "total"] == pytest.approx(110)
    assert not people.loc["乙", "valid"]


# --- the rules' SQL forms, by hand ----------------------------------------------------


def sql_rule(rule, lower, rows):
    """(completion, points) of each (actual, target, full_points) row, through rule.sql."""
    completion, points = rule.sql(lower)
    frame = pd.DataFrame(rows, columns=["actual", "target", "full_points"], dtype=float)  # noqa: F841
    return duckdb.sql(f"SELECT {completion}, {points} FROM frame").fetchall()


def test_ratio_with_cap_seed_000():
    # seed 000: "渠道运营岗 谢徐亮 / KA GMV 60% 12355000"; actual 14,139,600:
    # 14139600 / 12355000 = 114.44% × 60 = 68.67; "高产客户数 20% 30", actual 39:
    # 130% capped at 120% (the plan's cap) × 20 = 24
    rule = rules.make_rule({"type": "ratio", "cap": "120%"})
    (c1, p1), (c2, p2) = sql_rule(rule, False, [(14_139_600, 12_355_000, 60), (39, 30, 20)])
    assert c1 == pytest.approx(14_139_600 / 12_355_000) and p1 == 68.67
    assert c2 == 1.2 and p2 == 24


def test_ratio_zero_below_and_lower_is_better():
    # seed 002 regional: "below 90% completion, no performance pay": 89% → 0, 90% → 90% × 10
    rule = rules.make_rule({"type": "ratio", "cap": "120%", "zero_below": "90%"})
    assert [p for _, p in sql_rule(rule, False, [(89, 100, 10), (90, 100, 10)])] == [0, 9]
    # lower is better, 目标 / 实际: a return rate of 4% against 5% is 125%, capped at 120%;
    # an actual of 0 earns the cap
    got = sql_rule(rule, True, [(0.04, 0.05, 10), (0, 0.05, 10), (0.1, 0.05, 10)])
    assert got == [(1.2, 12), (1.2, 12), (0.5, 0)]


def test_bands_edges_inclusive_seed_002():
    # seed 002 mall: "投诉率10%以上15%以内(含15%)" → 80%; "15%以上20%以内(含20%)" → 60%;
    # 1 − 0.85 is 0.15000000000000002 in floats and still in the 含15% band
    rule = rules.make_rule(
        {
            "type": "bands",
            "bands": [
                {"at_most": "10%", "share": 1},
                {"at_most": "15%", "share": 0.8},
                {"at_most": "20%", "share": 0.6},
            ],
        }
    )
    rows = [(0.10, np.nan, 20), (1 - 0.85, np.nan, 20), (0.2000001, np.nan, 20)]
    assert [p for _, p in sql_rule(rule, True, rows)] == [20, 16, 0]


def test_step_whole_steps_seed_001():
    # seed 001: "新会员注册数量:完成或超过目标值得满分,每低于目标值10%扣相应分数";
    # here 3 points per 10%: 850 of 1000 is 15% short, one whole step: 30 − 3 = 27;
    # "得分达到90分及以上得满分,每降低1分扣相应分数": 87 against 90, 2 per point: 20 − 6 = 14
    on_completion = rules.make_rule({"type": "step", "step": "10%", "deduct": 3})
    assert sql_rule(on_completion, False, [(850, 1000, 30)]) == [(0.85, 27)]
    on_actual = rules.make_rule({"type": "step", "on": "actual", "step": 1, "deduct": 2})
    assert sql_rule(on_actual, False, [(87, 90, 20)]) == [(0.7, 14)]


def test_sql_rounding_matches_numpy_on_a_million_values():
    # round_points rounds on the decimal value: 0.7635 × 10 = 7.635 → 7.64
    rng = np.random.default_rng(5)
    x = np.concatenate([rng.uniform(-200, 200, 1_000_000), np.arange(-2000, 2000) / 200])
    frame = pd.DataFrame({"x": x})  # noqa: F841
    got = duckdb.sql(f"SELECT {rules._points_sql('x')} AS p FROM frame").fetchnumpy()["p"]
    np.testing.assert_array_equal(got, round_points(x))
    assert duckdb.sql(f"SELECT {rules._points_sql('0.7635 * 10')}").fetchall() == [(7.64,)]


# --- refusals: the same problems, whichever engine is asked -----------------------------

PLAN = {"GMV": {"rule": {"type": "ratio", "cap": "120%"}}}


def problems(plan, t, a, engine):
    with pytest.raises(DataError) as info:
        score(plan, t, a, engine=engine)
    return [(p.code, p.file, p.where, p.person, p.column) for p in info.value.problems]


@pytest.mark.parametrize(
    "bad, expected",
    [
        # text in the number column: the file, row 3 (header row 1), the person and column
        (("乙", "GMV", "abc"), ("not_a_number", "actuals.csv", "第 3 行", "乙", "实际值")),
        # a person the targets do not have
        (("丙", "GMV", "10"), ("unknown_person", "actuals.csv", "第 3 行", "丙", None)),
    ],
)
def test_bad_input_refused_alike_through_duckdb(bad, expected):
    plan = make_plan(PLAN)
    t = targets([("甲", "GMV", 1, 100), ("乙", "GMV", 1, 100)])
    a = actuals([("甲", "GMV", 90), bad] + ([("乙", "GMV", 80)] if bad[0] != "乙" else []))
    got = problems(plan, t, a, "duckdb")
    assert got == problems(plan, t, a, "pandas")
    assert expected in got


def test_weights_not_100_refused_through_duckdb():
    plan = make_plan({**PLAN, "客户数": {"rule": {"type": "count"}}})
    t = targets([("甲", "GMV", 0.7, 100), ("甲", "客户数", 0.2, 10)])
    a = actuals([("甲", "GMV", 90), ("甲", "客户数", 9)])
    got = problems(plan, t, a, "duckdb")
    assert [g[0] for g in got] == ["weights_not_100"] and got[0][3:] == ("甲", "权重")


def test_unknown_engine_is_refused():
    plan = make_plan(PLAN)
    with pytest.raises(ValueError, match="pandas"):
        score(plan, targets([("甲", "GMV", 1, 100)]), actuals([("甲", "GMV", 9)]), engine="polars")


def test_scoring_does_not_import_duckdb():
    code = "import sys, kpilib.engine.scoring; print('duckdb' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.stdout.strip() == "False", out.stderr
