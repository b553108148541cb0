"""A kernel manager on IPC sockets.

Several kernels started at once on TCP can pick the same "free" port between the check and the
bind (ZMQError: Address already in use; papermill issue #511). IPC transport uses a unique socket
file per kernel instead, so parallel report builds cannot clash.

It is an *asynchronous* manager, like papermill's default: nbclient polls the kernel's liveness
and the cell timeout in tasks of one event loop, which a blocking client (the synchronous
``KernelManager``) stalls in ``iopub.get_msg(timeout=None)``; a kernel killed by the
out-of-memory killer, or a cell looping past ``--timeout``, then hung the build forever.
"""

from __future__ import annotations

import os
import tempfile
import uuid

from jupyter_client.manager import AsyncKernelManager

KERNEL_NAME = "cnai"


class IPCKernelManager(AsyncKernelManager):
    def __init__(self, *args, **kwargs):
        kernel_id = str(uuid.uuid4())
        # a short private folder: IPC socket paths must stay under ~100 characters
        runtime = os.path.join(tempfile.gettempdir(), f"cnai-k-{os.getuid()}")
        os.makedirs(runtime, mode=0o700, exist_ok=True)
        kwargs.setdefault("transport", "ipc")
        kwargs.setdefault("ip", os.path.join(runtime, kernel_id[:8]))
        kwargs.setdefault("connection_file", os.path.join(runtime, f"kernel-{kernel_id}.json"))
        super().__init__(*args, kernel_id=kernel_id, **kwargs)

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        """The kernel's own output (its log lines, the traceback of a reply it could not send
        while being stopped) goes to ``CNAI_KERNEL_LOG`` when set, not to the user's terminal."""
        log = os.environ.get("CNAI_KERNEL_LOG")
        if not log:
            return await super()._async_launch_kernel(kernel_cmd, **kw)
        with open(log, "ab") as fh:  # the kernel process holds its own copy of the descriptor
            kw.setdefault("stdout", fh)
            kw.setdefault("stderr", fh)
            return await super()._async_launch_kernel(kernel_cmd, **kw)


def ensure_kernel() -> None:
    """Fail early, with the fix, if the project's kernel is not registered."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec(KERNEL_NAME)
    except NoSuchKernel as e:
        raise RuntimeError(
            f"Jupyter kernel {KERNEL_NAME!r} is not registered. Run `make install` (or "
            f"python -m ipykernel install --sys-prefix --name {KERNEL_NAME})"
        ) from e
