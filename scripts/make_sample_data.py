"""Generate the shipped sample inputs, once, with a fixed seed.

    python scripts/make_sample_data.py

Writes data/channel_ops/targets.xlsx (seed 000's table, exactly as the seed
gives it, in the HR layout) and data/channel_ops/actuals/2024-01.csv ..
2024-12.csv (long layout; 2024-06..11 first, then the rest of the year from a second
random stream). The actuals are plausible against the targets: each
person has a steady level (most around 80-110%, a few well below 60%) plus
month-to-month noise; task counts are whole numbers.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

ROOT = Path(__file__).resolve().parent.parent
MONTHS = ["2024-06", "2024-07", "2024-08", "2024-09", "2024-10", "2024-11"]

# 岗位, 姓名, 英文名, 指标, 权重, 目标值, 备注 — copied from seed 000 row by row.
# A row whose 岗位/姓名 are empty continues the person above; an empty 指标 is a
# further sub-item of the indicator above.
SEED_000 = [
    ("部门负责人岗", "胡百川", "Baichuan", "GMV", 0.40, 17650000, "当月B2B业务的GMV"),
    (
        "",
        "",
        "",
        "部门管理绩效(项)",
        0.30,
        3,
        "1、服务升级的全面落地（系统技术、BD对外输出、客服部门的配套服务） 2、团房业务的升级落地（系统迭代、流程优化、数据分析框架） 3、基于客户盘点结果的运营策略落地，通过各类运营动作，走通新激活客户，及唤醒沉默客户的路径并带来实际效果",
    ),
    ("", "", "", "产单客户数", 0.15, 30, "月GMV10W以上的KA客数数"),
    (
        "",
        "",
        "",
        "客户唤醒&激活",
        0.15,
        135,
        "通过各类运营动作，新激活客户，及唤醒沉默客户，合计数量",
    ),
    *[
        row
        for name, en, gmv, cust in [
            ("危鹤坚", "Jason", 2400000, 68),
            ("何嘉健", "Carl", 2400000, 68),
            ("曾志伟", "Amy", 2400000, 68),
            ("罗康辉", "Frank", 2400000, 68),
            ("张诚磊", "Gehry", 2400000, 68),
            ("潘君捷", "/", 1500000, 42),
            ("钱玉欧", "Alvin", 2400000, 68),
            ("徐海龙", "Klose", 1000000, 28),
            ("邓文", "Devin", 750000, 21),
        ]
        for row in (
            ("商务岗", name, en, "GMV指标", 0.70, gmv, ""),
            ("", "", "", "有产客户数", 0.30, cust, ""),
        )
    ],
    (
        "渠道运营岗",
        "高艳艳",
        "/",
        "活动GMV&玩乐GMV (含广发项目GMV)",
        0.30,
        2847500,
        "各类促活、促销、营销活动直接转化的GMV，及玩乐品类GMV",
    ),
    (
        "",
        "",
        "",
        "客户唤醒&激活",
        0.30,
        135,
        "通过各类运营动作，新激活客户，及唤醒沉默客户，合计数量",
    ),
    (
        "",
        "",
        "",
        "关键业务推进",
        0.20,
        2,
        "1、服务升级的落地（系统技术、BD对外输出、客服部门的配套服务） 2、会员权益体系的升级落地（系统技术、BD对外输出、客户交付）",
    ),
    (
        "",
        "",
        "",
        "系统和数据分析",
        0.20,
        2,
        "1、结合业务实际需求，优化现有数据分析框架； 2、结合业务实际需求，确定和启动系统优化迭代方案；",
    ),
    ("渠道运营岗", "林燕", "Dorcas", "直连酒店GMV", 0.50, 1323750, ""),
    ("", "", "", "API客户GMV", 0.30, 1500000, ""),
    ("", "", "", "业务运营", 0.10, 3, "①新增API客户的上线跟产单"),
    ("", "", "", "", 0.05, 1, "②API技术需求整理及Q&A进一步优化"),
    ("", "", "", "", 0.05, 1, "③直连资源的优化，制定O类资源的进一步细分及资源开发申请制度"),
    ("渠道运营岗", "王智英", "Christina", "直采GMV", 0.70, 3530000, "直采产品GMV（不含团房）"),
    (
        "",
        "",
        "",
        "直采产品运营策略及执行",
        0.20,
        1,
        "优化直采产品运营策略，并通过CRM和BD体系精准推送，实现转化",
    ),
    ("", "", "", "定向直采跟进", 0.10, 12, "推动、协助直采团队完成重要产品定向直采"),
    (
        "渠道运营岗",
        "丘珊珊",
        "Sansa",
        "GMV",
        0.70,
        5040000,
        "华南区域KA客户GMV（区域总GMV目标的70%）",
    ),
    ("", "", "", "高产客户数", 0.20, 11, "月GMV达到10W以上的产单客户数"),
    (
        "",
        "",
        "",
        "客户盘点分析",
        0.10,
        10,
        "1、协助华南区域3位BD进行客户盘点，完成KA分析报告不少于15份，5分； 2、定期和BD复盘客户并公共对应的运营策略和BD建议，输出复盘工作报告，5分；",
    ),
    ("渠道运营岗", "郑伟林", "William", "玩乐业务GMV", 0.40, 150000, "玩乐业务在B2B产生的GMV"),
    ("", "", "", "广发项目GMV", 0.40, 50000, "广发银行信用卡项目产生的GMV"),
    (
        "",
        "",
        "",
        "售前支持",
        0.20,
        2,
        "工作日的网页售前支持；基于客户售前需求，升级现有的服务模式，提高售前咨询的客户满意度",
    ),
    (
        "渠道运营岗",
        "李佳苓",
        "Jolin",
        "促销活动GMV",
        0.55,
        2647500,
        "针对客户需求，在总体补贴策略框架下，设计各类促销活动玩法，通过促销、补贴类优惠券带来的增量GMV",
    ),
    (
        "",
        "",
        "",
        "客户运营&销售支持",
        0.10,
        135,
        "1、通过各类运营动作，对待激活、待复购、沉默客户进行触达，完成客户新客户转化及老客户唤醒。",
    ),
    ("", "", "", "", 0.25, 1, "2、大促、转化、唤醒等营销活动策划及落地。"),
    (
        "",
        "",
        "",
        "数据分析",
        0.10,
        2,
        "1、针对各类营销活动进行活动复盘 2、对发放的各类优惠券从发放、使用、优惠力度等更细的维度进行分析。",
    ),
    ("渠道运营岗", "李一卉", "/", "GMV", 0.70, 2205000, "华南区域KA客户GMV（区域总GMV目标的70%）"),
    ("", "", "", "高产客户数", 0.20, 6, "月GMV达到10W以上的产单客户数"),
    (
        "",
        "",
        "",
        "客户盘点分析",
        0.10,
        10,
        "协助华南区域2位BD进行客户盘点，完成KA分析报告不少于10份",
    ),
    ("渠道运营岗", "谢徐亮", "/", "KA GMV", 0.60, 12355000, "来自KA客户的总GMV"),
    ("", "", "", "高产客户数", 0.20, 30, "月GMV达到10W以上的产单客户数"),
    (
        "",
        "",
        "",
        "大客户运营团队管理",
        0.20,
        1,
        "建立大客户运营团队的内部管理体系，输出：大客户运营规则 and 标准流程",
    ),
    (
        "渠道运营岗",
        "陈春春",
        "Cici",
        "团房业务GMV",
        0.70,
        1500000,
        "团房业务GMV（系统团房+手工团房，含EBK团房）",
    ),
    (
        "",
        "",
        "",
        "团房业务流程和数据分析",
        0.20,
        1,
        "对当前团房系统和流程，建立业务数据分析框架，进行业务诊断分析，发现问题，提出优化方案",
    ),
    (
        "",
        "",
        "",
        "团房业务团队建设",
        0.10,
        1,
        "业务团队初步整合，明确业务目标和抓手，输出内部岗位职责和工作内容分工说明",
    ),
]
HEADER = ["岗位", "姓名", "英文名", "指标", "权重", "目标值", "备注"]

# each person's steady level of completion; a few are well below 60%
LEVEL = {
    "胡百川": 0.95,
    "危鹤坚": 1.08,
    "何嘉健": 0.88,
    "曾志伟": 0.52,
    "罗康辉": 0.97,
    "张诚磊": 0.74,
    "潘君捷": 0.45,
    "钱玉欧": 1.02,
    "徐海龙": 0.83,
    "邓文": 0.62,
    "高艳艳": 0.9,
    "林燕": 1.05,
    "王智英": 0.86,
    "丘珊珊": 0.99,
    "郑伟林": 0.58,
    "李佳苓": 0.93,
    "李一卉": 0.79,
    "谢徐亮": 1.1,
    "陈春春": 0.68,
}


def write_targets(path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = "绩效目标"
    sheet.append(["渠道运营中心 2024年11月绩效目标"])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append(HEADER)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in SEED_000:
        sheet.append(list(row))
        sheet.cell(sheet.max_row, 5).number_format = "0%"
        sheet.cell(sheet.max_row, 7).alignment = Alignment(wrap_text=True)
    for col, width in zip("ABCDEFG", (12, 8, 10, 30, 7, 12, 60), strict=True):
        sheet.column_dimensions[col].width = width
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)


def items():
    """(person, item, target, is_count) with sub-items named like read_targets does."""
    person, out, circled = None, [], "①②③④⑤"
    for i, (_, name, _, indicator, *_) in enumerate(SEED_000):
        person = name or person
        if indicator == "":
            continue
        subs = 1
        while (
            i + subs < len(SEED_000) and SEED_000[i + subs][3] == "" and not SEED_000[i + subs][1]
        ):
            subs += 1
        for k in range(subs):
            t = SEED_000[i + k][5]
            label = indicator + circled[k] if subs > 1 else indicator
            out.append((person, label, t, t < 200))
    return out


# the rest of 2024, for the annual report and roll-ups (issue 14): made after MONTHS with
# their own random stream, so the files of MONTHS stay byte for byte as they were
REST_OF_YEAR = ["2024-01", "2024-02", "2024-03", "2024-04", "2024-05", "2024-12"]


def write_actuals(
    folder: Path, rng: np.random.Generator, months=MONTHS, trend_of=lambda m: 0.96 + 0.015 * m
) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for m, month in enumerate(months):
        trend = trend_of(m)  # the year picks up towards November
        with open(folder / f"{month}.csv", "w", newline="", encoding="utf-8") as f:
            out = csv.writer(f)
            out.writerow(["姓名", "指标", "实际值"])
            for person, item, target, is_count in items():
                level = LEVEL[person] * trend * rng.normal(1.0, 0.12)
                if is_count:
                    value = int(np.clip(np.round(target * level), 0, np.ceil(target * 1.3)))
                else:
                    value = int(round(max(level, 0.05) * target, -2))
                out.writerow([person, item, value])


def main() -> None:
    rng = np.random.default_rng(20241130)
    write_targets(ROOT / "data/channel_ops/targets.xlsx")
    write_actuals(ROOT / "data/channel_ops/actuals", rng)
    calendar = [int(m[5:]) for m in REST_OF_YEAR]
    write_actuals(
        ROOT / "data/channel_ops/actuals",
        np.random.default_rng(20241231),
        REST_OF_YEAR,
        lambda m: 0.96 + 0.015 * (calendar[m] - 6),  # the same trend, January to December
    )
    print("wrote data/channel_ops/targets.xlsx and actuals for", ", ".join(MONTHS + REST_OF_YEAR))


if __name__ == "__main__":
    main()
