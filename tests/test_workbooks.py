"""The workbooks people print and sign: payroll.xlsx, results.xlsx, the input template."""

from __future__ import annotations

import shutil
from datetime import datetime
from decimal import Decimal

import openpyxl
import pandas as pd
import pytest

import kpilib
from kpilib import store
from kpilib.errors import DataError
from kpilib.sheets import payroll
from kpilib.sheets.workbooks import template, write_results
from kpilib.sheets.xlsx import column_width
from kpilib.text import pinyin_key
from tests.conftest import ROOT

MONTH = "2024-11"


@pytest.fixture(scope="module")
def channel_ops_payroll(tmp_path_factory):
    folder = tmp_path_factory.mktemp("payroll")
    plan = kpilib.load_plan(ROOT / "params/channel_ops.yaml")
    store.save(kpilib.score_month(plan, MONTH), files=[], store=folder / "r.duckdb")
    table = payroll.frame(plan, MONTH, folder / "r.duckdb")
    generated = datetime(2024, 12, 2, 9, 30, 5)
    path = payroll.write(table, folder / "payroll.xlsx", "渠道运营中心", MONTH, generated=generated)
    return table, openpyxl.load_workbook(path).active


def rows_and_total(sheet):
    """The person rows (dicts by header) and the 合计 row of a payroll sheet."""
    headers = [c.value for c in sheet[3]]
    rows, total = [], None
    for row in sheet.iter_rows(min_row=4, values_only=True):
        if row[0] == "合计":
            total = dict(zip(headers, row, strict=True))
            break
        rows.append(dict(zip(headers, row, strict=True)))
    return headers, rows, total


def test_payroll_total_row_equals_the_rows_to_the_fen(channel_ops_payroll):
    table, sheet = channel_ops_payroll
    headers, rows, total = rows_and_total(sheet)
    assert len(rows) == 19 and total["岗位"] == "19 人"
    for header in ("绩效工资基数(元)", "绩效工资(元)", "奖励(元)", "本月应发合计(元)"):
        added = sum((Decimal(str(r[header])).quantize(Decimal("0.01")) for r in rows), Decimal(0))
        assert Decimal(str(total[header])).quantize(Decimal("0.01")) == added, header
    # 27,507.20 = the month's performance pay (as tests/test_calibrate.py pins it)
    assert Decimal(str(total["绩效工资(元)"])) == Decimal("27507.20")
    assert sheet.cell(4 + len(rows), headers.index("绩效工资(元)") + 1).number_format == "#,##0.00"


def test_payroll_total_is_exact_where_floats_would_drift(tmp_path):
    # 0.10 + 0.20 is 0.30000000000000004 in floats; a thousand of them in yuan, exactly
    table = pd.DataFrame(
        {
            "person": [f"员工{i}" for i in range(1000)],
            "performance_pay": [Decimal("0.10") if i % 2 else Decimal("0.20") for i in range(1000)],
        }
    )
    path = payroll.write(table, tmp_path / "p.xlsx", "测试部", MONTH)
    _, rows, total = rows_and_total(openpyxl.load_workbook(path).active)
    assert len(rows) == 1000
    assert total["绩效工资(元)"] == 150.0  # 500 × 0.10 + 500 × 0.20


def test_payroll_is_ready_to_sign_and_print(channel_ops_payroll):
    _, sheet = channel_ops_payroll
    assert sheet["A1"].value == "渠道运营中心 2024-11 绩效工资表"
    assert (
        sheet["A2"].value == "部门：渠道运营中心　　期间：2024-11　　生成时间：2024-12-02 09:30:05"
    )
    texts = [c.value for row in sheet.iter_rows(min_row=24) for c in row if c.value]
    assert ["制表：", "审核：", "批准：", "日期："] == [t for t in texts if t.endswith("：")]
    setup = sheet.page_setup
    assert setup.paperSize == 9 and setup.orientation == "landscape"  # A4 landscape
    # one page wide (1 is the file format's default, so xlsxwriter leaves it out), as long as needed
    assert (setup.fitToWidth or 1, setup.fitToHeight) == (1, 0)
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.print_title_rows == "$1:$3"  # title, period and headers on every page


def test_payroll_rows_in_pinyin_order_without_employee_numbers(channel_ops_payroll):
    table, _ = channel_ops_payroll
    names = table["person"].tolist()
    # 邓 dèng < 何 hé < 胡 hú < 曾 zēng (a surname, not céng) < 郑 zhèng
    order = ["邓文", "何嘉健", "胡百川", "曾志伟", "郑伟林"]
    assert sorted(order, key=names.index) == order


def test_payroll_shows_employee_numbers_from_the_targets_and_sorts_by_them(tmp_path):
    (tmp_path / "params").mkdir()
    shutil.copy(ROOT / "params/channel_ops.yaml", tmp_path / "params")
    shutil.copytree(ROOT / "data/channel_ops", tmp_path / "data/channel_ops")
    # 工号 in a column of its own, on each person's first row (seed 000's layout)
    path = tmp_path / "data/channel_ops/targets.xlsx"
    book = openpyxl.load_workbook(path)
    sheet = book.active
    sheet.insert_cols(1)
    sheet["A2"] = "工号"
    starts = [r for r in range(3, sheet.max_row + 1) if sheet.cell(r, 3).value]
    for n, r in enumerate(reversed(starts), start=1):
        sheet.cell(r, 1).value = f"QD{n}"  # the last person gets QD1
    book.save(path)
    last = sheet.cell(starts[-1], 3).value
    plan = kpilib.load_plan(tmp_path / "params/channel_ops.yaml")
    store.save(kpilib.score_month(plan, MONTH), files=[], store=tmp_path / "r.duckdb")
    table = payroll.frame(plan, MONTH, tmp_path / "r.duckdb")
    out = payroll.write(table, tmp_path / "p.xlsx", plan.name, MONTH)
    headers, rows, _ = rows_and_total(openpyxl.load_workbook(out).active)
    assert headers[:2] == ["工号", "姓名"]
    assert (rows[0]["工号"], rows[0]["姓名"]) == ("QD1", last)
    # QD9 before QD10, not after it
    assert [r["工号"] for r in rows] == [f"QD{n}" for n in range(1, len(starts) + 1)]


