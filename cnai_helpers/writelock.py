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

import hashlib
import json
import os
import re
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
    local = paths.RAW / "local"
    if local.is_dir():
        for d in [local, *(p for p in local.rglob("*") if p.is_dir())]:
            clean_stale(d, ".*")  # a copy cut short by a kill
        with suppress(OSError):
            drop_orphan_copies(local)


# the names `registry add` and `add-cancellations` give their copies: <batch>-<sha8>.<ext> and
# <sha8>.<ext>, the 8 hex digits starting the file's own sha256
COPY_RE = re.compile(r"^(?:\d{4}-\d{2}-)?(?P<sha>[0-9a-f]{8})\.(?:docx|xlsx|json|csv)$")


def drop_orphan_copies(local: Path) -> list[Path]:
    """Copies in data/raw/local that no entry of data/local_sources.yaml names: what an add
    killed outright (SIGKILL, a power cut) between copying the list and recording it leaves, or a
    remove killed after its swap. Only files of the copies' shape whose sha256 starts with the
    8 digits in their name are removed; with the YAML unreadable nothing is."""
    import yaml

    try:
        text = (
            paths.LOCAL_SOURCES.read_text(encoding="utf-8") if paths.LOCAL_SOURCES.exists() else ""
        )
        entries = (yaml.safe_load(text) or {}).get("sources") or []
        named = {(paths.RAW / str(e.get("path", ""))).resolve() for e in entries}
    except (OSError, ValueError, yaml.YAMLError, AttributeError, TypeError):
        return []
    removed = []
    for p in sorted(local.rglob("*")):
        m = COPY_RE.match(p.name)
        if not (m and p.is_file()) or p.resolve() in named:
            continue
        if hashlib.sha256(p.read_bytes()).hexdigest()[:8] != m["sha"]:
            continue  # not one of our copies
        p.unlink()
        removed.append(p)
    for d in sorted((q for q in local.rglob("*") if q.is_dir()), reverse=True):
        with suppress(OSError):
            d.rmdir()  # only if empty
    with suppress(OSError):
        local.rmdir()
    return removed


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
