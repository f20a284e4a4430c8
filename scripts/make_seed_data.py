"""Generate the sample inputs of the seed plans (001-004), once, with a fixed seed.

    python scripts/make_seed_data.py

For each plan in params/ other than channel_ops (scripts/make_sample_data.py makes
that one) it writes data/<department>/targets.csv (long layout: 岗位, 姓名, 指标,
权重, 目标值) and, for 2024-09 .. 2024-11, actuals/<month>.csv (long: 姓名, 指标,
实际值) and, where the plan uses them, incidents/<month>.csv and ratings/<month>.csv.

Each person has a steady level of performance (``LEVEL``: 1.0 is on target) plus
month-to-month noise, so the months differ but each person stays recognisable.
Counts are whole numbers, money is rounded to the yuan or the hundred, and a few
values are written the way HR sheets write them (``31.5%``, ``1,234``) so that the
readers' tolerance is exercised by the shipped data too.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
MONTHS = ["2024-09", "2024-10", "2024-11"]
SEED = 20241201

LEVEL = {
    # member_ops
    "周晓梅": 1.02,
    "林子豪": 0.93,
    "陈思琪": 0.85,
    "黄俊杰": 0.72,
    # member_retail
    "王丽华": 0.98,
    "李建国": 0.9,
    "张敏": 0.82,
    "刘洋": 0.68,
    # mall_floor
    "赵一鸣": 1.0,
    "孙婷": 0.95,
    "钱进": 0.9,
    "吴佳": 0.85,
    "郑浩": 0.8,
    # bank_branch
    "陈晓燕": 1.05,
    "刘伟": 0.92,
    "杨帆": 0.8,
    "黄志强": 1.0,
    "周敏": 0.85,
    # procurement
    "何军": 1.0,
    "梁静": 0.9,
    "马超": 0.95,
    "罗欣": 0.85,
    "宋涛": 0.9,
    "唐莉": 0.75,
    # ecommerce
    "方磊": 1.04,
    "许静": 0.88,
    "冯雪": 1.0,
    "蒋涛": 0.82,
    "韩梅": 1.02,
    "曹宇": 0.9,
    "彭丽": 0.78,
}


def write_csv(path: Path, header: list[str], rows: list) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(header)
        out.writerows(rows)


def pct(x: float) -> str:
    """A rate written the way HR writes it: ``31.5%``."""
    return f"{x * 100:.1f}%"


class Department:
    """Targets are fixed; ``month`` returns (actuals, incidents, ratings) rows."""

    name = ""
    people: list[tuple[str, str]] = []  # (岗位, 姓名)

    def __init__(self, rng: np.random.Generator):
        self.rng = rng

    def noise(self, sd: float = 0.08) -> float:
        return float(self.rng.normal(1.0, sd))

    def level(self, person: str, sd: float = 0.08) -> float:
        return LEVEL[person] * self.noise(sd)

    def targets(self) -> list[tuple]:
        raise NotImplementedError

    def month(self, month: str) -> tuple[list, list | None, list | None]:
        raise NotImplementedError

    def write(self) -> None:
        base = ROOT / "data" / self.name
        write_csv(base / "targets.csv", ["岗位", "姓名", "指标", "权重", "目标值"], self.targets())
        self.write_months(MONTHS)

    def write_months(self, months: list[str]) -> None:
        base = ROOT / "data" / self.name
        for month in months:
            actuals, incidents, ratings = self.month(month)
            write_csv(base / "actuals" / f"{month}.csv", ["姓名", "指标", "实际值"], actuals)
            if incidents is not None:
                write_csv(
                    base / "incidents" / f"{month}.csv",
                    ["姓名", "指标", "类型", "次数", "扣分", "日期", "说明"],
                    incidents,
                )
            if ratings is not None:
                write_csv(
                    base / "ratings" / f"{month}.csv", ["姓名", "指标", "评价人", "等级"], ratings
                )


class MemberOps(Department):
    """Seed 001: four people, the same eleven indicators; targets by role."""

    name = "member_ops"
    people = [
        ("会员运营经理", "周晓梅"),
        ("会员运营专员", "林子豪"),
        ("会员运营专员", "陈思琪"),
        ("客服专员", "黄俊杰"),
    ]
    WEIGHTS = {
        "新会员注册数": "10%",
        "会员增长率": "10%",
        "渠道转化率": "10%",
        "会员登录频次": "15%",
        "会员参与度": "10%",
        "次日留存率": "10%",
        "7日留存率": "8%",
        "30日留存率": "7%",
        "会员投诉率": "5%",
        "满意度调查得分": "10%",
        "会员推荐率": "5%",
    }

    def target(self, role: str) -> dict:
        return {
            "新会员注册数": 3000 if role == "会员运营经理" else 1200,
            "会员增长率": "5%",
            "渠道转化率": "8%",
            "会员登录频次": "",
            "会员参与度": "30%",
            "次日留存率": "40%",
            "7日留存率": "25%",
            "30日留存率": "15%",
            "会员投诉率": "0",
            "满意度调查得分": 90,
            "会员推荐率": "30%",
        }

    def targets(self):
        return [
            (role, person, item, weight, self.target(role)[item])
            for role, person in self.people
            for item, weight in self.WEIGHTS.items()
        ]

    def month(self, month):
        rows = []
        for role, person in self.people:
            lvl = lambda sd=0.08, p=person: self.level(p, sd)  # noqa: E731
            new = round(self.target(role)["新会员注册数"] * lvl())
            last = 60000 if role == "会员运营经理" else 20000
            now = round(last * (1 + 0.05 * lvl(0.3)))
            rows += [
                (person, "新会员注册数", new),
                (person, "上期会员数", f"{last:,}"),
                (person, "本期会员数", f"{now:,}"),
                (person, "渠道访客数", round(new / (0.08 * lvl()))),
                (person, "会员登录次数", round(now * 6.5 * lvl(0.15))),
                (person, "活动参与人次", round(now * 0.3 * lvl())),
                (person, "次日留存人数", round(new * 0.40 * lvl())),
                (person, "7日留存人数", round(new * 0.25 * lvl())),
                (person, "30日留存人数", round(new * 0.15 * lvl())),
                (person, "投诉数", int(self.rng.poisson(now * 0.0005 / LEVEL[person]))),
                (person, "满意度调查得分", round(min(91 * lvl(0.03), 100), 1)),
                (person, "会员推荐率", pct(0.30 * lvl(0.1))),
            ]
        return rows, None, None


class MemberRetail(Department):
    """Seed 004 篇一: store staff scored on rates derived from the store's counts."""

    name = "member_retail"
    people = [("店长", "王丽华"), ("店长", "李建国"), ("导购主管", "张敏"), ("导购", "刘洋")]
    TARGETS = {
        "开卡率": ("20%", "60%"),
        "转化率": ("20%", "25%"),
        "流失率": ("15%", "5%"),
        "回购率": ("15%", "20%"),
        "回购金额占比": ("15%", "40%"),
        "活跃度": ("15%", "35%"),
    }

    def targets(self):
        return [
            (role, person, item, w, t)
            for role, person in self.people
            for item, (w, t) in self.TARGETS.items()
        ]

    def month(self, month):
        rows = []
        for _, person in self.people:
            lvl = lambda sd=0.08, p=person: self.level(p, sd)  # noqa: E731
            visitors = round(3000 * self.noise(0.1))
            buyers = round(visitors * 0.25 * lvl())
            members = round(2000 * self.noise(0.05))
            sales = round(600000 * self.noise(0.1), -2)
            rows += [
                (person, "进店人数", visitors),
                (person, "成交人数", buyers),
                (person, "新开卡数", round(buyers * 0.6 * lvl())),
                (person, "期初会员数", members),
                (person, "流失会员数", round(members * 0.05 / lvl())),
                (person, "回购会员数", round(members * 0.2 * lvl())),
                (person, "会员回购金额", f"{round(sales * 0.4 * lvl(), -2):,.0f}"),
                (person, "销售总额", f"{sales:,.0f}"),
                (person, "活跃会员数", round(members * 0.35 * lvl())),
            ]
        return rows, None, None


