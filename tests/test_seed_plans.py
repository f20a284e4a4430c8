"""The seed plans shipped in params/ (001-004), scored on their sample month 2024-11.

Every expected figure is worked out by hand from data/<department>/.../2024-11.csv
(the inputs are quoted next to each number) and the seed line the rule comes from.
Points are kept to 0.01 as Excel's ROUND(x, 2) would, so totals are sums of them.
"""

from __future__ import annotations

import pytest

import kpilib
from kpilib.project import available_months
from tests.conftest import ROOT

SEED_PLANS = [
    "member_ops",
    "member_retail",
    "mall_floor",
    "bank_branch",
    "procurement",
    "ecommerce",
]
MONTH = "2024-11"


@pytest.fixture(scope="module")
def scored():
    return {name: kpilib.score_month(ROOT / f"params/{name}.yaml", MONTH) for name in SEED_PLANS}


@pytest.mark.parametrize("name", SEED_PLANS)
def test_every_sample_month_scores(name):
    plan = kpilib.load_plan(ROOT / f"params/{name}.yaml")
    months = available_months(plan)
    # the mall ships all of 2024 (annual roll-up) and the bank January on (year to date)
    whole_year = [f"2024-{m:02d}" for m in range(1, 13)]
    expected = {"mall_floor": whole_year, "bank_branch": whole_year[:11]}
    assert months == expected.get(name, ["2024-09", "2024-10", "2024-11"])
    for month in months:
        result = kpilib.score_month(plan, month)
        assert len(result.people) >= 4
        assert result.people["total"].notna().all()


def check(result, person, items: dict, total: float, grade: str):
    got = result.items[result.items["person"] == person].set_index("item")["points"]
    for item, points in items.items():
        assert got[item] == pytest.approx(points, abs=1e-9), item
    row = result.people.set_index("person").loc[person]
    assert row["total"] == pytest.approx(total, abs=1e-9)
    assert row["grade"] == grade


# ---- seed 001 会员运营: "会员增长占30%,会员活跃度占25%,会员留存占25%,会员满意度占20%"


def test_member_ops_manager(scored):
    check(
        scored["member_ops"],
        "周晓梅",
        {
            # "完成或超过目标值得满分": 3172 >= 3000
            "新会员注册数": 10,
            # "(本期会员数量-上期会员数量)/上期会员数量": (62993-60000)/60000 = 4.988% of 5%
            # = 99.77% × 10 = 9.977 -> 9.98 ("未达到目标按比例扣分")
            "会员增长率": 9.98,
            # 3172 / 39027 = 8.13%, 0.13 points above the industry 8%: no whole step yet
            "渠道转化率": 10,
            # 303499 logins / 62993 members = 4.82 a month: the >=4 band, 60% × 15
            "会员登录频次": 9,
            # 18311 / 62993 = 29.07% of 30% = 96.89% × 10 = 9.689 -> 9.69
            "会员参与度": 9.69,
            # "每低于目标值5%扣相应分数": 1385/3172 = 43.7% >= 40%; 746/3172 = 23.5% is
            # 1.5 points short of 25% (no whole 5%); 454/3172 = 14.3%, 0.7 short of 15%
            "次日留存率": 10,
            "7日留存率": 8,
            "30日留存率": 7,
            # "投诉率为0得满分,每增加一定比例扣": 25/62993 = 0.04%, under one 0.1% step
            "会员投诉率": 5,
            # "得分达到90分及以上得满分": 93.2
            "满意度调查得分": 10,
            # "高于目标值加分": 31.6% is 1.6 points above 30%: one step, +0.5
            "会员推荐率": 5.5,
        },
        total=94.17,
        grade="优秀",
    )  # "优秀(90分及以上)"


