"""Cost of a training run on a given accelerator, and the domestic-vs-Nvidia penalty.

One FLOP accounting for every published run, both sides (:func:`recompute_runs`): training FLOP
= 6 x active parameters x training tokens (attention's sequence term not counted); utilisation =
that FLOP / (chip-seconds x dense BF16 peak), the chip-seconds from the run's stated GPU-hours
(wall-clock) or chips and throughput (step). The source's own MFU is never used.

The model (all functions vectorise over numpy arrays, so Monte Carlo samples go through):

- useful TFLOPS   Nvidia: peak x utilisation calibrated on runs of the same chip, architecture
                  and precision (:func:`calibration_class`) x exp(between-run spread draw);
                  Ascend: own peak x (the Ascend run's TFLOPS per NPU / that NPU's peak) x goodput
                  x exp(spread draw)
- chip-hours      H = C / (useful TFLOPS x 10^12 x 3600)
- energy (kWh)    E = H x W/1000 x PUE       W: per chip with its server (system figure, else
                                             board + server overhead)
- hardware        H x price / (L x 8760 x f)  price per chip with its server, in the market
                                             (China, or US list x system multiplier)
- ratios          domestic / Nvidia for chip-hours, energy and total cost.

Validation: :func:`leave_one_out` predicts each run from the others; :func:`model_free_ratio`
compares active-parameter-weighted tokens/s per chip without peaks or utilisation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

HOURS_PER_YEAR = 8760.0


def chip_hours(training_flop, peak_tflops, mfu, speedup=1.0, goodput=1.0):
    rate = np.asarray(peak_tflops, float) * 1e12 * np.asarray(mfu, float)
    return np.asarray(training_flop, float) / (rate * speedup * goodput * 3600.0)


def energy_kwh(hours, board_power_w, pue):
    return np.asarray(hours, float) * np.asarray(board_power_w, float) / 1000.0 * pue


def hardware_cost_per_chip_hour(unit_price_usd, system_multiplier, lifetime_years, utilisation):
    return (
        np.asarray(unit_price_usd, float)
        * system_multiplier
        / (np.asarray(lifetime_years, float) * HOURS_PER_YEAR * utilisation)
    )


def run_cost(training_flop, chip: Mapping, econ: Mapping) -> dict:
    """Cost of one training run on one accelerator bought and run by the trainer.

    chip: peak_tflops, mfu, board_power_w, unit_price_usd and optionally speedup (precision)
    and goodput (both default 1); econ: pue, electricity_usd_per_kwh, system_multiplier,
    lifetime_years, utilisation."""
    h = chip_hours(
        training_flop,
        chip["peak_tflops"],
        chip["mfu"],
        chip.get("speedup", 1.0),
        chip.get("goodput", 1.0),
    )
    e = energy_kwh(h, chip["board_power_w"], econ["pue"])
    elec = e * econ["electricity_usd_per_kwh"]
    hw = h * hardware_cost_per_chip_hour(
        chip["unit_price_usd"],
        econ["system_multiplier"],
        econ["lifetime_years"],
        econ["utilisation"],
    )
    return {
        "chip_hours": h,
        "energy_kwh": e,
        "electricity_usd": elec,
        "hardware_usd": hw,
        "total_usd": hw + elec,
    }


def rental_cost(hours, usd_per_chip_hour):
    """Rental-equivalent cost, as DeepSeek reports it (power included in the rate)."""
    return np.asarray(hours, float) * usd_per_chip_hour


def implied_mfu(training_flop, hours, peak_tflops):
    """Utilisation implied by a published run: C / (H · P · 3600)."""
    return training_flop / (hours * peak_tflops * 1e12 * 3600.0)


# ------------------------------------------------------------------ uncertainty


def triangular(rng: np.random.Generator, low: float, mode: float, high: float, n: int):
    if high < low or not (low <= mode <= high):
        raise ValueError(f"bad range low={low} mode={mode} high={high}")
    if high == low:
        return np.full(n, float(low))
    return rng.triangular(low, mode, high, n)


def monte_carlo(
    model: Callable[[dict], dict],
    ranges: Mapping[str, tuple[float, float, float]],
    n: int,
    seed: int,
) -> pd.DataFrame:
    """Sample every input from a triangular(low, central, high) distribution with a seeded
    generator (same seed, same numbers) and evaluate ``model`` on the arrays."""
    rng = np.random.default_rng(seed)
    samples = {k: triangular(rng, *v, n) for k, v in ranges.items()}
    out = model(samples)
    return pd.DataFrame({**samples, **{k: np.broadcast_to(v, n) for k, v in out.items()}})


def tornado(
    model: Callable[[dict], dict], ranges: Mapping[str, tuple[float, float, float]], output: str
) -> pd.DataFrame:
    """One-at-a-time sensitivity: ``output`` with each input at its low and high value, the
    others at their central value; sorted by swing."""
    central = {k: v[1] for k, v in ranges.items()}
    base = float(model(central)[output])
    rows = []
    for k, (lo, _, hi) in ranges.items():
        at_lo = float(model({**central, k: lo})[output])
        at_hi = float(model({**central, k: hi})[output])
        rows.append(
            {
                "input": k,
                "at_low": at_lo,
                "at_high": at_hi,
                "swing": abs(at_hi - at_lo),
                "base": base,
            }
        )
    return pd.DataFrame(rows).sort_values("swing", ascending=False, ignore_index=True)


def central(ranges: Mapping[str, tuple[float, float, float]]) -> dict[str, float]:
    """The central value of each (low, central, high) range."""
    return {k: v[1] for k, v in ranges.items()}


def flat_ranges(by_prefix: Mapping[str, Mapping[str, tuple[float, float, float]]]) -> dict:
    """``{prefix: {parameter: range}}`` -> one flat ``{prefix_parameter: range}`` dict, the input
    of :func:`monte_carlo` (prefix ``""`` for inputs without one, e.g. the economic inputs)."""
    out = {}
    for prefix, ranges in by_prefix.items():
        for k, v in ranges.items():
            out[f"{prefix}_{k}" if prefix else k] = v
    return out


# ------------------------------------------------------------------ published runs, one accounting

ARCHITECTURES = ("dense", "moe")
PRECISIONS = ("bf16", "fp8")
FLOP_PER_PARAM_TOKEN = 6.0
"""The one accounting: 6 FLOP per active parameter per training token (forward and backward
passes of the weight matrices); attention's sequence-length term is not counted, on either side."""
FRONTIER_ACTIVE_PARAMS = 15e9
"""Runs with fewer active parameters are listed but not used to calibrate (below frontier scale)."""


