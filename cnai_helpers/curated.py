"""Curated tables the project writes itself (data/*.csv): loaded and checked row by row."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from . import paths
from .errors import CnaiError


class CuratedTableError(CnaiError, ValueError):
    pass


def _read(name: str, required: tuple[str, ...], path: Path | None = None) -> pd.DataFrame:
    path = Path(path or paths.DATA / name)
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError as e:
        raise CuratedTableError(f"{path}: curated table missing") from e
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise CuratedTableError(f"{path}: columns {missing} missing")
    if "source_url" in df.columns:  # every curated figure carries its source
        bad = df.index[~df["source_url"].str.startswith("http")]
        if len(bad):
            raise CuratedTableError(f"{path} line {bad[0] + 2}: no source_url")
    return df


TIERS = ("primary", "secondary", "tertiary", "derived", "assumption")
ROLES = ("central", "alternative")


def load_compute_assumptions(fx_cny_per_usd: float, path: Path | None = None) -> pd.DataFrame:
    """data/compute_assumptions.csv with numbers parsed and prices in USD (CNY converted at
    ``fx_cny_per_usd``). Every row needs a source URL, low <= central <= high, a source
    ``tier`` (primary: datasheet/paper/filing; secondary: established analysts/press;
    tertiary: anything else; derived: computed from other rows; assumption: stated by cnai)
    and a ``role``: each (chip, parameter) has exactly one ``central`` row, which is not
    tertiary; sources that disagree are kept as ``alternative`` rows."""
    df = _read(
        "compute_assumptions.csv",
        (
            "chip",
            "parameter",
            "low",
            "central",
            "high",
            "unit",
            "currency",
            "tier",
            "role",
            "source_url",
        ),
        path,
    )
    where = path or paths.DATA / "compute_assumptions.csv"
    out = df.copy()
    nums = {c: [] for c in ("low", "central", "high")}
    units = []
    for i, r in df.iterrows():
        row = i + 2  # header is line 1
        what = f"{where} line {row} ({r['chip']} {r['parameter']})"
        try:
            lo, ce, hi = float(r["low"]), float(r["central"]), float(r["high"])
        except ValueError as e:
            raise CuratedTableError(f"{what}: low/central/high must be numbers ({e})") from e
        if not lo <= ce <= hi:
            raise CuratedTableError(f"{what}: need low <= central <= high, got {lo}, {ce}, {hi}")
        if r["tier"] not in TIERS:
            raise CuratedTableError(f"{what}: tier {r['tier']!r} is not one of {', '.join(TIERS)}")
        if r["role"] not in ROLES:
            raise CuratedTableError(f"{what}: role {r['role']!r} is not one of {', '.join(ROLES)}")
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
    """data/lab_financials.csv, checked: numeric value, known scale/currency/status, a source."""
    df = _read(
        "lab_financials.csv",
        (
            "lab",
            "metric",
            "period",
            "period_months",
            "value",
            "scale",
            "currency",
            "status",
            "source_url",
        ),
        path,
    )
    where = path or paths.DATA / "lab_financials.csv"
    for i, r in df.iterrows():
        line = i + 2
        try:
            float(r["value"])
            int(r["period_months"])
        except ValueError as e:
            raise CuratedTableError(
                f"{where} line {line} ({r['lab']} {r['metric']} {r['period']}): {e}"
            ) from e
        if r["scale"] not in ("", "thousand", "million", "billion"):
            raise CuratedTableError(f"{where} line {line}: unknown scale {r['scale']!r}")
        if r["currency"] not in ("CNY", "USD", "HKD"):
            raise CuratedTableError(f"{where} line {line}: unknown currency {r['currency']!r}")
        if r["status"] not in ("used", "alternative", "unverified", "target"):
            raise CuratedTableError(f"{where} line {line}: unknown status {r['status']!r}")
    df["period_months"] = df["period_months"].astype(int)
    return df


def load_table(name: str) -> pd.DataFrame:
    """Any other curated table (lab_strategy, api_prices, market_facts), with a source per row."""
    return _read(f"{name}.csv", ("source_url",))


def load_labelled_sample(path: Path | None = None) -> pd.DataFrame:
    """data/labelled_sample.csv: filings labelled by hand (organisation type, sector, note)."""
    return _read(
        "labelled_sample.csv", ("filing_number", "entity_name", "org_type", "sector"), path
    )
