"""Hostile inputs to `cnai registry add` of a CAC Word list (the append path,
registry/append.py): each test is a bug found by the hostile pass (helper hostile-5): five fixed
since (regression tests); the sixth (an interrupt after the swap said nothing) fixed after."""

from __future__ import annotations

import json

import tests.test_cancellations as tc
import tests.test_registry_build as rb
from tests.fixtures import ds_row, make_docx, num
from tests.test_registry_add import cli, new_list
from tests.test_registry_append import build_info, same_as_a_full_build

cancel_project = tc.project
rb_project = rb.project


def test_append_relisting_a_cancelled_number_gives_the_tables_of_a_full_build(
    cancel_project, tmp_path
):
    """FIXED on main by 5c1a502 (kept as its regression test; it failed at perf-5 069ac03).
    FIXED BUG (hostile-5, F09): a new list that lists again a number cancelled before its month
    is appended, but the data-quality row flagging the re-listing names the list by its source
    id in the ``file`` column, where a full build names the file
    (``2026-03-<sha8>.docx``): registry/append.py passes only the cancellation notices' file
    names to ``cancellations.relisted``, the full build passes every source's. The add then
    says the tables are up to date, so the difference stays until a ``--force`` build."""
    from cnai_helpers.registry.build import build

    build(jobs=1)
    new = make_docx(
        tmp_path / "n.docx",
        [
            ds_row(1, tc.DS_B),  # cancelled 2026-01, listed again in 2026-03
            ds_row(2, num("340104", tc.DS_ENTITY, serial=11), entity="合肥示例有限公司"),
        ],
        title="境内深度合成服务算法备案清单（2026年3月）",
    )
    r = cli("add", new)
    assert r.exit_code == 0, r.output
    assert build_info(cancel_project)["append"].startswith("appended"), "the append path"
    added = same_as_a_full_build(cancel_project)
    dq = added["data_quality"]
    row = dq[dq["reason"].str.contains("listed again", regex=False)]
    assert len(row) == 1 and row["file"].iloc[0].endswith(".docx")


def test_full_disk_while_copying_the_list_names_the_copy_not_the_list(
    rb_project, tmp_path, monkeypatch
):
    """FIXED on main by 719f1c0 (kept as its regression test; it failed at perf-5 069ac03).
    FIXED BUG (hostile-5, E04/E05): with the disk full when the list is copied into
    data/raw/local, the error says ``no space left on the device writing <the list given>``:
    shutil's copy (sendfile) sets the OSError's ``filename`` to the source and ``filename2`` to
    the destination, and cli.expected_error_message prints ``filename`` only. The user is told
    their own file is being written. (Seen on a 60 MB tmpfs with 0 and 150 kB free.)"""
    import errno
    import os

    from cnai_helpers.registry.build import build

    build(jobs=1)
    new = new_list(tmp_path / "n.docx")

    def full(*a, **k):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "sendfile", full)
    r = cli("add", new)
    assert r.exit_code == 1, r.output
    assert "no space left" in r.output
    assert f"writing {new}" not in r.output, r.output
    assert not (rb_project / "data/raw/local").exists()


def test_a_list_dated_before_its_filing_numbers_is_not_added_silently(rb_project, tmp_path):
    """FIXED BUG (hostile-5, D05b): a list whose title says 2024年3月 while every filing number says
    it was filed in 2026 (digits 16-17) is added without a word (exit 0, "0 problems"), and its
    filings get first batch 2024-03, before they were filed. No real filing has a filing year
    after its first batch (0 of 9,838 in the real tables), so this is a mis-dated list (a
    wrong title or --batch): it should need --force, or at least be flagged."""
    from cnai_helpers.registry.build import build

    build(jobs=1)
    rows = [ds_row(i, num("310115", f"80000000{i}", year=26, serial=i)) for i in range(1, 4)]
    new = make_docx(tmp_path / "n.docx", rows, title="境内深度合成服务算法备案清单（2024年3月）")
    r = cli("add", new, "--json")
    if r.exit_code == 0:
        rep = json.loads(r.output)
        assert rep["needs_force"] or any("year" in p["reason"] for p in rep["problems"]), rep


