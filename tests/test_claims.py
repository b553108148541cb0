"""The claims ledger reads verdicts; it never re-decides them, and never uses stale figures."""

from __future__ import annotations

import ast
import json

import nbformat
import pandas as pd
import pytest

from cnai_helpers import claims as cl
from cnai_helpers import evidence as ev
from cnai_helpers import paths, readings
from tests.fixtures import notebook_code_trees

CLAIMS = pd.DataFrame(
    [
        {
            "claim_id": "a",
            "article": "X",
            "quote": "q",
            "claimed_value": "0.2",
            "claimed_relation": "",
            "claimed_high": "",
            "unit": "share",
            "report_ids": "r1;r2",
            "figure": "share_a",
            "basis": "computed",
            "section": "Findings",
            "note": "",
        },
        {
            "claim_id": "b",
            "article": "X",
            "quote": "q",
            "claimed_value": "0.7",
            "claimed_relation": "",
            "claimed_high": "",
            "unit": "share",
            "report_ids": "r1",
            "figure": "share_b",
            "basis": "curated",
            "section": "Findings",
            "note": "",
        },
        {
            "claim_id": "c",
            "article": "X",
            "quote": "q",
            "claimed_value": "3",
            "claimed_relation": "",
            "claimed_high": "",
            "unit": "",
            "report_ids": "",
            "figure": "",
            "basis": "none",
            "section": "",
            "note": "no data",
        },
    ]
)


READINGS = readings.parse(
    {
        "readings": {
            "a": {
                "quantity": "a share",
                "population": "filings to 2025-01",
                "registry": "genai_filings",
                "article_date": "2025-02-15",
                "cutoff": "2025-01",
                "direction": "between",
                "band": [0.15, 0.25],
                "rationale": "about a fifth",
                "primary": {"report": "r1", "definition": "main", "figure": "share_a"},
                "alternatives": [{"report": "r1", "definition": "broad", "figure": "share_b"}],
            }
        }
    },
    "test.yaml",
)


def verdict(claim, status, basis="computed", role="primary", definition="main", **kw):
    return {
        "claim": claim,
        "status": status,
        "reason": "because",
        "figure": "f",
        "basis": basis,
        "value": 0.1,
        "role": role if basis == "computed" else "",
        "definition": definition,
        "registry": "genai_filings",
        "cutoff": "2025-01",
        "ci_low": 0.05,
        "ci_high": 0.3,
        "kind": "share",
        **kw,
    }


def sens(claim, status):
    return verdict(claim, status, role="sensitivity", definition="main", cutoff="2026-08")


def test_primary_report_decides_other_reports_are_robustness_rows():
    """One supportive report and one inconclusive primary: the primary decides, nothing dropped."""
    results = {
        "r1": {
            "verdicts": [
                verdict("a", ev.INCONCLUSIVE),
                sens("a", ev.SUPPORTED),
                verdict("b", ev.SOURCE_TRACED, "curated"),
            ]
        },
        "r2": {"verdicts": [verdict("a", ev.SUPPORTED, role="sensitivity")]},
    }
    rows = cl.ledger(CLAIMS, results, READINGS)
    a = rows[rows["claim"] == "a"]
    assert set(a["claim_status"]) == {ev.INCONCLUSIVE}
    assert a["primary"].sum() == 1 and a[a["primary"]]["report"].item() == "r1"
    assert len(a) == 3  # the primary and both sensitivity rows are kept
    n = cl.counts(CLAIMS, results, READINGS)
    assert n["n_inconclusive"] == 1 and n["n_supported"] == 0 and n["n_source_traced"] == 1
    assert n["n_untestable"] == 1 and n["n_claims"] == 3
    recs = cl.claim_records(rows)
    assert sum(r["primary"] for r in recs if r["id"] == "a") == 1
    prim = next(r for r in recs if r["id"] == "a" and r["primary"])
    assert (prim["band_low"], prim["band_high"], prim["cutoff"]) == (0.15, 0.25, "2025-01")
    assert (prim["ci_low"], prim["ci_high"]) == (0.05, 0.3)
    assert all(sum(r["primary"] for r in recs if r["id"] == c) == 1 for c in "abc")


