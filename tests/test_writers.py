"""Writers of data/ (issue 29): one at a time, a reports build reading one snapshot of the core
tables, interruptions and undo that leave the project consistent, repeated and re-listed
cancellations. The ``project`` fixture of test_cancellations.py: a temporary project with three
lists and a cancellation notice file (never the real data/)."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

import tests.test_cancellations as tc
from cnai_helpers import atomic, loaders, paths
from cnai_helpers.cli import app
from cnai_helpers.registry import build as build_mod
from cnai_helpers.registry.build import build
from cnai_helpers.registry.fingerprint import is_stale, registry_version
from tests.fixtures import ds_row, make_docx, num

project = tc.project
runner = CliRunner()
DS_A = tc.DS_A  # listed in 2024-08, cancelled by the 2025-07-14 notice
NEW_LIST_TITLE = "境内深度合成服务算法备案清单（2026年5月）"


def snapshot(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def cli(*args):
    return runner.invoke(app, [str(a) for a in args])


def new_list(path: Path, *numbers: str) -> Path:
    numbers = numbers or (num("340104", serial=11),)
    rows = [ds_row(i, n, entity="合肥示例有限公司") for i, n in enumerate(numbers, start=1)]
    return make_docx(path, rows, title=NEW_LIST_TITLE)


def notice_csv(path: Path, date: str, *codes: str, extra: str = "") -> Path:
    tc._new_notice_csv(path, *codes)
    text = path.read_text(encoding="utf-8").replace("2026-09-10", date)
    path.write_text(text + extra, encoding="utf-8")
    return path


def local_ids(root: Path) -> list[str]:
    f = root / "data/local_sources.yaml"
    if not f.exists():
        return []
    return [e["id"] for e in yaml.safe_load(f.read_text(encoding="utf-8"))["sources"]]


ENV = {**os.environ, "PYTHONPATH": str(paths.ROOT)}


# ---------------------------------------------------------------- 1. one writer at a time


@pytest.fixture
def held_lock(project):
    """Another process holding the data/ lock as `cnai registry add` would."""
    code = (
        "import time\nfrom cnai_helpers.writelock import data_writer\n"
        "with data_writer('registry add'):\n    print('held', flush=True)\n    time.sleep(120)\n"
    )
    env = {**ENV, "CNAI_ROOT": str(project)}
    proc = subprocess.Popen(
        [sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout.readline().strip() == "held"
        yield proc
    finally:
        proc.kill()
        proc.wait()


@pytest.mark.parametrize(
    "command",
    [
        ["registry", "build", "--force"],
        ["registry", "add", "NEW_LIST"],
        ["registry", "remove", "local_x"],
        ["registry", "add-cancellations", "NOTICE"],
        ["data", "pull"],
        ["data", "verify"],
    ],
)
def test_a_second_writer_waits_for_the_first(project, tmp_path, held_lock, monkeypatch, command):
    build(jobs=1)
    files = {
        "NEW_LIST": new_list(tmp_path / "n.docx"),
        "NOTICE": notice_csv(tmp_path / "n.csv", "2026-09-10", tc.DS_D),
    }
    before = snapshot(project / "data")
    monkeypatch.setenv("CNAI_LOCK_TIMEOUT", "1")
    r = cli(*[files.get(a, a) for a in command])
    assert r.exit_code == 1, r.output
    assert "waiting for `cnai registry add`" in r.output
    assert "still being written by `cnai registry add`" in r.output
    assert "Traceback" not in r.output
    assert snapshot(project / "data") == before


def test_two_adds_at_once_both_survive(project, tmp_path):
    """Two `registry add` started together: the second waits and adds to what the first left."""
    build(jobs=1)
    a = new_list(tmp_path / "a.docx", num("340104", serial=11))
    b = make_docx(
        tmp_path / "b.docx",
        [ds_row(1, num("340104", serial=12), entity="合肥示例有限公司")],
        title="境内深度合成服务算法备案清单（2026年6月）",
    )
    env = {**ENV, "CNAI_ROOT": str(project)}
    cmd = [sys.executable, "-m", "cnai_helpers.cli", "registry", "add"]
    procs = [
        subprocess.Popen([*cmd, str(f)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for f in (a, b)
    ]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    assert len(local_ids(project)) == 2
    f = pd.read_parquet(project / "data/processed/filings.parquet")
    assert {"2026-05", "2026-06"} <= set(f["first_batch"])
    assert len(list((project / "data/raw/local").rglob("*.docx"))) == 2
    assert not is_stale()


# ---------------------------------------------------------------- 2. one snapshot per reports build


def test_a_kernel_refuses_tables_rebuilt_under_it(project, monkeypatch):
    build(jobs=1)
    monkeypatch.setenv("CNAI_REGISTRY_VERSION", registry_version())
    assert len(loaders.load_filings()) > 0
    build(jobs=1, force=True)  # another command rebuilds the tables mid-run
    with pytest.raises(loaders.StaleRegistryError, match="changed during this reports build"):
        loaders.load_filings()


def test_a_reports_build_that_sees_the_tables_change_fails(tmp_path):
    from cnai_helpers.reports.build import DataChangedError, build_reports, status_file
    from cnai_helpers.reports.site import load_site
    from tests.fixtures import write_site

    site = write_site(tmp_path)
    reports = [r for r in load_site(site / "site.yaml") if r.id == "one"]
    versions = iter(["v1", "v2"])  # the registry is rebuilt while the report runs
    with pytest.raises(DataChangedError, match="changed during this reports build"):
        build_reports(
            reports,
            out_root=site / "reports",
            data_version=lambda: next(versions),
            reads_data=lambda r: True,
        )
    assert not (site / "reports/index.html").exists(), "an index of two builds"
    st = json.loads(status_file(site / "reports-results", "one").read_text())
    assert st["registry_version"] == "v1"


# ---------------------------------------------------------------- 3. undo and interruption


def test_remove_rebuilds_from_the_same_sources_as_build(project, tmp_path):
    build(jobs=1)
    n_cancelled = len(pd.read_parquet(project / "data/processed/cancellations.parquet"))
    assert n_cancelled > 0
    assert cli("registry", "add", new_list(tmp_path / "n.docx")).exit_code == 0
    (sid,) = local_ids(project)
    r = cli("registry", "remove", sid)
    assert r.exit_code == 0, r.output
    c = pd.read_parquet(project / "data/processed/cancellations.parquet")
    assert len(c) == n_cancelled, "remove rebuilt without the cancellation notices"
    assert not is_stale(), "remove left tables that every loader calls stale"


@pytest.mark.parametrize("at_rename", [1, 2])
def test_ctrl_c_during_the_swap_leaves_a_consistent_project(
    project, tmp_path, monkeypatch, at_rename
):
    """Ctrl-C between or after the two renames of the tables folder: the swap is finished, the
    add is kept whole (entry, file, tables) and no .processed.old is left."""
    build(jobs=1)
    real, calls = os.replace, []

    def replace(src, dst):
        real(src, dst)
        if Path(dst).name in ("processed", ".processed.old"):  # the swap's renames
            calls.append(dst)
            if len(calls) == at_rename:
                signal.raise_signal(signal.SIGINT)

    monkeypatch.setattr(atomic.os, "replace", replace)
    r = cli("registry", "add", new_list(tmp_path / "n.docx"))
    monkeypatch.setattr(atomic.os, "replace", real)
    assert r.exit_code != 0
    assert not (project / "data/.processed.old").exists()
    assert len(local_ids(project)) == 1
    assert not is_stale(), "tables and recorded sources disagree"


def test_ctrl_c_during_add_cancellations_rolls_back(project, tmp_path, monkeypatch):
    build(jobs=1)
    before = snapshot(project / "data")
    new = notice_csv(tmp_path / "n.csv", "2026-09-10", tc.DS_D)

    def interrupt(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(build_mod, "build_tables", interrupt)
    r = cli("registry", "add-cancellations", new)
    assert r.exit_code != 0
    assert snapshot(project / "data") == before, "the aborted notice was kept"
    assert not (project / "data/raw/local").exists()


def test_a_killed_writers_leftovers_are_cleared_by_the_next_build(project):
    build(jobs=1)
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], text=True, capture_output=True
    ).stdout.strip()
    tmp = project / f"data/.processed.tmp-{dead}-abc123"
    tmp.mkdir()
    (tmp / atomic.MARKER).write_text("")
    (tmp / "filings.parquet").write_bytes(b"half")
    mine = project / f"data/.notes.tmp-{dead}-abc123"  # a temporary's name, no marker: kept
    mine.mkdir()
    r = cli("registry", "build")  # a no-op build
    assert r.exit_code == 0, r.output
    assert not tmp.exists()
    assert mine.exists()


# ---------------------------------------------------------------- 4. cancellations


def _json_of(notice: dict, indent: int | None) -> str:
    return json.dumps({"notices": [notice]}, ensure_ascii=False, indent=indent)


@pytest.mark.parametrize(
    "name,content",
    [
        ("same_plus_newline.json", lambda: _json_of(tc.NOTICES[2], None) + "\n"),
        ("reindented.json", lambda: _json_of(tc.NOTICES[2], 2)),
        ("as_csv.csv", None),  # the same notice written as CSV rows
    ],
)
def test_a_repeated_notice_is_refused(project, tmp_path, name, content):
    build(jobs=1)
    before = snapshot(project / "data")
    f = tmp_path / name
    if content is None:
        notice_csv(f, tc.NOTICES[2]["date"], tc.DS_B, tc.DS_C)
    else:
        f.write_text(content(), encoding="utf-8")
    for args in (["--dry-run"], []):
        r = cli("registry", "add-cancellations", f, *args)
        assert r.exit_code == 1, r.output
        assert "the notice of 2026-01-07 (2 numbers) is already ingested as cancel" in r.output
        assert "Traceback" not in r.output
    assert snapshot(project / "data") == before


def test_a_notice_with_a_new_number_is_not_a_repeat(project, tmp_path):
    build(jobs=1)
    f = notice_csv(tmp_path / "n.csv", tc.NOTICES[2]["date"], tc.DS_B, tc.DS_D)
    r = cli("registry", "add-cancellations", f)
    assert r.exit_code == 0, r.output


def test_a_cancelled_number_listed_again_is_flagged(project, tmp_path):
    build(jobs=1)
    r = cli("registry", "add", new_list(tmp_path / "n.docx", num("340104", serial=11), DS_A))
    assert r.exit_code == 0, r.output
    dq = loaders.load_data_quality("deep_synthesis", "2026-05", "2026-05")  # the digest's read
    hit = dq[dq["filing_number"] == DS_A]
    assert len(hit) == 1, dq
    row = hit.iloc[0]
    assert (row["action"], row["batch"], row["row"]) == ("flagged", "2026-05", 3)
    assert "cancelled in 2025-07" in row["reason"] and "listed again" in row["reason"]
    f = loaders.load_filings("deep_synthesis").set_index("filing_number")
    assert f.loc[DS_A, "cancelled_month"] == "2025-07"


# ---------------------------------------------------------------- 5. freshness opens the outputs


def _truncate(p: Path) -> None:
    p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])


def _headers_only(p: Path) -> None:
    """A DuckDB file cut after its three 4 KB headers: the magic is there, the tables are not."""
    p.write_bytes(p.read_bytes()[: 3 * 4096])


def _garbage(p: Path) -> None:
    p.write_bytes(b"not a table at all, just bytes" * 10)


DAMAGE = [  # (file, damage, seen by the quick check every loader runs)
    ("filings.parquet", _truncate, True),
    ("data_quality.parquet", _garbage, True),
    ("registry.duckdb", _headers_only, False),  # loaders read parquet; `registry build` opens it
    ("registry.duckdb", _garbage, True),
    ("registry.duckdb.wal", _garbage, True),  # a log left by a read-write session that died
]


@pytest.mark.parametrize("name,damage,quick", DAMAGE)
def test_damaged_tables_are_named_and_rebuilt(project, name, damage, quick):
    build(jobs=1)
    target = project / "data/processed" / name
    if not target.exists():
        target.write_bytes(b"")
    damage(target)
    if quick:
        r = cli("registry", "stats")
        assert r.exit_code == 1, r.output
        assert "cannot be read" in r.output and "cnai registry build" in r.output, r.output
        assert "Traceback" not in r.output
    r = cli("registry", "build")  # not --force: it must not say "up to date"
    assert r.exit_code == 0, r.output
    assert "cannot be read" in r.output and "rebuilding" in r.output
    assert not (project / "data/processed/registry.duckdb.wal").exists()
    import duckdb

    con = duckdb.connect(str(project / "data/processed/registry.duckdb"), read_only=True)
    assert con.execute("SELECT count(*) FROM filings").fetchone()[0] > 0
    con.close()
    assert cli("registry", "stats").exit_code == 0


def test_a_missing_raw_file_says_missing_not_stale(project):
    build(jobs=1)
    (project / "data/raw/ds/2025-09.docx").unlink()
    for r in (cli("registry", "stats"), cli("registry", "stats", "--json")):
        assert r.exit_code == 1, r.output
        assert "missing: run `cnai data pull --only ds_2`" in r.output, r.output
        assert "stale" not in r.output
    with pytest.raises(loaders.StaleRegistryError, match="missing: run `cnai data pull"):
        loaders.load_filings()


def add_with(project: Path, new: Path, prelude: str) -> subprocess.CompletedProcess:
    """`cnai registry add NEW` in a child process whose registry build is patched by
    ``prelude`` (Python run first, with ``b`` the build module), e.g. to kill it mid-way."""
    script = (
        "import os, signal, sys, time\n"
        "from cnai_helpers.registry import build as b\n"
        f"{prelude}"
        "from cnai_helpers.cli import main\n"
        f"sys.argv = ['cnai', 'registry', 'add', {str(new)!r}]\n"
        "main()\n"
    )
    return subprocess.run(
        [sys.executable, "-c", script],
        env={**ENV, "CNAI_ROOT": str(project)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_sigterm_during_an_add_rolls_it_back(project, tmp_path):
    """SIGTERM (a closed terminal, a service stop) mid-rebuild unwinds like Ctrl-C: the copied
    list and its entry are removed, the parser workers stopped, the tables untouched."""
    build(jobs=1)
    before = snapshot(project / "data")
    new = new_list(tmp_path / "n.docx")
    r = add_with(
        project,
        new,
        "def parse(*a, **k):\n"
        "    os.kill(os.getpid(), signal.SIGTERM)\n"
        "    time.sleep(30)\n"
        "b.build_tables = parse\n",
    )
    assert r.returncode not in (0, -signal.SIGTERM), r.stderr
    assert "Traceback" not in r.stderr
    assert snapshot(project / "data") == before
    assert not (project / "data/raw/local").exists()


def _interrupt_remove_at(monkeypatch, at: str):
    """Raise Ctrl-C inside `registry remove`'s rebuild: at the first or second rename of the
    tables' swap, or after it (while the parse cache is written)."""
    if at == "after_swap":

        def flush(self):
            raise KeyboardInterrupt

        monkeypatch.setattr(build_mod.ParseCache, "flush", flush)
        return lambda: None
    real, calls = os.replace, []
    n = {"rename_1": 1, "rename_2": 2}[at]

    def replace(src, dst):
        real(src, dst)
        if Path(dst).name in ("processed", ".processed.old"):
            calls.append(dst)
            if len(calls) == n:
                signal.raise_signal(signal.SIGINT)

    monkeypatch.setattr(atomic.os, "replace", replace)
    return lambda: monkeypatch.setattr(atomic.os, "replace", real)


