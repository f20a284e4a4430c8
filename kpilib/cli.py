"""The ``kpi`` command: every sub-command's parser and its thin handler.

Nothing imports this module. Handlers import what they need when they run, so
``kpi --help`` and a mistyped argument never load pandas, DuckDB or Jupyter.
"""

from __future__ import annotations

import argparse
import functools
import gc
import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from kpilib.errors import KpiError, Problem
from kpilib.i18n import N_, _, speak_argparse

if TYPE_CHECKING:
    from kpilib.period_results import PeriodResult

DESCRIPTION = N_(
    """\
kpi：按方案文件做月度绩效考核（绩效考核）。

每个部门一份方案（params/<部门>.yaml），写明每项指标怎么计分。每月把实际值放进
方案的数据文件夹，然后运行：

  kpi report --all --month 2024-11      各部门报告（HTML、PDF、个人成绩单）
  kpi score params/channel_ops.yaml --month 2024-11      只算一个部门
"""
)
STORE_HELP = N_("结果库文件；默认 $KPI_STORE 或项目下的 data/results.duckdb")


def main(argv: list[str] | None = None, program: bool = False) -> int:
    """Run ``kpi`` with ``argv``; returns the exit code (2 for a refused input).

    ``program``: this process is the ``kpi`` command (:func:`run`) and ends with it.
    """
    speak_argparse()
    parser = argparse.ArgumentParser(
        prog="kpi", description=_(DESCRIPTION), formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar=_("命令"))
    for add in (
        _score_parser,
        _report_parser,
        _history_parser,
        _adjust_parser,
        _money_parser,
        _payroll_parser,
        _template_parser,
        _inspect_parser,
        _plan_parser,
        _lab_parser,
        _review_parser,
    ):
        add(commands)
    # kpi lab hands what it does not know to jupyter lab (--port 8899 ...)
    args, extra = parser.parse_known_args(argv)
    if extra and args.command != "lab":
        parser.error(_("无法识别的参数：{args}").format(args=" ".join(extra)))
    if args.command == "lab":
        args.lab_args = extra
    else:
        _quick_start()
    quick = program and getattr(args.func, "ends_quickly", False)
    if quick and args.command != "report":  # kpi report starts its kernel before pandas
        _import_pandas()
    elif quick:
        # kpi report: no garbage collections (0.25 s less CPU for one department here;
        # turned on again, the first collection walks everything made, 0.06 s). The
        # process ends at once after (_end_now); with --jobs 1 or --period, about 2 MB a
        # department stays uncollected until then
        gc.disable()
    try:
        code = args.func(args) or 0
    except KpiError as exc:
        print(_("错误：{error}").format(error=exc), file=sys.stderr)
        code = 2
    except OSError as exc:  # a file system fault not foreseen above: said plainly, no traceback
        where = _("{path}：").format(path=exc.filename) if exc.filename else ""
        print(
            _("错误：{where}{error}。检查路径、权限和磁盘空间后重新运行").format(
                where=where, error=exc.strerror or exc
            ),
            file=sys.stderr,
        )
        code = 2
    if quick:
        _end_now(code)
    return code


def run() -> None:
    """The ``kpi`` program (the console script and ``python -m kpilib.cli``)."""
    sys.exit(main(program=True))


def _import_pandas() -> None:
    """Import pandas with the garbage collector paused, then set its objects aside.

    Its import makes some hundred thousand objects that live as long as the process;
    the collections that run while it imports, and later ones, would examine every one
    of them (about 40 ms of a short command). Only for the ``kpi`` program's short
    commands (:func:`_end_now`): nothing else is set aside, so DuckDB's and the
    command's own objects are collected as usual.
    """
    gc.disable()
    try:
        import pandas  # noqa: F401

        gc.freeze()
    finally:
        gc.enable()


def _end_now(code: int) -> None:
    """End the process with ``code`` at once, skipping Python's teardown.

    Tearing down the objects pandas, pydantic and DuckDB made costs a short command
    0.1-0.2 s of CPU: the interpreter's final garbage collections walk every one of
    them. The command's work is complete by now: its files are written and moved into
    place, its store connection closed. The exit handlers still run and the output is
    flushed; when flushing fails (a closed pipe), Python's own exit reports it.
    """
    import atexit

    run_exit_handlers = getattr(atexit, "_run_exitfuncs", None)
    if run_exit_handlers is None:
        return
    run_exit_handlers()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        return
    os._exit(code)


def _one_connection(handler):
    """Run ``handler`` holding one results-store connection for the whole command
    (:func:`kpilib.store.session`) instead of opening the store for every read and save.
    Only for commands that touch the store from this process alone (not kpi report,
    whose workers save from their own processes); as the ``kpi`` program such a command
    ends without Python's teardown (:func:`_end_now`)."""

    @functools.wraps(handler)
    def run(args) -> int:
        from kpilib.store import session

        with session():
            return handler(args)

    run.ends_quickly = True
    return run


