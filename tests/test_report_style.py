"""The report's styles in JupyterLab (issue 11 #15): report.css, scoped to notebook outputs."""

from __future__ import annotations

import json

import tinycss2

from kpilib.report.style import notebook_css, style
from tests.conftest import ROOT


def test_every_rule_is_scoped_to_outputs_and_none_restyles_jupyterlab():
    rules = [r for r in tinycss2.parse_stylesheet(notebook_css(), skip_whitespace=True)]
    selectors = [
        s.strip() for r in rules for s in tinycss2.serialize(r.prelude).split(",") if s.strip()
    ]
    assert selectors and all(
        s.startswith(".jp-OutputArea-output") or s == ":root" for s in selectors
    )
    css = notebook_css()
    assert "body" not in css and "@page" not in css and ".jp-InputPrompt" not in css
    # the overview cards sit side by side, names stay on one line
    assert ".jp-OutputArea-output .cards { display: flex" in css
    assert ".jp-OutputArea-output table.kpi td:not(:last-child) { white-space: nowrap; }" in css
    assert "WenQuanYi Micro Hei" in css  # the pinned Chinese font (not a Kai fallback)


def test_the_department_notebook_applies_the_style_in_its_first_output():
    cells = json.loads((ROOT / "notebooks/department.ipynb").read_text(encoding="utf-8"))["cells"]
    code = [c for c in cells if c["cell_type"] == "code"]
    assert "parameters" in code[0]["metadata"].get("tags", [])
    assert "display(style())" in "".join(code[1]["source"])
    assert style()._repr_html_().startswith("<style>")
