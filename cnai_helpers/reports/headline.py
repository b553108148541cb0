"""A page's headline: one sentence a reader can quote, written from the figures the report
recorded. Each report's ``headline:`` in site.yaml is a template whose ``{key}`` placeholders name
results keys, each formatted with the project's formatter (:func:`cnai_helpers.results.fmt`,
with the kind and unit the notebook recorded):

    headline: "{share_hub_provinces_4} of filings come from the four hub provinces; their share
      of new filings is {hub_share_change_late_vs_early:trend}."

A part in square brackets is optional: it is left out when one of its figures is missing
(``"… in {n_batches} lists[; {active_filings} are still active]."``). Filters after a colon: ``trend`` (rising / falling / unchanged, from the sign; "not clearly
changing" when the report recorded a ``_ci_low``/``_ci_high`` interval that includes 0), ``abs`` (the
size of a change, without its sign), ``words`` (a code value as words), ``month`` (a list's month
"2025-01" as "January 2025"), ``day`` (a date "2026-07-17" as "17 July 2026"), ``ordinal`` (a rank as "second", "11th"), ``approx`` (a share as
"about a fifth (20.3%)" when within a point of a simple fraction, else "20.3%"), ``change`` (a change
in percentage points as "down 11.7 points"), ``are`` (a count with its verb: "1 is", "14 are"), ``times`` (a ratio: "the same as" when it
rounds to 1.00×, else "1.35× as much as"), ``status`` (the status of the verdict the report
recorded on that figure, as the badge says it: "contradicted"; the primary reading's verdict
first, so a headline sets the figure beside the claim's number and its verdict), ``band`` (what
the claim's words allow, as that verdict states it: "75%–80%") and ``interval`` (that verdict's
interval with its name: "95% interval 5.4%–11.2%"), ``fit`` (where that reading's figure lies against
the band: "below the band", "inside the band") and ``claim`` (the claim's own verdict, which
pre-registered alternative readings can turn into "depends on definition": "verdict:
depends on definition"; :func:`cnai_helpers.evidence.claim_status`) and ``n`` (the number of
observations that verdict rests on: "352"). A template whose figure
was not recorded (or not measurable) gives no headline rather than a sentence with a hole.
"""

from __future__ import annotations

import re
from typing import Any

from ..formatting import day, month
from ..results import fmt

PLACEHOLDER_RE = re.compile(r"\{([A-Za-z0-9_]+)(?::([a-z]+))?\}")
OPTIONAL_RE = re.compile(r"\[([^\[\]]*)\]")
FILTERS = (
    "day",
    "trend",
    "abs",
    "words",
    "month",
    "ordinal",
    "approx",
    "change",
    "are",
    "times",
)
# the filters that read the verdict recorded on the figure
VERDICT_FILTERS = ("status", "band", "interval", "fit", "claim", "n")
FILTERS = FILTERS + VERDICT_FILTERS

ORDINALS = [
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
]
# shares a reader says in words, and how close a share must be to be said so (1 point)
FRACTIONS = (
    (1 / 2, "half"),
    (1 / 3, "a third"),
    (2 / 3, "two thirds"),
    (1 / 4, "a quarter"),
    (3 / 4, "three quarters"),
    (1 / 5, "a fifth"),
    (2 / 5, "two fifths"),
    (3 / 5, "three fifths"),
    (4 / 5, "four fifths"),
    (1 / 10, "a tenth"),
)
APPROX_TOLERANCE = 0.01


def month_words(value: Any) -> str:
    """A list's month "2025-01" as "January 2025" (:func:`cnai_helpers.formatting.month`)."""
    return month(value)


def ordinal_words(value: Any) -> str:
    """A rank as a word: 1 -> "first", 2 -> "second", … 10 -> "tenth", then 11th, 22nd, 103rd."""
    n = int(value)
    if 1 <= n <= len(ORDINALS):
        return ORDINALS[n - 1]
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n:,}{suffix}"


def approx_words(value: float, kind: str | None = None, unit: str | None = None) -> str:
    """A share in words where the words are exact enough: "about three quarters (75.2%)" when
    the share is within a point of a simple fraction, else the share itself ("68.0%")."""
    exact = fmt(value, kind or "share", unit)
    for frac, words in FRACTIONS:
        if abs(value - frac) <= APPROX_TOLERANCE:
            return f"about {words} ({exact})"
    return exact


class HeadlineError(ValueError):
    pass


def placeholders(template: str) -> list[tuple[str, str]]:
    """(results key, filter) of each placeholder of ``template``; an unknown filter raises."""
    out = [(m.group(1), m.group(2) or "") for m in PLACEHOLDER_RE.finditer(template or "")]
    bad = [f for _, f in out if f and f not in FILTERS]
    if bad:
        raise HeadlineError(f"unknown headline filter {bad[0]!r} (one of {', '.join(FILTERS)})")
    return out


