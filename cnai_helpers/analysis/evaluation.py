"""Held-out evaluation of the frozen who-files rules, and shares adjusted for their errors.

The evaluation sample (``data/evaluation_sample_unlabelled.csv``, drawn by
:mod:`cnai_helpers.analysis.sampling`) was labelled by hand after the rules were frozen
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
from pathlib import Path

import numpy as np
import pandas as pd

from .. import paths
from ..errors import CnaiError
from . import classify as c
from .sampling import INPUT_COLUMNS, LABEL_COLUMNS

SAMPLE_PATH = paths.DATA / "evaluation_sample_unlabelled.csv"
LABELS_DIR = paths.DATA / "evaluation_labels"
SEED = 15  # the bootstrap's seed, fixed with the sample's (issue 15); never tuned
N_BOOT = 2000

ORG_LABELS = (*c.ORG_TYPES, "unknown")
SECTOR_LABELS = tuple(s for s in c.SECTORS if s != "unclassified")
ALLOWED = {
    "org_type": ORG_LABELS,
    "org_type_confidence": ("high", "low"),
    "sector": SECTOR_LABELS,
    "horizontal_function": ("yes", "no"),
    "sector_confidence": ("high", "low"),
}
# Hong Kong, Macau and Taiwan owners count as foreign; the codebook asks labellers to say so.
HMT_NOTE = re.compile(r"\bHK\b|Hong Kong|Macau|Macao|Taiwan|香港|澳门|台湾", re.I)
VERTICALS = tuple(c.SECTOR_KEYWORDS)


class EvaluationError(CnaiError, ValueError):
    """A label file that does not follow the codebook, or a sample it does not match."""


# ------------------------------------------------------------------ loading


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except FileNotFoundError as e:
        raise EvaluationError(f"{path}: missing") from e
    except (pd.errors.ParserError, UnicodeDecodeError) as e:
        raise EvaluationError(f"{path}: not a readable UTF-8 CSV ({e})") from e


def _check_labels(df: pd.DataFrame, path: Path) -> None:
    missing = [x for x in ("sample_id", *LABEL_COLUMNS) if x not in df.columns]
    if missing:
        raise EvaluationError(f"{path}: missing column(s) {', '.join(missing)}")
    for col, allowed in ALLOWED.items():
        bad = ~df[col].str.strip().isin(allowed)
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise EvaluationError(
                f"{path}: row {i + 2} ({df['sample_id'].iloc[i]}): {col} = "
                f"{df[col].iloc[i]!r} is not one of {', '.join(allowed)} (data/definitions.md)"
            )


def load_labels(labels_dir: Path | None = None, sample_path: Path | None = None) -> pd.DataFrame:
    """The hand labels (all ``batch_*.csv`` of ``labels_dir``) joined to the sample, one row
    per sampled filing: the sample's input columns, then the label columns."""
    labels_dir = Path(labels_dir or LABELS_DIR)
    sample_path = Path(sample_path or SAMPLE_PATH)
    files = sorted(labels_dir.glob("batch_*.csv"))
    if not files:
        raise EvaluationError(f"{labels_dir}: no batch_*.csv label files")
    parts = []
    for path in files:
        df = _read_csv(path)
        _check_labels(df, path)
        parts.append(df.assign(_file=str(path), _row=np.arange(len(df)) + 2))
    labels = pd.concat(parts, ignore_index=True)
    dup = labels[labels["sample_id"].duplicated(keep="first")]
    if len(dup):
        r = dup.iloc[0]
        raise EvaluationError(
            f"{r['_file']}: row {r['_row']}: sample_id {r['sample_id']} is labelled twice; "
            "keep one label per sampled filing"
        )
    sample = _read_csv(sample_path)
    missing = [x for x in INPUT_COLUMNS if x not in sample.columns]
    if missing:
        raise EvaluationError(f"{sample_path}: missing column(s) {', '.join(missing)}")
    joined = sample[list(INPUT_COLUMNS)].merge(
        labels, on="sample_id", how="outer", suffixes=("", "_label"), indicator=True
    )
    extra = joined[joined["_merge"] == "right_only"]
    if len(extra):
        r = extra.iloc[0]
        raise EvaluationError(
            f"{r['_file']}: row {r['_row']}: sample_id {r['sample_id']} is not in {sample_path}"
        )
    if "filing_number_label" in joined:
        both = joined[joined["_merge"] == "both"]
        bad = both[both["filing_number_label"] != both["filing_number"]]
        if len(bad):
            r = bad.iloc[0]
            raise EvaluationError(
                f"{r['_file']}: row {r['_row']}: {r['sample_id']} has filing number "
                f"{r['filing_number_label']!r}, the sample has {r['filing_number']!r}"
            )
    unlabelled = joined[joined["_merge"] == "left_only"]
    if len(unlabelled):
        raise EvaluationError(
            f"{labels_dir}: {len(unlabelled)} sampled filing(s) have no label "
            f"(first: {unlabelled['sample_id'].iloc[0]}); label every row of the sample"
        )
    out = joined[[*INPUT_COLUMNS, *LABEL_COLUMNS]].copy()
    for col in ALLOWED:
        out[col] = out[col].str.strip()
    return out.reset_index(drop=True)


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
        pred_sector=sec["sector"].to_numpy(),
        pred_horizontal=sec["horizontal_function"].to_numpy(),
        pred_cross=sec["is_cross_sector"].to_numpy(),
        pred_cross_broad=sec["is_cross_sector_broad"].to_numpy(),
    )


