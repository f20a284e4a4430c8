"""One parametrized table per rule type; every expected number is worked out by hand
from the seed line quoted above the table."""

import numpy as np
import pandas as pd
import pytest
from pydantic import TypeAdapter, ValidationError

from kpilib.engine.rules import AnyRule


def rule(**params):
    return TypeAdapter(AnyRule).validate_python(params)


def run(r, full, target, actual, lower=False, unit=None, **extra):
    items = pd.DataFrame(
        {
            "full_points": [float(full)],
            "target": [target],
            "actual": [actual],
            **{k: [v] for k, v in extra.items()},
        }
    )
    out = r.score(items, lower, unit)
    return {column: values[0] for column, values in out.items()}


# seed 000: "商务岗 危鹤坚 Jason GMV指标 70% 2400000" — the channel plan caps at 120%
# (an assumption stated in params/channel_ops.yaml).
# seed 002 #5: "存款考核(分值2分,最高比例控制200%):当期揽存余额/揽存任务x100,按比例计算得分,任务10万"
# seed 002 regional: "低于90%,不能获得绩效薪酬" (zero below 90%)
@pytest.mark.parametrize(
    "params, full, target, actual, points, reason",
    [
        (
            {"cap": "120%"},
            70,
            2_400_000,
            2_160_000,
            63.0,
            "2,160,000 / 2,400,000 = 90.0% × 70 = 63.0",
        ),
        (
            {"cap": "120%"},
            70,
            2_400_000,
            3_000_000,
            84.0,
            "3,000,000 / 2,400,000 = 125.0%，封顶 120.0% × 70 = 84.0",
        ),
        ({"cap": "120%"}, 70, 2_400_000, 0, 0.0, None),
        ({"cap": 2.0}, 2, 100_000, 250_000, 4.0, None),  # 250% capped at 200% of 2 points
        ({"cap": 2.0}, 2, 100_000, 150_000, 3.0, None),
        ({"zero_below": "90%"}, 50, 100, 89.9, 0.0, "89.9 / 100 = 89.9%，低于门槛 90.0% → 0"),
        ({"zero_below": "90%"}, 50, 100, 90, 45.0, None),  # the edge itself scores
        ({"floor": "50%", "cap": 1}, 10, 100, 20, 5.0, None),  # a floor credits 50% at least
    ],
)
def test_ratio(params, full, target, actual, points, reason):
    got = run(rule(type="ratio", **params), full, target, actual)
    assert got["points"] == pytest.approx(points)
    if reason:
        assert got["reason"] == reason


# lower-is-better (brief: complaint rate, return rate, response time): target 2%, actual 2.5%
@pytest.mark.parametrize(
    "lower, actual, completion",
    [
        ("inverse", 0.025, 0.8),  # 2% / 2.5%
        ("mirror", 0.025, 0.75),  # 2 − 2.5% / 2%
        ("inverse", 0.0, 1.2),  # no complaints at all earns the cap
        ("mirror", 0.0, 1.2),  # 2 − 0 = 200%, capped at 120%
    ],
)
def test_ratio_lower_is_better(lower, actual, completion):
    got = run(rule(type="ratio", cap=1.2, lower=lower), 10, 0.02, actual, lower=True, unit="%")
    assert got["completion"] == pytest.approx(completion)
    assert got["points"] == pytest.approx(10 * completion)


# seed 000: "部门负责人岗 胡百川 ... 部门管理绩效(项) 30% 3"
@pytest.mark.parametrize("delivered, points", [(0, 0.0), (2, 20.0), (3, 30.0), (4, 30.0)])
def test_count_of_delivered_tasks(delivered, points):
    got = run(rule(type="count"), 30, 3, delivered)
    assert got["points"] == pytest.approx(points)


