"""Helpers of the who-files report (notebooks/who_files.ipynb): the shares then (at a reading's
cut-off) and now, the broad state-linked bounds, the foreign count, stated coverage, and the
verdicts by evidence.judge. The notebook narrates; the computing lives here, tested."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from .. import evidence
from ..formatting import fmt, span
from . import evaluation as ev

KEY_WORDS = {
    "share_state_linked_adjusted": "State-linked share (state control)",
    "share_cross_sector_adjusted": "Cross-sector share (main)",
    "share_cross_sector_broad_adjusted": "Cross-sector share (broad)",
    "share_state_linked_broad_adjusted": (
        "State-linked share (broad; interval from unknown owners counted out to counted in)"
    ),
}
EMPTY_COLUMNS = {
    "population": np.nan,
    "p_obs": np.nan,
    "estimate": np.nan,
    "ci_low": np.nan,
    "ci_high": np.nan,
    "measurable": False,
    "reason": "no evaluation sample",
    "n_eval": 0,
    "n_unknown": 0,
    "positives": 0,
    "sensitivity": np.nan,
    "specificity": np.nan,
    "rogan_gladen": np.nan,
    "rg_ci_low": np.nan,
    "rg_ci_high": np.nan,
}


def finite_or_none(x) -> float | None:
    """A float for results.json, None (shown as not measurable) for NaN or None."""
    return float(x) if x is not None and np.isfinite(x) else None


def shares(
    filings: pd.DataFrame,
    evaluated: pd.DataFrame,
    registry: str,
    overrides: dict,
    classes: list[str],
    cutoff: str | None,
    n_boot: int,
) -> pd.DataFrame:
    """Two-phase shares of ``classes`` (indexed by class), on the filings listed up to
    ``cutoff`` (None: all); every class not measurable when the domain has no evaluation row
    or no filing."""
    dom = filings if cutoff is None else filings[filings["first_batch"] <= cutoff]
    rows = ev.domain(evaluated[evaluated["registry"] == registry], filings, cutoff)
    if not len(rows) or not len(dom):
        return pd.DataFrame([{"class": k, **EMPTY_COLUMNS} for k in classes]).set_index("class")
    out = ev.two_phase_shares(
        filings, evaluated, registry, overrides, cutoff=cutoff, classes=classes, n_boot=n_boot
    )
    return out.set_index("class")


# what the broad bounds' interval is (the page's words), and how a verdict knows it has one
BOUNDS_KIND = "range from no untraced owner state-linked to all"
BOUNDS_TO_DECIDE = (
    "Its range runs from no filer of unknown ownership being state-linked to all of them: "
    "tracing those owners, not a larger sample, would decide it."
)


# the cross-sector shares' bounds: filings whose sector the labels leave unknown (the text does
# not say whom the product serves) counted as not cross-sector, then as cross-sector
SECTOR_BOUNDS_KIND = "range from no filing of unknown sector cross-sector to all"
SECTOR_BOUNDS_TO_DECIDE = (
    "Its range runs from no filing of unknown sector being cross-sector to all of them: "
    "finding whom those products serve, not a larger sample, would decide it."
)
BOUNDS_DECIDE = {BOUNDS_KIND: BOUNDS_TO_DECIDE, SECTOR_BOUNDS_KIND: SECTOR_BOUNDS_TO_DECIDE}


def sector_bounds(est: dict, no: dict, yes: dict) -> dict:
    """A cross-sector share (``est``: unknown sectors left out, its point estimate) with the
    interval from the low end of the share with them counted out (``no``) to the high end of the
    share with them counted in (``yes``): not one 95% interval but the span of two."""
    ok = bool(est["measurable"] and no["measurable"] and yes["measurable"])
    extra = " and the unlabelled lists none to all," if no.get("unlabelled_weight") else ","
    return {
        **est,
        "measurable": ok,
        "ci_low": no["ci_low"] if ok else np.nan,
        "ci_high": yes["ci_high"] if ok else np.nan,
        "interval_kind": SECTOR_BOUNDS_KIND + extra,
    }


def broad_bounds(s: pd.DataFrame) -> dict:
    """The broad state-linked share: unknown owners counted as not linked (the estimate), its
    interval from that bound's low end to the high end of the bound with them linked."""
    lo_b, hi_b = s.loc["state_linked_broad_unknown_no"], s.loc["state_linked_broad_unknown_yes"]
    ok = bool(lo_b["measurable"] and hi_b["measurable"])
    return {
        "measurable": ok,
        "estimate": lo_b["estimate"] if ok else np.nan,
        "ci_low": lo_b["ci_low"] if ok else np.nan,
        "ci_high": hi_b["ci_high"] if ok else np.nan,
        "n_eval": int(lo_b["n_eval"]),
        "reason": lo_b["reason"] or hi_b["reason"],
        # not one 95% interval: the span of two, one per assumption about unknown owners
        "interval_kind": f"{BOUNDS_KIND},",
    }


