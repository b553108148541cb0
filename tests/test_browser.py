"""The published site in a real browser (Debian's headless Chromium driven by Playwright).

Builds a small site (one tiny report whose title, question and data contain ``<script>``) and
reads the real reports from the whole site built once per run (conftest.real_site), serves them
on localhost, and checks: no console errors, every link resolves, every figure loads,
data-derived text is escaped, titles, CSV downloads, dark mode, search and accessibility. With
``CNAI_SCREENSHOTS=1`` (``make screenshots``) full-page screenshots go to ``artifacts/screenshots/``
for a person to look at; nothing asserts on them, so a plain test run skips them (on the real site
they were ~130 s of a CI run's browser time).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest
import yaml

from cnai_helpers import paths
from cnai_helpers.reports.build import build_reports, summary
from cnai_helpers.reports.site import load_site
from tests.conftest import serve
from tests.test_reports_pipeline import write_nb

pytestmark = pytest.mark.browser
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = paths.ROOT / "artifacts" / "screenshots"


def shot(page, path: Path, full_page: bool = True) -> None:
    """A screenshot for a person to look at, only when asked (``CNAI_SCREENSHOTS=1``)."""
    import os

    if os.environ.get("CNAI_SCREENSHOTS"):
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path), full_page=full_page)


class _Site(str):
    root: Path


def need_chromium() -> None:
    """Skip without Debian's chromium (fail in CI, whose set-up installs it)."""
    if not Path(CHROMIUM).exists():
        import os

        if os.environ.get("CI"):
            pytest.fail("Debian's chromium is not installed (.ci/run installs it)")
        pytest.skip("chromium not installed")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A small site of one tiny report whose title, question and data carry markup and
    ``<script>`` (the escaping checks). The real reports' pages are read from the whole site,
    built once per run (conftest.real_site)."""
    need_chromium()
    root = tmp_path_factory.mktemp("site")
    nbs = root / "notebooks"
    nbs.mkdir()
    write_nb(nbs / "xss.ipynb")
    doc = {
        "reports": [
            {
                "id": "xss",
                "notebook": "xss.ipynb",
                "title": "Escaping <i>xss</i>",
                "question": "What is <script>alert('q')</script>?",
            },
        ]
    }
    (root / "site.yaml").write_text(yaml.safe_dump(doc))
    statuses = build_reports(load_site(root / "site.yaml"), out_root=root / "reports", jobs=1)
    assert not summary(statuses)["failed"], statuses
    url, server = serve(root / "reports")
    site = _Site(url)
    site.root = root / "reports"
    yield site
    server.shutdown()


@pytest.fixture(scope="module")
def real(real_site_url):
    """Base URL of the whole real site (built once per run, conftest.real_site)."""
    return real_site_url


def open_page(browser, url):
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    errors, dialogs = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(url, wait_until="load")
    return page, errors, dialogs


def check_images(page):
    imgs = page.eval_on_selector_all(
        "img", "els => els.map(e => [e.currentSrc.slice(0, 40), e.complete && e.naturalWidth])"
    )
    assert all(w and w > 0 for _, w in imgs), f"images that did not load: {imgs}"
    return len(imgs)


def check_links(page, base, seen: set | None = None):
    """Every in-page anchor exists and every local link answers 200; ``seen``: local addresses
    already fetched by the caller (a page loop), not fetched again."""
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
    checked = 0
    seen = set() if seen is None else seen
    for h in hrefs:
        url = urljoin(page.url, h)
        if h.startswith("#"):
            anchor = h[1:]
            if anchor:
                found = page.evaluate("id => !!document.getElementById(id)", anchor)
                assert found, f"broken anchor {h}"
            continue
        if urlparse(url).netloc != urlparse(base).netloc:
            continue  # external links (CAC announcement pages) are not fetched offline
        checked += 1
        if url.split("#")[0] in seen:
            continue
        resp = page.request.get(url)
        assert resp.status == 200, f"{h} -> {resp.status}"
        seen.add(url.split("#")[0])
    return checked


PAGES = ("index.html", "xss/index.html")  # the real site's pages: tests/test_site_full.py
BAD_TEXT = ("NaN", "<NA>", "e+0", "\\$")


def test_index_and_reports_render_without_errors(site, real, browser):
    page, errors, dialogs = open_page(browser, site + "index.html")
    assert "cnai" in page.title()
    links = check_links(page, site)
    assert links >= 2
    assert "<script>alert('q')</script>" in page.inner_text("body")
    shot(page, SHOTS / "index.png")
    assert not errors, errors
    assert not dialogs
    for base, rid in ((real, "registry-genai_filings"), (site, "xss")):
        page, errors, dialogs = open_page(browser, f"{base}{rid}/index.html")
        n_img = check_images(page)
        assert n_img >= 1, f"{rid}: no figure"
        check_links(page, base)
        assert page.locator("footer#provenance").count() == 1
        shot(page, SHOTS / f"{rid}.png")
        assert not errors, f"{rid}: console errors {errors}"
        assert not dialogs, f"{rid}: a script from the data ran: {dialogs}"


def test_data_derived_text_renders_as_text(site, browser):
    page, _, dialogs = open_page(browser, f"{site}xss/index.html")
    assert "<script>alert(1)</script>公司" in page.inner_text("body")
    assert not dialogs


@pytest.mark.parametrize("path", PAGES)
def test_page_is_a_publication(site, browser, path):
    """Done-when of the site issue, per page: no console errors, a link to the index, a
    non-generic title, a viewport meta, no raw pandas values, no horizontal scroll at 390 px;
    screenshots at desktop and phone width."""
    name = path.split("/")[0].replace(".html", "")
    page, errors, _ = open_page(browser, site + path)
    title = page.title()
    assert title and title not in ("Notebook", "Untitled"), f"{path}: generic title {title!r}"
    assert page.locator("meta[name=viewport]").count() == 1, f"{path}: no viewport meta"
    assert page.locator("a[href$='index.html']").count() >= 1, f"{path}: no link to the index"
    text = page.inner_text("body")
    for bad in BAD_TEXT:
        assert bad not in text, f"{path}: {bad!r} visible"
    shot(page, SHOTS / f"{name}-desktop.png")
    assert not errors, f"{path}: console errors {errors}"
    phone = browser.new_page(viewport={"width": 390, "height": 844})
    phone.goto(site + path, wait_until="load")
    width = phone.evaluate("document.documentElement.scrollWidth")
    shot(phone, SHOTS / f"{name}-390.png")
    assert width <= 390, f"{path}: the page scrolls sideways at 390 px ({width} px wide)"


def test_report_titles_name_the_report(real, browser):
    page, _, _ = open_page(browser, real + "province-44/index.html")
    assert page.title().startswith("Guangdong: province profile")  # no GB/T code in the title
    assert page.locator("h1").first.inner_text().startswith("Guangdong: province profile")


def test_csv_download_rows_match_the_table(real, browser):
    import csv
    import io

    page, _, _ = open_page(browser, real + "registry-genai_filings/index.html")
    links = page.locator("p.cnai-download a")
    assert links.count() >= 1
    with page.expect_download() as info:
        links.first.click()
    rows = list(csv.reader(io.StringIO(Path(info.value.path()).read_text(encoding="utf-8"))))
    table = page.locator("table.cnai-table").first
    assert table.locator("tbody tr").count() == len(rows) - 1
    shown_first = table.locator("tbody tr").first.locator("td").first.inner_text()
    assert shown_first.strip() == rows[1][0].strip() or rows[1][0] in shown_first


def test_dark_mode_changes_the_background(real, browser):
    backgrounds = []
    for scheme in ("light", "dark"):
        ctx = browser.new_context(color_scheme=scheme)
        page = ctx.new_page()
        page.goto(real + "registry-genai_filings/index.html", wait_until="load")
        backgrounds.append(page.evaluate("getComputedStyle(document.body).backgroundColor"))
        ctx.close()
    assert backgrounds[0] != backgrounds[1], backgrounds


def test_a_touch_screen_reads_each_key_figure_s_full_label(real, browser):
    """A key figure's short label keeps its full wording in a hover title, which a phone cannot
    show (a reader at 390 px saw only "State-linked, pooled lists"): on a touch screen the full
    wording is written out in its place; with a mouse the short label stays."""
    found = {}
    for touch in (True, False):
        ctx = browser.new_context(
            viewport={"width": 390, "height": 844}, is_mobile=touch, has_touch=touch
        )
        page = ctx.new_page()
        page.goto(real + "who-files/index.html", wait_until="load")
        found[touch] = page.eval_on_selector_all(
            "dl.cnai-figures dt[title]",
            """els => els.map(e => [e.getAttribute('title'),
                getComputedStyle(e, '::after').content, e.getBoundingClientRect().height])""",
        )
        ctx.close()
    assert found[True], "who-files has no short key-figure label: the check checks nothing"
    for title, after, height in found[True]:
        assert after == f'"{title}"' and height > 0, (title, after, height)
    assert all(after in ("none", "normal") for _, after, _ in found[False]), found[False]


def test_search_finds_the_province_page(real, browser):
    from cnai_helpers.reports.search import pagefind_command

    if pagefind_command() is None:
        pytest.fail("pagefind is not installed (pip install 'pagefind[extended]')")
    page, errors, _ = open_page(browser, real + "index.html")
    page.fill("#pagefind-search input", "Guangdong")
    result = page.locator(".pagefind-ui__result-link").first
    result.wait_for(timeout=15000)
    hrefs = page.eval_on_selector_all(
        ".pagefind-ui__result-link", "els => els.map(e => e.getAttribute('href'))"
    )
    assert any("province-44" in h for h in hrefs), hrefs
    assert not errors, errors


@pytest.mark.parametrize(
    "path", ("index.html", "registry-genai_filings/index.html", "province-44/index.html")
)
def test_no_critical_accessibility_violations(real, browser, path):
    from axe_playwright_python.sync_playwright import Axe

    page, _, _ = open_page(browser, real + path)
    results = Axe().run(page)
    critical = [v["id"] for v in results.response["violations"] if v.get("impact") == "critical"]
    assert not critical, f"{path}: critical accessibility violations {critical}"


def test_every_citation_carries_the_published_address_or_none(real, browser):
    """With a published address (site.yaml base_url) the citation names it and the page's
    canonical link is it; without one, the citation prints no address at all: never the
    address the page happens to be read at (127.0.0.1, localhost, file://)."""
    from cnai_helpers.reports import render

    base = render.site_config()["base_url"]
    for path, folder in (
        ("geo-genai/index.html", "geo-genai/"),
        ("download/index.html", "download/"),
    ):
        page, _, _ = open_page(browser, real + path)
        cite = page.locator(".cnai-cite p").first.inner_text()
        for local in ("127.0.0.1", "localhost", "file://", "[::1]"):
            assert local not in cite, cite
        canonical = page.locator("link[rel=canonical]")
        if base:
            assert base + folder in cite, cite
            assert canonical.get_attribute("href") == base + folder
        else:
            assert "http" not in cite, cite
            assert canonical.count() == 0
