"""Hardening of `cnai reports build`: parameter values, ranges, the index, variants, file modes,
stale temporary folders, interruption and the output folder."""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time

import pytest
import yaml
from test_reports_pipeline import cli_build, write_nb
from typer.testing import CliRunner

from cnai_helpers import atomic, paths
from cnai_helpers.cli import app
from cnai_helpers.registry import REGISTRIES
from cnai_helpers.reports.params import (
    ParameterError,
    notebook_parameters,
    parse_cli_value,
    parse_constraint,
    validate,
)
from tests.fixtures import TEXT_BODY, write_site

runner = CliRunner()

PARAMS = """x: int = 2  # a number [range: 1..100]
label: str = "a"  # a label [choices: a, b, c]
ratio: float = 0.5  # a share [range: 0.0..1.0]
month: str = ""  # YYYY-MM or empty [pattern: (\\d{4}-\\d{2})?]
big: float = 1e24  # scientific default [range: 1e20..1e30]
opt = None  # no type: anything goes
fail: bool = False  # raise in the analysis cell
"""


@pytest.fixture
def site(tmp_path):
    """The small site, not built (its notebook without a chart: these checks are about the
    pipeline; test_reports_pipeline checks charts)."""
    return write_site(tmp_path, params=PARAMS, body=TEXT_BODY)


@pytest.fixture(scope="module")
def built_once(tmp_path_factory):
    """The small site after its first build through the command line, made once for this
    module; the tests change copies of it (:func:`built`)."""
    root = write_site(tmp_path_factory.mktemp("hardening-site"), params=PARAMS, body=TEXT_BODY)
    r = cli_build(root)
    assert r.exit_code == 0, r.output
    assert "3 built" in r.output, r.output
    return root


@pytest.fixture
def built(built_once, tmp_path):
    """A copy of the built site, up to date where it lands (a build of it runs nothing: see
    test_override_builds_a_variant_and_leaves_the_published_site)."""
    dest = tmp_path / "built"
    shutil.copytree(built_once, dest, symlinks=True)
    return dest


def one_line_error(result) -> str:
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1, result.output
    assert "Traceback" not in result.output
    return lines[0]


# 1-3: values, ranges, choices, scientific notation ---------------------------------------------


@pytest.mark.parametrize(
    "override,needle",
    [
        ("label=null", "'label' must be str"),
        ("x=null", "'x' must be int"),
        ("x=~", "'x' must be int"),
        ("ratio=null", "'ratio' must be float"),
        ("x=0", "'x' = 0 is outside 1..100"),
        ("x=101", "'x' = 101 is outside 1..100"),
        ("ratio=-1.0", "outside 0.0..1.0"),
        ("ratio=.nan", "'ratio' must be a finite number"),
        ("ratio=nan", "'ratio' must be a finite number"),
        ("ratio=inf", "'ratio' must be a finite number"),
        ("ratio=-.inf", "'ratio' must be a finite number"),
        ("big=1e31", "outside 1e20..1e30"),
        ("label=d", "'label' = 'd' is not one of a, b, c"),
        ("month=2024-1", "'month' = '2024-1' does not match"),
    ],
)
def test_bad_values_rejected_before_anything_runs(site, override, needle):
    r = cli_build(site, "--only", "one", "-p", override)
    assert r.exit_code == 2, r.output
    line = one_line_error(r)
    assert needle in line and "'one'" in line, line
    assert not (site / "reports" / "one").exists()
    assert not (site / "reports" / "_variants").exists()


@pytest.mark.parametrize(
    "text,value",
    [("1e25", 1e25), ("-1e-3", -1e-3), ("1E+25", 1e25), ("3.4078e24", 3.4078e24), ("2", 2)],
)
def test_scientific_notation_parses_as_float(text, value):
    v = parse_cli_value(text)
    assert v == value and type(v) is type(value)


def test_none_accepted_only_for_none_default_and_scientific_float(site):
    nb = site / "notebooks" / "t.ipynb"
    validate(nb, {"opt": None, "big": parse_cli_value("1e25"), "ratio": 1}, "one")
    with pytest.raises(ParameterError, match="'big' = 1e\\+31 is outside"):
        validate(nb, {"big": parse_cli_value("1E+31")}, "one")


