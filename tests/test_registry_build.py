"""Core tables built end to end from tiny fixtures in a temporary project, and `registry add`."""

from __future__ import annotations

import hashlib
import json

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from cnai_helpers import paths
from cnai_helpers.cli import app
from cnai_helpers.registry.build import BuildError, build
from tests.fixtures import ds_row, genai_json, genai_row, make_docx, num, source_entry

runner = CliRunner()


_entry = source_entry


@pytest.fixture
def project(tmp_path, monkeypatch):
    data = tmp_path / "data"
    raw = data / "raw"
    (raw / "ds").mkdir(parents=True)
    monkeypatch.setattr(paths, "DATA", data)
    monkeypatch.setattr(paths, "RAW", raw)
    monkeypatch.setattr(paths, "PROCESSED", data / "processed")
    monkeypatch.setattr(paths, "MANIFEST", data / "sources.yaml")
    monkeypatch.setattr(paths, "LOCAL_SOURCES", data / "local_sources.yaml")
    # batch 1: Beijing x2, Shenzhen x1; batch 2: Hangzhou + the Shenzhen filing again
    make_docx(
        raw / "ds/2024-08.docx",
        [
            ds_row(1, num("110108", serial=1)),
            ds_row(2, num("110105", serial=2)),
            ds_row(3, num("440305", serial=3), entity="深圳示例有限公司"),
        ],
        title="境内深度合成服务算法备案清单（2024年8月）",
    )
    make_docx(
        raw / "ds/2024-10.docx",
        [
            ds_row(1, num("330106", serial=4), entity="杭州示例有限公司"),
            ds_row(2, num("440305", serial=3), entity="深圳示例有限公司"),
            ds_row(3, "not a number"),
        ],
    )
    genai_json(
        raw / "genai.json",
        [
            {
                "period": "2024-08",
                "name": "g",
                "page": "p",
                "rows": [
                    genai_row(
                        "1",
                        "北京市",
                        "M1",
                        "北京示例科技有限公司",
                        "Beijing-MOne-202406010001",
                        "2024/6/3",
                        "备案",
                    ),
                    genai_row(
                        "1",
                        "上海市",
                        "A1",
                        "上海示例有限公司",
                        "Shanghai-AOne-20240601S0001",
                        "2024/6/3",
                        "登记",
                    ),
                ],
            }
        ],
    )
    entries = [
        _entry(
            "ds_1",
            "ds/2024-08.docx",
            raw,
            format="cac_docx",
            registry="deep_synthesis",
            batch="2024-08",
        ),
        _entry(
            "ds_2",
            "ds/2024-10.docx",
            raw,
            format="cac_docx",
            registry="deep_synthesis",
            batch="2024-10",
        ),
        _entry("genai", "genai.json", raw, format="genai_json"),
    ]
    (data / "sources.yaml").write_text(yaml.safe_dump({"sources": entries}, allow_unicode=True))
    return tmp_path


def tables(project):
    d = project / "data/processed"
    return {
        n: pd.read_parquet(d / f"{n}.parquet")
        for n in ("listings", "filings", "entities", "batches", "data_quality")
    }


def test_build_core_tables(project):
    info = build(jobs=1)
    t = tables(project)
    f = t["filings"]
    ds = f[f["registry"] == "deep_synthesis"].set_index("filing_number")
    assert len(ds) == 4, "the filing listed twice counts once"
    sz = ds.loc[num("440305", serial=3)]
    assert (sz["first_batch"], sz["batches"], sz["n_batches"]) == ("2024-08", "2024-08;2024-10", 2)
    assert (sz["province_code"], sz["city_zh"], sz["province_en"]) == ("44", "深圳市", "Guangdong")
    b = t["batches"].set_index(["registry", "batch"])
    assert b.loc[("deep_synthesis", "2024-10"), "rows"] == 2
    assert b.loc[("deep_synthesis", "2024-10"), "new_filings"] == 1
    assert b.loc[("deep_synthesis", "2024-10"), "cumulative_filings"] == 4
    assert b.loc[("genai_registrations", "2024-08"), "new_filings"] == 1
    e = t["entities"].set_index("entity_name")
    assert e.loc["北京示例科技有限公司", "n_deep_synthesis"] == 2
    assert e.loc["北京示例科技有限公司", "n_genai_filings"] == 1
    dq = t["data_quality"]
    rej = dq[dq["action"] == "rejected"]
    assert list(zip(rej["source"], rej["row"], strict=True)) == [("ds_2", 4)]
    assert dq["reason"].str.contains("listed in 2 batches").any()
    assert info["rows"]["listings"] == 7
    import duckdb

    con = duckdb.connect(str(project / "data/processed/registry.duckdb"), read_only=True)
    assert con.execute("select count(*) from filings").fetchone()[0] == len(f)


def test_every_row_accounted_for(project):
    build(jobs=1)
    t = tables(project)
    per_source = t["listings"].groupby("source_id").size()
    rejected = t["data_quality"].query("action == 'rejected'").groupby("source").size()
    assert per_source.get("ds_2", 0) + rejected.get("ds_2", 0) == 3


def test_skip_when_unchanged_and_rebuild_when_raw_changes(project):
    first = build(jobs=1, force=False)
    again = build(jobs=1, force=False)
    assert again["built_at"] == first["built_at"] and again["fingerprint"] == first["fingerprint"]
    raw = project / "data/raw/ds/2024-10.docx"
    make_docx(raw, [ds_row(1, num("330106", serial=9))])
    entries = yaml.safe_load((project / "data/sources.yaml").read_text())
    entries["sources"][1].update(sha256=hashlib.sha256(raw.read_bytes()).hexdigest())
    (project / "data/sources.yaml").write_text(yaml.safe_dump(entries, allow_unicode=True))
    third = build(jobs=1, force=False)
    assert third["fingerprint"] != first["fingerprint"]


