"""The registry explorer, the filer pages and the data release, made by the report build's
site-pages step from the real core tables, read in a real browser (Debian's headless Chromium)
and checked against the tables (the real site built once per run, conftest.real_site): one load of the explorer (timed), a few filer pages, the data
package (Frictionless, DuckDB). Timings are measured in the page (``performance.now()``)."""

from __future__ import annotations

import csv
import io
import json
import time

import pandas as pd
import pytest

from cnai_helpers import filers
from cnai_helpers.reports import explorer
from tests.test_browser import SHOTS, check_links, need_chromium, open_page, shot

LOAD_MS, SEARCH_MS = 2000, 200  # the targets, measured in the browser


@pytest.fixture(scope="module")
def built(real_site):
    """(site folder, status of a second run of the site-pages step, its seconds): the pages of
    the real site built once per run (conftest.real_site), not a second build of them."""
    root = real_site.root
    t = time.perf_counter()  # the site build's own call: the site's reports, the site's name
    again = explorer.build_site_pages(root, [r.id for r in real_site.reports if not r.is_variant])
    return root, again, time.perf_counter() - t


@pytest.fixture(scope="module")
def filings(real_raw):
    from cnai_helpers.loaders import load_filings

    return load_filings()


@pytest.fixture(scope="module")
def served(built, real_site_url):
    return real_site_url


@pytest.mark.mirror
def test_step_writes_the_pages_and_is_skipped_when_nothing_changed(built, filings):
    root, again, seconds = built
    assert again["status"] == "skipped" and seconds < 1.0, (again, seconds)
    index = (root / "index.html").read_text("utf-8")
    assert 'href="explorer/index.html">Find a filer' in index
    assert 'href="download/index.html">Download the data' in index
    ids, _ = filers.assign_filers(filings)
    pages = {p.stem for p in (root / "filer").glob("*.html")}
    assert set(ids) <= pages, "a filer without a page"
    state = json.loads((root / explorer.STATE).read_text("utf-8"))
    assert state["filings"] == len(filings) and state["filers"] == ids.nunique()


@pytest.mark.mirror
def test_data_package_validates_and_loads_in_duckdb(built, filings):
    import duckdb
    from frictionless import Package

    from cnai_helpers.loaders import load_batches, load_cancellations
    from cnai_helpers.registry.stats import registry_stats

    dl = built[0] / "download"
    pkg = json.loads((dl / "datapackage.json").read_text("utf-8"))
    names = [r["name"] for r in pkg["resources"]]
    assert "filings" in names and pkg["version"].startswith("ds")
    fil = next(r for r in pkg["resources"] if r["name"] == "filings")
    org = next(f for f in fil["schema"]["fields"] if f["name"] == "org_type")
    assert "private" in org["constraints"]["enum"] and org["description"]
    report = Package(str(dl / "datapackage.json")).validate()
    assert report.valid, report.flatten(["resourceName", "rowNumber", "fieldName", "note"])[:10]
    stats = registry_stats(filings, load_batches(), load_cancellations())["registries"]
    con = duckdb.connect()
    counts = dict(
        con.execute(
            "SELECT registry, count(*) FROM read_csv(?, all_varchar=true) GROUP BY registry",
            [str(dl / "filings.csv")],
        ).fetchall()
    )
    assert counts == {reg: d["filings"] for reg, d in stats.items()}
    db = duckdb.connect(str(dl / "registry.duckdb"), read_only=True)
    assert db.execute("SELECT count(*) FROM filings").fetchone()[0] == len(filings)
    readme = (dl / "README.md").read_text("utf-8")
    from cnai_helpers.release import sha256_file

    assert sha256_file(dl / "filings.parquet") in readme
    # the curated tables and the claims' readings, byte for byte as committed (and validated
    # above against their declared schemas): the reports' hand-made inputs are downloadable too
    from cnai_helpers import paths
    from cnai_helpers.release import curated_tables

    curated = {r["name"]: r for r in pkg["resources"] if r.get("cnai:layer") == "curated"}
    assert set(curated) == set(curated_tables()) and {"claims", "labelled_sample"} <= set(curated)
    for name, r in curated.items():
        assert r["hash"] == "sha256:" + sha256_file(paths.curated_table(name)), name
    readings = dl / pkg["cnai:claim_readings"]["path"]
    assert readings.read_bytes() == paths.curated_table("claim_readings").read_bytes()
    page = (dl / "index.html").read_text("utf-8")
    assert 'href="curated/claims.csv"' in page and 'href="curated/claim_readings.yaml"' in page
    assert "curated/claims.csv" in readme