def _quick_start() -> None:
    """Spare a short command two costs of the libraries' start-up (not for kpi lab: the
    notebooks a user opens there keep the libraries' defaults). A variable already set
    is kept."""
    # OpenBLAS starts a thread per core when numpy is imported (40-70 ms of CPU); the kit
    # does no linear algebra
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    # pydantic looks for plugins among every installed package's entry points the first
    # time a plan model is built (about 20 ms); the kit uses none
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")


def month_arg(value: str) -> str:
    """argparse type for ``YYYY-MM``."""
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", value):
        raise argparse.ArgumentTypeError(
            _("{value} 不是月份；请写成 YYYY-MM，例如 2024-11").format(value=repr(value))
        )
    return value


def _plan_arg(parser) -> None:
    parser.add_argument("plan", type=Path, help=_("方案文件，例如 params/channel_ops.yaml"))


def _month(parser) -> None:
    parser.add_argument(
        "--month", required=True, type=month_arg, help=_("月份 YYYY-MM，例如 2024-11")
    )


def period_arg(value: str) -> str:
    """argparse type for a period: ``2024-11``, ``2024-B6``, ``2024-Q4``, ``2024-H2``, ``2024``."""
    from kpilib.periods import Period

    try:
        return Period.parse(value).key
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _month_or_period(parser) -> None:
    """``--month`` (the short form) or ``--period``: exactly one of them."""
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--month", type=month_arg, help=_("月份 YYYY-MM，例如 2024-11"))
    which.add_argument(
        "--period",
        type=period_arg,
        help=_(
            "考核周期：2024-11（月）、2024-B6（双月）、2024-Q4（季度）、2024-H2（半年）、2024（全年）"
        ),
    )


def _period_of(args):
    """The args' longer period (a Period), or None when they name a month (args.month set)."""
    from kpilib.periods import Period

    if args.month is None:
        period = Period.parse(args.period)
        if not period.is_month:
            return period
        args.month = period.key
    return None


# --- kpi score -------------------------------------------------------------------------


def _score_parser(commands) -> None:
    parser = commands.add_parser(
        "score",
        help=_("算一个方案一个月的分，写出 items.csv 和 people.csv"),
        description=_(
            "按方案计算一个月的得分，写出 items.csv（每项得分及理由）和 people.csv"
            "（总分、等级、完成率）。已有文件不加 --force 不会被覆盖；输入有任何错误时什么都不写。"
        ),
    )
    _plan_arg(parser)
    _month_or_period(parser)
    parser.add_argument(
        "--actuals", type=Path, help=_("实际值文件（CSV 或 .xlsx，长表或宽表）；默认用方案里写的")
    )
    parser.add_argument("--out", type=Path, help=_("输出文件夹；默认 reports/月份/部门/"))
    parser.add_argument("--force", action="store_true", help=_("覆盖已有的输出文件"))
    parser.add_argument(
        "--xlsx", action="store_true", help=_("另写 results.xlsx（人员和明细两张表，供 Excel 用）")
    )
    parser.add_argument("--no-store", action="store_true", help=_("不把本月结果存入结果库"))
    parser.add_argument("--store", type=Path, help=_(STORE_HELP))
    parser.set_defaults(func=_score)


@_one_connection
def _score(args) -> int:
    from kpilib import load_plan, store
    from kpilib.files import refuse_existing, write_atomically
    from kpilib.months import month_result
    from kpilib.report.summary import summary

    plan = load_plan(args.plan)
    period = _period_of(args)
    if period is not None:
        return _score_period(args, plan, period)
    out = args.out or Path("reports") / args.month / plan.department
    from kpilib.sheets.workbooks import defuse

    # a BOM so Excel reads UTF-8; formula-like text quoted so Excel does not run it
    files = {
        out / "items.csv": lambda p: defuse(result.items).to_csv(
            p, index=False, encoding="utf-8-sig"
        ),
        out / "people.csv": lambda p: defuse(result.people).to_csv(
            p, index=False, encoding="utf-8-sig"
        ),
    }
    if args.xlsx:
        from kpilib.sheets.workbooks import write_results

        files[out / "results.xlsx"] = lambda p: write_results(result, p)
    # refused before anything is scored or stored; then the store first (one transaction:
    # a locked, read-only, corrupt or full store fails here, before any file is written),
    # then every file or none
    refuse_existing(files, args.force)
    # the stored month if its inputs are unchanged, else scored (with its adjustments) and saved
    result = month_result(plan, args.month, args.store, not args.no_store, args.actuals)
    write_atomically(files, force=args.force)
    print(summary(result))
    print(_("已写出 {files}").format(files=", ".join(str(p) for p in files)))
    if not args.no_store:
        runs = store.runs(args.store, plan.department)
        version = runs.loc[runs["month"] == args.month, "version"].max()
        print(
            _("结果库 {store}：{department} {month} 当前为第 {version} 版").format(
                store=store.store_path(args.store),
                department=plan.department,
                month=args.month,
                version=version,
            )
        )
        _print_review(plan, args.month, args.store)
    return 0


