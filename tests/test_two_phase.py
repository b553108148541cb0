"""The two-phase (double-sampling) estimator of the who-files shares, Cohen's kappa between the
two coders, and the adjudicated labels (cnai_helpers/analysis/evaluation.py,
cnai_helpers/enrich/labels.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cnai_helpers.analysis import evaluation as ev
from cnai_helpers.enrich import labels as L


def test_two_phase_matches_a_hand_computation():
    # list of 100 filings: 20 predicted in the class, 80 outside
    pop = [True] * 20 + [False] * 80
    # evaluation rows: 10 predicted in (8 truly in), 20 predicted out (3 truly in)
    ep = [True] * 10 + [False] * 20
    et = [True] * 8 + [False] * 2 + [True] * 3 + [False] * 17
    r = ev.two_phase(pop, ep, et, n_boot=500)
    # 0.2 × 8/10 + 0.8 × 3/20 = 0.16 + 0.12 = 0.28
    assert r["estimate"] == pytest.approx(0.28)
    assert r["p_obs"] == pytest.approx(0.2)
    assert [s["n"] for s in r["strata"]] == [10, 20]
    assert [s["rate"] for s in r["strata"]] == pytest.approx([0.8, 0.15])
    assert r["ci_low"] < 0.28 < r["ci_high"]
    assert r["measurable"]


def test_two_phase_interval_is_seeded_and_narrows_with_more_rows():
    pop = [True] * 300 + [False] * 700
    small = ev.two_phase(
        pop, [True] * 20 + [False] * 20, [True] * 15 + [False] * 5 + [True] * 5 + [False] * 15
    )
    big = ev.two_phase(
        pop, [True] * 200 + [False] * 200, [True] * 150 + [False] * 50 + [True] * 50 + [False] * 150
    )
    again = ev.two_phase(
        pop, [True] * 20 + [False] * 20, [True] * 15 + [False] * 5 + [True] * 5 + [False] * 15
    )
    assert (
        small["estimate"]
        == pytest.approx(big["estimate"])
        == pytest.approx(0.3 * 0.75 + 0.7 * 0.25)
    )
    assert (again["ci_low"], again["ci_high"]) == (small["ci_low"], small["ci_high"])
    assert big["ci_high"] - big["ci_low"] < small["ci_high"] - small["ci_low"]


def test_a_stratum_without_rows_is_not_measurable():
    # 5 filings predicted in the class, none of them sampled
    r = ev.two_phase([True] * 5 + [False] * 95, [False] * 30, [False] * 29 + [True])
    assert not r["measurable"] and np.isnan(r["estimate"]) and np.isnan(r["ci_low"])
    assert "no evaluation row predicted in the class" in r["reason"] and "5.0%" in r["reason"]


def test_a_rate_seen_as_one_on_few_rows_still_has_uncertainty():
    # 3 rows predicted in the class, all in it: resampling would give no spread there
    pop = [True] * 50 + [False] * 950
    r = ev.two_phase(pop, [True] * 3 + [False] * 100, [True] * 3 + [True] * 4 + [False] * 96)
    assert not r["strata"][0]["resampled"] and not r["strata"][1]["resampled"]
    assert r["ci_low"] < r["estimate"] - 0.01  # the thin strata widen the interval
    assert 0 <= r["ci_low"] < r["ci_high"] <= 1


def simulate_coverage(reps: int, seed: int, n_boot: int = 400) -> float:
    """Share of ``reps`` synthetic populations like ours (6,000 filings; a class of about 7%
    with recall 0.65 and precision 1.0, and one of about 45% with recall 0.7 and precision
    0.75) whose 95% interval, from a simple random sample of 300 labelled rows, holds the
    population's true share."""
    rng = np.random.default_rng(seed)
    hits = total = 0
    for _ in range(reps):
        for prev, sens, fpr in ((0.07, 0.65, 0.0), (0.45, 0.7, 0.19)):
            truth = rng.random(6000) < prev
            pred = np.where(truth, rng.random(6000) < sens, rng.random(6000) < fpr)
            idx = rng.choice(6000, 300, replace=False)
            r = ev.two_phase(
                pred, pred[idx], truth[idx], n_boot=n_boot, seed=int(rng.integers(1e9))
            )
            hits += r["ci_low"] <= truth.mean() <= r["ci_high"]
            total += 1
    return hits / total


