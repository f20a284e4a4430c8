"""explain(): every point of one person's month, traceable to its rule and inputs.

Seed 000: 商务岗 危鹤坚 Jason: GMV指标 70% target 2400000; 有产客户数 30% target 68.
Sample actuals 2024-11: GMV指标 2,223,200, 有产客户数 78.
  2,223,200 / 2,400,000 = 92.6% x 70 = 64.84; 78 / 68 = 114.7% x 30 = 34.41; total 99.25.
Pay (params/channel_ops.yaml): 商务岗 2,000 yuan x 99.25 / 100 = 1,985.00;
seed 000 rule 1 "每次月度考核完成率低于60%者，免当月绩效奖金" (曾志伟, 53.85).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import duckdb
import pytest

import kpilib
from kpilib import months
from kpilib import store as history
from kpilib.errors import KpiError
from kpilib.explain import explain
from kpilib.project import input_files
from tests.conftest import ROOT

PLAN = ROOT / "params/channel_ops.yaml"


def test_every_point_of_a_month_adds_up_to_the_total():
    # seed 000: "商务岗 危鹤坚 Jason GMV指标 70% 2400000 / 有产客户数 30% 68"; actuals 2,223,200
    # and 78: 92.6% × 70 = 64.84; 114.7% × 30 = 34.41 (under the plan's 120% cap) → 99.25
    why = explain(PLAN, "危鹤坚", "2024-11")
    steps = why.steps.set_index("name")
    items = why.steps[why.steps["kind"] == "item"]
    assert items["points"].tolist() == [64.84, 34.41]
    assert steps.loc["GMV指标", "arithmetic"] == "2,223,200 / 2,400,000 = 92.6% × 70 = 64.84"
    assert (
        steps.loc["GMV指标", "inputs"] == "权重 70.0%（满分 70.0），目标 2,400,000，实际 2,223,200"
    )
    assert "封顶 120.0%" in steps.loc["GMV指标", "rule"]
    assert round(items["points"].sum(), 2) == steps.loc["总分", "points"] == 99.25
    assert steps.loc["等级", "arithmetic"] == "→ 优秀"
    assert steps.loc["绩效工资", "arithmetic"] == "2,000.00 × 99.25 / 100 = 1,985.00"
    assert why.summary["performance_pay"] == Decimal("1985.00")


def test_the_pay_gate_of_seed_000_shows_in_the_explanation():
    why = explain(PLAN, "曾志伟", "2024-11")
    steps = why.steps.set_index("name")
    assert steps.loc["完成率低于60%免当月绩效奖金", "rule"] == "条件 考核完成率 < 60%"
    assert steps.loc["绩效工资", "arithmetic"].endswith("完成率低于60%免当月绩效奖金 → 0.00")
    assert why.summary["performance_pay"] == Decimal("0.00")
    assert "53.85" in why.text() and "不合格" in why.text()


def test_a_void_gate_is_named_and_the_grade_says_void():
    # seed 002 mall: 收费收缴率低于75%，当月考核无效 (params/mall_floor.yaml gate 收缴率未达75%)
    why = explain(ROOT / "params/mall_floor.yaml", "吴佳", "2024-11")
    gates = why.steps[why.steps["kind"] == "gate"].set_index("name")["arithmetic"]
    assert gates["收缴率未达75%"] == "触发"
    assert gates["联检≤18分"] == "未触发"
    assert why.steps.set_index("name").loc["等级", "arithmetic"] == "→ 无效（本月考核无效）"


def test_a_recorded_adjustment_changes_the_points_and_is_listed(tmp_path):
    plan = kpilib.load_plan(PLAN)
    store = tmp_path / "store.duckdb"
    history.save(kpilib.score_month(plan, "2024-11"), input_files(plan, "2024-11"), store)
    con = duckdb.connect(str(store))
    con.execute("UPDATE runs SET scored_at = '2024-12-02 09:00'")  # results out Monday 2 Dec
    con.close()
    months.adjust(
        plan,
        "2024-11",
        "危鹤坚",
        "有产客户数",
        points=30,
        reason="客户重复计数",
        by="HR 王",
        filed_at=datetime(2024, 12, 2),
        force=True,
        store=store,
    )
    why = explain(plan, "危鹤坚", "2024-11", store=store)
    steps = why.steps.set_index("name")
    item = why.steps[(why.steps["kind"] == "item") & (why.steps["name"] == "有产客户数")].iloc[0]
    assert item["points"] == 30.0  # the item row, adjusted
    assert "申诉调整（客户重复计数，HR 王）→ 30" in item["arithmetic"]
    adjustment = why.steps[why.steps["kind"] == "adjustment"].iloc[0]
    assert adjustment["arithmetic"] == "客户重复计数：得分改为 30.0"
    assert adjustment["rule"] == "申诉/调整第 1 号（已计入）"
    # 64.84 + 30 = 94.84
    assert steps.loc["总分", "points"] == 94.84
    assert (
        explain(plan, "危鹤坚", "2024-11", store=store, adjustments=False).summary["total"] == 99.25
    )


def test_an_unknown_person_is_an_error_with_a_suggestion():
    with pytest.raises(
        KpiError, match=r"channel_ops 2024-11 的结果里没有 '危鹤'（是不是 '危鹤坚'？）"
    ) as info:
        explain(PLAN, "危鹤", "2024-11")
    assert info.value.problems[0].code == "unknown_person"


def test_text_and_html_carry_every_step_and_escape_names():
    result = kpilib.score_month(PLAN, "2024-11")
    why = explain(result.plan, "林燕", "2024-11", result=result)
    assert why.text().count("\n- [考核项]") == 5  # 直连, API, 业务运营 ①②③
    markup = why.html()
    assert "林燕（Dorcas）" in markup and markup.count("<tr>") == len(why.steps)
    other = explain(result.plan, "林燕", "2024-11", result=result)
    object.__setattr__(other, "person", "<b>林燕</b>")
    assert "&lt;b&gt;林燕&lt;/b&gt;" in other.html()


def test_explain_shows_the_persons_own_share_of_a_bonus_pool():
    # issue 9 case 14: a 10,000 yuan pool split by points (seed 002 #13: 单位积分奖金值 =
    # 奖金包 / 积分总额) over the 2024-11 month. Seed 000 rule 1 "每次月度考核完成率低于60%者，
    # 免当月绩效奖金" leaves out 曾志伟 (53.85%) and 潘君捷 (40.81%); the other 17 totals add up
    # to 1,522.60 points. 危鹤坚's 99.25 points: 99.25 / 1,522.60 × 10,000 = 651.8455 → 651.84
    # (the leftover fen go to larger remainders), not the whole 10,000.00.
    from kpilib.engine.policy import Pool

    plan = kpilib.load_plan(PLAN)
    plan = plan.model_copy(
        update={"pay": plan.pay.model_copy(update={"pool": Pool(amount=Decimal("10000"))})}
    )
    result = kpilib.score_month(plan, "2024-11")
    why = explain(plan, "危鹤坚", "2024-11", result=result)
    pool = why.steps.set_index("kind").loc["pool", "arithmetic"]
    assert "= 651.84" in pool and "10,000.00" not in pool
