"""What-if: tweaked rules and weights re-scored against the published plan.

Seed 000 (渠道运营中心 2024年11月, data/channel_ops sample actuals for 2024-11):
    商务岗 | 危鹤坚 | Jason | GMV指标 | 70% | 2400000
     |  |  | 有产客户数 | 30% | 68
    商务岗 | 徐海龙 | Klose | GMV指标 | 70% | 1000000
     |  |  | 有产客户数 | 30% | 28
Actuals (data/channel_ops/actuals/2024-11.csv): 危鹤坚 GMV指标 2,223,200, 有产客户数 78;
徐海龙 681,100 and 20; 张诚磊 1,825,500 and 48 (target 2,400,000 / 68);
邓文 567,800 and 14 (target 750,000 / 21).
Pay (params/channel_ops.yaml, seed 000 rule 1): 商务岗 base 2,000 yuan × total / 100,
none when 考核完成率 < 60% ("1、每次月度考核完成率低于60%者，免当月绩效奖金；").
"""

from __future__ import annotations

import shutil
from decimal import Decimal

import pandas as pd
import pytest

from kpilib import load_plan
from kpilib.errors import KpiError, PlanError
from kpilib.interactive.whatif import (
    WhatIf,
    compare,
    reweight,
    save_plan,
    sensitivity,
    sensitivity_chart,
    with_rule,
)
from kpilib.sheets.inputs import read_targets
from tests.conftest import ROOT

MONTH = "2024-11"


@pytest.fixture(scope="module")
def session():
    return WhatIf(ROOT / "params/channel_ops.yaml", MONTH)


def _row(comparison, person):
    return comparison.people.set_index("person").loc[person]


def test_a_threshold_of_80_percent_drops_three_people_to_fail_and_their_pay(session):
    # zero_below 80%: 徐海龙 681,100 / 1,000,000 = 68.1% -> GMV 0; 有产 20/28 = 71.43% x 30 = 21.43
    # 张诚磊 1,825,500 / 2,400,000 = 76.1% -> 0; 48/68 x 30 = 21.18
    # 邓文 567,800 / 750,000 = 75.7% -> 0; 14/21 x 30 = 20.00
    tweaked = with_rule(session.plan, "GMV指标", zero_below="80%")
    cmp = session.compare(tweaked)
    assert list(cmp.moved["person"]) == ["张诚磊", "徐海龙", "邓文"]
    assert list(cmp.moved["total_after"]) == [21.18, 21.43, 20.0]
    assert set(cmp.moved["grade_before"]) == {"合格"} and set(cmp.moved["grade_after"]) == {
        "不合格"
    }
    # their pay was 2000 x 74.42/100, 2000 x 69.11/100, 2000 x 72.99/100; now under 60%: none
    assert list(cmp.moved["pay_before"]) == [
        Decimal("1488.40"),
        Decimal("1382.20"),
        Decimal("1459.80"),
    ]
    assert list(cmp.moved["pay_after"]) == [Decimal("0.00")] * 3
    grades = cmp.grades.set_index("grade")
    assert (grades.loc["合格", "before"], grades.loc["合格", "after"]) == (6, 3)
    assert (grades.loc["不合格", "before"], grades.loc["不合格", "after"]) == (2, 5)
    totals = cmp.totals.set_index("measure")
    assert totals.loc["绩效奖金合计(元)", "change"] == Decimal("-4330.40")
    # 危鹤坚 at 92.6% is above the threshold: untouched
    assert _row(cmp, "危鹤坚")["total_change"] == 0


def test_a_weight_of_50_percent_rescales_the_other_item(session):
    # 危鹤坚: GMV 92.63% x 50 = 46.32; 有产 78/68 = 114.71% x 50 = 57.35; total 103.67
    cmp = session.compare(weights={"GMV指标": "50%"})
    row = _row(cmp, "危鹤坚")
    assert (row["total_before"], row["total_after"]) == (99.25, 103.67)
    assert (row["pay_before"], row["pay_after"], row["pay_change"]) == (
        Decimal("1985.00"),
        Decimal("2073.40"),
        Decimal("88.40"),
    )
    # 林燕 carries no GMV指标: her weights stay
    assert _row(cmp, "林燕")["total_change"] == 0


