"""How current the data are: per registry, the latest list (batch) in the core ``batches`` table
and the date the CAC published it, for the index and for every page whose report reads that
registry; and the site's version (package version + the latest batch of each registry).

Read once per build from the core tables (never written by hand): a new list added with
``cnai registry add`` moves the dates on the next build."""

from __future__ import annotations

import re
from importlib import metadata

from ..formatting import day
from ..reference import registry_label

DATE_RE = re.compile(r"\d{4}-\d{2}(-\d{2})?")  # a day, or only the month the lists give


def registry_currency() -> dict[str, dict]:
    """Registry code -> {registry, label, batch, date, source_ids, notices_to}: its latest batch,
    the announcement date of that list (``""`` when the lists do not give one), the source files
    its batches come from and, for the algorithm registries, the date of the latest cancellation
    notice (a page can show a notice later than the latest list). Empty when the core tables
    are not built."""
    from .. import loaders

    try:
        batches = loaders.load_batches()
    except Exception:  # not built or stale: the pages say nothing rather than something wrong
        return {}
    try:  # the CAC's cancellation notices (注销) cover both algorithm registries
        notices = loaders.load_cancellations()["notice_date"].dropna().astype(str)
        notices_to = max((d for d in notices if DATE_RE.fullmatch(d)), default="")
    except Exception:
        notices_to = ""
    from ..loaders import ALGO_REGISTRIES

    upstream = upstream_dates()
    out: dict[str, dict] = {}
    for registry, g in batches.sort_values("batch").groupby("registry", sort=True):
        last = g.iloc[-1]
        date = str(last.get("announcement_date") or "")
        out[str(registry)] = {
            "registry": str(registry),
            "label": registry_label(str(registry)),
            "batch": str(last["batch"]),
            "date": date if DATE_RE.fullmatch(date) else "",
            "source_ids": sorted({str(s) for s in g["source_id"]}),
            "notices_to": notices_to if registry in ALGO_REGISTRIES else "",
            # the upstream copy of its latest list (the mirror's provenance, via the manifest)
            "upstream_date": upstream.get(str(last["source_id"]), ""),
        }
    return out


def _manifest_sources() -> list:
    """The manifest's sources; [] when it cannot be read (the pages then say nothing of the
    copies rather than something wrong)."""
    from ..manifest import load_manifest

    try:
        return list(load_manifest())
    except Exception:
        return []


def upstream_dates() -> dict[str, str]:
    """Source id -> the date of the upstream copy it was taken from (the manifest's
    ``upstream_date``, from the mirror's PROVENANCE.md); sources without one are left out."""
    return {s.id: s.upstream_date for s in _manifest_sources() if s.upstream_date}


def upstream_repo(url: str) -> str:
    """``owner/name`` of a GitHub raw address (the repository a file was copied from), else
    the address's host."""
    m = re.match(r"https?://raw\.githubusercontent\.com/([^/]+/[^/]+)/", url or "")
    if m:
        return m.group(1)
    m = re.match(r"https?://(?:www\.)?([^/]+)", url or "")
    return m.group(1) if m else ""


# what a group of sources holds, by the manifest's format, for the "sources last checked" line
FORMAT_WORDS = {
    "cac_docx": "the CAC's Word lists",
    "genai_json": "generative-AI lists",
    "genai_aggregates_json": "annual totals",
    "cac_cancel_json": "cancellation notices",
    "epoch_csv": "Epoch AI data",
}


