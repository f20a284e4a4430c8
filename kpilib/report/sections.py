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

import ast
import html
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from kpilib import text
from kpilib.engine.formula import Formula
from kpilib.engine.plan import Plan, load_plan
from kpilib.engine.scoring import Result
from kpilib.errors import KpiError
from kpilib.i18n import N_, _
from kpilib.months import MonthHistory, history
from kpilib.outcomes.thresholds import hits, thresholds
from kpilib.project import find_plan

MAIN_INDICATORS = 4  # headline cards: the indicators carrying the most weight
# Units whose figures add up across people (money and counts); anything else (%, 倍, 秒,
# 分, an unknown unit) or a figure derived by a division is a ratio, never summed.
ADDITIVE_UNITS = frozenset(
    "元 万元 千元 亿元 户 人 人次 次 单 项 个 件 笔 份 家 台 张 条 起 位 名 套 场 篇 辆 箱".split()
)
BASIS = {"sum": N_("合计"), "ratio": N_("部门比率"), "median": N_("中位数")}


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
    actuals: str | Path | None = None  # the month's actuals file, when not the plan's

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
        from kpilib.report import handoff

        # in kpi report's kernel: the month its worker has just loaded, not read again
        handed = handoff.take(handoff.key(department, month, plan_path, actuals, save))
        if handed is not None:
            return cls(handed, actuals)
        plan = load_plan(plan_path or find_plan(department))
        return cls(history(plan, month, save=save, actuals=actuals), actuals)

    @property
    def result(self) -> Result:
        return self.months.result

    @property
    def history(self) -> pd.DataFrame:
        """person, month, total, completion, grade, valid, rank, gates of every month up to
        this one."""
        columns = ["person", "month", "total", "completion", "grade", "valid", "rank", "gates"]
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
        heading = _("{name} · {month} 绩效考核报告").format(
            name=_e(plan.name), month=_e(self.result.month)
        )
        about = _("考核方案：{title}（{department}，{file}，版本 {digest}）").format(
            title=_e(plan.title or plan.name),
            department=_e(plan.department),
            file=_e(file),
            digest=_e((plan.digest or "")[:12]),
        )
        return Html(f'<div class="kpi-title"><h1>{heading}</h1><p>{about}</p></div>')

    def headline(self) -> Html:
        """Cards: people, average, people per grade, pay, people per condition of the plan's
        pay gates and consequence rules met this month, and the main indicators.

        Only additive figures (money, counts) are summed; a ratio or rate is the
        department's own ratio or a median (:func:`indicator_totals`)."""
        people = self.result.people
        # the average is over the appraised: not voided, not excluded (不参加考核)
        valid = people[people["valid"]]
        if "excluded" in people:
            valid = valid[~valid["excluded"].fillna(False).astype(bool)]
        counts = people["grade"].value_counts()
        order = [g.name for g in self.plan.grades] + [self.plan.void_grade]
        order += [self.plan.excluded_grade]
        scale = (
            ""
            if self.plan.scale == 100
            else _("（满分 {scale}）").format(scale=f"{self.plan.scale:g}")
        )
        persons = _("{count} 人")
        cards = [
            (_("考核人数"), persons.format(count=len(people))),
            (
                _("平均得分{scale}").format(scale=scale),
                text.table_points([valid["total"].mean()])[0] if len(valid) else "—",
            ),
            *(
                (g, persons.format(count=counts.get(g, 0)))
                for g in order
                if g not in (self.plan.void_grade, self.plan.excluded_grade) or g in counts
            ),
        ]
        if self.paid is not None:
            cards.append((_("绩效工资合计（元）"), text.money([sum(self.paid["pay"])])[0]))
        # the plan's own conditions met this month; one nobody meets is left out
        cards += [
            (label, persons.format(count=int(hit.sum())))
            for label, hit in self.conditions_met.items()
            if hit.any()
        ]
        main = self.indicators_frame().head(MAIN_INDICATORS)
        cards += [
            (
                _("{indicator}（{basis}）").format(indicator=r.indicator, basis=_(BASIS[r.basis])),
                f"{r.actual_text} / {r.target_text}<br><small>"
                + _("完成率 {completion}").format(completion=r.completion_text)
                + (_("（中位数）") if r.basis != "sum" else "")
                + "</small>",
            )
            for r in main.itertuples(index=False)  # four cards
        ]
        markup = "".join(
            f'<div class="card"><div class="label">{_e(k)}</div><div class="value">{v}</div></div>'
            for k, v in cards
        )
        return Html(f'<section class="block"><div class="cards">{markup}</div></section>')

    def indicators(self) -> Html:
        """Every indicator, by the weight it carries: how it is scored, who carries it, the
        department's target, actual and completion where it has a target (summed only where
        the figures add up), and for all the mean points and Σ points / Σ full points."""
        scores = indicator_points(self.result.items)
        if scores.empty:
            return _section(_("各指标汇总"), "<p>" + _("本月没有计分的指标。") + "</p>")
        totals = self.indicators_frame().set_index("indicator").reindex(scores["indicator"])
        figures = totals[["target_text", "actual_text", "completion_text"]].fillna("—")
        numeric = (_("人数"), _("目标"), _("实际"), _("完成率"), _("平均得分"), _("得分率"))
        table = pd.DataFrame(
            {
                _("指标"): scores["indicator"].to_numpy(),
                _("计分方式"): [_label(self.plan.indicators[n].rule) for n in scores["indicator"]],
                numeric[0]: scores["people"].to_numpy(),
                _("口径"): totals["basis"]
                .map(lambda b: _(BASIS[b]), na_action="ignore")
                .fillna("—")
                .to_numpy(),
                numeric[1]: figures["target_text"].to_numpy(),
                numeric[2]: figures["actual_text"].to_numpy(),
                numeric[3]: figures["completion_text"].to_numpy(),
                numeric[4]: text.table_points(scores["mean_points"]),
                numeric[5]: text.percent(scores["score_rate"]),
            }
        )
        note = (
            '<p class="note">'
            + _(
                "合计：金额与数量，目标与实际为全部门之和，完成率 = Σ实际 / Σ目标。"
                "部门比率：比率类指标（公式为 分子 / 分母）取 Σ分子 / Σ分母；中位数：其余比率、"
                "均值类指标取各人的中位数（各人目标相同时即为该目标）。这两类的完成率为各人完成率的"
                "中位数，从不把各人的比率相加。"
            )
            + _(
                "没有目标值的指标（评级、扣分、加分类）只列得分。平均得分为每人平均，"
                "得分率 = Σ得分 / Σ满分（加分项没有满分，不计）。"
            )
            + "</p>"
        )
        return _section(
            _("各指标汇总（按权重排序）"), _table(table, numeric=numeric), note, page_break=True
        )

    def indicators_frame(self) -> pd.DataFrame:
        """:func:`indicator_totals` of the month, with the measures behind its ratios."""
        return indicator_totals(self.result.items, self.plan, self._measures)

    @cached_property
    def _measures(self) -> pd.DataFrame | None:
        """Person × measure values of the month's actuals, for ratios' Σ numerator / Σ
        denominator; None when no indicator is a ratio of measures or the file cannot be
        read (the ratios then show medians)."""
        if not any(_ratio_parts(i) for i in self.plan.indicators.values()):
            return None
        from kpilib.parse import to_number
        from kpilib.sheets.inputs import read_inputs

        try:
            long = read_inputs(self.plan, self.result.month, self.actuals)["actuals"]
            values, _problems = to_number(long, "value", allow_negative=True)
        except (KpiError, KeyError, ValueError, OSError):
            return None
        long = long.assign(value=values).drop_duplicates(["person", "item"])
        return long.pivot(index="person", columns="item", values="value")

    @cached_property
    def paid(self) -> pd.DataFrame | None:
        """Each person's pay this month (after grade quotas), in the people's order: person,
        grade (calibrated), grade_before, pay (Decimal yuan: performance pay plus any pool
        bonus paid now), pay_reason; None when the plan sets no pay."""
        paid = self.month_pay
        if paid is None:
            return None
        amount = paid["performance_pay"]
        if "pool_paid" in paid:
            amount = amount + paid["pool_paid"]
        return pd.DataFrame(
            {
                "person": paid["person"].to_numpy(object),
                "grade": paid["grade"].to_numpy(object),
                "grade_before": paid["grade_before"].to_numpy(object),
                "pay": amount.to_numpy(object),
                "pay_reason": paid["pay_reason"].to_numpy(object),
            }
        )

    @cached_property
    def month_pay(self) -> pd.DataFrame | None:
        """The month's pay as payroll computes it (:meth:`kpilib.months.MonthHistory.pay`),
        all its columns: what the explanations read; None when the plan sets no pay."""
        return None if self.plan.pay is None else self.months.pay()

    def ranking(self) -> Html:
        """The answer: each person's rank, total, grade, completion, pay, the plan's
        conditions met this month and the consequences in force."""
        people = self.result.people.sort_values(
            ["rank", "total"], ascending=[True, False], na_position="last"
        )
        hits = self.conditions_met.loc[people.index]
        met = (
            pd.Series(
                [
                    _("；").join(c for c, on in zip(hits.columns, row, strict=True) if on)
                    for row in hits.to_numpy(bool)
                ],  # a few conditions per person
                index=people.index,
            )
            if hits.shape[1]
            else pd.Series("", index=people.index)
        )
        force = self.in_force
        actions = force.groupby("person", sort=False)["action"].agg(
            lambda a: _("、").join(dict.fromkeys(a))
        )
        grade = people["grade"].to_numpy(object)
        if self.paid is not None:  # the grade pay is computed on, after any quota
            paid = self.paid.set_index("person").loc[people["person"]]
            moved = (paid["grade"] != paid["grade_before"]).to_numpy(bool)
            grade = np.where(
                moved,
                text.fill(
                    _("{grade}（校准前 {before}）"),
                    grade=paid["grade"].to_numpy(object),
                    before=paid["grade_before"].to_numpy(object),
                ),
                grade,
            )
        columns = {
            _("名次"): people["rank"].astype("Int64").astype(str).replace("<NA>", "—").to_numpy(),
            _("姓名"): people["person"].to_numpy(),
            _("岗位"): people["role"].to_numpy(),
            _("总分"): text.table_points(people["total"]),
            # a voided month says which gate voided it; an adjusted one says so
            _("等级"): text.cat(
                grade,
                np.where(
                    people["gates"] != "", text.fill(_("（{gates}）"), gates=people["gates"]), ""
                ),
                np.where(people.get("adjusted", False), _("（已调整）"), ""),
            ),
            _("考核完成率"): text.percent(people["completion"]),
        }
        numeric = [_("名次"), _("总分"), _("考核完成率")]
        if self.paid is not None:
            columns[_("绩效工资(元)")] = text.money(paid["pay"])
            numeric.append(_("绩效工资(元)"))
        if hits.shape[1]:
            columns[_("本月触发条件")] = met.replace("", "—").to_numpy(object)
        if self.plan.consequences is not None:
            columns[_("在执行的处理")] = (
                actions.reindex(people["person"]).fillna("—").to_numpy(object)
            )
        table = pd.DataFrame(columns)
        low = (met != "").to_numpy(bool) | people["person"].isin(actions.index).to_numpy(bool)
        return _section(_("排名"), _table(table, low_rows=low, numeric=numeric), self._review())

    def _review(self) -> str:
        """Adjustments filed against inputs that changed since: shown, not applied."""
        review = self.months.review
        if review.empty:
            return ""
        line = _("第 {id} 号：{person} {item}（{reason}，{made_by}）")
        lines = "".join(
            "<li>"
            + line.format(
                id=int(r.adjustment_id),
                person=_e(r.person),
                item=_e(r.item),
                reason=_e(r.reason),
                made_by=_e(r.made_by),
            )
            + "</li>"
            for r in review.itertuples(index=False)  # a handful of appeals
        )
        intro = _(
            "待复核的调整（登记后输入文件已改动，本版未计入；确认后运行 "
            "kpi adjust 方案 --month {month} --confirm 编号）："
        ).format(month=_e(self.result.month))
        return f'<div class="note"><p>{intro}</p><ul>{lines}</ul></div>'

    def heatmap(self) -> Html:
        """Person × indicator completion heatmap."""
        from kpilib.report import charts

        return _section(_("各项指标完成率"), _figure(charts.completion_heatmap(self.result.items)))

    def distribution(self) -> Html:
        """Histogram of totals over the plan's grade bands, on the plan's scale."""
        from kpilib.report import charts

        chart = charts.score_distribution(
            self.result.people, self.plan.grades, scale=self.plan.scale
        )
        return _section(_("得分分布"), _figure(chart))

    def trend(self) -> Html:
        """Each person's total in every month with data, up to this one, coloured by the
        plan's grades; a voided month is marked 无效 and its reason listed below."""
        from kpilib.report import charts

        history = self.history
        months = sorted(set(history["month"]))
        void = history[~history["valid"].astype(bool)]
        reasons = _("；").join(
            _("{person} {month}（{gates}）").format(
                person=r.person, month=r.month, gates=r.gates or _("无效")
            )
            for r in void.sort_values(["person", "month"]).itertuples(index=False)  # few
        )
        note = "".join(f'<p class="note">{_e(n)}</p>' for n in self.notes)
        if reasons:
            said = _("无效月份（否决条件）：{reasons}").format(reasons=_e(reasons))
            note = f'<p class="note">{said}</p>' + note
        caption = (
            _("{first} 至 {last}，共 {count} 个月").format(
                first=months[0], last=months[-1], count=len(months)
            )
            if months
            else ""
        )
        chart = charts.trend_heatmap(history, self.plan.grades)
        return _section(_("月度趋势"), _figure(chart, caption), note)

    def below_threshold(self) -> Html:
        """Per condition the plan ties pay or consequences to (its pay gates and
        consequence rules): the rule as the plan words it, and who meets it this month.
        A condition nobody meets is one line."""
        people = self.result.people
        found = thresholds(self.plan)
        if not found:
            return _section(
                _("考核结果处理条件"),
                "<p>" + _("本方案未规定与月度考核结果挂钩的绩效工资门槛或处理规则。") + "</p>",
            )
        blocks = []
        met = self.conditions_met
        for threshold in found:
            low = people[met[threshold.label].to_numpy()].sort_values("completion")
            if low.empty:
                none = _("{label}的人员：无").format(label=_e(threshold.label))
                said = _("（方案规定：{rules}）").format(rules=_e(_("；").join(threshold.rules)))
                blocks.append(f'<p class="none"><span class="h">{none}</span>{said}</p>')
                continue
            rules = "".join(f"<li>{_e(r)}</li>" for r in threshold.rules)
            numeric = (_("考核完成率"), _("总分"))
            table = pd.DataFrame(
                {
                    _("姓名"): low["person"].to_numpy(),
                    _("岗位"): low["role"].to_numpy(),
                    numeric[0]: text.percent(low["completion"]),
                    numeric[1]: text.table_points(low["total"]),
                    _("等级"): low["grade"].to_numpy(),
                }
            )
            heading = _("{label}的人员").format(label=_e(threshold.label))
            blocks.append(
                f"<h3>{heading}</h3><p>"
                + _("方案规定：")
                + f"</p><ul>{rules}</ul>"
                + _table(table, numeric=numeric)
            )
        return _section(_("考核结果处理条件"), blocks[0], "".join(blocks[1:]))

    @cached_property
    def conditions_met(self) -> pd.DataFrame:
        """Per person, each of the plan's conditions met this month (headline, ranking and
        conditions read it)."""
        return hits(self.plan, self.result.people, self.result.items)

    @cached_property
    def in_force(self) -> pd.DataFrame:
        """The consequences in force (:meth:`kpilib.months.MonthHistory.in_force`), worked
        out once for the ranking, the pay section and the scorecards."""
        return self.months.in_force()

    def pay(self) -> Html:
        """Performance pay (after grade quotas) and every consequence in force, with the
        months that triggered it.

        A 警告, 改进计划 or 调岗 flagged earlier in the year stays listed
        (:meth:`MonthHistory.in_force`), here as in the payroll workbook's 考核结果应用.
        """
        from kpilib.outcomes import calibrate

        plan, result = self.plan, self.result
        blocks = []
        people = calibrate.calibrate(result, plan, overrides=self.months.grade_reviews)
        moved = people[people["calibrated"]]
        if plan.calibration is not None or len(moved):  # quotas, distribution or 复核调整
            table = pd.DataFrame(
                {
                    _("姓名"): moved["person"].to_numpy(),
                    _("校准前"): moved["grade_before"].to_numpy(),
                    _("校准后"): moved["grade"].to_numpy(),
                    _("说明"): moved["calibration"].to_numpy(),
                }
            )
            blocks.append(
                "<h3>"
                + _("等级比例校准")
                + "</h3>"
                + (
                    _table(table)
                    if len(table)
                    else "<p>" + _("本月无人因比例限制调整等级。") + "</p>"
                )
            )
        if self.paid is not None:
            paid = self.paid.merge(result.people[["person", "role", "total"]], on="person")
            numeric = (_("总分"), _("绩效工资(元)"))
            table = pd.DataFrame(
                {
                    _("姓名"): paid["person"].to_numpy(),
                    _("岗位"): paid["role"].to_numpy(),
                    _("等级"): paid["grade"].to_numpy(),
                    numeric[0]: text.table_points(paid["total"]),
                    numeric[1]: text.money(paid["pay"]),
                    _("计算说明"): paid["pay_reason"].to_numpy(),
                }
            )
            total = _("合计 {total} 元。").format(total=text.money([sum(paid["pay"])])[0])
            blocks.append(
                "<h3>"
                + _("绩效工资")
                + f"</h3><p>{total}</p>"
                + _table(table, wide_last=True, numeric=numeric)
            )
        if plan.consequences is not None:
            force = self.in_force
            table = pd.DataFrame(
                {
                    _("姓名"): force["person"].to_numpy(),
                    _("处理"): force["action"].to_numpy(),
                    _("标记于"): force["month"].to_numpy(),
                    _("触发月份"): force["months"].to_numpy(),
                    _("说明"): force["reason"].to_numpy(),
                }
            )
            kept = _(
                "本月标记的处理与工资表一致；本年度早前标记的警告、改进计划、"
                "调岗等处理，结果库中没有解除记录，继续列出至年底。"
            )
            blocks.append(
                "<h3>"
                + _("在执行的考核结果处理")
                + "</h3>"
                + (
                    _table(table, wide_last=True) + f'<p class="note">{kept}</p>'
                    if len(table)
                    else "<p>" + _("无。") + "</p>"
                )
            )
        if not blocks:
            return _section(
                _("绩效工资与处理"),
                "<p>" + _("本方案未规定绩效工资、等级比例或连续考核处理。") + "</p>",
            )
        return _section(_("绩效工资与处理"), blocks[0], "".join(blocks[1:]))

    def explanations(self) -> Html:
        """Per person: every item's target, actual, completion, points and the reason.

        Not in the department report (its scorecards carry each person's workings, so
        the report stays a few pages); for a notebook in JupyterLab."""
        recorded = self.months.adjustments
        blocks = [
            person_section(self.result, p, recorded, paid=self.month_pay)
            for p in self.result.people["person"]
        ]
        return _section(_("逐人得分说明"), blocks[0] if blocks else "", "".join(blocks[1:]))

    def workings(self) -> Html:
        """Where each person's workings are: their scorecard, one page each."""
        said = _(
            "逐人逐项的目标、实际、完成率、得分与依据"
            "见各人的个人成绩单（本报告旁的 scorecards 文件夹，每人一页，只含本人数据）；"
            "在 JupyterLab 中运行 report.explanations() 可一次查看全部。"
        )
        return Html(f'<section class="block"><p class="note">{said}</p></section>')