def test_depends_on_definition_only_between_decisive_pre_registered_readings():
    def status(primary, alternative, where="r1"):
        results = {
            "r1": {"verdicts": [verdict("a", primary)]},
            "r2": {"verdicts": []},
        }
        results[where]["verdicts"].append(
            verdict("a", alternative, role="alternative", definition="broad")
        )
        return cl.assess(CLAIMS.iloc[0], results, READINGS)["status"]

    assert status(ev.SUPPORTED, ev.CONTRADICTED) == ev.DEPENDS
    assert status(ev.CONTRADICTED, ev.SUPPORTED) == ev.DEPENDS
    assert status(ev.SUPPORTED, ev.INCONCLUSIVE) == ev.SUPPORTED  # shown, never promoted
    assert status(ev.INCONCLUSIVE, ev.SUPPORTED) == ev.INCONCLUSIVE
    assert status(ev.SUPPORTED, ev.CONTRADICTED, where="r2") == ev.SUPPORTED  # not the primary's


def test_ledger_page_leads_with_decided_claims_and_shows_the_reading():
    from bs4 import BeautifulSoup

    results = {
        "r1": {
            "verdicts": [
                verdict("a", ev.CONTRADICTED, value=0.1),
                sens("a", ev.SUPPORTED),
                verdict("b", ev.SOURCE_TRACED, "curated"),
            ],
            "_title": "Report one",
        },
        "r2": {"verdicts": []},
    }
    rows = cl.ledger(CLAIMS, results, READINGS)
    soup = BeautifulSoup(cl.ledger_html(rows, READINGS), "html.parser")
    trs = soup.select("tbody tr")
    assert [r["id"] for r in trs] == ["claim-a", "claim-b", "claim-c"]
    assert trs[0].select_one(".badge").get_text() == ev.LABELS[ev.CONTRADICTED]
    text = trs[0].get_text(" ", strip=True)
    assert (
        "Read as 15%–25%" in text and "about a fifth" in text and "lists up to January 2025" in text
    )
    assert "10.0% (95% interval 5.0%–30.0%)" in text
    assert (
        "2 sensitivity checks" in trs[0].select_one(".cnai-sens summary").get_text()
    )  # + r2 silent
    assert trs[0].select_one("a").get_text() == "Report one"
    assert trs[0].select_one("a")["href"] == "../r1/index.html#Findings"


def test_the_ledger_counts_sensitivity_checks_by_page_as_the_pages_do():
    """The ledger said "8 sensitivity checks" where who-files said "4": the ledger's line says
    how many are on each page, so each page's own count is in it."""
    assert cl.sensitivity_summary(["Who files"] * 4 + ["Who files: generative-AI filings"] * 4) == (
        "8 sensitivity checks across the site (not the verdict): 4 on Who files, "
        "4 on Who files: generative-AI filings"
    )
    assert cl.sensitivity_summary(["Compute"]) == "1 sensitivity check on Compute (not the verdict)"


@pytest.mark.parametrize(
    "results,state",
    [
        ({"r1": {"verdicts": [verdict("a", ev.SUPPORTED)], "_failed": "boom"}}, cl.FAILED),
        ({"r1": {"verdicts": [verdict("a", ev.SUPPORTED)], "_stale": True}}, cl.STALE),
        ({}, cl.NOT_BUILT),
        ({"r1": {"verdicts": [sens("a", ev.SUPPORTED)]}}, cl.MISSING),
    ],
)
def test_missing_failed_or_stale_primary_makes_the_claim_pending(results, state):
    """A supportive verdict elsewhere never stands in for the primary."""
    results = {**results, "r2": {"verdicts": [verdict("a", ev.SUPPORTED)]}}
    a = cl.assess(CLAIMS.iloc[0], results, READINGS)
    assert a["status"] == cl.PENDING_STATUS
    prim = next(p for p in a["per_report"] if p["primary"])
    assert prim["status"] == state and prim["report"] == "r1"
    assert cl.counts(CLAIMS, results, READINGS)["n_pending"] == 2  # b (restated) is in r1 too


