"""The claims ledger: every quantitative claim in the source articles (data/curated/claims.csv) with the
status the reports that test it gave it.

A claim's status is decided once, in the report that tests it, by a rule of
:mod:`cnai_helpers.evidence`, and recorded in that report's results (``"verdicts"``). The ledger
only reads those verdicts: it never re-decides. A claim tested by several reports (one per
registry, one per chip) gets one ledger row per report and a combined status
(:func:`cnai_helpers.evidence.across_definitions`). A claim no report tests is ``not_testable``
with the reason written in the table. A report that has not been built, whose last build
failed, or whose inputs changed since its last build (``stale``), is shown as such: its old
figures are never used silently. Results are read from the results store (``data/results/``,
see :mod:`cnai_helpers.reports.build`), not from the site.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

from . import paths
from .evidence import LABELS, NOT_TESTABLE, STATUSES, Verdict, across_definitions
from .metadata import TableError, columns, read_curated, table

REQUIRED = tuple(columns("claims"))  # declared in cnai_helpers/tables.yaml
BASES = table("claims").field("basis").allowed  # computed, curated, none
NOT_BUILT = "report_not_built"
FAILED = "report_failed"
STALE = "report_stale"
MISSING = "verdict_missing"
PENDING = (NOT_BUILT, FAILED, STALE, MISSING)
PENDING_LABELS = {
    NOT_BUILT: "report not built",
    FAILED: "report failed (figures stale)",
    STALE: "report out of date (its inputs changed since it was built)",
    MISSING: "no verdict in the report",
}


class ClaimsError(TableError):
    pass


def load_claims(path: Path | None = None) -> pd.DataFrame:
    """data/curated/claims.csv, checked: the declared columns and values (cnai_helpers/tables.yaml,
    unique claim ids among them), and that a claim names a report exactly when it has a basis."""
    p = Path(path or table("claims").path)
    try:
        df = read_curated("claims", p)
    except TableError as e:
        raise ClaimsError(str(e)) from e
    for i, r in df.iterrows():
        where = f"{p} line {i + 2} ({r['claim_id']})"
        if (r["basis"] == "none") != (not r["report_ids"]):
            raise ClaimsError(
                f"{where}: a claim with basis {r['basis']!r} "
                + ("has no report" if r["basis"] != "none" else "must not name a report")
            )
        if r["basis"] == "none" and not r["note"]:
            raise ClaimsError(
                f"{where}: an untestable claim needs a note saying what data would test it"
            )
    return df


def report_ids(claim: pd.Series) -> list[str]:
    return [x for x in claim["report_ids"].split(";") if x]


def load_report_results(report_id: str, results_dir: Path | None = None) -> dict | None:
    """A built report's results from the results store ``results_dir`` (default
    ``data/results/``: ``<id>.json`` and its build status ``<id>.build.json``); None if the
    report has not been built. A failed last build gives ``{"_failed": error}``, an out-of-date
    one ``{"_stale": True}``, with the old figures, which the ledger shows instead of using."""
    d = Path(results_dir or paths.RESULTS)
    try:
        res = json.loads((d / f"{report_id}.json").read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    try:
        build = json.loads((d / f"{report_id}.build.json").read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        build = {}
    if build.get("status") == "failed":
        return {**res, "_failed": build.get("error") or "failed"}
    if build.get("stale"):
        return {**res, "_stale": True}
    return res


def anchor(section: str) -> str:
    """nbconvert's heading id: spaces become hyphens."""
    return re.sub(r"\s+", "-", section.strip())


def verdict_in(results: dict | None, claim_id: str) -> tuple[str, dict | None]:
    """(state, verdict dict) of one claim in one report's results."""
    if results is None:
        return NOT_BUILT, None
    if results.get("_failed"):
        return FAILED, None
    if results.get("_stale"):
        return STALE, None
    for v in results.get("verdicts", []):
        if v.get("claim") == claim_id:
            return v["status"], v
    return MISSING, None


def assess(claim: pd.Series, results: dict[str, dict | None]) -> dict:
    """Per-report verdicts and the combined status of one claim."""
    cid = claim["claim_id"]
    if claim["basis"] == "none":
        return {"status": NOT_TESTABLE, "reason": claim["note"], "per_report": [], "value": None}
    per = []
    for rid in report_ids(claim):
        state, v = verdict_in(results.get(rid), cid)
        if v is not None and v.get("basis") != claim["basis"]:
            raise ClaimsError(
                f"claims.csv {cid}: declared basis {claim['basis']!r} but report "
                f"{rid!r} recorded a {v.get('basis')!r} verdict"
            )
        per.append(
            {
                "report": rid,
                "status": state,
                "value": v and v.get("value"),
                "figure": (v and v.get("figure")) or claim["figure"],
                "reason": v["reason"] if v else PENDING_LABELS[state],
                "basis": v.get("basis") if v else claim["basis"],
            }
        )
    pending = [p for p in per if p["status"] in PENDING]
    if pending:
        return {
            "status": pending[0]["status"],
            "reason": "; ".join(f"{p['report']}: {p['reason']}" for p in pending),
            "per_report": per,
            "value": None,
        }
    if len(per) == 1:
        p = per[0]
        return {
            "status": p["status"],
            "reason": p["reason"],
            "per_report": per,
            "value": p["value"],
        }
    combined = across_definitions(
        {p["report"]: Verdict(p["status"], p["reason"], basis=p["basis"]) for p in per},
        what=f"claim {cid}",
    )
    return {
        "status": combined.status,
        "reason": combined.reason,
        "per_report": per,
        "value": per[0]["value"],
    }