class MallFloor(Department):
    """Seed 002 #7/#12: floor managers; fee collection drives the veto and the ×1.5."""

    name = "mall_floor"
    people = [
        ("楼面主管", "赵一鸣"),
        ("楼面主管", "孙婷"),
        ("楼面主管", "钱进"),
        ("楼面助理", "吴佳"),
        ("楼面助理", "郑浩"),
    ]
    WEIGHTS = {
        "联检得分": ("25%", 25),
        "数据掌握": ("35%", ""),
        "执行力": ("10%", ""),
        "纪律": ("10%", ""),
        "投诉解决": ("10%", ""),
        "调研报告": ("6%", ""),
        "培训": ("4%", ""),
    }
    # each floor's usual fee collection: 赵一鸣's floor collects 96%+ (×1.5), 吴佳's
    # stays under 75% (the month is void)
    COLLECTION = {"赵一鸣": 0.975, "孙婷": 0.92, "钱进": 0.87, "吴佳": 0.72, "郑浩": 0.86}

    def targets(self):
        return [
            (role, person, item, w, t)
            for role, person in self.people
            for item, (w, t) in self.WEIGHTS.items()
        ]

    def month(self, month):
        rows, ratings = [], []
        for _, person in self.people:
            lvl = LEVEL[person]
            weekly = np.clip(np.round(self.rng.normal(24 * lvl, 1.2, 4) * 2) / 2, 0, 25)
            rows += [(person, f"联检{k + 1}", f"{w:g}") for k, w in enumerate(weekly)]
            rows += [
                (
                    person,
                    "费用收缴率",
                    pct(self.COLLECTION[person] + self.rng.uniform(-0.004, 0.004)),
                ),
                (person, "执行力", int(self.rng.poisson(1.6 * (1.05 - lvl) * 3))),
                (person, "纪律", int(self.rng.poisson(0.8 * (1.05 - lvl) * 3))),
                (person, "投诉解决", pct(self.rng.uniform(0.04, 0.12) / lvl)),
                (person, "服务投诉", int(self.rng.poisson(0.6))),
            ]
            report = self.rng.choice(list("ABCDE"), p=self._report_odds(lvl))
            training = self.rng.choice(["达到预期", "未达预期", "未完成"], p=[0.6, 0.35, 0.05])
            ratings += [(person, "调研报告", "", report), (person, "培训", "", training)]
        return rows, None, ratings

    @staticmethod
    def _report_odds(lvl: float) -> list[float]:
        return [0.5, 0.3, 0.15, 0.05, 0.0] if lvl >= 0.9 else [0.2, 0.3, 0.3, 0.15, 0.05]

    # the rest of 2024 for the annual roll-up and the year-end bonus (issue 14); 孙婷's
    # floor collects under 75% in March and July, so those two months are void (seed
    # 002 mall 七(二): 本月考核成绩无效,同时也不计入本年度全年考核成绩)
    REST_OF_YEAR = [
        "2024-01",
        "2024-02",
        "2024-03",
        "2024-04",
        "2024-05",
        "2024-06",
        "2024-07",
        "2024-08",
        "2024-12",
    ]
    VOIDED = {("孙婷", "2024-03"), ("孙婷", "2024-07")}
    # 吴佳's floor collected about 87% before the autumn; it fell under 75% from September
    # (the three sample months above), so her months are void from then on, not all year
    EARLIER_COLLECTION = {"吴佳": 0.87}

    def write_rest_of_year(self) -> None:
        base = ROOT / "data" / self.name
        normal = dict(self.COLLECTION)
        earlier = {**normal, **self.EARLIER_COLLECTION}
        for month in self.REST_OF_YEAR:
            usual = earlier if month < MONTHS[0] else normal
            self.COLLECTION = {
                p: 0.70 if (p, month) in self.VOIDED else c for p, c in usual.items()
            }
            actuals, _, ratings = self.month(month)
            write_csv(base / "actuals" / f"{month}.csv", ["姓名", "指标", "实际值"], actuals)
            write_csv(
                base / "ratings" / f"{month}.csv", ["姓名", "指标", "评价人", "等级"], ratings
            )
        self.COLLECTION = normal