@pytest.mark.browser
@pytest.mark.mirror
def test_a_row_shows_the_english_name_beside_the_published_one(served, filings, browser):
    """A reader at 390 px searched "DeepSeek" and saw only 北京深度求索人工智能基础技术研究有限公司:
    a filer the project's table names in English shows that name beside the published one (as
    its filer page does); a filer without one shows its published name alone."""
    need_chromium()
    english = filers.english_names(filings["entity_name"].unique())
    ids, _ = filers.assign_filers(filings)
    shown = filers.english_by_filer(filings, ids, english)
    fid_of = dict(zip(filings["entity_name"], ids, strict=True))
    name = next(n for n in english if fid_of.get(n) in shown)
    page, errors, _ = open_page(browser, served + "explorer/index.html")
    page.wait_for_selector("html[data-explorer-indexed]", state="attached", timeout=15_000)
    page.fill("#f-q", name)
    page.wait_for_function("document.querySelectorAll('#filings td.filer').length > 0")
    cells = page.eval_on_selector_all("#filings td.filer", "els => els.map(e => e.innerText)")
    assert f"{name} — {shown[fid_of[name]]}" in cells, cells[:3]
    plain = next(n for n in filings["entity_name"] if fid_of[n] not in shown)
    page.fill("#f-q", plain)
    page.wait_for_function(
        "n => [...document.querySelectorAll('#filings td.filer')].some(e => e.innerText === n)",
        arg=plain,
    )
    assert not errors, errors
    page.close()


@pytest.mark.browser
@pytest.mark.mirror
def test_on_a_phone_the_first_results_show_under_the_search_box(served, browser):
    """At 390 px the ten filters took the first screen and a search's first result was ~1,360
    px down: on a phone the filters besides the search are folded under "Filters", whose
    summary counts those set, and the first result starts within the first screen and a half."""
    need_chromium()
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(served + "explorer/index.html#registry=deep_synthesis", wait_until="load")
    page.wait_for_selector("html[data-explorer-indexed]", state="attached", timeout=15_000)
    assert page.eval_on_selector("#f-more", "d => d.open") is False
    assert page.inner_text("#f-more > summary").strip() == "Filters (1 set)"
    page.fill("#f-q", "北京")
    page.wait_for_function("document.querySelectorAll('#filings td.filer').length > 0")
    top = page.eval_on_selector("#filings td.filer", "e => e.getBoundingClientRect().top + scrollY")
    assert top < 1.5 * 844, f"the first result is {top:.0f} px down"
    page.click("#f-more > summary")  # unfolded, every filter is there to use
    assert page.is_visible("#f-province") and page.is_visible("#f-clear")
    page.close()
    wide = browser.new_page(viewport={"width": 1200, "height": 900})
    wide.goto(served + "explorer/index.html", wait_until="load")
    assert wide.eval_on_selector("#f-more", "d => d.open") is True  # a wide screen: all shown
    wide.close()


def _csv_numbers(text: str) -> list[str]:
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    return [r["filing_number"] for r in rows]


