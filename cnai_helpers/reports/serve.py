"""``cnai reports serve``: the built site over HTTP on this machine (127.0.0.1 only), so that its
search works: browsers refuse the search index's fetches from a page opened from disk
(``file://``). The standard library's server is enough for one reader on localhost."""

from __future__ import annotations

import functools
import http.server
from pathlib import Path


class _Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".js": "text/javascript",
        ".mjs": "text/javascript",
        ".wasm": "application/wasm",
        ".pf_meta": "application/octet-stream",
    }

    def log_message(self, *args) -> None:  # one line per request would drown the terminal
        pass


def make_server(site: Path, port: int = 8000) -> http.server.ThreadingHTTPServer:
    """A server of ``site`` on 127.0.0.1 (``port`` 0: any free port); not started."""
    site = Path(site)
    if not (site / "index.html").exists():
        raise FileNotFoundError(f"{site}/index.html: no built site here; run `cnai reports build`")
    handler = functools.partial(_Handler, directory=str(site))
    return http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
