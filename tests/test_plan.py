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
    "body, found, values",
    [  # found: (where, code) of each problem; values: what the messages must name
        (
            "indicators: {GMV: {rule: {type: ratioo}}}",
            [("indicators.GMV.rule", "unknown_rule_type")],
            ["'ratioo'"],
        ),
        (
            "indicators: {GMV: {rule: {type: ratio, cap: 0.5, floor: 0.8}}}",
            [("indicators.GMV.rule", "rule_parameter")],
            ["0.5", "0.8"],
        ),
        (
            "indicators: {GMV: {rule: {type: ratio}, weight: 3}}",
            [("indicators.GMV.weight", "extra_forbidden")],
            ["'weight'"],
        ),
        (
            "indicators: {GMV: {rule: {type: bands, bands: [{at_most: 0.3, share: 1}, "
            "{at_most: 0.1, share: 0.5}]}}}",
            [("indicators.GMV.rule", "rule_parameter")],
            ["0.3", "0.1"],
        ),
        (
            "indicators: {转化率: {formula: 买家 / UV, rule: {type: ratio}}}\nmeasures: {买家数: {}}",
            [("indicators.转化率.formula", "unknown_measure")] * 2,
            ["'UV'", "'买家'", "'买家数'"],  # the last: the suggestion for 买家
        ),
        (
            "indicators: {GMV: {rule: {type: ratio}}}\ngates: [{name: x, when: 'section(\"联检\") < 1', "
            "effect: void}]",
            [("gates.0.when", "unknown_item")],
            ["section('联检')"],
        ),
        (
            "indicators: {GMV: {rule: {type: ratio}}}\ngates: [{name: x, when: 'GMV < 1', "
            "effect: multiply, item: GMW, factor: 2}]",
            [("gates.0.item", "unknown_item")],
            ["'GMW'", "'GMV'"],
        ),
        (
            "indicators: {GMV: {rule: {type: ratio}}}\ngrades: [{name: a, min: 60}, {name: b, min: 80}, "
            "{name: c}]",
            [("", "value_error")],
            ["[60.0, 80.0]"],
        ),
        # the error shows the line and marks the place (libyaml's own message does not)
        ("indicators: [GMV", [(None, "bad_yaml")], ["line 5", "indicators: [GMV\n", "^"]),
    ],
)
def test_bad_plans_are_explained(tmp_path, body, found, values):
    with pytest.raises(PlanError) as info:
        load_plan(plan_file(tmp_path, body))
    problems = info.value.problems
    assert [(p.where, p.code) for p in problems] == found
    assert all(p.file == str(tmp_path / "t.yaml") for p in problems)
    assert all(v in str(info.value) for v in values)
    assert all(p.fix for p in problems)  # every problem says what to do


def test_missing_plan_file():
    with pytest.raises(PlanError, match="方案文件 params/nope.yaml 不存在") as info:
        load_plan("params/nope.yaml")
    assert info.value.problems[0].code == "no_such_file"


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
