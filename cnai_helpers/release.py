"""The enriched registry as a data release: every core table as CSV and Parquet, the DuckDB file,
the project's curated tables (``curated/``: each as committed, every row with its source, and the
claims' readings fixed before their verdicts), a Frictionless Data Package descriptor
(``datapackage.json``) generated from ``cnai_helpers/tables.yaml`` (descriptions, types, units,
allowed values, primary keys) with the licence of every source from ``data/sources.yaml``, and a
README (loading in pandas, DuckDB and R; file sizes and sha256).

The release is versioned by the latest batch of each registry (``ds2026-03.ar2026-03…``): a new
list of any registry makes a new version. It reads the core tables through the loaders' check
(``require_registry``: stale tables are refused, never silently released).
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

from . import metadata, paths
from .formatting import human_size
from .registry import REGISTRIES, TABLES

PROFILE = "tabular-data-package"
DUCKDB_FILE = "registry.duckdb"
CURATED = "curated"  # the release's folder of curated tables
READINGS = "claim_readings"  # the claims' readings (YAML: nested, not a table)
READINGS_FILE = f"{CURATED}/{READINGS}.yaml"  # its path in the release
ABBREV = {
    "deep_synthesis": "ds",
    "algorithm_recommendation": "ar",
    "genai_filings": "gf",
    "genai_registrations": "gr",
    "genai_on_device": "od",
}
FRICTIONLESS_TYPES = {
    "str": "string",
    "int": "integer",
    "Int64": "integer",
    "float": "number",
    "bool": "boolean",
}
# Open Definition licence ids of the licences data/sources.yaml names (else "notspecified",
# with the manifest's words as the title)
LICENCE_IDS = {"CC BY 4.0": ("CC-BY-4.0", "https://creativecommons.org/licenses/by/4.0/")}


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def latest_batches(batches) -> dict[str, str]:
    """Registry -> its latest batch (YYYY-MM), in the registries' order."""
    latest = batches.groupby("registry")["batch"].max().to_dict()
    return {r: str(latest[r]) for r in REGISTRIES if r in latest}


def version_of(latest: dict[str, str]) -> str:
    """``ds2026-03.ar2026-03.gf2026-08…``: the latest batch of each registry."""
    return ".".join(f"{ABBREV.get(r, r)}{b}" for r, b in latest.items())


def field_descriptor(f: metadata.Field) -> dict:
    d: dict = {"name": f.name, "type": FRICTIONLESS_TYPES[f.type], "description": f.description}
    if f.unit:
        d["unit"] = f.unit  # not a Table Schema property: kept for readers (custom keys allowed)
    c: dict = {}
    if not f.nullable:
        c["required"] = True
    if f.allowed:
        c["enum"] = list(f.allowed)
    if f.pattern:  # tables.yaml patterns match from the start (re.match); Table Schema's whole
        p = f.pattern.removeprefix("^")
        c["pattern"] = p.removesuffix("$") if p.endswith("$") else p + ".*"
    if f.min is not None:
        c["minimum"] = int(f.min) if d["type"] == "integer" else f.min
    if f.max is not None:
        c["maximum"] = int(f.max) if d["type"] == "integer" else f.max
    if f.min_length:
        c["minLength"] = f.min_length
    if f.unique:
        c["unique"] = True
    if c:
        d["constraints"] = c
    return d


def table_schema(name: str) -> dict:
    t = metadata.tables()[name]
    schema: dict = {
        "fields": [field_descriptor(f) for f in t.fields],
        "missingValues": [""],
    }
    if t.unique:
        schema["primaryKey"] = list(t.unique)
    return schema


# what a compiled source holds, in English (its title is the notices' Chinese title)
FORMAT_NAMES = {
    "genai_json": "generative-AI filing notices",
    "genai_aggregates_json": "generative-AI annual summary notices",
    "cac_cancel_json": "notices cancelling algorithm filing numbers",
}


def source_name(s) -> str:
    """A source's name for a reader, without its list's date: the registry's label for a list
    (its title names one month), else its title without the bracketed part; and where the file
    came from when a repository compiled or mirrored it ("files via owner/name")."""
    from .reference import registry_label

    title = re.sub(r"\s*\(.*\)\s*$", "", s.title or "").strip() or s.id
    if s.registry and s.format == "cac_docx":
        name = f"CAC {registry_label(s.registry).split(' (')[0].lower()} lists"
    elif s.format in FORMAT_NAMES:  # the English name, and the Chinese part of the title
        chinese = re.split(r"\s+[A-Za-z]", title)[0]
        name = f"CAC {FORMAT_NAMES[s.format]} ({chinese})"
    else:
        name = f"{title} ({s.publisher})"
    via = re.search(r"(?:via|compiled (?:in|by)) ([\w.-]+/[\w.-]+?)(?:@|\s|$)", s.citation)
    return f"{name}, files via {via.group(1)}" if via else name


