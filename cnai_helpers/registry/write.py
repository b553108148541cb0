"""Validate and write: the pandera schemas, then parquet files, the DuckDB database and
build_info.json in a fresh folder swapped in atomically (a failed build leaves the last good one).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import gc
import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from ..atomic import atomic_dir
from .parse import BuildError
from .schemas import SCHEMAS
from .stats import as_dict, province_counts


def lean_memory() -> None:
    """Arrow buffers from the C library's allocator, which gives freed memory back to the
    system: pyarrow's default (mimalloc) keeps it, and the build's peak grew by ~55 MiB of
    buffers already freed (measured in bench/README.md)."""
    import pyarrow as pa

    pa.set_memory_pool(pa.system_memory_pool())


def validate_tables(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Every table checked against its schema (registry/schemas.py); BuildError names the table."""
    tables = dict(tables)
    for name, schema in SCHEMAS.items():
        try:
            tables[name] = schema.validate(tables[name], lazy=True)
        except Exception as e:  # pandera SchemaErrors: report which table and checks
            raise BuildError(f"core table {name!r} failed validation:\n{e}") from e
    return tables


def filings_by_province(filings: pd.DataFrame) -> dict[str, dict[str, int]]:
    """Per registry and province (unknown ones left out): unique filings. Stored in
    build_info.json, so light callers (the site's fan-out) need not load the tables."""
    return {
        reg: {k: v for k, v in as_dict(province_counts(g)).items() if k != "unknown"}
        for reg, g in filings.groupby("registry")
    }


def give_back_memory() -> None:
    """Return the C heap's freed pages to the system (glibc's ``malloc_trim``; a no-op
    elsewhere): the tables' memory, freed once their parquet files are written, is then not
    counted again while DuckDB takes its own."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):  # not glibc
        ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim(0)


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
    those files (bench/README.md: peak memory of the build)."""
    names = list(tables)
    with atomic_dir(out_dir) as tmp:
        for name in names:
            df = tables.pop(name) if release else tables[name]
            df.to_parquet(tmp / f"{name}.parquet", index=False)
            del df
        if release:
            give_back_memory()
        write_duckdb(tmp, names)
        (tmp / "build_info.json").write_text(json.dumps(info, indent=1, ensure_ascii=False))
        if before_swap is not None:
            before_swap()
