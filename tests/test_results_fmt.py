"""How key figures are formatted for people (results.fmt)."""

from __future__ import annotations

import pytest

from cnai_helpers.results import fmt


@pytest.mark.parametrize(
    ("value", "expected"),
    [(-0.121, "−12.1 pp"), (0.034, "+3.4 pp"), (0.0, "0.0 pp"), (None, "n/a")],
)
def test_share_change_in_percentage_points(value, expected):
    assert fmt(value, "share", "pp") == expected


def test_share_without_unit_is_a_percentage():
    assert fmt(-0.121, "share") == "-12.1%"


def test_record_verdict_carries_the_named_figure_value_and_the_claim_quote(monkeypatch):
    """The ledger reads a verdict's value: it must be the value of the figure the verdict names
    (not, say, the first definition's), and the page quotes the claim from claims.csv."""
    from cnai_helpers import evidence as ev
    from cnai_helpers import results as res

    monkeypatch.setattr(res, "RESULTS", {})
    monkeypatch.setattr(res, "VERDICTS", [])
    monkeypatch.setattr(res, "_display", lambda bundle: None)
    res.record("share_hub_provinces_4", 0.75, "Share in the four hub provinces", kind="share")
    legacy = ev.Verdict(ev.INCONCLUSIVE, "a verdict without a reading", value=0.58)
    res.record_verdict(legacy.about("hubs_80", figure="share_hub_provinces_4"))
    (d,) = res.VERDICTS
    assert d["value"] == 0.75  # the named figure's value, not the one the verdict carried
    assert "80 percent" in d["quote"] and d["article"]
    judged = ev.judge(
        "hubs_80",
        0.7384,
        census=True,
        figure="share_hub_provinces_4_pooled_cutoff",
        definition="hub provinces",
        registry="generative_pooled",
        cutoff="2025-03",
    )
    res.record_verdict(judged)
    assert res.VERDICTS[-1]["value"] == 0.7384 and res.VERDICTS[-1]["role"] == "primary"
    res.record_verdict(ev.not_testable("no data").about("no_such_claim"))
    assert res.VERDICTS[-1]["quote"] == "" and res.VERDICTS[-1]["value"] is None


@pytest.mark.parametrize(
    "lo,hi,kind,unit,expected",
    [
        (0.054, 0.198, "share", None, "5.4%–19.8%"),
        (-0.382, -0.18, "share", "pp", "−38.2 to −18.0 pp"),
        (-0.05, 0.02, "share", "pp", "−5.0 to +2.0 pp"),
        (1.82, 5.47, "ratio", None, "1.82×–5.47×"),
    ],
)
def test_a_range_with_a_negative_end_reads_as_words(lo, hi, kind, unit, expected):
    """'−38.2 pp–−18.0 pp' is unreadable: a range with a negative end says 'to'."""
    from cnai_helpers.formatting import fmt, interval_suffix, span

    got = span(fmt(lo, kind, unit), fmt(hi, kind, unit))
    assert got == expected, got
    if unit is None:
        assert interval_suffix(lo, hi, kind) == f" (95% interval {got})"
