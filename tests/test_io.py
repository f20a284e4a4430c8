"""Reading the files analysts actually have."""

import pandas as pd
import pytest
from openpyxl import Workbook

from kpilib.errors import DataError
from kpilib.files import write_atomically
from kpilib.sheets.inputs import read_actuals, read_sheet, read_targets
from tests.conftest import ROOT


def test_seed_000_targets_spreadsheet_in_hr_layout():
    t = read_targets(ROOT / "data/channel_ops/targets.xlsx", "hr")
    assert t["person"].nunique() == 19
    # seed 000: "部门负责人岗 胡百川 Baichuan GMV 40% 17650000" and three continuation rows
    hu = t[t["person"] == "胡百川"]
    assert hu["indicator"].tolist() == ["GMV", "部门管理绩效(项)", "产单客户数", "客户唤醒&激活"]
    assert hu["weight"].tolist() == [0.4, 0.3, 0.15, 0.15]
    assert hu["target"].tolist() == [17650000, 3, 30, 135]
    assert set(hu["role"]) == {"部门负责人岗"} and set(hu["english_name"]) == {"Baichuan"}
    # seed 000: 林燕's 业务运营 "10% 3 ①…", "5% 1 ②…", "5% 1 ③…"
    lin = t[(t["person"] == "林燕") & (t["indicator"] == "业务运营")]
    assert lin["item"].tolist() == ["业务运营①", "业务运营②", "业务运营③"]
    assert lin["weight"].tolist() == [0.10, 0.05, 0.05]
    assert t.groupby("person")["weight"].sum().round(9).eq(1).all()


def write_csv(tmp_path, text, name="f.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_hr_layout_tolerates_titles_text_percents_and_full_width(tmp_path):
    path = write_csv(
        tmp_path,
        "渠道运营中心 绩效目标,,,,,,\n"
        "岗位,姓名,英文名,指标,权重,目标值,备注\n"
        '商务岗,危鹤坚,Jason,GMV指标,70%,"2,400,000",\n'
        ",,,有产客户数,３０％,６８,\n"
        ",,,,,,\n",
    )
    t = read_targets(path, "hr")
    assert t["weight"].tolist() == [0.7, 0.3]
    assert t["target"].tolist() == [2400000, 68]
    assert t["person"].tolist() == ["危鹤坚", "危鹤坚"]


def test_weights_written_as_plain_percentage_points(tmp_path):
    path = write_csv(tmp_path, "姓名,指标,权重,目标值\n甲,GMV指标,70,100\n甲,有产客户数,0.3,10\n")
    assert read_targets(path, "long")["weight"].tolist() == [0.7, 0.3]


def test_text_in_a_weight_is_named(tmp_path):
    path = write_csv(tmp_path, "姓名,指标,权重,目标值\n甲,GMV指标,七成,100\n")
    with pytest.raises(
        DataError, match=r"f.csv，第 2 行，人员 甲，列 权重：'七成' 不是数字"
    ) as info:
        read_targets(path, "long")
    (problem,) = info.value.problems
    assert (problem.person, problem.column, problem.code) == ("甲", "权重", "not_a_number")


def test_wide_actuals_in_excel_with_merged_title(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["2024年11月 实际完成"])
    sheet.merge_cells("A1:D1")
    sheet.append(["姓名", "英文名", "GMV指标", "有产客户数"])
    sheet.append(["危鹤坚", "Jason", 2160000, 70])
    sheet.append(["何嘉健", "Carl", "2,000,000", None])
    path = tmp_path / "2024-11.xlsx"
    book.save(path)
    a = read_actuals(path)
    assert a[["person", "item", "value"]].values.tolist() == [
        ["危鹤坚", "GMV指标", "2160000"],
        ["危鹤坚", "有产客户数", "70"],
        ["何嘉健", "GMV指标", "2,000,000"],
        ["何嘉健", "有产客户数", ""],
    ]
    assert a["_row"].tolist() == [3, 3, 4, 4]
    assert a["_column"].tolist()[:2] == ["GMV指标", "有产客户数"]


def test_long_actuals_in_csv(tmp_path):
    path = write_csv(tmp_path, "姓名,指标,实际值\n危鹤坚,GMV指标,2160000\n")
    a = read_actuals(path)
    assert a[["person", "item", "value", "_row"]].values.tolist() == [
        ["危鹤坚", "GMV指标", "2160000", 2]
    ]


def test_actuals_of_another_month_are_refused(tmp_path):
    path = write_csv(tmp_path, "月份,姓名,指标,实际值\n2024-10,危鹤坚,GMV指标,2160000\n")
    with pytest.raises(DataError, match="月份列写的是 '2024-10'，本次计算的是 2024-11") as info:
        read_actuals(path, "2024-11")
    assert info.value.problems[0].code == "wrong_month"


def test_a_file_without_a_person_column(tmp_path):
    path = write_csv(tmp_path, "a,b\n1,2\n")
    with pytest.raises(DataError, match="没有找到带姓名列的表头行") as info:
        read_sheet(path)
    assert info.value.problems[0].code == "no_header"


def test_write_atomically_never_replaces_silently(tmp_path):
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    first.write_text("earlier month")
    with pytest.raises(Exception, match="已存在"):
        write_atomically(
            {first: lambda p: p.write_text("new"), second: lambda p: p.write_text("new")}
        )
    assert first.read_text() == "earlier month" and not second.exists()


def test_write_atomically_writes_nothing_when_one_file_fails(tmp_path):
    def boom(path):
        raise OSError("disk full")

    with pytest.raises(OSError):
        write_atomically(
            {
                tmp_path / "a.csv": lambda p: pd.DataFrame({"x": [1]}).to_csv(p),
                tmp_path / "b.csv": boom,
            }
        )
    assert list(tmp_path.iterdir()) == []


def test_written_files_can_be_shared(tmp_path):
    import os

    old = os.umask(0o022)
    try:
        write_atomically({tmp_path / "report.csv": lambda p: p.write_text("x")})
    finally:
        os.umask(old)
    assert (tmp_path / "report.csv").stat().st_mode & 0o777 == 0o644


def test_a_hidden_first_sheet_is_not_read_and_the_analyst_is_told(tmp_path):
    """Issue 9 case 8: stale data on a hidden first sheet; the first visible one is read."""
    from kpilib.sheets.inputs import HiddenSheetWarning

    book = Workbook()
    stale = book.active
    stale.title, stale.sheet_state = "10月", "hidden"
    stale.append(["姓名", "GMV指标"])
    stale.append(["危鹤坚", 1])
    current = book.create_sheet("11月")
    current.append(["姓名", "GMV指标"])
    current.append(["危鹤坚", 2160000])
    book.save(tmp_path / "a.xlsx")
    with pytest.warns(HiddenSheetWarning, match="隐藏的工作表「10月」里有数据"):
        a = read_actuals(tmp_path / "a.xlsx")
    assert a["value"].tolist() == ["2160000"] and a["_file"].iloc[0].endswith("（工作表 11月）")


def test_gbk_csv_is_read_and_errors_name_the_encoding(tmp_path):
    path = tmp_path / "f.csv"
    path.write_bytes("姓名,指标,权重,目标值\n甲,GMV指标,七成,100\n".encode("gbk"))
    with pytest.raises(DataError) as err:
        read_targets(path, "long")
    assert err.value.problems[0].file == f"{path}（GB18030）"
    assert err.value.problems[0].column == "权重"