class BankBranch(Department):
    """Seed 002 #5: tellers (incidents + tasks + bonus flags) and account managers."""

    name = "bank_branch"
    people = [
        ("柜员", "陈晓燕"),
        ("柜员", "刘伟"),
        ("柜员", "杨帆"),
        ("客户经理", "黄志强"),
        ("客户经理", "周敏"),
    ]
    TELLER = {
        "出勤": ("5%", ""),
        "优质服务": ("10%", ""),
        "核算质量及内控管理": ("60%", ""),
        "日平均业务量": ("5%", "86%"),
        "分工工作质量": ("5%", ""),
        "存款": ("2%", 100000),
        "发卡量": ("2%", 20),
        "网银": ("4%", 5),
        "分红保险": ("2%", 5000),  # 全年任务5000元: scored year to date (issue 14)
        "POS商户": ("5%", 1),
    }
    MANAGER = {
        "客户经理出勤": ("5%", ""),
        "客户经理优质服务": ("5%", ""),
        "工作质量": ("10%", ""),
        "客户经理存款": ("20%", 500000),
        "到期贷款收回率": ("20%", "100%"),
        "营销企业网银": ("2%", 1),
        "营销个人网银": ("2%", 2),
        "营销POS商户": ("2%", 1),
        "营销分红保险": ("2%", 10000),
        "营销基本账户": ("2%", 1),
        "非应计贷款": ("20%", 0),
        "贷款利息收回率": ("10%", "100%"),
    }

    def targets(self):
        return [
            (role, person, item, w, t)
            for role, person in self.people
            for item, (w, t) in (self.TELLER if role == "柜员" else self.MANAGER).items()
        ]

    def month(self, month):
        rows, incidents = [], []
        m = int(month[5:7])  # calendar month, for year-to-date counts
        day = f"{month}-15"
        tellers = [p for r, p in self.people if r == "柜员"]
        errors = {p: int(self.rng.poisson(2.5 * (1.1 - LEVEL[p]) * 4)) for p in tellers}
        least = min(errors, key=errors.get)
        for role, person in self.people:
            lvl = lambda sd=0.08, p=person: self.level(p, sd)  # noqa: E731
            if role == "柜员":
                late = int(self.rng.poisson(1.5 * (1.1 - LEVEL[person]) * 4))
                complaints = int(self.rng.random() < 0.4 * (1.1 - LEVEL[person]) * 3)
                rows += [
                    (person, "日均业务量", round(120 * lvl(0.1))),
                    (person, "网点平均业务量", 120),
                    (person, "存款", f"{round(100000 * lvl(0.25), -3):,.0f}"),
                    (person, "发卡量", round(20 * lvl(0.2))),
                    (person, "个人网银", round(5 * lvl(0.25))),
                    (person, "公司网银", int(self.rng.random() < 0.2)),
                    (person, "分红保险", round(420 * lvl(0.3), -1)),
                    (person, "POS商户", int(self.rng.poisson(0.12 * m * LEVEL[person]))),
                    (person, "差错次数", errors[person]),
                    (person, "投诉次数", complaints),
                    (person, "差错率最低", int(person == least)),
                    (person, "突出贡献奖", int(person == tellers[0] and month == MONTHS[-1])),
                ]
                if late:
                    incidents.append((person, "出勤", "迟到早退溜岗", late, "", day, "考勤记录"))
                if self.rng.random() < 0.15:
                    incidents.append(
                        (person, "出勤", "超20分钟(每分钟)", 25, "", day, "迟到25分钟")
                    )
                if complaints:
                    incidents.append(
                        (person, "优质服务", "服务投诉", 1, 2, day, "客户投诉等候时间长")
                    )
                if errors[person]:
                    incidents.append(
                        (
                            person,
                            "核算质量及内控管理",
                            "事后监督差错",
                            errors[person],
                            "",
                            day,
                            "事后监督差错统计",
                        )
                    )
                if self.rng.random() < 0.5:
                    incidents.append(
                        (
                            person,
                            "核算质量及内控管理",
                            "凭证传递不及时",
                            int(self.rng.integers(1, 3)),
                            "",
                            day,
                            "",
                        )
                    )
                if self.rng.random() < 0.2:
                    incidents.append(
                        (
                            person,
                            "核算质量及内控管理",
                            "检查发现问题",
                            1,
                            3,
                            day,
                            "专项检查发现印章管理不规范",
                        )
                    )
                if self.rng.random() < 0.2:
                    incidents.append((person, "分工工作质量", "分工差错", 1, "", day, ""))
            else:
                due = round(2000000 * self.noise(0.2), -4)
                unpaid = round(due * self.rng.uniform(0, 0.06 * (1.1 - LEVEL[person]) * 5), -3)
                owed = round(80000 * self.noise(0.1))
                rows += [
                    (person, "客户经理存款", f"{round(500000 * lvl(0.2), -3):,.0f}"),
                    (person, "当月到期贷款", f"{due:,.0f}"),
                    (person, "未收回贷款", f"{unpaid:,.0f}"),
                    (person, "营销企业网银", int(self.rng.random() < 0.1 * m / 12 * 6)),
                    (person, "营销个人网银", int(self.rng.poisson(2 * LEVEL[person]))),
                    (person, "营销POS商户", int(self.rng.random() < 0.5)),
                    (person, "营销分红保险", round(10000 * m / 12 * lvl(0.3), -2)),
                    (person, "营销基本账户", int(self.rng.poisson(0.15 * m * LEVEL[person]))),
                    (person, "非应计贷款", int(self.rng.choice([0, 0, 60000, 120000]))),
                    (
                        person,
                        "实收利息",
                        round(owed * min(1.0, (0.97 + 0.03 * LEVEL[person]) * self.noise(0.01))),
                    ),
                    (person, "应收利息", owed),
                    (person, "收回表内应收利息", int(self.rng.choice([0, 0, 60000]))),
                    (person, "收回表外利息", int(self.rng.choice([0, 30000]))),
                    (person, "收回表外不良贷款", 0),
                ]
                if self.rng.random() < 0.3:
                    incidents.append((person, "客户经理出勤", "未告知擅自外出", 1, "", day, ""))
                if self.rng.random() < 0.3:
                    incidents.append(
                        (
                            person,
                            "客户经理优质服务",
                            "客户投诉",
                            1,
                            3,
                            day,
                            "贷款办理进度未告知客户",
                        )
                    )
                if self.rng.random() < 0.4:
                    incidents.append(
                        (person, "工作质量", "合同要素遗漏", 1, 0.5, day, "担保合同缺日期")
                    )
        return rows, incidents, None


