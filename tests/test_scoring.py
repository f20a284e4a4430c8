"""The engine end to end: hand-checked totals, gates, and every kind of bad input."""

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import kpilib
from kpilib.errors import DataError
from tests.conftest import ROOT, actuals, frame, make_plan, targets

GMV_PLAN = {
    "GMV指标": {"unit": "元", "rule": {"type": "ratio", "cap": "120%"}},
    "有产客户数": {"unit": "户", "rule": {"type": "ratio", "cap": "120%"}},
}


# --- the shipped channel-ops month, checked by hand -------------------------------------


@pytest.fixture(scope="module")
def november():
    return kpilib.score_month(ROOT / "params/channel_ops.yaml", "2024-11")


def test_all_19_people_of_seed_000_are_scored(november):
    assert len(november.people) == 19
    assert november.people["person"].iloc[0] == "胡百川"


@pytest.mark.parametrize(
    "person, total",
    [
        # seed 000: "商务岗 潘君捷 / GMV指标 70% 1500000 / 有产客户数 30% 42"; actuals 645,000 and 15:
        # 645000/1500000 = 43.0% × 70 = 30.10; 15/42 = 35.71% × 30 = 10.71
        ("潘君捷", 30.10 + 10.71),
        # seed 000: "林燕 Dorcas 直连酒店GMV 50% 1323750 / API客户GMV 30% 1500000 / 业务运营 10% 3,
        # 5% 1, 5% 1"; actuals 1,307,400, 1,662,800, 3, 1, 1:
        # 98.76% × 50 = 49.38; 110.85% × 30 = 33.26; then 10 + 5 + 5
        ("林燕", 49.38 + 33.26 + 10 + 5 + 5),
        # seed 000: "谢徐亮 KA GMV 60% 12355000 / 高产客户数 20% 30 / 大客户运营团队管理 20% 1";
        # actuals 14,139,600, 39, 1: 114.44% × 60 = 68.67; 130% capped at 120% × 20 = 24; 20
        ("谢徐亮", 68.67 + 24 + 20),
        # seed 000: "李佳苓 促销活动GMV 55% 2647500 / 客户运营&销售支持 10% 135, 25% 1 / 数据分析 10% 2";
        # actuals 2,302,500, 122, 1, 2: 86.97% × 55 = 47.83; 90.37% × 10 = 9.04; 25; 10
        ("李佳苓", 47.83 + 9.04 + 25 + 10),
    ],
)
def test_hand_checked_totals(november, person, total):
    row = november.people.set_index("person").loc[person]
    assert row["total"] == pytest.approx(total, abs=1e-9)


def test_sub_items_keep_their_own_weights(november):
    items = november.items[november.items["person"] == "林燕"].set_index("item")
    assert items.loc[["业务运营①", "业务运营②", "业务运营③"], "weight"].tolist() == [
        0.10,
        0.05,
        0.05,
    ]
    assert items.loc["业务运营②", "indicator"] == "业务运营"


def test_reason_shows_the_arithmetic(november):
    items = november.items.set_index(["person", "item"])
    assert items.loc[("潘君捷", "GMV指标"), "reason"] == "645,000 / 1,500,000 = 43.0% × 70 = 30.1"
    assert (
        items.loc[("谢徐亮", "高产客户数"), "reason"] == "39 / 30 = 130.0%，封顶 120.0% × 20 = 24.0"
    )


def test_completion_below_60_percent_is_visible(november):
    # seed 000: "每次月度考核完成率低于60%者，免当月绩效奖金"
    people = november.people.set_index("person")
    assert people.loc["潘君捷", "completion"] == pytest.approx(0.4081)
    assert people.loc["潘君捷", "grade"] == "不合格"


def test_scoring_does_not_touch_its_inputs(channel_ops_plan):
    from kpilib.sheets.inputs import read_inputs

    inputs = read_inputs(channel_ops_plan, "2024-11")
    before = {k: v.copy() for k, v in inputs.items() if v is not None}
    kpilib.score(channel_ops_plan, **inputs)
    for key, copy in before.items():
        pd.testing.assert_frame_equal(inputs[key], copy)


