"""Charts: Chinese text renders with a real CJK font, and the numbers behind them."""

import io
import warnings

import matplotlib
import pandas as pd
import pytest

from kpilib import score_month
from kpilib.engine.plan import load_plan
from kpilib.report import charts

PLAN = "params/channel_ops.yaml"


@pytest.fixture(scope="module")
def result():
    return score_month(PLAN, "2024-11")


def test_charts_use_a_cjk_font_without_changing_matplotlib_globals():
    before = dict(matplotlib.rcParams)
    family = charts.setup_fonts()
    assert "WenQuanYi" in family or "CJK" in family or "Droid" in family
    with charts.styled():
        assert matplotlib.rcParams["font.sans-serif"][0] == family
        assert matplotlib.rcParams["axes.unicode_minus"] is False
    charts.score_distribution(
        pd.DataFrame({"total": [70.0], "valid": [True]}), load_plan(PLAN).grades
    )
    assert dict(matplotlib.rcParams) == before


def test_every_report_chart_draws_chinese_without_missing_glyphs(result):
    history = pd.DataFrame(
        {
            "person": ["胡百川", "胡百川"],
            "month": ["2024-10", "2024-11"],
            "total": [95.5, 100.82],
            "grade": ["优秀", "优秀"],
            "valid": [True, False],
        }
    )
    figures = [
        charts.completion_heatmap(result.items),
        charts.score_distribution(result.people, result.plan.grades),
        charts.trend_heatmap(history, result.plan.grades),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph 渠 missing from font(s)" would fail here
        pngs = [charts.to_png(fig) for fig in figures]
    assert all(png.startswith(b"\x89PNG") for png in pngs)


def test_the_glyph_check_fails_without_a_cjk_font():
    # proves the test above can fail: DejaVu Sans alone has no Chinese glyphs
    fig = matplotlib.figure.Figure()
    fig.add_subplot().set_title("渠道运营中心")
    with matplotlib.rc_context({"font.sans-serif": ["DejaVu Sans"]}):
        with pytest.warns(UserWarning, match="missing from font"):
            fig.savefig(io.BytesIO(), format="png")  # drawn outside charts.styled()


def test_completion_matrix_weights_sub_items():
    # seed 000, 林燕: 业务运营 10% 3 ①新增API客户的上线跟产单 / 5% 1 ② / 5% 1 ③
    items = pd.DataFrame(
        {
            "person": ["林燕"] * 4,
            "indicator": ["直连酒店GMV", "业务运营", "业务运营", "业务运营"],
            "weight": [0.50, 0.10, 0.05, 0.05],
            "completion": [0.9, 1.0, 0.0, 1.0],
        }
    )
    matrix = charts.completion_matrix(items)
    # (10% × 100% + 5% × 0% + 5% × 100%) / 20% = 75%
    assert matrix.loc["林燕", "业务运营"] == pytest.approx(0.75)
    assert matrix.loc["林燕", "直连酒店GMV"] == pytest.approx(0.9)


def test_heatmap_has_a_cell_for_every_person_and_indicator(result):
    matrix = charts.completion_matrix(result.items)
    assert len(matrix) == 19  # seed 000 lists 19 people
    assert "GMV指标" in matrix.columns
    # seed 000: 潘君捷 有产客户数 target 42; sample actual 15 -> 15 / 42 = 35.7%
    assert matrix.loc["潘君捷", "有产客户数"] == pytest.approx(15 / 42)
    # 胡百川 carries no 商务岗 GMV指标: blank, not zero
    assert pd.isna(matrix.loc["胡百川", "GMV指标"])


def test_distribution_bands_follow_the_plan():
    plan = load_plan(PLAN)
    people = pd.DataFrame({"total": [40.81, 74.4, 112.67], "valid": [True, True, True]})
    fig = charts.score_distribution(people, plan.grades)
    names = [t.get_text() for t in fig.axes[0].texts]
    assert names == ["优秀", "良好", "合格", "不合格"]