def test_member_ops_service_clerk_fails(scored):
    check(
        scored["member_ops"],
        "黄俊杰",
        {
            # "每低于目标值10%扣相应分数": 873/1200 = 72.75%, 27.25% short: 2 steps × 2
            "新会员注册数": 6,
            "会员增长率": 6.17,  # 617/20000 = 3.085% of 5% = 61.7% × 10
            "渠道转化率": 8,  # 873/16146 = 5.41%, 2.59 points under 8%: 2 × 1
            "会员登录频次": 9,  # 96012/20617 = 4.66 logins: >=4 band
            "会员参与度": 6.78,  # 4192/20617 = 20.33% of 30% = 67.78% × 10
            "次日留存率": 6,  # 253/873 = 28.98%, 11.02 short: 2 steps of 5% × 2
            "7日留存率": 6,  # 170/873 = 19.47%, 5.53 short: 1 step
            "30日留存率": 7,  # 112/873 = 12.83%, 2.17 short: no whole step
            "会员投诉率": 5,  # 12/20617 = 0.058%
            # "每降低1分扣相应分数": 67.2 is 22.8 under 90: 22 × 1 > 10, floored at 0
            "满意度调查得分": 0,
            "会员推荐率": 0,  # 14.1% is 15.9 under 30%: 15 × 0.5 > 5
        },
        total=59.95,
        grade="不合格",
    )  # "不合格(60分以下)"


# ---- seed 004 篇一 门店会员: 开卡率、转化率、流失率、回购率、回购金额占比、活跃度


def test_member_retail(scored):
    result = scored["member_retail"]
    check(
        result,
        "王丽华",
        {
            "开卡率": 17.03,  # 308 cards / 603 buyers = 51.08% of 60% = 85.13% × 20
            "转化率": 18.76,  # 603 / 2571 visitors = 23.45% of 25% = 93.82% × 20
            "流失率": 12.91,  # 125/2194 = 5.70% vs 5%: 2 − 1.1395 = 86.05% × 15
            "回购率": 15.59,  # 456/2194 = 20.78% of 20% = 103.92% × 15
            "回购金额占比": 13.92,  # 199,100 / 536,200 = 37.13% of 40% = 92.83% × 15
            "活跃度": 15.33,  # 785/2194 = 35.78% of 35% = 102.23% × 15
        },
        total=93.54,
        grade="优秀",
    )
    check(
        result,
        "刘洋",
        {
            "开卡率": 13.06,  # 194/495 = 39.19% of 60% = 65.32% × 20
            "转化率": 12.65,  # 495/3130 = 15.81% of 25% = 63.26% × 20
            "流失率": 5.36,  # 181/2204 = 8.21%: 2 − 1.6425 = 35.75% × 15
            "回购率": 10.75,  # 316/2204 = 14.34% of 20% = 71.69% × 15
            "回购金额占比": 9.80,  # 161,700 / 618,800 = 26.13% of 40% = 65.33% × 15
            "活跃度": 9.43,  # 485/2204 = 22.01% of 35% = 62.87% × 15
        },
        total=61.05,
        grade="合格",
    )


# ---- seed 002 方案7/12 楼面管理: 联检考评 25, 部门考评 65, 市场调研和培训考评 10


def test_mall_floor_manager_collecting_96_percent(scored):
    result = scored["mall_floor"]
    check(
        result,
        "赵一鸣",
        {
            # "(四次得分总和/四次=联检考评成绩)": (24 + 23.5 + 24.5 + 24.5) / 4 = 24.125
            "联检得分": 24.13,
            # 收缴率 97.4%: "90%--95%" band 100% × 35 = 35, and "若达到96%--100%,则此考核项
            # 权重得分上调50%": × 1.5 = 52.5
            "数据掌握": 52.5,
            "执行力": 10,
            "纪律": 10,  # none missed, no violations
            "投诉解决": 8,  # 11.8%: "投诉率10%以上15%以内(含15%)" → 80%
            "调研报告": 4.8,  # rated B (one report with suggestions): 80% × 6
            "培训": 4,  # 达到预期: 100% × 4
        },
        total=113.43,
        grade="优秀",
    )
    assert result.people.set_index("person").loc["赵一鸣", "gates"] == "收缴率96%-100%上调50%"


