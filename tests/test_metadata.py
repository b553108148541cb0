"""One metadata home for tables (cnai_helpers/tables.yaml): schemas, column lists, the curated
reader and the data dictionary all come from it, and agree with the data on disk."""

from __future__ import annotations

import csv
import json
import re

import pandas as pd
import pytest
from typer.testing import CliRunner

import tests.test_registry_build as rb
from cnai_helpers import claims, curated, metadata, paths
from cnai_helpers.analysis import classify
from cnai_helpers.cli import app
from cnai_helpers.registry import REGISTRIES, TABLES, assemble, cancellations, fingerprint, quality
from cnai_helpers.registry import build as build_mod
from cnai_helpers.registry.schemas import SCHEMAS

project = rb.project  # the tiny temporary project (raw lists + manifest) of the build tests
runner = CliRunner()

CURATED_DIR = paths.DATA / "curated"


def header(path) -> list[str]:
    with open(path, newline="", encoding="utf-8") as fh:
        return next(csv.reader(fh))


# ---------------------------------------------------------------- declarations vs disk


def test_every_curated_csv_is_declared_and_every_declared_one_exists():
    on_disk = {p.stem for p in CURATED_DIR.glob("*.csv")}
    assert on_disk == set(metadata.names("curated"))
    # the who-files evaluation sample is drawn by code (scripts/draw_evaluation_sample.py) and
    # read with its labels by analysis/evaluation.py: not a curated table
    drawn = {"evaluation_sample_unlabelled.csv"}
    stray = [p.name for p in paths.DATA.glob("*.csv") if p.name not in drawn]
    assert not stray, "curated CSVs live in data/curated/"
    for name in metadata.names("curated"):
        assert metadata.table(name).path == CURATED_DIR / f"{name}.csv"


@pytest.mark.parametrize("name", metadata.names("curated"))
def test_curated_headers_match_the_declaration_and_rows_pass(name):
    path = CURATED_DIR / f"{name}.csv"
    assert header(path) == metadata.columns(name)
    df = metadata.read_curated(name)
    assert list(df.columns) == metadata.columns(name)
    assert len(df) == sum(1 for _ in csv.reader(path.open(encoding="utf-8"))) - 1


def test_generated_column_lists_are_the_declared_ones():
    assert metadata.columns("listings") == assemble.LISTING_COLUMNS
    assert metadata.columns("cancellations") == cancellations.COLUMNS
    assert list(claims.REQUIRED) == header(CURATED_DIR / "claims.csv")
    assert set(claims.BASES) == {"computed", "curated", "none"}
    assert set(SCHEMAS) == set(metadata.names("core")) == set(TABLES)
    for name, s in SCHEMAS.items():
        assert list(s.pandera.columns) == metadata.columns(name)


def test_vocabularies_agree_with_the_code():
    assert metadata.vocabulary("registries") == REGISTRIES
    assert metadata.vocabulary("org_types") == classify.ORG_TYPES
    assert metadata.vocabulary("sectors") == classify.SECTORS
    assert metadata.vocabulary("dq_actions") == quality.ACTIONS
    assert metadata.vocabulary("algo_registries") == cancellations.ALGO_REGISTRIES


def test_every_field_is_described_and_typed():
    for t in metadata.tables().values():
        assert t.description and t.source_rule and t.grain, t.name
        for f in t.fields:
            assert len(f.description) > 10 and f.type in metadata.TYPES, (t.name, f.name)


def test_malformed_declaration_is_refused(tmp_path, monkeypatch):
    bad = tmp_path / "tables.yaml"
    bad.write_text(
        "tables:\n  t:\n    layer: curated\n    description: d\n    source_rule: r\n"
        "    columns:\n      a: {type: text, description: an a field}\n"
    )
    monkeypatch.setattr(metadata, "SPEC", bad)
    metadata.tables.cache_clear()
    try:
        with pytest.raises(metadata.MetadataError, match="table t, column a: type must be one of"):
            metadata.tables()
    finally:
        monkeypatch.undo()
        metadata.tables.cache_clear()


# ---------------------------------------------------------------- core schemas on real tables


@pytest.mark.mirror
@pytest.mark.parametrize("name", metadata.names("core"))
def test_core_schema_accepts_the_real_built_table(real_raw, name):
    from cnai_helpers.loaders import load_table

    df = load_table(name)
    assert len(df) > 0
    assert list(df.columns) == metadata.columns(name), "build writes the declared column order"
    metadata.schema(name).validate(df)


BAD_CELL = {  # table -> (column, bad value) breaking one declared rule
    "listings": ("province_code", "xx"),
    "filings": ("n_batches", 0),
    "entities": ("n_filings", 0),
    "batches": ("rows", -1),
    "data_quality": ("action", "ignored"),
    "cancellations": ("filing_number", "网信算备99号"),
}


