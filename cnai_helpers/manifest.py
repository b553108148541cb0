"""The source manifest (data/sources.yaml): one entry per raw file, with checksum and licence."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from . import paths
from .errors import CnaiError
from .reference import load_yaml

REQUIRED = ("id", "format", "path", "url", "sha256", "size", "publisher", "licence", "citation")


class ManifestError(CnaiError, ValueError):
    """The manifest file is malformed."""


@dataclass(frozen=True)
class Source:
    id: str
    format: str
    path: str
    url: str
    sha256: str
    size: int
    publisher: str
    licence: str
    citation: str
    registry: str | None = None
    batch: str | None = None
    title: str | None = None
    announcement_url: str | None = None
    announcement_date: str | None = None
    upstream_date: str | None = None  # the upstream copy's date (PROVENANCE.md), ISO
    local: bool = False
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    def raw_path(self, raw_dir: Path | None = None) -> Path:
        return Path(raw_dir or paths.RAW) / self.path


def _fix_hint(f: Path, is_local: bool) -> str:
    if is_local:
        return "fix it, or delete it and re-add your lists with `cnai registry add FILE`"
    return f"fix it (`git diff {f.name}` shows local edits; `git checkout {f.name}` restores it)"


def _yaml_reason(e: Exception) -> str:
    mark = getattr(e, "problem_mark", None)
    problem = getattr(e, "problem", None) or str(e).splitlines()[0]
    return f"line {mark.line + 1}: {problem}" if mark is not None else problem


def source_from_dict(entry: dict, where: str, local: bool = False) -> Source:
    """One manifest entry, checked (``where`` names the file in messages)."""
    missing = [k for k in REQUIRED if entry.get(k) in (None, "")]
    if missing:
        raise ManifestError(f"{where}: source {entry.get('id', '?')!r} lacks {', '.join(missing)}")
    known = {f for f in Source.__dataclass_fields__ if f not in ("extra", "local")}
    kwargs = {
        k: (str(v) if k in ("batch", "announcement_date", "upstream_date") else v)
        for k, v in entry.items()
        if k in known
    }
    try:
        kwargs["size"] = int(kwargs["size"])
    except (TypeError, ValueError) as e:
        raise ManifestError(
            f"{where}: source {entry['id']!r} has size {entry['size']!r}, not a number of bytes"
        ) from e
    bad = [k for k in ("id", "path", "sha256") if isinstance(kwargs[k], list | dict)]
    if bad:
        raise ManifestError(f"{where}: source {entry['id']!r}: {', '.join(bad)} must be text")
    for k in ("id", "path", "sha256"):  # YAML reads an unquoted all-digit value as a number
        kwargs[k] = str(kwargs[k])
    up = kwargs.get("upstream_date")
    if up is not None and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", up):
        raise ManifestError(
            f"{where}: source {entry['id']!r} has upstream_date {up!r}, not a date (YYYY-MM-DD)"
        )
    extra = {k: v for k, v in entry.items() if k not in known}
    return Source(**kwargs, local=local, extra=extra)


_CACHE: dict[tuple, list] = {}


def load_manifest(path: Path | None = None, include_local: bool = True) -> list[Source]:
    """Read the committed manifest (plus data/local_sources.yaml, if any: files added by
    ``cnai registry add`` on this machine). Cached per file contents' mtime and size."""
    path = Path(path or paths.MANIFEST)
    files = [(path, False)]
    local_path = path.with_name("local_sources.yaml")
    if include_local and local_path.exists():
        files.append((local_path, True))
    try:
        key = tuple((str(f), f.stat().st_mtime_ns, f.stat().st_size) for f, _ in files)
    except FileNotFoundError:
        key = None
    if key is not None and key in _CACHE:
        return list(_CACHE[key])
    out = _read_manifest(files)
    if key is not None:
        _CACHE[key] = out
    return list(out)


def _read_manifest(files: list[tuple[Path, bool]]) -> list[Source]:
    out: list[Source] = []
    seen: set[str] = set()
    for f, is_local in files:
        try:
            doc = load_yaml(f.read_text(encoding="utf-8")) or {}
        except FileNotFoundError as e:
            raise ManifestError(f"{f}: manifest not found") from e
        except (yaml.YAMLError, UnicodeDecodeError) as e:
            raise ManifestError(
                f"{f}: not valid YAML ({_yaml_reason(e)}); {_fix_hint(f, is_local)}"
            ) from e
        entries = doc.get("sources") if isinstance(doc, dict) else None
        if not isinstance(doc, dict) or not isinstance(entries, list | None):
            raise ManifestError(
                f"{f}: expected a mapping with a 'sources:' list of entries; "
                f"{_fix_hint(f, is_local)}"
            )
        for i, entry in enumerate(entries or []):
            where = f"{f} entry {i + 1}"
            try:
                if not isinstance(entry, dict):
                    raise ManifestError(f"{where}: expected a mapping (id, path, sha256, …)")
                s = source_from_dict(entry, where, local=is_local)
            except ManifestError as e:
                raise ManifestError(f"{e}; {_fix_hint(f, is_local)}") from e
            if s.id in seen:
                raise ManifestError(f"{where}: duplicate source id {s.id!r}")
            seen.add(s.id)
            out.append(s)
    return out


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def restore_hint(src: Source) -> str:
    """What to run when a source's raw file is missing or differs from its recorded checksum."""
    if src.local:
        return (
            f"add the list again with `cnai registry add FILE`, or remove entry {src.id!r} "
            f"from {paths.LOCAL_SOURCES.name}"
        )
    return f"run `cnai data pull --only {src.id}` to restore the published file"


def mismatch_message(src: Source, path: Path, got: str) -> str:
    """One line: which source, which file, what it hashes to, and the fix."""
    where = paths.LOCAL_SOURCES.name if src.local else paths.MANIFEST.name
    return (
        f"[{src.id}] {path}: sha256 {got[:12]}… differs from {where} ({src.sha256[:12]}…); "
        f"{restore_hint(src)}"
    )


def sources_by(
    fmt: str | None = None, registry: str | None = None, manifest: Path | None = None
) -> list[Source]:
    return [
        s
        for s in load_manifest(manifest)
        if (fmt is None or s.format == fmt) and (registry is None or s.registry == registry)
    ]
