"""Unit and currency normalisation, loss ratios and the open-weights strategy measure."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cnai_helpers import curated
from cnai_helpers.analysis import money
from cnai_helpers.errors import CnaiError

CURRENCY = {"Z": "CNY", "M": "USD", "O": "USD"}  # each test lab reports in one currency
COLS = ["lab", "metric", "period", "period_months", "value", "scale", "currency", "status"]


def fin(table: str) -> pd.DataFrame:
    """Financial rows from a text table, a row a line: ``lab, metric, period, months, value``
    and optionally ``scale`` (default million) and ``status`` (default used); the currency is
    the lab's (:data:`CURRENCY`)."""
    rows = []
    for line in table.strip().splitlines():
        lab, metric, period, months, value, *rest = (c.strip() for c in line.split(","))
        scale, status = [*rest, *["million", "used"][len(rest) :]]
        rows.append((lab, metric, period, int(months), value, scale, CURRENCY[lab], status))
    return pd.DataFrame(rows, columns=COLS)


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
        """
        Z, revenue, FY2024, 12, 312.4
        Z, net_loss, FY2024, 12, 2958
        Z, net_loss, FY2024, 12, 2900, million, alternative
        O, revenue, FY2024, 12, 3.7, billion
        O, net_loss, FY2024, 12, 5, billion
        """
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
        """
        Z, revenue, FY2024, 12, 1
        Z, revenue, FY2024, 12, 2
        """
    )
    with pytest.raises(ValueError, match="more than one 'used' row"):
        money.loss_ratios(money.normalise(f, 7, 7.8))
    with pytest.raises(CnaiError, match="more than one 'used' row"):  # an expected error
        money.fiscal_year_losses(money.normalise(f, 7, 7.8))


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


def financials_csv(path, value: str = "5", source_url: str = "https://x"):
    """A one-row lab_financials table (Z revenue FY2024) with the given value and source."""
    path.write_text(
        ",".join([*COLS, "source_url", "source_date", "note"]) + "\n"
        f"Z,revenue,FY2024,12,{value},million,CNY,used,{source_url},2025,\n"
    )
    return path


