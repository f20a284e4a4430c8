"""A department's period report (quarter, half-year, two-month period, year).

``notebooks/period.ipynb`` reads like the monthly report::

    report = PeriodReport.load("channel_ops", "2024-Q4")
    report.title()
    report.summary()    # the rolled-up score, grade, rank; incomplete periods said first
    report.months()     # the months side by side
    report.rules()      # what the period's result decides (培训, 降级, 调薪 ...)
    report.pay()        # year-end bonus or the period's performance pay
    report.levels()     # 薪酬等级 carried to the next period (pay.levels)

``make_period_report`` executes the notebook for one department and period and
writes ``reports/<period>/<department>/v<N>/`` (notebook, HTML, PDF), as the
monthly batch does for a month.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from kpilib import text
from kpilib.i18n import _
from kpilib.period_results import PeriodResult, period_result
from kpilib.project import find_plan
from kpilib.report.sections import Html, _e, _section, _table

if TYPE_CHECKING:
    from kpilib.report.kernel import WarmKernel
    from kpilib.report.pdf import Printer

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "period.ipynb"


@dataclass(frozen=True)
class PeriodReport:
    """One department's period, as :func:`kpilib.period_results.period_result` gives it."""

    result: PeriodResult

    @classmethod
    def load(
        cls, department: str, period: str, plan_path: str | Path | None = None, save: bool = True
    ) -> PeriodReport:
        """``department``'s ``period`` (``2024-Q4``, ``2024``...), from the results store."""
        plan = plan_path or find_plan(department)
        return cls(period_result(plan, period, save=save))

    @property
    def people(self) -> pd.DataFrame:
        return self.result.people

    def title(self) -> Html:
        plan, period = self.result.plan, self.result.period
        heading = _("{name} · {period} 考核报告").format(
            name=_e(plan.name), period=_e(period.label)
        )
        about = _("考核方案：{title}（{department}，版本 {digest}）；{how}").format(
            title=_e(plan.title or plan.name),
            department=_e(plan.department),
            digest=_e((plan.digest or "")[:12]),
            how=_e(self._how()),
        )
        return Html(f'<div class="kpi-title"><h1>{heading}</h1><p>{about}</p></div>')

    def summary(self) -> Html:
        """Incompleteness first, then each person's period score, grade and rank."""
        result, people = self.result, self.people
        notice = ""
        if result.unscored or not result.complete:
            missing = _("、").join(result.unscored) or _("部分人员的月份")
            notice = (
                '<p class="low"><strong>'
                + _("本周期未完整")
                + "</strong>"
                + _(
                    "：{missing} 尚未计分；等级暂不评定（显示为 {grade}，括号内为暂评等级）。"
                ).format(missing=_e(missing), grade=_e(result.spec.incomplete_grade))
                + "</p>"
            )
        grade = np.where(
            people["provisional_grade"].astype(str) != "",
            text.fill(
                _("{grade}（暂评 {provisional}）"),
                grade=people["grade"].to_numpy(object),
                provisional=people["provisional_grade"].to_numpy(object),
            ),
            people["grade"].to_numpy(object),
        )
        table = pd.DataFrame(
            {
                _("姓名"): people["person"],
                _("岗位"): people["role"],
                _("周期得分"): text.table_points(people["total"]),
                _("等级"): grade,
                _("名次"): people["rank"].map(lambda r: "—" if r != r else f"{int(r)}"),
                _("计入月数"): people["months"],
                _("无效月数"): people["voided_months"],
                _("说明"): people["reason"],
            }
        )
        low = ~people["complete"].to_numpy(bool) | ~people["valid"].to_numpy(bool)
        numeric = (_("周期得分"), _("名次"), _("计入月数"), _("无效月数"))
        return _section(
            _("周期得分"),
            notice + _table(table, low_rows=low, wide_last=True, numeric=numeric),
        )

    def months(self) -> Html:
        """The months of the period side by side: each person's monthly total (无效, 未计分)."""
        result = self.result
        if result.spec.source == "actuals":
            return _section(
                _("各月得分"),
                "<p>" + _("本周期按周期自己的目标和实际值计分，不由各月汇总。") + "</p>",
            )
        months = result.months
        labels = list(result.period.months)
        shown = months.assign(
            cell=np.where(
                months["valid"].astype(bool), text.table_points(months["total"]), _("无效")
            )
        )
        grid = (
            shown.pivot_table(index="person", columns="month", values="cell", aggfunc="last")
            .reindex(index=self.people["person"], columns=labels)
            .fillna(_("未计分"))
        )
        grid.columns = [_("{month}月").format(month=int(m[5:7])) for m in labels]
        grid = grid.reset_index().rename(columns={"person": _("姓名")})
        grid[_("周期得分")] = text.table_points(self.people["total"])
        return _section(_("各月得分"), _table(grid, numeric=[*grid.columns[1:]]))

    def rules(self) -> Html:
        """What the period's result decides (``periods.<kind>.rules``)."""
        flags = self.result.flags()
        if flags.empty:
            body = "<p>" + _("本周期没有触发方案规定的结果应用。") + "</p>"
            if not self.result.complete:
                body = "<p>" + _("周期未完整：结果应用待周期完整后判定。") + "</p>"
            return _section(_("考核结果应用"), body)
        shown = {"person": _("姓名"), "rule": _("规则"), "action": _("处理"), "reason": _("说明")}
        table = flags.rename(columns=shown)[list(shown.values())]
        return _section(_("考核结果应用"), _table(table))

    def pay(self) -> Html:
        """The period's pay, when the plan declares one (year-end bonus, period pay)."""
        if self.result.spec.pay is None:
            return Html("")
        paid = self.result.pay()
        if "year_end_bonus" in paid:
            table = pd.DataFrame(
                {
                    _("姓名"): paid["person"],
                    _("岗位"): paid["role"],
                    _("达标月数"): paid["qualifying_months"],
                    _("年底奖金(元)"): text.money(paid["year_end_bonus"]),
                    _("说明"): paid["reason"],
                }
            )
            numeric = (_("达标月数"), _("年底奖金(元)"))
            return _section(_("年底奖金"), _table(table, wide_last=True, numeric=numeric))
        table = pd.DataFrame(
            {
                _("姓名"): paid["person"],
                _("绩效工资(元)"): text.money(paid["performance_pay"]),
                _("说明"): paid["pay_reason"],
            }
        )
        numeric = (_("绩效工资(元)"),)
        return _section(_("本周期绩效工资"), _table(table, wide_last=True, numeric=numeric))

    def levels(self) -> Html:
        """薪酬等级 (``pay.levels``): this period's level → the next one's, and why."""
        levels = self.result.levels
        if levels.empty:
            return Html("")
        table = pd.DataFrame(
            {
                _("姓名"): levels["person"],
                _("本期等级"): levels["level"],
                _("下期等级"): levels["next_level"].replace("", "—"),
                _("原因"): levels["reason"],
            }
        )
        return _section(_("薪酬等级"), _table(table, wide_last=True))

    def _how(self) -> str:
        spec = self.result.spec
        if spec.source == "actuals":
            return _("按本周期的目标和实际值计分")
        how = {
            "mean": _("各月平均"),
            "sum": _("各月合计"),
            "last": _("末月得分"),
            "formula": spec.formula,
        }
        voided = _("无效月不计入") if spec.voided == "exclude" else _("无效月计 0 分")
        return _("由各月结果汇总：{how}，{voided}").format(how=how[spec.rollup], voided=voided)