def indicator_points(items: pd.DataFrame) -> pd.DataFrame:
    """Per indicator, every one, by the weight it carries: people, mean points per person
    and ``score_rate`` = Σ points / Σ full points (NaN where nothing has full points, as a
    bonus item)."""
    grouped = items.groupby("indicator", sort=False).agg(
        people=("person", "nunique"),
        weight=("weight", "sum"),
        points=("points", "sum"),
        full=("full_points", "sum"),
    )
    grouped = grouped.sort_values("weight", ascending=False, kind="stable")
    full = grouped["full"].where(grouped["full"] > 0)
    return pd.DataFrame(
        {
            "indicator": grouped.index,
            "people": grouped["people"].to_numpy(),
            "mean_points": (grouped["points"] / grouped["people"]).to_numpy(),
            "score_rate": (grouped["points"] / full).to_numpy(),
        }
    )


def indicator_totals(
    items: pd.DataFrame, plan: Plan, measures: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Per indicator with a target: how the department did, without summing ratios.

    ``basis`` says how: ``sum`` for money and counts (target and actual summed,
    completion Σ actual / Σ target); ``ratio`` for an indicator whose formula is
    ``a / b`` of measures, when ``measures`` (person × measure) has them for every
    holder (actual Σa / Σb); ``median`` for any other rate, ratio or average
    (ROI, 客单价, 转化率, 投诉率, seconds, points). For ratio and median the target
    is the holders' common target (or their median) and the completion the median
    of the holders' completions. Ordered by the total weight the indicator carries.

    Returns
    -------
    DataFrame
        indicator, rule (完成率, 分档...), people, basis, target, actual, completion,
        and the same three as text (``target_text``...).
    """
    scored = items.dropna(subset=["target", "actual"])
    scored = scored[scored["target"] != 0]
    columns = ["indicator", "rule", "people", "basis", "target", "actual", "completion"]
    if scored.empty:
        return pd.DataFrame(columns=[*columns, "target_text", "actual_text", "completion_text"])
    grouped = scored.groupby("indicator", sort=False).agg(
        people=("person", "nunique"),
        weight=("weight", "sum"),
        target_sum=("target", "sum"),
        actual_sum=("actual", "sum"),
        target_median=("target", "median"),
        actual_median=("actual", "median"),
        completion_median=("completion", "median"),
    )
    grouped = grouped.sort_values("weight", ascending=False, kind="stable")
    names = grouped.index
    catalogue = plan.indicators
    additive = np.array([_additive(catalogue[n], plan) for n in names], bool)
    higher = np.array([catalogue[n].direction == "higher" for n in names], bool)
    ratio = np.full(len(names), np.nan)
    for k, name in enumerate(names):  # one division per indicator, a few dozen
        parts = _ratio_parts(catalogue[name])
        if parts and measures is not None and not additive[k]:
            holders = scored.loc[scored["indicator"] == name, "person"].unique()
            frame = measures.reindex(index=holders, columns=list(parts))
            if frame.notna().all().all() and frame[parts[1]].sum() != 0:
                ratio[k] = frame[parts[0]].sum() / frame[parts[1]].sum()
    basis = np.where(additive, "sum", np.where(np.isnan(ratio), "median", "ratio"))
    target = np.where(additive, grouped["target_sum"], grouped["target_median"])
    actual = np.where(
        additive, grouped["actual_sum"], np.where(np.isnan(ratio), grouped["actual_median"], ratio)
    )
    completion = np.where(
        additive & higher,
        grouped["actual_sum"] / grouped["target_sum"],
        grouped["completion_median"],
    )
    units = [plan.unit(n) for n in names]
    out = pd.DataFrame(
        {
            "indicator": names,
            "rule": [_label(catalogue[n].rule) for n in names],
            "people": grouped["people"].to_numpy(),
            "basis": basis,
            "target": target,
            "actual": actual,
            "completion": completion,
        }
    )
    return out.assign(
        target_text=[_figure_text(v, u, b) for v, u, b in zip(target, units, basis, strict=True)],
        actual_text=[_figure_text(v, u, b) for v, u, b in zip(actual, units, basis, strict=True)],
        completion_text=text.percent(completion),
    )


def _label(rule) -> str:
    """The rule type as a reader says it (完成率, 分档); a type without a label as written."""
    return _(rule.label) if rule.label else rule.type


def _additive(indicator, plan: Plan) -> bool:
    """Money or a count, not derived by a division: it adds up across people."""
    if indicator.unit not in ADDITIVE_UNITS:
        return False
    if indicator.formula is None:
        return True
    tree = Formula.parse(indicator.formula).tree
    return not any(
        isinstance(n, ast.BinOp)
        and isinstance(n.op, ast.Div)
        and not isinstance(n.right, ast.Constant)
        for n in ast.walk(tree)
    )


def _ratio_parts(indicator) -> tuple[str, str] | None:
    """``(a, b)`` when the indicator's formula is ``a / b`` of two names, else None."""
    if indicator.formula is None:
        return None
    formula = Formula.parse(indicator.formula)
    body = formula.tree.body
    if not (
        isinstance(body, ast.BinOp)
        and isinstance(body.op, ast.Div)
        and isinstance(body.left, ast.Name)
        and isinstance(body.right, ast.Name)
    ):
        return None
    return tuple(formula.aliases.get(n.id, n.id) for n in (body.left, body.right))


def _figure_text(value: float, unit: str | None, basis: str) -> str:
    """A department figure: a sum as a number, a rate as a percentage, a ratio to 0.01."""
    if unit == "%":
        return text.percent([value])[0]
    if basis == "sum":
        return text.number([value])[0]
    return f"{value:,.2f}"


def person_summary(row: pd.Series) -> str:
    """``总分 100.82 · 优秀 · 考核完成率 100.8%`` and any gate that fired."""
    parts = [
        _("总分 {total}").format(total=text.table_points([row["total"]])[0]),
        str(row["grade"]),
        _("考核完成率 {completion}").format(completion=text.percent([row["completion"]])[0]),
    ]
    if row.get("gates"):
        parts.append(_("触发：{gates}").format(gates=row["gates"]))
    return " · ".join(parts)


def person_section(
    result: Result,
    person: str,
    recorded: pd.DataFrame | None = None,
    heading: bool = True,
    paid: pd.DataFrame | None = None,
) -> str:
    """HTML block explaining every point of one person's month (kpilib.explain, as
    the notebooks show it): items, gates, adjustments (``recorded``: the month's, as
    :class:`kpilib.months.MonthHistory` has them), pay (``paid``: the month's,
    :meth:`kpilib.months.MonthHistory.pay`). ``heading=False``: without the name and
    total line (a scorecard shows them once, above)."""
    from kpilib.explain import explain

    shown = recorded if recorded is not None else True
    why = explain(result.plan, person, result.month, result=result, adjustments=shown, paid=paid)
    return why.html(heading=heading)


def _e(value) -> str:
    return html.escape("" if value is None else str(value))


def _section(heading: str, first: str, rest: str = "", page_break: bool = False) -> Html:
    # the heading and the first block stay on one printed page; the rest may flow on
    start = " page-start" if page_break else ""
    return Html(
        f'<section class="block{start}"><div class="keep"><h2>{_e(heading)}</h2>{first}</div>'
        f"{rest}</section>"
    )


def _table(frame: pd.DataFrame, low_rows=None, wide_last: bool = False, numeric=()) -> str:
    """A report table: ``numeric`` columns right-aligned, ``low_rows`` shaded."""
    right = ["num" if c in numeric else "" for c in frame.columns]
    head = "".join(
        f'<th class="{k}">{_e(c)}</th>' if k else f"<th>{_e(c)}</th>"
        for c, k in zip(frame.columns, right, strict=True)
    )
    low = np.zeros(len(frame), bool) if low_rows is None else np.asarray(low_rows, bool)
    values = frame.astype(object).where(frame.notna(), "—").to_numpy()
    rows = "".join(  # rendering a table of people, not scoring them
        ('<tr class="low">' if shade else "<tr>")
        + "".join(
            f'<td class="{k}">{_e(v)}</td>' if k else f"<td>{_e(v)}</td>"
            for v, k in zip(row, right, strict=True)
        )
        + "</tr>"
        for row, shade in zip(values, low, strict=True)
    )
    kind = "kpi wide-last" if wide_last else "kpi"
    return f'<table class="{kind}"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'


def _figure(fig, caption: str = "") -> str:
    import base64

    from kpilib.report import charts

    data = base64.b64encode(charts.to_png(fig)).decode()
    cap = f"<figcaption>{_e(caption)}</figcaption>" if caption else ""
    return (
        f'<figure class="chart"><img alt="{_e(fig.axes[0].get_title())}" '
        f'src="data:image/png;base64,{data}"/>{cap}</figure>'
    )
