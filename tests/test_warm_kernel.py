"""Report workers keep one kernel and one browser page: each report still reads as if new.

Issue 13, point 1: "Report workers keep one warm kernel and one browser page for all
their departments". What must not change with it: every notebook starts in an empty
namespace at cell 1 in its own folder, shows its own warnings, a failing cell is named
as before, a dead kernel does not take the next department with it, and no sockets
pile up (a shared kernel manager in papermill leaked about 10 descriptors a notebook).
"""

import os
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest

from kpilib.report import notebook
from kpilib.report.batch import make_reports
from kpilib.report.kernel import WarmKernel
from kpilib.report.pdf import Printer

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent
MONTH = "2024-11"


def write_notebook(path: Path, *cells: str) -> Path:
    """A notebook with a parameters cell (department, month) and the given code cells."""
    nb = nbformat.v4.new_notebook()
    parameters = nbformat.v4.new_code_cell('department = "x"\nmonth = "2024-11"')
    parameters.metadata["tags"] = ["parameters"]
    nb.cells = [parameters, *(nbformat.v4.new_code_cell(c) for c in cells)]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def run(kernel, source: Path, output: Path, department: str):
    return notebook.execute(
        source, output, {"department": department, "month": MONTH}, {"department", "month"}, kernel
    )


def stdout(nb) -> list[str]:
    return [
        "".join(o["text"])
        for c in nb.cells
        for o in c.get("outputs", [])
        if o["output_type"] == "stream" and o["name"] == "stdout"
    ]


def stderr(nb) -> str:
    return "".join(
        "".join(o["text"])
        for c in nb.cells
        for o in c.get("outputs", [])
        if o["output_type"] == "stream" and o["name"] == "stderr"
    )


def test_notebooks_in_one_kernel_start_empty_at_cell_1_in_their_own_folder(tmp_path):
    (tmp_path / "a" / "warner.py").parent.mkdir()
    (tmp_path / "a" / "warner.py").write_text(
        "import warnings\n\ndef warn():\n    warnings.warn('数据不全，请补录', UserWarning)\n"
    )
    cells = (
        "import os, sys\nprint(os.getpid(), 'left' in globals(), os.getcwd(), department)",
        "left = department\nimport warner\nwarner.warn()",
    )
    first = write_notebook(tmp_path / "a" / "first.ipynb", *cells)
    second = write_notebook(tmp_path / "b" / "second.ipynb", *cells)
    shutil.copy(tmp_path / "a" / "warner.py", tmp_path / "b" / "warner.py")
    with WarmKernel() as kernel:
        one = run(kernel, first, tmp_path / "out1.ipynb", "甲部")
        two = run(kernel, second, tmp_path / "out2.ipynb", "乙部")
    pid_one, leaked_one, cwd_one, dept_one = stdout(one)[0].split()
    pid_two, leaked_two, cwd_two, dept_two = stdout(two)[0].split()
    assert pid_one == pid_two  # the same kernel process ran both
    assert (leaked_one, leaked_two) == ("False", "False")  # `left` of 甲部 is gone for 乙部
    assert (cwd_one, cwd_two) == (str(tmp_path / "a"), str(tmp_path / "b"))
    assert (dept_one, dept_two) == ("甲部", "乙部")
    # parameters, injected parameters, two cells: counted from 1 in each notebook
    for nb in (one, two):
        assert [c.execution_count for c in nb.cells] == [1, 2, 3, 4]
        assert "数据不全，请补录" in stderr(nb)  # a warning shown once per place shows again
    saved = nbformat.read(tmp_path / "out2.ipynb", as_version=4)  # papermill's injected cell
    assert saved.cells[1].metadata.tags == ["injected-parameters"]


def test_a_failing_cell_is_named_and_the_next_notebook_runs(tmp_path):
    failing = write_notebook(
        tmp_path / "failing.ipynb", "x = 1", "raise ValueError('boom: 数据不全')"
    )
    good = write_notebook(tmp_path / "good.ipynb", "print('x' in globals(), 40 + 2)")
    with WarmKernel() as kernel:
        with pytest.raises(
            notebook.NotebookFailed, match=r"第 3 个单元格（In \[4\]: raise ValueError"
        ):
            run(kernel, failing, tmp_path / "f.ipynb", "a")
        assert stdout(run(kernel, good, tmp_path / "g.ipynb", "b")) == ["False 42\n"]


def test_a_dead_kernel_is_replaced_for_the_next_notebook(tmp_path):
    dying = write_notebook(tmp_path / "dying.ipynb", "import os\nos._exit(1)")
    good = write_notebook(tmp_path / "good.ipynb", "import os\nprint(os.getpid())")
    with WarmKernel() as kernel:
        before = stdout(run(kernel, good, tmp_path / "g1.ipynb", "a"))[0]
        with pytest.raises(notebook.NotebookFailed, match="内核退出"):
            run(kernel, dying, tmp_path / "d.ipynb", "b")
        after = stdout(run(kernel, good, tmp_path / "g2.ipynb", "c"))[0]
    assert before != after  # a new kernel process


