"""Executing a department notebook with Papermill and exporting it to HTML.

Notebooks run in the worker's warm kernel (:mod:`kpilib.report.kernel`), each in
an empty namespace.

The HTML uses the report template in ``templates/report``: code hidden, the
report's CSS inlined, nothing loaded from the network.
"""

from __future__ import annotations

import functools
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from kpilib.errors import KpiError, Problem
from kpilib.i18n import _

if TYPE_CHECKING:
    from nbformat import NotebookNode

    from kpilib.engine.plan import Plan
    from kpilib.report.kernel import WarmKernel

TEMPLATES = Path(__file__).parent / "templates"
_EXPORTING = threading.Lock()  # one export at a time: a worker warms the exporter on a thread


class NotebookFailed(Exception):
    """A cell of the notebook failed; the message names the cell and the error."""


def find_notebook(plan: Plan, params: Path) -> Path:
    """The notebook that renders ``plan``'s report: the plan's own or the default one."""
    # a plan may name its own notebook, relative to the plan file like its data sources
    if plan.notebook:
        path = (Path(plan.path).parent / plan.notebook).resolve()
        where = _("方案 notebook 键所指的笔记本（{notebook}）").format(notebook=plan.notebook)
    else:
        path = (params.parent / "notebooks" / "department.ipynb").resolve()
        where = _("默认的部门笔记本")
    if not path.exists():
        raise KpiError(
            Problem(
                _("{where} {path} 不存在").format(where=where, path=path),
                _("改正方案的 notebook: 路径，或恢复 notebooks/department.ipynb"),
                file=str(plan.path),
                code="no_notebook",
            )
        )
    return path


def check_parameters(notebook: Path) -> set[str]:
    """The parameters the notebook declares; an error if it has no ``parameters`` cell."""
    import nbformat
    import papermill

    nb = nbformat.read(notebook, as_version=4)
    if not any("parameters" in c.get("metadata", {}).get("tags", []) for c in nb.cells):
        raise KpiError(
            Problem(
                _("笔记本没有标记为 parameters 的单元格，无法传入月份和部门"),
                _(
                    "在 JupyterLab 中选中设置 department 和 month 的单元格，"
                    "打开属性检查器（齿轮图标），加上标签 parameters"
                ),
                file=str(notebook),
                code="no_parameters_cell",
            )
        )
    declared = set(papermill.inspect_notebook(str(notebook)))
    missing = [p for p in ("department", "month") if p not in declared]
    if missing:
        raise KpiError(
            Problem(
                _("parameters 单元格没有设置 {names}").format(names="、".join(missing)),
                _("在 parameters 单元格中加上 {lines}").format(
                    lines="、".join(f"{m} = ..." for m in missing)
                ),
                file=str(notebook),
                code="missing_parameter",
            )
        )
    return declared


def execute(
    notebook: Path,
    output: Path,
    parameters: dict,
    declared: set[str],
    kernel: WarmKernel,
    handed: Path | None = None,
) -> NotebookNode:
    """Run ``notebook`` with papermill into ``output``; the executed notebook node.

    ``kernel`` is an open :class:`~kpilib.report.kernel.WarmKernel`; the notebook
    starts in an empty namespace there. Only the parameters the notebook declares
    are passed. ``handed`` is a month written by :func:`kpilib.report.handoff.write`
    for the notebook's ``MonthReport.load``. A failing cell raises
    :class:`NotebookFailed` naming the cell; the executed notebook is kept.
    """
    import papermill
    from nbclient.exceptions import DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    from kpilib.report.kernel import ENGINE, register_engine

    register_engine()
    kernel.handed = handed
    try:
        return papermill.execute_notebook(
            str(notebook),
            str(output),
            parameters={k: v for k, v in parameters.items() if k in declared},
            kernel_name="python3",
            progress_bar=False,
            cwd=str(notebook.parent),
            request_save_on_cell_execute=False,
            engine_name=ENGINE,
            kernel=kernel,
        )
    except PapermillExecutionError as exc:
        first = next((line for line in exc.source.splitlines() if line.strip()), "")
        # the 0-based index in the executed notebook, which has papermill's injected cell
        # before it, is the 1-based position in the notebook the analyst edits
        position = exc.cell_index
        message = _(
            "笔记本 {name}：第 {cell} 个单元格（In [{count}]: {source}）出错：{error}: {value}。"
            "出错的笔记本保留在 {output}；在 JupyterLab 中打开它查看错误的来龙去脉"
        ).format(
            name=notebook.name,
            cell=position,
            count=exc.exec_count,
            source=first.strip()[:80],
            error=exc.ename,
            value=exc.evalue.strip()[:400],
            output=output,
        )
        raise NotebookFailed(message) from None
    except DeadKernelError:
        raise NotebookFailed(
            _(
                "笔记本 {name} 运行中内核退出了（某个单元格让 Python 崩溃或内存不足）；"
                "在 JupyterLab 里打开它逐个运行单元格找出原因，然后重新运行 kpi report"
            ).format(name=notebook.name)
        ) from None


def to_html(nb: NotebookNode, title: str) -> str:
    """The executed notebook as a self-contained HTML page, code hidden."""
    with _EXPORTING:
        body, _ = _exporter().from_notebook_node(
            nb, resources={"kpi_css": report_css(), "metadata": {"name": title}}
        )
    return body


@functools.cache
def _exporter():
    # one per process: finding and compiling the templates is most of a new exporter's cost
    from nbconvert import HTMLExporter

    return HTMLExporter(
        extra_template_basedirs=[str(TEMPLATES)],
        template_name="report",
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )


def report_css() -> str:
    """The style shared by reports, scorecards and the index."""
    return (TEMPLATES / "report.css").read_text(encoding="utf-8")
