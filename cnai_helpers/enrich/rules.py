"""Who files and what for: organisation type from the filer's name, sector from the filing's
text. Documented keyword rules (cnai_helpers/reference/) and a committed override table; each
call names the rule that fired. The definitions (and the labelling codebook) are
data/definitions.md. data/curated/labelled_sample.csv (208 filings) is the development sample
the rules were written against; precision and recall for the reports come from a separate,
held-out evaluation sample (cnai_helpers/analysis/evaluation.py).

This module sits below both the core tables (registry/enrich.py adds its calls as columns) and
the analysis layer (which evaluates them): it imports neither.

Sectors: a vertical keyword wins; otherwise an explicit general-purpose signal makes a filing
cross-sector; with neither, it is ``unclassified`` (reported separately, never folded into
cross-sector). A horizontal-function flag (customer service, office work) gives the broad
cross-sector definition.

A name alone cannot always tell ownership: a subsidiary of a central SOE can carry a neutral
name (同方知网 belongs to China National Nuclear Corp.), and provincial SOEs rarely say so in
their names. Those cases are what the override table and the measured recall are for.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

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


def with_later(rule: dict) -> dict:
    """A rule with its ``later`` entries (written after the held-out labels were committed:
    reference/org_types.yaml) merged in: they apply like the others."""
    later = rule.get("later") or {}
    keys = {k for k in (*rule, *later) if k != "later"}
    return {k: [*(rule.get(k) or []), *(later.get(k) or [])] for k in keys}


def later_entries() -> dict[str, tuple[str, ...]]:
    """The ``later`` entries of every rule: ``{"texts": words, prefixes and brands, "patterns":
    regular expressions}`` (the held-out scores leave out the rows they decide)."""
    texts: list[str] = []
    patterns: list[str] = []
    for rule in _RULES.values():
        later = rule.get("later") if isinstance(rule, dict) else None
        for k, v in (later or {}).items():
            (patterns if k == "patterns" else texts).extend(str(x) for x in v)
    return {"texts": tuple(texts), "patterns": tuple(patterns)}


# The keyword rules live in cnai_helpers/reference/org_types.yaml.
_RULES = reference.org_type_rules()
CENTRAL_SOE = rule_regex(with_later(_RULES["central_soe"]))
UNIVERSITY = rule_regex(with_later(_RULES["university"]))
RESEARCH = rule_regex(with_later(_RULES["research_institute"]))
GOVERNMENT = rule_regex(with_later(_RULES["government"]))
LOCAL_SOE = rule_regex(with_later(_RULES["local_soe"]))
_FOREIGN = with_later(_RULES["foreign"])
FOREIGN_BRANDS = rule_regex({"words": _FOREIGN["brands"]}, ignore_case=True)
FOREIGN_HOLDING = rule_regex({"patterns": _FOREIGN["patterns"]})
COMPANY = rule_regex({"words": _RULES["company_words"]})


def org_type_call(name: str, locality: str | None = None) -> tuple[str, str]:
    """(organisation type, the rule that fired) from the filer's name and the generative-AI
    属地 column, where 国资委 marks central SOEs. Order: central SOE, university, research
    institute, government body, local SOE, foreign, private. The rule reads
    ``type: matched text`` (``locality: 国资委``; ``private: no rule`` when nothing matched)."""
    n = (name or "").strip()
    if locality == "国资委":
        return "central_soe", "locality: 国资委"
    m = CENTRAL_SOE.search(n)
    if m:
        return "central_soe", f"central_soe: {m.group(0)}"
    is_company = bool(COMPANY.search(n))
    m = UNIVERSITY.search(n)
    if m and (not is_company or "大学" in n and "附属" in n):
        return "university", f"university: {m.group(0)}"
    for kind, pat in (("research_institute", RESEARCH), ("government", GOVERNMENT)):
        m = pat.search(n)
        if m and not is_company:
            return kind, f"{kind}: {m.group(0)}"
    m = LOCAL_SOE.search(n)
    if m:
        return "local_soe", f"local_soe: {m.group(0)}"
    m = FOREIGN_BRANDS.search(n) or FOREIGN_HOLDING.search(n)
    if m:
        return "foreign", f"foreign: {m.group(0)}"
    return "private", "private: no rule"


def org_type_by_rules(name: str, locality: str | None = None) -> str:
    """Organisation type from the filer's name (see :func:`org_type_call`)."""
    return org_type_call(name, locality)[0]


