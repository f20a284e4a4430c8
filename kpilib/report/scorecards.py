"""Per-person scorecards: one self-contained HTML page each, holding only that person's data."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import TYPE_CHECKING

from kpilib.errors import KpiError, Problem
from kpilib.i18n import _
from kpilib.report.notebook import TEMPLATES, report_css

if TYPE_CHECKING:
    from collections.abc import Iterable

    from kpilib.report.sections import MonthReport

# Bytes of a file name's stem: far below the 255-byte limit of common file systems, with
# room for ".html" and the temporary name it is first written under.
NAME_BYTES = 120
_UNSAFE = re.compile(r'[/\\:*?"<>|\x00-\x1f\x7f#%]')  # # and % would break the index's links
_WINDOWS_RESERVED = re.compile(r"(CON|PRN|AUX|NUL|COM\d|LPT\d)(\..*)?", re.IGNORECASE)


def card_names(people: Iterable[str]) -> dict[str, str]:
    """A safe, unique, bounded file name (``<name>.html``) for each person.

    A name that is safe as it is keeps it (``潘君捷.html``). Otherwise unsafe
    characters become ``_``, the name is cut to ``NAME_BYTES`` bytes of UTF-8 and
    a short hash of the full name is added, so ``李*明`` and ``李?明`` get two
    files; so do names that differ only in case, which Windows and macOS would
    store as one file.

    Examples
    --------
    >>> card_names(["潘君捷", "李*明", "李?明"])  # doctest: +NORMALIZE_WHITESPACE
    {'潘君捷': '潘君捷.html', '李*明': '李_明_887aa38b.html', '李?明': '李_明_18d48c88.html'}
    """
    people = [str(p) for p in dict.fromkeys(people)]
    stems = {p: _safe_stem(p) for p in people}
    folded: dict[str, list[str]] = {}
    for person, stem in stems.items():
        folded.setdefault(stem.casefold(), []).append(person)
    for person, stem in stems.items():
        if stem != person or len(folded[stem.casefold()]) > 1:
            stems[person] = f"{_cut(stem, NAME_BYTES - 9)}_{_short_hash(person)}"
    names = {p: f"{stem}.html" for p, stem in stems.items()}
    if len({n.casefold() for n in names.values()}) < len(names):  # pragma: no cover - 2**-32
        raise KpiError(
            Problem(
                _("两位人员的成绩单文件名相同"),
                _("请把其中一人的姓名写得不同"),
                code="same_scorecard_name",
            )
        )
    return names


def _safe_stem(person: str) -> str:
    stem = _UNSAFE.sub("_", person).strip(" .")  # Windows drops trailing dots and spaces
    if not stem or stem.startswith(".") or _WINDOWS_RESERVED.fullmatch(stem):
        stem = f"_{stem}"
    return _cut(stem, NAME_BYTES)


def _cut(text: str, budget: int) -> str:
    """``text`` cut to at most ``budget`` bytes of UTF-8, on a character boundary."""
    return text.encode("utf-8")[:budget].decode("utf-8", errors="ignore")


def _short_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]


def write_scorecards(report: MonthReport, folder: Path, made_at: str = "") -> dict[str, Path]:
    """One self-contained HTML file per person holding only that person's data.

    Parameters
    ----------
    report : kpilib.report.sections.MonthReport
    folder : Path
        Where to write ``<person>.html``; existing files are never replaced.

    Returns
    -------
    dict
        Each person's scorecard file (see :func:`card_names`).
    """
    import jinja2
    import pandas as pd

    from kpilib import text
    from kpilib.files import write_atomically
    from kpilib.outcomes.thresholds import thresholds
    from kpilib.report.sections import person_section, person_summary

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)
    template = env.get_template("scorecard.html.j2")
    result, css = report.result, report_css()
    history = report.history.sort_values("month")
    history_by_person = dict(list(history.groupby("person", sort=False)))
    met = report.conditions_met
    rules = {
        t.label: "；".join(r.rstrip("；;。") for r in t.rules) for t in thresholds(result.plan)
    }
    paid = report.paid.set_index("person") if report.paid is not None else None
    force = report.in_force
    force_by_person = dict(list(force.groupby("person", sort=False)))
    ranked = int(result.people["rank"].notna().sum())
    pages, files = {}, {}
    names = card_names(result.people["person"])
    for index, row in result.people.iterrows():  # rendering one page per person, not scoring
        person = row["person"]
        own = history_by_person.get(person, history.iloc[:0])
        own_table = pd.DataFrame(
            {
                _("月份"): own["month"].to_numpy(),
                _("总分"): text.table_points(own["total"]),
                _("等级"): own["grade"].to_numpy(),
                _("考核完成率"): text.percent(own["completion"]),
            }
        )
        english = row["english_name"] if row["english_name"] not in ("", "/") else ""
        rank = (
            ""
            if pd.isna(row["rank"])
            else _(" · 名次 {rank} / {of}").format(rank=int(row["rank"]), of=ranked)
        )
        pay_line, shown = "", row
        if paid is not None:
            mine = paid.loc[person]
            if mine["grade"] != mine["grade_before"]:  # the grade as the ranking shows it
                shown = row.copy()
                shown["grade"] = _("{grade}（校准前 {before}）").format(
                    grade=mine["grade"], before=mine["grade_before"]
                )
            grade = (
                _("（等级校准：{before} → {after}）").format(
                    before=mine["grade_before"], after=mine["grade"]
                )
                if mine["grade"] != mine["grade_before"]
                else ""
            )
            pay_line = _("绩效工资 {pay} 元：{reason}{grade}").format(
                pay=text.money([mine["pay"]])[0], reason=mine["pay_reason"], grade=grade
            )
        own_force = force_by_person.get(person, force.iloc[:0])
        files[person] = folder / names[str(person)]
        pages[files[person]] = template.render(
            person=person,
            english=english,
            role=row["role"],
            plan=result.plan,
            month=result.month,
            made_at=text.local_time(made_at),
            css=css,
            summary=person_summary(shown) + rank,
            pay_line=pay_line,
            consequences=[
                _("{action}（{months} 触发，{month} 标记）").format(
                    action=f.action, months=f.months, month=f.month
                )
                for f in own_force.itertuples(index=False)  # a few flags
            ],
            # the plan's own conditions this person meets, with the plan's wording
            below=[
                _("本月{label}：方案规定 {rule}").format(label=label, rule=rules[label])
                for label in met
                if met.at[index, label]
            ],
            items_table=person_section(
                result, person, report.months.adjustments, heading=False, paid=report.month_pay
            ),  # the report's own explanation, without a second header
            history_table=_history_table(own_table),
        )
    write_atomically(
        {
            p: (lambda path, page=page: path.write_text(page, encoding="utf-8"))
            for p, page in pages.items()
        }
    )
    return files


def _history_table(frame) -> str:
    """The person's months: points and percentages right-aligned."""
    from kpilib.report.sections import _table

    return _table(frame, numeric=(_("总分"), _("考核完成率")))