def test_declared_basis_must_match_the_reports_verdict():
    results = {"r1": {"verdicts": [verdict("b", ev.SOURCE_TRACED, "curated")]}}
    bad = CLAIMS.iloc[1].copy()
    bad["basis"] = "computed"
    bad["claim_id"] = "a"
    with pytest.raises(cl.ClaimsError, match="declared basis"):
        cl.assess(bad, {"r1": {"verdicts": [verdict("a", ev.SOURCE_TRACED, "curated")]}}, READINGS)
    with pytest.raises(cl.ClaimsError, match="needs a reading"):
        cl.assess(CLAIMS.iloc[1].copy().replace({"curated": "computed"}), results, READINGS)


def test_every_computed_claim_has_a_reading_and_its_primary_report_tests_it():
    df = cl.load_claims()
    rs = readings.load_readings()
    for _, c in df[df["basis"] == "computed"].iterrows():
        r = rs[c["claim_id"]]
        assert r.primary.report in cl.report_ids(c) or r.primary.report == "claims", c["claim_id"]
    assert set(rs) == set(df.loc[df["basis"] == "computed", "claim_id"])


def test_failed_build_marks_results_stale(tmp_path):
    (tmp_path / "r1.json").write_text(json.dumps({"verdicts": [verdict("a", ev.SUPPORTED)]}))
    (tmp_path / "r1.build.json").write_text(
        json.dumps({"status": "failed", "error": "cell 2: boom"})
    )
    assert cl.load_report_results("r1", tmp_path)["_failed"] == "cell 2: boom"
    assert cl.load_report_results("nope", tmp_path) is None
    results = {"r1": cl.load_report_results("r1", tmp_path)}
    assert cl.verdict_in(results["r1"], "a") == (cl.FAILED, None)


def test_stale_upstream_is_shown_not_used(tmp_path):
    (tmp_path / "r1.json").write_text(json.dumps({"verdicts": [verdict("a", ev.SUPPORTED)]}))
    (tmp_path / "r1.build.json").write_text(json.dumps({"status": "ok", "stale": True}))
    res = cl.load_report_results("r1", tmp_path)
    assert res["_stale"] is True
    assert cl.verdict_in(res, "a") == (cl.STALE, None)
    assert "out of date" in cl.label(cl.STALE)


def test_claims_table_rules(tmp_path):
    p = tmp_path / "claims.csv"
    bad = CLAIMS.copy()
    bad.loc[2, "note"] = ""
    bad.to_csv(p, index=False)
    with pytest.raises(cl.ClaimsError, match="needs a note"):
        cl.load_claims(p)
    bad = CLAIMS.copy()
    bad.loc[0, "basis"] = "press"
    bad.to_csv(p, index=False)
    with pytest.raises(cl.ClaimsError, match="basis must be"):
        cl.load_claims(p)


def test_real_claims_table_loads_and_every_claim_has_a_basis():
    df = cl.load_claims()
    assert set(df["basis"]) <= set(cl.BASES)
    assert (df.loc[df["basis"] == "none", "note"] != "").all()


def test_a_claimed_figure_keeps_the_relation_and_range_its_words_state():
    """ "even stronger gains" than 80% is not a claim of 80%, nor "three to five models" one of
    3: the curated table records the relation and the range, and the ledger shows them."""
    df = cl.load_claims().set_index("claim_id")
    words = {"more than": "more than", "nearly": "nearly", "stronger": "more than"}
    for cid, r in df.iterrows():
        q = r["quote"].lower()
        for w, rel in words.items():
            if w in q:
                assert r["claimed_relation"] == rel, cid
        if " to " in q.replace("-- ", "") and any(n in q for n in ("two to", "three to")):
            assert r["claimed_high"], cid
    shown = cl._claimed_text
    m = df.loc["minimax_stronger"]
    assert shown(m["claimed_value"], m["unit"], m["claimed_relation"]) == "more than 80%"
    m = df.loc["manufacturing_models"]
    assert shown(m["claimed_value"], m["unit"], None, m["claimed_high"]) == "3–5 models"


