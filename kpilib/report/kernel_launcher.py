"""The program of the reports' kernel: ipykernel's own launcher, without its debugger.

ipykernel imports debugpy when it starts, for a debugger that a notebook run by
Papermill never uses: about 80 ms of the kernel's 0.6 s start here, and a report
waits for its kernel. Started as ``python -m kpilib.report.kernel_launcher -f
<connection file>`` (:class:`~kpilib.report.kernel.WarmKernel`).
"""

import gc
import sys
from pathlib import Path

if __name__ == "__main__":
    # no collections while ipykernel loads (about 12% of its import): the kernel's
    # preload, its first request, turns them on again (kernel.kernel_preload)
    gc.disable()
    # as ipykernel_launcher: the working folder is not searched while ipykernel loads
    # (the shell puts it back for the notebook)
    if sys.path[0] == "" or Path(sys.path[0]) == Path.cwd():
        del sys.path[0]
    sys.modules.setdefault("debugpy", None)  # an ImportError to ipykernel: no debugger

    from ipykernel import kernelapp

    kernelapp.launch_new_instance()
