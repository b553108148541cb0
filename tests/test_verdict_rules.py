"""One decision rule for every claim (issue: verdicts a referee would sign), on constructed cases,
and the committed readings it applies."""

from __future__ import annotations

import pytest
import yaml

from cnai_helpers import evidence as ev
from cnai_helpers import readings

READINGS = {
    "fixed_on": "2026-12-06",
    "readings": {
        "about_22": {
            "quantity": "share",
            "population": "filings to 2025-01",
            "registry": "genai_filings",
            "article_date": "2025-02-15",
            "cutoff": "2025-01",
            "direction": "between",
            "band": [0.215, 0.225],
            "rationale": "stated precision",
            "primary": {"report": "r", "definition": "main", "figure": "x"},
            "alternatives": [{"report": "r", "definition": "broad", "figure": "y"}],
            "min_n": 30,
        },
        "half_0_5_pct": {
            "quantity": "share",
            "population": "filings",
            "registry": "genai_filings",
            "article_date": "2025-02-15",
            "cutoff": "2025-01",
            "direction": "between",
            "band": [0.0045, 0.0055],
            "rationale": "0.5 percent at its stated precision",
            "primary": {"report": "r", "definition": "main", "figure": "x"},
        },
        "more_than_half": {
            "quantity": "share",
            "population": "filings",
            "article_date": "2025-02-15",
            "direction": "more_than",
            "band": [0.5, None],
            "rationale": "one-sided",
            "primary": {"report": "r", "definition": "main", "figure": "x"},
        },
    },
}


@pytest.fixture
def rules(tmp_path, monkeypatch):
    p = tmp_path / "claim_readings.yaml"
    p.write_text(yaml.safe_dump(READINGS, allow_unicode=True), encoding="utf-8")
    monkeypatch.setattr(readings, "path", lambda: p)
    return p


def judge(claim, est, ci=None, **kw):
    kw.setdefault("definition", "main")
    kw.setdefault("registry", "genai_filings")
    kw.setdefault("cutoff", "2025-01")
    return ev.judge(claim, est, ci, figure="x", **kw)


@pytest.mark.parametrize(
    "est,lo,hi,status",
    [
        (0.22, 0.15, 0.30, ev.INCONCLUSIVE),  # point in the band, wide interval: never supported
        (0.22, 0.216, 0.224, ev.SUPPORTED),  # interval inside the band
        (0.067, 0.05, 0.086, ev.CONTRADICTED),  # wholly below
        (0.40, 0.30, 0.50, ev.CONTRADICTED),  # wholly above
        (0.20, 0.18, 0.216, ev.INCONCLUSIVE),  # crosses the low edge
        (None, None, None, ev.NOT_TESTABLE),
    ],
)
def test_interval_against_band(est, lo, hi, status):
    assert ev.decide(est, lo, hi, 0.215, 0.225) == status


def test_one_sided_claim_at_its_edge():
    """ "More than half": 50% is not more than half; an interval touching 50% is undecided."""
    more = {"low_exclusive": True}
    assert ev.decide(0.55, 0.5, 0.6, 0.5, None, **more) == ev.INCONCLUSIVE
    assert ev.decide(0.55, 0.501, 0.6, 0.5, None, **more) == ev.SUPPORTED
    assert ev.decide(0.45, 0.40, 0.5, 0.5, None, **more) == ev.CONTRADICTED
    assert ev.decide(0.5, 0.5, 0.5, 0.5, None) == ev.SUPPORTED  # "at least half": closed edge
    with pytest.raises(ValueError, match="low end above"):
        ev.decide(0.5, 0.6, 0.4, 0.5, None)


def test_four_of_300_against_half_a_percent(rules):
    lo, hi = ev.binomial_interval(4, 300, "exact")
    assert 0.003 < lo < 0.004 and 0.03 < hi < 0.035  # Clopper-Pearson
    v = judge("half_0_5_pct", 4 / 300, (lo, hi), n=300, what="the foreign share")
    assert v.status == ev.INCONCLUSIVE
    assert v.band_text == "0.45%–0.55%" and v.role == "primary"
    assert v.n_to_decide and v.n_to_decide > 300
    assert "would decide" in v.reason and v.reason.startswith("The foreign share is 1.3%")
    wl, wh = ev.binomial_interval(4, 300, "wilson")
    assert lo < wl < wh < hi  # Wilson is narrower than the exact interval here


