"""`cnai registry add` / `registry remove` against a temporary project (never the real data/).

The ``project`` fixture of test_registry_build.py points cnai_helpers.paths at a tmp folder with
two small deep-synthesis lists and a generative-AI file.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import time
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import tests.test_registry_build as rb
from cnai_helpers.cli import app
from cnai_helpers.registry import add as add_mod
from cnai_helpers.registry import build as build_mod
from cnai_helpers.registry.build import build
from cnai_helpers.registry.docx_lists import ListFormatError, read_cac_docx
from cnai_helpers.registry.fingerprint import is_stale
from tests.fixtures import ds_row, make_docx, num

project = rb.project  # the temporary-project fixture
rb_build = SimpleNamespace(build_tables=build_mod.build_tables, write_tables=build_mod.write_tables)
runner = CliRunner()


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (relative path -> sha256): equal snapshots = nothing changed."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def clean_exit_1(r) -> None:
    """Exit 1 through typer.Exit, one-line error, no traceback."""
    assert r.exit_code == 1, r.output
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    assert "Traceback" not in r.output


def cli(*args: str):
    return runner.invoke(app, ["registry", *[str(a) for a in args]])


def local_yaml(project: Path) -> dict:
    return yaml.safe_load((project / "data/local_sources.yaml").read_text(encoding="utf-8"))


def new_list(path: Path, title: str | None = "境内深度合成服务算法备案清单（2026年5月）", **kw):
    rows = kw.pop("rows", None) or [
        ds_row(1, num("340104", serial=11), entity="合肥示例有限公司"),
        ds_row(2, num("110108", serial=1)),
    ]
    return make_docx(path, rows, title=title, **kw)


# ---------------------------------------------------------------- 1. --batch on the real run


def test_add_batch_for_untitled_list_real_run(project, tmp_path):
    build(jobs=1)
    new = new_list(tmp_path / "n.docx", title=None)
    r = cli("add", new, "--batch", "2026-07", "--json")
    assert r.exit_code == 0, r.output
    rep = json.loads(r.output)
    assert rep["batch"] == "2026-07" and rep["source_id"].startswith("local_")
    (entry,) = local_yaml(project)["sources"]
    assert (entry["id"], entry["batch"]) == (rep["source_id"], "2026-07")
    f = rb.tables(project)["filings"]
    assert (f["first_batch"] == "2026-07").sum() == 1
    assert not is_stale(), "the tables built by add match the recorded sources"
    build(jobs=1)  # a later plain rebuild reads the recorded batch too
    assert (rb.tables(project)["filings"]["first_batch"] == "2026-07").sum() == 1


# ---------------------------------------------------------------- 2. atomic add, remove


@pytest.mark.parametrize("where", ["build_tables", "write_tables"])
def test_interrupted_add_changes_nothing(project, tmp_path, monkeypatch, where):
    build(jobs=1)
    before = snapshot(project / "data")
    new = new_list(tmp_path / "n.docx")

    def interrupt(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(build_mod, where, interrupt)
    with pytest.raises(KeyboardInterrupt):
        add_mod.add_file(new)
    assert snapshot(project / "data") == before
    assert not (project / "data/raw/local").exists()
    monkeypatch.setattr(build_mod, where, getattr(rb_build, where))
    r = cli("build", "--force")  # the project still builds
    assert r.exit_code == 0, r.output


def test_interrupted_add_then_build_and_add_again(project, tmp_path, monkeypatch):
    build(jobs=1)
    new = new_list(tmp_path / "n.docx")
    monkeypatch.setattr(
        build_mod, "build_tables", lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt)
    )
    r = cli("add", new)
    assert r.exit_code == 130, r.output  # typer: interrupted
    monkeypatch.setattr(build_mod, "build_tables", rb_build.build_tables)
    assert cli("build", "--force").exit_code == 0
    r = cli("add", new, "--json")
    assert r.exit_code == 0, r.output


def memo_names() -> tuple[str, ...]:
    """The parse cache's named entries: kept regions and the who-files rules' calls."""
    from cnai_helpers.registry.enrich import classifier_version
    from cnai_helpers.registry.parse import regions_name

    return (regions_name(), classifier_version())


def test_remove_undoes_add(project, tmp_path):
    build(jobs=1)
    before = snapshot(project / "data")
    filings_before = rb.tables(project)["filings"]
    r = cli("add", new_list(tmp_path / "n.docx"), "--json")
    assert r.exit_code == 0, r.output
    sid = json.loads(r.output)["source_id"]
    assert [e["id"] for e in local_yaml(project)["sources"]] == [sid]
    raw = project / "data/raw" / local_yaml(project)["sources"][0]["path"]
    assert raw.is_file()
    r = cli("remove", sid)
    assert r.exit_code == 0, r.output
    assert sid in r.output
    assert not raw.exists() and not (project / "data/raw/local").exists()
    assert not (project / "data/local_sources.yaml").exists()
    pd.testing.assert_frame_equal(rb.tables(project)["filings"], filings_before)
    after = snapshot(project / "data")
    # the same files (the list's cached parses are gone), each as it was, but the kept regions
    # and rules' calls: memos of pure functions, which keep what the add resolved
    memos = {f"cache/parsed/{hashlib.sha256(n.encode()).hexdigest()}.pickle" for n in memo_names()}
    assert {k for k in after if "processed" not in k} == {k for k in before if "processed" not in k}
    assert {k: v for k, v in after.items() if "processed" not in k and k not in memos} == {
        k: v for k, v in before.items() if "processed" not in k and k not in memos
    }
    assert memos <= set(after)


def test_remove_keeps_other_local_sources(project, tmp_path):
    build(jobs=1)
    a = json.loads(cli("add", new_list(tmp_path / "a.docx"), "--json").output)["source_id"]
    b_file = new_list(
        tmp_path / "b.docx",
        title="境内深度合成服务算法备案清单（2026年6月）",
        rows=[ds_row(1, num("320106", serial=21), entity="南京示例有限公司")],
    )
    b = json.loads(cli("add", b_file, "--json").output)["source_id"]
    assert cli("remove", a).exit_code == 0
    assert [e["id"] for e in local_yaml(project)["sources"]] == [b]
    assert set(rb.tables(project)["batches"]["batch"]) >= {"2026-06"}
    assert "2026-05" not in set(rb.tables(project)["batches"]["batch"])


def test_remove_repairs_a_broken_local_entry(project, tmp_path):
    """The state an interrupted add used to leave: an entry whose raw file is missing."""
    build(jobs=1)
    r = cli("add", new_list(tmp_path / "n.docx"), "--json")
    sid = json.loads(r.output)["source_id"]
    (project / "data/raw" / local_yaml(project)["sources"][0]["path"]).unlink()
    assert cli("build", "--force").exit_code == 1
    r = cli("remove", sid)
    assert r.exit_code == 0, r.output
    assert cli("build", "--force").exit_code == 0


@pytest.mark.parametrize(
    ("sid", "message"), [("ds_1", "not a local source"), ("nope", "no local source 'nope'")]
)
def test_remove_refuses_non_local_ids(project, sid, message):
    build(jobs=1)
    before = snapshot(project / "data")
    r = cli("remove", sid)
    clean_exit_1(r)
    assert message in r.output
    assert snapshot(project / "data") == before


# ---------------------------------------------------------------- 3. mostly rejected rows


def garbage_list(path: Path) -> Path:
    rows = [
        ds_row(1, num("340104", serial=31)),
        ds_row(2, "备案中"),
        ds_row(3, "网信算备XXXX号"),
        ds_row(4, num("340104", serial=32)),
        ds_row(5, "待定"),
    ]
    return new_list(path, rows=rows)


def test_mostly_rejected_list_refused_unless_force(project, tmp_path):
    build(jobs=1)
    before = snapshot(project / "data")
    bad = garbage_list(tmp_path / "g.docx")
    for args in ((), ("--dry-run",)):
        r = cli("add", bad, *args)
        clean_exit_1(r)
        assert "3 of 5 rows" in r.output and "20%" in r.output and "--force" in r.output
        assert snapshot(project / "data") == before
    r = cli("add", bad, "--force", "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["rejected_rows"] == 3


def test_threshold_is_a_named_constant(project, tmp_path, monkeypatch):
    build(jobs=1)
    monkeypatch.setattr(add_mod, "MAX_REJECTED_SHARE", 0.7)
    r = cli("add", garbage_list(tmp_path / "g.docx"), "--dry-run")
    assert r.exit_code == 0, r.output


# ---------------------------------------------------------------- 4. --batch vs the title


def test_batch_disagreeing_with_title_needs_force(project, tmp_path):
    build(jobs=1)
    before = snapshot(project / "data")
    new = new_list(tmp_path / "n.docx")  # title says 2026年5月
    r = cli("add", new, "--batch", "2019-01", "--dry-run")
    clean_exit_1(r)
    assert "2019-01" in r.output and "2026-05" in r.output and "--force" in r.output
    r = cli("add", new, "--batch", "2019-01", "--dry-run", "--json")
    assert r.exit_code == 1
    rep = json.loads(r.stdout)  # the report on stdout, the refusal on stderr
    assert "--force" in r.stderr
    assert any("2026-05" in p["reason"] for p in rep["problems"])
    r = cli("add", new, "--batch", "2019-01")
    clean_exit_1(r)
    assert snapshot(project / "data") == before
    r = cli("add", new, "--batch", "2019-01", "--force", "--json")
    assert r.exit_code == 0, r.output
    assert (rb.tables(project)["filings"]["first_batch"] == "2019-01").sum() == 2
    # agreeing --batch is fine
    other = new_list(  # its own filings: the same two again would be a repeat (needs --force)
        tmp_path / "o.docx",
        title="境内深度合成服务算法备案清单（2026年6月）",
        rows=[ds_row(1, num("340104", serial=21), entity="合肥示例有限公司")],
    )
    assert cli("add", other, "--batch", "2026-06", "--dry-run").exit_code == 0


# ---------------------------------------------------------------- 5. zip bombs


def rewrite_docx(src: Path, dest: Path, edit) -> Path:
    """Copy a docx, passing each member (name, bytes) through ``edit`` (None drops it)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            out = edit(info.filename, zin.read(info))
            if out is not None:
                zout.writestr(info.filename, out)
    return dest


