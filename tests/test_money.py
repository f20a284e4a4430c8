"""Issue 15 cases 3, 8-12 and 转正评估: several raters of one role, fines and awards,
commission, department functions in formulas, several pools, pay levels carried between
months. Numbers are hand-computed from the seeds' wording (quoted)."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest

import kpilib
import kpilib.store
from kpilib import ledger
from kpilib.cli import main
from kpilib.errors import DataError, KpiError
from kpilib.outcomes import money
from kpilib.sheets import payroll
from tests.conftest import ROOT, actuals, frame, make_plan, targets

# ------------------------------------------------------------------ 12. several raters

PEERS = {
    "团队协作": {
        "rule": {
            "type": "rating",
            "levels": {"优": 20, "良": 15, "中": 10, "差": 5},
            "raters": {"上级": "50%", "同事": "50%"},
            "combine": {"同事": "mean"},
        }
    }
}


def test_several_peers_averaged_before_role_weights():
    # seed 001: "5.同事互评:在一定范围内开展同事互评,评价员工的团队协作能力、沟通能力等。"
    # 上级 良 = 15/20 = 75%; 三位同事 优 良 中 = (20 + 15 + 10) / 3 = 15 → 75%:
    # 50% × 75% + 50% × 75% = 75% of 100 points = 75.0
    # 乙: 上级 优 100%; 同事 优 优 → 100%: 100.0
    plan = make_plan(PEERS)
    t = targets([("甲", "团队协作", 1.0, None), ("乙", "团队协作", 1.0, None)])
    r = frame(
        [
            ("甲", "团队协作", "上级", "良"),
            ("甲", "团队协作", "同事", "中"),
            ("甲", "团队协作", "同事", "优"),
            ("甲", "团队协作", "同事", "良"),
            ("乙", "团队协作", "上级", "优"),
            ("乙", "团队协作", "同事", "优"),
            ("乙", "团队协作", "同事", "优"),
        ],
        ["person", "item", "rater", "level"],
    )
    result = kpilib.score(plan, t, actuals([]), ratings=r)
    total = result.people.set_index("person")["total"]
    assert total["甲"] == 75.0 and total["乙"] == 100.0
    # the report shows the role, how many and their levels, never who rated
    reason = result.items.set_index("person").loc["甲", "reason"]
    assert reason == "上级 良(50%)、同事 3人（优、良、中）平均 75.0%(50%) → 75.0% × 100 = 75.0"


def test_trimmed_mean_and_median_of_peers():
    # seed 003 360度考核: "由被考评者的上级、同事、下级以及被考评者本人担任考评者"
    # trimmed: 优 良 中 差 → drop 20 and 5 → (15 + 10) / 2 = 12.5 → 62.5% × 50% = 31.25
    # plus 上级 优 50: 81.25 → 81.25 points; median of the same four: 12.5 as well
    # median of 优 优 差 = 20 → 100%: 50 + 50 = 100
    for how, levels, want in (
        ("trimmed", ["优", "良", "中", "差"], 81.25),
        ("median", ["优", "良", "中", "差"], 81.25),
        ("median", ["优", "优", "差"], 100.0),
        ("mean", ["优", "优", "差"], 50 + 50 * 15 / 20),
    ):
        rule = {**PEERS["团队协作"]["rule"], "combine": {"同事": how}}
        plan = make_plan({"团队协作": {"rule": rule}})
        rows = [("甲", "团队协作", "上级", "优")] + [
            ("甲", "团队协作", "同事", lv) for lv in levels
        ]
        r = frame(rows, ["person", "item", "rater", "level"])
        result = kpilib.score(
            plan, targets([("甲", "团队协作", 1.0, None)]), actuals([]), ratings=r
        )
        assert result.people["total"].iloc[0] == pytest.approx(want), how


def test_one_peer_named_twice_and_a_leader_twice_are_refused():
    plan = make_plan(PEERS)
    r = frame(
        [
            ("甲", "团队协作", "上级", "良", ""),
            ("甲", "团队协作", "上级", "优", ""),
            ("甲", "团队协作", "同事", "优", "王五"),
            ("甲", "团队协作", "同事", "良", "王五"),
            ("甲", "团队协作", "同事", "良", "赵六"),
        ],
        ["person", "item", "rater", "level", "rater_name"],
    )
    with pytest.raises(DataError) as info:
        kpilib.score(plan, targets([("甲", "团队协作", 1.0, None)]), actuals([]), ratings=r)
    twice = [p for p in info.value.problems if p.code == "rated_twice"]
    assert sorted(p.where for p in twice) == ["第 3 行", "第 5 行"]


def test_combine_must_name_a_rater_role():
    rule = {**PEERS["团队协作"]["rule"], "combine": {"下级": "mean"}}
    with pytest.raises(Exception, match="下级"):
        make_plan({"团队协作": {"rule": rule}})


# ------------------------------------------------------------------ 8. fines and awards

MALL = ROOT / "params/mall_floor.yaml"


def test_mall_fines_from_the_third_incident():
    # seed 002 mall 执行力: "第三次罚款50元,并提出口头警告;第四次则取消本月绩效考核" (once);
    # 纪律: "第三次罚款50元,以此类推" (every violation from the third)
    plan = kpilib.load_plan(MALL)
    items = pd.DataFrame(
        {
            "person": ["甲", "甲", "乙", "乙", "丙", "丙"],
            "indicator": ["执行力", "纪律"] * 3,
            "actual": [3.0, 4.0, 4.0, 2.0, 2.0, 5.0],
        }
    )
    out = money.fines(plan, items)
    got = out.groupby("person")["amount"].agg(lambda a: sum(a, Decimal(0)))
    # 甲: 执行力 3 → 50; 纪律 4 → 3rd and 4th → 100: −150. 乙: 执行力 4 → 50 once; 纪律 2 → 0.
    # 丙: 纪律 5 → 3rd, 4th, 5th → 150
    assert got.to_dict() == {
        "甲": Decimal("-150.00"),
        "乙": Decimal("-50.00"),
        "丙": Decimal("-150.00"),
    }
    assert set(out["kind"]) == {"罚款"}
    assert "纪律 4 次，第 3 次起每次罚 50 元 → -100.00" in " ".join(out["reason"])


def test_kpi_money_records_an_award_and_payroll_shows_it(tmp_path, monkeypatch):
    # seed 002 mall: "公司给予通报表扬或予以200——1000元不等的奖励" — decided case by case
    store = tmp_path / "r.duckdb"
    monkeypatch.setenv("KPI_STORE", str(store))
    plan = kpilib.load_plan(MALL)
    kpilib.store.save(kpilib.score_month(plan, "2024-11"), files=[], store=store)
    argv = ["money", str(MALL), "--month", "2024-11", "--person", "赵一鸣"]
    assert main([*argv, "--amount", "800", "--reason", "街区景观布置建议", "--by", "运营经理"]) == 0
    assert main([*argv, "--amount", "-50", "--reason", "迟交周报", "--by", "运营经理"]) == 0
    table = payroll.frame(plan, "2024-11", store).set_index("person")
    zhao = table.loc["赵一鸣"]
    assert zhao["money"] == Decimal("750.00")
    assert zhao["money_reason"] == (
        "奖励 +800.00（街区景观布置建议，运营经理）；罚款 -50.00（迟交周报，运营经理）"
    )
    # payable = performance pay (its own rule, 600 × total / 100) + 750.00, exactly
    assert zhao["payable"] - zhao["performance_pay"] == Decimal("750.00")
    assert table.drop(index="赵一鸣")["money"].eq(Decimal("0.00")).all()
    assert list(ledger.money_items("mall_floor", "2024-11", store)["made_by"]) == ["运营经理"] * 2


def test_money_without_reason_or_with_three_decimals_is_refused(tmp_path):
    store = tmp_path / "r.duckdb"
    plan = kpilib.load_plan(MALL)
    kpilib.store.save(kpilib.score_month(plan, "2024-11"), files=[], store=store)
    with pytest.raises(KpiError) as info:
        ledger.record_money(plan, "2024-11", "赵一鸣", "12.345", reason="", by="", store=store)
    assert {p.code for p in info.value.problems} == {"bad_amount", "missing_reason"}
    with pytest.raises(DataError) as info:
        ledger.record_money(plan, "2024-11", "赵一明", "100", reason="x", by="y", store=store)
    assert info.value.problems[0].code == "unknown_person"
    assert "赵一鸣" in info.value.problems[0].message  # did you mean


# ------------------------------------------------------------------ 9. commission

SALES = {"销售额": {"unit": "元", "rule": {"type": "ratio", "cap": "150%"}}}
BANDS = [
    {"upto": "100%", "rate": "2%"},
    {"upto": "120%", "rate": "3%"},
    {"rate": "4%"},
]


def _sales(plan, rows):
    t = targets([(p, "销售额", 1.0, 500000) for p, _ in rows])
    return kpilib.score(plan, t, actuals([(p, "销售额", v) for p, v in rows])).items


def test_commission_in_bands_with_accelerators_and_a_cap():
    # seed 002 运营总监: "B、业绩提成比例"; seed 003: "职位晋升将直接影响到个人底薪和提成点数".
    # The seeds give no rates; the case's own: 2% up to target, 3% from 100% to 120% of
    # target (accelerator), 4% above, at most 20,000 元. Target 500,000.
    pay_ = {"base": {"": 0}, "commission": {"item": "销售额", "bands": BANDS, "cap": 20000}}
    plan = make_plan(SALES, pay=pay_)
    items = _sales(plan, [("甲", 650000), ("乙", 1000000), ("丙", 333333.33)])
    got = money.commission(plan, items).set_index("person")
    # 甲: 500,000 × 2% + 100,000 × 3% + 50,000 × 4% = 10,000 + 3,000 + 2,000
    assert got.loc["甲", "commission"] == Decimal("15000.00")
    # 乙: 10,000 + 3,000 + 400,000 × 4% = 29,000 → capped at 20,000
    assert got.loc["乙", "commission"] == Decimal("20000.00")
    assert got.loc["乙", "commission_reason"].endswith("= 29,000.00，封顶 20,000.00")
    # 丙: 333,333.33 × 2% = 6,666.6666 → 6,666.67 (to the fen, half up)
    assert got.loc["丙", "commission"] == Decimal("6666.67")
    assert got.loc["甲", "commission_reason"] == (
        "提成：销售额 650,000.00 元；至目标 100%部分 500,000.00 × 2% + 至目标 120%部分 "
        "100,000.00 × 3% + 以上部分 50,000.00 × 4% = 15,000.00"
    )


def test_commission_one_rate_for_the_band_reached():
    # progressive: false — the band the whole amount reaches sets the rate (edges 含)
    pay_ = {"base": {"": 0}, "commission": {"item": "销售额", "bands": BANDS, "progressive": False}}
    plan = make_plan(SALES, pay=pay_)
    got = money.commission(plan, _sales(plan, [("甲", 650000), ("乙", 600000)]))
    # 甲 650,000 > 120% × 500,000: 4% × 650,000 = 26,000; 乙 exactly 600,000: 3% → 18,000
    assert got["commission"].tolist() == [Decimal("26000.00"), Decimal("18000.00")]


def test_commission_bands_are_checked_when_the_plan_loads():
    for bands in (
        [{"upto": "120%", "rate": "3%"}, {"upto": "100%", "rate": "2%"}, {"rate": "4%"}],
        [{"upto": "100%", "rate": "2%"}, {"upto": "120%", "rate": "4%"}],
    ):
        with pytest.raises(Exception, match="档"):
            make_plan(SALES, pay={"commission": {"item": "销售额", "bands": bands}})


# ------------------------------------------------------------------ 3. functions over people


def test_lowest_error_rate_ranks_first_for_a_bonus_point():
    # seed 002 bank 加分项: "2、差错率排名最低,凭证整理员+1分,其他员工+1分,差错最多的不加分"
    plan = make_plan(
        {
            "存款": {"rule": {"type": "ratio", "cap": "200%"}},
            "差错率最低": {
                "formula": "rank_asc(差错率) == 1",
                "rule": {"type": "bonus", "per_unit": 1},
            },
        },
        measures={"差错率": {"unit": "%"}},
    )
    people = ["甲", "乙", "丙", "丁"]
    rows = [(p, "存款", 100) for p in people]
    rows += [(p, "差错率", r) for p, r in zip(people, ["0.2%", "0.2%", "1%", "3%"], strict=True)]
    result = kpilib.score(plan, targets([(p, "存款", 1.0, 100) for p in people]), actuals(rows))
    bonus = result.people.set_index("person")["bonus_points"]
    # 甲 and 乙 share the lowest rate (0.2%): both rank 1, +1; 丙 ranks 3; 丁 (most) gets 0
    assert bonus.to_dict() == {"甲": 1.0, "乙": 1.0, "丙": 0.0, "丁": 0.0}


def test_login_frequency_scored_by_its_place_in_the_distribution():
    # seed 001: "会员登录频次:根据登录频次分布情况设定不同得分区间"
    # percentile = share of people at or below: 10, 20, 30, 40 → 25%, 50%, 75%, 100%;
    # bands ≥75% → 100%, ≥50% → 80%, otherwise 60% of 100 points
    plan = make_plan(
        {
            "登录频次": {
                "formula": "percentile(登录次数)",
                "rule": {
                    "type": "bands",
                    "on": "actual",
                    "bands": [
                        {"at_least": "75%", "share": "100%"},
                        {"at_least": "50%", "share": "80%"},
                    ],
                    "otherwise": "60%",
                },
            }
        },
        measures={"登录次数": {"unit": "次"}},
    )
    people = ["甲", "乙", "丙", "丁"]
    rows = [(p, "登录次数", n) for p, n in zip(people, [10, 20, 30, 40], strict=True)]
    result = kpilib.score(
        plan, targets([(p, "登录频次", 1.0, None) for p in people]), actuals(rows)
    )
    assert result.people.set_index("person")["total"].to_dict() == {
        "甲": 60.0,
        "乙": 80.0,
        "丙": 100.0,
        "丁": 100.0,
    }


def test_project_lead_coefficient_is_twice_the_mean_of_the_researchers():
    # seed 003: "项目负责人安排系数=2x研发人平均安排系数。"
    # researchers 1.0, 1.2, 0.8 → mean 1.0 → the lead's coefficient 2.0; target 2 → 100%
    plan = make_plan(
        {
            "研发任务": {"rule": {"type": "ratio", "cap": "100%"}},
            "负责人系数": {
                "formula": "2 * mean(安排系数)",
                "rule": {"type": "ratio", "cap": "100%"},
            },
        },
        measures={"安排系数": {}},
    )
    staff = ["甲", "乙", "丙"]
    t = targets([(p, "研发任务", 1.0, 10) for p in staff] + [("组长", "负责人系数", 1.0, 2)])
    rows = [(p, "研发任务", 10) for p in staff]
    rows += [(p, "安排系数", c) for p, c in zip(staff, [1.0, 1.2, 0.8], strict=True)]
    items = kpilib.score(plan, t, actuals(rows)).items.set_index("person")
    assert items.loc["组长", "actual"] == pytest.approx(2.0)
    assert items.loc["组长", "points"] == 100.0


def test_department_functions_in_a_gate():
    # a gate may compare with the department: below the group's median voids nothing here,
    # but halves an item (multiply gate) — median of 10, 20, 30, 40 is 25
    plan = make_plan(
        {"业绩": {"rule": {"type": "ratio", "cap": "100%"}}},
        measures={"业绩额": {}},
        gates=[
            {
                "name": "低于中位数",
                "when": "业绩额 < median(业绩额)",
                "effect": "multiply",
                "item": "业绩",
                "factor": "50%",
            }
        ],
    )
    people = ["甲", "乙", "丙", "丁"]
    rows = [(p, "业绩", 100) for p in people]
    rows += [(p, "业绩额", v) for p, v in zip(people, [10, 20, 30, 40], strict=True)]
    total = kpilib.score(plan, targets([(p, "业绩", 1.0, 100) for p in people]), actuals(rows))
    assert total.people.set_index("person")["total"].to_dict() == {
        "甲": 50.0,
        "乙": 50.0,
        "丙": 100.0,
        "丁": 100.0,
    }


# ------------------------------------------------------------------ 10. several pools

BANK_POOLS = {
    "base": {"柜员": 0, "综合部经理": 0},
    "pools": [
        {
            "name": "非营销前台人员奖金包",
            "roles": ["柜员"],
            "amount": 10000,
            "split": {"内控考核": "70%", "服务考核": "30%"},
            "paid": "90%",
        },
        {
            "name": "非营销后台主管",
            "roles": ["综合部经理"],
            "mean_of": "非营销前台人员奖金包",
            "coefficient": {"综合部经理": 1.4},
            "paid": "95%",
        },
    ],
    "deferral": {"above": "100%", "below": "50%", "top_up": "70%", "lend": "20%"},
}


def test_pools_split_by_points_combined_by_weights_and_a_mean_times_coefficient():
    # seed 002 bank #13: "非营销前台人员个人奖金=[非营销前台人员奖金包x (0.7x内控考核个人积分/
    # 内控考核总积分+ 0.3x服务考核个人积分/服务考核总积分)+个人计件积分奖金]x90%";
    # "E、非营销后台主管=(全员平均奖金x调节系数+个人计件积分奖金)x95%; 调节系数:正职为1.4"
    plan = make_plan(
        {
            "内控考核": {"rule": {"type": "ratio", "cap": "100%"}},
            "服务考核": {"rule": {"type": "ratio", "cap": "100%"}},
        },
        pay=BANK_POOLS,
    )
    t = targets([(p, i, 0.5, 100) for p in ("甲", "乙", "丙") for i in ("内控考核", "服务考核")])
    t["role"] = ["柜员"] * 4 + ["综合部经理"] * 2
    # points: 甲 内控 30 服务 15; 乙 内控 20 服务 35 (each item is 50 points; ratio × 50)
    rows = [
        ("甲", "内控考核", 60),
        ("甲", "服务考核", 30),
        ("乙", "内控考核", 40),
        ("乙", "服务考核", 70),
        ("丙", "内控考核", 100),
        ("丙", "服务考核", 100),
    ]
    result = kpilib.score(plan, t, actuals(rows))
    out = money.pools(plan, result.people, result.items).set_index("person")
    # 甲: 10,000 × (0.7 × 30/50 + 0.3 × 15/50) = 10,000 × 0.51 = 5,100; 乙: 0.49 → 4,900
    assert out.loc["甲", "gross"] == Decimal("5100.00")
    assert out.loc["乙", "gross"] == Decimal("4900.00")
    # × 90% paid now: 4,590.00 and 4,410.00; 10% deferred (风险挂钩)
    assert (out.loc["甲", "paid"], out.loc["甲", "deferred"]) == (
        Decimal("4590.00"),
        Decimal("510.00"),
    )
    # 丙 (综合部经理 正职): mean 5,000 × 1.4 = 7,000; × 95% = 6,650 now, 350 deferred
    assert out.loc["丙", "gross"] == Decimal("7000.00")
    assert (out.loc["丙", "paid"], out.loc["丙", "deferred"]) == (
        Decimal("6650.00"),
        Decimal("350.00"),
    )


def test_deferral_above_last_year_and_a_loan_far_below_it():
    # seed 002 bank #13 五、调节机制: "达到上年同期奖金(或收入)100%以上时,以上部分实行延期支付,
    # 超出部分进入个人奖金池(正值);...低于上年同期奖金(或收入)50%时,支行给予借支20%,补足70%,
    # 借支部分进入个人奖金池(负值)" — read as: topped up to 70% of last year's, of which
    # at most 20% of last year's is a loan
    plan = make_plan(SALES, pay=BANK_POOLS)
    bonus = pd.Series([Decimal(15000), Decimal(4000), Decimal(6000)], index=["甲", "乙", "丙"])
    last = pd.Series([Decimal(10000)] * 3, index=["甲", "乙", "丙"])
    out = money.deferral(plan, bonus, last)
    # 甲: 5,000 above 100% deferred: paid 10,000, personal pool +5,000
    assert (out.loc["甲", "paid_now"], out.loc["甲", "personal_pool"]) == (
        Decimal("10000.00"),
        Decimal("5000.00"),
    )
    # 乙: 4,000 < 50% × 10,000: topped up to 7,000 (+3,000): loan 2,000 (20%), grant 1,000
    assert (out.loc["乙", "paid_now"], out.loc["乙", "personal_pool"]) == (
        Decimal("7000.00"),
        Decimal("-2000.00"),
    )
    # 丙: 6,000 is between 50% and 100%: paid as it is
    assert (out.loc["丙", "paid_now"], out.loc["丙", "personal_pool"]) == (
        Decimal("6000.00"),
        Decimal("0.00"),
    )
    with pytest.raises(DataError):
        money.deferral(plan, bonus, last.drop("丙"))


# ------------------------------------------------------------------ 11. pay levels

REGIONAL = {
    "form": "score",
    "levels": {
        # seed 002 运营中心总经理 片区经理 月绩效薪酬: A 8000, B 7000, C 6000, D 5000
        "base": {"A": 8000, "B": 7000, "C": 6000, "D": 5000},
        "default": "D",
        "start": {"甲": "B"},
        "down": {"when": "completion < 90%"},
        "up": {"when": "completion > 100%", "months": 2},
    },
}


def test_pay_level_carried_between_months_and_on_payroll(tmp_path):
    # seed 002 regional: "如某个考核区间的任务完成率低于90%,则运营中心总经理未达标,下一个考核
    # 区间则享受低一级的薪酬标准;如连续2个考核区间任务指标完成率高于100%则该总经理晋升一级";
    # "第一个考核周期(试用期)适用D级职位薪酬"
    plan = make_plan({"回款": {"rule": {"type": "ratio", "cap": "150%"}}}, pay=REGIONAL)
    store = tmp_path / "r.duckdb"
    months = {
        "2024-08": (85, 101),
        "2024-09": (105, 102),
        "2024-10": (110, 95),
        "2024-11": (100, 80),
    }
    for month, (a, b) in months.items():
        rows = [("甲", "回款", a), ("乙", "回款", b)]
        result = kpilib.score(
            plan,
            targets([("甲", "回款", 1.0, 100), ("乙", "回款", 1.0, 100)]),
            actuals(rows),
            month=month,
        )
        kpilib.store.save(result, files=[], store=store)
    past = kpilib.store.load(plan, store)
    levels = money.carry_levels(plan, past.people, past.items)
    got = levels.pivot(index="month", columns="person", values="level")
    # 甲 starts B; 85% in 08 → C from 09; 105%, 110% (two months over 100%) → B from 11
    assert got["甲"].tolist() == ["B", "C", "C", "B"]
    # 乙 new: D; 101%, 102% → C from 10; 95% keeps C; 80% in 11 → next D
    assert got["乙"].tolist() == ["D", "D", "C", "C"]
    nov = levels[levels["month"] == "2024-11"].set_index("person")
    assert nov.loc["乙", "next_level"] == "D" and "降一级" in nov.loc["乙", "reason"]
    table = payroll.frame(plan, "2024-11", store).set_index("person")
    # November pay at the carried level: 甲 B 7,000 × 100 / 100; 乙 C 6,000 × 80 / 100
    assert table.loc["甲", "performance_pay"] == Decimal("7000.00")
    assert table.loc["乙", "performance_pay"] == Decimal("4800.00")
    assert table.loc["乙", "level"] == "C" and table.loc["乙", "next_level"] == "D"
    ledger.save_levels(
        table.reset_index().assign(month="2024-11", reason=table["level_reason"].values),
        plan.department,
        store,
    )
    stored = ledger.pay_levels(plan.department, store=store)
    assert stored.set_index("person").loc["乙", "next_level"] == "D"


# ------------------------------------------------------------------ 转正评估


def test_probation_review_line_per_probationer():
    # seed 000: "5、试用期员工绩效得分作为转正评估依据。"
    from kpilib.report.summary import probation_review, summary

    plan = make_plan(
        {"GMV": {"rule": {"type": "ratio", "cap": "120%"}}},
        staff={
            "新人": {"入职日期": "2024-10-08", "转正日期": "2025-01-08"},
            "老人": {"入职日期": "2020-01-01", "转正日期": "2020-04-01"},
        },
    )
    t = targets([("新人", "GMV", 1.0, 100), ("老人", "GMV", 1.0, 100)])
    result = kpilib.score(
        plan, t, actuals([("新人", "GMV", 92.5), ("老人", "GMV", 80)]), month="2024-11"
    )
    review = probation_review(result)
    # only 新人 is on probation in November (转正 2025-01-08): 92.5% × 100 = 92.5 → 优秀
    assert review["person"].tolist() == ["新人"]
    assert (
        review["line"].iloc[0] == "转正评估：新人 试用期本月总分 92.5，考核完成率 92.5%，等级 优秀"
    )
    assert review["line"].iloc[0] in summary(result)
