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
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace

from .formatting import fmt, span
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


def statuses_by_claim(verdicts: Sequence[dict]) -> dict[str, str]:
    """Claim -> its status (:func:`claim_status`) from the verdicts one report recorded, for each
    claim whose primary reading is among them."""
    out: dict[str, str] = {}
    for v in verdicts:
        if v.get("role") == "primary" and v.get("claim"):
            alts = [
                a["status"]
                for a in verdicts
                if a.get("role") == "alternative" and a.get("claim") == v["claim"]
            ]
            out[v["claim"]] = claim_status(v["status"], alts)
    return out


def band_position(v: dict) -> str:
    """Where one reading's figure (or its interval) lies against the claim's band, in words:
    "inside the band", "below the band", "above the band", "across the band's upper edge" (an
    interval that is neither inside nor outside) or "not measurable"."""
    status = v.get("status")
    if status == SUPPORTED:
        return "inside the band"
    if status == CONTRADICTED:
        lo = v.get("band_low")
        value = v.get("ci_high") if v.get("ci_high") is not None else v.get("value")
        if lo is not None and value is not None and value < lo:
            return "below the band"
        return "above the band"
    if status == INCONCLUSIVE:
        lo, hi = v.get("ci_low"), v.get("ci_high")
        edges = [
            name
            for name, edge in (("lower", v.get("band_low")), ("upper", v.get("band_high")))
            if None not in (lo, hi, edge) and lo <= edge <= hi
        ]
        if len(edges) == 1:
            return f"across the band's {edges[0]} edge"
        return "across the band's edges" if edges else "across the band's edge"
    return "not measurable"


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
    to_decide: str | None = None,
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
    ``to_decide`` replaces that sample size, for an inconclusive verdict, with the caller's words
    when more observations of the same kind would not decide it (a part of the interval no
    sample narrows, such as a list with no labelled rows counted from none to all).
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
    unc = "" if lo == hi else f" ({interval_kind} {span(fmt(lo, kind), fmt(hi, kind))})"
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
        reason = f"{what} is {est}{unc}: within what the claim's words allow ({band})."
    elif status == CONTRADICTED:
        reason = f"{what} is {est}{unc}: {_outside(lo, hi, r, kind)} ({band})."
    else:
        need = (
            n_to_decide(float(estimate), lo, hi, r.band_low, r.band_high, n, population)
            if n
            else None
        )
        common["n_to_decide"] = need
        tail = (
            f" {to_decide}"
            if to_decide
            else f" About {need:,} observations would decide it if the estimate held."
            if need
            else " A narrower interval would decide it."
        )
        reason = (
            f"{what} is {est}{unc}: the interval crosses an edge of what the claim's words "
            f"allow ({band}).{tail}"
        )
    return Verdict(status, reason, **common)


def _outside(lo: float, hi: float, r, kind: str | None) -> str:
    """Where a contradicting figure (or interval) lies, with its distance from the band's nearer
    edge for a share ("1.0 points below what the claim's words allow"): a figure a point off the
    edge and one far from it are both contradicted, but a reader should see which."""
    below = r.band_low is not None and hi < r.band_low
    side = "below" if below else "above"
    gap = (r.band_low - hi) if below else (lo - r.band_high) if r.band_high is not None else None
    where = "its interval lies" if lo != hi else "it lies"
    if kind == "share" and gap is not None:
        pts = f"{gap * 100:.1f}"
        far = "just" if pts == "0.0" else f"{pts} points"
        return f"{where} {far} {side} what the claim's words allow"
    return f"{where} {side} what the claim's words allow"


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
    # "… a profit (2024 documents), 2029, is restated", not "(2024 documents) (2029)"
    named = f"{what}, {shown}," if what.rstrip().endswith(")") else f"{what} ({shown})"
    return Verdict(
        SOURCE_TRACED,
        f"{named} is restated from {source}; the project has no primary data to compute it.",
        basis="curated",
        value=value,
        kind=kind,  # the page writes the figure in its kind: 2029, not "2,029"; 68.0%, not 0.68
    )


def not_testable(reason: str, basis: str = "computed") -> Verdict:
    """The data cannot address the claim (``basis="curated"`` for a figure that would only be
    restated from a source, e.g. one whose only source is too weak to restate)."""
    return Verdict(NOT_TESTABLE, reason, basis=basis)