# seed 002 #12 (mall, 投诉解决 10分): "投诉率10%以内(含10%)。投诉率10%以上15%以内(含15%)。
# 投诉率15%以上20%以内(含20%)。投诉率20%以上25%以内(含25%)。投诉率的25%以上30%以内(含30%)。
# 投诉超过30%不得分。" with the columns 100% 80% 60% 50% 40%.
MALL_COMPLAINTS = rule(
    type="bands",
    on="actual",
    bands=[
        {"at_most": "10%", "share": "100%"},
        {"at_most": "15%", "share": "80%"},
        {"at_most": "20%", "share": "60%"},
        {"at_most": "25%", "share": "50%"},
        {"at_most": "30%", "share": "40%"},
    ],
)


@pytest.mark.parametrize(
    "rate, points",
    [
        (0.0, 10.0),
        (0.10, 10.0),
        (0.1001, 8.0),
        (0.15, 8.0),
        (0.20, 6.0),
        (0.25, 5.0),
        (0.30, 4.0),
        (0.3001, 0.0),
        (0.9, 0.0),
    ],
)
def test_bands_edges_are_inclusive(rate, points):
    got = run(MALL_COMPLAINTS, 10, np.nan, rate, lower=True, unit="%")
    assert got["points"] == pytest.approx(points)


def test_bands_reason_names_the_band():
    got = run(MALL_COMPLAINTS, 10, np.nan, 0.12, lower=True, unit="%")
    assert got["reason"] == "12.0% 落在 ≤15.0% 档 → 80.0% × 10 = 8.0"


def test_bands_on_completion_higher_is_better():
    # seed 002 regional: "≥95% → 90% of performance pay, 85–95% → 50%, below → 0"
    r = rule(
        type="bands",
        on="completion",
        bands=[{"at_least": "95%", "share": "90%"}, {"at_least": "85%", "share": "50%"}],
    )
    assert run(r, 100, 200, 190)["points"] == pytest.approx(90)  # 95% exactly
    assert run(r, 100, 200, 189)["points"] == pytest.approx(50)  # 94.5%
    assert run(r, 100, 200, 169)["points"] == pytest.approx(0)  # 84.5%


@pytest.mark.parametrize(
    "bands, message",
    [
        ([{"at_most": 0.2, "share": 1}, {"at_most": 0.1, "share": 0.5}], "顺序不对"),
        ([{"at_least": 0.8, "share": 1}, {"at_least": 0.9, "share": 0.5}], "顺序不对"),
        ([{"at_most": 0.1, "share": 1}, {"at_least": 0.2, "share": 0.5}], "混用"),
        ([{"share": 1}], "须且只须"),
    ],
)
def test_bad_bands_are_refused(bands, message):
    with pytest.raises(ValidationError, match=message):
        rule(type="bands", bands=bands)


# seed 001: "新會員注冊數量:完成或超過目標值得滿分,每低於目標值10%扣相應分數" — we deduct 5 per 10%
# seed 001: "會員滿意度調查得分:得分達到90分及以上得滿分,每降低1分扣相應分數" — 2 per point
# seed 002 #5: "當月到期貸款收回率考核(分值20分):當期未收回貸款/當月到期貸款x100,每增加1個百分點扣0.5分"
# seed 001: "會員推薦率:推薦率達到目標值得滿分,高於目標值加分,低於目標值扣分" — ±1 per point, ≤110%
@pytest.mark.parametrize(
    "params, lower, full, target, actual, points",
    [
        ({"on": "completion", "step": "10%", "deduct": 5}, False, 30, 1000, 1000, 30.0),
        ({"on": "completion", "step": "10%", "deduct": 5}, False, 30, 1000, 900, 25.0),
        ({"on": "completion", "step": "10%", "deduct": 5}, False, 30, 1000, 850, 25.0),
        ({"on": "completion", "step": "10%", "deduct": 5}, False, 30, 1000, 800, 20.0),
        (
            {"on": "completion", "step": "10%", "deduct": 5, "mode": "proportional"},
            False,
            30,
            1000,
            850,
            22.5,
        ),
        ({"on": "completion", "step": "10%", "deduct": 5}, False, 30, 1000, 0, 0.0),  # not below 0
        ({"on": "actual", "step": 1, "deduct": 2}, False, 10, 90, 87, 4.0),
        ({"on": "actual", "step": 1, "deduct": 2}, False, 10, 90, 95, 10.0),
        ({"on": "actual", "step": 0.01, "deduct": 0.5}, True, 20, 0, 0.034, 18.5),
        (
            {"on": "actual", "step": 0.01, "deduct": 0.5, "mode": "proportional"},
            True,
            20,
            0,
            0.034,
            18.3,
        ),
        (
            {"on": "actual", "step": 0.01, "deduct": 1, "add": 1, "max_share": 1.1},
            False,
            10,
            0.30,
            0.33,
            11.0,  # 3 points above 30%: 10 + 3 = 13, stopped at max_share 110% × 10 = 11
        ),
        (
            {"on": "actual", "step": 0.01, "deduct": 1, "add": 1, "max_share": 1.1},
            False,
            10,
            0.30,
            0.28,
            8.0,
        ),
    ],
)
def test_step_deduction(params, lower, full, target, actual, points):
    got = run(rule(type="step", **params), full, target, actual, lower=lower)
    assert got["points"] == pytest.approx(points)


