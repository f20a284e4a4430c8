"""Grade quotas (seed 002 #8 rule 20, seed 004 excellent quota) and the payroll workbook."""

from __future__ import annotations

from decimal import Decimal

import openpyxl
import pandas as pd
import pytest

import kpilib
from kpilib import store as history
from kpilib.errors import PlanError
from kpilib.outcomes.calibrate import calibrate
from kpilib.sheets import payroll
from tests.conftest import ROOT, make_plan

INDICATORS = {"销售额": {"rule": {"type": "ratio"}}, "客户数": {"rule": {"type": "ratio"}}}


def scored(plan, rows):
    """(person, total, completion of the heavy item 销售额 (70%)) rows as a Result."""
    people = pd.DataFrame(rows, columns=["person", "total", "heavy"])
    people["completion"], people["valid"] = people["total"] / 100, True
    grades = plan.grades
    people["grade"] = [
        next(g.name for g in grades if g.min is None or t >= g.min) for t in people["total"]
    ]
    items = pd.concat(
        [
            pd.DataFrame(
                {
                    "person": people["person"],
                    "item": "销售额",
                    "weight": 0.7,
                    "completion": people["heavy"],
                }
            ),
            pd.DataFrame(
                {"person": people["person"], "item": "客户数", "weight": 0.3, "completion": 1.0}
            ),
        ]
    )
    return kpilib.Result(plan, "2024-11", items, people.drop(columns="heavy"))


def test_at_most_20_percent_excellent_ties_by_the_heaviest_item_then_name():
    # seed 004: excellent quota; tie rule as the plan states it: higher completion on
    # the heaviest item, then name. 10 people × 20% = 2 places for 优秀.
    plan = make_plan(
        INDICATORS,
        calibration={
            "quotas": [{"grade": "优秀", "at_most": "20%"}],
            "tie_break": ["heaviest_completion", "person"],
        },
    )
    rows = [
        ("甲", 97, 1.0),
        ("乙", 93, 0.9),
        ("丙", 93, 0.95),
        ("丁", 93, 0.95),
        ("戊", 91, 1.0),
    ] + [(f"员{i}", 70, 0.7) for i in range(5)]
    out = calibrate(scored(plan, rows)).set_index("person")
    # 甲 (97) first; 乙, 丙, 丁 tie at 93: 丙 and 丁 (95%) beat 乙 (90%), and by name in
    # pinyin order 丙 bǐng comes before 丁 dīng (though U+4E01 丁 < U+4E19 丙), so 丙 keeps
    # 优秀; 乙, 丁 and 戊 move down to 良好
    assert list(out.loc[out["grade"] == "优秀"].index) == ["甲", "丙"]
    assert list(out.loc[out["calibrated"]].index) == ["乙", "丁", "戊"]
    assert set(out.loc[out["calibrated"], "grade_before"]) == {"优秀"}
    assert set(out.loc[out["calibrated"], "grade"]) == {"良好"}
    assert out.loc["丁", "calibration"].startswith("优秀名额 20% × 10 人 = 2 人")


def test_the_excess_counts_toward_the_next_grades_quota():
    # seed 002 #8 rule 20: 应考虑考绩正态分布比率: 优秀 ≤10%, 良好 ≤20% of 10 people
    plan = make_plan(
        INDICATORS,
        calibration={
            "quotas": [{"grade": "优秀", "at_most": "10%"}, {"grade": "良好", "at_most": "20%"}]
        },
    )
    rows = [("A", 95, 1), ("B", 94, 1), ("C", 85, 1), ("D", 84, 1)] + [
        (f"E{i}", 70, 1) for i in range(6)
    ]
    out = calibrate(scored(plan, rows)).set_index("person")
    # 优秀: A keeps it, B → 良好; 良好 now B, C, D with 2 places: B, C keep, D → 合格
    assert out.loc[["A", "B", "C", "D"], "grade"].tolist() == ["优秀", "良好", "良好", "合格"]