def _score_period(args, plan, period) -> int:
    """``kpi score --period``: the period's result (rolled up or scored from its own files),
    written as period.csv (and items.csv for a period with its own files)."""
    from kpilib.files import refuse_existing, write_atomically
    from kpilib.period_results import period_result
    from kpilib.sheets.workbooks import defuse

    if args.actuals is not None:
        raise KpiError(
            Problem(
                _("--actuals 只能和 --month 一起用"),
                _("周期的实际值由方案的 periods: 决定（各月结果汇总，或周期自己的文件）"),
                code="actuals_with_period",
            )
        )
    out = args.out or Path("reports") / period.key / plan.department
    files = {
        out / "period.csv": lambda p: defuse(result.people).to_csv(
            p, index=False, encoding="utf-8-sig"
        ),
        out / "flags.csv": lambda p: defuse(result.flags()).to_csv(
            p, index=False, encoding="utf-8-sig"
        ),
    }
    refuse_existing(files, args.force)
    result = period_result(plan, period, args.store, not args.no_store)
    if len(result.items):
        files[out / "items.csv"] = lambda p: defuse(result.items).to_csv(
            p, index=False, encoding="utf-8-sig"
        )
        refuse_existing({out / "items.csv": None}, args.force)
    write_atomically(files, force=args.force)
    print(period_summary(result))
    print(_("已写出 {files}").format(files=", ".join(str(p) for p in files)))
    if result.version is not None:
        print(
            _("结果库 {department} {period} 当前为第 {version} 版").format(
                department=plan.department, period=period.key, version=result.version
            )
        )
    return 0


def period_summary(result: PeriodResult) -> str:
    """A period's result in a few lines of Chinese, incomplete periods said first."""
    people = result.people
    lines = [
        _("{plan} {period}：{count} 人").format(
            plan=result.plan.name, period=result.period.label, count=len(people)
        )
    ]
    if result.unscored:
        lines.append(
            _("周期未完整：{months} 尚未计分；等级暂不评定（显示为 {grade}）").format(
                months="、".join(result.unscored), grade=result.spec.incomplete_grade
            )
        )
    for row in people.itertuples(index=False):
        grade = row.grade + (
            _("（暂评 {grade}）").format(grade=row.provisional_grade)
            if row.provisional_grade
            else ""
        )
        total = "—" if row.total != row.total else f"{row.total:.2f}"
        lines.append(f"  {row.person}  {total}  {grade}  {row.reason}")
    for row in result.flags().itertuples(index=False):
        lines.append(f"  → {row.person}：{row.reason}")
    return "\n".join(lines)


def _print_review(plan, month: str, path) -> None:
    from kpilib import store

    recorded = store.adjustments(plan.department, month, store=path)
    for row in recorded[recorded["status"] == "review"].itertuples(index=False):
        print(
            _(
                "待复核：第 {id} 号调整（{person} {item}，{reason}）"
                "登记后输入文件已改动，本版未计入；核实后运行 "
                "kpi adjust {plan} --month {month} --confirm {id}"
            ).format(
                id=row.adjustment_id,
                person=row.person,
                item=row.item,
                reason=row.reason,
                plan=plan.path,
                month=month,
            )
        )


# --- kpi report ------------------------------------------------------------------------


def _formats(value: str) -> tuple[str, ...]:
    from kpilib.report.batch import FORMATS

    chosen = tuple(dict.fromkeys(v.strip().lower() for v in value.split(",") if v.strip()))
    wrong = [v for v in chosen if v not in FORMATS]
    if wrong or not chosen:
        raise argparse.ArgumentTypeError(
            _("未知格式 {formats}；可用 html、pdf 或 html,pdf").format(
                formats=", ".join(wrong) or repr(value)
            )
        )
    return chosen


def _report_parser(commands) -> None:
    parser = commands.add_parser(
        "report",
        help=_("生成各部门月度报告（HTML、PDF、个人成绩单）"),
        description=_(
            "按月份为每个方案打分，执行部门报告笔记本，写出 OUT/月份/部门/vN/ 下的"
            "报告（HTML、PDF）和个人成绩单，以及 OUT/月份/index.html。"
            "旧版本保留，索引标出当前版本。"
        ),
    )
    _month_or_period(parser)
    which = parser.add_mutually_exclusive_group()
    which.add_argument(
        "--dept", nargs="+", metavar=_("部门"), help=_("部门 ID（params/ 下的方案文件名）")
    )
    which.add_argument("--all", action="store_true", help=_("params/ 下的所有方案（默认）"))
    parser.add_argument(
        "--format",
        default="html,pdf",
        type=_formats,
        help=_("逗号分隔：html、pdf（默认 html,pdf）"),
    )
    parser.add_argument("--jobs", type=int, help=_("并行进程数（默认：CPU 核数）"))
    parser.add_argument("--params", type=Path, default=Path("params"), help=_("方案文件夹"))
    parser.add_argument("--out", type=Path, default=Path("reports"), help=_("报告文件夹"))
    parser.add_argument(
        "--no-store",
        action="store_true",
        help=_("不把计分的月份存入结果库（默认存入，每月只计一次）"),
    )
    parser.set_defaults(func=_report)


