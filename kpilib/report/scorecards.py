"""Per-person scorecards: one self-contained HTML page each, holding only that person's data."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from kpilib.errors import KpiError, Problem
from kpilib.report.notebook import TEMPLATES, report_css

# Bytes of a file name's stem: far below the 255-byte limit of common file systems, with
# room for ".html" and the temporary name it is first written under.
NAME_BYTES = 120
_UNSAFE = re.compile(r'[/\\:*?"<>|\x00-\x1f\x7f#%]')  # # and % would break the index's links
_WINDOWS_RESERVED = re.compile(r"(CON|PRN|AUX|NUL|COM\d|LPT\d)(\..*)?", re.IGNORECASE)


def card_names(people) -> dict[str, str]:
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
        raise KpiError(Problem("两位人员的成绩单文件名相同", "请把其中一人的姓名写得不同"))
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


def write_scorecards(report, folder: Path, made_at: str = "") -> dict[str, Path]:
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

    from kpilib import text
    from kpilib.files import write_atomically
    from kpilib.outcomes.thresholds import hits, thresholds
    from kpilib.report.sections import person_section, person_summary

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)
    template = env.get_template("scorecard.html.j2")
    result, css = report.result, report_css()
    history = report.history.sort_values("month")
    history_by_person = dict(list(history.groupby("person", sort=False)))
    met = hits(result.plan, result.people, result.items)
    rules = {t.label: "；".join(t.rules) for t in thresholds(result.plan)}
    pages, files = {}, {}
    names = card_names(result.people["person"])
    for index, row in result.people.iterrows():  # rendering one page per person, not scoring
        person = row["person"]
        own = history_by_person.get(person, history.iloc[:0])
        own_table = own.assign(
            total=text.points(own["total"]), completion=text.percent(own["completion"])
        )
        own_table = own_table[["month", "total", "grade", "completion"]]
        own_table.columns = ["月份", "总分", "等级", "考核完成率"]
        english = row["english_name"] if row["english_name"] not in ("", "/") else ""
        files[person] = folder / names[str(person)]
        pages[files[person]] = template.render(
            person=person,
            english=english,
            role=row["role"],
            plan=result.plan,
            month=result.month,
            made_at=made_at,
            css=css,
            summary=person_summary(row),
            # the plan's own conditions this person meets, with the plan's wording
            below=[
                f"本月{label}：方案规定 {rules[label]}" for label in met if met.at[index, label]
            ],
            items_table=person_section(
                result, person, report.months.adjustments
            ),  # the report's own explanation
            history_table=own_table.to_html(index=False, classes="kpi", border=0, na_rep="—"),
        )
    write_atomically(
        {
            p: (lambda path, page=page: path.write_text(page, encoding="utf-8"))
            for p, page in pages.items()
        }
    )
    return files