@pytest.mark.browser
@pytest.mark.mirror
def test_explorer_finds_filters_and_downloads(built, served, filings, browser, tmp_path):
    need_chromium()
    # loaded: the table shown and the search texts made (from the start of the navigation);
    # the best of two loads, as the machine is shared
    loads = []
    for _ in range(2):
        page, errors, _ = open_page(browser, served + "explorer/index.html")
        page.wait_for_selector("html[data-explorer-indexed]", state="attached", timeout=15_000)
        loads.append(page.evaluate("() => window.cnaiExplorer.indexedMs"))
        if loads[-1] < LOAD_MS:
            break
        page.close()
    assert min(loads) < LOAD_MS, f"explorer loaded after {loads} ms"
    assert f"All {len(filings):,} filings" in page.inner_text("#cnai-count")

    def selection(q: dict) -> tuple[float, list[str]]:
        ms = page.evaluate("q => window.cnaiExplorer.apply(q)", q)
        numbers = _csv_numbers(page.evaluate("() => window.cnaiExplorer.selectionCsv()"))
        return ms, numbers

    empty = dict.fromkeys(
        ("q", "registry", "from", "to", "province", "city", "role", "org", "sector", "status"), ""
    )
    # a filer with filings in two registries: by its Chinese name, pinyin, and filing number
    ids, _ = filers.assign_filers(filings)
    f = filings.assign(filer_id=ids)
    two = f.groupby("filer_id")["registry"].nunique()
    fid = "1058580" if two.get("1058580", 0) >= 2 else two[two >= 2].index[0]
    mine = f[f["filer_id"] == fid]
    name = mine["entity_name"].iloc[0]
    full, initials = filers.pinyin(name)
    number = mine["filing_number"].iloc[0]
    timings = {}
    for query in (name, full, number):
        ms, got = selection({**empty, "q": query})
        timings[query] = ms
        want = filers.search(filings, query)["filing_number"]
        assert set(got) == set(want) and len(got) == len(want), query
        assert number in got or query != number
    assert max(timings.values()) < SEARCH_MS, timings
    assert set(mine["filing_number"]) <= set(selection({**empty, "q": full})[1])
    # typing in the box does the same
    page.fill("#f-q", initials)
    count = page.inner_text("#cnai-count")
    assert count.startswith(f"{len(filers.search(filings, initials)):,} of"), count

    # filters combine (with each other and with the search)
    q = {**empty, "registry": "deep_synthesis", "province": "11", "status": "active"}
    q.update({"from": "2024-01", "to": "2024-12", "org": "private"})
    _, got = selection(q)
    want = filings[
        (filings["registry"] == "deep_synthesis")
        & (filings["province_code"] == "11")
        & filings["cancelled_month"].isna()
        & filings["first_batch"].between("2024-01", "2024-12")
        & (filings["org_type"] == "private")
    ]
    assert len(got) == len(want) > 0 and set(got) == set(want["filing_number"])
    _, narrower = selection({**q, "q": "zhipu"})
    assert 0 < len(narrower) < len(got) and set(narrower) <= set(got)
    assert page.inner_text("#cnai-count").startswith(f"{len(narrower)} of")

    # the CSV download is the selection, in the table's order
    with page.expect_download() as dl:
        page.click("#cnai-csv")
    text = dl.value.path().read_text(encoding="utf-8")
    assert _csv_numbers(text) == narrower
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert {r["registry"] for r in rows} == {"deep_synthesis"}
    assert {r["status"] for r in rows} == {"active"}
    shot(page, SHOTS / "explorer.png", full_page=False)
    assert not errors, errors

    # the filer's page lists its filings of every registry, and its names
    page.goto(served + f"filer/{fid}.html")
    table_text = page.inner_text("#filer-filings")
    for n in mine["filing_number"]:
        assert n in table_text, n
    regs = pd.Series(mine["registry"].unique())
    from cnai_helpers.reference import registry_label

    for reg in regs:
        assert registry_label(reg) in table_text
    body = page.inner_text("body")
    for n in mine["entity_name"].unique():
        assert n in body
    assert check_links(page, served) >= 2  # digests, explorer, download
    shot(page, SHOTS / "filer.png")
    # an old id of the filer (another name of a renamed filer) leads to the same page
    _, aliases = filers.assign_filers(filings)
    alias = next((a for a, t in aliases.items() if t == fid and not a.startswith("n")), None)
    if alias:
        page.goto(served + f"filer/{alias}/index.html")
        page.wait_for_url(f"**/filer/{fid}.html")
    errors.clear()
    stub = next(iter(sorted((built[0] / "filer").glob("*/index.html"))))
    page.goto(served + f"filer/{stub.parent.name}/index.html")
    page.wait_for_url("**/filer/*.html")
    assert not errors, errors  # the redirecting page's stylesheet is found (../../assets/)
    page.close()


