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


def financials_csv(
    path, value: str = "5", source_url: str = "https://www1.hkexnews.hk/listedco/z.pdf"
):
    """A one-row lab_financials table (Z revenue FY2024, tier filing) with the given value and
    source (by default on the exchange's own disclosure site, whose rule allows a filing)."""
    path.write_text(
        ",".join([*COLS, "source_url", "source_tier", "filing", "source_date", "note"]) + "\n"
        f"Z,revenue,FY2024,12,{value},million,CNY,used,{source_url},filing,,2025,\n"
    )
    return path


def test_curated_financials_are_valid_and_bad_rows_are_named(tmp_path):
    f = curated.load_lab_financials()
    assert {"Zhipu", "MiniMax", "OpenAI"} <= set(f["lab"])
    assert len(curated.load_lab_financials(financials_csv(tmp_path / "ok.csv"))) == 1
    for row, needle in [
        ({"value": "lots"}, "value must be a number"),
        ({"source_url": "press release"}, "no source_url"),
        # a republisher's copy of an article cannot carry a filing's tier (source_hosts.csv)
        ({"source_url": "https://www.top168.com/news/1.html"}, "source_tier 'filing' is above"),
        ({"source_url": "https://unheard-of.example/x"}, "host unheard-of.example has no rule"),
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


# ------------------------------------------------------------------ issue 25: price panel, tiers


def _prices(rows):
    return pd.DataFrame(
        rows, columns=["provider", "model_id", "input_usd_per_m", "output_usd_per_m"]
    )


def _panel(rows):
    cols = ["model", "developer", "country", "open_weights", "epoch_model", "price_provider",
            "price_model", "host_models"]  # fmt: skip
    return pd.DataFrame(rows, columns=cols)


def test_panel_prices_developer_first_then_host_median_and_free_is_not_a_price():
    prices = _prices(
        [
            ("dev", "a", 1.0, 4.0),  # blended at 0.75: 1.75
            ("h1", "a", 2.0, 2.0),
            ("h2", "a", 4.0, 4.0),
            ("h3", "a", 0.0, 0.0),  # free tier: not a price
            ("h1", "b", 1.0, 1.0),
            ("h2", "b", 3.0, 3.0),
        ]
    )
    panel = _panel(
        [
            ("A", "Dev", "China", "open", "A", "dev", "a", "h1:a;h2:a;h3:a"),
            ("B", "Meta", "USA", "open", "B", "", "", "h1:b;h2:b"),
        ]
    )
    p = money.panel_prices(panel, prices).set_index("model")
    assert p.loc["A", "price"] == pytest.approx(1.75) and p.loc["A", "price_from"] == "developer"
    assert p.loc["A", "n_hosts"] == 2 and p.loc["A", "host_median_blended"] == pytest.approx(3.0)
    assert p.loc["B", "price"] == pytest.approx(2.0)
    assert p.loc["B", "price_from"].startswith("third-party")
    h = money.host_ratios(
        p.reset_index().assign(open_weights=["open", "open"], developer=["Dev", "Meta"])
    )
    assert list(h["model"]) == ["A"]  # B has no developer price to compare with
    assert h["host_over_developer"].iloc[0] == pytest.approx(3.0 / 1.75)


def test_panel_prices_names_the_row_of_an_unknown_price():
    panel = _panel([("A", "Dev", "USA", "closed", "A", "dev", "nope", "")])
    with pytest.raises(CnaiError, match=r"model_panel.csv line 2: dev:nope is not in"):
        money.panel_prices(panel, _prices([("dev", "a", 1.0, 1.0)]))
    bad = _panel([("A", "Dev", "USA", "open", "A", "", "", "hostonly")])
    with pytest.raises(CnaiError, match="provider:model id"):
        money.panel_prices(bad, _prices([("dev", "a", 1.0, 1.0)]))


def _synthetic(ratio: float, n: int = 60, noise: float = 0.05, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    flop = 10 ** rng.uniform(23, 26, n)
    open_ = rng.random(n) < 0.5
    china = rng.random(n) < 0.4
    year = rng.uniform(2023, 2026, n)
    logp = 0.8 * np.log10(flop) - 0.3 * (year - 2023) + np.log(ratio) * open_ + 0.2 * china
    price = np.exp(logp - 20 + rng.normal(0, noise, n))
    return pd.DataFrame(
        {
            "price": price,
            "training_flop": flop,
            "open_weights": np.where(open_, "open", "closed"),
            "country": np.where(china, "China", "USA"),
            "release_date": pd.to_datetime("2023-01-01")
            + pd.to_timedelta((year - 2023) * 365.25, unit="D"),
        }
    )


def test_open_price_ratio_recovers_a_known_ratio_with_an_interval_around_it():
    r = money.open_price_ratio(_synthetic(0.4), n_boot=300, seed=3)
    assert r["ratio"] == pytest.approx(0.4, rel=0.05)
    assert r["ci_low"] < 0.4 < r["ci_high"] and r["ci_high"] - r["ci_low"] < 0.1
    assert r["coef_log10_flop"] == pytest.approx(0.8, abs=0.05)
    r2 = money.open_price_ratio(_synthetic(1.0, noise=0.8), n_boot=300, seed=3)
    assert r2["ci_low"] < 1 < r2["ci_high"]  # no effect, noisy: the interval straddles 1


def test_regression_refuses_a_panel_without_one_group():
    d = _synthetic(0.4).assign(open_weights="closed")
    with pytest.raises(CnaiError, match="cannot separate"):
        money.fit(d)


def test_regression_sample_needs_price_compute_and_date():
    d = _synthetic(0.5, n=5)
    d.loc[0, "training_flop"] = np.nan
    d.loc[1, "price"] = np.nan
    assert len(money.regression_sample(d)) == 3


def test_genai_prices_are_read_from_the_bundled_data_with_their_history():
    from cnai_helpers import api_prices

    before = api_prices.load_prices("2025-06-01").set_index(["provider", "model_id"])
    after = api_prices.load_prices("2025-07-01").set_index(["provider", "model_id"])
    # OpenAI cut o3's list price on 2025-06-10: the package's history has both prices
    assert before.loc[("openai", "o3"), "input_usd_per_m"] == 10
    assert after.loc[("openai", "o3"), "input_usd_per_m"] == 2
    assert len(after) > 1000 and api_prices.package_version()


def test_real_panel_is_large_enough_and_every_model_is_priced():
    from cnai_helpers import api_prices

    panel = curated.load_table("model_panel")
    p = money.panel_prices(panel, api_prices.load_prices("2026-11-01"))
    priced = panel.assign(price=p["price"])[p["price"].gt(0).to_numpy()]
    assert len(priced) >= 40
    assert (priced["open_weights"] == "open").sum() >= 10
    assert (priced["open_weights"] == "closed").sum() >= 10


@pytest.mark.parametrize(
    "name,key,status",
    [
        ("lab_financials", ["lab", "metric", "period"], "used"),
        ("model_panel", ["model"], None),
        ("lab_strategy", ["lab", "year"], None),
        ("fx_rates", ["currency", "year"], "used"),
    ],
)
def test_no_central_figure_rests_on_a_tier_other_source_alone(name, key, status):
    df = curated.load_table(name)
    used = (df["status"] == status) if status else None
    assert money.central_sources_ok(df, key, used) == []


def test_tier_rule_catches_a_figure_with_only_other_sources():
    df = pd.DataFrame(
        {
            "lab": ["Z", "Z", "M"],
            "metric": ["revenue", "revenue", "revenue"],
            "source_tier": ["other", "reputable press", "other"],
        }
    )
    assert money.central_sources_ok(df, ["lab", "metric"]) == [("M", "revenue")]


def test_ratio_to_revenue_and_census_needs_filing_tier_for_both_figures():
    raw = fin(
        """
        Z, revenue, FY2024, 12, 100
        Z, operating_cash_outflow, FY2024, 12, 250
        M, revenue, FY2024, 12, 10
        M, operating_cash_outflow, FY2024, 12, 30
        """
    ).assign(source_tier=["filing", "filing", "filing", "reputable press"])
    n = money.normalise(raw, 7.0, 7.8)
    t = money.ratio_to_revenue(n, "operating_cash_outflow", ["Z", "M"], "FY2024")
    assert t["ratio"].tolist() == pytest.approx([2.5, 3.0])
    assert not money.all_filing_tier(t)
    assert money.all_filing_tier(t[t["lab"] == "Z"])


def test_filed_years_and_interims_are_like_for_like_and_need_every_lab():
    """Sensitivities of the burning-cash reading: only full years that every lab reports (both
    figures in use), and each lab's latest interim period with both figures."""
    raw = fin(
        """
        Z, revenue, FY2023, 12, 100
        Z, operating_cash_outflow, FY2023, 12, 300
        Z, revenue, FY2024, 12, 200
        Z, operating_cash_outflow, FY2024, 12, 500
        Z, revenue, H1 2025, 6, 150
        Z, operating_cash_outflow, H1 2025, 6, 450
        Z, revenue, 9M 2024, 9, 120
        Z, operating_cash_outflow, 9M 2024, 9, 240
        M, revenue, FY2024, 12, 30
        M, operating_cash_outflow, FY2024, 12, 250
        M, revenue, FY2023, 12, 3
        M, operating_cash_outflow, FY2023, 12, 90, million, unverified
        M, revenue, 9M 2025, 9, 50
        M, operating_cash_outflow, 9M 2025, 9, 200
        """
    ).assign(source_tier="filing")
    n = money.normalise(raw, 7.0, 7.8)
    # FY2023: M's outflow is not in use, so the year is not comparable for both labs
    assert money.full_years_for_all(n, "operating_cash_outflow", ["Z", "M"]) == ["FY2024"]
    assert money.full_years_for_all(n, "operating_cash_outflow", ["Z"]) == ["FY2023", "FY2024"]
    latest = money.latest_interims(n, "operating_cash_outflow", ["Z", "M"])
    assert latest == {"Z": "H1 2025", "M": "9M 2025"}  # H1 2025 ends after 9M 2024
    t = money.ratio_to_revenue(n, "operating_cash_outflow", ["Z", "M"], latest)
    assert t["period"].tolist() == ["H1 2025", "9M 2025"]
    assert t["ratio"].tolist() == pytest.approx([3.0, 4.0])
    assert money.all_filing_tier(t)
    assert money.latest_interims(n[n["lab"] == "Z"], "operating_cash_outflow", ["Z", "M"]) is None


def test_burn_verdict_is_a_census_only_on_filed_figures():
    raw = fin(
        """
        Z, revenue, FY2024, 12, 100
        Z, operating_cash_outflow, FY2024, 12, 250
        M, revenue, FY2024, 12, 10
        M, operating_cash_outflow, FY2024, 12, 30
        """
    )
    n = money.normalise(raw.assign(source_tier="filing"), 7.0, 7.8)
    t = money.ratio_to_revenue(n, "operating_cash_outflow", ["Z", "M"], "FY2024")
    args = ("cash_burn_to_revenue_min", "operating cash flow", "outflow over revenue", "FY2024", 0)
    v = money.burn_verdict(t, *args)
    assert (v.status, v.role, v.value) == ("supported", "primary", pytest.approx(2.5))
    press = money.normalise(raw.assign(source_tier="reputable press"), 7.0, 7.8)
    t = money.ratio_to_revenue(press, "operating_cash_outflow", ["Z", "M"], "FY2024")
    v = money.burn_verdict(t, *args)
    assert v.status == "inconclusive" and "restatements" in v.reason
    t = money.ratio_to_revenue(n[n["lab"] == "Z"], "operating_cash_outflow", ["Z", "M"], "FY2024")
    v = money.burn_verdict(t, *args[:-1], 2)
    assert v.status == "not_testable" and "2 restated" in v.reason
    v = money.burn_verdict(t.iloc[:1], "loss_to_revenue_min", "net loss, FY2023", "x", "FY2023", 0)
    assert v.role == "sensitivity"  # another period is never the verdict


def test_unusable_figures_counts_what_only_tier_other_sources_give():
    """A figure counts when all its rows are out of use and one is unverified (its sources are
    of tier other); a figure with a row in use, an alternative only, or no row does not."""
    raw = fin(
        """
        Z, revenue, FY2024, 12, 100, million, unverified
        Z, net_loss, FY2024, 12, 900, million, unverified
        M, revenue, FY2024, 12, 10
        M, revenue, FY2024, 12, 11, million, alternative
        M, net_loss, FY2024, 12, 90, million, unverified
        M, net_loss, FY2024, 12, 91
        M, revenue, FY2023, 12, 3, million, alternative
        """
    )
    assert money.unusable_figures(raw, "net_loss", ["Z", "M"], "FY2024") == 2
    assert money.unusable_figures(raw, "net_loss", ["M"], "FY2024") == 0
    assert money.unusable_figures(raw, "net_loss", ["Z", "M"], {"Z": "FY2024", "M": "FY2023"}) == 2
    t = money.ratio_to_revenue(money.normalise(raw.assign(source_tier="other"), 7.0, 7.8),
                               "net_loss", ["Z", "M"], "FY2024")  # fmt: skip
    v = money.burn_verdict(
        t, "loss_to_revenue_min", "net loss", "net loss over revenue", "FY2024", 1
    )
    assert v.status == "not_testable" and "1 restated figure it needs exists only" in v.reason
    assert "is kept out" in v.reason and "{" not in v.reason


@pytest.mark.mirror
def test_monetization_notebook_records_the_panel_keys_and_states_package_and_date(
    real_raw, tmp_path
):
    """The executed report: the issue's result keys, the primary verdicts of both claims, and
    the price package's version and price date in the text the reader sees."""
    import json

    import papermill as pm

    from cnai_helpers import api_prices, paths

    out = tmp_path / "m.ipynb"
    pm.execute_notebook(
        str(paths.NOTEBOOKS / "open_vs_closed_monetization.ipynb"),
        str(out),
        parameters={"n_boot": 200, "price_date": "2026-11-01"},
        kernel_name="cnai",
        cwd=str(tmp_path),
        progress_bar=False,
    )
    import nbformat

    from cnai_helpers.results import collect

    results, _ = collect(nbformat.read(str(out), as_version=4))
    for key in (
        "n_models_priced",
        "n_open_weight_priced",
        "n_closed_priced",
        "open_price_ratio_at_equal_capability",
        "open_price_ratio_at_equal_capability_ci_low",
        "open_price_ratio_at_equal_capability_ci_high",
        "host_price_ratio_open_models",
        "cash_burn_to_revenue_min",
        "loss_to_revenue_min",
    ):
        assert key in results, key
    assert results["n_models_priced"] >= 40
    lo, hi = (results[f"open_price_ratio_at_equal_capability_ci_{s}"] for s in ("low", "high"))
    assert lo <= results["open_price_ratio_at_equal_capability"] <= hi
    primary = {v["claim"]: v for v in results["verdicts"] if v.get("role") == "primary"}
    assert primary["open_less_cash"]["figure"] == "open_price_ratio_at_equal_capability"
    assert primary["burning_cash"]["figure"] == "cash_burn_to_revenue_min"
    nb = json.loads(out.read_text())
    text = "\n".join(
        "".join(o.get("data", {}).get("text/markdown", ""))
        for c in nb["cells"]
        for o in c.get("outputs", [])
    )
    assert f"genai-prices {api_prices.package_version()}" in text
    assert "1 November 2026" in text  # the price date, as the prose writes dates
    assert "Price is not revenue" in "".join(
        "".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown"
    )


def test_a_market_facts_unit_carries_its_currency():
    """The monetization page showed "MiniMax … 53.1 million revenue": the unit column now says
    "USD million"; every real row has a unit a reader can read beside its value."""
    from cnai_helpers.curated import load_table

    row = {"entity": "MiniMax", "metric": "revenue", "period": "FY2025", "scale": "million",
           "unit": "revenue", "currency": "USD"}  # fmt: skip
    assert money.fact_unit(row) == "USD million"
    assert money.fact_unit({**row, "unit": "people", "currency": ""}) == "million people"
    assert money.fact_unit({"unit": "percent", "scale": None, "currency": None}) == "percent"
    with pytest.raises(ValueError, match="MiniMax, revenue, FY2025: a revenue figure"):
        money.fact_unit({**row, "currency": ""})
    market = load_table("market_facts")
    units = [money.fact_unit(r) for _, r in market.iterrows()]
    assert not [u for u in units if u in money.MONEY_MEASURES or not u], units
    money_rows = market["unit"].isin(money.MONEY_MEASURES)
    assert all(
        u.split()[0] in {"USD", "CNY", "HKD"} for u, m in zip(units, money_rows, strict=True) if m
    )


# sites that republish others' reporting (finance-news aggregators) or host forums
AGGREGATOR_HOSTS = {"longbridge.com", "top168.com", "guosisoft.com", "global.v2ex.co", "v2ex.com"}


def test_aggregators_and_forums_are_not_press_in_the_market_facts():
    """longbridge.com, top168.com and guosisoft.com republish others' reporting and are tier
    other, like forums; no market fact that rests on one is called reputable press."""
    from urllib.parse import urlparse

    from cnai_helpers.curated import load_table

    market = load_table("market_facts")
    hosts = market["source_url"].map(lambda u: urlparse(u).netloc.removeprefix("www."))
    press = set(hosts[market["source_tier"] == "reputable press"])
    assert not press & AGGREGATOR_HOSTS, press & AGGREGATOR_HOSTS
