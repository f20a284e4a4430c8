"""Real appraisal workbooks read as they are (issue 16, layouts 1-13).

Each fixture imitates one layout found in public Chinese appraisal workbooks; the
expected rows are worked out by hand from the fixture's own cells.
"""

import pytest
from openpyxl import Workbook

from kpilib.sheets.layout import read_file


def book(path, sheets: dict, merges: dict | None = None, hidden=()):
    """Write a workbook: ``{sheet: [rows]}``, ``merges={sheet: ["A1:B1"]}``."""
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(list(row))
        for rng in (merges or {}).get(name, []):
            ws.merge_cells(rng)
        if name in hidden:
            ws.sheet_state = "hidden"
    wb.save(path)
    return path


def rows(reading, *keys):
    keys = keys or ("person", "indicator", "weight", "target", "actual", "score")
    return [tuple(r[k] for k in keys) for r in reading.rows]


def codes(reading):
    return [p.code for p in reading.problems]


# ---------------------------------------------------------------- 1. the person column


@pytest.mark.parametrize("header", ["员工姓名", "被考核人", "名字", "姓    名", "員工姓名"])
def test_1_person_under_other_headers(tmp_path, header):
    path = book(
        tmp_path / "a.xlsx",
        {
            "11月": [
                ["2024年11月销售部绩效考核表"],
                [header, "考核项目", "权重", "目标", "完成值"],
                ["张三", "销售额", "60%", 100, 90],
                [None, "回款率", "40%", "100%", "95%"],
            ]
        },
    )
    r = read_file(path)
    assert rows(r, "person", "indicator", "weight", "target", "actual") == [
        ("张三", "销售额", 0.6, 100, 90),
        ("张三", "回款率", 0.4, 1.0, 0.95),
    ]
    assert r.problems == [] and r.skipped[0]["row"] == 1


def test_1_employee_code_with_names_from_a_roster(tmp_path):
    roster = tmp_path / "花名册.csv"
    roster.write_text("工号,姓名,部门\nE001,张三,销售部\nE002,李四,销售部\n", encoding="utf-8")
    path = tmp_path / "a.csv"
    path.write_text(
        "工号,指标,权重,目标值,实际值\nE001,销售额,100%,100,80\nE002,销售额,100%,100,120\n"
    )
    r = read_file(path, roster=roster)
    assert rows(r, "person", "indicator", "actual") == [
        ("张三", "销售额", 80),
        ("李四", "销售额", 120),
    ]


def test_1_no_header_over_the_name_column(tmp_path):
    path = book(
        tmp_path / "a.xlsx",
        {
            "汇总": [
                ["", "销售额（业绩）60%", "回款（业绩）40%", "总分", "等级"],
                ["张三", 90, 80, 86, "B"],
            ]
        },
    )
    r = read_file(path)
    assert rows(r, "person", "indicator", "weight", "actual") == [
        ("张三", "销售额", 0.6, 90),
        ("张三", "回款", 0.4, 80),
    ]
    assert r.totals == {"张三": 86} and r.grades == {"张三": "B"}
    assert r.columns["(无表头)"] == "姓名"


# ---------------------------------------------------------------- 2. one form per person


def form(name, items, total, grade=None, dept="研发部"):
    """A per-person form: labels, header, items (项目, 权重, 自评, 上级评分), 合计 row."""
    out = [[f"姓名：{name}", None, f"部门：{dept}"], ["考核期间：2024年11月"]]
    out.append(["序号", "考核项目", "权重", "自评", "上级评分"])
    out += [[k + 1, *item] for k, item in enumerate(items)]
    out.append(["合计", None, "100%", None, total])
    if grade:
        out.append([f"考核等级：{grade}"])
    return out


ZHANG = [("工作质量", "40%", 90, 85), ("工作效率", "30%", 80, 80), ("团队协作", "30%", 100, None)]
LI = [("工作质量", "50%", 70, 60), ("工作效率", "50%", 80, 90)]


def test_2_two_forms_stacked_on_one_sheet(tmp_path):
    sheet = form("张三", ZHANG, 88, "B") + [[]] + form("李四", LI, 75)
    r = read_file(book(tmp_path / "forms.xlsx", {"考核表": sheet}))
    # leader's score over the self score; 团队协作 has no leader score: the self score
    assert rows(r, "person", "indicator", "weight", "self_score", "leader_score", "score") == [
        ("张三", "工作质量", 0.4, 90, 85, 85),
        ("张三", "工作效率", 0.3, 80, 80, 80),
        ("张三", "团队协作", 0.3, 100, None, 100),
        ("李四", "工作质量", 0.5, 70, 60, 60),
        ("李四", "工作效率", 0.5, 80, 90, 90),
    ]
    assert r.totals == {"张三": 88, "李四": 75} and r.grades == {"张三": "B"}
    assert "考核表 第 1 行的「姓名：张三」是标注单元格，不是表头；该表按「单人表」读取" in r.notes
    assert r.columns["序号"] is None and r.columns["上级评分"] == "上级评分"


