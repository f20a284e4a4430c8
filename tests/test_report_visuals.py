"""What the department head sees (issue 11, points 1-7): figures that do not mislead,
charts that tell the truth, consequences in force, rules in words, scorecards, the index.

Numbers are hand-computed from the shipped sample actuals and the seeds' plans.
"""

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kpilib.engine.plan import load_plan
from kpilib.engine.policy import shown
from kpilib.report import charts
from kpilib.report.sections import MonthReport, indicator_points, indicator_totals

ROOT = Path(__file__).resolve().parent.parent
MONTH = "2024-11"


@pytest.fixture(autouse=True)
def own_store(tmp_path, monkeypatch):
    monkeypatch.setenv("KPI_STORE", str(tmp_path / "results.duckdb"))


def load(department: str) -> MonthReport:
    return MonthReport.load(department, MONTH, plan_path=ROOT / f"params/{department}.yaml")


# --- 2. no misleading figures ------------------------------------------------------------


def test_ratios_are_the_departments_own_ratio_never_summed():
    # ecommerce.yaml: ROI "formula: 成交金额 / 推广费用", target 3 for 冯雪 and 蒋涛. Sample
    # actuals: 冯雪 895,600 / 293,100 = 3.06, 蒋涛 861,900 / 336,400 = 2.56; summed that is
    # "ROI 5.6177 / 6". The department's own: (895,600 + 861,900) / (293,100 + 336,400)
    # = 1,757,500 / 629,500 = 2.79. 客单价 = 成交金额 / 成交人数: 方磊 1,123,500 / 3,580,
    # 许静 691,300 / 2,608 → 1,814,800 / 6,188 = 293.28 of the common target 300.
    report = load("ecommerce")
    table = report.indicators_frame().set_index("indicator")
    assert table.loc["ROI", "basis"] == "ratio"
    assert table.loc["ROI", "actual"] == pytest.approx(1_757_500 / 629_500)
    assert table.loc["ROI", "target"] == 3
    assert table.loc["客单价", "actual"] == pytest.approx(1_814_800 / 6_188)
    assert table.loc["客单价", "actual_text"] == "293.28"
    # money adds up: GMV 1,123,500 + 691,300 = 1,814,800 of 900,000 + 900,000
    assert table.loc["GMV", "basis"] == "sum"
    assert table.loc["GMV", "actual"] == 1_814_800 and table.loc["GMV", "target"] == 1_800_000
    # a rate without a formula (跳出率, unit %): the median, never a sum
    # 冯雪 48.9%, 蒋涛 54.9% → median 51.9%
    assert table.loc["跳出率", "basis"] == "median"
    assert table.loc["跳出率", "actual_text"] == "51.9%"
    page = str(report.headline()) + str(report.indicators())
    assert "5.6177" not in page and "578.8958" not in page
    assert "2.79 / 3.00" in page


def test_every_indicator_is_listed_with_its_mean_points_and_score_rate():
    # two people on a 60-point item (54 and 30 points) and a bonus item without full points
    # (+1 and 0): mean 42.00, rate (54 + 30) / (60 + 60) = 70.0%; the bonus 0.50, no rate
    items = pd.DataFrame(
        {
            "person": ["甲", "乙", "甲", "乙"],
            "indicator": ["回款", "回款", "突出贡献", "突出贡献"],
            "weight": [0.6, 0.6, 0.0, 0.0],
            "points": [54.0, 30.0, 1.0, 0.0],
            "full_points": [60.0, 60.0, 0.0, 0.0],
        }
    )
    table = indicator_points(items).set_index("indicator")
    assert table.loc["回款", "mean_points"] == 42 and table.loc["回款", "score_rate"] == 0.7
    assert table.loc["突出贡献", "mean_points"] == 0.5
    assert np.isnan(table.loc["突出贡献", "score_rate"])
    # seed 002 mall: 联检 is the only item with a target, yet the summary lists all seven
    # (数据掌握 banded on 收缴率, 执行力 and 纪律 counted, ratings...), each with its points
    report = load("mall_floor")
    page = str(report.indicators())
    for name in load_plan(ROOT / "params/mall_floor.yaml").indicators:
        assert f"<td>{name}</td>" in page, name
    assert "得分率" in page