def test_reweighting_an_indicator_with_sub_items_keeps_their_proportions(session):
    # 林燕: 直连酒店GMV 50%, API客户GMV 30%, 业务运营 10% + 5% + 5% (seed 000);
    # 业务运营 at 40% doubles its sub-items to 20/10/10, the rest x 0.6/0.8 -> 37.5 and 22.5
    published = session.inputs["targets"].copy()
    targets = reweight(session.inputs["targets"], session.plan, {"业务运营": 0.4})
    mine = targets[targets["person"] == "林燕"].set_index("item")["weight"]
    assert mine.round(6).to_dict() == {
        "直连酒店GMV": 0.375,
        "API客户GMV": 0.225,
        "业务运营①": 0.2,
        "业务运营②": 0.1,
        "业务运营③": 0.1,
    }
    # 1,307,400 / 1,323,750 = 98.76% x 37.5 = 37.04; 1,662,800 / 1,500,000 = 110.85% x 22.5
    # = 24.94; 业务运营 all delivered: 40 -> 101.98
    cmp = session.compare(weights={"业务运营": 0.4})
    assert _row(cmp, "林燕")["total_after"] == 101.98
    pd.testing.assert_frame_equal(session.inputs["targets"], published)  # input untouched
    assert session.inputs["targets"].loc[
        session.inputs["targets"]["person"] == "林燕", "weight"
    ].round(2).tolist() == [0.5, 0.3, 0.1, 0.05, 0.05]


def test_compare_is_one_call_without_widgets():
    plan = load_plan(ROOT / "params/channel_ops.yaml")
    cmp = compare(plan, with_rule(plan, "GMV指标", cap="100%"), MONTH)
    # 何嘉健's GMV 2,598,300 / 2,400,000 = 108.3% is now capped at 100%: 70.00 instead of 75.78
    row = _row(cmp, "何嘉健")
    assert (row["total_before"], row["total_after"]) == (102.69, 96.91)
    assert cmp.moved.empty  # still 优秀


def test_band_edges_move_in_order():
    # seed 002 mall (附表): 投诉率 ≤10% -> 100%, ≤15% -> 80% ... (params/mall_floor.yaml)
    plan = load_plan(ROOT / "params/mall_floor.yaml")
    rule = plan.indicators["投诉解决"].rule
    edges = [b.at_most for b in rule.bands]
    assert edges[:2] == [0.10, 0.15]
    tweaked = with_rule(plan, "投诉解决", edges=[0.04, *edges[1:]])
    cmp = compare(plan, tweaked, MONTH)
    # 吴佳's complaint rate 4.7% was in the ≤10% band (10 points), now in ≤15%: 80% x 10 = 8
    assert _row(cmp, "吴佳")["total_change"] == -2.0
    assert plan.indicators["投诉解决"].rule.bands[0].at_most == 0.10  # the plan is not changed


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"cap": "100%", "floor": "150%"}, r"indicators\.GMV指标\.rule.*cap 1 is below floor 1\.5"),
        ({"edges": [1]}, r"a ratio rule has no tunable parameter 'edges'.*use one of: cap, floor"),
    ],
)
def test_a_bad_tweak_says_what_and_where(session, changes, message):
    with pytest.raises(PlanError, match=message):
        with_rule(session.plan, "GMV指标", **changes)


def test_unknown_indicator_and_weights_outside_0_to_100_are_errors(session):
    with pytest.raises(PlanError, match=r"no indicator 'GMV指' .*（是不是 'GMV指标'？）"):
        with_rule(session.plan, "GMV指", cap=1)
    with pytest.raises(PlanError, match=r"weight 1\.2 for 'GMV指标' is outside 0-100%"):
        session.compare(weights={"GMV指标": "120%"})
    with pytest.raises(
        PlanError, match=r"indicators\.投诉解决\.rule\.bands：2 band edges given for 5 bands"
    ):
        plan = load_plan(ROOT / "params/mall_floor.yaml")
        with_rule(plan, "投诉解决", edges=[0.1, 0.2])


def test_sensitivity_sweeps_the_weight_and_matches_compare(session):
    sweep = sensitivity(session.plan, MONTH, "GMV指标", [0.5, 0.7], inputs=session.inputs)
    at_70 = sweep.set_index("weight").loc[0.7]
    base = session.compare()
    # 70% is the published weight: the sweep's point equals the plan as published
    assert at_70["pay"] == base.totals.set_index("measure").loc["绩效奖金合计(元)", "before"]
    assert at_70["people"] == 9  # 9 商务岗 carry GMV指标 (seed 000)
    at_50 = session.compare(weights={"GMV指标": 0.5})
    assert sweep.set_index("weight").loc[0.5, "pay"] == sum(at_50.people["pay_after"])
    assert sweep[["优秀", "良好", "合格", "不合格"]].sum(axis=1).tolist() == [19, 19]
    fig = sensitivity_chart(sweep, "GMV指标")
    assert fig.axes[0].get_title() == "GMV指标 权重敏感性：等级分布与绩效奖金"