@pytest.mark.parametrize("at", ["rename_1", "rename_2", "after_swap"])
def test_ctrl_c_during_remove_leaves_it_whole_or_undone(project, tmp_path, monkeypatch, at):
    """Interrupted `registry remove`: either the remove is complete (entry, copied file and
    tables without the list) or not done at all; never the copied file left in data/raw/local
    with no entry naming it (the bug: interrupted after the swap, the copy stayed)."""
    build(jobs=1)
    assert cli("registry", "add", new_list(tmp_path / "n.docx")).exit_code == 0
    (sid,) = local_ids(project)
    restore = _interrupt_remove_at(monkeypatch, at)
    r = cli("registry", "remove", sid)
    restore()
    assert r.exit_code != 0
    assert not (project / "data/.processed.old").exists()
    info = json.loads((project / "data/processed/build_info.json").read_text())
    copies = sorted(p.name for p in (project / "data/raw").glob("local/**/*") if p.is_file())
    if sid in info["sources"]:  # not swapped in: nothing removed
        assert local_ids(project) == [sid] and len(copies) == 1
    else:  # swapped in: the remove is complete
        assert local_ids(project) == [] and copies == [], copies
        assert not (project / "data/raw/local").exists()
    assert not is_stale(), "tables and recorded sources disagree"