@pytest.mark.browser
@pytest.mark.mirror
def test_explorer_works_opened_from_disk(built, browser):
    need_chromium()
    page, errors, _ = open_page(browser, (built[0] / "explorer" / "index.html").as_uri())
    page.wait_for_selector("html[data-explorer-indexed]", state="attached", timeout=15_000)
    page.fill("#f-q", "网信算备")
    assert "filings match" in page.inner_text("#cnai-count")
    assert not errors, errors
    page.close()


@pytest.mark.browser
@pytest.mark.mirror
@pytest.mark.parametrize(
    "path", ("explorer/index.html", "filer/1058580.html", "download/index.html")
)
def test_no_critical_accessibility_violations(served, browser, path):
    from axe_playwright_python.sync_playwright import Axe

    need_chromium()
    page, _, _ = open_page(browser, served + path)
    if path.startswith("explorer"):
        page.wait_for_selector("html[data-explorer-ready]", state="attached", timeout=15_000)
    results = Axe().run(page)
    critical = [v["id"] for v in results.response["violations"] if v.get("impact") == "critical"]
    assert not critical, f"{path}: critical accessibility violations {critical}"
    page.close()


@pytest.mark.mirror
def test_every_redirect_leads_to_a_page_that_exists(built, filings):
    """Each other id a filer is known by (filer/<alias>/index.html) sends the reader to the
    filer's page, which exists: the stubs once pointed at ../<id>/index.html, a 404 for every
    old filer address."""
    import re

    root = built[0]
    stubs = [p for p in (root / "filer").glob("*/index.html")]
    assert len(stubs) > 100, len(stubs)
    _, aliases = filers.assign_filers(filings)
    broken = []
    for stub in stubs + [root / "filer" / "index.html"]:
        html = stub.read_text("utf-8")
        target = re.search(r'http-equiv="refresh" content="0; url=([^"]+)"', html).group(1)
        link = re.search(r'<a href="([^"]+)">', html).group(1)
        dest = (stub.parent / target).resolve()
        if link != target or not dest.is_file():
            broken.append((stub.relative_to(root).as_posix(), target))
        elif stub.parent.name in aliases:
            assert dest.name == f"{aliases[stub.parent.name]}.html", stub
    assert not broken, broken[:5]


def _visible(path):
    from bs4 import BeautifulSoup

    from tests.site_checks import visible_text

    soup = BeautifulSoup(path.read_text("utf-8"), "html.parser")
    return soup, " ".join(visible_text(soup).split())


@pytest.mark.mirror
def test_download_page_lists_only_the_release_and_says_how_to_cite_it(built):
    import re

    from tests.site_checks import iso_dates, prose_leaks

    dl = built[0] / "download"
    soup, text = _visible(dl / "index.html")
    listed = [a["href"] for a in soup.select("td a[download]")]
    assert listed and not [n for n in listed if n.startswith(".")], listed  # no .cnai-temporary
    assert all((dl / n).is_file() for n in listed)
    # the version named by the registries' labels, not their codes, and its lists by month
    assert re.search(r"Deep synthesis \(深度合成\), [A-Z][a-z]+ 20\d\d", text), text[:300]
    assert not prose_leaks(soup) + iso_dates(soup), prose_leaks(soup) + iso_dates(soup)
    cite = soup.select_one("#cite p").get_text()
    assert cite.startswith("cnai contributors") and "Version" in cite and "Built" in cite
    licence = soup.select_one("#licence").get_text()
    assert "MIT" in licence and "CC BY 4.0" in licence
    # each licence line says whose terms it is: the source's name first
    terms = [li.get_text() for li in soup.select("ul.cnai-licences li")]
    assert terms and all(t.startswith("CAC ") and "licence" in t for t in terms), terms
    assert "Data as of" in text and "list of" in text
    # each table's grain in its own words: "one filer (published name)", brackets closed
    said = [
        td.get_text()
        for td in soup.select("td[data-label='One row is'], td[data-label='What it holds']")
    ]
    assert said and all(t.count("(") == t.count(")") for t in said), said
    assert "`" not in text  # tables.yaml's backquoted commands shown as code, not as quotes