def test_no_notebook_defines_a_function_or_class():
    """Notebooks narrate; the package computes (functions live in tested modules)."""
    offenders = []
    for name, i, tree in notebook_code_trees():
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                offenders.append(f"{name} cell {i}: {type(node).__name__}")
    assert not offenders, offenders


def test_no_notebook_decides_a_status_itself():
    """Status words appear in notebooks only through cnai_helpers.evidence."""
    words = (
        '"supported"',
        '"contradicted"',
        '"depends on definition"',
        "'supported'",
        '"inconclusive"',
    )
    found = []
    for nb_path in sorted(paths.NOTEBOOKS.glob("*.ipynb")):
        nb = nbformat.read(nb_path, as_version=4)
        for i, cell in enumerate(nb.cells):
            if cell.cell_type == "code" and any(w in cell.source for w in words):
                found.append(f"{nb_path.name} cell {i}")
    assert not found, found


def test_a_revised_reading_says_so_beside_its_band_not_only_in_the_fold():
    """A reading revised after results under an earlier reading existed says so next to its
    band (visible without opening "Why this reading"); an unrevised one does not; the ledger
    counts the revised ones."""
    from bs4 import BeautifulSoup

    from cnai_helpers.claims import revised_readings
    from cnai_helpers.formatting import ISO_DATE_RE, dates_in_words
    from cnai_helpers.readings import load_readings, reading_html

    readings = load_readings()
    revised = revised_readings(readings)
    assert revised and set(revised) <= set(readings)
    for cid, r in readings.items():
        soup = BeautifulSoup(reading_html(r), "html.parser")
        head = soup.select_one("p.cnai-reading").get_text(" ")
        fold = soup.select_one("details.cnai-why").get_text(" ")
        # months and days in words, like the rest of the site ("Judged on the lists up to
        # March 2025", not "2025-03")
        assert not ISO_DATE_RE.search(head + fold), (cid, ISO_DATE_RE.findall(head + fold))
        if r.cutoff:
            assert f"lists up to {dates_in_words(r.cutoff)}," in head, cid
        if cid in revised:
            assert "Reading revised" in head and dates_in_words(r.history[-1]["was"]) in fold, cid
            after = sum(h["figures_first"] == "yes" for h in r.history)
            # a revision written after its figures were seen is said beside the band, not only
            # in the fold; one set before them is not
            assert ("after figures under the new reading" in head) == bool(after), cid
            assert len(soup.select("ol.cnai-revisions li")) == len(r.history), cid
        else:
            assert "revised" not in head, cid


def test_a_sensitivity_check_two_reports_computed_is_listed_once():
    """compute and compute-910b each record the same table of chips and precisions: the ledger
    lists each check once (a reader saw every row twice), and a different check stays."""
    from bs4 import BeautifulSoup

    other = verdict("a", ev.INCONCLUSIVE, role="sensitivity", cutoff="2026-08", value=0.4)
    results = {
        "r1": {"verdicts": [verdict("a", ev.CONTRADICTED), sens("a", ev.SUPPORTED), other]},
        "r2": {"verdicts": [sens("a", ev.SUPPORTED)]},
    }
    rows = cl.ledger(CLAIMS, results, READINGS)
    soup = BeautifulSoup(cl.ledger_html(rows, READINGS), "html.parser")
    items = soup.select("tr#claim-a .cnai-sens li")
    texts = [li.get_text(" ", strip=True) for li in items]
    assert sum("10.0%" in t for t in texts) == 1, texts
    assert sum("40.0%" in t for t in texts) == 1, texts
