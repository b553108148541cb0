"""The claims ledger: every quantitative claim in the source articles (data/claims.csv) with the
figure and status the project's reports give it."""

from __future__ import annotations

import json
import re

import pandas as pd

from . import paths

STATUSES = ("supported", "contradicted", "depends on definition", "not testable with our data")
# report verdict_status values -> the ledger's four statuses
NORMALISE = {
    "supported": "supported",
    "contradicted": "contradicted",
    "not supported by specifications": "contradicted",
    "depends on definition": "depends on definition",
    "depends on assumptions": "depends on definition",
    "partly supported": "depends on definition",
    "not testable": "not testable with our data",
}
REQUIRED = (
    "claim_id",
    "article",
    "quote",
    "claimed_value",
    "unit",
    "report_ids",
    "result_key",
    "status_key",
    "comparison",
    "tolerance",
    "section",
    "note",
)


def load_claims(path=None) -> pd.DataFrame:
    p = path or paths.DATA / "claims.csv"
    df = pd.read_csv(p, dtype=str, keep_default_na=False)
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        raise ValueError(f"{p}: columns {missing} missing")
    dup = df["claim_id"][df["claim_id"].duplicated()].tolist()
    if dup:
        raise ValueError(f"{p}: duplicate claim ids {dup}")
    for i, r in df.iterrows():
        if r["comparison"] not in ("status", "within", "greater_than", "less_than", "none"):
            raise ValueError(f"{p} line {i + 2}: unknown comparison {r['comparison']!r}")
        if r["comparison"] != "none" and not r["report_ids"]:
            raise ValueError(f"{p} line {i + 2}: a testable claim needs report_ids")
    return df


def load_report_results(report_id: str, reports_dir=None) -> dict | None:
    """A built report's results.json (None if the report has not been built)."""
    d = (reports_dir or paths.REPORTS) / report_id
    try:
        return json.loads((d / "results.json").read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def anchor(section: str) -> str:
    """nbconvert's heading id: spaces become hyphens."""
    return re.sub(r"\s+", "-", section.strip())


def assess(claim: pd.Series, results: dict[str, dict | None]) -> dict:
    """Measured value and status of one claim from its reports' results."""
    ids = [x for x in claim["report_ids"].split(";") if x]
    if claim["comparison"] == "none":
        return {"measured": None, "status": "not testable with our data", "built": True}
    built = {i: results.get(i) for i in ids}
    if any(v is None for v in built.values()):
        return {"measured": None, "status": "report not built", "built": False}
    measured = [built[i].get(claim["result_key"]) for i in ids] if claim["result_key"] else []
    value = measured[0] if measured else None
    if claim["comparison"] == "status":
        raw = [
            NORMALISE.get(str(built[i].get(claim["status_key"])), "not testable with our data")
            for i in ids
        ]
        status = raw[0] if len(set(raw)) == 1 else "depends on definition"
    else:
        if value is None:
            return {"measured": None, "status": "not testable with our data", "built": True}
        target = float(claim["claimed_value"])
        tol = float(claim["tolerance"] or 0)
        v = float(value)
        if claim["comparison"] == "within":
            ok = abs(v - target) <= tol * abs(target)
        elif claim["comparison"] == "greater_than":
            ok = v > target
        else:
            ok = v < target
        status = "supported" if ok else "contradicted"
    return {"measured": value, "measured_all": measured, "status": status, "built": True}