# --- gates -----------------------------------------------------------------------------

# seed 002 #12: "(一)联检考核月度得分低于18分(含),则本月绩效考核成绩无效" and "楼层费用收缴率
# (含租金、物业费、水电费)未达到75%(含)以上,则本月考核成绩无效;若达到96%--100%,则此考核项权重得分上调50%"
MALL = dict(
    indicators={
        "联检": {"section": "联检考评", "rule": {"type": "ratio", "cap": 1}},
        "数据掌握": {"section": "部门考评", "rule": {"type": "ratio", "cap": 1}},
        "其他": {"section": "部门考评", "rule": {"type": "ratio", "cap": 1}},
    },
    measures={"收缴率": {"unit": "%"}},
    gates=[
        {
            "name": "收缴率上调",
            "when": "收缴率 >= 0.96",
            "effect": "multiply",
            "item": "数据掌握",
            "factor": "150%",
        },
        {"name": "联检否决", "when": 'section("联检考评") <= 18', "effect": "void"},
        {"name": "收缴率否决", "when": "收缴率 < 0.75", "effect": "void"},
    ],
)


def mall(person_rows):
    plan = make_plan(**MALL)
    t = targets(
        [
            (p, i, w, 100)
            for p, *_ in person_rows
            for i, w in (("联检", 0.25), ("数据掌握", 0.35), ("其他", 0.40))
        ]
    )
    a = actuals(
        [
            row
            for p, inspect, data, other, rate in person_rows
            for row in (
                (p, "联检", inspect),
                (p, "数据掌握", data),
                (p, "其他", other),
                (p, "收缴率", rate),
            )
        ]
    )
    return kpilib.score(plan, t, a).people.set_index("person")


def test_gates_void_and_multiply():
    people = mall(
        [
            ("甲", 80, 80, 80, 0.90),  # 20 + 28 + 32 = 80
            ("乙", 72, 80, 80, 0.90),  # inspection 18 of 25 (含) → void
            ("丙", 80, 80, 80, 0.97),  # 28 × 1.5 = 42 → 20 + 42 + 32 = 94
            ("丁", 80, 80, 80, 0.75),  # 75% (含) is enough: not voided
            ("戊", 80, 80, 80, 0.7499),
        ]
    )
    assert people.loc["甲", "total"] == pytest.approx(80)
    assert (people.loc["甲", "valid"], people.loc["甲", "gates"]) == (True, "")
    assert people.loc["乙", "valid"] == np.False_ and people.loc["乙", "grade"] == "无效"
    assert people.loc["乙", "gates"] == "联检否决"
    assert people.loc["丙", "total"] == pytest.approx(94)
    assert people.loc["丙", "gates"] == "收缴率上调"
    assert people.loc["丁", "valid"]
    assert not people.loc["戊", "valid"]
    assert np.isnan(people.loc["乙", "rank"]) and people.loc["丙", "rank"] == 1


# --- incidents, ratings, bonuses, derived metrics ----------------------------------------


def test_incidents_from_a_table_with_ranges_and_overdraft():
    # seed 004: "所配、发物品每发现一项错误,扣除5分" and "仓库物品丢失未及时上报造成公司损失扣10—30分"
    plan = make_plan(
        {
            "仓库管理": {
                "rule": {
                    "type": "incidents",
                    "overdraft": True,
                    "kinds": {"错发": {"points": 5}, "丢失": {"min": 10, "max": 30}},
                }
            },
            "工作能力": {"rule": {"type": "count"}},
        }
    )
    t = targets(
        [
            ("张三", "仓库管理", 0.2, None),
            ("张三", "工作能力", 0.8, 1),
            ("李四", "仓库管理", 0.2, None),
            ("李四", "工作能力", 0.8, 1),
        ]
    )
    a = actuals([("张三", "工作能力", 1), ("李四", "工作能力", 1)])
    inc = frame(
        [
            ("张三", "仓库管理", "错发", 2, None),
            ("张三", "仓库管理", "丢失", 1, 20),
            ("李四", "仓库管理", "错发", 1, None),
        ],
        ["person", "item", "kind", "count", "points"],
        "incidents.csv",
    )
    people = kpilib.score(plan, t, a, incidents=inc).people.set_index("person")
    # 张三: 20 − (2 × 5 + 20) = −10, overdrawn into the total: −10 + 80 = 70
    assert people.loc["张三", "total"] == pytest.approx(70)
    assert people.loc["李四", "total"] == pytest.approx(15 + 80)


