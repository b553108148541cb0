"""How each tested claim is read, fixed before its verdict: ``data/curated/claim_readings.yaml``.

A :class:`Reading` holds the claim's quantity, population, time reference (the article's date
and the last CAC list published before it), the band its words allow with the rationale, the
primary definition the verdict rests on, the alternatives equally faithful to the words, the
minimum sample and the history of every change. :func:`cnai_helpers.evidence.judge` reads it, so
no notebook carries a band or a tolerance of its own.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from . import paths

NAME = "claim_readings"
DIRECTIONS = ("between", "more_than", "less_than", "equal")
MONTH_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


# history entries: were figures under the new reading seen before the revision was written?
FIGURES_FIRST = {  # each value as the pages say it
    "no": "The new reading was set before any figure under it was computed.",
    "yes": "The new reading was set after figures under it had been seen.",
    "unrecorded": "Whether figures under the new reading had been seen was not recorded.",
}


class ReadingError(ValueError):
    """A malformed readings file: the message names the file, the claim and the field."""


# Populations made of several lists counted together: code -> the registries pooled. A reading
# whose registry is a pool is computed on the filings of every member list up to the cut-off.
POOLS: dict[str, tuple[str, ...]] = {
    # Trivium China's "generative algorithmic tools" (the 80% claim's population)
    "generative_pooled": ("deep_synthesis", "genai_filings", "genai_registrations"),
}


def pool_of(registries) -> str:
    """The pool code of a set of registries (``generative_pooled``), or the members joined by
    "+" when no pool is declared for that set (a pooled estimate that is only a sensitivity)."""
    members = tuple(sorted(str(r) for r in registries))
    for code, pool in POOLS.items():
        if tuple(sorted(pool)) == members:
            return code
    return "+".join(members)


@dataclass(frozen=True)
class Ref:
    """One pre-registered reading of a claim: where it is computed and under which definition."""

    report: str
    definition: str
    figure: str
    registry: str | None = None
    cutoff: str | None = None
    why: str = ""


@dataclass(frozen=True)
class Reading:
    claim: str
    quantity: str
    population: str
    registry: str | None
    article_date: str
    cutoff: str | None
    direction: str
    band_low: float | None
    band_high: float | None
    rationale: str
    primary: Ref
    alternatives: tuple[Ref, ...] = ()
    min_n: int = 1
    history: tuple[dict, ...] = field(default_factory=tuple)
    sensitivities: tuple[str, ...] = ()

    def ref_for(self, registry: str | None, definition: str | None, cutoff: str | None):
        """(role, ref) of an estimate computed on ``registry`` under ``definition`` at
        ``cutoff``: ``primary`` or ``alternative`` when it matches a pre-registered reading,
        else ``sensitivity`` (another registry, the latest list, another chip...)."""
        for role, refs in (("primary", (self.primary,)), ("alternative", self.alternatives)):
            for ref in refs:
                want_cutoff = ref.cutoff if ref.cutoff is not None else self.cutoff
                want_registry = ref.registry if ref.registry is not None else self.registry
                if (
                    (definition or "") == ref.definition
                    and (registry or None) == (want_registry or None)
                    and (cutoff or None) == (want_cutoff or None)
                ):
                    return role, ref
        return "sensitivity", None

    def exclusive(self) -> tuple[bool, bool]:
        """Whether the low and high edges of the band are exclusive."""
        return self.direction == "more_than", self.direction == "less_than"


def _month(value, where: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, (dt.date, dt.datetime)):
        return value.strftime("%Y-%m")
    s = str(value).strip()
    if not MONTH_RE.match(s):
        raise ReadingError(f"{where}: {s!r} is not a month like 2025-01")
    return s


def _date(value, where: str) -> str:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.strftime("%Y-%m-%d")
    s = str(value or "").strip()
    if not re.match(r"^\d{4}-\d{2}(-\d{2})?$", s):
        raise ReadingError(f"{where}: article_date {s!r} is not a date like 2025-02-15 or 2026-01")
    return s


def _num(value, where: str) -> float | None:
    if value is None:
        return None
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ReadingError(f"{where}: band edge {value!r} is not a number") from None
    if not math.isfinite(x):
        raise ReadingError(f"{where}: band edge {value!r} is not finite")
    return x


def _ref(d, where: str) -> Ref:
    if not isinstance(d, dict):
        raise ReadingError(f"{where}: expected a mapping with report, definition and figure")
    missing = [k for k in ("report", "definition", "figure") if not d.get(k)]
    if missing:
        raise ReadingError(f"{where}: missing {', '.join(missing)}")
    return Ref(
        report=str(d["report"]),
        definition=str(d["definition"]),
        figure=str(d["figure"]),
        registry=d.get("registry"),
        cutoff=_month(d.get("cutoff"), where),
        why=str(d.get("why") or ""),
    )


def parse(data: dict, path: Path | str) -> dict[str, Reading]:
    """Readings from the parsed YAML, validated; errors name the file, the claim and the field."""
    if not isinstance(data, dict) or not isinstance(data.get("readings"), dict):
        raise ReadingError(f"{path}: expected a top-level 'readings:' mapping of claim ids")
    out = {}
    for cid, r in data["readings"].items():
        where = f"{path}: reading of {cid}"
        if not isinstance(r, dict):
            raise ReadingError(f"{where}: expected a mapping")
        for k in ("quantity", "population", "rationale", "direction", "band", "primary"):
            if r.get(k) in (None, ""):
                raise ReadingError(f"{where}: missing {k}")
        direction = r["direction"]
        if direction not in DIRECTIONS:
            raise ReadingError(f"{where}: direction {direction!r} not one of {DIRECTIONS}")
        band = r["band"]
        if not isinstance(band, list) or len(band) != 2:
            raise ReadingError(f"{where}: band must be [low, high] (null for an open side)")
        lo, hi = _num(band[0], where), _num(band[1], where)
        if lo is None and hi is None:
            raise ReadingError(f"{where}: band has no edge")
        if lo is not None and hi is not None and lo > hi:
            raise ReadingError(f"{where}: band low {lo} is above high {hi}")
        if direction == "equal" and lo != hi:
            raise ReadingError(f"{where}: an 'equal' claim needs band [x, x]")
        if direction == "more_than" and (lo is None or hi is not None):
            raise ReadingError(f"{where}: a 'more_than' claim needs band [low, null]")
        if direction == "less_than" and (hi is None or lo is not None):
            raise ReadingError(f"{where}: a 'less_than' claim needs band [null, high]")
        primary = _ref(r["primary"], f"{where} primary")
        alternatives = tuple(
            _ref(a, f"{where} alternative {i + 1}")
            for i, a in enumerate(r.get("alternatives") or ())
        )
        for i, a in enumerate(alternatives):
            if a.report != primary.report:
                raise ReadingError(
                    f"{where} alternative {i + 1}: computed by {a.report!r}, not by the primary "
                    f"report {primary.report!r}; a reading from another report is a sensitivity"
                )
        history = tuple(r.get("history") or ())
        for i, h in enumerate(history):
            if not all(h.get(k) for k in ("date", "was", "now", "because")):
                raise ReadingError(f"{where}: history entry {i + 1} needs date, was, now, because")
            if str(h.get("figures_first")) not in FIGURES_FIRST:
                raise ReadingError(
                    f"{where}: history entry {i + 1}: figures_first is "
                    f"{h.get('figures_first')!r}; one of {', '.join(FIGURES_FIRST)} (were figures "
                    "under the new reading seen before it was written?)"
                )
        out[str(cid)] = Reading(
            claim=str(cid),
            quantity=" ".join(str(r["quantity"]).split()),
            population=" ".join(str(r["population"]).split()),
            registry=r.get("registry"),
            article_date=_date(r.get("article_date"), where),
            cutoff=_month(r.get("cutoff"), where),
            direction=direction,
            band_low=lo,
            band_high=hi,
            rationale=" ".join(str(r["rationale"]).split()),
            primary=primary,
            alternatives=alternatives,
            min_n=int(r.get("min_n") or 1),
            history=tuple(
                {k: str(v if not isinstance(v, dt.date) else v.isoformat()) for k, v in h.items()}
                for h in history
            ),
            sensitivities=tuple(" ".join(str(x).split()) for x in r.get("sensitivities") or ()),
        )
    return out


def path() -> Path:
    return paths.curated_table(NAME)


def load_readings(file: Path | str | None = None) -> dict[str, Reading]:
    """Every claim's reading (read once per version of the file)."""
    p = Path(file or path())
    try:
        version = p.stat().st_mtime_ns
    except OSError:
        raise ReadingError(f"{p}: no readings file; every tested claim needs one") from None
    return _load(str(p), version)


