"""Per-person scorecards: one self-contained HTML page each, holding only that person's data."""

from __future__ import annotations

from pathlib import Path

from kpilib.report.notebook import TEMPLATES, report_css


def write_scorecards(report, folder: Path, made_at: str = "") -> list[Path]:
    """One self-contained HTML file per person holding only that person's data.

    Parameters
    ----------
    report : kpilib.report.sections.MonthReport
    folder : Path
        Where to write ``<person>.html``; existing files are never replaced.

    Returns
    -------
    list of Path
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
    pages = {}
    for index, row in result.people.iterrows():  # rendering one page per person, not scoring
        person = row["person"]
        own = history_by_person.get(person, history.iloc[:0])
        own_table = own.assign(
            total=text.points(own["total"]), completion=text.percent(own["completion"])
        )
        own_table = own_table[["month", "total", "grade", "completion"]]
        own_table.columns = ["月份", "总分", "等级", "考核完成率"]
        english = row["english_name"] if row["english_name"] not in ("", "/") else ""
        pages[folder / f"{_safe_name(person)}.html"] = template.render(
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
    return list(pages)


def _safe_name(person: str) -> str:
    return "".join("_" if c in '/\\:*?"<>|' else c for c in str(person)).strip() or "_"
