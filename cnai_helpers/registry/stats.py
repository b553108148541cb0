"""`cnai registry stats`: rows, new and cumulative unique filings per registry and batch."""

from __future__ import annotations

import pandas as pd

from . import REGISTRIES


def province_counts(filings: pd.DataFrame) -> dict[str, int]:
    c = filings["province_code"].fillna("unknown").value_counts()
    return {k: int(v) for k, v in sorted(c.items())}


def registry_stats(filings: pd.DataFrame, batches: pd.DataFrame) -> dict:
    out: dict = {"registries": {}}
    for reg in REGISTRIES:
        f = filings[filings["registry"] == reg]
        b = batches[batches["registry"] == reg].sort_values("batch")
        out["registries"][reg] = {
            "filings": int(len(f)),
            "by_province": province_counts(f),
            "batches": [
                {
                    "batch": r.batch,
                    "rows": int(r.rows),
                    "new_filings": int(r.new_filings),
                    "cumulative_filings": int(r.cumulative_filings),
                }
                for r in b.itertuples()
            ],
        }
    return out