def test_step_reason():
    got = run(rule(type="step", on="actual", step=1, deduct=2), 10, 90, 87)
    assert got["reason"] == "87 低于目标 90，差 3，计 3 档(每档 1) × 扣 2 → 4.0"


# seed 002 #5: "迟到、早退、中途溜岗...等在2次(含2次)以内,且单次在20分钟以内者,每次扣减员工项目积分1分;
# 2次以上(不含2次)且单次在20分钟以内者,将每次扣减此项积分3分" — 出勤情况 is 5 points
LATE = {"迟到": {"points": 1, "escalate_after": 2, "then": 3}}


@pytest.mark.parametrize(
    "count, overdraft, points",
    [
        (0, False, 5.0),
        (1, False, 4.0),
        (2, False, 3.0),
        (3, False, 0.0),  # 5 − (1+1+3)
        (4, False, 0.0),
        (4, True, -3.0),  # 5 − (1+1+3+3)
    ],
)
def test_incidents_escalate_and_floor(count, overdraft, points):
    from kpilib.engine.rules import IncidentKind

    r = rule(type="incidents", kinds=LATE, overdraft=overdraft)
    deduction = IncidentKind(**LATE["迟到"]).cost(np.array([count]), None)[0]
    got = run(r, 5, np.nan, np.nan, deduction=deduction, detail=f"迟到×{count}")
    assert got["points"] == pytest.approx(points)


# issue 9 case 4: the same seed line read both ways. ``rest``: only the incidents past
# the second cost 3 (3 late arrivals = 1 + 1 + 3); ``all``: "将每次扣减此项积分3分", once
# past two every incident costs 3 (3 late arrivals = 3 × 3 = 9).
@pytest.mark.parametrize(
    "then_for, count, deduction",
    [
        ("rest", 2, 2.0),
        ("rest", 3, 5.0),
        ("rest", 4, 8.0),
        ("all", 2, 2.0),  # "2次(含2次)以内...每次扣减员工项目积分1分"
        ("all", 3, 9.0),
        ("all", 4, 12.0),
    ],
)
def test_escalation_reads_rest_or_all(then_for, count, deduction):
    from kpilib.engine.rules import IncidentKind

    kind = IncidentKind(**LATE["迟到"], then_for=then_for)
    assert kind.cost(np.array([count]), None)[0] == deduction


def test_escalation_for_all_overdraws_a_5_point_item_to_minus_4():
    # seed 002 #5: 出勤情况 5 points, "分值不足扣减时一律按'跨项目透支扣减原则'执行"
    from kpilib.engine.rules import IncidentKind

    late = {"迟到": {**LATE["迟到"], "then_for": "all"}}
    deduction = IncidentKind(**late["迟到"]).cost(np.array([3]), None)[0]
    got = run(
        rule(type="incidents", kinds=late, overdraft=True),
        5,
        np.nan,
        np.nan,
        deduction=deduction,
        detail="迟到×3",
    )
    assert got["points"] == -4.0