def test_without_the_measures_a_ratio_is_a_median_not_a_sum():
    report = load("ecommerce")
    table = indicator_totals(report.result.items, report.plan).set_index("indicator")
    # median of 3.06 and 2.56 = 2.81; never 5.62
    assert table.loc["ROI", "basis"] == "median"
    assert table.loc["ROI", "actual"] == pytest.approx((895_600 / 293_100 + 861_900 / 336_400) / 2)


def test_points_two_decimals_percentages_one_and_numbers_right_aligned():
    # seed 000 sample month: 陈春春 76.8 and 张诚磊 74.42 print as 76.80 and 74.42
    ranking = str(load("channel_ops").ranking())
    assert '<td class="num">76.80</td>' in ranking
    assert '<td class="num">74.42</td>' in ranking
    assert '<td class="num">76.8%</td>' in ranking  # completion, one decimal
    assert re.search(r'<th class="num">总分</th>', ranking)
    totals = re.findall(r"<td>[^<]+</td><td>[^<]+</td><td class=\"num\">([^<]+)</td>", ranking)
    assert len(totals) == 19 and all(re.fullmatch(r"\d+\.\d\d", t) for t in totals)


# --- 1. page 1 is the answer --------------------------------------------------------------


def test_ranking_has_pay_conditions_and_consequences_in_force():
    ranking = str(load("channel_ops").ranking())
    head = ranking.split("</thead>")[0]
    for column in ("名次", "姓名", "岗位", "总分", "等级", "绩效工资(元)", "本月触发条件"):
        assert column in head
    assert "在执行的处理" in head
    row = ranking.split("<td>潘君捷</td>")[1].split("</tr>")[0]
    # seed 000 rule 1: 每次月度考核完成率低于60%者，免当月绩效奖金 — 40.8% this month
    assert '<td class="num">0.00</td>' in row and "考核完成率 &lt; 60%" in row
    assert "调岗、降薪或淘汰处理" in row  # raised in August, still in force


def test_a_condition_nobody_meets_is_one_line_not_an_empty_table():
    # channel_ops.yaml rule 5 (seed 000: "5、试用期员工绩效得分作为转正评估依据。") names nobody
    section = str(load("channel_ops").below_threshold())
    assert "试用期的人员：无" in section
    assert "<h3>试用期的人员</h3>" not in section
    assert section.count("<table") == 1  # only 考核完成率 < 60% has people


# --- 3. charts tell the truth ------------------------------------------------------------


def _cell(fig, row, col):
    return fig.axes[0].images[0].get_array()[row, col][:3]


def test_trend_colours_by_the_plans_own_grades_on_its_scale():
    # procurement.yaml (seed 004, scale 300): 优秀 ≥270, 良好 ≥240, 合格 ≥180: 199 is 合格
    plan = load_plan(ROOT / "params/procurement.yaml")
    history = pd.DataFrame(
        {
            "person": ["唐莉", "何军"],
            "month": [MONTH, MONTH],
            "total": [199.0, 360.0],
            "grade": ["合格", "优秀"],
            "valid": [True, True],
        }
    )
    fig = charts.trend_heatmap(history, plan.grades)
    colours = charts.grade_colours(plan.grades)
    import matplotlib.colors as mc

    assert np.allclose(_cell(fig, 0, 0), mc.to_rgb(colours["合格"]))
    assert not np.allclose(_cell(fig, 0, 0), mc.to_rgb(colours["优秀"]))
    assert np.allclose(_cell(fig, 1, 0), mc.to_rgb(colours["优秀"]))