def test_a_quota_for_an_unknown_grade_is_a_plan_error():
    plan = make_plan(INDICATORS, calibration={"quotas": [{"grade": "卓越", "at_most": "10%"}]})
    with pytest.raises(PlanError, match="等级 '卓越' 不是方案的等级.*优秀、良好、合格、不合格"):
        calibrate(scored(plan, [("A", 95, 1)]))


def test_the_payroll_workbook_has_headers_formats_and_no_formulas(tmp_path):
    store = tmp_path / "r.duckdb"
    plan = kpilib.load_plan(ROOT / "params/channel_ops.yaml")
    result = kpilib.score_month(plan, "2024-11")
    people = result.people.copy()
    people.loc[people["person"] == "张诚磊", "person"] = '=HYPERLINK("x")'
    items = result.items.replace({"person": {"张诚磊": '=HYPERLINK("x")'}})
    history.save(kpilib.Result(plan, "2024-11", items, people), files=[], store=store)
    table = payroll.frame(plan, "2024-11", store)
    path = payroll.write(table, tmp_path / "payroll.xlsx", "渠道运营中心", "2024-11")
    sheet = openpyxl.load_workbook(path).active
    headers = [c.value for c in sheet[3]]  # below the title and the period line
    # no 校准前等级: channel_ops calibrates nothing, so it would repeat 等级
    assert headers[:5] == ["姓名", "岗位", "考核得分", "考核完成率", "等级"]
    assert sheet.freeze_panes == "B4"
    rows = {r[0].value: r for r in sheet.iter_rows(min_row=4)}
    col = {h: i for i, h in enumerate(headers)}
    zhang = rows['=HYPERLINK("x")']
    assert zhang[0].data_type == "s" and zhang[0].quotePrefix
    # 2,000 × 74.42 / 100 = 1,488.40 (the plan's assumed 商务岗 base)
    assert zhang[col["绩效工资(元)"]].value == 1488.4
    assert zhang[col["绩效工资(元)"]].number_format == "#,##0.00"
    assert zhang[col["考核完成率"]].number_format == "0.0%"
    zeng = rows["曾志伟"]
    assert zeng[col["绩效工资(元)"]].value == 0
    assert "免当月绩效奖金" in zeng[col["考核结果应用"]].value
    # the month total, worked out apart from pay.py: seed 000 rule 1 ("每次月度考核完成率低于60%者，
    # 免当月绩效奖金") and the plan's bases (部门负责人岗 3,000, 商务岗 2,000, 渠道运营岗 1,500)
    # × each person's total / 100, in Decimal yuan (the bases make every figure exact)
    base = {"部门负责人岗": 3000, "商务岗": 2000, "渠道运营岗": 1500}
    paid = people[people["completion"] >= 0.6]
    expected = sum(
        Decimal(base[r]) * Decimal(f"{t:.2f}") / 100
        for r, t in zip(paid["role"], paid["total"], strict=True)
    )
    # 潘君捷 (30.10 + 10.71 = 40.81 of 100, tests/test_scoring.py) and 曾志伟 (53.9%) get nothing
    assert sorted(set(people["person"]) - set(paid["person"])) == sorted(["潘君捷", "曾志伟"])
    assert sum(table["performance_pay"]) == expected
    with pytest.raises(kpilib.KpiError, match="已存在"):
        payroll.write(table, path)


def test_quota_places_are_rounded_down():
    # seed 004 (excellent quota) at 20% of 19 people: 3.8 places → 3, never 4
    # (calibrate.py: "floor(share × people) places are given")
    plan = make_plan(INDICATORS, calibration={"quotas": [{"grade": "优秀", "at_most": "20%"}]})
    rows = [(f"优{k}", 99 - k, 1.0) for k in range(5)] + [(f"合{k}", 70, 0.7) for k in range(14)]
    out = calibrate(scored(plan, rows)).set_index("person")
    assert list(out.index[out["grade"] == "优秀"]) == ["优0", "优1", "优2"]
    assert out.loc["优3", "calibration"].startswith("优秀名额 20% × 19 人 = 3 人")