@pytest.mark.parametrize("when", ["during_rebuild", "before_swap"])
def test_sigkill_during_an_add_leaves_no_orphan_copy(project, tmp_path, when):
    """`registry add` killed outright (SIGKILL: nothing of it runs) after copying the list: the
    next writer removes the copy that no entry names (the hostile pass found it left in
    data/raw/local); the user's own files there are kept. Killed just before the swap, after the
    entry is written, the entry and its copy stay together (the next build reads them)."""
    build(jobs=1)
    new = new_list(tmp_path / "n.docx")
    patch = {  # write_tables(tables, out_dir, info, before_swap): record the entry, then die
        "during_rebuild": "b.build_tables = lambda *a, **k: die()\n",
        "before_swap": "b.write_tables = lambda t, o, i, before, **k: (before(), die())\n",
    }[when]
    # the command's own process, also when the tables are made in its child (registry/isolate.py)
    die = "MAIN = os.getpid()\ndef die():\n    os.kill(MAIN, signal.SIGKILL)\n"
    r = add_with(project, new, f"{die}{patch}")
    assert r.returncode == -signal.SIGKILL, r.stderr
    local = project / "data/raw/local"
    assert any(p.suffix == ".docx" for p in local.rglob("*")), "the kill came before the copy"
    mine = local / "notes.txt"
    mine.write_text("mine", encoding="utf-8")
    lookalike = local / "deep_synthesis/2026-01-0badcafe.docx"  # the shape, not our sha256
    lookalike.write_bytes(b"someone else's file")
    assert cli("registry", "build").exit_code == 0
    copies = [p for p in local.rglob("*.docx") if p != lookalike]
    if when == "during_rebuild":
        assert copies == [] and local_ids(project) == []
    else:
        assert len(copies) == 1 and len(local_ids(project)) == 1
    assert mine.exists() and lookalike.exists()
    assert not is_stale()


