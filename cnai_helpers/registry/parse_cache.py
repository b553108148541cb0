"""Parse once per file: each raw list's parsed rows and issues, kept in ``data/cache/parsed/``
under a key made of the file's sha256, its manifest entry (id, registry, batch, format) and the
parser's code version, so that a rebuild re-parses only the files that changed.

The cache never replaces the checksum check: registry/parse.py hashes every raw file's bytes
against its recorded sha256 before a cached parse is used, and the key holds that sha256. An
entry that cannot be read (a truncated file, an older format) is ignored and the file parsed
again. Entries are pickles: the parsed frame comes back exactly (dtypes, None/NaN), which JSON or
parquet would not guarantee; they are written only by this module, atomically, in the
project's own data folder (git-ignored), whose code a writer there could change anyway.
"""

from __future__ import annotations

import hashlib
import pickle
from functools import cache
from pathlib import Path

from ..atomic import write_bytes
from ..manifest import Source

CODE_DIR = Path(__file__).parent
# the modules whose code decides a file's parsed rows (registry/parse.py's parse_docx included)
PARSER_FILES = (
    "docx_lists.py",
    "wordxml.py",
    "genai.py",
    "genai_tables.py",
    "numbers.py",
    "quality.py",
    "parse.py",
    "parse_cache.py",
)
FORMAT = 1  # bump when the pickled payload's shape changes


@cache
def parser_version() -> str:
    """Checksum of the parser code (and the libraries that read the files). The libraries'
    versions come from their installed metadata: a warm build imports neither (openpyxl and
    Pillow alone are ~8 MiB)."""
    from importlib.metadata import version

    h = hashlib.sha256(f"{FORMAT}|lxml {version('lxml')}|openpyxl {version('openpyxl')}".encode())
    for name in PARSER_FILES:
        h.update(name.encode() + (CODE_DIR / name).read_bytes())
    return h.hexdigest()


def cache_folder(out_dir: Path) -> Path:
    """The parse cache beside the core tables' folder (``data/cache/parsed``): outside the
    folder the build swaps in, so it survives every rebuild."""
    return Path(out_dir).parent / "cache" / "parsed"


def key(src: Source, stage: str = "") -> str:
    """Cache key of one source's parse: its recorded sha256 (checked against the bytes before
    use), the manifest fields the parse reads, and the parser version; ``stage`` names a later
    step cached apart (e.g. the enrichment of a CAC list's rows, with that step's own version)."""
    fields = (src.sha256, src.id, src.format, src.registry, src.batch, parser_version(), stage)
    return hashlib.sha256("|".join(str(f) for f in fields).encode()).hexdigest()


class ParseCache:
    """The cache folder; ``None`` as folder switches caching off (every file parsed). New
    parses are held in memory and written by :meth:`flush`, which the build calls once the
    tables are written: an interrupted or failed build leaves the cache as it was."""

    def __init__(self, folder: Path | None):
        self.folder = Path(folder) if folder is not None else None
        self.used: set[str] = set()
        self.pending: dict[str, object] = {}
        self.pickled: dict[str, bytes] = {}  # new entries made in a child (:meth:`export`)
        self.hits = 0
        self.misses = 0

    def _file(self, k: str) -> Path:
        assert self.folder is not None
        return self.folder / f"{k}.pickle"

    def get(self, src: Source, stage: str = ""):
        """The cached parse of ``src`` (or of its step ``stage``), or None."""
        if self.folder is None:
            return None
        k = key(src, stage)
        self.used.add(k)
        try:
            value = pickle.loads(self._file(k).read_bytes())  # noqa: S301 - see module docstring
        except Exception:  # missing, truncated or from another version: parse again
            self.misses += 1
            return None
        self.hits += 1
        return value

    def keep(self, src: Source, stage: str = "") -> None:
        """Keep ``src``'s entry (of ``stage``) without reading it: the flush drops only the
        entries no build step used."""
        if self.folder is not None:
            self.used.add(key(src, stage))

    def put(self, src: Source, value, stage: str = "") -> None:
        if self.folder is None:
            return
        k = key(src, stage)
        self.used.add(k)
        self.pending[k] = value

    def get_named(self, name: str):
        """A value kept under ``name`` (not a source's parse: e.g. the regions resolved so far,
        registry/parse.py), or None."""
        if self.folder is None:
            return None
        k = hashlib.sha256(name.encode()).hexdigest()
        self.used.add(k)
        if k in self.pending:
            return self.pending[k]
        try:
            return pickle.loads(self._file(k).read_bytes())  # noqa: S301 - see module docstring
        except Exception:
            return None

    def put_named(self, name: str, value) -> None:
        if self.folder is not None:
            k = hashlib.sha256(name.encode()).hexdigest()
            self.used.add(k)
            self.pending[k] = value

    def keep_named(self, name: str) -> None:
        if self.folder is not None:
            self.used.add(hashlib.sha256(name.encode()).hexdigest())

    def export(self) -> dict:
        """The new entries (pickled) and the keys used: a build's child process hands them to
        the parent, which writes them (:meth:`absorb`, :meth:`flush`) once the tables are in."""
        pickled = {
            k: pickle.dumps(v, protocol=pickle.HIGHEST_PROTOCOL) for k, v in self.pending.items()
        }
        return {"pickled": {**self.pickled, **pickled}, "used": set(self.used)}

    def absorb(self, state: dict) -> None:
        if self.folder is not None:
            self.pickled.update(state["pickled"])
            self.used |= state["used"]

    def flush(self, prune: bool = True) -> None:
        """Write the new parses and (``prune``) drop the entries this build did not use (lists
        removed, parser code changed). A read-only or full disk only means no caching."""
        if self.folder is None:
            return
        try:
            if self.pending or self.pickled:
                self.folder.mkdir(parents=True, exist_ok=True)
            for k, value in self.pending.items():
                write_bytes(self._file(k), pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
            for k, data in self.pickled.items():
                write_bytes(self._file(k), data)
            self.pending.clear()
            self.pickled.clear()
            if prune and self.folder.is_dir():
                for f in self.folder.glob("*.pickle"):
                    if f.stem not in self.used:
                        f.unlink(missing_ok=True)
        except OSError:
            pass