def licences(sources) -> list[dict]:
    """One entry per licence (Data Package ``licenses``), with ``cnai:sources``: the names of the
    sources under it (:func:`source_name`), so that a reader sees which terms are whose."""
    out: dict[str, dict] = {}
    for s in sources:
        if s.licence not in out:
            ident, url = LICENCE_IDS.get(s.licence, ("notspecified", None))
            entry = {"name": ident, "title": s.licence}
            if url:
                entry["path"] = url
            entry["cnai:sources"] = []
            out[s.licence] = entry
        name = source_name(s)
        if name not in out[s.licence]["cnai:sources"]:
            out[s.licence]["cnai:sources"].append(name)
    return list(out.values())


def curated_tables() -> list[str]:
    """The curated tables of tables.yaml, in its order (each a CSV in data/curated/)."""
    return [n for n, t in metadata.tables().items() if t.layer == "curated"]


def csv_resource(name: str, path: str, files: dict[str, dict]) -> dict:
    """A table's Data Resource: its CSV ``path`` in the release, with its declared schema."""
    t = metadata.tables()[name]
    return {
        "name": name,
        "path": path,
        "profile": "tabular-data-resource",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "title": f"{name} ({t.grain})",
        "description": f"{t.description} One row: {t.grain}. {t.source_rule}",
        "bytes": files[path]["bytes"],
        "hash": "sha256:" + files[path]["sha256"],
        "schema": table_schema(name),
    }


def datapackage(version: str, latest: dict[str, str], files: dict[str, dict], sources) -> dict:
    """The descriptor. ``files``: file name -> {bytes, sha256}."""
    resources = []
    for name in TABLES:
        pq = f"{name}.parquet"
        resources.append(
            {
                **csv_resource(name, f"{name}.csv", files),
                "cnai:parquet": {
                    "path": pq,
                    "bytes": files[pq]["bytes"],
                    "hash": "sha256:" + files[pq]["sha256"],
                },
            }
        )
    resources += [
        {**csv_resource(n, f"{CURATED}/{n}.csv", files), "cnai:layer": "curated"}
        for n in curated_tables()
        if f"{CURATED}/{n}.csv" in files  # those the project has (all, but in a test's project)
    ]
    pkg = {
        "profile": PROFILE,
        "name": "cnai-registry",
        "title": "cnai: China's algorithm and generative-AI filing registries, enriched",
        "description": (
            "Every CAC algorithm-registry list (deep synthesis, recommendation algorithms) and "
            "generative-AI filing list, parsed, cleaned, located (GB/T 2260 divisions), with "
            "organisation type, sector, cancellations and the build's data-quality records. "
            "Rebuilt from the official files by the cnai project's tested code."
        ),
        "version": version,
        "cnai:latest_batches": latest,
        "cnai:duckdb": {
            "path": DUCKDB_FILE,
            "bytes": files[DUCKDB_FILE]["bytes"],
            "hash": "sha256:" + files[DUCKDB_FILE]["sha256"],
        },
        "licenses": licences(sources),
        "sources": [
            {
                "title": s.citation,
                "path": s.announcement_url or s.url,
                "cnai:id": s.id,
                "cnai:licence": s.licence,
                "cnai:sha256": s.sha256,
            }
            for s in sources
        ],
        "resources": resources,
    }
    if READINGS_FILE in files:  # each claim's band, population, time and primary comparison
        pkg["cnai:claim_readings"] = {
            "path": READINGS_FILE,
            "bytes": files[READINGS_FILE]["bytes"],
            "hash": "sha256:" + files[READINGS_FILE]["sha256"],
        }
    return pkg


