"""The claims ledger: every quantitative claim in the source articles (data/curated/claims.csv) with the
status the reports that test it gave it.

A claim's status is decided once, in the report that holds its primary reading
(``data/curated/claim_readings.yaml``), by the one rule of :mod:`cnai_helpers.evidence`, and
recorded in that report's results (``"verdicts"``). The ledger only reads those verdicts: it never
re-decides. Other reports' and readings' verdicts are robustness and sensitivity rows. A claim no report tests is ``not_testable``
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
from .evidence import (
    DECISIVE,
    DEPENDS,
    LABELS,
    NOT_TESTABLE,
    STATUSES,
    claim_status,
)
from .formatting import month
from .metadata import TableError, columns, read_curated, table
from .readings import load_readings, reading_html

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
    if build.get("title"):
        res["_title"] = build["title"]
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


PENDING_STATUS = "pending"


def _entry(rid: str, v: dict | None, state: str, claim: pd.Series) -> dict:
    v = v or {}
    return {
        "report": rid,
        "status": state,
        "value": v.get("value"),
        "figure": v.get("figure") or claim["figure"],
        "reason": v.get("reason") or PENDING_LABELS.get(state, ""),
        "basis": v.get("basis") or claim["basis"],
        "role": v.get("role") or "",
        "definition": v.get("definition") or "",
        "registry": v.get("registry"),
        "cutoff": v.get("cutoff"),
        "ci_low": v.get("ci_low"),
        "ci_high": v.get("ci_high"),
        "interval_kind": v.get("interval_kind") or "",
        "band_low": v.get("band_low"),
        "band_high": v.get("band_high"),
        "band_text": v.get("band_text") or "",
        "kind": v.get("kind"),
        "n": v.get("n"),
        "n_to_decide": v.get("n_to_decide"),
        "primary": False,
    }


def assess(claim: pd.Series, results: dict[str, dict | None], readings: dict | None = None) -> dict:
    """Every verdict on one claim and the claim's status.

    A tested (computed) claim takes its status from the verdict of its primary reading, recorded
    by the primary report its reading names (``claim_readings.yaml``); other reports' and
    readings' verdicts are robustness and sensitivity rows, never a better status. The claim is
    ``depends_on_definition`` only when the primary and a pre-registered alternative are each
    decisive and disagree. A primary report not built, failed or out of date, or without a
    verdict under the primary reading, makes the claim ``pending``. A restated figure takes the
    (source-traced) status its report recorded."""
    cid = claim["claim_id"]
    if claim["basis"] == "none":
        return {"status": NOT_TESTABLE, "reason": claim["note"], "per_report": [], "value": None}
    reading = None
    if claim["basis"] == "computed":
        readings = load_readings() if readings is None else readings
        reading = readings.get(cid)
        if reading is None:
            raise ClaimsError(
                f"claims.csv {cid}: a computed claim needs a reading in claim_readings.yaml"
            )
    rids = report_ids(claim)
    if reading is not None and reading.primary.report not in rids:
        rids = [reading.primary.report, *rids]
    per = []
    for rid in rids:
        state, _ = verdict_in(results.get(rid), cid)
        if state in PENDING:
            per.append(_entry(rid, None, state, claim))
            continue
        for v in results[rid].get("verdicts", []):
            if v.get("claim") != cid:
                continue
            if v.get("basis") != claim["basis"]:
                raise ClaimsError(
                    f"claims.csv {cid}: declared basis {claim['basis']!r} but report "
                    f"{rid!r} recorded a {v.get('basis')!r} verdict"
                )
            per.append(_entry(rid, v, v["status"], claim))
    if reading is None:  # a restated figure: its one report's verdict
        p = per[0]
        p["primary"] = True
        status = PENDING_STATUS if p["status"] in PENDING else p["status"]
        return {"status": status, "reason": p["reason"], "per_report": per, "value": p["value"]}
    prim_rid = reading.primary.report
    prim = next((p for p in per if p["report"] == prim_rid and p["role"] == "primary"), None)
    if prim is None:
        state = next((p["status"] for p in per if p["report"] == prim_rid), MISSING)
        state = state if state in PENDING else MISSING
        reason = (
            f"the primary report ({prim_rid}): {PENDING_LABELS[state]}"
            if state != MISSING
            else f"the primary report ({prim_rid}) recorded no verdict under the primary "
            f"reading ({reading.primary.definition})"
        )
        stub = _entry(prim_rid, None, state, claim)
        stub.update(primary=True, reason=reason, role="primary")
        per = [stub, *[p for p in per if p["report"] != prim_rid or p["status"] not in PENDING]]
        return {"status": PENDING_STATUS, "reason": reason, "per_report": per, "value": None}
    prim["primary"] = True
    alt_rows = [p for p in per if p["role"] == "alternative" and p["report"] == prim_rid]
    status, reason = prim["status"], prim["reason"]
    if claim_status(prim["status"], [p["status"] for p in alt_rows]) == DEPENDS:
        alts = [p for p in alt_rows if p["status"] in DECISIVE]
        status = DEPENDS
        reason = "; ".join(
            f"{LABELS[p['status']]} under {p['definition'] or 'the primary reading'}"
            for p in [prim, *alts]
        )
        reason = f"Pre-registered readings disagree: {reason}."
    per = [prim, *[p for p in per if p is not prim]]
    return {"status": status, "reason": reason, "per_report": per, "value": prim["value"]}


def ledger(
    claims: pd.DataFrame, results: dict[str, dict | None], readings: dict | None = None
) -> pd.DataFrame:
    """One row per claim and verdict (primary first; a claim with no report: one row)."""
    readings = load_readings() if readings is None else readings
    titles = {rid: (res or {}).get("_title") for rid, res in results.items()}
    rows = []
    for _, c in claims.iterrows():
        a = assess(c, results, readings)
        r = readings.get(c["claim_id"])
        for p in a["per_report"] or [
            {**_entry("", None, a["status"], c), "reason": a["reason"], "primary": True}
        ]:
            rows.append(
                {
                    "claim": c["claim_id"],
                    "source": c["article"],
                    "wording": c["quote"],
                    "claimed": c["claimed_value"],
                    "claimed_relation": c.get("claimed_relation"),
                    "claimed_high": c.get("claimed_high"),
                    "unit": c["unit"],
                    "report": p["report"],
                    "report_title": titles.get(p["report"]) or p["report"],
                    "figure": p["figure"],
                    "value": p["value"],
                    "status": p["status"],
                    "basis": p["basis"],
                    "reason": p["reason"],
                    "claim_status": a["status"],
                    "section": c["section"],
                    "primary": bool(p["primary"]),
                    "role": p["role"] or ("primary" if p["primary"] else ""),
                    "definition": p["definition"],
                    "registry": p["registry"],
                    "cutoff": p["cutoff"],
                    "ci_low": p["ci_low"],
                    "ci_high": p["ci_high"],
                    "interval_kind": p["interval_kind"],
                    "band_low": r.band_low if r else None,
                    "band_high": r.band_high if r else None,
                    "band_text": p["band_text"],
                    "kind": p["kind"],
                    "n": p["n"],
                    "n_to_decide": p["n_to_decide"],
                }
            )
    return pd.DataFrame(rows)


def counts(
    claims: pd.DataFrame, results: dict[str, dict | None], readings: dict | None = None
) -> dict[str, int]:
    """Claims per status (each claim counted once, by its primary reading)."""
    readings = load_readings() if readings is None else readings
    st = [assess(c, results, readings)["status"] for _, c in claims.iterrows()]
    out = {"n_claims": len(st)}
    for s in STATUSES:
        out[COUNT_NAMES[s]] = sum(x == s for x in st)
    out["n_pending"] = sum(x == PENDING_STATUS for x in st)
    return out


COUNT_NAMES = {
    "supported": "n_supported",
    "contradicted": "n_contradicted",
    "inconclusive": "n_inconclusive",
    "depends_on_definition": "n_definition_dependent",
    "not_testable": "n_untestable",
    "source_traced": "n_source_traced",
}


def label(status: str) -> str:
    if status == PENDING_STATUS:
        return "pending"
    return LABELS.get(status) or PENDING_LABELS.get(status, status)


def claim_records(rows: pd.DataFrame) -> list[dict]:
    """The ledger as a list for results.json: one entry per claim and verdict, with its status,
    whether it is the claim's primary verdict (exactly one per claim), the estimate's interval,
    the band (null for an open side) and the cut-off (YYYY-MM, null where time does not apply).
    """
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
            "primary": bool(r["primary"]),
            "role": r["role"],
            "definition": r["definition"],
            "ci_low": plain_value(r["ci_low"]),
            "ci_high": plain_value(r["ci_high"]),
            "band_low": plain_value(r["band_low"]),
            "band_high": plain_value(r["band_high"]),
            "cutoff": r["cutoff"] if isinstance(r["cutoff"], str) and r["cutoff"] else None,
        }
        for _, r in rows.iterrows()
    ]


def _figure_text(r: pd.Series) -> str:
    from .formatting import fmt, interval_suffix

    v = r["value"]
    if v is None or (isinstance(v, float) and v != v):
        return ""
    units = {"share": "share", "year": "year", "x": "ratio"}
    # a year is a year whatever kind the figure was recorded with (never "2,029")
    kind = "year" if r["unit"] == "year" else r.get("kind") or units.get(r["unit"])
    if not kind:
        return fmt(v) + (f" {r['unit']}" if r["unit"] else "")
    return fmt(v, kind) + interval_suffix(
        r.get("ci_low"), r.get("ci_high"), kind, r.get("interval_kind")
    )


def _estimate_cell(r: pd.Series) -> str:
    """The ledger's estimate cell: "0.18× (0.08×–0.33×)", the kind of interval in its tooltip
    (the full wording, "2.5th–97.5th percentile of the bootstrap samples", made the column a
    few words wide and broke words on a desktop)."""
    import html

    full = _figure_text(r)
    v = r["value"]
    lo, hi = r.get("ci_low"), r.get("ci_high")
    ok = all(isinstance(x, (int, float)) and x == x for x in (v, lo, hi)) and lo != hi
    if not full or not ok:
        return f"<td class='cnai-estimate'>{html.escape(full)}</td>"
    from .formatting import fmt

    units = {"share": "share", "year": "year", "x": "ratio"}
    kind = "year" if r["unit"] == "year" else r.get("kind") or units.get(r["unit"])
    a, b = fmt(lo, kind), fmt(hi, kind)
    dash = " to " if a.startswith(("−", "-")) or b.startswith(("−", "-")) else "–"
    short = f"{fmt(v, kind)} ({a}{dash}{b})"
    return f"<td class='cnai-estimate' title='{html.escape(full)}'>{html.escape(short)}</td>"


def _claimed_text(claimed, unit: str, relation=None, high=None) -> str:
    """The claimed figure as its words state it: "more than 80%", "3–5 models", "2029" (a
    claim's ``claimed_relation`` and ``claimed_high``, data/curated/claims.csv)."""

    def given(x) -> bool:
        return not (x is None or x == "" or (isinstance(x, float) and x != x))

    if not given(claimed):
        return ""
    try:
        v = float(claimed)
    except (TypeError, ValueError):
        return f"{claimed} {unit}".strip()
    unit = str(unit or "").strip()
    hi = float(high) if given(high) else None

    def num(x: float) -> str:
        if unit == "share":  # as precise as the words: "80 percent" is 80%, not 80.0%
            return f"{x * 100:.10g}%"
        if unit == "year":
            return f"{x:.0f}"
        return f"{x:,g}"

    text = num(v) if hi is None else f"{num(v)}–{num(hi)}"
    money = unit.split()
    if unit == "x":
        text += "×"
    elif len(money) == 2 and money[0] in ("USD", "CNY"):  # "USD bn" -> USD 14.5 bn
        text = f"{money[0]} {text} {money[1]}"
    elif unit not in ("share", "year"):
        text = f"{text} {unit}".strip()
    return f"{relation} {text}" if given(relation) else text


def _report_link(report: str, section: str, title: str | None = None) -> str:
    import html

    if report == "claims":
        return "<a href='#Claims-checked-here'>this page</a>"
    href = f"../{report}/index.html#{anchor(section)}"
    return f"<a href='{html.escape(href)}'>{html.escape(title or report)}</a>"


ORDER = {  # the ledger leads with the claims the data decide
    "contradicted": 0,
    "supported": 1,
    "depends_on_definition": 2,
    "inconclusive": 3,
    PENDING_STATUS: 4,
    "source_traced": 5,
    "not_testable": 6,
}


def revised_readings(readings: dict | None = None) -> list[str]:
    """The claims whose reading was revised after results under an earlier reading existed (a
    reading with a history): the ledger says how many, and each claim says so beside its band."""
    readings = load_readings() if readings is None else readings
    return sorted(c for c, r in readings.items() if r.history)


def ledger_html(rows: pd.DataFrame, readings: dict | None = None) -> str:
    """The ledger as an escaped HTML table, one row per claim, decided claims first: the quote,
    its source and its committed reading; the primary estimate with its interval; the claim's
    status (badge); the primary verdict's reason, then the alternative readings and the
    sensitivity checks (folded), each linked to the section of its report."""
    import html

    readings = load_readings() if readings is None else readings
    e = html.escape
    head = ("Claim and how it is read", "Estimate", "Status", "What the data say")
    out = [
        "<div class='cnai-table-wrap'><table class='cnai-table cnai-ledger'><thead><tr>",
        *(f"<th scope='col'>{h}</th>" for h in head),
        "</tr></thead><tbody>",
    ]
    groups = list(rows.groupby("claim", sort=False))
    groups.sort(key=lambda kv: ORDER.get(kv[1].iloc[0]["claim_status"], 9))
    for cid, g in groups:
        r = g.iloc[0]
        prim = g[g["primary"]]
        p0 = prim.iloc[0] if len(prim) else r
        status = r["claim_status"]

        def item(p, with_status=True):
            where = (
                f"{_report_link(p['report'], p['section'], p.get('report_title'))}: "
                if p["report"]
                else ""
            )
            st = (
                f"<span class='s-text s-{e(p['status'])}'>{e(label(p['status']))}</span>. "
                if with_status
                else ""
            )
            cutoff = p["cutoff"] if isinstance(p["cutoff"], str) else ""  # NaN: no cut-off
            scope = ", ".join(
                x for x in (p["definition"], cutoff and f"lists to {month(cutoff)}") if x
            )
            scope = f"<em>{e(scope)}</em> · " if scope else ""
            fig = _figure_text(p)
            fig = f"<strong>{e(fig)}</strong> · " if fig else ""
            return f"<li>{where}{scope}{fig}{st}{e(p['reason'])}</li>"

        alts = [item(p) for _, p in g.iterrows() if p["role"] == "alternative"]
        # the same check computed by two reports (compute and compute-910b record one table of
        # chips and precisions each) is listed once, under the first report that computed it
        seen: set = set()
        sens, sens_pages = [], []  # each check, and the page it is on (for the count by page)
        for _, p in g[g["role"] == "sensitivity"].iterrows():
            key = tuple(str(p.get(k)) for k in ("definition", "registry", "cutoff", "value"))
            if key not in seen:
                seen.add(key)
                sens.append(item(p))
                sens_pages.append(str(p.get("report_title") or p["report"] or ""))
        other_rows = [
            p
            for _, p in g.iterrows()
            if not p["primary"] and p["role"] not in ("alternative", "sensitivity")
        ]
        others = [item(p) for p in other_rows]
        sens_pages += [str(p.get("report_title") or p["report"] or "") for p in other_rows]
        found = [f"<ul class='cnai-found'>{item(p0, with_status=False)}</ul>"]
        if alts:
            found.append(
                f"<p class='cnai-sub'>Alternative readings</p><ul class='cnai-found'>"
                f"{''.join(alts)}</ul>"
            )
        if sens or others:
            found.append(
                f"<details class='cnai-sens'><summary>{e(sensitivity_summary(sens_pages))}"
                f"</summary><ul class='cnai-found'>{''.join(sens + others)}</ul></details>"
            )
        rd = readings.get(cid)
        p_kind = p0.get("kind") if len(prim) else None
        reading = (
            reading_html(rd, p_kind if isinstance(p_kind, str) else None) if rd is not None else ""
        )
        # the claim as read states the band its words allow; a single "claimed" number is shown
        # only for a claim with no reading (e.g. "3×" would misstate "two to four times")
        claimed = (
            ""
            if reading
            else _claimed_text(
                r["claimed"], r["unit"], r.get("claimed_relation"), r.get("claimed_high")
            )
        )
        claimed = f" <small>(claimed: {e(claimed)})</small>" if claimed else ""
        out.append(
            f"<tr id='claim-{e(cid)}'><td><q>{e(r['wording'])}</q><br><small>{e(r['source'])}"
            f"</small>{claimed}{reading}</td>"
            f"{_estimate_cell(p0)}"
            f"<td class='status-{e(status)}'>{_status_badge(status, label(status))}</td>"
            f"<td>{''.join(found)}</td></tr>"
        )
    out.append("</tbody></table></div>")
    return "".join(out)


def sensitivity_summary(pages: list[str]) -> str:
    """The ledger's line over a claim's sensitivity checks, counted by the page each is on, so
    that it agrees with each page's own count ("4 sensitivity checks on this page"): "8
    sensitivity checks across the site (not the verdict): 4 on Who files, 4 on Who files:
    generative-AI filings"."""
    from collections import Counter

    n = len(pages)
    head = f"{n} sensitivity check{'s' if n != 1 else ''}"
    by = Counter(p for p in pages if p)
    if len(by) <= 1:
        where = f" on {next(iter(by))}" if by else ""
        return f"{head}{where} (not the verdict)"
    return f"{head} across the site (not the verdict): " + ", ".join(
        f"{k} on {page}" for page, k in by.items()
    )


def _status_badge(status: str, text: str) -> str:
    """A status badge for the ledger's narrow Status column: its label up to the first
    parenthesis ("source-traced"), the whole label as its tooltip."""
    import html

    e = html.escape
    short = text.split(" (")[0]
    title = f" title='{e(text)}'" if short != text else ""
    return f"<span class='badge s-{e(status)}'{title}>{e(short)}</span>"


def show_ledger(rows: pd.DataFrame, caption: str) -> None:
    """Display the ledger (:func:`ledger_html`) with its "data (CSV)" download: one row per
    claim and testing report, the code names as headers."""
    import html

    from .display import show_html_table

    cols = ["claim", "source", "wording", "claimed", "claimed_relation", "claimed_high", "unit"]
    cols += ["report", "figure", "value"]
    cols += ["ci_low", "ci_high", "interval_kind", "band_low", "band_high", "cutoff", "role"]
    cols += ["definition"]  # interval_kind: a 95% interval, a range between bounds, simulations
    data = rows[[*cols, "primary", "status", "claim_status", "reason"]]
    body = ledger_html(rows) + f"<p class='cnai-caption'>{html.escape(caption)}</p>"
    show_html_table(body, data, caption, "ledger", what="ledger")
