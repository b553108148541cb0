"""When must the core tables be rebuilt? (OWID etl's idea: a checksum of the inputs and code.)

Kept free of pandas so that checking is fast (a no-op report build must take a second or two).
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
from pathlib import Path

from .. import paths, reference
from ..errors import CnaiError
from ..manifest import Source, load_manifest
from .health import tables_problem

CODE_DIR = Path(__file__).parent
# the reference files the tables are built from, and the module that reads them
REFERENCE_FILES = tuple(
    Path(reference.__file__).parent / f for f in ("__init__.py", *reference.GEOGRAPHY_FILES)
)
# the tables' declaration (column order, schemas) and the code that reads it
METADATA_FILES = tuple(Path(__file__).parent.parent / f for f in ("tables.yaml", "metadata.py"))
# the who-files classifier (registry/enrich.py): frozen rules, their reference files, the label
# loader; its data inputs (overrides, sample, labels) are hashed from enrich.input_files()
CLASSIFIER_FILES = (
    *(
        Path(__file__).parent.parent / "enrich" / f
        for f in ("__init__.py", "rules.py", "labels.py")
    ),
    Path(__file__).parent / "enrich.py",
    *(
        Path(reference.__file__).parent / f
        for f in ("org_types.yaml", "sectors.yaml", "sector_signals.yaml")
    ),
)


# generative-AI lists in Word/Excel added with `cnai registry add` (registry/genai_tables.py)
GENAI_TABLE_FORMATS = ("genai_docx", "genai_xlsx")


# every format the core tables are built from (lists and cancellation notices)
SOURCE_FORMATS = (
    "cac_docx",
    "genai_json",
    *GENAI_TABLE_FORMATS,
    "cac_cancel_json",
    "cac_cancel_csv",
)


def registry_sources(manifest: Path | None = None) -> list[Source]:
    return [s for s in load_manifest(manifest) if s.format in SOURCE_FORMATS]


def built_from(out_dir: Path | None = None) -> set[str] | None:
    """The source ids of the tables in place (build_info.json), None if unreadable: tells an
    interrupted `registry add` or `remove` whether its new tables were swapped in."""
    try:
        info = json.loads((Path(out_dir or paths.PROCESSED) / "build_info.json").read_text())
        return set(info["sources"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _content_sha256(path: Path) -> str | None:
    """sha256 of the file's bytes (None if missing). Hashing every registry raw file (~3.4 MB)
    costs about 10 ms, so staleness never rests on size and mtime, which ``os.utime`` restores."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


def fingerprint(sources: list[Source], raw_dir: Path, corrections: Path) -> str:
    """Checksum of the inputs: recorded and actual checksums of the raw files, parser code,
    geography reference files, corrections, the who-files classifier (code, reference files,
    override table, evaluation sample and hand labels). A raw file whose bytes changed (whatever its mtime) makes the tables stale; the
    rebuild then refuses it (registry/build.py checks every file against its recorded sha256)."""
    h = hashlib.sha256()
    for s in sorted(sources, key=lambda s: s.id):
        actual = _content_sha256(s.raw_path(raw_dir))
        h.update(f"{s.id}|{s.sha256}|{s.path}|{actual}\n".encode())
    for f in [
        *sorted(CODE_DIR.glob("*.py")),
        *sorted(CODE_DIR.glob("*.csv")),
        *REFERENCE_FILES,
        *METADATA_FILES,
        *CLASSIFIER_FILES,
    ]:
        h.update(f.name.encode() + f.read_bytes())
    for f in enrich_inputs():
        h.update(f"{f.name}|{_content_sha256(f)}\n".encode())
    if corrections.exists():
        h.update(corrections.read_bytes())
    return h.hexdigest()


def enrich_inputs() -> list[Path]:
    """The enrichment's data files (registry/enrich.py input_files, kept pandas-free here)."""
    data = paths.DATA
    return [
        data / "curated" / "entity_overrides.csv",
        data / "evaluation_sample_unlabelled.csv",
        # the census folders too: the who-files pooled estimate reads them
        *sorted((data / "evaluation_labels").rglob("*.csv")),
    ]


