"""The whole site's registry pages read like its report pages (tests/test_site_full.py checks
those): the explorer, a sample of filer pages, the data release, and a filer's redirect, from the
site built once per run (conftest.real_site), in Debian's headless Chromium at 390 and 1366 px.

Per page and width: no sideways scrolling, every table cell's text in view or in a box that
scrolls sideways and says so, no badge on two lines, no console error, links that resolve; in
the HTML: no code names or machine grammar in the prose, a citation, a licence line and how
current the data are. The site's search finds a filer by its name, and shows no heading anchors
(¶) in its excerpts."""

from __future__ import annotations

import re

import pytest

from tests.site_checks import card_leaks, hidden_cells, prose_leaks, wrapped_badges
from tests.test_browser import check_links, open_page

pytestmark = [pytest.mark.browser, pytest.mark.mirror]

TENCENT = "2959887"  # 深圳市腾讯计算机系统有限公司: filings in three registries


@pytest.fixture(scope="module")
def pages(real_site, real_site_url):
    """(url, site root, paths): the explorer, the data release and a sample of filer pages:
    Tencent, a central SOE, a filer of generative-AI filings only, the filer with the most
    names, and one with a cancelled filing."""
    from cnai_helpers import filers
    from cnai_helpers.loaders import load_filings

    f = load_filings()
    ids, _ = filers.assign_filers(f)
    f = f.assign(filer_id=ids.to_numpy())
    by = f.groupby("filer_id")
    genai_only = by["registry"].agg(lambda r: set(r) <= {"genai_filings", "genai_registrations"})
    sample = {
        TENCENT,
        f.loc[f["org_type"] == "central_soe", "filer_id"].iloc[0],
        genai_only[genai_only].index[0],
        by["entity_name"].nunique().idxmax(),
        f.loc[f["cancelled_month"].notna(), "filer_id"].iloc[0],
    }
    paths = ["explorer/index.html", "download/index.html"]
    paths += [f"filer/{fid}.html" for fid in sorted(sample)]
    return real_site_url, real_site.root, paths


def _ready(page, path: str) -> None:
    if path.startswith("explorer"):
        page.wait_for_selector("html[data-explorer-ready]", state="attached", timeout=15_000)
    page.evaluate("window.dispatchEvent(new Event('resize'))")  # site.js marks the scroll boxes


@pytest.mark.parametrize("width", (390, 1100, 1366))
def test_registry_pages_show_every_cell_at_both_widths(pages, browser, width):
    """At a phone's, a small laptop's (1100 px: the explorer's table scrolls in its box there)
    and a wide screen's width: every cell in view or in a box that says it scrolls, no sideways
    page, no badge on two lines, no card that keeps the wide table's sticky column."""
    url, _, paths = pages
    problems = []
    for path in paths:
        page = browser.new_page(viewport={"width": width, "height": 900})
        errors = []
        page.on("console", lambda m, e=errors: e.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda x, e=errors: e.append(str(x)))
        page.goto(url + path, wait_until="load")
        _ready(page, path)
        cells = hidden_cells(page)
        if cells:
            problems.append(
                f"{path} at {width} px: {len(cells)} cells out of sight, e.g. {cells[:3]}"
            )
        sideways = page.evaluate("document.documentElement.scrollWidth")
        if sideways > width:
            problems.append(f"{path} at {width} px: the page scrolls sideways ({sideways} px)")
        problems += [
            f"{path} at {width} px: badge on two lines {b!r}" for b in wrapped_badges(page)
        ]
        problems += [f"{path} at {width} px: console error {e}" for e in errors]
        leaks = card_leaks(page)
        if leaks:
            problems.append(f"{path} at {width} px: sticky column inside cards, e.g. {leaks[:3]}")
        page.close()
    assert not problems, "\n".join(problems)


def test_registry_pages_read_as_publications(pages, browser):
    from bs4 import BeautifulSoup

    url, root, paths = pages
    problems, titles, fetched = [], {}, set()
    for path in paths:
        soup = BeautifulSoup((root / path).read_text(encoding="utf-8"), "html.parser")
        problems += [f"{path}: {leak}" for leak in prose_leaks(soup)]
        text = " ".join(soup.get_text(" ").split())
        for bad in ("cnai_helpers/", ".py", "data/curated", ".cnai-temporary", " -> "):
            if bad in text:
                problems.append(f"{path}: {bad!r} in the text")
        cite = soup.select_one("#cite p")
        if (
            not cite
            or not cite.get_text().startswith("cnai contributors")
            or "Version" not in cite.get_text()
        ):
            problems.append(f"{path}: no citation with author and version")
        licence = soup.select_one("#licence")
        if not licence or "MIT" not in licence.get_text() or "CC BY" not in licence.get_text():
            problems.append(f"{path}: no licence line")
        if "Data as of" not in text or not re.search(r"latest list [A-Z][a-z]+ \d{4}", text):
            problems.append(f"{path}: does not say how current the data are")
        title = soup.title.get_text() if soup.title else ""
        titles.setdefault(title, []).append(path)
        page, errors, _ = open_page(browser, url + path)
        _ready(page, path)
        try:
            check_links(page, url, fetched)
        except AssertionError as e:
            problems.append(f"{path}: {e}")
        page.close()
    problems += [f"title {t!r} shared by {ps}" for t, ps in titles.items() if len(ps) > 1]
    assert not problems, "\n".join(problems)


