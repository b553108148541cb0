"""Shared fixtures: a tiny mirror + manifest, and access to the real pulled data."""

from __future__ import annotations

import functools
import hashlib
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from cnai_helpers import paths


def make_manifest(mirror: Path, files: dict[str, bytes], dest: Path) -> Path:
    """Write files into a mirror folder and a manifest describing them; return the manifest."""
    entries = []
    for i, (rel, content) in enumerate(files.items()):
        p = mirror / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(content)
        entries.append(
            {
                "id": f"src_{i}",
                "format": "blob",
                "path": rel,
                "url": f"http://127.0.0.1:9/{rel}",  # unroutable: forces mirror use in tests
                "sha256": hashlib.sha256(content).hexdigest(),
                "size": len(content),
                "publisher": "test",
                "licence": "CC0",
                "citation": "test fixture",
            }
        )
    dest.write_text(yaml.safe_dump({"sources": entries}), encoding="utf-8")
    return dest


@pytest.fixture
def tiny_mirror(tmp_path):
    mirror = tmp_path / "mirror"
    files = {"a/one.txt": b"first file\n", "b/two.json": b'{"x": 1}\n'}
    manifest = make_manifest(mirror, files, tmp_path / "sources.yaml")
    return mirror, manifest, tmp_path / "raw"


@pytest.fixture(scope="session")
def real_raw() -> Path:
    """The real raw data (pulled by `cnai data pull`); skipped only outside CI."""
    import os

    from cnai_helpers.manifest import load_manifest
    from cnai_helpers.pull import is_verified

    missing = [s.id for s in load_manifest(include_local=False) if not is_verified(s, paths.RAW)]
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"real data not pulled in CI: {missing[:5]}")
        pytest.skip("real data not pulled; run `cnai data pull`")
    return paths.RAW


from hypothesis import settings  # noqa: E402

# first calls load the division tables; CI machines vary in speed
settings.register_profile("cnai", deadline=None, max_examples=200)
settings.load_profile("cnai")


@dataclass
class BuiltSite:
    """A site built once per test run: its pages (``root``), results store and reports."""

    root: Path
    results: Path | None
    reports: list


@pytest.fixture(scope="session")
def real_site(tmp_path_factory, real_raw) -> BuiltSite:
    """The whole site of the real site.yaml, built once per run from the real data and shared
    by the browser, site, ledger and notebook checks (the build executes every notebook of the
    site; tests/test_site_full.py checks that every notebook in notebooks/ is among them).
    Under pytest-xdist (``make test``: ``-n 3``) the workers share one build: the first worker
    that needs it builds it in the run's base folder under a file lock, the others wait for it
    and read it (tests that use it are also scheduled on one worker, see
    :func:`xdist_scope`). ``CNAI_SITE_UNDER_TEST`` names an already built site
    to check instead (e.g. ``reports/``)."""
    import json
    import os

    from filelock import FileLock

    from cnai_helpers.registry.ensure import ensure_registry
    from cnai_helpers.reports.site import load_site

    reports = load_site()
    given = os.environ.get("CNAI_SITE_UNDER_TEST")
    if given:
        ensure_registry()
        return BuiltSite(Path(given), None, reports)
    if not os.environ.get("PYTEST_XDIST_WORKER"):  # one process: its own temporary folder
        ensure_registry()
        tmp = tmp_path_factory.mktemp("full-site")
        _build_real_site(tmp, reports)
        return BuiltSite(tmp / "reports", tmp / "results", reports)
    shared = tmp_path_factory.getbasetemp().parent / "full-site"  # this run's, every worker's
    done = shared / "built.json"
    with FileLock(str(shared) + ".lock"):
        if not done.exists():
            ensure_registry()  # under the lock: never two workers rebuilding the tables
            shared.mkdir(exist_ok=True)
            try:
                _build_real_site(shared, reports)
            except BaseException as e:  # the other workers fail with the same message
                done.write_text(json.dumps({"error": f"{type(e).__name__}: {e}"}))
                raise
            done.write_text(json.dumps({"error": None}))
    error = json.loads(done.read_text())["error"]
    if error:
        pytest.fail(f"the shared real site failed to build (in another worker): {error}")
    return BuiltSite(shared / "reports", shared / "results", reports)