class Procurement(Department):
    """Seed 004 篇四: deductions from incidents, rated attitude and abilities, 300 points."""

    name = "procurement"
    people = [
        ("采购员", "何军"),
        ("采购计划员", "梁静"),
        ("备品备件库仓管", "马超"),
        ("板材库仓管", "罗欣"),
        ("长网车间原材料库仓管", "宋涛"),
        ("圆网车间原材料库仓管", "唐莉"),
    ]
    WORK = {
        "采购员": "采购工作业绩",
        "采购计划员": "采购工作业绩",
        "备品备件库仓管": "备品备件库工作业绩",
    }
    KINDS = {
        "采购工作业绩": [("采购不及时", None), ("ERP数据录入错误", None), ("发票管理差错", None)],
        "备品备件库工作业绩": [
            ("物品分类不清", None),
            ("错发物品", (5, 10)),
            ("仓库有异物", None),
            ("未及时预警安全库存", None),
        ],
        "原材料库工作业绩": [
            ("物料摆放混乱", None),
            ("物料标识不清", None),
            ("仓库有异物", None),
            ("管理不善导致板材报废", (20, 30)),
        ],
    }
    ABILITIES = ["基本能力", "协调能力", "执行能力", "学习能力", "管理统筹能力"]

    def work_item(self, role: str) -> str:
        return self.WORK.get(role, "原材料库工作业绩")

    def targets(self):
        third, fifteenth = "33.3333333333%", "6.6666666667%"
        rows = []
        for role, person in self.people:
            rows += [
                (role, person, self.work_item(role), third, ""),
                (role, person, "工作态度", third, ""),
            ]
            rows += [(role, person, a, fifteenth, "") for a in self.ABILITIES]
        return rows

    def month(self, month):
        rows, incidents, ratings = [], [], []
        day = f"{month}-20"
        for role, person in self.people:
            lvl = LEVEL[person]
            item = self.work_item(role)
            for kind, ranged in self.KINDS[item]:
                count = int(self.rng.poisson(1.2 * (1.1 - lvl) * 4))
                if not count:
                    continue
                if ranged:  # ranged kinds: one row per incident with the points decided
                    incidents += [
                        (person, item, kind, 1, int(self.rng.integers(*ranged)), day, "")
                        for _ in range(min(count, 1))
                    ]
                else:
                    incidents.append((person, item, kind, count, "", day, ""))
            ladder = ["优秀", "良好", "一般", "较差"]
            for rater in ("生产部门", "考评小组"):
                ratings.append((person, "工作态度", rater, ladder[self._rank(lvl)]))
            for ability in self.ABILITIES:
                ratings.append((person, ability, "考评小组", "优良中差"[self._rank(lvl)]))
            if self.rng.random() < 0.3:
                rows.append((person, "超勤", int(self.rng.integers(1, 3))))
        rows.append((self.people[0][1], "建议采纳奖励", 30))
        return rows, incidents, ratings

    def _rank(self, lvl: float) -> int:
        return int(np.clip(np.round((1.0 - lvl) * 10 + self.rng.normal(0, 0.8)), 0, 3))


