"""The evidence model: one status vocabulary (the decision rule: tests/test_verdict_rules.py)."""

from __future__ import annotations

import pytest

from cnai_helpers import evidence as ev


def test_vocabulary_is_closed_and_supported_needs_computation():
    with pytest.raises(ValueError, match="unknown status"):
        ev.Verdict("partly supported", "a reason")
    with pytest.raises(ValueError, match="needs a reason"):
        ev.Verdict(ev.SUPPORTED, "")
    with pytest.raises(ValueError, match="only a computed figure"):
        ev.Verdict(ev.SUPPORTED, "restated", basis="curated")


def test_source_traced_is_never_supported_and_names_its_source():
    v = ev.source_traced(0.68, "market_facts.csv: ChatGPT genai_web_traffic_share 2025-12")
    assert v.status == ev.SOURCE_TRACED and v.basis == "curated"
    assert "market_facts.csv" in v.reason
    assert v.about("chatgpt_68", "traffic_share_chatgpt").claim == "chatgpt_68"


def test_source_traced_formats_the_value_as_the_page_shows_it():
    assert "(68.0%)" in ev.source_traced(0.68, "t", kind="share").reason
    assert "(USD 14 bn)" in ev.source_traced(14.0417, "t", kind="money", unit="USD bn").reason
    assert "(2029)" in ev.source_traced(2029.0, "t", kind="year").reason
    # a description ending in its own parenthesis: no doubled brackets
    what = "Year OpenAI expects to turn a profit (2024 documents)"
    reason = ev.source_traced(2029.0, "t", what=what, kind="year").reason
    assert reason.startswith(f"{what}, 2029, is restated") and ") (" not in reason


def test_a_source_traced_year_is_shown_as_a_year_on_the_page():
    """The monetization page showed OpenAI's profitability year as "2,029": the verdict did not
    carry the figure's kind, so the page formatted 2029 as a count."""
    from cnai_helpers.reports.render import _estimate_text

    v = ev.source_traced(2029, "t", kind="year")
    assert _estimate_text(v.as_dict() if hasattr(v, "as_dict") else vars(v)) == "2029"
