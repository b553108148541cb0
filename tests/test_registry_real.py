"""Checks on the real mirror: totals against what the CAC announced, every row accounted for."""

from __future__ import annotations

import json

import docx
import pytest

from cnai_helpers.loaders import (
    load_batches,
    load_cancellations,
    load_data_quality,
    load_filings,
    load_listings,
)
from cnai_helpers.manifest import load_manifest

pytestmark = pytest.mark.mirror


@pytest.fixture(scope="module", autouse=True)
def _built(real_raw):
    return real_raw


def cumulative(registry: str, batch: str) -> int:
    b = load_batches(registry)
    return int(b.loc[b["batch"] <= batch, "new_filings"].sum())


def test_genai_cumulative_filings_match_cac_announcements():
    # CAC: 302 generative-AI services filed by the end of 2024 (list announced 2025-01),
    # 748 by the end of 2025 (2025 annual summary, announced 2026-01: cum_beian 748).
    assert cumulative("genai_filings", "2025-01") == 302
    assert cumulative("genai_filings", "2025-12") == 748


def test_genai_registrations_one_short_of_cac_summary_and_none_lost_in_parsing():
    # CAC's 2025 summary says 435 registrations by the end of 2025. The published incremental
    # lists hold 434 registration rows up to 2025-12, every one a distinct number, and the parser
    # keeps all of them: the one-row gap is in the published lists, not in cnai's parsing.
    assert cumulative("genai_registrations", "2025-12") == 434
    rows = load_listings("genai_registrations")
    rows = rows[rows["batch"] <= "2025-12"]
    assert len(rows) == rows["filing_number"].nunique() == 434
    dq = load_data_quality()
    lost = dq[(dq["source"] == "cac_genai_filing") & (dq["action"] == "rejected")]
    assert set(lost["reason"]) == {"repeated header row inside the table"}


def test_every_docx_row_accounted_for(real_raw):
    listings = load_listings()
    dq = load_data_quality()
    per_source = listings.groupby("source_id").size()
    rejected = dq[dq["action"] == "rejected"].groupby("source").size()
    for s in load_manifest(include_local=False):
        if s.format != "cac_docx":
            continue
        d = docx.Document(str(s.raw_path(real_raw)))
        n_rows = sum(len(t.rows) - 1 for t in d.tables)
        assert per_source.get(s.id, 0) + rejected.get(s.id, 0) == n_rows, s.id


def test_every_genai_row_accounted_for(real_raw):
    src = next(s for s in load_manifest(include_local=False) if s.format == "genai_json")
    doc = json.loads(src.raw_path(real_raw).read_text(encoding="utf-8"))
    n_rows = sum(len(b["rows"]) for b in doc["batches"])
    listings = load_listings()
    dq = load_data_quality()
    ours = (listings["source_id"] == src.id).sum()
    rejected = ((dq["source"] == src.id) & (dq["action"] == "rejected")).sum()
    assert ours + rejected == n_rows


def test_filings_unique_and_provinces_known():
    f = load_filings()
    assert not f.duplicated(["registry", "filing_key"]).any()
    ds = f[f["registry"] == "deep_synthesis"]
    assert len(ds) > 5000
    assert (ds["province_code"] == "unknown").mean() < 0.01
    assert ds["province_code"].nunique() >= 25


def test_no_two_cities_share_an_english_name():
    """A reader's review: filings.csv's city_en said Suzhou for 苏州 (Jiangsu) and 宿州 (Anhui), so a
    table grouped by it merged the two (142 against the geography page's 136)."""
    from cnai_helpers.loaders import load_listings

    cities = load_listings()[["city_zh", "city_en"]].dropna().drop_duplicates()
    shared = cities[cities["city_en"].duplicated(keep=False)].sort_values("city_en")
    assert shared.empty, shared.to_string()
    assert set(cities["city_en"]) >= {"Suzhou", "Suzhou (Anhui)"}


