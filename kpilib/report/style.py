"""The report's look inside JupyterLab: report.css, scoped to notebook outputs.

The HTML report carries ``templates/report.css``; a notebook opened in JupyterLab
does not, so its overview cards fall into stacked lines and names wrap mid-name.
``style()`` in a notebook's first output applies the same rules to the outputs
only: every selector is put under ``.jp-OutputArea-output``, and what would
restyle JupyterLab itself (``body``, its prompts and cells, ``@page``, print rules)
is left out.
"""

from __future__ import annotations

import re
from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from IPython.display import HTML

SCOPE = ".jp-OutputArea-output"


@cache
def notebook_css() -> str:
    """report.css with each rule scoped to notebook outputs.

    A selector about report content (``table.kpi td``, ``.cards``) is put under
    ``.jp-OutputArea-output``. Rules only about the page or JupyterLab's own boxes
    (``body``, ``main``, ``.jp-Cell``...) are left out, except the base text rule the
    stylesheet writes for both (``body, ..., .jp-RenderedHTMLCommon``: font, size,
    colour), which the outputs take. ``@page`` and print rules are left out.
    """
    import tinycss2

    css = (files("kpilib.report") / "templates" / "report.css").read_text(encoding="utf-8")
    rules = tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True)
    out = []
    for rule in rules:
        if rule.type != "qualified-rule":  # @page, @media print: for the printed report
            continue
        # serialize() separates adjacent tokens with /**/ (n/**/+3): they were adjacent
        prelude = tinycss2.serialize(rule.prelude).replace("/**/", "")
        selectors = [s.strip() for s in prelude.split(",")]
        body = tinycss2.serialize(rule.content)
        if selectors == [":root"]:  # the colour variables
            out.append(f":root {{{body}}}")
            continue
        content = [_scoped(s) for s in selectors if not _page_or_chrome(s)]
        if not content and {"body", ".jp-RenderedHTMLCommon"} <= set(selectors):
            content = [SCOPE]  # the base text rule, written for page and notebook alike
        if content:
            out.append(f"{', '.join(dict.fromkeys(content))} {{{body}}}")
    return "\n".join(out)


def _page_or_chrome(selector: str) -> bool:
    """``body``, ``main`` or a JupyterLab box on its own (``.jp-Cell``), nothing inside."""
    return selector in ("body", "main") or re.fullmatch(r"\.jp-[\w-]+", selector) is not None


def _scoped(selector: str) -> str:
    if selector.startswith(".jp-RenderedHTMLCommon "):
        return SCOPE + selector.removeprefix(".jp-RenderedHTMLCommon")
    return f"{SCOPE} {selector}"


def style() -> HTML:
    """The report's styles for a notebook: display it (or leave it last in a cell).

    Examples
    --------
    >>> "<style>" in style()._repr_html_()
    True
    """
    from IPython.display import HTML

    return HTML(f"<style>{notebook_css()}</style>")


__all__ = ["style", "notebook_css"]