class Ecommerce(Department):
    """Seed 002 #4 / 003: operations, promotion and customer service, rates from counts."""

    name = "ecommerce"
    people = [
        ("电商运营专员", "方磊"),
        ("电商运营专员", "许静"),
        ("推广专员", "冯雪"),
        ("推广专员", "蒋涛"),
        ("在线客服专员", "韩梅"),
        ("在线客服专员", "曹宇"),
        ("在线客服专员", "彭丽"),
    ]
    ITEMS = {
        "电商运营专员": {
            "PV": ("10%", 500000),
            "人均访问页面": ("10%", 4),
            "成交人数": ("10%", 3000),
            "订单转换率": ("15%", "2.5%"),
            "GMV": ("35%", 900000),
            "平均停留时长": ("5%", 120),
            "客单价": ("15%", 300),
        },
        "推广专员": {
            "UV": ("25%", 150000),
            "到达率": ("10%", "60%"),
            "跳出率": ("15%", "45%"),
            "UV获取成本": ("15%", 2),
            "ROI": ("25%", 3),
            "新增UV": ("10%", 60000),
        },
        "在线客服专员": {
            "响应时间": ("15%", ""),
            "服务态度": ("10%", ""),
            "差评次数": ("10%", ""),
            "咨询转换率": ("25%", "35%"),
            "成交额转换率": ("10%", "100%"),
            "退货率": ("10%", "5%"),
            "换货率": ("10%", "3%"),
            "退款率": ("10%", "4%"),
        },
    }

    def targets(self):
        return [
            (role, person, item, w, t)
            for role, person in self.people
            for item, (w, t) in self.ITEMS[role].items()
        ]

    def month(self, month):
        rows = []
        for role, person in self.people:
            lvl = lambda sd=0.08, p=person: self.level(p, sd)  # noqa: E731
            if role == "电商运营专员":
                uv = round(125000 * self.noise(0.1))
                buyers = round(uv * 0.025 * lvl())
                rows += [
                    (person, "UV量", f"{uv:,}"),
                    (person, "PV", f"{round(uv * 4 * lvl()):,}"),
                    (person, "成交人数", buyers),
                    (person, "成交金额", f"{round(buyers * 300 * lvl(0.05), -2):,.0f}"),
                    (person, "平均停留时长", round(120 * lvl(0.1))),
                ]
            elif role == "推广专员":
                uv = round(150000 * lvl())
                cost = round(uv * 2 / lvl(0.05), -2)
                rows += [
                    (person, "UV量", f"{uv:,}"),
                    (person, "广告展现次数", f"{round(uv * 2.5):,}"),
                    (person, "页面到达次数", f"{round(uv * 2.5 * 0.6 * lvl(0.05)):,}"),
                    (person, "跳出率", pct(0.45 / lvl(0.05))),
                    (person, "推广费用", f"{cost:,.0f}"),
                    (person, "成交金额", f"{round(cost * 3 * lvl(), -2):,.0f}"),
                    (person, "新增UV", f"{round(60000 * lvl()):,}"),
                ]
            else:
                served = round(3000 * self.noise(0.1))
                paid = round(served * 0.35 * lvl())
                orders = round(paid * 1.1)
                rows += [
                    (person, "响应时间", round(28 / lvl(0.1))),
                    (person, "服务态度", int(self.rng.poisson(3 * (1.1 - LEVEL[person]) * 4))),
                    (person, "差评次数", int(self.rng.poisson(2 * (1.1 - LEVEL[person])))),
                    (person, "接待UV", served),
                    (person, "付款UV", paid),
                    (person, "个人成交金额", f"{round(300000 * lvl(), -2):,.0f}"),
                    (person, "客服部平均成交金额", "300,000"),
                    (person, "咨询转换单量", orders),
                    (person, "退单量", round(orders * 0.05 / lvl())),
                    (person, "换单量", round(orders * 0.03 / lvl())),
                    (person, "退款UV", round(paid * 0.04 / lvl())),
                ]
        return rows, None, None