def test_intervals_cover_the_truth_about_95_percent_of_the_time():
    """A bounded simulation (a few seconds); bench/bench_two_phase_coverage.py runs a larger one."""
    cover = simulate_coverage(reps=400, seed=1)
    # 800 intervals: a true coverage of 95% gives 0.93-0.97 with probability above 0.99
    assert 0.93 <= cover <= 0.97, cover


def test_domain_keeps_the_rows_listed_up_to_the_cutoff():
    filings = pd.DataFrame(
        {
            "registry": ["r"] * 3,
            "filing_number": ["a", "b", "c"],
            "first_batch": ["2024-01", "2024-12", "2025-03"],
        }
    )
    evaluated = pd.DataFrame(
        {"registry": ["r"] * 3, "filing_number": ["c", "a", "b"], "sample_id": ["3", "1", "2"]}
    )
    assert list(ev.domain(evaluated, filings, "2024-12")["sample_id"]) == ["1", "2"]
    assert len(ev.domain(evaluated, filings, None)) == 3
    assert list(ev.domain(evaluated, filings.iloc[1:], None)["sample_id"]) == ["3", "2"]


def test_cohen_kappa_matches_a_hand_computation():
    # 2x2 table: both yes 20, first yes/second no 5, first no/second yes 10, both no 15 (n = 50)
    a = ["y"] * 25 + ["n"] * 25
    b = ["y"] * 20 + ["n"] * 5 + ["y"] * 10 + ["n"] * 15
    # p_o = 35/50 = 0.7; p_e = 0.5×0.6 + 0.5×0.4 = 0.5; κ = 0.2/0.5 = 0.4
    assert ev.cohen_kappa(a, b) == pytest.approx(0.4)
    assert ev.cohen_kappa(a, a) == 1.0
    assert np.isnan(ev.cohen_kappa([], []))
    with pytest.raises(ValueError, match="3 and 2 labels"):
        ev.cohen_kappa([1, 2, 3], [1, 2])


SAMPLE = pd.DataFrame(
    {
        "sample_id": ["DS-001", "DS-002", "DS-003"],
        "registry": ["deep_synthesis"] * 3,
        "filing_number": ["n1", "n2", "n3"],
        "entity_name": ["某大学", "某科技有限公司", "某网络有限公司"],
        "locality": [""] * 3,
        "algorithm_name": ["a", "b", "c"],
        "application_product": [""] * 3,
        "main_use": [""] * 3,
    }
)


def first_labels(org2: str = "private") -> pd.DataFrame:
    return SAMPLE.assign(
        org_type=["university", org2, "private"],
        org_type_confidence="high",
        sector=["education", "cross_sector", "unknown"],
        horizontal_function="no",
        sector_confidence="low",
        note="n",
        labelled_by="l1",
    )


def second_labels() -> pd.DataFrame:
    return SAMPLE.iloc[:2].assign(
        org_type=["university", "local_soe"],
        org_type_confidence="low",
        state_linked_broad=["no", "yes"],
        state_basis=["name", "lookup"],
        sector=["education", "cross_sector"],
        horizontal_function="no",
        sector_confidence="low",
        note="m",
        labelled_by="c2",
    )


def write_project(tmp_path, adjudication: list[dict] | None):
    d = tmp_path / "labels"
    d.mkdir()
    SAMPLE.to_csv(tmp_path / "sample.csv", index=False)
    first_labels().drop(columns=SAMPLE.columns[1:]).to_csv(d / "batch_1.csv", index=False)
    second_labels().to_csv(d / "second_coder.csv", index=False)
    if adjudication is not None:
        pd.DataFrame(adjudication, columns=list(L.ADJUDICATION_COLUMNS)).to_csv(
            d / "adjudication.csv", index=False
        )
    return d, tmp_path / "sample.csv"


