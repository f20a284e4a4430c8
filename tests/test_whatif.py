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
    with_distribution,
    with_rule,
    with_sections,
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
    assert totals.loc["绩效工资合计(元)", "change"] == Decimal("-4330.40")
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
        (
            {"cap": "100%", "floor": "150%"},
            r"indicators\.GMV指标\.rule：封顶 cap 1 低于保底 floor 1\.5",
        ),
        ({"edges": [1]}, r"ratio 规则没有可调参数 'edges'.*改用其中之一：cap、floor"),
    ],
)
def test_a_bad_tweak_says_what_and_where(session, changes, message):
    with pytest.raises(PlanError, match=message):
        with_rule(session.plan, "GMV指标", **changes)


def test_unknown_indicator_and_weights_outside_0_to_100_are_errors(session):
    with pytest.raises(PlanError, match=r"没有指标 'GMV指'（是不是 'GMV指标'？）"):
        with_rule(session.plan, "GMV指", cap=1)
    with pytest.raises(PlanError, match=r"'GMV指标' 的权重 1\.2 不在 0–100% 之间"):
        session.compare(weights={"GMV指标": "120%"})
    with pytest.raises(
        PlanError, match=r"indicators\.投诉解决\.rule\.bands：给了 2 个档位边界，但有 5 档"
    ):
        plan = load_plan(ROOT / "params/mall_floor.yaml")
        with_rule(plan, "投诉解决", edges=[0.1, 0.2])


def test_sensitivity_sweeps_the_weight_and_matches_compare(session):
    sweep = sensitivity(session.plan, MONTH, "GMV指标", [0.5, 0.7], inputs=session.inputs)
    at_70 = sweep.set_index("weight").loc[0.7]
    base = session.compare()
    # 70% is the published weight: the sweep's point equals the plan as published
    assert at_70["pay"] == base.totals.set_index("measure").loc["绩效工资合计(元)", "before"]
    assert at_70["people"] == 9  # 9 商务岗 carry GMV指标 (seed 000)
    at_50 = session.compare(weights={"GMV指标": 0.5})
    assert sweep.set_index("weight").loc[0.5, "pay"] == sum(at_50.people["pay_after"])
    assert sweep[["优秀", "良好", "合格", "不合格"]].sum(axis=1).tolist() == [19, 19]
    fig = sensitivity_chart(sweep, "GMV指标")
    assert fig.axes[0].get_title() == "GMV指标 权重敏感性：等级分布与绩效工资"


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
    # issue 11 #8: the diff reads as the rule's own words, not as a key path
    assert diff.values.tolist() == [
        ["indicators.GMV指标.rule.cap", "GMV指标 封顶", "120%", "100%"],
        ["weights.GMV指标", "GMV指标 权重", "70%", "50%"],
    ]
    text = path.read_text(encoding="utf-8")
    assert "#   GMV指标 封顶: 120% → 100%" in text
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
    with pytest.raises(KpiError, match="是已发布的方案；模拟不会替换它"):
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
    assert "封顶 cap 1 低于保底 floor 1.5" in app.status.value
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


# ------------------------------------------------------------------ block caps and ratios
# seed 002 bank 客户经理: "4、考核任务指标(80%),按照完成比例计算得分,最高比例控制130%。"
# params/bank_branch.yaml, sample month 2024-11, 考核任务 items by hand:
# 黄志强: 存款 398,000 / 500,000 = 79.6% × 20 = 15.92; 到期贷款收回率 1 − 56,000 / 2,500,000
#   = 97.76%: 2 whole points short × 0.5 → 19; 企业网银 0 → 0; 个人网银 2/2 → 2; POS 1/1 → 2;
#   分红保险 9,700 / 10,000 × 2 = 1.94; 基本账户 3/1 capped 200% → 4; 非应计贷款 0 → 20;
#   利息收回率 100% → 10: block 74.86; + 出勤 5, 优质服务 5, 工作质量 10 = 94.86 (优秀).
# 周敏: 存款 293,000 / 500,000 = 58.6% × 20 = 11.72; 收回率 1 − 18,000 / 2,150,000 = 99.16%
#   → 20; 企业网银 0; 个人网银 2; POS 2; 分红保险 7,300 / 10,000 × 2 = 1.46; 基本账户 0;
#   非应计贷款 120,000 = 2 steps of 50,000 → 18; 利息 86,533 / 87,315 = 99.10% → 10: block
#   65.18; + 5 + (5 − 3 客户投诉) + (10 − 0.5 合同要素遗漏) = 81.68 (良好).


