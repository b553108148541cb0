"""Geographic concentration of filings: shares, hubs, metro radius, HHI, Gini, Lorenz, location
quotients. Inputs are core-table frames (one row per unique filing)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import partial

import numpy as np
import pandas as pd

from .. import reference
from ..registry.geography import MUNICIPALITIES, adcodes, pinyin_name, provinces, region
from ..registry.stats import province_counts as _province_counts

EARTH_RADIUS_KM = 6371.0088
# Mainland provinces: the CAC registry covers these (not Hong Kong, Macao, Taiwan)
_OUTSIDE = set(reference.geography()["outside_mainland"])
MAINLAND = [c for c in provinces()["province_code"] if c not in _OUTSIDE]


def city_code(name: str) -> str:
    """Prefecture-city code from an English (pinyin) or Chinese name: 'Shenzhen' -> '440300'."""
    key = name.strip().casefold().replace(" ", "")
    prov = provinces()
    muni = prov[prov["province_code"].isin(MUNICIPALITIES)]
    for r in muni.itertuples():
        if key in (r.name_en.casefold(), r.name_zh, r.short_zh):
            return f"{r.province_code}0100"
    a = adcodes()
    cities = a[a["code6"].str.endswith("00") & ~a["code6"].str.endswith("0000")]
    for r in cities.itertuples():
        if key in (r.name_zh, r.name_zh.rstrip("市")) or key == pinyin_name(r.name_zh).casefold():
            return r.code6
    raise ValueError(f"unknown city {name!r} (use the pinyin or Chinese name, e.g. 'Hangzhou')")


def city_centre(code: str) -> tuple[float, float]:
    r = region(code)
    if r.lat is None:
        raise ValueError(f"no coordinates for {code}")
    return r.lat, r.lon


def haversine_km(lat1, lon1, lat2, lon2):
    lat1, lon1, lat2, lon2 = (
        np.radians(np.asarray(x, dtype=float)) for x in (lat1, lon1, lat2, lon2)
    )
    a = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(a))


def shares(f: pd.DataFrame, by: str) -> pd.DataFrame:
    """Counts and shares of unique filings by a column (unknown values kept as 'unknown')."""
    c = f[by].fillna("unknown").value_counts()
    return pd.DataFrame({by: c.index, "filings": c.to_numpy(), "share": (c / c.sum()).to_numpy()})


def share_in(f: pd.DataFrame, column: str, values: Iterable[str]) -> float:
    return float(f[column].isin(list(values)).mean()) if len(f) else float("nan")


def distance_to_nearest(f: pd.DataFrame, centres: Sequence[tuple[float, float]]) -> np.ndarray:
    """Distance (km) from each filing's location (district or city centroid) to the nearest
    centre; NaN where the filing has no coordinates."""
    lat, lon = f["lat"].to_numpy(float), f["lon"].to_numpy(float)
    d = np.full(len(f), np.inf)
    for clat, clon in centres:
        d = np.fmin(d, haversine_km(lat, lon, clat, clon))
    d[np.isnan(lat)] = np.nan
    return d


def share_within(f: pd.DataFrame, centres, radius_km: float) -> float:
    """Share of filings within ``radius_km`` of any centre (denominator: all filings; filings
    without coordinates count as outside)."""
    if not len(f):
        return float("nan")
    d = distance_to_nearest(f, centres)
    return float(np.nansum(d <= radius_km) / len(f))


def radius_curve(f: pd.DataFrame, centres, radii: Iterable[float]) -> pd.DataFrame:
    d = distance_to_nearest(f, centres)
    rows = [{"radius_km": r, "share": float(np.nansum(d <= r) / len(f))} for r in radii]
    return pd.DataFrame(rows)


def hhi(shares_: Iterable[float]) -> float:
    """Herfindahl–Hirschman index in points (0–10,000): sum of squared percentage shares."""
    s = np.asarray(list(shares_), dtype=float)
    return float(np.sum((100 * s) ** 2))


def lorenz(counts: Iterable[float]) -> pd.DataFrame:
    """Lorenz curve: cumulative share of units (ascending) vs cumulative share of filings."""
    x = np.sort(np.asarray(list(counts), dtype=float))
    cum = np.concatenate([[0.0], np.cumsum(x)]) / x.sum()
    units = np.linspace(0, 1, len(x) + 1)
    return pd.DataFrame({"share_of_units": units, "share_of_filings": cum})


def gini(counts: Iterable[float]) -> float:
    """Gini coefficient of counts (0 = equal, → 1 = all in one unit); zeros count."""
    x = np.sort(np.asarray(list(counts), dtype=float))
    n = len(x)
    if n == 0 or x.sum() == 0:
        return float("nan")
    i = np.arange(1, n + 1)
    return float((2 * np.sum(i * x) / (n * x.sum())) - (n + 1) / n)


# Filings per mainland province, zeros included (central SOEs / unknown excluded): the registry's
# one province count (registry/stats.py), restricted to the mainland.
province_counts = partial(_province_counts, provinces=MAINLAND)


def top_k_share(counts: pd.Series, k: int, total: float | None = None) -> float:
    """The ``k`` largest counts' share of ``total`` (default: the sum of ``counts``); pass the
    number of all filings to compare with shares of all filings (central SOEs included)."""
    return float(counts.sort_values(ascending=False).head(k).sum() / (total or counts.sum()))


def concentration_by_batch(
    f: pd.DataFrame,
    hub_cities: Sequence[str],
    hub_provinces: Sequence[str],
    cumulative: bool = True,
) -> pd.DataFrame:
    """Per batch: HHI, Gini, top-5 share, hub-city and hub-province shares, of the filings new
    in that batch (``cumulative=False``) or of all filings up to it (``cumulative=True``)."""
    rows = []
    for b in sorted(f["first_batch"].unique()):
        sub = f[f["first_batch"] <= b] if cumulative else f[f["first_batch"] == b]
        pc = province_counts(sub)
        rows.append(
            {
                "batch": b,
                "filings": len(sub),
                "hhi": hhi(pc / pc.sum()),
                "gini": gini(pc),
                "top5_share": top_k_share(pc, 5),
                "hub_city_share": share_in(sub, "city_code", hub_cities),
                "hub_province_share": share_in(sub, "province_code", hub_provinces),
            }
        )
    return pd.DataFrame(rows)


# ------------------------------------------------------------------ use cases (keyword rules)

# a filing can match several use cases: cnai_helpers/reference/use_cases.yaml
USE_CASE_KEYWORDS: dict[str, tuple[str, ...]] = reference.use_case_keywords()


def use_cases(text: str) -> list[str]:
    """Use cases whose keywords occur in ``text`` (algorithm name + main use)."""
    t = text or ""
    t_up = t.upper()
    return [
        u
        for u, kws in USE_CASE_KEYWORDS.items()
        if any((k.upper() in t_up) if k.isascii() else (k in t) for k in kws)
    ]


def use_case_matrix(f: pd.DataFrame) -> pd.DataFrame:
    """One boolean column per use case, indexed like ``f``."""
    text = (
        f["algorithm_name"].fillna("")
        + " "
        + f.get("main_use", pd.Series("", index=f.index)).fillna("")
    )
    found = text.map(use_cases)
    return pd.DataFrame(
        {u: found.map(lambda xs, u=u: u in xs) for u in USE_CASE_KEYWORDS}, index=f.index
    )


def use_case_counts(
    f: pd.DataFrame, by: str = "province_code", min_filings: int = 30
) -> pd.DataFrame:
    """Filings matching each use case per unit, for units with at least ``min_filings``."""
    m = use_case_matrix(f)
    m[by] = f[by].to_numpy()
    counts = m.groupby(by).sum()
    n = m.groupby(by).size()
    return counts[n >= min_filings]


def use_case_coverage(f: pd.DataFrame) -> float:
    """Share of filings the keyword rules give at least one use case."""
    return float(use_case_matrix(f).any(axis=1).mean()) if len(f) else float("nan")


def location_quotients(
    f: pd.DataFrame, by: str = "province_code", min_filings: int = 30, min_cases: int = 0
) -> pd.DataFrame:
    """LQ = (share of a use case among a unit's filings) / (its share among all filings).
    LQ > 1: the unit specialises in that use case. Units with fewer filings are dropped; cells
    resting on fewer than ``min_cases`` matching filings are NaN (too few to read)."""
    m = use_case_matrix(f)
    m[by] = f[by].to_numpy()
    counts = m.groupby(by).sum()
    n = m.groupby(by).size()
    counts = counts[n >= min_filings]
    n = n[n >= min_filings]
    national = m[list(USE_CASE_KEYWORDS)].mean()
    lq = (counts.div(n, axis=0)).div(national.replace(0, np.nan), axis=1)
    return lq.where(counts >= min_cases)


def weighted_mean(d: pd.DataFrame, column: str, weights: str = "filings") -> float:
    """Mean of ``column`` over batches weighted by their filings (a batch-size-fair average)."""
    return float(np.average(d[column], weights=d[weights]))


def change_interval(
    early: pd.DataFrame,
    late: pd.DataFrame,
    column: str,
    reps: int = 2000,
    seed: int = 0,
    weights: str = "filings",
) -> tuple[float, float]:
    """95% interval of the change in ``column`` (late half's weighted mean minus the early
    half's, :func:`weighted_mean`), resampling whole lists with replacement within each half:
    a share that swings from list to list gives a wide interval, so a small change between the
    halves is not called a trend."""
    rng = np.random.default_rng(seed)

    def means(d: pd.DataFrame) -> np.ndarray:
        v, w = d[column].to_numpy(float), d[weights].to_numpy(float)
        idx = rng.integers(0, len(d), size=(reps, len(d)))
        return (v[idx] * w[idx]).sum(axis=1) / w[idx].sum(axis=1)

    diff = means(late) - means(early)
    lo, hi = np.percentile(diff, [2.5, 97.5])
    return float(lo), float(hi)


def use_case_profile(f: pd.DataFrame, unit: str, by: str = "province_code") -> pd.DataFrame:
    """One unit's (province's) use-case mix against the whole registry's: the unit's share of
    filings matching each use case, the national share, and the location quotient (as in
    :func:`location_quotients`)."""
    m = use_case_matrix(f)
    mine = m[f[by].to_numpy() == unit].mean()
    national = m.mean()
    lq = location_quotients(f, by=by, min_filings=0).loc[unit]
    return pd.DataFrame(
        {"province share": mine, "national share": national, "location quotient": lq}
    )


def distinctive_use_case(
    mix: pd.DataFrame, min_filings: int = 10, alpha: float = 0.05
) -> tuple[str, float] | None:
    """The use case a province files distinctly more of than the country: among use cases with
    at least ``min_filings`` of the province's filings, those whose excess over the national share
    a one-sided binomial test finds significant at ``alpha``, the one with the highest location
    quotient; ``(use case, quotient)``, or None when no use case stands out (a province whose mix
    is the national one has a highest quotient too, a small chance excess on a few filings).

    ``mix`` is :func:`use_case_profile` with a ``province filings`` column (the province's
    filings matching each use case).

    The test's p-value is P(X >= k) for X ~ Binomial(n, national share): scipy.special's
    binomial survival function ``bdtrc(k - 1, n, p)``, the quantity ``scipy.stats.binomtest``
    returns for ``alternative="greater"`` (equal to ~1e-11; tests/test_geo.py), without
    importing scipy.stats (1 s of CPU in each of the 14 province reports' kernels)."""
    from scipy.special import bdtrc

    best = None
    for case, r in mix.iterrows():
        k, share, national = r["province filings"], r["province share"], r["national share"]
        if k < min_filings or not share or not national or not np.isfinite(r["location quotient"]):
            continue
        n = round(k / share)  # the province's filings
        p = float(bdtrc(int(k) - 1, int(n), float(national)))  # P(X >= k)
        if p < alpha and (best is None or r["location quotient"] > best[1]):
            best = (str(case), float(r["location quotient"]))
    return best


def hub_shares(
    f: pd.DataFrame,
    hub_codes: Sequence[str],
    hub_provinces: Sequence[str],
    extra_province: str,
    centres: Sequence[tuple[float, float]],
    radius_km: float,
) -> dict[str, float | None]:
    """The share of filings "in and around the hubs" under each definition: hub cities, hub
    provinces, hub provinces plus one more, within ``radius_km`` of a hub centre. City-level
    definitions are None when most filings have no city (the generative-AI lists)."""
    city_ok = f["city_code"].notna().mean() > 0.5
    return {
        "hub_cities": share_in(f, "city_code", hub_codes) if city_ok else None,
        "hub_provinces_4": share_in(f, "province_code", hub_provinces),
        "hub_provinces_5": share_in(f, "province_code", [*hub_provinces, extra_province]),
        "hub_metro": share_within(f, centres, radius_km) if city_ok else None,
    }
