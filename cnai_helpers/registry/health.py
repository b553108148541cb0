"""Can the built core tables be read? The freshness check hashes the inputs; this opens the
outputs, so that a truncated parquet file or an unopenable ``registry.duckdb`` is rebuilt by
`cnai registry build` instead of being called "up to date".

Two depths. The quick check (no pandas, pyarrow or duckdb import: loaders and `reports build`
run it every time) reads each parquet file's head and footer (the ``PAR1`` magic at both ends and
a footer length that fits the file), the DuckDB file's header magic, and refuses a write-ahead
log left beside the database: a read-write session that outlived a rebuild writes its log next to
the *new* database, which then no longer opens ("WAL does not match"). The deep check, run by
`registry build` before it says "up to date", also opens the database read-only and reads every
parquet file's metadata.
"""

from __future__ import annotations

import struct
from pathlib import Path

from . import TABLES

DUCKDB = "registry.duckdb"


def _parquet_problem(path: Path) -> str | None:
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(4)
            if size < 12:
                return f"{path.name}: {size} bytes, too short for parquet"
            fh.seek(size - 8)
            tail = fh.read(8)
    except FileNotFoundError:
        return f"{path.name}: missing"
    except OSError as e:
        return f"{path.name}: cannot be read ({e.strerror or e})"
    footer_len = struct.unpack("<I", tail[:4])[0]
    if head != b"PAR1" or tail[4:] != b"PAR1" or footer_len + 12 > size:
        return f"{path.name}: not a complete parquet file (truncated or overwritten?)"
    return None


def _duckdb_problem(path: Path) -> str | None:
    try:
        with path.open("rb") as fh:
            header = fh.read(12)
    except FileNotFoundError:
        return f"{path.name}: missing"
    except OSError as e:
        return f"{path.name}: cannot be read ({e.strerror or e})"
    if header[8:12] != b"DUCK":
        return f"{path.name}: not a DuckDB database (truncated or overwritten?)"
    if path.with_name(path.name + ".wal").exists():
        return (
            f"{path.name}: a write-ahead log ({path.name}.wal) was left by a session that "
            "wrote to the database and did not close it"
        )
    return None


def _deep_problem(folder: Path) -> str | None:
    import duckdb
    import pyarrow.parquet as pq

    for name in TABLES:
        try:
            pq.read_metadata(folder / f"{name}.parquet")
        except Exception as e:  # pyarrow raises ArrowInvalid, OSError…
            return f"{name}.parquet: cannot be read ({type(e).__name__})"
    try:
        con = duckdb.connect(str(folder / DUCKDB), read_only=True)
        try:
            for name in TABLES:
                con.execute(f"SELECT count(*) FROM {name}").fetchone()
        finally:
            con.close()
    except Exception as e:  # duckdb.Error and its many subclasses
        return f"{DUCKDB}: cannot be opened ({type(e).__name__}: {str(e)[:100]})"
    return None


def tables_problem(folder: Path, deep: bool = False) -> str | None:
    """The first reason the tables in ``folder`` cannot be read, or None."""
    folder = Path(folder)
    for name in TABLES:
        problem = _parquet_problem(folder / f"{name}.parquet")
        if problem:
            return problem
    problem = _duckdb_problem(folder / DUCKDB)
    if problem or not deep:
        return problem
    return _deep_problem(folder)
