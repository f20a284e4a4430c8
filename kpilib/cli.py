"""The ``kpi`` command. Thin: parses arguments and calls kpilib."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kpilib.errors import KpiError
from kpilib.excel import add_template_parser
from kpilib.history import add_adjust_parser, add_history_parser
from kpilib.payroll import add_payroll_parser
from kpilib.report import add_report_parser

DESCRIPTION = """\
kpi: monthly performance appraisal (绩效考核) from plan files.

A plan (params/<department>.yaml) says how each indicator is scored; each month
the analyst drops the actuals into the plan's data folder and runs:

  kpi score params/channel_ops.yaml --month 2024-11

which writes items.csv (every item with the reason for its points) and
people.csv (total, grade, completion, gates) and prints a summary.
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="kpi", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    # one line per command: each module's add_<x>_parser() registers its sub-command and
    # sets func; heavy optional imports (papermill, duckdb, openpyxl, playwright) stay
    # inside the handlers, so `kpi --help` costs only the pandas import (about 1 s)
    add_score_parser(commands)
    add_history_parser(commands)
    add_adjust_parser(commands)
    add_payroll_parser(commands)
    add_report_parser(commands)
    add_template_parser(commands)
    add_inspect_parser(commands)

    args = parser.parse_args(argv)
    try:
        return args.func(args) or 0
    except KpiError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def add_score_parser(commands) -> None:
    score = commands.add_parser(
        "score",
        help="score one plan for one month; write items.csv and people.csv",
        description="Score PLAN for MONTH and write items.csv and people.csv into --out. "
        "Existing files are never replaced without --force; on any input "
        "error nothing is written.",
    )
    score.add_argument("plan", type=Path, help="plan file, e.g. params/channel_ops.yaml")
    score.add_argument("--month", required=True, type=month_arg, help="YYYY-MM, e.g. 2024-11")
    score.add_argument(
        "--actuals",
        type=Path,
        help="actuals file (CSV or .xlsx, long or wide); default: the plan's",
    )
    score.add_argument("--out", type=Path, help="output folder; default reports/MONTH/DEPARTMENT/")
    score.add_argument("--force", action="store_true", help="replace existing output files")
    score.add_argument(
        "--xlsx",
        action="store_true",
        help="also write results.xlsx (people and items sheets, for Excel)",
    )
    score.add_argument(
        "--no-store",
        action="store_true",
        help="do not save the month in the results store (kpi history)",
    )
    score.add_argument(
        "--store", type=Path, help="results store; default $KPI_STORE or data/results.duckdb"
    )
    score.set_defaults(func=_score)


def month_arg(value: str) -> str:
    """argparse type for ``YYYY-MM``."""
    import re

    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", value):
        raise argparse.ArgumentTypeError(f"{value!r} is not a month; write YYYY-MM, e.g. 2024-11")
    return value


def _score(args) -> int:
    from kpilib import load_plan, score_month
    from kpilib.io import write_atomically
    from kpilib.summary import summary

    plan = load_plan(args.plan)
    result = score_month(plan, args.month, args.actuals)
    out = args.out or Path("reports") / args.month / plan.department
    files = {
        out / "items.csv": lambda p: result.items.to_csv(p, index=False, encoding="utf-8-sig"),
        out / "people.csv": lambda p: result.people.to_csv(p, index=False, encoding="utf-8-sig"),
    }
    if args.xlsx:
        from kpilib.excel import write_results

        files[out / "results.xlsx"] = lambda p: write_results(result, p)
    write_atomically(files, force=args.force)
    print(summary(result))
    print(f"wrote {', '.join(str(p) for p in files)}")
    if not args.no_store:
        from kpilib import history
        from kpilib.io import input_files

        version = history.save(result, input_files(plan, args.month, args.actuals), args.store)
        print(
            f"stored {plan.department} {args.month} version {version} in "
            f"{history.store_path(args.store)}"
        )
    return 0


def add_inspect_parser(commands) -> None:
    """Register ``kpi inspect FILE [--plan PLAN] [--sheet NAME] [--json]``."""
    parser = commands.add_parser(
        "inspect",
        help="show how a workbook is read (sheets, header, columns, people), before scoring",
        description="Show how the kit reads FILE: sheets used and skipped, header rows, each "
        "column and what it maps to, people with their items and weight sums, rows skipped, "
        "the totals and grades the sheet states. With --plan, check it against the plan and "
        "compare the sheet's totals with the kit's.",
    )
    parser.add_argument("file", type=Path, help="workbook, CSV, or a folder of one file per person")
    parser.add_argument("--plan", type=Path, help="plan file to check the file against")
    parser.add_argument("--sheet", help="read only this sheet")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(func=_inspect)


def _inspect(args) -> int:
    import json

    plan = None
    if args.plan:
        from kpilib.plan import load_plan

        plan = load_plan(args.plan)
    from kpilib.inspect import inspect_file, render

    report = inspect_file(args.file, plan, args.sheet)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=1, default=str))
    else:
        print(render(report))
    return 1 if report["problems"] else 0


if __name__ == "__main__":
    sys.exit(main())
