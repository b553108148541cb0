"""Provenance that cannot lie: the registry build hashes the bytes it parses, `cnai data verify`
re-hashes everything, and a broken stamp file never crashes `pull` or `status`."""

from __future__ import annotations

import hashlib
import json
import os

import docx
import pytest
import yaml
from typer.testing import CliRunner

from cnai_helpers.cli import app
from cnai_helpers.registry.build import BuildError, build
from cnai_helpers.registry.fingerprint import is_stale
from tests.test_registry_build import project  # noqa: F401  (fixture: a tiny project)

runner = CliRunner()


def flip_byte_keep_mtime(path, offset: int | None = None) -> None:
    """Change one byte in place (same size) and restore the file's mtime, as a careless edit
    followed by `touch -r` (or a bit flip on disk) would."""
    st = path.stat()
    data = bytearray(path.read_bytes())
    i = len(data) // 2 if offset is None else offset
    data[i] = (data[i] + 1) % 256
    path.write_bytes(bytes(data))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert path.stat().st_size == st.st_size and path.stat().st_mtime_ns == st.st_mtime_ns


# ------------------------------------------------------------ 1. the build checks raw checksums


def test_build_refuses_docx_edited_with_python_docx(project):  # noqa: F811
    raw = project / "data/raw/ds/2024-08.docx"
    d = docx.Document(str(raw))
    d.tables[0].rows[1].cells[1].text = "篡改的算法"
    d.save(str(raw))
    with pytest.raises(BuildError) as e:
        build(jobs=1)
    msg = str(e.value)
    assert "[ds_1]" in msg and "ds/2024-08.docx" in msg and "cnai data pull" in msg
    assert not (project / "data/processed/build_info.json").exists()


def test_build_refuses_with_parallel_workers_and_cli_is_clean(project):  # noqa: F811
    flip_byte_keep_mtime(project / "data/raw/ds/2024-10.docx", offset=200)
    with pytest.raises(BuildError, match=r"\[ds_2\].*2024-10\.docx.*cnai data pull"):
        build(jobs=2)
    r = runner.invoke(app, ["registry", "build", "--jobs", "2"])
    assert r.exit_code == 1
    assert "[ds_2]" in r.output and "cnai data pull" in r.output
    assert "Traceback" not in r.output


