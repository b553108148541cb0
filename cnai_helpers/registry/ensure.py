"""Build the core tables when they are missing or stale: the one place that may, called by the
command line (`cnai registry add`, `cnai reports build`) and the benches, never by a loader."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from .. import paths
from .fingerprint import is_stale, needs_registry


def ensure_registry(processed: Path | None = None, quiet: bool = False) -> Path:
    """Build the core tables if missing or stale; return their folder."""
    out = Path(processed or paths.PROCESSED)
    if is_stale(out):
        if not quiet:
            print(
                "cnai: raw data or parser changed; rebuilding the registry tables…", file=sys.stderr
            )
        from .build import build  # pandas, pandera, duckdb: imported only when building

        build(out_dir=out)
    return out


def ensure_registry_for(source_patterns: Iterable[Sequence[str]]) -> bool:
    """Ensure the tables once if any report (given by its site.yaml ``sources:`` patterns) reads
    them; True if it did."""
    if any(needs_registry(tuple(p)) for p in source_patterns):
        ensure_registry()
        return True
    return False