def test_incident_outside_its_range_is_an_error():
    plan = make_plan(
        {"仓库管理": {"rule": {"type": "incidents", "kinds": {"丢失": {"min": 10, "max": 30}}}}}
    )
    t = targets([("张三", "仓库管理", 1.0, None)])
    inc = frame(
        [("张三", "仓库管理", "丢失", 1, 40), ("张三", "仓库管理", "丢矢", 1, 10)],
        ["person", "item", "kind", "count", "points"],
        "incidents.csv",
    )
    with pytest.raises(DataError) as info:
        kpilib.score(plan, t, actuals([]), incidents=inc)
    text = str(info.value)
    assert "incidents.csv，第 2 行，人员 张三，列 扣分" in text and "10–30" in text
    assert "没有类型 '丢矢'" in text and "（是不是 '丢失'？）" in text


def test_weighted_raters():
    # seed 003 (360-degree); seed 004 levels "优良中差4级,分值分别为20、15、10、5分":
    # 上级 优 (50%) + 同事 良 (30%) + 自评 中 (20%) = 0.5×1 + 0.3×0.75 + 0.2×0.5 = 82.5% of 20
    plan = make_plan(
        {
            "执行能力": {
                "rule": {
                    "type": "rating",
                    "levels": {"优": 20, "良": 15, "中": 10, "差": 5},
                    "raters": {"上级": "50%", "同事": "30%", "自评": "20%"},
                }
            }
        }
    )
    t = targets([("张三", "执行能力", 1.0, None)])
    r = frame(
        [
            ("张三", "执行能力", "上级", "优"),
            ("张三", "执行能力", "同事", "良"),
            ("张三", "执行能力", "自评", "中"),
        ],
        ["person", "item", "rater", "level"],
    )
    result = kpilib.score(plan, t, actuals([]), ratings=r)
    assert result.people["total"].iloc[0] == pytest.approx(82.5)
    assert result.items["reason"].iloc[0] == (
        "上级 优(50%)、同事 良(30%)、自评 中(20%) → 82.5% × 100 = 82.5"
    )
    with pytest.raises(DataError, match="缺少 自评"):
        kpilib.score(plan, t, actuals([]), ratings=r.iloc[:2])


def test_bonus_flag_from_formula_and_unit_equivalence():
    # seed 002 #5: "网银(分值4分,最高比例控制150%):个人网银每月5个,公司网银无任务,办理1个按10个个人网银计算"
    # and "当月无差错,全体员工+3分"
    plan = make_plan(
        {
            "网银": {"formula": "个人网银 + 10 * 公司网银", "rule": {"type": "ratio", "cap": 1.5}},
            "其他": {"rule": {"type": "ratio", "cap": 1}},
            "无差错": {"formula": "差错次数 == 0", "rule": {"type": "bonus", "per_unit": 3}},
        },
        measures={"个人网银": {}, "公司网银": {}, "差错次数": {}},
    )
    t = targets(
        [
            (p, i, w, tg)
            for p in ("甲", "乙")
            for i, w, tg in (("网银", 0.04, 5), ("其他", 0.96, 100))
        ]
    )
    a = actuals(
        [
            ("甲", "个人网银", 3),
            ("甲", "公司网银", 1),
            ("甲", "其他", 100),
            ("甲", "差错次数", 0),
            ("乙", "个人网银", 2),
            ("乙", "公司网银", 0),
            ("乙", "其他", 100),
            ("乙", "差错次数", 2),
        ]
    )
    people = kpilib.score(plan, t, a).people.set_index("person")
    # 甲: 13/5 = 260% capped at 150% × 4 = 6; + 96; + 3 for no errors
    assert people.loc["甲", "total"] == pytest.approx(6 + 96 + 3)
    assert people.loc["甲", "bonus_points"] == pytest.approx(3)
    # 乙: 2/5 = 40% × 4 = 1.6; + 96; errors, no bonus
    assert people.loc["乙", "total"] == pytest.approx(1.6 + 96)