def _report(args) -> int:
    """As the ``kpi`` program it ends without Python's teardown (:func:`_end_now`): its
    workers, kernel and browser have ended and every file is in place by then."""
    period = _period_of(args)
    if period is not None:
        return _report_period(args, period)
    from kpilib.report.batch import make_reports

    outcomes = make_reports(
        args.month,
        args.dept,
        params=args.params,
        out=args.out,
        formats=args.format,
        jobs=args.jobs,
        save=not args.no_store,
    )
    month_folder = Path(args.out) / args.month
    for o in outcomes:
        if o.status == "ok":
            shown = ", ".join(str(month_folder / f) for k, f in o.files.items() if k != "notebook")
            print(
                _(
                    "完成  {department} {name} 第 {version} 版（{seconds:.1f} 秒）：{files}；"
                    "成绩单 {scorecards} 份"
                ).format(
                    department=o.department,
                    name=o.name,
                    version=o.version,
                    seconds=o.seconds,
                    files=shown,
                    scorecards=o.scorecards,
                )
            )
        else:
            print(
                _("失败  {department} {name}：{error}").format(
                    department=o.department, name=o.name, error=o.error
                ),
                file=sys.stderr,
            )
    print(_("索引：{path}").format(path=month_folder / "index.html"))
    failed = [o.department for o in outcomes if o.status != "ok"]
    if failed:
        print(
            _("{count} 个部门中 {failed} 个失败：{names}").format(
                count=len(outcomes), failed=len(failed), names="、".join(failed)
            ),
            file=sys.stderr,
        )
    return 1 if failed else 0


_report.ends_quickly = True


def _report_period(args, period) -> int:
    """``kpi report --period``: the period report of each department that declares the
    period (notebooks/period.ipynb); a department that does not is listed as skipped."""
    from contextlib import ExitStack

    from kpilib.report.batch import tools

    chosen = args.dept or sorted(p.stem for p in Path(args.params).glob("*.yaml"))
    failed = []
    with ExitStack() as stack:
        started = []

        def kernel_and_printer() -> tuple:
            # one kernel and one browser for every department, started when the first
            # department with the period is found, and starting while it is scored
            if not started:
                started.append(stack.enter_context(tools("pdf" in args.format)))
            return started[0]

        for department in chosen:
            if _report_one_period(args, period, department, kernel_and_printer):
                failed.append(department)
    return 1 if failed else 0


def _report_one_period(args, period, department, kernel_and_printer) -> bool:
    """One department's line of ``kpi report --period``; whether it failed. Whatever goes
    wrong is said on that line, and the other departments are still made."""
    from kpilib import load_plan
    from kpilib.report.notebook import NotebookFailed
    from kpilib.report.period import make_period_report

    error = None
    try:
        plan = load_plan(Path(args.params) / f"{department}.yaml")
        if plan.periods is None or plan.periods.spec(period.kind.value) is None:
            if args.dept:
                raise KpiError(
                    Problem(
                        _("方案 {department} 没有{period}考核").format(
                            department=department, period=period.kind.label
                        ),
                        _(
                            "在 params/{department}.yaml 中加 periods: {kind}: …"
                            "（docs/plan-format.md）"
                        ).format(department=department, kind=period.kind.value),
                        code="period_not_declared",
                    )
                )
            print(
                _("跳过  {department}：方案没有{period}考核").format(
                    department=department, period=period.kind.label
                )
            )
            return False
        kernel, printer = kernel_and_printer()
        made = make_period_report(
            department,
            period.key,
            args.params,
            args.out,
            args.format,
            not args.no_store,
            kernel=kernel,
            printer=printer,
        )
    except (KpiError, NotebookFailed) as exc:
        error = str(exc)
    except Exception as exc:  # noqa: BLE001 - as kpi report --month: said, the others made
        error = f"{type(exc).__name__}: {exc}"
    if error is not None:
        print(
            _("失败  {department}：{error}").format(department=department, error=error),
            file=sys.stderr,
        )
        return True
    shown = ", ".join(str(v) for k, v in made.items() if k not in ("version", "notebook"))
    print(
        _("完成  {department} {period} 第 {version} 版：{files}").format(
            department=department, period=period.label, version=made["version"], files=shown
        )
    )
    return False


# --- kpi history / adjust --------------------------------------------------------------


def _history_parser(commands) -> None:
    parser = commands.add_parser(
        "history",
        help=_("列出结果库里的月份、版本和调整记录"),
        description=_(
            "列出结果库中每个已计分的月份和版本（当前版本标 *），以及申诉和调整的审计记录。"
        ),
    )
    parser.add_argument("--department", help=_("只看这个部门（方案文件名）"))
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--month", type=month_arg, help=_("只看这个月份"))
    which.add_argument(
        "--period", type=period_arg, help=_("只看这个考核周期（2024-Q4、2024 ...）及其中的月份")
    )
    parser.add_argument("--store", type=Path, help=_(STORE_HELP))
    parser.set_defaults(func=_history)


