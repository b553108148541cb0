"""Cost of a training run on a given accelerator, and the domestic-vs-Nvidia penalty.

Formulas (all vectorise over numpy arrays, so Monte Carlo samples go through unchanged):

- chip-hours      H = C / (P · 10^12 · u · s · g · 3600)  C: training FLOP, P: peak dense BF16
                                                        TFLOPS, u: achieved utilisation (MFU,
                                                        of the BF16 peak), s: precision speed-up
                                                        (FP8 over BF16; 1 without native FP8),
                                                        g: goodput (share of cluster time not
                                                        lost to failures and restarts)
- energy (kWh)    E = H · W/1000 · PUE                   W: board power (watts)
- electricity     E · p                                  p: USD per kWh
- hardware, bought   H · (price · m) / (L · 8760 · f)    m: system-cost multiplier (server,
                                                        network per chip), L: lifetime years,
                                                        f: share of lifetime hours in use
- hardware, rented   H · r                               r: USD per chip-hour (power included)
- penalty ratios  domestic / Nvidia for chip-hours, energy and total cost.
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


def _rate(chip: Mapping):
    """Useful FLOP/s per chip (TFLOPS): peak x MFU x precision speed-up x goodput."""
    return chip["peak_tflops"] * chip["mfu"] * chip.get("speedup", 1.0) * chip.get("goodput", 1.0)


def penalty(
    training_flop, domestic: Mapping, nvidia: Mapping, econ_domestic: Mapping, econ_nvidia: Mapping
) -> dict:
    d = run_cost(training_flop, domestic, econ_domestic)
    n = run_cost(training_flop, nvidia, econ_nvidia)
    return {
        "chip_hour_ratio": d["chip_hours"] / n["chip_hours"],
        "effective_compute_ratio": _rate(nvidia) / _rate(domestic),
        "energy_ratio": d["energy_kwh"] / n["energy_kwh"],
        "cost_ratio": d["total_usd"] / n["total_usd"],
        "domestic": d,
        "nvidia": n,
    }


def breakeven_electricity(
    training_flop, domestic: Mapping, nvidia: Mapping, econ_domestic: Mapping, econ_nvidia: Mapping
) -> float | None:
    """China electricity price (USD/kWh) at which the domestic run costs the same as the
    Nvidia run (at its own electricity price). None when no non-negative price does it
    (the domestic hardware cost alone already exceeds the Nvidia total)."""
    n = run_cost(training_flop, nvidia, econ_nvidia)["total_usd"]
    d0 = run_cost(training_flop, domestic, {**econ_domestic, "electricity_usd_per_kwh": 0.0})
    if d0["energy_kwh"] <= 0:
        return None
    p = float((n - d0["hardware_usd"]) / d0["energy_kwh"])
    return p if p >= 0 else None


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


# ------------------------------------------------------------------ inputs from the assumptions


def central(ranges: Mapping[str, tuple[float, float, float]]) -> dict[str, float]:
    """The central value of each (low, central, high) range."""
    return {k: v[1] for k, v in ranges.items()}


ARCHITECTURES = ("dense", "moe")
PRECISIONS = ("bf16", "fp8")
ECON_KEYS = ("pue", "system_multiplier", "lifetime_years", "utilisation")


def flat_ranges(by_prefix: Mapping[str, Mapping[str, tuple[float, float, float]]]) -> dict:
    """``{prefix: {parameter: range}}`` -> one flat ``{prefix_parameter: range}`` dict, the input
    of :func:`monte_carlo` (prefix ``""`` for inputs without one, e.g. the economic inputs)."""
    out = {}
    for prefix, ranges in by_prefix.items():
        for k, v in ranges.items():
            out[f"{prefix}_{k}" if prefix else k] = v
    return out


def split_ranges(
    ranges: Mapping[str, tuple[float, float, float]],
    keys: tuple[str, ...],
    sides: tuple[str, str] = ("dom_", "nv_"),
) -> dict:
    """The same ranges with each of ``keys`` drawn separately for each side (``dom_pue``,
    ``nv_pue``) instead of once per sample for both: the independent-draws variant."""
    out = {k: v for k, v in ranges.items() if k not in keys}
    for k in keys:
        for side in sides:
            out[f"{side}{k}"] = ranges[k]
    return out


def precision_speedup(precision: str, fp8_gain, peak_bf16, peak_fp8=None):
    """Throughput gain of a run at ``precision`` over BF16 on one chip: 1 for BF16 or a chip
    without native FP8; otherwise the realised FP8 gain, capped at the datasheet ratio."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, not {precision!r}")
    if precision == "bf16" or peak_fp8 is None:
        return 1.0
    return np.minimum(fp8_gain, np.asarray(peak_fp8, float) / np.asarray(peak_bf16, float))