def make_period_report(
    department: str,
    period: str,
    params: Path = Path("params"),
    out: Path = Path("reports"),
    formats: tuple[str, ...] = ("html", "pdf"),
    save: bool = True,
    *,
    kernel: WarmKernel | None = None,
    printer: Printer | None = None,
) -> dict:
    """Execute ``notebooks/period.ipynb`` for one department's period and write its files.

    ``kernel`` and ``printer``: a warm kernel and a printer kept for several reports
    (:func:`kpilib.report.batch.tools`); by default this report starts its own.

    Returns
    -------
    dict
        version and the paths written (label -> path).
    """
    from kpilib.files import write_atomically
    from kpilib.periods import Period
    from kpilib.report import notebook
    from kpilib.report.versions import finish, new_version

    key = Period.parse(period).key
    plan_path = (Path(params) / f"{department}.yaml").resolve()
    report = PeriodReport(period_result(plan_path, key, save=save))  # refuses before any file
    work, version = new_version(Path(out) / key / department)
    stem = work / department
    parameters = {
        "department": department,
        "period": key,
        "plan_path": str(plan_path),
        "save": save,
    }
    import papermill

    # the monthly check wants a month parameter; the period notebook declares period instead
    declared = set(papermill.inspect_notebook(str(NOTEBOOK)))
    from kpilib.report.kernel import WarmKernel

    with nullcontext(kernel) if kernel else WarmKernel() as kernel:
        executed = notebook.execute(
            NOTEBOOK, stem.with_suffix(".ipynb"), parameters, declared, kernel
        )
    title = _("{name} {period} 考核报告").format(
        name=report.result.plan.name, period=report.result.period.label
    )
    html = notebook.to_html(executed, title)
    html_path = stem.with_suffix(".html")
    write_atomically({html_path: lambda p: p.write_text(html, encoding="utf-8")})
    files = {"notebook": stem.with_suffix(".ipynb"), "HTML": html_path}
    if "pdf" in formats:
        from kpilib.report.pdf import Printer

        with nullcontext(printer) if printer else Printer() as printer:
            pdf_path = stem.with_suffix(".pdf")
            write_atomically({pdf_path: lambda p: printer.print(html_path, p, title)})
        files["PDF"] = pdf_path
    if "html" not in formats:
        html_path.unlink()
        del files["HTML"]
    final = finish(
        work,
        {
            "department": department,
            "period": key,
            "version": version,
            "complete": report.result.complete,
            "made_at": datetime.now().isoformat(timespec="seconds"),
        },
    )
    return {"version": version, **{k: final / Path(v).name for k, v in files.items()}}


__all__ = ["PeriodReport", "make_period_report"]