def test_formula_dividing_by_zero_names_the_person():
    plan = make_plan(
        {"客单价": {"formula": "GMV / 成交人数", "rule": {"type": "ratio"}}},
        measures={"GMV": {}, "成交人数": {}},
    )
    t = targets([("甲", "客单价", 1.0, 200), ("乙", "客单价", 1.0, 200)])
    a = actuals(
        [("甲", "GMV", 1000), ("甲", "成交人数", 5), ("乙", "GMV", 0), ("乙", "成交人数", 0)]
    )
    with pytest.raises(DataError, match=r"人员 乙：'客单价'.*公式 'GMV / 成交人数' 除以 0"):
        kpilib.score(plan, t, a)


# --- bad input: every problem named, all at once ------------------------------------------


def score_gmv(t_rows, a_rows):
    return kpilib.score(make_plan(GMV_PLAN), targets(t_rows), actuals(a_rows))


GOOD_T = [("甲", "GMV指标", 0.7, 2400000), ("甲", "有产客户数", 0.3, 68)]
GOOD_A = [("甲", "GMV指标", 2160000), ("甲", "有产客户数", 68)]


@pytest.mark.parametrize(
    "t_rows, a_rows, place, value",
    [  # place: (file, row number, person, column) of a problem; value: what it names
        (
            [("甲", "GMV指标", 0.7, 2400000), ("甲", "有产客户数", 0.2, 68)],
            GOOD_A,
            ("targets.csv", None, "甲", "权重"),
            "90%",
        ),
        (
            [("甲", "GMV指标", 0.7, None), ("甲", "有产客户数", 0.3, 68)],
            GOOD_A,
            ("targets.csv", 2, "甲", "目标值"),
            "'GMV指标'",
        ),
        (
            [("甲", "GMV指标", 0.7, 0), ("甲", "有产客户数", 0.3, 68)],
            GOOD_A,
            ("targets.csv", 2, "甲", "目标值"),
            "'GMV指标'",
        ),
        (GOOD_T, GOOD_A + [("乙", "GMV指标", 1)], ("actuals.csv", 4, "乙", None), "'乙'"),
        (GOOD_T + [("丙", "GMV指标", 1.0, 100)], GOOD_A, (None, None, "丙", None), "'丙'"),
        (
            [("甲", "GMV", 0.7, 2400000), ("甲", "有产客户数", 0.3, 68)],
            GOOD_A,
            ("targets.csv", 2, "甲", "指标"),
            "'GMV指标'",  # the suggestion
        ),
        (
            GOOD_T,
            [("甲", "GMV指票", 2160000), ("甲", "有产客户数", 68)],
            ("actuals.csv", 2, "甲", "实际值"),
            "GMV指标",
        ),
        (
            GOOD_T,
            [("甲", "GMV指标", "两百万"), ("甲", "有产客户数", 68)],
            ("actuals.csv", 2, "甲", "实际值"),
            "'两百万'",
        ),
        (
            GOOD_T,
            [("甲", "GMV指标", "-5"), ("甲", "有产客户数", 68)],
            ("actuals.csv", 2, "甲", "实际值"),
            "'-5'",
        ),
        (
            GOOD_T,
            [("甲", "GMV指标", ""), ("甲", "有产客户数", 68)],
            (None, None, "甲", None),
            "'GMV指标'",
        ),
        (GOOD_T, GOOD_A + [("甲", "GMV指标", 1)], (None, None, "甲", "实际值"), "2、4"),
        (GOOD_T + [("甲", "GMV指标", 0.7, 1)], GOOD_A, (None, None, "甲", "指标"), "2、4"),
    ],
)
def test_bad_input_is_named(t_rows, a_rows, place, value):
    with pytest.raises(DataError) as info:
        score_gmv(t_rows, a_rows)

    def placed(problem):  # what the wording never changes; file None: any file
        row = re.search(r"\d+", problem.where or "")
        file = Path(problem.file).name if problem.file and place[0] else None
        return (file, row and int(row.group()), problem.person, problem.column)

    named = [p for p in info.value.problems if placed(p) == place and value in p.message]
    assert named and named[0].fix, [str(p) for p in info.value.problems]


