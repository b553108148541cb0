"""`cnai registry stats`: rows, new and cumulative unique filings per registry and batch."""

from __future__ import annotations

import pandas as pd

from . import REGISTRIES
from .cancellations import active_by_batch, empty_frame


def province_counts(filings: pd.DataFrame) -> dict[str, int]:
    c = filings["province_code"].fillna("unknown").value_counts()
    return {k: int(v) for k, v in sorted(c.items())}


def cancellation_stats(cancellations: pd.DataFrame | None) -> dict:
    """Totals of the cancellations table: per attributed registry, numbers in no published list,
    numbers whose series field names another registry, numbers listed in both registries."""
    c = cancellations if cancellations is not None else empty_frame()
    return {
        "total": int(len(c)),
        "by_registry": {k: int(v) for k, v in c["registry"].value_counts().sort_index().items()},
        "not_listed": int((~c["listed"].astype(bool)).sum()),
        "series_mismatch": int((c["registry"] != c["series_registry"]).sum()),
        "listed_in_both": int(c["listed_registries"].fillna("").str.contains(";").sum()),
    }


def registry_stats(
    filings: pd.DataFrame, batches: pd.DataFrame, cancellations: pd.DataFrame | None = None
) -> dict:
    out: dict = {"registries": {}, "cancellations": cancellation_stats(cancellations)}
    active = active_by_batch(filings, batches).set_index(["registry", "batch"])
    cancelled = filings.get("cancelled_month", pd.Series(None, index=filings.index)).notna()
    for reg in REGISTRIES:
        is_reg = filings["registry"] == reg
        f = filings[is_reg]
        b = batches[batches["registry"] == reg].sort_values("batch")
        n_cancelled = int((cancelled & is_reg).sum())
        out["registries"][reg] = {
            "filings": int(len(f)),
            "cancelled": n_cancelled,
            "active_filings": int(len(f)) - n_cancelled,
            "by_province": province_counts(f),
            "batches": [
                {
                    "batch": r.batch,
                    "rows": int(r.rows),
                    "new_filings": int(r.new_filings),
                    "cumulative_filings": int(r.cumulative_filings),
                    "cancelled_to_date": int(active.loc[(reg, r.batch), "cancelled_to_date"]),
                }
                for r in b.itertuples()
            ],
        }
    return out
