"""`cnai registry add` of a CAC Word list as an append (registry/append.py): only the new list is
parsed and enriched, and the tables it writes are those of a full build of the same sources
with an empty parse cache; a list the append cannot take exactly is built from every list; a
bad list leaves every file unchanged with an error naming the file, the row and the problem.

The ``project`` fixture (test_registry_build.py): deep-synthesis lists of 2024-08 (Beijing x2,
Shenzhen) and 2024-10 (Hangzhou, the Shenzhen filing again, an unreadable number), and a
generative-AI file.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd

import tests.test_registry_build as rb
from cnai_helpers.registry import add as add_mod
from cnai_helpers.registry.build import build
from tests.fixtures import ds_row, num
from tests.test_registry_add import (
    clean_exit_1,
    cli,
    new_list,
    same_as_a_full_build,
    snapshot,
)

project = rb.project


def build_info(project: Path) -> dict:
    return json.loads((project / "data/processed/build_info.json").read_text(encoding="utf-8"))


def test_an_append_gives_the_tables_of_a_full_build(project, tmp_path):
    """A list of a month between the two held ones: a known filing's first batch moves to it
    (its filer's first batch and the batches' cumulative counts too), a filing listed twice in
    the list (flagged), a number whose region prefix is no province (flagged by the
    enrichment), an unreadable number (rejected), a new filer: appended, not built from every
    list, and the same tables as a full build, data-quality rows in the same order."""
    build(jobs=1)
    cached = {p.name for p in (project / "data/cache/parsed").glob("*.pickle")}
    rows = [
        ds_row(1, num("330106", serial=4), entity="杭州示例有限公司"),  # first in 2024-10
        ds_row(2, num("340104", serial=11), entity="合肥示例有限公司"),  # new filer
        ds_row(3, num("340104", serial=11), entity="合肥示例有限公司"),  # twice in the list
        ds_row(4, num("990104", serial=12), entity="合肥示例有限公司"),  # no province 99
        ds_row(5, "备案中"),  # rejected (1 of 5 rows)
    ]
    new = new_list(
        tmp_path / "n.docx", title="境内深度合成服务算法备案清单（2024年9月）", rows=rows
    )
    r = cli("add", new, "--json")
    assert r.exit_code == 0, r.output
    assert build_info(project)["append"].startswith("appended local_deep_synthesis_2024_09")
    # the other lists' cached parses are kept (an append reads none of them)
    assert cached <= {p.name for p in (project / "data/cache/parsed").glob("*.pickle")}
    added = same_as_a_full_build(project)
    f = added["filings"].set_index("filing_number")
    assert f.loc[num("330106", serial=4), "first_batch"] == "2024-09"
    e = added["entities"].set_index("entity_name")
    assert e.loc["杭州示例有限公司", "first_batch"] == "2024-09"
    b = added["batches"]
    b = b[b["registry"] == "deep_synthesis"].set_index("batch")
    assert list(b.loc[["2024-08", "2024-09", "2024-10"], "new_filings"]) == [3, 3, 0]
    reasons = added["data_quality"]["reason"]
    for text in ("备案中", "same batch", "region prefix 990104"):
        assert reasons.str.contains(text).any(), text


def test_a_filing_that_changes_filer_moves_in_the_filers_table(project, tmp_path):
    """A list older than every held one names a known filing under another filer: the filing
    now takes its first listing's filer, so the old filer (its only filing gone) leaves the
    filers table and the new one comes in, and the filing is flagged as listed in three
    batches; the append makes only the filings and filers the list touches, and gives the
    tables of a full build."""
    build(jobs=1)
    rows = [
        ds_row(1, num("440305", serial=3), entity="广州示例有限公司"),  # Shenzhen's filing
        ds_row(2, num("110108", serial=1)),  # a Beijing filing, same filer
    ]
    new = new_list(
        tmp_path / "o.docx", title="境内深度合成服务算法备案清单（2024年7月）", rows=rows
    )
    r = cli("add", new, "--json")
    assert r.exit_code == 0, r.output
    assert build_info(project)["append"].startswith("appended local_deep_synthesis_2024_07")
    added = same_as_a_full_build(project)
    filers = set(added["entities"]["entity_name"])
    assert "广州示例有限公司" in filers and "深圳示例有限公司" not in filers
    f = added["filings"].set_index("filing_number").loc[num("440305", serial=3)]
    assert (f["entity_name"], f["first_batch"], f["n_batches"]) == (
        "广州示例有限公司",
        "2024-07",
        3,
    )
    assert added["data_quality"]["reason"].str.contains("listed in 3 batches").any()


def test_a_list_that_could_change_a_repair_is_built_from_every_list(project, tmp_path):
    """A filer name with a stray leading character before a known filer's name: the repair
    reads every listing's counts, so the add builds from every list (and still gives the
    tables of a full build, the repair in data quality)."""
    build(jobs=1)
    rows = [ds_row(1, num("440305", serial=31), entity="x深圳示例有限公司")]
    r = cli("add", new_list(tmp_path / "n.docx", rows=rows), "--json")
    assert r.exit_code == 0, r.output
    how = build_info(project)["append"]
    assert how.startswith("built from every list") and "repaired" in how, how
    added = same_as_a_full_build(project)
    assert added["data_quality"]["reason"].str.contains("stray leading character").any()
    assert (added["listings"]["entity_name"] == "深圳示例有限公司").sum() == 3


def test_a_bad_list_names_file_row_and_problem_and_changes_nothing(project, tmp_path):
    """A row without a filer name (its number readable: the list passes the add's own checks)
    breaks the listings table's schema: refused before anything is written."""
    build(jobs=1)
    before = snapshot(project / "data")
    rows = [
        ds_row(1, num("340104", serial=11), entity="合肥示例有限公司"),
        ds_row(2, num("110108", serial=21), entity=""),
    ]
    r = cli("add", new_list(tmp_path / "bad.docx", rows=rows))
    clean_exit_1(r)
    err = " ".join(r.output.split())
    assert "bad.docx" in err, err
    assert "source_row=3" in err, err  # the second data row: row 3 of the table
    assert "entity_name must have at least 1 characters" in err, err
    assert snapshot(project / "data") == before
    assert not (project / "data/raw/local").exists()


def test_stale_tables_are_not_appended_to(project, tmp_path):
    """Tables older than their inputs (a list changed since the build) are not a base for an
    append: the add builds from every list."""
    build(jobs=1)
    info = project / "data/processed/build_info.json"
    doc = json.loads(info.read_text(encoding="utf-8"))
    doc["fingerprint"] = "0" * 64
    info.write_text(json.dumps(doc), encoding="utf-8")
    rep = add_mod.add_file(new_list(tmp_path / "n.docx"))
    assert rep["source_id"]
    assert "not those of the other sources" in build_info(project)["append"]
    same_as_a_full_build(project)


def test_hand_labels_are_kept_until_a_label_file_changes(tmp_path, monkeypatch):
    """The hand labels a build reads (registry/enrich.py cached_hand_labels) come from the parse
    cache while the sample, the label files and the classifier are unchanged, and are read again
    when a label file changes."""
    from cnai_helpers import paths
    from cnai_helpers.registry import enrich
    from cnai_helpers.registry.parse_cache import ParseCache

    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(paths.DATA / "evaluation_sample_unlabelled.csv", data)
    shutil.copytree(paths.DATA / "evaluation_labels", data / "evaluation_labels")
    truth = enrich.hand_labels(data)
    assert len(truth)
    reads = []
    real = enrich.hand_labels
    monkeypatch.setattr(enrich, "hand_labels", lambda d=None: reads.append(d) or real(d))

    def labels() -> pd.DataFrame:
        cache = ParseCache(tmp_path / "cache")
        out = enrich.cached_hand_labels(cache, data)
        cache.flush()
        return out

    pd.testing.assert_frame_equal(labels(), truth)
    pd.testing.assert_frame_equal(labels(), truth)
    assert len(reads) == 1, "read again though nothing changed"
    first = sorted((data / "evaluation_labels").rglob("*.csv"))[0]
    first.write_bytes(first.read_bytes() + b"\n")  # same labels, other bytes
    pd.testing.assert_frame_equal(labels(), truth)
    assert len(reads) == 2, "a changed label file was not read again"


def test_text_membership_answers_as_pandas_isin():
    """The append's membership test on text columns (pyarrow's is_in over the values at once)
    answers as pandas' ``isin``: missing values match only a missing value among those given,
    values that are not text match nothing, an object column is left to pandas."""
    import numpy as np

    from cnai_helpers.registry.assemble import text_isin

    s = pd.Series(["a", "b", None, "c", np.nan, "d"] * 3, dtype="str")
    many = {f"x{i}" for i in range(2000)}
    for values in (
        {"a", "c"} | many,
        {"a", None, 3},
        ["b", np.nan],
        pd.Series(["d", None], dtype="str"),
        pd.Index(["c"]),
        set(),
    ):
        got = text_isin(s, values)
        assert got.equals(s.isin(values)), values
    assert text_isin(s, {"a", None}).sum() == 9  # three a and six missing
    obj = pd.Series(["a", None], dtype=object)
    assert text_isin(obj, {"a"}).tolist() == [True, False]
