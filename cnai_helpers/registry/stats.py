"""`cnai registry stats`: rows, new and cumulative unique filings per registry and batch."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from . import REGISTRIES
from .cancellations import active_by_batch, empty_frame


def province_counts(filings: pd.DataFrame, provinces: Sequence[str] | None = None) -> pd.Series:
    """Unique filings per ``province_code`` (a missing code counts as "unknown"), sorted by
    code. With ``provinces``: exactly those codes, in that order, zeros included, others left
    out (analysis/geo.py's mainland view)."""
    c = filings["province_code"].fillna("unknown").value_counts()
    return c.sort_index() if provinces is None else c.reindex(list(provinces), fill_value=0)


def as_dict(counts: pd.Series) -> dict[str, int]:
    """Counts as a JSON-ready mapping (code -> int), in the series' order."""
    return {k: int(v) for k, v in counts.items()}


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
            "by_province": as_dict(province_counts(f)),
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