def load_overrides(path=None) -> dict[str, tuple[str, str]]:
    """data/curated/entity_overrides.csv: entity_name -> (org_type, reason). Every row needs a
    known type, a reason and a source (declared in cnai_helpers/tables.yaml)."""
    from ..metadata import read_curated

    df = read_curated("entity_overrides", path)
    return {r.entity_name: (r.org_type, r.reason) for r in df.itertuples()}


def classify_orgs(
    names: pd.Series,
    localities: pd.Series | None = None,
    overrides: dict | None = None,
    memo: dict | None = None,
) -> pd.DataFrame:
    """org_type, org_type_source ('override' or 'rules') and org_type_rule (the rule that
    fired, ``override: reason`` for the override table) for each name. ``memo``: (name,
    locality) -> :func:`org_type_call`'s answer, kept by the caller across calls (the core
    tables' build keeps it with its parse cache, keyed by this module's version)."""
    overrides = overrides or {}
    loc = (
        localities if localities is not None else pd.Series([None] * len(names), index=names.index)
    )
    types, sources, rules = [], [], []
    # a filer's call once per (name, locality)
    calls: dict[tuple, tuple[str, str]] = memo if memo is not None else {}
    for n, lo in zip(names, loc, strict=True):
        if n in overrides:
            types.append(overrides[n][0])
            sources.append("override")
            rules.append(f"override: {overrides[n][1]}")
        else:
            lo = lo if isinstance(lo, str) else None
            if (n, lo) not in calls:
                calls[n, lo] = org_type_call(n, lo)
            t, r = calls[n, lo]
            types.append(t)
            sources.append("rules")
            rules.append(r)
    return pd.DataFrame(
        {"org_type": types, "org_type_source": sources, "org_type_rule": rules}, index=names.index
    )


# ------------------------------------------------------------------ sectors

# Sectors follow data/definitions.md: the industry whose users a filing is built for, or
# cross-sector (a general-purpose capability), or ``unclassified`` when the rules see neither.
# The keyword rules live in cnai_helpers/reference/sectors.yaml (vertical sectors, in priority
# order: the first match wins) and sector_signals.yaml (the other signals).
SECTOR_KEYWORDS: dict[str, tuple[str, ...]] = reference.sector_keywords()
_SIGNALS = reference.sector_signals()
# English words in names (generative-AI model names especially); case-sensitive on purpose.
SECTOR_PATTERNS: dict[str, re.Pattern] = {
    sector: re.compile(pattern) for sector, pattern in _SIGNALS["sector_patterns"].items()
}
# A general-purpose capability: foundation and chat models, assistants, and the generation or
# editing of text, images, video, audio, speech, 3D or code for whoever uses it.
CROSS_SECTOR_SIGNALS: tuple[str, ...] = tuple(_SIGNALS["cross_sector_signals"])
CROSS_SECTOR_PATTERN = re.compile("|".join(map(re.escape, _SIGNALS["cross_sector_words"])))
# Business functions every industry has (definitions.md: the broad cross-sector definition).
HORIZONTAL_FUNCTION: tuple[str, ...] = tuple(_SIGNALS["horizontal_function"])
# "…领域" / "…行业": an industry named in the text. Generic ones ("各行业") signal cross-sector;
# others that no vertical keyword matched leave the filing unclassified.
DOMAIN_PHRASE = re.compile(r"([\u4e00-\u9fffA-Za-z]{1,8})(?:领域|行业)")
_GENERIC = _SIGNALS["generic_domain"]
GENERIC_DOMAIN = re.compile(
    "({})$|^({})".format(
        "|".join(map(re.escape, _GENERIC["endings"])),
        "|".join(map(re.escape, _GENERIC["prefixes"])),
    )
)

SECTORS = (
    "cross_sector",
    *SECTOR_KEYWORDS,
    "other_vertical",  # hand labels: an industry outside the taxonomy
    "unknown",  # hand labels: cannot tell
    "unclassified",  # rules: neither a vertical nor a general-purpose signal
)
SECTOR_SIGNALS = ("vertical", "general_purpose", "unknown_domain", "none")


@dataclass(frozen=True)
class SectorCall:
    """One filing's sector by the rules, with the signal that decided it."""

    sector: str
    signal: str  # one of SECTOR_SIGNALS
    horizontal_function: bool
    rule: str = ""  # the rule that fired: "signal: matched text"

    @property
    def is_cross_sector(self) -> bool:
        return self.sector == "cross_sector"

    @property
    def is_cross_sector_broad(self) -> bool:
        return self.sector == "cross_sector" or self.horizontal_function


