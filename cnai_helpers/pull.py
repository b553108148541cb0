"""`cnai data pull`: fetch raw files from a mirror or upstream, verify sha256, write atomically.

Idempotent: a file already verified (same size, mtime, ctime and inode as recorded in
``data/raw/.verified.json``) is skipped without re-hashing; `cnai data verify` re-hashes every
file. A bad download never replaces a previously verified file.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from . import paths
from .atomic import atomic_path, write_text
from .errors import CnaiError
from .manifest import Source, mismatch_message, restore_hint, sha256_file

STAMP = ".verified.json"


class PullError(CnaiError, RuntimeError):
    """A source could not be fetched or verified."""


@dataclass
class PullResult:
    source_id: str
    status: str  # "skipped" | "fetched" | "failed"
    origin: str = ""
    message: str = ""


def load_stamps(raw_dir: Path) -> dict:
    """The stamp file as {path: {"sha256": str, "stat": list}}. It is only a cache: an unreadable
    file or entry (wrong shape, invalid JSON) counts as absent, so the file is re-hashed."""
    try:
        doc = json.loads((raw_dir / STAMP).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return {}
    if not isinstance(doc, dict):
        return {}
    return {
        k: v
        for k, v in doc.items()
        if isinstance(v, dict)
        and isinstance(v.get("sha256"), str)
        and isinstance(v.get("stat"), list)
    }


def save_stamps(raw_dir: Path, stamps: dict) -> bool:
    """Write the stamp file; it is only a cache, so a folder that cannot be written (read-only
    data/raw, a full disk) is a warning, not a failure: the next run re-hashes the files."""
    try:
        write_text(raw_dir / STAMP, json.dumps(stamps, indent=1, sort_keys=True))
        return True
    except OSError as e:
        print(
            f"cnai: warning: cannot write {raw_dir / STAMP} ({e.strerror or e}); the files are "
            "verified, but the next run will hash them again",
            file=sys.stderr,
        )
        return False


def _stamp_of(path: Path) -> list:
    """What the fast check compares. ``ctime`` and the inode change on any write or replace and,
    unlike ``mtime``, cannot be set back with ``os.utime``/``touch``: a bit flip with a restored
    mtime is re-hashed."""
    st = path.stat()
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


def is_verified(src: Source, raw_dir: Path, stamps: dict | None = None, deep: bool = False) -> bool:
    """True if the local copy matches the manifest checksum (fast path: the stamp file)."""
    target = src.raw_path(raw_dir)
    if not target.exists():
        return False
    stamps = load_stamps(raw_dir) if stamps is None else stamps
    rec = stamps.get(src.path)
    if (
        not deep
        and isinstance(rec, dict)
        and rec.get("sha256") == src.sha256
        and rec.get("stat") == _stamp_of(target)
    ):
        return True
    return sha256_file(target) == src.sha256


@dataclass
class VerifyResult:
    source_id: str
    path: str
    status: str  # "ok" | "missing" | "mismatch"
    sha256: str | None = None  # what the file hashes to (None if missing)
    message: str = ""


def verify(sources: list[Source], raw_dir: Path | None = None) -> list[VerifyResult]:
    """Re-hash every source's raw file (never trusting the stamp file). Refreshes the stamps of
    the files that match and drops those of the files that do not, so `cnai data pull` re-fetches
    them."""
    raw_dir = Path(raw_dir or paths.RAW)
    stamps = load_stamps(raw_dir)
    out = []
    for s in sources:
        target = s.raw_path(raw_dir)
        if not target.is_file():
            stamps.pop(s.path, None)
            msg = f"[{s.id}] {target}: missing; {restore_hint(s)}"
            out.append(VerifyResult(s.id, s.path, "missing", message=msg))
            continue
        got = sha256_file(target)
        if got == s.sha256:
            stamps[s.path] = {"sha256": s.sha256, "stat": _stamp_of(target)}
            out.append(VerifyResult(s.id, s.path, "ok", got))
        else:
            stamps.pop(s.path, None)
            out.append(
                VerifyResult(s.id, s.path, "mismatch", got, mismatch_message(s, target, got))
            )
    if raw_dir.is_dir():
        save_stamps(raw_dir, stamps)
    return out


def _fetch_to(src: Source, tmp: Path, mirror: Path | None, timeout: float) -> str:
    if mirror is not None:
        candidate = Path(mirror) / src.path
        if not candidate.exists():
            raise PullError(
                f"[{src.id}] not in the mirror: {candidate} does not exist. Check CNAI_DATA_MIRROR "
                f"/ --mirror points at a copy of shared/data/raw, or unset it to download from {src.url}"
            )
        shutil.copyfile(candidate, tmp)
        return f"mirror {candidate}"
    try:
        with urllib.request.urlopen(src.url, timeout=timeout) as resp, open(tmp, "wb") as out:
            shutil.copyfileobj(resp, out)
    except (urllib.error.URLError, OSError, TimeoutError) as e:
        raise PullError(
            f"[{src.id}] download failed from {src.url} ({e}). No mirror is set: set "
            f"CNAI_DATA_MIRROR (or pass --mirror DIR) to a folder holding {src.path}, or retry online"
        ) from e
    return f"url {src.url}"


def pull_source(
    src: Source, raw_dir: Path, mirror: Path | None, stamps: dict, timeout: float = 60.0
) -> PullResult:
    target = src.raw_path(raw_dir)
    if is_verified(src, raw_dir, stamps):
        stamps[src.path] = {"sha256": src.sha256, "stat": _stamp_of(target)}
        return PullResult(src.id, "skipped", message="already verified")
    if src.local:
        return PullResult(
            src.id,
            "failed",
            message=(
                f"[{src.id}] local source {target} (added with `cnai registry add`) is missing or changed; "
                "add the file again or remove its entry from data/local_sources.yaml"
            ),
        )
    try:
        with atomic_path(target) as tmp:
            origin = _fetch_to(src, tmp, mirror, timeout)
            got = sha256_file(tmp)
            if got != src.sha256:
                kept = " The previously verified copy is kept." if target.exists() else ""
                raise PullError(
                    f"[{src.id}] checksum mismatch for {src.path} from {origin}: expected sha256 "
                    f"{src.sha256}, got {got}.{kept} If upstream published a new version on purpose, "
                    "update sha256 and size in data/sources.yaml after checking the file; otherwise "
                    "the mirror copy is corrupt: replace it."
                )
    except PullError as e:
        return PullResult(src.id, "failed", message=str(e))
    stamps[src.path] = {"sha256": src.sha256, "stat": _stamp_of(target)}
    return PullResult(src.id, "fetched", origin=origin)


def resolve_mirror(mirror: str | Path | None) -> Path | None:
    m = mirror if mirror not in (None, "") else os.environ.get("CNAI_DATA_MIRROR") or None
    if m is None:
        return None
    p = Path(m).expanduser()
    if not p.is_absolute():
        p = (Path.cwd() / p).resolve()
    if not p.is_dir():
        what = "is a file, not a folder" if p.exists() else "does not exist"
        raise PullError(f"mirror folder {p} {what} (from --mirror or CNAI_DATA_MIRROR)")
    return p


def pull(
    sources: list[Source],
    raw_dir: Path | None = None,
    mirror: str | Path | None = None,
    only: list[str] | None = None,
    progress=None,
) -> list[PullResult]:
    raw_dir = Path(raw_dir or paths.RAW)
    raw_dir.mkdir(parents=True, exist_ok=True)
    mirror_path = resolve_mirror(mirror)
    if only:
        unknown = sorted(set(only) - {s.id for s in sources})
        if unknown:
            raise PullError(f"unknown source id(s): {', '.join(unknown)} (see `cnai data status`)")
        sources = [s for s in sources if s.id in set(only)]
    stamps = load_stamps(raw_dir)
    results = []
    for s in sources:
        results.append(pull_source(s, raw_dir, mirror_path, stamps))
        if progress:
            progress(s)
    save_stamps(raw_dir, stamps)
    return results