REGIONAL_PERIODS = ["2024-B4", "2024-B5", "2024-B6"]


def write_regional_sales() -> None:
    """Seed 002 regional sales: 地区主管 appraised per two-month period (2024-B4..B6) on
    回款 against the period's task; fixed figures, so each pay tier and each level move
    shows: 白云飞 (A) at 80% in B5 is paid at B级 in B6 (降一级); 苏晴 (B) over 100% in B4
    and B5 is paid at A级 in B6 (晋升一级); 贺新 (C) under 85% in B4 and B5 is 另行安排其他
    职位 and gone in B6; 林涛, new in B6, is paid at E级 (试用期)."""
    base = ROOT / "data" / "regional_sales"
    people = {
        "白云飞": ("A级地区主管", 4_000_000),
        "苏晴": ("B级地区主管", 3_000_000),
        "贺新": ("C级地区主管", 2_000_000),
        "林涛": ("地区主管(试用期)", 1_500_000),
    }
    done = {
        "2024-B4": {"白云飞": 0.96, "苏晴": 1.03, "贺新": 0.83},
        "2024-B5": {"白云飞": 0.80, "苏晴": 1.05, "贺新": 0.80},
        "2024-B6": {"白云飞": 0.92, "苏晴": 0.96, "林涛": 0.97},
    }
    for period, shares in done.items():
        write_csv(
            base / "targets" / f"{period}.csv",
            ["岗位", "姓名", "指标", "权重", "目标值"],
            [(people[p][0], p, "回款", "100%", people[p][1]) for p in shares],
        )
        write_csv(
            base / "actuals" / f"{period}.csv",
            ["姓名", "指标", "实际值"],
            [(p, "回款", round(people[p][1] * s)) for p, s in shares.items()],
        )


BANK_EARLIER = [f"2024-{m:02d}" for m in range(1, 9)]

DEPARTMENTS = [MemberOps, MemberRetail, MallFloor, BankBranch, Procurement, Ecommerce]


def main() -> None:
    rng = np.random.default_rng(SEED)
    for department in DEPARTMENTS:
        department(rng).write()
        print(f"wrote data/{department.name}: targets.csv and {', '.join(MONTHS)}")
    # after every department, from its own random stream: the months above stay as they were
    MallFloor(np.random.default_rng(SEED + 1)).write_rest_of_year()
    print(f"wrote data/mall_floor: {', '.join(MallFloor.REST_OF_YEAR)}")
    # the bank's 分红保险 and POS商户 are scored year to date: January to August too
    BankBranch(np.random.default_rng(SEED + 2)).write_months(BANK_EARLIER)
    print(f"wrote data/bank_branch: {', '.join(BANK_EARLIER)}")
    write_regional_sales()
    print(f"wrote data/regional_sales: {', '.join(REGIONAL_PERIODS)}")


if __name__ == "__main__":
    main()
