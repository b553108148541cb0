"""Are two builds of the core tables the same? ``python bench/compare_tables.py OLD NEW``, with
two ``data/processed`` folders (e.g. a copy taken before a change to the registry code, and the
folder after rebuilding): every parquet table equal (pandas.testing, exact), noting where the
files' bytes differ (a storage type, e.g. string and large_string), and every DuckDB table with
the same column types and the same rows in the same order. Exit status 1 on any difference."""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import pandas as pd


def main(old: Path, new: Path) -> int:
    bad = 0
    names = sorted(f.name for f in old.glob("*.parquet"))
    if names != sorted(f.name for f in new.glob("*.parquet")):
        print("different parquet files:", names, sorted(f.name for f in new.glob("*.parquet")))
        return 1
    for name in names:
        a, b = pd.read_parquet(old / name), pd.read_parquet(new / name)
        try:
            pd.testing.assert_frame_equal(a, b, check_exact=True)
        except AssertionError as e:
            bad += 1
            print(f"{name}: DIFFERENT\n{e}")
            continue
        same = (old / name).read_bytes() == (new / name).read_bytes()
        print(f"{name}: equal, {len(a)} rows" + ("" if same else " (file bytes differ)"))
    ca = duckdb.connect(str(old / "registry.duckdb"), read_only=True)
    cb = duckdb.connect(str(new / "registry.duckdb"), read_only=True)
    tables = sorted(t for (t,) in ca.execute("SHOW TABLES").fetchall())
    if tables != sorted(t for (t,) in cb.execute("SHOW TABLES").fetchall()):
        print("registry.duckdb: different tables")
        return 1
    for t in tables:
        types = ca.execute(f"DESCRIBE {t}").fetchall() == cb.execute(f"DESCRIBE {t}").fetchall()
        rows = (
            ca.execute(f"SELECT * FROM {t}").fetchall()
            == cb.execute(f"SELECT * FROM {t}").fetchall()
        )
        bad += not (types and rows)
        print(
            f"registry.duckdb {t}: types {'same' if types else 'DIFFER'}, "
            f"rows {'same' if rows else 'DIFFER'}"
        )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
