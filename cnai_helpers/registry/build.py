"""Build the core tables from the raw files: listings -> filings, entities, batches, data quality,
cancellations. The orchestrator of three jobs: parse and enrich (registry/parse.py), assemble the
tables (registry/assemble.py), validate and write (registry/write.py).

Output: ``data/processed/{listings,filings,entities,batches,data_quality,cancellations}.parquet``,
the same tables in ``data/processed/registry.duckdb``, and ``build_info.json`` with the
fingerprint of the inputs (recorded and actual checksums of the raw files, parser code,
corrections table). Every raw file is hashed as it is read for parsing and must match its sha256
in the manifest (or ``data/local_sources.yaml``): a changed file is refused, whatever
``.verified.json`` says. The whole folder is swapped in atomically: a failed build leaves the last
good one in place.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from .. import paths
from ..atomic import make_temp_dir
from ..manifest import Source
from . import isolate
from .failures import BuildError
from .fingerprint import current_fingerprint, fingerprint, registry_sources
from .health import tables_problem
from .parse_cache import ParseCache, cache_folder
from .write import (
    build_info,
    filings_by_province,
    give_back_memory,
    lean_memory,
    make_stored,
    validate_tables,
    write_tables,
)

if TYPE_CHECKING:  # the tables are made where pandas is imported (registry/isolate.py)
    import pandas as pd

__all__ = ["BuildError", "build", "build_tables", "registry_sources", "write_tables"]


def build_tables(
    sources: list[Source],
    raw_dir: Path,
    jobs: int | None = None,
    corrections_path: Path | None = None,
    cache: ParseCache | None = None,
    parts: dict | None = None,
    base: Path | None = None,
) -> dict[str, pd.DataFrame]:
    """Parse, assemble and validate the core tables (nothing is written). ``cache``: the
    parse cache (registry/parse_cache.py); None parses every file. ``parts`` gets where each
    part of the data-quality table ends (registry/append.py) and ``append``: how the tables
    were made. ``base``: the tables in place, if ``sources`` are theirs plus one new list at
    the end, appended to them when possible (registry/append.py), else built from every list."""
    from .assemble import assemble_tables
    from .enrich import cached_hand_labels, classifier_version
    from .parse import file_names, parse_all, parse_cancellations

    parts = {} if parts is None else parts
    cache = cache or ParseCache(None)
    if base is not None:
        from .append import NoAppend, append_tables

        try:
            tables = append_tables(sources, raw_dir, corrections_path, cache, base, parts)
            give_back_memory(collect=False)  # the tables read, the new list's parse: freed
            return validate_tables(tables, checked=("listings",))  # in append_tables
        except NoAppend as e:
            parts["append"] = f"built from every list: {e}"
    listings, batch_meta, issues = parse_all(sources, raw_dir, jobs, corrections_path, cache, parts)
    cancel_issues: list = []
    cancel_rows, cancel_files = parse_cancellations(sources, raw_dir, cancel_issues)
    files = {**file_names(sources), **cancel_files}  # data-quality rows name the file
    # the who-files rules' calls of earlier builds (same classifier): only new texts are classified
    name = classifier_version()
    memo = cache.get_named(name) or {}
    before = sum(map(len, memo.values()))
    tables = assemble_tables(
        listings,
        batch_meta,
        issues,
        cancel_rows,
        files,
        cancel_issues,
        memo=memo,
        parts=parts,
        labels=cached_hand_labels(cache),
    )
    if sum(map(len, memo.values())) > before:
        cache.put_named(name, memo)
    else:
        cache.keep_named(name)
    del listings, cancel_rows  # the parsed rows: only the tables are needed from here
    return validate_tables(tables)


def build(
    raw_dir: Path | None = None,
    out_dir: Path | None = None,
    manifest: Path | None = None,
    jobs: int | None = None,
    force: bool = True,
    sources: list[Source] | None = None,
    before_swap: Callable[[], None] | None = None,
    append: bool = False,
) -> dict:
    """Build the core tables. ``sources`` replaces the manifest's registry sources (``registry
    add``/``remove`` build the new source list before recording it, in ``before_swap``).
    ``append``: ``sources`` are those of the tables in place plus a new list (``registry
    add``), appended to the tables when that gives what a full build gives (registry/append.py)."""
    raw_dir = Path(raw_dir or paths.RAW)
    out_dir = Path(out_dir or paths.PROCESSED)
    corrections = paths.DATA / "curated" / "corrections.csv"
    if sources is None:
        sources = registry_sources(manifest)
    fp = fingerprint(sources, raw_dir, corrections)
    if not force and current_fingerprint(out_dir) == fp:
        problem = tables_problem(out_dir, deep=True)  # open them: hashes say nothing of outputs
        if problem is None:
            return json.loads((out_dir / "build_info.json").read_text())
        print(f"cnai: registry tables cannot be read ({problem}); rebuilding…", file=sys.stderr)
    t0 = time.perf_counter()
    cache = ParseCache(cache_folder(out_dir))
    base = out_dir if append else None
    # a build imports pyarrow after its child has made the tables (the child's pages are not
    # then shared and counted twice: the warm build's tree 222 MiB, 249 with pyarrow first);
    # `registry add` imports it before its session's child is forked (add.add_file), for speed
    if isolate.splits():  # the tables made in a child: this process never holds pandas
        staging = make_temp_dir(out_dir.parent, f"{out_dir.name}.tables")
        try:
            made = isolate.call(
                make_stored, sources, raw_dir, jobs, corrections, cache.folder, base, staging
            )
            isolate.release()  # the child's memory given back before DuckDB's
            tables, parts, rows = made["stored"], made["parts"], made["rows"]
            by_province = made["filings_by_province"]
            cache.absorb(made["cache"])
            lean_memory()
            info = build_info(fp, t0, sources, rows, by_province, parts)
            write_tables(tables, out_dir, info, before_swap, release=True)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    else:
        lean_memory()
        parts = {}
        tables = build_tables(sources, raw_dir, jobs, corrections, cache, parts, base)
        rows = {k: len(v) for k, v in tables.items()}
        info = build_info(fp, t0, sources, rows, filings_by_province(tables["filings"]), parts)
        write_tables(tables, out_dir, info, before_swap, release=True)  # tables not used after
    # only once the tables are in place: a failed build caches nothing; an append read only the
    # new list's entries, the others stay
    cache.flush(prune=not str(parts.get("append", "")).startswith("appended"))
    return info
