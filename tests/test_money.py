"""Unit and currency normalisation, loss ratios and the open-weights strategy measure."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cnai_helpers import curated
from cnai_helpers.analysis import money


def fin(rows):
    cols = ["lab", "metric", "period", "period_months", "value", "scale", "currency", "status"]
    return pd.DataFrame(rows, columns=cols)


def test_scales_and_currencies():
    assert money.to_millions(2.5, "billion") == 2500
    assert money.to_millions(300, "thousand") == pytest.approx(0.3)
    assert money.to_millions(5e6, "") == pytest.approx(5)
    with pytest.raises(ValueError, match="unknown scale"):
        money.to_millions(1, "lakh")
    assert money.usd_per("CNY", 7.2, 7.8) == pytest.approx(1 / 7.2)
    assert money.usd_per("HKD", 7.2, 7.8) == pytest.approx(1 / 7.8)
    with pytest.raises(ValueError):
        money.usd_per("EUR", 7.2, 7.8)


def test_normalise_and_loss_ratio():
    f = fin(
        [
            ("Z", "revenue", "FY2024", 12, "312.4", "million", "CNY", "used"),
            ("Z", "net_loss", "FY2024", 12, "2958", "million", "CNY", "used"),
            ("Z", "net_loss", "FY2024", 12, "2900", "million", "CNY", "alternative"),
            ("O", "revenue", "FY2024", 12, "3.7", "billion", "USD", "used"),
            ("O", "net_loss", "FY2024", 12, "5", "billion", "USD", "used"),
        ]
    )
    n = money.normalise(f, fx_cny_per_usd=7.0, fx_hkd_per_usd=7.8)
    z = n[(n["lab"] == "Z") & (n["metric"] == "revenue")].iloc[0]
    assert z["value_m"] == pytest.approx(312.4) and z["value_usd_m"] == pytest.approx(312.4 / 7)
    assert n[(n["lab"] == "O") & (n["metric"] == "revenue")]["value_usd_m"].iloc[0] == 3700
    r = money.loss_ratios(n).set_index("lab")
    assert r.loc["Z", "net_loss_to_revenue"] == pytest.approx(2958 / 312.4)  # alternative ignored
    assert r.loc["O", "net_loss_to_revenue"] == pytest.approx(5 / 3.7)


def test_two_used_rows_for_one_figure_is_an_error():
    f = fin(
        [
            ("Z", "revenue", "FY2024", 12, "1", "million", "CNY", "used"),
            ("Z", "revenue", "FY2024", 12, "2", "million", "CNY", "used"),
        ]
    )
    with pytest.raises(ValueError, match="more than one 'used' row"):
        money.loss_ratios(money.normalise(f, 7, 7.8))


def test_api_price_normalisation():
    # CNY 0.0008 per 1K tokens = CNY 0.8 per 1M = USD 0.8/7.2
    assert money.price_per_million_usd(0.0008, 1000, "CNY", 7.2) == pytest.approx(0.8 / 7.2)
    assert money.price_per_million_usd(2.5, 1_000_000, "USD", 7.2) == 2.5
    assert np.isnan(money.price_per_million_usd(np.nan, 1_000_000, "USD", 7.2))


def test_runway_and_annualise():
    assert money.annualise(1752, 6) == 3504
    assert money.runway_years(2552, 3504) == pytest.approx(2552 / 3504)
    assert money.runway_years(100, 0) is None
    with pytest.raises(ValueError):
        money.annualise(1, 0)


def test_open_share_and_classification():
    models = pd.DataFrame(
        {
            "Organization": ["Lab A", "Lab A", "Lab A", "Lab A", "Lab B", "Lab B"],
            "Model accessibility": [
                "Open weights (unrestricted)",
                "Open weights (restricted use)",
                "API access",
                "Unreleased",
                "API access",
                "Hosted access (no API)",
            ],
            "year": [2024, 2024, 2023, 2024, 2024, 2021],
        }
    )
    a = money.open_share(models, "Lab A")
    assert (a["n_models"], a["n_released"], a["n_open"]) == (4, 3, 2)
    assert a["open_share"] == pytest.approx(2 / 3)
    assert money.open_share(models, "Lab A", since_year=2024)["open_share"] == 1.0
    assert money.open_share(models, "Lab B")["open_share"] == 0
    assert np.isnan(money.open_share(models, "Nobody")["open_share"])
    assert money.classify_share(2 / 3, 0.6) == "open"
    assert money.classify_share(0.5, 0.6) == "mixed"
    assert money.classify_share(0.1, 0.6) == "closed"


def test_curated_financials_are_valid_and_bad_rows_are_named(tmp_path):
    f = curated.load_lab_financials()
    assert {"Zhipu", "MiniMax", "OpenAI"} <= set(f["lab"])
    p = tmp_path / "f.csv"
    p.write_text(
        "lab,metric,period,period_months,value,scale,currency,status,source_url,source_date,note\n"
        "Z,revenue,FY2024,12,lots,million,CNY,used,https://x,2025,\n"
    )
    with pytest.raises(
        curated.CuratedTableError, match=r"line 2 \(Z revenue FY2024\): value must be a number"
    ):
        curated.load_lab_financials(p)
    p.write_text(
        "lab,metric,period,period_months,value,scale,currency,status,source_url,source_date,note\n"
        "Z,revenue,FY2024,12,5,million,CNY,used,press release,2025,\n"
    )
    with pytest.raises(
        curated.CuratedTableError, match=r"line 2 \(Z revenue FY2024\): no source_url"
    ):
        curated.load_lab_financials(p)


@pytest.mark.parametrize(
    "label,end",
    [
        ("FY2024", "2024-12"),
        ("H1 2025", "2025-06"),
        ("9M 2025", "2025-09"),
        ("2025-06-30", "2025-06"),
    ],
)
def test_period_end(label, end):
    assert money.period_end(label) == end


def test_period_end_rejects_unknown():
    with pytest.raises(ValueError):
        money.period_end("sometime")