def sources_checked_text(sources=None) -> str:
    """ "Sources last checked (the date of the copy used): 15 September 2026 (generative-AI
    lists, …, from the GitHub copy chenluo951-oss/lawdatify-site); 7 May 2026 (…)": the dates
    of the upstream copies the raw files come from (the manifest's ``upstream_date``), newest
    first, each with what it holds and the repository it was copied from. Sources whose
    provenance gives no date are named as such. Empty when the manifest cannot be read."""
    if sources is None:
        sources = [s for s in _manifest_sources() if not s.local]
    groups: dict[tuple[str, str], list[str]] = {}
    undated: dict[str, list[str]] = {}  # repository -> what its undated copies hold
    for s in sources:
        what = FORMAT_WORDS.get(s.format, s.title or s.id)
        key = upstream_repo(s.url)
        words = groups.setdefault((s.upstream_date, key), []) if s.upstream_date else None
        if words is None:
            words = undated.setdefault(key, [])
        if what not in words:
            words.append(what)
    if not groups:
        return ""

    def listed(words: list[str]) -> str:
        return (
            " and ".join(words) if len(words) < 3 else ", ".join(words[:-1]) + " and " + words[-1]
        )

    parts = [
        f"{day(date)} ({listed(words)}" + (f", from the GitHub copy {repo}" if repo else "") + ")"
        for (date, repo), words in sorted(groups.items(), key=lambda kv: kv[0][0], reverse=True)
    ]
    by_words: dict[str, list[str]] = {}  # what the undated copies hold -> where
    for repo, words in undated.items():
        by_words.setdefault(listed(words), []).append(repo)
    tail = "".join(
        f"; {w} from the GitHub cop{'ies' if len(repos) > 1 else 'y'} {listed(repos)}: undated"
        for w, repos in by_words.items()
    )
    return "Sources last checked (the date of the copy used): " + "; ".join(parts) + tail + "."


def dataset_currency(sources=None) -> dict[str, dict]:
    """Source id -> {source_id, publisher, name, reach, upstream_date, latest, repo} for each
    dataset beside the CAC lists that a report reads (Epoch AI's tables, :data:`epoch.DATED`):
    the date of the upstream copy (the manifest's ``upstream_date``, from the mirror's
    provenance; "" when the copy is undated), the latest date in its rows and the repository
    the copy was taken from. Empty when the manifest cannot be read."""
    from ..epoch import DATED, latest_date

    if sources is None:
        sources = _manifest_sources()
    by_id = {s.id: s for s in sources}
    out: dict[str, dict] = {}
    for sid, what in DATED.items():
        s = by_id.get(sid)
        if s is None:
            continue
        out[sid] = {
            "source_id": sid,
            "publisher": s.publisher or "",
            "name": what["name"],
            "reach": what["reach"],
            "upstream_date": s.upstream_date or "",
            "latest": latest_date(sid),
            "repo": upstream_repo(s.url).split("/")[-1],
        }
    return out


def dataset_as_of_text(entry: dict) -> str:
    """ "Epoch AI, Data on AI Models (notable models): copy of 2 December 2025, models
    published to 13 November 2025"; an undated copy says so and where it was taken from."""
    who = f"{entry['publisher']}, {entry['name']}" if entry.get("publisher") else entry["name"]
    if entry.get("upstream_date"):
        copy = f"copy of {day(entry['upstream_date'])}"
    else:
        copy = "undated copy" + (f" (from {entry['repo']})" if entry.get("repo") else "")
    reach = f", {entry['reach']} {day(entry['latest'])}" if entry.get("latest") else ""
    return f"{who}: {copy}{reach}"


def as_of_text(entry: dict) -> str:
    """ "Deep synthesis (深度合成): latest list May 2026, published 6 May 2026; cancellation
    notices to 17 July 2026" (the notices for the algorithm registries only)."""
    date = entry.get("date") or ""
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
        when = f", published {day(date)}"
    elif date:  # the announcement gives the month only (the recommendation lists' page)
        when = f", published in {day(date)} (the CAC gives the month, not the day)"
    else:  # titled by month, and no announcement date in the files
        when = " (listed by month; the CAC gives no day)"
    notices = (
        f"; cancellation notices to {day(entry['notices_to'])}" if entry.get("notices_to") else ""
    )
    return f"{entry['label']}: latest list {day(entry['batch'])}{when}{notices}"


