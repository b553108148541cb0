"""What a report needs (site.yaml ``needs:``) and the fingerprint of exactly that.

A report re-runs when its fingerprint changes. The fingerprint hashes:

- the notebook file and the report's parameters;
- ``needs.modules``: the helper modules it uses, **plus every ``cnai_helpers`` module its
  notebook's code cells import**, closed over imports: in each module's source the import
  statements are parsed (``ast``; found line by line, the whole file parsed when one does not
  parse alone) and every ``cnai_helpers`` module imported, at top level or inside a function,
  absolute or relative, is added (an import in a docstring counts too: the safe side), with the packages' ``__init__.py`` on the way. ``from x import name``
  counts ``x.name`` when it is a module. So a notebook that imports ``cnai_helpers.results``
  counts ``results.py`` without declaring it, and a module reached only dynamically must be
  declared. The page renderer (``reports/render.py``, ``results.py``) counts for every report;
  ``cli.py`` counts for none (nothing a notebook runs imports it);
- the package's data files (non-Python files under ``cnai_helpers/``, e.g. reference tables);
- ``needs.curated``: curated tables by name (``compute_assumptions``; globs allowed), resolved
  through :func:`cnai_helpers.paths.curated_table`;
- ``needs.sources``: the manifest checksums of the matching source ids, and, for a report whose
  modules include the loaders, the fingerprint of the core tables it reads
  (``data/processed/build_info.json``: raw files, parser code, corrections);
- ``needs.reports``: the results and build status of the reports it reads (the claims ledger);
- the versions of the libraries that parse, compute and render (:data:`PACKAGES`).

Reads files only: nothing is imported or built, so a no-op site build stays fast.
"""

from __future__ import annotations

import ast
import fnmatch
import hashlib
import json
import re
from functools import lru_cache
from pathlib import Path

from .. import paths
from ..errors import CnaiError

PACKAGE = "cnai_helpers"
PACKAGE_ROOT = Path(__file__).resolve().parent.parent  # tests point this at a copy
ALWAYS = ("cnai_helpers.reports.render", "cnai_helpers.results")  # shape every page
LOADERS = "cnai_helpers.loaders"  # reads the core tables in data/processed
DATA_SUFFIXES = (".csv", ".tsv", ".yaml", ".yml", ".json", ".html", ".css", ".j2", ".tpl", ".txt")
PACKAGES = (
    "pandas",
    "numpy",
    "pyarrow",
    "duckdb",
    "python-docx",
    "openpyxl",
    "pandera",
    "matplotlib",
    "seaborn",
    "papermill",
    "nbconvert",
    "nbclient",
    "genai-prices",  # the monetization report's price data ship inside this package
)
MAGIC_RE = re.compile(r"^\s*[%!].*$", re.M)
# candidate import statements: parsing only these is ~10x faster than parsing whole files
IMPORT_RE = re.compile(
    r"^[ \t]*(?:from[ \t]+[.\w]+[ \t]+import[ \t]*(?:\([^)]*\)|[^\n]*)|import[ \t]+[^\n]*)", re.M
)


class NeedsError(CnaiError, ValueError):
    pass


def module_file(name: str, pkg: Path | None = None) -> Path | None:
    """The source file of ``cnai_helpers.a.b`` under ``pkg`` (None if there is none)."""
    return _module_file(name, Path(pkg or PACKAGE_ROOT))


@lru_cache(maxsize=4096)
def _module_file(name: str, pkg: Path) -> Path | None:
    parts = name.split(".")
    if parts[0] != PACKAGE:
        return None
    base = pkg.joinpath(*parts[1:])
    for f in (base.with_suffix(".py") if parts[1:] else None, base / "__init__.py"):
        if f is not None and f.is_file():
            return f
    return None


def _resolve(node: ast.ImportFrom, module: str, is_pkg: bool) -> str | None:
    if not node.level:
        return node.module
    parts = module.split(".")
    keep = len(parts) - node.level + (1 if is_pkg else 0)
    if keep <= 0:
        return None
    return ".".join(parts[:keep] + ([node.module] if node.module else []))