def verdict_on(values: dict, key: str) -> dict | None:
    """The verdict recorded on the figure ``key`` (primary reading first, then an alternative,
    then a sensitivity check), or None."""
    vs = [v for v in values.get("verdicts") or [] if v.get("figure") == key]
    rank = {"primary": 0, "alternative": 1}
    return min(vs, key=lambda v: rank.get(v.get("role") or "", 2)) if vs else None


def status_words(verdict: dict) -> str:
    """A verdict's status as its badge says it ("contradicted", "not testable")."""
    from ..evidence import LABELS

    return LABELS.get(verdict["status"], verdict["status"])


def verdict_words(v: dict, how: str, verdicts: list[dict] | None = None) -> str:
    """The part of the verdict ``v`` a ``status``, ``band``, ``interval``, ``fit`` or ``claim``
    filter shows (``claim`` reads the report's other ``verdicts`` on the same claim)."""
    from ..evidence import LABELS, band_position, statuses_by_claim

    if how == "status":
        return status_words(v)
    if how == "fit":
        return band_position(v)
    if how == "n":
        return fmt(v["n"], "count")
    if how == "claim":
        status = statuses_by_claim(verdicts or [v]).get(v.get("claim") or "", v["status"])
        return f"verdict: {LABELS.get(status, status)}"
    if how == "band":
        return v["band_text"]
    from ..formatting import span

    kind = v.get("kind")
    lo, hi = fmt(v["ci_low"], kind), fmt(v["ci_high"], kind)
    name = v.get("interval_kind") or "95% interval"
    if name.startswith("2.5th–97.5th percentile"):  # said as a reader says it
        if "bootstrap" in name:
            return f"95% interval {span(lo, hi)}"
        return f"95% of simulations between {lo} and {hi}"
    return f"{name} {span(lo, hi)}"


def _one(
    value: Any, how: str, kind: str | None, unit: str | None, interval: tuple | None = None
) -> str:
    if how == "trend":
        lo, hi = interval or (None, None)
        if isinstance(lo, (int, float)) and isinstance(hi, (int, float)) and lo <= 0 <= hi:
            return "not clearly changing"  # the change's interval includes no change
        return "rising" if value > 0 else "falling" if value < 0 else "unchanged"
    if how == "change":  # a signed change in words: "down 11.7 points", "up 2.1 points"
        if kind == "share" and unit == "pp":
            pts = round(value * 100, 1)
            if pts == 0:
                return "no change"
            return f"{'up' if pts > 0 else 'down'} {abs(pts):.1f} points"
        return fmt(value, kind, unit)
    if how == "times":  # a ratio before a noun: "the same as" at 1.00×, else "1.35× as much as"
        shown = fmt(value, kind or "ratio", unit)
        return "the same as" if shown in ("1.00×", "1.0×", "1×") else f"{shown} as much as"
    if how == "are":  # a count with its verb: "1 is", "14 are"
        return f"{fmt(value, kind or 'count', unit)} {'is' if value == 1 else 'are'}"
    if how == "month":
        return month_words(value)
    if how == "day":  # a date "2026-07-17" as "17 July 2026"
        return day(value)
    if how == "ordinal":
        return ordinal_words(value)
    if how == "approx":
        return approx_words(value, kind, unit)
    if how == "words":
        from ..display import code_label

        return code_label(str(value))
    if how == "abs":
        value = abs(value)
        if kind == "share" and unit == "pp":
            return f"{value * 100:.1f} percentage points"
    return fmt(value, kind, unit)


def _missing(template: str, values: dict) -> list[str]:
    return [
        k
        for k, how in placeholders(template)
        if values.get(k) is None
        or isinstance(values.get(k), (list, dict))
        or (how in VERDICT_FILTERS and verdict_on(values, k) is None)
        or (how == "band" and not verdict_on(values, k).get("band_text"))
        or (how == "n" and not verdict_on(values, k).get("n"))
        or (
            how == "interval"
            and verdict_on(values, k).get("ci_low") in (None, verdict_on(values, k).get("ci_high"))
        )
    ]


def headline(template: str, values: dict, meta: dict | None = None) -> str:
    """The sentence, or "" when there is no template or one of its (not optional) figures is
    missing. ``meta``: results key -> {kind, unit} (as recorded)."""
    if not template:
        return ""
    placeholders(template)
    meta = meta or {}
    # optional parts: kept (without their brackets) when all their figures are there
    template = OPTIONAL_RE.sub(
        lambda m: "" if _missing(m.group(1), values) else m.group(1), template
    )
    if _missing(template, values):
        return ""

    def sub(m: re.Match) -> str:
        key, how = m.group(1), m.group(2) or ""
        if how in VERDICT_FILTERS:
            return verdict_words(verdict_on(values, key), how, values.get("verdicts"))
        m_ = meta.get(key) or {}
        interval = (values.get(f"{key}_ci_low"), values.get(f"{key}_ci_high"))
        return _one(values[key], how, m_.get("kind"), m_.get("unit"), interval)

    text = " ".join(PLACEHOLDER_RE.sub(sub, template).split())
    return text[:1].upper() + text[1:]