@functools.cache
def _load(file: str, version: int) -> dict[str, Reading]:
    try:
        data = yaml.safe_load(Path(file).read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise ReadingError(f"{file}: not valid YAML ({e})") from None
    return parse(data, file)


def reading(claim_id: str, file: Path | str | None = None) -> Reading:
    """The reading of one claim; a claim without one is an error naming the file."""
    rs = load_readings(file)
    if claim_id not in rs:
        raise ReadingError(
            f"{file or path()}: no reading for claim {claim_id!r}; fix the reading "
            "(band, population, cut-off, primary) before computing its verdict"
        )
    return rs[claim_id]


def list_date(batch: str, announcement_date: str | None) -> str:
    """When a list was published: its announcement date where the manifest has one (YYYY-MM or
    YYYY-MM-DD), else the first day of its batch month."""
    a = announcement_date.strip() if isinstance(announcement_date, str) else ""
    if re.match(r"^\d{4}-\d{2}-\d{2}$", a):
        return a
    if MONTH_RE.match(a):
        return f"{a}-01"
    return f"{batch}-01"


def cutoff_batch(batches, article_date: str) -> str | None:
    """The last batch published before ``article_date`` (YYYY-MM-DD, or YYYY-MM meaning the
    month's first day) among ``batches`` (rows with ``batch`` and ``announcement_date``, one
    registry); None when every list is later."""
    day = article_date if len(article_date) == 10 else f"{article_date}-01"
    rows = batches.to_dict("records") if hasattr(batches, "to_dict") else list(batches)
    before = [r["batch"] for r in rows if list_date(r["batch"], r.get("announcement_date")) < day]
    return max(before) if before else None


def reading_html(r, kind: str | None = None) -> str:
    """A claim's committed reading for people: band and why, population and cut-off, and every
    revision with its date and reason. ``kind`` is the primary verdict's (a ratio band at 1 reads
    "below 1×", not "below 100%"); without it the band's edges decide."""
    import html

    from .evidence import band_text  # evidence imports this module
    from .formatting import dates_in_words, day

    e, words = html.escape, dates_in_words
    if not kind:
        kind = (
            "ratio" if r.direction != "equal" and (r.band_high or r.band_low or 0) > 1 else "share"
        )
        if r.direction == "equal":
            kind = "count"
    cut = (
        f" Judged on the lists up to {e(day(r.cutoff))}, the last published before"
        f" {e(day(r.article_date))}, the date the claim's figures refer to."
        if r.cutoff
        else ""
    )
    revised = ""
    if r.history:
        n, after = len(r.history), sum(h.get("figures_first") == "yes" for h in r.history)
        times = "once" if n == 1 else "twice" if n == 2 else f"{n} times"
        verb = "was" if after == 1 else "were"
        seen = (
            f"; {'it was' if n == 1 else f'{after} of the {n} {verb}'} written after figures under "
            "the new reading had been seen"
            if after
            else ""
        )
        revised = (
            f" <span class='cnai-revised'>Reading revised {times} (last on "
            f"{e(day(r.history[-1]['date']))}) after results under an earlier reading existed{seen}: "
            "what it was and why, below.</span>"
        )
    out = [
        f"<p class='cnai-reading'><strong>Read as</strong> {e(band_text(r, kind))}.{cut}"
        f"{revised}</p>",
        "<details class='cnai-why'><summary>Why this reading</summary>",
        f"<p>{e(words(r.rationale))}</p><p><strong>Population:</strong> "
        f"{e(words(r.population))}.</p>",
    ]
    if r.history:
        out.append(
            "<p class='cnai-revision'><strong>Revisions</strong>, oldest first (a later one "
            "supersedes what an earlier one gives as the new reading):</p><ol class='cnai-revisions'>"
        )
    for h in r.history:
        seen = FIGURES_FIRST[h.get("figures_first") or "unrecorded"]
        out.append(
            f"<li>{e(day(h['date']))}: was {e(words(h['was']))}; changed to "
            f"{e(words(h['now']))}. Why: {e(words(h['because']))} {e(seen)}</li>"
        )
    if r.history:
        out.append("</ol>")
    out.append("</details>")
    return "".join(out)