def test_2_one_sheet_per_person_named_by_the_sheet(tmp_path):
    items = [["考核项目", "权重", "得分"], ["工作质量", "60%", 90], ["工作效率", "40%", 70]]
    path = book(
        tmp_path / "b.xlsx", {"研发部-李四": items, "王五": items, "填表说明": [["说明：每人一张"]]}
    )
    r = read_file(path)
    assert rows(r, "person", "indicator", "weight", "score") == [
        ("李四", "工作质量", 0.6, 90),
        ("李四", "工作效率", 0.4, 70),
        ("王五", "工作质量", 0.6, 90),
        ("王五", "工作效率", 0.4, 70),
    ]
    assert next(s for s in r.sheets if s["name"] == "填表说明")["why"] == "没有找到考核表"


def test_2_one_file_per_person_in_a_folder(tmp_path):
    folder = tmp_path / "11月"
    folder.mkdir()
    for name, score in (("张三", 90), ("李四", 70)):
        book(
            folder / f"{name}-11月.xlsx",
            {"Sheet1": [["考核项目", "权重", "得分"], ["质量", 1, score]]},
        )
    r = read_file(folder)
    assert rows(r, "person", "indicator", "weight", "score") == [
        ("张三", "质量", 1.0, 90),
        ("李四", "质量", 1.0, 70),
    ]


# ---------------------------------------------------------------- 5, 6, 7. columns and rows


def test_5_extra_columns_are_ignored_and_listed_once(tmp_path):
    path = book(
        tmp_path / "a.xlsx",
        {
            "Sheet1": [
                [
                    "序号",
                    "部门",
                    "组",
                    "姓名",
                    "指标",
                    "评分标准",
                    "考核要求",
                    "权重",
                    "目标值",
                    "实际值",
                    "完成情况说明",
                    "备注",
                ],
                [
                    1,
                    "销售部",
                    "一组",
                    "张三",
                    "销售额",
                    "每少1%扣1分",
                    "月度",
                    "100%",
                    100,
                    90,
                    "略低",
                    "",
                ],
                [
                    2,
                    "销售部",
                    "二组",
                    "李四",
                    "销售额",
                    "每少1%扣1分",
                    "月度",
                    "100%",
                    100,
                    110,
                    "",
                    "新人",
                ],
            ]
        },
    )
    r = read_file(path)
    assert rows(r, "person", "indicator", "weight", "target", "actual") == [
        ("张三", "销售额", 1.0, 100, 90),
        ("李四", "销售额", 1.0, 100, 110),
    ]
    ignored = [h for h, m in r.columns.items() if m is None]
    assert ignored == ["序号", "部门", "组", "评分标准", "考核要求", "完成情况说明", "备注"]


@pytest.mark.parametrize(
    "indicator,weight,target,actual",
    [
        ("考核维度", "目标权重", "计划值", "实际完成"),
        ("KPI指标", "权重占比", "任务", "完成值"),
        ("考核内容", "权重分解\n（100%）", "目标", "实际"),
        ("考核项目：", "权 重", "目标值", "完成值"),
    ],
)
def test_6_header_words_vary(tmp_path, indicator, weight, target, actual):
    path = tmp_path / "a.csv"
    path.write_text(
        f'姓名,{indicator},"{weight}",{target},{actual}\n张三,销售额,70,"2,400,000","2,160,000"\n'
        ",客户数,30,68,70\n",
        encoding="utf-8",
    )
    r = read_file(path)
    assert rows(r, "person", "indicator", "weight", "target", "actual") == [
        ("张三", "销售额", 0.7, 2400000, 2160000),
        ("张三", "客户数", 0.3, 68, 70),
    ]