def test_site_definition_values_are_checked_too(site):
    doc = yaml.safe_load((site / "site.yaml").read_text())
    doc["reports"][0]["parameters"] = {"x": 500}
    (site / "site.yaml").write_text(yaml.safe_dump(doc))
    r = cli_build(site)
    assert r.exit_code == 2 and "'x' = 500 is outside 1..100" in r.output
    assert not (site / "reports" / "one").exists()


@pytest.mark.parametrize(
    "comment,expected",
    [
        ("PUE [range: 1.0..3.0]", ("range", (1.0, 3.0))),
        ("[range: 1..]", ("range", (1, None))),
        ("[range: ..1e3]", ("range", (None, 1000.0))),
        ("reg [choices: a, b c, d]", ("choices", ("a", "b c", "d"))),
        ("no declaration", None),
    ],
)
def test_parse_constraint(comment, expected):
    c = parse_constraint(comment)
    assert (None if c is None else (c.kind, c.value)) == expected


def test_malformed_declaration_names_the_parameter(tmp_path):
    write_nb(tmp_path / "t.ipynb", params="x: int = 1  # [range: 1...]\n")
    with pytest.raises(ParameterError, match="'x'.*range"):
        validate(tmp_path / "t.ipynb", {"x": 2})


def test_real_notebooks_declare_ranges_and_their_defaults_satisfy_them(tmp_path):
    cache = tmp_path / "cache.json"
    for nb in sorted(paths.NOTEBOOKS.glob("*.ipynb")):
        declared = notebook_parameters(nb, cache=cache)
        for name, d in declared.items():
            c = parse_constraint(d["help"])
            if d["type"] in ("int", "float"):
                assert c is not None and c.kind == "range", f"{nb.name}: {name} has no range"
            if name in ("registry", "compare_registry"):
                assert c is not None and c.kind == "choices", f"{nb.name}: {name}"
                assert set(c.value) <= set(REGISTRIES)
            if d["type"] == "str" and c is None:
                pytest.fail(f"{nb.name}: str parameter {name} without choices/pattern")
        # every default passes its own declaration
        import ast

        defaults = {k: ast.literal_eval(d["default"]) for k, d in declared.items()}
        validate(nb, defaults, nb.stem)


@pytest.mark.parametrize(
    "only,override,needle",
    [
        ("registry-genai_registrations", "registry=null", "'registry' must be str"),
        ("registry-genai_registrations", "registry=all", "is not one of deep_synthesis"),
        ("compute", "n_samples=0", "'n_samples' = 0 is outside"),
        ("compute", "pue=-1.0", "'pue' = -1.0 is outside 1.0..3.0"),
        ("compute", "pue=.nan", "'pue' must be a finite number"),
        ("compute", "training_flop=nan", "'training_flop' must be a finite number"),
    ],
)
def test_real_site_rejects_bad_overrides(tmp_path, only, override, needle):
    r = runner.invoke(
        app, ["reports", "build", "--only", only, "-p", override, "--out", str(tmp_path / "o")]
    )
    assert r.exit_code == 2, r.output
    assert needle in one_line_error(r) and only in r.output
    assert not (tmp_path / "o").exists()


def test_real_compute_accepts_scientific_training_flop():
    nb = paths.NOTEBOOKS / "compute_cost_penalty.ipynb"
    validate(nb, {"training_flop": parse_cli_value("1e25")}, "compute")


# 4: --jobs / --timeout -------------------------------------------------------------------------


@pytest.mark.parametrize("args", [["--jobs", "0"], ["--jobs", "-3"], ["--timeout", "0"]])
def test_jobs_and_timeout_must_be_positive(site, args):
    r = cli_build(site, *args)
    assert r.exit_code == 2, r.output
    assert not (site / "reports").exists()


# 5-6: index lists every report; overrides build a variant -------------------------------------


def test_index_lists_every_report_after_partial_build(site, built):
    r = cli_build(site, "--only", "one")
    assert r.exit_code == 0, r.output
    index = (site / "reports/index.html").read_text()
    assert 'id="report-one"' in index and 'href="one/index.html"' in index
    for rid in ("sq-3", "sq-4"):
        assert f'id="report-{rid}"' in index, f"{rid} missing from the index"
    assert "not built" in index
    # a site where every report was built (a copy): a partial build lists them all as built
    site = built
    r = cli_build(site, "--only", "sq-3", "--force")
    assert r.exit_code == 0 and "1 built" in r.output, r.output
    index = (site / "reports/index.html").read_text()
    for rid in ("one", "sq-3", "sq-4"):
        assert f'href="{rid}/index.html"' in index
    assert "not built" not in index


