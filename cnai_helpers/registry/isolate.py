"""The pandas half of a registry command in a forked child process, so that the command's own
process stays lean (no pandas, pyarrow's compute kernels or pandera) and the memory of making the
tables is given back, whole, when the child exits, before DuckDB writes its database.

Measured (bench/README.md, fifth pass): pandas, pyarrow and pandera alone are ~130 MiB resident,
the heap that assembling and validating the tables leaves behind another ~70 MiB, and DuckDB
needs ~70 MiB more while it writes; in one process those add up to 265-290 MiB. Split, the
command's process holds ~25 MiB while its child makes the tables, and ~110 MiB while DuckDB
writes after the child has exited.

Used only when the calling process has not imported pandas (the command line): a caller that
already holds pandas (a test, a notebook, a script) would only pay the fork for nothing, and
runs the same functions in-process. The child is forked (not spawned), so it inherits the
parent's state (paths, the one-writer lock, signal handlers) and imports pandas once.

:func:`session` keeps one child for several calls (``registry add``: the list's inspection and
then the tables, one import of pandas and one parse of the list); :func:`release` ends it.
Results and exceptions travel back pickled; a Ctrl-C or SIGTERM in the parent stops the child
(SIGTERM, then SIGKILL) before the parent's own rollback runs.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import signal
import struct
import sys
import traceback
from collections.abc import Callable, Iterator
from typing import Any

from ..errors import CnaiError

_HEADER = struct.Struct("!Q")
_SESSION: list[Worker | None] | None = None  # [worker or None] within session()
_CHILD = False  # set in the child that makes the tables (_serve)


class WorkerDied(CnaiError, RuntimeError):
    """The child process ended without an answer (killed, out of memory)."""


def lean() -> bool:
    """Is this process lean (pandas not imported)? Only then is the work worth a child (and
    only where processes fork: elsewhere everything runs in-process, as before)."""
    return "pandas" not in sys.modules and hasattr(os, "fork")


def in_child() -> bool:
    """Is this the child that makes the tables (the process whose peak memory counts)?"""
    return _CHILD


def splits() -> bool:
    """Does :func:`call` run in a child here (a session's child alive, or a lean process)?"""
    return (_SESSION is not None and _SESSION[0] is not None) or lean()


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _read_exactly(fd: int, n: int) -> bytes | None:
    chunks, left = [], n
    while left:
        b = os.read(fd, min(left, 1 << 20))
        if not b:
            return None
        chunks.append(b)
        left -= len(b)
    return b"".join(chunks)


def _send(fd: int, obj: Any) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    _write_all(fd, _HEADER.pack(len(data)) + data)


def _recv(fd: int) -> Any:
    head = _read_exactly(fd, _HEADER.size)
    if head is None:
        raise EOFError
    data = _read_exactly(fd, _HEADER.unpack(head)[0])
    if data is None:
        raise EOFError
    return pickle.loads(data)  # noqa: S301 - our own child's answer


def _portable(e: BaseException) -> BaseException:
    """The exception itself if it survives pickling, else a RuntimeError with its text."""
    try:
        pickle.loads(pickle.dumps(e))  # noqa: S301
        return e
    except Exception:
        return RuntimeError(f"{type(e).__name__}: {e}")


class Worker:
    """A forked child that runs the calls it is sent, one at a time, until closed."""

    def __init__(self) -> None:
        down_r, down_w = os.pipe()
        up_r, up_w = os.pipe()
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        import gc

        gc.collect()  # the parent's garbage is not the child's to carry
        give_back()
        pid = os.fork()
        if pid == 0:  # the child: serve, then leave without running the parent's code
            os.close(down_w)
            os.close(up_r)
            code = 0
            try:
                _serve(down_r, up_w)
            except BaseException:  # noqa: BLE001 - the child must never return into the CLI
                code = 1
            finally:
                for stream in (sys.stdout, sys.stderr):
                    with contextlib.suppress(Exception):
                        stream.flush()
                os._exit(code)
        os.close(down_r)
        os.close(up_w)
        self.pid, self._to, self._from = pid, down_w, up_r

    def call(self, fn: Callable, *args, **kwargs):
        try:
            _send(self._to, (fn, args, kwargs))
            ok, value = _recv(self._from)
        except (EOFError, BrokenPipeError):
            status = self.close()
            raise WorkerDied(
                f"the process making the registry tables ended without an answer ({status})"
            ) from None
        except BaseException:  # Ctrl-C, SIGTERM: stop the child before the rollback
            self.stop()
            raise
        if not ok:
            raise value
        return value

    def close(self) -> str:
        """End the child (it exits at the end of its input) and reap it; its exit status."""
        for fd in (self._to, self._from):
            with contextlib.suppress(OSError):
                os.close(fd)
        try:
            _, status = os.waitpid(self.pid, 0)
        except ChildProcessError:
            return "already reaped"
        if os.WIFSIGNALED(status):
            return f"killed by {signal.Signals(os.WTERMSIG(status)).name}"
        return f"exit status {os.waitstatus_to_exitcode(status)}"

    def stop(self, grace: float = 10.0) -> None:
        """SIGTERM (the child unwinds like Ctrl-C and stops its parser workers), then SIGKILL."""
        import time

        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            try:
                done, _ = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                done = self.pid
            if done:
                break
            time.sleep(0.02)
        else:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
        for fd in (self._to, self._from):
            with contextlib.suppress(OSError):
                os.close(fd)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)


