"""Plan files: YAML in ``params/`` becomes a frozen, validated :class:`Plan`.

This module reads the plans' YAML (a safe loader, libyaml's where PyYAML has it, with
YAML 1.2 booleans). Unknown keys and
unknown rule types are errors that list the valid ones; formulas are parsed
and their names checked here, so a bad plan fails before any data is read.
docs/plan-format.md documents every key.
"""

from __future__ import annotations

import difflib
import hashlib
import re
import string
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
import yaml
from pydantic import Field, ValidationError, field_validator, model_validator

from kpilib import compare
from kpilib.engine import validation
from kpilib.engine.formula import LOOKUPS, Formula, FormulaError
from kpilib.engine.period_plan import Periods
from kpilib.engine.policy import Calibration, Consequences, Pay
from kpilib.engine.rules import RULES, AnyRule
from kpilib.engine.teams import (
    Exclusion,
    GradeCeiling,
    SectionLimit,
    Staff,
    TargetOf,
    Team,
    check_plan,
)
from kpilib.engine.to_date import YearToDate
from kpilib.errors import PlanError, Problem
from kpilib.i18n import _
from kpilib.parse import Fraction, Frozen
from kpilib.periods import Period
from kpilib.project import DEPARTMENT_ID, plan_text

if TYPE_CHECKING:
    from collections.abc import Iterable


class _PlanLoader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans: YAML 1.1 reads ``on``, ``yes``, ``no`` as
    true/false, which would turn the rule key ``on:`` into ``True``."""


class _FastPlanLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """:class:`_PlanLoader` parsing with libyaml when PyYAML has it: the same data, a
    plan in 1-2 ms instead of 12-17 ms, but errors without the line shown (see
    :func:`_read_yaml`)."""


for _loader in (_PlanLoader, _FastPlanLoader):
    _loader.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    _loader.add_implicit_resolver(
        "tag:yaml.org,2002:bool",
        re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
        list("tTfF"),
    )


def _read_yaml(text: str) -> object:
    """A plan file's data (safe loaders: no objects). A file libyaml refuses is read
    again by PyYAML's own parser, whose error shows the line and marks the place."""
    try:
        return yaml.load(text, Loader=_FastPlanLoader)
    except yaml.YAMLError:
        return yaml.load(text, Loader=_PlanLoader)


# the kit's names for the columns of an HR sheet; a plan's columns: maps headers to them
KIT_NAMES = {
    "person": "姓名",
    "code": "工号",
    "role": "岗位",
    "section": "类别",
    "indicator": "指标",
    "weight": "权重",
    "target": "目标值",
    "actual": "实际值",
    "self_score": "自评",
    "leader_score": "上级评分",
    "score": "得分",
    "total": "总分",
    "grade": "等级",
    "month": "月份",
}


class Indicator(Frozen):
    """An indicator of the catalogue: how its actual is found and scored."""

    label: str | None = None
    unit: str | None = None
    direction: Literal["higher", "lower"] = "higher"
    formula: str | None = None
    section: str | None = None
    allow_negative: bool = False
    # a bonus item (加分项) sits outside the weights: a sheet's extra 10% column
    bonus: bool = False
    # the actual aggregated over other people (kpilib.engine.teams), the target derived
    team: Team | None = None
    target_of: TargetOf | None = None
    # scored on the sum since January against the annual or pro-rated target (engine/to_date.py)
    year_to_date: YearToDate | None = None
    rule: AnyRule

    @model_validator(mode="after")
    def _year_to_date_reads_its_own_actual(self):
        if self.year_to_date is not None and (self.formula or self.team or self.target_of):
            raise ValueError(
                "year_to_date 只用于直接读实际值的指标（不能和 formula、team、target_of 同用）："
                "公式算出的比率逐月相加没有意义"
            )
        return self

    @property
    def lower(self) -> bool:
        return self.direction == "lower"


class Measure(Frozen):
    """A raw measure read from the actuals and used only by formulas."""

    label: str | None = None
    unit: str | None = None
    allow_negative: bool = False


class Grade(Frozen):
    name: str
    min: float | None = Field(default=None, description="lowest total in this grade (含)")


def grade_of(grades: list, total: np.ndarray) -> np.ndarray:
    """Each total's grade: the first whose min it reaches (含), else the last (NaN too);
    no grades, no grade ("").

    Plans list their grades with falling mins (checked when read), so a total reaching
    k of the mins has the grade k places above the last.
    """
    if not grades:
        return np.full(len(total), "", dtype=object)
    reached = np.zeros(len(total), np.int64)
    for grade in grades[:-1]:
        reached += compare.at_least(total, grade.min)
    return np.array([g.name for g in grades], dtype=object)[len(grades) - 1 - reached]