def test_curated_financials_are_valid_and_bad_rows_are_named(tmp_path):
    f = curated.load_lab_financials()
    assert {"Zhipu", "MiniMax", "OpenAI"} <= set(f["lab"])
    for row, needle in [
        ({"value": "lots"}, "value must be a number"),
        ({"source_url": "press release"}, "no source_url"),
    ]:
        p = financials_csv(tmp_path / "f.csv", **row)
        with pytest.raises(
            curated.CuratedTableError, match=rf"line 2 \(Z revenue FY2024\): {needle}"
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


# ------------------------------------------------------------------ issue 15: like with like


def _models():
    return pd.DataFrame(
        {
            "Organization": ["Z", "Z", "Z", "Z", "M", "O", "O"],
            "Model accessibility": [
                "Open weights (restricted use)",
                "API access",
                "API access",
                "Open weights (unrestricted)",
                "Open weights (unrestricted)",
                "API access",
                "Unreleased",
            ],
            "year": [2023, 2024, 2024, 2025, 2025, 2024, 2023],
        }
    )


def test_open_share_by_year_counts_each_year_and_labels_empty_years():
    strategy = pd.DataFrame({"lab": ["Z", "M", "O"], "epoch_organization_pattern": ["Z", "M", "O"]})
    t = money.yearly_labels(_models(), strategy, [2023, 2024, 2025], threshold=0.6)
    got = t.set_index(["lab", "year"])
    assert got.loc[("Z", 2023), "label"] == "open"
    assert got.loc[("Z", 2024), ["n_released", "n_open", "label"]].tolist() == [2, 0, "closed"]
    assert got.loc[("Z", 2025), "open_share"] == 1.0
    assert got.loc[("M", 2024), "label"] == money.NO_MODEL  # nothing released before 2025
    assert got.loc[("M", 2025), "label"] == "open"
    # an unreleased model is not a release: O had none in 2023
    assert got.loc[("O", 2023), ["n_models", "n_released", "label"]].tolist() == [
        1,
        0,
        money.NO_MODEL,
    ]
    grid = money.label_grid(t)
    assert grid.loc["Z", 2024] == "closed (0/2)"
    assert grid.loc["M", 2023] == money.NO_MODEL
    assert money.label_cells(t)[("M", 2025)] == "open (1/1)"
    assert grid.columns.name is None  # no stray header row on the page


def test_label_year_of_a_period():
    assert money.label_year("FY2024") == 2024
    assert money.label_year("H1 2025") == 2025
    assert money.label_year("9M 2025") == 2025


def test_split_by_labels_leaves_out_labs_without_a_model():
    values = {"Z": 1.0, "M": 2.0, "O": 3.0, "X": 4.0}
    labels = {"Z": "closed", "M": money.NO_MODEL, "O": "closed", "X": "mixed"}
    open_, closed = money.split_by_labels(values, labels)
    assert open_ == {"X": 4.0} and closed == {"Z": 1.0, "O": 3.0}


def test_fiscal_year_loss_table_keeps_full_years_and_both_losses():
    raw = fin(
        """
        Z, revenue, FY2024, 12, 100
        Z, net_loss, FY2024, 12, 300
        Z, adjusted_net_loss, FY2024, 12, 200
        Z, revenue, H1 2025, 6, 80
        Z, net_loss, H1 2025, 6, 250
        M, revenue, FY2025, 12, 10
        M, net_loss, FY2025, 12, 90
        M, adjusted_net_loss, FY2025, 12, 20
        """
    ).assign(note=["", "", "", "", "", "", "Mainly fair-value losses (non-cash).", ""])
    n = money.normalise(raw, 7.0, 7.8)
    t = money.fiscal_year_losses(n)
    assert set(t["period"]) == {"FY2024", "FY2025"}  # no half year
    m = t.set_index("lab").loc["M"]
    assert m["net_minus_adjusted"] == pytest.approx(70)
    assert m["net_loss_usd_m"] == pytest.approx(90)
    assert "fair-value" in m["what drives the net loss"]
    z = t.set_index("lab").loc["Z"]
    assert z["adjusted_net_loss_usd_m"] == pytest.approx(200 / 7)
    assert z["what drives the net loss"] == money.NOT_STATED


def test_runway_uses_one_cash_definition_and_burn_up_to_the_balance_date():
    raw = fin(
        """
        Z, cash_and_equivalents, 2025-06-30, 0, 120
        Z, adjusted_net_loss, H1 2025, 6, 60
        Z, adjusted_net_loss, FY2025, 12, 500
        M, cash_and_financial_assets, 2025-09-30, 0, 900
        M, cash_and_equivalents, 2025-09-30, 0, 300
        M, adjusted_net_loss, 9M 2025, 9, 150
        O, cash_and_financial_assets, 2025-06-30, 0, 9, billion
        O, adjusted_net_loss, H1 2025, 6, 1, billion
        """
    )
    n = money.normalise(raw, 7.0, 7.8)
    r = money.runway_table(n, ["Z", "M", "O"], "cash_and_equivalents").set_index("lab")
    assert r.loc["Z", "burn basis"] == "adjusted net loss H1 2025, annualised"  # not FY2025
    assert r.loc["Z", "runway (years)"] == pytest.approx(120 / 120)
    assert r.loc["M", "cash (native m)"] == 300
    assert r.loc["M", "runway (years)"] == pytest.approx(300 / 200)
    assert np.isnan(r.loc["O", "runway (years)"])  # no cash on this definition
    assert "not disclosed" in r.loc["O", "burn basis"]
    with pytest.raises(CnaiError, match="cash definition"):
        money.runway_table(n, ["Z"], "cash")


def test_price_grid_has_four_cells_with_n_even_when_empty():
    p = pd.DataFrame(
        {
            "country": ["China", "China", "China", "USA", "USA"],
            "open_weights": ["open", "open", "closed", "closed", "closed"],
            "input_usd_per_m": [0.2, 0.4, 1.0, 2.0, 3.0],
            "output_usd_per_m": [1.0, 2.0, np.nan, 10.0, 14.0],
        }
    )
    g = money.price_grid(p).set_index(["country", "open_weights"])
    assert len(g) == 4
    assert g.loc[("China", "open"), "median output"] == pytest.approx(1.5)
    assert g.loc[("China", "closed"), "n output"] == 0
    assert np.isnan(g.loc[("China", "closed"), "median output"])
    assert g.loc[("USA", "open"), "n input"] == 0
    assert g.loc[("USA", "closed"), "median input"] == pytest.approx(2.5)
    assert money.within_country_ratio(g.reset_index(), "China", "input") == pytest.approx(1 / 0.3)
    assert np.isnan(money.within_country_ratio(g.reset_index(), "China", "output"))