def test_a_disagreement_without_adjudication_is_refused(tmp_path):
    d, sample = write_project(tmp_path, adjudication=[])
    with pytest.raises(
        L.EvaluationError, match=r"adjudication.csv: 1 disagreement.*DS-002, org_type"
    ):
        L.adjudicated_labels(d, sample)


def test_adjudicated_labels_and_the_broad_definition(tmp_path):
    row = {
        "sample_id": "DS-002",
        "field": "org_type",
        "first": "private",
        "second": "local_soe",
        "adjudicated": "local_soe",
        "note": "registry shows 60% held by a city SASAC",
    }
    d, sample = write_project(tmp_path, adjudication=[row])
    a = L.adjudicated_labels(d, sample).set_index("sample_id")
    assert a.loc["DS-002", "org_type"] == "local_soe"
    assert list(a["second_coded"]) == [True, True, False]
    # state control implies broad (DS-001: the second coder's "no" is overridden by the
    # university label); DS-003 has no second label, hence no broad label
    assert list(a["state_linked_broad"]) == ["yes", "yes", ""]
    truth = ev.truth_state_linked_broad(a.reset_index())
    assert list(truth) == [True, True, pd.NA] or truth.isna().tolist() == [False, False, True]


def test_an_adjudication_needs_a_note_and_an_allowed_value(tmp_path):
    row = {
        "sample_id": "DS-002",
        "field": "org_type",
        "first": "private",
        "second": "local_soe",
        "adjudicated": "state",
        "note": "x",
    }
    d, sample = write_project(tmp_path, adjudication=[row])
    with pytest.raises(
        L.EvaluationError, match=r"row 2 \(DS-002, org_type\): adjudicated = 'state'"
    ):
        L.adjudicated_labels(d, sample)
    (d / "adjudication.csv").write_text(
        "sample_id,field,first,second,adjudicated,note\nDS-002,org_type,private,local_soe,private, \n"
    )
    with pytest.raises(L.EvaluationError, match="needs a note"):
        L.adjudicated_labels(d, sample)


def test_agreement_table_counts_known_rows_only():
    f = first_labels()
    s = second_labels()
    t = ev.agreement(f, s).set_index(["registry", "field"])
    sl = t.loc[("deep_synthesis", "state-linked (state control)")]
    assert (sl["rows"], sl["agree"]) == (2, 1)
    cs = t.loc[("deep_synthesis", "cross-sector (main)")]
    assert (cs["rows"], cs["agree"], cs["kappa"]) == (2, 2, 1.0)


# ------------------------------------------------------------ the report's helpers


def test_foreign_count_has_an_exact_interval_and_drops_hmt_owners():
    from cnai_helpers.analysis import who_files as wf

    rows = pd.DataFrame(
        {
            "org_type": ["foreign", "foreign", "private", "private"],
            "note": ["HK-controlled", "US parent", "", ""],
        }
    )
    r = wf.foreign_count(rows)
    assert (r["foreign (rows)"], r["evaluation rows"], r["share"]) == (2, 4, 0.5)
    assert r["of them Hong Kong, Macau or Taiwan owners"] == 1 and r["share without them"] == 0.25
    assert 0 < r["95% low"] < 0.5 < r["95% high"] < 1
    empty = wf.foreign_count(rows.iloc[:0])
    assert empty["evaluation rows"] == 0 and np.isnan(empty["share"])


