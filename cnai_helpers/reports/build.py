"""`cnai reports build`: execute notebooks with papermill and publish them as an HTML site.

Per report: parameters validated against the notebook before anything runs; executed headless on
the project's kernel (IPC transport, so parallel kernels never clash on ports) with the notebooks
folder as working directory; rendered in-process with nbconvert; written to ``reports/<id>/``
by an atomic directory swap. Incremental: a report re-runs only when its notebook, parameters,
helper package, curated tables or data checksums change. A failing report does not stop the
others, keeps its last good page and gets an error page.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing as mp
import shutil
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict
from pathlib import Path
from typing import Any

from .. import paths
from ..atomic import atomic_dir, write_text
from .params import validate
from .provenance import git_state, helper_hash, now_iso, package_versions, sources_for
from .render import index_html, notebook_html
from .site import Report

BUILD_FILE = "build.json"


def fingerprint(report: Report, helpers: str, data: dict[str, str]) -> str:
    h = hashlib.sha256()
    h.update(report.notebook_path.read_bytes())
    h.update(json.dumps(report.parameters, sort_keys=True, ensure_ascii=False).encode())
    h.update(helpers.encode())
    h.update(json.dumps(data, sort_keys=True).encode())
    return h.hexdigest()


def read_build(out_root: Path, report_id: str) -> dict:
    try:
        return json.loads((out_root / report_id / BUILD_FILE).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def _execute(report: dict, out_root: str, prov: dict, timeout: int) -> dict:
    """Run in a worker process: execute, render, publish one report. Never raises."""
    import nbformat
    import papermill as pm

    from ..results import collect, collect_kinds
    from .kernel import KERNEL_NAME, IPCKernelManager

    out_root_p = Path(out_root)
    rid = report["id"]
    nb_path = Path(report["notebook_path"])
    t0 = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix=f".build-{rid}-", dir=out_root_p))
    executed = work / f"{rid}.ipynb"
    error = None
    try:
        pm.execute_notebook(
            str(nb_path), str(executed), parameters=report["parameters"],
            kernel_name=KERNEL_NAME, cwd=str(nb_path.parent), progress_bar=False,
            log_output=False, execution_timeout=timeout, start_timeout=120,
            kernel_manager_class=IPCKernelManager,
        )
    except pm.PapermillExecutionError as e:
        error = f"cell {e.exec_count}: {e.ename}: {e.evalue}"
    except Exception as e:  # kernel died, timeout, bad notebook: still a failed report
        error = f"{type(e).__name__}: {e}"
    seconds = round(time.perf_counter() - t0, 2)
    prov = {**prov, "report_id": rid, "notebook": f"notebooks/{report['notebook']}",
            "parameters": report["parameters"], "seconds": seconds, "built_at": now_iso()}
    status = {"id": rid, "fingerprint": report["fingerprint"], "built_at": prov["built_at"],
              "seconds": seconds, "parameters": report["parameters"],
              "title": report["title"], "question": report["question"]}
    dest = out_root_p / rid
    try:
        nb = nbformat.read(executed, as_version=4) if executed.exists() else None
        if error is None:
            values, descriptions = collect(nb)
            html = notebook_html(nb, prov)
            with atomic_dir(dest) as tmp:
                shutil.copyfile(executed, tmp / f"{rid}.ipynb")
                (tmp / "index.html").write_text(html, encoding="utf-8")
                (tmp / "results.json").write_text(
                    json.dumps(values, indent=1, ensure_ascii=False), encoding="utf-8")
                status.update(status="ok", last_good=prov["built_at"], results=values,
                              descriptions=descriptions, kinds=collect_kinds(nb),
                              provenance=prov)
                (tmp / BUILD_FILE).write_text(json.dumps(status, indent=1, ensure_ascii=False),
                                              encoding="utf-8")
        else:
            previous = read_build(out_root_p, rid)
            dest.mkdir(parents=True, exist_ok=True)
            if nb is not None:
                write_text(dest / "error.html", notebook_html(nb, prov, failed=error))
                shutil.copyfile(executed, dest / "failed.ipynb")
            status.update(status="failed", error=error, fingerprint=None,
                          last_good=previous.get("last_good"),
                          results=previous.get("results", {}),
                          descriptions=previous.get("descriptions", {}),
                          kinds=previous.get("kinds", {}))
            write_text(dest / BUILD_FILE, json.dumps(status, indent=1, ensure_ascii=False))
    except Exception as e:  # rendering failed: report it, keep the last good page
        status.update(status="failed", error=f"rendering: {type(e).__name__}: {e}",
                      fingerprint=None)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return status


def upstream_results(out_root: Path, reports: list[Report], stage: int) -> dict[str, str]:
    """Checksums of the results.json of every lower-stage report: a later-stage report (the
    claims ledger) re-runs when any figure it reads changes."""
    out = {}
    for r in reports:
        if r.stage < stage:
            p = out_root / r.id / "results.json"
            out[r.id] = hashlib.sha256(p.read_bytes()).hexdigest() if p.exists() else "missing"
    return out


def plan(reports: list[Report], out_root: Path, force: bool,
         upstream: dict[str, str] | None = None) -> tuple[list[dict], list[dict]]:
    """(to_run, skipped): each a dict describing the report with its fingerprint."""
    helpers = helper_hash()
    to_run, skipped = [], []
    for r in reports:
        used = sources_for(r.sources)
        data = {**used, **{f"report:{k}": v for k, v in (upstream or {}).items()}}
        fp = fingerprint(r, helpers, data)
        d = {**asdict(r), "fingerprint": fp, "sources_used": used,
             "notebook_path": str(r.notebook_path)}
        prev = read_build(out_root, r.id)
        fresh = (prev.get("status") == "ok" and prev.get("fingerprint") == fp
                 and (out_root / r.id / "index.html").exists())
        (skipped if fresh and not force else to_run).append(d)
    return to_run, skipped


def build_reports(reports: list[Report], out_root: Path | None = None, jobs: int = 1,
                  force: bool = False, timeout: int = 600, progress=None,
                  ensure_data: Callable[[list[Report]], object] | None = None) -> list[dict]:
    """Validate, then run what is stale; returns one status dict per report. ``ensure_data``
    (the command line passes the registry build) runs once before any notebook: parallel
    kernels read the data, they must not race to rebuild it."""
    from .kernel import ensure_kernel

    out_root = Path(out_root or paths.REPORTS)
    out_root.mkdir(parents=True, exist_ok=True)
    for r in reports:  # validate everything before anything runs
        validate(r.notebook_path, r.parameters, r.id)
    if ensure_data:
        ensure_data(reports)
    results: dict[str, dict] = {}
    base = None
    for stage in sorted({r.stage for r in reports}):
        stage_reports = [r for r in reports if r.stage == stage]
        upstream = upstream_results(out_root, reports, stage) if stage > 0 else None
        to_run, skipped = plan(stage_reports, out_root, force, upstream)
        for d in skipped:
            results[d["id"]] = {**read_build(out_root, d["id"]), "skipped": True}
        if not to_run:
            continue
        if base is None:
            ensure_kernel()
            base = {"git": git_state(), "packages": package_versions()}
        workers = max(1, min(jobs, len(to_run)))
        if workers == 1:
            for d in to_run:
                results[d["id"]] = _execute(d, str(out_root), {**base, "sources":
                                            d["sources_used"]}, timeout)
                if progress:
                    progress(results[d["id"]])
            continue
        ctx = mp.get_context("spawn")  # no forked threads/event loops inside workers
        with ProcessPoolExecutor(workers, mp_context=ctx) as ex:
            futs = {ex.submit(_execute, d, str(out_root),
                              {**base, "sources": d["sources_used"]}, timeout): d["id"]
                    for d in to_run}
            for f in as_completed(futs):
                results[futs[f]] = f.result()
                if progress:
                    progress(results[futs[f]])
    write_index(out_root, reports)
    return [results[r.id] for r in reports]


def write_index(out_root: Path, reports: list[Report]) -> None:
    from ..results import fmt

    entries = []
    for r in reports:
        b = read_build(out_root, r.id)
        has_page = (out_root / r.id / "index.html").exists()
        status = b.get("status", "missing")
        if status == "failed":
            css, text = ("stale", "failed — stale") if has_page else ("failed", "failed")
        elif status == "ok":
            css, text = "ok", f"built {b.get('built_at', '')}"
        else:
            css, text = "missing", "not built"
        descriptions = b.get("descriptions", {})
        kinds = b.get("kinds", {})
        figures = [(k, fmt(v, kinds.get(k)), descriptions.get(k, ""))
                   for k, v in b.get("results", {}).items()
                   if not isinstance(v, (list, dict))][:8]
        entries.append({"id": r.id, "title": r.title, "question": r.question,
                        "has_page": has_page, "css": css, "status_text": text,
                        "error": b.get("error"), "last_good": b.get("last_good"),
                        "figures": figures})
    write_text(out_root / "index.html", index_html(entries, git_state(), now_iso()))


def summary(statuses: list[dict]) -> dict[str, Any]:
    return {
        "built": [s["id"] for s in statuses if s.get("status") == "ok" and not s.get("skipped")],
        "skipped": [s["id"] for s in statuses if s.get("skipped")],
        "failed": [s["id"] for s in statuses if s.get("status") == "failed"
                   and not s.get("skipped")],
    }
