"""Open vs closed monetization: unit/currency normalisation, loss ratios, runway, prices and
the open-weights share measured from Epoch's model table."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..errors import CnaiError

SCALE = {"": 1e-6, "thousand": 1e-3, "million": 1.0, "billion": 1e3}  # -> millions
OPEN_ACCESS = re.compile(r"^Open weights", re.I)


class MoneyError(CnaiError, ValueError):
    """A curated figure or a parameter the monetization analysis cannot use (names the fix)."""


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
        raise MoneyError(
            f"data/curated/lab_financials.csv: more than one 'used' row for {bad}; "
            "mark the others 'alternative'"
        )
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


def _of(models: pd.DataFrame, org_pattern: str) -> pd.DataFrame:
    return models[
        models["Organization"].str.contains(org_pattern, case=False, na=False, regex=True)
    ]


def open_share(
    models: pd.DataFrame, org_pattern: str, since_year: int | None = None
) -> dict[str, float | int]:
    """Share of an organisation's notable models *released* (any access but 'Unreleased')
    with open weights, from Epoch's 'Model accessibility'."""
    m = _of(models, org_pattern)
    if since_year is not None:
        m = m[m["year"] >= since_year]
    return _share(m)


def _share(m: pd.DataFrame) -> dict[str, float | int]:
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
    return split_by_labels(values, label, open_labels)


# ------------------------------------------------------------------ like with like (issue 15)

NO_MODEL = "no notable model"
NOT_STATED = "not stated in the data"
NON_CASH = re.compile(r"fair.value|remeasure|non-cash", re.I)
CASH_DEFINITIONS = ("cash_and_equivalents", "cash_and_financial_assets")


def label_year(period: str) -> int:
    """The calendar year whose strategy label applies to a fiscal period ('H1 2025' -> 2025)."""
    return int(period_end(period)[:4])


def yearly_labels(
    models: pd.DataFrame, strategy: pd.DataFrame, years: list[int], threshold: float
) -> pd.DataFrame:
    """Per lab (rows of lab_strategy.csv) and year: notable models released that year, how many
    with open weights, the share and the label (open / closed / mixed, or NO_MODEL when the lab
    released no notable model that year)."""
    rows = []
    for lab, pattern in zip(strategy["lab"], strategy["epoch_organization_pattern"], strict=True):
        m = _of(models, pattern)
        for year in years:
            o = _share(m[m["year"] == year])
            label = classify_share(o["open_share"], threshold) if o["n_released"] else NO_MODEL
            rows.append({"lab": lab, "year": int(year), **o, "label": label})
    return pd.DataFrame(rows)


def label_cells(labels: pd.DataFrame) -> dict[tuple[str, int], str]:
    """(lab, year) -> 'label (open/released)' (or NO_MODEL) from :func:`yearly_labels`."""
    return {
        (lab, int(year)): label if label == NO_MODEL else f"{label} ({o}/{n})"
        for lab, year, label, o, n in zip(
            labels["lab"],
            labels["year"],
            labels["label"],
            labels["n_open"],
            labels["n_released"],
            strict=True,
        )
    }


def label_grid(labels: pd.DataFrame) -> pd.DataFrame:
    """lab x year table of 'label (open/released)' cells from :func:`yearly_labels`."""
    cells = label_cells(labels)
    cell = [cells[(lab, int(y))] for lab, y in zip(labels["lab"], labels["year"], strict=True)]
    grid = labels.assign(cell=cell).pivot(index="lab", columns="year", values="cell")
    grid.columns.name = None
    return grid.reindex(pd.unique(labels["lab"]))


def split_by_labels(
    values: dict[str, float],
    labels: dict[str, str],
    open_labels: tuple[str, ...] = ("open", "mixed"),
) -> tuple[dict, dict]:
    """(open-weight labs, closed labs) of a lab -> value dict by a lab -> label dict; labs
    with another label (no notable model, unknown) or none are left out of both."""
    open_ = {k: v for k, v in values.items() if labels.get(k) in open_labels}
    closed = {k: v for k, v in values.items() if labels.get(k) == "closed"}
    return open_, closed


def _drivers(full: pd.DataFrame) -> dict[tuple[str, str], str]:
    nl = full[full["metric"] == "net_loss"]
    notes = nl["note"] if "note" in nl else pd.Series("", index=nl.index)
    return {
        (lab, per): (note if isinstance(note, str) and NON_CASH.search(note) else NOT_STATED)
        for lab, per, note in zip(nl["lab"], nl["period"], notes.fillna(""), strict=True)
    }


