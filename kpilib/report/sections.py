"""The sections of a department's monthly report, one notebook cell each.

The department notebook (``notebooks/department.ipynb``) reads like a report::

    report = MonthReport.load("channel_ops", "2024-11")
    report.title()
    report.headline()
    report.ranking()
    ...

Each method returns an object Jupyter displays (HTML or a figure), so a
section can be added, dropped or reordered by editing one cell. A new section
(e.g. pay) is a function taking the :class:`MonthReport` and returning HTML.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from kpilib import text
from kpilib.engine.plan import Plan, load_plan
from kpilib.engine.scoring import Result
from kpilib.months import MonthHistory, history
from kpilib.outcomes.thresholds import any_hit, hits, thresholds
from kpilib.project import find_plan

MAIN_INDICATORS = 4  # headline cards: the indicators carrying the most weight


class Html:
    """HTML that Jupyter displays and nbconvert keeps as ``text/html``."""

    def __init__(self, markup: str):
        self.markup = markup

    def _repr_html_(self) -> str:
        return self.markup

    def __str__(self) -> str:
        return self.markup


@dataclass(frozen=True)
class MonthReport:
    """One department's month and the months before it, as the results store holds them."""

    months: MonthHistory

    @classmethod
    def load(
        cls,
        department: str,
        month: str,
        plan_path: str | Path | None = None,
        actuals: str | Path | None = None,
        save: bool = True,
    ) -> MonthReport:
        """``department``'s month and every earlier month, from the results store.

        A month the store lacks (or whose inputs changed) is scored once, with its
        recorded adjustments, and saved (:func:`kpilib.months.history`).

        Parameters
        ----------
        department : str
            Plan ID (``channel_ops``); the plan is ``params/<department>.yaml``.
        month : str
            ``YYYY-MM``.
        plan_path : path, optional
            The plan file, when it is not ``params/<department>.yaml``.
        actuals : path, optional
            Overrides the plan's actuals file for ``month``.
        save : bool
            Save the months that had to be scored (``kpi report --no-store``: False).
        """
        plan = load_plan(plan_path or find_plan(department))
        return cls(history(plan, month, save=save, actuals=actuals))

    @property
    def result(self) -> Result:
        return self.months.result

    @property
    def history(self) -> pd.DataFrame:
        """person, month, total, completion, grade, valid, rank of every month up to this one."""
        columns = ["person", "month", "total", "completion", "grade", "valid", "rank"]
        return self.months.people[columns]

    @property
    def notes(self) -> list[str]:
        return self.months.notes

    @property
    def plan(self) -> Plan:
        return self.result.plan

    def title(self) -> Html:
        """Department, month and plan (title, file and version digest)."""
        plan = self.plan
        file = Path(plan.path).name if plan.path else ""
        return Html(
            f'<div class="kpi-title"><h1>{_e(plan.name)} · {_e(self.result.month)} 绩效考核报告'
            f"</h1><p>考核方案：{_e(plan.title or plan.name)}（{_e(plan.department)}，"
            f"{_e(file)}，版本 {_e((plan.digest or '')[:12])}）</p></div>"
        )

    def headline(self) -> Html:
        """Cards: people, average, per grade, per condition of the plan's own pay gates and
        consequence rules; and the main indicators vs target."""
        people = self.result.people
        valid = people[people["valid"]]
        counts = people["grade"].value_counts()
        order = [g.name for g in self.plan.grades] + [self.plan.void_grade]
        cards = [
            ("考核人数", f"{len(people)}"),
            ("平均得分", text.points([valid["total"].mean()])[0] if len(valid) else "—"),
            *(
                (g, f"{counts.get(g, 0)} 人")
                for g in order
                if g != self.plan.void_grade or g in counts
            ),
        ]
        # the plan's own conditions (pay gates, consequence rules), none if it has none
        cards += [(label, f"{int(hit.sum())} 人") for label, hit in self._hits().items()]
        indicators = indicator_totals(self.result.items, self.plan)
        main = indicators.head(MAIN_INDICATORS)
        cards += [
            (f"{name}", f"{a} / {t}<br><small>{p}</small>")
            for name, a, t, p in zip(
                main["indicator"],
                text.number(main["actual"]),
                text.number(main["target"]),
                text.percent(main["completion"]),
                strict=True,
            )
        ]
        markup = "".join(
            f'<div class="card"><div class="label">{_e(k)}</div><div class="value">{v}</div></div>'
            for k, v in cards
        )
        table = indicators.assign(
            target=text.number(indicators["target"]),
            actual=text.number(indicators["actual"]),
            completion=text.percent(indicators["completion"]),
        )
        table.columns = ["指标", "人数", "目标合计", "实际合计", "完成率"]
        return _section(
            "概览",
            f'<div class="cards">{markup}</div>',
            f"<h3>各指标合计（按权重排序）</h3>{_table(table)}",
        )  # may flow on

    def ranking(self) -> Html:
        """Each person's rank, total, grade, completion and every item's completion."""
        people = self.result.people.sort_values(
            ["rank", "total"], ascending=[True, False], na_position="last"
        )
        items = self.result.items
        each = (
            (items["item"] + " " + text.percent(items["completion"]))
            .groupby(items["person"], sort=False)
            .agg(" · ".join)
        )
        table = pd.DataFrame(
            {
                "名次": people["rank"].astype("Int64").astype(str).replace("<NA>", "—").to_numpy(),
                "姓名": people["person"].to_numpy(),
                "岗位": people["role"].to_numpy(),
                "总分": text.points(people["total"]),
                # a voided month says which gate voided it; an adjusted one says so
                "等级": text.cat(
                    people["grade"].to_numpy(object),
                    np.where(people["gates"] != "", "（" + people["gates"] + "）", ""),
                    np.where(people.get("adjusted", False), "（已调整）", ""),
                ),
                "考核完成率": text.percent(people["completion"]),
                "各项完成率": each.reindex(people["person"]).to_numpy(),
            }
        )
        low = any_hit(self.plan, people, self.result.items)
        return _section("排名", _table(table, low_rows=low, wide_last=True), self._review())

    def _review(self) -> str:
        """Adjustments filed against inputs that changed since: shown, not applied."""
        review = self.months.review
        if review.empty:
            return ""
        lines = "".join(
            f"<li>第 {int(r.adjustment_id)} 号：{_e(r.person)} {_e(r.item)}（{_e(r.reason)}，"
            f"{_e(r.made_by)}）</li>"
            for r in review.itertuples(index=False)  # a handful of appeals
        )
        return (
            '<div class="note"><p>待复核的调整（登记后输入文件已改动，本版未计入；确认后运行 '
            f"kpi adjust 方案 --month {_e(self.result.month)} --confirm 编号）：</p>"
            f"<ul>{lines}</ul></div>"
        )

    def heatmap(self):
        """Person × indicator completion heatmap."""
        from kpilib.report import charts

        return _section("各项指标完成率", _figure(charts.completion_heatmap(self.result.items)))

    def distribution(self):
        """Histogram of totals over the plan's grade bands."""
        from kpilib.report import charts

        chart = charts.score_distribution(self.result.people, self.plan.grades)
        return _section("得分分布", _figure(chart))

    def trend(self):
        """Each person's total in every month with data, up to this one."""
        from kpilib.report import charts

        months = sorted(set(self.history["month"]))
        note = "".join(f'<p class="note">{_e(n)}</p>' for n in self.notes)
        caption = f"{months[0]} 至 {months[-1]}，共 {len(months)} 个月" if months else ""
        return _section("月度趋势", _figure(charts.trend_heatmap(self.history), caption), note)

    def below_threshold(self) -> Html:
        """Per condition the plan ties pay or consequences to (its pay gates and
        consequence rules): the rule as the plan words it, and who meets it this month."""
        people = self.result.people
        found = thresholds(self.plan)
        if not found:
            return _section(
                "考核结果处理条件",
                "<p>本方案未规定与月度考核结果挂钩的绩效工资门槛或处理规则。</p>",
            )
        blocks = []
        met = self._hits()
        for threshold in found:
            low = people[met[threshold.label].to_numpy()].sort_values("completion")
            rules = "".join(f"<li>{_e(r)}</li>" for r in threshold.rules)
            table = pd.DataFrame(
                {
                    "姓名": low["person"].to_numpy(),
                    "岗位": low["role"].to_numpy(),
                    "考核完成率": text.percent(low["completion"]),
                    "总分": text.points(low["total"]),
                    "等级": low["grade"].to_numpy(),
                }
            )
            body = _table(table) if len(table) else "<p>本月无人。</p>"
            blocks.append(
                f"<h3>{_e(threshold.label)}的人员</h3><p>方案规定：</p><ul>{rules}</ul>{body}"
            )
        return _section("考核结果处理条件", blocks[0], "".join(blocks[1:]))

    def _hits(self) -> pd.DataFrame:
        return hits(self.plan, self.result.people, self.result.items)

    def pay(self) -> Html:
        """Performance pay (after grade quotas) and the consequence flags with their months.

        Flags come from this month and the months before it, as the results store holds
        them (appeals included): exactly the flags the payroll workbook carries.
        """
        from kpilib.outcomes import calibrate, pay

        plan, result = self.plan, self.result
        blocks = []
        people = calibrate.calibrate(result, plan, overrides=self.months.grade_reviews)
        moved = people[people["calibrated"]]
        if plan.calibration is not None or len(moved):  # quotas, distribution or 复核调整
            table = pd.DataFrame(
                {
                    "姓名": moved["person"].to_numpy(),
                    "校准前": moved["grade_before"].to_numpy(),
                    "校准后": moved["grade"].to_numpy(),
                    "说明": moved["calibration"].to_numpy(),
                }
            )
            blocks.append(
                "<h3>等级比例校准</h3>"
                + (_table(table) if len(table) else "<p>本月无人因比例限制调整等级。</p>")
            )
        if plan.pay is not None:
            paid = pay.compute(people, plan, items=result.items)
            table = pd.DataFrame(
                {
                    "姓名": paid["person"].to_numpy(),
                    "岗位": paid["role"].to_numpy(),
                    "等级": paid["grade"].to_numpy(),
                    "总分": text.points(paid["total"]),
                    "绩效工资(元)": text.money(paid["performance_pay"]),
                    "计算说明": paid["pay_reason"].to_numpy(),
                }
            )
            total = text.money([sum(paid["performance_pay"])])[0]
            blocks.append(
                f"<h3>绩效工资</h3><p>合计 {total} 元。</p>" + _table(table, wide_last=True)
            )
        if plan.consequences is not None:
            flags = self.months.flags()
            table = pd.DataFrame(
                {
                    "姓名": flags["person"].to_numpy(),
                    "处理": flags["action"].to_numpy(),
                    "触发月份": flags["months"].to_numpy(),
                    "说明": flags["reason"].to_numpy(),
                }
            )
            blocks.append(
                "<h3>连续考核结果处理</h3>"
                + (_table(table, wide_last=True) if len(table) else "<p>本月无人触发。</p>")
            )
        if not blocks:
            return _section(
                "绩效工资与处理", "<p>本方案未规定绩效工资、等级比例或连续考核处理。</p>"
            )
        return _section("绩效工资与处理", blocks[0], "".join(blocks[1:]))

    def explanations(self) -> Html:
        """Per person: every item's target, actual, completion, points and the reason."""
        recorded = self.months.adjustments
        blocks = [person_section(self.result, p, recorded) for p in self.result.people["person"]]
        return _section("逐人得分说明", blocks[0] if blocks else "", "".join(blocks[1:]))


