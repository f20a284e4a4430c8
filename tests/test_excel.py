"""Excel in and out: the input template round trip, tolerant reading, the results workbook."""

from __future__ import annotations

import csv
import zipfile
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

import kpilib
from kpilib.cli import main
from kpilib.errors import DataError
from kpilib.parse import to_number
from kpilib.sheets.inputs import read_actuals
from kpilib.sheets.workbooks import template, write_results
from tests.conftest import ROOT, frame

MONTH = "2024-11"


def sample(path):
    with open(path, encoding="utf-8") as f:
        return list(csv.DictReader(f))


def as_typed(text: str):
    """What Excel stores when an analyst types the sample's text: 55,000 → 55000, 97% → 0.97."""
    raw = text.replace(",", "")
    if raw.endswith("%"):
        return float(raw[:-1]) / 100
    try:
        return float(raw)
    except ValueError:
        return text


def fill_template(plan_name: str, path) -> None:
    """Fill the month's template from the shipped sample files, as an analyst would."""
    plan = kpilib.load_plan(ROOT / f"params/{plan_name}.yaml")
    book = template(plan, MONTH)
    data = ROOT / "data" / plan_name
    values = {(r["姓名"], r["指标"]): r["实际值"] for r in sample(data / f"actuals/{MONTH}.csv")}
    sheet = book["实际值"]
    assert [c.value for c in sheet[2]] == [
        "月份",
        "岗位",
        "姓名",
        "指标",
        "名称",
        "单位",
        "目标值",
        "实际值",
        "说明",
    ]
    for row in range(3, sheet.max_row + 1):
        key = (sheet.cell(row, 3).value, sheet.cell(row, 4).value)
        if key in values:
            sheet.cell(row, 8).value = as_typed(values.pop(key))
    assert values == {}, "every sample value has its row in the template"
    if (data / "incidents").exists():
        sheet = book["扣分记录"]
        for r, rec in enumerate(sample(data / f"incidents/{MONTH}.csv"), start=3):
            for col, key in enumerate(["姓名", "指标", "类型", "次数", "扣分", "日期", "说明"], 1):
                sheet.cell(r, col).value = as_typed(rec[key]) if rec[key] else None
    if (data / "ratings").exists():
        levels = {
            (r["姓名"], r["指标"], r["评价人"]): r["等级"]
            for r in sample(data / f"ratings/{MONTH}.csv")
        }
        sheet = book["评分记录"]
        for row in range(3, sheet.max_row + 1):
            key = tuple(sheet.cell(row, c).value or "" for c in (1, 3, 4))
            sheet.cell(row, 5).value = levels.pop(key)
        assert levels == {}
    book.save(path)


@pytest.mark.parametrize(
    "plan_name, person, total",
    [
        # hand-computed in tests/test_seed_plans.py from the same inputs
        ("bank_branch", "陈晓燕", 102.46),  # actuals + incidents; 分红保险 year to date
        ("bank_branch", "周敏", 81.68),  # 30,000 表外利息 is not a whole 5万: no bonus
        ("mall_floor", "赵一鸣", 113.43),  # actuals + ratings sheets
        ("procurement", "唐莉", 199),  # incidents + ratings, bonus-only actuals
        ("member_ops", "黄俊杰", 59.95),  # measures behind formulas
    ],
)
def test_template_round_trip(tmp_path, plan_name, person, total):
    path = tmp_path / "filled.xlsx"
    fill_template(plan_name, path)
    result = kpilib.score_month(ROOT / f"params/{plan_name}.yaml", MONTH, actuals=path)
    people = result.people.set_index("person")
    assert people.loc[person, "total"] == pytest.approx(total, abs=1e-9)
    shipped = kpilib.score_month(ROOT / f"params/{plan_name}.yaml", MONTH).people
    assert people["total"].to_dict() == shipped.set_index("person")["total"].to_dict()


def test_template_shows_targets_units_and_validation():
    plan = kpilib.load_plan(ROOT / "params/bank_branch.yaml")
    book = template(plan, MONTH)
    assert book.sheetnames[:3] == ["实际值", "扣分记录", "扣分标准"]
    sheet = book["实际值"]
    rows = {
        (sheet.cell(r, 3).value, sheet.cell(r, 4).value): r for r in range(3, sheet.max_row + 1)
    }
    deposit = rows[("陈晓燕", "存款")]  # "存款考核...任务10万"
    assert sheet.cell(deposit, 6).value == "元"
    assert sheet.cell(deposit, 7).value == 100000
    assert sheet.cell(deposit, 8).number_format == "#,##0.00"
    assert ("周敏", "到期贷款收回率") not in rows  # derived: its measures are asked for instead
    assert ("周敏", "未收回贷款") in rows and ("周敏", "当月到期贷款") in rows
    checks = sheet.data_validations.dataValidation
    numbers = [v for v in checks if v.type == "decimal"]
    assert numbers and f"H{deposit}" in str(numbers[0].sqref)
    kinds = [v for v in book["扣分记录"].data_validations.dataValidation if v.type == "list"]
    # 出勤 2 + 优质服务 2 + 核算质量 4 + 分工 1 + 客户经理 出勤 1, 优质服务 1, 工作质量 3 kinds
    assert "选项!$C$1:$C$14" in {v.formula1 for v in kinds}


