"""Open vs closed monetization: unit/currency normalisation, loss ratios, runway, prices and
the open-weights share measured from Epoch's model table."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

SCALE = {"": 1e-6, "thousand": 1e-3, "million": 1.0, "billion": 1e3}  # -> millions
OPEN_ACCESS = re.compile(r"^Open weights", re.I)


def to_millions(value, scale: str):
    """A figure in 'million' / 'billion' / 'thousand' (or units, '') -> millions."""
    try:
        return np.asarray(value, float) * SCALE[scale]
    except KeyError as e:
        raise ValueError(f"unknown scale {scale!r}; expected one of {sorted(SCALE)}") from e


def usd_per(currency: str, fx_cny_per_usd: float, fx_hkd_per_usd: float) -> float:
    """USD per one unit of ``currency`` at the stated rates."""
    rates = {"USD": 1.0, "CNY": 1.0 / fx_cny_per_usd, "HKD": 1.0 / fx_hkd_per_usd}
    if currency not in rates:
        raise ValueError(f"unknown currency {currency!r}")
    return rates[currency]


def normalise(df: pd.DataFrame, fx_cny_per_usd: float, fx_hkd_per_usd: float) -> pd.DataFrame:
    """Adds value_m (native currency, millions) and value_usd_m (USD millions)."""
    out = df.copy()
    out["value"] = pd.to_numeric(out["value"], errors="raise")
    out["value_m"] = [
        float(to_millions(v, s)) for v, s in zip(out["value"], out["scale"], strict=True)
    ]
    out["value_usd_m"] = [
        v * usd_per(c, fx_cny_per_usd, fx_hkd_per_usd)
        for v, c in zip(out["value_m"], out["currency"], strict=True)
    ]
    return out


def price_per_million_usd(price, per_tokens, currency, fx_cny_per_usd, fx_hkd_per_usd=7.8):
    """API price quoted per ``per_tokens`` tokens in ``currency`` -> USD per 1M tokens."""
    if price is None or (isinstance(price, float) and np.isnan(price)):
        return np.nan
    return (
        float(price)
        * (1_000_000 / float(per_tokens))
        * usd_per(currency, fx_cny_per_usd, fx_hkd_per_usd)
    )


def wide(fin: pd.DataFrame) -> pd.DataFrame:
    """lab x period table of metrics (native millions), using only status == 'used' rows."""
    used = fin[fin["status"] == "used"]
    dup = used.duplicated(["lab", "metric", "period"], keep=False)
    if dup.any():
        bad = used[dup][["lab", "metric", "period"]].drop_duplicates().to_dict("records")
        raise ValueError(f"more than one 'used' row for {bad}; mark the others 'alternative'")
    w = used.pivot_table(
        index=["lab", "period", "period_months", "currency"],
        columns="metric",
        values="value_m",
        aggfunc="first",
    ).reset_index()
    return w


def loss_ratios(fin: pd.DataFrame) -> pd.DataFrame:
    """Per lab and period: revenue, losses and loss-to-revenue ratios (currency-free)."""
    w = wide(fin)
    w = w[w.get("revenue").notna()] if "revenue" in w else w.iloc[0:0]
    for col in ("net_loss", "adjusted_net_loss", "rd_expense", "compute_spend"):
        if col not in w:
            w[col] = np.nan
    w["net_loss_to_revenue"] = w["net_loss"] / w["revenue"]
    w["adjusted_loss_to_revenue"] = w["adjusted_net_loss"] / w["revenue"]
    w["rd_to_revenue"] = w["rd_expense"] / w["revenue"]
    return w


def runway_years(cash_m: float, annual_burn_m: float) -> float | None:
    """Years of cash at a constant burn (None if not burning)."""
    if annual_burn_m is None or not annual_burn_m > 0:
        return None
    return float(cash_m) / float(annual_burn_m)


def annualise(value_m: float, months: int) -> float:
    if months <= 0:
        raise ValueError("a flow needs a period of at least one month")
    return float(value_m) * 12.0 / months


def open_share(
    models: pd.DataFrame, org_pattern: str, since_year: int | None = None
) -> dict[str, float | int]:
    """Share of an organisation's notable models *released* (any access but 'Unreleased')
    with open weights, from Epoch's 'Model accessibility'."""
    m = models[models["Organization"].str.contains(org_pattern, case=False, na=False, regex=True)]
    if since_year is not None:
        m = m[m["year"] >= since_year]
    acc = m["Model accessibility"].fillna("")
    released = acc[(acc != "") & (acc != "Unreleased")]
    n_open = int(released.str.match(OPEN_ACCESS).sum())
    return {
        "n_models": int(len(m)),
        "n_released": int(len(released)),
        "n_open": n_open,
        "open_share": (n_open / len(released)) if len(released) else np.nan,
    }