def registries_read(parameters: dict, sources_used, currency: dict[str, dict]) -> list[dict]:
    """The registries a report reads: those named by one of its parameters (``registry``,
    ``compare_registry``, or a list such as ``pooled_registries``) when it names any, else every
    registry whose source files the report declares (``needs.sources``: source ids or their
    globs). In the order of ``currency``."""
    import fnmatch

    values = []
    for v in (parameters or {}).values():
        values.extend(v if isinstance(v, (list, tuple)) else [v])
    named = {str(v) for v in values if str(v) in currency}
    if named:
        return [c for r, c in currency.items() if r in named]
    used = [str(u) for u in sources_used or ()]
    return [
        c
        for c in currency.values()
        if any(fnmatch.fnmatchcase(s, u) for u in used for s in c["source_ids"])
    ]


def _read_through(report: dict, reads: dict[str, dict]) -> list[dict]:
    """The report and every report whose results it reads (``needs_reports``, followed to the
    end)."""
    out, seen, todo = [], set(), [report]
    while todo:
        r = todo.pop()
        out.append(r)
        for up in r.get("needs_reports") or ():
            if up not in seen and up in reads:
                seen.add(up)
                todo.append(reads[up])
    return out


def registries_read_through(
    report: dict, reads: dict[str, dict], currency: dict[str, dict]
) -> list[dict]:
    """The registries a report reads itself and through the reports whose results it reads
    (``needs_reports``, followed to the end: the claims ledger's verdicts rest on the
    deep-synthesis list as much as on the generative-AI ones). ``reads``: report id -> its
    ``parameters``, ``sources`` and ``needs_reports``. In the order of ``currency``."""
    found: set[str] = set()
    for r in _read_through(report, reads):
        for c in registries_read(
            r.get("parameters") or {}, r.get("sources_used") or r.get("sources"), currency
        ):
            found.add(c["registry"])
    return [c for r, c in currency.items() if r in found]


def datasets_read_through(
    report: dict, reads: dict[str, dict], datasets: dict[str, dict]
) -> list[dict]:
    """The datasets of :func:`dataset_currency` a report reads (its ``needs.sources``: source
    ids or their globs), itself or through the reports whose results it reads, in the order
    of ``datasets``."""
    import fnmatch

    used = {
        str(u)
        for r in _read_through(report, reads)
        for u in (r.get("sources_used") or r.get("sources") or ())
    }
    return [d for sid, d in datasets.items() if any(fnmatch.fnmatchcase(sid, u) for u in used)]


def package_version() -> str:
    try:
        return metadata.version("cnai")
    except metadata.PackageNotFoundError:
        return "unknown"


def site_version(currency: dict[str, dict]) -> str:
    """The site's version: "0.1.0 (lists to: Deep synthesis March 2026, …)" — the package
    version and the latest list of each registry (the data a page was built from)."""
    lists = ", ".join(f"{c['label'].split(' (')[0]} {day(c['batch'])}" for c in currency.values())
    return package_version() + (f" (lists to: {lists})" if lists else "")


def reads_datasets(reports, reads: dict[str, dict]) -> bool:
    """Whether any of ``reports`` reads a dataset of :func:`dataset_currency`, itself or through
    the reports whose results it reads (decided from the source ids alone, before any table is
    read)."""
    from ..epoch import DATED

    ids = dict.fromkeys(DATED, {})
    return any(
        datasets_read_through(
            {"sources": list(r.sources), "needs_reports": list(r.needs_reports)}, reads, ids
        )
        for r in reports
    )


def page_currency(
    report: dict,
    currency: dict[str, dict],
    reads: dict[str, dict] | None = None,
    datasets: dict[str, dict] | None = None,
) -> dict:
    """What a report page shows of the data's currency: ``data_as_of`` (one line per registry it
    reads, itself or through the reports it reads, see :func:`registries_read_through`, then
    one per other dataset it reads, :func:`datasets_read_through`) and the site's
    ``version``."""
    read = registries_read_through(report, reads or {}, currency)
    other = datasets_read_through(report, reads or {}, datasets or {})
    return {
        "data_as_of": [as_of_text(c) for c in read] + [dataset_as_of_text(d) for d in other],
        "version": site_version(currency),
    }


def site_currency(currency: dict[str, dict]) -> dict:
    """What the index shows: every registry's latest list and the site's version."""
    return {
        "data_as_of": [as_of_text(c) for c in currency.values()],
        "version": site_version(currency),
        "sources_checked": sources_checked_text(),
    }