def training_flop(active_params, tokens):
    """6 x N_active x D."""
    return FLOP_PER_PARAM_TOKEN * np.asarray(active_params, float) * np.asarray(tokens, float)


def _num(v) -> float:
    return float(v) if v is not None and not pd.isna(v) else float("nan")


def tokens_per_chip_second(run: Mapping) -> tuple[float, str]:
    """Tokens per accelerator-second from what a run's source states, and the basis: ``wall``
    (GPU-hours or wall-clock days: time lost to failures included) or ``step`` (a throughput:
    time lost to failures not included). NaN and ``none`` when neither is stated."""
    tokens, chips = _num(run.get("training_tokens")), _num(run.get("chips"))
    hours, days, tps = (
        _num(run.get("gpu_hours")),
        _num(run.get("wall_days")),
        _num(run.get("tokens_per_s")),
    )
    if np.isfinite(hours) and np.isfinite(tokens) and hours > 0:
        return tokens / (hours * 3600.0), "wall"
    if np.isfinite(days) and np.isfinite(chips) and np.isfinite(tokens) and days > 0:
        return tokens / (chips * days * 86400.0), "wall"
    if np.isfinite(tps) and np.isfinite(chips) and chips > 0:
        return tps / chips, "step"
    return float("nan"), "none"