def test_batches_cover_every_manifest_batch():
    b = load_batches()
    for s in load_manifest(include_local=False):
        if s.format == "cac_docx":
            row = b[(b["registry"] == s.registry) & (b["batch"] == s.batch)]
            assert len(row) == 1 and int(row["rows"].iloc[0]) > 0, s.id


def test_cancellations_all_found_in_published_lists():
    c = load_cancellations()
    assert len(c) == 57
    assert c["registry"].value_counts().to_dict() == {
        "deep_synthesis": 46,
        "algorithm_recommendation": 11,
    }
    assert c["listed"].all(), c.loc[~c["listed"], "filing_number"].tolist()
    assert c["notice_url"].str.startswith("https://beian.cac.gov.cn/").all()
    assert c["notice_date"].nunique() == 7
    f = load_filings()
    assert f["cancelled_month"].notna().sum() == 57


def test_stats_json_active_is_filings_minus_cancelled():
    from typer.testing import CliRunner

    from cnai_helpers.cli import app

    r = CliRunner().invoke(app, ["registry", "stats", "--json"])
    assert r.exit_code == 0, r.output
    s = json.loads(r.output)
    regs = s["registries"]
    for d in regs.values():
        assert d["active_filings"] == d["filings"] - d["cancelled"]
        for b in d["batches"]:
            assert 0 <= b["cancelled_to_date"] <= b["cumulative_filings"]
    assert regs["deep_synthesis"]["cancelled"] == 46
    assert regs["algorithm_recommendation"]["cancelled"] == 11
    assert s["cancellations"]["total"] == 57 and s["cancellations"]["not_listed"] == 0


def test_batch_and_data_quality_filters(real_raw):
    b = load_batches("deep_synthesis", "2024-01", "2024-12")
    assert len(b) and b["batch"].between("2024-01", "2024-12").all()
    assert set(b["registry"]) == {"deep_synthesis"}
    dq = load_data_quality("genai_registrations")
    everything = load_data_quality()
    assert len(dq) < len(everything)
    assert set(dq["source"]) <= set(load_listings("genai_registrations")["source_id"])
    assert (dq["registry"].isna() | (dq["registry"] == "genai_registrations")).all()


def test_sector_and_org_type_queryable_in_duckdb():
    """The who-files enrichment is in registry.duckdb: an analyst groups by sector or org_type
    without a notebook, and every filing has both."""
    import duckdb

    from cnai_helpers import paths

    con = duckdb.connect(str(paths.PROCESSED / "registry.duckdb"), read_only=True)
    n = len(load_filings())
    for col in ("sector", "org_type"):
        counts = dict(con.sql(f"select {col}, count(*) from filings group by 1").fetchall())
        assert None not in counts and sum(counts.values()) == n, col
    labelled = con.execute("select count(*) from filings where sector_source = 'label'").fetchone()[
        0
    ]
    assert 0 < labelled <= 450


def test_three_generative_lists_to_march_2025_add_up_to_the_dataset_size_trivium_states():
    # The 80% claim's source (Trivium China's dataset, "as of April 2025") states its size in
    # data/curated/source_statements.csv; the reading pools the three generative lists to their
    # last list before that date because their counts add up to it. A parser that lost or
    # duplicated rows on any of the three lists breaks the identity the reading rests on.
    from cnai_helpers import curated

    stated = curated.load_table("source_statements")
    size = stated.loc[
        (stated["claim"] == "hubs_80") & (stated["metric"] == "dataset_size"), "value"
    ]
    assert len(size) >= 1 and size.nunique() == 1
    lists = ("deep_synthesis", "genai_filings", "genai_registrations")
    counts = {r: int((load_filings(r)["first_batch"] <= "2025-03").sum()) for r in lists}
    assert all(counts.values()), counts
    assert sum(counts.values()) == int(size.iloc[0]), counts
