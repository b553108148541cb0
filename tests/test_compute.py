"""The training-cost model against hand-computed cases and DeepSeek-V3's published figure."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cnai_helpers import curated
from cnai_helpers.analysis import compute as cm

HEAD = "chip,parameter,low,central,high,unit,currency,tier,role,source_url,source_date,note\n"
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


def test_implied_mfu_of_a_published_run():
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
    # central from the secondary source (Reuters), range widened to the broker note's 90k
    assert r["unit_price"] == pytest.approx((90000 / 7, 120000 / 7, 120000 / 7))
    with pytest.raises(curated.CuratedTableError, match="known"):
        curated.chip_ranges(a, "Imaginary X1")


def test_curated_assumptions_bad_row_named(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text(HEAD + "A,mfu,0.5,0.4,0.6,fraction,,primary,central,https://x,2025,\n")
    with pytest.raises(curated.CuratedTableError, match=r"line 2 \(A mfu\).*low <= central"):
        curated.load_compute_assumptions(7.0, path=p)
    p.write_text(HEAD + "A,mfu,x,0.4,0.6,fraction,,primary,central,https://x,2025,\n")
    with pytest.raises(curated.CuratedTableError, match="low must be a number"):
        curated.load_compute_assumptions(7.0, path=p)


def test_curated_row_without_source_is_named(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text(HEAD + "A,mfu,0.3,0.4,0.6,fraction,,primary,central,,2025,\n")
    with pytest.raises(
        curated.CuratedTableError, match=r"c.csv line 2 \(A mfu central\): no source_url"
    ):
        curated.load_compute_assumptions(7.0, path=p)


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("A,mfu,0.3,0.4,0.6,fraction,,tertiary,central,https://x,2025,\n", "tertiary source alone"),
        (
            "A,mfu,0.3,0.4,0.6,fraction,,blog,central,https://x,2025,\n",
            "tier must be one of .*got 'blog'",
        ),
        (
            "A,mfu,0.3,0.4,0.6,fraction,,primary,main,https://x,2025,\n",
            "role must be one of .*got 'main'",
        ),
        (
            "A,mfu,0.3,0.4,0.6,fraction,,primary,central,https://x,2025,\n"
            "A,mfu,0.3,0.5,0.6,fraction,,secondary,central,https://y,2025,\n",
            "A mfu has 2 rows with role 'central'",
        ),
        ("A,mfu,0.3,0.4,0.6,fraction,,secondary,alternative,https://x,2025,\n", "has 0 rows"),
    ],
)
def test_curated_assumptions_refuse_bad_tiers_and_roles(tmp_path, rows, message):
    p = tmp_path / "c.csv"
    p.write_text(HEAD + rows)
    with pytest.raises(curated.CuratedTableError, match=message):
        curated.load_compute_assumptions(7.0, path=p)


def test_chip_ranges_widen_to_every_source(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text(
        HEAD + "A,mfu,0.3,0.35,0.4,fraction,,primary,central,https://x,2025,\n"
        "A,mfu,0.18,0.18,0.18,fraction,,derived,alternative,https://y,2025,\n"
        "A,mfu,0.41,0.41,0.41,fraction,,tertiary,alternative,https://z,2025,\n"
    )
    r = curated.chip_ranges(curated.load_compute_assumptions(7.0, path=p), "A")
    assert r["mfu"] == pytest.approx((0.18, 0.35, 0.41))


# ------------------------------------------------------------------ scenarios, hand-computed

# a flat input dict as the report builds it: one domestic chip ("dom"), one Nvidia chip ("nv1"),
# vendor-wide MFU/goodput/FP8 gain, shared economics
FLAT = {
    "dom_peak_tflops": 500.0,
    "dom_board_power_w": 350.0,
    "dom_unit_price": 8760.0,
    "nv1_peak_tflops": 1000.0,
    "nv1_peak_tflops_fp8": 2000.0,
    "nv1_board_power_w": 700.0,
    "nv1_unit_price": 8760.0,
    "nv_mfu_dense": 0.5,
    "nv_mfu_moe_bf16eq": 0.36,
    "nv_fp8_gain": 1.5,
    "nv_goodput": 0.8,
    "asc_mfu_dense": 0.4,
    "asc_mfu_moe": 0.3,
    "asc_goodput": 0.5,
    "pue": 1.5,
    "system_multiplier": 1.0,
    "lifetime_years": 1.0,
    "utilisation": 1.0,
    "electricity_cn_usd_per_kwh": 0.1,
    "electricity_us_usd_per_kwh": 0.1,
}


def test_fp8_vs_bf16_hand_computed():
    # realised gain 1.5 on an FP8 chip; capped at the datasheet ratio 2; 1 without FP8
    assert cm.precision_speedup("bf16", 1.5, 1000, 2000) == 1.0
    assert cm.precision_speedup("fp8", 1.5, 1000, 2000) == pytest.approx(1.5)
    assert cm.precision_speedup("fp8", 3.0, 1000, 2000) == pytest.approx(2.0)
    assert cm.precision_speedup("fp8", 1.5, 1000, None) == 1.0
    with pytest.raises(ValueError, match="precision"):
        cm.precision_speedup("fp4", 1.5, 1000, 2000)
    # dense: Nvidia 1000 x 0.5 x goodput 0.8 = 400 TFLOPS useful; domestic 500 x 0.4 x 0.5 = 100
    bf16 = cm.pair_model(3.6e18, "nv1", "dense", "bf16")(FLAT)
    fp8 = cm.pair_model(3.6e18, "nv1", "dense", "fp8")(FLAT)
    assert bf16["chip_hour_ratio"] == pytest.approx(4.0)
    assert fp8["chip_hour_ratio"] == pytest.approx(6.0)  # 400 x 1.5 / 100
    assert fp8["nvidia_hours"] == pytest.approx(3.6e18 / (600e12 * 3600))


def test_moe_mfu_divides_out_goodput_and_fp8_gain():
    # DeepSeek-style wall-clock 0.36 of BF16 peak in FP8 -> step BF16 MFU 0.36 / (0.8 x 1.5) = 0.3
    assert cm.nvidia_step_mfu(FLAT, "moe") == pytest.approx(0.3)
    assert cm.nvidia_step_mfu(FLAT, "dense") == 0.5
    # so the FP8 MoE run reproduces the measured 0.36 of peak: 1000 x 0.36 = 360 vs 500 x 0.3 x 0.5
    fp8 = cm.pair_model(3.6e18, "nv1", "moe", "fp8")(FLAT)
    assert fp8["chip_hour_ratio"] == pytest.approx(360 / 75)  # 500 x 0.3 x 0.5 = 75
    with pytest.raises(ValueError, match="architecture"):
        cm.nvidia_step_mfu(FLAT, "sparse")


def test_goodput_hand_computed():
    # 3.6e18 FLOP at 1000 x 0.5 = 5e14 FLOP/s: 2 h; half the time lost -> 4 chip-hours
    assert cm.chip_hours(3.6e18, 1000, 0.5) == pytest.approx(2.0)
    assert cm.chip_hours(3.6e18, 1000, 0.5, goodput=0.5) == pytest.approx(4.0)
    r = cm.run_cost(3.6e18, {**CHIP, "goodput": 0.5}, ECON)
    assert r["chip_hours"] == pytest.approx(4.0)
    assert r["energy_kwh"] == pytest.approx(4 * 0.7 * 1.5)


def test_shared_vs_independent_draws():
    ranges = {k: (v, v, v) for k, v in FLAT.items()}
    ranges["pue"] = (1.1, 1.3, 1.5)
    model = cm.pair_model(3.6e18, "nv1", "dense", "bf16")
    shared = cm.monte_carlo(model, ranges, 2000, seed=1)
    # a shared PUE is drawn once per sample for both sides: it cancels in the energy ratio,
    # 10 chip-hours x 350 W / (2.5 chip-hours x 700 W) = 2 in every sample
    assert np.allclose(shared["energy_ratio"], 2.0)
    indep = cm.monte_carlo(model, cm.split_ranges(ranges, ("pue",)), 2000, seed=1)
    assert {"dom_pue", "nv_pue"} <= set(indep.columns) and "pue" not in indep.columns
    r = indep["energy_ratio"]
    assert r.std() > 0.1  # independent draws do not cancel
    assert np.allclose(r, 2.0 * indep["dom_pue"] / indep["nv_pue"])
    assert r.between(2 * 1.1 / 1.5 - 1e-9, 2 * 1.5 / 1.1 + 1e-9).all()


def test_system_vs_chip_hand_computed():
    # system level: the price is a whole system's, so the multiplier is forced to 1
    x = {**FLAT, "system_multiplier": 2.0}
    chip = cm.pair_model(3.6e18, "nv1", "dense", "bf16")(x)
    system = cm.pair_model(3.6e18, "nv1", "dense", "bf16", system=True)(x)
    # Nvidia: 3.6e18 / (400 TFLOPS useful x 3600) = 2.5 chip-hours; hardware $8,760 over
    # 8,760 h = $1/h x multiplier; power 0.7 kW x PUE 1.5 x $0.1
    assert chip["nvidia_hours"] == pytest.approx(2.5)
    assert chip["nvidia_usd"] == pytest.approx(2.5 * 2.0 + 2.5 * 0.7 * 1.5 * 0.1)
    assert system["nvidia_usd"] == pytest.approx(2.5 * 1.0 + 2.5 * 0.7 * 1.5 * 0.1)
    assert system["chip_hour_ratio"] == chip["chip_hour_ratio"]


def test_shadow_price_hand_computed():
    assert cm.shadow_multiplier(0.4, 0.6) == pytest.approx(1.5)
    assert cm.shadow_multiplier(0.2, 0.6) == pytest.approx(3.0)
    base = cm.pair_model(3.6e18, "nv1", "dense", "bf16")(FLAT)
    shadow = cm.pair_model(3.6e18, "nv1", "dense", "bf16")({**FLAT, "shadow_multiplier": 1.5})
    # domestic: 500 x 0.4 x 0.5 = 100 TFLOPS useful -> 10 chip-hours x $1/h hardware, x 1.5
    # with the shadow price; electricity 10 x 0.35 kW x 1.5 x $0.1 = 0.525 unchanged
    assert base["domestic_usd"] == pytest.approx(10 + 0.525)
    assert shadow["domestic_usd"] == pytest.approx(15 + 0.525)


def test_breakeven_prices_vectorised_match_scalar():
    dom = {**CHIP, "unit_price_usd": 4380.0}
    p = cm.breakeven_prices(3.6e18, dom, CHIP, ECON, ECON)
    assert float(p) == pytest.approx(cm.breakeven_electricity(3.6e18, dom, CHIP, ECON, ECON))
    slow = {**CHIP, "mfu": np.array([0.1, 0.5])}
    both = cm.breakeven_prices(3.6e18, slow, CHIP, ECON, ECON)
    assert np.isnan(both[0]) and both[1] == pytest.approx(0.1)


def test_defensible_choices_table():
    model = cm.pair_model(3.6e18, "nv1", "dense", "bf16")
    t = cm.choices(model, FLAT, [("asc_goodput", "parity", 0.8)], ("chip_hour_ratio",))
    assert list(t["chip_hour_ratio"]) == pytest.approx([4.0, 2.5])  # 400 / (500 x 0.4 x 0.8)
    assert t.loc[1, "choice"] == "parity"


def test_throughput_validation_hand_computed():
    # 1,000 chips x 300 TFLOPS x 0.3 / (6 x 1e10) = 1.5M tokens/s, and back
    assert cm.tokens_per_second(1000, 300, 0.3, 1e10) == pytest.approx(1.5e6)
    assert cm.mfu_for_throughput(1.5e6, 1000, 300, 1e10) == pytest.approx(0.3)


@pytest.fixture(scope="module")
def real_central():
    a = curated.load_compute_assumptions(7.2)
    chips = {
        "dom": "Huawei Ascend 910C",
        "h20": "Nvidia H20",
        "h800": "Nvidia H800",
        "h100": "Nvidia H100 SXM",
        "b200": "Nvidia B200",
        "nv": "Nvidia",
        "asc": "Huawei Ascend",
        "": "*",
    }
    return cm.central(cm.flat_ranges({k: curated.chip_ranges(a, v) for k, v in chips.items()}))


@pytest.mark.parametrize("architecture", cm.ARCHITECTURES)
@pytest.mark.parametrize("precision", cm.PRECISIONS)
def test_ratios_order_physically(real_central, architecture, precision):
    """A slower comparator needs fewer chip-hours, so the domestic chip's ratio against it is
    lower: order the comparators by useful throughput and the ratios follow."""
    x = real_central
    speed, ratio = {}, {}
    for nv in ("h20", "h800", "h100", "b200"):
        chip = cm.nvidia_chip(x, nv, architecture, precision)
        speed[nv] = float(chip["peak_tflops"] * chip["mfu"] * chip["speedup"])
        ratio[nv] = float(cm.pair_model(1e24, nv, architecture, precision)(x)["chip_hour_ratio"])
    by_speed = sorted(speed, key=speed.get)
    assert [ratio[k] for k in by_speed] == sorted(ratio.values())
    assert ratio["h20"] < ratio["h800"] < ratio["b200"]
    assert ratio["h800"] == pytest.approx(ratio["h100"])  # same die
    # and FP8 on the Nvidia side only ever raises the ratio (Ascend has no native FP8)
    bf16 = cm.pair_model(1e24, "h800", architecture, "bf16")(x)["chip_hour_ratio"]
    fp8 = cm.pair_model(1e24, "h800", architecture, "fp8")(x)["chip_hour_ratio"]
    assert fp8 > bf16


def test_draw_is_shared_and_seeded():
    d1 = cm.draw({"a": (1.0, 2.0, 3.0)}, 100, seed=3)
    d2 = cm.draw({"a": (1.0, 2.0, 3.0)}, 100, seed=3)
    assert np.array_equal(d1["a"], d2["a"]) and d1["a"].shape == (100,)


def test_plain_number_has_no_e_notation():
    assert [cm.plain_number(v) for v in (25000.0, 989.4, 0.0713, 8.2e6)] == [
        "25,000",
        "989.4",
        "0.0713",
        "8,200,000",
    ]
    assert cm.plain_number(float("nan")) == "–"
