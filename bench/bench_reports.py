"""Report site build: the naive CLI loop vs `cnai reports build --force --jobs 2`, and a no-op."""

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


def main() -> None:
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
            str(BIN / "cnai"),
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
        shutil.rmtree(site_out, ignore_errors=True)
    t["ratio_cnai_vs_naive"] = round(
        t["cnai_build_force_jobs2_s"] / t["naive_papermill_then_nbconvert_cli_s"], 2
    )
    t["targets"] = {"ratio_max": 0.6, "noop_s_max": 2.0}
    t["met"] = {"ratio": t["ratio_cnai_vs_naive"] <= 0.6, "noop": t["cnai_noop_rebuild_s"] < 2}
    save("reports", {"machine": machine(), "timings": t})


if __name__ == "__main__":
    main()