def test_all_problems_come_at_once():
    with pytest.raises(DataError) as info:
        score_gmv(
            [("甲", "GMV指标", 0.5, 0), ("甲", "有产客户数", 0.3, 68)],
            [("甲", "GMV指标", "x"), ("甲", "有产客户数", 68), ("乙", "GMV指标", 1)],
        )
    assert len(info.value.problems) == 4
    assert str(info.value).startswith("4 个问题：")


# --- issue 9: values that once went to the wrong person -------------------------------

X_PLAN = {"X": {"rule": {"type": "ratio"}}}


def test_an_unknown_column_never_credits_another_person(tmp_path):
    # issue 9 case 1: targets A: X 10, B: X 10; wide actuals 姓名, X, Y with rows A,, and
    # B,8,9: A used to score 9/10 = 90 from B's Y. Y is one error; A has no actual.
    from kpilib.sheets.inputs import read_actuals

    path = tmp_path / "actuals.csv"
    path.write_text("姓名,X,Y\nA,,\nB,8,9\n", encoding="utf-8")
    with pytest.raises(DataError) as info:
        kpilib.score(
            make_plan(X_PLAN), targets([("A", "X", 1, 10), ("B", "X", 1, 10)]), read_actuals(path)
        )
    codes = {(p.code, p.column or p.person) for p in info.value.problems}
    assert ("unknown_column", "Y") in codes
    assert any("'A'" in p.message and p.code == "no_actuals" for p in info.value.problems)


def test_an_unknown_column_is_reported_once_with_its_count_and_nearest_names(tmp_path):
    from kpilib.sheets.inputs import read_actuals

    path = tmp_path / "actuals.csv"
    path.write_text(
        "姓名,GMV指标,有产客户数,GMV指\n甲,1,2,3\n乙,1,2,4\n丙,1,2,\n", encoding="utf-8"
    )
    t = [(p, i, w, 10) for p in "甲乙丙" for i, w in (("GMV指标", 0.7), ("有产客户数", 0.3))]
    with pytest.raises(DataError) as info:
        kpilib.score(make_plan(GMV_PLAN), targets(t), read_actuals(path))
    (problem,) = info.value.problems
    assert (problem.code, problem.column) == ("unknown_column", "GMV指")
    assert "2 人" in problem.message and "GMV指标" in problem.message


def test_an_unknown_name_in_long_actuals_never_credits_another_person():
    # the long form of case 1: (A, X, blank), (B, X, 8), (B, Y, 9)
    with pytest.raises(DataError) as info:
        kpilib.score(
            make_plan(X_PLAN),
            targets([("A", "X", 1, 10), ("B", "X", 1, 10)]),
            actuals([("A", "X", ""), ("B", "X", 8), ("B", "Y", 9)]),
        )
    assert ("unknown_indicator", "实际值") in {(p.code, p.column) for p in info.value.problems}
    assert any("'A'" in p.message for p in info.value.problems)


