"""The what-if panel for JupyterLab (ipywidgets): tweak, see what moves, save.

::

    from kpilib.interactive.widgets import WhatIfApp
    WhatIfApp("params/channel_ops.yaml", "2024-11")

Pick an indicator; its weight and its rule's parameters (cap, floor,
threshold, band edges, step...) appear as controls. Below them, whatever the plan
states across items and people: a slider per block limit (``sections:``, e.g. seed
002 bank's 考核任务 capped at 130%) and, when the plan has a forced distribution, a
slider per grade ratio (share, min, max). Every change re-scores the
month (inputs are read once) and redraws who changes grade, the grade
distribution (one chart, its bars updated in place) and the pay gained or lost
against the published plan. 保存为新方案 writes the tweaked plan as a draft in
``params/drafts/``, with the diff.

All logic is in :mod:`kpilib.interactive.whatif`; this module only wires controls to it,
so the same panel can be driven from a test by setting control values.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING

import ipywidgets as w
import numpy as np

from kpilib import text
from kpilib.engine.plan import Plan
from kpilib.errors import KpiError
from kpilib.i18n import N_, _
from kpilib.interactive.whatif import (
    Comparison,
    WhatIf,
    draft_path,
    save_plan,
    tweak,
)

if TYPE_CHECKING:
    import pandas as pd

CHART_DPI = 72  # screen only: a smaller PNG redraws faster


class WhatIfApp:
    """The what-if panel: a :class:`kpilib.interactive.whatif.WhatIf` session behind ipywidgets.

    Parameters
    ----------
    plan : path or Plan
        The published plan.
    month : str
        ``YYYY-MM``.
    inputs : dict, optional
        Pre-read inputs (:func:`kpilib.sheets.inputs.read_inputs`).
    limit : int
        Rows shown per table (a 5,000-person plan shows the largest changes).

    Attributes
    ----------
    rules : dict
        Indicator -> rule parameters changed so far.
    weights : dict
        Indicator -> new weight (fraction).
    sections : dict
        Section -> block limits changed so far (``{"考核任务": {"cap": 1.0}}``).
    ratios : dict
        Grade -> distribution ratio changed so far (``{"优秀": {"share": 0.2}}``).
    comparison : Comparison
        The latest comparison against the published plan.
    """

    def __init__(
        self, plan: str | Path | Plan, month: str, inputs: dict | None = None, limit: int = 30
    ):
        self.session = WhatIf(plan, month, inputs)
        self.plan = self.session.plan
        self.limit = limit
        self.rules: dict[str, dict] = {}
        self.weights: dict[str, float] = {}
        self.sections: dict[str, dict] = {}
        self.ratios: dict[str, dict] = {}
        targets = self.session.inputs["targets"]
        carried = targets.groupby("indicator")["weight"].sum().sort_values(ascending=False)
        self._current_weight = (
            targets.groupby(["indicator", "person"])["weight"]
            .sum()
            .groupby(level=0)
            .agg(lambda s: s.mode().iloc[0])
        )  # one value per indicator: a few dozen
        self.indicator = w.Dropdown(
            options=list(carried.index), description=_("指标"), layout=w.Layout(width="420px")
        )
        self.controls = w.VBox()
        self.plan_controls = w.VBox()
        self.status = w.HTML()
        self.tables = w.HTML()
        self.chart = w.Image(format="png")
        self.reset_button = w.Button(description=_("全部还原"), icon="undo")
        self.save_name = w.Text(
            placeholder=_("新方案文件名（可空：自动命名）"), layout=w.Layout(width="300px")
        )
        self.save_button = w.Button(
            description=_("保存为新方案"), icon="save", button_style="primary"
        )
        self.indicator.observe(lambda _: self._show_controls(), "value")
        self.reset_button.on_click(lambda _: self.reset())
        self.save_button.on_click(lambda _: self.save())
        self.widget = w.VBox(
            [
                w.HTML(
                    "<h3>"
                    + _("{name} · {month} 模拟调整").format(
                        name=html.escape(self.plan.name), month=html.escape(month)
                    )
                    + "</h3>"
                ),
                self.indicator,
                self.controls,
                self.plan_controls,
                w.HBox([self.reset_button, self.save_name, self.save_button]),
                self.status,
                self.chart,
                self.tables,
            ]
        )
        self._loading = False
        self._grade_chart = None  # drawn at the first update, then updated in place
        self._show_controls()
        self._show_plan_controls()
        self.update()

    # --- the tweak as data ---------------------------------------------------------------
    def tweaked(self) -> Plan:
        """The published plan with :attr:`rules`, :attr:`sections` and :attr:`ratios`
        applied (validated)."""
        return tweak(self.plan, self.rules, self.sections, self.ratios)

    def set(self, indicator: str, weight: float | None = None, **changes: object) -> Comparison:
        """Change an indicator's weight and/or rule parameters, then re-score and redraw.

        A value the rule rejects (a cap below the floor) is shown as an error and
        not applied; the view keeps the last valid tweak.
        """
        comparison = self._apply(indicator, weight, changes)
        if indicator == self.indicator.value:
            self._show_controls()
        return comparison

    def set_section(self, section: str, **changes: object) -> Comparison | None:
        """Change a block's limit (``cap=1.0``, ``floor_points=40``...), re-score, redraw."""
        comparison = self._try(sections=_merged(self.sections, section, changes))
        self._show_plan_controls()
        return comparison

    def set_ratio(self, grade: str, **changes: object) -> Comparison | None:
        """Change a grade's forced-distribution ratio (``share=0.2``, ``min=0.1``...)."""
        comparison = self._try(ratios=_merged(self.ratios, grade, changes))
        self._show_plan_controls()
        return comparison

    def _apply(self, indicator: str, weight: float | None, changes: dict) -> Comparison | None:
        rules = self.rules
        if changes:
            rules = _merged(rules, indicator, changes)
        weights = self.weights if weight is None else {**self.weights, indicator: weight}
        return self._try(rules=rules, weights=weights)

    def _try(self, **state) -> Comparison | None:
        """Take the changed ``state`` (rules, weights, sections, ratios) if the plan it
        makes is valid; else show why and keep the last valid tweak."""
        now = {k: getattr(self, k) for k in ("rules", "weights", "sections", "ratios")}
        now.update(state)
        try:
            tweak(self.plan, now["rules"], now["sections"], now["ratios"])
        except KpiError as exc:
            self.status.value = f'<p style="color:#c0392b">{html.escape(str(exc))}</p>'
            return None
        for key, value in now.items():
            setattr(self, key, value)
        return self.update()

    def reset(self) -> Comparison:
        """Back to the published plan."""
        self.rules, self.weights, self.sections, self.ratios = {}, {}, {}, {}
        self._show_controls()
        self._show_plan_controls()
        return self.update()

    # --- re-score and redraw -------------------------------------------------------------
    def update(self) -> Comparison | None:
        """Re-score under the current tweak and redraw the tables and chart."""
        try:
            comparison = self.session.compare(self.tweaked(), self.weights)
        except KpiError as exc:  # a value the rule rejects: say so, keep the last view
            self.status.value = f'<p style="color:#c0392b">{html.escape(str(exc))}</p>'
            return None
        self.comparison = comparison
        grades = comparison.grades
        if self._grade_chart is None or not self._grade_chart.fits(grades):
            self._grade_chart = GradeChart(grades)
        self.tables.value = comparison.html(self.limit)
        self.chart.value = self._grade_chart.update(grades)
        self.status.value = _changes_text(
            self.plan, self.rules, self.weights, self.sections, self.ratios
        )
        return comparison

    def save(self) -> Path | None:
        """Save the tweak as a draft plan in ``params/drafts/``; show the diff."""
        name = self.save_name.value.strip()
        path = draft_path(self.plan, name) if name else None
        try:
            saved, diff = save_plan(
                self.tweaked(),
                self.weights,
                path=path,
                original=self.plan,
                month=self.session.month,
            )
        except KpiError as exc:
            self.status.value = f'<p style="color:#c0392b">{html.escape(str(exc))}</p>'
            return None
        self.status.value = (
            "<p>"
            + _(
                "已保存为草稿 <code>{path}</code>（原方案未改动；"
                "发布用 <code>kpi plan publish {path}</code>）。改动："
            ).format(path=html.escape(str(saved)))
            + "</p>"
            + diff[["what", "before", "after"]]
            .rename(columns={"what": _("改动"), "before": _("原值"), "after": _("新值")})
            .to_html(index=False, border=0, classes="kpi")
        )
        return saved

    # --- controls ------------------------------------------------------------------------
    def _show_controls(self) -> None:
        indicator = self.indicator.value
        rule = self.tweaked().indicators[indicator].rule
        self._loading = True
        rows = []
        weight = self.weights.get(indicator, self._current_weight.get(indicator, 0))
        if rule.weighted:
            slider = w.FloatSlider(
                value=round(weight * 100, 2),
                min=0,
                max=100,
                step=1,
                description=_("权重 %"),
                continuous_update=False,
            )
            slider.observe(lambda c: self._changed(indicator, weight=c["new"] / 100), "value")
            rows.append(slider)
        for param in rule.knobs:
            rows.append(self._control(indicator, rule, param))
        self.controls.children = rows
        self._loading = False

    def _control(self, indicator: str, rule, param: str):
        knob = rule.knobs[param]
        label = _(knob.label)
        if param == "edges":
            kind = "at_most" if rule.bands[0].at_most is not None else "at_least"
            sign = "≤" if kind == "at_most" else "≥"
            boxes = [
                w.FloatText(
                    value=getattr(b, kind),
                    description=_("{sign}{number}档").format(sign=sign, number=i + 1),
                    layout=w.Layout(width="160px"),
                )
                for i, b in enumerate(rule.bands)
            ]
            for box in boxes:
                box.observe(
                    lambda _: self._changed(indicator, edges=[b.value for b in boxes]), "value"
                )
            return w.VBox([w.HTML(_("{label}（含边界）").format(label=label)), w.HBox(boxes)])
        value = getattr(rule, param)
        if knob.percent:
            low, high = knob.low, knob.high
            slider = w.FloatSlider(
                value=100 * (value if value is not None else low / 100),
                min=low,
                max=high,
                step=1,
                description=f"{label} %",
                continuous_update=False,
                style={"description_width": "initial"},
            )
            if not knob.optional:
                slider.observe(
                    lambda c: self._changed(indicator, **{param: c["new"] / 100}), "value"
                )
                return slider
            on = w.Checkbox(
                value=value is not None,
                description=_("启用"),
                indent=False,
                layout=w.Layout(width="70px"),
            )
            slider.disabled = value is None

            def changed(_):
                slider.disabled = not on.value
                self._changed(indicator, **{param: slider.value / 100 if on.value else None})

            on.observe(changed, "value")
            slider.observe(changed, "value")
            return w.HBox([on, slider])
        box = w.FloatText(value=value, description=label, style={"description_width": "initial"})
        box.observe(lambda c: self._changed(indicator, **{param: c["new"]}), "value")
        return box

    def _changed(self, indicator: str, weight: float | None = None, **changes) -> None:
        if not self._loading:
            self._apply(indicator, weight, changes)

    def _show_plan_controls(self) -> None:
        """A slider per block limit and per distribution ratio the (tweaked) plan states."""
        plan = self.tweaked()
        self._loading = True
        rows = []
        for name, limit in plan.sections.items():
            for key, label in LIMIT_LABELS.items():
                label = _(label)
                value = getattr(limit, key)
                if value is None:
                    continue
                percent = key in ("cap", "floor")
                control = _slider(
                    f"{name} {label}{' %' if percent else ''}",
                    100 * value if percent else value,
                    (1, 300) if percent else (0, max(200.0, 2 * value)),
                    1 if percent else 0.5,
                )
                scale = 100 if percent else 1
                control.observe(
                    lambda c, name=name, key=key, scale=scale: self._plan_changed(
                        sections=_merged(self.sections, name, {key: c["new"] / scale})
                    ),
                    "value",
                )
                rows.append(control)
        if rows:
            rows.insert(0, w.HTML("<b>" + _("板块封顶 / 保底") + "</b>"))
        distribution = plan.calibration.distribution if plan.calibration else None
        if distribution is not None:
            rows.append(
                w.HTML("<b>" + _("强制分布比例") + "</b>" + _("（按名次，组内人数 × 比例）"))
            )
            for ratio in distribution.ratios:
                for key, label in RATIO_LABELS.items():
                    value = getattr(ratio, key)
                    if value is None:
                        continue
                    shown = " ".join([ratio.grade, _(label), "%"])
                    control = _slider(shown, 100 * value, (0, 100), 1)
                    control.observe(
                        lambda c, grade=ratio.grade, key=key: self._plan_changed(
                            ratios=_merged(self.ratios, grade, {key: c["new"] / 100})
                        ),
                        "value",
                    )
                    rows.append(control)
        self.plan_controls.children = rows
        self._loading = False

    def _plan_changed(self, **state) -> None:
        if not self._loading:
            self._try(**state)

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)


