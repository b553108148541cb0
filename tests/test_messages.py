"""Messages instead of tracebacks (issue 29): a full disk, a locale that cannot print Chinese, a
read-only data/raw, empty lists and reversed batch ranges as parameters, and spreadsheet
formulas in the CSV downloads."""

from __future__ import annotations

import errno
import io
import json
import os
import subprocess
import sys

import pandas as pd
import pytest
from test_reports_hardening import one_line_error
from test_reports_pipeline import cli_build
from typer.testing import CliRunner

import tests.test_cancellations as tc
from cnai_helpers import paths, pull
from cnai_helpers.cli import app
from cnai_helpers.display import csv_meta, spreadsheet_safe
from cnai_helpers.registry import build as build_mod
from cnai_helpers.registry.build import build
from cnai_helpers.reports.params import ParameterError, validate
from tests.fixtures import write_site

project = tc.project
runner = CliRunner()
ENV = {**os.environ, "PYTHONPATH": str(paths.ROOT)}


# ---------------------------------------------------------------- a full disk


def _duckdb_full():
    import duckdb

    return duckdb.IOException('Could not write file "registry.duckdb": No space left on device')


@pytest.mark.parametrize(
    "error",
    [
        lambda: OSError(errno.ENOSPC, "No space left on device", "data/processed/x.parquet"),
        lambda: OSError(errno.ENOSPC, "No space left on device"),  # no file name (pyarrow)
        lambda: OSError("Error writing bytes to file. Detail: [errno 28] No space left on device"),
        _duckdb_full,
    ],
)
@pytest.mark.parametrize("command", [["registry", "build", "--force"], ["registry", "add"]])
def test_a_full_disk_is_one_line(project, tmp_path, monkeypatch, error, command):
    build(jobs=1)
    before = (project / "data/processed/filings.parquet").read_bytes()

    def full(*a, **k):
        raise error()

    monkeypatch.setattr(build_mod, "write_tables", full)
    if command[-1] == "add":
        from test_writers import new_list

        command = [*command, str(new_list(tmp_path / "n.docx"))]
    r = runner.invoke(app, command)
    assert r.exit_code == 1, r.output
    line = one_line_error(r)
    assert "no space left on the device" in line and "free some space" in line
    assert (project / "data/processed/filings.parquet").read_bytes() == before


# ---------------------------------------------------------------- a locale without Chinese