RUN_HEADERS = {
    "department": N_("部门"),
    "month": N_("月份"),
    "version": N_("版本"),
    "current": N_("当前"),
    "scored_at": N_("计分时间"),
    "people": N_("人数"),
    "files": N_("输入文件数"),
    "plan_digest": N_("方案校验码"),
    "note": N_("备注"),
}
PERIOD_HEADERS = {
    "department": N_("部门"),
    "period": N_("周期"),
    "version": N_("版本"),
    "current": N_("当前"),
    "complete": N_("完整"),
    "source": N_("来源"),
    "scored_at": N_("计分时间"),
    "people": N_("人数"),
    "note": N_("备注"),
}
AUDIT_HEADERS = {
    "id": N_("编号"),
    "department": N_("部门"),
    "month": N_("月份"),
    "person": N_("姓名"),
    "item": N_("指标"),
    "actual": N_("新实际值"),
    "points": N_("新得分"),
    "reason": N_("原因"),
    "made_by": N_("决定人"),
    "filed_at": N_("提交时间"),
    "forced": N_("超期强制"),
    "status": N_("状态"),
}


def _headers(headers: dict[str, str]) -> dict[str, str]:
    """``headers`` (column → Chinese header) in the user's language."""
    return {column: _(header) for column, header in headers.items()}


@_one_connection
def _history(args) -> int:
    import pandas as pd

    from kpilib import period_store, store
    from kpilib.text import number

    table = store.runs(args.store)
    if args.department:
        periods = period_store.runs(args.store)
        # a department appraised per period only (regional_sales) has no months
        known = sorted(set(table["department"]) | set(periods.get("department", [])))
        if args.department not in known:
            raise KpiError(
                Problem(
                    _("结果库 {store} 里没有部门 {department}；已有的部门：{known}").format(
                        store=store.store_path(args.store),
                        department=repr(args.department),
                        known="、".join(known) or _("（无，还没有计分的月份）"),
                    ),
                    _(
                        "--department 写其中之一（方案文件名，例如 channel_ops），"
                        "或先用 kpi score 为这个部门计分"
                    ),
                    code="unknown_department",
                )
            )
        table = table[table["department"] == args.department]
    chosen = None
    if args.month or args.period:
        from kpilib.periods import Period

        chosen = Period.parse(args.month or args.period)
        table = table[table["month"].isin(chosen.months)]
    if table.empty:
        print(_("{store}：还没有已计分的月份").format(store=store.store_path(args.store)))
        with pd.option_context("display.unicode.east_asian_width", True, "display.width", 200):
            _history_periods(args, chosen)
        return 0
    table = table.assign(
        current=table["current"].map({True: "*", False: ""}),
        scored_at=table["scored_at"].dt.strftime("%Y-%m-%d %H:%M:%S"),
        plan_digest=table["plan_digest"].str[:12],
        note=table["note"].fillna(""),
    )
    with pd.option_context("display.unicode.east_asian_width", True, "display.width", 200):
        print(table[list(RUN_HEADERS)].rename(columns=_headers(RUN_HEADERS)).to_string(index=False))
        trail = store.audit_trail(args.store, args.department)
        if len(trail):
            trail = (
                trail.assign(
                    actual=number(trail["actual"]),
                    points=number(trail["points"]),
                    filed_at=pd.to_datetime(trail["filed_at"]).dt.strftime("%Y-%m-%d %H:%M:%S"),
                    forced=trail["forced"].map({True: _("是"), False: ""}),
                )
                .astype(object)
                .fillna("")
            )
            print("\n" + _("调整记录（审计）："))
            print(
                trail[list(AUDIT_HEADERS)]
                .rename(columns=_headers(AUDIT_HEADERS))
                .to_string(index=False)
            )
        _history_periods(args, chosen)
    return 0


LEVEL_HEADERS = {
    "department": N_("部门"),
    "month": N_("月份或周期"),
    "person": N_("姓名"),
    "level": N_("薪酬等级"),
    "next_level": N_("下期薪酬等级"),
    "reason": N_("说明"),
    "recorded_at": N_("记录时间"),
}


def _history_periods(args, chosen) -> None:
    """``kpi history``: the stored periods, fines and awards, and pay levels."""
    from kpilib import ledger, period_store

    periods = period_store.runs(args.store, args.department)
    if chosen is not None and len(periods):
        periods = periods[periods["period"] == chosen.key]
    if len(periods):
        periods = periods.assign(
            current=periods["current"].map({True: "*", False: ""}),
            complete=periods["complete"].map({True: _("是"), False: _("否（未完整）")}),
            scored_at=periods["scored_at"].dt.strftime("%Y-%m-%d %H:%M:%S"),
            source=periods["source"].map({"months": _("各月汇总"), "actuals": _("本周期文件")}),
            note=periods["note"].fillna(""),
        )
        print("\n" + _("考核周期："))
        print(
            periods[list(PERIOD_HEADERS)]
            .rename(columns=_headers(PERIOD_HEADERS))
            .to_string(index=False)
        )
    levels = ledger.pay_levels(args.department, store=args.store)
    if chosen is not None:  # a month's or a period's levels (pay_levels keeps both keys)
        levels = levels[levels["month"].isin([chosen.key, *chosen.months])]
    levels = levels.assign(next_level=levels["next_level"].replace("", "—"))
    for title, frame in (
        (_("罚款与奖励"), ledger.money_items(args.department, store=args.store)),
        (_("薪酬等级"), levels.rename(columns=_headers(LEVEL_HEADERS))),
    ):
        if len(frame):
            print("\n" + _("{title}：").format(title=title))
            print(frame.astype(object).fillna("").to_string(index=False))


