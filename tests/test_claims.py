"""The claims ledger reads verdicts; it never re-decides them, and never uses stale figures."""

from __future__ import annotations

import ast
import json

import nbformat
import pandas as pd
import pytest

from cnai_helpers import claims as cl
from cnai_helpers import evidence as ev
from cnai_helpers import paths
from tests.fixtures import notebook_code_trees

CLAIMS = pd.DataFrame(
    [
        {
            "claim_id": "a",
            "article": "X",
            "quote": "q",
            "claimed_value": "0.2",
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
            "unit": "",
            "report_ids": "",
            "figure": "",
            "basis": "none",
            "section": "",
            "note": "no data",
        },
    ]
)


def verdict(claim, status, basis="computed"):
    return {
        "claim": claim,
        "status": status,
        "reason": "because",
        "figure": "f",
        "basis": basis,
        "value": 0.1,
    }


def test_ledger_takes_each_reports_verdict_and_combines_them():
    results = {
        "r1": {"verdicts": [verdict("a", ev.SUPPORTED), verdict("b", ev.SOURCE_TRACED, "curated")]},
        "r2": {"verdicts": [verdict("a", ev.CONTRADICTED)]},
    }
    rows = cl.ledger(CLAIMS, results)
    per = {(r["claim"], r["report"]): r["status"] for _, r in rows.iterrows()}
    assert per == {
        ("a", "r1"): ev.SUPPORTED,
        ("a", "r2"): ev.CONTRADICTED,
        ("b", "r1"): ev.SOURCE_TRACED,
        ("c", ""): ev.NOT_TESTABLE,
    }
    assert cl.assess(CLAIMS.iloc[0], results)["status"] == ev.DEPENDS
    n = cl.counts(CLAIMS, results)
    assert (n["n_definition_dependent"], n["n_source_traced"], n["n_untestable"]) == (1, 1, 1)
    assert n["n_supported"] == 0  # a source-traced figure never counts as supported


def test_ledger_page_has_one_row_per_claim_with_its_badge_and_each_reports_finding():
    from bs4 import BeautifulSoup

    results = {
        "r1": {"verdicts": [verdict("a", ev.SUPPORTED), verdict("b", ev.SOURCE_TRACED, "curated")]},
        "r2": {"verdicts": [verdict("a", ev.CONTRADICTED)]},
    }
    soup = BeautifulSoup(cl.ledger_html(cl.ledger(CLAIMS, results)), "html.parser")
    rows = soup.select("tbody tr")
    assert [r["id"] for r in rows] == ["claim-a", "claim-b", "claim-c"]
    assert rows[0].select_one(".badge").get_text() == ev.LABELS[ev.DEPENDS]
    found = [li.get_text(" ", strip=True) for li in rows[0].select(".cnai-found li")]
    assert len(found) == 2 and found[0].startswith("r1 : 10.0%") and "contradicted" in found[1]
    assert rows[0].select_one("a")["href"] == "../r1/index.html#Findings"


def test_missing_failed_and_silent_reports_are_pending_not_used():
    results = {
        "r1": {"verdicts": [verdict("a", ev.SUPPORTED)], "_failed": "cell 3: boom"},
        "r2": {"verdicts": []},
    }
    assert cl.assess(CLAIMS.iloc[0], results)["status"] == cl.FAILED
    assert cl.assess(CLAIMS.iloc[0], {"r2": {"verdicts": []}})["status"] == cl.NOT_BUILT
    only_r1 = {"r1": {"verdicts": []}, "r2": {"verdicts": [verdict("a", ev.SUPPORTED)]}}
    assert cl.assess(CLAIMS.iloc[0], only_r1)["status"] == cl.MISSING
    assert cl.counts(CLAIMS, results)["n_pending"] == 2


def test_declared_basis_must_match_the_reports_verdict():
    results = {"r1": {"verdicts": [verdict("b", ev.SOURCE_TRACED, "curated")]}}
    bad = CLAIMS.iloc[1].copy()
    bad["basis"] = "computed"
    with pytest.raises(cl.ClaimsError, match="declared basis"):
        cl.assess(bad, results)


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
    words = ('"supported"', '"contradicted"', '"depends on definition"', "'supported'")
    found = []
    for nb_path in sorted(paths.NOTEBOOKS.glob("*.ipynb")):
        nb = nbformat.read(nb_path, as_version=4)
        for i, cell in enumerate(nb.cells):
            if cell.cell_type == "code" and any(w in cell.source for w in words):
                found.append(f"{nb_path.name} cell {i}")
    assert not found, found
