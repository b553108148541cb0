"""One evidence model: the statuses a claim can have and the one rule that assigns them.

No notebook decides a status by itself. Each tested claim has a reading fixed before its verdict
(``data/curated/claim_readings.yaml``, :mod:`cnai_helpers.readings`): the band its words allow,
its population and cut-off, its primary definition. A notebook computes an estimate with its
interval and calls :func:`judge`, which applies :func:`decide` (equivalence-test logic) and
returns a :class:`Verdict` that :func:`cnai_helpers.results.record_verdict` records. The claims
ledger reads the same verdicts and takes each claim's status from its primary reading.

Statuses
--------
``supported``
    the estimate's interval (95%; for a simulated range the stated quantiles) lies inside the
    band the claim's words allow;
``contradicted``
    the interval lies wholly outside the band;
``inconclusive``
    the interval and the band overlap without one containing the other: the reason states the
    sample size that would decide. A point estimate inside the band with a wide interval is
    inconclusive, never supported;
``depends_on_definition``
    pre-registered readings of the words that are each decisive disagree (supported under one,
    contradicted under another); only the ledger assigns it;
``not_testable``
    the data cannot address the claim at all;
``source_traced``
    a figure restated from a traceable source (a curated table row), not independently
    computed. It is never counted as supported.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace

from .formatting import fmt
from .readings import Reading, reading

SUPPORTED = "supported"
CONTRADICTED = "contradicted"
INCONCLUSIVE = "inconclusive"
DEPENDS = "depends_on_definition"
NOT_TESTABLE = "not_testable"
SOURCE_TRACED = "source_traced"
STATUSES = (SUPPORTED, CONTRADICTED, INCONCLUSIVE, DEPENDS, NOT_TESTABLE, SOURCE_TRACED)
DECISIVE = (SUPPORTED, CONTRADICTED)
LABELS = {
    SUPPORTED: "supported",
    CONTRADICTED: "contradicted",
    INCONCLUSIVE: "inconclusive",
    DEPENDS: "depends on definition",
    NOT_TESTABLE: "not testable",
    SOURCE_TRACED: "source-traced (restated, not computed)",
}
BASES = ("computed", "curated")
ROLES = ("primary", "alternative", "sensitivity", "")


@dataclass(frozen=True)
class Verdict:
    """A status with its reason. ``claim`` is a ``data/curated/claims.csv`` id, ``figure`` the
    results.json key of the figure the status rests on, ``basis`` computed or curated.

    Verdicts made by :func:`judge` also carry the reading they were judged under: ``role``
    (primary, alternative or sensitivity), ``definition``, ``registry``, ``cutoff``, the
    estimate's interval (``ci_low``, ``ci_high``, ``interval_kind``), the band
    (``band_low``, ``band_high``, null for an open side; ``band_text``), ``n`` and, when
    inconclusive, ``n_to_decide``."""

    status: str
    reason: str
    claim: str = ""
    figure: str = ""
    basis: str = "computed"
    value: float | str | None = None
    role: str = ""
    definition: str = ""
    registry: str | None = None
    cutoff: str | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    interval_kind: str = ""
    band_low: float | None = None
    band_high: float | None = None
    band_text: str = ""
    kind: str | None = None
    n: int | None = None
    n_to_decide: int | None = None

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"unknown status {self.status!r}; one of {', '.join(STATUSES)}")
        if self.basis not in BASES:
            raise ValueError(f"unknown basis {self.basis!r}; one of {', '.join(BASES)}")
        if self.role not in ROLES:
            raise ValueError(f"unknown role {self.role!r}; one of {', '.join(ROLES)}")
        if not self.reason:
            raise ValueError("a verdict needs a reason")
        if self.status == SUPPORTED and self.basis != "computed":
            raise ValueError("only a computed figure can support a claim")

    @property
    def label(self) -> str:
        return LABELS[self.status]

    def about(self, claim: str, figure: str = "") -> Verdict:
        """The same verdict attached to a claim id (and the figure it rests on)."""
        return replace(self, claim=claim, figure=figure or self.figure)

    def as_dict(self) -> dict:
        return asdict(self)


def _finite(x) -> bool:
    return x is not None and isinstance(x, (int, float)) and math.isfinite(x)


def decide(
    estimate: float | None,
    ci_low: float | None,
    ci_high: float | None,
    band_low: float | None,
    band_high: float | None,
    *,
    low_exclusive: bool = False,
    high_exclusive: bool = False,
) -> str:
    """The one decision rule: supported when [ci_low, ci_high] lies inside the band,
    contradicted when it lies wholly outside, inconclusive otherwise; not testable without an
    estimate. ``None`` band edges are open; an exclusive edge is not inside the band."""
    if not _finite(estimate):
        return NOT_TESTABLE
    lo = ci_low if _finite(ci_low) else estimate
    hi = ci_high if _finite(ci_high) else estimate
    if lo > hi:
        raise ValueError(f"interval ({ci_low}, {ci_high}) has its low end above its high end")
    if band_low is None and band_high is None:
        raise ValueError("a band needs at least one edge")

    def above_low(x: float) -> bool:
        return band_low is None or (x > band_low if low_exclusive else x >= band_low)

    def below_high(x: float) -> bool:
        return band_high is None or (x < band_high if high_exclusive else x <= band_high)

    if above_low(lo) and below_high(hi):
        return SUPPORTED
    if not above_low(hi) or not below_high(lo):
        return CONTRADICTED
    return INCONCLUSIVE


def claim_status(primary: str, alternatives: Sequence[str] = ()) -> str:
    """A claim's status from its primary reading's verdict and its pre-registered alternatives':
    ``depends_on_definition`` when these are each decisive and disagree (one supported, another
    contradicted), else the primary's status. Inconclusive or not-testable alternatives never
    change it (they are shown, not dropped)."""
    decisive = {s for s in (primary, *alternatives) if s in DECISIVE}
    return DEPENDS if decisive == {SUPPORTED, CONTRADICTED} else primary


def n_to_decide(
    estimate: float,
    ci_low: float,
    ci_high: float,
    band_low: float | None,
    band_high: float | None,
    n: int,
    population: int | None = None,
) -> int | None:
    """Sample size at which an interval of the same shape, centred on the same estimate, would
    clear the nearest band edge: the n that would decide an inconclusive verdict if the
    estimate held. The width shrinks as 1/sqrt(n), with the finite-population correction when
    ``population`` (the number of units sampled from) is given, so the answer never exceeds
    it. None when the estimate sits on an edge."""
    half = (ci_high - ci_low) / 2
    edges = [e for e in (band_low, band_high) if e is not None]
    if not edges or half <= 0 or not n:
        return None
    dist = min(abs(estimate - e) for e in edges)
    if dist <= 0:
        return None
    if population and population > n:
        c = half**2 / (1 / n - 1 / population)  # half² = c (1/n − 1/N)
        need = 1 / (dist**2 / c + 1 / population)
        return min(population, max(n + 1, math.ceil(round(need, 6))))
    return max(n + 1, math.ceil(round(n * (half / dist) ** 2, 6)))


def binomial_interval(k: int, n: int, method: str = "exact", level: float = 0.95):
    """(low, high) of a proportion k/n: ``exact`` (Clopper-Pearson) or ``wilson``; for rare
    events, where a normal approximation fails."""
    from scipy.stats import binomtest

    if n <= 0 or not 0 <= k <= n:
        raise ValueError(f"binomial_interval: need 0 <= k <= n and n > 0, got k={k}, n={n}")
    ci = binomtest(int(k), int(n)).proportion_ci(confidence_level=level, method=method)
    return float(ci.low), float(ci.high)


def _edge(x: float, kind: str | None) -> str:
    """A band edge with the digits it was written with: 0.45%, 21.5%, 75%, 2x, 152."""
    if kind == "share":
        return f"{x * 100:.3f}".rstrip("0").rstrip(".") + "%"
    if kind == "ratio":
        return f"{x:.3f}".rstrip("0").rstrip(".") + "×"
    return fmt(x, kind)


def band_text(r: Reading, kind: str | None = "share") -> str:
    """The band as people read it: "21.5%–22.5%", "above 50%", "2×–4×", "exactly 152"."""
    lo, hi = r.band_low, r.band_high

    def f(x):
        return _edge(x, kind)

    if r.direction == "equal":
        return f"exactly {f(lo)}"
    if hi is None:
        return f"above {f(lo)}" if r.direction == "more_than" else f"at least {f(lo)}"
    if lo is None:
        return f"below {f(hi)}" if r.direction == "less_than" else f"at most {f(hi)}"
    return f"{f(lo)}–{f(hi)}"


def judge(
    claim: str,
    estimate: float | None,
    interval: tuple[float, float] | None = None,
    *,
    figure: str,
    definition: str,
    registry: str | None = None,
    cutoff: str | None = None,
    n: int | None = None,
    kind: str | None = "share",
    what: str = "the estimate",
    interval_kind: str = "95% interval",
    census: bool = False,
    population: int | None = None,
) -> Verdict:
    """Judge an estimate of ``claim`` against the claim's committed reading.

    ``definition``, ``registry`` and ``cutoff`` say what was computed; the reading decides
    whether that is the claim's primary reading, a pre-registered alternative, or a sensitivity.
    ``interval`` is the estimate's interval (``interval_kind`` names it: "95% interval",
    "2.5th–97.5th percentile of the samples"); ``census=True`` declares a figure with no
    sampling error (every filing of a list counted), judged at its value. Without an interval a
    figure that is not a census is inconclusive unless it is outside the band. ``n`` (the
    observations behind the estimate) below the reading's ``min_n`` gives inconclusive;
    ``population`` (the units the sample was drawn from) caps the sample size that would decide.
    """
    r = reading(claim)
    role, ref = r.ref_for(registry, definition, cutoff)
    lo_x, hi_x = r.exclusive()
    common = dict(
        claim=claim,
        figure=figure,
        value=estimate if _finite(estimate) else None,
        role=role,
        definition=definition,
        registry=registry,
        cutoff=cutoff,
        band_low=r.band_low,
        band_high=r.band_high,
        band_text=band_text(r, kind),
        kind=kind,
        n=n,
    )
    if not _finite(estimate):
        return Verdict(NOT_TESTABLE, f"{what} cannot be measured with these data.", **common)
    if interval is not None:
        lo, hi = interval
        if not (_finite(lo) and _finite(hi)) or lo > hi:
            raise ValueError(f"judge({claim}): interval {interval!r} is not a finite (low, high)")
    elif census:
        lo = hi = float(estimate)
    else:
        lo = hi = None
    est = fmt(estimate, kind)
    band = band_text(r, kind)
    what = what[:1].upper() + what[1:]
    if lo is None:  # no interval: only a value outside the band can decide
        status = decide(
            estimate,
            estimate,
            estimate,
            r.band_low,
            r.band_high,
            low_exclusive=lo_x,
            high_exclusive=hi_x,
        )
        status = CONTRADICTED if status == CONTRADICTED else INCONCLUSIVE
        reason = f"{what} is {est} with no interval; the claim is read as {band}."
        return Verdict(status, reason, **common)
    common.update(
        ci_low=float(lo),
        ci_high=float(hi),
        interval_kind="census" if census and interval is None else interval_kind,
    )
    unc = "" if lo == hi else f" ({interval_kind} {fmt(lo, kind)}–{fmt(hi, kind)})"
    if n is not None and n < r.min_n:
        return Verdict(
            INCONCLUSIVE,
            f"{what} is {est}{unc}, from only {n} observations (the reading needs "
            f"{r.min_n}); the claim is read as {band}.",
            n_to_decide=r.min_n,
            **common,
        )
    status = decide(
        estimate, lo, hi, r.band_low, r.band_high, low_exclusive=lo_x, high_exclusive=hi_x
    )
    if status == SUPPORTED:
        reason = f"{what} is {est}{unc}: inside {band}, the band the claim's words allow."
    elif status == CONTRADICTED:
        reason = f"{what} is {est}{unc}: wholly outside {band}, the band the claim's words allow."
    else:
        need = (
            n_to_decide(float(estimate), lo, hi, r.band_low, r.band_high, n, population)
            if n
            else None
        )
        common["n_to_decide"] = need
        tail = (
            f" About {need:,} observations would decide it if the estimate held."
            if need
            else " A narrower interval would decide it."
        )
        reason = (
            f"{what} is {est}{unc}: the interval crosses the edge of {band}, the band the "
            f"claim's words allow.{tail}"
        )
    return Verdict(status, reason, **common)


def _as_pct(x: float) -> str:
    return f"{x:.1%}" if abs(x) >= 0.001 or x == 0 else f"{x:.2%}"


def _as_ratio(x: float) -> str:
    return f"{x:,.2f}x"


def _num(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:,.3g}"


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
