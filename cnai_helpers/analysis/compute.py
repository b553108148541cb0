"""Cost of a training run on a given accelerator, and the domestic-vs-Nvidia penalty.

Formulas (all vectorise over numpy arrays, so Monte Carlo samples go through unchanged):

- chip-hours      H = C / (P · 10^12 · u · 3600)       C: training FLOP, P: peak dense BF16
                                                        TFLOPS, u: achieved utilisation (MFU)
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


def chip_hours(training_flop, peak_tflops, mfu):
    return np.asarray(training_flop, float) / (
        np.asarray(peak_tflops, float) * 1e12 * np.asarray(mfu, float) * 3600.0
    )


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

    chip: peak_tflops, mfu, board_power_w, unit_price_usd; econ: pue,
    electricity_usd_per_kwh, system_multiplier, lifetime_years, utilisation."""
    h = chip_hours(training_flop, chip["peak_tflops"], chip["mfu"])
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


def penalty(
    training_flop, domestic: Mapping, nvidia: Mapping, econ_domestic: Mapping, econ_nvidia: Mapping
) -> dict:
    d = run_cost(training_flop, domestic, econ_domestic)
    n = run_cost(training_flop, nvidia, econ_nvidia)
    return {
        "chip_hour_ratio": d["chip_hours"] / n["chip_hours"],
        "effective_compute_ratio": (nvidia["peak_tflops"] * nvidia["mfu"])
        / (domestic["peak_tflops"] * domestic["mfu"]),
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


def chip_inputs(values: Mapping, prefix: str = "") -> dict:
    """A chip's inputs to :func:`run_cost` from assumption values (optionally prefixed, as in
    the Monte Carlo's flat sample dict: ``dom_peak_tflops``)."""
    return {
        "peak_tflops": values[f"{prefix}peak_tflops"],
        "mfu": values[f"{prefix}mfu"],
        "board_power_w": values[f"{prefix}board_power_w"],
        "unit_price_usd": values[f"{prefix}unit_price"],
    }


def econ_inputs(values: Mapping, country: str) -> dict:
    """Economic inputs to :func:`run_cost` for a country (``cn`` or ``us``)."""
    return {
        "pue": values["pue"],
        "electricity_usd_per_kwh": values[f"electricity_{country}_usd_per_kwh"],
        "system_multiplier": values["system_multiplier"],
        "lifetime_years": values["lifetime_years"],
        "utilisation": values["utilisation"],
    }


def sample_ranges(dom: Mapping, nv: Mapping, econ: Mapping) -> dict:
    """One flat dict of input ranges for :func:`monte_carlo` and :func:`tornado`: the domestic
    chip's (``dom_``), the Nvidia chip's (``nv_``) and the shared economic inputs. Rental prices
    are left out: the model prices bought hardware."""
    out = {f"dom_{k}": v for k, v in dom.items() if k != "rental_usd_per_chip_hour"}
    out |= {f"nv_{k}": v for k, v in nv.items() if k != "rental_usd_per_chip_hour"}
    return out | dict(econ)


def pair_model(training_flop: float) -> Callable[[Mapping], dict]:
    """The penalty model on a flat input dict (scalars or sample arrays): the domestic chip in
    China against the Nvidia chip in the US."""

    def model(x: Mapping) -> dict:
        p = penalty(
            training_flop,
            chip_inputs(x, "dom_"),
            chip_inputs(x, "nv_"),
            econ_inputs(x, "cn"),
            econ_inputs(x, "us"),
        )
        return {
            "chip_hour_ratio": p["chip_hour_ratio"],
            "energy_ratio": p["energy_ratio"],
            "cost_ratio": p["cost_ratio"],
            "domestic_usd": p["domestic"]["total_usd"],
            "nvidia_usd": p["nvidia"]["total_usd"],
        }

    return model


def centred(rng: tuple[float, float, float], value: float) -> tuple[float, float, float]:
    """A (low, central, high) range re-centred on a chosen central value, widened to include it."""
    lo, _, hi = rng
    return (min(lo, value), value, max(hi, value))