def messy_member_retail_sheet(path) -> None:
    """The 2024-11 sample as an HR sheet: titles, merged names, text numbers, full width."""
    book = Workbook()
    sheet = book.active
    sheet.title = "11月数据"
    sheet.append(["门店会员运营 11月 实际值"])
    sheet.append(["制表：人事部", None, "单位：人/元"])
    sheet.append(["姓名", "指标", "实际值"])
    rows = sample(ROOT / f"data/member_retail/actuals/{MONTH}.csv")
    start = 4
    for i, rec in enumerate(rows):
        value = rec["实际值"]
        if i % 3 == 0:  # full-width digits, padded with full-width spaces
            value = (
                "　"
                + value.translate(str.maketrans("0123456789,", "０１２３４５６７８９，"))
                + "　"
            )
        elif i % 3 == 1 and "," not in value:
            value = float(value)  # a real number cell
        sheet.append([rec["姓名"], rec["指标"], value])
    # each person's name in one merged cell over their rows, as HR sheets do
    for first in range(start, start + len(rows), 9):
        sheet.merge_cells(start_row=first, start_column=1, end_row=first + 8, end_column=1)
    for _ in range(5):  # trailing blank, formatted rows
        sheet.append([None, None, None])
        sheet.cell(sheet.max_row, 3).number_format = "0.00"
    book.save(path)


def test_reading_tolerates_what_hr_sheets_contain(tmp_path):
    path = tmp_path / "messy.xlsx"
    messy_member_retail_sheet(path)
    long = read_actuals(path)
    assert len(long) == 36 and long["person"].iloc[8] == "王丽华"  # merged cell filled
    result = kpilib.score_month(ROOT / "params/member_retail.yaml", MONTH, actuals=path)
    totals = result.people.set_index("person")["total"]
    # the same totals as from the clean CSV (tests/test_seed_plans.py)
    assert totals["王丽华"] == pytest.approx(93.54, abs=1e-9)
    assert totals["刘洋"] == pytest.approx(61.05, abs=1e-9)


def test_numbers_as_hr_writes_them():
    values = ["70%", "0.7", "７０％", "1,234.5", "　１２０　", "1 200", "１，２００"]
    got, problems = to_number(frame([(v,) for v in values], ["value"]), "value")
    assert problems == []
    assert got.tolist() == pytest.approx([0.7, 0.7, 0.7, 1234.5, 120, 1200, 1200])


def test_unreadable_cell_names_sheet_row_column_and_fix(tmp_path):
    path = tmp_path / "bad.xlsx"
    messy_member_retail_sheet(path)
    book = load_workbook(path)
    book["11月数据"]["C6"] = "约两千"  # 王丽华's 新开卡数
    book.save(path)
    with pytest.raises(
        DataError,
        match=r"（工作表 11月数据），第 6 行，人员 王丽华，列 实际值："
        r"'约两千' 不是数字。改法：填写数字",
    ) as info:
        kpilib.score_month(ROOT / "params/member_retail.yaml", MONTH, actuals=path)
    bad = next(p for p in info.value.problems if p.code == "not_a_number")
    assert (bad.person, bad.column, bad.where) == ("王丽华", "实际值", "第 6 行")


# ---- results workbook and formula injection

INJECTED = ['=HYPERLINK("http://example.invalid","点我")', "-张三", "+1", "@SUM(A1)"]


@pytest.fixture
def hostile_plan(tmp_path):
    (tmp_path / "params").mkdir()
    (tmp_path / "params/test.yaml").write_text(
        "department: test\nname: 测试部\n"
        "sources: {targets: ../t.csv, targets_layout: long, actuals: '../{month}.csv'}\n"
        "indicators:\n  GMV: {unit: 元, rule: {type: ratio, cap: 120%}}\n"
        "  '=1+1': {unit: '%', rule: {type: ratio}}\n"
        "grades: [{name: 优秀, min: 90}, {name: 合格, min: 60}, {name: 不合格}]\n",
        encoding="utf-8",
    )
    targets = ["岗位,姓名,指标,权重,目标值"]
    actuals = ["姓名,指标,实际值"]
    for name in INJECTED:
        quoted = '"' + name.replace('"', '""') + '"'
        targets += [f'=cmd,{quoted},GMV,50%,"2,400,000"', f"=cmd,{quoted},=1+1,50%,10%"]
        actuals += [f'{quoted},GMV,"2,160,000.456"', f"{quoted},=1+1,9%"]
    (tmp_path / "t.csv").write_text("\n".join(targets) + "\n", encoding="utf-8")
    (tmp_path / f"{MONTH}.csv").write_text("\n".join(actuals) + "\n", encoding="utf-8")
    return kpilib.load_plan(tmp_path / "params/test.yaml")


