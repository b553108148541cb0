"""Atomic writes: write to a temporary file beside the target, then rename.

A failed run never leaves a half-written file, and the last good file stays in place. Files and
folders get the modes the process umask gives a plain ``open``/``mkdir`` (0644/0755 under umask
022), not mkstemp's private 0600/0700, so a web server running as another user can serve them.

Temporary names carry the creating process id (``.<name>.tmp-<pid>-<random>``). A killed run
leaves them behind; the next atomic write beside them (or ``clean_stale``) removes those whose
process is gone. Only what the project created is ever removed: a temporary folder carries a
marker file (:data:`MARKER`) from its creation until it is swapped in, and a temporary file has the
exact shape of :func:`atomic_path`'s names (``.<name>.tmp-<pid>-<8 characters>.tmp``). A name
alone never suffices: ``--out ~`` must not delete ``~/.env.template`` or ``~/.bashrc.original``.
A temporary of a running process is never removed.

:func:`atomic_dir` swaps folders in two renames (the last good one aside to ``.<name>.old``,
the new one in); an interruption between them is repaired by :func:`recover_swap` at the next
swap of the same folder (and at the start of a reports build).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

PID_RE = re.compile(r"^\..+\.tmp-(\d+)-[A-Za-z0-9_]+$")  # a temporary folder's name
FILE_RE = re.compile(r"^\..+\.tmp-(\d+)-[A-Za-z0-9_]{8}\.tmp$")  # a temporary file's name
MARKER = ".cnai-temporary"  # inside every temporary folder the project creates


@contextmanager
def signals_deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM until the block ends, then deliver them: a folder swap or a
    rollback is never cut in half (a Ctrl-C between the two renames left ``.processed.old``
    and the new tables in place while the command rolled back what had recorded them)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []
    signums = (signal.SIGINT, signal.SIGTERM)
    previous = {s: signal.signal(s, lambda signum, frame: held.append(signum)) for s in signums}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
        if held:
            signal.raise_signal(held[0])


def umask() -> int:
    """The process umask, read without changing it where /proc allows."""
    with suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _tmp_prefix(name: str) -> str:
    return f".{name}.tmp-{os.getpid()}-"


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def is_stale(path: Path) -> bool:
    """A temporary the project created (see the module's rule) whose process is gone."""
    path = Path(path)
    if path.is_dir() and not path.is_symlink():
        m = PID_RE.match(path.name)
        if not m or not (path / MARKER).is_file():
            return False
    else:
        m = FILE_RE.match(path.name)
        if not m:
            return False
    return not pid_alive(int(m.group(1)))


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with suppress(FileNotFoundError):
            path.unlink()


def clean_stale(folder: Path, glob: str) -> list[Path]:
    """Remove the stale temporaries matching ``glob`` in ``folder``; return what was removed."""
    removed = []
    with suppress(FileNotFoundError, NotADirectoryError, PermissionError):
        for p in Path(folder).glob(glob):
            if is_stale(p):
                _remove(p)
                removed.append(p)
    return removed


def _clean_siblings(target: Path) -> None:
    clean_stale(target.parent, f".{glob_escape(target.name)}.*")


def glob_escape(name: str) -> str:
    return re.sub(r"([*?[])", r"[\1]", name)


def make_temp_dir(parent: Path, name: str) -> Path:
    """A fresh ``parent/.<name>.tmp-<pid>-<random>`` folder with the umask's mode, holding the
    :data:`MARKER` file that lets a later run recognise it as the project's."""
    tmp = Path(tempfile.mkdtemp(prefix=_tmp_prefix(name), dir=parent))
    os.chmod(tmp, 0o777 & ~umask())
    (tmp / MARKER).write_bytes(b"")
    return tmp


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path in the target's directory; rename it over ``target`` on success."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    _clean_siblings(target)
    fd, tmp = tempfile.mkstemp(prefix=_tmp_prefix(target.name), suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, 0o666 & ~umask())
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_text(target: Path, text: str) -> None:
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_bytes(target: Path, data: bytes) -> None:
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)


def old_path(target: Path) -> Path:
    """Where :func:`atomic_dir` parks the last good ``target`` during its swap."""
    return target.with_name(f".{target.name}.old")


def recover_swap(target: Path) -> str | None:
    """Finish a folder swap that an interruption cut short (a crash between its two renames):
    with ``target`` missing, the parked last good copy ``.<name>.old`` goes back in place
    ("restored"); with both there, the parked copy is dropped ("removed"); else None."""
    target = Path(target)
    old = old_path(target)
    if not os.path.lexists(old):
        return None
    if not os.path.lexists(target):
        os.replace(old, target)
        return "restored"
    _remove(old)
    return "removed"


@contextmanager
def atomic_dir(target: Path) -> Iterator[Path]:
    """Yield a fresh temporary directory; on success swap it in place of ``target``. A swap
    interrupted between its renames is finished here at once or at the next call."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    _clean_siblings(target)
    recover_swap(target)
    tmp = make_temp_dir(target.parent, target.name)
    try:
        yield tmp
        (tmp / MARKER).unlink(missing_ok=True)  # not part of the published folder
        with signals_deferred():  # both renames and the cleanup, or neither
            old = None
            if target.exists():
                old = old_path(target)
                _remove(old)
                os.replace(target, old)
            try:
                os.replace(tmp, target)
            except BaseException:
                recover_swap(target)  # the last good copy back in place
                raise
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
