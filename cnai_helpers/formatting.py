"""Figures formatted for people, one formatter for pages, index cards, verdict reasons and the
ledger. It sits below :mod:`cnai_helpers.evidence` and :mod:`cnai_helpers.results` (both use it;
neither imports the other's formatting)."""

from __future__ import annotations

import re
from typing import Any

from .display import fmt_number, fmt_ratio

ALIASES = {"pct": "share", "raw": "text"}  # older kind names, still accepted


def fmt(value: Any, kind: str | None = None, unit: str | None = None) -> str:
    """A figure formatted for people: 68.0%, 1,234, USD 5.6 m, 1.45x, 2029; a share with unit
    ``pp`` is a change in percentage points: −12.1 pp; a number with unit ``coefficient`` (Cohen's
    kappa, a Gini coefficient) has two decimals: 1.00, not 1."""
    kind = ALIASES.get(kind or "", kind)
    if value is None:
        return "n/a"
    if isinstance(value, (bool, str)) or kind == "text":
        return str(value)
    if kind == "year":
        return str(int(value)) if float(value).is_integer() else str(value)
    if kind == "share" and unit == "pp":  # a change in a share, in percentage points
        pts = round(value * 100, 1)
        return "0.0 pp" if pts == 0 else f"{pts:+.1f} pp".replace("-", "−")
    if kind == "share":
        return f"{value:.1%}" if abs(value) >= 0.001 or value == 0 else f"{value:.2%}"
    if kind == "ratio":
        return fmt_ratio(value)
    if unit == "coefficient" and kind in (None, "number"):  # Cohen's kappa, a Gini: 1.00, 0.83
        return f"{value:.2f}".replace("-", "−")
    if unit == "years" and kind in (None, "number"):  # a duration: 0.7 years, not 0.728
        return f"{value:,.1f} years"
    if kind == "count":
        return f"{int(round(value)):,}" + (f" {unit}" if unit else "")
    text = fmt_number(value) if isinstance(value, float) else f"{value:,}"
    if kind == "money" and unit:
        cur, _, scale = unit.partition(" ")
        return f"{cur} {text}" + (f" {scale}" if scale else "")
    return text + (f" {unit}" if unit else "")


MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def month(value: Any) -> str:
    """A list's month as people write it: "2025-01" -> "January 2025" (the one date style of
    headlines, chart titles and prose); None (no list) -> ""; anything else that is not a
    year-month is returned as it is."""
    if value is None:
        return ""
    m = re.fullmatch(r"(\d{4})-(\d{2})", str(value).strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        return str(value)
    return f"{MONTHS[int(m.group(2)) - 1]} {m.group(1)}"


def day(value: Any) -> str:
    """A date as people write it: "2025-04-30" -> "30 April 2025"; a year-month as
    :func:`month`; anything else as it is."""
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", str(value).strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        return month(value)
    return f"{int(m.group(3))} {MONTHS[int(m.group(2)) - 1]} {m.group(1)}"


# a day or a year-month written as code writes it, not inside a word, an address or a file name
# ("lists to 2025-03", not "…/2025-03/…" nor "systems_2024-11-22.csv")
ISO_DATE_RE = re.compile(r"(?<![\w/.#=:-])\d{4}-\d{2}(?:-\d{2})?(?![\w/-]|\.\w)")


def dates_in_words(text: str) -> str:
    """Every ISO day or month in a sentence as people write it ("judged on the lists to
    2025-03, revised 2026-12-06" -> "… to March 2025, revised 6 December 2026"): for curated
    prose (a reading's rationale, its revisions) shown on the pages."""
    return ISO_DATE_RE.sub(lambda m: day(m.group(0)), str(text))


def span(lo_text: str, hi_text: str) -> str:
    """Two formatted ends as a range: "5.4%–19.8%", but "−38.2 to −18.0 pp" when an end is
    negative (an en dash beside a minus sign reads as one symbol). A unit the two ends share
    ("pp") is written once."""
    if not (lo_text.startswith(("−", "-")) or hi_text.startswith(("−", "-"))):
        return f"{lo_text}–{hi_text}"
    for unit in (" pp",):
        if lo_text.endswith(unit) and hi_text.endswith(unit):
            lo_text = lo_text[: -len(unit)]
    return f"{lo_text} to {hi_text}"


def interval_suffix(lo: Any, hi: Any, kind: str | None, interval_kind: str | None = None) -> str:
    """ " (95% interval 14.3%–34.2%)" after an estimate, or "" when there is no interval (a
    census, a missing or NaN end): the one way pages, the index and the ledger write it."""
    if not all(isinstance(x, (int, float)) and x == x for x in (lo, hi)) or lo == hi:
        return ""
    return f" ({interval_kind or '95% interval'} {span(fmt(lo, kind), fmt(hi, kind))})"


def human_size(n: float) -> str:
    """A file size for people: 812 bytes, 4.2 MB (the release README and download page)."""
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{int(n):,} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def quoted_title(title: str) -> str:
    """A title in a citation's quotation marks, ended by a full stop unless it ends a sentence
    already: “Who makes money?” not “Who makes money?.”"""
    return f"\u201c{title}{'' if title.rstrip()[-1:] in '.?!' else '.'}\u201d"