class Gate(Frozen):
    """A condition per person: ``void`` voids the month, ``multiply`` scales one item."""

    name: str
    when: str
    effect: Literal["void", "multiply"]
    item: str | None = None
    factor: Fraction | None = None

    @model_validator(mode="after")
    def _check(self):
        if self.effect == "multiply" and (self.item is None or self.factor is None):
            raise ValueError(_("effect: multiply 的关卡要写 item（哪一项）和 factor（乘数）"))
        if self.effect == "void" and (self.item is not None or self.factor is not None):
            raise ValueError(_("effect: void 的关卡不写 item 和 factor（它作废整月）"))
        return self


# The fields a source path may name: {month} (YYYY-MM), {period} (2024-Q4, 2024-B6, 2024 ...:
# kpilib.periods) and {year} (2024)
SOURCE_FIELDS = ("month", "period", "year")


def check_template(pattern: str) -> str:
    """Refuse a source path that names anything but a bare ``{month}``, ``{period}`` or
    ``{year}``.

    ``str.format`` would otherwise raise ``KeyError`` for ``{mon}`` or ``{0}`` and
    evaluate attribute access such as ``{month.__class__}``.
    """
    try:
        fields = [f for _text, f, spec, conv in string.Formatter().parse(pattern) if f is not None]
        specs = [(spec, conv) for _text, f, spec, conv in string.Formatter().parse(pattern) if f]
    except ValueError as exc:
        raise ValueError(
            _(
                "路径 {pattern!r} 中的花括号不成对（{error}）；"
                "只能写 {{month}}、{{period}} 或 {{year}}，例如 actuals/{{month}}.csv"
            ).format(pattern=pattern, error=exc)
        ) from None
    for field in fields:
        if field not in SOURCE_FIELDS:
            raise ValueError(
                _(
                    "路径 {pattern!r} 中的 {{{field}}} 不是可用字段；只能写 {{month}}"
                    "（月份 YYYY-MM）、{{period}}（考核周期，如 2024-Q4）或 {{year}}（年份），"
                    "例如 actuals/{{month}}.csv"
                ).format(pattern=pattern, field=field)
            )
    if any(spec or conv for spec, conv in specs):
        raise ValueError(
            _("路径 {pattern!r}：花括号字段后面不能带格式或转换（: 或 !）").format(pattern=pattern)
        )
    return pattern


class Sources(Frozen):
    """Where the inputs are, relative to the plan file; ``{month}`` is ``YYYY-MM``."""

    targets: str
    # sheet: the workbook as HR keeps it (sheets/layout.py finds the tables; kpi inspect shows how)
    targets_layout: Literal["hr", "long", "sheet"] = "hr"
    targets_sheet: str | int = 0
    actuals: str
    incidents: str | None = None
    ratings: str | None = None
    # header as written -> the kit's name (姓名, 指标, 权重, 目标值, 实际值, 自评, 上级评分,
    # 得分, 总分, 等级) or null to ignore the column
    columns: dict[str, str | None] = {}
    roster: str | None = None  # 工号 -> 姓名, for sheets that name people by code

    @model_validator(mode="after")
    def _check_columns(self):
        allowed = set(KIT_NAMES.values()) | set(KIT_NAMES)
        wrong = {h: n for h, n in self.columns.items() if n is not None and n not in allowed}
        if wrong:
            raise ValueError(
                _(
                    "columns: {wrong} 映射到的名称不认识；请用 {names} 之一，或 null（忽略该列）"
                ).format(wrong=wrong, names="、".join(sorted(allowed)))
            )
        return self

    @field_validator("targets", "actuals", "incidents", "ratings")
    @classmethod
    def _template(cls, value):
        return value if value is None else check_template(value)