def test_a_person_outside_the_targets_with_a_measure_is_an_error_not_a_crash():
    # issue 9 case 2: C is not in the targets but has a value for the measure M
    # (np.bincount raised "'list' argument must have no negative elements")
    plan = make_plan({"X": {"formula": "M", "rule": {"type": "ratio"}}}, measures={"M": {}})
    a = actuals([("A", "M", 5), ("C", "M", 9)])
    a["_column"] = a["item"]
    with pytest.raises(DataError) as info:
        kpilib.score(plan, targets([("A", "X", 1, 10)]), a)
    assert [(p.code, p.person) for p in info.value.problems] == [("unknown_person", "C")]


def test_a_ranged_incident_kind_counts_its_incidents():
    # issue 9 case 3; seed 004: "备品备件仓库管理:物品分类不清2分,错发物品扣5—10分(视情节轻重)".
    # 4 wrong issues judged at 10 each cost 40 (not 10): 100 − 40 − 2 × 2 = 56
    plan = make_plan(
        {
            "工作业绩": {
                "rule": {
                    "type": "incidents",
                    "kinds": {"错发物品": {"min": 5, "max": 10}, "物品分类不清": {"points": 2}},
                }
            }
        }
    )
    incidents = frame(
        [("甲", "工作业绩", "错发物品", 4, 10), ("甲", "工作业绩", "物品分类不清", 2, None)],
        ["person", "item", "kind", "count", "points"],
        "incidents.csv",
    )
    result = kpilib.score(plan, targets([("甲", "工作业绩", 1, None)]), incidents=incidents)
    item = result.items.iloc[0]
    assert item["points"] == 56
    assert item["reason"].startswith("错发物品×4 扣 40、物品分类不清×2 扣 4，共扣 44")


# seed 002 #12 (二): "部门考核月度得分低于51分(含)...则本月考核成绩无效...;若达到96%--100%,则此考核项
# 权重得分上调50%". The mall plan lists the multiplier last; it still counts before the veto.
MALL_WEIGHTS = {"联检得分": 0.25, "数据掌握": 0.35, "执行力": 0.1, "纪律": 0.1, "投诉解决": 0.1}


def _mall_month(plan):
    t = targets(
        [("甲", i, w, 25 if i == "联检得分" else None) for i, w in MALL_WEIGHTS.items()]
        + [("甲", "调研报告", 0.06, None), ("甲", "培训", 0.04, None)]
    )
    a = actuals(
        [("甲", f"联检{k}", 20) for k in range(1, 5)]
        + [("甲", "费用收缴率", "97%"), ("甲", "执行力", 3), ("甲", "纪律", 3)]
        + [("甲", "投诉解决", "35%")]
    )
    r = frame(
        [("甲", "调研报告", "", "A"), ("甲", "培训", "", "达到预期")],
        ["person", "item", "rater", "level"],
    )
    return kpilib.score(plan, t, a, ratings=r)


@pytest.mark.parametrize("multiplier_first", [False, True])
def test_the_96_percent_multiplier_counts_before_the_department_veto(multiplier_first):
    # issue 9 case 5. 收缴率 97%: 数据掌握 ≥90% band 35 × 1.5 = 52.5; 执行力 3 misses "第三次"
    # 50% × 10 = 5; 纪律 3 violations 50% × 10 = 5; 投诉率 35% above 30% → 0.
    # 部门考评 = 52.5 + 5 + 5 + 0 = 62.5 > 51: valid (before the multiplier it was 45 ≤ 51).
    plan = kpilib.load_plan(ROOT / "params/mall_floor.yaml")
    if multiplier_first:
        plan = plan.model_copy(update={"gates": plan.gates[-1:] + plan.gates[:-1]})
    assert plan.gates[0 if multiplier_first else -1].effect == "multiply"
    result = _mall_month(plan)
    person = result.people.iloc[0]
    points = result.items.set_index("item")["points"]
    assert points["数据掌握"] == 52.5
    assert person["valid"]
    assert person["gates"] == "收缴率96%-100%上调50%"
    # 联检 (20 × 4) / 4 = 20 of 25 → 20; 调研报告 A 6; 培训 达到预期 4
    assert person["total"] == 20 + 52.5 + 5 + 5 + 0 + 6 + 4