M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters (malloc.h)


def lean_heap(mmap_threshold: int = 1024 * 1024) -> None:
    """Blocks of ``mmap_threshold`` bytes and more (the tables' column buffers and their
    transient copies) mapped apart and unmapped when freed, and the heap's free top given back
    at 128 KiB: glibc otherwise raises its threshold as large blocks are freed and keeps them
    in the heap (measured on an add: peak 249 -> 230 MiB, bench/README.md). 1 MiB, not 64 KiB:
    the many blocks between them (pandas' and pyarrow's small columns and indexes) are then
    reused from the heap instead of being mapped, zeroed and unmapped each time (the add's
    child ~0.1 s of CPU less, its peak 2-4 MiB more; sixth pass). A no-op where the C library
    is not glibc."""
    import ctypes
    import ctypes.util

    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(M_MMAP_THRESHOLD, mmap_threshold)
        libc.mallopt(M_TRIM_THRESHOLD, 128 * 1024)


def give_back() -> None:
    """The C heap's free pages back to the system (glibc's ``malloc_trim``; else a no-op)."""
    import ctypes
    import ctypes.util

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim(0)


def _serve(inbox: int, outbox: int) -> None:
    global _SESSION, _CHILD
    _SESSION = None  # the child runs its calls in-process
    _CHILD = True
    lean_heap()
    # pandera imports hypothesis (~0.1 s, ~5 MiB) for its data-synthesis strategies, which
    # validating a table never uses; pandera runs without it (its import is optional there)
    if "hypothesis" not in sys.modules:
        sys.modules["hypothesis"] = None  # type: ignore[assignment]
    while True:
        try:
            fn, args, kwargs = _recv(inbox)
        except EOFError:
            return
        try:
            answer = (True, fn(*args, **kwargs))
            give_back()  # what the call freed, before the next one
        except BaseException as e:  # noqa: BLE001 - sent back and raised in the parent
            if not isinstance(e, KeyboardInterrupt | CnaiError):
                e.add_note("".join(traceback.format_exception(e)))  # kept for a debugger
            answer = (False, _portable(e))
        try:
            _send(outbox, answer)
        except BrokenPipeError:
            return
        if not answer[0] and isinstance(answer[1], KeyboardInterrupt):
            return


@contextlib.contextmanager
def session() -> Iterator[None]:
    """Calls within the block share one child (forked at the first call, if lean)."""
    global _SESSION
    outer = _SESSION
    _SESSION = [None]
    try:
        yield
    finally:
        release()
        _SESSION = outer


def call(fn: Callable, *args, **kwargs):
    """``fn(*args, **kwargs)``: in the session's child, or a one-off child, if this process is
    lean; in-process otherwise. Exceptions are raised here as the child raised them."""
    if _SESSION is not None and _SESSION[0] is not None:
        return _SESSION[0].call(fn, *args, **kwargs)
    if not lean():
        return fn(*args, **kwargs)
    worker = Worker()
    if _SESSION is not None:
        _SESSION[0] = worker
        return worker.call(fn, *args, **kwargs)
    try:
        return worker.call(fn, *args, **kwargs)
    finally:
        worker.close()


def release() -> None:
    """End the session's child, if any: its memory is given back before what follows."""
    if _SESSION is not None and _SESSION[0] is not None:
        worker, _SESSION[0] = _SESSION[0], None
        worker.close()