def test_index_follows_the_site_definition_without_rewrites_on_a_no_op(tmp_path):
    """The index is rewritten when a published report ran, when it is missing, or when the
    site's reports are not those it was written for; a no-op build keeps it."""
    one = {"id": "one", "notebook": "t.ipynb", "title": "One", "question": "Q1?"}
    on = {**one, "id": "on", "title": "On", "parameters": {"x": 5}}  # "on" is in "one"
    site = write_site(tmp_path, [one, on], body=TEXT_BODY)
    out = site / "reports"
    assert cli_build(site).exit_code == 0
    index = out / "index.html"
    assert 'id="report-on"' in index.read_text()
    define = (site / "site.yaml").write_text
    define(
        yaml.safe_dump({"reports": [one]})
    )  # "on" leaves the site: nothing runs, the index drops it
    r = cli_build(site)
    assert r.exit_code == 0 and "0 built" in r.output, r.output
    assert 'id="report-on"' not in index.read_text(), "a removed report is still listed"
    define(yaml.safe_dump({"reports": [one, on]}))  # back, its page up to date: listed again
    r = cli_build(site)
    assert r.exit_code == 0 and "0 built" in r.output, r.output
    assert 'id="report-on"' in index.read_text(), "an added report is not listed"
    # a no-op build keeps the index (and its search) but rewrites the shared script
    before = (index.read_bytes(), index.stat().st_mtime_ns)
    (out / "assets" / "site.js").write_text("stale")
    assert cli_build(site).exit_code == 0
    assert (index.read_bytes(), index.stat().st_mtime_ns) == before, "no-op build rewrote it"
    assert (out / "assets" / "site.js").read_text() != "stale"
    index.unlink()
    assert cli_build(site).exit_code == 0 and 'id="report-on"' in index.read_text()


def test_override_builds_a_variant_and_leaves_the_published_site(built):
    site = built  # a copy of the built site: up to date, nothing runs
    r = cli_build(site)
    assert r.exit_code == 0 and "0 built, 3 up to date" in r.output, r.output
    out = site / "reports"
    published = {
        p: (out / p).read_bytes()
        for p in ("one/index.html", "one/results.json", "one/build.json", "index.html")
    }
    r = cli_build(site, "--only", "one", "-p", "label=b")
    assert r.exit_code == 0, r.output
    variants = list((out / "_variants").glob("one--*"))
    assert len(variants) == 1
    v = variants[0]
    assert str(v) in r.output.replace("\n", ""), "the CLI says where the variant went"
    assert json.loads((v / "results.json").read_text())["label"] == "b"
    assert json.loads((v / "build.json").read_text())["variant_of"] == "one"
    assert (v / "index.html").exists()
    for p, content in published.items():
        assert (out / p).read_bytes() == content, f"{p} touched by an override build"
    # incremental: the same override again is up to date; another one is a second variant
    r = cli_build(site, "--only", "one", "-p", "label=b")
    assert r.exit_code == 0 and "1 up to date" in r.output, r.output
    assert cli_build(site, "--only", "one", "-p", "label=c").exit_code == 0
    assert len(list((out / "_variants").glob("one--*"))) == 2
    # a failing variant leaves the published page and its status alone
    r = cli_build(site, "--only", "one", "-p", "fail=true")
    assert r.exit_code == 1
    for p, content in published.items():
        assert (out / p).read_bytes() == content, f"{p} touched by a failed override build"
    # overriding with the site definition's own values is the published report
    r = cli_build(site, "--only", "sq-3", "-p", "x=3")
    assert r.exit_code == 0 and "1 up to date" in r.output, r.output


# 7: file modes honour the umask ----------------------------------------------------------------


@pytest.fixture
def umask022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def modes(root):
    return {
        str(p.relative_to(root)): stat.S_IMODE(p.stat().st_mode) for p in [root, *root.rglob("*")]
    }


def test_published_files_honour_umask(site, umask022):
    assert cli_build(site, "--only", "one").exit_code == 0
    assert cli_build(site, "--only", "one", "-p", "label=b").exit_code == 0
    got = modes(site / "reports")
    bad = {
        k: oct(m)
        for k, m in got.items()
        if m != (0o755 if (site / "reports" / k).is_dir() else 0o644)
    }
    assert not bad, bad