def recompute_runs(runs: pd.DataFrame, peaks: Mapping[str, float]) -> pd.DataFrame:
    """Every published run under the one accounting: tokens per chip-second, FLOP per
    chip-second (6 x N_active per token) and the utilisation of the chip's dense BF16 peak
    (``peaks``: chip -> TFLOPS). An FP8 run's utilisation is of the BF16 peak (BF16-equivalent),
    so it includes the FP8 gain. The source's own MFU is never used."""
    missing = sorted(set(runs["chip"]) - set(peaks))
    if missing:
        raise KeyError(f"no dense BF16 peak for chip(s) {missing}")
    out = runs.copy()
    tpcs = [tokens_per_chip_second(r) for r in runs.to_dict("records")]
    out["tokens_per_chip_s"] = [t for t, _ in tpcs]
    out["basis"] = [b for _, b in tpcs]
    out["peak_tflops"] = out["chip"].map(peaks).astype(float)
    out["tflops_per_chip"] = (
        FLOP_PER_PARAM_TOKEN * out["active_params"] * out["tokens_per_chip_s"] / 1e12
    )
    out["mfu"] = out["tflops_per_chip"] / out["peak_tflops"]
    out["frontier"] = out["active_params"] >= FRONTIER_ACTIVE_PARAMS
    return out


def wall_mfu(rec: pd.DataFrame, goodput) -> pd.Series:
    """Utilisation on the wall-clock basis: a step throughput times the goodput (share of
    cluster time not lost to failures); GPU-hours and wall time already include it."""
    g = np.where(rec["basis"] == "step", goodput, 1.0)
    return rec["mfu"] * g


def calibration_class(rec: pd.DataFrame, chip: str, family: str, architecture: str, precision: str):
    """The runs that calibrate a (chip, architecture, precision): frontier-scale runs with a
    recomputed utilisation on the same chip, architecture and precision; failing that the same
    chip family; failing that the same family and architecture in any precision; failing that
    any family with the same architecture. Returns (runs, level)."""
    ok = rec[rec["frontier"] & rec["mfu"].notna()]
    tries = (
        (
            "same chip",
            (ok["chip"] == chip)
            & (ok["architecture"] == architecture)
            & (ok["precision"] == precision),
        ),
        (
            "same family",
            (ok["chip_family"] == family)
            & (ok["architecture"] == architecture)
            & (ok["precision"] == precision),
        ),
        (
            "same family, any precision",
            (ok["chip_family"] == family) & (ok["architecture"] == architecture),
        ),
        ("other families", ok["architecture"] == architecture),
    )
    for level, mask in tries:
        if mask.any():
            return ok[mask], level
    return ok.iloc[0:0], "none"


def geometric_mean(x) -> float:
    x = np.asarray(x, float)
    return float(np.exp(np.mean(np.log(x)))) if len(x) else float("nan")


def pooled_log_sd(values: pd.Series, groups: pd.Series, min_group: int = 2) -> tuple[float, int]:
    """Spread of log utilisation between runs of the same class: the pooled within-group standard
    deviation over groups with at least ``min_group`` runs (degrees of freedom n - groups).
    Returns (sd, degrees of freedom)."""
    df = pd.DataFrame({"v": np.log(np.asarray(values, float)), "g": list(groups)})
    ss, dof = 0.0, 0
    for _, g in df.groupby("g"):
        if len(g) >= min_group:
            ss += float(((g["v"] - g["v"].mean()) ** 2).sum())
            dof += len(g) - 1
    if dof == 0:
        raise ValueError("no group has two runs: the spread between runs cannot be estimated")
    return float(np.sqrt(ss / dof)), dof