@pytest.fixture(scope="module")
def bank():
    return WhatIf(ROOT / "params/bank_branch.yaml", MONTH)


def test_lowering_the_bank_block_cap_caps_both_account_managers(bank):
    assert bank.plan.sections["考核任务"].cap == pytest.approx(1.3)  # 130% × 80 = 104
    cmp = bank.compare(with_sections(bank.plan, {"考核任务": {"cap": "80%"}}))
    # 80% × 80 = 64 points at most: 黄志强 74.86 → 64, total 84.00 (优秀 → 良好);
    # 周敏 65.18 → 64, total 80.50 (still 良好); the tellers have no 考核任务 block
    assert _row(cmp, "黄志强")[["total_before", "total_after", "grade_after"]].tolist() == [
        94.86,
        84.0,
        "良好",
    ]
    assert _row(cmp, "周敏")[["total_after", "grade_after"]].tolist() == [80.5, "良好"]
    assert cmp.moved["person"].tolist() == ["黄志强"]
    assert cmp.people.loc[cmp.people["role"] == "柜员", "total_change"].eq(0).all()
    assert cmp.people["pay_change"].isna().all()  # the bank plan states no pay
    grades = cmp.grades.set_index("grade")
    assert grades.loc["优秀", "change"] == -1 and grades.loc["良好", "change"] == 1


def test_a_block_above_the_cap_is_cut_when_the_cap_is_lowered_to_100_percent():
    # 黄志强's 存款 raised to 1,500,000 = 300%, capped at its own 150% → 30 points:
    # block 30 + (74.86 − 15.92) = 88.94, under 130% (104): total 108.94;
    # cap 100% of 80 → 80: total 100.00, still 优秀
    from kpilib.sheets.inputs import read_inputs

    plan = load_plan(ROOT / "params/bank_branch.yaml")
    inputs = read_inputs(plan, MONTH)
    a = inputs["actuals"]
    a.loc[(a["person"] == "黄志强") & (a["item"] == "客户经理存款"), "value"] = "1500000"
    cmp = WhatIf(plan, MONTH, inputs).compare(with_sections(plan, {"考核任务": {"cap": "100%"}}))
    row = _row(cmp, "黄志强")
    assert (row["total_before"], row["total_after"], row["total_change"]) == (108.94, 100.0, -8.94)
    # the panel's table reads down its columns: 108.94 above 100.00, not 100.0
    assert "<td>108.94</td>" in cmp.html() and "<td>100.00</td>" in cmp.html()
    # 周敏's block 65.18 is under 80: unchanged
    assert _row(cmp, "周敏")["total_change"] == 0


def test_block_limits_in_points_replace_shares_and_unknown_sections_are_refused(bank):
    tweaked = with_sections(bank.plan, {"考核任务": {"cap_points": 70}})
    limit = tweaked.sections["考核任务"]
    assert (limit.cap, limit.cap_points) == (None, 70)
    # 70 points: 黄志强 74.86 → 70, total 90.00 (优秀 kept, 90 含)
    assert _row(bank.compare(tweaked), "黄志强")["total_after"] == 90.0
    assert with_sections(bank.plan, {"考核任务": None}).sections == {}
    with pytest.raises(PlanError) as err:
        with_sections(bank.plan, {"考核仼务": {"cap": "100%"}})
    (problem,) = err.value.problems
    assert (problem.code, problem.where) == ("unknown_section", "sections.考核仼务")
    assert "考核任务" in problem.message  # the nearest name
    with pytest.raises(PlanError) as err:
        with_sections(bank.plan, {"考核任务": {"cap": 0}})
    assert err.value.problems[0].where.startswith("sections.考核任务.cap")


