"""All project paths in one place (cookiecutter-data-science style).

Everything is resolved from the project root, never from the current directory, so commands and
notebooks behave the same wherever they are started. ``CNAI_ROOT`` overrides the root (tests).
"""

from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    env = os.environ.get("CNAI_ROOT")
    if env:
        return Path(env).resolve()
    return Path(__file__).resolve().parent.parent


ROOT = project_root()
DATA = ROOT / "data"
RAW = DATA / "raw"
PROCESSED = DATA / "processed"
MANIFEST = DATA / "sources.yaml"
LOCAL_SOURCES = DATA / "local_sources.yaml"
NOTEBOOKS = ROOT / "notebooks"
REPORTS = ROOT / "reports"
SITE = ROOT / "site.yaml"
# each published report's results and build status (data, not part of the site); kernels started
# by `cnai reports build` get CNAI_RESULTS pointing at the results folder of that build
RESULTS = Path(os.environ.get("CNAI_RESULTS") or DATA / "results")


def curated_table(name: str) -> Path:
    """The file of the curated table ``name`` (e.g. ``compute_assumptions``): the one place that
    knows where curated tables live (``data/curated/<name>.csv``, formerly ``data/<name>.csv``)."""
    yaml_file = DATA / "curated" / f"{name}.yaml"  # a nested curated table (claim_readings)
    if yaml_file.exists():
        return yaml_file
    moved = DATA / "curated" / f"{name}.csv"
    return moved if moved.exists() or not (DATA / f"{name}.csv").exists() else DATA / f"{name}.csv"


def curated_names() -> list[str]:
    """Names of every curated table."""
    files = [*(DATA / "curated").glob("*.csv"), *(DATA / "curated").glob("*.yaml")]
    files += list(DATA.glob("*.csv"))
    return sorted({f.stem for f in files})