def test_two_filers_under_one_filing_number_in_the_new_list_are_reported(rb_project, tmp_path):
    """FIXED BUG (hostile-5, F07): two rows of the new list with the same filing number but a
    different algorithm and filer: the add prints "0 problems"; the filings table keeps the
    first row and drops the second filer's algorithm, and the only trace is a data-quality row
    "filing number listed twice in the same batch; counted once" (as for a harmless repeat of
    the same row), which the add does not show. A conflicting duplicate should be reported
    by the add, naming both rows."""
    from cnai_helpers.registry.build import build

    build(jobs=1)
    n = num("340104", serial=11)
    rows = [ds_row(1, n, entity="合肥示例有限公司"), ds_row(2, n, entity="成都另一示例有限公司")]
    new = make_docx(tmp_path / "n.docx", rows, title="境内深度合成服务算法备案清单（2026年5月）")
    r = cli("add", new, "--json")
    assert r.exit_code in (0, 1), r.output
    if r.exit_code == 0:
        rep = json.loads(r.output)
        assert any(p["filing_number"] == n for p in rep["problems"]), rep["problems"]


def test_an_interrupt_once_the_list_is_added_says_so(rb_project, tmp_path, monkeypatch):
    """FIXED BUG (hostile-5, J-INT-at-swapped, J-TERM-at-swapped): Ctrl-C or SIGTERM after the new
    tables are swapped in (while the parse cache is written) keeps the add (entry, copy and
    tables are all in place, rightly), but the command exits 130 and prints nothing: the user
    is told the add was interrupted and, running it again, gets "already ingested". (Any
    SIGINT/SIGTERM of `registry add` prints nothing at all, where `reports build` says
    "interrupted: …".)"""
    from cnai_helpers.registry import parse_cache
    from cnai_helpers.registry.build import build

    build(jobs=1)
    new = new_list(tmp_path / "n.docx")

    def interrupted(self, *a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(parse_cache.ParseCache, "flush", interrupted)
    r = cli("add", new)
    assert (rb_project / "data/local_sources.yaml").exists(), "the add is kept"
    # still a non-zero exit (test_writers: an interrupted command never says it succeeded),
    # but the user is told the list is in, so a second add's "already ingested" is no surprise
    assert r.exit_code == 130 and "was added" in " ".join(r.output.split()), (r.exit_code, r.output)


def test_an_interrupt_before_the_list_is_added_says_nothing_changed(
    rb_project, tmp_path, monkeypatch
):
    from cnai_helpers.registry import add as add_mod
    from cnai_helpers.registry.build import build

    build(jobs=1)
    new = new_list(tmp_path / "n.docx")

    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(add_mod, "inspect_file", interrupted)
    r = cli("add", new)
    assert r.exit_code == 130 and "was not added" in " ".join(r.output.split()), (
        r.exit_code,
        r.output,
    )
    assert not (rb_project / "data/local_sources.yaml").exists()


def test_an_append_does_not_trust_a_table_that_is_not_the_recorded_build(rb_project, tmp_path):
    """FIXED BUG (hostile-5, H02/H03): the append reads listings, filings, batches and data_quality
    in place and trusts them when build_info.json's fingerprint matches the sources; a table
    replaced by another valid parquet (a file restored from another build, a hand edit: here
    listings.parquet without its last row, while build_info.json records one row more) is
    appended to without a word, the result is recorded as fresh (`registry build` then says
    nothing to do), and it differs from a full build until a `--force` build. A full build
    never read the tables in place; the append could at least check them against
    build_info.json (its row counts, or checksums of the files)."""
    import pandas as pd

    from cnai_helpers.registry.build import build

    build(jobs=1)
    lst = rb_project / "data/processed/listings.parquet"
    pd.read_parquet(lst).iloc[:-1].to_parquet(lst, index=False)
    new = new_list(tmp_path / "n.docx")
    r = cli("add", new)
    assert r.exit_code == 0, r.output
    same_as_a_full_build(rb_project)