class Plan(Frozen):
    """A department's scoring plan.

    Attributes
    ----------
    department : str
        Stable ID, used in file and report names (``channel_ops``).
    name : str
        The department's name as people write it (``渠道运营中心``).
    scale : float
        Full marks: weights are shares of it (100, or 300 for seed 004).
    """

    department: str
    name: str
    title: str | None = None
    notebook: str | None = None
    scale: float = Field(default=100.0, gt=0)
    sources: Sources
    measures: dict[str, Measure] = {}
    indicators: dict[str, Indicator] = Field(min_length=1)
    grades: list[Grade] = Field(min_length=1)
    void_grade: str = "无效"
    gates: list[Gate] = []
    bonus_cap: float | None = None
    # across people (kpilib.engine.teams): block limits, staff dates, exclusions, ceilings
    sections: dict[str, SectionLimit] = {}
    staff: dict[str, Staff] = {}
    exclusions: list[Exclusion] = []
    grade_ceilings: list[GradeCeiling] = []
    excluded_grade: str = "不参加"
    # pay, calibration and consequences: see kpilib/pay.py, calibrate.py, consequences.py
    pay: Pay | None = None
    calibration: Calibration | None = None
    consequences: Consequences | None = None
    # appraisal periods beyond the month (kpilib/engine/period_plan.py)
    periods: Periods | None = None
    # false: the plan appraises only its longer periods (a two-month 考核区间): the monthly
    # kpi report --all leaves it out, and --month is refused for it
    monthly: bool = True
    path: Path | None = Field(default=None, exclude=True)
    digest: str | None = Field(default=None, exclude=True)

    @field_validator("department")
    @classmethod
    def _plain_id(cls, value: str) -> str:
        if not DEPARTMENT_ID.fullmatch(value):
            raise ValueError(
                _(
                    "部门 ID {value!r} 只能由字母、数字、_、- 或汉字组成"
                    "（不能有 /、..、空格或路径），它用作报告文件夹名；"
                    "请改成方案文件名（不含 .yaml）"
                ).format(value=value)
            )
        return value

    @model_validator(mode="after")
    def _check(self):
        mins = [g.min for g in self.grades[:-1]]
        if any(m is None for m in mins):
            raise ValueError(_("grades：除最后一个等级外，每个等级都要写 min（最低分）"))
        if any(b >= a for a, b in zip(mins, mins[1:], strict=False)):
            raise ValueError(
                _("grades：各等级的 min {mins} 必须从高到低逐个变小").format(mins=mins)
            )
        for kind in self.periods.kinds if self.periods else ():
            spec = self.periods.spec(kind)
            known = {g.name for g in (spec.grades or self.grades)}
            wrong = [r.grade for r in spec.rules if r.grade is not None and r.grade not in known]
            if wrong:
                raise ValueError(
                    f"periods.{kind}.rules：等级 {'、'.join(wrong)} 不在周期等级"
                    f"（{'、'.join(known)}）中"
                )
        return self

    def source(self, key: str, month: str | None = None) -> Path | None:
        """Path of a source file (``targets``, ``actuals``...) for ``month`` (or a period key,
        ``2024-Q4``: then ``{period}`` and ``{year}`` are filled and ``{month}`` is the key)."""
        pattern = getattr(self.sources, key)
        if pattern is None:
            return None
        base = self.path.parent if self.path else Path(".")
        return (base / pattern.format(**source_fields(month))).resolve()

    def unit(self, name: str) -> str | None:
        entry = self.indicators.get(name) or self.measures.get(name)
        return entry.unit if entry else None


def source_fields(key: str | None) -> dict[str, str | None]:
    """``{month}``, ``{period}`` and ``{year}`` for a month or period key; a placeholder
    that is no period (``MONTH``, used to find files) fills every field."""
    try:
        period = Period.parse(key)
    except (ValueError, TypeError):
        return dict.fromkeys(SOURCE_FIELDS, key)
    return {"month": period.key, **period.fields()}


def nearest(name: str, choices: Iterable) -> str:
    """``（是不是 'GMV指标'？）`` or an empty string."""
    close = difflib.get_close_matches(str(name), [str(c) for c in choices], n=1, cutoff=0.4)
    return _("（是不是 {name!r}？）").format(name=close[0]) if close else ""


def load_plan(path: str | Path) -> Plan:
    """Read and validate a plan file.

    Examples
    --------
    >>> plan = load_plan("params/channel_ops.yaml")
    >>> plan.name
    '渠道运营中心'
    """
    path = Path(path)
    if not path.exists():
        raise PlanError(
            Problem(
                _("方案文件 {path} 不存在").format(path=path),
                _("检查路径；方案文件放在 params/ 下"),
                file=str(path),
                code="no_such_file",
            )
        )
    if not path.is_file():
        raise PlanError(
            Problem(
                _("方案路径 {path} 是文件夹，不是方案文件").format(path=path),
                _("请写出文件夹里的某个方案文件，例如 {example}").format(
                    example=path / "channel_ops.yaml"
                ),
                file=str(path),
                code="not_a_file",
            )
        )
    try:
        raw_bytes = path.read_bytes()
    except OSError as exc:
        raise PlanError(
            Problem(
                _("无法读取方案文件（{reason}）").format(reason=exc.strerror),
                _("检查文件权限后重试"),
                file=str(path),
                code="unreadable",
            )
        ) from None
    try:
        data = _read_yaml(plan_text(raw_bytes, path))
    except yaml.YAMLError as exc:
        raise PlanError(
            Problem(
                _("不是有效的 YAML：{error}").format(error=exc),
                _("改正 YAML 语法（缩进、冒号、引号）"),
                file=str(path),
                code="bad_yaml",
            )
        ) from None
    if not isinstance(data, dict):
        raise PlanError(
            Problem(
                _("方案文件应是一组“键: 值”，读到的是 {kind}").format(kind=type(data).__name__),
                _("按 docs/plan-format.md 写方案，例如 department: channel_ops"),
                file=str(path),
                code="not_a_mapping",
            )
        )
    try:
        plan = Plan.model_validate(
            {**data, "path": path, "digest": hashlib.sha256(raw_bytes).hexdigest()}
        )
    except ValidationError as exc:
        raise PlanError([_problem(path, err) for err in exc.errors()]) from None
    if plan.department != path.stem and not is_archived(plan):
        # a copied plan that kept its department: key would be stored as the original
        # department's next version and become current
        raise PlanError(
            Problem(
                _("文件名 {name} 与 department: {department} 不一致").format(
                    name=path.name, department=plan.department
                ),
                _("把文件改名为 {department}.yaml，或把 department: 改成 {stem}").format(
                    department=plan.department, stem=path.stem
                ),
                file=str(path),
                where="department",
                code="department_mismatch",
            )
        )
    _check_formulas(plan)
    return plan