def test_a_kernel_whose_imports_fail_says_so_for_every_notebook(tmp_path, monkeypatch):
    # the preload (pandas, matplotlib, kpilib) fails in the kernel: each notebook is
    # refused with the reason, the second too, instead of waiting for a reply already read
    import threading

    from kpilib.errors import KpiError
    from kpilib.report import kernel as warm

    real = warm._call
    failing = "raise ImportError('no matplotlib here')"
    monkeypatch.setattr(
        warm, "_call", lambda name, *a: failing if name == "kernel_preload" else real(name, *a)
    )
    good = write_notebook(tmp_path / "good.ipynb", "print(1)")
    errors = []

    def two_notebooks():
        with WarmKernel() as kernel:
            for n in range(2):
                try:
                    run(kernel, good, tmp_path / f"{n}.ipynb", f"d{n}")
                except KpiError as exc:
                    errors.append(str(exc))

    worker = threading.Thread(target=two_notebooks, daemon=True)
    worker.start()
    worker.join(timeout=90)
    assert not worker.is_alive(), "the second notebook waited for the failed preload"
    assert len(errors) == 2 and all("ImportError: no matplotlib here" in e for e in errors)


def test_many_notebooks_in_one_kernel_leave_no_sockets_open(tmp_path):
    source = write_notebook(tmp_path / "n.ipynb", "print(department)")
    with WarmKernel() as kernel:
        run(kernel, source, tmp_path / "0.ipynb", "d0")
        descriptors = len(os.listdir("/proc/self/fd"))
        for n in range(1, 9):
            run(kernel, source, tmp_path / f"{n}.ipynb", f"d{n}")
        assert len(os.listdir("/proc/self/fd")) <= descriptors + 2


def test_one_page_prints_every_pdf_of_a_printer(tmp_path):
    pages = {}
    for name, words in (("a", "渠道运营中心"), ("b", "会员运营部")):
        pages[name] = tmp_path / f"{name}.html"
        pages[name].write_text(
            f"<html><body style=\"font-family:'WenQuanYi Micro Hei'\"><h1>{words}</h1>"
            "</body></html>",
            encoding="utf-8",
        )
    with Printer() as printer:
        seen = []
        for name in pages:
            printer.print(pages[name], tmp_path / f"{name}.pdf", footer=name)
            seen.append(printer.call(lambda: (printer.page, len(printer.browser.contexts))))
        assert seen[0][0] is seen[1][0] and seen[1][1] == 1
    text = {
        name: subprocess.run(
            ["pdftotext", tmp_path / f"{name}.pdf", "-"], capture_output=True, text=True
        ).stdout
        for name in pages
    }
    assert "渠道运营中心" in text["a"] and "会员运营部" not in text["a"]
    assert "会员运营部" in text["b"] and "渠道运营中心" not in text["b"]


def test_a_batch_runs_each_workers_departments_in_one_kernel(tmp_path, monkeypatch):
    """Four departments, two workers: at most two kernel processes ran the four notebooks."""
    root = tmp_path / "project"
    (root / "params").mkdir(parents=True)
    (root / "data").symlink_to(ROOT / "data")
    write_notebook(root / "notebooks" / "pid.ipynb", "import os\nprint(os.getpid())")
    plan = (ROOT / "params" / "channel_ops.yaml").read_text(encoding="utf-8")
    departments = [f"copy_{n}" for n in range(4)]
    for department in departments:
        (root / "params" / f"{department}.yaml").write_text(
            plan.replace(
                "department: channel_ops",
                f"department: {department}\nnotebook: ../notebooks/pid.ipynb",
            ),
            encoding="utf-8",
        )
    monkeypatch.setenv("KPI_STORE", str(root / "results.duckdb"))
    outcomes = make_reports(
        MONTH,
        params=root / "params",
        out=root / "reports",
        formats=("html",),
        jobs=2,
        progress=False,
    )
    assert [o.status for o in outcomes] == ["ok"] * 4, [o.error for o in outcomes]
    kernels = {
        stdout(nbformat.read(root / "reports" / MONTH / d / "v1" / f"{d}.ipynb", 4))[0]
        for d in departments
    }
    assert 1 <= len(kernels) <= 2


def test_without_chromium_every_department_fails_saying_so_and_keeps_no_scorecards(
    tmp_path, monkeypatch
):
    root = tmp_path / "project"
    (root / "params").mkdir(parents=True)
    (root / "data").symlink_to(ROOT / "data")
    shutil.copytree(ROOT / "notebooks", root / "notebooks")
    plan = (ROOT / "params" / "channel_ops.yaml").read_text(encoding="utf-8")
    for department in ("copy_a", "copy_b"):
        (root / "params" / f"{department}.yaml").write_text(
            plan.replace("department: channel_ops", f"department: {department}"),
            encoding="utf-8",
        )
    monkeypatch.setenv("KPI_STORE", str(root / "results.duckdb"))
    monkeypatch.setenv("KPILIB_CHROMIUM", str(tmp_path / "no-chromium"))  # read by each worker
    outcomes = make_reports(MONTH, params=root / "params", out=root / "reports", jobs=2)
    assert [o.status for o in outcomes] == ["failed", "failed"]
    assert all("没有 Chromium" in o.error and "KPILIB_CHROMIUM" in o.error for o in outcomes)
    for department in ("copy_a", "copy_b"):
        assert not (root / "reports" / MONTH / department / "v1" / "scorecards").exists()


@pytest.mark.skipif(not hasattr(os, "nice"), reason="no nice() on this system")
def test_background_work_yields_to_the_notebook_and_only_its_own_thread_does():
    # issue 13: Chromium, the scorecards and the HTML export's start run on threads at
    # the lowest priority; the thread that waits for the kernel keeps its own
    from concurrent.futures import ThreadPoolExecutor

    from kpilib.report.pdf import BACKGROUND_NICE, in_background

    mine = os.nice(0)
    with ThreadPoolExecutor(1, initializer=in_background) as pool:
        assert pool.submit(os.nice, 0).result() == min(19, mine + BACKGROUND_NICE)
    assert os.nice(0) == mine