def test_escalation_is_rest_unless_the_plan_says_all():
    from kpilib.engine.rules import IncidentKind

    assert IncidentKind(**LATE["迟到"]).then_for == "rest"
    with pytest.raises(ValidationError):
        IncidentKind(**LATE["迟到"], then_for="every")


@pytest.mark.parametrize(
    "kind, message",
    [
        ({"points": 5, "min": 10, "max": 30}, "二者选一"),
        ({"min": 30, "max": 10}, "min 不大于 max"),
        ({"points": 1, "escalate_after": 2}, "须一起写"),
    ],
)
def test_bad_incident_kinds(kind, message):
    with pytest.raises(ValidationError, match=message):
        rule(type="incidents", kinds={"x": kind})


# seed 004: "基本能力、协调能力、执行能力、学习能力、管理统筹能力各20分,优良中差4级,分值分别为20、15、10、5分"
LEVELS = {"优": 20, "良": 15, "中": 10, "差": 5}


@pytest.mark.parametrize("level, points", [("优", 20.0), ("良", 15.0), ("中", 10.0), ("差", 5.0)])
def test_rating_levels(level, points):
    got = run(
        rule(type="rating", levels=LEVELS),
        20,
        np.nan,
        np.nan,
        share=LEVELS[level] / 20,
        detail=level,
    )
    assert got["points"] == pytest.approx(points)


def test_rater_weights_must_total_100_percent():
    with pytest.raises(ValidationError, match="合计 90%"):
        rule(type="rating", levels=LEVELS, raters={"上级": "50%", "同事": "40%"})


# seed 002 #5: "7、加分项:1、当月无差错,全体员工+3分; ... 3、当月无投诉+2分"
@pytest.mark.parametrize(
    "params, actual, points",
    [
        ({"per_unit": 3}, 1, 3.0),
        ({"per_unit": 3}, 0, 0.0),
        ({"per_unit": 30, "cap": 50}, 2, 50.0),  # seed 004: "出勤:超勤30分/天", capped at 50
        ({"per_unit": -0.5}, 3, -1.5),  # seed 002 #12: "投诉...则直接减掉0.5分"
    ],
)
def test_bonus(params, actual, points):
    assert run(rule(type="bonus", **params), 0, np.nan, actual)["points"] == pytest.approx(points)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"type": "ratio", "cap": 0.8, "floor": 0.9}, "封顶 cap 0.8 低于保底 floor 0.9"),
        ({"type": "ratio", "cap": "abc"}, "cap：'abc' 不是数字或百分数"),
        ({"type": "step", "step": 0, "deduct": 1}, "step：应大于 0（读到 0）"),
        ({"type": "ratio", "capp": 1.2}, "capp：不认识的键 .capp."),
    ],
)
def test_bad_parameters(params, message):
    with pytest.raises((ValidationError, ValueError), match=message):
        rule(**params)


@pytest.mark.parametrize(
    "raw, rounded",
    [
        (7.635, 7.64),
        (0.7635 * 10, 7.64),
        (2.675, 2.68),
        (-1.005, -1.01),
        (63.0, 63.0),
        (7.634999, 7.63),
    ],
)
def test_points_round_like_excel(raw, rounded):
    from kpilib.rounding import round_points

    assert round_points([raw])[0] == rounded


def test_a_negative_bonus_with_nothing_to_count_shows_no_minus_zero():
    # seed 002 #12: "当月出现一起因我司原因产生的服务投诉则直接减掉0.5分"
    got = run(rule(type="bonus", per_unit=-0.5), 0, np.nan, 0)
    assert got["points"] == 0 and "-0.0" not in got["reason"]