@pytest.fixture
def plan_copy(tmp_path):
    """The channel plan and its data in a temporary project, so saving writes there."""
    (tmp_path / "params").mkdir()
    shutil.copy(ROOT / "params/channel_ops.yaml", tmp_path / "params")
    shutil.copytree(ROOT / "data/channel_ops", tmp_path / "data/channel_ops")
    return load_plan(tmp_path / "params/channel_ops.yaml")


def test_a_saved_what_if_is_a_new_file_that_scores_the_same(plan_copy):
    original = plan_copy.path.read_bytes()
    tweaked = with_rule(plan_copy, "GMV指标", cap="100%")
    path, diff = save_plan(tweaked, {"GMV指标": "50%"})
    assert path.name == "channel_ops_whatif.yaml"
    assert path.with_name("channel_ops_whatif.targets.csv").exists()
    assert plan_copy.path.read_bytes() == original  # the published plan is untouched
    assert diff.values.tolist() == [
        ["indicators.GMV指标.rule.cap", "120.0%", "100.0%"],
        ["weights.GMV指标", "70.0%", "50.0%"],
    ]
    text = path.read_text(encoding="utf-8")
    assert "#   indicators.GMV指标.rule.cap: 120.0% → 100.0%" in text
    saved = load_plan(path)
    assert saved.department == "channel_ops_whatif"
    # scoring the saved file gives what the what-if showed: 危鹤坚 GMV 92.63% x 50 = 46.32,
    # 有产 114.71% x 50 = 57.35 -> 103.67
    shown = WhatIf(plan_copy, MONTH).compare(tweaked, {"GMV指标": "50%"})
    from_file = compare(plan_copy, saved, MONTH)
    assert _row(from_file, "危鹤坚")["total_after"] == 103.67
    assert from_file.people["total_after"].tolist() == shown.people["total_after"].tolist()
    # its targets file reads back with the sub-items and weights intact
    back = read_targets(saved.source("targets"))
    assert back.loc[back["person"] == "林燕", "item"].tolist() == [
        "直连酒店GMV",
        "API客户GMV",
        "业务运营①",
        "业务运营②",
        "业务运营③",
    ]
    # a second save picks the next free name; an explicit existing name is refused
    assert save_plan(tweaked)[0].name == "channel_ops_whatif2.yaml"
    with pytest.raises(KpiError, match="已存在"):
        save_plan(tweaked, path=path)
    assert load_plan(path).department == "channel_ops_whatif"


def test_saving_over_the_published_plan_is_refused(plan_copy):
    with pytest.raises(KpiError, match="is the published plan; a what-if never replaces it"):
        save_plan(with_rule(plan_copy, "GMV指标", cap=1), path=plan_copy.path)


def test_the_widget_panel_rescores_when_a_control_changes():
    from kpilib.interactive.widgets import WhatIfApp

    app = WhatIfApp(ROOT / "params/channel_ops.yaml", MONTH)
    app.indicator.value = "GMV指标"
    weight = app.controls.children[0]
    assert weight.value == 70.0  # seed 000: GMV指标 70%
    weight.value = 50
    assert _row(app.comparison, "危鹤坚")["total_after"] == 103.67
    threshold = app.controls.children[3]  # (enable, slider) for zero_below
    threshold.children[0].value = True
    threshold.children[1].value = 80
    assert app.rules == {"GMV指标": {"zero_below": 0.8}}
    assert "等级变化的人员" in app.tables.value and app.chart.value[:4] == b"\x89PNG"
    # a cap below the floor is refused with the reason, and the last valid view stays
    assert app.set("GMV指标", floor=1.5, cap=1.0) is None
    assert "cap 1 is below floor 1.5" in app.status.value
    assert app.rules == {"GMV指标": {"zero_below": 0.8}}
    app.reset()
    assert app.comparison.moved.empty and app.comparison.people["total_change"].eq(0).all()


def test_the_panel_keeps_its_chart_and_updates_the_bars():
    from kpilib.interactive.widgets import WhatIfApp

    app = WhatIfApp(ROOT / "params/channel_ops.yaml", MONTH)
    chart = app._grade_chart
    before = [b.get_height() for b in chart.after]
    app.set("GMV指标", zero_below=0.8)
    assert app._grade_chart is chart  # the same figure, not a new one per change
    after = dict(zip(chart.names, [b.get_height() for b in chart.after], strict=True))
    # zero_below 80%: 张诚磊, 徐海龙, 邓文 fall from 合格 to 不合格 (above)
    old = dict(zip(chart.names, before, strict=True))
    assert after["合格"] == old["合格"] - 3 and after["不合格"] == old["不合格"] + 3
    assert [b.get_height() for b in chart.before] == before  # the published plan's bars
