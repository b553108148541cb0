"""What a report needs (site.yaml ``needs:``): exactly that is hashed, stages follow from it,
results live in a results store outside the site, and stale upstreams are shown as such."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from test_reports_pipeline import cli_build, write_nb

import cnai_helpers
from cnai_helpers import claims as cl
from cnai_helpers import paths
from cnai_helpers.reports import needs
from cnai_helpers.reports.build import build_reports, default_results_root, summary
from cnai_helpers.reports.site import load_site

SMALL = """
from cnai_helpers.results import record
record("x_squared", x * x, "x squared")
record("label", label, "the label")
"""
LEDGER = """
from cnai_helpers import paths
from cnai_helpers.claims import load_report_results
from cnai_helpers.results import record
up = load_report_results("calc")
record("upstream_x", None if up is None else up.get("x_squared"), "x squared upstream")
record("upstream_state", "none" if up is None else
       "failed" if up.get("_failed") else "stale" if up.get("_stale") else "ok", "state")
record("results_dir", str(paths.RESULTS), "where the kernel reads results")
"""


def _site(root: Path, reports: list[dict]) -> Path:
    (root / "site.yaml").write_text(yaml.safe_dump({"reports": reports}))
    return root


def _make_site(root: Path) -> Path:
    nbs = root / "notebooks"
    nbs.mkdir()
    write_nb(nbs / "small.ipynb", body=SMALL)
    write_nb(nbs / "ledger.ipynb", body=LEDGER)
    return _site(
        root,
        [
            {  # its notebook does not import compute: only the declaration makes it count
                "id": "calc",
                "notebook": "small.ipynb",
                "title": "C",
                "question": "?",
                "parameters": {"x": 3},
                "needs": {
                    "sources": [],
                    "curated": [],
                    "modules": ["cnai_helpers.analysis.compute"],
                },
            },
            {
                "id": "plain",
                "notebook": "small.ipynb",
                "title": "P",
                "question": "?",
                "needs": {"sources": [], "curated": []},
            },
            {
                "id": "ledger",
                "notebook": "ledger.ipynb",
                "title": "L",
                "question": "?",
                "needs": {"sources": [], "curated": [], "reports": ["calc"]},
            },
        ],
    )


@pytest.fixture
def site(tmp_path):
    return _make_site(tmp_path)


@pytest.fixture(scope="module")
def built_once(tmp_path_factory):
    """The site after its first build through the command line, made once for this module:
    a test that only reads it takes it as it is, one that changes it a copy (:func:`built`)."""
    root = _make_site(tmp_path_factory.mktemp("needs-site"))
    r = cli_build(root)
    assert r.exit_code == 0, r.output
    assert _counts(r.output) == "3 built, 0 up to date, 0 failed"
    return root


@pytest.fixture
def built(built_once, tmp_path):
    """A copy of the built site, for a test that changes it (a copied site is up to date where
    it lands: a build of it runs nothing, see the module's first test that uses it)."""
    dest = tmp_path / "built"
    shutil.copytree(built_once, dest, symlinks=True)
    return dest


@pytest.fixture
def package_copy(tmp_path, monkeypatch):
    """A copy of the helper package that the fingerprint reads (edited by the tests)."""
    pkg = tmp_path / "pkg" / "cnai_helpers"
    shutil.copytree(
        Path(cnai_helpers.__file__).parent, pkg, ignore=shutil.ignore_patterns("__pycache__")
    )
    monkeypatch.setattr(needs, "PACKAGE_ROOT", pkg)
    return pkg


def _edit(path: Path, line: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")


def _counts(output: str) -> str:
    return output.split(" -> ")[0].strip().splitlines()[-1]


def test_editing_cli_reruns_nothing_and_compute_reruns_only_compute_reports(built, package_copy):
    site = built  # every report built (3 built: see built_once)
    _edit(package_copy / "cli.py", "# a comment")
    r = cli_build(site)
    assert r.exit_code == 0, r.output
    assert _counts(r.output) == "0 built, 3 up to date, 0 failed"
    _edit(package_copy / "analysis" / "compute.py", "# a comment")
    statuses = build_reports(
        load_site(site / "site.yaml"), out_root=site / "reports", ensure_data=False
    )
    s = summary(statuses)
    # the ledger reads calc's results, which did not change: it does not re-run
    assert s["built"] == ["calc"] and s["skipped"] == ["plain", "ledger"], s


def test_a_module_the_notebook_imports_transitively_counts(built, package_copy):
    site = built
    # the copies of the site and of the package: up to date, nothing runs
    s = summary(
        build_reports(load_site(site / "site.yaml"), out_root=site / "reports", ensure_data=False)
    )
    assert s["skipped"] == ["calc", "plain", "ledger"], s
    # small.ipynb imports cnai_helpers.results; results imports evidence inside a function
    assert "cnai_helpers.evidence" in needs.closure({"cnai_helpers.results"}, package_copy)
    _edit(package_copy / "evidence.py", "# a comment")
    s = summary(
        build_reports(load_site(site / "site.yaml"), out_root=site / "reports", ensure_data=False)
    )
    assert s["built"] == ["calc", "plain", "ledger"], s


def test_declared_curated_table_counts_only_for_its_report(built, tmp_path, monkeypatch):
    site = built
    data = tmp_path / "data"
    (data / "curated").mkdir(parents=True)
    table = data / "curated" / "prices.csv"
    table.write_text("a,b\n1,2\n")
    monkeypatch.setattr(paths, "DATA", data)
    doc = yaml.safe_load((site / "site.yaml").read_text())
    doc["reports"][0]["needs"]["curated"] = ["prices"]
    (site / "site.yaml").write_text(yaml.safe_dump(doc))
    r = cli_build(site)  # the table is now among calc's inputs
    assert r.exit_code == 0 and _counts(r.output) == "1 built, 2 up to date, 0 failed", r.output
    table.write_text("a,b\n1,3\n")
    s = summary(
        build_reports(load_site(site / "site.yaml"), out_root=site / "reports", ensure_data=False)
    )
    assert s["built"] == ["calc"], s
    assert needs.curated_files(("prices",)) == {"prices": table}


def test_results_live_in_the_store_and_the_site_copies_them(built_once):
    site = built_once  # read only
    store = site / "reports-results"
    assert default_results_root(site / "reports") == store.resolve()
    assert default_results_root(paths.REPORTS) == paths.RESULTS
    for rid in ("calc", "plain", "ledger"):
        assert (store / f"{rid}.json").read_bytes() == (
            site / "reports" / rid / "results.json"
        ).read_bytes()
        st = json.loads((store / f"{rid}.build.json").read_text())
        assert st["status"] == "ok" and st["built_at"] and len(st["fingerprint"]) == 64
        assert "results" not in st and st["inputs"]["notebook"]
    assert json.loads((store / "calc.json").read_text())["x_squared"] == 9
    ledger = json.loads((store / "ledger.json").read_text())
    assert ledger["upstream_x"] == 9 and ledger["upstream_state"] == "ok"
    assert ledger["results_dir"] == str(store.resolve()), "kernels read this build's results"


def test_a_variant_never_writes_the_results_store(built):
    site = built
    store = site / "reports-results"
    before = {p.name: p.read_bytes() for p in store.iterdir()}
    r = cli_build(site, "--only", "calc", "-p", "x=5")
    assert r.exit_code == 0, r.output
    assert {p.name: p.read_bytes() for p in store.iterdir()} == before
    (v,) = (site / "reports" / "_variants").glob("calc--*")
    assert json.loads((v / "results.json").read_text())["x_squared"] == 25


def test_failed_and_stale_upstream_shown_in_the_ledger(built):
    site = built
    store = site / "reports-results"
    doc = yaml.safe_load((site / "site.yaml").read_text())
    doc["reports"][0]["parameters"] = {"x": 4}  # calc's inputs change; it is not rebuilt
    (site / "site.yaml").write_text(yaml.safe_dump(doc))
    r = cli_build(site, "--only", "ledger")
    assert r.exit_code == 0, r.output
    assert json.loads((store / "calc.build.json").read_text())["stale"] is True
    assert json.loads((store / "ledger.json").read_text())["upstream_state"] == "stale"
    assert cl.load_report_results("calc", store)["_stale"] is True
    # calc fails: the ledger re-runs and shows it failed, with the old figures not used
    doc["reports"][0]["parameters"] = {"x": 4, "fail": True}
    (site / "site.yaml").write_text(yaml.safe_dump(doc))
    r = cli_build(site)
    assert r.exit_code == 1
    assert json.loads((store / "ledger.json").read_text())["upstream_state"] == "failed"
    # fixed: up to date again
    doc["reports"][0]["parameters"] = {"x": 4}
    (site / "site.yaml").write_text(yaml.safe_dump(doc))
    assert cli_build(site).exit_code == 0
    assert not json.loads((store / "calc.build.json").read_text()).get("stale")
    ledger = json.loads((store / "ledger.json").read_text())
    assert ledger["upstream_state"] == "ok" and ledger["upstream_x"] == 16


def _minimal(rid: str, **kw) -> dict:
    return {"id": rid, "notebook": "small.ipynb", "title": rid, "question": "?", **kw}


def test_stages_follow_needs_reports(site):
    _site(
        site,
        [
            _minimal("c", needs={"reports": ["b"]}),
            _minimal("b", needs={"reports": ["a-*"]}),
            _minimal("a-{value}", fan_out={"parameter": "x", "values": [1, 2]}),
            _minimal("old", stage=1, sources=["cac_*"]),  # the older keys still work
        ],
    )
    by_id = {r.id: r for r in load_site(site / "site.yaml")}
    assert {i: r.stage for i, r in by_id.items()} == {"c": 2, "b": 1, "a-1": 0, "a-2": 0, "old": 3}
    assert by_id["b"].needs_reports == ("a-1", "a-2")
    assert set(by_id["old"].needs_reports) == {"c", "b", "a-1", "a-2"}
    assert by_id["old"].sources == ("cac_*",)


@pytest.mark.parametrize(
    "reports,needle",
    [
        (
            [_minimal("a", needs={"reports": ["b"]}), _minimal("b", needs={"reports": ["a"]})],
            "needs.reports form a cycle: a -> b -> a",
        ),
        ([_minimal("a", needs={"reports": ["nope"]})], "needs.reports 'nope' matches no report"),
        (
            [_minimal("a", needs={"modules": ["cnai_helpers.nope"]})],
            "no module 'cnai_helpers.nope'",
        ),
        ([_minimal("a", needs={"curated": ["nope"]})], "no curated table 'nope'"),
        ([_minimal("a", needs={"tables": ["x"]})], "unknown needs key(s) ['tables']"),
        ([_minimal("a", needs={"sources": "cac_*"})], "needs.sources must be a list"),
        (
            [_minimal("a", sources=["cac_*"], needs={"sources": ["cac_*"]})],
            "both sources and needs.sources",
        ),
    ],
)
def test_bad_needs_refused_before_anything_runs(site, reports, needle):
    _site(site, reports)
    r = cli_build(site)
    assert r.exit_code == 1 and needle in r.output.replace("\n", " "), r.output
    assert "Traceback" not in r.output
    assert not (site / "reports" / "a").exists()


def test_real_site_hashes_compute_only_for_compute_reports_and_cli_for_none():
    pkg = needs.PACKAGE_ROOT
    compute, cli = pkg / "analysis" / "compute.py", pkg / "cli.py"
    hit = {}
    for r in load_site(expand=False):
        mods = needs.closure(
            set(needs.ALWAYS) | set(r.modules) | needs.notebook_modules(r.notebook_path)
        )
        assert cli not in mods.values(), r.id
        hit[r.id] = compute in mods.values()
    assert sorted(k for k, v in hit.items() if v) == ["compute", "compute-910b"]


def test_real_ledger_needs_every_report_its_claims_name():
    ledger = next(r for r in load_site(expand=False) if r.id == "claims")
    named = {i for x in cl.load_claims()["report_ids"] for i in x.split(";") if i} - {"claims"}
    assert named <= set(ledger.needs_reports)


def test_fast_import_scan_equals_a_full_ast_walk_on_every_module():
    import ast

    for name in sorted(needs.all_modules()):
        f = needs.module_file(name)
        src = f.read_text(encoding="utf-8")
        is_pkg = f.name == "__init__.py"
        full = needs.imported_modules(ast.parse(src), name, is_pkg)
        assert needs.imports_in_source(src, name, is_pkg) == full, name
    tricky = "x = 1\nfrom cnai_helpers.analysis import \\\n    compute\n"
    assert "cnai_helpers.analysis.compute" in needs.imports_in_source(tricky)
