"""Validate and write: the pandera schemas, then parquet files, the DuckDB database and
build_info.json in a fresh folder swapped in atomically (a failed build leaves the last good one).
"""

from __future__ import annotations

import gc
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ..atomic import atomic_dir
from .failures import BuildError

if TYPE_CHECKING:  # imported where used: the command's own process writes without pandas
    import pandas as pd


def lean_memory() -> None:
    """Arrow buffers from the C library's allocator, which gives freed memory back to the
    system: pyarrow's default (mimalloc) keeps it, and the build's peak grew by ~55 MiB of
    buffers already freed (measured in bench/README.md). `registry add` calls it before it forks
    the child that makes its tables (registry/isolate.py): the child then inherits pyarrow,
    imported once for both processes, with its allocator set before any buffer is made; a
    build calls it after its child has exited (registry/build.py)."""
    import pyarrow as pa

    pa.set_memory_pool(pa.system_memory_pool())


def validate_tables(
    tables: dict[str, pd.DataFrame], checked: tuple[str, ...] = ()
) -> dict[str, pd.DataFrame]:
    """Every table checked against its schema (registry/schemas.py); BuildError names the table.
    ``checked``: tables already validated (an append's listings, registry/append.py)."""
    from .schemas import SCHEMAS

    tables = dict(tables)
    for name, schema in SCHEMAS.items():
        if name in checked:
            continue
        try:
            tables[name] = schema.validate(tables[name], lazy=True)
        except Exception as e:  # pandera SchemaErrors: report which table and checks
            raise BuildError(f"core table {name!r} failed validation:\n{e}") from e
    return tables


def filings_by_province(filings: pd.DataFrame) -> dict[str, dict[str, int]]:
    """Per registry and province (unknown ones left out): unique filings. Stored in
    build_info.json, so light callers (the site's fan-out) need not load the tables."""
    from .stats import as_dict, province_counts

    return {
        reg: {k: v for k, v in as_dict(province_counts(g)).items() if k != "unknown"}
        for reg, g in filings.groupby("registry")
    }


def give_back_memory(collect: bool = True) -> None:
    """Return the C heap's freed pages to the system (glibc's ``malloc_trim``; a no-op
    elsewhere): the tables' memory, freed once their parquet files are written, is then not
    counted again while DuckDB takes its own. Only in the command line's processes, whose peak
    is the command's (registry/isolate.py: the child that makes the tables, and the lean parent
    that writes them): a caller that holds pandas and builds in-process (a test, a notebook)
    keeps its heap, and skips a full ``gc.collect`` of it (~0.2 s each in a test process, ~13%
    of the registry tests' CPU)."""
    from .isolate import give_back, in_child, lean

    if not (in_child() or lean()):
        return
    if collect:  # unreachable cycles too (~0.05 s with pandas loaded)
        gc.collect()
    give_back()


def write_duckdb(folder: Path, names: list[str]) -> None:
    """``folder/registry.duckdb``: one table per ``folder/<name>.parquet``, on one thread with a
    small memory limit (the tables are small: more only takes memory)."""
    import duckdb

    con = duckdb.connect(str(folder / "registry.duckdb"))
    try:
        con.execute("SET threads = 1")
        con.execute("SET memory_limit = '32MB'")
        for name in names:
            path = (folder / f"{name}.parquet").as_posix().replace("'", "''")
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM read_parquet('{path}')")
    finally:
        con.close()


def build_info(
    fp: dict, t0: float, sources: list, rows: dict, by_province: dict, parts: dict
) -> dict:
    """build_info.json: the inputs' fingerprint, when and how long, the sources, each table's
    rows, the filings per province, where the data-quality parts end (registry/append.py)."""
    import time
    import uuid

    info = {
        "fingerprint": fp,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "build_id": uuid.uuid4().hex,  # two builds in one second are still two versions
        "seconds": round(time.perf_counter() - t0, 2),
        "sources": {s.id: s.sha256 for s in sources},
        "rows": rows,
        "filings_by_province": by_province,
        "issue_parts": {k: parts[k] for k in ("cac_parse", "cac_enrich", "listings", "repairs")},
    }
    if "append" in parts:
        info["append"] = parts["append"]
    return info


def store_tables(tables: dict[str, pd.DataFrame], folder: Path) -> dict[str, Path]:
    """Each table as an Arrow IPC file in ``folder`` (uncompressed: written without the ~25 MiB
    that parquet's encoder keeps), the frame dropped once written; :func:`write_tables` turns
    the files into parquet and DuckDB tables in a process without pandas."""
    import pyarrow as pa
    import pyarrow.feather as feather

    out = {}
    for name in list(tables):
        # the arrow table pandas' to_parquet(index=False) writes: same columns, types, metadata
        table = pa.Table.from_pandas(tables.pop(name), preserve_index=False)
        out[name] = folder / f"{name}.arrow"
        feather.write_feather(table, out[name], compression="uncompressed")
        del table
    return out


def make_stored(
    sources: list,
    raw_dir: Path,
    jobs: int | None,
    corrections: Path,
    cache_dir: Path | None,
    base: Path | None,
    folder: Path,
) -> dict:
    """The child's half of a split build (registry/isolate.py): the tables made (by the build
    module's ``build_tables``) and stored in ``folder``; returns what the parent needs to write
    them and build_info.json, and the parse cache's new entries (pickled: the parent writes
    them once the tables are in place)."""
    from . import build as build_module
    from .parse_cache import ParseCache

    lean_memory()
    cache = ParseCache(cache_dir)
    parts: dict = {}
    tables = build_module.build_tables(sources, raw_dir, jobs, corrections, cache, parts, base)
    made = {
        "rows": {k: len(v) for k, v in tables.items()},
        "filings_by_province": filings_by_province(tables["filings"]),
        "parts": parts,
    }
    made["stored"] = store_tables(tables, folder)
    made["cache"] = cache.export()
    return made


def _parquet_from_arrow(path: Path, dest: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    with pa.memory_map(str(path)) as source:
        table = pa.ipc.open_file(source).read_all()
    pq.write_table(table, dest)  # pandas' to_parquet: the same call, default options
    del table


def write_tables(
    tables: dict[str, pd.DataFrame],
    out_dir: Path,
    info: dict,
    before_swap: Callable[[], None] | None = None,
    release: bool = False,
) -> None:
    """Write the tables into a fresh folder and swap it in; ``before_swap`` runs just before.
    ``release``: each frame is dropped from ``tables`` once its parquet file is written, so the
    build holds one table fewer at each step and none while DuckDB makes the database from
    those files (bench/README.md: peak memory of the build). A table may also be the path of
    its Arrow IPC file (:func:`store_tables`): written to parquet with pyarrow alone."""
    names = list(tables)
    with atomic_dir(out_dir) as tmp:
        for name in names:
            df = tables.pop(name) if release else tables[name]
            if isinstance(df, Path):  # stored by a child (make_stored)
                _parquet_from_arrow(df, tmp / f"{name}.parquet")
            else:
                df.to_parquet(tmp / f"{name}.parquet", index=False)
            del df
        if release:
            give_back_memory()
        write_duckdb(tmp, names)
        (tmp / "build_info.json").write_text(json.dumps(info, indent=1, ensure_ascii=False))
        if before_swap is not None:
            before_swap()
