"""Layers that only point down (raw -> core -> analysis -> reports): reading never writes, the
report machinery imports nothing from the registry, reference data lives in one place."""

from __future__ import annotations

import ast
import hashlib
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

import cnai_helpers
from cnai_helpers import loaders
from cnai_helpers.cli import app
from cnai_helpers.registry.build import build
from tests.fixtures import ds_row, make_docx, num
from tests.test_registry_build import project  # noqa: F401  (fixture: a tiny project)

runner = CliRunner()
PKG = Path(cnai_helpers.__file__).parent
STALE = "registry is stale: run `cnai registry build`"
NOT_BUILT = "registry is not built: run `cnai registry build`"


def snapshot(folder: Path) -> dict[str, str]:
    """Every file and folder under ``folder`` (folders map to ""): equal = nothing written."""
    return {
        p.relative_to(folder).as_posix(): (
            hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else ""
        )
        for p in sorted(folder.rglob("*"))
    }


def change_a_list(root: Path) -> None:
    """A new, correctly recorded version of one raw list: the tables are now stale."""
    raw = root / "data/raw/ds/2024-10.docx"
    make_docx(raw, [ds_row(1, num("330106", serial=9))])
    doc = yaml.safe_load((root / "data/sources.yaml").read_text())
    doc["sources"][1].update(sha256=hashlib.sha256(raw.read_bytes()).hexdigest())
    (root / "data/sources.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True))


# ------------------------------------------------------------ 1. reading never writes


def test_load_filings_on_missing_processed_raises_and_writes_nothing(project):  # noqa: F811
    before = snapshot(project)
    assert not (project / "data/processed").exists()
    with pytest.raises(loaders.StaleRegistryError) as e:
        loaders.load_filings()
    assert NOT_BUILT in str(e.value)
    assert snapshot(project) == before


@pytest.mark.parametrize(
    "read",
    [
        loaders.load_filings,
        loaders.load_listings,
        loaders.load_entities,
        loaders.load_batches,
        loaders.load_cancellations,
        loaders.load_data_quality,
        loaders.registry_build_info,
    ],
)
def test_every_loader_on_stale_tables_raises_and_writes_nothing(project, read):  # noqa: F811
    build(jobs=1)
    change_a_list(project)
    before = snapshot(project)
    with pytest.raises(loaders.StaleRegistryError, match=STALE):
        read()
    assert snapshot(project) == before


def test_stats_says_stale_and_registry_build_fixes_it(project):  # noqa: F811
    build(jobs=1)
    change_a_list(project)
    before = snapshot(project)
    r = runner.invoke(app, ["registry", "stats"], env={"CNAI_DEBUG": ""})
    assert r.exit_code == 1 and STALE in r.output and "Traceback" not in r.output, r.output
    assert snapshot(project) == before
    assert runner.invoke(app, ["registry", "build"]).exit_code == 0
    r = runner.invoke(app, ["registry", "stats", "--json"])
    assert r.exit_code == 0, r.output
    assert len(loaders.load_filings("deep_synthesis")) == 4  # 3 of batch 1 + the new one


def test_fingerprint_imports_nothing_from_build():
    mods = imported_modules(PKG / "registry" / "fingerprint.py", "cnai_helpers.registry")
    assert not [m for m in mods if m.startswith("cnai_helpers.registry.build")], mods


# ------------------------------------------------------------ 2. reports/ never imports registry/


def imported_modules(path: Path, package: str) -> list[str]:
    """Absolute names of every module ``path`` imports (module level or inside functions);
    ``package`` is the dotted package the file belongs to (resolves relative imports)."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            out.append(mod)
            out += [f"{mod}.{a.name}" for a in node.names]  # `from .. import registry`
    return out


def test_imported_modules_resolves_relative_imports(tmp_path):
    f = tmp_path / "m.py"
    f.write_text(
        "from ..registry.fingerprint import x\nfrom .. import registry\n"
        "def g():\n    import cnai_helpers.registry.build\n    from . import site\n"
    )
    mods = imported_modules(f, "cnai_helpers.reports")
    assert "cnai_helpers.registry.fingerprint" in mods
    assert "cnai_helpers.registry" in mods
    assert "cnai_helpers.registry.build" in mods
    assert "cnai_helpers.reports.site" in mods


def test_reports_import_nothing_from_registry():
    bad = {
        p.name: m
        for p in sorted((PKG / "reports").glob("*.py"))
        for m in imported_modules(p, "cnai_helpers.reports")
        if m == "cnai_helpers.registry" or m.startswith("cnai_helpers.registry.")
    }
    assert not bad, f"cnai_helpers/reports imports the registry layer: {bad}"


def fan_out_site(root: Path, values_from: str) -> Path:
    doc = {
        "reports": [
            {
                "id": "p-{value}",
                "notebook": "t.ipynb",
                "title": "P {label}",
                "question": "?",
                "fan_out": {
                    "parameter": "province",
                    "values_from": values_from,
                    "args": {"registry": "deep_synthesis", "min_filings": 2},
                },
            }
        ]
    }
    (root / "site.yaml").write_text(yaml.safe_dump(doc))
    return root / "site.yaml"


@pytest.mark.parametrize(
    "values_from",
    ["provinces_with_min_filings", "cnai_helpers.loaders:provinces_with_min_filings"],
)
def test_fan_out_values_come_from_the_loaders(project, values_from):  # noqa: F811
    from cnai_helpers.reports.site import load_site

    build(jobs=1)
    reports = load_site(fan_out_site(project, values_from))
    # Beijing has 2 deep-synthesis filings in the tiny project; Guangdong and Zhejiang 1 each
    assert [(r.id, r.title, r.parameters) for r in reports] == [
        ("p-11", "P Beijing", {"province": "11"})
    ]


@pytest.mark.parametrize("values_from", ["nope", "cnai_helpers.nope:f", "cnai_helpers.paths:ROOT"])
def test_unknown_fan_out_function_is_refused(project, values_from):  # noqa: F811
    from cnai_helpers.reports.site import SiteError, load_site

    with pytest.raises(SiteError, match=f"unknown values_from '{values_from}'"):
        load_site(fan_out_site(project, values_from))


def test_fan_out_on_stale_tables_says_stale_and_writes_nothing(project):  # noqa: F811
    from cnai_helpers.reports.site import load_site

    build(jobs=1)
    change_a_list(project)
    site = fan_out_site(project, "provinces_with_min_filings")
    before = snapshot(project)
    with pytest.raises(loaders.StaleRegistryError, match=STALE):
        load_site(site)
    assert snapshot(project) == before


# ------------------------------------------------------------ 4. registry/build.py split by job


@pytest.mark.parametrize("module", ["add.py", "add_cancellations.py", "build.py", "ensure.py"])
def test_registry_modules_use_public_functions_only(module):
    tree = ast.parse((PKG / "registry" / module).read_text(encoding="utf-8"))
    private = [
        f"{node.module}.{a.name}"
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for a in node.names
        if a.name.startswith("_") and a.name != "__future__" and node.module != "__future__"
    ]
    assert not private, f"registry/{module} imports private names: {private}"


def test_build_py_is_a_thin_orchestrator():
    """Parsing, assembling and writing live in their own modules."""
    tree = ast.parse((PKG / "registry" / "build.py").read_text(encoding="utf-8"))
    defined = {n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.ClassDef)}
    assert defined == {"build", "build_tables"}, defined


def definitions(name: str) -> list[str]:
    """Modules of the package that define a function or class called ``name``."""
    return [
        p.relative_to(PKG).as_posix()
        for p in sorted(PKG.rglob("*.py"))
        for n in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
        if isinstance(n, ast.FunctionDef | ast.ClassDef) and n.name == name
    ]


def test_one_province_count_function():
    assert definitions("province_counts") == ["registry/stats.py"]


def test_one_core_table_reader():
    """Core tables are read by loaders.load_table only (curated.load_table reads the curated
    CSVs; folding it into one curated reader belongs to the curated-tables work)."""
    assert [m for m in definitions("load_table") if m != "curated.py"] == ["loaders.py"]
    readers = [
        p.relative_to(PKG).as_posix()
        for p in sorted(PKG.rglob("*.py"))
        if "pd.read_parquet(" in p.read_text(encoding="utf-8")
    ]
    assert readers == ["loaders.py"], readers


def test_province_counts_views():
    import pandas as pd

    from cnai_helpers.analysis import geo
    from cnai_helpers.registry import stats

    f = pd.DataFrame({"province_code": ["11", "11", "44", "central_soe", None, "unknown"]})
    every = stats.province_counts(f)
    assert every.to_dict() == {"11": 2, "44": 1, "central_soe": 1, "unknown": 2}
    assert list(every.index) == sorted(every.index)
    mainland = geo.province_counts(f)
    assert list(mainland.index) == geo.MAINLAND and len(mainland) == 31
    assert (mainland["11"], mainland["44"], mainland["12"]) == (2, 1, 0)


# ------------------------------------------------------------ 3. reference data in one place


def literal_tables(path: Path) -> list[str]:
    """Module-level assignments holding a reference table as Python literals: more than 40
    string constants (a keyword taxonomy; a table's column list is shorter), or a regular
    expression of more than 20 alternatives (a name list; a parser's pattern is shorter)."""
    out = []
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if not isinstance(node, ast.Assign | ast.AnnAssign) or node.value is None:
            continue
        strings = [
            n.value
            for n in ast.walk(node.value)
            if isinstance(n, ast.Constant) and isinstance(n.value, str)
        ]
        if len(strings) > 40 or any(s.count("|") > 20 for s in strings):
            target = node.targets[0] if isinstance(node, ast.Assign) else node.target
            out.append(f"{path.relative_to(PKG).as_posix()}:{ast.unparse(target)}")
    return out


def test_no_reference_tables_as_python_literals():
    found = [t for p in sorted(PKG.rglob("*.py")) for t in literal_tables(p)]
    assert not found, f"move these to cnai_helpers/reference/: {found}"


def test_reference_readers():
    from cnai_helpers import reference
    from cnai_helpers.analysis import classify, geo
    from cnai_helpers.registry import geography

    rows = reference.province_rows()
    assert len(rows) == 34 and rows[0]["province_code"] == "11"
    assert {r["province_code"] for r in rows} == set(geography.provinces()["province_code"])
    assert classify.SECTOR_KEYWORDS is reference.sector_keywords()
    assert list(classify.SECTORS)[1:3] == ["legal", "healthcare"]  # priority order kept
    signals = reference.sector_signals()
    assert tuple(signals["cross_sector_signals"]) == classify.CROSS_SECTOR_SIGNALS
    assert tuple(signals["horizontal_function"]) == classify.HORIZONTAL_FUNCTION
    assert list(classify.SECTOR_PATTERNS) == list(signals["sector_patterns"])
    assert set(classify.SECTOR_PATTERNS) <= set(classify.SECTOR_KEYWORDS)
    assert classify.sector_call("LawGPT").sector == "legal"  # an English pattern
    assert classify.sector_call("Example Copilot").signal == "general_purpose"
    assert classify.sector_call("面向各行业的智能填报").sector == "cross_sector"  # generic domain
    assert classify.sector_call("面向烟草行业的系统").signal == "unknown_domain"
    assert geo.USE_CASE_KEYWORDS is reference.use_case_keywords()
    assert geo.use_cases("TTS 配音") == ["speech & voice"]
    assert {"11", "12", "31", "50"} == geography.MUNICIPALITIES
    assert geography.province_names()["central_soe"]["en"] == "Central SOEs (SASAC)"
    assert geography.province_by_prefix("ZhongYangQiYe") == "central_soe"
    assert classify.org_type_by_rules("某某（中国）投资有限公司") == "foreign"
    assert classify.org_type_by_rules("某市公安局") == "government"
    assert classify.org_type_by_rules("某某科技有限公司局") == "private"  # 公司局 is no bureau


def test_reference_files_ship_with_the_package():
    import fnmatch
    import tomllib

    conf = tomllib.loads((PKG.parent / "pyproject.toml").read_text())["tool"]["setuptools"]
    globs = conf["package-data"]["cnai_helpers.reference"]
    files = [p.name for p in (PKG / "reference").iterdir() if p.suffix in (".csv", ".yaml")]
    assert len(files) >= 7, files
    assert all(any(fnmatch.fnmatch(f, g) for g in globs) for f in files), (files, globs)


def test_geography_reference_files_are_build_inputs(tmp_path, monkeypatch):
    """Editing a geography reference file makes the core tables stale."""
    from cnai_helpers import reference
    from cnai_helpers.registry import fingerprint as fpm

    copies = []
    for f in fpm.REFERENCE_FILES:
        copies.append(tmp_path / f.name)
        copies[-1].write_bytes(f.read_bytes())
    assert {f.name for f in copies} >= set(reference.GEOGRAPHY_FILES)
    monkeypatch.setattr(fpm, "REFERENCE_FILES", tuple(copies))
    before = fpm.fingerprint([], tmp_path, tmp_path / "corrections.csv")
    geo_yaml = tmp_path / "geography.yaml"
    geo_yaml.write_text(geo_yaml.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert fpm.fingerprint([], tmp_path, tmp_path / "corrections.csv") != before


def test_add_dry_run_reads_and_real_add_builds(project, tmp_path):  # noqa: F811
    build(jobs=1)
    change_a_list(project)
    new = make_docx(
        tmp_path / "n.docx",
        [ds_row(1, num("310104", serial=77))],
        title="境内深度合成服务算法备案清单（2026年5月）",
    )
    before = snapshot(project)
    r = runner.invoke(app, ["registry", "add", str(new), "--dry-run"], env={"CNAI_DEBUG": ""})
    assert r.exit_code == 1 and STALE in r.output and "Traceback" not in r.output, r.output
    assert snapshot(project) == before
    r = runner.invoke(app, ["registry", "add", str(new)])
    assert r.exit_code == 0, r.output
    f = loaders.load_filings("deep_synthesis")  # fresh: built with the changed list and the new one
    assert {"2026-05"} <= set(f["first_batch"]) and num("330106", serial=9) in set(
        f["filing_number"]
    )


# ------------------------------------------------------------ 5. core tables below the analysis


@pytest.mark.parametrize("layer", ["registry", "enrich"])
def test_core_layers_import_nothing_from_analysis(layer):
    """The core tables' enrichment (registry/, and the rules and labels in enrich/) sit below
    the analysis layer: none of their modules imports cnai_helpers.analysis."""
    bad = {
        p.name: m
        for p in sorted((PKG / layer).glob("*.py"))
        for m in imported_modules(p, f"cnai_helpers.{layer}")
        if m == "cnai_helpers.analysis" or m.startswith("cnai_helpers.analysis.")
    }
    assert not bad, f"cnai_helpers/{layer} imports the analysis layer: {bad}"


def test_enrich_imports_nothing_from_registry():
    bad = [
        m
        for p in sorted((PKG / "enrich").glob("*.py"))
        for m in imported_modules(p, "cnai_helpers.enrich")
        if m.startswith("cnai_helpers.registry")
    ]
    assert not bad, bad


def _package_imports(path: Path) -> set[str]:
    """The cnai_helpers modules a module imports (top level or inside functions), as dotted
    names, relative imports resolved."""
    pkg = "cnai_helpers." + ".".join(path.relative_to(PKG).with_suffix("").parts[:-1])
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = pkg.rstrip(".").split(".")
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            if base.startswith("cnai_helpers"):
                out.add(base)
                out |= {f"{base}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("cnai_helpers")}
    return out


def test_the_report_modules_import_each_other_in_no_circle():
    """reports/ modules point one way: the preprocessor and the renderer share what both need
    through a module below them (reports/page.py), and neither imports the other back."""
    mods = {f"cnai_helpers.reports.{p.stem}": p for p in (PKG / "reports").glob("*.py")}
    graph = {m: {d for d in _package_imports(p) if d in mods and d != m} for m, p in mods.items()}

    def reach(start: str) -> set[str]:
        seen, todo = set(), [start]
        while todo:
            for d in graph[todo.pop()]:
                if d not in seen:
                    seen.add(d)
                    todo.append(d)
        return seen

    circles = sorted(m for m in mods if m in reach(m))
    assert not circles, f"report modules in an import circle: {circles}"
