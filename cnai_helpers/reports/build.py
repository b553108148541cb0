"""`cnai reports build`: execute notebooks with papermill and publish them as an HTML site.

Per report: parameters validated against the notebook before anything runs; executed headless on
the project's kernel (IPC transport, so parallel kernels never clash on ports) with the notebooks
folder as working directory; rendered in-process with nbconvert; written to ``reports/<id>/``
by an atomic directory swap. Incremental: a report re-runs only when what it needs changes (its
notebook, parameters and ``needs:`` in site.yaml; see :mod:`.needs`). A failing report does not
stop the others, keeps its last good page and gets an error page.

Results are data, not part of the site: each published report's figures go to
``data/results/<id>.json`` (flat figures plus ``"verdicts"``) and its build status (ok/failed,
built_at, fingerprint, error, what was hashed) to ``data/results/<id>.build.json``; the site
folder gets a copy of results.json. With another output folder than ``reports/`` the results go
beside it (``<out>-results/``), so a trial build never changes the project's results. Kernels get
``CNAI_RESULTS`` pointing there (the claims ledger reads it). Reports run in stages that follow
``needs.reports``; an upstream report that is not part of the run but whose inputs changed since
its last build is marked ``stale`` in its build status, which the ledger shows.

A report built with parameters other than the site definition's (``-p``) is a variant: it goes
to ``_variants/<id>--<hash>/`` and never replaces the published page, its results or the index.
Stale temporaries of killed runs are removed at the start of a build (see ``atomic``). On
SIGINT/SIGTERM the worker processes and their kernels are stopped, their work folders removed,
and the interruption propagates (nothing is published by an interrupted report).
"""

from __future__ import annotations

import functools
import hashlib
import json
import multiprocessing as mp
import shutil
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import suppress
from dataclasses import asdict
from pathlib import Path
from typing import Any

from .. import paths
from ..atomic import atomic_dir, clean_stale, make_temp_dir, recover_swap, write_text
from ..errors import CnaiError
from . import needs
from .currency import (
    dataset_currency,
    page_currency,
    reads_datasets,
    registry_currency,
    site_currency,
)
from .explorer import site_links
from .latest import latest_lists, with_every_registry
from .params import validate
from .provenance import git_state, now_iso, package_versions, sources_for
from .render import (
    articles_by_report,
    index_entries,
    index_html,
    index_lede,
    render_report,
    site_config,
    write_assets,
)
from .site import VARIANTS, Report

BUILD_FILE = "build.json"


def default_results_root(out_root: Path) -> Path:
    """data/results/ for the project's reports/; ``<out>-results/`` beside any other site."""
    out_root = Path(out_root).resolve()
    if out_root == Path(paths.REPORTS).resolve():
        return Path(paths.RESULTS)
    return out_root.parent / f"{out_root.name}-results"


def results_file(results_root: Path, rid: str) -> Path:
    return Path(results_root) / f"{rid}.json"


def status_file(results_root: Path, rid: str) -> Path:
    return Path(results_root) / f"{rid}.build.json"