def truth_state_linked(d: pd.DataFrame) -> pd.Series:
    """True / False from the label, NA for ``unknown``."""
    t = d["org_type"].isin(c.STATE_LINKED).astype("boolean")
    return t.mask(d["org_type"] == "unknown")


def truth_foreign(d: pd.DataFrame) -> pd.Series:
    t = (d["org_type"] == "foreign").astype("boolean")
    return t.mask(d["org_type"] == "unknown")


def truth_cross(d: pd.DataFrame) -> pd.Series:
    t = (d["sector"] == "cross_sector").astype("boolean")
    return t.mask(d["sector"] == "unknown")


def truth_cross_broad(d: pd.DataFrame) -> pd.Series:
    horizontal = d["horizontal_function"] == "yes"
    t = ((d["sector"] == "cross_sector") | horizontal).astype("boolean")
    return t.mask((d["sector"] == "unknown") & ~horizontal)


# Each binary class: (truth from the labels, prediction from the rules' columns).
CLASSES: dict[str, tuple[Callable[[pd.DataFrame], pd.Series], Callable]] = {
    "state_linked": (truth_state_linked, lambda d: d["pred_org_type"].isin(c.STATE_LINKED)),
    "foreign": (truth_foreign, lambda d: d["pred_org_type"] == "foreign"),
    "cross_sector": (truth_cross, lambda d: d["pred_cross"].astype(bool)),
    "cross_sector_broad": (truth_cross_broad, lambda d: d["pred_cross_broad"].astype(bool)),
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


# ------------------------------------------------------------------ adjusted prevalence


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
    if n:
        for b in range(n_boot):
            idx = rng.integers(0, n, n)
            draws[b] = rogan_gladen(p_obs, *_sens_spec(t[idx], p[idx]))
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


def population_predictions(filings: pd.DataFrame, overrides: dict | None = None) -> pd.DataFrame:
    """The rules' classes for every filing (as in :func:`with_predictions`)."""
    loc = filings.get("locality_zh")
    orgs = c.classify_orgs(filings["entity_name"], loc, overrides)
    sec = c.classify_sectors_detail(filings)
    return pd.DataFrame(
        {
            "pred_org_type": orgs["org_type"],
            "pred_cross": sec["is_cross_sector"],
            "pred_cross_broad": sec["is_cross_sector_broad"],
            "pred_sector": sec["sector"],
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
