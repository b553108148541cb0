"""The evidence model: one status vocabulary and the rules that assign it."""

from __future__ import annotations

import numpy as np
import pytest

from cnai_helpers import evidence as ev


def test_vocabulary_is_closed_and_supported_needs_computation():
    with pytest.raises(ValueError, match="unknown status"):
        ev.Verdict("partly supported", "a reason")
    with pytest.raises(ValueError, match="needs a reason"):
        ev.Verdict(ev.SUPPORTED, "")
    with pytest.raises(ValueError, match="only a computed figure"):
        ev.Verdict(ev.SUPPORTED, "restated", basis="curated")


@pytest.mark.parametrize(
    "measured,interval,status",
    [
        (0.21, None, ev.SUPPORTED),  # inside 22% ± 10%
        (0.037, None, ev.CONTRADICTED),  # far below, exact
        (0.037, (0.03, 0.069), ev.CONTRADICTED),  # below even at the corrected edge
        (0.15, (0.10, 0.21), ev.NOT_TESTABLE),  # point outside, interval reaches the band
        (None, None, ev.NOT_TESTABLE),
        (float("nan"), None, ev.NOT_TESTABLE),
    ],
)
def test_share_about_claim(measured, interval, status):
    v = ev.share_vs_claim(measured, 0.22, interval=interval, tolerance=0.1)
    assert v.status == status
    assert v.reason


def test_share_claim_direction_and_sample_size():
    assert ev.share_vs_claim(0.72, 0.5, direction="more_than").status == ev.SUPPORTED
    assert ev.share_vs_claim(0.45, 0.5, direction="more_than").status == ev.CONTRADICTED
    v = ev.share_vs_claim(0.55, 0.5, direction="more_than", interval=(0.4, 0.6))
    assert v.status == ev.NOT_TESTABLE and "straddles" in v.reason
    v = ev.share_vs_claim(0.9, 0.5, direction="more_than", n=12, min_n=30)
    assert v.status == ev.NOT_TESTABLE and "12 observations" in v.reason
    assert ev.share_vs_claim(2.4, 1, direction="more_than", percent=False).reason.count("x") >= 2
    with pytest.raises(ValueError):
        ev.share_vs_claim(0.5, 0.5, interval=(0.6, 0.4))


def test_range_against_distribution():
    rng = np.random.default_rng(0)
    assert ev.range_vs_distribution(rng.uniform(2.5, 3.5, 1000), 2, 4).status == ev.SUPPORTED
    assert ev.range_vs_distribution(rng.uniform(1.0, 1.5, 1000), 2, 4).status == ev.CONTRADICTED
    v = ev.range_vs_distribution(rng.uniform(1.0, 3.0, 1000), 2, 4)
    assert v.status == ev.DEPENDS
    assert "of samples in the claimed 2–4x" in v.reason
    assert ev.range_vs_distribution([3.0] * 5, 2, 4).status == ev.NOT_TESTABLE


def test_group_comparison_states_sample_size():
    open_, closed = {"Zhipu": 100.0, "MiniMax": 80.0, "DeepSeek": 50.0}, {"OpenAI": 3700.0}
    v = ev.compare_groups(open_, closed, min_n=5, a_name="open", b_name="closed")
    assert v.status == ev.NOT_TESTABLE
    assert "open: n = 3" in v.reason and "closed: n = 1" in v.reason
    many_a = {f"a{i}": float(i) for i in range(6)}
    many_b = {f"b{i}": float(10 + i) for i in range(6)}
    assert ev.compare_groups(many_a, many_b, min_n=5).status == ev.SUPPORTED
    assert ev.compare_groups(many_b, many_a, min_n=5).status == ev.CONTRADICTED
    mixed = {**many_b, "b_low": 1.0}
    assert ev.compare_groups(many_a, mixed, min_n=5).status == ev.DEPENDS


def test_across_definitions_lists_both_sides():
    vs = {
        "hub cities": ev.Verdict(ev.CONTRADICTED, "58%"),
        "within 150 km": ev.Verdict(ev.SUPPORTED, "78%"),
        "radius": ev.Verdict(ev.NOT_TESTABLE, "no city"),
    }
    v = ev.across_definitions(vs)
    assert v.status == ev.DEPENDS
    assert "holds for within 150 km" in v.reason and "fails for hub cities" in v.reason
    assert "Not measurable here: radius" in v.reason
    same = ev.across_definitions(
        {"a": ev.Verdict(ev.SUPPORTED, "x"), "b": ev.Verdict(ev.SUPPORTED, "y")}
    )
    assert same.status == ev.SUPPORTED
    assert ev.across_definitions({"a": ev.Verdict(ev.NOT_TESTABLE, "n")}).status == ev.NOT_TESTABLE


def test_shares_vs_claim_combines_definitions():
    v = ev.shares_vs_claim({"hub cities": 0.58, "hub provinces": 0.75, "metro": None}, 0.8)
    assert v.status == ev.DEPENDS and "metro" in v.reason
    assert "read as 80.0% ± 10% (72.0%–88.0%)" in v.reason  # the reading of "nearly" is stated


def test_source_traced_is_never_supported_and_names_its_source():
    v = ev.source_traced(0.68, "market_facts.csv: ChatGPT genai_web_traffic_share 2025-12")
    assert v.status == ev.SOURCE_TRACED and v.basis == "curated"
    assert "market_facts.csv" in v.reason
    assert v.about("chatgpt_68", "traffic_share_chatgpt").claim == "chatgpt_68"


def test_source_traced_formats_the_value_as_the_page_shows_it():
    assert "(68.0%)" in ev.source_traced(0.68, "t", kind="share").reason
    assert "(USD 14 bn)" in ev.source_traced(14.0417, "t", kind="money", unit="USD bn").reason
    assert "(2029)" in ev.source_traced(2029.0, "t", kind="year").reason


def test_value_against_claim():
    assert ev.value_vs_claim(152, 152).status == ev.SUPPORTED
    assert ev.value_vs_claim(151, 152).status == ev.CONTRADICTED
    assert ev.value_vs_claim(None, 152).status == ev.NOT_TESTABLE
