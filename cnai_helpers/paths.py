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
