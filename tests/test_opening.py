"""Files that are not what they say (issue 12, group 6): one clear Chinese DataError each.

Each case goes through both readers (kpilib.sheets.inputs for the classic layouts,
kpilib.sheets.layout for workbooks as HR keeps them). On the code before
kpilib.sheets.opening these ended in a python_calamine traceback, a pandas message
in English ("No columns to parse"), a silently empty cell, or names decoded as Korean.
"""

import zipfile

import pytest
from openpyxl import Workbook

from kpilib.errors import DataError
from kpilib.sheets.inputs import read_actuals, read_incidents, read_targets
from kpilib.sheets.layout import decode_csv, read_file

READERS = {
    "targets": lambda p: read_targets(p, "long"),
    "actuals": read_actuals,
    "layout": read_file,
}


def refused(reader, path):
    with pytest.raises(DataError) as err:
        READERS[reader](path)
    (problem,) = err.value.problems
    assert problem.file and str(path.name) in problem.file
    return problem


# ---------------------------------------------------------------- not a workbook


def _csv_bytes():
    return "姓名,指标,权重,目标值\n张三,销售额,100%,100\n".encode("gbk")


FAKE_WORKBOOKS = {
    "zero_bytes.xlsx": (b"", "空文件（0 字节）"),
    "garbage.xlsx": (bytes(range(256)) * 4, "损坏的文件"),
    "renamed_csv.xlsx": (_csv_bytes(), "改了扩展名的 CSV"),
    "web_page.xls": (b"<html><body><table><tr><td>\xe5\xa7\x93\xe5\x90\x8d</td></tr>", "网页"),
    "zero_bytes.xls": (b"", "空文件（0 字节）"),
}


@pytest.mark.parametrize("reader", list(READERS))
@pytest.mark.parametrize("name", list(FAKE_WORKBOOKS))
def test_a_file_that_is_not_a_workbook_says_what_it_is(tmp_path, reader, name):
    data, what = FAKE_WORKBOOKS[name]
    path = tmp_path / name
    path.write_bytes(data)
    problem = refused(reader, path)
    assert problem.code == "not_a_workbook"
    assert what in problem.message and "Excel" in problem.fix


def test_a_renamed_csv_is_told_to_take_its_csv_name_back(tmp_path):
    path = tmp_path / "11月实际.xlsx"
    path.write_bytes(_csv_bytes())
    assert "11月实际.csv" in refused("layout", path).fix


# ---------------------------------------------------------------- empty and header-only CSV


@pytest.mark.parametrize("reader", list(READERS))
@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"\r\n\r\n", b",,,\n,,,\n"])
def test_an_empty_csv_is_one_problem(tmp_path, reader, content):
    path = tmp_path / "actuals.csv"
    path.write_bytes(content)
    assert refused(reader, path).code == "empty_file"


@pytest.mark.parametrize("reader", list(READERS))
def test_a_header_only_csv_is_one_problem_not_one_per_person(tmp_path, reader):
    path = tmp_path / "actuals.csv"
    path.write_text("姓名,指标,权重,目标值,实际值\n,,,,\n", encoding="utf-8-sig")
    problem = refused(reader, path)
    assert problem.code == "header_only" and problem.where == "第 1 行"


@pytest.mark.parametrize("reader", list(READERS))
def test_a_header_only_excel_sheet_is_one_problem(tmp_path, reader):
    book = Workbook()
    book.active.append(["2024年11月目标"])
    book.active.append(["姓名", "指标", "权重", "目标值", "实际值"])
    book.save(tmp_path / "t.xlsx")
    problem = refused(reader, tmp_path / "t.xlsx") if reader != "layout" else None
    if reader == "layout":  # read_file collects: the reading carries the one problem
        (problem,) = read_file(tmp_path / "t.xlsx").problems
    assert problem.code == "header_only" and "第 2 行" in problem.where


def test_a_blank_workbook_is_empty_not_a_missing_header(tmp_path):
    Workbook().save(tmp_path / "t.xlsx")
    assert [p.code for p in read_file(tmp_path / "t.xlsx").problems] == ["empty_file"]