def _adjust_parser(commands) -> None:
    from datetime import datetime

    parser = commands.add_parser(
        "adjust",
        help=_("记录一项申诉结果或调整"),
        description=_(
            "为已存月份中某人的某一项记录新的实际值或新的得分，并把它作为输入重新计分，"
            "存为该月的新版本（原版本保留）。"
            "超过结果首次计分后 3 个工作日（按国家法定节假日和调休）"
            "的申诉，除非加 --force，否则拒绝。"
            "输入文件改动后重新计分的月份里，之前的调整标为待复核、"
            "不计入；核实后用 --confirm 编号 重新计入。"
        ),
    )
    _plan_arg(parser)
    _month(parser)
    parser.add_argument("--person", help=_("姓名（与目标表一致）"))
    parser.add_argument("--item", help=_("指标（与目标表一致）"))
    value = parser.add_mutually_exclusive_group()
    value.add_argument("--actual", type=float, help=_("更正后的实际值，按规则重新计分"))
    value.add_argument("--points", type=float, help=_("该项的新得分（须在该项规则能给的范围内）"))
    value.add_argument(
        "--confirm", type=int, metavar=_("编号"), help=_("确认一项待复核的调整，按当前输入重新计入")
    )
    parser.add_argument("--reason", help=_("调整原因"))
    parser.add_argument("--by", help=_("决定人"))
    parser.add_argument(
        "--filed", type=datetime.fromisoformat, help=_("申诉提交日期 YYYY-MM-DD；默认现在")
    )
    parser.add_argument("--force", action="store_true", help=_("超过期限也记录"))
    parser.add_argument("--store", type=Path, help=_(STORE_HELP))
    parser.set_defaults(func=_adjust)


@_one_connection
def _adjust(args) -> int:
    from kpilib import load_plan, months

    plan = load_plan(args.plan)
    if args.confirm is not None:
        number, result = months.confirm(plan, args.confirm, args.store)
        print(
            _("已确认第 {confirmed} 号调整（记为第 {number} 号），{month} 已重新计分").format(
                confirmed=args.confirm, number=number, month=result.month
            )
        )
        return 0
    needed = {
        "--person": args.person,
        "--item": args.item,
        "--reason": args.reason,
        "--by": args.by,
    }
    lacking = [flag for flag, value in needed.items() if value is None]
    if args.actual is None and args.points is None:
        lacking.append(_("--actual 或 --points"))
    if lacking:
        raise KpiError(
            Problem(
                _("缺少 {flags}").format(flags="、".join(lacking)),
                _(
                    "登记调整须给出姓名、指标、新实际值或新得分、原因和决定人；"
                    "确认待复核的调整用 --confirm 编号"
                ),
                code="missing_arguments",
            )
        )
    number, result = months.adjust(
        plan,
        args.month,
        args.person,
        args.item,
        reason=args.reason,
        by=args.by,
        actual=args.actual,
        points=args.points,
        filed_at=args.filed,
        force=args.force,
        store=args.store,
    )
    person = result.people.set_index("person").loc[args.person]
    print(
        _(
            "已记录第 {number} 号调整：{person} {item} {month}；重新计分后总分 "
            "{total:.2f}（原 {original:.2f}），等级 {grade}"
        ).format(
            number=number,
            person=args.person,
            item=args.item,
            month=args.month,
            total=person["total"],
            original=person["original_total"],
            grade=person["grade"],
        )
    )
    return 0


def _money_parser(commands) -> None:
    parser = commands.add_parser(
        "money",
        help=_("记录一笔罚款或奖励（元）"),
        description=_(
            "为已存月份中某人记录一笔罚款（负数）或奖励（正数），写明原因和决定人；"
            "工资表的「罚款/奖励」列把它与方案规定的罚款一起列出。"
        ),
    )
    _plan_arg(parser)
    _month(parser)
    parser.add_argument("--person", required=True, help=_("姓名（与当月结果一致）"))
    parser.add_argument(
        "--amount", required=True, help=_("金额（元，到分）：罚款写负数如 -50，奖励写正数如 500")
    )
    parser.add_argument(
        "--kind", help=_("类别，默认按正负为 奖励 或 罚款（也可写 合理化建议奖 等）")
    )
    parser.add_argument("--reason", required=True, help=_("原因"))
    parser.add_argument("--by", required=True, help=_("决定人"))
    parser.add_argument("--store", type=Path, help=_(STORE_HELP))
    parser.set_defaults(func=_money)


@_one_connection
def _money(args) -> int:
    from kpilib import ledger

    number = ledger.record_money(
        args.plan,
        args.month,
        args.person,
        args.amount,
        reason=args.reason,
        by=args.by,
        kind=args.kind,
        store=args.store,
    )
    print(
        _("已记录第 {number} 笔：{person} {month} {amount} 元（{reason}）").format(
            number=number,
            person=args.person,
            month=args.month,
            amount=args.amount,
            reason=args.reason,
        )
    )
    return 0


# --- kpi payroll -----------------------------------------------------------------------