def test_failed_build_keeps_last_good_tables(project):
    build(jobs=1)
    before = (project / "data/processed/filings.parquet").read_bytes()
    (project / "data/raw/genai.json").unlink()
    with pytest.raises(BuildError, match=r"\[genai\].*cnai data pull"):
        build(jobs=1)
    assert (project / "data/processed/filings.parquet").read_bytes() == before


def test_registry_stats_json_shape(project):
    build(jobs=1)
    r = runner.invoke(app, ["registry", "stats", "--json"])
    assert r.exit_code == 0, r.output
    s = json.loads(r.output)["registries"]
    assert set(s) == {
        "deep_synthesis",
        "algorithm_recommendation",
        "genai_filings",
        "genai_registrations",
        "genai_on_device",
    }
    ds = s["deep_synthesis"]
    assert ds["filings"] == 4 and ds["by_province"] == {"11": 2, "33": 1, "44": 1}
    assert ds["batches"][1] == {
        "batch": "2024-10",
        "rows": 2,
        "new_filings": 1,
        "cumulative_filings": 4,
        "cancelled_to_date": 0,
    }
    assert (ds["cancelled"], ds["active_filings"]) == (0, 4)  # no cancellation source here


def test_registry_add_dry_run_then_real(project, tmp_path):
    build(jobs=1)
    new = make_docx(
        tmp_path / "任意名字.docx",
        [
            ds_row(1, num("340104", serial=11), entity="合肥示例有限公司"),
            ds_row(2, num("110108", serial=1)),  # already known
        ],
        title="境内深度合成服务算法备案清单（2026年5月）",
    )
    r = runner.invoke(app, ["registry", "add", str(new), "--dry-run", "--json"])
    assert r.exit_code == 0, r.output
    rep = json.loads(r.output)
    assert (rep["registry"], rep["batch"], rep["rows"]) == ("deep_synthesis", "2026-05", 2)
    assert (rep["new_filings"], rep["known_filings"]) == (1, 1)
    assert rep["by_province"] == {"11": 1, "34": 1}
    assert not (project / "data/local_sources.yaml").exists(), "dry run changed something"
    r = runner.invoke(app, ["registry", "add", str(new), "--json"])
    assert r.exit_code == 0, r.output
    f = tables(project)["filings"]
    assert (f["first_batch"] == "2026-05").sum() == 1
    r = runner.invoke(app, ["registry", "add", str(new)])
    assert r.exit_code == 1 and "already ingested" in r.output


def test_registry_add_batch_override(project, tmp_path):
    build(jobs=1)
    new = make_docx(
        tmp_path / "n.docx", [ds_row(1, num("340104", serial=12))], title=None, header=None
    )
    r = runner.invoke(app, ["registry", "add", str(new), "--dry-run", "--json"])
    assert r.exit_code == 1 and "--batch" in r.output
    r = runner.invoke(
        app, ["registry", "add", str(new), "--dry-run", "--json", "--batch", "2026-07"]
    )
    assert r.exit_code == 0 and json.loads(r.output)["batch"] == "2026-07"


@pytest.mark.parametrize("content", [b"not a zip", b"PK\x03\x04truncated"])
def test_registry_add_bad_file_changes_nothing(project, tmp_path, content):
    build(jobs=1)
    before = (project / "data/processed/filings.parquet").read_bytes()
    bad = tmp_path / "bad.docx"
    bad.write_bytes(content)
    r = runner.invoke(app, ["registry", "add", str(bad)])
    assert r.exit_code == 1 and "bad.docx" in r.output
    assert (project / "data/processed/filings.parquet").read_bytes() == before
    assert not (project / "data/local_sources.yaml").exists()
    assert not (project / "data/raw/local").exists()


def test_enrich_invalid_region_22_digits_and_corrections():
    from cnai_helpers.registry.parse import enrich_cac

    rows = pd.DataFrame(
        {
            "source_id": ["s"] * 4,
            "source_row": [2, 3, 4, 5],
            "registry": ["deep_synthesis"] * 4,
            "batch": ["2025-09"] * 4,
            "filing_number_raw": [
                num("406301", serial=1),
                num("406301", serial=2),
                "网信算备1101082242366066220017号",
                "garbage",
            ],
        }
    )
    corrections = pd.DataFrame(
        [
            {
                "registry": "deep_synthesis",
                "filing_number": num("406301", serial=2),
                "field": "region_code",
                "value": "460000",
                "reason": "test fix",
            }
        ]
    )
    issues = []
    out = enrich_cac(rows, corrections, issues, {"s": "s.docx"}).set_index("source_row")
    assert out.loc[2, "province_code"] == "unknown" and pd.isna(out.loc[2, "region_code"])
    assert out.loc[3, "province_code"] == "46"  # corrected, with the reason recorded
    assert out.loc[4, "filing_year"] == 2022 and out.loc[4, "province_code"] == "11"
    assert 5 not in out.index
    reasons = {(i.row, i.action): i.reason for i in issues}
    assert "not a GB/T 2260 province" in reasons[(2, "flagged")]
    assert "test fix" in reasons[(3, "repaired")]
    assert "22 digits" in reasons[(4, "flagged")]
    assert "not a 网信算备 number" in reasons[(5, "rejected")]