def current_fingerprint(out_dir: Path | None = None) -> str | None:
    try:
        info = json.loads((Path(out_dir or paths.PROCESSED) / "build_info.json").read_text())
        return info.get("fingerprint")
    except (FileNotFoundError, json.JSONDecodeError, UnicodeDecodeError, AttributeError):
        return None  # no build yet, or an unreadable build_info.json: rebuild


def registry_version(out_dir: Path | None = None) -> str | None:
    """Which build of the core tables is in place: a checksum of its build_info.json (written
    last, with the build's time), different for every build, None before the first. `reports
    build` records it in each report's build status and hands it to the kernels
    (``CNAI_REGISTRY_VERSION``), which refuse tables rebuilt under them."""
    try:
        data = (Path(out_dir or paths.PROCESSED) / "build_info.json").read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        return None
    return hashlib.sha256(data).hexdigest()[:16]


def check_snapshot(out_dir: Path | None = None) -> None:
    """Inside a kernel of `reports build`: the tables must still be those the build started
    with, so that every figure of the run comes from one snapshot."""
    expected = os.environ.get("CNAI_REGISTRY_VERSION")
    if expected and registry_version(out_dir) != expected:
        raise RegistryChangedError(
            "the registry tables changed during this reports build (another command rebuilt "
            "them); run `cnai reports build` again"
        )


def is_stale(out_dir: Path | None = None) -> bool:
    """Inputs changed since the build, or built tables that cannot be read (registry/health.py,
    quick check): either way `ensure_registry` rebuilds."""
    fp = fingerprint(registry_sources(), paths.RAW, paths.DATA / "curated" / "corrections.csv")
    if current_fingerprint(out_dir) != fp:
        return True
    return tables_problem(Path(out_dir or paths.PROCESSED)) is not None


def missing_raw(sources: list[Source], raw_dir: Path) -> list[str]:
    """One line per source whose raw file is missing, with the fix."""
    from ..manifest import restore_hint

    return [
        f"[{s.id}] raw file {s.raw_path(raw_dir)} missing: {restore_hint(s)}"
        for s in sources
        if not s.raw_path(raw_dir).exists()
    ]


def needs_registry(patterns: tuple[str, ...] | list[str]) -> bool:
    """Does a report whose site.yaml ``sources:`` are ``patterns`` read the registry tables?
    ("cac_*" and the default "*" do; "epoch_*" does not.)"""
    ids = [s.id for s in registry_sources()]
    return any(fnmatch.fnmatchcase(i, p) for i in ids for p in patterns)


class StaleRegistryError(CnaiError):
    """The core tables are missing or older than their inputs. Reading never builds them: the
    command line (`cnai registry build`, `cnai reports build`) and the make targets do."""


class RegistryChangedError(StaleRegistryError):
    """The core tables were rebuilt while a reports build was reading them."""


def require_registry(out_dir: Path | None = None) -> Path:
    """The folder of the core tables, if they are built and current; else StaleRegistryError.
    Reads only: never builds, never writes."""
    out = Path(out_dir or paths.PROCESSED)
    # the inputs first: a broken manifest is named even before the first build
    sources = registry_sources()
    fp = fingerprint(sources, paths.RAW, paths.DATA / "curated" / "corrections.csv")
    built = current_fingerprint(out)
    if built is None:
        info = out / "build_info.json"
        why = f"{info} unreadable (damaged?)" if info.exists() else f"no {info}"
        raise StaleRegistryError(f"registry is not built: run `cnai registry build` ({why})")
    if built != fp:
        missing = missing_raw(sources, paths.RAW)
        if missing:  # not stale: a rebuild would fail the same way
            more = [f"… and {len(missing) - 3} more"] if len(missing) > 3 else []
            raise StaleRegistryError("\n".join(missing[:3] + more))
        raise StaleRegistryError(
            "registry is stale: run `cnai registry build` (the raw files, parser code or "
            f"corrections changed since {out} was built)"
        )
    problem = tables_problem(out)
    if problem:
        raise StaleRegistryError(
            f"registry tables in {out} cannot be read ({problem}): run `cnai registry build`"
        )
    check_snapshot(out)
    return out