ARCHIVE = "plan_history"  # replaced plans, kept byte for byte as <department>.<time>.yaml


def is_archived(plan: Plan) -> bool:
    """Whether ``plan`` is a replaced plan kept in ``plan_history/`` (``kpi plan publish``):
    it loads and scores for comparison, and is never stored as its department's month."""
    path = plan.path
    return (
        path is not None
        and path.parent.name == ARCHIVE
        and path.stem.startswith(f"{plan.department}.")
    )


def _problem(path: Path, err: dict) -> Problem:
    """One pydantic error as a problem in the user's language; its code is pydantic's type
    (``extra_forbidden``, ``missing``, ``value_error``, ``unknown_rule_type``...)."""
    where = ".".join(str(p) for p in err["loc"] if not str(p).startswith("function-"))
    kind, ctx = err["type"], err.get("ctx", {})
    if kind == "unknown_rule_type":
        text = _("不认识的规则类型 {tag!r}").format(tag=ctx.get("tag"))
        fix = _("改用其中之一：{types}").format(types="、".join(RULES))
    elif kind == "rule_parameter":  # kpilib.engine.rules has put the parameter's place first
        text, fix = err["msg"], ctx.get("fix") or _("见 {docs}").format(docs=validation.DOCS)
    else:
        text, fix = validation.message(err)
    return Problem(text, fix, file=str(path), where=where, code=kind)


def _check_formulas(plan: Plan) -> None:
    problems = []
    known = set(plan.measures) | set(plan.indicators)
    items_and_sections = set(plan.indicators) | {
        i.section for i in plan.indicators.values() if i.section
    }

    def check(text, where, allow_lookups):
        try:
            formula = Formula.parse(text)
        except FormulaError as exc:
            problems.append(
                Problem(
                    str(exc), _("改正公式"), file=str(plan.path), where=where, code="bad_formula"
                )
            )
            return
        for name in sorted(formula.names - known):
            problems.append(
                Problem(
                    _("公式 {formula!r} 用到未定义的量 {name!r}{hint}").format(
                        formula=text, name=name, hint=nearest(name, known)
                    ),
                    _("在 measures: 下声明它，或改正名称"),
                    file=str(plan.path),
                    where=where,
                    code="unknown_measure",
                )
            )
        for fn, arg in sorted(formula.lookups):
            if not allow_lookups:
                problems.append(
                    Problem(
                        _("{function}() 只能用在 gates 的条件里").format(function=fn),
                        _("在指标公式里直接写量的名称"),
                        file=str(plan.path),
                        where=where,
                        code="lookup_outside_gate",
                    )
                )
            elif arg not in items_and_sections:
                problems.append(
                    Problem(
                        _("{function}({name!r})：没有这个指标或类别{hint}").format(
                            function=fn, name=arg, hint=nearest(arg, items_and_sections)
                        ),
                        _("写方案里的指标名或类别名"),
                        file=str(plan.path),
                        where=where,
                        code="unknown_item",
                    )
                )

    for name, ind in plan.indicators.items():
        if ind.formula:
            check(ind.formula, f"indicators.{name}.formula", allow_lookups=False)
    for i, gate in enumerate(plan.gates):
        check(gate.when, f"gates.{i}.when", allow_lookups=True)
        if gate.item is not None and gate.item not in plan.indicators:
            problems.append(
                Problem(
                    _("关卡 {gate!r} 要乘的项目 {item!r} 不存在{hint}").format(
                        gate=gate.name, item=gate.item, hint=nearest(gate.item, plan.indicators)
                    ),
                    _("item: 写方案里的指标名"),
                    file=str(plan.path),
                    where=f"gates.{i}.item",
                    code="unknown_item",
                )
            )
    problems.extend(check_plan(plan))
    if problems:
        raise PlanError(problems)


__all__ = ["Plan", "Indicator", "Grade", "Gate", "load_plan", "LOOKUPS"]
