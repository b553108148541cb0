"""The batch digest (analysis/digest.py) on small frames with hand-computed answers."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from cnai_helpers.analysis import digest
from cnai_helpers.reports.latest import latest_lists
from cnai_helpers.reports.site import Report
from tests.test_registry_build import project  # noqa: F401  (fixture: a tiny project)


def listing(batch, key, entity, prov, city=None, remarks="", registry="deep_synthesis"):
    return {
        "registry": registry,
        "batch": batch,
        "filing_key": key,
        "filing_number": key,
        "algorithm_name": f"算法{key}",
        "entity_key": entity,
        "entity_name": entity,
        "province_code": prov,
        "province_en": {"11": "Beijing", "33": "Zhejiang", "46": "Hainan"}.get(prov),
        "city_code": city,
        "city_en": {"110100": "Beijing", "330100": "Hangzhou", "460100": "Haikou"}.get(city),
        "remarks": remarks,
    }


@pytest.fixture
def frames():
    rows = [
        # 2024-01: 3 filings, A (Beijing) x2, B (Zhejiang)
        listing("2024-01", "f1", "A", "11", "110100"),
        listing("2024-01", "f2", "A", "11", "110100"),
        listing("2024-01", "f3", "B", "33", "330100"),
        # 2024-04: 1 filing
        listing("2024-04", "f4", "B", "33", "330100"),
        # 2024-08 (the digest's batch): f1 again with a remark, 2 new filings: C new to every
        # registry (Hainan, first filing from there), A returning; D filed in another
        # registry in 2024-02 (returning although new to this one)
        listing("2024-08", "f1", "A", "11", "110100", remarks="2024年7月新增算法使用产品"),
        listing("2024-08", "f5", "C", "46", "460100"),
        listing("2024-08", "f6", "C", "46", "460100"),
        listing("2024-08", "f7", "D", "33", "330100"),
        listing("2024-08", "f8", "A", "11", "110100"),
        # later batch: must not count
        listing("2024-10", "f9", "E", "11", "110100"),
    ]
    other = [listing("2024-02", "g1", "D", "33", registry="algorithm_recommendation")]
    listings = pd.DataFrame(rows)
    filings = listings.sort_values("batch", kind="stable").drop_duplicates("filing_key").copy()
    filings = filings.rename(columns={"batch": "first_batch"})
    batches = pd.DataFrame(
        {"registry": "deep_synthesis", "batch": ["2024-01", "2024-04", "2024-08", "2024-10"]}
    )
    return listings, filings, batches, pd.concat([listings, pd.DataFrame(other)])


def test_batch_figures_new_known_rank_cumulative(frames):
    listings, filings, batches, _ = frames
    fig = digest.batch_figures(listings, filings, batches, "2024-08")
    # 5 rows; f1 listed again; f5..f8 new; sizes 3, 1, 4 -> 4 is the largest; 3+1+4 = 8
    assert fig == {
        "rows": 5,
        "new_filings": 4,
        "known_filings": 1,
        "cumulative_filings": 8,
        "batch_rank": 1,
        "batches_to_date": 3,
        "previous_batch": "2024-04",
    }
    assert digest.batch_figures(listings, filings, batches, "2024-04")["batch_rank"] == 2


def test_listed_again_carries_the_remark(frames):
    listings, filings, _, _ = frames
    again = digest.listed_again(listings, filings, "2024-08")
    assert again[["filing_number", "first_batch", "remarks"]].values.tolist() == [
        ["f1", "2024-01", "2024年7月新增算法使用产品"]
    ]


def test_new_and_returning_filers_across_registries(frames):
    listings, _, _, every = frames
    first = digest.entity_first_month(every)
    rows = listings[listings["batch"] == "2024-08"]
    # A (2024-01) and D (2024-02 in another registry) return; C is new
    assert digest.filer_split(rows, first, "2024-08") == {
        "new_entities": 1,
        "returning_entities": 2,
    }
    top = digest.largest_filers(rows, first, "2024-08", n=2)
    assert top[["filer", "rows", "filer status"]].values.tolist() == [
        ["A", 2, "returning"],
        ["C", 2, "new to every registry"],  # not "new": who-files' filers are new to one registry
    ]


def test_first_places_and_shares(frames):
    _, filings, _, _ = frames
    new = filings[filings["first_batch"] == "2024-08"]
    cum = filings[filings["first_batch"] <= "2024-08"]
    first = digest.first_places(filings, "2024-08", "province_code", "province_en")
    assert first[["province_code", "place", "filings"]].values.tolist() == [["46", "Hainan", 2]]
    # hub cities Beijing + Hangzhou: batch f5..f8 -> f7, f8 = 2/4; cumulative 6/8
    hubs = ["110100", "330100"]
    assert digest.share_in(new, "city_code", hubs) == 0.5
    assert digest.share_in(cum, "city_code", hubs) == 0.75
    # top-1 province of the batch: Hainan 2 of 4
    assert digest.top_k_share(new, 1) == 0.5
    assert digest.province_dict(new) == {"11": 1, "33": 1, "46": 2}
    t = digest.place_table(new, cum, "province_code", "province_en", n=1)
    assert t[["place", "new filings", "share of batch", "share cumulative"]].values.tolist() == [
        ["Hainan", 2, 0.5, 0.25]
    ]


def test_share_in_is_none_without_cities():
    f = pd.DataFrame({"city_code": [None, None, "110100"]})
    assert digest.share_in(f, "city_code", ["110100"]) is None


def test_mix_table_only_with_enrichment(frames):
    _, filings, _, _ = frames
    assert digest.mix_table(filings, filings, "sector") is None
    sectors = {
        "f1": "media",
        "f2": "media",
        "f3": "health",
        "f4": "media",
        "f5": "health",
        "f7": "media",
        "f8": "x",
        "f9": "y",
    }
    f = filings.assign(sector=filings["filing_key"].map(sectors))
    cum = f[f["first_batch"] <= "2024-08"]
    new = f[f["first_batch"] == "2024-08"]
    t = digest.mix_table(new, cum, "sector")
    # new: f5 health, f6 none, f7 media, f8 x -> 1 each; cumulative media 4 of 8
    assert dict(zip(t["sector"], t["new filings"], strict=True)) == {
        "health": 1,
        "unknown": 1,
        "media": 1,
        "x": 1,
    }
    assert t.set_index("sector").loc["media", "share cumulative"] == 4 / 8


def test_resolve_batch_latest_and_unknown(frames):
    _, _, batches, _ = frames
    assert digest.resolve_batch(batches, "deep_synthesis") == "2024-10"
    assert digest.resolve_batch(batches, "deep_synthesis", "2024-04") == "2024-04"
    with pytest.raises(digest.DigestError, match="batch='2023-01'.*2024-01, 2024-04"):
        digest.resolve_batch(batches, "deep_synthesis", "2023-01")


def test_cancellations_between_dates_and_months():
    c = pd.DataFrame({"notice_date": ["2024-04-30", "2024-05-02", "2024-08-10", "2024-08-20"]})
    got = digest.cancellations_between(c, "2024-04", "2024-08-10")
    assert got["notice_date"].tolist() == ["2024-05-02", "2024-08-10"]
    assert len(digest.cancellations_between(c, None, "2024-08")) == 4
    b = pd.DataFrame({"batch": ["2024-04", "2024-08"], "announcement_date": ["2024-04", None]})
    assert (
        digest.batch_ref(b, "2024-04") == "2024-04" and digest.batch_ref(b, "2024-08") == "2024-08"
    )
    b.loc[1, "announcement_date"] = "2024-08-10"
    assert digest.batch_ref(b, "2024-08") == "2024-08-10" and digest.batch_ref(b, None) is None


def test_summary_text_from_figures():
    fig = {
        "batch": "2024-08",
        "new_filings": 1608,
        "batch_rank": 4,
        "batches_to_date": 9,
        "cumulative_filings": 12000,
        "known_filings": 0,
        "new_entities": 10,
        "returning_entities": 5,
        "share_hub_cities_batch": 0.24,
        "share_hub_cities_cumulative": 0.11,
        "share_top5_provinces_batch": 0.7,
    }
    top = {"place": "Zhejiang", "share of batch": 0.24, "share cumulative": 0.11}
    text = digest.summary_text(fig, "deep-synthesis", top)
    assert text.startswith(
        "1,608 new deep-synthesis filings in the August 2024 list, the 4th-largest"
    )
    assert "Zhejiang's share of new filings 24.0% against 11.0% cumulative" in text
    assert "listed again" not in text
    # one name per definition: the digest's new filers are new to every registry
    assert "10 filers new to every registry and 5 returning ones" in text
    assert "first-time" not in text
    assert digest.ordinal(11) == "11th" and digest.ordinal(22) == "22nd"


def test_for_people_formats_without_nan():
    df = pd.DataFrame({"n": [1234, None], "s": [0.5, float("nan")], "t": ["a", None]})
    out = digest.for_people(df, shares=["s"], counts=["n"])
    assert out.values.tolist() == [["1,234", "50.0%", "a"], ["n/a", "n/a", ""]]


def test_latest_lists_reads_digest_results(tmp_path):
    reports = [
        Report(
            "batch-deep_synthesis",
            "batch_digest.ipynb",
            "t",
            "q",
            parameters={"registry": "deep_synthesis"},
        ),
        Report(
            "batch-genai_filings",
            "batch_digest.ipynb",
            "t",
            "q",
            parameters={"registry": "genai_filings"},
        ),
        Report("registry-deep_synthesis", "registry_overview.ipynb", "t", "q"),
    ]
    d = tmp_path / "batch-deep_synthesis"
    d.mkdir()
    (d / "results.json").write_text(
        json.dumps(
            {
                "registry": "deep_synthesis",
                "batch": "2026-03",
                "announcement_date": "2026-03-12",
                "new_filings": 779,
                "rows": 779,
            }
        )
    )
    got = latest_lists(tmp_path, reports)
    # the genai digest is not built: left out; the overview report is not a digest
    assert got == [
        {
            "id": "batch-deep_synthesis",
            "registry": "deep_synthesis",
            "label": "Deep synthesis (深度合成)",
            "batch": "2026-03",
            "date": "2026-03-12",
            "new_filings": 779,
            "href": "batch-deep_synthesis/index.html",
        }
    ]


def test_index_shows_the_latest_lists_strip():
    from cnai_helpers.reports.render import index_html

    latest = [
        {
            "id": "batch-deep_synthesis",
            "registry": "deep_synthesis",
            "batch": "2026-03",
            "date": "2026-03-12",
            "new_filings": 1779,
            "href": "batch-deep_synthesis/index.html",
        }
    ]
    git = {"commit": "abc", "dirty": False}
    page = index_html(git=git, built_at="now", latest=latest)
    assert "Latest lists" in page and "1,779" in page
    assert '<a href="batch-deep_synthesis/index.html">' in page
    assert "Latest lists" not in index_html(git=git, built_at="now")


# ------------------------------------------------ end to end: a list the project has never seen


def test_new_list_digest_equals_an_independent_count(project, tmp_path, monkeypatch):  # noqa: F811
    """`registry add` of a generated 25-row list, then the digest notebook on it: its figures
    equal the counts of the rows written."""
    import nbformat
    import papermill as pm
    from typer.testing import CliRunner

    from cnai_helpers import paths
    from cnai_helpers.cli import app
    from cnai_helpers.registry.build import build
    from cnai_helpers.results import collect
    from tests.fixtures import ds_row, make_docx, num

    build(jobs=1)
    spec = (
        [("340104", f"合肥示例{i // 2}有限公司", 100 + i) for i in range(10)]  # 5 new filers
        + [("110108", "北京示例科技有限公司", 200 + i) for i in range(8)]  # returning
        + [("460106", "海南示例有限公司", 300 + i) for i in range(6)]  # new, first Hainan
    )
    rows = [ds_row(i + 1, num(r, serial=s), entity=e) for i, (r, e, s) in enumerate(spec)]
    rows.append(ds_row(len(rows) + 1, num("440305", serial=3), entity="深圳示例有限公司"))
    new_list = make_docx(
        tmp_path / "new.docx", rows, title="境内深度合成服务算法备案清单（2024年12月）"
    )
    r = CliRunner().invoke(app, ["registry", "add", str(new_list)])
    assert r.exit_code == 0, r.output

    monkeypatch.setenv("CNAI_ROOT", str(paths.DATA.parent))
    out = tmp_path / "digest.ipynb"
    nb_dir = Path(__file__).resolve().parent.parent / "notebooks"
    pm.execute_notebook(
        str(nb_dir / "batch_digest.ipynb"),
        str(out),
        parameters={"registry": "deep_synthesis"},
        kernel_name="cnai",
        cwd=str(nb_dir),
        progress_bar=False,
    )
    values, _ = collect(nbformat.read(out, as_version=4))
    expected = {
        "batch": "2024-12",
        "rows": 25,
        "new_filings": 24,
        "known_filings": 1,
        "new_entities": 6,
        "returning_entities": 2,
        "cumulative_filings": 4 + 24,  # 2024-08: 3, 2024-10: 1 new
        "batch_rank": 1,
        "first_time_provinces": 2,  # Anhui, Hainan
        "by_province_batch": {"11": 8, "34": 10, "46": 6},
    }
    assert {k: values[k] for k in expected} == expected
    assert values["share_top5_provinces_batch"] == 1.0
    # what the reader sees of it: the batch chart drew (finish() refuses sub-pixel bars), no
    # generative-AI section on a deep-synthesis list, places named (no admin code column)
    executed = nbformat.read(out, as_version=4)
    shown = [o for c in executed.cells for o in c.get("outputs", [])]
    texts = " ".join(str(o.get("data", {}).get("text/markdown", "")) for o in shown)
    assert "Generative AI" not in texts and "Not a generative-AI list" not in texts
    assert sum("image/png" in o.get("data", {}) for o in shown) == 1
    from cnai_helpers.display import TABLE_MIME

    tables = [o["data"][TABLE_MIME] for o in shown if TABLE_MIME in o.get("data", {})]
    places = [t for t in tables if "place" in t["columns"]]
    assert places and all("code" not in t["columns"] for t in places)
    assert all(t["columns"][0] == "place" for t in places)  # a card leads with the place


def test_quality_table_names_the_list_and_the_correction_for_people():
    dq = pd.DataFrame(
        {
            "source": ["cac_ds_2024_04", "cac_genai_filing"],
            "file": ["a.docx", "b.json"],
            "row": [484, 72],
            "registry": ["deep_synthesis", None],
            "batch": ["2025-09", "2024-08"],
            "action": ["repaired", "rejected"],
            "reason": [
                "region code 406301 -> 460000 (corrections.csv: not a GB/T 2260 code)",
                "repeated header row inside the table",
            ],
            "filing_number": ["网信算备406301334627601250011号", None],
        }
    )
    t = digest.quality_table(dq)
    assert list(t.columns) == ["list", "row", "action", "reason", "filing number"]
    assert t["list"].tolist() == ["Deep synthesis list of 2025-09", "Generative-AI list of 2024-08"]
    assert t["action"].tolist() == ["Repaired", "Rejected"]
    assert (
        t["reason"][0] == "region code 406301 → 460000 (project correction: not a GB/T 2260 code)"
    )
    assert "cac_" not in t.to_csv() and "corrections.csv" not in t.to_csv()


def test_the_place_gaining_most_in_a_batch_is_named_only_for_a_clear_gain():
    import pandas as pd

    from cnai_helpers.analysis.digest import biggest_gain

    places = pd.DataFrame(
        {
            "code": ["44", "33", "unknown", "11"],
            "place": ["Guangdong", "Zhejiang", "unknown", "Beijing"],
            "new filings": [40, 30, 20, 10],
            "share of batch": [0.30, 0.242, 0.30, 0.10],
            "share cumulative": [0.30, 0.122, 0.01, 0.25],
        }
    )
    assert biggest_gain(places) == {
        "place": "Zhejiang",
        "share_batch": 0.242,
        "share_cumulative": 0.122,
    }
    steady = places.assign(**{"share cumulative": places["share of batch"] - 0.01})
    assert biggest_gain(steady) is None  # no place gains 5 points: nothing to headline


def test_a_sector_mix_leads_with_the_known_sectors_and_says_its_coverage():
    """A batch's sector table led with "Unclassified 47.9%": the known sectors come first, the
    unknown last (kept when the table is cut to its top rows), and the coverage is stated."""
    import pandas as pd

    from cnai_helpers.analysis import digest

    new = pd.DataFrame(
        {"sector": ["unclassified"] * 5 + ["healthcare"] * 3 + ["legal"] * 2 + [None]}
    )
    mix = digest.mix_table(new, new, "sector")
    assert mix["sector"].tolist() == ["healthcare", "legal", "unclassified", "unknown"]
    assert digest.unknown_last(mix, "sector", top=1)["sector"].tolist() == [
        "healthcare",
        "unclassified",
        "unknown",
    ]
    assert digest.known_share(new["sector"]) == 5 / 11