@pytest.mark.mirror
def test_filer_pages_read_as_prose_with_labels_for_people(built, filings):
    from tests.site_checks import prose_leaks

    root = built[0]
    ids, _ = filers.assign_filers(filings)
    f = filings.assign(filer_id=ids)
    sample = {
        "2959887",  # Tencent: algorithm filings of two registries, roles 服务提供者 / 服务技术支持者
        f.loc[f["org_type"] == "central_soe", "filer_id"].iloc[0],
        f.loc[f["registry"] == "genai_filings", "filer_id"].iloc[0],
        f.loc[f["cancelled_month"].notna(), "filer_id"].iloc[0],
    }
    for fid in sorted(sample):
        soup, text = _visible(root / "filer" / f"{fid}.html")
        assert not prose_leaks(soup), (fid, prose_leaks(soup))
        assert ".py" not in text and "cnai_helpers" not in text and "data/curated" not in text, fid
        rows = soup.select("#filer-filings tbody tr")
        assert rows, fid
        for tr in rows:
            cells = {td["data-label"]: td.get_text(" ", strip=True) for td in tr.select("td")}
            assert cells["Status"].startswith(("Active", "Cancelled")), cells
            assert cells["Sector"][:1].isupper(), cells
            assert "_" not in cells["Sector"] and cells["Product"] != "--", cells
            role = cells["Role or category"]
            assert role == "—" or role[:1].isascii(), cells  # English first, the Chinese after
        assert soup.select_one("#cite p") and "MIT" in soup.select_one("#licence").get_text()
        assert "Data as of" in text
    tencent = (root / "filer" / "2959887.html").read_text("utf-8")
    assert (
        "Service provider (服务提供者)" in tencent
        or "Technical supporter (服务技术支持者)" in tencent
    )


@pytest.mark.mirror
def test_english_names_find_a_known_company_and_no_other(filings):
    """The curated English names: each pattern names some filer, none reaches another company
    (中网易企秀 is not NetEase), and a search by the English name finds every filing of the
    filers it names (Tencent: all of them, not the two whose numbers spell Tencent)."""
    from cnai_helpers.metadata import read_curated

    table = read_curated("filer_names")
    names = filings["entity_name"].unique()
    english = filers.english_names(names, table)
    named = {e["name"] for hits in english.values() for e in hits}
    assert set(table["english_name"]) == named, set(table["english_name"]) - named
    assert not english.get("北京中网易企秀科技有限公司")
    assert [e["name"] for e in english["深圳市腾讯计算机系统有限公司"]] == ["Tencent"]
    ids, _ = filers.assign_filers(filings)
    f = filings.assign(filer_id=ids)
    tencent = f[f["entity_name"].isin([n for n, e in english.items() if e[0]["name"] == "Tencent"])]
    want = set(f.loc[f["filer_id"].isin(set(tencent["filer_id"])), "filing_number"])
    got = set(filers.search(filings, "Tencent")["filing_number"])
    assert want <= got and len(want) > 30, (len(want), len(got))


@pytest.mark.browser
@pytest.mark.mirror
@pytest.mark.parametrize("query", ("腾讯计算机", "Tencent"))
def test_site_search_finds_a_filer_by_part_of_its_name(served, browser, query):
    """The site's search (pagefind, on the index) finds Tencent's filer page by a part of its
    Chinese name from the middle (an English page: the words are split at spaces only) and by
    its English name; an old address of a filer loads its page without a missing file."""
    from cnai_helpers.reports.search import pagefind_command

    need_chromium()
    if pagefind_command() is None:
        pytest.fail("pagefind is not installed (pip install 'pagefind[extended]')")
    page, errors, _ = open_page(browser, served + "index.html")
    page.fill("#pagefind-search input", query)
    page.wait_for_function(
        "() => [...document.querySelectorAll('.pagefind-ui__result-link')]"
        ".some(a => a.getAttribute('href').includes('filer/2959887'))",
        timeout=15_000,
    )
    assert not errors, errors
    page.close()