# one alternation per vertical: whether any of its keywords occurs (a single regex search);
# only then is the keyword reported (the first in the list's order) looked up
_ANY_KEYWORD: dict[str, re.Pattern | None] = {
    sector: re.compile("|".join(map(re.escape, kws))) if kws else None
    for sector, kws in SECTOR_KEYWORDS.items()
}


def _vertical(t: str) -> tuple[str, str] | None:
    """(sector, matched keyword) of the first vertical whose keywords match."""
    for sector, kws in SECTOR_KEYWORDS.items():
        anyk = _ANY_KEYWORD[sector]
        hit = next((k for k in kws if k in t), None) if anyk and anyk.search(t) else None
        if hit is None and (pat := SECTOR_PATTERNS.get(sector)) is not None:
            m = pat.search(t)
            hit = m.group(0) if m else None
        if hit is not None:
            return sector, hit
    return None


def _generic_domain(d: str) -> bool:
    """A '…领域' phrase that names no industry: 'all industries', or a function or technique
    ('智能填报领域', '对话生成领域')."""
    return bool(
        GENERIC_DOMAIN.search(d)
        or any(k in d for k in HORIZONTAL_FUNCTION)
        or any(k in d for k in CROSS_SECTOR_SIGNALS)
    )


def sector_call(*texts: str) -> SectorCall:
    """Sector of one filing from its name, product and purpose text (any that exist): the first
    vertical whose keywords match; else cross-sector when a general-purpose, horizontal-function
    or 'all industries' signal matches; else ``unclassified`` (also when the text names an
    industry the taxonomy lacks)."""
    t = " ".join(x for x in texts if isinstance(x, str))
    horiz = next((k for k in HORIZONTAL_FUNCTION if k in t), None)
    horizontal = horiz is not None
    vertical = _vertical(t)
    if vertical:
        return SectorCall(vertical[0], "vertical", horizontal, f"{vertical[0]}: {vertical[1]}")
    phrases = DOMAIN_PHRASE.findall(t)
    domains = [d for d in phrases if not _generic_domain(d)]
    if domains:
        rule = f"unknown industry: {domains[0]}"
        return SectorCall("unclassified", "unknown_domain", horizontal, rule)
    signal = next((k for k in CROSS_SECTOR_SIGNALS if k in t), None)
    if signal is None and (m := CROSS_SECTOR_PATTERN.search(t)):
        signal = m.group(0)
    if horiz is not None:
        signal = f"horizontal function {horiz}"
    elif signal is None and phrases:
        signal = f"any industry: {phrases[0]}"
    if signal is not None:
        return SectorCall("cross_sector", "general_purpose", horizontal, f"cross_sector: {signal}")
    return SectorCall("unclassified", "none", horizontal, "unclassified: no rule")


def sector_by_rules(*texts: str) -> str:
    return sector_call(*texts).sector


SECTOR_TEXT_COLUMNS = ("algorithm_name", "application_product", "main_use")


def _texts_key(texts: tuple) -> bytes:
    """A memo key of a filing's texts: their digest (the texts themselves would keep every
    filing's description in memory)."""
    h = hashlib.blake2b(digest_size=16)
    for t in texts:
        h.update(b"\x00" if t is None else b"\x01" + t.encode() + b"\x00")
    return h.digest()


def classify_sectors_detail(f: pd.DataFrame, memo: dict | None = None) -> pd.DataFrame:
    """sector, sector_signal, horizontal_function, is_cross_sector (main definition) and
    is_cross_sector_broad (horizontal functions counted too) for each filing. ``memo``: texts ->
    :func:`sector_call`'s answer, kept by the caller across calls (see :func:`classify_orgs`)."""
    cols = [c for c in SECTOR_TEXT_COLUMNS if c in f]
    if memo is None:
        calls = [sector_call(*row) for row in f[cols].itertuples(index=False)]
    else:
        calls = []
        for row in f[cols].itertuples(index=False):
            texts = tuple(x if isinstance(x, str) else None for x in row)  # what sector_call reads
            key = _texts_key(texts)
            hit = memo.get(key)
            if hit is None:
                hit = memo[key] = sector_call(*texts)
            calls.append(hit)
    return pd.DataFrame(
        {
            "sector": [x.sector for x in calls],
            "sector_signal": [x.signal for x in calls],
            "horizontal_function": [x.horizontal_function for x in calls],
            "is_cross_sector": [x.is_cross_sector for x in calls],
            "is_cross_sector_broad": [x.is_cross_sector_broad for x in calls],
            "sector_rule": [x.rule for x in calls],
        },
        index=f.index,
    )


def classify_sectors(f: pd.DataFrame) -> pd.Series:
    return classify_sectors_detail(f)["sector"].rename("sector")
