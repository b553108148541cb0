"""Shared fixtures: a tiny mirror + manifest, and access to the real pulled data."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
import yaml

from cnai_helpers import paths


def make_manifest(mirror: Path, files: dict[str, bytes], dest: Path) -> Path:
    """Write files into a mirror folder and a manifest describing them; return the manifest."""
    entries = []
    for i, (rel, content) in enumerate(files.items()):
        p = mirror / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(content)
        entries.append(
            {
                "id": f"src_{i}",
                "format": "blob",
                "path": rel,
                "url": f"http://127.0.0.1:9/{rel}",  # unroutable: forces mirror use in tests
                "sha256": hashlib.sha256(content).hexdigest(),
                "size": len(content),
                "publisher": "test",
                "licence": "CC0",
                "citation": "test fixture",
            }
        )
    dest.write_text(yaml.safe_dump({"sources": entries}), encoding="utf-8")
    return dest


@pytest.fixture
def tiny_mirror(tmp_path):
    mirror = tmp_path / "mirror"
    files = {"a/one.txt": b"first file\n", "b/two.json": b'{"x": 1}\n'}
    manifest = make_manifest(mirror, files, tmp_path / "sources.yaml")
    return mirror, manifest, tmp_path / "raw"


@pytest.fixture(scope="session")
def real_raw() -> Path:
    """The real raw data (pulled by `cnai data pull`); skipped only outside CI."""
    import os

    from cnai_helpers.manifest import load_manifest
    from cnai_helpers.pull import is_verified

    missing = [s.id for s in load_manifest(include_local=False) if not is_verified(s, paths.RAW)]
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"real data not pulled in CI: {missing[:5]}")
        pytest.skip("real data not pulled; run `cnai data pull`")
    return paths.RAW


from hypothesis import settings  # noqa: E402

# first calls load the division tables; CI machines vary in speed
settings.register_profile("cnai", deadline=None, max_examples=200)
settings.load_profile("cnai")


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=shutil.which("chromium") or "/usr/bin/chromium",
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield b
        b.close()