@pytest.mark.parametrize("mask,fmode,dmode", [(0o022, 0o644, 0o755), (0o077, 0o600, 0o700)])
def test_atomic_writes_honour_umask(tmp_path, mask, fmode, dmode):
    old = os.umask(mask)
    try:
        atomic.write_text(tmp_path / "f.txt", "x")
        atomic.write_bytes(tmp_path / "b.bin", b"x")
        with atomic.atomic_dir(tmp_path / "d") as d:
            (d / "inner.txt").write_text("y")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "f.txt").stat().st_mode) == fmode
    assert stat.S_IMODE((tmp_path / "b.bin").stat().st_mode) == fmode
    assert stat.S_IMODE((tmp_path / "d").stat().st_mode) == dmode
    assert stat.S_IMODE((tmp_path / "d/inner.txt").stat().st_mode) == fmode


# 8: stale temporary folders, interruption ------------------------------------------------------


def dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def make_old(path, hours=2):
    t = time.time() - hours * 3600
    os.utime(path, (t, t))


def test_stale_temporaries_are_cleaned_at_the_next_run(site):
    out = site / "reports"
    out.mkdir()
    dead, live = dead_pid(), os.getpid()
    stale = [  # the project's (marker inside) of a dead process
        out / f".build-one.tmp-{dead}-abc123",
        out / f".one.tmp-{dead}-x1y2z3",
    ]
    keep = [
        out / f".build-sq-3.tmp-{live}-abc123",  # a live run's
        out / ".build-sq-4-q7w8e9r1",  # legacy name without a pid or marker: not provably ours
        out / ".sq-3.a1b2c3d4",
        out / ".keep-me",  # not a temporary name
        out / f".user.tmp-{dead}-abc123",  # a temporary's name, but no marker: not ours
    ]
    for p in stale + keep:
        p.mkdir()
        (p / "x").write_text("x")
    for p in stale + keep[:1]:
        (p / atomic.MARKER).write_text("")
    stale_file = out / f".index.html.tmp-{dead}-abcd1234.tmp"
    stale_file.write_text("half")
    for p in keep[1:]:
        make_old(p)
    assert cli_build(site, "--only", "one").exit_code == 0
    left = [p.name for p in stale + [stale_file] if p.exists()]
    assert not left, f"stale temporaries left: {left}"
    assert all(p.exists() for p in keep)