# seed 002 #8: "20.员工考核评分以100分为满分,等第分为五等。...每一项目的成绩分布情形,应考虑
# 考绩正态分布比率" — ten people scoring 69, 68, ..., 60 (all 合格 by score), pay 1,000 ×
# total / 100 × 绩效系数 (优秀 1.2, 良好 1.0, 合格 0.8, 不合格 0)
NORMAL = [
    {"grade": "优秀", "share": "10%"},
    {"grade": "良好", "share": "20%"},
    {"grade": "合格", "share": "50%"},
    {"grade": "不合格", "share": "20%"},
]


@pytest.fixture
def ranked():
    from tests.conftest import actuals, make_plan, targets

    plan = make_plan(
        {"销售额": {"rule": {"type": "ratio"}}},
        calibration={"distribution": {"ratios": NORMAL}},
        pay={
            "form": "score",
            "base": {"": 1000},
            "grade_factor": {"优秀": 1.2, "良好": 1, "合格": 0.8, "不合格": 0},
        },
    )
    totals = {f"员{i}": 69 - i for i in range(10)}
    inputs = {
        "targets": targets([(p, "销售额", 1.0, 100) for p in totals]),
        "actuals": actuals([(p, "销售额", v) for p, v in totals.items()]),
    }
    return WhatIf(plan, MONTH, inputs)


def test_distribution_ratios_move_grades_and_pay(ranked):
    # published 10/20/50/20%: 员0 优秀; 员1, 员2 良好; 员3..员7 合格; 员8, 员9 不合格.
    # Pay: 690 × 1.2 = 828; 680 + 670 = 1350; (660 + ... + 620) × 0.8 = 2560; 0: 4738.
    # What-if 20/30/40/10%: 员0, 员1 优秀; 员2, 员3, 员4 良好; 员5..员8 合格; 员9 不合格.
    # Pay: 1370 × 1.2 = 1644; 670 + 660 + 650 = 1980; (640 + ... + 610) × 0.8 = 2000: 5624.
    tweaked = with_distribution(
        ranked.plan,
        {
            "优秀": {"share": "20%"},
            "良好": {"share": "30%"},
            "合格": {"share": "40%"},
            "不合格": {"share": "10%"},
        },
    )
    cmp = ranked.compare(tweaked)
    assert (
        ranked.baseline["grade"].tolist() == ["优秀"] + ["良好"] * 2 + ["合格"] * 5 + ["不合格"] * 2
    )
    moved = cmp.moved.set_index("person")
    assert moved["grade_after"].to_dict() == {
        "员1": "优秀",
        "员3": "良好",
        "员4": "良好",
        "员8": "合格",
    }
    # 员1 680 → 816; 员3 528 → 660; 员4 520 → 650; 员8 0 → 488
    assert moved["pay_change"].tolist() == [
        Decimal("136.00"),
        Decimal("132.00"),
        Decimal("130.00"),
        Decimal("488.00"),
    ]
    totals = cmp.totals.set_index("measure").loc["绩效工资合计(元)"]
    assert (totals["before"], totals["after"], totals["change"]) == (
        Decimal("4738.00"),
        Decimal("5624.00"),
        Decimal("886.00"),
    )
    assert cmp.grades["after"].tolist() == [2, 3, 4, 1]
    # the scores did not move: only the grades the distribution gives
    assert cmp.people["total_change"].eq(0).all()


def test_a_ratio_given_as_min_drops_its_share_and_bad_ratios_are_refused(ranked):
    # 不合格 at least 10% instead of exactly 20%: the share goes, the min stays
    tweaked = with_distribution(ranked.plan, {"不合格": {"min": "10%"}, "优秀": None})
    ratios = {r.grade: (r.share, r.min) for r in tweaked.calibration.distribution.ratios}
    assert ratios == {"良好": (0.2, None), "合格": (0.5, None), "不合格": (None, 0.1)}
    with pytest.raises(PlanError) as err:
        with_distribution(ranked.plan, {"优等": {"share": "10%"}, "良好": {"share": "50%"}})
    (problem,) = err.value.problems
    assert problem.code == "unknown_grade" and "优秀" in problem.message
    # 10 + 50 + 50 + 20 = 130%: places no group can give
    with pytest.raises(PlanError) as err:
        with_distribution(ranked.plan, {"良好": {"share": "50%"}})
    assert err.value.problems[0].code == "shares_over_100"