def test_voided_months_are_marked_not_coloured_by_score():
    # seed 002 mall: "部门考评...低于51分(含)...本月绩效考核成绩无效"; 吴佳 is voided in the
    # sample months (部门考评 40 ≤ 51 and 收缴率 72.4% < 75% in November)
    report = load("mall_floor")
    history = report.history
    fig = charts.trend_heatmap(history, report.plan.grades)
    texts = [t.get_text() for t in fig.axes[0].texts]
    voided = int((~history["valid"].astype(bool)).sum())
    assert voided >= 1 and texts.count("无效") == voided
    assert "69.88" not in texts  # 吴佳's voided November total is not shown as a score
    row = list(history["person"].drop_duplicates()).index("吴佳")
    grey = _cell(fig, row, len(set(history["month"])) - 1)
    import matplotlib.colors as mc

    assert np.allclose(grey, mc.to_rgb("#d5d8dc"))
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend[-1].startswith("无效") and "合格 ≥60" in legend
    trend = str(report.trend())
    assert "吴佳 2024-11（部门考评≤51分；收缴率未达75%）" in trend


def test_distribution_runs_to_the_plans_scale():
    plan = load_plan(ROOT / "params/procurement.yaml")
    people = pd.DataFrame({"total": [199.0, 360.0], "valid": [True, True]})
    fig = charts.score_distribution(people, plan.grades, scale=plan.scale)
    low, high = fig.axes[0].get_xlim()
    assert high >= 360 and low <= 180 - 15  # the 合格 band (≥180) shows whole


# --- 4. consequences in force --------------------------------------------------------------


def test_a_transfer_flagged_in_march_is_still_in_force_in_november():
    # seed 000 rule 4: "年度累积三次考核完成率低于60%者，公司将无条件对其作调岗、降薪或淘汰处理".
    # 曾志伟's completion (the sample year): January 46.0%, February 35.8%, March 43.5%:
    # the third in March.
    report = load("channel_ops")
    force = report.months.in_force()
    mine = force[force["person"] == "曾志伟"].set_index("action")
    assert mine.loc["调岗、降薪或淘汰处理", "month"] == "2024-03"
    assert mine.loc["调岗、降薪或淘汰处理", "months"] == "2024-01、2024-02、2024-03"
    # rule 2 (年度累积两次 → 作警告处理) and rule 3 (连续两次 → 纳入绩效改进计划): February
    assert mine.loc["作警告处理", "months"] == "2024-01、2024-02"
    assert mine.loc["纳入绩效改进计划", "month"] == "2024-02"
    # rule 1 is this month's only: 免当月绩效奖金 for 2024-11, none for earlier months
    assert list(mine.loc["免当月绩效奖金", ["month"]]) == ["2024-11"]
    # payroll's flags are this month's only (its awards are paid once)
    assert set(report.months.flags()["action"]) == {"免当月绩效奖金"}
    section = str(report.pay())
    assert "在执行的考核结果处理" in section and "2024-01、2024-02、2024-03" in section


# --- 5. rules in words ---------------------------------------------------------------------


def test_conditions_read_in_words():
    # seed 002 mall: "部门考评...低于51分(含)"; "交办工作...第四次则取消本月绩效考核"
    plan = load_plan(ROOT / "params/mall_floor.yaml")
    words = {g.name: shown(g.when, plan) for g in plan.gates}
    assert words["部门考评≤51分"] == "部门考评 ≤ 51 分"
    assert words["交办工作第四次未完成"] == "执行力 ≥ 4"
    assert words["收缴率未达75%"] == "费用收缴率 < 75%"  # unit %, written 0.75 in the plan
    assert shown("completion < 60%") == "考核完成率 < 60%"
    from kpilib.explain import explain

    steps = explain(plan, "吴佳", MONTH).steps.set_index("name")
    assert steps.loc["部门考评≤51分", "rule"] == "条件 部门考评 ≤ 51 分"
    assert "section(" not in " ".join(steps["rule"].astype(str))


