"""Errors that say what is wrong, where, and what to do.

A run collects every problem it finds into one error (see ``KpiError``), so an
analyst fixes a file in one pass instead of one problem per run.
"""

from __future__ import annotations

from dataclasses import dataclass

from kpilib.i18n import _

SHOW_AT_MOST = 10


@dataclass(frozen=True)
class Problem:
    """One problem found in a plan or an input file.

    Parameters
    ----------
    message : str
        What is wrong, with the value received and what was expected (already in
        the user's language: ``_("…").format(...)``).
    fix : str
        What the analyst should do about it.
    file, where, person, column : str, optional
        Where it is: the file, a row/cell/key path, the person, the column.
    code : str, optional
        A stable reason code (``unknown_column``, ``non_finite``...) that tests and
        tools check instead of the wording, so messages can be translated freely.
    """

    message: str
    fix: str = ""
    file: str | None = None
    where: str | None = None
    person: str | None = None
    column: str | None = None
    code: str | None = None

    def __str__(self) -> str:
        """``位置：消息。改法：修复`` (``place: message. Fix: fix`` in English)."""
        place = [p for p in (self.file, self.where) if p]
        if self.person:
            place.append(_("人员 {person}").format(person=self.person))
        if self.column:
            place.append(_("列 {column}").format(column=self.column))
        message = self.message.rstrip("。.")
        text = message
        if place:
            text = _("{place}：{message}").format(place=_("，").join(place), message=message)
        return _("{text}。改法：{fix}").format(text=text, fix=self.fix) if self.fix else text


class KpiError(Exception):
    """Base of all kpilib errors; carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem] | Problem | str):
        if isinstance(problems, str):
            problems = [Problem(problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems = list(problems)
        super().__init__(self._text())

    def _text(self) -> str:
        if len(self.problems) == 1:
            return str(self.problems[0])
        lines = [_("{count} 个问题：").format(count=len(self.problems))]
        lines += [f"  - {p}" for p in self.problems[:SHOW_AT_MOST]]
        if len(self.problems) > SHOW_AT_MOST:
            more = len(self.problems) - SHOW_AT_MOST
            lines.append(_("  ……另有 {count} 个").format(count=more))
        return "\n".join(lines)


class PlanError(KpiError):
    """A plan file is invalid: unknown key or rule, bad parameter, bad formula."""


class DataError(KpiError):
    """An input file (targets, actuals, incidents, ratings) is invalid."""


def raise_if(problems: list[Problem], kind: type[KpiError] = DataError) -> None:
    """Raise ``kind`` carrying ``problems`` if there are any."""
    if problems:
        raise kind(problems)