def indicator_totals(items: pd.DataFrame, plan: Plan) -> pd.DataFrame:
    """Per indicator with a target: people, summed target and actual, completion.

    Percentages (rates) are not summable and are left out; ordered by the
    total weight the indicator carries in the department.
    """
    summable = items.dropna(subset=["target", "actual"])
    rates = [name for name in plan.indicators if plan.unit(name) == "%"]
    summable = summable[~summable["indicator"].isin(rates)]
    grouped = summable.groupby("indicator", sort=False).agg(
        people=("person", "nunique"),
        target=("target", "sum"),
        actual=("actual", "sum"),
        weight=("weight", "sum"),
    )
    grouped = grouped[grouped["target"] > 0].sort_values("weight", ascending=False, kind="stable")
    grouped["completion"] = grouped["actual"] / grouped["target"]
    return grouped.reset_index()[["indicator", "people", "target", "actual", "completion"]]


def person_summary(row: pd.Series) -> str:
    """``总分 100.82 · 优秀 · 考核完成率 100.8%`` and any gate that fired."""
    parts = [
        f"总分 {text.points([row['total']])[0]}",
        str(row["grade"]),
        f"考核完成率 {text.percent([row['completion']])[0]}",
    ]
    if row.get("gates"):
        parts.append(f"触发：{row['gates']}")
    return " · ".join(parts)


