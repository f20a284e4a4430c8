import pandas as pd
import pytest

from kpilib.engine.formula import Formula, FormulaError


def values(**series):
    frame = pd.DataFrame(series)
    return lambda name: frame[name]


def test_conversion_is_buyers_over_uv():
    # seed 002 #4: "D.订单转换率:即成交人数/UV"
    f = Formula.parse("成交人数 / UV")
    assert f.names == {"成交人数", "UV"}
    assert f.evaluate(values(成交人数=[30.0, 45.0], UV=[1000.0, 1500.0])).tolist() == [0.03, 0.03]


def test_unit_equivalence_one_corporate_account_counts_as_ten():
    # seed 002 #5: "个人网银每月5个,公司网银无任务,办理1个按10个个人网银计算"
    f = Formula.parse("个人网银 + 10 * 公司网银")
    assert f.evaluate(values(个人网银=[3.0], 公司网银=[1.0])).tolist() == [13.0]


def test_bracketed_names_and_growth_rate():
    # seed 001: "會員增長率:計算公式為(本期會員數量-上期會員數量)/上期會員數量×100%"
    f = Formula.parse("([本期会员数] - [上期会员数]) / [上期会员数]")
    assert f.names == {"本期会员数", "上期会员数"}
    assert f.evaluate(values(本期会员数=[1150.0], 上期会员数=[1000.0])).tolist() == [
        pytest.approx(0.15)
    ]


def test_comparison_gives_a_flag():
    # seed 002 #5: "当月无差错,全体员工+3分" needs a 0/1 flag from an error count
    f = Formula.parse("差错次数 == 0")
    assert f.evaluate(values(差错次数=[0.0, 2.0])).tolist() == [1.0, 0.0]


def test_lookups_are_collected():
    f = Formula.parse('section("联检考评") <= 18 or 收缴率 < 0.75')
    assert f.lookups == {("section", "联检考评")}
    assert f.names == {"收缴率"}


def test_division_by_zero_reports_where():
    f = Formula.parse("GMV / 成交人数")
    with pytest.raises(FormulaError, match="除以 0") as info:
        f.evaluate(values(GMV=[100.0, 50.0], 成交人数=[4.0, 0.0]))
    assert info.value.where.tolist() == [False, True]


@pytest.mark.parametrize(
    "text, message",
    [
        ("__import__('os').system('x')", "调用了 __import__"),
        ("a.b", "Attribute"),
        ("a ** 2", "Pow"),
        ("{1: 2}", "Dict"),
        ("'a' + 1", "不是数字"),
        ("lambda: 1", "Lambda"),
        ("7日留存率 + 1", "无法解析"),
        ("points(GMV)", "带引号的名称"),
    ],
)
def test_anything_but_arithmetic_is_refused(text, message):
    with pytest.raises(FormulaError, match=message):
        Formula.parse(text)


def test_percent_literals_as_analysts_write_them():
    # seed 002 #12: "楼层费用收缴率...未达到75%(含)以上,则本月考核成绩无效;若达到96%--100%..."
    f = Formula.parse("收缴率 >= 96% or [完成率%] < 75％")
    assert f.names == {"收缴率", "完成率%"}
    got = f.evaluate(values(收缴率=[0.96, 0.95, 0.5], **{"完成率%": [1.0, 1.0, 0.7]}))
    assert got.tolist() == [1.0, 0.0, 1.0]


def test_floor_counts_whole_units():
    # seed 002 #5: interest recovered "每5万加1分" — whole 50,000-yuan units
    f = Formula.parse("floor(回收利息 / 50000)")
    assert f.evaluate(values(回收利息=[49999.0, 50000.0, 120000.0])).tolist() == [0.0, 1.0, 2.0]


@pytest.mark.parametrize(
    "text, expected",
    [
        # seed 002 #10: "低于95%高于85%，获得50%": half the pay of a 1,000 base → 1000 − 50% × 1000
        ("base - 50% * base", 500.0),
        # seed 002 regional: "低于90%,不能获得绩效薪酬": completion relative to the 90% line;
        # 85.5% / 90% = 95%, where 85.5% / 90 / 100 would be 0.000095
        ("完成率 / 90%", 0.95),
        ("完成率 / 90 %", 0.95),
    ],
)
def test_a_percent_is_one_number_inside_a_formula(text, expected):
    got = Formula.parse(text).evaluate(values(base=[1000.0], 完成率=[0.855]))
    assert got.tolist() == pytest.approx([expected])
