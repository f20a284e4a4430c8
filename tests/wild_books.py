"""Workbooks imitating public Chinese appraisal templates the readers were not built on.

Each builder writes one file into a folder and returns its path. The cells follow
templates found on template sites and in HR forums (titles, label rows, merged
two-row headers, 合计/小计/签字 rows, hidden helper columns, a list sheet for
data validation, one sheet per department, a GBK export with trailing commas);
the expected readings are worked out by hand in tests/test_wild_workbooks.py.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.worksheet.datavalidation import DataValidation


def _sheet(wb, name, rows, merges=(), hidden_cols=(), state="visible"):
    ws = wb.create_sheet(name)
    for row in rows:
        ws.append(list(row))
    for rng in merges:
        ws.merge_cells(rng)
    for col in hidden_cols:
        ws.column_dimensions[col].hidden = True
    ws.sheet_state = state
    return ws


def _new():
    wb = Workbook()
    wb.remove(wb.active)
    return wb


CRITERIA = "完成目标得满分；每低于目标5%扣该项10%；低于目标70%不得分"


def monthly(folder: Path) -> Path:
    """月度绩效考核表: company title, label row, merged 2-row header, 考核维度 merged
    down, 合计 row, 签字 rows. Scores 0-100; 得分 = 权重 × 上级评分."""
    rows = [
        ["深圳市某某科技有限公司月度绩效考核表"],
        [
            "部门：市场部",
            None,
            "岗位：市场专员",
            None,
            "考核月份：2024年11月",
            None,
            "姓名：王小明",
        ],
        ["考核维度", "考核指标", "权重", "评分标准", "目标值", "实际完成", "评分", None, "得分"],
        [None, None, None, None, None, None, "自评", "上级评分", None],
        ["业绩指标", "销售额（元）", "30%", CRITERIA, 500000, 450000, 85, 80, 24],
        [None, "新客户数", "20%", CRITERIA, 20, 22, 100, 100, 20],
        [None, "回款率", "20%", CRITERIA, "95%", "90%", 90, 85, 17],
        ["能力态度", "团队协作", "15%", "主动配合同事，按时交付", "-", "-", 90, 90, 13.5],
        [None, "工作主动性", "15%", "主动发现并解决问题", "-", "-", 80, 70, 10.5],
        ["合计", None, "100%", None, None, None, None, None, 85],
        ["被考核人签字：", None, None, "直接上级签字：", None, None, "日期：", None, None],
    ]
    merges = ["A1:I1", "A3:A4", "B3:B4", "C3:C4", "D3:D4", "E3:E4", "F3:F4", "G3:H3", "I3:I4"]
    merges += ["A5:A7", "A8:A9"]
    wb = _new()
    _sheet(wb, "11月", rows, merges)
    path = folder / "月度绩效考核表.xlsx"
    wb.save(path)
    return path


def annual(folder: Path) -> Path:
    """年度考核表 per person: label pairs without colons, 分值 (points) items scored in
    points, a 述职 text block and 上级评语 below, 考核等级 at the end."""
    review = (
        "本年度本人主要负责公司总账与税务申报工作，按时完成月结、年结和各项税务申报，"
        "全年无差错；配合完成年度审计。不足之处是对业务部门的费用控制支持不够，明年改进。"
    )
    rows = [
        ["2024年度员工绩效考核表"],
        ["姓名", "李华", "部门", "财务部", "岗位", "会计"],
        ["序号", "考核项目", "考核内容", "分值", "自评", "上级评分"],
        [1, "工作业绩", "月结、年结按时准确，税务申报零差错", 40, 38, 36],
        [2, "工作能力", "专业知识扎实，能独立处理账务问题", 30, 27, 26],
        [3, "工作态度", "遵守制度，积极主动", 20, 18, 18],
        [4, "团队合作", "配合审计与业务部门", 10, 9, 8],
        ["合计", None, None, 100, 92, 88],
        [],
        ["个人述职", review],
        ["上级评语", "工作认真负责，账务准确。"],
        ["考核等级：良好"],
    ]
    wb = _new()
    _sheet(wb, "年度考核", rows, ["A1:F1", "B10:F10", "B11:F11"])
    path = folder / "2024年度考核表-李华.xlsx"
    wb.save(path)
    return path


def kpi_library(folder: Path) -> Path:
    """KPI 指标库: indicators with definitions and long 评分标准, no people, no values."""
    rows = [
        ["公司KPI指标库（2024版）"],
        ["序号", "指标类别", "KPI指标", "指标定义", "计算公式", "评分标准", "权重", "数据来源"],
        [1, "财务", "销售额", "当月含税销售额", "∑订单金额", CRITERIA, "30%", "财务部"],
        [
            2,
            "财务",
            "毛利率",
            "毛利/销售额",
            "(收入-成本)/收入",
            "≥25%满分，每低1%扣5分",
            "20%",
            "财务部",
        ],
        [
            3,
            "客户",
            "客户满意度",
            "季度调查得分",
            "调查均分",
            "≥90分满分；80-90分得80%",
            "20%",
            "客服部",
        ],
        [
            4,
            "内部流程",
            "订单准时交付率",
            "按期交付订单占比",
            "准时单数/总单数",
            "≥98%满分",
            "15%",
            "生产部",
        ],
        [
            5,
            "学习成长",
            "培训完成率",
            "完成培训课时占比",
            "实际课时/计划课时",
            "100%满分",
            "15%",
            "人事部",
        ],
    ]
    wb = _new()
    _sheet(wb, "KPI库", rows, ["A1:H1"])
    path = folder / "KPI指标库.xlsx"
    wb.save(path)
    return path


def three_sixty(folder: Path) -> Path:
    """360 度评估表: several raters, each a column with its weight in the header."""
    rows = [
        ["360度评估汇总表（2024年第四季度）"],
        [
            "被评价人",
            "评价维度",
            "权重",
            "上级（40%）",
            "同事（30%）",
            "下属（20%）",
            "自评（10%）",
            "加权得分",
        ],
        ["周杰", "沟通协作", "30%", 85, 80, 90, 95, 85.5],
        [None, "专业能力", "40%", 90, 85, 80, 90, 86.5],
        [None, "责任心", "30%", 80, 90, 85, 100, 86],
        ["赵敏", "沟通协作", "30%", 70, 75, 80, 90, 75.5],
        [None, "专业能力", "40%", 80, 70, 75, 85, 76.5],
        [None, "责任心", "30%", 90, 80, 70, 80, 82],
    ]
    wb = _new()
    _sheet(wb, "360评估", rows, ["A1:H1", "A3:A5", "A6:A8"])
    path = folder / "360度评估表.xlsx"
    wb.save(path)
    return path


def commission(folder: Path) -> Path:
    """销售提成表: one row per person, target, actual, rate, commission; 合计 row."""
    rows = [
        ["2024年11月销售人员提成核算表"],
        [
            "序号",
            "姓名",
            "区域",
            "销售目标",
            "实际销售额",
            "完成率",
            "提成比例",
            "提成金额",
            "备注",
        ],
        [1, "孙丽", "华东", 300000, 330000, "110%", "3%", 9900, None],
        [2, "钱伟", "华南", 250000, 200000, "80%", "2%", 4000, "未达标"],
        [3, "吴刚", "华北", 200000, 210000, "105%", "3%", 6300, None],
        ["合计", None, None, 750000, 740000, None, None, 20200, None],
    ]
    wb = _new()
    _sheet(wb, "提成", rows, ["A1:I1"])
    path = folder / "销售提成表.xlsx"
    wb.save(path)
    return path


def wps_helpers(folder: Path) -> Path:
    """A WPS-style workbook: hidden helper columns (工号 and a lookup 系数) and a visible
    下拉选项 sheet feeding a 数据有效性 list for 等级."""
    rows = [
        ["客服部11月绩效考核汇总"],
        [
            "序号",
            "工号",
            "姓名",
            "辅助列",
            "接通率（40%）",
            "满意度（40%）",
            "质检（20%）",
            "总分",
            "等级",
        ],
        [1, "KF001", "陈晨", 1.0, 95, 90, 80, 90, "B"],
        [2, "KF002", "林琳", 1.0, 100, 95, 90, 96, "A"],
        [3, "KF003", "黄海", 0.8, 80, 70, 60, 72, "C"],
    ]
    wb = _new()
    ws = _sheet(wb, "考核表", rows, ["A1:I1"], hidden_cols=("B", "D"))
    lists = [["等级", "部门"], ["A", "客服部"], ["B", "销售部"], ["C", None], ["D", None]]
    _sheet(wb, "下拉选项", lists)
    dv = DataValidation(type="list", formula1="=下拉选项!$A$2:$A$5")
    ws.add_data_validation(dv)
    dv.add("I3:I5")
    path = folder / "客服部绩效汇总.xlsx"
    wb.save(path)
    return path


def sections_with_subtotals(folder: Path) -> Path:
    """People merged down the first column, 考核类别 merged down, a 小计 per section and
    a 合计 per person (小计 sits in the 考核类别 column, not the first one)."""
    rows = [
        ["生产部班组长绩效考核表（2024年11月）"],
        ["姓名", "考核类别", "考核指标", "权重", "目标", "实际", "得分"],
        ["郑强", "生产", "产量达成率", "40%", "100%", "98%", 39.2],
        [None, None, "良品率", "30%", "99%", "99.5%", 30],
        [None, "小计", None, "70%", None, None, 69.2],
        [None, "管理", "安全事故", "20%", 0, 0, 20],
        [None, None, "5S检查", "10%", 90, 85, 9.4],
        [None, "小计", None, "30%", None, None, 29.4],
        [None, "合计", None, "100%", None, None, 98.6],
        ["冯雪", "生产", "产量达成率", "40%", "100%", "90%", 36],
        [None, None, "良品率", "30%", "99%", "97%", 29.4],
        [None, "小计", None, "70%", None, None, 65.4],
        [None, "管理", "安全事故", "20%", 0, 1, 0],
        [None, None, "5S检查", "10%", 90, 95, 10],
        [None, "小计", None, "30%", None, None, 10],
        [None, "合计", None, "100%", None, None, 75.4],
    ]
    merges = ["A1:G1", "A3:A9", "B3:B4", "B6:B7", "A10:A16", "B10:B11", "B13:B14"]
    wb = _new()
    _sheet(wb, "班组长", rows, merges)
    path = folder / "班组长考核表.xlsx"
    wb.save(path)
    return path


def per_department(folder: Path) -> Path:
    """One sheet per department, several people each, 姓名 and 岗位 merged down."""
    wb = _new()
    header = ["姓名", "岗位", "考核指标", "权重", "目标值", "实际值", "得分"]
    sales = [
        ["销售部11月考核"],
        header,
        ["蒋文", "销售经理", "销售额", "70%", 1000000, 900000, 63],
        [None, None, "回款率", "30%", "95%", "95%", 30],
        ["韩梅", "销售专员", "销售额", "70%", 300000, 330000, 70],
        [None, None, "回款率", "30%", "95%", "85%", 26.8],
    ]
    tech = [
        ["技术部11月考核"],
        header,
        ["杨帆", "开发工程师", "需求按期交付率", "60%", "95%", "100%", 60],
        [None, None, "线上缺陷数", "40%", 2, 3, 30],
        ["朱琳", "测试工程师", "用例覆盖率", "100%", "90%", "81%", 90],
    ]
    _sheet(wb, "销售部", sales, ["A1:G1", "A3:A4", "B3:B4", "A5:A6", "B5:B6"])
    _sheet(wb, "技术部", tech, ["A1:G1", "A3:A4", "B3:B4"])
    path = folder / "各部门11月考核.xlsx"
    wb.save(path)
    return path


def hr_suite_csv(folder: Path) -> Path:
    """A CSV exported by an HR suite: GBK without BOM, a title line, 员工编号 and 员工姓名,
    trailing empty columns on every line."""
    lines = [
        "绩效考核结果明细导出,,,,,,,,,,",
        "员工编号,员工姓名,所属部门,考核周期,指标名称,权重,目标值,实际值,得分,,",
        "10023,许静,行政部,2024-11,费用预算控制率,50%,100%,96%,48,,",
        "10023,许静,行政部,2024-11,会议组织满意度,50%,90,92,50,,",
        "10031,何亮,行政部,2024-11,费用预算控制率,50%,100%,105%,40,,",
        "10031,何亮,行政部,2024-11,会议组织满意度,50%,90,80,44.4,,",
        ",,,,,,,,,,",
    ]
    path = folder / "绩效明细_202411.csv"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("gbk"))
    return path


BUILDERS = {
    "monthly": monthly,
    "annual": annual,
    "kpi_library": kpi_library,
    "three_sixty": three_sixty,
    "commission": commission,
    "wps_helpers": wps_helpers,
    "sections_with_subtotals": sections_with_subtotals,
    "per_department": per_department,
    "hr_suite_csv": hr_suite_csv,
}
