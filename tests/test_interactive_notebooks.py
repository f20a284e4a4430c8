"""The what-if and investigation notebooks run headless under Papermill with parameters.

They are executed here (in a temporary copy of the channel plan and its data,
with a temporary results store), so they cannot rot; their outputs are checked
for the figures the kpilib calls give (see tests/test_whatif.py for the arithmetic).
"""

from __future__ import annotations

import json
import shutil

import pytest

import kpilib
from kpilib import store as history
from kpilib.project import available_months, input_files
from tests.conftest import ROOT

pytestmark = pytest.mark.slow


def _run(name, tmp_path, parameters, notebooks=ROOT / "notebooks"):
    import papermill

    out = tmp_path / f"{name}.out.ipynb"
    papermill.execute_notebook(
        str(notebooks / name),
        str(out),
        parameters=parameters,
        kernel_name="python3",
        progress_bar=False,
        cwd=str(notebooks),  # where JupyterLab runs a notebook opened from notebooks/
        shutdown_kernel="immediate",
    )
    return json.loads(out.read_text())


def _outputs(notebook) -> str:
    parts = []
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            parts.append("".join(data.get("text/html", data.get("text/plain", ""))))
            parts.append("".join(output.get("text", "")))
    return "\n".join(parts)


@pytest.fixture
def project(tmp_path):
    (tmp_path / "params").mkdir()
    shutil.copy(ROOT / "params/channel_ops.yaml", tmp_path / "params")
    shutil.copytree(ROOT / "data/channel_ops", tmp_path / "data/channel_ops")
    return tmp_path


def test_what_if_notebook_compares_sweeps_saves_and_shows_the_panel(project, tmp_path):
    plan_path = project / "params/channel_ops.yaml"
    original = plan_path.read_bytes()
    notebook = _run(
        "what_if.ipynb",
        tmp_path,
        {
            "plan_path": str(plan_path),
            "month": "2024-11",
            "rules": {"GMV指标": {"zero_below": "80%"}},
            "weights": {},
            "indicator": "GMV指标",
            "sweep": [0.5, 0.7],
            "save_as": "channel_ops_try.yaml",
        },
    )
    shown = _outputs(notebook)
    # zero_below 80%: 张诚磊, 徐海龙, 邓文 fall from 合格 to 不合格 (tests/test_whatif.py)
    assert "等级变化的人员（3 人）" in shown
    assert "-4,330.40" in shown  # their pay, 1,488.40 + 1,382.20 + 1,459.80, is lost
    assert "image/png" in json.dumps(notebook)  # the sensitivity chart
    assert "application/vnd.jupyter.widget-view+json" in json.dumps(notebook)  # the panel
    saved = project / "params/drafts/channel_ops_try.yaml"  # a draft, not a published plan
    assert saved.exists() and plan_path.read_bytes() == original
    assert not (project / "params/channel_ops_try.yaml").exists()
    assert kpilib.load_plan(saved).indicators["GMV指标"].rule.zero_below == 0.8


def test_investigate_notebook_answers_from_the_store(project, tmp_path):
    plan = kpilib.load_plan(project / "params/channel_ops.yaml")
    store = tmp_path / "results.duckdb"
    for month in available_months(plan):
        history.save(kpilib.score_month(plan, month), input_files(plan, month), store)
    notebook = _run(
        "investigate.ipynb",
        tmp_path,
        {
            "plan_path": str(plan.path),
            "store": str(store),
            "as_of": "2024-06",
            "role": "商务岗",
            "person": "曾志伟",
        },
    )
    shown = _outputs(notebook)
    assert "纳入绩效改进计划" in shown  # heading for an improvement plan after one low June
    assert "售前支持" in shown  # a target nobody reached, from pandas and from SQL
    assert "46.38" in shown  # 曾志伟's June total, explained point by point
    assert "完成率低于60%免当月绩效奖金" in shown


def test_the_notebooks_run_as_opened_from_notebooks_with_their_defaults(
    project, tmp_path, monkeypatch
):
    """README: open them in JupyterLab from notebooks/ and Run All: no paths to set."""
    monkeypatch.delenv("KPI_STORE", raising=False)
    shutil.copytree(ROOT / "notebooks", project / "notebooks")
    plan = kpilib.load_plan(project / "params/channel_ops.yaml")
    store = project / "data/results.duckdb"  # the project's store, found from notebooks/
    for month in available_months(plan):
        history.save(kpilib.score_month(plan, month), input_files(plan, month), store)
    shown = _outputs(_run("investigate.ipynb", tmp_path, {}, project / "notebooks"))
    assert "售前支持" in shown  # the same answers as with explicit paths
    shown = _outputs(_run("what_if.ipynb", tmp_path, {}, project / "notebooks"))
    assert "等级变化的人员" in shown


def test_the_notebooks_are_committed_without_outputs_and_with_a_parameters_cell():
    for name in ("what_if.ipynb", "investigate.ipynb"):
        cells = json.loads((ROOT / "notebooks" / name).read_text())["cells"]
        assert not [c for c in cells if c["cell_type"] == "code" and c.get("outputs")]
        tagged = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
        assert len(tagged) == 1, f"{name}: one cell tagged parameters"
