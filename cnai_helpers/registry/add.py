"""`cnai registry add FILE`: ingest a CAC Word list the manifest does not know.

The registry comes from the table header, the batch month from the title paragraph (or
``batch=``). A dry run parses and compares with the current database; a real run copies the file
into ``data/raw/local/`` as a local source (sha256 recorded in ``data/local_sources.yaml``) and
rebuilds. Anything that fails leaves the manifest, raw folder and tables exactly as they were.
"""

from __future__ import annotations

import shutil
from dataclasses import asdict
from pathlib import Path

import pandas as pd
import yaml

from .. import paths
from ..atomic import write_text
from ..errors import CnaiError
from ..manifest import load_manifest, sha256_file
from .build import _enrich_cac, build, load_corrections
from .docx_lists import ListFormatError, read_cac_docx
from .numbers import name_key
from .stats import province_counts


class AddError(CnaiError, ValueError):
    pass


def inspect_file(
    file: Path, batch: str | None = None, existing: pd.DataFrame | None = None
) -> dict:
    file = Path(file)
    if not file.is_file():
        raise AddError(f"{file}: no such file")
    lst = read_cac_docx(file, source_id=f"local:{file.name}", batch=batch)
    if lst.rows.empty:
        raise ListFormatError(f"{file}: the list table has a header but no data rows")
    issues = list(lst.issues)
    df = lst.rows.assign(registry=lst.registry, batch=lst.batch, source_id=f"local:{file.name}")
    df = _enrich_cac(df, load_corrections(), issues, {f"local:{file.name}": file.name})
    if df.empty:
        raise ListFormatError(f"{file}: no row has a readable 网信算备 filing number")
    df["filing_key"] = df["filing_number"].map(name_key)
    unique = df.drop_duplicates("filing_key")
    known_keys: set[str] = set()
    if existing is not None and len(existing):
        known_keys = set(existing.loc[existing["registry"] == lst.registry, "filing_key"])
    known = unique["filing_key"].isin(known_keys)
    return {
        "registry": lst.registry,
        "batch": lst.batch,
        "title": lst.title,
        "rows": int(len(lst.rows)),
        "new_filings": int((~known).sum()),
        "known_filings": int(known.sum()),
        "by_province": province_counts(unique),
        "problems": [
            {
                k: v
                for k, v in asdict(i).items()
                if k in ("row", "action", "reason", "filing_number")
            }
            for i in issues
        ],
    }


def add_file(
    file: Path,
    batch: str | None = None,
    dry_run: bool = False,
    existing: pd.DataFrame | None = None,
) -> dict:
    file = Path(file)
    report = inspect_file(file, batch, existing)
    sha = sha256_file(file)
    sources = load_manifest()
    same = [s for s in sources if s.sha256 == sha]
    if same:
        raise AddError(f"{file}: already ingested as source {same[0].id!r} (same sha256)")
    clash = [s for s in sources if s.registry == report["registry"] and s.batch == report["batch"]]
    if clash:
        raise AddError(
            f"{file}: batch {report['batch']} of {report['registry']} already exists as source "
            f"{clash[0].id!r}; pass --batch YYYY-MM if this list belongs to another month"
        )
    report["dry_run"] = dry_run
    if dry_run:
        return report
    sid = f"local_{report['registry']}_{report['batch'].replace('-', '_')}_{sha[:8]}"
    rel = f"local/{report['registry']}/{report['batch']}-{sha[:8]}.docx"
    target = paths.RAW / rel
    local_yaml = paths.LOCAL_SOURCES
    old_yaml = local_yaml.read_text(encoding="utf-8") if local_yaml.exists() else None
    doc = yaml.safe_load(old_yaml or "") or {}
    doc.setdefault("sources", []).append(
        {
            "id": sid,
            "format": "cac_docx",
            "registry": report["registry"],
            "batch": report["batch"],
            "path": rel,
            "url": file.resolve().as_uri(),
            "sha256": sha,
            "size": file.stat().st_size,
            "title": report["title"],
            "publisher": "Cyberspace Administration of China",
            "licence": "Official public notice",
            "announcement_url": "",
            "announcement_date": "",
            "citation": f"Cyberspace Administration of China, {report['title']} (added locally "
            f"from {file.name})",
        }
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(file, target)
    try:
        write_text(local_yaml, yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))
        build()
    except Exception:
        target.unlink(missing_ok=True)
        if old_yaml is None:
            local_yaml.unlink(missing_ok=True)
        else:
            write_text(local_yaml, old_yaml)
        raise
    report["source_id"] = sid
    return report
