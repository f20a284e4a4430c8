"""The payroll workbook's 考核结果应用 column lists the consequences in force, as the
department report does (issue 11 #4): a flag raised in August and not resolved is still
there in November, with the months that triggered it."""

from __future__ import annotations

import pandas as pd
import pytest

from kpilib.sheets import payroll

# seed 000's consequence rules 1 and 2, word for word in ``seed:``
PLAN = """\
department: flags_t
name: 测试部
sources:
  targets: targets.csv
  targets_layout: long
  actuals: actuals/{month}.csv
indicators:
  GMV: {unit: 元, rule: {type: ratio, cap: 120%}}
grades:
  - {name: 合格, min: 60}
  - {name: 不合格}
pay:
  form: score
  base: {运营: 1000}
consequences:
  rules:
    - name: 免当月绩效奖金
      when: completion < 60%
      over: month
      action: 免当月绩效奖金
      seed: 1、每次月度考核完成率低于60%者，免当月绩效奖金；
    - name: 警告
      when: completion < 60%
      over: year
      months: 2
      fires: once
      action: 作警告处理
      seed: 2、年度累积两次月度考核完成率低于60%者，作警告处理；
"""

# GMV actuals per month (target 100 every month): 甲 is below 60% in March (50) and
# August (55), 乙 only in November (50)
ACTUALS = {
    "甲": [90, 90, 50, 90, 90, 90, 90, 55, 90, 90, 90],
    "乙": [90] * 10 + [50],
}


@pytest.fixture
def plan(tmp_path, monkeypatch):
    monkeypatch.setenv("KPI_STORE", str(tmp_path / "results.duckdb"))
    (tmp_path / "flags_t.yaml").write_text(PLAN, encoding="utf-8")
    pd.DataFrame(
        {"岗位": "运营", "姓名": list(ACTUALS), "指标": "GMV", "权重": "100%", "目标值": 100}
    ).to_csv(tmp_path / "targets.csv", index=False)
    (tmp_path / "actuals").mkdir()
    for m in range(11):
        pd.DataFrame(
            {"姓名": list(ACTUALS), "指标": "GMV", "实际值": [v[m] for v in ACTUALS.values()]}
        ).to_csv(tmp_path / f"actuals/2024-{m + 1:02d}.csv", index=False)
    return tmp_path / "flags_t.yaml"


def test_an_august_warning_is_still_in_novembers_payroll_with_its_months(plan):
    # seed 000: "2、年度累积两次月度考核完成率低于60%者，作警告处理；" — 甲 at 50% in March and
    # 55% in August: the second time in the year is August, a warning raised then, naming
    # both months. November (90%) raises nothing new, and the warning is not resolved:
    # payroll says what applies and when it was raised (the report says why)
    flags = payroll.frame(plan, "2024-11").set_index("person")["flags"]
    assert flags["甲"] == "作警告处理（2024-08）"
    # seed 000: "1、每次月度考核完成率低于60%者，免当月绩效奖金；" — a one-month consequence:
    # 甲's March and August ones are over; 乙's is this month's
    assert flags["乙"] == "免当月绩效奖金（2024-11）"


def test_in_august_the_warning_and_the_months_bonus_are_both_listed(plan):
    flags = payroll.frame(plan, "2024-08").set_index("person")["flags"]
    assert flags["甲"] == "免当月绩效奖金（2024-08）；作警告处理（2024-08）"
    assert flags["乙"] == ""
