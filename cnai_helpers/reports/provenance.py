"""What a report was built from: git commit, data checksums, parameters, package versions."""

from __future__ import annotations

import fnmatch
import platform
import subprocess
import time
from importlib import metadata

from .. import paths
from ..manifest import load_manifest

PACKAGES = (
    "pandas",
    "numpy",
    "matplotlib",
    "seaborn",
    "papermill",
    "nbconvert",
    "nbclient",
    "duckdb",
    "pyarrow",
    "pandera",
    "python-docx",
    "genai-prices",  # the monetization report's price data ship inside this package
)


def git_state() -> dict:
    def run(*args):
        r = subprocess.run(["git", *args], cwd=paths.ROOT, capture_output=True, text=True)
        return r.stdout.strip() if r.returncode == 0 else None

    commit = run("rev-parse", "HEAD")
    status = run("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit or "unknown", "dirty": bool(status) if status is not None else None}


def versions(packages: tuple[str, ...]) -> dict[str, str | None]:
    """Installed version of each package (None where it is not installed)."""
    out: dict[str, str | None] = {}
    for p in packages:
        try:
            out[p] = metadata.version(p)
        except metadata.PackageNotFoundError:
            out[p] = None
    return out


def package_versions() -> dict:
    return {"python": platform.python_version(), **versions(PACKAGES)}


def sources_for(patterns: tuple[str, ...]) -> dict[str, str]:
    """Source id -> sha256 for the manifest sources matching the report's patterns."""
    return {
        s.id: s.sha256 for s in load_manifest() if any(fnmatch.fnmatch(s.id, p) for p in patterns)
    }


def now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