def test_rule_types_read_in_chinese():
    rules = set(load("bank_branch").indicators_frame()["rule"])
    assert {"完成率", "扣分"} <= rules
    channel = load("channel_ops").indicators_frame().set_index("indicator")
    # seed 000: 部门管理绩效 3 items → a count; GMV指标 a completion ratio
    assert channel.loc["部门管理绩效(项)", "rule"] == "计数"
    assert channel.loc["GMV指标", "rule"] == "完成率"
    assert "ratio" not in str(load("channel_ops").indicators())


# --- 6. scorecards -----------------------------------------------------------------------


def test_a_scorecard_has_the_pay_line_and_consequences_once(tmp_path):
    from kpilib.report.scorecards import write_scorecards

    report = load("channel_ops")
    cards = write_scorecards(report, tmp_path, made_at="2024-12-02T01:30:00+00:00")
    card = cards["潘君捷"].read_text(encoding="utf-8")
    # 2,000 × 40.81 / 100 = 816.20, then "免当月绩效奖金" (completion 40.8% < 60%) → 0.00
    assert "绩效工资 0.00 元：2,000.00 × 40.81 / 100 = 816.20" in card
    # 潘君捷 below 60% in January (35.2%), February (44.5%) and March (39.5%): the third in March
    assert "调岗、降薪或淘汰处理（2024-01、2024-02、2024-03 触发，2024-03 标记）" in card
    # no second header from the explanation
    assert card.count('class="summary">总分 40.81') == 1 and "<h3>" not in card
    assert "&#34;" not in card.split("</style>")[0]  # the font family is not escaped
    assert "生成于 2024年12月" in card


# --- 7. the index ------------------------------------------------------------------------


def _record(folder: Path, department: str, name: str, version: int, files: dict) -> None:
    run = folder / department / f"v{version}"
    run.mkdir(parents=True)
    for href in files.values():
        (folder / href).write_text("x", encoding="utf-8")
    record = {
        "department": department,
        "name": name,
        "status": "ok",
        "made_at": f"2024-12-0{version}T01:30:00+00:00",
        "version": version,
        "folder": f"{department}/v{version}",
        "files": files,
        "plan_file": f"params/{department}.yaml",
        "plan_title": name,
        "plan_digest": "ab" * 32,
        "inputs": [{"path": "data/a.csv", "sha256": "cd" * 32}],
    }
    (run / "run.json").write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")


def test_index_names_first_checksums_folded_and_the_last_pdf_kept(tmp_path):
    from kpilib.report.index import write_index

    folder = tmp_path / MONTH
    folder.mkdir()
    full = {
        "notebook": "channel_ops/v1/channel_ops.ipynb",
        "HTML": "channel_ops/v1/channel_ops.html",
        "PDF": "channel_ops/v1/channel_ops.pdf",
    }
    _record(folder, "channel_ops", "渠道运营中心", 1, full)
    # v2 rendered with --format html: no PDF of its own
    html_only = {
        "notebook": "channel_ops/v2/channel_ops.ipynb",
        "HTML": "channel_ops/v2/channel_ops.html",
    }
    _record(folder, "channel_ops", "渠道运营中心", 2, html_only)
    _record(folder, "bank_branch", "银行分理处", 1, {"HTML": "bank_branch/v1/bank_branch.html"})
    page = write_index(folder, MONTH).read_text(encoding="utf-8")
    current = page.split("全部运行记录")[0]
    main_rows = re.sub(r'<tr class="details">.*?</tr>', "", current, flags=re.S)
    assert ".ipynb" not in main_rows and "ab" * 6 not in main_rows
    details = re.findall(r'<tr class="details">.*?</tr>', current, flags=re.S)
    assert any("abababababab" in d and "cdcdcdcdcdcd" in d and ".ipynb" in d for d in details)
    assert 'href="channel_ops/v1/channel_ops.pdf">PDF（v1）</a>' in current
    # department names first, in pinyin order: 渠道 (qu) before 银行 (yin)
    assert current.index("渠道运营中心") < current.index("银行分理处")
    assert re.search(r"2024年12月\d+日 \d\d:\d\d:\d\d", current)
    assert "T01:30:00" not in page
