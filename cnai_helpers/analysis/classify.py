"""Who files: evaluation helpers of the rules (precision, recall, Wilson intervals), and the
rules themselves re-exported from :mod:`cnai_helpers.enrich.rules`, where the core tables'
enrichment (registry/enrich.py) reads them: the rules sit below the analysis layer.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from ..enrich.rules import *  # noqa: F403  (the rules, for the notebooks and analysis)
from ..enrich.rules import ORG_TYPES, STATE_LINKED  # noqa: F401

# ------------------------------------------------------------------ evaluation and intervals


def precision_recall(
    truth: Iterable[str], pred: Iterable[str], positive: Iterable[str]
) -> dict[str, float | int]:
    """Precision and recall of 'is in ``positive``' (e.g. state-linked, cross-sector)."""
    pos = set(positive)
    t = [x in pos for x in truth]
    p = [x in pos for x in pred]
    tp = sum(a and b for a, b in zip(t, p, strict=True))
    fp = sum(b and not a for a, b in zip(t, p, strict=True))
    fn = sum(a and not b for a, b in zip(t, p, strict=True))
    return {
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "precision": tp / (tp + fp) if tp + fp else float("nan"),
        "recall": tp / (tp + fn) if tp + fn else float("nan"),
    }


def accuracy(truth: Iterable[str], pred: Iterable[str]) -> float:
    pairs = list(zip(truth, pred, strict=True))
    return sum(a == b for a, b in pairs) / len(pairs) if pairs else float("nan")


def wilson_interval(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson score interval for a share k/n."""
    if n == 0:
        return (float("nan"), float("nan"))
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def corrected_share(observed: float, precision: float, recall: float) -> float:
    """A rule-based share corrected for the rules' measured errors: observed × precision /
    recall (NaN when the recall is unknown or zero)."""
    if not (recall and recall > 0) or math.isnan(recall) or math.isnan(precision):
        return float("nan")
    return observed * precision / recall


def share_row(label: str, k: int, n: int, claim: float, pr: dict) -> dict:
    """One measured share against its claim: the share, its Wilson interval, the share
    corrected for the rules' precision/recall, and the range spanned by the rules-only and the
    corrected share (the measurement uncertainty a verdict must allow for)."""
    lo, hi = wilson_interval(int(k), n)
    obs = k / n if n else float("nan")
    corr = corrected_share(obs, pr["precision"], pr["recall"])
    rng = (obs, obs) if math.isnan(corr) else (min(obs, corr), max(obs, corr))
    return {
        "measure": label,
        "filings": int(k),
        "share": obs,
        "ci_low": lo,
        "ci_high": hi,
        "corrected share": corr,
        "range_low": rng[0],
        "range_high": rng[1],
        "claim": claim,
        "rule precision": pr["precision"],
        "rule recall": pr["recall"],
    }