def _payroll_parser(commands) -> None:
    parser = commands.add_parser(
        "payroll",
        help=_("从结果库写出当月工资表（Excel）"),
        description=_(
            "按结果库中当月的当前结果（已含调整）每人一行写出等级、得分、绩效工资和标记。"
        ),
    )
    _plan_arg(parser)
    _month_or_period(parser)
    parser.add_argument("--pool", help=_("本月奖金池（元），方案有奖金池时用"))
    parser.add_argument(
        "--out", type=Path, help=_("工作簿路径；默认 reports/月份/部门/payroll.xlsx")
    )
    parser.add_argument("--store", type=Path, help=_(STORE_HELP))
    parser.add_argument("--force", action="store_true", help=_("覆盖已有的工作簿"))
    parser.set_defaults(func=_payroll)


@_one_connection
def _payroll(args) -> int:
    from decimal import Decimal

    from kpilib import load_plan
    from kpilib.sheets import payroll

    plan = load_plan(args.plan)
    period = _period_of(args)
    if period is not None:
        return _payroll_period(args, plan, period)
    out = _xlsx(args.out or Path("reports") / args.month / plan.department / "payroll.xlsx")
    table = payroll.frame(plan, args.month, args.store, args.pool)
    payroll.write(table, out, plan.name, args.month, force=args.force)
    if "level" in table:  # the pay level history (kpi history lists it)
        from kpilib import ledger

        levels = table.assign(month=args.month, reason=table["level_reason"])
        ledger.save_levels(levels, plan.department, args.store)
    total = sum(table["performance_pay"], Decimal("0.00"))
    print(
        _("已写出 {path}：{count} 人，绩效工资合计 {total:,.2f} 元").format(
            path=out, count=len(table), total=total
        )
    )
    return 0


def _payroll_period(args, plan, period) -> int:
    """``kpi payroll --period``: the year-end bonus workbook (or a period's performance pay)."""
    from decimal import Decimal

    from kpilib.sheets import payroll

    out = _xlsx(args.out or Path("reports") / period.key / plan.department / "payroll.xlsx")
    table = payroll.period_frame(plan, period, args.store)
    payroll.write(table, out, plan.name, period.label, force=args.force)
    money = "year_end_bonus" if "year_end_bonus" in table else "performance_pay"
    total = sum(table[money], Decimal("0.00"))
    what = _("年底奖金") if money == "year_end_bonus" else _("绩效工资")
    print(
        _("已写出 {path}：{count} 人，{what}合计 {total:,.2f} 元").format(
            path=out, count=len(table), what=what, total=total
        )
    )
    if not table["complete"].eq("是").all():
        print(
            _("注意：{period}未完整，未完整的人员本期不发放（见“周期完整”列）").format(
                period=period.label
            )
        )
    return 0


# --- kpi template ----------------------------------------------------------------------


def _template_parser(commands) -> None:
    parser = commands.add_parser(
        "template",
        help=_("写出方案当月的 Excel 录入表"),
        description=_(
            "写出一个待填写的 .xlsx：方案中的人员及其输入项，已填好单位和目标（实际值表），"
            "方案用到时另有扣分记录表和评分记录表。填好后用 "
            "kpi score 方案 --month 月份 --actuals 文件 计分。"
        ),
    )
    _plan_arg(parser)
    _month(parser)
    parser.add_argument(
        "--out", type=Path, help=_("输出 .xlsx；默认当前文件夹下 部门_月份_录入表.xlsx")
    )
    parser.add_argument("--force", action="store_true", help=_("覆盖已有文件"))
    parser.set_defaults(func=_template)


def _xlsx(out: Path) -> Path:
    """``out`` when it names an .xlsx workbook (Excel opens a file by its ending), else
    refused before anything is computed or written."""
    if out.suffix.lower() != ".xlsx":
        raise KpiError(
            Problem(
                _("--out {path} 不是 .xlsx 文件").format(path=out),
                _("文件名请以 .xlsx 结尾"),
                code="not_xlsx",
            )
        )
    return out


def _template(args) -> int:
    from kpilib import load_plan
    from kpilib.sheets.workbooks import write_template

    plan = load_plan(args.plan)
    out = _xlsx(args.out or Path(f"{plan.department}_{args.month}_录入表.xlsx"))
    write_template(plan, args.month, out, force=args.force)
    print(
        _(
            "已写出 {path}：填好黄色单元格后运行\n"
            "  kpi score {plan} --month {month} --actuals {path}"
        ).format(path=out, plan=args.plan, month=args.month)
    )
    return 0


# --- kpi inspect -----------------------------------------------------------------------


def _inspect_parser(commands) -> None:
    parser = commands.add_parser(
        "inspect",
        help=_("计分前查看一个表格是怎样读取的（工作表、表头、列、人员）"),
        description=_(
            "显示本工具怎样读取 FILE：用到和跳过的工作表、表头行、每一列对应什么、"
            "人员及其指标和权重合计、跳过的行及原因、表中写明的总分和等级。加 --plan 时按方案核对，"
            "并把表中的总分与本工具算出的总分对比。"
        ),
    )
    parser.add_argument("file", type=Path, help=_("工作簿、CSV，或每人一个文件的文件夹"))
    parser.add_argument("--plan", type=Path, help=_("用来核对的方案文件"))
    parser.add_argument("--sheet", help=_("只读这个工作表"))
    parser.add_argument("--json", action="store_true", help=_("输出一个 JSON 对象"))
    parser.set_defaults(func=_inspect)