def test_an_old_filer_address_leads_to_the_filer(pages, browser):
    """Every redirect names an existing page; one is followed in the browser."""
    url, root, _ = pages
    stubs = sorted((root / "filer").glob("*/index.html"))
    assert stubs, "no redirecting pages"
    missing = []
    for stub in stubs:
        target = re.search(r'url=([^"]+)"', stub.read_text("utf-8")).group(1)
        if not (stub.parent / target).resolve().is_file():
            missing.append(f"{stub.parent.name} -> {target}")
    assert not missing, missing[:5]
    alias = stubs[0].parent.name
    page, errors, _ = open_page(browser, url + f"filer/{alias}/index.html")
    page.wait_for_url(re.compile(r"/filer/[^/]+\.html$"), timeout=10_000)
    assert page.locator("#filer-filings tbody tr").count() >= 1
    assert not errors, errors
    page.close()


def test_search_finds_a_filer_by_name_without_heading_anchors(pages, browser):
    from cnai_helpers.reports.search import pagefind_command

    if pagefind_command() is None:
        pytest.fail("pagefind is not installed (pip install 'pagefind[extended]')")
    url, _, _ = pages
    page, errors, _ = open_page(browser, url + "index.html")
    page.fill("#pagefind-search input", "腾讯计算机")
    page.locator(".pagefind-ui__result-link").first.wait_for(timeout=15_000)
    hrefs = page.eval_on_selector_all(
        ".pagefind-ui__result-link", "els => els.map(e => e.getAttribute('href'))"
    )
    assert any(f"filer/{TENCENT}" in h for h in hrefs), hrefs
    page.fill("#pagefind-search input", "Cities")  # a heading of every province page
    page.wait_for_function(
        "() => [...document.querySelectorAll('.pagefind-ui__result-link')]"
        ".some(a => a.getAttribute('href').includes('province-'))",
        timeout=15_000,
    )
    excerpts = page.eval_on_selector_all(
        ".pagefind-ui__result-excerpt", "els => els.map(e => e.innerText)"
    )
    assert excerpts and not [e for e in excerpts if "¶" in e], excerpts[:3]
    assert not errors, errors
    page.close()


@pytest.mark.parametrize("width", (768, 1100))
def test_the_explorers_table_keeps_the_full_width_where_it_scrolls(pages, browser, width):
    """Between a phone and a wide screen the filings table scrolls in its box, and site.js puts
    its "wider than the page" line before the box: inside DataTables' flex row that line became
    a 340 px column beside the table and squeezed it into the right two-thirds. The cue is a
    full-width line above the table, and the table's box is as wide as the page's column."""
    url, _, _ = pages
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(url + "explorer/index.html", wait_until="load")
    _ready(page, "explorer/index.html")
    box, main, cue = page.evaluate(
        """() => { const box = document.getElementById("filings").parentElement;
        const cue = box.previousElementSibling;
        const w = e => Math.round(e.getBoundingClientRect().width);
        return [w(box), w(document.querySelector("main")),
                cue && cue.classList.contains("cnai-scroll-cue") && !cue.hidden ? w(cue) : null]; }"""
    )
    page.close()
    assert box >= main - 2, f"the table's box is {box} px in a {main} px column"
    assert cue is not None and cue >= main - 2, f"the scroll cue is {cue} px wide, not a line"


def test_an_explorer_card_on_a_phone_leaves_out_what_is_missing(pages, browser):
    """A generative-AI filing has no city, product or role: its phone card showed three "—"
    lines out of twelve. A card shows the fields that have a value."""
    url, _, _ = pages
    page = browser.new_page(viewport={"width": 390, "height": 900})
    page.goto(url + "explorer/index.html", wait_until="load")
    _ready(page, "explorer/index.html")
    shown, empty = page.evaluate(
        """() => { const tds = [...document.querySelectorAll("#filings tbody td")];
        return [tds.filter(t => t.offsetHeight > 0).length,
                tds.filter(t => t.offsetHeight > 0 && t.textContent.trim() === "\u2014").length]; }"""
    )
    page.close()
    assert shown > 0 and empty == 0, f"{empty} of {shown} card lines say only '—'"