def test_6_the_plan_maps_a_header_the_kit_cannot_guess(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("考评对象,考核项目,权重,本月达成\n张三,销售额,100%,90\n", encoding="utf-8")
    assert codes(read_file(path)) == ["no_person"]
    r = read_file(path, columns={"考评对象": "姓名", "本月达成": "实际值"})
    assert rows(r, "person", "indicator", "weight", "actual") == [("张三", "销售额", 1.0, 90)]


def test_7_rows_that_are_not_people_and_a_second_table_beside(tmp_path):
    path = book(
        tmp_path / "a.xlsx",
        {
            "Sheet1": [
                ["姓名", "KA GMV", "总分", None, "姓名", "出勤天数"],
                ["张三", 90, 90, None, "张三", 22],
                ["李四", 70, 70, None, "李四", 21],
                ["合计", 160, 160],
                ["平均", 80, 80],
                [],
                ["说明：销售额按系统数据"],
                ["审核：王经理", None, "日期：2024-12-01"],
                [],
                ["姓名", "考核项目", "权重", "得分"],
                ["王五", "质量", 1, 95],
            ]
        },
    )
    r = read_file(path)
    assert rows(r, "person", "indicator", "actual", "score") == [
        ("张三", "KA GMV", 90, None),
        ("李四", "KA GMV", 70, None),
        ("张三", "出勤天数", 22, None),
        ("李四", "出勤天数", 21, None),
        ("王五", "质量", None, 95),
    ]
    assert r.totals == {"张三": 90, "李四": 70}
    assert [(s["row"], s["why"][:4]) for s in r.skipped] == [
        (4, "「合计」"),
        (5, "「平均」"),
        (7, "签字、日"),
        (8, "签字、日"),
    ]
    assert len(r.tables) == 3


# ---------------------------------------------------------------- 8, 9, 10. structure


def test_8_multi_row_merged_header(tmp_path):
    path = book(
        tmp_path / "a.xlsx",
        {
            "Sheet1": [
                ["姓名", "质量", None, "速度"],
                [None, "错字", "漏字", None],
                ["张三", 2, 1, 95],
            ]
        },
        merges={"Sheet1": ["A1:A2", "B1:C1", "D1:D2"]},
    )
    r = read_file(path)
    assert rows(r, "person", "indicator", "actual") == [
        ("张三", "质量/错字", 2),
        ("张三", "质量/漏字", 1),
        ("张三", "速度", 95),
    ]
    assert r.tables[0]["header_rows"] == [1, 2]


def test_9_indicator_merged_down_is_one_indicator_with_sub_items(tmp_path):
    path = book(
        tmp_path / "a.xlsx",
        {
            "Sheet1": [
                ["姓名", "考核项目", "考核内容", "权重", "目标", "实际"],
                ["林燕", "业务运营", "客户回访", "10%", 3, 3],
                [None, None, "活动策划", "5%", 1, 1],
                [None, None, "数据周报", "5%", 1, 0],
                [None, "GMV", None, "80%", 100, 90],
            ]
        },
        merges={"Sheet1": ["A2:A5", "B2:B4"]},
    )
    r = read_file(path)
    assert rows(r, "person", "indicator", "weight", "target", "actual") == [
        ("林燕", "业务运营/客户回访", 0.10, 3, 3),
        ("林燕", "业务运营/活动策划", 0.05, 1, 1),
        ("林燕", "业务运营/数据周报", 0.05, 1, 0),
        ("林燕", "GMV", 0.80, 100, 90),
    ]


def test_9_sub_items_without_names_are_numbered_like_the_hr_layout(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("姓名,指标,权重,目标值\n林燕,业务运营,10%,3\n,,5%,1\n,GMV,85%,100\n")
    assert [r["indicator"] for r in read_file(path).rows] == ["业务运营①", "业务运营②", "GMV"]


def test_10_weights_in_header_text_and_paired_weight_columns(tmp_path):
    path = book(
        tmp_path / "a.xlsx",
        {
            "Sheet1": [
                ["姓名", "质量得分", "权重", "效率得分", "权重", "GMV（业绩）20%"],
                ["张三", 90, "50%", 80, "30%", 100],
                ["李四", 70, "40%", 60, "40%", 90],
            ]
        },
    )
    r = read_file(path)
    assert rows(r, "person", "indicator", "weight", "actual", "score") == [
        ("张三", "质量得分", 0.5, None, 90),
        ("张三", "效率得分", 0.3, None, 80),
        ("张三", "GMV", 0.2, 100, None),
        ("李四", "质量得分", 0.4, None, 70),
        ("李四", "效率得分", 0.4, None, 60),
        ("李四", "GMV", 0.2, 90, None),
    ]


def test_10_two_level_weights(tmp_path):
    # 业绩 70% × (销售额 60%, 回款 40%); 行为 30% × (出勤 50%, 协作 50%)
    path = book(
        tmp_path / "a.xlsx",
        {
            "Sheet1": [
                ["姓名", "考核维度", "考核指标", "权重", "得分"],
                ["张三", "业绩（70%）", "销售额", "60%", 90],
                [None, None, "回款", "40%", 80],
                [None, "行为（30%）", "出勤", "50%", 100],
                [None, None, "协作", "50%", 90],
            ]
        },
        merges={"Sheet1": ["B2:B3", "B4:B5"]},
    )
    r = read_file(path)
    got = rows(r, "indicator", "section", "weight")
    assert [(i, s) for i, s, _ in got] == [
        ("销售额", "业绩"),
        ("回款", "业绩"),
        ("出勤", "行为"),
        ("协作", "行为"),
    ]
    assert [w for *_, w in got] == pytest.approx([0.42, 0.28, 0.15, 0.15])


# ---------------------------------------------------------------- 12. files


@pytest.mark.parametrize("encoding", ["gb18030", "gbk", "utf-16", "utf-8-sig"])
def test_12_csv_encodings(tmp_path, encoding):
    path = tmp_path / "a.csv"
    text = (
        "员工姓名,考核项目,权重,目标值,实际值\n张三,销售额,100%,100,90\n李四,销售额,100%,100,95\n"
    )
    path.write_bytes(text.encode(encoding))
    r = read_file(path)
    assert rows(r, "person", "indicator", "actual") == [
        ("张三", "销售额", 90),
        ("李四", "销售额", 95),
    ]


def test_hidden_first_sheet_is_not_read(tmp_path):
    """Issue 9 case 8: the first sheet is hidden (stale data); the visible one is read."""
    old = [["姓名", "指标", "权重", "实际值"], ["张三", "销售额", 1, 10]]
    new = [["姓名", "指标", "权重", "实际值"], ["张三", "销售额", 1, 90]]
    r = read_file(book(tmp_path / "a.xlsx", {"10月": old, "11月": new}, hidden={"10月"}))
    assert rows(r, "person", "actual") == [("张三", 90)]
    assert r.sheets[0] == {
        "name": "10月",
        "used": False,
        "hidden": True,
        "why": "隐藏的工作表，里面有数据，未读取",
    }


# ---------------------------------------------------------------- 13. not appraisal data


NOT_APPRAISAL = {
    "roster": (
        [["工号", "姓名", "部门", "岗位", "入职日期", "联系电话"]]
        + [
            [f"E{i:03}", f"员工{i}", "销售部", "专员", "2023-03-01", "13800000000"]
            for i in range(200)
        ],
        "员工花名册",
    ),
    "rubric": (
        [
            ["考核项目", "权重", "评分标准", "自评", "上级评分"],
            ["工作质量", "40%", "差错率≤1%", None, None],
            ["工作效率", "30%", "按时完成", None, None],
            ["团队协作", "30%", "主动配合", None, None],
        ],
        "评分标准表",
    ),
    "log": (
        [["日期", "姓名", "产品", "产量"]]
        + [[f"2024-11-{d:02}", n, "A件", 100 + d] for d in range(1, 11) for n in ("张三", "李四")],
        "每日流水记录",
    ),
    "zeros": (
        [["姓名", "季度奖", "全勤奖", "合计"]] + [[f"员工{i}", 0, 0, 0] for i in range(30)],
        "全是 0 的统计表",
    ),
    "reviews": (
        [
            ["2024年度个人述职"],
            ["本年度我主要负责华东区域的渠道拓展工作，完成了年初制定的大部分目标。"],
            ["不足之处在于客户跟进不够及时，明年将加强客户管理并提升沟通效率。"],
        ],
        "文字材料",
    ),
}


@pytest.mark.parametrize("kind", list(NOT_APPRAISAL))
def test_13_not_appraisal_data_gets_one_clear_message(tmp_path, kind):
    cells, what = NOT_APPRAISAL[kind]
    r = read_file(book(tmp_path / f"{kind}.xlsx", {"Sheet1": cells}))
    assert codes(r) == ["not_appraisal"]
    assert r.what.startswith(what)
    assert "kit 需要的是考核数据" in r.problems[0].fix


def test_12_old_xls_form(tmp_path):
    """tests/fixtures/form_zhangsan.xls: an .xlsx form saved as .xls by LibreOffice
    (姓名：张三; 工作质量 60% 自评 90 上级 85; 工作效率 40% 自评 80; 合计 83)."""
    from tests.conftest import ROOT

    r = read_file(ROOT / "tests/fixtures/form_zhangsan.xls")
    assert rows(r, "person", "indicator", "weight", "score") == [
        ("张三", "工作质量", 0.6, 85),
        ("张三", "工作效率", 0.4, 80),
    ]
    assert r.totals == {"张三": 83}
