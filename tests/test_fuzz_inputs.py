"""Fuzzed actuals and targets files (issue 12, group 11): an error naming a file, or the
very scores of the clean file — never a traceback, never a changed score for someone else.

Each example takes the ecommerce plan's November files, changes some actual values
(blank, junk, huge, non-finite) and then disguises the files without changing their
content: encoding with or without a BOM, extra columns, shuffled rows, people renamed
to other Unicode names. The disguised files must score exactly as the plain ones.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kpilib
from kpilib.errors import KpiError
from tests.conftest import ROOT

MONTH = "2024-11"
TARGETS = pd.read_csv(ROOT / "data/ecommerce/targets.csv", dtype=str, encoding="utf-8-sig")
ACTUALS = pd.read_csv(ROOT / f"data/ecommerce/actuals/{MONTH}.csv", dtype=str, encoding="utf-8-sig")
# the shipped plan with its sources beside it; loaded once (YAML is half the time of a run)
PLAN = kpilib.load_plan(ROOT / "params/ecommerce.yaml")
PLAN = PLAN.model_copy(
    update={"sources": PLAN.sources.model_copy(update={"targets": "t.csv", "actuals": "a.csv"})}
)
PEOPLE = list(dict.fromkeys(TARGETS["姓名"]))
BASELINE = kpilib.score_month(ROOT / "params/ecommerce.yaml", MONTH).people.set_index("person")
SCORES = ["total", "weighted_points", "bonus_points", "completion", "grade", "valid"]

values = st.one_of(
    st.sampled_from(["", " ", "abc", "无", "nan", "NaN", "inf", "-inf", "1e999", "#DIV/0!"]),
    st.sampled_from(["1e300", "9" * 40, "1e15", "0", "-0", "1,234,567", "12.5%"]),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-(10**30), 10**30).map(str),
)
names = st.text(
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF) | st.sampled_from("AbcXyz"),
    min_size=1,
    max_size=12,
)


@st.composite
def cases(draw):
    edits = draw(st.dictionaries(st.integers(0, len(ACTUALS) - 1), values, min_size=0, max_size=3))
    renamed = draw(st.lists(st.sampled_from(PEOPLE), unique=True, max_size=3))
    new_names = draw(st.lists(names, min_size=len(renamed), max_size=len(renamed), unique=True))
    rename = {old: new for old, new in zip(renamed, new_names, strict=True) if new not in PEOPLE}
    return {
        "edits": edits,
        "rename": rename,
        "encoding": draw(st.sampled_from(["utf-8", "utf-8-sig"])),
        "extra": draw(st.lists(st.sampled_from(["备注", "Unnamed: 9", "x"]), unique=True)),
        "junk": draw(st.sampled_from(["", "???", "=1+1", "123"])),
        "seed": draw(st.integers(0, 2**32 - 1)),
    }


def score(folder: Path, targets: pd.DataFrame, actuals: pd.DataFrame, encoding="utf-8"):
    folder.mkdir()
    targets.to_csv(folder / "t.csv", index=False, encoding=encoding)
    actuals.to_csv(folder / "a.csv", index=False, encoding=encoding)
    plan = PLAN.model_copy(update={"path": folder / "ecommerce.yaml"})
    try:
        return kpilib.score_month(plan, MONTH).people.set_index("person")
    except KpiError as exc:
        text = str(exc)
        assert str(folder / "t.csv") in text or str(folder / "a.csv") in text, text
        return None


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(cases())
def test_fuzzed_inputs_give_a_named_error_or_the_clean_scores(case):
    actuals = ACTUALS.copy()
    for row, value in case["edits"].items():
        actuals.loc[row, "实际值"] = value
    with tempfile.TemporaryDirectory() as tmp:
        clean = score(Path(tmp) / "clean", TARGETS, actuals)
        # disguised: same content, other encoding, extra columns, shuffled rows, new names
        targets, messy = TARGETS.copy(), actuals.copy()
        for table in (targets, messy):
            table["姓名"] = table["姓名"].replace(case["rename"])
            for column in case["extra"]:
                table[column] = case["junk"]
        messy = messy.sample(frac=1, random_state=case["seed"] % 2**32)
        targets = targets.sample(frac=1, random_state=case["seed"] % 2**31)
        disguised = score(Path(tmp) / "messy", targets, messy, case["encoding"])
    assert (clean is None) == (disguised is None)
    if clean is None:
        return
    back = {new: old for old, new in case["rename"].items()}
    disguised = disguised.rename(index=lambda p: back.get(p, p)).loc[clean.index]
    pd.testing.assert_frame_equal(disguised[SCORES], clean[SCORES])
    # a value changed for one person never changes anyone else's score
    touched = set(ACTUALS.loc[list(case["edits"]), "姓名"])
    others = [p for p in clean.index if p not in touched]
    pd.testing.assert_frame_equal(clean.loc[others, SCORES], BASELINE.loc[others, SCORES])