def test_atomic_dir_cleans_stale_siblings(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    old = data / f".processed.tmp-{dead_pid()}-zz9"
    old.mkdir()
    (old / atomic.MARKER).write_text("")
    with atomic.atomic_dir(data / "processed") as d:
        (d / "t.parquet").write_bytes(b"1")
    assert not old.exists()
    assert sorted(p.name for p in (data / "processed").iterdir()) == ["t.parquet"]


USER_FILES = [  # names the old name-pattern rule took for temporaries (issue 29)
    ".env.template",
    ".bashrc.original",
    ".config.a1b2c3d4",
    ".notes.tmp",
    f".my.tmp-{2**22 + 17}-abc",
]


@pytest.mark.parametrize("as_dir", [False, True])
def test_out_never_deletes_user_files(site, as_dir):
    """`reports build --out DIR` on a folder holding the user's dotfiles, old and new."""
    out = site / "reports"
    out.mkdir()
    for name in USER_FILES:
        p = out / name
        if as_dir:
            p.mkdir()
            (p / "x").write_text("mine")
        else:
            p.write_text("mine")
        make_old(p, hours=48)
    assert cli_build(site, "--only", "one").exit_code == 0
    assert (out / "one" / "index.html").exists()
    assert [n for n in USER_FILES if not (out / n).exists()] == []


def _interrupt_second_rename(monkeypatch) -> None:
    """Make the second rename of the next swap fail, as a crash between the two would."""
    real, calls = os.replace, []

    def flaky(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise OSError("interrupted on purpose")
        return real(src, dst)

    monkeypatch.setattr(atomic.os, "replace", flaky)


def test_interrupted_swap_keeps_the_last_good_folder(tmp_path, monkeypatch):
    dest = tmp_path / "one"
    with atomic.atomic_dir(dest) as d:
        (d / "index.html").write_text("good")
    _interrupt_second_rename(monkeypatch)
    with pytest.raises(OSError, match="interrupted on purpose"), atomic.atomic_dir(dest) as d:
        (d / "index.html").write_text("new")
    monkeypatch.undo()
    assert (dest / "index.html").read_text() == "good", "the last good folder is lost"
    assert not (tmp_path / ".one.old").exists()


@pytest.mark.parametrize("dest_there", [False, True])
def test_next_swap_recovers_a_crashed_one(tmp_path, dest_there):
    """A crash between the renames leaves `.one.old` (and maybe no `one`): the next swap of the
    same folder restores or drops it, even when that swap fails itself."""
    dest, parked = tmp_path / "one", tmp_path / ".one.old"
    parked.mkdir()
    (parked / "index.html").write_text("good")
    if dest_there:
        dest.mkdir()
        (dest / "index.html").write_text("newer")
    with pytest.raises(RuntimeError), atomic.atomic_dir(dest):
        raise RuntimeError("the build failed")
    assert (dest / "index.html").read_text() == ("newer" if dest_there else "good")
    assert not parked.exists()


def test_a_reports_build_recovers_crashed_swaps_first(site):
    from cnai_helpers.reports.build import clean_stale_temporaries
    from cnai_helpers.reports.site import load_site

    out = site / "reports"
    parked = out / ".sq-3.old"
    parked.mkdir(parents=True)
    (parked / "index.html").write_text("good")
    clean_stale_temporaries(out, load_site(site / "site.yaml"))
    assert (out / "sq-3" / "index.html").read_text() == "good"
    assert not parked.exists()


SLEEPY = """nap: float = 0.0  # seconds to sleep [range: 0..600]
fail: bool = False  # unused
"""


def descendants(pid: int) -> list:
    psutil = pytest.importorskip("psutil")
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def cmdline(p) -> str:
    """A process's command line; empty for one that has exited (a zombie not yet reaped)."""
    psutil = pytest.importorskip("psutil")
    try:
        return " ".join(p.cmdline())
    except psutil.Error:
        return ""


def _sleepy_site(root):
    """Two reports of a notebook whose analysis cell sleeps ``nap`` seconds; each kernel leaves
    a file in its working folder (notebooks/) as its sleeping cell starts."""
    nbs = root / "notebooks"
    nbs.mkdir()
    body = "import os, time\nopen(f'asleep-{os.getpid()}', 'w').close()\ntime.sleep(nap)"
    write_nb(nbs / "s.ipynb", body=body, params=SLEEPY)
    doc = {
        "reports": [
            {"id": f"s{i}", "notebook": "s.ipynb", "title": "S", "question": "?"} for i in (1, 2)
        ]
    }
    (root / "site.yaml").write_text(yaml.safe_dump(doc))
    return doc


@pytest.fixture(scope="module")
def sleepy_built(tmp_path_factory):
    """The sleepy site after a build that does not sleep (its published pages), made once for
    this module: each Ctrl-C test interrupts a build of its own copy."""
    root = tmp_path_factory.mktemp("sleepy-site")
    _sleepy_site(root)
    r = cli_build(root)
    assert r.exit_code == 0, r.output
    for f in (root / "notebooks").glob("asleep-*"):  # the first build's
        f.unlink()
    return root


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_sigint_stops_kernels_exits_130_and_keeps_the_published_page(sleepy_built, tmp_path, jobs):
    psutil = pytest.importorskip("psutil")
    root = tmp_path / "site"
    shutil.copytree(sleepy_built, root, symlinks=True)
    nbs = root / "notebooks"
    doc = yaml.safe_load((root / "site.yaml").read_text())
    page = (root / "reports/s1/index.html").read_bytes()
    for r in doc["reports"]:
        r["parameters"] = {"nap": 300}
    (root / "site.yaml").write_text(yaml.safe_dump(doc))
    assert not list(nbs.glob("asleep-*"))
    env = {**os.environ, "PYTHONPATH": str(paths.ROOT)}
    cmd = [
        sys.executable,
        "-m",
        "cnai_helpers.cli",
        "reports",
        "build",
        "--jobs",
        jobs,
        "--site",
        str(root / "site.yaml"),
        "--out",
        str(root / "reports"),
    ]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # wait for every kernel's sleeping cell to run (a condition, not a guessed delay: a
        # loaded machine takes longer to start them)
        deadline = time.time() + 120
        while time.time() < deadline and len(list(nbs.glob("asleep-*"))) < int(jobs):
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.2)
        assert len(list(nbs.glob("asleep-*"))) == int(jobs), "the sleeping cells never ran"
        kernels = [p for p in descendants(proc.pid) if "ipykernel" in cmdline(p)]
        assert len(kernels) == int(jobs), [cmdline(p) for p in kernels]
        family = descendants(proc.pid)
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, stderr
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "interrupted" in lines[0].lower(), stderr
    _, alive = psutil.wait_procs(family, timeout=10)
    assert not alive, f"processes outlived the command: {[p.cmdline() for p in alive]}"
    assert (root / "reports/s1/index.html").read_bytes() == page
    assert not list((root / "reports").glob(".build-*"))


# 9: --out --------------------------------------------------------------------------------------


def test_relative_out_is_resolved_from_the_current_directory(site, monkeypatch, tmp_path):
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    r = runner.invoke(
        app,
        [
            "reports",
            "build",
            "--site",
            str(site / "site.yaml"),
            "--only",
            "one",
            "--out",
            "rel/site",
        ],
    )
    assert r.exit_code == 0, r.output
    assert (work / "rel/site/one/index.html").exists()
    assert (work / "rel/site/index.html").exists()
    assert not (site / "rel").exists() and not (site / "notebooks/rel").exists()
    assert str(work / "rel/site" / "index.html") in r.output.replace("\n", "")


def test_out_pointing_at_a_file_is_a_clean_error(site):
    f = site / "afile"
    f.write_text("x")
    r = runner.invoke(app, ["reports", "build", "--site", str(site / "site.yaml"), "--out", str(f)])
    assert r.exit_code == 2, r.output
    assert "not a folder" in one_line_error(r)
    assert f.read_text() == "x"


@pytest.mark.parametrize(
    "text,needle",
    [
        ("reports: [\n  - id: x\n", "not valid YAML (line 2, column 3"),
        ("- a\n- b\n", "expected a mapping with a 'reports:' list"),
        ("reports: 5\n", "'reports:' must be a list"),
        ("reports:\n  - just a string\n", "entry 1: expected a mapping"),
    ],
)
def test_a_broken_site_definition_is_one_line(tmp_path, text, needle):
    """The hostile pass: a site.yaml that is not YAML gave a traceback."""
    f = tmp_path / "site.yaml"
    f.write_text(text, encoding="utf-8")
    for args in (["reports", "build", "--site", str(f), "--out", str(tmp_path / "out")],
                 ["reports", "list", "--site", str(f)]):  # fmt: skip
        r = runner.invoke(app, args)
        assert r.exit_code in (1, 2), r.output
        assert needle in r.output.replace("\n", " "), r.output
        assert "Traceback" not in r.output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("override", ["x", "=5", " =5", ""])
def test_a_parameter_without_a_name_or_value_is_a_usage_error(site, override):
    """The hostile pass: `-p x` exited 1 (every other bad parameter exits 2) and `-p =5` said
    "unknown parameter ''"."""
    r = cli_build(site, "--only", "one", "-p", override)
    assert r.exit_code == 2, r.output
    errors = [ln for ln in r.output.splitlines() if ln.startswith("error:")]  # a stale registry
    assert len(errors) == 1 and "expected KEY=VALUE" in errors[0], r.output  # may rebuild first
    assert "Traceback" not in r.output
    assert not (site / "reports" / "one").exists()


@pytest.mark.parametrize("columns", [40, 80, 200])
def test_reports_list_keeps_ids_whole_in_a_narrow_terminal(tmp_path, columns):
    """The hostile pass: in a 40-column terminal `reports list` broke ids over lines (they are
    copied into --only). Every id is on one line, whole, at any width."""
    ids = ["a-rather-long-report-identifier_for_wrapping", "short"]
    reports = [{"id": i, "notebook": "t.ipynb", "title": "T", "question": "Q?"} for i in ids]
    write_site(tmp_path, reports=reports)
    r = subprocess.run(
        [sys.executable, "-m", "cnai_helpers.cli", "reports", "list", "--site",
         str(tmp_path / "site.yaml")],
        env={**os.environ, "COLUMNS": str(columns), "CNAI_ROOT": str(tmp_path),
             "PYTHONPATH": str(paths.ROOT)},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    for i in ids:
        assert any(i in line for line in r.stdout.splitlines()), r.stdout
