"""The command line's registry build and add make the tables in a forked child and write parquet
and DuckDB in a process without pandas (registry/isolate.py): the same tables as in-process,
errors and interruptions reaching the user as before, and the command's own process lean."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import tests.test_writers as tw
from cnai_helpers.registry.build import build
from tests.test_writers import ENV, local_ids, new_list, snapshot

project = tw.project  # the fixture: a temporary project with three lists

PROBE = (
    "import sys\n"
    "from cnai_helpers.registry import build as b\n"
    "seen = []\n"
    "real = b.write_tables\n"
    "def write_tables(*a, **k):\n"
    "    seen.append('pandas' in sys.modules)\n"
    "    return real(*a, **k)\n"
    "b.write_tables = write_tables\n"
    "{prelude}"
    "from cnai_helpers.cli import main\n"
    "sys.argv = ['cnai', *{args!r}]\n"
    "try:\n"
    "    main()\n"
    "finally:\n"
    "    print('PROBE', seen, file=sys.stderr)\n"
)


def cnai(project: Path, *args: str, prelude: str = "") -> subprocess.CompletedProcess:
    """`cnai ARGS` in a fresh process (lean, as from a shell), reporting whether pandas was
    loaded in it when the tables were written."""
    script = PROBE.format(prelude=prelude, args=[str(a) for a in args])
    return subprocess.run(
        [sys.executable, "-c", script],
        env={**ENV, "CNAI_ROOT": str(project)},
        capture_output=True,
        text=True,
        timeout=300,
    )


def tables(folder: Path) -> dict[str, pd.DataFrame]:
    import duckdb

    out = {p.stem: pd.read_parquet(p) for p in sorted(folder.glob("*.parquet"))}
    con = duckdb.connect(str(folder / "registry.duckdb"), read_only=True)
    try:
        for (name,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall():
            out[f"duckdb:{name}"] = con.execute(f"SELECT * FROM {name}").df()
    finally:
        con.close()
    return out


def assert_same(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], check_exact=True, obj=name)


def test_a_build_from_the_command_line_splits_and_gives_the_same_tables(project, tmp_path):
    build(jobs=1)  # in-process (this test process holds pandas)
    in_process = tables(project / "data/processed")
    r = cnai(project, "registry", "build", "--force")
    assert r.returncode == 0, r.stderr
    # the tables written by the lean parent, pandas never imported there
    assert "PROBE [False]" in r.stderr, r.stderr
    assert_same(tables(project / "data/processed"), in_process)
    leftovers = [p.name for p in (project / "data").iterdir() if p.name.startswith(".")]
    assert leftovers == [], leftovers  # no staging folder of the child's files left


def test_an_add_from_the_command_line_gives_the_tables_of_a_build(project, tmp_path):
    build(jobs=1)
    new = new_list(tmp_path / "n.docx")
    r = cnai(project, "registry", "add", new, "--json")
    assert r.returncode == 0, r.stderr
    assert "PROBE [False]" in r.stderr, r.stderr
    report = json.loads(r.stdout[r.stdout.index("{") :])
    assert report["source_id"] in local_ids(project)
    added = tables(project / "data/processed")
    build(jobs=1)  # the same sources, in-process, from every list
    assert_same(added, tables(project / "data/processed"))


def test_a_refused_list_is_one_clean_error_from_the_child(project, tmp_path):
    build(jobs=1)
    before = snapshot(project / "data")
    bad = tmp_path / "bad.docx"
    bad.write_bytes(b"not a zip file at all")
    r = cnai(project, "registry", "add", bad)
    assert r.returncode == 1
    assert "bad.docx" in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert snapshot(project / "data") == before


def test_sigterm_to_the_command_while_its_child_makes_the_tables(project, tmp_path):
    """The command (not its child) is stopped while the child works: the child is stopped too,
    the add rolled back, nothing left behind."""
    build(jobs=1)
    before = snapshot(project / "data")
    prelude = (
        "import os, threading, time\n"
        "from cnai_helpers.registry import write\n"
        "main_pid = os.getpid()\n"
        "def slow(*a, **k):\n"
        "    os.kill(main_pid, signal.SIGTERM)\n"
        "    time.sleep(60)\n"
        "import signal\n"
        "write.make_stored = slow\n"
        "b.make_stored = slow\n"
    )
    r = cnai(project, "registry", "add", new_list(tmp_path / "n.docx"), prelude=prelude)
    assert r.returncode not in (0, -signal.SIGTERM), r.stderr
    assert "Traceback" not in r.stderr, r.stderr
    assert snapshot(project / "data") == before
    assert not (project / "data/raw/local").exists()


@pytest.mark.parametrize("what", ["value", "error", "interrupt", "death"])
def test_a_call_in_the_child(what):
    """isolate.call in a lean process: the child's value, its exception (same type and text),
    Ctrl-C in the child, and a child that dies without an answer."""
    script = (
        "import os, signal, sys\n"
        "from cnai_helpers.registry import isolate\n"
        "assert isolate.lean()\n"
        "what = sys.argv[1]\n"
        "try:\n"
        "    if what == 'value':\n"
        "        print(isolate.call(os.getpid) != os.getpid(), 'pandas' in sys.modules)\n"
        "    elif what == 'error':\n"
        "        isolate.call(int, 'x')\n"
        "    elif what == 'interrupt':\n"
        "        isolate.call(signal.raise_signal, signal.SIGINT)\n"
        "    else:\n"
        "        isolate.call(os._exit, 3)\n"
        "except BaseException as e:\n"
        "    print(type(e).__name__, str(e))\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", script, what], env=ENV, capture_output=True, text=True, timeout=60
    )
    out = r.stdout.strip()
    expected = {
        "value": "True False",
        "error": "ValueError invalid literal for int() with base 10: 'x'",
        "interrupt": "KeyboardInterrupt",
        "death": "WorkerDied the process making the registry tables ended without an answer "
        "(exit status 3)",
    }[what]
    assert out == expected, (out, r.stderr)