def test_a_saved_draft_keeps_the_block_cap_and_the_ratios(tmp_path):
    (tmp_path / "params").mkdir()
    shutil.copy(ROOT / "params/bank_branch.yaml", tmp_path / "params")
    shutil.copytree(ROOT / "data/bank_branch", tmp_path / "data/bank_branch")
    plan = load_plan(tmp_path / "params/bank_branch.yaml")
    tweaked = with_distribution(
        with_sections(plan, {"考核任务": {"cap": "80%"}}),
        {"优秀": {"max": "20%"}, "不合格": {"min": "20%"}},
    )
    path, diff = save_plan(tweaked)
    assert diff.values.tolist() == [
        ["sections.考核任务.cap", "板块 考核任务 封顶", "130%", "80%"],
        ["calibration.distribution.ratios.优秀.max", "强制分布 优秀 至多", None, "20%"],
        ["calibration.distribution.ratios.不合格.min", "强制分布 不合格 至少", None, "20%"],
    ]
    assert "#   强制分布 优秀 至多: （无） → 20%" in path.read_text(encoding="utf-8")
    saved = load_plan(path)
    assert saved.sections["考核任务"].cap == pytest.approx(0.8)
    # 5 people: 优秀 at most floor(20% × 5) = 1 (陈晓燕 100.55; 杨帆 91.16 and 黄志强 84.00
    # go to 良好), 不合格 at least ceil(20% × 5) = 1 (the last: 刘伟 80.27, below 周敏 80.50)
    cmp = compare(plan, saved, MONTH)
    assert cmp.people.set_index("person")["grade_after"].to_dict() == {
        "陈晓燕": "优秀",
        "刘伟": "不合格",
        "杨帆": "良好",
        "黄志强": "良好",
        "周敏": "良好",
    }
    shown = WhatIf(plan, MONTH).compare(tweaked)
    assert shown.people["grade_after"].tolist() == cmp.people["grade_after"].tolist()


def test_the_panel_has_a_block_cap_slider_and_ratio_sliders(ranked):
    from kpilib.interactive.widgets import WhatIfApp

    app = WhatIfApp(ROOT / "params/bank_branch.yaml", MONTH)
    (cap,) = [c for c in app.plan_controls.children if getattr(c, "description", "")]
    assert (cap.description, cap.value) == ("考核任务 封顶 %", 130.0)
    cap.value = 80
    assert app.sections == {"考核任务": {"cap": 0.8}}
    assert app.comparison.moved["person"].tolist() == ["黄志强"]  # 94.86 → 84.00, 良好
    assert "考核任务 封顶 80.0%" in app.status.value
    app.reset()
    assert app.comparison.moved.empty

    app = WhatIfApp(ranked.plan, MONTH, ranked.inputs)
    sliders = {
        c.description: c for c in app.plan_controls.children if getattr(c, "description", "")
    }
    assert list(sliders) == ["优秀 比例 %", "良好 比例 %", "合格 比例 %", "不合格 比例 %"]
    # the last grade takes the rest: 不合格 at 10% alone moves no one (合格 still has 5)
    sliders["不合格 比例 %"].value = 10
    assert app.comparison.moved.empty
    # 合格 60% = 6 places: 员8 (61) leaves 不合格 for 合格, 0 → 610 × 0.8 = 488 yuan
    sliders["合格 比例 %"].value = 60
    assert app.comparison.moved.set_index("person")["pay_after"].to_dict() == {
        "员8": Decimal("488.00")
    }
    # a share that makes 10 + 50 + 60 + 10 = 130% is refused and the last valid tweak stays
    assert app.set_ratio("良好", share=0.5) is None
    assert "超过 100%" in app.status.value
    assert app.ratios == {"不合格": {"share": 0.1}, "合格": {"share": 0.6}}
