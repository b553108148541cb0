"""The training-cost model against hand-computed cases and DeepSeek-V3's published figure."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cnai_helpers import curated
from cnai_helpers.analysis import compute as cm

CHIP = {"peak_tflops": 1000.0, "mfu": 0.5, "board_power_w": 700.0, "unit_price_usd": 8760.0}
ECON = {
    "pue": 1.5,
    "electricity_usd_per_kwh": 0.1,
    "system_multiplier": 1.0,
    "lifetime_years": 1.0,
    "utilisation": 1.0,
}


def test_hand_computed_run():
    # 3.6e18 FLOP at 1000 TFLOPS x 0.5 = 5e14 FLOP/s -> 7200 s = 2 chip-hours
    r = cm.run_cost(3.6e18, CHIP, ECON)
    assert r["chip_hours"] == pytest.approx(2.0)
    assert r["energy_kwh"] == pytest.approx(2 * 0.7 * 1.5)  # 2.1 kWh
    assert r["electricity_usd"] == pytest.approx(0.21)
    assert r["hardware_usd"] == pytest.approx(2.0)  # $8,760 over 8,760 h -> $1/h
    assert r["total_usd"] == pytest.approx(2.21)


def test_deepseek_v3_published_cost():
    # 2.788M H800 GPU-hours at $2/GPU-hour = $5.576M (DeepSeek-V3 technical report)
    assert cm.rental_cost(2.788e6, 2.0) == pytest.approx(5.576e6)
    # Epoch's 3.41e24 FLOP on 2.788M hours of a 989.4-TFLOPS chip: ~34% of BF16 peak
    assert cm.implied_mfu(3.4078e24, 2.788e6, 989.4) == pytest.approx(0.343, abs=0.002)


def test_penalty_ratios():
    dom = {**CHIP, "peak_tflops": 500.0, "mfu": 0.4, "board_power_w": 350.0}
    p = cm.penalty(3.6e18, dom, CHIP, ECON, ECON)
    assert p["chip_hour_ratio"] == pytest.approx((1000 * 0.5) / (500 * 0.4))  # 2.5
    assert p["effective_compute_ratio"] == pytest.approx(2.5)
    assert p["energy_ratio"] == pytest.approx(2.5 * 350 / 700)
    assert p["cost_ratio"] == pytest.approx(p["domestic"]["total_usd"] / p["nvidia"]["total_usd"])


def test_breakeven_electricity():
    # same chip, Nvidia pays 0.1/kWh: break-even at exactly 0.1
    assert cm.breakeven_electricity(3.6e18, CHIP, CHIP, ECON, ECON) == pytest.approx(0.1)
    # domestic hardware alone costs more than the whole Nvidia run: no break-even
    slow = {**CHIP, "mfu": 0.1}
    assert cm.breakeven_electricity(3.6e18, slow, CHIP, ECON, ECON) is None
    # cheaper domestic hardware: break-even above the Nvidia price
    cheap = {**CHIP, "unit_price_usd": 4380.0}
    assert cm.breakeven_electricity(3.6e18, cheap, CHIP, ECON, ECON) > 0.1


def test_monte_carlo_is_seeded_and_vectorised():
    ranges = {"a": (1.0, 2.0, 3.0), "b": (10.0, 10.0, 10.0)}

    def model(x):
        return {"y": np.asarray(x["a"]) * x["b"]}

    m1 = cm.monte_carlo(model, ranges, 1000, seed=7)
    m2 = cm.monte_carlo(model, ranges, 1000, seed=7)
    pd.testing.assert_frame_equal(m1, m2)
    assert not m1.equals(cm.monte_carlo(model, ranges, 1000, seed=8))
    assert m1["a"].between(1, 3).all() and (m1["b"] == 10).all()
    assert np.allclose(m1["y"], m1["a"] * 10)
    assert abs(m1["a"].mean() - 2.0) < 0.1
    with pytest.raises(ValueError):
        cm.monte_carlo(model, {"a": (3.0, 2.0, 1.0)}, 10, 0)


def test_tornado_orders_by_swing():
    ranges = {"big": (0.0, 1.0, 10.0), "small": (0.9, 1.0, 1.1)}
    t = cm.tornado(lambda x: {"y": x["big"] + x["small"]}, ranges, "y")
    assert list(t["input"]) == ["big", "small"]
    assert t.loc[0, "swing"] == pytest.approx(10.0)
    assert t.loc[0, "base"] == pytest.approx(2.0)


def test_curated_assumptions_load_and_convert(tmp_path):
    a = curated.load_compute_assumptions(fx_cny_per_usd=7.0)
    r = curated.chip_ranges(a, "Huawei Ascend 910B")
    assert r["unit_price"] == pytest.approx((90000 / 7, 105000 / 7, 120000 / 7))
    assert a["source_url"].str.startswith("http").all()
    with pytest.raises(curated.CuratedTableError, match="known"):
        curated.chip_ranges(a, "Imaginary X1")


def test_curated_assumptions_bad_row_named(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text(
        "chip,parameter,low,central,high,unit,currency,source_url,source_date,note\n"
        "A,mfu,0.5,0.4,0.6,fraction,,https://x,2025,\n"
    )
    with pytest.raises(curated.CuratedTableError, match=r"line 2 \(A mfu\).*low <= central"):
        curated.load_compute_assumptions(7.0, path=p)
    p.write_text(
        "chip,parameter,low,central,high,unit,currency,source_url,source_date,note\n"
        "A,mfu,x,0.4,0.6,fraction,,https://x,2025,\n"
    )
    with pytest.raises(curated.CuratedTableError, match=r"line 2 \(A mfu\): low must be a number"):
        curated.load_compute_assumptions(7.0, path=p)


def test_curated_row_without_source_is_named(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text(
        "chip,parameter,low,central,high,unit,currency,source_url,source_date,note\n"
        "A,mfu,0.3,0.4,0.6,fraction,,,2025,\n"
    )
    with pytest.raises(curated.CuratedTableError, match=r"c.csv line 2 \(A mfu\): no source_url"):
        curated.load_compute_assumptions(7.0, path=p)