def test_a_new_rule_type_is_only_its_own_class(tmp_path):
    """Adding a rule type touches only its class: the plan, scoring, explain and the
    what-if panel learn it from the class (label, describe, knobs, inputs)."""
    from typing import ClassVar, Literal

    import numpy as np

    from kpilib.engine.rules import RULES, Knob, Rule
    from kpilib.engine.scoring import score
    from kpilib.explain import describe_rule
    from tests.conftest import actuals, make_plan, targets

    class Double(Rule):  # a toy: twice the completion, capped at full points
        type: Literal["double"]
        label: ClassVar[str] = "双倍"
        knobs: ClassVar[dict[str, Knob]] = {}

        def describe(self, lower=False, unit=None):
            return "完成率 × 2，至多满分"

        def score(self, items, lower, unit, explain=True):
            # items: the input columns as arrays; returns the output columns as arrays
            ratio = np.asarray(items["actual"], float) / np.asarray(items["target"], float)
            completion = np.minimum(2 * ratio, 1.0)
            points = np.asarray(items["full_points"], float) * completion
            reason = np.array([f"× 2 = {p:g}" for p in points]) if explain else None
            return {"completion": completion, "points": points, "reason": reason}

    try:
        plan = make_plan({"A": {"rule": {"type": "double"}}})
        result = score(plan, targets([("甲", "A", 1.0, 100)]), actuals([("甲", "A", 30)]))
        # 30 / 100 = 30% × 2 = 60% of 100 points
        assert result.items["points"].tolist() == [60.0]
        assert describe_rule(plan.indicators["A"]) == "完成率 × 2，至多满分"
    finally:
        RULES.pop("double")


# seed 002: "员工考核评分以100分为满分" (a score out of 100 is a share of the item's points);
# "考核者原则上是被考核者的直接上级" (the leader's score counts: prefer: leader, see test_inspect)
@pytest.mark.parametrize(
    "params, full, given, points, reason",
    [
        ({}, 30, 85, 25.5, "评分 85 / 100 × 30 = 25.5"),
        ({}, 40, 100, 40.0, "评分 100 / 100 × 40 = 40.0"),
        ({}, 40, 0, 0.0, "评分 0 / 100 × 40 = 0.0"),
        ({"out_of": 5}, 20, 4, 16.0, "评分 4 / 5 × 20 = 16.0"),
        ({"as": "points"}, 20, 12.5, 12.5, "评分 12.5 分（按分值计）→ 12.5"),
    ],
)
def test_given_score(params, full, given, points, reason):
    out = run(rule(type="score", **params), full, np.nan, given)
    assert out["points"] == points
    assert out["reason"] == reason


def test_given_score_needs_no_target():
    assert not rule(type="score").needs_target()


def test_a_lower_is_better_step_says_above_target():
    # issue 9 case 9; seed 002 #5 客户经理: "当月每形成5万元不良贷款扣1分" (20 points, target 0):
    # 120,000 of new bad loans is two whole 5万 → 20 − 2 = 18, and it is *above* the target
    got = run(
        rule(type="step", on="actual", step=50000, deduct=1), 20, 0, 120_000, lower=True, unit="元"
    )
    assert got["points"] == 18
    assert got["reason"] == "120,000 高于目标 0，超出 120,000，计 2 档(每档 50,000) × 扣 1 → 18.0"


def test_an_incident_reason_never_prints_minus_zero():
    # issue 9 case 9: an item of weight 29% has 29% × 100 = 28.999999999999996 points in
    # floats; one incident of 29 points leaves 0, not "−0.0" and no overdraft
    got = run(
        rule(type="incidents", kinds={"旷工": {"points": 29}}, overdraft=True),
        0.29 * 100,
        np.nan,
        np.nan,
        deduction=29.0,
        detail="旷工×1 扣 29",
    )
    assert got["points"] == 0
    assert got["reason"] == "旷工×1 扣 29，共扣 29 → 29 − 29 = 0.0"
