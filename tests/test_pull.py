"""`cnai data pull` / `cnai data status` on a tiny mirror."""

from __future__ import annotations

import json
import os

import pytest
from typer.testing import CliRunner

from cnai_helpers.cli import app
from cnai_helpers.manifest import load_manifest

runner = CliRunner()


def pull(manifest, raw, *extra, env=None):
    args = ["data", "pull", "--manifest", str(manifest), "--raw-dir", str(raw), *extra]
    return runner.invoke(app, args, env=env or {"CNAI_DATA_MIRROR": ""})


def test_pull_from_mirror_verifies_and_writes(tiny_mirror):
    mirror, manifest, raw = tiny_mirror
    r = pull(manifest, raw, "--mirror", str(mirror))
    assert r.exit_code == 0, r.output
    assert (raw / "a/one.txt").read_bytes() == b"first file\n"
    assert (raw / "b/two.json").read_bytes() == b'{"x": 1}\n'
    assert "2 fetched" in r.output
    assert not list(raw.rglob("*.tmp")), "temporary files left behind"


def test_mirror_from_environment_variable(tiny_mirror):
    mirror, manifest, raw = tiny_mirror
    r = pull(manifest, raw, env={"CNAI_DATA_MIRROR": str(mirror)})
    assert r.exit_code == 0, r.output
    assert (raw / "a/one.txt").exists()


def test_second_pull_is_idempotent_and_skips(tiny_mirror):
    mirror, manifest, raw = tiny_mirror
    assert pull(manifest, raw, "--mirror", str(mirror)).exit_code == 0
    before = os.stat(raw / "a/one.txt").st_mtime_ns
    r = pull(manifest, raw, "--mirror", str(mirror))
    assert r.exit_code == 0
    assert "0 fetched, 2 already verified" in r.output
    assert os.stat(raw / "a/one.txt").st_mtime_ns == before, "verified file was rewritten"


def test_checksum_mismatch_fails_and_keeps_old_file(tiny_mirror):
    mirror, manifest, raw = tiny_mirror
    assert pull(manifest, raw, "--mirror", str(mirror)).exit_code == 0
    (mirror / "a/one.txt").write_bytes(b"tampered\n")
    (raw / ".verified.json").unlink()  # force a re-check, as after a manifest change
    os.utime(raw / "a/one.txt", ns=(1, 1))
    # make the local copy look unverified by corrupting it too, then the mirror must not replace it
    r = pull(manifest, raw, "--mirror", str(mirror))
    assert r.exit_code == 0, "a still-valid local file needs no fetch"
    (raw / "a/one.txt").write_bytes(b"local edit\n")
    r = pull(manifest, raw, "--mirror", str(mirror))
    assert r.exit_code == 1
    assert "src_0" in r.output and "checksum mismatch" in r.output
    assert "sources.yaml" in r.output  # says what to do
    assert (raw / "a/one.txt").read_bytes() == b"local edit\n", "bad download replaced the file"
    assert not list(raw.rglob("*.tmp"))


def test_checksum_mismatch_never_replaces_verified_file(tiny_mirror, tmp_path):
    mirror, manifest, raw = tiny_mirror
    assert pull(manifest, raw, "--mirror", str(mirror)).exit_code == 0
    # manifest now expects a different checksum; the mirror has the old bytes
    text = manifest.read_text().replace(load_manifest(manifest)[0].sha256, "0" * 64)
    manifest.write_text(text)
    r = pull(manifest, raw, "--mirror", str(mirror))
    assert r.exit_code == 1
    assert "[src_0] checksum mismatch" in r.output
    assert (raw / "a/one.txt").read_bytes() == b"first file\n"


def test_missing_mirror_file_names_source(tiny_mirror):
    mirror, manifest, raw = tiny_mirror
    (mirror / "b/two.json").unlink()
    r = pull(manifest, raw, "--mirror", str(mirror))
    assert r.exit_code == 1
    assert "[src_1] not in the mirror" in r.output
    assert (raw / "a/one.txt").exists(), "other sources still pulled"


def test_no_network_and_no_mirror(tiny_mirror):
    _, manifest, raw = tiny_mirror
    r = pull(manifest, raw)
    assert r.exit_code == 1
    assert "[src_0] download failed" in r.output and "CNAI_DATA_MIRROR" in r.output


def test_only_and_unknown_id(tiny_mirror):
    mirror, manifest, raw = tiny_mirror
    r = pull(manifest, raw, "--mirror", str(mirror), "--only", "src_1")
    assert r.exit_code == 0
    assert (raw / "b/two.json").exists() and not (raw / "a/one.txt").exists()
    r = pull(manifest, raw, "--mirror", str(mirror), "--only", "nope")
    assert r.exit_code == 1 and "nope" in r.output


def test_missing_mirror_folder(tiny_mirror, tmp_path):
    _, manifest, raw = tiny_mirror
    r = pull(manifest, raw, "--mirror", str(tmp_path / "nowhere"))
    assert r.exit_code == 1 and "does not exist" in r.output


def test_status_reports_present_and_verified(tiny_mirror):
    mirror, manifest, raw = tiny_mirror
    pull(manifest, raw, "--mirror", str(mirror), "--only", "src_0")
    r = runner.invoke(
        app, ["data", "status", "--manifest", str(manifest), "--raw-dir", str(raw), "--json"]
    )
    rows = {x["id"]: x for x in json.loads(r.output)}
    assert rows["src_0"]["verified"] and not rows["src_1"]["present"]
    assert rows["src_0"]["licence"] == "CC0"


def test_real_manifest_is_complete_and_pinned():
    sources = load_manifest(include_local=False)
    ids = [s.id for s in sources]
    assert len(ids) == len(set(ids))
    formats = {s.format for s in sources}
    assert {"cac_docx", "genai_json", "epoch_csv"} <= formats
    for s in sources:
        assert len(s.sha256) == 64 and s.size > 0
        assert s.url.startswith("https://")
        if "raw.githubusercontent.com" in s.url:
            commit = s.url.split("/")[5]
            assert len(commit) == 40, f"{s.id}: upstream URL not pinned to a commit"
    registries = {s.registry for s in sources if s.format == "cac_docx"}
    assert registries == {"deep_synthesis", "algorithm_recommendation"}


def test_a_mirror_that_is_a_file_is_named_as_such(tmp_path):
    """The hostile pass: `data pull --mirror README.md` said the mirror 'does not exist'."""
    from cnai_helpers.pull import PullError, resolve_mirror

    f = tmp_path / "README.md"
    f.write_text("x", encoding="utf-8")
    with pytest.raises(PullError, match=r"README.md is a file, not a folder"):
        resolve_mirror(f)
    with pytest.raises(PullError, match=r"nope does not exist"):
        resolve_mirror(tmp_path / "nope")