def leave_one_out(rec: pd.DataFrame, goodput: float) -> pd.DataFrame:
    """Each frontier-scale run with a recomputed utilisation held out in turn: its utilisation is
    predicted from the others (geometric mean of :func:`calibration_class` without it, on the
    wall-clock basis, converted to the held-out run's basis), and its GPU-hours (a run with
    stated hours) or throughput (a run with a stated throughput) predicted from that. The error
    is predicted / published - 1."""
    ok = rec[rec["frontier"] & rec["mfu"].notna()].copy()
    ok["wall_mfu"] = wall_mfu(ok, goodput)
    rows = []
    for i, r in ok.iterrows():
        rest = ok.drop(index=i)
        cal, level = calibration_class(
            rest, r["chip"], r["chip_family"], r["architecture"], r["precision"]
        )
        if cal.empty:
            continue
        pred_wall = geometric_mean(cal["wall_mfu"])
        pred = pred_wall / (goodput if r["basis"] == "step" else 1.0)
        if r["basis"] == "step":  # throughput scales with utilisation
            what, err = "throughput", pred / r["mfu"] - 1
        else:  # hours scale with 1 / utilisation
            what, err = "GPU-hours", r["mfu"] / pred - 1
        rows.append(
            {
                "run": r["run"],
                "chip": r["chip"],
                "architecture": r["architecture"],
                "precision": r["precision"],
                "predicted": what,
                "calibrated on": level,
                "calibration runs": ", ".join(cal["run"]),
                "published utilisation": float(r["mfu"]),
                "predicted utilisation": float(pred),
                "error": float(err),
            }
        )
    return pd.DataFrame(rows)


def model_free_ratio(
    nvidia_run: Mapping, domestic_run: Mapping, dies_per_chip: float = 1.0
) -> float:
    """Chip-hours ratio without peaks or utilisation: (tokens/s per Nvidia chip x its active
    parameters) / (tokens/s per domestic die x dies per chip x its active parameters): the
    active-parameter-weighted throughput of one chip of each, from their published runs."""
    tn, _ = tokens_per_chip_second(nvidia_run)
    td, _ = tokens_per_chip_second(domestic_run)
    return (tn * float(nvidia_run["active_params"])) / (
        td * dies_per_chip * float(domestic_run["active_params"])
    )


def lognormal_interval(value: float, log_sd: float, q: tuple[float, float] = (0.025, 0.975)):
    """(low, high) of a ratio whose logarithm has standard deviation ``log_sd``."""
    from scipy.stats import norm

    return tuple(float(value * np.exp(norm.ppf(p) * log_sd)) for p in q)


# ------------------------------------------------------------------ the chip-hours and cost model


def nvidia_rate(x: Mapping, slug: str, architecture: str, precision: str):
    """Useful TFLOPS per Nvidia chip (6 x N x D accounting, wall-clock): dense BF16 peak x the
    utilisation calibrated on published runs (``u_{slug}_{architecture}_{precision}``) x the
    between-run spread draw (``nv_eps``, 0 at central values)."""
    _check(architecture, precision)
    u = np.asarray(x[f"u_{slug}_{architecture}_{precision}"], float)
    return (
        np.asarray(x[f"{slug}_peak_tflops"], float) * u * np.exp(np.asarray(x.get("nv_eps", 0.0)))
    )


def ascend_rate(x: Mapping, slug: str, architecture: str):
    """Useful TFLOPS per Ascend chip: its own dense BF16 peak x the utilisation per die of the
    published Ascend run (the run's delivered TFLOPS per NPU / the peak of the run's 910B-class
    NPU, ``run_peak_tflops``) x the goodput (the run's figure is a step throughput) x the
    between-run spread draw (``dom_eps``). No FP8 on Ascend."""
    _check(architecture, "bf16")
    u = np.asarray(x[f"asc_tflops_{architecture}"], float) / np.asarray(x["run_peak_tflops"], float)
    return (
        np.asarray(x[f"{slug}_peak_tflops"], float)
        * u
        * np.asarray(x["goodput"], float)
        * np.exp(np.asarray(x.get("dom_eps", 0.0)))
    )


def _check(architecture: str, precision: str) -> None:
    if architecture not in ARCHITECTURES:
        raise ValueError(f"architecture must be dense or moe, not {architecture!r}")
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, not {precision!r}")


def power_w(x: Mapping, slug: str):
    """Watts per chip with its share of server and network: the system figure where one is
    sourced (``{slug}_system_power_w``), else board power + the per-chip server overhead."""
    if f"{slug}_system_power_w" in x:
        return np.asarray(x[f"{slug}_system_power_w"], float)
    return np.asarray(x[f"{slug}_board_power_w"], float) + np.asarray(x["server_overhead_w"], float)