@pytest.mark.mirror
@pytest.mark.parametrize("name", metadata.names("core"))
def test_core_schema_rejects_a_bad_row_naming_table_column_and_row(real_raw, name):
    from cnai_helpers.loaders import load_table

    df = load_table(name)
    col, value = BAD_CELL[name]
    i = len(df) // 2
    df.loc[i, col] = value
    with pytest.raises(metadata.TableError) as e:
        metadata.schema(name).validate(df)
    msg = str(e.value)
    row_id = ", ".join(f"{c}={df.at[i, c]}" for c in metadata.table(name).row_id)
    assert f"table {name}: row {i} ({row_id}): {col} " in msg
    assert repr(value) in msg
    assert msg.count("\n") == 0, "one problem, one line"


def test_core_schema_rejects_an_undeclared_column_and_a_duplicate_key():
    df = pd.DataFrame(
        {
            "registry": ["deep_synthesis"] * 2,
            "batch": ["2024-08"] * 2,
            "source_id": ["s"] * 2,
            "title": ["t"] * 2,
            "announcement_url": ["https://x"] * 2,
            "announcement_date": [None] * 2,
            "rows": [1, 1],
            "new_filings": [1, 1],
            "cumulative_filings": [1, 2],
            "extra": [0, 0],
        }
    )
    with pytest.raises(metadata.TableError) as e:
        SCHEMAS["batches"].validate(df)
    msg = str(e.value)
    assert "table batches: row 1 (registry=deep_synthesis, batch=2024-08): duplicate" in msg
    assert "column 'extra' is not declared in cnai_helpers/tables.yaml" in msg


def batches_frame(**changed) -> pd.DataFrame:
    df = pd.DataFrame(
        {
            "registry": ["deep_synthesis", "deep_synthesis"],
            "batch": ["2024-08", "2024-09"],
            "source_id": ["s", "s"],
            "title": ["t", "u"],
            "announcement_url": ["https://x", "https://y"],
            "announcement_date": [None, None],
            "rows": [1, 1],
            "new_filings": [1, 1],
            "cumulative_filings": [1, 2],
        }
    )
    return df.assign(**changed)


def test_text_columns_pass_and_fail_on_their_type():
    """The text columns' type check (metadata._pandera_type: one answer for a passing column)
    passes text and refuses a number among text, or a column of another type, naming them."""
    assert SCHEMAS["batches"].validate(batches_frame()).shape == (2, 9)
    with pytest.raises(metadata.TableError) as e:
        SCHEMAS["batches"].validate(batches_frame(title=pd.Series(["t", 5], dtype=object)))
    assert "table batches: row 1 (registry=deep_synthesis, batch=2024-09): title has type 5" in (
        str(e.value)
    )
    with pytest.raises(metadata.TableError) as e:
        SCHEMAS["batches"].validate(batches_frame(title=pd.Categorical(["t", "u"])))
    assert str(e.value) == "table batches: title has type category, declared str"


# ---------------------------------------------------------------- the curated reader


def corrupt(tmp_path, name: str, col: str, value: str, line: int = 2):
    """A copy of the real curated table with one cell changed (CSV line ``line``)."""
    df = pd.read_csv(CURATED_DIR / f"{name}.csv", dtype=str, keep_default_na=False)
    df.loc[line - 2, col] = value
    p = tmp_path / f"{name}.csv"
    df.to_csv(p, index=False)
    return p


@pytest.mark.parametrize(
    "name,col,value,expect",
    [
        ("lab_financials", "value", "lots", r"line 3 \(Zhipu revenue FY2023\): value must be a "),
        ("lab_financials", "currency", "EUR", r"line 3 \(.*\): currency must be one of CNY, USD"),
        ("lab_strategy", "year", "1e3.5", r"line 3 \(.*\): year must be a whole number"),
        ("market_facts", "source_url", "", r"line 3 \(.*\): no source_url"),
        ("lab_strategy", "source_url", "see wiki", r"line 3 \(.*\): no source_url .*'see wiki'"),
        ("corrections", "reason", "typo", r"line 3 \(.*\): reason must have at least 10 char"),
        ("labelled_sample", "sector", "space", r"line 3 \(.*\): sector must be one of"),
        ("entity_overrides", "org_type", "", r"line 3: org_type is empty"),
        ("claims", "basis", "press", r"line 3 \(state_linked_22\): basis must be one of"),
        ("compute_assumptions", "chip", "", r"line 3 \(.*\): chip is empty"),
    ],
)
def test_read_curated_names_file_line_and_column(tmp_path, name, col, value, expect):
    p = corrupt(tmp_path, name, col, value, line=3)
    with pytest.raises(metadata.TableError, match=f"{name}.csv {expect}"):
        metadata.read_curated(name, p)


def test_read_curated_refuses_missing_and_undeclared_columns(tmp_path):
    df = pd.read_csv(CURATED_DIR / "lab_strategy.csv", dtype=str, keep_default_na=False)
    p = tmp_path / "lab_strategy.csv"
    df.drop(columns="note").to_csv(p, index=False)
    with pytest.raises(curated.CuratedTableError, match=r"columns \['note'\] missing"):
        curated.read_curated("lab_strategy", p)
    df.assign(rating="5").to_csv(p, index=False)
    with pytest.raises(curated.CuratedTableError, match=r"columns \['rating'\] not declared"):
        curated.read_curated("lab_strategy", p)
    with pytest.raises(curated.CuratedTableError, match="curated table missing"):
        curated.read_curated("lab_strategy", tmp_path / "nope.csv")
    with pytest.raises(metadata.TableError, match="unknown table 'nope'"):
        curated.read_curated("nope")