def test_tamper_with_restored_mtime_is_stale_and_refused(project):  # noqa: F811
    info = build(jobs=1)
    assert not is_stale()
    genai = project / "data/raw/genai.json"
    text = genai.read_text(encoding="utf-8")
    assert "M1" in text
    st = genai.stat()
    genai.write_text(text.replace("M1", "M2"), encoding="utf-8")
    os.utime(genai, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert is_stale(), "fingerprint must notice changed bytes, not only size+mtime"
    with pytest.raises(BuildError, match=r"\[genai\].*genai\.json.*cnai data pull"):
        build(jobs=1, force=False)
    kept = json.loads((project / "data/processed/build_info.json").read_text())
    assert kept["built_at"] == info["built_at"], "last good tables must be kept"


def test_build_check_ignores_a_lying_stamp_file(project):  # noqa: F811
    raw_dir = project / "data/raw"
    target = raw_dir / "genai.json"
    flip_byte_keep_mtime(target)
    manifest = yaml.safe_load((project / "data/sources.yaml").read_text())
    sha = {e["path"]: e["sha256"] for e in manifest["sources"]}
    st = target.stat()
    stamp = {
        "genai.json": {
            "sha256": sha["genai.json"],
            "stat": [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino],
        }
    }
    (raw_dir / ".verified.json").write_text(json.dumps(stamp))
    with pytest.raises(BuildError, match=r"\[genai\]"):
        build(jobs=1)


def test_build_refuses_tampered_local_source(project):  # noqa: F811
    from tests.fixtures import ds_row, make_docx, num

    raw_dir = project / "data/raw"
    (raw_dir / "local").mkdir()
    f = make_docx(
        raw_dir / "local/x.docx",
        [ds_row(1, num("310104", serial=7))],
        title="境内深度合成服务算法备案清单（2024年12月）",
    )
    entry = {
        "id": "local_ds",
        "format": "cac_docx",
        "registry": "deep_synthesis",
        "batch": "2024-12",
        "path": "local/x.docx",
        "url": "file:///x.docx",
        "sha256": hashlib.sha256(f.read_bytes()).hexdigest(),
        "size": f.stat().st_size,
        "publisher": "t",
        "licence": "t",
        "citation": "t",
    }
    (project / "data/local_sources.yaml").write_text(yaml.safe_dump({"sources": [entry]}))
    assert build(jobs=1)["rows"]["listings"] > 0
    make_docx(
        f, [ds_row(1, num("310104", serial=8))], title="境内深度合成服务算法备案清单（2024年12月）"
    )
    with pytest.raises(BuildError) as e:
        build(jobs=1)
    assert "[local_ds]" in str(e.value) and "local_sources.yaml" in str(e.value)
    assert "cnai registry add" in str(e.value)


# ------------------------------------------------------------ 2. `cnai data verify`


def _pull(manifest, raw, mirror):
    args = ["data", "pull", "--manifest", str(manifest), "--raw-dir", str(raw)]
    return runner.invoke(app, [*args, "--mirror", str(mirror)], env={"CNAI_DATA_MIRROR": ""})


def _status(manifest, raw):
    r = runner.invoke(
        app, ["data", "status", "--manifest", str(manifest), "--raw-dir", str(raw), "--json"]
    )
    assert r.exit_code == 0, r.output
    return {x["id"]: x for x in json.loads(r.output)}


def _verify(manifest, raw):
    return runner.invoke(
        app, ["data", "verify", "--manifest", str(manifest), "--raw-dir", str(raw)]
    )


def test_bit_flip_with_restored_mtime_is_not_verified(tiny_mirror):
    mirror, manifest, raw = tiny_mirror
    assert _pull(manifest, raw, mirror).exit_code == 0
    assert _verify(manifest, raw).exit_code == 0
    flip_byte_keep_mtime(raw / "a/one.txt")
    assert not _status(manifest, raw)["src_0"]["verified"]
    r = _verify(manifest, raw)
    assert r.exit_code == 1
    assert "src_0" in r.output and "cnai data pull" in r.output and "src_1" not in r.output
    # the advertised fix works: pull re-fetches the file, verify is clean again
    r = _pull(manifest, raw, mirror)
    assert r.exit_code == 0 and "1 fetched" in r.output, r.output
    assert (raw / "a/one.txt").read_bytes() == b"first file\n"
    assert _verify(manifest, raw).exit_code == 0


def test_verify_rehashes_even_when_stamp_and_ctime_agree(tiny_mirror, monkeypatch):
    """`data verify` never trusts the stamp file: it hashes every byte."""
    from cnai_helpers import pull as pull_mod

    mirror, manifest, raw = tiny_mirror
    assert _pull(manifest, raw, mirror).exit_code == 0
    (raw / "b/two.json").write_bytes(b'{"x": 2}\n')
    # simulate a stamp taken after the edit (as a fast check that cannot see content would)
    stamps = json.loads((raw / ".verified.json").read_text())
    stamps["b/two.json"]["stat"] = pull_mod._stamp_of(raw / "b/two.json")
    (raw / ".verified.json").write_text(json.dumps(stamps))
    r = _verify(manifest, raw)
    assert r.exit_code == 1 and "src_1" in r.output


def test_verify_lists_missing_sources(tiny_mirror):
    mirror, manifest, raw = tiny_mirror
    assert _pull(manifest, raw, mirror).exit_code == 0
    (raw / "b/two.json").unlink()
    r = _verify(manifest, raw)
    assert r.exit_code == 1
    assert "src_1" in r.output and "missing" in r.output and "cnai data pull" in r.output


# ------------------------------------------------------------ 3. unreadable stamp file


@pytest.mark.parametrize(
    "stamp",
    [
        "[]",
        '{"x": 5}',
        '{"a/one.txt": []}',
        '{"a/one.txt": 5, "b/two.json": {"sha256": 3, "stat": "x"}}',
        '{"a/one.txt": {"sha256": null, "stat": {}}}',
        "{not json",
        '"a string"',
        "null",
    ],
)
def test_unreadable_stamp_is_treated_as_empty(tiny_mirror, stamp):
    mirror, manifest, raw = tiny_mirror
    assert _pull(manifest, raw, mirror).exit_code == 0
    (raw / ".verified.json").write_text(stamp)
    rows = _status(manifest, raw)
    assert rows["src_0"]["verified"] and rows["src_1"]["verified"]
    r = _pull(manifest, raw, mirror)
    assert r.exit_code == 0, r.output
    assert "0 fetched, 2 already verified" in r.output
    good = json.loads((raw / ".verified.json").read_text())
    assert set(good) == {"a/one.txt", "b/two.json"}, "stamps rewritten after re-hashing"
    (raw / ".verified.json").write_text(stamp)
    assert _verify(manifest, raw).exit_code == 0


def test_unreadable_stamp_does_not_hide_a_bad_file(tiny_mirror):
    mirror, manifest, raw = tiny_mirror
    assert _pull(manifest, raw, mirror).exit_code == 0
    (raw / ".verified.json").write_text("[]")
    (raw / "a/one.txt").write_bytes(b"edited\n")
    assert not _status(manifest, raw)["src_0"]["verified"]
