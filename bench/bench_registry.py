"""Registry build and load: cnai's way vs the naive way, measured in one run."""

from __future__ import annotations

import hashlib
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import machine, save, timer  # noqa: E402


def naive_parse(sources, raw) -> int:
    """The obvious way: python-docx rows[i].cells, one file after another."""
    import docx

    n = 0
    for s in sources:
        if s.format != "cac_docx":
            continue
        t = docx.Document(str(s.raw_path(raw))).tables[0]
        for row in t.rows[1:]:
            _ = [c.text.strip() for c in row.cells]
            n += 1
    return n


def main() -> None:
    import pandas as pd

    from cnai_helpers import paths
    from cnai_helpers.registry.build import build, registry_sources
    from cnai_helpers.registry.fingerprint import is_stale

    t: dict = {}
    sources = registry_sources()
    with timer(t, "naive_parse_docx_serial_s"):
        rows = naive_parse(sources, paths.RAW)
    with tempfile.TemporaryDirectory() as tmp:
        with timer(t, "cnai_full_build_s"):
            info = build(out_dir=Path(tmp) / "processed", force=True)
        with timer(t, "cnai_cached_load_s"):
            frames = {
                n: pd.read_parquet(Path(tmp) / "processed" / f"{n}.parquet")
                for n in ("listings", "filings", "entities", "batches", "data_quality")
            }
        with timer(t, "cnai_noop_build_check_s"):
            build(out_dir=Path(tmp) / "processed", force=False)
        with timer(t, "is_stale_check_s"):  # hashes every registry raw file: must stay < 50 ms
            is_stale(Path(tmp) / "processed")
    with timer(t, "hash_registry_raw_files_s"):
        for s in sources:
            hashlib.sha256(s.raw_path(paths.RAW).read_bytes()).hexdigest()
    t["ratio_full_build_vs_naive_parse_only"] = round(
        t["cnai_full_build_s"] / t["naive_parse_docx_serial_s"], 2
    )
    t["ratio_cached_load_vs_full_build"] = round(
        t["cnai_cached_load_s"] / t["cnai_full_build_s"], 3
    )
    t["docx_rows_naive"] = rows
    t["rows"] = {k: len(v) for k, v in frames.items()}
    t["targets"] = {"full_build_s": 10, "cached_load_s": 0.5, "is_stale_check_s": 0.05}
    t["met"] = {
        "full_build": t["cnai_full_build_s"] < 10,
        "cached_load": t["cnai_cached_load_s"] < 0.5,
        "is_stale_check": t["is_stale_check_s"] < 0.05,
    }
    t["build_info_seconds"] = info["seconds"]
    save("registry", {"machine": machine(), "timings": t})


if __name__ == "__main__":
    main()
