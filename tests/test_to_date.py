"""Year-to-date actuals against annual or pro-rated targets (issue 14 #3, engine/to_date.py)."""

from __future__ import annotations

import pandas as pd
import pytest

from kpilib import load_plan
from kpilib.errors import DataError, PlanError
from kpilib.months import score_month

PLAN = """\
department: bank_ytd
name: 支行柜员
sources:
  targets: targets.csv
  targets_layout: long
  actuals: actuals/{{month}}.csv
indicators:
  分红保险:
    unit: 元
    year_to_date: {ytd}
    rule: {{type: ratio, cap: 200%}}
  其他:
    rule: {{type: ratio, cap: 100%}}
grades:
  - {{name: 合格, min: 60}}
  - {{name: 不合格}}
"""


def project(tmp_path, sales, ytd="{target: annual}", annual=5000):
    """A teller's plan: 分红保险 2 points (seed 002 bank), the rest 98; one month per sale."""
    (tmp_path / "bank_ytd.yaml").write_text(PLAN.format(ytd=ytd), encoding="utf-8")
    pd.DataFrame(
        {
            "岗位": "柜员",
            "姓名": "陈晓燕",
            "指标": ["分红保险", "其他"],
            "权重": ["2%", "98%"],
            "目标值": [annual, 100],
        }
    ).to_csv(tmp_path / "targets.csv", index=False)
    (tmp_path / "actuals").mkdir()
    for m, value in enumerate(sales, start=1):
        pd.DataFrame(
            {"姓名": "陈晓燕", "指标": ["分红保险", "其他"], "实际值": [value, 100]}
        ).to_csv(tmp_path / f"actuals/2024-{m:02d}.csv", index=False)
    return load_plan(tmp_path / "bank_ytd.yaml")


def item(result, name="分红保险"):
    return result.items.set_index("item").loc[name]


def test_seed_002_bank_dividend_insurance_on_the_year_to_date_figure(tmp_path):
    # seed 002 bank: "(4)、分红保险(分值2分,最高比例控制200%):全年任务5000元"
    plan = project(tmp_path, [1000, 1500, 0, 2000])
    april = item(score_month(plan, "2024-04"))
    # 1,000 + 1,500 + 0 + 2,000 = 4,500 of the annual 5,000 = 90% → 90% of 2 points
    assert april["actual"] == 4500
    assert april["target"] == 5000
    assert april["completion"] == pytest.approx(0.9)
    assert april["points"] == 1.8


def test_a_target_pro_rated_to_the_month(tmp_path):
    plan = project(tmp_path, [1000, 1500, 0, 2000], ytd="{target: prorated}", annual=6000)
    april = item(score_month(plan, "2024-04"))
    # 4,500 against 6,000 × 4/12 = 2,000 → 225%, capped at 200% → 4 points
    assert april["target"] == 2000
    assert april["points"] == 4.0


def test_a_plan_given_month_split(tmp_path):
    split = "[5%, 5%, 10%, 10%, 10%, 10%, 10%, 10%, 10%, 5%, 5%, 10%]"
    plan = project(tmp_path, [1000, 1500, 0, 2000], ytd=f"{{target: prorated, split: {split}}}")
    april = item(score_month(plan, "2024-04"))
    # due by April: 5% + 5% + 10% + 10% = 30% of 5,000 = 1,500; 4,500 / 1,500 = 300% → cap 200%
    assert april["target"] == 1500
    assert april["points"] == 4.0


def test_a_missing_earlier_month_is_refused_not_counted_as_zero(tmp_path):
    plan = project(tmp_path, [1000, 1500, 0, 2000])
    (tmp_path / "actuals/2024-02.csv").unlink()
    with pytest.raises(DataError) as info:
        score_month(plan, "2024-04")
    assert info.value.problems[0].code == "year_to_date_month_missing"
    assert "2024-02" in info.value.problems[0].message


def test_year_to_date_refuses_a_formula_indicator(tmp_path):
    project(tmp_path, [1000])
    text = (tmp_path / "bank_ytd.yaml").read_text(encoding="utf-8")
    (tmp_path / "bank_ytd.yaml").write_text(
        text.replace("    year_to_date:", "    formula: 其他 * 2\n    year_to_date:"),
        encoding="utf-8",
    )
    with pytest.raises(PlanError) as info:
        load_plan(tmp_path / "bank_ytd.yaml")
    assert info.value.problems[0].where == "indicators.分红保险"
