"""One evidence model: the statuses a claim can have and the tested rules that assign them.

No notebook decides a status by itself: a notebook computes a figure, calls one of the rules
below and records the returned :class:`Verdict` with :func:`cnai_helpers.results.record_verdict`.
The claims ledger reads the same verdict objects from the reports' results, so a claim's status
is decided once and shown the same everywhere.

Statuses
--------
``supported``
    our computation from primary data agrees with the claim within a stated tolerance;
``contradicted``
    it disagrees beyond the tolerance and beyond the uncertainty;
``depends_on_definition``
    it holds under some stated, reasonable definitions (or assumptions) and fails under others;
``not_testable``
    the data cannot answer it (too few observations, an interval too wide to decide, no data):
    the reason says what data would;
``source_traced``
    a figure restated from a traceable source (a curated table row), not independently
    computed. It is never counted as supported.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace

SUPPORTED = "supported"
CONTRADICTED = "contradicted"
DEPENDS = "depends_on_definition"
NOT_TESTABLE = "not_testable"
SOURCE_TRACED = "source_traced"
STATUSES = (SUPPORTED, CONTRADICTED, DEPENDS, NOT_TESTABLE, SOURCE_TRACED)
LABELS = {
    SUPPORTED: "supported",
    CONTRADICTED: "contradicted",
    DEPENDS: "depends on definition",
    NOT_TESTABLE: "not testable",
    SOURCE_TRACED: "source-traced (restated, not computed)",
}
BASES = ("computed", "curated")


@dataclass(frozen=True)
class Verdict:
    """A status with its reason. ``claim`` is a ``data/curated/claims.csv`` id, ``figure`` the
    results.json key of the figure the status rests on, ``basis`` computed or curated."""

    status: str
    reason: str
    claim: str = ""
    figure: str = ""
    basis: str = "computed"
    value: float | str | None = None

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"unknown status {self.status!r}; one of {', '.join(STATUSES)}")
        if self.basis not in BASES:
            raise ValueError(f"unknown basis {self.basis!r}; one of {', '.join(BASES)}")
        if not self.reason:
            raise ValueError("a verdict needs a reason")
        if self.status == SUPPORTED and self.basis != "computed":
            raise ValueError("only a computed figure can support a claim")

    @property
    def label(self) -> str:
        return LABELS[self.status]

    def about(self, claim: str, figure: str = "") -> Verdict:
        """The same verdict attached to a claim id (and the figure it rests on)."""
        return Verdict(
            self.status, self.reason, claim, figure or self.figure, self.basis, self.value
        )

    def as_dict(self) -> dict:
        return asdict(self)


def _as_pct(x: float) -> str:
    return f"{x:.1%}" if abs(x) >= 0.001 or x == 0 else f"{x:.2%}"


def _as_ratio(x: float) -> str:
    return f"{x:,.2f}x"


def _num(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:,.3g}"


def _finite(x) -> bool:
    return x is not None and isinstance(x, (int, float)) and math.isfinite(x)


def share_vs_claim(
    measured: float | None,
    claimed: float,
    *,
    interval: tuple[float, float] | None = None,
    tolerance: float = 0.1,
    direction: str = "about",
    n: int | None = None,
    min_n: int = 30,
    what: str = "the share",
    percent: bool = True,
) -> Verdict:
    """A measured share against a claimed share.

    ``direction``: ``about`` (the claim is a point: "22%", "nearly 80%"), ``more_than``
    ("more than half") or ``less_than``. ``tolerance`` is relative to the claim for ``about``
    (0.1 = within ±10% of the claimed value). ``interval`` is the uncertainty of the measured
    share (e.g. a classifier-adjusted interval); without it the measurement is taken as exact.
    Rules:

    - fewer than ``min_n`` observations, or no measurement: not testable;
    - about: supported when the point is within the tolerance band; contradicted when the whole
      interval lies outside the band; otherwise not testable (the uncertainty straddles the band);
    - more_than / less_than: supported when the whole interval is on the claimed side,
      contradicted when it is wholly on the other side, otherwise not testable.

    ``percent=False`` writes the figures as ratios (``2.40x``) instead of percentages.
    """
    _pct = _as_pct if percent else _as_ratio
    if direction not in ("about", "more_than", "less_than"):
        raise ValueError(f"direction must be about, more_than or less_than, not {direction!r}")
    if not _finite(measured):
        return Verdict(NOT_TESTABLE, f"{what} cannot be measured with these data.")
    if n is not None and n < min_n:
        return Verdict(
            NOT_TESTABLE,
            f"only {n} observations (fewer than {min_n}) behind {what}.",
            value=measured,
        )
    lo, hi = interval if interval is not None else (measured, measured)
    if not (_finite(lo) and _finite(hi)) or lo > hi:
        raise ValueError(f"interval {interval!r} is not a finite (low, high) pair")
    unc = f" (interval {_pct(lo)}–{_pct(hi)})" if interval is not None else ""
    if direction == "about":
        band = (claimed * (1 - tolerance), claimed * (1 + tolerance))
        band_txt = (
            f"the claimed {_pct(claimed)} ± {tolerance:.0%} ({_pct(band[0])}–{_pct(band[1])})"
        )
        if band[0] <= measured <= band[1]:
            return Verdict(
                SUPPORTED, f"{what} is {_pct(measured)}{unc}, within {band_txt}.", value=measured
            )
        if hi < band[0] or lo > band[1]:
            side = "below" if hi < band[0] else "above"
            return Verdict(
                CONTRADICTED,
                f"{what} is {_pct(measured)}{unc}, {side} {band_txt} "
                "even at the edge of its uncertainty.",
                value=measured,
            )
        return Verdict(
            NOT_TESTABLE,
            f"{what} is {_pct(measured)}{unc}: outside {band_txt} at "
            "the point estimate, but the uncertainty reaches the band; a larger "
            "evaluation sample would decide.",
            value=measured,
        )
    above = direction == "more_than"
    word = "more than" if above else "less than"
    if (lo > claimed) if above else (hi < claimed):
        return Verdict(
            SUPPORTED,
            f"{what} is {_pct(measured)}{unc}, {word} the claimed {_pct(claimed)}.",
            value=measured,
        )
    if (hi <= claimed) if above else (lo >= claimed):
        return Verdict(
            CONTRADICTED,
            f"{what} is {_pct(measured)}{unc}, not {word} the claimed {_pct(claimed)}.",
            value=measured,
        )
    return Verdict(
        NOT_TESTABLE,
        f"{what} is {_pct(measured)}{unc}: the interval straddles the claimed {_pct(claimed)}.",
        value=measured,
    )


def shares_vs_claim(
    shares: Mapping[str, float | None],
    claimed: float,
    *,
    tolerance: float = 0.1,
    direction: str = "about",
    what: str = "the claim",
) -> Verdict:
    """One claimed share measured under several stated definitions (hub cities, hub provinces,
    a radius...): each definition judged by :func:`share_vs_claim`, then combined by
    :func:`across_definitions`. A definition the data cannot measure is listed as such."""
    v = across_definitions(
        {
            k: share_vs_claim(
                v, claimed, tolerance=tolerance, direction=direction, what=f"the share ({k})"
            )
            for k, v in shares.items()
        },
        what=what,
    )
    if direction == "about":  # the band is a reading of the claim's words: say it
        lo, hi = claimed * (1 - tolerance), claimed * (1 + tolerance)
        v = replace(
            v,
            reason=f"{v.reason} The claim is read as {_as_pct(claimed)} ± {tolerance:.0%} "
            f"({_as_pct(lo)}–{_as_pct(hi)}); another reading of its words can move a definition "
            "across the band.",
        )
    return v


def value_vs_claim(
    measured: float | None,
    claimed: float,
    *,
    tolerance: float = 0.0,
    what: str = "the value",
    unit: str = "",
) -> Verdict:
    """An exactly measured value (a count, a row number, a year) against a claimed value,
    within ``tolerance`` relative to the claim (0 = exact)."""
    if not _finite(measured):
        return Verdict(NOT_TESTABLE, f"{what} cannot be measured with these data.")
    u = f" {unit}" if unit else ""
    ok = abs(measured - claimed) <= tolerance * abs(claimed)
    tol = f" (tolerance ±{tolerance:.0%})" if tolerance else ""
    return Verdict(
        SUPPORTED if ok else CONTRADICTED,
        f"{what} is {measured:g}{u} against the claimed {claimed:g}{u}{tol}.",
        value=measured,
    )


def range_vs_distribution(
    samples: Sequence[float],
    low: float,
    high: float,
    *,
    what: str = "the ratio",
    support_share: float = 0.5,
    contradict_share: float = 0.05,
) -> Verdict:
    """A claimed range (e.g. "two to four times") against a simulated distribution.

    Supported when at least ``support_share`` of the samples fall in [low, high]; contradicted
    when at most ``contradict_share`` do; otherwise it depends on the assumptions (the reason
    gives the share inside and the median)."""
    xs = sorted(float(x) for x in samples if _finite(float(x)))
    if len(xs) < 20:
        return Verdict(NOT_TESTABLE, f"only {len(xs)} usable samples of {what}.")
    inside = sum(low <= x <= high for x in xs) / len(xs)
    med = xs[len(xs) // 2] if len(xs) % 2 else (xs[len(xs) // 2 - 1] + xs[len(xs) // 2]) / 2
    p05, p95 = xs[int(0.05 * (len(xs) - 1))], xs[int(0.95 * (len(xs) - 1))]
    desc = (
        f"{what}: median {med:.2f}x, 90% of samples {p05:.2f}–{p95:.2f}x, {inside:.0%} "
        f"of samples in the claimed {low:g}–{high:g}x"
    )
    if inside >= support_share:
        return Verdict(SUPPORTED, desc + ".", value=med)
    if inside <= contradict_share:
        return Verdict(CONTRADICTED, desc + ".", value=med)
    return Verdict(
        DEPENDS,
        desc + ": inside under some of the sampled assumptions, outside under others.",
        value=med,
    )


def compare_groups(
    group_a: Mapping[str, float],
    group_b: Mapping[str, float],
    *,
    direction: str = "less",
    min_n: int = 5,
    what: str = "the measure",
    a_name: str = "group A",
    b_name: str = "group B",
) -> Verdict:
    """Is ``group_a`` lower (``direction='less'``) or higher than ``group_b``?

    Each group maps a member name to its value. With fewer than ``min_n`` members in either
    group the comparison is not testable (the reason states both sizes). Otherwise supported
    when every member of A is on the claimed side of every member of B, contradicted when every
    member is on the other side, and dependent on the comparator when the groups overlap."""
    if direction not in ("less", "more"):
        raise ValueError(f"direction must be less or more, not {direction!r}")
    a = {k: float(v) for k, v in group_a.items() if _finite(v)}
    b = {k: float(v) for k, v in group_b.items() if _finite(v)}
    sizes = f"{a_name}: n = {len(a)}, {b_name}: n = {len(b)}"
    listing = "; ".join(f"{k} {_num(v)}" for k, v in {**a, **b}.items())
    if len(a) < min_n or len(b) < min_n:
        return Verdict(
            NOT_TESTABLE,
            f"{what}: {sizes}, fewer than the {min_n} per group needed "
            f"to compare strategies rather than companies ({listing}).",
        )
    lower = max(a.values()) < min(b.values())
    higher = min(a.values()) > max(b.values())
    claimed, opposite = (lower, higher) if direction == "less" else (higher, lower)
    word = "below" if direction == "less" else "above"
    if claimed:
        return Verdict(
            SUPPORTED,
            f"{what}: every member of {a_name} is {word} every member of {b_name} ({sizes}).",
        )
    if opposite:
        return Verdict(
            CONTRADICTED,
            f"{what}: every member of {a_name} is on the other side of {b_name} ({sizes}).",
        )
    return Verdict(
        DEPENDS,
        f"{what}: the groups overlap ({sizes}; {listing}); the answer "
        "depends on which members are compared.",
    )


def across_definitions(verdicts: Mapping[str, Verdict], what: str = "the claim") -> Verdict:
    """Combine the verdicts of one claim under several stated definitions (or comparators).

    All measurable definitions agree -> that status; some support and others contradict ->
    depends on definition (the reason lists both); none measurable -> not testable."""
    measurable = {
        k: v for k, v in verdicts.items() if v.status in (SUPPORTED, CONTRADICTED, DEPENDS)
    }
    skipped = [k for k in verdicts if k not in measurable]
    tail = f" Not measurable here: {', '.join(skipped)}." if skipped else ""
    if not measurable:
        return Verdict(
            NOT_TESTABLE,
            f"none of the definitions of {what} can be measured with these data.{tail}",
        )
    statuses = {v.status for v in measurable.values()}
    first = next(iter(measurable.values()))
    if len(statuses) == 1 and DEPENDS not in statuses:
        s = statuses.pop()
        listing = "; ".join(f"{k}: {v.reason.rstrip('.')}" for k, v in measurable.items())
        return Verdict(
            s,
            f"{LABELS[s].capitalize()} under every measurable definition ({listing}).{tail}",
            value=first.value,
        )
    holds = [k for k, v in measurable.items() if v.status == SUPPORTED]
    fails = [k for k, v in measurable.items() if v.status == CONTRADICTED]
    mixed = [k for k, v in measurable.items() if v.status == DEPENDS]
    parts = []
    if holds:
        parts.append(f"holds for {', '.join(holds)}")
    if fails:
        parts.append(f"fails for {', '.join(fails)}")
    if mixed:
        parts.append(f"depends on the assumptions for {', '.join(mixed)}")
    return Verdict(DEPENDS, f"{what.capitalize()} {'; '.join(parts)}.{tail}", value=first.value)


def source_traced(
    value,
    source: str,
    *,
    what: str = "the figure",
    kind: str | None = None,
    unit: str | None = None,
) -> Verdict:
    """A figure restated from a curated table row (``source`` names the table and row): it is
    traceable, not independently computed, and never counts as supported. ``kind`` and ``unit``
    format the value as the page shows it (68.0%, USD 500 bn)."""
    from .results import fmt

    shown = fmt(value, kind, unit)
    return Verdict(
        SOURCE_TRACED,
        f"{what} ({shown}) is restated from {source}; the project "
        "has no primary data to compute it.",
        basis="curated",
        value=value,
    )


def not_testable(reason: str) -> Verdict:
    return Verdict(NOT_TESTABLE, reason)
