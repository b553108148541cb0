"""Curated tables the project writes itself (data/curated/*.csv): loaded and checked row by row.

Every table is declared in ``cnai_helpers/tables.yaml`` and read by one reader,
:func:`read_curated`; the loaders below add the rules that span columns."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from . import metadata
from .metadata import TableError, read_curated

__all__ = ["CuratedTableError", "read_curated"]

CuratedTableError = TableError  # raised by every curated reader; names file, line and column


def load_compute_assumptions(fx_cny_per_usd: float, path: Path | None = None) -> pd.DataFrame:
    """data/curated/compute_assumptions.csv with prices in USD (CNY converted at
    ``fx_cny_per_usd``). Every row needs a source URL and low <= central <= high."""
    df = read_curated("compute_assumptions", path)
    where = path or metadata.table("compute_assumptions").path
    out = df.copy()
    nums = {c: [] for c in ("low", "central", "high")}
    units = []
    for i, r in df.iterrows():
        row = i + 2  # header is line 1
        lo, ce, hi = float(r["low"]), float(r["central"]), float(r["high"])
        if not lo <= ce <= hi:
            raise CuratedTableError(
                f"{where} line {row} ({r['chip']} {r['parameter']}): "
                f"need low <= central <= high, got {lo}, {ce}, {hi}"
            )
        rate = {"": 1.0, "USD": 1.0, "CNY": 1.0 / fx_cny_per_usd}.get(r["currency"])
        if rate is None:
            raise CuratedTableError(f"{where} line {row}: unknown currency {r['currency']!r}")
        for c, v in (("low", lo), ("central", ce), ("high", hi)):
            nums[c].append(v * rate)
        units.append(
            r["unit"] + (f", USD at {fx_cny_per_usd} CNY/USD" if r["currency"] == "CNY" else "")
        )
    for c, v in nums.items():
        out[c] = v
    out["unit"] = units
    return out


def chip_ranges(assumptions: pd.DataFrame, chip: str) -> dict[str, tuple[float, float, float]]:
    rows = assumptions[assumptions["chip"] == chip]
    if rows.empty:
        known = sorted(set(assumptions["chip"]) - {"*"})
        raise CuratedTableError(f"no assumptions for chip {chip!r}; known: {known}")
    return {r.parameter: (r.low, r.central, r.high) for r in rows.itertuples()}


def load_lab_financials(path: Path | None = None) -> pd.DataFrame:
    """data/curated/lab_financials.csv: numeric value, known scale/currency/status, a source
    (all declared in cnai_helpers/tables.yaml)."""
    return read_curated("lab_financials", path)


def load_table(name: str) -> pd.DataFrame:
    """Any other curated table (lab_strategy, api_prices, market_facts), with a source per row."""
    return read_curated(name)


def load_labelled_sample(path: Path | None = None) -> pd.DataFrame:
    """data/curated/labelled_sample.csv: filings labelled by hand (organisation type, sector)."""
    return read_curated("labelled_sample", path)
