"""Plan files: what a bad plan is told."""

import pytest

from kpilib.engine.plan import load_plan
from kpilib.errors import PlanError
from tests.conftest import ROOT

BASE = """\
department: t
name: 测试
sources: {targets: t.csv, actuals: "{month}.csv"}
grades: [{name: 合格, min: 60}, {name: 不合格}]
"""


def plan_file(tmp_path, body):
    path = tmp_path / "t.yaml"
    path.write_text(BASE + body, encoding="utf-8")
    return path


def test_every_shipped_plan_loads():
    plans = sorted((ROOT / "params").glob("*.yaml"))
    assert plans
    for path in plans:
        assert load_plan(path).department == path.stem


@pytest.mark.parametrize(
    "body, message",
    [
        (
            "indicators: {GMV: {rule: {type: ratioo}}}",
            r"indicators.GMV.rule: unknown rule type 'ratioo'. Fix: use one of: ratio, count, bands",
        ),
        (
            "indicators: {GMV: {rule: {type: ratio, cap: 0.5, floor: 0.8}}}",
            r"indicators.GMV.rule: .*cap 0.5 is below floor 0.8",
        ),
        (
            "indicators: {GMV: {rule: {type: ratio}, weight: 3}}",
            r"indicators.GMV.weight: unknown key 'weight'",
        ),
        (
            "indicators: {GMV: {rule: {type: bands, bands: [{at_most: 0.3, share: 1}, "
            "{at_most: 0.1, share: 0.5}]}}}",
            r"out of order",
        ),
        (
            "indicators: {转化率: {formula: 买家 / UV, rule: {type: ratio}}}\nmeasures: {买家数: {}}",
            r"formula '买家 / UV' names unknown measure 'UV'.*\n.*unknown measure '买家' \(did you mean '买家数'\?\)",
        ),
        (
            "indicators: {GMV: {rule: {type: ratio}}}\ngates: [{name: x, when: 'section(\"联检\") < 1', "
            "effect: void}]",
            r"section\('联检'\): no such indicator or section",
        ),
        (
            "indicators: {GMV: {rule: {type: ratio}}}\ngates: [{name: x, when: 'GMV < 1', "
            "effect: multiply, item: GMW, factor: 2}]",
            r"multiplies unknown item 'GMW' \(did you mean 'GMV'",
        ),
        (
            "indicators: {GMV: {rule: {type: ratio}}}\ngrades: [{name: a, min: 60}, {name: b, min: 80}, "
            "{name: c}]",
            r"must go strictly down",
        ),
        ("indicators: [GMV", r"not valid YAML"),
    ],
)
def test_bad_plans_are_explained(tmp_path, body, message):
    with pytest.raises(PlanError, match=message) as info:
        load_plan(plan_file(tmp_path, body))
    assert str(tmp_path / "t.yaml") in str(info.value)


def test_missing_plan_file():
    with pytest.raises(PlanError, match="does not exist"):
        load_plan("params/nope.yaml")


def test_channel_ops_plan_states_its_assumptions():
    # the cap the seed leaves open is a comment in the plan, not buried in code
    text = (ROOT / "params/channel_ops.yaml").read_text(encoding="utf-8")
    assert "capped at 120%" in text and "cap: 120%" in text


def test_the_rule_key_on_is_not_read_as_a_boolean(tmp_path):
    plan = load_plan(
        plan_file(
            tmp_path, "indicators: {满意度: {rule: {type: step, on: actual, step: 1, deduct: 2}}}"
        )
    )
    assert plan.indicators["满意度"].rule.on == "actual"
