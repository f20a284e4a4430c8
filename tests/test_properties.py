"""Properties that hold for any input (hypothesis)."""

import numpy as np
import pandas as pd
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
    return rule, rule.score(items, False, None)["points"].to_numpy()


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
    got = rule.score(items, True, None)["points"].to_numpy()
    assert (np.diff(got) <= 1e-9).all()