def price_usd(x: Mapping, slug: str, market: str):
    """Price of one chip with its share of the server (USD): the price in ``market`` (``cn``:
    ``{slug}_system_price_cn``, already per chip with the server) where sourced, else the card
    price x the system multiplier."""
    if market == "cn" and f"{slug}_system_price_cn" in x:
        p = np.asarray(x[f"{slug}_system_price_cn"], float)
    else:
        p = np.asarray(x[f"{slug}_unit_price"], float) * np.asarray(x["system_multiplier"], float)
    return p


def hardware_per_hour(x: Mapping, slug: str, market: str):
    return price_usd(x, slug, market) / (
        np.asarray(x["lifetime_years"], float)
        * HOURS_PER_YEAR
        * np.asarray(x["utilisation"], float)
    )


def pair_model(
    training_flop_: float,
    nvidia: str,
    architecture: str,
    precision: str,
    domestic: str = "c910",
    nvidia_market: str = "cn",
) -> Callable[[Mapping], dict]:
    """The penalty model on a flat input dict (scalars or sample arrays): a Chinese developer
    training on the domestic chip or on the Nvidia chip, both bought and powered in China
    (``nvidia_market="us"``: the Nvidia run at US prices and US power, a sensitivity). Every
    shared input (economics, PUE) is one key for both sides."""
    _check(architecture, precision)
    if nvidia_market not in ("cn", "us"):
        raise ValueError(f"market must be cn or us, not {nvidia_market!r}")

    def model(x: Mapping) -> dict:
        rd = ascend_rate(x, domestic, architecture)
        rn = nvidia_rate(x, nvidia, architecture, precision)
        hd = training_flop_ / (rd * 1e12 * 3600.0)
        hn = training_flop_ / (rn * 1e12 * 3600.0)
        ed = hd * power_w(x, domestic) / 1000.0 * np.asarray(x["pue"], float)
        en = hn * power_w(x, nvidia) / 1000.0 * np.asarray(x["pue"], float)
        pd_ = np.asarray(x["electricity_cn_usd_per_kwh"], float)
        pn = np.asarray(x[f"electricity_{nvidia_market}_usd_per_kwh"], float)
        hw_d = (
            hd * hardware_per_hour(x, domestic, "cn") * np.asarray(x.get("shadow_multiplier", 1.0))
        )
        hw_n = hn * hardware_per_hour(x, nvidia, nvidia_market)
        cd, cn = hw_d + ed * pd_, hw_n + en * pn
        be = (cn - hw_d) / ed
        return {
            "chip_hour_ratio": hd / hn,
            "energy_ratio": ed / en,
            "cost_ratio": cd / cn,
            "domestic_usd": cd,
            "nvidia_usd": cn,
            "domestic_hours": hd,
            "nvidia_hours": hn,
            "hardware_share_domestic": hw_d / cd,
            "breakeven_cn_usd_per_kwh": np.where(be >= 0, be, np.nan),
        }

    return model


def status_of_samples(ratio_samples: np.ndarray, status_of) -> str:
    """The status the one rule gives a sample of ratios (2.5th–97.5th percentile interval)."""
    lo, mid, hi = np.quantile(ratio_samples, [0.025, 0.5, 0.975])
    return status_of(float(mid), float(lo), float(hi))


def seed_stability(
    sample_ratio: Callable[[int, int], np.ndarray], status_of, seeds, n: int, reference: str
) -> float:
    """Share of ``seeds`` whose Monte Carlo (``sample_ratio(seed, n)`` -> ratio samples) gives
    the ``reference`` status under ``status_of(median, low, high)``."""
    same = [status_of_samples(sample_ratio(int(s), n), status_of) == reference for s in seeds]
    return float(np.mean(same))


def choices(
    model: Callable[[Mapping], dict],
    base: Mapping[str, float],
    alternatives: list[tuple[str, str, float]],
    outputs: tuple[str, ...],
) -> pd.DataFrame:
    """Outcomes under each defensible choice: ``(input, label, value)`` replaces one input of
    the ``base`` (central) values at a time; the first row is the base."""
    rows = [{"input": "(all central)", "choice": "central values", "value": np.nan}]
    rows[0] |= {o: float(np.asarray(model(base)[o])) for o in outputs}
    for name, label, value in alternatives:
        out = model({**base, name: value})
        rows.append(
            {"input": name, "choice": label, "value": float(value)}
            | {o: float(np.asarray(out[o])) for o in outputs}
        )
    return pd.DataFrame(rows)