def padded(name: str, data: bytes) -> bytes:
    if name != "word/document.xml":
        return data
    i = data.rindex(b"</w:body>")
    return data[:i] + b" " * (4 << 20) + data[i:]  # 4 MB of blanks: still valid XML


def test_zip_bomb_ratio_refused_fast(project, tmp_path):
    build(jobs=1)
    bomb = rewrite_docx(new_list(tmp_path / "n.docx"), tmp_path / "bomb.docx", padded)
    assert bomb.stat().st_size < 100_000
    t0 = time.perf_counter()
    r = cli("add", bomb, "--dry-run")
    assert time.perf_counter() - t0 < 2
    clean_exit_1(r)
    assert "bomb.docx" in r.output and "word/document.xml" in r.output
    assert "compression ratio" in r.output


def test_zip_total_size_limit(tmp_path, monkeypatch):
    from cnai_helpers.registry import docx_lists

    f = new_list(tmp_path / "n.docx")
    read_cac_docx(f)  # fine under the real limit
    monkeypatch.setattr(docx_lists, "MAX_UNCOMPRESSED_BYTES", 10_000)
    with pytest.raises(ListFormatError, match=r"n\.docx: unpacks to .* limit"):
        read_cac_docx(f)


# ---------------------------------------------------------------- 6. malformed parts


