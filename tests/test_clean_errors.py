"""Expected failures end in one or two lines naming the file and the fix (no traceback unless
`--debug` or CNAI_DEBUG=1), and a report that needs no registry data builds without it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from cnai_helpers import paths
from cnai_helpers.cli import app
from cnai_helpers.loaders import StaleRegistryError
from cnai_helpers.registry.build import build
from tests.test_registry_build import project  # noqa: F401  (fixture: a tiny project)
from tests.test_reports_pipeline import write_nb

runner = CliRunner()
REPO = Path(__file__).resolve().parent.parent
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def invoke(*args, env=None):
    return runner.invoke(app, list(args), env={"CNAI_DEBUG": "", **(env or {})})


def assert_clean(r, *needles, code=1):
    """Non-zero exit, no traceback, one or two lines, each needle in the message."""
    assert r.exit_code == code, (r.exit_code, r.output, r.exception)
    assert isinstance(r.exception, SystemExit), f"uncaught {r.exception!r}"
    assert "Traceback" not in r.output
    lines = [x for x in r.output.splitlines() if x.strip()]
    errors = [i for i, x in enumerate(lines) if x.startswith("error:")]
    assert len(errors) == 1, r.output
    # before it: at most progress (the rebuild notice, a progress bar); the message: <= 2 lines
    assert len(lines[errors[0] :]) <= 2, r.output
    assert len(lines) <= 4, r.output
    for n in needles:
        assert n in r.output, (n, r.output)


@pytest.fixture
def site_project(project, monkeypatch):  # noqa: F811
    """The tiny registry project plus a site: an Epoch-only report, a registry report and a
    fan-out whose values come from the registry tables."""
    root = project
    monkeypatch.setattr(paths, "ROOT", root)
    monkeypatch.setattr(paths, "REPORTS", root / "reports")
    monkeypatch.setattr(paths, "SITE", root / "site.yaml")
    monkeypatch.setattr(paths, "NOTEBOOKS", root / "notebooks")
    (root / "notebooks").mkdir()
    write_nb(
        root / "notebooks/t.ipynb",
        body="y = x + 1",
        params="x: int = 1  # a number\nprovince: str = ''  # a province\nfail: bool = False\n",
    )
    doc = {
        "reports": [
            {
                "id": "ep",
                "notebook": "t.ipynb",
                "title": "E",
                "question": "?",
                "sources": ["epoch_*"],
            },
            {
                "id": "reg",
                "notebook": "t.ipynb",
                "title": "R",
                "question": "?",
                "sources": ["ds_*"],
            },
            {
                "id": "prov-{value}",
                "notebook": "t.ipynb",
                "title": "P {label}",
                "question": "?",
                "sources": ["ds_*"],
                "fan_out": {
                    "parameter": "province",
                    "values_from": "provinces_with_min_filings",
                    "args": {"registry": "deep_synthesis", "min_filings": 1},
                },
            },
        ]
    }
    (root / "site.yaml").write_text(yaml.safe_dump(doc))
    return root


# ------------------------------------------------------------ a raw file is missing


def test_registry_build_and_stats_with_missing_raw_file(project):  # noqa: F811
    (project / "data/raw/genai.json").unlink()
    assert_clean(invoke("registry", "build"), "[genai]", "genai.json", "cnai data pull")
    # stats only reads: it names the command that builds (which names the missing file)
    assert_clean(invoke("registry", "stats"), "registry is not built: run `cnai registry build`")


def test_debug_flag_and_env_show_the_traceback(project):  # noqa: F811
    (project / "data/raw/genai.json").unlink()
    r = invoke("--debug", "registry", "stats")
    assert isinstance(r.exception, StaleRegistryError), r.output
    r = invoke("registry", "stats", env={"CNAI_DEBUG": "1"})
    assert isinstance(r.exception, StaleRegistryError), r.output


def test_reports_list_with_missing_raw_file(site_project):
    build(jobs=1)
    (site_project / "data/raw/ds/2024-10.docx").unlink()
    # listing reads the fan-out values from the tables: it names the missing file and the pull
    # that restores it (a rebuild, which "stale" would suggest, fails the same way; issue 29)
    r = invoke("reports", "list")
    assert_clean(r, "[ds_2]", "missing: run `cnai data pull --only ds_2`")
    assert "stale" not in r.output
    assert_clean(invoke("registry", "build"), "[ds_2]", "cnai data pull")


# ------------------------------------------------------------ broken data/local_sources.yaml

BROKEN_LOCAL = {
    "invalid yaml": "sources: [\n",
    "a list": "- a\n- b\n",
    "sources not a list": "sources: 5\n",
    "entry not a mapping": "sources: [5]\n",
    "entry missing fields": "sources:\n  - {id: local_x, format: cac_docx}\n",
    "size not a number": (
        "sources:\n  - {id: local_x, format: cac_docx, path: x.docx, url: u, sha256: ab, "
        "size: big, publisher: p, licence: l, citation: c}\n"
    ),
    "sha256 a list": (
        "sources:\n  - {id: local_x, format: cac_docx, path: x.docx, url: u, sha256: [ab], "
        "size: 1, publisher: p, licence: l, citation: c}\n"
    ),
    "not utf-8": b"sources: [\xff\xfe]\n",
}


@pytest.mark.parametrize(
    "command", [("registry", "stats"), ("reports", "list"), ("data", "status")]
)
@pytest.mark.parametrize("content", BROKEN_LOCAL.values(), ids=BROKEN_LOCAL.keys())
def test_broken_local_sources_yaml(site_project, command, content):
    f = site_project / "data/local_sources.yaml"
    f.write_bytes(content if isinstance(content, bytes) else content.encode())
    assert_clean(invoke(*command), "local_sources.yaml", "cnai registry add")


# ------------------------------------------------------------ folders that cannot be written


def _unwritable(folder: Path, how: str, chmod: Path | None = None) -> None:
    """Make ``folder`` unusable. Root ignores permission bits, so "file" (a file where the folder
    should be) is the way that works for everyone; "chmod" (of ``chmod``, default the folder
    itself) runs only as a normal user."""
    if how == "chmod":
        if IS_ROOT:
            pytest.skip("root ignores permission bits; the 'file' variant covers this case")
        (chmod or folder).chmod(0o500)
        return
    if folder.exists():
        shutil.rmtree(folder)
    folder.write_text("not a folder")


@pytest.mark.parametrize("how", ["file", "chmod"])
def test_processed_not_writable(project, how):  # noqa: F811
    data = project / "data"
    try:
        # the build writes a temporary folder beside data/processed, then swaps it in
        _unwritable(data / "processed", how, chmod=data)
        assert_clean(invoke("registry", "build"), "processed")
        assert_clean(invoke("registry", "stats"), "processed")
    finally:
        data.chmod(0o755)


@pytest.mark.parametrize("how", ["file", "chmod"])
def test_reports_folder_not_writable(site_project, how):
    reports = site_project / "reports"
    reports.mkdir()
    try:
        _unwritable(reports, how)
        assert_clean(invoke("reports", "build", "--only", "ep"), "reports")
        if how == "file":  # a read-only reports/ is fine for listing; a file is not
            assert_clean(invoke("reports", "list"), "reports")
    finally:
        if reports.is_dir():
            reports.chmod(0o755)


# ------------------------------------------------------------ the console script


def test_console_entry_point_is_clean(project):  # noqa: F811
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["cnai"] == "cnai_helpers.cli:main"
    (project / "data/raw/genai.json").unlink()
    env = {**os.environ, "CNAI_ROOT": str(project), "PYTHONPATH": str(REPO), "CNAI_DEBUG": ""}
    run = [sys.executable, "-c", "from cnai_helpers.cli import main; main()", "registry"]
    r = subprocess.run([*run, "build"], env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 1, r.stderr
    assert "Traceback" not in r.stderr and "[genai]" in r.stderr and "cnai data pull" in r.stderr
    assert len([x for x in r.stderr.splitlines() if x.startswith("error:")]) == 1, r.stderr
    assert len(r.stderr.splitlines()) <= 2, r.stderr
    r = subprocess.run([*run, "stats"], env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    assert r.stderr.startswith("error: registry is not built: run `cnai registry build`")
    r = subprocess.run(
        [*run[:3], "--debug", *run[3:], "stats"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 1 and "Traceback" in r.stderr and "StaleRegistryError" in r.stderr


# ------------------------------------------------------------ 5. registry only when needed


def test_report_without_registry_sources_builds_when_registry_source_missing(site_project):
    (site_project / "data/raw/genai.json").unlink()
    r = invoke("reports", "build", "--only", "ep")
    assert r.exit_code == 0, r.output
    assert (site_project / "reports/ep/index.html").exists()
    r = invoke("reports", "build", "--only", "reg")
    assert_clean(r, "[genai]", "cnai data pull")
    assert not (site_project / "reports/reg").exists()
    # a pattern that could select a fan-out report needs its values, hence the registry
    assert_clean(invoke("reports", "build", "--only", "prov-*"), "[genai]", "cnai data pull")


@pytest.mark.parametrize(
    "template,pattern,expected",
    [
        ("province-{value}", "compute", False),
        ("province-{value}", "registry-*", False),
        ("province-{value}", "province-11", True),
        ("province-{value}", "prov*", True),
        ("province-{value}", "*-11", True),
        ("province-{value}", "*", True),
        ("registry-{value}", "r?g*", True),
        ("x-{value}-y", "x-[ab]-y", True),
        ("x-{value}-y", "x-a-z", False),
    ],
)
def test_only_pattern_may_select_fan_out(template, pattern, expected):
    from cnai_helpers.reports.site import may_select

    assert may_select(template, [pattern]) is expected