def test_an_ascii_terminal_gets_escapes_not_a_traceback(tmp_path):
    site = write_site(
        tmp_path,
        reports=[{"id": "zh", "notebook": "t.ipynb", "title": "网信算备", "question": "?"}],
    )
    env = {**ENV, "PYTHONIOENCODING": "ascii", "LANG": "C", "LC_ALL": "C"}
    cli = [sys.executable, "-m", "cnai_helpers.cli"]
    r = subprocess.run(
        [*cli, "reports", "list", "--json", "--site", str(site / "site.yaml")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    assert json.loads(r.stdout)[0]["title"] == "网信算备"  # JSON escapes read back
    r = subprocess.run(
        [*cli, "data", "hash", str(tmp_path / "清单.docx")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    assert "no such file" in r.stderr


# ---------------------------------------------------------------- a read-only data/raw


@pytest.mark.parametrize("code", [errno.EROFS, errno.EACCES])
@pytest.mark.parametrize("command", ["verify", "pull"])
def test_read_only_raw_folder_is_a_warning(tiny_mirror, monkeypatch, code, command):
    mirror, manifest, raw = tiny_mirror
    args = ["--manifest", str(manifest), "--raw-dir", str(raw)]
    assert runner.invoke(app, ["data", "pull", *args, "--mirror", str(mirror)]).exit_code == 0

    def refuse(target, text):
        raise OSError(code, os.strerror(code), str(target))

    monkeypatch.setattr(pull, "write_text", refuse)
    extra = ["--mirror", str(mirror)] if command == "pull" else []
    r = runner.invoke(app, ["data", command, *args, *extra])
    assert r.exit_code == 0, r.output
    assert "warning: cannot write" in r.output and ".verified.json" in r.output
    assert "Traceback" not in r.output


# ---------------------------------------------------------------- parameters


PARAMS = """x: int = 1  # a number
hubs: list = ["Beijing"]  # hub cities [min_items: 1]
codes: list = ["11"]  # provinces [choices: 11, 44] [min_items: 1]
tags: list = []  # anything, even nothing
batch_from: str = ""  # first batch [pattern: (\\d{4}-\\d{2})?]
batch_to: str = ""  # last batch [pattern: (\\d{4}-\\d{2})?]
fail: bool = False  # unused
"""


@pytest.mark.parametrize(
    "overrides,needle",
    [
        (["hubs=[]"], "'hubs' = [] needs at least 1 item"),
        (["codes=[]"], "'codes' = [] needs at least 1 item"),
        (["codes=[99]"], "is not one of 11, 44"),
        (
            ["batch_from=2026-03", "batch_to=2025-01"],
            "'batch_from' = '2026-03' is after 'batch_to'",
        ),
    ],
)
def test_empty_lists_and_reversed_ranges_are_parameter_errors(tmp_path, overrides, needle):
    site = write_site(tmp_path, params=PARAMS, body="print(hubs)")
    args = [a for kv in overrides for a in ("-p", kv)]
    r = cli_build(site, "--only", "one", *args)
    assert r.exit_code == 2, r.output
    assert needle in one_line_error(r)
    assert not (site / "reports" / "_variants").exists()


def test_accepted_lists_and_ranges(tmp_path):
    site = write_site(tmp_path, params=PARAMS, body="print(hubs)")
    nb = site / "notebooks/t.ipynb"
    validate(nb, {"tags": [], "hubs": ["a", "b"], "batch_from": "2025-01", "batch_to": "2025-01"})
    validate(nb, {"batch_from": "2026-03"})  # the other end open


@pytest.mark.parametrize(
    "notebook,override",
    [
        ("batch_digest.ipynb", {"hubs": []}),
        ("batch_digest.ipynb", {"hub_provinces": []}),
        ("geographic_clustering.ipynb", {"hubs": []}),
        ("geographic_clustering.ipynb", {"batch_from": "2026-01", "batch_to": "2025-01"}),
        ("registry_overview.ipynb", {"batch_from": "2026-01", "batch_to": "2025-01"}),
        ("who_files.ipynb", {"batch_from": "2026-01", "batch_to": "2025-01"}),
        ("open_vs_closed_monetization.ipynb", {"labs": []}),
    ],
)
def test_real_notebooks_refuse_empty_lists_and_reversed_ranges(notebook, override):
    with pytest.raises(ParameterError, match="needs at least 1 item|is after"):
        validate(paths.NOTEBOOKS / notebook, override, "r")


# ---------------------------------------------------------------- CSV downloads


@pytest.mark.parametrize(
    "cell,expected",
    [
        ('=HYPERLINK("http://x.example","click")', '\'=HYPERLINK("http://x.example","click")'),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\t=1", "'\t=1"),
        ("-3.5", "-3.5"),  # a number written as text stays a number
        ("+86", "+86"),
        ("北京=好", "北京=好"),
        ("plain", "plain"),
        (12, 12),
    ],
)
def test_spreadsheet_safe(cell, expected):
    assert spreadsheet_safe(cell) == expected


def test_csv_downloads_never_carry_formulas():
    df = pd.DataFrame(
        {
            "filer": ['=HYPERLINK("http://evil.example","x")', "北京示例"],
            "n": [-1, 2],
            "=col": ["a", "b"],
        }
    )
    back = pd.read_csv(io.StringIO(csv_meta(df)["csv"]), dtype=str)
    assert back["filer"].tolist() == ['\'=HYPERLINK("http://evil.example","x")', "北京示例"]
    assert back["n"].tolist() == ["-1", "2"], "numbers are not text: left as they are"
    assert list(back.columns) == ["filer", "n", "'=col"]
    assert not any(str(v).startswith(("=", "+", "@")) for v in back.to_numpy().ravel())
