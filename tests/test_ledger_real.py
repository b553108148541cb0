"""On the real data: every claim's status on its report page equals its status in the ledger."""

from __future__ import annotations

import json
import shutil

import pytest
import yaml

from cnai_helpers import claims as cl
from cnai_helpers import evidence as ev
from cnai_helpers import paths
from cnai_helpers.registry.ensure import ensure_registry
from cnai_helpers.reports.build import build_reports, summary
from cnai_helpers.reports.site import load_site

REPORTS = {
    "monetization": ("open_vs_closed_monetization.ipynb", {}),
    "compute-910b": ("compute_cost_penalty.ipynb", {"domestic_chip": "Huawei Ascend 910B"}),
    "who-files-genai": ("who_files.ipynb", {"registry": "genai_filings"}),
}


def page_statuses(page: str) -> dict[str, str]:
    """Claim id -> status as the page's answer shows them (badge class ``s-<status>``)."""
    from bs4 import BeautifulSoup

    out = {}
    for p in BeautifulSoup(page, "html.parser").select(".cnai-answer .cnai-verdict"):
        status = next(c[2:] for c in p.select_one(".badge")["class"] if c.startswith("s-"))
        labels = {**ev.LABELS, "sensitivity": "sensitivity check"}
        assert p.select_one(".badge").get_text(strip=True) == labels[status]
        out[p.select_one(".cnai-claim code").get_text(strip=True)] = status
    return out


@pytest.fixture(scope="module")
def full(real_site):
    """The whole site, built once per run (conftest.real_site): every report and the ledger."""
    return real_site.root


@pytest.fixture(scope="module")
def built(tmp_path_factory, real_site):
    """A site of the claims ledger alone, reading a results store that holds only the reports
    of REPORTS (their results taken from the whole site's build): the ledger must list every
    other report's claims as not built, not reuse old figures."""
    root = tmp_path_factory.mktemp("ledger")
    nbs = root / "notebooks"
    nbs.mkdir()
    shutil.copy(paths.NOTEBOOKS / "claims_ledger.ipynb", nbs)
    out, store = root / "reports", root / "results"
    store.mkdir()
    for rid in REPORTS:
        if real_site.results is not None:
            for f in (f"{rid}.json", f"{rid}.build.json"):
                shutil.copy(real_site.results / f, store / f)
        else:  # an already built site (CNAI_SITE_UNDER_TEST): its published results
            shutil.copy(real_site.root / rid / "results.json", store / f"{rid}.json")
    doc = {
        "reports": [
            {
                "id": "claims",
                "notebook": "claims_ledger.ipynb",
                "title": "Ledger",
                "question": "?",
            },
        ]
    }
    (root / "site.yaml").write_text(yaml.safe_dump(doc))
    statuses = build_reports(
        load_site(root / "site.yaml"),
        out_root=out,
        jobs=1,
        ensure_data=lambda _: ensure_registry(),
        results_root=store,
    )
    assert not summary(statuses)["failed"], statuses
    return out


def test_every_page_verdict_matches_the_ledger(full):
    built = full
    ledger = json.loads((built / "claims" / "results.json").read_text())
    rows = {(c["id"], c["report"]): c for c in ledger["claims"]}
    checked = 0
    for rid in REPORTS:
        page = page_statuses((built / rid / "index.html").read_text())
        verdicts = json.loads((built / rid / "results.json").read_text())["verdicts"]
        # a report may record several readings of a claim: the page shows the claim's status
        # from its primary reading (with its alternatives), or "sensitivity" when the report
        # computes the claim only as a sensitivity check
        recorded = {}
        for v in verdicts:
            vs = [x for x in verdicts if x["claim"] == v["claim"]]
            prim = next((x for x in vs if x.get("role") in ("primary", "")), None)
            alts = [x["status"] for x in vs if x.get("role") == "alternative"]
            recorded[v["claim"]] = (
                ev.claim_status(prim["status"], alts) if prim is not None else "sensitivity"
            )
        assert page == recorded, rid  # the page shows exactly the recorded verdicts
        for claim, status in recorded.items():
            if (
                (claim, rid) in rows and status != "sensitivity"
            ):  # reports may test claims the ledger assigns elsewhere
                assert rows[(claim, rid)]["status"] == status, (claim, rid)
                checked += 1
    assert checked >= 10


def test_ledger_counts_source_traced_apart_and_lists_unbuilt_reports(built):
    res = json.loads((built / "claims" / "results.json").read_text())
    by_id = {}
    for c in res["claims"]:
        by_id.setdefault(c["id"], c)
    assert by_id["chatgpt_68"]["status"] == ev.SOURCE_TRACED
    assert by_id["chatgpt_68"]["basis"] == "curated"
    assert by_id["deepseek_entry_152"]["status"] == ev.SUPPORTED  # computed in the ledger
    # geo reports were not built in this site: their claims are pending, not silently reused
    assert by_id["hubs_80"]["status"] == cl.NOT_BUILT
    n = sum(
        res[k]
        for k in (
            "n_supported",
            "n_contradicted",
            "n_definition_dependent",
            "n_untestable",
            "n_source_traced",
            "n_pending",
        )
    )
    assert n == res["n_claims"] == len(cl.load_claims())
    page = (built / "claims" / "index.html").read_text()
    assert (
        page.count("class='status-source_traced'") + page.count('class="status-source_traced"') >= 7
    )