@pytest.mark.parametrize("content", [b"{", b"\xff\xfe not utf-8", b"[]"])
def test_a_damaged_build_info_is_named_not_called_missing(project, content):
    """build_info.json present but unreadable: the message says so (it said 'no
    build_info.json', sending the user to look for a file that is there), and a build rebuilds."""
    build(jobs=1)
    info = project / "data/processed/build_info.json"
    info.write_bytes(content)
    r = cli("registry", "stats")
    assert r.exit_code == 1, r.output
    assert "build_info.json unreadable (damaged?)" in r.output, r.output
    assert "Traceback" not in r.output
    assert cli("registry", "build").exit_code == 0
    assert cli("registry", "stats").exit_code == 0


@pytest.mark.parametrize(
    "date,message",
    [
        ("2026-13-01", "date '2026-13-01' is not a date (month must be in 1..12)"),
        ("2026-02-30", "date '2026-02-30' is not a date (day is out of range for month)"),
        ("2099-01-01", "notice date 2099-01-01 is after today"),
    ],
)
def test_a_notice_with_an_impossible_or_future_date_is_refused(project, tmp_path, date, message):
    """The hostile pass: a notice dated 2026-13-01 or 2099-01-01 was accepted (exit 0) and its
    numbers counted as cancelled in a month that does not exist or has not come."""
    build(jobs=1)
    before = snapshot(project / "data")
    f = notice_csv(tmp_path / "n.csv", date, tc.DS_D)
    for args in (["--dry-run"], []):
        r = cli("registry", "add-cancellations", f, *args)
        assert r.exit_code == 1, r.output
        assert message in r.output.replace("\n", " "), r.output
        assert "Traceback" not in r.output
    assert snapshot(project / "data") == before