def shadow_multiplier(yield_now, yield_mature):
    """Effective price over list when the list price reflects a mature yield but only
    ``yield_now`` of the dies are good: cost per good die scales as 1 / yield."""
    return np.asarray(yield_mature, float) / np.asarray(yield_now, float)


def tokens_per_second(n_chips, peak_tflops, mfu, active_params):
    """Training throughput predicted from chips, peak and MFU at 6 FLOP per active parameter
    per token."""
    return n_chips * np.asarray(peak_tflops, float) * 1e12 * mfu / (6.0 * active_params)


def mfu_for_throughput(tokens_s, n_chips, peak_tflops, active_params):
    """The MFU at which :func:`tokens_per_second` equals a published throughput."""
    return tokens_s * 6.0 * active_params / (n_chips * np.asarray(peak_tflops, float) * 1e12)


def centred(rng: tuple[float, float, float], value: float) -> tuple[float, float, float]:
    """A (low, central, high) range re-centred on a chosen central value, widened to include it."""
    lo, _, hi = rng
    return (min(lo, value), value, max(hi, value))


def draw(ranges: Mapping[str, tuple[float, float, float]], n: int, seed: int) -> dict:
    """One seeded triangular draw of every input (as :func:`monte_carlo`), as arrays: every
    model evaluated on the result shares the same draw of each input."""
    df = monte_carlo(lambda x: {}, ranges, n, seed)
    return {k: df[k].to_numpy() for k in ranges}


def plain_number(v) -> str:
    """A number for a table cell without e-notation: 25,000 / 989.4 / 0.0713."""
    if isinstance(v, str) or v is None or (isinstance(v, float) and np.isnan(v)):
        return "–" if v is None or not isinstance(v, str) else v
    v = float(v)
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:.4g}" if abs(v) >= 1e-4 or v == 0 else f"{v:.2e}"


# ------------------------------------------------------------------ the report's inputs

NVIDIA_SLUGS = {
    "h20": "Nvidia H20",
    "h800": "Nvidia H800",
    "h100": "Nvidia H100 SXM",
    "b200": "Nvidia B200",
}


def utilisation_inputs(rec: pd.DataFrame, goodput: float, fp8_gain: float) -> tuple[dict, dict]:
    """The calibrated utilisations the model reads: ``u_{slug}_{arch}_{prec}`` per Nvidia chip
    (wall-clock geometric mean of :func:`calibration_class`; the H100's MoE from the H800 runs,
    scaled later by the interconnect gain; an FP8 class without an FP8 run: the BF16 class x the
    realised FP8 gain; no published Blackwell or H20 run: the Hopper family's) and
    ``asc_tflops_{arch}`` (the Ascend MoE run's delivered TFLOPS per NPU; dense: scaled by the
    H800 dense / MoE ratio, an assumption). Also returns which runs calibrate each."""
    out, used = {}, {}
    for slug, chip in NVIDIA_SLUGS.items():
        for arch in ARCHITECTURES:
            for prec in PRECISIONS:
                lookup = "Nvidia H800" if (slug == "h100" and arch == "moe") else chip
                cal, level = calibration_class(rec, lookup, "Nvidia Hopper", arch, prec)
                u = geometric_mean(wall_mfu(cal, goodput))
                if prec == "fp8" and not (cal["precision"] == "fp8").any():
                    u *= fp8_gain
                out[f"u_{slug}_{arch}_{prec}"] = u
                used[(slug, arch, prec)] = (", ".join(cal["run"]), level)
    asc = rec[(rec["chip_family"] == "Huawei Ascend") & rec["mfu"].notna()]
    moe = asc[asc["architecture"] == "moe"]
    if moe.empty:
        raise ValueError("no Ascend mixture-of-experts run with a recomputable utilisation")
    out["asc_tflops_moe"] = float(moe["tflops_per_chip"].iloc[0])
    out["asc_tflops_dense"] = (
        out["asc_tflops_moe"] * out["u_h800_dense_bf16"] / out["u_h800_moe_bf16"]
    )
    return out, used


