"""Rules across items and people (kpilib/engine/teams.py): block caps, exclusions, grade
ceilings, team actuals and derived targets. Numbers are hand-computed from the seeds."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import kpilib
from kpilib.engine.scoring import score
from kpilib.errors import DataError, PlanError
from kpilib.outcomes import calibrate, consequences, pay
from tests.conftest import ROOT, actuals, make_plan, targets

TASKS = {
    "存款": {"section": "考核任务", "rule": {"type": "ratio", "cap": "150%"}},
    "贷款": {"section": "考核任务", "rule": {"type": "ratio", "cap": "200%"}},
    "服务": {"section": "优质服务", "rule": {"type": "ratio", "cap": "100%"}},
}


def task_rows(people):
    return [
        (p, i, w, 100) for p in people for i, w in (("存款", 0.4), ("贷款", 0.4), ("服务", 0.2))
    ]


# ------------------------------------------------------------------ 1. block caps


def test_block_cap_130_percent_of_the_task_block():
    # seed 002 bank 客户经理: "4、考核任务指标(80%),按照完成比例计算得分,最高比例控制130%。"
    # the block's 80 points are capped at 130% × 80 = 104, over each item's own cap
    plan = make_plan(TASKS, sections={"考核任务": {"cap": "130%"}})
    rows = [("甲", "存款", 150), ("甲", "贷款", 200), ("甲", "服务", 100)]
    rows += [("乙", "存款", 100), ("乙", "贷款", 120), ("乙", "服务", 50)]
    result = score(plan, targets(task_rows(["甲", "乙"])), actuals(rows))
    people = result.people.set_index("person")
    items = result.items.set_index(["person", "item"])
    # 甲: 存款 40 × 150% = 60, 贷款 40 × 200% = 80: block 140 → 104; 服务 20: total 124
    assert items.loc[("甲", "存款"), "points"] == 60
    assert items.loc[("甲", "贷款"), "points"] == 80
    assert people.loc["甲", "weighted_points"] == 124
    assert people.loc["甲", "total"] == 124
    assert "考核任务合计 140.0 分，封顶 104.0 分" in items.loc[("甲", "存款"), "reason"]
    # 乙: 40 + 48 = 88, under 104: no cap; 服务 20 × 50% = 10: total 98
    assert people.loc["乙", "total"] == 98
    assert "封顶" not in items.loc[("乙", "存款"), "reason"].split("；")[-1]


def test_block_floor_in_points():
    plan = make_plan(TASKS, sections={"考核任务": {"floor_points": 40}})
    rows = [("甲", "存款", 20), ("甲", "贷款", 30), ("甲", "服务", 100)]
    people = score(plan, targets(task_rows(["甲"])), actuals(rows)).people
    # block 8 + 12 = 20, floored at 40; + 服务 20 = 60
    assert people["total"].tolist() == [60]


def test_unknown_section_limit_is_refused(tmp_path):
    plan = make_plan(TASKS, sections={"考核仼务": {"cap": "130%"}})
    with pytest.raises(PlanError) as err:
        kpilib.engine.plan._check_formulas(plan)
    assert err.value.problems[0].where == "sections.考核仼务"


def test_bank_plan_caps_the_account_managers_task_block():
    # the shipped plan states the seed's 130%: "最高比例控制130%" of the 80-point block = 104.
    # What-if on 黄志强's 2024-11: 存款 uncapped and 1,500,000 against 500,000 (300%) → 60.
    # His other task items (2024-11 sample): 到期贷款收回率 97.76% → 2 whole points short ×
    # 0.5 = 19; 企业网银 0; 个人网银 2/2 → 2; POS 1/1 → 2; 分红保险 9,700/10,000 × 2 = 1.94;
    # 基本账户 3/1 capped 200% → 4; 非应计贷款 0 → 20; 利息收回率 100% → 10: 58.94.
    # Block 60 + 58.94 = 118.94 → 104; + 出勤 5, 优质服务 5, 工作质量 10 = 124.
    from kpilib.sheets.inputs import read_inputs

    plan = kpilib.load_plan(ROOT / "params/bank_branch.yaml")
    assert plan.sections["考核任务"].cap == pytest.approx(1.3)
    ind = plan.indicators["客户经理存款"]
    rule = ind.rule.model_copy(update={"cap": None})
    loose = plan.model_copy(
        update={
            "indicators": {**plan.indicators, "客户经理存款": ind.model_copy(update={"rule": rule})}
        }
    )
    inputs = read_inputs(loose, "2024-11")
    a = inputs["actuals"]
    mine = ((a["person"] == "黄志强") & (a["item"] == "客户经理存款")).to_numpy()
    assert mine.sum() == 1
    a.loc[mine, "value"] = "1500000"
    result = score(loose, month="2024-11", **inputs)
    people = result.people.set_index("person")
    items = result.items.set_index(["person", "item"])
    assert items.loc[("黄志强", "客户经理存款"), "points"] == 60  # the item keeps its points
    assert people.loc["黄志强", "weighted_points"] == pytest.approx(124)
    assert people.loc["黄志强", "total"] == 124
    assert (
        "考核任务合计 118.94 分，封顶 104.0 分" in items.loc[("黄志强", "客户经理存款"), "reason"]
    )
    # the shipped sample month is under the cap: 74.86 of 104, total unchanged
    shipped = kpilib.score_month(plan, "2024-11").people.set_index("person")
    assert shipped.loc["黄志强", "total"] == 94.86


# ------------------------------------------------------------------ 7. excluded, not voided

STAFF_PLAN = {
    "staff": {"新人": {"入职日期": "2024-10-08", "转正日期": "2025-01-08"}},
    "measures": {"未到岗天数": {"unit": "天"}},
    "exclusions": [
        {"name": "试用未满", "when": "probation == 1", "seed": "(1)试用未满者"},
        {"name": "未到岗超过20天", "when": "未到岗天数 > 20"},
    ],
}
ONE = {"销售额": {"rule": {"type": "ratio"}}}


def test_excluded_people_are_out_of_ranking_and_keep_a_valid_month():
    # seed 002: "1.下列人员不参加考核: (1)试用未满者"; seed 003: "考核期内未到岗累计超过20天
    # (包括请假及其他原因缺岗)的员工,不参与当期考核"
    plan = make_plan(ONE, **STAFF_PLAN)
    t = targets([(p, "销售额", 1.0, 100) for p in ["甲", "乙", "新人", "缺勤"]])
    a = actuals(
        [("甲", "销售额", 95), ("乙", "销售额", 85), ("新人", "销售额", 99)]
        + [("缺勤", "销售额", 40), ("缺勤", "未到岗天数", 21), ("甲", "未到岗天数", 20)]
    )
    people = score(plan, t, a, month="2024-11").people.set_index("person")
    assert people["excluded"].to_dict() == {"甲": False, "乙": False, "新人": True, "缺勤": True}
    assert people.loc["新人", "exclusion"] == "试用未满"
    assert people.loc["缺勤", "exclusion"] == "未到岗超过20天"  # 20 days is not over 20
    assert people.loc["新人", "probation"] and not people.loc["甲", "probation"]
    assert people["valid"].all()
    assert people.loc["新人", "grade"] == "不参加"
    assert people.loc["新人", "total"] == 99  # still scored: 转正评估 reads it
    assert people.loc["甲", "rank"] == 1 and people.loc["乙", "rank"] == 2
    assert np.isnan(people.loc["新人", "rank"])


def test_probation_ends_with_the_month_of_regularisation():
    plan = make_plan(ONE, **STAFF_PLAN)
    t = targets([("新人", "销售额", 1.0, 100), ("甲", "销售额", 1.0, 100)])
    a = actuals([("新人", "销售额", 80), ("甲", "销售额", 80)])
    # 转正日期 2025-01-08: January is partly on probation, February is not
    jan = score(plan, t, a, month="2025-01").people.set_index("person")
    feb = score(plan, t, a, month="2025-02").people.set_index("person")
    assert jan.loc["新人", "excluded"] and not feb.loc["新人", "excluded"]


def test_an_excluded_month_is_not_a_failed_month_in_consequences():
    # seed 000: "3、连续两次月度完成率低于60%者，纳入绩效改进计划"; the middle month is
    # excluded (未到岗超过20天): no two failed months in a row, no flag
    plan = make_plan(
        ONE,
        consequences={
            "rules": [
                {
                    "name": "绩效改进计划",
                    "when": "completion < 60%",
                    "over": "consecutive",
                    "months": 2,
                },
                {"name": "连续两月无效", "when": "valid == 0", "over": "consecutive", "months": 2},
            ]
        },
    )
    history = pd.DataFrame(
        {
            "person": ["丙"] * 3,
            "month": ["2024-09", "2024-10", "2024-11"],
            "total": [50.0, 0.0, 55.0],
            "completion": [0.5, 0.0, 0.55],
            "valid": [True, True, True],
            "excluded": [False, True, False],
        }
    )
    assert consequences.flags(history, plan).empty
    # the same months without the exclusion: November fires
    fired = consequences.flags(history.assign(excluded=False), plan)
    assert fired[["month", "rule"]].values.tolist() == [
        ["2024-10", "绩效改进计划"],
        ["2024-11", "绩效改进计划"],
    ]


def test_excluded_people_take_no_quota_place_and_no_performance_pay():
    # seed 004: 优秀 quota 20%: 5 people of whom 1 excluded → 4 × 20% = 0.8 → 0 places
    # among 4; 5 × 20% would give 1
    plan = make_plan(
        ONE,
        **STAFF_PLAN,
        calibration={"quotas": [{"grade": "优秀", "at_most": "20%"}]},
        pay={"form": "score", "base": {"": 1000}},
    )
    t = targets([(p, "销售额", 1.0, 100) for p in ["甲", "乙", "丙", "丁", "新人"]])
    a = actuals([(p, "销售额", v) for p, v in zip("甲乙丙丁", [95, 85, 75, 65], strict=True)])
    a = pd.concat([a, actuals([("新人", "销售额", 99)])], ignore_index=True)
    result = score(plan, t, a, month="2024-11")
    out = calibrate.calibrate(result).set_index("person")
    assert out.loc["甲", "grade"] == "良好"  # 0 places for 优秀 among 4
    assert out.loc["新人", "grade"] == "不参加"
    money = pay.compute(result).set_index("person")
    assert money.loc["新人", "performance_pay"] == Decimal("0.00")
    assert money.loc["新人", "pay_reason"] == "不参加本月考核（试用未满）→ 0.00"
    assert money.loc["甲", "performance_pay"] == Decimal("950.00")  # 1000 × 95 / 100


def test_excluded_people_are_out_of_the_departments_mean_and_rank():
    # issue 15 point 7: an excluded person is left out of the team's statistics; seed 003
    # "项目负责人安排系数=2x研发人平均安排系数" and "未到岗累计超过20天...不参与当期考核":
    # researchers 1.0, 1.2, 0.8 and 缺勤 4.0 (21 days away) → mean of the three = 1.0,
    # the lead's coefficient 2.0 (with 缺勤 it would be 2 × 7.0 / 4 = 3.5)
    plan = make_plan(
        {
            "研发任务": {"rule": {"type": "ratio", "cap": "100%"}},
            "负责人系数": {"formula": "2 * mean(安排系数)", "rule": {"type": "ratio"}},
            "差错率最低": {
                "formula": "rank_asc(差错率) == 1",
                "rule": {"type": "bonus", "per_unit": 1},
            },
        },
        measures={"安排系数": {}, "差错率": {"unit": "%"}, "未到岗天数": {"unit": "天"}},
        exclusions=[{"name": "未到岗超过20天", "when": "未到岗天数 > 20"}],
    )
    staff = ["甲", "乙", "丙", "缺勤"]
    t = targets([(p, "研发任务", 1.0, 10) for p in staff] + [("组长", "负责人系数", 1.0, 2)])
    rows = [(p, "研发任务", 10) for p in staff] + [("缺勤", "未到岗天数", 21)]
    rows += [(p, "安排系数", c) for p, c in zip(staff, [1.0, 1.2, 0.8, 4.0], strict=True)]
    # seed 002 bank "差错率排名最低...+1分": 缺勤's 0.1% would rank first; among the
    # three, 甲's 0.2% does
    rows += [(p, "差错率", r) for p, r in zip(staff, ["0.2%", "0.5%", "1%", "0.1%"], strict=True)]
    result = score(plan, t, actuals(rows), month="2024-11")
    items = result.items.set_index(["person", "indicator"])
    assert items.loc[("组长", "负责人系数"), "actual"] == pytest.approx(2.0)
    bonus = result.people.set_index("person")["bonus_points"]
    assert bonus["甲"] == 1.0 and bonus["乙"] == 0.0
    # 缺勤 is placed against the three without taking a place: 0.1% is below them all
    assert result.people.set_index("person").loc["缺勤", "excluded"]
    assert bonus["缺勤"] == 1.0


def test_excluded_people_are_out_of_the_team_actual_and_the_average():
    # seed 002: "17.对各级主管之工作实绩品质,以该所属全体实绩为实绩" — 丙 is away 21 days (不参与当期考核):
    # the team's GMV is 甲's and 乙's, 2,000,000 + 2,200,000 = 4,200,000
    from kpilib.report.summary import summary

    plan = make_plan(
        {
            "GMV指标": {"rule": {"type": "ratio", "cap": "120%"}},
            "GMV": {"team": {"items": ["GMV指标"], "roles": ["商务岗"]}, "rule": {"type": "ratio"}},
        },
        measures={"未到岗天数": {"unit": "天"}},
        exclusions=[{"name": "未到岗超过20天", "when": "未到岗天数 > 20"}],
    )
    t = targets(
        [("胡百川", "GMV", 1.0, 5_000_000)] + [(p, "GMV指标", 1.0, 2_000_000) for p in "甲乙丙"]
    )
    t["role"] = ["部门负责人岗", "商务岗", "商务岗", "商务岗"]
    a = actuals(
        [("甲", "GMV指标", 2_000_000), ("乙", "GMV指标", 2_200_000), ("丙", "GMV指标", 1_000_000)]
        + [("丙", "未到岗天数", 21)]
    )
    result = score(plan, t, a, month="2024-11")
    items = result.items.set_index("person")
    assert items.loc["胡百川", "actual"] == 4_200_000
    # the month's average leaves 丙 out: 甲 100, 乙 110, 胡百川 84 → 294 / 3 = 98.0
    assert "平均分 98.0" in summary(result)


# ------------------------------------------------------------------ 6. grade ceilings


def test_grade_ceilings_cap_the_grade_without_voiding():
    # seed 002: "2.绩效考核成绩不得列为一等以上者: (1)曾受过惩戒处分者" and
    # "4.新进人员第一次考核成绩不得高于二等" (二等 = 良好 here)
    plan = make_plan(
        ONE,
        measures={"惩戒次数": {"unit": "次"}},
        staff={"新人": {"入职日期": "2024-11-04"}},
        grade_ceilings=[
            {"name": "受惩戒", "when": "惩戒次数 > 0", "grade": "良好"},
            {"name": "新进人员第一次考核", "when": "tenure_months < 1", "grade": "良好"},
        ],
    )
    t = targets([(p, "销售额", 1.0, 100) for p in ["甲", "乙", "丙", "新人"]])
    a = actuals(
        [("甲", "销售额", 92), ("甲", "惩戒次数", 1), ("乙", "销售额", 85), ("乙", "惩戒次数", 1)]
        + [("丙", "销售额", 96), ("丙", "惩戒次数", 0), ("新人", "销售额", 95)]
    )
    people = score(plan, t, a, month="2024-11").people.set_index("person")
    assert people["grade"].to_dict() == {"甲": "良好", "乙": "良好", "丙": "优秀", "新人": "良好"}
    assert people.loc["甲", "ceiling"] == "受惩戒：最高良好（原优秀）"
    assert people.loc["新人", "ceiling"] == "新进人员第一次考核：最高良好（原优秀）"
    assert people.loc["乙", "ceiling"] == ""  # 良好 already: nothing to cap
    assert people["valid"].all()
    assert people.loc["甲", "total"] == 92  # the score is untouched
    # December: 2024-11-04 → 2024-12-31 is one whole month: no longer the first appraisal
    dec = score(plan, t, a, month="2024-12").people.set_index("person")
    assert dec.loc["新人", "grade"] == "优秀"


def test_grade_ceiling_with_unknown_grade_is_refused():
    plan = make_plan(ONE, grade_ceilings=[{"name": "x", "when": "total > 0", "grade": "一等"}])
    with pytest.raises(PlanError) as err:
        kpilib.engine.plan._check_formulas(plan)
    assert err.value.problems[0].where == "grade_ceilings.0.grade"


# ------------------------------------------------------------------ 2. leader on the team


def test_leader_scored_on_the_teams_actuals():
    # seed 002: "17.对各级主管之工作实绩品质,以该所属全体实绩为实绩"; seed 000: 胡百川's GMV
    # is "当月B2B业务的GMV"
    indicators = {
        "GMV指标": {"rule": {"type": "ratio", "cap": "120%"}},
        "GMV": {"team": {"items": ["GMV指标"], "roles": ["商务岗"]}, "rule": {"type": "ratio"}},
    }
    plan = make_plan(indicators)
    t = targets(
        [("胡百川", "GMV", 1.0, 6_000_000)] + [(p, "GMV指标", 1.0, 2_400_000) for p in "甲乙丙"]
    )
    t["role"] = ["部门负责人岗", "商务岗", "商务岗", "商务岗"]
    a = actuals(
        [("甲", "GMV指标", 2_000_000), ("乙", "GMV指标", 2_600_000), ("丙", "GMV指标", 1_900_000)]
    )
    items = score(plan, t, a).items.set_index("person")
    # 2,000,000 + 2,600,000 + 1,900,000 = 6,500,000; 100 × 6.5 / 6 = 108.33
    assert items.loc["胡百川", "actual"] == 6_500_000
    assert items.loc["胡百川", "points"] == 108.33
    assert "实际值 = 商务岗的GMV指标合计" in items.loc["胡百川", "reason"]
    mean = make_plan(
        {**indicators, "GMV": {**indicators["GMV"], "team": {"items": ["GMV指标"], "how": "mean"}}}
    )
    items = score(mean, t, a).items.set_index("person")
    assert items.loc["胡百川", "actual"] == pytest.approx(6_500_000 / 3)


# ------------------------------------------------------------------ 4. derived targets

KA = {
    "GMV指标": {"rule": {"type": "ratio"}},
    "GMV": {
        "target_of": {"item": "GMV指标", "share": "70%", "people": ["危鹤坚", "何嘉健", "曾志伟"]},
        "rule": {"type": "ratio"},
    },
}


def test_target_as_a_share_of_the_regions_targets():
    # seed 000: "渠道运营岗 丘珊珊 Sansa GMV 70% 5040000 华南区域KA客户GMV（区域总GMV目标的70%）"
    # with "协助华南区域3位BD": 3 × 2,400,000 = 7,200,000 × 70% = 5,040,000, the seed's figure
    plan = make_plan(KA)
    t = targets(
        [("丘珊珊", "GMV", 1.0, np.nan)]
        + [(p, "GMV指标", 1.0, 2_400_000) for p in ["危鹤坚", "何嘉健", "曾志伟"]]
    )
    a = actuals(
        [("丘珊珊", "GMV", 5_040_000)] + [(p, "GMV指标", 1) for p in ["危鹤坚", "何嘉健", "曾志伟"]]
    )
    items = score(plan, t, a).items.set_index("person")
    assert items.loc["丘珊珊", "target"] == 5_040_000
    assert items.loc["丘珊珊", "points"] == 100
    # a written target that disagrees is refused, naming the cell
    t.loc[0, "target"] = 5_000_000
    with pytest.raises(DataError) as err:
        score(plan, t, a)
    assert [p.code for p in err.value.problems] == ["target_mismatch"]
    assert err.value.problems[0].person == "丘珊珊"


# ------------------------------------------------------------------ names under pay:


def _plan_file(tmp_path, source: str, change) -> Path:
    """A copy of a shipped plan with ``change`` applied to its YAML text."""
    text = (ROOT / "params" / source).read_text(encoding="utf-8")
    changed = change(text)
    assert changed != text  # the test really broke something
    path = tmp_path / source
    path.write_text(changed, encoding="utf-8")
    return path


def test_a_fine_on_an_unknown_item_is_refused_when_the_plan_loads(tmp_path):
    # mall_floor's 纪律 fine: "第三次罚款50元,以此类推"; misspelt 纪侓, refused at load, not
    # at payroll time, naming the key and the nearest indicator
    path = _plan_file(
        tmp_path,
        "mall_floor.yaml",
        lambda t: t.replace("item: 纪律, from: 3", "item: 纪侓, from: 3"),
    )
    with pytest.raises(PlanError) as err:
        kpilib.load_plan(path)
    (problem,) = err.value.problems
    assert (problem.where, problem.code) == ("pay.fines.1.item", "unknown_indicator")
    assert "纪律" in problem.message and problem.file == str(path)


def test_commission_and_pool_split_names_must_exist():
    # seed 002 bank #13: "0.7x内控考核个人积分/内控考核总积分+ 0.3x服务考核个人积分/服务考核总积分"
    pays = {
        "form": "points",
        "commission": {"item": "销售", "bands": [{"rate": "1%"}]},
        "pools": [
            {
                "name": "前台",
                "roles": ["柜员"],
                "amount": 1000,
                "split": {"内控": 0.7, "服务考": 0.3},
            },
            {"name": "主管", "roles": ["主管"], "mean_of": "后台"},
        ],
    }
    indicators = {
        "销售额": {"section": "业绩", "rule": {"type": "ratio"}},
        "差错": {"section": "内控", "rule": {"type": "ratio"}},
        "服务": {"section": "服务考核", "rule": {"type": "ratio"}},
    }
    plan = make_plan(indicators, pay=pays)
    with pytest.raises(PlanError) as err:
        kpilib.engine.plan._check_formulas(plan)
    got = {p.where: p for p in err.value.problems}
    assert sorted(got) == [
        "pay.commission.item",
        "pay.pools.0.split.服务考",
        "pay.pools.1.mean_of",
    ]
    assert "销售额" in got["pay.commission.item"].message  # the nearest name
    assert "服务考核" in got["pay.pools.0.split.服务考"].message
    assert got["pay.pools.1.mean_of"].code == "unknown_pool"
