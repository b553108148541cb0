"""Who files and what for: organisation type from the filer's name, sector from the filing's
text. Documented keyword rules (cnai_helpers/reference/org_types.yaml and sectors.yaml), a
committed override table, and evaluation against a hand-labelled sample (data/labelled_sample.csv).

A name alone cannot always tell ownership: a subsidiary of a central SOE can carry a neutral
name (同方知网 belongs to China National Nuclear Corp.), and provincial SOEs rarely say so in
their names. Those cases are what the override table and the measured recall are for.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

import pandas as pd

from .. import reference

ORG_TYPES = (
    "central_soe",
    "local_soe",
    "university",
    "research_institute",
    "government",
    "foreign",
    "private",
)
STATE_LINKED = ("central_soe", "local_soe", "university", "research_institute", "government")


def rule_regex(rule: dict, ignore_case: bool = False) -> re.Pattern:
    """One regular expression from a rule of reference/org_types.yaml: any of its ``words``
    (contained), ``prefixes`` (at the start), ``patterns``, ``endings`` (at the end)."""
    alts = [re.escape(w) for w in rule.get("words", [])]
    if rule.get("prefixes"):
        alts.append("^(?:" + "|".join(map(re.escape, rule["prefixes"])) + ")")
    alts += rule.get("patterns", [])
    if rule.get("endings"):
        alts.append("(?:" + "|".join(map(re.escape, rule["endings"])) + ")$")
    return re.compile("|".join(f"(?:{a})" for a in alts), re.I if ignore_case else 0)


# The keyword rules live in cnai_helpers/reference/org_types.yaml.
_RULES = reference.org_type_rules()
CENTRAL_SOE = rule_regex(_RULES["central_soe"])
UNIVERSITY = rule_regex(_RULES["university"])
RESEARCH = rule_regex(_RULES["research_institute"])
GOVERNMENT = rule_regex(_RULES["government"])
LOCAL_SOE = rule_regex(_RULES["local_soe"])
FOREIGN_BRANDS = rule_regex({"words": _RULES["foreign"]["brands"]}, ignore_case=True)
FOREIGN_HOLDING = rule_regex({"patterns": _RULES["foreign"]["patterns"]})
COMPANY = rule_regex({"words": _RULES["company_words"]})


def org_type_by_rules(name: str, locality: str | None = None) -> str:
    """Organisation type from the filer's name (and the generative-AI 属地 column, where 国资委
    marks central SOEs). Order: central SOE, university, research institute, government body,
    local SOE, foreign, private."""
    n = (name or "").strip()
    if locality == "国资委" or CENTRAL_SOE.search(n):
        return "central_soe"
    is_company = bool(COMPANY.search(n))
    if UNIVERSITY.search(n) and (not is_company or "大学" in n and "附属" in n):
        return "university"
    if RESEARCH.search(n) and not is_company:
        return "research_institute"
    if GOVERNMENT.search(n) and not is_company:
        return "government"
    if LOCAL_SOE.search(n):
        return "local_soe"
    if FOREIGN_BRANDS.search(n) or FOREIGN_HOLDING.search(n):
        return "foreign"
    return "private"


def load_overrides(path=None) -> dict[str, tuple[str, str]]:
    """data/entity_overrides.csv: entity_name -> (org_type, reason). Every row needs a reason
    and a known type."""
    from .. import paths

    p = path or paths.DATA / "entity_overrides.csv"
    df = pd.read_csv(p, dtype=str, keep_default_na=False)
    out = {}
    for i, r in df.iterrows():
        if r["org_type"] not in ORG_TYPES:
            raise ValueError(f"{p} line {i + 2}: unknown org_type {r['org_type']!r}")
        if len(r["reason"].strip()) < 10:
            raise ValueError(f"{p} line {i + 2}: a reason is required")
        out[r["entity_name"]] = (r["org_type"], r["reason"])
    return out


def classify_orgs(
    names: pd.Series, localities: pd.Series | None = None, overrides: dict | None = None
) -> pd.DataFrame:
    """org_type and org_type_source ('override' or 'rules') for each name."""
    overrides = overrides or {}
    loc = (
        localities if localities is not None else pd.Series([None] * len(names), index=names.index)
    )
    types, sources = [], []
    for n, lo in zip(names, loc, strict=True):
        if n in overrides:
            types.append(overrides[n][0])
            sources.append("override")
        else:
            types.append(org_type_by_rules(n, lo if isinstance(lo, str) else None))
            sources.append("rules")
    return pd.DataFrame({"org_type": types, "org_type_source": sources}, index=names.index)


# ------------------------------------------------------------------ sectors

# Vertical sectors, in priority order (the first match wins): cnai_helpers/reference/sectors.yaml.
# A filing matching none is cross-sector: a general-purpose text, image, video, voice, 3D,
# digital-human or code tool.
SECTOR_KEYWORDS: dict[str, tuple[str, ...]] = reference.sector_keywords()
SECTORS = ("cross_sector", *SECTOR_KEYWORDS, "other_vertical")


def sector_by_rules(*texts: str) -> str:
    t = " ".join(x for x in texts if isinstance(x, str))
    for sector, kws in SECTOR_KEYWORDS.items():
        if any(k in t for k in kws):
            return sector
    return "cross_sector"


def classify_sectors(f: pd.DataFrame) -> pd.Series:
    cols = [c for c in ("algorithm_name", "application_product", "main_use") if c in f]
    return pd.Series(
        [sector_by_rules(*row) for row in f[cols].itertuples(index=False)],
        index=f.index,
        name="sector",
    )


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
