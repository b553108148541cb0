"""Held-out evaluation of the frozen who-files rules, and shares adjusted for their errors.

The evaluation sample (``data/evaluation_sample_unlabelled.csv``, drawn by
:mod:`cnai_helpers.analysis.sampling`) was labelled from the codebook (by model-assisted coders) after the rules were frozen
(``data/evaluation_labels/batch_*.csv``, codebook ``data/definitions.md``). This module

- loads the labels joined to the sample, checking every value against the codebook;
- scores the rules **as applied to the population** (name rules plus the committed override
  table for the organisation type; name, product and purpose text for the sector) per registry;
- adjusts the rules' population share for their measured errors (Rogan–Gladen), with a
  bootstrap interval that resamples the registry's own evaluation rows, so the uncertainty of
  the sensitivity and specificity is carried into the interval;
- bounds the shares a name cannot tell (foreign and state ownership) from the labels' confidence.

Treatment of ``unknown`` and ``unclassified`` (applied everywhere below):

- a label of ``unknown`` (org type or sector) says nothing about the class: the row is left out
  of that class's sensitivity and specificity (and of the per-sector scores), and counted in the
  bounds (as outside the class for the lower bound, inside it for the upper);
- a broad cross-sector label is positive when ``horizontal_function`` is ``yes`` whatever the
  sector (also ``unknown``); negative needs a known sector;
- a rules prediction of ``unclassified`` is a prediction of "not cross-sector" (the rules' share
  counts it so) and of no vertical: it is a miss for the recall of the labelled sector and no
  claim for precision. The unclassified share is reported separately.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache

import numpy as np
import pandas as pd

from ..enrich.labels import (  # noqa: F401  (the labels' loaders, re-exported)
    ADJUDICATION_COLUMNS,
    ALLOWED,
    ALLOWED_SECOND,
    CODED_FIELDS,
    LABELS_DIR,
    ORG_LABELS,
    SAMPLE_PATH,
    SECTOR_LABELS,
    EvaluationError,
    adjudicated_labels,
    disagreements,
    load_adjudication,
    load_census,
    load_labels,
    load_second_coder,
)
from . import classify as c

SEED = 15  # the bootstrap's seed, fixed with the sample's (issue 15); never tuned
N_BOOT = 2000
# Hong Kong, Macau and Taiwan owners count as foreign; the codebook asks labellers to say so.
HMT_NOTE = re.compile(r"\bHK\b|Hong Kong|Macau|Macao|Taiwan|香港|澳门|台湾", re.I)
VERTICALS = tuple(c.SECTOR_KEYWORDS)


# ------------------------------------------------------------------ predictions and truth


def with_predictions(labels: pd.DataFrame, overrides: dict | None = None) -> pd.DataFrame:
    """The labels with the frozen rules' predictions (``pred_org_type``, ``pred_sector``,
    ``pred_horizontal``, ``pred_cross``, ``pred_cross_broad``), computed as for the population:
    override table first, then the name rules (the 属地 column for generative AI)."""
    loc = labels["locality"].where(labels["locality"] != "", None)
    orgs = c.classify_orgs(labels["entity_name"], loc, overrides)
    text = labels[list(c.SECTOR_TEXT_COLUMNS)].replace("", None)
    sec = c.classify_sectors_detail(text)
    return labels.assign(
        pred_org_type=orgs["org_type"].to_numpy(),
        pred_org_source=orgs["org_type_source"].to_numpy(),
        pred_org_rule=orgs["org_type_rule"].to_numpy(),  # the rule that fired (decided_later)
        pred_sector=sec["sector"].to_numpy(),
        pred_horizontal=sec["horizontal_function"].to_numpy(),
        pred_cross=sec["is_cross_sector"].to_numpy(),
        pred_cross_broad=sec["is_cross_sector_broad"].to_numpy(),
    )


def decided_later(d: pd.DataFrame) -> pd.Series:
    """Per row (:func:`with_predictions`' ``pred_org_rule``, "type: matched text"): was its
    organisation type decided by a rule entry written after the held-out labels were committed
    (reference/org_types.yaml ``later``)? Those labels may have shaped the entry, so the
    held-out scores leave these rows out (an override's row is decided by the override)."""
    from ..enrich.rules import later_entries

    later = later_entries()
    texts = {t.casefold() for t in later["texts"]}
    pats = [re.compile(p) for p in later["patterns"]]

    def by_later(rule: str) -> bool:
        kind, _, matched = rule.partition(": ")
        return kind != "override" and (
            matched.casefold() in texts or any(p.fullmatch(matched) for p in pats)
        )

    return d["pred_org_rule"].astype(str).map(by_later).astype(bool)


def truth_state_linked(d: pd.DataFrame) -> pd.Series:
    """True / False from the label, NA for ``unknown``."""
    t = d["org_type"].isin(c.STATE_LINKED).astype("boolean")
    return t.mask(d["org_type"] == "unknown")


def truth_state_linked_broad(d: pd.DataFrame, unknown_as: bool | None = None) -> pd.Series:
    """The broad definition (any state shareholder, state-backed institutes, universities,
    government bodies and their platforms), from ``state_linked_broad``: True / False, NA for
    ``unknown`` (or ``unknown_as`` when given: the bounds) and for rows without a broad label.
    Only rows both coders labelled count (a random part of the sample): elsewhere the broad
    label is known only for state-controlled filers, which would bias the share upwards."""
    b = d["state_linked_broad"] if "state_linked_broad" in d else pd.Series("", index=d.index)
    coded = d["second_coded"].astype(bool) if "second_coded" in d else b != ""
    t = (b == "yes").astype("boolean")
    t = t.mask((b == "") | ~coded)
    unk = b == "unknown"
    return t.mask(unk) if unknown_as is None else t.where(~unk, unknown_as)


def truth_foreign(d: pd.DataFrame) -> pd.Series:
    t = (d["org_type"] == "foreign").astype("boolean")
    return t.mask(d["org_type"] == "unknown")


def truth_cross(d: pd.DataFrame, unknown_as: bool | None = None) -> pd.Series:
    """True / False from the label, NA for ``unknown`` (or ``unknown_as``: the bounds)."""
    t = (d["sector"] == "cross_sector").astype("boolean")
    unk = d["sector"] == "unknown"
    return t.mask(unk) if unknown_as is None else t.where(~unk, unknown_as)


def truth_cross_broad(d: pd.DataFrame, unknown_as: bool | None = None) -> pd.Series:
    horizontal = d["horizontal_function"] == "yes"
    t = ((d["sector"] == "cross_sector") | horizontal).astype("boolean")
    unk = (d["sector"] == "unknown") & ~horizontal
    return t.mask(unk) if unknown_as is None else t.where(~unk, unknown_as)


def _bounds(name: str, truth: Callable, pred: Callable) -> dict:
    """A class's two bounds: its unknown labels counted out (``<name>_unknown_no``), then in
    (``<name>_unknown_yes``); the same prediction."""
    return {
        f"{name}_unknown_{word}": (lambda d, a=as_: truth(d, unknown_as=a), pred)
        for word, as_ in (("no", False), ("yes", True))
    }


def _state_pred(d: pd.DataFrame) -> pd.Series:
    return d["pred_org_type"].isin(c.STATE_LINKED)


def _cross_pred(d: pd.DataFrame) -> pd.Series:
    return d["pred_cross"].astype(bool)


def _cross_broad_pred(d: pd.DataFrame) -> pd.Series:
    return d["pred_cross_broad"].astype(bool)


# Each binary class: (truth from the labels, prediction from the rules' columns); a share whose
# unknown labels (an owner not traced, a sector the text does not tell) are bounded has them
# counted out, then in
CLASSES: dict[str, tuple[Callable[[pd.DataFrame], pd.Series], Callable]] = {
    "state_linked": (truth_state_linked, _state_pred),
    "state_linked_broad": (truth_state_linked_broad, _state_pred),
    **_bounds("state_linked_broad", truth_state_linked_broad, _state_pred),
    "foreign": (truth_foreign, lambda d: d["pred_org_type"] == "foreign"),
    "cross_sector": (truth_cross, _cross_pred),
    "cross_sector_broad": (truth_cross_broad, _cross_broad_pred),
    **_bounds("cross_sector", truth_cross, _cross_pred),
    **_bounds("cross_sector_broad", truth_cross_broad, _cross_broad_pred),
}


def binary_arrays(d: pd.DataFrame, cls: str) -> tuple[np.ndarray, np.ndarray]:
    """(truth, prediction) as bool arrays over the rows whose label is known for ``cls``."""
    truth_fn, pred_fn = CLASSES[cls]
    t = truth_fn(d)
    keep = t.notna().to_numpy()
    return t[keep].astype(bool).to_numpy(), np.asarray(pred_fn(d), dtype=bool)[keep]


# ------------------------------------------------------------------ scores


def confusion(truth: Sequence[bool], pred: Sequence[bool]) -> dict[str, float | int]:
    """tp, fp, fn, tn, precision, recall (= sensitivity), specificity (NaN when undefined)."""
    t, p = np.asarray(truth, dtype=bool), np.asarray(pred, dtype=bool)
    tp, fp = int((t & p).sum()), int((~t & p).sum())
    fn, tn = int((t & ~p).sum()), int((~t & ~p).sum())

    def ratio(a: int, b: int) -> float:
        return a / b if b else float("nan")

    return {
        "n": len(t),
        "positives": tp + fn,
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
        "precision": ratio(tp, tp + fp),
        "recall": ratio(tp, tp + fn),
        "specificity": ratio(tn, tn + fp),
    }


def class_scores(d: pd.DataFrame) -> pd.DataFrame:
    """Precision, recall (sensitivity) and specificity of each binary class, per registry."""
    rows = []
    for reg, g in d.groupby("registry", sort=True):
        for cls in CLASSES:
            t, p = binary_arrays(g, cls)
            rows.append({"registry": reg, "class": cls, **confusion(t, p)})
    return pd.DataFrame(rows)


def sector_scores(d: pd.DataFrame) -> pd.DataFrame:
    """Per-sector precision and recall over the rows with a known sector label (``unknown``
    excluded; a prediction of ``unclassified`` is a miss, never a claim)."""
    rows = []
    for reg, g in d.groupby("registry", sort=True):
        g = g[g["sector"] != "unknown"]
        for s in ("cross_sector", *VERTICALS):
            conf = confusion(g["sector"] == s, g["pred_sector"] == s)
            if conf["positives"] or conf["tp"] + conf["fp"]:
                rows.append({"registry": reg, "sector": s, **conf})
    return pd.DataFrame(rows)


def sector_micro(d: pd.DataFrame) -> dict[str, float | int]:
    """Sector assignment as a whole, over rows with a known sector label: precision = right
    sectors / rows the rules assigned a sector (not ``unclassified``); recall = right sectors /
    all rows; unclassified share = rows the rules left unclassified / all rows."""
    g = d[d["sector"] != "unknown"]
    right = int((g["sector"] == g["pred_sector"]).sum())
    assigned = int((g["pred_sector"] != "unclassified").sum())
    n = len(g)
    return {
        "n": n,
        "assigned": assigned,
        "right": right,
        "precision": right / assigned if assigned else float("nan"),
        "recall": right / n if n else float("nan"),
        "unclassified_share": (n - assigned) / n if n else float("nan"),
    }


# ------------------------------------------------------------------ agreement between coders


def cohen_kappa(a: Sequence, b: Sequence) -> float:
    """Cohen's κ of two coders' labels of the same rows: (p_o − p_e) / (1 − p_e), p_o the
    share of rows they agree on, p_e the agreement expected from each coder's own label
    shares. NaN without rows; 1.0 when both use one and the same label throughout (p_e = 1).
    Written here (one formula) rather than adding scikit-learn for it; tested against a hand
    computation."""
    x, y = np.asarray(a, dtype=object), np.asarray(b, dtype=object)
    if len(x) != len(y):
        raise ValueError(f"cohen_kappa: {len(x)} and {len(y)} labels")
    if not len(x):
        return float("nan")
    po = float(np.mean(x == y))
    cats = sorted(set(x) | set(y), key=str)
    pe = float(sum(np.mean(x == k) * np.mean(y == k) for k in cats))
    return 1.0 if pe == 1 else (po - pe) / (1 - pe)


# Each field of the agreement table: what each coder's label becomes, and which rows count
# (both coders gave a known label for it).
AGREEMENT_FIELDS: dict[str, tuple[str, Callable[[pd.Series, pd.Series], pd.Series]]] = {
    "organisation type": ("org_type", lambda o, h: o),
    "state-linked (state control)": (
        "org_type",
        lambda o, h: o.where(
            o == "unknown", o.isin(c.STATE_LINKED).map({True: "yes", False: "no"})
        ),
    ),
    "foreign": (
        "org_type",
        lambda o, h: o.where(o == "unknown", (o == "foreign").map({True: "yes", False: "no"})),
    ),
    "sector": ("sector", lambda s, h: s),
    "cross-sector (main)": (
        "sector",
        lambda s, h: s.where(s == "unknown", (s == "cross_sector").map({True: "yes", False: "no"})),
    ),
    "horizontal function": ("horizontal_function", lambda s, h: s),
}


def agreement(first: pd.DataFrame, second: pd.DataFrame) -> pd.DataFrame:
    """Cohen's κ per field and registry (and both together) between the first labels and the
    second coder, over the rows both labelled with a known value for the field (``unknown``
    from either coder leaves the row out of that field)."""
    cols = ["sample_id", *{col for col, _ in AGREEMENT_FIELDS.values()}]
    m = first[["registry", *cols]].merge(second[cols], on="sample_id", suffixes=("_1", "_2"))
    rows = []
    for reg in (*sorted(m["registry"].unique()), "both"):
        g = m if reg == "both" else m[m["registry"] == reg]
        for name, (col, fn) in AGREEMENT_FIELDS.items():
            a = fn(g[f"{col}_1"], g.get("horizontal_function_1"))
            b = fn(g[f"{col}_2"], g.get("horizontal_function_2"))
            keep = (a != "unknown") & (b != "unknown")
            rows.append(
                {
                    "registry": reg,
                    "field": name,
                    "rows": int(keep.sum()),
                    "agree": int((a[keep] == b[keep]).sum()),
                    "kappa": cohen_kappa(a[keep], b[keep]),
                }
            )
    return pd.DataFrame(rows)


# ------------------------------------------------------------------ two-phase estimate

MIN_EACH = 5  # a stratum is resampled when it holds at least this many positives and negatives


def _stratum_draws(s: dict, n_boot: int, rng: np.random.Generator, min_each: int) -> np.ndarray:
    """``n_boot`` draws of one stratum's rate: resampling its rows with replacement (as
    Binomial(n, p) / n, the same distribution, vectorised) when it holds at least ``min_each``
    positives and negatives; otherwise (a class rare or near-certain in the stratum, where
    resampling cannot produce what was not seen) the Jeffreys draw Beta(k + ½, n − k + ½)."""
    n, k = s["n"], s["positives"]
    if k >= min_each and n - k >= min_each:
        return rng.binomial(n, k / n, size=n_boot) / n
    return jeffreys_draws(k, n, n_boot, rng)


def jeffreys_draws(k: int, n: int, n_boot: int, seed) -> np.ndarray:
    """Draws of a share counted as ``k`` of ``n`` rows: Beta(k + ½, n − k + ½), the Jeffreys
    posterior, which keeps the uncertainty of a count of 0. ``seed``: a seed or a Generator
    (used as it is, so a caller's stream continues)."""
    return np.random.default_rng(seed).beta(k + 0.5, n - k + 0.5, size=n_boot)


def two_phase(
    pop_pred: Sequence[bool],
    eval_pred: Sequence[bool],
    eval_truth: Sequence[bool],
    *,
    n_boot: int = N_BOOT,
    seed: int = SEED,
    level: float = 0.95,
    min_each: int = MIN_EACH,
) -> dict:
    """The two-phase (double-sampling) estimate of a class's share of the population.

    Phase one is the whole list: every filing's predicted class (``pop_pred``), so each
    stratum's weight W_g (its share of the list) has no sampling error. Phase two is the
    evaluation sample, a random subsample of the same list: inside each stratum the labelled
    rate p_g of the class (``eval_truth`` over the rows whose prediction is ``eval_pred`` = g).
    The estimate is Σ_g W_g p_g. The interval is a percentile bootstrap that resamples the
    evaluation rows with replacement within each stratum, the weights held fixed; a stratum
    with fewer than ``min_each`` positives or negatives is drawn from its Jeffreys
    distribution instead (:func:`_stratum_draws`), so a rate seen as 0 or 1 on a handful of
    rows still carries its uncertainty.

    ``measurable`` is False, with the estimate and interval NaN and ``reason`` saying why,
    when a stratum holding part of the list has no evaluation row with a known label: the class
    is too rare there to be sampled, and its rate cannot be estimated."""
    pp = np.asarray(pop_pred, dtype=bool)
    ep, et = np.asarray(eval_pred, dtype=bool), np.asarray(eval_truth, dtype=bool)
    if len(ep) != len(et):
        raise ValueError(f"two_phase: {len(ep)} predictions and {len(et)} labels")
    strata = []
    for g in (True, False):
        w = float(np.mean(pp == g)) if len(pp) else float("nan")
        t = et[ep == g]
        strata.append(
            {
                "stratum": "predicted in the class" if g else "predicted outside it",
                "weight": w,
                "population": int((pp == g).sum()),
                "n": len(t),
                "positives": int(t.sum()),
                "rate": float(t.mean()) if len(t) else float("nan"),
                "resampled": bool(t.sum() >= min_each and (~t).sum() >= min_each),
            }
        )
    out = {
        "population": len(pp),
        "n_eval": len(et),
        "positives": int(et.sum()),
        "p_obs": float(pp.mean()) if len(pp) else float("nan"),
        "strata": strata,
        "n_boot": n_boot,
        "measurable": True,
        "reason": "",
    }
    thin = [s for s in strata if s["weight"] > 0 and s["n"] == 0]
    if not len(pp) or thin:
        s = thin[0] if thin else None
        out.update(
            estimate=float("nan"),
            ci_low=float("nan"),
            ci_high=float("nan"),
            measurable=False,
            reason=(
                "no filings in the list"
                if s is None
                else f"no evaluation row {s['stratum']}, which holds {s['weight']:.1%} of the list"
            ),
        )
        return out
    est = sum(s["weight"] * s["rate"] for s in strata if s["weight"] > 0)
    rng = np.random.default_rng(seed)
    draws = np.zeros(n_boot)
    for s in strata:
        if s["weight"] > 0:
            draws += s["weight"] * _stratum_draws(s, n_boot, rng, min_each)
    a = (1 - level) / 2
    lo, hi = (float(x) for x in np.quantile(draws, [a, 1 - a]))
    out.update(estimate=float(est), ci_low=lo, ci_high=hi, draws=draws)
    return out


def domain(evaluated: pd.DataFrame, filings: pd.DataFrame, cutoff: str | None) -> pd.DataFrame:
    """The evaluation rows whose filing is in ``filings`` (matched by registry and number) and
    was first listed up to ``cutoff`` (YYYY-MM; None: any list). The evaluation sample is a
    simple random sample of its list, so the rows inside a domain are a simple random sample of
    the domain."""
    first = filings.set_index(["registry", "filing_number"])["first_batch"]
    key = pd.MultiIndex.from_frame(evaluated[["registry", "filing_number"]])
    fb = pd.Series(first.reindex(key).to_numpy(), index=evaluated.index)
    keep = fb.notna() if cutoff is None else fb.notna() & (fb <= cutoff)
    return evaluated[keep]


def two_phase_shares(
    filings: pd.DataFrame,
    evaluated: pd.DataFrame,
    registry: str,
    overrides: dict | None = None,
    *,
    cutoff: str | None = None,
    classes: Sequence[str] | None = None,
    n_boot: int = N_BOOT,
    seed: int = SEED,
) -> pd.DataFrame:
    """Per class: the two-phase share (:func:`two_phase`) of the registry's filings first
    listed up to ``cutoff`` (None: every list), from the evaluation rows in that domain, next
    to the rules' share and the Rogan–Gladen cross-check."""
    f = filings[filings["registry"] == registry] if "registry" in filings else filings
    if cutoff is not None:
        f = f[f["first_batch"] <= cutoff]
    pop = population_predictions(f, overrides)
    g = domain(evaluated[evaluated["registry"] == registry], filings, cutoff)
    rows = []
    for cls in classes or CLASSES:
        truth_fn, pred_fn = CLASSES[cls]
        t = truth_fn(g)
        keep = t.notna().to_numpy()
        tt = t[keep].astype(bool).to_numpy()
        ep = np.asarray(pred_fn(g), dtype=bool)[keep]
        pp = np.asarray(pred_fn(pop), dtype=bool)
        tp = two_phase(pp, ep, tt, n_boot=n_boot, seed=seed)
        rg = adjusted_prevalence(tp["p_obs"], tt, ep, n_boot=n_boot, seed=seed)
        rows.append(
            {
                "class": cls,
                "cutoff": cutoff,
                "population": tp["population"],
                "p_obs": tp["p_obs"],
                "estimate": tp["estimate"],
                "ci_low": tp["ci_low"],
                "ci_high": tp["ci_high"],
                "measurable": tp["measurable"],
                "reason": tp["reason"],
                "draws": tp.get("draws"),  # the bootstrap draws, for estimates pooled over lists
                "n_eval": tp["n_eval"],
                "n_unknown": int((~keep).sum()),
                "positives": tp["positives"],
                "n_pred_pos": tp["strata"][0]["n"],
                "rate_pred_pos": tp["strata"][0]["rate"],
                "rate_pred_neg": tp["strata"][1]["rate"],
                "sensitivity": rg["sensitivity"],
                "specificity": rg["specificity"],
                "rogan_gladen": rg["adjusted"],
                "rg_ci_low": rg["ci_low"],
                "rg_ci_high": rg["ci_high"],
            }
        )
    return pd.DataFrame(rows)


def change_between(
    filings: pd.DataFrame,
    evaluated: pd.DataFrame,
    registry: str,
    batches_early: Sequence[str],
    batches_late: Sequence[str],
    cls: str,
    overrides: dict | None = None,
    *,
    n_boot: int = N_BOOT,
    seed: int = SEED,
) -> dict:
    """Two-phase share of ``cls`` among filings first listed in the early batches, in the late
    ones, and the difference (late − early) with a bootstrap interval: each period is its own
    domain (its filings and the evaluation rows among them), drawn independently."""
    f = filings[filings["registry"] == registry]
    fb = filings.set_index(["registry", "filing_number"])["first_batch"]
    key = pd.MultiIndex.from_frame(evaluated[["registry", "filing_number"]])
    ev_fb = pd.Series(fb.reindex(key).to_numpy(), index=evaluated.index)
    truth_fn, pred_fn = CLASSES[cls]
    res = {}
    for name, batches, sd in (("early", batches_early, seed), ("late", batches_late, seed + 1)):
        pop = population_predictions(f[f["first_batch"].isin(batches)], overrides)
        g = evaluated[(evaluated["registry"] == registry) & ev_fb.isin(batches)]
        t = truth_fn(g)
        keep = t.notna().to_numpy()
        res[name] = two_phase(
            np.asarray(pred_fn(pop), dtype=bool),
            np.asarray(pred_fn(g), dtype=bool)[keep],
            t[keep].astype(bool).to_numpy(),
            n_boot=n_boot,
            seed=sd,
        )
    e, lt = res["early"], res["late"]
    out = {"early": e, "late": lt, "measurable": e["measurable"] and lt["measurable"]}
    if not out["measurable"]:
        out.update(change=float("nan"), ci_low=float("nan"), ci_high=float("nan"))
        return out
    diff = lt["draws"] - e["draws"]
    lo, hi = (float(x) for x in np.quantile(diff, [0.025, 0.975]))
    out.update(change=lt["estimate"] - e["estimate"], ci_low=lo, ci_high=hi)
    return out


# ------------------------------------------------------------------ adjusted prevalence
# (Rogan–Gladen: the cross-check of the two-phase estimate, shown in the methods)


def rogan_gladen(p_obs: float, sens: float, spec: float) -> float:
    """Misclassification-adjusted prevalence (p_obs + spec − 1) / (sens + spec − 1), clipped
    to [0, 1]; NaN when sens + spec ≤ 1 (the rules tell nothing) or an input is NaN."""
    j = sens + spec - 1
    if not np.isfinite(j) or not np.isfinite(p_obs) or j <= 0:
        return float("nan")
    return float(min(1.0, max(0.0, (p_obs + spec - 1) / j)))


def _sens_spec(t: np.ndarray, p: np.ndarray) -> tuple[float, float]:
    pos, neg = t.sum(), (~t).sum()
    sens = (t & p).sum() / pos if pos else float("nan")
    spec = (~t & ~p).sum() / neg if neg else float("nan")
    return float(sens), float(spec)


def adjusted_prevalence(
    p_obs: float,
    truth: Sequence[bool],
    pred: Sequence[bool],
    *,
    n_boot: int = N_BOOT,
    seed: int = SEED,
    level: float = 0.95,
) -> dict[str, float | int]:
    """Rogan–Gladen share from the rules' population share ``p_obs`` and their sensitivity and
    specificity on the evaluation rows (``truth``, ``pred``), with a percentile bootstrap
    interval: the evaluation rows are resampled with replacement ``n_boot`` times (seeded),
    sens/spec recomputed and the share re-adjusted. ``p_obs`` comes from the complete list and
    is held fixed. Draws where sens + spec ≤ 1 (or without a positive or negative label) give
    no estimate; their number is returned as ``n_boot_invalid`` and the interval is NaN when
    more than 5% of the draws are invalid."""
    t, p = np.asarray(truth, dtype=bool), np.asarray(pred, dtype=bool)
    sens, spec = _sens_spec(t, p)
    point = rogan_gladen(p_obs, sens, spec)
    rng = np.random.default_rng(seed)
    n = len(t)
    draws = np.full(n_boot, np.nan)
    if n:  # one (n_boot, n) draw: the same numbers, in the same order, as n_boot draws of n
        idx = rng.integers(0, n, (n_boot, n))
        tb, pb = t[idx], p[idx]
        pos, neg = tb.sum(axis=1), (~tb).sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            se = np.where(pos > 0, (tb & pb).sum(axis=1) / np.where(pos > 0, pos, 1), np.nan)
            sp = np.where(neg > 0, (~tb & ~pb).sum(axis=1) / np.where(neg > 0, neg, 1), np.nan)
        draws = np.array(
            [rogan_gladen(p_obs, float(a), float(b)) for a, b in zip(se, sp, strict=True)]
        )
    ok = draws[np.isfinite(draws)]
    invalid = n_boot - len(ok)
    if len(ok) and invalid <= 0.05 * n_boot:
        a = (1 - level) / 2
        lo, hi = (float(x) for x in np.quantile(ok, [a, 1 - a]))
    else:
        lo = hi = float("nan")
    return {
        "p_obs": float(p_obs),
        "sensitivity": sens,
        "specificity": spec,
        "adjusted": point,
        "ci_low": lo,
        "ci_high": hi,
        "n_eval": n,
        "positives": int(t.sum()),
        "n_boot": n_boot,
        "n_boot_invalid": int(invalid),
    }


@lru_cache(maxsize=2**15)
def _sector_call(texts: tuple) -> c.SectorCall:
    """:func:`sector_call` of one filing's texts, remembered: a report classifies the same
    filings many times (each period, class and simulated sample), and the call is a pure
    function of the texts."""
    return c.sector_call(*texts)


def population_predictions(filings: pd.DataFrame, overrides: dict | None = None) -> pd.DataFrame:
    """The rules' classes for every filing (as in :func:`with_predictions`; the sector call of
    :func:`classify_sectors_detail`, remembered per text)."""
    loc = filings.get("locality_zh")
    orgs = c.classify_orgs(filings["entity_name"], loc, overrides)
    cols = [k for k in c.SECTOR_TEXT_COLUMNS if k in filings]
    calls = [_sector_call(tuple(row)) for row in filings[cols].itertuples(index=False)]
    return pd.DataFrame(
        {
            "pred_org_type": orgs["org_type"].to_numpy(),
            "pred_cross": [x.is_cross_sector for x in calls],
            "pred_cross_broad": [x.is_cross_sector_broad for x in calls],
            "pred_sector": [x.sector for x in calls],
        },
        index=filings.index,
    )


def adjusted_shares(
    filings: pd.DataFrame,
    evaluated: pd.DataFrame,
    registry: str,
    overrides: dict | None = None,
    *,
    n_boot: int = N_BOOT,
    seed: int = SEED,
) -> pd.DataFrame:
    """Per class: the rules' share of ``filings`` and the Rogan–Gladen share with its
    bootstrap interval, from the evaluation rows of ``registry`` only."""
    pop = population_predictions(filings, overrides)
    g = evaluated[evaluated["registry"] == registry]
    rows = []
    for cls, (_, pred_fn) in CLASSES.items():
        p_obs = float(np.mean(pred_fn(pop))) if len(pop) else float("nan")
        t, p = binary_arrays(g, cls)
        rows.append({"class": cls, **adjusted_prevalence(p_obs, t, p, n_boot=n_boot, seed=seed)})
    return pd.DataFrame(rows)


# ------------------------------------------------------------------ bounds from the labels


def wilson(k: int, n: int) -> tuple[float, float]:
    return c.wilson_interval(int(k), int(n))


def label_bound(d: pd.DataFrame, positive: Sequence[str], registry: str) -> dict[str, float]:
    """The labelled share of ``positive`` org types in the registry's evaluation sample, as a
    bound: low-confidence positive labels are counted either way, ``unknown`` labels as outside
    (low) or inside (high). ``low``/``high`` are the two shares, ``ci_low``/``ci_high`` the
    95% Wilson limits around them (sampling of the evaluation sample)."""
    g = d[d["registry"] == registry]
    n = len(g)
    pos = g["org_type"].isin(positive)
    sure = int((pos & (g["org_type_confidence"] == "high")).sum())
    upper = int(pos.sum() + (g["org_type"] == "unknown").sum())
    return {
        "n": n,
        "labelled": int(pos.sum()),
        "low": sure / n if n else float("nan"),
        "high": upper / n if n else float("nan"),
        "ci_low": wilson(sure, n)[0],
        "ci_high": wilson(upper, n)[1],
    }


def foreign_bound(d: pd.DataFrame, registry: str) -> dict[str, float]:
    """The foreign share bound (:func:`label_bound`) and the labelled foreign share without
    Hong Kong, Macau and Taiwan owners (recognised from the labeller's note)."""
    b = label_bound(d, ["foreign"], registry)
    g = d[(d["registry"] == registry) & (d["org_type"] == "foreign")]
    hmt = int(g["note"].str.contains(HMT_NOTE).sum())
    b["labelled_excl_hmt"] = b["labelled"] - hmt
    b["share_excl_hmt"] = (b["labelled"] - hmt) / b["n"] if b["n"] else float("nan")
    return b


def low_confidence_private(d: pd.DataFrame, registry: str) -> int:
    """Rows labelled ``private`` with low confidence: ownership the labeller did not establish
    (a neutral name that could hide state control)."""
    g = d[d["registry"] == registry]
    return int(((g["org_type"] == "private") & (g["org_type_confidence"] == "low")).sum())


# ------------------------------------------------------------------ the top filers' coders' labels


def hand_labelled_filings(hand: pd.DataFrame, filings: pd.DataFrame) -> pd.DataFrame:
    """The coder-labelled filings of data/curated/sector_hand_labels.csv (``hand``) joined to the
    filings (their texts), with the rules' call as ``pred_sector`` (the frozen rules on the
    name, product and purpose, whatever the core tables show). A label whose filing is not in
    ``filings`` raises EvaluationError naming its line."""
    keys = ["registry", "filing_number"]
    cols = [k for k in c.SECTOR_TEXT_COLUMNS if k in filings]  # the published texts, from the lists
    d = hand.drop(columns=[k for k in cols if k in hand]).merge(
        filings[[*keys, *cols]], on=keys, how="left", indicator=True
    )
    lost = d.index[d["_merge"] != "both"]
    if len(lost):
        i = int(lost[0])
        raise EvaluationError(
            f"data/curated/sector_hand_labels.csv line {i + 2}: {d.at[i, 'registry']} "
            f"{d.at[i, 'filing_number']} is not a filing of the published lists"
        )
    d = d.drop(columns="_merge")
    d["pred_sector"] = population_predictions(d)["pred_sector"].to_numpy()
    return d


def hand_label_agreement(d: pd.DataFrame, top: int = 8) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rules against the top filers' coders' labels (``d``: :func:`hand_labelled_filings`):
    per registry and overall, the labelled filings, those with a known label, the share where
    the rules give the same sector (``unclassified`` counts as a disagreement), the share the
    rules leave unclassified and the rules' precision (same sector / filings they assign one);
    and the ``top`` most frequent disagreements (coder's label, rules' call, filings). Not a random
    sample: an extra check beside the held-out evaluation, never a substitute for it."""
    rows = []
    for reg, g in [*d.groupby("registry", sort=True), ("all", d)]:
        m = sector_micro(g)
        rows.append(
            {
                "registry": reg,
                "labelled": len(g),
                "known label": m["n"],
                "same sector": m["right"],
                "agreement": m["recall"],
                "rules' precision": m["precision"],
                "rules unclassified": m["unclassified_share"],
            }
        )
    known = d[(d["sector"] != "unknown") & (d["sector"] != d["pred_sector"])]
    conf = (
        known.groupby(["sector", "pred_sector"])
        .size()
        .rename("filings")
        .reset_index()
        .sort_values(["filings", "sector", "pred_sector"], ascending=[False, True, True])
        .head(top)
        .rename(columns={"sector": "coder's label", "pred_sector": "rules' call"})
        .reset_index(drop=True)
    )
    return pd.DataFrame(rows), conf