@pytest.mark.parametrize(
    "filer", ['=HYPERLINK("http://evil.example","点我")', "+cmd|' /C calc'!A0", "@SUM(1+1)"]
)
def test_the_data_release_csv_defuses_formulas(project, tmp_path, filer):
    """The hostile pass: a filer named =HYPERLINK(…) reached the data download's filings.csv,
    entities.csv and listings.csv verbatim (the figure CSVs were already safe). The CSV cell gets
    a leading ' ; the parquet keeps the name as published."""
    from cnai_helpers.release import write_release

    build(jobs=1)
    rows = [ds_row(1, num("340104", serial=11), entity=filer)]
    f = make_docx(tmp_path / "n.docx", rows, title=NEW_LIST_TITLE)
    assert cli("registry", "add", f).exit_code == 0
    out = tmp_path / "release"
    out.mkdir()
    write_release(out)
    for name in ("filings", "entities", "listings"):
        csv = pd.read_csv(out / f"{name}.csv", dtype=str, keep_default_na=False)
        cells = set(csv.to_numpy().ravel())
        assert "'" + filer in cells, name
        assert filer not in cells, name
    assert filer in set(pd.read_parquet(out / "filings.parquet").to_numpy().ravel())


def test_the_data_release_readme_lists_its_files_and_warns_about_rule_columns(project, tmp_path):
    """reader6: README.md's checksum table listed the writer's 0-byte marker file (not in the
    release) and left out datapackage.json; nothing outside the descriptor said the type and
    sector columns are uncorrected rule calls."""
    from cnai_helpers.release import sha256_file, write_release

    build(jobs=1)
    out = tmp_path / "release"
    out.mkdir()
    (out / ".cnai-temporary").write_text("")  # what an atomic writer leaves in its folder
    write_release(out)
    text = (out / "README.md").read_text(encoding="utf-8")
    assert ".cnai-temporary" not in text
    assert f"`{sha256_file(out / 'datapackage.json')}`" in text
    for f in ("filings.csv", "filings.parquet", "registry.duckdb"):
        assert f"`{sha256_file(out / f)}`" in text, f
    assert "not corrected for the rules' errors" in " ".join(text.split())