def with_utilisation(x: Mapping, u: Mapping) -> dict:
    """Sampled (or central) inputs plus the calibrated utilisations; the H100's MoE
    utilisation is the H800's x ``h100_moe_interconnect_gain``."""
    y = {**x, **u}
    for prec in PRECISIONS:
        y[f"u_h100_moe_{prec}"] = u[f"u_h100_moe_{prec}"] * np.asarray(
            x["h100_moe_interconnect_gain"]
        )
    return y


def sample_inputs(ranges: Mapping, u: Mapping, log_sd: float, seed: int, n: int) -> dict:
    """One seeded draw: every range triangular; the 910B's own peak is the published run's
    (one draw, ``run_peak_tflops``); each side's between-run spread a normal draw in logs
    (``nv_eps``, ``dom_eps``, standard deviation ``log_sd``), independent of each other."""
    s = draw(ranges, n, seed)
    s["b910_peak_tflops"] = s["run_peak_tflops"]
    rng = np.random.default_rng([seed, 1])
    s["nv_eps"], s["dom_eps"] = rng.normal(0, log_sd, n), rng.normal(0, log_sd, n)
    return with_utilisation(s, u)


SHORT = {"bf16": "BF16", "fp8": "FP8", "dense": "dense", "moe": "MoE"}


def short_name(chip: str) -> str:
    """``Nvidia H100 SXM`` -> ``H100``; ``Huawei Ascend 910C`` -> ``910C``."""
    return chip.replace("Nvidia ", "").replace("Huawei Ascend ", "").replace(" SXM", "")


def comparison_name(domestic: str, nvidia: str, architecture: str, precision: str) -> str:
    """The definition string of a comparison, as the claim's reading writes it:
    ``910C vs H800 FP8 MoE``."""
    return (
        f"{short_name(domestic)} vs {short_name(nvidia)} {SHORT[precision]} {SHORT[architecture]}"
    )


def band_status(band: tuple[float | None, float | None]) -> Callable[[float, float, float], str]:
    """The one decision rule (:func:`cnai_helpers.evidence.decide`) for a fixed band, as a
    function of (estimate, low, high)."""
    from cnai_helpers import evidence

    return lambda est, lo, hi: evidence.decide(est, lo, hi, *band)


def judge_comparison(
    claim: str,
    training_flop_: float,
    key: tuple[str, str, str, str],
    chips: Mapping[str, str],
    samples: Mapping,
    figure: str,
):
    """The chip-hours ratio of one comparison ``(domestic slug, nvidia slug, architecture,
    precision)`` over the samples, judged against the claim's reading (median, 2.5th–97.5th
    percentile); the reading decides whether it is the primary comparison or a sensitivity.
    Returns (verdict, ratio samples)."""
    from cnai_helpers import evidence

    dom, nv, arch, prec = key
    r = np.asarray(
        pair_model(training_flop_, nv, arch, prec, domestic=dom)(samples)["chip_hour_ratio"]
    )
    lo, mid, hi = np.quantile(r, [0.025, 0.5, 0.975])
    name = comparison_name(chips[dom], chips[nv], arch, prec)
    v = evidence.judge(
        claim,
        float(mid),
        (float(lo), float(hi)),
        figure=figure,
        definition=name,
        kind="ratio",
        what=f"the chip-hours ratio, {name}",
        interval_kind="2.5th–97.5th percentile of the samples",
    )
    return v, r


def figure_key(key: tuple[str, str, str, str], primary: tuple[str, str, str, str]) -> str:
    """results key of a comparison's median: the reading's primary figure for the primary
    comparison, ``chip_hour_ratio_{dom}_vs_{nv}_{arch}_{prec}_p50`` otherwise."""
    return (
        "chip_hour_ratio_primary_p50"
        if tuple(key) == tuple(primary)
        else "chip_hour_ratio_{}_vs_{}_{}_{}_p50".format(*key)
    )
