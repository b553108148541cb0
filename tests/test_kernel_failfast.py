"""Kernel execution that fails fast (issue 29): a kernel that dies (as under the out-of-memory
killer) or a cell past ``--timeout`` fails its report within seconds instead of hanging the
build; workers and kernels die with the main process; ``--jobs`` is capped by memory."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
import yaml
from test_reports_hardening import descendants
from typer.testing import CliRunner

from cnai_helpers import paths
from cnai_helpers.cli import app
from cnai_helpers.reports import build as build_mod
from tests.fixtures import write_nb

PARAMS = "nap: float = 0.0  # seconds [range: 0..600]\nfail: bool = False  # unused\n"
BODIES = {
    # what the out-of-memory killer does: SIGKILL of the kernel process
    "dies": "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)",
    "loops": "while True:\n    pass",
    "sleeps": "import time\ntime.sleep(nap)",
}


def site_with(tmp_path, kind: str):
    nbs = tmp_path / "notebooks"
    nbs.mkdir(exist_ok=True)
    write_nb(nbs / f"{kind}.ipynb", body=BODIES[kind], params=PARAMS)
    doc = {"reports": [{"id": kind, "notebook": f"{kind}.ipynb", "title": "T", "question": "?"}]}
    (tmp_path / "site.yaml").write_text(yaml.safe_dump(doc))
    return tmp_path


def build_cmd(root, *args):
    return [
        sys.executable,
        "-m",
        "cnai_helpers.cli",
        "reports",
        "build",
        "--site",
        str(root / "site.yaml"),
        "--out",
        str(root / "reports"),
        *args,
    ]


ENV = {**os.environ, "PYTHONPATH": str(paths.ROOT)}


@pytest.mark.parametrize(
    "kind,args,needle",
    [
        ("dies", [], "kernel died (out of memory?)"),
        # its loop burns CPU until the timeout: 2 s (every other cell takes milliseconds)
        ("loops", ["--timeout", "2"], "ran longer than the 2 s allowed (--timeout)"),
    ],
)
def test_dead_kernel_or_timeout_fails_the_report_fast(tmp_path, kind, args, needle):
    root = site_with(tmp_path, kind)
    t0 = time.monotonic()
    r = subprocess.run(build_cmd(root, *args), env=ENV, capture_output=True, text=True, timeout=120)
    took = time.monotonic() - t0
    assert r.returncode == 1, r.stderr
    assert needle in r.stderr, r.stderr
    assert "Traceback" not in r.stderr
    assert took < 60, f"took {took:.0f} s"
    assert not (root / "reports" / kind / "index.html").exists()


def test_workers_and_kernels_die_with_the_main_process(tmp_path):
    psutil = pytest.importorskip("psutil")
    root = site_with(tmp_path, "sleeps")
    doc = yaml.safe_load((root / "site.yaml").read_text())
    doc["reports"][0]["parameters"] = {"nap": 300}
    (root / "site.yaml").write_text(yaml.safe_dump(doc))
    proc = subprocess.Popen(
        build_cmd(root), env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline, kernels = time.time() + 90, []
        while time.time() < deadline and not kernels:
            kernels = [p for p in descendants(proc.pid) if "ipykernel" in " ".join(p.cmdline())]
            time.sleep(0.5)
        assert kernels, "the kernel never started"
        family = descendants(proc.pid)
        proc.send_signal(signal.SIGKILL)  # no handler runs: only the workers' watchdog can act
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    _, alive = psutil.wait_procs(family, timeout=15)
    for p in alive:  # do not leave them behind even when the test fails
        p.kill()
    assert not alive, f"outlived the main process: {[p.pid for p in alive]}"


@pytest.mark.parametrize(
    "available_mb,jobs,expected,capped",
    [(10_000, 4, 4, False), (1_000, 8, 2, True), (100, 3, 1, True), (100, 1, 1, False)],
)
def test_jobs_capped_by_available_memory(monkeypatch, available_mb, jobs, expected, capped):
    psutil = pytest.importorskip("psutil")

    class VM:
        available = available_mb * 2**20

    monkeypatch.setattr(psutil, "virtual_memory", lambda: VM)
    got, message = build_mod.memory_cap(jobs, per_job=400 * 2**20)
    assert got == expected
    assert (message is not None) == capped
    if capped:
        assert f"--jobs {jobs} capped at {expected}" in message


def test_capped_jobs_are_reported_by_the_command(tmp_path, monkeypatch):
    psutil = pytest.importorskip("psutil")

    class VM:
        available = 500 * 2**20

    monkeypatch.setattr(psutil, "virtual_memory", lambda: VM)
    root = site_with(tmp_path, "sleeps")
    r = CliRunner().invoke(
        app,
        ["reports", "build", "--site", str(root / "site.yaml"), "--out", str(root / "reports")]
        + ["--jobs", "16"],
    )
    assert r.exit_code == 0, r.output
    assert "--jobs 16 capped at 1" in r.output