def test_pinyin_key():
    names = pd.Series(["张伟", "Bob", "曾志伟", "单雄", "栗明", "李明", "安琪", "alice"])
    # 单 as a surname is shàn (after 李 lǐ, 栗 lì); tones order 李 lǐ before 栗 lì
    assert names.sort_values(key=pinyin_key).tolist() == [
        "alice",
        "安琪",
        "Bob",
        "李明",
        "栗明",
        "单雄",
        "曾志伟",
        "张伟",
    ]


# ---- results.xlsx


@pytest.fixture(scope="module")
def channel_ops_results(tmp_path_factory):
    path = tmp_path_factory.mktemp("results") / "results.xlsx"
    write_results(kpilib.score_month(ROOT / "params/channel_ops.yaml", MONTH), path)
    return openpyxl.load_workbook(path)


def test_results_counts_are_integers_and_sheets_print(channel_ops_results):
    items = channel_ops_results["考核明细"]
    headers = [c.value for c in items[2]]
    col = {h: i + 1 for i, h in enumerate(headers)}
    formats = {c.number_format for row in items.iter_rows(min_row=3) for c in row}
    assert "#,##0.####" not in formats  # it shows a count of 3 as "3."
    # seed 000: 部门管理绩效 … 3 项 — a count, shown as 3
    row = next(
        r
        for r in range(3, items.max_row + 1)
        if items.cell(r, col["指标"]).value == "部门管理绩效(项)"
    )
    assert items.cell(row, col["目标值"]).value == 3
    assert items.cell(row, col["目标值"]).number_format == "#,##0"
    assert items.cell(row, col["规则"]).value == "计数"
    for sheet in channel_ops_results.worksheets:
        assert sheet.print_title_rows == "$1:$2"
        assert (sheet.page_setup.fitToWidth or 1, sheet.page_setup.fitToHeight) == (1, 0)
        assert sheet.print_area


def test_column_width_measures_the_widest_candidate():
    # 12 Chinese characters (24 wide) beat 20 Latin ones (20 wide) though shorter
    assert column_width(["a" * 20, "渠" * 12, "x"]) == 26
    assert column_width([2_160_000.456, -5.0], "#,##0.00") == len("2,160,000.46") + 2
    assert column_width([], header="绩效工资") == 10


# ---- the input template


def test_template_locks_targets_and_unlocks_inputs():
    book = template(kpilib.load_plan(ROOT / "params/bank_branch.yaml"), MONTH)
    sheet = book["实际值"]
    assert sheet.protection.sheet and not sheet.protection.password
    for r in range(3, sheet.max_row + 1):
        assert not sheet.cell(r, 8).protection.locked  # 实际值: filled in
        assert sheet.cell(r, 7).protection.locked  # 目标值: read only
    assert book["选项"].sheet_state == "hidden"
    incidents = book["扣分记录"]
    assert incidents.protection.sheet and not incidents["A3"].protection.locked
    for name in ("实际值", "扣分记录", "扣分标准"):
        assert book[name].page_setup.fitToWidth == 1
        assert book[name].print_title_rows in ("$1:$2", "$1:$1")


def test_template_counts_are_integers():
    book = template(kpilib.load_plan(ROOT / "params/bank_branch.yaml"), MONTH)
    sheet = book["实际值"]
    rows = {
        (sheet.cell(r, 3).value, sheet.cell(r, 4).value): r for r in range(3, sheet.max_row + 1)
    }
    # seed 002 bank: 发卡量 target 20 cards
    card = rows[("陈晓燕", "发卡量")]
    assert sheet.cell(card, 7).value == 20 and sheet.cell(card, 7).number_format == "#,##0"
    assert sheet.cell(card, 8).number_format == "General"  # typed values show as typed


def test_a_filled_template_with_changed_targets_is_refused(tmp_path):
    from tests.test_excel import fill_template

    path = tmp_path / "filled.xlsx"
    fill_template("bank_branch", path)
    book = openpyxl.load_workbook(path)
    sheet = book["实际值"]
    row = next(
        r
        for r in range(3, sheet.max_row + 1)
        if (sheet.cell(r, 3).value, sheet.cell(r, 4).value) == ("陈晓燕", "存款")
    )
    sheet.cell(row, 7).value = 80000  # "存款考核...任务10万": lowered in the template
    book.save(path)
    with pytest.raises(DataError) as caught:
        kpilib.score_month(ROOT / "params/bank_branch.yaml", MONTH, actuals=path)
    (problem,) = caught.value.problems
    assert (problem.person, problem.column, problem.where) == ("陈晓燕", "目标值", f"第 {row} 行")
    assert problem.code == "template_target_changed"
    assert "80,000" in problem.message and "100,000" in problem.message