def _truncate_doc(name, data):
    return data[: len(data) // 2] if name == "word/document.xml" else data


def _drop_doc(name, data):
    return None if name == "word/document.xml" else data


def _drop_types(name, data):
    return None if name == "[Content_Types].xml" else data


def _bad_span(name, data):
    if name != "word/document.xml":
        return data
    return data.replace(b"<w:tcPr>", b'<w:tcPr><w:gridSpan w:val="x"/>', 1)


def _huge_span(name, data):
    if name != "word/document.xml":
        return data
    return data.replace(b"<w:tcPr>", b'<w:tcPr><w:gridSpan w:val="999999999"/>', 1)


@pytest.mark.parametrize(
    "edit", [_truncate_doc, _drop_doc, _drop_types, _bad_span, _huge_span], ids=lambda f: f.__name__
)
def test_malformed_docx_is_a_clean_error(project, tmp_path, edit):
    build(jobs=1)
    before = snapshot(project / "data")
    bad = rewrite_docx(new_list(tmp_path / "n.docx"), tmp_path / "bad.docx", edit)
    r = cli("add", bad, "--dry-run")
    clean_exit_1(r)
    assert "bad.docx" in r.output
    assert snapshot(project / "data") == before


def test_truncated_xml_message(tmp_path):
    bad = rewrite_docx(new_list(tmp_path / "n.docx"), tmp_path / "bad.docx", _truncate_doc)
    with pytest.raises(ListFormatError, match=r"bad\.docx: not a readable Word \(\.docx\) file"):
        read_cac_docx(bad)


# ---------------------------------------------------------------- 7. hostile input, property


def _zip_bytes(members: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in members:
            z.writestr(name, data)
    return buf.getvalue()


_NAMES = st.sampled_from(
    [
        "word/document.xml",
        "[Content_Types].xml",
        "_rels/.rels",
        "word/_rels/document.xml.rels",
        "word/styles.xml",
    ]
) | st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=20)
_XMLISH = st.binary(max_size=300) | st.sampled_from(
    [
        b"",
        b"<?xml version='1.0'?>",
        b"<w:document xmlns:w='http://schemas.openxmlformats.org/wordprocessingml/2006/main'>"
        b"<w:body><w:tbl><w:tr><w:tc><w:p/></w:tc></w:tr></w:tbl></w:body></w:document>",
        b"<Types xmlns='http://schemas.openxmlformats.org/package/2006/content-types'/>",
        b"<Relationships/>",
    ]
)
_HOSTILE = (
    st.binary(max_size=2000)
    | st.lists(st.tuples(_NAMES, _XMLISH), max_size=5, unique_by=lambda m: m[0]).map(_zip_bytes)
    | st.tuples(st.sampled_from(["word/document.xml", "[Content_Types].xml"]), _XMLISH)
)


@settings(
    max_examples=50,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=_HOSTILE)
def test_hostile_bytes_never_traceback(project, tmp_path, data):
    if not (project / "data/processed/build_info.json").exists():
        build(jobs=1)
    good = tmp_path / "good.docx"
    if not good.exists():
        new_list(good)
    before = snapshot(project / "data")
    f = tmp_path / "h.docx"
    if isinstance(data, tuple):  # a real list with one member replaced
        name, content = data
        rewrite_docx(good, f, lambda n, d: content if n == name else d)
    else:
        f.write_bytes(data)
    r = cli("add", f, "--dry-run")
    clean_exit_1(r)
    assert "h.docx" in r.output
    assert snapshot(project / "data") == before


# ---------------------------------------------------------------- real mirror


@pytest.mark.mirror
def test_real_lists_pass_the_refusal_checks(real_raw):
    from cnai_helpers.loaders import load_data_quality, load_listings
    from cnai_helpers.manifest import load_manifest

    dq = load_data_quality()
    rows = load_listings().groupby("source_id").size()
    rejected = dq[(dq["action"] == "rejected") & dq["reason"].str.contains("网信算备")]
    rejected = rejected.groupby("source").size()
    for s in load_manifest(include_local=False):
        if s.format == "cac_docx":
            n_rej = rejected.get(s.id, 0)
            assert n_rej / (rows.get(s.id, 0) + n_rej) <= add_mod.MAX_REJECTED_SHARE, s.id


@pytest.mark.mirror
def test_real_size_list_added_and_removed(real_raw, project, tmp_path):
    from cnai_helpers.manifest import load_manifest

    real = load_manifest(real_raw.parent / "sources.yaml", include_local=False)
    biggest = max((s for s in real if s.format == "cac_docx"), key=lambda s: s.size)
    copy = tmp_path / "real.docx"
    copy.write_bytes(biggest.raw_path(real_raw).read_bytes())
    build(jobs=1)
    r = cli("add", copy, "--json")
    assert r.exit_code == 0, r.output
    rep = json.loads(r.output)
    assert (rep["registry"], rep["batch"]) == (biggest.registry, biggest.batch)
    assert rep["new_filings"] > 100 and rep["rejected_rows"] == 0
    f = rb.tables(project)["filings"]
    assert (f["first_batch"] == biggest.batch).sum() == rep["new_filings"]
    assert cli("remove", rep["source_id"]).exit_code == 0
    assert not (rb.tables(project)["filings"]["first_batch"] == biggest.batch).any()


# ---------------------------------------------------------------- 6. add = a full build


def every_table(project: Path) -> dict:
    """Every core table as parquet frames and as DuckDB rows (with column types)."""
    import duckdb

    from cnai_helpers.registry import TABLES

    d = project / "data/processed"
    out = {n: pd.read_parquet(d / f"{n}.parquet") for n in TABLES}
    con = duckdb.connect(str(d / "registry.duckdb"), read_only=True)
    try:
        for n in TABLES:
            out[f"duckdb {n}"] = (
                con.execute(f"DESCRIBE {n}").fetchall(),
                con.execute(f"SELECT * FROM {n}").fetchall(),
            )
    finally:
        con.close()
    return out


def same_as_a_full_build(project: Path) -> dict:
    """The tables in place against those of `registry build --force` with an empty parse
    cache of the same sources: equal in every parquet column and row, and in DuckDB (types,
    rows, order). Returns the tables in place."""
    added = every_table(project)
    shutil.rmtree(project / "data/cache")
    build(force=True, jobs=1)
    full = every_table(project)
    assert list(added) == list(full)
    for name in full:
        if name.startswith("duckdb"):
            assert added[name] == full[name], name
        else:
            pd.testing.assert_frame_equal(added[name], full[name], check_exact=True, obj=name)
    return added


def test_add_gives_the_tables_of_a_full_build(project, tmp_path):
    """A list of a month between two held ones (the first batch of a known filing moves to it),
    with a new filer in a district no list had, a known filing and a rejected row: the tables
    `registry add` writes (from the cached parses) are those a full build with an empty parse
    cache makes from the same sources, in every column and row, in parquet and in DuckDB."""
    build(jobs=1)
    rows = [
        ds_row(1, num("330106", serial=4), entity="杭州示例有限公司"),  # first in 2024-10
        ds_row(2, num("340104", serial=11), entity="合肥示例有限公司"),  # new filer, new district
        ds_row(3, num("110108", serial=1)),  # known since 2024-08
        ds_row(4, num("340104", serial=12), entity="合肥示例有限公司"),
        ds_row(5, num("310115", serial=13), entity="上海示例有限公司"),
        ds_row(6, "备案中"),  # rejected (1 of 6 rows: under the refusal's share)
    ]
    new = new_list(
        tmp_path / "n.docx", title="境内深度合成服务算法备案清单（2024年9月）", rows=rows
    )
    r = cli("add", new, "--json")
    assert r.exit_code == 0, r.output
    added = every_table(project)
    f = added["filings"].set_index("filing_number")
    assert f.loc[num("330106", serial=4), "first_batch"] == "2024-09"
    assert f.loc[num("110108", serial=1), "batches"] == "2024-08;2024-09"
    assert (added["data_quality"]["reason"].str.contains("备案中")).any()
    same_as_a_full_build(project)


def test_refused_list_names_file_rows_and_problem_and_changes_nothing(project, tmp_path):
    build(jobs=1)
    before = snapshot(project / "data")
    bad = garbage_list(tmp_path / "g.docx")
    r = cli("add", bad, "--json")
    clean_exit_1(r)
    err = " ".join(r.output.split())
    assert "g.docx" in err and "3 of 5 rows" in err
    for row in ("row 3", "row 4", "row 6"):  # the rows (the header is row 1) and their problem
        assert row in err, err
    assert "备案中" in err and "待定" in err
    assert snapshot(project / "data") == before


@pytest.mark.parametrize("where", ["write_duckdb", "to_parquet"])
def test_add_interrupted_while_writing_keeps_the_old_tables(project, tmp_path, monkeypatch, where):
    from cnai_helpers.registry import write as write_mod

    build(jobs=1)
    before = snapshot(project / "data")
    old = every_table(project)

    def interrupt(*a, **k):
        raise KeyboardInterrupt

    if where == "write_duckdb":
        monkeypatch.setattr(write_mod, "write_duckdb", interrupt)
    else:
        monkeypatch.setattr(pd.DataFrame, "to_parquet", interrupt)
    with pytest.raises(KeyboardInterrupt):
        add_mod.add_file(new_list(tmp_path / "n.docx"))
    assert snapshot(project / "data") == before
    monkeypatch.undo()
    for name, table in every_table(project).items():
        if name.startswith("duckdb"):
            assert table == old[name]
        else:
            pd.testing.assert_frame_equal(table, old[name], check_exact=True)
