"""Properties that hold for any input (hypothesis)."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from kpilib.engine.rules import AnyRule

rules = st.one_of(
    st.builds(
        lambda cap, zb: {"type": "ratio", "cap": cap, "zero_below": zb},
        st.floats(1, 3),
        st.none() | st.floats(0, 0.9),
    ),
    st.builds(lambda cap: {"type": "count", "cap": cap}, st.floats(0.5, 2)),
    st.builds(
        lambda step, deduct, mode: {"type": "step", "step": step, "deduct": deduct, "mode": mode},
        st.floats(0.01, 0.5),
        st.floats(0.1, 20),
        st.sampled_from(["whole", "proportional"]),
    ),
    st.just(
        {
            "type": "bands",
            "on": "completion",
            "bands": [
                {"at_least": 1.0, "share": 1.0},
                {"at_least": 0.9, "share": 0.8},
                {"at_least": 0.6, "share": 0.5},
            ],
        }
    ),
)
amounts = st.floats(0, 1e9, allow_nan=False)


def points(params, full, target, actual_values):
    rule = TypeAdapter(AnyRule).validate_python(params)
    items = pd.DataFrame(
        {
            "full_points": float(full),
            "target": float(target),
            "actual": np.asarray(actual_values, float),
        }
    )
    return rule, rule.score(items, False, None)["points"]


@settings(max_examples=300, deadline=None)
@given(rules, st.floats(1, 100), st.floats(1, 1e7), amounts, amounts)
def test_raising_the_actual_never_lowers_the_points(params, full, target, a, b):
    _, got = points(params, full, target, sorted([a, b]))
    assert got[1] >= got[0] - 1e-9


@settings(max_examples=300, deadline=None)
@given(rules, st.floats(1, 100), st.floats(1, 1e7), st.lists(amounts, min_size=1, max_size=20))
def test_points_stay_between_zero_and_weight_times_cap(params, full, target, actual_values):
    rule, got = points(params, full, target, actual_values)
    cap = getattr(rule, "cap", None) or 1.0
    assert (got >= 0).all()
    assert (got <= full * cap + 0.005).all()  # points are rounded to 0.01


@settings(max_examples=200, deadline=None)
@given(st.floats(1, 100), st.floats(0.001, 1), st.lists(st.floats(0, 2), min_size=1))
def test_lower_is_better_never_rewards_a_worse_actual(full, target, actual_values):
    rule = TypeAdapter(AnyRule).validate_python({"type": "ratio", "cap": 1.5})
    ordered = np.sort(np.asarray(actual_values))
    items = pd.DataFrame({"full_points": full, "target": target, "actual": ordered})
    got = rule.score(items, True, None)["points"]
    assert (np.diff(got) <= 1e-9).all()


# --- scoring a month: unrelated input never moves anyone's points (issue 9, case 1) ----

PLAN = {
    "indicators": {f"X{k}": {"rule": {"type": "ratio", "cap": "200%"}} for k in range(4)},
    "measures": {"M0": {}, "M1": {}},
}


@st.composite
def months(draw):
    """Targets for 1-5 people (each a non-empty subset of X0-X2) and their wide actuals."""
    n = draw(st.integers(1, 5))
    people = [f"员{k}" for k in range(n)]
    owned = {
        p: draw(st.lists(st.sampled_from(["X0", "X1", "X2"]), min_size=1, max_size=3, unique=True))
        for p in people
    }
    rows = [(p, x, 1 / len(owned[p]), draw(st.integers(1, 1000))) for p in people for x in owned[p]]
    wide = pd.DataFrame(
        {
            "姓名": people,
            **{
                x: [str(draw(st.integers(0, 2000))) if x in owned[p] else "" for p in people]
                for x in ("X0", "X1", "X2")
            },
        }
    )
    return rows, wide


def _points(rows, wide):
    """Score ``wide`` written as a CSV and read back as ``kpi`` reads it."""
    import tempfile
    from pathlib import Path

    from kpilib.engine.scoring import score
    from kpilib.sheets.inputs import read_actuals
    from tests.conftest import make_plan, targets

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "actuals.csv"
        wide.to_csv(path, index=False, encoding="utf-8-sig")
        result = score(make_plan(**PLAN), targets(rows), read_actuals(path))
    return result.items.set_index(["person", "item"])["points"].sort_index()


@settings(max_examples=40, deadline=None)
@given(months(), st.randoms(use_true_random=False), st.lists(st.integers(0, 99), min_size=2))
def test_unrelated_columns_and_any_order_never_change_points(month, random, extra):
    rows, wide = month
    before = _points(rows, wide)
    # declared measures no formula uses, a plan indicator nobody has (blank), a note
    more = wide.assign(
        M0=[str(random.choice(extra)) for _ in range(len(wide))],
        M1="",
        X3="",
        备注="说明",
    )
    columns = list(more.columns[1:])
    random.shuffle(columns)
    more = more[["姓名", *columns]].sample(frac=1, random_state=random.randint(0, 999))
    pd.testing.assert_series_equal(_points(rows, more), before)


@settings(max_examples=40, deadline=None)
@given(months(), st.integers(0, 99))
def test_an_unknown_column_is_one_error_and_credits_nobody(month, value):
    # issue 9 case 1: targets A: X, B: X; actuals 姓名, X, Y with Y not in the plan once
    # credited A with B's Y. Now the column is one error, whoever has values in it.
    from kpilib.errors import DataError

    rows, wide = month
    with pytest.raises(DataError) as info:
        _points(rows, wide.assign(Y=str(value)))
    assert [(p.code, p.column) for p in info.value.problems] == [("unknown_column", "Y")]