def test_broad_bounds_span_unknown_counted_out_to_in():
    from cnai_helpers.analysis import who_files as wf

    s = pd.DataFrame(
        {
            "measurable": [True, True],
            "estimate": [0.1, 0.6],
            "ci_low": [0.05, 0.5],
            "ci_high": [0.15, 0.7],
            "n_eval": [40, 40],
            "reason": ["", ""],
        },
        index=["state_linked_broad_unknown_no", "state_linked_broad_unknown_yes"],
    )
    b = wf.broad_bounds(s)
    assert (b["estimate"], b["ci_low"], b["ci_high"]) == (0.1, 0.05, 0.7)
    # the span of two 95% intervals is not a 95% interval: the page says what it is
    assert wf.shown(b) == "10.0% (range 5.0%–70.0%)"
    v = wf.judge_share(
        "state_linked_22",
        b,
        definition="broad",
        figure="f",
        what="the broad share",
        registry="genai_filings",
        cutoff="2025-03",
        population=400,
    )
    assert "(range from no untraced owner state-linked to all, 5.0%–70.0%)" in v.reason, v.reason
    # a range over unknown owners: no sample size would decide it (a reader found "About 2,672
    # observations would decide it" under a census of 3,739 filings)
    assert v.status == "inconclusive" and "observations would decide" not in v.reason
    assert wf.BOUNDS_TO_DECIDE in v.reason and v.n_to_decide is None
    # the recorded figures' list names the ends of a bound as a range's, not a 95% interval's
    from cnai_helpers import results

    results.RESULTS.clear()
    shown = []
    monkey = results._display
    results._display = lambda bundle: shown.append(bundle[results.MIME]["description"])
    try:
        wf.record_share("share_state_linked_broad_adjusted_cutoff", b, "filings to March 2025")
        wf.record_share("share_state_linked_adjusted_cutoff", s.iloc[0], "filings to March 2025")
    finally:
        results._display = monkey
    assert shown[1].startswith("Low end of its range from no untraced owner state-linked to all (")
    assert shown[2].startswith("High end of its range from no untraced owner state-linked to all (")
    assert not any("95%" in d for d in shown[:3]), shown
    assert shown[4].startswith("Low end of its 95% interval ("), shown  # no kind: a 95% interval
    s.loc["state_linked_broad_unknown_yes", "measurable"] = False
    assert not wf.broad_bounds(s)["measurable"] and wf.shown(wf.broad_bounds(s)) == "not measurable"


def test_simulated_coverage_is_near_95_percent():
    from cnai_helpers.analysis import who_files as wf

    pop = np.array([True] * 300 + [False] * 2700)
    ep = np.array([True] * 15 + [False] * 135)
    et = np.array([True] * 12 + [False] * 3 + [True] * 7 + [False] * 128)
    cover = wf.simulated_coverage(pop, ep, et, reps=200, seed=3)
    assert 0.89 <= cover <= 0.99, cover
    assert np.isnan(wf.simulated_coverage(pop, ep[:0], et[:0], reps=10))


def test_a_verdict_not_primary_says_its_role():
    from cnai_helpers import evidence
    from cnai_helpers.analysis import who_files as wf

    v = evidence.Verdict(evidence.SUPPORTED, "r", role="primary")
    assert wf.role_label(v) == "supported"
    assert wf.role_label(evidence.Verdict(evidence.CONTRADICTED, "r", role="sensitivity")) == (
        "contradicted, a sensitivity check"
    )
    from cnai_helpers.formatting import month

    assert month("2024-12") == "December 2024" and month(None) == ""  # no list: no words


def test_second_coder_labelled_the_rows_drawn_by_the_committed_script():
    """The deep-synthesis half the second coder labelled is the seeded random draw of
    scripts/draw_second_coder_sample.py (every generative-AI row), in the form's order."""
    import csv
    import importlib.util

    from cnai_helpers import paths

    spec = importlib.util.spec_from_file_location(
        "draw", paths.ROOT / "scripts" / "draw_second_coder_sample.py"
    )
    draw = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(draw)
    labelled = paths.DATA / "evaluation_labels" / "second_coder.csv"
    with labelled.open(encoding="utf-8") as fh:
        got = [r["sample_id"] for r in csv.DictReader(fh)]
    assert got == draw.second_coder_ids()