def read_status(out_root: Path, results_root: Path, report: Report | dict) -> dict:
    """Last build status of a report: from the results store, or a variant's own folder."""
    get = report.get if isinstance(report, dict) else lambda k: getattr(report, k)
    folder = get("folder") or get("id")
    p = (
        (out_root / folder / BUILD_FILE)
        if folder != get("id")
        else status_file(results_root, get("id"))
    )
    try:
        return json.loads(Path(p).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def upstream_state(results_root: Path, rid: str) -> str:
    """What a downstream report's fingerprint sees of one report it reads: its results'
    checksum and its build status (ok, failed, stale or missing)."""
    p = results_file(results_root, rid)
    digest = hashlib.sha256(p.read_bytes()).hexdigest() if p.exists() else "missing"
    st = read_status(Path("."), results_root, {"id": rid, "folder": rid})
    state = "stale" if st.get("stale") else st.get("status", "missing")
    return f"{state}:{digest}"


def claim_statuses(results_root: Path) -> dict[str, str]:
    """Claim -> its status, from the results of the report that computes its primary reading
    (:func:`~cnai_helpers.reports.render.group_claims`'s rule, as the ledger), for every claim
    whose primary report has results in the store."""
    from ..readings import ReadingError, load_readings
    from .render import group_claims

    try:
        readings = load_readings()
    except ReadingError:
        return {}
    out: dict[str, str] = {}
    for cid, r in readings.items():
        p = results_file(results_root, r.primary.report)
        try:
            verdicts = json.loads(p.read_text(encoding="utf-8")).get("verdicts") or []
        except (FileNotFoundError, json.JSONDecodeError, AttributeError):
            continue
        for c in group_claims([v for v in verdicts if v.get("claim") == cid]):
            if c["primary"]:
                out[cid] = c["status"]
    return out


def read_build(out_root: Path, folder: str) -> dict:
    """The build.json of the report published in ``out_root/folder`` ({} if none)."""
    try:
        return json.loads((out_root / folder / BUILD_FILE).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def _page(report: dict) -> dict:
    """What the page template needs besides the notebook: title, question, folder, neighbours."""
    return {
        "title": report["title"],
        "question": report["question"],
        "folder": report["folder"],
        "nav": report.get("nav"),
        "config": report.get("site_config"),
        "key_figures": report.get("key_figures") or (),
        "short_labels": dict(report.get("key_labels") or ()),
        "site_pages": report.get("site_pages", False),
        "headline": report.get("headline") or "",
        "detail": report.get("detail") or "",
        "data_as_of": report.get("data_as_of") or (),
        "version": report.get("version") or "",
        "report_titles": report.get("report_titles") or {},
        "claim_statuses": report.get("claim_statuses") or {},
        "claim_articles": report.get("claim_articles") or [],
    }


def site_nav(reports: list[Report]) -> dict[str, dict]:
    """Report id -> previous and next published report ({id, title}) in site order."""
    pub = [r for r in reports if not r.is_variant]
    out = {}
    for i, r in enumerate(pub):
        prev_r = pub[i - 1] if i > 0 else None
        next_r = pub[i + 1] if i + 1 < len(pub) else None
        out[r.id] = {
            "prev": prev_r and {"id": prev_r.id, "title": prev_r.title},
            "next": next_r and {"id": next_r.id, "title": next_r.title},
        }
    return out


def kernel_error(e: BaseException, timeout: int) -> str:
    """The failed report's error for an exception of the execution itself (not of a cell)."""
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    if isinstance(e, DeadKernelError):
        return "kernel died (out of memory?); the report's last good page is kept"
    if isinstance(e, CellTimeoutError):
        return f"a cell ran longer than the {timeout} s allowed (--timeout); kernel stopped"
    return f"{type(e).__name__}: {e}"


def _execute(report: dict, out_root: str, prov: dict, timeout: int, results_root: str) -> dict:
    """Run in a worker process: execute, render, publish one report. Never raises."""
    import os

    import nbformat
    import papermill as pm

    from ..results import collect, collect_kinds, collect_units
    from .kernel import KERNEL_NAME, IPCKernelManager

    out_root_p = Path(out_root)
    rid = report["id"]
    nb_path = Path(report["notebook_path"])
    t0 = time.perf_counter()
    work = make_temp_dir(out_root_p, f"build-{rid}")
    executed = work / f"{rid}.ipynb"
    error = None
    os.environ["CNAI_RESULTS"] = results_root  # the kernel's paths.RESULTS: this build's results
    os.environ["CNAI_KERNEL_LOG"] = str(work / "kernel.log")  # its noise, not the terminal's
    # the kernel's loaders refuse core tables other than the snapshot the build started with
    os.environ["CNAI_REGISTRY_VERSION"] = report.get("registry_version") or ""
    store = None if report["folder"] != rid else Path(results_root)  # variants: own folder only
    try:
        pm.execute_notebook(
            str(nb_path),
            str(executed),
            parameters=report["parameters"],
            kernel_name=KERNEL_NAME,
            cwd=str(nb_path.parent),
            progress_bar=False,
            log_output=False,
            execution_timeout=timeout,
            start_timeout=120,
            kernel_manager_class=IPCKernelManager,
        )
    except pm.PapermillExecutionError as e:
        error = f"cell {e.exec_count}: {e.ename}: {e.evalue}"
    except Exception as e:  # kernel died, timeout, bad notebook: still a failed report
        error = kernel_error(e, timeout)
    seconds = round(time.perf_counter() - t0, 2)
    prov = {
        **prov,
        "report_id": rid,
        "notebook": f"notebooks/{report['notebook']}",
        "parameters": report["parameters"],
        "seconds": seconds,
        "built_at": now_iso(),
    }
    status = {
        "id": rid,
        "fingerprint": report["fingerprint"],
        "built_at": prov["built_at"],
        "seconds": seconds,
        "parameters": report["parameters"],
        "title": report["title"],
        "question": report["question"],
        "inputs": report["inputs"],
        "registry_version": report.get("registry_version"),
    }
    if report["folder"] != rid:
        status["variant_of"] = rid
    dest = out_root_p / report["folder"]
    previous = read_status(out_root_p, Path(results_root), report)
    try:
        nb = nbformat.read(executed, as_version=4) if executed.exists() else None
        if error is None:
            values, descriptions = collect(nb)
            html, files = render_report(nb, prov, _page(report))
            results_json = json.dumps(values, indent=1, ensure_ascii=False)
            if store is not None:
                write_text(results_file(store, rid), results_json)
            with atomic_dir(dest) as tmp:
                shutil.copyfile(executed, tmp / f"{rid}.ipynb")
                (tmp / "index.html").write_text(html, encoding="utf-8")
                for name, content in files.items():  # CSV text; chart PNGs as bytes
                    if isinstance(content, bytes):
                        (tmp / name).write_bytes(content)
                    else:
                        (tmp / name).write_text(content, encoding="utf-8")
                (tmp / "results.json").write_text(results_json, encoding="utf-8")
                status.update(
                    status="ok",
                    last_good=prov["built_at"],
                    results=values,
                    descriptions=descriptions,
                    kinds=collect_kinds(nb),
                    units=collect_units(nb),
                    provenance=prov,
                )
                (tmp / BUILD_FILE).write_text(
                    json.dumps(status, indent=1, ensure_ascii=False), encoding="utf-8"
                )
        else:
            site_previous = read_build(out_root_p, report["folder"])
            dest.mkdir(parents=True, exist_ok=True)
            if nb is not None:
                write_text(
                    dest / "error.html", render_report(nb, prov, _page(report), failed=error)[0]
                )
                shutil.copyfile(executed, dest / "failed.ipynb")
            status.update(
                status="failed",
                error=error,
                fingerprint=None,
                last_good=previous.get("last_good") or site_previous.get("last_good"),
                results=site_previous.get("results", {}),
                descriptions=site_previous.get("descriptions", {}),
                kinds=site_previous.get("kinds", {}),
                units=site_previous.get("units", {}),
            )
            write_text(dest / BUILD_FILE, json.dumps(status, indent=1, ensure_ascii=False))
    except Exception as e:  # rendering failed: report it, keep the last good page
        status.update(
            status="failed",
            error=f"rendering: {type(e).__name__}: {e}",
            fingerprint=None,
            last_good=previous.get("last_good"),
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if store is not None:  # the status last: a fingerprint here means everything is written
        with suppress(OSError):
            kept = {k: v for k, v in status.items() if k not in ("results", "provenance")}
            write_text(status_file(store, rid), json.dumps(kept, indent=1, ensure_ascii=False))
    return status


def plan(
    reports: list[Report], out_root: Path, force: bool, results_root: Path | None = None
) -> tuple[list[dict], list[dict]]:
    """(to_run, skipped): each a dict describing the report with its fingerprint."""
    results_root = Path(results_root or default_results_root(out_root))
    to_run, skipped = [], []
    for r in reports:
        used = sources_for(r.sources)
        upstream = {u: upstream_state(results_root, u) for u in r.needs_reports}
        inputs = needs.inputs(r, used, upstream)
        fp = needs.fingerprint(inputs)
        d = {
            **asdict(r),
            "fingerprint": fp,
            "sources_used": used,
            "inputs": inputs,
            "notebook_path": str(r.notebook_path),
            "folder": r.out_folder,
        }
        prev = read_status(out_root, results_root, r)
        fresh = (
            prev.get("status") == "ok"
            and prev.get("fingerprint") == fp
            and (out_root / r.out_folder / "index.html").exists()
            and (r.is_variant or results_file(results_root, r.id).exists())
        )
        (skipped if fresh and not force else to_run).append(d)
    return to_run, skipped


def mark_stale_upstream(
    selected: list[Report], site: list[Report], out_root: Path, results_root: Path
) -> None:
    """Reports read (directly or not) by the selected ones but not built in this run: flag in
    their build status whether their inputs changed since their last good build (``stale``),
    so that a report reading them shows it instead of silently using old figures."""
    by_id = {r.id: r for r in site if not r.is_variant}
    chosen = {r.id for r in selected}
    wanted, todo = set(), [u for r in selected for u in r.needs_reports]
    while todo:
        rid = todo.pop()
        if rid in by_id and rid not in wanted:
            wanted.add(rid)
            todo += list(by_id[rid].needs_reports)
    for r in sorted((by_id[i] for i in wanted - chosen), key=lambda r: r.stage):
        st = read_status(out_root, results_root, r)
        if st.get("status") != "ok":
            continue
        _, fresh = plan([r], out_root, False, results_root)
        stale = not fresh
        if bool(st.get("stale")) != stale:
            st["stale"] = stale
            write_text(
                status_file(results_root, r.id), json.dumps(st, indent=1, ensure_ascii=False)
            )


class DataChangedError(CnaiError):
    """The data the reports read was rebuilt while the build ran."""


class Interrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM during a build; ``signum`` says which."""

    def __init__(self, signum: int = signal.SIGINT):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def _raise_interrupted(signum, frame):
    raise Interrupted(signum)


def _worker_init(
    parent: int | None = None, environ: dict | None = None, umask: int | None = None
) -> None:
    """Ctrl-C reaches the whole process group: workers leave it to the parent, which stops
    them and their kernels (a worker blocked in nbclient's zmq poll would not see it anyway).
    A worker whose parent dies without stopping it (SIGKILL, SIGHUP of the main process) stops
    its kernel and exits within a second (:func:`_watch_parent`). ``environ``: the main
    process's environment and ``umask`` its file mode mask now (a worker forked by the fork
    server starts with the server's, those of the first build in this process); the kernels
    inherit them."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    import logging
    import os

    if environ is not None and environ != os.environ:
        os.environ.clear()
        os.environ.update(environ)
    if umask is not None:
        os.umask(umask)

    # nbclient's "Timeout waiting for execute reply": the report's error says it in one line
    logging.getLogger("papermill").setLevel(logging.CRITICAL)
    logging.getLogger("traitlets").setLevel(logging.CRITICAL)

    threading.Thread(
        target=_watch_parent, args=(parent or os.getppid(),), name="cnai-watchdog", daemon=True
    ).start()


def _watch_parent(parent: int, interval: float = 0.5) -> None:
    """Watchdog thread of a worker: once the main process ``parent`` is gone, terminate this
    worker's children (its kernel) and exit. The worker's own parent is the main process or
    the fork server (:func:`_pool_context`), which exits as soon as the main process does: the
    worker is re-parented then. A thread, not ``PR_SET_PDEATHSIG``: that signal follows the
    death of the parent *thread* that spawned the worker, and is Linux only."""
    import os

    import psutil

    first = os.getppid()
    while os.getppid() == first and psutil.pid_exists(parent):
        time.sleep(interval)
    _reap(_worker_families([os.getpid()])[1:], grace=2.0)
    os._exit(1)


# what one report in flight costs: a worker (~140 MB) and its kernel with the core tables loaded
MEMORY_PER_JOB = 400 * 2**20


def memory_cap(jobs: int, per_job: int = MEMORY_PER_JOB) -> tuple[int, str | None]:
    """``jobs`` capped by the memory available now (at least 1), and a message if it was."""
    import psutil

    available = psutil.virtual_memory().available
    cap = max(1, int(available // per_job))
    if jobs <= cap:
        return jobs, None
    return cap, (
        f"--jobs {jobs} capped at {cap}: {available / 2**30:.1f} GB of memory available, "
        f"about {per_job / 2**20:.0f} MB per report in flight"
    )


def _worker_families(pids) -> list:
    """The worker processes and everything they started (kernels). Not multiprocessing's
    resource tracker: it must outlive the workers to release their semaphores."""
    import psutil  # a dependency of ipykernel

    procs = []
    for pid in pids:
        with suppress(psutil.NoSuchProcess):
            p = psutil.Process(pid)
            procs += [p, *p.children(recursive=True)]
    return procs


def _reap(procs: list, grace: float = 10.0) -> None:
    """Terminate what is left of ``procs`` (workers, kernels); kill what ignores SIGTERM."""
    if not procs:
        return
    import psutil

    gone = (psutil.NoSuchProcess, psutil.AccessDenied)
    for p in procs:
        with suppress(*gone):
            p.terminate()
    _, alive = psutil.wait_procs(procs, timeout=grace)
    for p in alive:
        with suppress(*gone):
            p.kill()
    psutil.wait_procs(alive, timeout=grace)


INDEX_STATE = ".index.json"  # the report ids the index page was last written with


def clean_stale_temporaries(out_root: Path, reports: list[Report]) -> None:
    """Work folders and half-written files of killed runs (see ``atomic`` for the rule), and
    report folders a killed run left parked mid-swap (restored or dropped)."""
    clean_stale(out_root, ".build-*")
    for r in reports:
        recover_swap(out_root / r.out_folder)
    for folder in {out_root, out_root / VARIANTS, *(out_root / r.out_folder for r in reports)}:
        clean_stale(folder, ".*")


# imported once by the fork server, not by every worker of every build: the notebook libraries
# (papermill and nbformat's jsonschema alone take ~2 s of CPU to import). Third-party only: the
# project's modules are imported by each worker, from the main process's environment.
PRELOAD = ["papermill", "nbformat", "nbclient", "nbconvert", "jupyter_client", "jinja2"]


def _pool_context():
    """Workers are forked from a fork server: a clean single-threaded process (no threads or
    event loops are forked, as with ``spawn``) started once per main process, which has the
    notebook libraries (:data:`PRELOAD`) imported already."""
    ctx = mp.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)
    _stop_the_fork_server_at_exit()
    return ctx


@functools.cache
def _stop_the_fork_server_at_exit() -> None:
    import atexit

    atexit.register(_stop_the_fork_server)


def _stop_the_fork_server() -> None:
    """At exit, the fork server is told to stop and waited for (it would exit by itself, but
    unwaited: re-parented, its CPU and that of the workers and kernels it forked would be
    missing from the resource usage of whatever waits for this process: `time`, a CI runner,
    the benchmarks). ``_stop`` is CPython's own way (its test suite's); absent, nothing is done."""
    from multiprocessing import forkserver

    stop = getattr(forkserver._forkserver, "_stop", None)
    if stop is not None:
        with suppress(OSError):
            stop()


def _current_umask() -> int:
    import os

    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _run_parallel(
    to_run: list[dict],
    out_root: Path,
    base: dict,
    timeout: int,
    workers: int,
    results: dict,
    progress,
    results_root: Path,
) -> None:
    import os

    ex = ProcessPoolExecutor(
        workers,
        mp_context=_pool_context(),
        initializer=_worker_init,
        initargs=(os.getpid(), dict(os.environ), _current_umask()),
    )
    try:
        futs = {
            ex.submit(
                _execute,
                d,
                str(out_root),
                {**base, "sources": d["sources_used"]},
                timeout,
                str(results_root),
            ): d["folder"]
            for d in to_run
        }
        for f in as_completed(futs):
            results[futs[f]] = f.result()
            if progress:
                progress(results[futs[f]])
    except BaseException:
        # workers and their kernels, collected before a kernel can be orphaned
        _reap(_worker_families(list(ex._processes or {})))
        ex.shutdown(wait=False, cancel_futures=True)
        raise
    ex.shutdown(wait=True)


def build_reports(
    reports: list[Report],
    out_root: Path | None = None,
    jobs: int = 1,
    force: bool = False,
    timeout: int = 600,
    progress=None,
    ensure_data: Callable[[list[Report]], object] | None = None,
    site: list[Report] | None = None,
    results_root: Path | None = None,
    data_version: Callable[[], str | None] | None = None,
    reads_data: Callable[[Report], bool] | None = None,
    write_site_index: bool = True,
    site_pages: bool = False,
) -> list[dict]:
    """Validate, then run what is stale; returns one status dict per report. ``ensure_data``
    (the command line passes the registry build) runs once before any notebook: parallel
    kernels read the data, they must not race to rebuild it. ``site``: every report of the site
    definition, listed in the index (default: ``reports``). The index is rewritten only when a
    published (non-variant) report was part of the run. ``results_root``: the results store
    (default: :func:`default_results_root`). ``data_version`` (the command line passes the
    registry's build id): read before the run, recorded in each report's build status and
    handed to its kernel, whose loaders refuse other tables; read again after the run, a
    change fails the build (:class:`DataChangedError`) for the reports that ``reads_data``.
    ``write_site_index`` False: ``site`` is not the whole site (a fan-out could not be expanded),
    so the index is left as it is rather than rewritten with fewer reports. ``site_pages``:
    after the reports, make the registry explorer, the filer pages and the data release
    (:mod:`.explorer`, skipped when the core tables and its code are unchanged); the command
    line asks for them."""
    out_root = Path(out_root or paths.REPORTS).resolve()
    results_root = Path(results_root or default_results_root(out_root)).resolve()
    for r in reports:  # validate everything before anything runs
        validate(r.notebook_path, r.parameters, r.id)
    out_root.mkdir(parents=True, exist_ok=True)
    if ensure_data:
        ensure_data(reports)
    clean_stale_temporaries(out_root, reports)
    results_root.mkdir(parents=True, exist_ok=True)
    clean_stale(results_root, ".*")
    mark_stale_upstream(reports, site if site is not None else reports, out_root, results_root)
    snapshot = data_version() if data_version else None  # every report reads this one
    # SIGTERM unwinds like Ctrl-C (SIGINT already raises KeyboardInterrupt)
    previous = (
        {signal.SIGTERM: signal.signal(signal.SIGTERM, _raise_interrupted)}
        if threading.current_thread() is threading.main_thread()
        else {}
    )
    write_assets(out_root)
    # what each report reads: a page's "data as of" names the registries and datasets of the
    # reports whose results it reads too
    reads = {
        r.id: {
            "parameters": r.parameters,
            "sources": list(r.sources),
            "needs_reports": list(r.needs_reports),
        }
        for r in (site if site is not None else reports)
    }
    page_extra = {
        "nav": site_nav(site if site is not None else reports),
        "site_config": site_config(),
        "site_pages": site_pages,
        "currency": registry_currency(),
        # Epoch AI's tables and how far their copies reach (read only when a page shows them)
        "datasets": dataset_currency() if reads_datasets(reports, reads) else {},
        "reads": reads,
        # report id -> title: a page that only checks a claim names the page of its verdict
        "titles": {r.id: r.title for r in (site if site is not None else reports)},
    }
    try:
        results = _run_stages(
            reports, out_root, jobs, force, timeout, progress, results_root, page_extra, snapshot
        )
    except KeyboardInterrupt:
        clean_stale_temporaries(out_root, reports)  # work folders of the stopped workers
        raise
    finally:
        for s, h in previous.items():
            signal.signal(s, h)
    readers = [
        r.id
        for r in reports
        if not results[r.out_folder].get("skipped") and (reads_data is None or reads_data(r))
    ]
    if data_version and readers and data_version() != snapshot:  # never an index of two builds
        raise DataChangedError(
            f"the registry tables changed during this reports build (another command rebuilt "
            f"them while {len(readers)} report(s) read them); the index was not rewritten; "
            "run `cnai reports build` again"
        )
    published = [r for r in (site if site is not None else reports) if not r.is_variant]
    ran = any(not results[r.out_folder].get("skipped") for r in reports if not r.is_variant)
    publishing = write_site_index and (any(not r.is_variant for r in reports) or not reports)
    if site_pages and publishing:
        from .explorer import build_site_pages

        pages = build_site_pages(out_root, [r.id for r in published], force=force)
        ran = ran or pages.get("status") == "ok"  # the index links to the new pages
        if progress:
            progress({"id": "site pages", **pages, "site_pages": True})
    if publishing and (ran or index_stale(out_root, published)):
        write_index(out_root, published)  # a no-op build keeps the index (and its search)
    return [results[r.out_folder] for r in reports]


def _run_stages(
    reports: list[Report],
    out_root: Path,
    jobs: int,
    force: bool,
    timeout: int,
    progress,
    results_root: Path,
    page_extra: dict | None = None,
    snapshot: str | None = None,
) -> dict[str, dict]:
    results: dict[str, dict] = {}
    base = articles = None
    for stage in sorted({r.stage for r in reports}):
        stage_reports = [r for r in reports if r.stage == stage]
        to_run, skipped = plan(stage_reports, out_root, force, results_root)
        for d in skipped:
            results[d["folder"]] = {**read_build(out_root, d["folder"]), "skipped": True}
        if not to_run:
            continue
        if articles is None:  # the claims each page tests, read here once (not per worker)
            articles = articles_by_report()
        for d in to_run:  # page chrome: neighbours in the site, base URL for citations
            d["nav"] = (page_extra or {}).get("nav", {}).get(d["id"])
            d["site_config"] = (page_extra or {}).get("site_config")
            d["registry_version"] = snapshot
            d["site_pages"] = (page_extra or {}).get("site_pages", False)
            d["report_titles"] = (page_extra or {}).get("titles", {})
            # the verdicts of claims judged on other pages, for a page that only checks them
            # (the primary report runs in an earlier stage: site.yaml needs.reports)
            d["claim_statuses"] = claim_statuses(results_root)
            d["claim_articles"] = articles.get(d["id"], [])
            d.update(
                page_currency(
                    d,
                    (page_extra or {}).get("currency") or {},
                    (page_extra or {}).get("reads") or {},
                    (page_extra or {}).get("datasets") or {},
                )
            )
        if base is None:
            from .kernel import ensure_kernel

            ensure_kernel()
            base = {"git": git_state(), "packages": package_versions()}
        # always in worker processes, even one: the main thread stays free to take Ctrl-C
        # (nbclient waits in a zmq poll that swallows it)
        workers = max(1, min(jobs, len(to_run)))
        _run_parallel(to_run, out_root, base, timeout, workers, results, progress, results_root)
    return results


def index_stale(out_root: Path, reports: list[Report]) -> bool:
    """True if the index page is missing or was written for another set of reports than
    ``reports`` (the ids recorded in :data:`INDEX_STATE` when it was written)."""
    if not (out_root / "index.html").exists():
        return True
    try:
        recorded = json.loads((out_root / INDEX_STATE).read_text(encoding="utf-8"))["reports"]
        return set(recorded) != {r.id for r in reports}
    except (OSError, ValueError, KeyError, TypeError):
        return True


def site_cff(text: str, version: str, git: dict, built: str, cfg: dict) -> str:
    """The project's CITATION.cff as the built site's: the version with the lists it was built
    from, the commit, the build date as its release date, and the site's address when
    ``site.base_url`` gives one (a reader citing the site cites what they read)."""
    import yaml

    cff = yaml.safe_load(text) or {}
    cff["version"] = version
    if git.get("commit") and git["commit"] != "unknown":
        cff["commit"] = git["commit"]
    cff["date-released"] = str(built)[:10]
    if cfg.get("base_url"):
        cff["url"] = cfg["base_url"]
    return yaml.safe_dump(cff, sort_keys=False, allow_unicode=True)


def write_index(out_root: Path, reports: list[Report]) -> None:
    """The site's front page (answers, reports by group, provinces, glossary), its assets, the
    project's CITATION.cff, and the offline search index when pagefind is installed."""
    from .. import paths
    from .search import build_search

    write_assets(out_root)
    builds = {r.id: read_build(out_root, r.id) for r in reports}
    pages = {r.id: (out_root / r.id / "index.html").exists() for r in reports}
    context = index_entries(reports, builds, pages)
    currency = registry_currency()
    context["latest"] = with_every_registry(latest_lists(out_root, reports), currency)
    context["links"] = site_links(out_root)
    cff = paths.ROOT / "CITATION.cff"
    context["citation"] = cff.exists()
    context.update(site_currency(currency))
    cfg = site_config()
    git, built = git_state(), now_iso()
    if cff.exists():  # the site's own: its data version, commit, build date and address
        write_text(
            out_root / "CITATION.cff",
            site_cff(cff.read_text(encoding="utf-8"), context["version"], git, built, cfg),
        )
    context.update(author=cfg["author"], articles=cfg["articles"], datasets=cfg["datasets"])
    context["base_url"] = cfg["base_url"]  # the index's canonical address, when published
    context["repository"] = cfg.get("repository", "")  # the code, when it has a public address
    context["lede"] = index_lede(cfg["lede"], context["groups"])
    write_text(
        out_root / "index.html", index_html(git=git, built_at=built, search=False, **context)
    )
    if build_search(out_root):
        write_text(
            out_root / "index.html", index_html(git=git, built_at=built, search=True, **context)
        )
    state = {"reports": [r.id for r in reports], "written_at": built}
    write_text(out_root / INDEX_STATE, json.dumps(state, indent=1))  # after the page


def summary(statuses: list[dict]) -> dict[str, Any]:
    return {
        "built": [s["id"] for s in statuses if s.get("status") == "ok" and not s.get("skipped")],
        "skipped": [s["id"] for s in statuses if s.get("skipped")],
        "failed": [
            s["id"] for s in statuses if s.get("status") == "failed" and not s.get("skipped")
        ],
    }
