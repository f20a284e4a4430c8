"""One warm IPython kernel for many notebooks: what a report worker executes them in.

A fresh kernel per notebook costs its start (about 0.7 s) and the imports of
pandas, matplotlib and kpilib (about 0.7 s) every time. :class:`WarmKernel`
starts one kernel, imports those once while the worker does other work, and
runs every notebook of the worker in it::

    with WarmKernel() as kernel:
        papermill.execute_notebook(..., engine_name=ENGINE, kernel=kernel)

Papermill still parameterizes, executes (through its own nbclient wrapper,
:class:`papermill.clientwrap.PapermillNotebookClient`), records and reports a
failing cell exactly as with a fresh kernel; the engine registered here only hands
it the warm kernel's manager and client instead of starting new ones (papermill's
own ``km=`` makes a new client per notebook and leaks its sockets). Before each
notebook the kernel starts over: the user namespace is emptied (``%reset -f``),
the working folder set, the cell counter back at 1 and the warnings shown once per
place shown again, so each executed notebook reads as if its kernel were new.
A kernel that died (a crashing cell) is replaced before the next notebook.
"""

from __future__ import annotations

import functools
import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from kpilib.errors import KpiError, Problem
from kpilib.i18n import _

if TYPE_CHECKING:
    from jupyter_client.client import KernelClient
    from jupyter_client.manager import AsyncKernelManager

# what nbclient passes to a kernel it starts: command history in memory, not in a file
HISTORY_OFF = ["--HistoryManager.hist_file=:memory:"]
ENGINE = "kpilib-warm"  # the papermill engine name: papermill.execute_notebook(engine_name=...)

_SHOWN_ONCE = []  # inside the kernel: the warning filters as they were after the preload


def kernel_preload() -> None:
    """Run inside the kernel once: what every department notebook imports, and a first
    chart drawn (the Chinese font file read, the renderer loaded)."""
    import gc
    import io
    import warnings

    # the imports make objects that live as long as the kernel: no collections (the
    # kernel's program started without them: kernel_launcher)
    gc.disable()
    try:
        import matplotlib.figure
        import pandas  # noqa: F401

        import kpilib.report.sections  # noqa: F401
        import kpilib.report.style  # noqa: F401
        from kpilib.errors import KpiError
        from kpilib.report import charts
    finally:
        gc.enable()

    try:
        with charts.styled():
            figure = matplotlib.figure.Figure(figsize=(1, 1))
            figure.subplots().set_title("绩效")
            figure.savefig(io.BytesIO(), format="png")
    except KpiError:  # no Chinese font: the notebook's first chart says so, as before
        pass
    _SHOWN_ONCE[:] = warnings.filters
    # what is loaded now stays: the collection after each notebook skips it
    gc.freeze()


def kernel_reset(cwd: str, handed: str | None = None) -> None:
    """Run inside the kernel before each notebook: nothing of the last one is left
    but imported modules, and the month its worker handed (if any) is waiting."""
    import warnings

    from IPython import get_ipython

    from kpilib.report import handoff

    shell = get_ipython()
    shell.run_line_magic("reset", "-f")
    os.chdir(cwd)
    # a warning shown once per place (the default) shows again in the next notebook
    warnings.filters[:] = _SHOWN_ONCE
    with warnings.catch_warnings():  # leaving it resets every module's record of warnings shown
        pass
    warnings.onceregistry.clear()
    shell.execution_count = 1
    handoff.receive(handed)


def _call(function: str, *args) -> str:
    # code that calls a function of this module in the kernel without naming anything there
    return f"__import__({__name__!r}, fromlist=['_']).{function}(*{args!r})"