def test_mall_floor_month_voided(scored):
    result = scored["mall_floor"]
    check(
        result,
        "吴佳",
        {
            "联检得分": 19.88,  # (19 + 20.5 + 20.5 + 19.5) / 4 = 19.875
            "数据掌握": 14,  # 72.4%: the 70%-75% column, 40% × 35
            "执行力": 8,  # "未按时、按质完成交办的各项工作:一次" → 80%
            "纪律": 8,  # "有1次违反" → 80%
            "投诉解决": 10,  # 4.7% "投诉率10%以内(含10%)"
        },
        total=69.88,
        grade="无效",
    )
    person = result.people.set_index("person").loc["吴佳"]
    # "部门考核月度得分低于51分(含)或楼层费用收缴率...未达到75%(含)以上,则本月考核成绩无效":
    # 14 + 8 + 8 + 10 = 40 <= 51, and 72.4% < 75%
    assert not person["valid"]
    assert person["gates"] == "部门考评≤51分；收缴率未达75%"


# ---- seed 002 方案5 银行分理处: 内勤员工 and 客户经理


def test_bank_teller_with_bonus(scored):
    check(
        scored["bank_branch"],
        "陈晓燕",
        {
            "出勤": 5,
            "优质服务": 8,  # one complaint judged at 2 ("每次...给予1-5.0分")
            # 事后监督差错 1 × 1 + "凭证传递不及时,每次扣减...0.5分" × 2 + 检查发现问题 3
            "核算质量及内控管理": 55,
            "日平均业务量": 5,  # 135 / 120 = 112.5%, not 15% below the average
            "分工工作质量": 5,
            "存款": 1.1,  # "存款考核(分值2分...)": 55,000 / 100,000 × 2
            "发卡量": 2.3,  # 23 / 20 = 115% × 2 (under the 150% cap)
            "网银": 6,  # 6 + 10 × 1 公司网银 = 16 of 5 = 320%, "最高比例控制150%"
            # "分红保险(分值2分,最高比例控制200%):全年任务5000元", year to date: the monthly
            # sales 610 + 420 + 510 + 650 + 310 + 480 + 210 + 380 + 540 + 660 + 370 = 5,140
            # of 5,000 = 102.8% × 2 = 2.056
            "分红保险": 2.06,
            "POS商户": 10,  # 2 of 1 = "最高比例200%" × 5
            # "加分项": one error and one complaint this month: no +3, no +2;
            # "差错率排名最低...+1分" and "当月突出贡献奖+2分" flagged 1
            "差错率最低": 1,
            "突出贡献奖": 2,
            "无差错加分": 0,
            "无投诉加分": 0,
        },
        total=102.46,  # 102.16 before, with 370 / 420 × 2 = 1.76 for 分红保险: + 0.30
        grade="优秀",
    )


def test_bank_account_manager(scored):
    check(
        scored["bank_branch"],
        "周敏",
        {
            "客户经理出勤": 5,
            "客户经理优质服务": 2,  # "酌情扣2-5分": one complaint judged at 3
            "工作质量": 9.5,  # "没发现一处遗漏,扣0.5-1分": 0.5
            "客户经理存款": 11.72,  # 293,000 / 500,000 = 58.6% × 20
            # "每增加1个百分点扣0.5分": 18,000 of 2,150,000 unpaid = 0.84%, under one point
            "到期贷款收回率": 20,
            "营销企业网银": 0,
            "营销个人网银": 2,
            "营销POS商户": 2,
            "营销基本账户": 0,
            "营销分红保险": 1.46,  # 7,300 / 10,000 = 73% × 2
            "非应计贷款": 18,  # "每形成5万元不良贷款扣1分": 120,000 is two whole 5万
            "贷款利息收回率": 10,  # 86,533 / 87,315 = 99.1%: under one point short
            "表外利息加分": 0,  # "收回表外利息每5万加2分": 30,000 is not a whole 5万 → 0
        },
        total=81.68,
        grade="良好",
    )


# ---- seed 004 篇四 采购部: "考核总分300分", 工作业绩/工作态度/工作能力 各100分