def _build_real_site(tmp: Path, reports: list) -> None:
    """Build the whole published site (reports, explorer, filer pages, data) into ``tmp``."""
    from cnai_helpers.reports.build import build_reports, summary

    statuses = build_reports(
        reports, out_root=tmp / "reports", jobs=2, results_root=tmp / "results", site_pages=True
    )
    failed = summary(statuses)["failed"]
    assert not failed, [s.get("error") for s in statuses if s.get("status") == "failed"]


def xdist_scope(nodeid: str, root: Path = paths.ROOT) -> str:
    """The unit pytest-xdist hands to one worker (``make test``: ``-n 3``): every test of the
    modules that read the real site (``real_site``) together, so one worker builds the site
    once while the others run the rest; a module with a module-scoped fixture (a small site
    built once per module) as a whole, so the fixture is not made on two workers; any other
    test on its own. Decided from the test id and the module's text: xdist schedules on the
    controller, which does not collect the tests (and pytest 9 ignores the ids
    ``--dist loadgroup`` rewrites)."""
    module = nodeid.split("::")[0]
    kind = _module_kind(root / module)
    return "real_site" if kind == "real_site" else module if kind == "module" else nodeid


@functools.cache
def _module_kind(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return "test"
    if re.search(r"\breal_site\b", text):
        return "real_site"
    return "module" if re.search(r"scope=[\"']module[\"']", text) else "test"


try:
    import xdist  # noqa: F401
except ImportError:  # the hook below is xdist's: without it pytest would refuse the conftest
    pass
else:

    def pytest_xdist_make_scheduler(config, log):
        from xdist.scheduler import LoadScopeScheduling

        class Scheduler(LoadScopeScheduling):
            def _split_scope(self, nodeid: str) -> str:
                return xdist_scope(nodeid, Path(config.rootpath))

        return Scheduler(config, log)


def serve(root: Path):
    """Serve ``root`` on localhost; returns (base url, server) (``server.shutdown()`` after)."""
    import functools
    import http.server
    import threading

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args) -> None:  # one line per request would drown the log
            pass

    handler = functools.partial(Quiet, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}/", server


@pytest.fixture(scope="session")
def real_site_url(real_site):
    """Base URL of the shared real site, served on localhost for the whole run."""
    from tests.test_browser import need_chromium

    need_chromium()
    url, server = serve(real_site.root)
    yield url
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=shutil.which("chromium") or "/usr/bin/chromium",
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


def pytest_configure(config):
    """Ctrl-C as a terminal gives it, whoever started the run. A shell without job control (a
    script, ``bash -c '... &'``, a CI runner) starts a background command with SIGINT ignored;
    Python then keeps it ignored instead of raising KeyboardInterrupt, and every process it
    starts inherits it: pytest-xdist's workers, and from them the `cnai` commands the Ctrl-C
    tests interrupt (they saw exit 0, or waited out their timeout, in such runs only). Runs in
    the controller and in each worker, before any test."""
    import signal
    import threading

    if (
        threading.current_thread() is threading.main_thread()
        and signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    ):
        signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(autouse=True)
def _sigint_as_python_sets_it(request):
    """Every test starts with Python's own Ctrl-C handler (KeyboardInterrupt), the state a
    fresh `cnai` process started from a terminal has (:func:`pytest_configure` sets it for the
    run). A test that leaves another handler behind is named in a warning and the handler is
    put back, so that later tests do not depend on the order."""
    import signal
    import threading
    import warnings

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        warnings.warn(f"{request.node.nodeid} left SIGINT's handler changed", stacklevel=1)
        signal.signal(signal.SIGINT, signal.default_int_handler)