@pytest.mark.mirror
def test_a_filer_page_shows_its_hand_labels_and_how_much_has_a_known_sector(built, filings):
    """Tencent's page (a reader found 腾讯会议虚拟背景算法 called tourism by the rules and 10 of 38
    filings unclassified): the coder's label is shown and marked, the rules' call is the cell's
    tooltip, and the sector line says how many filings have a known sector, from the data."""
    from cnai_helpers import curated
    from cnai_helpers.formatting import fmt
    from cnai_helpers.reference import value_label

    soup, _ = _visible(built[0] / "filer" / "2959887.html")
    ids, _ = filers.assign_filers(filings)
    mine = filings[(ids == "2959887").to_numpy()]
    shown = explorer.sectors_shown(mine, curated.load_sector_hand_labels())
    cov = explorer.sector_coverage(shown)
    line = soup.select_one("#filer-sectors").get_text(" ", strip=True)
    want = f"Sector known for {fmt(cov['share'], 'share')} of these filings ({cov['known']} of {len(mine)})"
    assert want in line, line
    assert f"{cov['hand']} coder-labelled" in line and cov["hand"] == len(mine) > 30
    top = shown["sector_shown"].value_counts().index[0]
    assert line.startswith(value_label(top)), line  # the mix leads with the largest sector
    n_top = int((shown["sector_shown"] == top).sum())  # a count says what it counts
    assert line.startswith(f"{value_label(top)} ({n_top} filings)"), line
    cells = {
        tr.select_one("td").get_text(strip=True): tr.select_one('td[data-label="Sector"]')
        for tr in soup.select("#filer-filings tbody tr")
    }
    meeting = cells["腾讯会议虚拟背景算法"]
    assert meeting.get_text(" ", strip=True) == "Cross-sector (coder-labelled)"
    assert meeting["title"] == "The rules' call: Tourism & hospitality"
    assert not any(c.get_text(strip=True).startswith("Unclassified") for c in cells.values())


@pytest.mark.browser
@pytest.mark.mirror
def test_the_explorer_marks_hand_labels_says_sector_coverage_and_keeps_the_rules_call(
    built, served, filings, browser
):
    from cnai_helpers import curated

    need_chromium()
    page, errors, _ = open_page(browser, served + "explorer/index.html")
    page.wait_for_selector("html[data-explorer-indexed]", state="attached", timeout=15_000)
    cov = explorer.sector_coverage(
        explorer.sectors_shown(filings, curated.load_sector_hand_labels())
    )
    assert page.inner_text("#cnai-sector-known") == (
        f"Sector known for {100 * cov['share']:.1f}% of these filings ({cov['known']:,} of "
        f"{cov['n']:,}; {cov['hand']:,} coder-labelled)"
    )
    for query, shown, rules in (
        ("腾讯会议虚拟背景", "Cross-sector", "tourism_hospitality"),
        ("盖乐世", "Cross-sector", "unclassified"),
        ("上海丁园健康 临床决策", "Healthcare", "unclassified"),
    ):
        page.evaluate("q => window.cnaiExplorer.apply(q)", {"q": query})
        cell = page.locator('#filings td[data-label="Sector"]').first
        assert cell.inner_text() == f"{shown} (coder-labelled)", query
        assert page.inner_text("#cnai-sector-known").startswith(
            "Sector known for 100.0% of these filings (1 of 1; 1 coder-labelled)"
        ), query
        text = page.evaluate("() => window.cnaiExplorer.selectionCsv()")
        (row,) = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
        assert row["sector_source"] == "coder's label, top filers", row
        assert row["sector_by_rules"] == rules and row["sector"] != rules, row
    assert not errors, errors
    page.close()
