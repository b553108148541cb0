"""The whole published site, built from the real site.yaml and the real data, read in a real
browser (Debian's headless Chromium): every page, at desktop and phone width.

Per page: no console errors, a non-generic title of its own, a viewport meta, a link to the
index, no raw pandas values in the visible text, no sideways scrolling at 390 px, every link and
CSV download resolves. Per report: every table and figure the executed notebook made is on the
page, and "the answer" shows each key figure site.yaml names. Screenshots of every page at both
widths go to ``artifacts/screenshots/site/`` (kept by CI as artifacts). ``CNAI_SITE_UNDER_TEST``
names an already built site to check instead of building one (e.g. ``reports/``).
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import threading
from pathlib import Path

import nbformat
import pytest

from cnai_helpers import paths
from cnai_helpers.registry.ensure import ensure_registry
from cnai_helpers.reports import render
from cnai_helpers.reports.build import build_reports, summary
from cnai_helpers.reports.site import load_site
from tests.test_browser import BAD_TEXT, QuietHandler, check_links, need_chromium, open_page

pytestmark = pytest.mark.browser
SHOTS = paths.ROOT / "artifacts" / "screenshots" / "site"


@pytest.fixture(scope="module")
def full_site(tmp_path_factory, real_raw):
    """(url, site root, reports) of the whole site built into a temporary folder."""
    need_chromium()
    ensure_registry()
    reports = load_site()
    given = os.environ.get("CNAI_SITE_UNDER_TEST")  # an already built site, e.g. reports/
    if given:
        root = Path(given)
    else:
        tmp = tmp_path_factory.mktemp("full-site")
        statuses = build_reports(
            reports, out_root=tmp / "reports", jobs=2, results_root=tmp / "results"
        )
        failed = summary(statuses)["failed"]
        assert not failed, [s.get("error") for s in statuses if s.get("status") == "failed"]
        root = tmp / "reports"
    handler = functools.partial(QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", root, reports
    server.shutdown()


def test_every_page_reads_as_a_publication(full_site, browser):
    url, root, reports = full_site
    SHOTS.mkdir(parents=True, exist_ok=True)
    problems, titles = [], {}
    for path in ["index.html"] + [f"{r.id}/index.html" for r in reports]:
        name = path.split("/")[0].replace(".html", "")
        page, errors, dialogs = open_page(browser, url + path)
        title = page.title()
        titles.setdefault(title, []).append(path)
        if not title or title in ("Notebook", "Untitled"):
            problems.append(f"{path}: generic title {title!r}")
        if page.locator("meta[name=viewport]").count() != 1:
            problems.append(f"{path}: no viewport meta")
        if page.locator("a[href$='index.html']").count() < 1:
            problems.append(f"{path}: no link to the index")
        text = page.inner_text("body")
        problems += [f"{path}: {bad!r} visible" for bad in BAD_TEXT if bad in text]
        try:
            check_links(page, url)
        except AssertionError as e:
            problems.append(f"{path}: {e}")
        problems += [f"{path}: console error {e}" for e in errors]
        problems += [f"{path}: a dialog opened: {d}" for d in dialogs]
        page.screenshot(path=str(SHOTS / f"{name}-desktop.png"), full_page=True)
        page.close()
        phone = browser.new_page(viewport={"width": 390, "height": 844})
        phone.goto(url + path, wait_until="load")
        width = phone.evaluate("document.documentElement.scrollWidth")
        if width > 390:
            problems.append(f"{path}: scrolls sideways at 390 px ({width} px wide)")
        phone.screenshot(path=str(SHOTS / f"{name}-390.png"), full_page=True)
        phone.close()
    problems += [f"title {t!r} shared by {ps}" for t, ps in titles.items() if len(ps) > 1]
    assert not problems, "\n".join(problems)


def test_every_table_and_figure_reaches_its_page(full_site):
    _, root, reports = full_site
    wrong = {}
    for r in reports:
        nb = nbformat.read(root / r.id / f"{r.id}.ipynb", as_version=4)
        made = render.notebook_counts(nb)
        shown = render.page_counts((root / r.id / "index.html").read_text(encoding="utf-8"))
        if made != shown or made == {"tables": 0, "figures": 0}:
            wrong[r.id] = (made, shown)
        csvs = len(list((root / r.id).glob("figure-*.csv")))
        if csvs != made["figures"]:
            wrong[r.id] = f"{made['figures']} figures, {csvs} figure CSV files"
    assert not wrong, f"report: (made by the notebook, shown on the page): {wrong}"


def test_the_answer_shows_every_key_figure(full_site):
    """Each key figure site.yaml names is recorded by its report and shown in "the answer"."""
    from bs4 import BeautifulSoup

    _, root, reports = full_site
    missing = []
    for r in reports:
        assert r.key_figures, f"{r.id}: site.yaml names no key_figures"
        results = json.loads((root / r.id / "results.json").read_text(encoding="utf-8"))
        soup = BeautifulSoup(
            (root / r.id / "index.html").read_text(encoding="utf-8"), "html.parser"
        )
        shown = len(soup.select(".cnai-answer .cnai-figures dt"))
        missing += [f"{r.id}: {k} not recorded" for k in r.key_figures if k not in results]
        if shown != len([k for k in r.key_figures if k in results]):
            missing.append(f"{r.id}: the answer shows {shown} of {len(r.key_figures)} key figures")
    assert not missing, "\n".join(missing)


@pytest.mark.parametrize("path", ("index.html", "claims/index.html", "compute/index.html"))
def test_no_critical_accessibility_violations_on_the_real_pages(full_site, browser, path):
    from axe_playwright_python.sync_playwright import Axe

    url, _, _ = full_site
    page, _, _ = open_page(browser, url + path)
    results = Axe().run(page)
    critical = [v["id"] for v in results.response["violations"] if v.get("impact") == "critical"]
    assert not critical, f"{path}: critical accessibility violations {critical}"


def test_each_claims_badge_agrees_on_its_primary_page_the_ledger_and_the_index(full_site):
    """A claim's status is decided once: the badge on the page of the report that holds its
    primary reading, on the ledger and on the index are the same, and it is the status the
    ledger's results.json records for the primary entry."""
    from bs4 import BeautifulSoup

    _, root, _ = full_site

    def status_of(tag) -> str:
        return next(c[2:] for c in tag.select_one(".badge")["class"] if c.startswith("s-"))

    ledger = json.loads((root / "claims" / "results.json").read_text(encoding="utf-8"))
    primary = [c for c in ledger["claims"] if c["primary"]]
    assert len({c["id"] for c in primary}) == len(primary) == ledger["n_claims"]
    ledger_page = BeautifulSoup((root / "claims" / "index.html").read_text("utf-8"), "html.parser")
    index = BeautifulSoup((root / "index.html").read_text("utf-8"), "html.parser")
    checked = 0
    for c in primary:
        row = ledger_page.select_one(f"tr#claim-{c['id']}")
        assert row is not None and status_of(row) == c["claim_status"], c["id"]
        if c["claim_status"] in ("not_testable", "pending") or not c["report"]:
            continue
        page = BeautifulSoup((root / c["report"] / "index.html").read_text("utf-8"), "html.parser")
        block = page.select_one(f".cnai-answer #verdict-{c['id']}")
        assert block is not None, (c["id"], c["report"])
        assert status_of(block) == c["claim_status"], (c["id"], c["report"])
        for line in index.select(f"li[data-claim='{c['id']}']"):
            assert status_of(line) == c["claim_status"], c["id"]
        checked += 1
    assert checked >= 3
    if ledger["n_pending"] == 0:  # a built site has every primary verdict
        assert all(c["claim_status"] != "pending" for c in primary)