def ledger(claims: pd.DataFrame, results: dict[str, dict | None]) -> pd.DataFrame:
    """One row per claim and testing report (a claim with no report: one row)."""
    rows = []
    for _, c in claims.iterrows():
        a = assess(c, results)
        for p in a["per_report"] or [
            {
                "report": "",
                "status": a["status"],
                "value": None,
                "figure": "",
                "reason": a["reason"],
                "basis": c["basis"],
            }
        ]:
            rows.append(
                {
                    "claim": c["claim_id"],
                    "source": c["article"],
                    "wording": c["quote"],
                    "claimed": c["claimed_value"],
                    "unit": c["unit"],
                    "report": p["report"],
                    "figure": p["figure"],
                    "value": p["value"],
                    "status": p["status"],
                    "basis": p["basis"],
                    "reason": p["reason"],
                    "claim_status": a["status"],
                    "section": c["section"],
                }
            )
    return pd.DataFrame(rows)


def counts(claims: pd.DataFrame, results: dict[str, dict | None]) -> dict[str, int]:
    """Claims per combined status (each claim counted once)."""
    st = [assess(c, results)["status"] for _, c in claims.iterrows()]
    out = {"n_claims": len(st)}
    names = {
        "supported": "n_supported",
        "contradicted": "n_contradicted",
        "depends_on_definition": "n_definition_dependent",
        "not_testable": "n_untestable",
        "source_traced": "n_source_traced",
    }
    for s in STATUSES:
        out[names[s]] = sum(x == s for x in st)
    out["n_pending"] = sum(x in PENDING for x in st)
    return out


def label(status: str) -> str:
    return LABELS.get(status) or PENDING_LABELS.get(status, status)


def claim_records(rows: pd.DataFrame) -> list[dict]:
    """The ledger as a list for results.json: id, status, basis, report, figure, value."""
    from .results import plain_value

    return [
        {
            "id": r["claim"],
            "status": r["status"],
            "claim_status": r["claim_status"],
            "basis": r["basis"],
            "report": r["report"],
            "figure": r["figure"],
            "value": plain_value(r["value"]),
        }
        for _, r in rows.iterrows()
    ]


def _figure_text(r: pd.Series) -> str:
    from .results import fmt

    v = r["value"]
    if v is None or (isinstance(v, float) and v != v):
        return ""
    unit = r["unit"]
    kind = {"share": "share", "year": "year", "x": "ratio"}.get(unit)
    return fmt(v, kind) if kind else fmt(v) + (f" {unit}" if unit else "")


def _claimed_text(claimed, unit: str) -> str:
    from .results import fmt

    if claimed and unit == "share":
        return fmt(float(claimed), "share")
    return f"{claimed} {unit}".strip() if claimed else ""


def _report_link(report: str, section: str) -> str:
    import html

    if report == "claims":
        return "<a href='#Claims-checked-here'>this page</a>"
    href = f"../{report}/index.html#{anchor(section)}"
    return f"<a href='{html.escape(href)}'>{html.escape(report)}</a>"


def ledger_html(rows: pd.DataFrame) -> str:
    """The ledger as an escaped HTML table, one row per claim: the quote and its source, the
    claimed value, the claim's status (badge), and what each testing report found (its figure,
    status and reason, with a link to the section that decides it)."""
    import html

    e = html.escape
    head = ("Claim", "Claimed", "Status", "What the data say")
    out = [
        "<div class='cnai-table-wrap'><table class='cnai-table cnai-ledger'><thead><tr>",
        *(f"<th scope='col'>{h}</th>" for h in head),
        "</tr></thead><tbody>",
    ]
    for cid, g in rows.groupby("claim", sort=False):
        r = g.iloc[0]
        found = []
        for _, p in g.iterrows():
            where = f"{_report_link(p['report'], p['section'])}: " if p["report"] else ""
            fig = _figure_text(p)
            fig = f"<strong>{e(fig)}</strong>, " if fig else ""
            found.append(
                f"<li>{where}{fig}<span class='s-text s-{e(p['status'])}'>"
                f"{e(label(p['status']))}</span>. {e(p['reason'])}</li>"
            )
        status = r["claim_status"]
        out.append(
            f"<tr id='claim-{e(cid)}'><td><q>{e(r['wording'])}</q><br><small>{e(r['source'])}"
            f" · <code>{e(cid)}</code></small></td>"
            f"<td>{e(_claimed_text(r['claimed'], r['unit']))}</td>"
            f"<td class='status-{e(status)}'><span class='badge s-{e(status)}'>"
            f"{e(label(status))}</span></td>"
            f"<td><ul class='cnai-found'>{''.join(found)}</ul></td></tr>"
        )
    out.append("</tbody></table></div>")
    return "".join(out)


def show_ledger(rows: pd.DataFrame, caption: str) -> None:
    """Display the ledger (:func:`ledger_html`) with its "data (CSV)" download: one row per
    claim and testing report, the code names as headers."""
    import html

    from .display import show_html_table

    cols = ["claim", "source", "wording", "claimed", "unit", "report", "figure", "value"]
    data = rows[[*cols, "status", "claim_status", "reason"]]
    body = ledger_html(rows) + f"<p class='cnai-caption'>{html.escape(caption)}</p>"
    show_html_table(body, data, caption, "ledger", what="ledger")
