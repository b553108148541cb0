"""Curated tables the project writes itself (data/curated/*.csv): loaded and checked row by row.

Every table is declared in ``cnai_helpers/tables.yaml`` and read by one reader,
:func:`read_curated`; the loaders below add the rules that span columns."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from . import metadata, source_hosts
from .metadata import TableError, read_curated

__all__ = ["CuratedTableError", "read_curated"]

CuratedTableError = TableError  # raised by every curated reader; names file, line and column


def load_compute_assumptions(fx_cny_per_usd: float, path: Path | None = None) -> pd.DataFrame:
    """data/curated/compute_assumptions.csv with numbers parsed and prices in USD (CNY converted
    at ``fx_cny_per_usd``). Every row needs a source URL, low <= central <= high, a source
    ``tier`` (primary: datasheet/paper/filing; secondary: established analysts/press;
    tertiary: anything else; derived: computed from other rows; assumption: stated by cnai)
    and a ``role``: each (chip, parameter) has exactly one ``central`` row, which is not
    tertiary; sources that disagree are kept as ``alternative`` rows."""
    df = read_curated("compute_assumptions", path)
    where = path or metadata.table("compute_assumptions").path
    out = df.copy()
    nums = {c: [] for c in ("low", "central", "high")}
    units = []
    for i, r in df.iterrows():
        row = i + 2  # header is line 1
        what = f"{where} line {row} ({r['chip']} {r['parameter']})"
        try:
            lo, ce, hi = float(r["low"]), float(r["central"]), float(r["high"])
        except (TypeError, ValueError) as e:
            raise CuratedTableError(f"{what}: low/central/high must be numbers ({e})") from e
        if not lo <= ce <= hi:
            raise CuratedTableError(f"{what}: need low <= central <= high, got {lo}, {ce}, {hi}")
        if r["role"] == "central" and r["tier"] == "tertiary":
            raise CuratedTableError(
                f"{what}: a central value cannot rest on a tertiary source alone; "
                "make this row an alternative and add a primary or secondary source"
            )
        rate = {"": 1.0, "USD": 1.0, "CNY": 1.0 / fx_cny_per_usd}.get(r["currency"])
        if rate is None:
            raise CuratedTableError(f"{where} line {row}: unknown currency {r['currency']!r}")
        for c, v in (("low", lo), ("central", ce), ("high", hi)):
            nums[c].append(v * rate)
        units.append(
            r["unit"] + (f", USD at {fx_cny_per_usd} CNY/USD" if r["currency"] == "CNY" else "")
        )
    n_central = df[df["role"] == "central"].groupby(["chip", "parameter"]).size()
    params = df.groupby(["chip", "parameter"]).size().index
    for chip, param in params:
        n = int(n_central.get((chip, param), 0))
        if n != 1:
            raise CuratedTableError(
                f"{where}: {chip} {param} has {n} rows with role 'central'; it needs exactly one"
            )
    source_hosts.check("compute_assumptions", df, where)
    for c, v in nums.items():
        out[c] = v
    out["unit"] = units
    return out


def chip_ranges(assumptions: pd.DataFrame, chip: str) -> dict[str, tuple[float, float, float]]:
    """(low, central, high) per parameter of a chip: the central row's central value, and the
    range widened to every source's low and high (as wide as the sources disagree)."""
    rows = assumptions[assumptions["chip"] == chip]
    if rows.empty:
        known = sorted(set(assumptions["chip"]) - {"*"})
        raise CuratedTableError(f"no assumptions for chip {chip!r}; known: {known}")
    out = {}
    for param, g in rows.groupby("parameter", sort=False):
        central = g.loc[g["role"] == "central", "central"]
        ce = float(central.iloc[0]) if len(central) else float(g["central"].iloc[0])
        out[param] = (min(float(g["low"].min()), ce), ce, max(float(g["high"].max()), ce))
    return out


def load_lab_financials(path: Path | None = None) -> pd.DataFrame:
    """data/curated/lab_financials.csv: numeric value, known scale/currency/status, a source
    (all declared in cnai_helpers/tables.yaml), and no row tiered above its host's rule
    (data/curated/source_hosts.csv)."""
    df = read_curated("lab_financials", path)
    return source_hosts.check("lab_financials", df, path)


def load_table(name: str) -> pd.DataFrame:
    """Any other curated table (lab_strategy, model_panel, fx_rates, market_facts), with a source
    per row, none tiered above its host's rule."""
    return source_hosts.check(name, read_curated(name))


def load_labelled_sample(path: Path | None = None) -> pd.DataFrame:
    """data/curated/labelled_sample.csv: filings labelled by hand (organisation type, sector)."""
    return read_curated("labelled_sample", path)


# a hand label that is not plain needs a note saying why (data/definitions.md)
NOTE_NEEDED_SECTORS = ("unknown", "other_vertical")


def load_sector_hand_labels(path: Path | None = None) -> pd.DataFrame:
    """data/curated/sector_hand_labels.csv: sectors of the largest filers' filings labelled by
    hand (display only: filer pages and the explorer; never the who-files estimates). Besides
    the declared checks, a low-confidence, ``unknown`` or ``other_vertical`` label needs a note
    (the codebook's rule); the error names the file, the line and the filing."""
    df = read_curated("sector_hand_labels", path)
    where = path or metadata.table("sector_hand_labels").path
    for i, r in df.iterrows():
        why = (
            "its confidence is low"
            if r["sector_confidence"] == "low"
            else f"its sector is {r['sector']}"
            if r["sector"] in NOTE_NEEDED_SECTORS
            else None
        )
        if why and not str(r["note"]).strip():
            raise CuratedTableError(
                f"{where} line {i + 2} ({r['registry']} {r['filing_number']}): note is empty, "
                f"but {why}: say why (data/definitions.md)"
            )
    return df
