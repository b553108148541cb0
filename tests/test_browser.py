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


@pytest.fixture(scope="module")
def site(tmp_path_factory, real_raw):
    if not Path(CHROMIUM).exists():
        import os

        if os.environ.get("CI"):
            pytest.fail("Debian's chromium is not installed (.ci/run installs it)")
        pytest.skip("chromium not installed")
    root = tmp_path_factory.mktemp("site")
    nbs = root / "notebooks"
    nbs.mkdir()
    shutil.copy(paths.NOTEBOOKS / "registry_overview.ipynb", nbs)
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
    handler = functools.partial(
        http.server.SimpleHTTPRequestHandler, directory=str(root / "reports")
    )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield b
        b.close()


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
                assert page.locator(f"[id='{anchor}']").count() >= 1, f"broken anchor {h}"
            continue
        if urlparse(url).netloc != urlparse(base).netloc:
            continue  # external links (CAC announcement pages) are not fetched offline
        resp = page.request.get(url)
        assert resp.status == 200, f"{h} -> {resp.status}"
        checked += 1
    return checked


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
