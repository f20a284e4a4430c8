"""Benchmark: kpilib.sheets.layout.read_file on big workbooks as HR keeps them.

    python scripts/bench_readers.py [--people 5000] [--sheets 200] [--repeat 3]

Times, median of ``--repeat`` runs, with the size doubled once to show how the time
grows (about 2x per doubling is linear; 4x is quadratic):

- a wide sheet: a title row, then 姓名 | 部门 | ten indicator columns with their
  weight in the header (``指标1（10%）``) | 总分 | 等级, one row per person;
- a long sheet: 姓名 merged down over each person's four item rows;
- ``kpi inspect --plan`` on the wide sheet (read, check, score, reconcile totals);
- a one-form-per-person workbook: one sheet per person named ``研发部-员工N``, each a
  title, 姓名/部门 labels, a header (序号, 考核项目, 权重, 自评, 上级评分), five items,
  a 合计 row and a signature row.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import xlsxwriter

INDICATORS = 10


def make_wide(path: Path, people: int) -> None:
    book = xlsxwriter.Workbook(path)
    ws = book.add_worksheet("汇总")
    ws.write_row(0, 0, ["2024年11月绩效考核汇总表"])
    header = ["姓名", "部门"] + [f"指标{k + 1}（10%）" for k in range(INDICATORS)]
    ws.write_row(1, 0, [*header, "总分", "等级"])
    for i in range(people):
        scores = [60 + (i * 7 + k * 3) % 41 for k in range(INDICATORS)]
        total = sum(scores) / INDICATORS
        grade = "A" if total >= 90 else "B" if total >= 80 else "C"
        ws.write_row(i + 2, 0, [f"员工{i:05d}", "研发部", *scores, total, grade])
    book.close()


def make_long(path: Path, people: int) -> None:
    book = xlsxwriter.Workbook(path)
    ws = book.add_worksheet("明细")
    ws.write_row(0, 0, ["姓名", "考核指标", "权重", "目标值", "实际值", "得分"])
    items = [("销售额", 0.4), ("回款率", 0.3), ("新客户", 0.2), ("协作", 0.1)]
    for i in range(people):
        top = 1 + i * len(items)
        ws.merge_range(top, 0, top + len(items) - 1, 0, f"员工{i:05d}")
        for k, (name, weight) in enumerate(items):
            ws.write_row(top + k, 1, [name, weight, 100, 90 + (i + k) % 20, weight * 90])
    book.close()


def make_forms(path: Path, sheets: int) -> None:
    book = xlsxwriter.Workbook(path)
    items = [("工作质量", 0.3), ("工作效率", 0.2), ("创新", 0.2), ("协作", 0.15), ("纪律", 0.15)]
    for i in range(sheets):
        ws = book.add_worksheet(f"研发部-员工{i:03d}")
        ws.write_row(0, 0, ["月度绩效考核表"])
        ws.write_row(1, 0, [f"姓名：员工{i:03d}", None, "部门：研发部"])
        ws.write_row(2, 0, ["序号", "考核项目", "权重", "自评", "上级评分"])
        for k, (name, weight) in enumerate(items):
            ws.write_row(3 + k, 0, [k + 1, name, weight, 90, 80 + k])
        ws.write_row(8, 0, ["合计", None, 1, None, 82])
        ws.write_row(9, 0, ["被考核人签字：", None, "上级签字："])
    book.close()


PLAN = """\
department: bench
name: 研发部
sources:
  targets: {file}
  targets_layout: sheet
  actuals: {file}
indicators:
{indicators}
grades:
  - {{name: A, min: 90}}
  - {{name: B, min: 80}}
  - {{name: C}}
"""


def inspect_wide(folder: Path, people: int, repeat: int) -> float:
    """``kpi inspect --plan`` on the wide sheet: reading, the plan check, scoring and
    the reconciliation of every person's 总分."""
    from kpilib.engine.plan import load_plan
    from kpilib.sheets.inspect import inspect_file

    path = folder / f"inspect-{people}.xlsx"
    make_wide(path, people)
    lines = "\n".join(f"  指标{k + 1}: {{rule: {{type: score}}}}" for k in range(INDICATORS))
    plan_path = folder / "bench.yaml"
    plan_path.write_text(PLAN.format(file=path.name, indicators=lines), encoding="utf-8")
    plan = load_plan(plan_path)
    report = inspect_file(path, plan)
    assert report["problems"] == [] and report["reconciled"] == [], report["problems"][:3]
    return median_time(lambda: inspect_file(path, plan), repeat)


def median_time(func, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    from kpilib.sheets.layout import read_file

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--sheets", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for label, make, size, unit in (
            ("wide sheet", make_wide, args.people, "people"),
            ("long sheet, names merged", make_long, args.people, "people"),
            ("one sheet per person", make_forms, args.sheets, "sheets"),
        ):
            for n in (size, size * 2):
                path = Path(folder) / f"{label}-{n}.xlsx"
                make(path, n)
                seconds = median_time(lambda p=path: read_file(p), args.repeat)
                reading = read_file(path)
                people = len({r["person"] for r in reading.rows})
                print(
                    f"{label:25} {n:6} {unit:7} {seconds:7.3f} s  "
                    f"({len(reading.rows)} rows, {people} people, "
                    f"{len(reading.problems)} problems)"
                )
        for n in (args.people, args.people * 2):
            seconds = inspect_wide(Path(folder), n, args.repeat)
            print(f"{'inspect --plan, wide':25} {n:6} people  {seconds:7.3f} s")


if __name__ == "__main__":
    main()