def classify_share(share: float, threshold: float) -> str:
    """Measured strategy: open if share >= threshold, closed if <= 1 - threshold, else mixed."""
    if share is None or np.isnan(share):
        return "unknown"
    if share >= threshold:
        return "open"
    if share <= 1 - threshold:
        return "closed"
    return "mixed"


def period_end(label: str) -> str:
    """'FY2024' -> '2024-12', 'H1 2025' -> '2025-06', '9M 2025' -> '2025-09',
    '2025-06-30' -> '2025-06' (for ordering periods; fiscal years assumed to end in December)."""
    s = label.strip()
    if m := re.fullmatch(r"FY(\d{4})", s):
        return f"{m.group(1)}-12"
    if m := re.fullmatch(r"H([12])\s*(\d{4})", s):
        return f"{m.group(2)}-{'06' if m.group(1) == '1' else '12'}"
    if m := re.fullmatch(r"(\d{1,2})M\s*(\d{4})", s):
        return f"{m.group(2)}-{int(m.group(1)):02d}"
    if m := re.fullmatch(r"(\d{4})-(\d{2})(-\d{2})?", s):
        return f"{m.group(1)}-{m.group(2)}"
    raise ValueError(f"unknown period label {label!r}")


# ------------------------------------------------------------------ figures for the report


def figure(fin: pd.DataFrame, lab: str, metric: str, period: str) -> float | None:
    """One used figure (native currency, millions) of a lab, or None if not disclosed."""
    r = fin[
        (fin["lab"] == lab)
        & (fin["metric"] == metric)
        & (fin["period"] == period)
        & (fin["status"] == "used")
    ]
    return float(r["value_m"].iloc[0]) if len(r) else None


def fact(
    market: pd.DataFrame, entity: str, metric: str, period: str | None = None
) -> tuple[float | None, str]:
    """(value in millions, or as published for unscaled figures; where it comes from) of one
    row of data/curated/market_facts.csv. The second item names the table row and its source URL, for
    figures recorded with ``basis="curated"``."""
    r = market[(market["entity"] == entity) & (market["metric"] == metric)]
    if period is not None:
        r = r[r["period"] == period]
    if r.empty:
        return None, f"market_facts.csv: no row for {entity} {metric} {period or ''}".strip()
    row = r.iloc[0]
    value = float(row["value"])
    if row.get("scale", ""):
        value = float(to_millions(value, row["scale"]))
    where = f"market_facts.csv: {entity}, {metric}, {row['period']} ({row['source_url']})"
    return value, where


def revenue_usd(ratios: pd.DataFrame, period: str) -> dict[str, float]:
    """Revenue in USD millions per lab for one period (labs without it are left out);
    ``ratios`` is :func:`loss_ratios` with a ``revenue_usd_m`` column."""
    r = ratios[ratios["period"] == period].dropna(subset=["revenue_usd_m"])
    return {str(k): float(v) for k, v in zip(r["lab"], r["revenue_usd_m"], strict=True)}


def split_by_strategy(
    values: dict[str, float],
    strategy: pd.DataFrame,
    open_labels: tuple[str, ...] = ("open", "mixed"),
) -> tuple[dict, dict]:
    """(open-weight labs, closed labs) of a lab -> value dict, by the strategy labels of
    data/curated/lab_strategy.csv. A lab with no label is left out of both."""
    label = dict(zip(strategy["lab"], strategy["open_weights_strategy"], strict=True))
    open_ = {k: v for k, v in values.items() if label.get(k) in open_labels}
    closed = {k: v for k, v in values.items() if label.get(k) == "closed"}
    return open_, closed