class WarmKernel:
    """An IPython kernel reused for many notebooks, each starting in an empty namespace.

    A context manager: entering starts the kernel and its preload, leaving shuts it
    down. Use it as ``papermill.execute_notebook(..., engine_name=ENGINE, kernel=k)``.
    """

    def __init__(self) -> None:
        self._client = None
        self._closing = None  # the thread shutting the kernel down (close_soon)
        self._preload = None  # the preload's message id until its reply was read
        # the month for the next notebook's MonthReport.load (kpilib.report.handoff)
        self.handed: Path | None = None

    def __enter__(self) -> WarmKernel:
        self._start()
        return self

    def __exit__(self, *exc) -> None:
        if self._closing is not None:
            self._closing.join()
            self._closing = None
        self._shut_down()

    def close_soon(self) -> None:
        """Begin shutting the kernel down on a thread, after its last notebook (leaving
        waits for it); the kernel is not used again."""
        if self._client is not None and self._closing is None:
            self._closing = threading.Thread(target=self._shut_down, name="kpi-kernel-close")
            self._closing.start()

    def _shut_down(self) -> None:
        if self._client is not None:
            self._client._cleanup_kernel()  # nbclient's own shutdown: kernel, sockets, files
            self._client = None

    @property
    def km(self) -> AsyncKernelManager:
        """The kernel manager (jupyter_client)."""
        return self._client.km

    @property
    def kc(self) -> KernelClient:
        """The kernel client, shared by every notebook run in this kernel."""
        return self._client.kc

    def _start(self) -> None:
        from jupyter_core.utils import run_sync

        # the process first (jupyter_client alone), nbclient imported while it starts
        km = _ipc_kernel_manager()(kernel_name="python3")
        run_sync(km.start_kernel)(extra_arguments=HISTORY_OFF, cwd=os.getcwd())  # no waiting

        import nbformat
        from nbclient import NotebookClient

        client = NotebookClient(
            nbformat.v4.new_notebook(),
            km=km,
            kernel_name="python3",
            shutdown_kernel="immediate",
            startup_timeout=60,
        )
        client.kc = client.km.client()
        client.kc.start_channels()
        client.kc.allow_stdin = False
        self._client = client
        # sent at once (ZeroMQ holds it until the kernel is up) and read at the first
        # notebook: the kernel starts and imports while the worker starts its browser
        self._preload = client.kc.execute(_call("kernel_preload"), silent=True)

    def prepare(self, cwd: str | Path) -> None:
        """Make the kernel as new for the next notebook, which runs in ``cwd``."""
        from jupyter_core.utils import run_sync

        if self._client is None or not run_sync(self.km.is_alive)():
            self._shut_down()
            self._start()
        if self._preload is not None:
            preload, self._preload = self._preload, None
            try:
                self._wait(preload, _("导入 pandas、matplotlib 和 kpilib"))
            except KpiError:
                # its reply is read: the next notebook gets a new kernel (and the same
                # message if its imports fail again), not a wait for that reply
                self._shut_down()
                raise
            self._output_connected(preload)
        handed, self.handed = self.handed, None
        call = _call("kernel_reset", str(cwd), str(handed) if handed else None)
        self._wait(self.kc.execute(call, silent=True), _("清空内核"))

    def _output_connected(self, msg_id: str) -> None:
        """Make sure the output channel is connected before a first cell, as nbclient's
        ``wait_for_ready`` does, without its wait for 0.2 s of quiet on the channel: the
        channel is connected once it carries the end ("idle") of the request ``msg_id``.
        If that does not come within 2 s, ``wait_for_ready`` decides."""
        import time
        from queue import Empty

        from jupyter_core.utils import run_sync

        deadline = time.monotonic() + 2
        while (left := deadline - time.monotonic()) > 0:
            try:
                msg = run_sync(self.kc.get_iopub_msg)(timeout=left)
            except Empty:
                break
            if (
                msg["parent_header"].get("msg_id") == msg_id
                and msg["msg_type"] == "status"
                and msg["content"].get("execution_state") == "idle"
            ):
                return
        run_sync(self.kc.wait_for_ready)(timeout=60)

    def _wait(self, msg_id: str, what: str) -> None:
        reply = self._client.wait_for_reply(msg_id)
        content = reply["content"] if reply else {"status": "timeout"}
        if content["status"] != "ok":
            raise KpiError(
                Problem(
                    _("笔记本内核{what}失败：{error}: {value}").format(
                        what=what,
                        error=content.get("ename", content["status"]),
                        value=content.get("evalue", ""),
                    ),
                    _(
                        "检查这个 Python 能否导入 kpilib、pandas 和 matplotlib"
                        "（python -c 'import kpilib.report.sections'），然后重新运行 kpi report"
                    ),
                )
            )


def _ipc_kernel_manager():
    # ipykernel 7 warns on every start over unencrypted TCP; local IPC sockets avoid it.
    # Each kernel gets its own socket prefix: the default one is shared by every kernel
    # started in the same folder, and two parallel kernels then answer each other.
    import sys
    import tempfile
    import uuid

    from jupyter_client.kernelspec import KernelSpec
    from jupyter_client.manager import AsyncKernelManager
    from traitlets import CaselessStrEnum, default

    class IpcKernelManager(AsyncKernelManager):
        transport = CaselessStrEnum(["tcp", "ipc"], default_value="ipc", config=True)

        @default("ip")
        def _unique_ip(self):
            return str(Path(tempfile.gettempdir()) / f"kpi-kernel-{uuid.uuid4().hex[:12]}")

        @property
        def kernel_spec(self) -> KernelSpec:
            # this very Python, whatever a user's Jupyter names python3, and ipykernel
            # without its debugger (kpilib.report.kernel_launcher)
            program = [sys.executable, "-m", "kpilib.report.kernel_launcher"]
            return KernelSpec(
                argv=[*program, "-f", "{connection_file}"],
                display_name="Python 3 (ipykernel)",
                language="python",
            )

    return IpcKernelManager


@functools.cache
def register_engine() -> None:
    """Register the ``kpilib-warm`` papermill engine (once per process)."""
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines

    class WarmEngine(NBClientEngine):
        """Papermill's nbclient engine, on a :class:`WarmKernel` instead of a new kernel."""

        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, kernel: WarmKernel, **kwargs):
            # papermill has already changed into the notebook's cwd (execute_notebook(cwd=))
            kernel.prepare(os.getcwd())
            kwargs.pop("input_path", None)
            kwargs.pop("start_timeout", None)
            client = PapermillNotebookClient(
                nb_man, km=kernel.km, kernel_name=kernel_name, **kwargs
            )
            client.kc = kernel.kc  # not a constructor argument: nbclient sets it to None there
            return client.execute()

    papermill_engines.register(ENGINE, WarmEngine)