def test_read_curated_types_numbers_and_keeps_empty_text():
    raw = pd.read_csv(CURATED_DIR / "published_runs.csv", dtype=str, keep_default_na=False)
    p = metadata.read_curated("published_runs")
    assert p["gpu_hours"].dtype == "float64" and p["active_params"].dtype == "float64"
    n_empty = int((raw["gpu_hours"] == "").sum())
    assert n_empty > 0 and p["gpu_hours"].isna().sum() == n_empty  # not stated: missing, not ""
    assert (p["note"] == "").sum() == (raw["note"] == "").sum()  # empty text stays ""
    assert metadata.read_curated("lab_strategy")["year"].dtype == "int64"
    f = curated.load_lab_financials()
    assert f["period_months"].dtype == "int64" and f["value"].dtype == "float64"


# ---------------------------------------------------------------- corrections in the build


def test_build_reads_corrections_from_data_curated(project):
    target = rb.num("110108", serial=1)
    d = project / "data" / "curated"
    d.mkdir(parents=True)
    (d / "corrections.csv").write_text(
        "registry,filing_number,field,value,reason\n"
        f"deep_synthesis,{target},region_code,310101,test: the filer is in Shanghai\n",
        encoding="utf-8",
    )
    build_mod.build(jobs=1)
    f = pd.read_parquet(project / "data/processed/filings.parquet").set_index("filing_number")
    assert f.loc[target, "province_code"] == "31"
    dq = pd.read_parquet(project / "data/processed/data_quality.parquet")
    assert dq["reason"].str.contains("corrections.csv: test: the filer is in Shanghai").any()


def test_bad_corrections_row_refuses_the_build_and_keeps_tables(project):
    build_mod.build(jobs=1)
    before = (project / "data/processed/build_info.json").read_bytes()
    d = project / "data" / "curated"
    d.mkdir(parents=True)
    (d / "corrections.csv").write_text(
        "registry,filing_number,field,value,reason\n"
        "deep_synthesis,网信算备110108000000001240001号,region_code,310101,typo\n",
        encoding="utf-8",
    )
    r = runner.invoke(app, ["registry", "build"])
    assert r.exit_code == 1
    assert "corrections.csv line 2 (网信算备110108000000001240001号): reason must have" in r.output
    assert "Traceback" not in r.output
    assert (project / "data/processed/build_info.json").read_bytes() == before


def test_registry_fingerprint_covers_the_declaration(tmp_path, monkeypatch):
    spec = tmp_path / "tables.yaml"
    spec.write_bytes(metadata.SPEC.read_bytes())
    monkeypatch.setattr(fingerprint, "METADATA_FILES", (spec,))
    corr = tmp_path / "corrections.csv"
    a = fingerprint.fingerprint([], tmp_path, corr)
    spec.write_text(spec.read_text() + "\n# a column order changed\n")
    assert fingerprint.fingerprint([], tmp_path, corr) != a


# ---------------------------------------------------------------- the data dictionary page


def test_field_frame_and_overview():
    ff = metadata.field_frame("compute_assumptions")
    assert list(ff["field"]) == metadata.columns("compute_assumptions")
    assert ff.set_index("field").at["source_url", "rule"].startswith("matches ^https?://")
    ov = metadata.overview(processed=paths.DATA / "no-such-build")
    assert list(ov["table"]) == list(metadata.names())
    assert ov.set_index("table").at["listings", "rows"] == "not built"  # and never builds
    assert ov.set_index("table").at["claims", "rows"] == len(claims.load_claims())
    assert metadata.examples("listings", processed=paths.DATA / "no-such-build") is None


def test_data_dictionary_notebook_mentions_every_table(tmp_path):
    import papermill as pm

    out = tmp_path / "dd.ipynb"
    pm.execute_notebook(
        str(paths.NOTEBOOKS / "data_dictionary.ipynb"),
        str(out),
        parameters={"show_examples": False},
        kernel_name="cnai",
        cwd=str(tmp_path),
        progress_bar=False,
    )
    nb = json.loads(out.read_text())
    text = "\n".join(
        "".join(o.get("data", {}).get(kind, ""))
        for c in nb["cells"]
        for o in c.get("outputs", [])
        for kind in ("text/markdown", "text/html")
    )
    words = text.replace("`", "")  # code names in the prose are marked as code
    for name, t in metadata.tables().items():
        assert f"### `{name}` ({t.layer})" in text, name
        assert t.source_rule.split(";")[0][:30].replace("'", "&#x27;") in words
    # field names are shown as code (<code>name</code>) in their cell (a <wbr> after each "_")
    cells = set(
        re.findall(r"<td[^>]*>(?:<code>)?([^<]*)(?:</code>)?</td>", re.sub(r"<wbr\s*/?>", "", text))
    )
    for f in metadata.table("lab_financials").fields:
        assert f.name in cells, f.name
    assert "First rows of" not in text  # show_examples=False
