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
    what = metric.replace("_", " ")  # the page reads words, the table keeps its code
    where = f"market_facts.csv: {entity}, {what}, {row['period']} ({row['source_url']})"
    return value, where


# what market_facts.csv's ``unit`` says of a money figure: the measure, not its unit (the
# currency and scale columns carry that)
MONEY_MEASURES = {"revenue", "market size", "valuation"}


def fact_unit(row) -> str:
    """The unit a reader needs beside a market fact's value: currency and scale for money
    ("USD million", not "revenue"), the scale and unit otherwise ("million people",
    "percent"). Names the row when a money figure has no currency."""
    scale = str(row.get("scale") or "").strip()
    unit = str(row.get("unit") or "").strip()
    currency = str(row.get("currency") or "").strip()
    if currency:
        return " ".join(x for x in (currency, scale) if x)
    if unit in MONEY_MEASURES:
        raise ValueError(
            f"market_facts.csv: {row.get('entity')}, {row.get('metric')}, {row.get('period')}: "
            f"a {unit} figure with no currency"
        )
    return " ".join(x for x in (scale, unit) if x)


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


# ------------------------------------------------------------------ model-level price panel (issue 25

INPUT_WEIGHT = 0.75  # blended price: 3 input tokens to 1 output token, a common usage mix


def blended(input_usd: float, output_usd: float, input_weight: float = INPUT_WEIGHT) -> float:
    """Price of a million tokens at ``input_weight`` input and the rest output (USD)."""
    if input_usd is None or output_usd is None:
        return np.nan
    return input_weight * float(input_usd) + (1 - input_weight) * float(output_usd)


def _host_list(cell: str) -> list[tuple[str, str]]:
    out = []
    for item in filter(None, (s.strip() for s in (cell or "").split(";"))):
        provider, sep, model = item.partition(":")
        if not sep or not provider or not model:
            raise MoneyError(
                f"data/curated/model_panel.csv: host {item!r} must be 'provider:model id'"
            )
        out.append((provider, model))
    return out


def panel_prices(
    panel: pd.DataFrame, prices: pd.DataFrame, input_weight: float = INPUT_WEIGHT
) -> pd.DataFrame:
    """Per panel model: the developer's own list price (input, output, blended; USD per million
    tokens) where it sells one, the median of the third-party hosts' blended prices, the number
    of hosts priced, and the price the analysis uses (the developer's, else the hosts' median)
    with where it comes from. Free (zero or missing) prices are not prices. A provider/model
    named in the panel but absent from the price data is an error naming the row."""
    idx = prices.set_index(["provider", "model_id"])
    if not idx.index.is_unique:
        idx = idx[~idx.index.duplicated(keep="first")]

    def price_of(provider: str, model: str, row: int) -> tuple[float, float]:
        if (provider, model) not in idx.index:
            raise MoneyError(
                f"data/curated/model_panel.csv line {row}: {provider}:{model} is not in the "
                "genai-prices data of this package version"
            )
        r = idx.loc[(provider, model)]
        i, o = r["input_usd_per_m"], r["output_usd_per_m"]
        ok = all(v is not None and np.isfinite(v) and v > 0 for v in (i, o))
        return (float(i), float(o)) if ok else (np.nan, np.nan)

    rows = []
    for k, r in enumerate(panel.itertuples(index=False), start=2):
        dev_in = dev_out = np.nan
        if r.price_provider:
            dev_in, dev_out = price_of(r.price_provider, r.price_model, k)
        hosts = [blended(*price_of(p, m, k), input_weight) for p, m in _host_list(r.host_models)]
        hosts = [h for h in hosts if np.isfinite(h)]
        dev = blended(dev_in, dev_out, input_weight)
        host_median = float(np.median(hosts)) if hosts else np.nan
        if np.isfinite(dev):
            used, where = dev, "developer"
        elif hosts:
            used, where = host_median, "third-party hosts (median)"
        else:
            used, where = np.nan, "not priced"
        rows.append({"model": r.model, "developer_input": dev_in, "developer_output": dev_out,
                     "developer_blended": dev, "host_median_blended": host_median,
                     "n_hosts": len(hosts), "price": used, "price_from": where})  # fmt: skip
    return pd.DataFrame(rows)


def panel_frame(panel: pd.DataFrame, priced: pd.DataFrame, models: pd.DataFrame) -> pd.DataFrame:
    """The panel joined to its prices and to Epoch AI's notable-models table (release date,
    training compute, 'Model accessibility'). A panel model named in Epoch's table that is not
    there is an error naming it."""
    ep = models.drop_duplicates("Model").set_index("Model")
    missing = sorted(set(panel["epoch_model"]) - set(ep.index) - {""})
    if missing:
        raise MoneyError(
            f"data/curated/model_panel.csv: {missing} not found in Epoch AI's notable models"
        )
    out = panel.merge(priced, on="model", how="left")
    e = ep.reindex(out["epoch_model"])
    out["release_date"] = e["publication_date"].to_numpy()
    out["training_flop"] = e["training_flop"].to_numpy()
    out["epoch_accessibility"] = e["Model accessibility"].fillna("").to_numpy()
    acc = out["epoch_accessibility"]
    out["epoch_open"] = np.where(
        acc == "", "", np.where(acc.str.match(OPEN_ACCESS), "open", "closed")
    )
    return out