def person_section(result: Result, person: str, recorded: pd.DataFrame | None = None) -> str:
    """HTML block explaining every point of one person's month (kpilib.explain, as
    the notebooks show it): items, gates, adjustments (``recorded``: the month's, as
    :class:`kpilib.months.MonthHistory` has them), pay."""
    from kpilib.explain import explain

    shown = recorded if recorded is not None else True
    return explain(result.plan, person, result.month, result=result, adjustments=shown).html()


def _e(value) -> str:
    return html.escape("" if value is None else str(value))


def _section(heading: str, first: str, rest: str = "") -> Html:
    # the heading and the first block stay on one printed page; the rest may flow on
    return Html(
        f'<section class="block"><div class="keep"><h2>{_e(heading)}</h2>{first}</div>'
        f"{rest}</section>"
    )


def _table(frame: pd.DataFrame, low_rows=None, wide_last: bool = False) -> str:
    markup = frame.to_html(index=False, escape=True, classes="kpi", border=0, na_rep="—")
    if low_rows is not None:
        # mark rows meeting one of the plan's conditions; pandas writes one <tr> per row, in order
        head, body = markup.split("<tbody>")
        rows = body.split("<tr>")
        rows = [rows[0]] + [
            ('<tr class="low">' if low else "<tr>") + r
            for r, low in zip(rows[1:], low_rows, strict=True)
        ]
        markup = head + "<tbody>" + "".join(rows)
    if wide_last:
        markup = markup.replace('class="dataframe kpi"', 'class="dataframe kpi wide-last"')
    return markup


def _figure(fig, caption: str = "") -> str:
    import base64

    from kpilib.report import charts

    data = base64.b64encode(charts.to_png(fig)).decode()
    cap = f"<figcaption>{_e(caption)}</figcaption>" if caption else ""
    return (
        f'<figure class="chart"><img alt="{_e(fig.axes[0].get_title())}" '
        f'src="data:image/png;base64,{data}"/>{cap}</figure>'
    )
