"""Reading and writing data files: the only module that touches them.

Every frame read here has canonical English columns (see ``COLUMNS``) plus
``_file`` and ``_row`` (the 1-based line or spreadsheet row), so later checks can
say exactly where a problem is. Numbers are parsed leniently the way HR sheets
write them (``2,400,000``, ``70%``, full-width ``１２０``), and anything that is
still not a number is reported with its file, row, person and column.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from kpilib.errors import DataError, KpiError, Problem, raise_if

# Canonical column -> header spellings accepted (Chinese first: it is what HR writes).
COLUMNS = {
    "person": ["姓名", "person", "name", "员工", "员工姓名"],
    "role": ["岗位", "role", "职位"],
    "english_name": ["英文名", "english_name"],
    "indicator": ["指标", "indicator", "考核指标", "item", "项目"],
    "weight": ["权重", "weight"],
    "target": ["目标值", "target", "目标"],
    "note": ["备注", "note", "说明"],
    "value": ["实际值", "value", "actual", "实际", "完成值"],
    "month": ["月份", "month"],
    "kind": ["类型", "kind", "事项"],
    "count": ["次数", "count"],
    "points": ["扣分", "points", "分值"],
    "date": ["日期", "date"],
    "rater": ["评价人", "rater"],
    "level": ["等级", "level", "评级"],
}
_ALIAS = {a.lower(): canon for canon, names in COLUMNS.items() for a in names}
META = {"role", "english_name", "note", "month"}


def read_sheet(path: str | Path, sheet: str | int = 0) -> pd.DataFrame:
    """Read a CSV or Excel sheet as text, find its header row, name columns canonically.

    Title rows above the header, trailing blank rows and merged cells (blank
    below their first row) are tolerated. Returns all-text columns plus
    ``_file`` and ``_row``.
    """
    path = Path(path)
    if not path.exists():
        raise DataError(Problem(f"file {path} does not exist", "check the path", file=str(path)))
    where = str(path)
    try:
        if path.suffix.lower() in EXCEL:
            raw, sheet_name = _read_workbook(path, sheet)
            where = f"{path} (sheet {sheet_name})"
        else:
            raw = pd.read_csv(
                path,
                header=None,
                dtype=str,
                keep_default_na=False,
                encoding="utf-8-sig",
                skip_blank_lines=False,
            )
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise DataError(
            Problem(
                f"cannot read {path.name}: {exc}", "save it as UTF-8 CSV or .xlsx", file=str(path)
            )
        ) from None
    cells = raw.map(_cell_text)
    header_at = _find_header(cells, path)
    names = [_ALIAS.get(str(c).strip().lower(), str(c).strip()) for c in cells.iloc[header_at]]
    body = cells.iloc[header_at + 1 :].copy()
    body.columns = names
    body = body.loc[:, [n != "" for n in names]]
    body["_row"] = body.index + 1
    body = body[(body.drop(columns="_row") != "").any(axis=1)]
    body["_file"] = where
    return body.reset_index(drop=True)


EXCEL = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")


def _read_workbook(path: Path, sheet: str | int) -> tuple[pd.DataFrame, str]:
    """One sheet as cells from A1 (so row numbers are the sheet's), merged cells filled.

    python-calamine reads about 7x faster than openpyxl (scripts/bench_excel.py).
    A merged cell (岗位 or 姓名 over several rows) holds its value in the top-left
    cell only; every cell of the range gets it, as the analyst sees it.
    """
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(path))
    names = book.sheet_names
    if (
        isinstance(sheet, str)
        and sheet not in names
        or isinstance(sheet, int)
        and not (0 <= sheet < len(names))
    ):
        raise DataError(
            Problem(
                f"no sheet {sheet!r}; the workbook has {names}",
                "rename the sheet or point the plan at one of these",
                file=str(path),
            )
        )
    ws = book.get_sheet_by_name(sheet) if isinstance(sheet, str) else book.get_sheet_by_index(sheet)
    raw = pd.DataFrame(ws.to_python(skip_empty_area=False), dtype=object)
    for (r0, c0), (r1, c1) in ws.merged_cell_ranges or ():
        if r0 < raw.shape[0] and c0 < raw.shape[1]:
            raw.iloc[r0 : r1 + 1, c0 : c1 + 1] = raw.iat[r0, c0]
    return raw, ws.name


def _cell_text(value) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _find_header(cells: pd.DataFrame, path: Path) -> int:
    persons = {a.lower() for a in COLUMNS["person"]}
    for i in range(min(len(cells), 30)):
        if any(str(c).strip().lower() in persons for c in cells.iloc[i]):
            return i
    raise DataError(
        Problem(
            "no header row with a person column found in the first 30 rows",
            f"add a header row naming the person column ({' or '.join(COLUMNS['person'][:2])})",
            file=str(path),
        )
    )


# No figure of a monthly appraisal reaches 10^15 (a thousand trillion yuan): a number
# beyond it is a typo, an overflow or a float limit (1e308), never data.
LARGEST = 1e15


def to_number(
    frame: pd.DataFrame,
    column: str,
    *,
    label: str | None = None,
    allow_blank: bool = False,
    allow_negative: bool = False,
    percent_points: bool = False,
) -> tuple[pd.Series, list[Problem]]:
    """Parse a text column into floats, collecting a problem per bad cell.

    ``percent_points``: a bare number above 1 is read as percentage points
    (``70`` means 70%), as HR often writes weights. ``inf``, ``Infinity``,
    ``1e999`` and ``NaN`` (code ``non_finite``) and numbers beyond
    :data:`LARGEST` (code ``too_large``) are problems naming the cell.
    """
    if pd.api.types.is_numeric_dtype(frame[column]):  # numbers already: nothing to parse
        number = frame[column].astype(float)
        pct = bad = pd.Series(False, index=frame.index)
        blank = number.isna()
    else:
        text = (
            frame[column]
            .astype(str)
            .str.normalize("NFKC")
            .str.strip()
            .str.replace(",", "", regex=False)
            .str.replace(" ", "", regex=False)
        )
        pct = text.str.endswith("%")
        number = pd.to_numeric(text.str.rstrip("%"), errors="coerce").astype(float)
        number = number.where(~pct, number / 100)
        blank = text == ""
        # "nan" parses as NaN: a written not-a-number, not a blank cell
        written_nan = text.str.rstrip("%").str.lower().isin(["nan", "-nan", "+nan"])
        bad = number.isna() & ~blank & ~written_nan
    if percent_points:
        number = number.where(pct | ~(number > 1), number / 100)
    non_finite = np.isinf(number) | (number.isna() & ~blank & ~bad)
    too_large = ~non_finite & (number.abs() > LARGEST)
    negative = (number < 0) & ~np.asarray(allow_negative) & ~non_finite & ~too_large
    problems = []
    name = label or column
    for mask, what, fix, code in (
        (bad, "is not a number", "write a plain number such as 2400000 or 92.5%", "not_a_number"),
        (blank & ~np.asarray(allow_blank), "is blank", "fill in the value", "blank"),
        (negative, "is negative", "check the sign; this column takes 0 or more", "negative"),
        (
            non_finite,
            "不是有限的数(无穷大或 NaN)",
            "填写实际的数值，如 2400000 或 92.5%",
            "non_finite",
        ),
        (
            too_large,
            f"超过 {LARGEST:.0e}，不像真实的考核数据",
            "检查这个单元格(多打了位数，或公式溢出)，填写实际的数值",
            "too_large",
        ),
    ):
        for _, row in frame[mask].iterrows():  # error path only: a handful of rows
            problems.append(
                Problem(
                    f"{row[column]!r} {what}" if what != "is blank" else f"value {what}",
                    fix,
                    file=row["_file"],
                    where=f"row {row['_row']}",
                    person=row.get("person") or None,
                    column=row.get("_column", name),
                    code=code,
                )
            )
    return number, problems


def _require(frame: pd.DataFrame, columns: list[str], path) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        wanted = ", ".join(f"{c} ({'/'.join(COLUMNS[c][:2])})" for c in missing)
        raise DataError(
            Problem(
                f"missing column(s) {wanted}; found {list(frame.columns[:-2])}",
                "add the column header",
                file=str(path),
            )
        )


def read_targets(path: str | Path, layout: str = "hr", sheet: str | int = 0) -> pd.DataFrame:
    """Per-person targets and weights.

    ``hr``: the layout of seed 000 (岗位, 姓名, 英文名, 指标, 权重, 目标值, 备注), where a
    row with an empty 姓名 continues the person above and a row with an empty 指标
    is a further sub-item of the indicator above (林燕's 业务运营 ①②③).
    ``long``: one row per person and indicator. Both give the columns person,
    role, english_name, indicator, item, weight (a fraction), target, note.
    Sub-items are named ``indicator①``, ``indicator②``...
    """
    frame = read_sheet(path, sheet)
    _require(frame, ["person", "indicator", "weight"], path)
    for col in ("role", "english_name", "target", "note"):
        if col not in frame:
            frame[col] = ""
    frame = frame.copy()
    if layout == "hr":
        starts = frame["person"] != ""
        for col in ("person", "role", "english_name"):
            frame[col] = frame[col].where(starts).ffill().fillna("")
        # a row with an empty 指标 is a further sub-item of the indicator above
        named = frame["indicator"] != ""
        item_block = named.cumsum()
        frame["indicator"] = frame["indicator"].where(named).groupby(starts.cumsum()).ffill()
        frame["indicator"] = frame["indicator"].fillna("")
        sub = frame.groupby(item_block).cumcount().to_numpy()
        has_subs = frame.groupby(item_block)["indicator"].transform("size").to_numpy() > 1
        circled = np.array(list("①②③④⑤⑥⑦⑧⑨⑩"))
        frame["item"] = np.where(
            has_subs, frame["indicator"] + circled[sub.clip(0, 9)], frame["indicator"]
        )
    else:
        frame["item"] = frame["item"] if "item" in frame else frame["indicator"]
    problems = []
    for col, label in (("person", "姓名"), ("indicator", "指标")):
        for _, row in frame[frame[col] == ""].iterrows():
            problems.append(
                Problem(
                    f"{label} is empty",
                    f"fill in {label}",
                    file=row["_file"],
                    where=f"row {row['_row']}",
                    column=label,
                )
            )
    frame["weight"], p1 = to_number(frame, "weight", label="权重", percent_points=True)
    frame["target"], p2 = to_number(frame, "target", label="目标值", allow_blank=True)
    raise_if(problems + p1 + p2)
    return frame[
        [
            "person",
            "role",
            "english_name",
            "indicator",
            "item",
            "weight",
            "target",
            "note",
            "_file",
            "_row",
        ]
    ]


def read_actuals(path: str | Path, month: str | None = None, sheet: str | int = 0) -> pd.DataFrame:
    """A month's actuals, long (person, indicator, value) or wide (a column per indicator).

    Returns the long form: person, item, value (text, parsed later against the
    plan), ``_file``, ``_row`` and ``_column`` (where the value sits).
    """
    frame = read_sheet(path, sheet)
    problems = []
    if month and "month" in frame:
        wrong = frame[(frame["month"] != "") & (frame["month"].str[:7] != month)]
        for _, row in wrong.head(1).iterrows():
            problems.append(
                Problem(
                    f"month column says {row['month']!r} but this run is for {month}",
                    "pass the file of the right month",
                    file=str(path),
                    where=f"row {row['_row']}",
                )
            )
    if "indicator" in frame and "value" in frame:
        long = frame.rename(columns={"indicator": "item"})
        long["_column"] = "实际值"
    else:
        _require(frame, ["person"], path)
        columns = [c for c in frame.columns if c not in META | {"person", "_row", "_file"}]
        long = frame.melt(
            id_vars=["person", "_row", "_file"],
            value_vars=columns,
            var_name="item",
            value_name="value",
        )
        long["_column"] = long["item"]
        long = long.sort_values(["_row", "item"], kind="stable")
    raise_if(problems)
    return long[["person", "item", "value", "_file", "_row", "_column"]].reset_index(drop=True)


def read_incidents(path: str | Path, sheet: str | int = 0) -> pd.DataFrame:
    """Incidents: person, indicator, kind, count (default 1), points (for ranged kinds)."""
    frame = read_sheet(path, sheet)
    _require(frame, ["person", "indicator", "kind"], path)
    frame = frame.rename(columns={"indicator": "item"})
    for col in ("count", "points", "date", "note"):
        if col not in frame:
            frame[col] = ""
    frame["count"] = frame["count"].replace("", "1")
    frame["count"], p1 = to_number(frame, "count", label="次数")
    frame["points"], p2 = to_number(frame, "points", label="扣分", allow_blank=True)
    raise_if(p1 + p2)
    return frame[["person", "item", "kind", "count", "points", "date", "note", "_file", "_row"]]


def read_ratings(path: str | Path, sheet: str | int = 0) -> pd.DataFrame:
    """Ratings: person, indicator, rater (optional), level."""
    frame = read_sheet(path, sheet)
    _require(frame, ["person", "indicator", "level"], path)
    frame = frame.rename(columns={"indicator": "item"})
    if "rater" not in frame:
        frame["rater"] = ""
    return frame[["person", "item", "rater", "level", "_file", "_row"]]


def write_atomically(outputs: dict[Path, callable], force: bool = False) -> None:
    """Write several files all-or-nothing.

    ``outputs`` maps each destination to a function writing to a given path.
    Everything is written to temporary files first and moved into place only
    when all succeeded. An existing file is never replaced unless ``force``.
    """
    existing = [p for p in outputs if p.exists()]
    if existing and not force:
        raise KpiError(
            Problem(
                f"{', '.join(map(str, existing))} already exist(s)",
                "choose another --out directory, or pass --force to replace them",
            )
        )
    staged = []
    try:
        for dest, write in outputs.items():
            dest.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".tmp")
            os.close(fd)
            staged.append((Path(tmp), dest))
            write(Path(tmp))
        umask = os.umask(0)
        os.umask(umask)
        for tmp, dest in staged:
            tmp.chmod(0o666 & ~umask)  # mkstemp makes 0600; reports are meant to be shared
            os.replace(tmp, dest)
    finally:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)


def read_inputs(plan, month: str, actuals: str | Path | None = None) -> dict:
    """Read every input a plan needs for ``month``: the keyword arguments of ``score``.

    A missing actuals file is an error naming the expected path; missing
    incidents or ratings files mean "none this month". A filled-in input template
    (``kpi template``) passed as ``actuals`` also carries the month's incidents and
    ratings in its sheets 扣分记录 and 评分记录, which then replace the plan's files.
    """
    path = Path(actuals) if actuals else plan.source("actuals", month)
    if not path.exists():
        raise DataError(
            Problem(
                f"no actuals for {month}: {path} does not exist",
                "put the month's actuals there, or name another actuals file",
                file=str(path),
            )
        )
    in_template = _template_sheets(path)
    inputs = {
        "targets": read_targets(
            plan.source("targets", month), plan.sources.targets_layout, plan.sources.targets_sheet
        ),
        "actuals": read_actuals(path, month, in_template.get("actuals", 0)),
    }
    for key, reader in (("incidents", read_incidents), ("ratings", read_ratings)):
        source = plan.source(key, month)
        if key in in_template:
            inputs[key] = reader(path, in_template[key])
        else:
            inputs[key] = reader(source) if source is not None and source.exists() else None
    return inputs


# The sheets of the input template written by ``kpi template`` (kpilib.excel).
TEMPLATE_SHEETS = {"actuals": "实际值", "incidents": "扣分记录", "ratings": "评分记录"}


def _template_sheets(path: Path) -> dict[str, str]:
    """Which template sheets an Excel workbook has: ``{"incidents": "扣分记录", ...}``."""
    if path.suffix.lower() not in EXCEL:
        return {}
    from python_calamine import CalamineWorkbook

    names = set(CalamineWorkbook.from_path(str(path)).sheet_names)
    return {key: name for key, name in TEMPLATE_SHEETS.items() if name in names}


def input_files(plan, month: str, actuals: str | Path | None = None) -> list[Path]:
    """The files a month's score reads (for checksums in reports and the store)."""
    paths = [
        plan.path,
        plan.source("targets", month),
        Path(actuals) if actuals else plan.source("actuals", month),
        plan.source("incidents", month),
        plan.source("ratings", month),
    ]
    return [Path(p).resolve() for p in paths if p is not None and Path(p).exists()]


def available_months(plan) -> list[str]:
    """The months (``YYYY-MM``) that have an actuals file, oldest first."""
    import re

    pattern = plan.source("actuals", "MONTH")
    folder = pattern.parent
    regex = re.compile(re.escape(pattern.name).replace("MONTH", r"(\d{4}-\d{2})") + "$")
    found = (regex.match(p.name) for p in folder.glob("*")) if folder.exists() else ()
    return sorted(m.group(1) for m in found if m)


def write_targets(targets: pd.DataFrame, path: str | Path) -> None:
    """Write targets (as :func:`read_targets` returns them) as an HR-layout CSV.

    The layout reads back with ``targets_layout: hr``: a person's name on their
    first row only, a sub-item (``业务运营②``) as a row with an empty 指标 under
    its indicator, weights as percentages with enough digits to total 100%.
    """
    first_of_person = targets["person"].ne(targets["person"].shift()).to_numpy()
    same_indicator = targets["indicator"].eq(targets["indicator"].shift()).to_numpy()
    continues = ~first_of_person & same_indicator & (targets["item"] != targets["indicator"])
    weight = targets["weight"].to_numpy(float) * 100
    out = pd.DataFrame(
        {
            "岗位": np.where(first_of_person, targets["role"], ""),
            "姓名": np.where(first_of_person, targets["person"], ""),
            "英文名": np.where(first_of_person, targets["english_name"], ""),
            "指标": np.where(continues, "", targets["indicator"]),
            "权重": [f"{w:.10g}%" for w in weight],
            "目标值": targets["target"].map(lambda t: "" if pd.isna(t) else f"{t:.15g}"),
            "备注": targets["note"].fillna(""),
        }
    )
    out.to_csv(path, index=False, encoding="utf-8-sig")


def checksum(path: str | Path) -> tuple[str, int]:
    """``(sha256 hex, size in bytes)`` of a file, read in 1 MB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest(), Path(path).stat().st_size