REGRESSORS = ("log10_flop", "open", "china", "release_year")


def design(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(X, y) of the price regression: log price on an intercept, log10 training compute, open
    weights (1/0), the developer's country China (1/0) and the release date in years."""
    y = np.log(df["price"].to_numpy(float))
    rel = pd.to_datetime(df["release_date"])
    X = np.column_stack(
        [
            np.ones(len(df)),
            np.log10(df["training_flop"].to_numpy(float)),
            (df["open_weights"] == "open").to_numpy(float),
            (df["country"] == "China").to_numpy(float),
            (rel.dt.year + (rel.dt.day_of_year - 1) / 365.25).to_numpy(float),
        ]
    )
    return X, y


def regression_sample(frame: pd.DataFrame) -> pd.DataFrame:
    """Panel models with a price, training compute and a release date (the regression's rows)."""
    ok = (
        frame["price"].gt(0)
        & frame["training_flop"].gt(0)
        & pd.to_datetime(frame["release_date"]).notna()
    )
    return frame[ok].reset_index(drop=True)


def fit(df: pd.DataFrame) -> np.ndarray:
    """Least-squares coefficients (intercept, then :data:`REGRESSORS`)."""
    X, y = design(df)
    if np.linalg.matrix_rank(X) < X.shape[1]:
        raise MoneyError(
            "the price regression cannot separate its terms on these models (a group is empty "
            "or one term is a copy of another)"
        )
    return np.linalg.lstsq(X, y, rcond=None)[0]


def open_price_ratio(
    df: pd.DataFrame, n_boot: int = 2000, seed: int = 0, level: float = 0.95
) -> dict[str, float]:
    """Open ÷ closed price at equal capability, country and release date: exp of the open-weights
    coefficient, with a pairs-bootstrap percentile interval (models resampled with replacement;
    samples in which one group vanishes are drawn again)."""
    beta = fit(df)
    rng = np.random.default_rng(seed)
    X, y = design(df)
    draws = []
    tries = 0
    while len(draws) < n_boot:
        tries += 1
        if tries > 20 * n_boot:
            raise MoneyError("bootstrap: too few resamples with every term estimable")
        i = rng.integers(0, len(df), len(df))
        Xi = X[i]
        if np.linalg.matrix_rank(Xi) < X.shape[1]:
            continue
        draws.append(np.linalg.lstsq(Xi, y[i], rcond=None)[0][2])
    draws = np.exp(np.asarray(draws))
    a = (1 - level) / 2
    lo, hi = np.quantile(draws, [a, 1 - a])
    names = ("intercept", *REGRESSORS)
    return {
        "ratio": float(np.exp(beta[2])),
        "ci_low": float(lo),
        "ci_high": float(hi),
        "n": int(len(df)),
        "n_open": int((df["open_weights"] == "open").sum()),
        "n_closed": int((df["open_weights"] == "closed").sum()),
        **{f"coef_{k}": float(v) for k, v in zip(names, beta, strict=True)},
    }


def host_ratios(frame: pd.DataFrame) -> pd.DataFrame:
    """Open models sold both by their developer and by third-party hosts: the hosts' median
    blended price over the developer's."""
    o = frame[
        (frame["open_weights"] == "open")
        & frame["developer_blended"].gt(0)
        & frame["host_median_blended"].gt(0)
    ].copy()
    o["host_over_developer"] = o["host_median_blended"] / o["developer_blended"]
    return o[["model", "developer", "developer_blended", "host_median_blended", "n_hosts",
              "host_over_developer"]].reset_index(drop=True)  # fmt: skip


# ------------------------------------------------------------------ source tiers and filings

TIERS = ("filing", "official statement", "reputable press", "other")


def central_sources_ok(df: pd.DataFrame, key: list[str], used: pd.Series | None = None) -> list:
    """Figures (groups of ``key``) whose rows in use all have source tier 'other': a central
    figure cannot rest on such a source alone. Returns the offending keys (empty = fine)."""
    d = df if used is None else df[used]
    bad = d.groupby(key)["source_tier"].agg(lambda s: set(s) <= {"other"})
    return [k for k, v in bad.items() if v]


def ratio_to_revenue(
    fin: pd.DataFrame, metric: str, labs: list[str], period: str | dict[str, str]
) -> pd.DataFrame:
    """Per lab: ``metric`` (an outflow or a loss, as a positive number) over revenue for one
    fiscal period (or one period per lab, ``{lab: period}``), with the source tiers behind both
    figures. Both figures of a lab are of the same period, so each ratio is like for like."""
    used = fin[fin["status"] == "used"]
    rows = []
    for lab in labs:
        period_of = period.get(lab, "") if isinstance(period, dict) else period

        def one(m, lab=lab, period_of=period_of):
            r = used[(used["lab"] == lab) & (used["metric"] == m) & (used["period"] == period_of)]
            return (
                (float(r["value_m"].iloc[0]), str(r["source_tier"].iloc[0]))
                if len(r)
                else (np.nan, "")
            )

        num, t_num = one(metric)
        rev, t_rev = one("revenue")
        rows.append({"lab": lab, "period": period_of, "metric": metric, "value": num, "revenue": rev,
                     "ratio": num / rev if rev else np.nan, "tiers": {t_num, t_rev} - {""}})  # fmt: skip
    return pd.DataFrame(rows)


def all_filing_tier(t: pd.DataFrame) -> bool:
    """Every figure behind the ratios comes from a filing (a census of audited numbers)."""
    return bool(len(t)) and all(s == {"filing"} for s in t["tiers"])


def _has_both(fin: pd.DataFrame, metric: str) -> pd.DataFrame:
    """(lab, period, period_months) with a 'used' row for both ``metric`` and revenue."""
    used = fin[fin["status"] == "used"]
    keys = ["lab", "period", "period_months"]
    a = used[used["metric"] == metric][keys].drop_duplicates()
    b = used[used["metric"] == "revenue"][keys].drop_duplicates()
    return a.merge(b, on=keys)


def full_years_for_all(fin: pd.DataFrame, metric: str, labs: list[str]) -> list[str]:
    """Full fiscal years (``FYyyyy``, 12 months) in which every lab has ``metric`` and revenue
    from rows in use: the lab-years a census of the labs' filed years can compare like for like."""
    both = _has_both(fin, metric)
    full = both[both["period"].str.fullmatch(r"FY\d{4}") & (both["period_months"] == 12)]
    per = full.groupby("period")["lab"].agg(set)
    return sorted(p for p, s in per.items() if set(labs) <= s)


def latest_interims(fin: pd.DataFrame, metric: str, labs: list[str]) -> dict[str, str] | None:
    """Each lab's latest interim period (shorter than 12 months) with ``metric`` and revenue in
    use, or None when a lab has none. The periods may differ in length between labs (a ratio
    of two figures of the same period is comparable; the periods themselves are not)."""
    both = _has_both(fin, metric)
    interim = both[both["period_months"].between(1, 11)]
    out = {}
    for lab in labs:
        g = interim[interim["lab"] == lab]
        if g.empty:
            return None
        out[lab] = max(g["period"], key=period_end)
    return out


BURN_READINGS = (
    ("operating_cash_outflow", "cash_burn_to_revenue_min", "operating cash flow",
     "operating cash outflow over revenue"),
    ("net_loss", "loss_to_revenue_min", "net loss", "net loss over revenue"),
)  # fmt: skip
"""(metric, results key, definition as the reading writes it, words) of the burning-cash
claim's primary reading and its alternative."""


def smallest_ratio(t: pd.DataFrame) -> float | None:
    """The smaller lab's ratio (the claim needs it of every lab), or None when a lab has none."""
    return float(t["ratio"].min()) if len(t) and t["ratio"].notna().all() else None


def unusable_figures(
    raw: pd.DataFrame, metric: str, labs: list[str], period: str | dict[str, str]
) -> int:
    """How many of the figures a ratio needs (``metric`` and revenue of each lab, for one period
    or one per lab) exist in the table only as rows not in use (unverified: their sources are
    of tier other), with no row in use for the same figure."""
    n = 0
    for lab in labs:
        per = period.get(lab, "") if isinstance(period, dict) else period
        for m in (metric, "revenue"):
            rows = raw[(raw["lab"] == lab) & (raw["metric"] == m) & (raw["period"] == per)]
            if len(rows) and not (rows["status"] == "used").any():
                n += int((rows["status"] == "unverified").any())
    return n


def burn_verdict(
    t: pd.DataFrame, figure_key: str, definition: str, words: str, when: str, n_unverified: int
):
    """The burning-cash claim judged on one table of per-lab ratios: a census when every figure
    comes from a filing; restatements (no interval) decide only outside the band.
    ``n_unverified``: the figures behind the ratios found only in tier-other sources
    (:func:`unusable_figures`)."""
    from dataclasses import replace

    from .. import evidence

    val, census = smallest_ratio(t), all_filing_tier(t)
    v = evidence.judge(
        "burning_cash", val, None, figure=figure_key, definition=definition, n=len(t),
        kind="ratio", what=f"the smaller {words} ({when})", census=census,
    )  # fmt: skip
    if val is None:
        one = n_unverified == 1
        figs, exist, kept = (
            ("figure", "exists", "is kept") if one else ("figures", "exist", "are kept")
        )
        return replace(
            v,
            reason=f"{words.capitalize()} cannot be computed for every lab from figures of a "
            f"usable source: {n_unverified} restated {figs} it needs {exist} only in sources of "
            f"tier other (aggregators, republishers, blogs) and {kept} out; the figures must be "
            "read from the listing documents themselves or from a named outlet's own page.",
        )
    if not census:
        return replace(
            v,
            reason=v.reason + " The figures are named outlets' restatements of the listing "
            "documents, not read from the filings: read from the filings they would be a census "
            "and decide.",
        )
    return v