def fiscal_year_losses(fin: pd.DataFrame) -> pd.DataFrame:
    """Full fiscal years only (FYyyyy, 12 months): revenue, net loss and adjusted loss in the
    native currency and in USD, net minus adjusted (the non-IFRS adjustments, mostly non-cash)
    and what the source says drives the net loss. ``fin`` is :func:`normalise` output."""
    wide(fin)  # refuses two 'used' rows for one figure
    full = fin[
        (fin["status"] == "used")
        & fin["period"].str.fullmatch(r"FY\d{4}")
        & (fin["period_months"] == 12)
        & fin["metric"].isin(["revenue", "net_loss", "adjusted_net_loss"])
    ]
    key = ["lab", "period", "currency"]
    native = full.pivot_table(index=key, columns="metric", values="value_m", aggfunc="first")
    usd = full.pivot_table(index=key, columns="metric", values="value_usd_m", aggfunc="first")
    cols = ["revenue", "net_loss", "adjusted_net_loss"]
    native, usd = native.reindex(columns=cols), usd.reindex(columns=cols)
    out = native.join(usd.add_suffix("_usd_m")).reset_index()
    out.columns.name = None
    out["net_minus_adjusted"] = out["net_loss"] - out["adjusted_net_loss"]
    out["net_loss_to_revenue"] = out["net_loss"] / out["revenue"]
    out["adjusted_loss_to_revenue"] = out["adjusted_net_loss"] / out["revenue"]
    drivers = _drivers(full)
    out["what drives the net loss"] = [
        drivers.get((lab, per), "no net loss disclosed")
        for lab, per in zip(out["lab"], out["period"], strict=True)
    ]
    return out.sort_values(["lab", "period"]).reset_index(drop=True)


def runway_table(
    fin: pd.DataFrame, labs: list[str], cash_metric: str, burn_metric: str = "adjusted_net_loss"
) -> pd.DataFrame:
    """Per lab: cash on one definition (``cash_metric``, the same for every lab) over the burn of
    the latest period ending on or before the balance-sheet date, annualised."""
    if cash_metric not in CASH_DEFINITIONS:
        raise MoneyError(
            f"unknown cash definition {cash_metric!r}; one of {', '.join(CASH_DEFINITIONS)}"
        )
    used = fin[fin["status"] == "used"]
    rows = []
    for lab in labs:
        row = {"lab": lab, "cash definition": cash_metric, "cash date": "", "cash (native m)": np.nan,
               "currency": "", "burn basis": "", "annual burn (native m)": np.nan,
               "runway (years)": np.nan}  # fmt: skip
        cash = used[(used["lab"] == lab) & (used["metric"] == cash_metric)]
        if cash.empty:
            rows.append(
                {**row, "burn basis": f"not disclosed: no {cash_metric.replace('_', ' ')} figure"}
            )
            continue
        c = cash.sort_values("period").iloc[-1]
        row.update({"cash date": c["period"], "cash (native m)": float(c["value_m"]),
                    "currency": c["currency"]})  # fmt: skip
        burn = used[(used["lab"] == lab) & (used["metric"] == burn_metric)]
        burn = burn.assign(end=burn["period"].map(period_end))
        burn = burn[burn["end"] <= period_end(c["period"])]
        if burn.empty:
            rows.append(
                {
                    **row,
                    "burn basis": f"not disclosed: no {burn_metric.replace('_', ' ')} up to the date",
                }
            )
            continue
        b = burn.sort_values(["end", "period_months"]).iloc[-1]
        annual = annualise(b["value_m"], int(b["period_months"]))
        rows.append(
            {
                **row,
                "burn basis": f"{burn_metric.replace('_', ' ')} {b['period']}, annualised",
                "annual burn (native m)": annual,
                "runway (years)": runway_years(row["cash (native m)"], annual),
            }
        )
    return pd.DataFrame(rows)


def price_grid(
    prices: pd.DataFrame,
    countries: tuple[str, ...] = ("China", "USA"),
    strategies: tuple[str, ...] = ("open", "closed"),
) -> pd.DataFrame:
    """Country x open/closed: median input and output price (USD per 1M tokens) with the
    number of prices behind each median; every cell is shown, empty ones with n = 0."""
    idx = pd.MultiIndex.from_product([countries, strategies], names=["country", "open_weights"])
    g = prices.groupby(["country", "open_weights"])
    out = pd.DataFrame(
        {
            "n input": g["input_usd_per_m"].count(),
            "median input": g["input_usd_per_m"].median(),
            "n output": g["output_usd_per_m"].count(),
            "median output": g["output_usd_per_m"].median(),
        }
    ).reindex(idx)
    out[["n input", "n output"]] = out[["n input", "n output"]].fillna(0).astype(int)
    return out.reset_index()


def within_country_ratio(grid: pd.DataFrame, country: str, which: str) -> float:
    """Median closed / median open price within one country (``which``: input or output);
    NaN when either cell is empty."""
    g = grid.set_index(["country", "open_weights"])
    try:
        closed = g.loc[(country, "closed"), f"median {which}"]
        open_ = g.loc[(country, "open"), f"median {which}"]
    except KeyError:
        return float("nan")
    return float(closed / open_) if open_ and np.isfinite(open_) else float("nan")
