"""One writer of ``data/`` at a time.

Every command that writes ``data/`` (`data pull`, `data verify`'s stamps, `registry build`, `add`,
`remove`, `add-cancellations`, and the registry build that `reports build` may start) runs inside
:func:`data_writer`: an exclusive lock (``filelock``: ``flock`` on a file beside ``data/``, released
by the kernel when the process dies, so a killed command never leaves a stale lock). A second
writer waits for the first (saying so once, naming it) and then works on the state the first one
left; after ``CNAI_LOCK_TIMEOUT`` seconds (default 900) it gives up with a clean error.

The lock is taken by the command line, around a whole command, never inside the parsers or the
build functions (which tests and benches call directly). Once it holds the lock a writer also
finishes what a killed writer left: a parked ``.processed.old`` is put back or dropped, and the
project's temporaries of dead processes in ``data/`` are removed (see :mod:`.atomic`).
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from . import paths
from .errors import CnaiError

DEFAULT_TIMEOUT_S = 900.0


class LockBusy(CnaiError):
    """Another command kept data/ locked for longer than the timeout."""


def lock_file() -> Path:
    """Beside data/, not in it: the lock is no part of the data (and survives no commit)."""
    return paths.DATA.parent / ".cnai-data.lock"


def _owner_file() -> Path:
    return paths.DATA.parent / ".cnai-data.lock.owner"


def _owner() -> str:
    try:
        doc = json.loads(_owner_file().read_text(encoding="utf-8"))
        return f"`cnai {doc['command']}` (pid {doc['pid']}, since {doc['since']})"
    except (OSError, ValueError, KeyError, TypeError):
        return "another cnai command"


def _timeout() -> float:
    try:
        return float(os.environ.get("CNAI_LOCK_TIMEOUT", DEFAULT_TIMEOUT_S))
    except ValueError:
        return DEFAULT_TIMEOUT_S


def tidy_data() -> None:
    """What a killed writer left in data/: a folder swap cut short, temporaries of dead
    processes. Safe only under the lock (no other writer can be mid-swap)."""
    from .atomic import clean_stale, recover_swap

    with suppress(OSError):
        recover_swap(paths.PROCESSED)
    clean_stale(paths.DATA, ".*")
    clean_stale(paths.RAW, ".*")


@contextmanager
def data_writer(command: str, timeout: float | None = None) -> Iterator[None]:
    """Hold the data/ lock for the duration of ``command`` (a name for messages)."""
    from filelock import FileLock, Timeout

    path = lock_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(path), thread_local=False, preserve_lock_file=True)
    wait = _timeout() if timeout is None else timeout
    try:
        lock.acquire(timeout=0)
    except Timeout:
        holder = _owner()
        print(f"cnai: waiting for {holder} to finish writing data/ …", file=sys.stderr)
        try:
            lock.acquire(timeout=wait)
        except Timeout:
            raise LockBusy(
                f"data/ is still being written by {holder} after {wait:.0f} s; run "
                f"`cnai {command}` again when it has finished (lock: {path})"
            ) from None
    try:
        with suppress(OSError):
            _owner_file().write_text(
                json.dumps(
                    {
                        "command": command,
                        "pid": os.getpid(),
                        "since": time.strftime("%H:%M:%S"),
                    }
                ),
                encoding="utf-8",
            )
        tidy_data()
        yield
    finally:
        with suppress(OSError):
            _owner_file().unlink()
        lock.release()