def render(comparison: Comparison, plan: Plan, limit: int = 30) -> tuple[str, bytes]:
    """The panel's view of a comparison: HTML tables and a PNG of the grade distribution."""
    return comparison.html(limit), GradeChart(comparison.grades).update(comparison.grades)


class GradeChart:
    """The grade distribution, before and after: drawn once, then updated in place.

    A widget change only sets the bars' heights and the y range and encodes the PNG
    again; making the figure and laying it out (most of a redraw) happens once.
    """

    def __init__(self, grades):
        from kpilib.report import charts

        self.names = list(grades["grade"])
        self._styled = charts.styled
        with charts.styled():
            self.fig = charts.figure(2.4)
            self.ax = ax = self.fig.add_subplot()
            x = np.arange(len(grades))
            self.before = ax.bar(
                x - 0.2, grades["before"], width=0.4, color="#aab7b8", label=_("原方案")
            )
            self.after = ax.bar(
                x + 0.2, grades["after"], width=0.4, color="#2e86c1", label=_("新方案")
            )
            ax.set_xticks(x, self.names)
            ax.set_ylabel(_("人数"))
            ax.yaxis.get_major_locator().set_params(integer=True)
            ax.legend(fontsize=8)
            ax.set_title(_("等级分布：原方案与新方案"), fontsize=10)
        self._png()  # lays the figure out once ...
        self.fig.set_layout_engine("none")  # ... and keeps that layout

    def fits(self, grades: pd.DataFrame) -> bool:
        """Whether ``grades`` has this chart's grades (else a new chart is drawn)."""
        return list(grades["grade"]) == self.names

    def update(self, grades: pd.DataFrame) -> bytes:
        """Set the bars to ``grades`` (columns grade, before, after); the PNG."""
        for bars, column in ((self.before, "before"), (self.after, "after")):
            for bar, count in zip(bars, grades[column], strict=True):
                bar.set_height(count)
        self.ax.set_ylim(0, max(1, grades[["before", "after"]].to_numpy().max()) * 1.1)
        return self._png()

    def _png(self) -> bytes:
        import io

        buffer = io.BytesIO()
        # one draw (no tight-box pass: the layout is fixed), the image the same size
        # every time, and a quick PNG compression for a screen-only picture
        with self._styled():
            self.fig.savefig(
                buffer,
                format="png",
                dpi=CHART_DPI,
                bbox_inches=None,
                pil_kwargs={"compress_level": 1},
            )
        return buffer.getvalue()


