"""Offline full-text search of the site: pagefind (``pagefind[extended]`` from PyPI ships the
binary; the extended build segments Chinese) indexes every published report page into
``<site>/pagefind/``. Nothing is fetched at build or search time."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

# published report pages (not the variants in _variants/), the explorer and the data release,
# and the filer pages (indexed by their names only: filer.html.j2), not the redirecting ones
GLOB = "{[!_]*/index.html,filer/*.html}"
# never in a result's text: the headings' ¶ anchors (nbconvert's anchor links)
EXCLUDE = "a.anchor-link"


def pagefind_command() -> list[str] | None:
    """How to run pagefind here, or None when it is not installed."""
    try:
        import pagefind  # noqa: F401
    except ImportError:
        exe = shutil.which("pagefind_extended") or shutil.which("pagefind")
        return [exe] if exe else None
    return [sys.executable, "-m", "pagefind"]


def build_search(site: Path, timeout: int = 300) -> bool:
    """(Re)build the search index of ``site``; False (and the page says search is unavailable)
    when pagefind is missing or fails, which never fails the site build."""
    cmd = pagefind_command()
    if cmd is None:
        return False
    try:
        r = subprocess.run(
            [*cmd, "--site", str(site), "--glob", GLOB, "--exclude-selectors", EXCLUDE, "--quiet"],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return r.returncode == 0 and (Path(site) / "pagefind" / "pagefind-ui.js").exists()
