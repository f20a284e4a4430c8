"""The language the kit speaks: Chinese by default, English when asked.

Every text a user reads is written once, in Chinese, as ``_("…")``. The Chinese
text is the gettext msgid, so Chinese needs no catalog; English comes from
``kpilib/locale/en/LC_MESSAGES/kpilib.mo`` when ``KPI_LANG`` (else ``LC_ALL``,
``LC_MESSAGES``, ``LANG``: the first one set) starts with ``en``. The language is
chosen once per process, at the first message. docs/i18n.md says how to add a message.

A message with values is a template filled after translation, so the catalog
holds one entry per message, not one per value (an f-string inside ``_()`` would
never be found in the catalog)::

    _("文件 {path} 不存在").format(path=path)

Examples
--------
>>> language({"KPI_LANG": "en_US.UTF-8"}), language({"LANG": "zh_CN.UTF-8"}), language({})
('en', 'zh', 'zh')
>>> language({"KPI_LANG": "zh", "LANG": "en_US.UTF-8"})
'zh'
"""

from __future__ import annotations

import gettext
import os
from collections.abc import Mapping
from functools import cache
from pathlib import Path

LOCALE = Path(__file__).parent / "locale"
DOMAIN = "kpilib"
# KPI_LANG first, then POSIX's order of precedence
VARIABLES = ("KPI_LANG", "LC_ALL", "LC_MESSAGES", "LANG")


def language(environ: Mapping[str, str] | None = None) -> str:
    """``"en"`` when the first language variable set starts with ``en``, else ``"zh"``."""
    environ = os.environ if environ is None else environ
    for name in VARIABLES:
        value = environ.get(name, "").strip()
        if value:
            return "en" if value.lower().startswith("en") else "zh"
    return "zh"


@cache
def catalog() -> gettext.NullTranslations:
    """The process's catalog: none for Chinese (the msgids are Chinese), else English."""
    if language() == "zh":
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, LOCALE, languages=["en"], fallback=True)


def _(message: str) -> str:
    """``message`` (Chinese) in the process's language."""
    return catalog().gettext(message)


def speak_argparse() -> None:
    """argparse's own words in ``kpi``'s help and errors (用法、选项、缺少必需的参数…) in
    the kit's language: Chinese from ``locale/zh/LC_MESSAGES/argparse.mo``, English as
    argparse writes them.

    argparse looks every one of its words up through its module's ``_`` and
    ``ngettext`` (gettext's default domain) when it writes them, so giving it the
    catalog's functions is all a translation takes.
    """
    if language() != "zh":
        return
    import argparse

    words = gettext.translation("argparse", LOCALE, languages=["zh"], fallback=True)
    argparse._ = words.gettext
    argparse.ngettext = words.ngettext


def N_(message: str) -> str:
    """Mark ``message`` for the catalog without translating it yet (a table of texts
    built at import, translated with ``_()`` where it is shown)."""
    return message


__all__ = ["_", "N_", "language", "catalog", "speak_argparse"]
