"""Report site build: the naive CLI loop vs `cnai reports build --force --jobs 2`, a no-op, and
what an edit re-runs: a comment in cnai_helpers/cli.py (nothing) and in
cnai_helpers/analysis/compute.py (the compute reports only). The edits are made to the package
being benchmarked and undone afterwards, whatever happens."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import machine, save, timer  # noqa: E402

BIN = Path(sys.executable).parent
CNAI = [sys.executable, "-m", "cnai_helpers.cli"]  # the checkout on PYTHONPATH, not the venv's


def rerun_after_edit(cmd: list[str], path: Path, t: dict, key: str) -> list[str]:
    """Append a comment to ``path``, build, restore the file; the ids the build re-ran."""
    original = path.read_bytes()
    try:
        path.write_bytes(original + b"\n# bench: a comment\n")
        with timer(t, f"{key}_s"):
            r = subprocess.run(cmd, check=True, capture_output=True, text=True)
    finally:
        path.write_bytes(original)
    return [line.split()[1] for line in r.stderr.splitlines() if line.strip().startswith("ok ")]


def main() -> None:
    import cnai_helpers
    from cnai_helpers import paths
    from cnai_helpers.registry.ensure import ensure_registry
    from cnai_helpers.reports.site import load_site

    ensure_registry()
    only = sys.argv[1:] or None
    reports = [r for r in load_site() if not only or r.id in only]
    t: dict = {"reports": [r.id for r in reports]}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        naive = tmp / "naive"
        naive.mkdir()
        with timer(t, "naive_papermill_then_nbconvert_cli_s"):
            for r in reports:
                out = naive / f"{r.id}.ipynb"
                args = [
                    str(BIN / "papermill"),
                    str(r.notebook_path),
                    str(out),
                    "-k",
                    "cnai",
                    "--cwd",
                    str(paths.NOTEBOOKS),
                    "--no-progress-bar",
                ]
                for k, v in r.parameters.items():
                    args += ["-y", json.dumps({k: v})]
                subprocess.run(args, check=True, capture_output=True)
                subprocess.run(
                    [str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(out)],
                    check=True,
                    capture_output=True,
                )
        site_out = tmp / "site"
        cmd = [
            *CNAI,
            "reports",
            "build",
            "--out",
            str(site_out),
            "--force",
            "--jobs",
            "2",
        ] + sum((["--only", r.id] for r in reports), [])
        with timer(t, "cnai_build_force_jobs2_s"):
            subprocess.run(cmd, check=True, capture_output=True)
        noop = [c for c in cmd if c != "--force"]
        with timer(t, "cnai_noop_rebuild_s"):
            subprocess.run(noop, check=True, capture_output=True)
        pkg = Path(cnai_helpers.__file__).parent
        t["rerun_after_cli_comment"] = rerun_after_edit(noop, pkg / "cli.py", t, "cli_edit_build")
        t["rerun_after_compute_comment"] = rerun_after_edit(
            noop, pkg / "analysis" / "compute.py", t, "compute_edit_build"
        )
        shutil.rmtree(site_out, ignore_errors=True)
    t["ratio_cnai_vs_naive"] = round(
        t["cnai_build_force_jobs2_s"] / t["naive_papermill_then_nbconvert_cli_s"], 2
    )
    compute = sorted(r.id for r in reports if r.notebook == "compute_cost_penalty.ipynb")
    t["targets"] = {
        "ratio_max": 0.3,
        "noop_s_max": 1.0,
        "rerun_after_cli_comment": [],
        "rerun_after_compute_comment": compute,
    }
    t["met"] = {
        "ratio": t["ratio_cnai_vs_naive"] <= 0.3,
        "noop": t["cnai_noop_rebuild_s"] < 1,
        "cli_edit": t["rerun_after_cli_comment"] == [],
        "compute_edit": sorted(t["rerun_after_compute_comment"]) == compute,
    }
    save("reports", {"machine": machine(), "timings": t})


if __name__ == "__main__":
    main()