def test_a_header_only_incidents_file_means_none_this_month(tmp_path):
    path = tmp_path / "incidents.csv"
    path.write_text("姓名,指标,类型,次数\n", encoding="utf-8")
    assert len(read_incidents(path)) == 0


# ---------------------------------------------------------------- encodings


# A short GBK file that charset-normalizer alone reads as Korean (CP949): 工号 → 묏뵀.
GBK_TEXT = "姓名,指标,权重,目标值,,,\n王芳,客服满意度,100%,95%,,,\n"


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-16", "utf-16-le", "big5"])
def test_csv_encodings_decode_to_the_names_written(tmp_path, encoding):
    text = (
        GBK_TEXT
        if encoding != "big5"
        else "姓名,指標,權重,目標值,,,\n陳芳,客服滿意度,100%,95%,,,\n"
    )
    path = tmp_path / "t.csv"
    path.write_bytes(text.encode(encoding))
    assert decode_csv(path)[0] == text
    t = read_targets(path, "long")
    assert t["person"].tolist() == [text.split("\n")[1].split(",")[0]]
    assert t["weight"].tolist() == [1.0] and t["target"].tolist() == [0.95]


def test_excel_unicode_text_is_utf16_and_tab_separated(tmp_path):
    """Excel's 另存为「Unicode 文本」: UTF-16 with a BOM, columns split by tabs."""
    path = tmp_path / "a.csv"
    path.write_bytes("姓名\t指标\t实际值\n张三\t销售额\t90\n李四\t销售额\t95\n".encode("utf-16"))
    a = read_actuals(path)
    assert a[["person", "item", "value"]].values.tolist() == [
        ["张三", "销售额", "90"],
        ["李四", "销售额", "95"],
    ]
    assert rows_of(read_file(path)) == [("张三", "销售额", 90), ("李四", "销售额", 95)]


def rows_of(reading):
    return [(r["person"], r["indicator"], r["actual"]) for r in reading.rows]


def test_an_error_in_a_gbk_file_names_the_encoding(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes("人员编号,指标,权重\nE01,销售额,100%\n".encode("gbk"))
    with pytest.raises(DataError, match="GB18030"):
        read_targets(path, "long")


# ---------------------------------------------------------------- formulas without a value


def _formula_book(path, cached: str | None):
    """An actuals workbook whose E2 is ``=D2*0.9``; ``cached`` writes Excel's computed
    value into the file as Excel does on saving (openpyxl writes none)."""
    book = Workbook()
    book.active.title = "11月"
    book.active.append(["姓名", "指标", "权重", "目标值", "实际值"])
    book.active.append(["张三", "销售额", "100%", 100, "=D2*0.9"])
    book.active.append(["李四", "销售额", "100%", 100, 95])
    book.save(path)
    if cached is not None:
        with zipfile.ZipFile(path) as z:
            parts = {n: z.read(n) for n in z.namelist()}
        sheet = "xl/worksheets/sheet1.xml"
        parts[sheet] = parts[sheet].replace(b"<v />", cached.encode()).replace(b"<v/>", b"")
        with zipfile.ZipFile(path, "w") as z:
            for name, data in parts.items():
                z.writestr(name, data)
    return path


@pytest.mark.parametrize("reader", list(READERS))
def test_a_formula_without_a_computed_value_names_the_cell(tmp_path, reader):
    problem = refused(reader, _formula_book(tmp_path / "a.xlsx", None))
    assert problem.code == "formula_without_value"
    assert problem.where == "11月 E2"
    assert "打开" in problem.fix and "保存" in problem.fix


def test_a_formula_with_its_value_is_read(tmp_path):
    path = _formula_book(tmp_path / "a.xlsx", "<v>90</v>")
    a = read_actuals(path)
    assert a["value"].tolist() == ["90", "95"]
    assert rows_of(read_file(path)) == [("张三", "销售额", 90), ("李四", "销售额", 95)]