def record_share(key: str, r, where: str) -> None:
    """Record a share with its 95% interval (None, shown as not measurable, when it is not)."""
    from ..results import record

    ok = bool(r["measurable"])
    words = KEY_WORDS[key.removesuffix("_cutoff").removesuffix("_pooled")]
    record(
        key,
        float(r["estimate"]) if ok else None,
        f"{words}, {where} (two-phase estimate)",
        kind="share",
    )
    # the ends named as what they are: a 95% interval, or a range between two assumptions (the
    # broad bound, unknown owners counted out to in), never a bound called a 95% interval
    kind = str(r.get("interval_kind") or "95% interval").strip().rstrip(",")
    for end, name in (("ci_low", "Low"), ("ci_high", "High")):
        record(
            f"{key}_{end}",
            float(r[end]) if ok else None,
            f"{name} end of its {kind} ({words.split(' (')[0].lower()}, {where})",
            kind="share",
        )


def foreign_count(rows: pd.DataFrame) -> dict:
    """Foreign filers counted in evaluation rows, with an exact 95% interval, and without Hong
    Kong, Macau and Taiwan owners (recognised from the label's note)."""
    k = int((rows["org_type"] == "foreign").sum())
    m = len(rows)
    hmt = int(((rows["org_type"] == "foreign") & rows["note"].str.contains(ev.HMT_NOTE)).sum())
    lo, hi = evidence.binomial_interval(k, m, method="exact") if m else (np.nan, np.nan)
    return {
        "foreign (rows)": k,
        "evaluation rows": m,
        "share": k / m if m else np.nan,
        "95% low": lo,
        "95% high": hi,
        "of them Hong Kong, Macau or Taiwan owners": hmt,
        "share without them": (k - hmt) / m if m else np.nan,
    }


def simulated_coverage(
    pop_pred, eval_pred, eval_truth, reps: int, seed: int = ev.SEED, n_boot: int = 500
) -> float:
    """Stated coverage: ``reps`` lists simulated with the measured group shares (``pop_pred``)
    and labelled rates (``eval_truth`` within ``eval_pred``), each sampled like the evaluation
    sample (as many rows), and the share of their two-phase 95% intervals holding the simulated
    list's true share. NaN without rows."""
    pp = np.asarray(pop_pred, dtype=bool)
    ep, tt = np.asarray(eval_pred, dtype=bool), np.asarray(eval_truth, dtype=bool)
    if not len(tt) or not len(pp):
        return float("nan")
    rates = {g: (tt[ep == g].mean() if (ep == g).any() else 0.0) for g in (True, False)}
    rng = np.random.default_rng(seed)
    hit = 0
    for _ in range(reps):
        truth = np.where(pp, rng.random(len(pp)) < rates[True], rng.random(len(pp)) < rates[False])
        idx = rng.choice(len(pp), len(tt), replace=False)
        r = ev.two_phase(pp, pp[idx], truth[idx], n_boot=n_boot, seed=int(rng.integers(1e9)))
        hit += bool(r["measurable"] and r["ci_low"] <= truth.mean() <= r["ci_high"])
    return hit / reps


def class_arrays(rows: pd.DataFrame, pop: pd.DataFrame, cls: str):
    """(population predictions, evaluation predictions, evaluation truth) of ``cls``, over the
    evaluation rows with a known label; ``pop`` holds the rules' predictions of the list."""
    truth_fn, pred_fn = ev.CLASSES[cls]
    t = truth_fn(rows)
    keep = t.notna().to_numpy()
    return (
        np.asarray(pred_fn(pop), dtype=bool),
        np.asarray(pred_fn(rows), dtype=bool)[keep],
        t[keep].astype(bool).to_numpy(),
    )


def judge_share(
    claim: str,
    r,
    *,
    definition: str,
    figure: str,
    what: str,
    registry: str,
    cutoff: str | None,
    population: int,
    to_decide: str | None = None,
) -> evidence.Verdict:
    """evidence.judge on a two-phase share (or the broad bounds); a share that is not
    measurable is judged without an estimate, its reason in the words. The broad bounds' range
    spans what the unknown owners are, not sampling error: no sample size would decide it, so
    an inconclusive verdict on them says what would (unless ``to_decide`` says otherwise)."""
    ok = bool(r["measurable"])
    kind = str(r.get("interval_kind") or "")
    bounds = next((k for k in BOUNDS_DECIDE if kind.startswith(k)), None)
    if to_decide is None and bounds:
        to_decide = BOUNDS_DECIDE[bounds]  # the unknown labels, not the sample, keep it open
    v = evidence.judge(
        claim,
        float(r["estimate"]) if ok else None,
        (float(r["ci_low"]), float(r["ci_high"])) if ok else None,
        figure=figure,
        definition=definition,
        registry=registry,
        cutoff=cutoff,
        n=int(r["n_eval"]),
        population=population,
        kind="share",
        what=what + ("" if ok else f" ({r['reason']})"),
        interval_kind=r.get("interval_kind") or "95% interval",
        to_decide=to_decide,
    )
    return dataclasses.replace(v, n_to_decide=None) if bounds else v