@pytest.mark.parametrize(
    "cell, code",
    [
        ("inf", "non_finite"),
        ("Infinity", "non_finite"),
        ("1e999", "non_finite"),
        ("NaN", "non_finite"),
        ("-inf", "non_finite"),
        ("1e308", "too_large"),  # beyond parse.LARGEST = 1e15: no KPI figure is that big
    ],
)
def test_a_non_finite_or_absurd_actual_is_an_error_naming_its_cell(tmp_path, cell, code):
    # issue 9 case 7: these were accepted and the person got an infinite or blank total
    from kpilib.sheets.inputs import read_actuals

    path = tmp_path / "actuals.csv"
    path.write_text(f"姓名,GMV指标,有产客户数\n甲,{cell},68\n", encoding="utf-8")
    with pytest.raises(DataError) as info:
        kpilib.score(make_plan(GMV_PLAN), targets(GOOD_T), read_actuals(path))
    (problem,) = info.value.problems
    assert (problem.code, problem.where, problem.person, problem.column) == (
        code,
        "第 2 行",
        "甲",
        "GMV指标",
    )
    assert problem.file == str(path)


def test_the_largest_accepted_actual_is_10_to_the_15():
    from kpilib.parse import LARGEST

    assert LARGEST == 1e15
    result = score_gmv(GOOD_T, [("甲", "GMV指标", "1e15"), ("甲", "有产客户数", 68)])
    assert result.items["actual"][0] == 1e15


def test_a_plan_with_one_grade_grades_everyone_with_it():
    # issue 9 case 9: np.select raised "select with an empty condition list"
    plan = make_plan(X_PLAN, grades=[{"name": "合格"}])
    result = kpilib.score(plan, targets([("甲", "X", 1, 10)]), actuals([("甲", "X", 5)]))
    assert result.people[["total", "grade"]].values.tolist() == [[50.0, "合格"]]


def test_the_summary_of_a_month_where_everyone_is_voided_has_no_average():
    # issue 9 case 9: it printed "average nan"
    from kpilib.report.summary import summary

    plan = make_plan(X_PLAN, gates=[{"name": "否决", "when": "X < 10", "effect": "void"}])
    result = kpilib.score(plan, targets([("甲", "X", 1, 10)]), actuals([("甲", "X", 5)]))
    text = summary(result)
    assert "nan" not in text and "无有效得分" in text


def test_bonus_points_stop_at_the_plan_bonus_cap():
    # seed 002 #5 "7、加分项:1、当月无差错,全体员工+3分; ... 3、当月无投诉+2分" and "当月突出贡献奖
    # +2分": 3 + 2 + 2 = 7 bonus points; with the plan's bonus_cap of 5 (an assumption of
    # this test: the plan caps bonuses at 5) the total is 80 + 5 = 85, not 87
    plan = make_plan(
        {
            "存款": {"rule": {"type": "ratio"}},
            "无差错加分": {"formula": "差错次数 == 0", "rule": {"type": "bonus", "per_unit": 3}},
            "无投诉加分": {"formula": "投诉次数 == 0", "rule": {"type": "bonus", "per_unit": 2}},
            "突出贡献奖": {"rule": {"type": "bonus", "per_unit": 2, "cap": 2}},
        },
        measures={"差错次数": {}, "投诉次数": {}},
        bonus_cap=5,
    )
    a = actuals(
        [
            ("甲", "存款", 80_000),
            ("甲", "差错次数", 0),
            ("甲", "投诉次数", 0),
            ("甲", "突出贡献奖", 1),
        ]
    )
    result = kpilib.score(plan, targets([("甲", "存款", 1, 100_000)]), a)
    person = result.people.iloc[0]
    assert (person["weighted_points"], person["bonus_points"], person["total"]) == (80, 5, 85)