def test_pooled_share_weights_lists_and_bounds_an_unlabelled_list():
    from cnai_helpers.analysis import who_files as wf

    parts = [
        {
            "registry": "a",
            "population": 800,
            "estimate": 0.5,
            "draws": np.full(400, 0.5),
            "n_eval": 80,
        },
        {
            "registry": "b",
            "population": 100,
            "estimate": 0.2,
            "draws": np.full(400, 0.2),
            "n_eval": 40,
        },
        {"registry": "c", "population": 100, "unlabelled": True, "fallback": 0.2},
    ]
    r = wf.pooled_share(parts)
    # 0.8 × 0.5 + 0.1 × 0.2 + 0.1 × 0.2 (the fallback) = 0.44
    assert r["estimate"] == pytest.approx(0.44)
    # low end: the unlabelled list counted as none in the class; high end: as all of it
    assert r["ci_low"] == pytest.approx(0.42) and r["ci_high"] == pytest.approx(0.52)
    assert r["unlabelled_weight"] == pytest.approx(0.1) and r["n_eval"] == 120
    assert r["population"] == 1000 and r["measurable"]
    assert r["interval_kind"] == wf.POOLED_INTERVAL  # says the bound is in it
    whole = wf.pooled_share(parts[:2])
    assert whole["interval_kind"] == wf.POOLED_KIND and whole["unlabelled_weight"] == 0
    parts[1]["draws"] = None  # a labelled list whose share is not measurable
    parts[1]["reason"] = "no evaluation row predicted in the class"
    bad = wf.pooled_share(parts)
    assert not bad["measurable"] and "b: no evaluation row" in bad["reason"]


def test_pooled_interval_covers_the_pooled_truth_at_least_95_percent_of_the_time():
    # Lists like the claims' pool: two sampled lists (their rows a simple random sample) and a
    # small unlabelled one whose true share can be anything. The interval must hold the pooled
    # truth in at least 95% of simulated samples whatever the unlabelled list holds.
    from cnai_helpers.analysis import who_files as wf

    rng = np.random.default_rng(7)
    sizes, rows, rates = (3234, 346, 159), (240, 100, 0), (0.09, 0.16, None)
    for unlabelled_rate in (0.0, 0.5, 1.0):
        hits = 0
        reps = 300
        for i in range(reps):
            parts, truth = [], 0.0
            for j, (N, m, p) in enumerate(zip(sizes, rows, rates, strict=True)):
                p_true = unlabelled_rate if p is None else p
                k_pop = rng.binomial(N, p_true)
                truth += k_pop
                if m:
                    k = rng.hypergeometric(k_pop, N - k_pop, m)
                    parts.append({"registry": str(j), "population": N, "estimate": k / m, "n_eval": m,
                                  "draws": ev.jeffreys_draws(k, m, 1000, seed=i * 10 + j)})  # fmt: skip
                else:
                    parts.append(
                        {"registry": str(j), "population": N, "unlabelled": True, "fallback": 0.1}
                    )
            r = wf.pooled_share(parts)
            hits += r["ci_low"] <= truth / sum(sizes) <= r["ci_high"]
        assert hits / reps >= 0.95, (unlabelled_rate, hits / reps)


def test_a_verdict_can_say_what_would_decide_it_instead_of_a_sample_size():
    from cnai_helpers import evidence

    kw = dict(figure="x", definition="main", registry="generative_pooled", cutoff="2025-03", n=340)
    plain = evidence.judge("cross_sector_half", 0.58, (0.49, 0.66), **kw)
    assert plain.status == evidence.INCONCLUSIVE and "observations would decide" in plain.reason
    told = evidence.judge(
        "cross_sector_half",
        0.58,
        (0.49, 0.66),
        to_decide="Labelling the registrations would.",
        **kw,
    )
    assert told.reason.endswith("Labelling the registrations would.")
    assert "observations would decide" not in told.reason