def readme(pkg: dict, files: dict[str, dict]) -> str:
    rows = "\n".join(
        f"| `{name}` | {human_size(info['bytes'])} | `{info['sha256']}` |"
        for name, info in files.items()
    )
    latest = ", ".join(f"{r} {b}" for r, b in pkg["cnai:latest_batches"].items())
    lic = "\n".join(
        f"- {'; '.join(x.get('cnai:sources', []))}: {x['title']} ({x['name']})"
        for x in pkg["licenses"]
    )
    readings = (
        f"`{pkg['cnai:claim_readings']['path']}` holds each claim's reading (the band its words "
        "allow, the population, the time and the primary comparison), fixed before its verdict, "
        "with the history of every revision.\n"
        if "cnai:claim_readings" in pkg
        else ""
    )
    core = [r for r in pkg["resources"] if r.get("cnai:layer") != "curated"]
    tables = "\n".join(f"- `{r['name']}`: {r['description']}" for r in core)
    curated = "\n".join(
        f"- `{r['path']}`: {r['description']}"
        for r in pkg["resources"]
        if r.get("cnai:layer") == "curated"
    )
    return f"""# {pkg["title"]}

Version **{pkg["version"]}** (the latest list of each registry: {latest}).

{pkg["description"]}

## Tables

{tables}

**Before you count shares:** the organisation-type and sector columns (and the state-linked,
foreign and cross-sector flags) are the project's rules' calls, with coders' labels where a filing
was sampled. They are not corrected for the rules' errors, which a held-out sample measures, so a
share counted from them is biased; the corrected estimates, with their intervals, are on the site's
"Who files" report.

Every field (type, unit, description, allowed values) is described in `datapackage.json`
(a Frictionless Data Package) and on the site's data dictionary page.

## Curated tables

The project's own tables, as committed in its repository (`data/curated/`): facts restated from
sources (each row with its source and source tier), corrections, coders' labels and the claims.
{readings}
{curated}

## Files

| file | size | sha256 |
|---|---|---|
{rows}

Check a file with `sha256sum FILE`.

## Loading

pandas:

```python
import pandas
filings = pandas.read_parquet("filings.parquet")  # or pandas.read_csv("filings.csv", dtype=str)
```

DuckDB:

```sql
-- the database file holds every table
ATTACH 'registry.duckdb' AS cnai (READ_ONLY);
SELECT registry, count(*) FROM cnai.filings GROUP BY registry;
-- or read a file directly
SELECT count(*) FROM read_parquet('filings.parquet');
```

R:

```r
filings <- arrow::read_parquet("filings.parquet")    # or readr::read_csv("filings.csv")
# with the descriptor: frictionless::read_package("datapackage.json")
```

Python with the descriptor: `frictionless validate datapackage.json`.

## Licences of the sources

{lic}

Each raw file's citation, address and licence is listed under `sources` in `datapackage.json`.
"""


def write_release(dest: Path, processed: Path | None = None) -> dict:
    """Write the release into ``dest`` (an empty folder); return the descriptor."""
    from .display import csv_text
    from .loaders import load_table
    from .registry.fingerprint import registry_sources, require_registry

    src = require_registry(processed)
    dest = Path(dest)
    files: dict[str, dict] = {}
    for name in TABLES:
        df = load_table(name, processed)
        # text a spreadsheet would run as a formula (a filer named =HYPERLINK(…)) gets a
        # leading ' in the CSV, as in every other CSV download; the parquet keeps it verbatim
        (dest / f"{name}.csv").write_text(csv_text(df), encoding="utf-8")
        shutil.copyfile(src / f"{name}.parquet", dest / f"{name}.parquet")
    shutil.copyfile(src / DUCKDB_FILE, dest / DUCKDB_FILE)
    # the curated tables byte for byte as committed (their sha256 is the repository file's)
    (dest / CURATED).mkdir(exist_ok=True)
    copied = {  # the project's curated tables and readings (a test's project may have none)
        f"{CURATED}/{n}.csv": metadata.tables()[n].path for n in curated_tables()
    }
    copied[READINGS_FILE] = paths.curated_table(READINGS)
    copied = {name: src for name, src in copied.items() if src.is_file()}
    for name, src in copied.items():
        shutil.copyfile(src, dest / name)
    # the files written here, never whatever else the folder holds (a writer's marker file)
    written = [f"{n}.{ext}" for n in TABLES for ext in ("csv", "parquet")] + [DUCKDB_FILE]
    written += list(copied)
    for name in sorted(written):
        files[name] = {"bytes": (dest / name).stat().st_size, "sha256": sha256_file(dest / name)}
    latest = latest_batches(load_table("batches", processed))
    pkg = datapackage(version_of(latest), latest, files, registry_sources())
    (dest / "datapackage.json").write_text(
        json.dumps(pkg, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    # the README's checksums cover the descriptor too (it cannot carry its own hash)
    desc = dest / "datapackage.json"
    listed = {**files, desc.name: {"bytes": desc.stat().st_size, "sha256": sha256_file(desc)}}
    (dest / "README.md").write_text(readme(pkg, listed), encoding="utf-8")
    return pkg
