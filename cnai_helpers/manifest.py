"""The source manifest (data/sources.yaml): one entry per raw file, with checksum and licence."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from . import paths

REQUIRED = ("id", "format", "path", "url", "sha256", "size", "publisher", "licence", "citation")


class ManifestError(ValueError):
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
    local: bool = False
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    def raw_path(self, raw_dir: Path | None = None) -> Path:
        return Path(raw_dir or paths.RAW) / self.path


def _source_from_dict(entry: dict, where: str, local: bool = False) -> Source:
    missing = [k for k in REQUIRED if entry.get(k) in (None, "")]
    if missing:
        raise ManifestError(f"{where}: source {entry.get('id', '?')!r} lacks {', '.join(missing)}")
    known = {f for f in Source.__dataclass_fields__ if f not in ("extra", "local")}
    kwargs = {
        k: (str(v) if k in ("batch", "announcement_date") else v)
        for k, v in entry.items()
        if k in known
    }
    kwargs["size"] = int(kwargs["size"])
    extra = {k: v for k, v in entry.items() if k not in known}
    return Source(**kwargs, local=local, extra=extra)


_CACHE: dict[tuple, list] = {}
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when available: ~10x faster


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
            doc = yaml.load(f.read_text(encoding="utf-8"), Loader=_Loader) or {}
        except FileNotFoundError as e:
            raise ManifestError(f"{f}: manifest not found") from e
        except yaml.YAMLError as e:
            raise ManifestError(f"{f}: not valid YAML ({e})") from e
        for i, entry in enumerate(doc.get("sources") or []):
            s = _source_from_dict(entry, f"{f} entry {i + 1}", local=is_local)
            if s.id in seen:
                raise ManifestError(f"{f} entry {i + 1}: duplicate source id {s.id!r}")
            seen.add(s.id)
            out.append(s)
    return out


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def sources_by(
    fmt: str | None = None, registry: str | None = None, manifest: Path | None = None
) -> list[Source]:
    return [
        s
        for s in load_manifest(manifest)
        if (fmt is None or s.format == fmt) and (registry is None or s.registry == registry)
    ]