LIMIT_LABELS = {
    "cap": N_("封顶"),
    "floor": N_("保底"),
    "cap_points": N_("封顶(分)"),
    "floor_points": N_("保底(分)"),
}
RATIO_LABELS = {"share": N_("比例"), "min": N_("最少"), "max": N_("最多")}


def _merged(state: dict, key: str, changes: dict) -> dict:
    """``state`` with ``changes`` merged into its entry ``key`` (a new dict)."""
    return {**state, key: {**state.get(key, {}), **changes}}


def _slider(description: str, value: float, bounds: tuple, step: float) -> w.FloatSlider:
    return w.FloatSlider(
        value=round(value, 2),
        min=bounds[0],
        max=bounds[1],
        step=step,
        description=description,
        continuous_update=False,
        style={"description_width": "initial"},
        layout=w.Layout(width="420px"),
    )


def _changes_text(
    plan: Plan, rules: dict, weights: dict, sections: dict | None = None, ratios: dict | None = None
) -> str:
    parts = [
        _("{indicator} 权重 {weight}").format(indicator=k, weight=text.percent([v])[0])
        for k, v in weights.items()
    ]
    for name, changes in (sections or {}).items():
        for key, value in changes.items():
            shown = (
                text.percent([value])[0]
                if key in ("cap", "floor")
                else _("{points} 分").format(points=f"{value:g}")
            )
            what = _(LIMIT_LABELS[key]) if key in LIMIT_LABELS else key
            parts.append(" ".join([name, what, shown]))
    for grade, changes in (ratios or {}).items():
        for key, value in changes.items():
            parts.append(
                _("强制分布 {grade} {what} {share}").format(
                    grade=grade,
                    what=_(RATIO_LABELS[key]) if key in RATIO_LABELS else key,
                    share=text.percent([value])[0],
                )
            )
    for indicator, changes in rules.items():
        knobs = plan.indicators[indicator].rule.knobs
        for key, value in changes.items():
            knob = knobs[key]
            shown = (
                _("关闭")
                if value is None
                else text.percent([value])[0]
                if knob.percent
                else str(value)
            )
            parts.append(" ".join([indicator, _(knob.label), shown]))
    if not parts:
        return "<p>" + _("当前与原方案相同。改动任一控件即重新计算。") + "</p>"
    shown = _("当前改动：{changes}").format(changes=html.escape(_("；").join(parts)))
    return "<p>" + shown + "</p>"


__all__ = ["WhatIfApp", "GradeChart", "render"]