def imported_modules(
    tree: ast.AST, module: str = "", is_pkg: bool = False, pkg: Path | None = None
) -> set[str]:
    """``cnai_helpers`` modules imported anywhere in ``tree`` (the source of ``module``)."""
    out: set[str] = set()
    for node in _import_statements(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(node, module, is_pkg)
            if not base:
                continue
            out.add(base)
            out.update(
                f"{base}.{a.name}"
                for a in node.names
                if module_file(f"{base}.{a.name}", pkg) is not None
            )
    return {m for m in out if m == PACKAGE or m.startswith(PACKAGE + ".")}


def _import_statements(tree: ast.AST):
    """Import statements anywhere in ``tree``, visiting statements only (imports are
    statements; skipping expressions makes this several times faster than ``ast.walk``)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
            continue
        for name in ("body", "orelse", "finalbody", "handlers", "cases"):
            children = getattr(node, name, None)
            if isinstance(children, list):
                stack.extend(c for c in children if isinstance(c, ast.AST))


def _with_parents(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts) + 1)]


def imports_in_source(
    src: str, module: str = PACKAGE, is_pkg: bool = True, pkg: Path | None = None
) -> set[str]:
    """``cnai_helpers`` modules imported by Python source ``src``: each line that starts an
    import statement (with its parenthesised continuation) is parsed with ``ast``; if one of
    them does not parse alone (a backslash continuation), the whole source is parsed."""
    body: list[ast.stmt] = []
    for m in IMPORT_RE.finditer(src):
        try:
            body += ast.parse(m.group(0).strip()).body
        except SyntaxError:
            return imported_modules(ast.parse(src), module, is_pkg, pkg)
    return imported_modules(ast.Module(body=body, type_ignores=[]), module, is_pkg, pkg)


@lru_cache(maxsize=512)
def _module_imports(path: str, mtime_ns: int, name: str, pkg: str) -> frozenset[str]:
    src = Path(path).read_text(encoding="utf-8")
    return frozenset(imports_in_source(src, name, path.endswith("__init__.py"), Path(pkg)))


def closure(
    modules: set[str] | list[str] | tuple[str, ...], pkg: Path | None = None
) -> dict[str, Path]:
    """Every module ``modules`` import, directly or not, with its file (sorted by name)."""
    pkg = Path(pkg or PACKAGE_ROOT)
    todo = [p for m in modules for p in _with_parents(m)]
    seen: dict[str, Path] = {}
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        f = module_file(name, pkg)
        if f is None:
            continue  # an attribute imported with `from package import name`, not a module
        seen[name] = f
        for m in _module_imports(str(f), f.stat().st_mtime_ns, name, str(pkg)):
            todo.extend(p for p in _with_parents(m) if p not in seen)
    return dict(sorted(seen.items()))


def notebook_modules(nb_path: Path) -> set[str]:
    """``cnai_helpers`` modules imported by the notebook's code cells (magics ignored). A cell
    that does not parse counts as importing the whole package (safe side)."""
    p = Path(nb_path)
    st = p.stat()
    return set(_notebook_modules(str(p), st.st_mtime_ns, st.st_size))


@lru_cache(maxsize=256)
def _notebook_modules(nb_path: str, mtime_ns: int, size: int) -> frozenset[str]:
    nb = json.loads(Path(nb_path).read_text(encoding="utf-8"))
    out: set[str] = set()
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        src = cell.get("source", "")
        src = MAGIC_RE.sub("", "".join(src) if isinstance(src, list) else src)
        try:
            out |= imports_in_source(src)
        except SyntaxError:
            out |= all_modules()
    return frozenset(out)


def all_modules(pkg: Path | None = None) -> set[str]:
    pkg = Path(pkg or PACKAGE_ROOT)
    out = set()
    for f in pkg.rglob("*.py"):
        rel = f.relative_to(pkg).with_suffix("").parts
        rel = rel[:-1] if rel[-1] == "__init__" else rel
        out.add(".".join((PACKAGE, *rel)))
    return out


def check_module(name: str, where: str) -> None:
    if module_file(name) is None:
        raise NeedsError(
            f"{where}: needs.modules: no module {name!r} (a dotted name such as "
            f"cnai_helpers.analysis.compute)"
        )


def curated_files(patterns: tuple[str, ...], where: str = "") -> dict[str, Path]:
    """Curated table name -> file, for the names or globs in ``needs.curated``."""
    names = paths.curated_names()
    out: dict[str, Path] = {}
    for p in patterns:
        hits = fnmatch.filter(names, p)
        if not hits and not any(c in p for c in "*?["):
            raise NeedsError(
                f"{where}: needs.curated: no curated table {p!r} ({paths.curated_table(p)} missing)"
            )
        out.update({n: paths.curated_table(n) for n in hits})
    return dict(sorted(out.items()))


# package data no notebook page uses: the registry explorer's templates (reports/explorer.py
# fingerprints them itself), so that editing them re-makes those pages, not every report
NOT_REPORT_DATA = ("reports", "templates", "explorer")


def package_data_files(pkg: Path | None = None) -> list[Path]:
    pkg = Path(pkg or PACKAGE_ROOT)
    return sorted(
        f
        for f in pkg.rglob("*")
        if f.suffix in DATA_SUFFIXES
        and f.is_file()
        and "__pycache__" not in f.parts
        and f.relative_to(pkg).parts[:3] != NOT_REPORT_DATA
    )


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@lru_cache(maxsize=1)
def package_versions() -> dict[str, str | None]:
    from .provenance import versions

    return versions(PACKAGES)


def registry_tables_fingerprint() -> str:
    """Fingerprint of the core tables the loaders read (from their build_info.json)."""
    try:
        info = json.loads((paths.PROCESSED / "build_info.json").read_text(encoding="utf-8"))
        return str(info.get("fingerprint"))
    except (OSError, ValueError):
        return "missing"


def inputs(
    report, sources: dict[str, str], upstream: dict[str, str], pkg: Path | None = None
) -> dict:
    """Everything the report's fingerprint hashes, by kind (also shown in build.json)."""
    pkg = Path(pkg or PACKAGE_ROOT)
    wanted = set(ALWAYS) | set(report.modules) | notebook_modules(report.notebook_path)
    mods = closure(wanted, pkg)
    data = {str(f.relative_to(pkg)): _sha(f) for f in package_data_files(pkg)}
    out = {
        "notebook": _sha(report.notebook_path),
        "parameters": report.parameters,
        "page": {  # what the page shows besides the notebook: a change re-renders it
            "title": report.title,
            "question": report.question,
            "key_figures": list(getattr(report, "key_figures", ())),
            "key_labels": [list(x) for x in getattr(report, "key_labels", ())],
            "headline": getattr(report, "headline", ""),
            "detail": getattr(report, "detail", ""),
            "site": _site_block(),  # base_url, author, sources: the citation and footer
        },
        "modules": {m: _sha(f) for m, f in mods.items()},
        "package_data": data,
        "curated": {n: _sha(f) for n, f in curated_files(report.curated, report.id).items()},
        "sources": sources,
        "reports": upstream,
        "packages": package_versions(),
    }
    if LOADERS in mods:
        out["core_tables"] = registry_tables_fingerprint()
    return out


def _site_block() -> dict:
    from .render import site_config  # the page chrome every report shows

    return site_config()


def fingerprint(parts: dict) -> str:
    blob = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()
