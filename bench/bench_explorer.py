"""The registry explorer: the project's way against the naive way, measured in one run.

- the site-pages step (explorer, filer pages, data release): a full build against a no-op (the
  core tables and code unchanged: skipped on its fingerprint);
- pinyin of every filer name: converted once per word (``filers.pinyin``) against pypinyin's
  ``lazy_pinyin`` on each name;
- a search in the page (headless Chromium, when installed): the explorer's own filter and sort on
  index arrays (DataTables in server-side mode) against DataTables' built-in client-side search
  over the same rows (``table.search(q).draw()``).
"""

from __future__ import annotations

import functools
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import machine, save, timer  # noqa: E402

QUERIES = ("智谱", "zhipu", "网信算备1101", "beijing keji")


def page_search(site: Path) -> dict:
    """Median milliseconds of a search in the explorer and with DataTables' own search."""
    import http.server
    import statistics
    import threading

    from playwright.sync_api import sync_playwright

    exe = shutil.which("chromium")
    if not exe:
        return {}

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/explorer/index.html"
    out = {}
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, headless=True, args=["--no-sandbox"])
        page = b.new_page()
        page.goto(url)
        page.wait_for_selector("html[data-explorer-indexed]", state="attached")
        out["explorer_ready_ms"] = round(page.evaluate("() => window.cnaiExplorer.indexedMs"))
        ours = [page.evaluate("q => window.cnaiExplorer.apply({q})", q) for q in QUERIES * 3]
        # the naive way: the same rows, columns and order in a client-side DataTable, the
        # filing's search text as a hidden column, DataTables' own search
        naive = page.evaluate(
            """qs => {
              const E = window.cnaiExplorer, D = window.CNAI_EXPLORER;
              const DT = window.cnaiDataTables.DataTable, text = E.texts();
              const t = document.createElement('table'); document.body.appendChild(t);
              const cols = E.columns.concat([{title: 'text', data: 15, visible: false}]);
              const dt = new DT(t, {data: D.rows.map((r, i) => r.concat([text[i]])),
                deferRender: true, order: E.order, columns: cols});
              return qs.map(q => { const s = performance.now(); dt.search(q).draw();
                return performance.now() - s; });
            }""",
            list(QUERIES * 3),
        )
        b.close()
    server.shutdown()
    out["explorer_search_ms_median"] = round(statistics.median(ours), 1)
    out["datatables_search_ms_median"] = round(statistics.median(naive), 1)
    out["search_ratio"] = round(statistics.median(ours) / statistics.median(naive), 3)
    return out


def main() -> None:
    from pypinyin import lazy_pinyin

    from cnai_helpers import filers
    from cnai_helpers.loaders import load_filings
    from cnai_helpers.registry.ensure import ensure_registry
    from cnai_helpers.reports.explorer import build_site_pages
    from cnai_helpers.reports.render import write_assets

    ensure_registry()
    t: dict = {}
    names = list(load_filings()["entity_name"].unique())
    with timer(t, "naive_pinyin_each_name_s"):
        naive = ["".join(lazy_pinyin(n)) for n in names]
    filers.pinyin.cache_clear()
    filers._word_pinyin.cache_clear()
    with timer(t, "cnai_pinyin_per_word_s"):
        ours = [filers.pinyin(n)[0] for n in names]
    t["pinyin_same"] = sum(a.lower() == b for a, b in zip(naive, ours, strict=True)) == len(names)
    t["pinyin_ratio"] = round(t["cnai_pinyin_per_word_s"] / t["naive_pinyin_each_name_s"], 3)
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "reports"
        write_assets(site)
        with timer(t, "site_pages_full_s"):
            build_site_pages(site, ["batch-deep_synthesis"])
        with timer(t, "site_pages_noop_s"):
            st = build_site_pages(site, ["batch-deep_synthesis"])
        assert st["status"] == "skipped", st
        t["noop_ratio"] = round(t["site_pages_noop_s"] / t["site_pages_full_s"], 4)
        t.update(page_search(site))
    save("bench_explorer", {"machine": machine(), "timings": t})


if __name__ == "__main__":
    main()