def test_unknown_sectors_bound_the_cross_sector_share():
    """A referee: the pooled cross-sector share was "supported" only because filings whose
    sector the labels leave unknown were left out. Counted out, then in, they bound it (as the
    broad state-linked share's unknown owners), and the verdict says what would decide it."""
    from cnai_helpers.analysis import who_files as wf

    d = pd.DataFrame({"sector": ["cross_sector", "healthcare", "unknown"],
                      "horizontal_function": ["no", "yes", "no"]})  # fmt: skip
    assert ev.truth_cross(d).tolist() == [True, False, pd.NA]
    assert ev.truth_cross(d, unknown_as=False).tolist() == [True, False, False]
    assert ev.truth_cross(d, unknown_as=True).tolist() == [True, False, True]
    assert ev.truth_cross_broad(d, unknown_as=True).tolist() == [True, True, True]
    est = {"measurable": True, "estimate": 0.571, "ci_low": 0.511, "ci_high": 0.632, "n_eval": 350,
           "reason": ""}  # fmt: skip
    no, yes = {**est, "ci_low": 0.465, "ci_high": 0.589}, {**est, "ci_low": 0.542, "ci_high": 0.658}
    b = wf.sector_bounds(est, no, yes)
    assert (b["estimate"], b["ci_low"], b["ci_high"]) == (0.571, 0.465, 0.658)
    assert b["interval_kind"].startswith(wf.SECTOR_BOUNDS_KIND)
    kw = dict(definition="main", figure="f", what="the share", registry="generative_pooled",
              cutoff="2025-03", population=3739)  # fmt: skip
    assert wf.judge_share("cross_sector_half", est, **kw).status == "supported"
    v = wf.judge_share("cross_sector_half", b, **kw)
    assert v.status == "inconclusive" and v.n_to_decide is None
    assert "whom those products serve" in v.reason


CENSUS_HEAD = (
    "sample_id,registry,filing_number,entity_name,locality,algorithm_name,application_product,"
    "main_use,org_type,org_type_confidence,state_linked_broad,state_basis,sector,"
    "horizontal_function,sector_confidence,note,labelled_by\n"
)


def _census_row(i, org, broad, sector, hf="no"):
    return (
        f"GR-{i:03d},genai_registrations,N{i},公司{i},北京市,服务{i},,,{org},high,{broad},name,"
        f"{sector},{hf},high,n,coder\n"
    )


def test_a_census_needs_an_adjudication_for_every_disagreement_and_gives_exact_shares(tmp_path):
    from cnai_helpers.analysis import who_files as wf

    d = tmp_path / "genai_registrations"
    d.mkdir()
    for coder, sector_2 in (("a", "cross_sector"), ("b", "education")):  # they differ on GR-002
        rows = [
            (1, "central_soe", "yes", "telecom"),
            (2, "private", "no", sector_2),
            (3, "private", "unknown", "education"),
            (4, "foreign", "no", "cross_sector"),
        ]
        text = CENSUS_HEAD + "".join(_census_row(*r) for r in rows)
        (d / f"coder_{coder}.csv").write_text(text, encoding="utf-8")
    with pytest.raises(ev.EvaluationError, match=r"1 disagreement\(s\).*GR-002, sector"):
        ev.load_census("genai_registrations", tmp_path)
    (d / "adjudication.csv").write_text(
        "sample_id,field,first,second,adjudicated,note\n"
        "GR-002,sector,cross_sector,education,cross_sector,a general chatbot\n",
        encoding="utf-8",
    )
    c = ev.load_census("genai_registrations", tmp_path)
    assert list(c["labels"]["sector"]) == ["telecom", "cross_sector", "education", "cross_sector"]
    parts = wf.census_part(
        c["labels"],
        ["N1", "N2", "N3", "N4"],
        ["state_linked", "cross_sector", "foreign", "state_linked_broad_unknown_yes"],
        50,
    )
    assert parts["state_linked"]["estimate"] == pytest.approx(0.25)
    assert parts["cross_sector"]["estimate"] == pytest.approx(0.5)
    assert parts["foreign"]["estimate"] == pytest.approx(0.25)
    assert parts["state_linked_broad_unknown_yes"]["estimate"] == pytest.approx(
        0.5
    )  # 1 yes + 1 unknown
    assert np.ptp(parts["cross_sector"]["draws"]) == 0  # a census: no sampling error
    # labels that do not cover the list's filings are not a census of it
    assert wf.census_part(c["labels"], ["N1", "N2", "N3", "N4", "N5"], ["state_linked"], 50) is None
    # both coders must label the same rows in the same order
    (d / "coder_b.csv").write_text(
        CENSUS_HEAD + _census_row(9, "private", "no", "education"), encoding="utf-8"
    )
    with pytest.raises(ev.EvaluationError, match="coder_b.csv: row 2: sample_id differs"):
        ev.load_census("genai_registrations", tmp_path)
    assert ev.load_census("no_such_list", tmp_path)["labels"].empty