def _inspect(args) -> int:
    import json

    from kpilib import load_plan
    from kpilib.sheets.inspect import inspect_file, render

    plan = load_plan(args.plan) if args.plan else None
    report = inspect_file(args.file, plan, args.sheet)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=1, default=str))
    else:
        print(render(report))
    return 1 if report["problems"] else 0


# --- kpi plan publish -------------------------------------------------------------------


def _plan_parser(commands) -> None:
    parser = commands.add_parser(
        "plan",
        help=_("管理方案：发布模拟（what-if）草稿"),
        description=_(
            "方案文件的操作。模拟面板保存的方案是 params/drafts/ 下的草稿，"
            "kpi report 不会用它；确认后用 kpi plan publish 发布。"
        ),
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar=_("操作"))
    publish = actions.add_parser(
        "publish",
        help=_("把草稿发布为正式方案（旧方案原样存入 plan_history/）"),
        description=_(
            "把草稿（例如 params/drafts/channel_ops_whatif.yaml）发布为 "
            "params/<部门>.yaml。原方案原样保存为 plan_history/<部门>.<时间>.yaml，"
            "其校验码与结果库里按它计分的月份一致。"
        ),
    )
    publish.add_argument(
        "draft", type=Path, help=_("草稿文件，例如 params/drafts/channel_ops_whatif.yaml")
    )
    publish.add_argument(
        "--as",
        dest="department",
        metavar=_("部门"),
        help=_("要替换的部门方案；默认草稿文件名去掉 _whatif 后缀"),
    )
    publish.set_defaults(func=_publish)


def _publish(args) -> int:
    from kpilib.drafts import publish

    published, kept = publish(args.draft, args.department)
    print(
        _("已发布 {path}").format(path=published)
        + (
            _("；原方案保存为 {path}").format(path=kept)
            if kept
            else _("（此前没有这个部门的方案）")
        )
    )
    return 0


# --- kpi lab ---------------------------------------------------------------------------


def _lab_parser(commands) -> None:
    parser = commands.add_parser(
        "lab",
        help=_("在 notebooks/ 中打开 JupyterLab"),
        description=_(
            "在项目的 notebooks/ 文件夹启动 JupyterLab（以 root 运行时自动加 "
            "--allow-root）。其余参数原样交给 jupyter lab，例如 kpi lab --port 8899。"
        ),
    )
    parser.set_defaults(func=_lab)


def lab_command(argv: list[str] | None = None) -> list[str]:
    """The ``jupyter lab`` command line ``kpi lab`` runs (``--allow-root`` for root)."""
    command = [sys.executable, "-m", "jupyter", "lab", *(argv or [])]
    if hasattr(os, "geteuid") and os.geteuid() == 0 and "--allow-root" not in command:
        command.append("--allow-root")  # jupyter refuses to start as root without it
    return command


def _lab(args) -> int:
    from kpilib.project import root

    folder = root() / "notebooks"
    if not folder.is_dir():
        raise KpiError(
            Problem(
                _("{root} 下没有 notebooks/ 文件夹").format(root=root()),
                _("在项目文件夹（有 params/ 的那个）里运行"),
                code="no_notebooks",
            )
        )
    command = lab_command(args.lab_args)
    print(_("在 {folder} 启动：{command}").format(folder=folder, command=" ".join(command[1:])))
    os.chdir(folder)
    os.execv(command[0], command)
    return 0  # not reached


# --- kpi review ------------------------------------------------------------------------


def _review_parser(commands) -> None:
    parser = commands.add_parser(
        "review",
        help=_("记录复核调整：改某人某月的等级，写明理由和复核人"),
        description=_(
            "复核人员修改已存月份中某人的等级（复核调整），写明理由和复核人。"
            "它在方案的等级比例和强制分布之后生效；工资表和报告都按调整后的等级。"
            "同一人同一月再次复核，以最后一次为准，之前的记录保留。"
        ),
    )
    _plan_arg(parser)
    _month(parser)
    parser.add_argument("--person", required=True, help=_("姓名（与当月结果一致）"))
    parser.add_argument("--grade", required=True, help=_("调整后的等级（方案中的等级）"))
    parser.add_argument("--reason", required=True, help=_("理由"))
    parser.add_argument("--by", required=True, help=_("复核人"))
    parser.add_argument("--store", type=Path, help=_(STORE_HELP))
    parser.set_defaults(func=_review)


@_one_connection
def _review(args) -> int:
    from kpilib import ledger

    number = ledger.record_review(
        args.plan,
        args.month,
        args.person,
        args.grade,
        reason=args.reason,
        by=args.by,
        store=args.store,
    )
    print(
        _("已记录第 {number} 号复核调整：{person} {month} → {grade}（{reason}）").format(
            number=number,
            person=args.person,
            month=args.month,
            grade=args.grade,
            reason=args.reason,
        )
    )
    return 0


if __name__ == "__main__":
    run()