def no_formulas(path) -> None:
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/sheet"):
                assert "<f>" not in z.read(name).decode(), name
    for sheet in load_workbook(path).worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)


def test_results_workbook_never_writes_a_formula(tmp_path, hostile_plan):
    result = kpilib.score_month(hostile_plan, MONTH)
    path = tmp_path / "results.xlsx"
    write_results(result, path)
    no_formulas(path)
    people = load_workbook(path)["考核结果"]
    names = [people.cell(r, 2).value for r in range(3, people.max_row + 1)]
    assert sorted(names) == sorted(INJECTED)
    hyperlink = next(
        r for r in range(3, people.max_row + 1) if people.cell(r, 2).value.startswith("=")
    )
    assert people.cell(hyperlink, 2).quotePrefix


def test_template_never_writes_a_formula(tmp_path, hostile_plan):
    path = tmp_path / "template.xlsx"
    template(hostile_plan, MONTH).save(path)
    no_formulas(path)
    sheet = load_workbook(path)["实际值"]
    assert {sheet.cell(r, 3).value for r in range(3, sheet.max_row + 1)} == set(INJECTED)


def test_results_workbook_layout(tmp_path, hostile_plan):
    result = kpilib.score_month(hostile_plan, MONTH)
    path = tmp_path / "results.xlsx"
    write_results(result, path)
    book = load_workbook(path)
    assert book.sheetnames == ["考核结果", "考核明细"]
    people, items = book["考核结果"], book["考核明细"]
    headers = [c.value for c in people[2]]
    assert headers[:6] == ["排名", "姓名", "岗位", "总分", "等级", "权重得分"]
    assert people.freeze_panes == "B3" and items.freeze_panes == "B3"
    # 2,160,000 / 2,400,000 = 90% × 50 = 45; 9% / 10% = 90% × 50 = 45: total 90
    assert people.cell(3, 4).value == 90 and people.cell(3, 4).number_format == "0.00"
    assert people.cell(3, 5).value == "优秀"
    completion = headers.index("考核完成率") + 1
    assert people.cell(3, completion).number_format == "0.0%"
    colours = {
        r.formula[0]: r.dxf.fill.bgColor.rgb
        for rng in people.conditional_formatting
        for r in rng.rules
    }
    assert colours['"优秀"'].endswith("C6EFCE") and colours['"不合格"'].endswith("FFC7CE")
    item_headers = [c.value for c in items[2]]
    target, actual = item_headers.index("目标值") + 1, item_headers.index("实际值") + 1
    gmv = next(r for r in range(3, items.max_row + 1) if items.cell(r, 4).value == "GMV")
    # money in yuan to the fen: 2,160,000.456 → 2,160,000.46
    assert items.cell(gmv, actual).value == 2160000.46
    assert items.cell(gmv, target).number_format == "#,##0.00"
    rate = next(r for r in range(3, items.max_row + 1) if items.cell(r, 4).value == "=1+1")
    assert items.cell(rate, actual).number_format == "0.0%"
    reason = item_headers.index("计算过程") + 1
    width = items.column_dimensions[items.cell(2, reason).column_letter].width
    assert width > 30  # fitted to "2,160,000.456 / 2,400,000 = 90.0% × 50 = 45.0"


def test_kpi_template_and_score_xlsx_commands(tmp_path, capsys):
    out = tmp_path / "录入表.xlsx"
    assert (
        main(
            ["template", str(ROOT / "params/mall_floor.yaml"), "--month", MONTH, "--out", str(out)]
        )
        == 0
    )
    assert (
        main(
            ["template", str(ROOT / "params/mall_floor.yaml"), "--month", MONTH, "--out", str(out)]
        )
        == 2
    )  # never replaced silently
    assert "已存在" in capsys.readouterr().err
    fill_template("mall_floor", out)
    assert (
        main(
            [
                "score",
                str(ROOT / "params/mall_floor.yaml"),
                "--month",
                MONTH,
                "--actuals",
                str(out),
                "--out",
                str(tmp_path / "out"),
                "--xlsx",
                "--no-store",
            ]
        )
        == 0
    )
    book = load_workbook(tmp_path / "out/results.xlsx")
    people = book["考核结果"]
    totals = {
        people.cell(r, 2).value: people.cell(r, 4).value for r in range(3, people.max_row + 1)
    }
    assert totals["赵一鸣"] == 113.43


def test_money_is_exact_decimal():
    from kpilib.rounding import yuan

    assert yuan(2160000.455) == Decimal("2160000.46")
    assert yuan(0.1 + 0.2) == Decimal("0.30")