def nvidia_step_mfu(x: Mapping, architecture: str):
    """Nvidia BF16 step MFU by architecture. Dense: the measured value (Llama 3). MoE: the only
    published Nvidia MoE run is DeepSeek-V3 in FP8, whose wall-clock BF16-equivalent
    utilisation includes the goodput and the FP8 gain; both are divided out."""
    if architecture not in ARCHITECTURES:
        raise ValueError(f"architecture must be dense or moe, not {architecture!r}")
    if architecture == "dense":
        return x["nv_mfu_dense"]
    return x["nv_mfu_moe_bf16eq"] / (np.asarray(x["nv_goodput"]) * x["nv_fp8_gain"])


def nvidia_chip(x: Mapping, slug: str, architecture: str, precision: str) -> dict:
    """Inputs to :func:`run_cost` for an Nvidia chip (flat keys ``{slug}_peak_tflops`` ...)."""
    peak = x[f"{slug}_peak_tflops"]
    return {
        "peak_tflops": peak,
        "mfu": nvidia_step_mfu(x, architecture),
        "speedup": precision_speedup(
            precision, x["nv_fp8_gain"], peak, x.get(f"{slug}_peak_tflops_fp8")
        ),
        "goodput": x["nv_goodput"],
        "board_power_w": x[f"{slug}_board_power_w"],
        "unit_price_usd": x[f"{slug}_unit_price"],
    }


def ascend_chip(x: Mapping, slug: str, architecture: str) -> dict:
    """Inputs to :func:`run_cost` for an Ascend chip or system: BF16 only (no native FP8),
    the price times the supply shadow multiplier (1 unless the sample sets one)."""
    if architecture not in ARCHITECTURES:
        raise ValueError(f"architecture must be dense or moe, not {architecture!r}")
    return {
        "peak_tflops": x[f"{slug}_peak_tflops"],
        "mfu": x[f"asc_mfu_{architecture}"],
        "speedup": 1.0,
        "goodput": x["asc_goodput"],
        "board_power_w": x[f"{slug}_board_power_w"],
        "unit_price_usd": x[f"{slug}_unit_price"] * np.asarray(x.get("shadow_multiplier", 1.0)),
    }


def econ_inputs(values: Mapping, country: str, side: str = "", system: bool = False) -> dict:
    """Economic inputs to :func:`run_cost` for a country (``cn`` or ``us``). A side-specific
    key (``dom_pue``) wins over the shared one (``pue``); ``system``: the price is a whole
    system's, so the system multiplier is 1."""
    out = {k: values.get(f"{side}{k}", values.get(k)) for k in ECON_KEYS}
    out["electricity_usd_per_kwh"] = values[f"electricity_{country}_usd_per_kwh"]
    if system:
        out["system_multiplier"] = 1.0
    return out


def breakeven_prices(training_flop, domestic, nvidia, econ_domestic, econ_nvidia):
    """Vectorised :func:`breakeven_electricity`: NaN where no non-negative price breaks even."""
    n = run_cost(training_flop, nvidia, econ_nvidia)["total_usd"]
    d0 = run_cost(training_flop, domestic, {**econ_domestic, "electricity_usd_per_kwh": 0.0})
    p = (n - d0["hardware_usd"]) / d0["energy_kwh"]
    return np.where(p >= 0, p, np.nan)


def pair_model(
    training_flop: float,
    nvidia: str,
    architecture: str,
    precision: str,
    domestic: str = "dom",
    system: bool = False,
) -> Callable[[Mapping], dict]:
    """The penalty model on a flat input dict (scalars or sample arrays): the domestic chip
    (or system) in China against the Nvidia one in the US, every shared input (economics,
    MFU by architecture, goodput, FP8 gain) read from the same key for both sides."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, not {precision!r}")

    def model(x: Mapping) -> dict:
        d = ascend_chip(x, domestic, architecture)
        n = nvidia_chip(x, nvidia, architecture, precision)
        ed = econ_inputs(x, "cn", "dom_", system)
        en = econ_inputs(x, "us", "nv_", system)
        p = penalty(training_flop, d, n, ed, en)
        dd = p["domestic"]
        return {
            "chip_hour_ratio": p["chip_hour_ratio"],
            "energy_ratio": p["energy_ratio"],
            "cost_ratio": p["cost_ratio"],
            "domestic_usd": dd["total_usd"],
            "nvidia_usd": p["nvidia"]["total_usd"],
            "domestic_hours": dd["chip_hours"],
            "nvidia_hours": p["nvidia"]["chip_hours"],
            "hardware_share_domestic": dd["hardware_usd"] / dd["total_usd"],
            "breakeven_cn_usd_per_kwh": breakeven_prices(training_flop, d, n, ed, en),
        }

    return model


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