def test_judge_reads_the_band_and_role_from_the_committed_reading(rules):
    v = judge("about_22", 0.203, (0.143, 0.342), n=150, population=302)
    assert (v.status, v.role, v.band_low, v.band_high) == (ev.INCONCLUSIVE, "primary", 0.215, 0.225)
    assert v.n_to_decide <= 302  # never more than the list holds
    assert judge("about_22", 0.067, (0.05, 0.086), n=300).status == ev.CONTRADICTED
    assert judge("about_22", 0.22, (0.2, 0.24), definition="broad").role == "alternative"
    assert judge("about_22", 0.22, (0.2, 0.24), cutoff="2026-08").role == "sensitivity"
    assert judge("about_22", 0.22, (0.2, 0.24), registry="deep_synthesis").role == "sensitivity"
    small = judge("about_22", 0.22, (0.219, 0.221), n=12)
    assert small.status == ev.INCONCLUSIVE and small.n_to_decide == 30 and "only 12" in small.reason
    census = judge("about_22", 0.22, census=True, n=302)
    assert census.status == ev.SUPPORTED and census.interval_kind == "census"
    no_interval = judge("about_22", 0.22)  # a sample figure without its interval decides nothing
    assert no_interval.status == ev.INCONCLUSIVE
    assert judge("about_22", None).status == ev.NOT_TESTABLE
    with pytest.raises(readings.ReadingError, match="no reading for claim 'nope'"):
        judge("nope", 0.2)


def test_claim_status_depends_only_on_decisive_disagreement():
    assert ev.claim_status(ev.SUPPORTED, [ev.CONTRADICTED]) == ev.DEPENDS
    assert ev.claim_status(ev.INCONCLUSIVE, [ev.SUPPORTED, ev.CONTRADICTED]) == ev.DEPENDS
    assert ev.claim_status(ev.SUPPORTED, [ev.INCONCLUSIVE, ev.NOT_TESTABLE]) == ev.SUPPORTED
    assert ev.claim_status(ev.INCONCLUSIVE, [ev.SUPPORTED]) == ev.INCONCLUSIVE
    assert ev.claim_status(ev.CONTRADICTED, []) == ev.CONTRADICTED


def test_sample_size_that_would_decide():
    # half-width 0.1 at n = 100, 0.05 from the nearest edge: four times the sample
    assert ev.n_to_decide(0.3, 0.2, 0.4, 0.25, 0.35, 100) == 400
    assert ev.n_to_decide(0.3, 0.2, 0.4, 0.25, 0.35, 100, population=250) <= 250
    assert ev.n_to_decide(0.25, 0.2, 0.3, 0.25, 0.35, 100) is None  # on the edge


def bad(**change):
    r = {**READINGS["readings"]["about_22"], **change}
    return {"readings": {"c": r}}


@pytest.mark.parametrize(
    "doc,message",
    [
        (bad(band=[0.3, 0.2]), "band low 0.3 is above high 0.2"),
        (bad(direction="about"), "direction 'about'"),
        (bad(direction="more_than"), "needs band \\[low, null\\]"),
        (bad(rationale=""), "missing rationale"),
        (bad(cutoff="2025-13"), "not a month"),
        (bad(band=[None, None]), "band has no edge"),
        (
            bad(alternatives=[{"report": "other", "definition": "d", "figure": "f"}]),
            "a reading from another report is a sensitivity",
        ),
        (bad(history=[{"date": "2026-12-06", "was": "x"}]), "needs date, was, now, because"),
        (
            bad(history=[{"date": "2026-12-06", "was": "x", "now": "y", "because": "z"}]),
            "history entry 1: figures_first is None; one of no, yes, unrecorded",
        ),
        (
            bad(
                history=[
                    {"date": "d", "was": "x", "now": "y", "because": "z", "figures_first": True}
                ]
            ),
            "figures_first is True",
        ),
        ({"claims": {}}, "top-level 'readings:'"),
    ],
)
def test_malformed_readings_are_refused_naming_file_and_claim(doc, message):
    with pytest.raises(readings.ReadingError, match=message) as e:
        readings.parse(doc, "claim_readings.yaml")
    assert "claim_readings.yaml" in str(e.value)


def test_committed_readings_parse_and_every_band_has_a_rationale():
    rs = readings.load_readings()
    assert rs and all(r.rationale and r.population for r in rs.values())
    for r in rs.values():  # a reading that was revised says so on the page
        for h in r.history:
            assert h["was"] != h["now"]


@pytest.mark.mirror
def test_each_cutoff_is_the_last_list_published_before_the_article(real_raw):
    from cnai_helpers import loaders

    batches = loaders.load_batches()
    for cid, r in readings.load_readings().items():
        refs = [(r.registry, r.cutoff)] + [
            (a.registry or r.registry, a.cutoff or r.cutoff) for a in r.alternatives
        ]
        for registry, cutoff in refs:
            if registry is None or cid == "deepseek_entry_152":  # a named list, not a cut-off
                continue
            for member in readings.POOLS.get(registry, (registry,)):
                got = readings.cutoff_batch(batches[batches["registry"] == member], r.article_date)
                assert got == cutoff, (cid, registry, member)