def role_label(v: evidence.Verdict) -> str:
    """A status with the role of its reading when it is not the primary one."""
    if v.role == "primary":
        return v.label
    role = "an alternative reading" if v.role == "alternative" else "a sensitivity check"
    return f"{v.label}, {role}"


def shown(r) -> str:
    """'16.8% (95% 7.4%–26.0%)' or 'not measurable'."""
    if not r["measurable"]:
        return "not measurable"
    lo, hi = fmt(float(r["ci_low"]), "share"), fmt(float(r["ci_high"]), "share")
    what = "range" if str(r.get("interval_kind") or "").startswith("range") else "95%"
    return f"{fmt(float(r['estimate']), 'share')} ({what} {span(lo, hi)})"


# the pooled share's interval: percentiles of the population-weighted sum of each list's bootstrap
# draws of its two-phase estimate (coverage checked by simulation, bench/bench_two_phase_coverage.py)
POOLED_KIND = "95% bootstrap interval"
UNLABELLED = ", the unlabelled registrations counted from none to all"
POOLED_INTERVAL = POOLED_KIND + UNLABELLED
# the foreign share's: each sampled list's count drawn from its Jeffreys distribution
COUNT_KIND = "95% Jeffreys interval"


def pooled_share(parts: list[dict], *, level: float = 0.95, kind: str = POOLED_KIND) -> dict:
    """A share of several lists pooled, each list weighted by its filings.

    ``parts``: one dict per list with ``population`` (its filings in the domain) and either
    ``draws`` (bootstrap draws of its share, independent of the other lists') and ``estimate``,
    or ``unlabelled`` True for a list with no hand-labelled row, whose share is unknown: the
    interval counts it as none in the class for its low end and all for its high end (so it
    holds whatever that list's share is), and the point estimate gives it ``fallback`` (another
    list's estimate, stated by the caller). Not measurable when a labelled list's ``draws`` are
    None (its share is not measurable; ``reason`` says why)."""
    total = sum(int(x["population"]) for x in parts)
    bad = [x for x in parts if x.get("draws") is None and not x.get("unlabelled")]
    if not total or bad:
        why = (
            "no filings"
            if not total
            else f"{bad[0]['registry']}: {bad[0].get('reason') or 'no estimate'}"
        )
        return {
            "measurable": False,
            "estimate": np.nan,
            "ci_low": np.nan,
            "ci_high": np.nan,
            "population": total,
            "n_eval": sum(int(x.get("n_eval", 0)) for x in parts),
            "reason": why,
            "interval_kind": kind + UNLABELLED,
        }
    labelled = [x for x in parts if not x.get("unlabelled")]
    w_unl = sum(int(x["population"]) for x in parts if x.get("unlabelled")) / total
    draws = sum(
        int(x["population"]) / total * np.asarray(x["draws"], dtype=float) for x in labelled
    )
    a = (1 - level) / 2
    est = sum(int(x["population"]) / total * float(x["estimate"]) for x in labelled)
    est += sum(
        int(x["population"]) / total * float(x["fallback"]) for x in parts if x.get("unlabelled")
    )
    return {
        "measurable": True,
        "estimate": float(est),
        "ci_low": float(np.quantile(draws, a)),
        "ci_high": float(np.quantile(draws + w_unl, 1 - a)),
        "population": total,
        "n_eval": sum(int(x.get("n_eval", 0)) for x in labelled),
        "unlabelled_weight": w_unl,
        "reason": "",
        "interval_kind": kind + UNLABELLED if w_unl > 0 else kind,
    }


def census_part(labels: pd.DataFrame, domain_numbers, classes, n_boot: int) -> dict | None:
    """A pooled part from a census of hand labels (every filing of the list labelled): per
    class its share among the rows with a known label, with no sampling error (constant draws).
    None when the labels do not cover exactly the filings of the domain (then the list counts
    as unlabelled)."""
    if not len(labels) or set(labels["filing_number"]) != set(domain_numbers):
        return None
    out = {}
    for k in classes:
        known = ev.CLASSES[k][0](labels).dropna().astype(bool)  # the class's truth from labels
        share = float(known.mean()) if len(known) else float("nan")
        out[k] = {
            "estimate": share,
            "draws": np.full(n_boot, share) if len(known) else None,
            "n_eval": int(len(known)),
            "reason": "" if len(known) else "every label unknown",
        }
    return out
