"""The published site in a real browser (Debian's headless Chromium driven by Playwright).

Builds a small site (a real registry report plus a report whose data contains ``<script>``),
serves it on localhost, opens the index and every report, and checks: no console errors, every
link resolves, every figure loads, data-derived text is escaped. Screenshots go to
``artifacts/screenshots/`` (kept by CI as artifacts).
"""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest
import yaml

from cnai_helpers import paths
from cnai_helpers.registry.ensure import ensure_registry
from cnai_helpers.reports.build import build_reports, summary
from cnai_helpers.reports.site import load_site
from tests.test_reports_pipeline import write_nb

pytestmark = pytest.mark.browser
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = paths.ROOT / "artifacts" / "screenshots"


class _Site(str):
    root: Path


@pytest.fixture(scope="module")
def site_root(site):
    return site.root


def need_chromium() -> None:
    """Skip without Debian's chromium (fail in CI, whose set-up installs it)."""
    if not Path(CHROMIUM).exists():
        import os

        if os.environ.get("CI"):
            pytest.fail("Debian's chromium is not installed (.ci/run installs it)")
        pytest.skip("chromium not installed")


@pytest.fixture(scope="module")
def site(tmp_path_factory, real_raw):
    need_chromium()
    root = tmp_path_factory.mktemp("site")
    nbs = root / "notebooks"
    nbs.mkdir()
    shutil.copy(paths.NOTEBOOKS / "registry_overview.ipynb", nbs)
    shutil.copy(paths.NOTEBOOKS / "province_profile.ipynb", nbs)
    write_nb(nbs / "xss.ipynb")
    doc = {
        "reports": [
            {
                "id": "registry-genai",
                "notebook": "registry_overview.ipynb",
                "title": "Registry <i>genai</i>",
                "question": "What is <script>alert('q')</script>?",
                "parameters": {"registry": "genai_filings"},
            },
            {"id": "xss", "notebook": "xss.ipynb", "title": "Escaping", "question": "Escaped?"},
            {
                "id": "province-44",
                "notebook": "province_profile.ipynb",
                "title": "Guangdong (44): province profile",
                "question": "How does Guangdong's AI filing activity grow?",
                "parameters": {"registry": "deep_synthesis", "province": "44"},
            },
        ]
    }
    (root / "site.yaml").write_text(yaml.safe_dump(doc))
    statuses = build_reports(
        load_site(root / "site.yaml"),
        out_root=root / "reports",
        jobs=2,
        ensure_data=lambda _: ensure_registry(),
    )
    assert not summary(statuses)["failed"], statuses
    handler = functools.partial(QuietHandler, directory=str(root / "reports"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = _Site(f"http://127.0.0.1:{server.server_address[1]}/")
    url.root = root / "reports"
    yield url
    server.shutdown()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # one line per request would drown the test log
        pass


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


def check_links(page, base):
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
    checked = 0
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
        resp = page.request.get(url)
        assert resp.status == 200, f"{h} -> {resp.status}"
        checked += 1
    return checked


PAGES = ("index.html", "registry-genai/index.html", "xss/index.html", "province-44/index.html")
BAD_TEXT = ("NaN", "<NA>", "e+0", "\\$")


def test_index_and_reports_render_without_errors(site, browser):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page, errors, dialogs = open_page(browser, site + "index.html")
    assert "cnai" in page.title()
    links = check_links(page, site)
    assert links >= 2
    assert "<script>alert('q')</script>" in page.inner_text("body")
    page.screenshot(path=str(SHOTS / "index.png"), full_page=True)
    assert not errors, errors
    assert not dialogs
    for rid in ("registry-genai", "xss"):
        page, errors, dialogs = open_page(browser, f"{site}{rid}/index.html")
        n_img = check_images(page)
        assert n_img >= 1, f"{rid}: no figure"
        check_links(page, site)
        assert page.locator("footer#provenance").count() == 1
        page.screenshot(path=str(SHOTS / f"{rid}.png"), full_page=True)
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
    SHOTS.mkdir(parents=True, exist_ok=True)
    name = path.split("/")[0].replace(".html", "")
    page, errors, _ = open_page(browser, site + path)
    title = page.title()
    assert title and title not in ("Notebook", "Untitled"), f"{path}: generic title {title!r}"
    assert page.locator("meta[name=viewport]").count() == 1, f"{path}: no viewport meta"
    assert page.locator("a[href$='index.html']").count() >= 1, f"{path}: no link to the index"
    text = page.inner_text("body")
    for bad in BAD_TEXT:
        assert bad not in text, f"{path}: {bad!r} visible"
    page.screenshot(path=str(SHOTS / f"{name}-desktop.png"), full_page=True)
    assert not errors, f"{path}: console errors {errors}"
    phone = browser.new_page(viewport={"width": 390, "height": 844})
    phone.goto(site + path, wait_until="load")
    width = phone.evaluate("document.documentElement.scrollWidth")
    phone.screenshot(path=str(SHOTS / f"{name}-390.png"), full_page=True)
    assert width <= 390, f"{path}: the page scrolls sideways at 390 px ({width} px wide)"


def test_report_titles_name_the_report(site, browser):
    page, _, _ = open_page(browser, site + "province-44/index.html")
    assert page.title().startswith("Guangdong (44)")
    assert page.locator("h1").first.inner_text().startswith("Guangdong (44)")


def test_csv_download_rows_match_the_table(site, browser):
    import csv
    import io

    page, _, _ = open_page(browser, site + "registry-genai/index.html")
    links = page.locator("p.cnai-download a")
    assert links.count() >= 1
    with page.expect_download() as info:
        links.first.click()
    rows = list(csv.reader(io.StringIO(Path(info.value.path()).read_text(encoding="utf-8"))))
    table = page.locator("table.cnai-table").first
    assert table.locator("tbody tr").count() == len(rows) - 1
    shown_first = table.locator("tbody tr").first.locator("td").first.inner_text()
    assert shown_first.strip() == rows[1][0].strip() or rows[1][0] in shown_first


def test_dark_mode_changes_the_background(site, browser):
    backgrounds = []
    for scheme in ("light", "dark"):
        ctx = browser.new_context(color_scheme=scheme)
        page = ctx.new_page()
        page.goto(site + "registry-genai/index.html", wait_until="load")
        backgrounds.append(page.evaluate("getComputedStyle(document.body).backgroundColor"))
        ctx.close()
    assert backgrounds[0] != backgrounds[1], backgrounds


def test_search_finds_the_province_page(site, browser):
    from cnai_helpers.reports.search import pagefind_command

    if pagefind_command() is None:
        pytest.fail("pagefind is not installed (pip install 'pagefind[extended]')")
    page, errors, _ = open_page(browser, site + "index.html")
    page.fill("#pagefind-search input", "Guangdong")
    result = page.locator(".pagefind-ui__result-link").first
    result.wait_for(timeout=15000)
    hrefs = page.eval_on_selector_all(
        ".pagefind-ui__result-link", "els => els.map(e => e.getAttribute('href'))"
    )
    assert any("province-44" in h for h in hrefs), hrefs
    assert not errors, errors


@pytest.mark.parametrize(
    "path", ("index.html", "registry-genai/index.html", "province-44/index.html")
)
def test_no_critical_accessibility_violations(site, browser, path):
    from axe_playwright_python.sync_playwright import Axe

    page, _, _ = open_page(browser, site + path)
    results = Axe().run(page)
    critical = [v["id"] for v in results.response["violations"] if v.get("impact") == "critical"]
    assert not critical, f"{path}: critical accessibility violations {critical}"
