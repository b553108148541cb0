"""A kernel manager on IPC sockets.

Several kernels started at once on TCP can pick the same "free" port between the check and the
bind (ZMQError: Address already in use; papermill issue #511). IPC transport uses a unique socket
file per kernel instead, so parallel report builds cannot clash.
"""

from __future__ import annotations

import os
import tempfile
import uuid

from jupyter_client.manager import KernelManager

KERNEL_NAME = "cnai"


class IPCKernelManager(KernelManager):
    def __init__(self, *args, **kwargs):
        kernel_id = str(uuid.uuid4())
        # a short private folder: IPC socket paths must stay under ~100 characters
        runtime = os.path.join(tempfile.gettempdir(), f"cnai-k-{os.getuid()}")
        os.makedirs(runtime, mode=0o700, exist_ok=True)
        kwargs.setdefault("transport", "ipc")
        kwargs.setdefault("ip", os.path.join(runtime, kernel_id[:8]))
        kwargs.setdefault("connection_file", os.path.join(runtime, f"kernel-{kernel_id}.json"))
        super().__init__(*args, kernel_id=kernel_id, **kwargs)


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