def test_procurement_buyer_full_marks_and_bonus(scored):
    check(
        scored["procurement"],
        "何军",
        {
            "采购工作业绩": 100,
            "工作态度": 100,
            "基本能力": 20,
            "协调能力": 20,
            "执行能力": 20,
            "学习能力": 20,
            "管理统筹能力": 20,
            "建议采纳奖励": 30,  # "建议并采纳的,视情况给予20—50分奖励": 30 decided
            "超勤": 30,  # "超勤30分/天": 1 day
        },
        total=360,
        grade="优秀",
    )


def test_procurement_warehouse_deductions(scored):
    check(
        scored["procurement"],
        "唐莉",
        {
            # "物料摆放混乱一次扣5分" × 5, "保持仓库整洁无异物,每发现一次扣5分" × 1,
            # "因仓管人员管理不善导致板材报废扣20—30分": 21 decided → 100 − 51
            "原材料库工作业绩": 49,
            "工作态度": 50,  # 生产部门 较差 40 and 考评小组 一般 60, half each
            # "优良中差4级,分值分别为20、15、10、5分": 差 差 中 中 中
            "基本能力": 5,
            "协调能力": 5,
            "执行能力": 10,
            "学习能力": 10,
            "管理统筹能力": 10,
            "超勤": 60,  # 2 days × 30
        },
        total=199,
        grade="合格",
    )  # 139 + 60; 合格 from 180 (60% of 300)


# ---- seed 002 方案4 / 003 电商: PV/UV, 转化率, GMV, 客单价, 响应时间, 退货/换货/退款率


def test_ecommerce_operator(scored):
    check(
        scored["ecommerce"],
        "方磊",
        {
            "PV": 11.74,  # 586,811 / 500,000 = 117.36% × 10
            "人均访问页面": 10.61,  # "PV量/UV量": 586,811 / 138,328 = 4.242 of 4 × 10
            "成交人数": 11.93,  # 3,580 / 3,000 = 119.33% × 10
            "订单转换率": 15.53,  # "成交人数/UV": 3,580 / 138,328 = 2.588% of 2.5% × 15
            "GMV": 42,  # 1,123,500 / 900,000 = 124.8%, capped at 120% × 35
            "平均停留时长": 5.42,  # 130 / 120 s × 5
            "客单价": 15.69,  # "成交金额/成交人数": 1,123,500 / 3,580 = 313.83 of 300 × 15
        },
        total=112.92,
        grade="优秀",
    )


def test_ecommerce_customer_service(scored):
    check(
        scored["ecommerce"],
        "彭丽",
        {
            "响应时间": 12,  # 36 s: "原则上不超过30秒" missed, the <=45 s band 80% × 15
            "服务态度": 8,  # 5 违规用语: "不能超过5次" kept, the <=5 band 80% × 10
            "差评次数": 10,
            "咨询转换率": 20.80,  # 1,096 paid / 3,763 served = 29.13% of 35% × 25
            "成交额转换率": 8.58,  # 257,500 / 300,000 × 10
            "退货率": 6.85,  # "退单量/咨询转换单量" 88/1206 = 7.30%: 5% / 7.30% × 10
            "换货率": 8.41,  # 43/1206 = 3.57%: 3% / 3.57% × 10
            "退款率": 8.95,  # "退款UV量/付款UV总量" 49/1096 = 4.47%: 4% / 4.47% × 10
        },
        total=83.59,
        grade="良好",
    )


def test_bank_teller_late_four_times_loses_3_for_each(scored):
    # seed 002 #5: "迟到、早退、中途溜岗...等在2次(含2次)以内,且单次在20分钟以内者,每次扣减员工
    # 项目积分1分;2次以上(不含2次)且单次在20分钟以内者,将每次扣减此项积分3分" and "分值不足扣减时
    # 一律按'跨项目透支扣减原则'执行". 刘伟, incidents 2024-11: 迟到早退溜岗 次数 4, so every one
    # of the four costs 3: 5 − 12 = −7 (the overdraft runs into the total)
    items = scored["bank_branch"].items.set_index(["person", "item"])
    assert items.loc[("刘伟", "出勤"), "points"] == -7
