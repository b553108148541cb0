"""HTML for one report (nbconvert with the site's own template, in-process) and the site index
(Jinja2, autoescaped). Pages share one stylesheet and script in ``assets/`` at the site root."""

from __future__ import annotations

import html
import json
import re
from importlib import resources as ir
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import jinja2

from ..display import TABLE_MIME
from ..formatting import interval_suffix, month, quoted_title, span
from ..results import collect, collect_meta, collect_verdicts, fmt
from .page import (  # noqa: F401  (re-exported: render.GLOSSARY, render.PageFiles, ...)
    GLOSSARY,
    H1_RE,
    HEADING_LINE_RE,
    PageFiles,
    glossary_anchor,
    glossary_terms,
    heading_id,
    heading_text,
    reading_scope,
    shorten_quote,
)

TEMPLATES = Path(__file__).parent / "templates"
SITE_NAME = "cnai — China's AI industry from public data"
DEFAULT_BASE_URL = "https://example.org/cnai/"
ASSETS = ("site.css", "site.js")
MAX_FIGURES = 5
GROUPS = {  # report id prefix -> the group named in the page header and on the index
    "registry": "Registries",
    "geo": "Geography",
    "province": "Province profiles",
    "compute": "Compute",
    "monetization": "Business models",
    "who": "Who files",
    "batch": "What's new in each list",
    "data": "Reference",
    "claims": "Claims ledger",
}


def group_of(report_id: str) -> str:
    prefix = re.split(r"[-_]", report_id, maxsplit=1)[0]
    return GROUPS.get(prefix, "Reports")


def interval_of(name: str, values: dict, kind: str | None, unit: str | None) -> str:
    """The interval the report recorded beside a figure (``<name>_ci_low`` / ``<name>_ci_high``)
    as "95% interval 5.4%–19.8%", named as the verdict resting on the figure names it (a range
    between two assumptions, percentiles of simulations); "" when there is none."""
    lo, hi = values.get(f"{name}_ci_low"), values.get(f"{name}_ci_high")
    if values.get(name) is None or not all(isinstance(x, (int, float)) for x in (lo, hi)):
        return ""
    verdicts = values.get("verdicts") if isinstance(values.get("verdicts"), list) else []
    what = next(
        (
            str(v["interval_kind"])
            for v in verdicts
            if isinstance(v, dict) and v.get("figure") == name and v.get("interval_kind")
        ),
        "95% interval",
    )
    return f"{what} {span(fmt(lo, kind, unit), fmt(hi, kind, unit))}"


def shown_with_interval(name: str, values: dict, kind: str | None, unit: str | None) -> str:
    """A figure for people, with its interval when the report recorded one beside it:
    "8.5% (95% interval 5.4%–19.8%)"."""
    v = values.get(name)
    if v is None:
        return "not measurable"
    interval = interval_of(name, values, kind, unit)
    return fmt(v, kind, unit) + (f" ({interval})" if interval else "")


SHORT_CUT_RE = re.compile(r" \(|: |; | — | – ")


def short_label(label: str, width: int = 48) -> str:
    """A figure's label cut to its head: before the first parenthesis, colon, semicolon or dash
    ("Share in the four hub provinces (Beijing, …)" -> "Share in the four hub provinces"), and
    to ``width`` characters at a word."""
    head = SHORT_CUT_RE.split(str(label), maxsplit=1)[0].strip() or str(label)
    return shorten_quote(head, width)


def figure_entries(
    values: dict,
    meta: dict,
    order,
    limit: int,
    keep_missing: bool = False,
    short: dict[str, str] | None = None,
) -> list[dict]:
    """The scalar figures of ``order`` (at most ``limit``) for people: name, label, short label
    (``short``: site.yaml's, else the label's head), formatted value (with unit), its interval
    and basis. Lists, tables and text are left out; a missing value too, unless
    ``keep_missing`` (then it reads "not measurable")."""
    out = []
    for name in order:
        v = values.get(name)
        m = meta.get(name, {})
        if name not in values or isinstance(v, (list, dict)) or m.get("kind") == "text":
            continue
        if v is None and not keep_missing:
            continue
        label = m.get("description") or name.replace("_", " ")
        out.append(
            {
                "name": name,
                "label": label,
                "short": (short or {}).get(name) or short_label(label),
                "value": fmt(v, m.get("kind"), m.get("unit"))
                if v is not None
                else "not measurable",
                "interval": interval_of(name, values, m.get("kind"), m.get("unit")),
                "basis": m.get("basis"),
            }
        )
        if len(out) >= limit:
            break
    return out


def key_figures(nb, names=(), limit: int = MAX_FIGURES, short=None) -> list[dict]:
    """The answer's figures: ``names`` (the report's ``key_figures`` in site.yaml) when given,
    else the figures the verdicts rest on, then the first recorded figures, up to ``limit``;
    ``short``: key -> short label (site.yaml)."""
    values, _ = collect(nb)
    if names:
        order, limit = list(names), max(limit, len(names))
    else:
        order = [v.get("figure") for v in collect_verdicts(nb) if v.get("figure")]
        order += [k for k in values if k not in order]
    return figure_entries(
        values, collect_meta(nb), order, limit, keep_missing=bool(names), short=short
    )


DECIDED = ("contradicted", "supported", "depends_on_definition", "inconclusive")


def ledger_lead(nb, width: int = 110) -> list[dict]:
    """The ledger's answer after its counts: the claims the data decide, those the analyses
    decide first (the registry, compute and money questions), each a badge, the claim's words
    and a link to its row, so the answer does not lead with the least consequential claim.
    Empty for a page that records no ledger."""
    from ..evidence import LABELS

    values, _ = collect(nb)
    records = values.get("claims")
    if not isinstance(records, list):
        return []
    from ..claims import load_claims  # pandas: only for the page that records the ledger

    claims = load_claims()
    quotes = dict(zip(claims["claim_id"], claims["quote"], strict=True))
    rank = {s: i for i, s in enumerate(DECIDED)}
    lines = [
        {
            "claim": r["id"],
            "status": r["claim_status"],
            "label": LABELS.get(r["claim_status"], r["claim_status"]),
            "quote": shorten_quote(str(quotes.get(r["id"], "")), width),
            "analysis": r.get("report") not in (None, "", "claims"),
        }
        for r in records
        if isinstance(r, dict) and r.get("primary") and r.get("claim_status") in rank
    ]
    return sorted(lines, key=lambda d: (not d["analysis"], rank[d["status"]], d["claim"]))


def _estimate_text(v: dict) -> str:
    """ "73.8%" or "20.3% (95% interval 14.3%–34.2%)" for a recorded verdict."""
    kind, value = v.get("kind"), v.get("value")
    if value is None or isinstance(value, (str, bool)):
        return "not measurable" if value is None else str(value)
    return fmt(value, kind) + interval_suffix(
        v.get("ci_low"), v.get("ci_high"), kind, v.get("interval_kind")
    )


def own_as_of(nb) -> list[str]:
    """A report's own "data as of" lines: the text results it records under ``as_of_*`` (the
    monetization report's price data and its date), after those of the registries and datasets
    the build knows it reads."""
    values, _ = collect(nb)
    return [
        str(v) for k, v in values.items() if k.startswith("as_of_") and isinstance(v, str) and v
    ]


def page_headline(nb, template: str) -> str:
    """The page's headline sentence from its recorded figures ("" without a template)."""
    from .headline import headline

    if not template:
        return ""
    values, _ = collect(nb)
    return headline(template, values, collect_meta(nb))


def claims_for_page(nb, titles: dict | None = None, statuses: dict | None = None) -> list[dict]:
    """The page's claims, from the verdicts recorded in the executed notebook
    (:func:`group_claims`)."""
    return group_claims(collect_verdicts(nb), titles, statuses)


def group_claims(
    verdicts: list[dict], titles: dict | None = None, statuses: dict | None = None
) -> list[dict]:
    """The page's claims, one entry per claim, in status order, restated figures last: the
    claim's status from its primary reading and the pre-registered alternatives this report
    computed (the same rule as the ledger, :func:`cnai_helpers.evidence.claim_status`), the
    reading (band and why, population, cut-off, revisions), the estimate with its interval, the
    reason, and the sensitivity checks as a table. A report that computes a claim only as a
    sensitivity says so instead of giving it a status, and names the verdict given on the
    primary report's page when ``statuses`` (claim -> status) has it."""
    from ..evidence import LABELS, claim_status
    from ..readings import ReadingError, load_readings, reading_html

    try:
        readings = load_readings()
    except ReadingError:
        readings = {}
    by: dict[str, list[dict]] = {}
    for v in verdicts:
        by.setdefault(v.get("claim") or "", []).append(v)
    out = []
    for cid, vs in by.items():
        prim = next((v for v in vs if v.get("role") == "primary"), None)
        prim = prim or next((v for v in vs if not v.get("role")), None)
        alts = [v for v in vs if v.get("role") == "alternative"]
        sens = [v for v in vs if v.get("role") == "sensitivity"]
        head = prim or vs[0]
        r = readings.get(cid)
        if prim is not None:
            status = claim_status(prim["status"], [a["status"] for a in alts])
            label = LABELS.get(status, status)
        else:
            status, label = "sensitivity", "sensitivity check"
        there = (statuses or {}).get(cid) if prim is None else None
        then_now = ""
        later = [
            x
            for x in sens
            if prim is not None
            and x.get("definition") == prim.get("definition")
            and x.get("registry") == prim.get("registry")
            and (x.get("cutoff") or "") > (prim.get("cutoff") or "")
            and x.get("value") is not None
        ]
        if later and prim.get("cutoff") and prim.get("value") is not None:
            now = max(later, key=lambda x: x.get("cutoff") or "")
            kind = prim.get("kind")
            then_now = (
                f"Then (lists to {month(prim['cutoff'])}): {fmt(prim['value'], kind)}; now "
                f"(lists to {month(now['cutoff'])}): {fmt(now['value'], kind)}, judged as a "
                "sensitivity: "
                f"{LABELS.get(now['status'], now['status'])}."
            )
        out.append(
            {
                "claim": cid,
                "then_now": then_now,
                "quote": head.get("quote", ""),
                "article": head.get("article", ""),
                "status": status,
                "label": label,
                "primary": prim is not None,
                "estimate": _estimate_text(prim) if prim else "",
                "against": (
                    f"{_estimate_text(prim)} against the claim read as {prim['band_text']}"
                    + (f" (lists to {month(prim['cutoff'])})" if prim.get("cutoff") else "")
                    if prim and prim.get("band_text")
                    else ""
                ),
                "reason": prim["reason"] if prim else "",
                # a sensitivity check names the page that gives the verdict and links to it
                # said in three parts, so that only the page's title is the link and the claim's
                # verdict (its badge) sits in the sentence that says where it is given
                "elsewhere": (
                    (titles or {}).get(r.primary.report) or r.primary.report
                    if prim is None and r is not None
                    else ""
                ),
                "elsewhere_after": (
                    f", on {r.population}; this page computes the same measure on other data as a"
                    " sensitivity check."
                    if prim is None and r is not None
                    else ""
                ),
                "verdict_there": there or "",
                # inside a sentence: "The verdict on this claim, inconclusive, is given on …"
                "verdict_there_label": LABELS.get(there, there).lower() if there else "",
                "elsewhere_href": (
                    f"{r.primary.report}/index.html#verdict-{cid}"
                    if prim is None and r is not None
                    else ""
                ),
                "reading_html": (
                    reading_html(r, prim.get("kind")) if r is not None and prim is not None else ""
                ),
                "alternatives": [
                    {
                        "scope": reading_scope(a),
                        "estimate": _estimate_text(a),
                        "status": a["status"],
                        "label": LABELS.get(a["status"], a["status"]),
                        "reason": a["reason"],
                    }
                    for a in alts
                ],
                "sensitivities": [
                    {
                        "scope": reading_scope(x),
                        "estimate": _estimate_text(x),
                        "status": x["status"],
                        "label": LABELS.get(x["status"], x["status"]),
                    }
                    for x in sens
                ],
            }
        )
    rank = {s: i for i, s in enumerate(STATUS_ORDER)}
    return sorted(out, key=lambda d: rank.get(d["status"], len(rank)))


def verdicts_for_page(nb, titles: dict | None = None, statuses: dict | None = None) -> list[dict]:
    """The page's claims (:func:`claims_for_page`)."""
    return claims_for_page(nb, titles, statuses)


AUTHOR = "cnai contributors"  # the one author string: pages, BibTeX and CITATION.cff
LICENCE = (  # (what, licence, link): the footer of every page and of the index
    ("Code", "MIT", "https://opensource.org/license/mit"),
    ("text and figures", "CC BY 4.0", "https://creativecommons.org/licenses/by/4.0/"),
)
# screens at most this wide get a chart's phone rendering (plotting.PHONE_MEDIA_PX; not imported:
# plotting brings matplotlib into every page build) -- the width where tables become cards
PHONE_MEDIA_PX = 640
DATA_TERMS = "data under each source's own terms (listed with each source)"


def site_config(path: Path | None = None) -> dict:
    """The ``site:`` block of site.yaml (name, base_url, author, articles, datasets); defaults
    when absent. ``base_url`` is "" while it is unset or the placeholder: pages then carry no
    invented address."""
    import yaml

    from .. import paths
    from ..reference import load_yaml

    try:
        text = Path(path or paths.SITE).read_text(encoding="utf-8")
        doc = load_yaml(text) or {}
    except (OSError, yaml.YAMLError):
        doc = {}
    cfg = doc.get("site") if isinstance(doc.get("site"), dict) else {}
    base = published_base_url(str(cfg.get("base_url") or ""))
    return {
        "name": str(cfg.get("name") or SITE_NAME),
        "base_url": base,
        "author": str(cfg.get("author") or AUTHOR),
        "articles": _links(cfg.get("articles")),
        "datasets": _links(cfg.get("datasets")),
        # the reports whose headlines open the front page, in order (a journalist's first read)
        "lede": [str(x) for x in (cfg.get("lede") or []) if isinstance(x, str)],
        "repository": repository_url(str(cfg.get("repository") or "")),
    }


BASE_URL_ENV = "CNAI_SITE_BASE_URL"
GITHUB_REMOTE_RE = re.compile(r"github\.com[:/]([\w.-]+)/([\w.-]+?)(?:\.git)?/?$")


def github_pages_url(repository: str) -> str:
    """The GitHub Pages address of ``owner/name``: https://owner.github.io/name/ (a repository
    named ``owner.github.io`` is published at the root)."""
    owner, name = repository.strip("/").split("/")[-2:]
    if name.lower() == f"{owner.lower()}.github.io":
        return f"https://{owner.lower()}.github.io/"
    return f"https://{owner.lower()}.github.io/{name}/"


def _origin_repository(root: Path) -> str:
    """``owner/name`` of the repository's ``origin`` remote when it is on GitHub, else ""."""
    import subprocess

    try:
        url = subprocess.run(
            ["git", "-C", str(root), "remote", "get-url", "origin"],
            capture_output=True, text=True, timeout=10, check=False,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return ""
    m = GITHUB_REMOTE_RE.search(url)
    return f"{m.group(1)}/{m.group(2)}" if m else ""


def repository_url(value: str = "", env: dict | None = None, root: Path | None = None) -> str:
    """The code's public address, without a trailing "/": ``value`` (site.yaml's
    ``repository``) when it is an http(s) address, else the GitHub repository (``GITHUB_REPOSITORY``
    in GitHub Actions, else the ``origin`` remote on github.com), else "" (a clone with no public
    remote: the pages then name the commit without a link, never an invented address)."""
    import os

    from .. import paths

    env = os.environ if env is None else env
    value = value.strip()
    if value.startswith(("http://", "https://")):
        return value.rstrip("/")
    repo = env.get("GITHUB_REPOSITORY", "").strip() or _origin_repository(root or paths.ROOT)
    return f"https://github.com/{repo.strip('/')}" if repo else ""


def published_base_url(value: str, env: dict | None = None, root: Path | None = None) -> str:
    """Where the site is published, ending in "/": ``value`` (site.yaml's ``base_url``) when it
    is an http(s) address; for ``auto`` (or empty): the ``CNAI_SITE_BASE_URL`` environment
    variable, else the repository's GitHub Pages address (``GITHUB_REPOSITORY`` in GitHub
    Actions, else the ``origin`` remote when it is on github.com), else "" -- no address is
    invented (the page then shows its own address, read by the browser, in its citation)."""
    import os

    from .. import paths

    env = os.environ if env is None else env
    value = value.strip()
    if value in ("", "auto"):
        value = env.get(BASE_URL_ENV, "").strip()
    if not value and env.get("GITHUB_REPOSITORY"):
        value = github_pages_url(env["GITHUB_REPOSITORY"])
    if not value:
        repo = _origin_repository(root or paths.ROOT)
        value = github_pages_url(repo) if repo else ""
    if value == DEFAULT_BASE_URL or not value.startswith(("http://", "https://")):
        return ""
    return value if value.endswith("/") else value + "/"


def _links(items) -> list[dict]:
    """The ``articles:`` / ``datasets:`` entries of the site block: id, title, publisher, date,
    url (the publisher's own page), copy_url / copy_tier / copy_note (a syndicated copy, when the
    publisher's page was not found), and what ties them to a page (``cited_as``: the start of claims.csv's ``article``;
    ``sources``: source-id globs)."""
    out = []
    for i, it in enumerate(items or []):
        if isinstance(it, dict) and it.get("title"):
            keys = ("id", "title", "publisher", "date", "url", "copy_url", "copy_tier", "copy_note",
                    "searched")  # fmt: skip
            row = {k: str(it.get(k) or "") for k in keys}
            # a copy on another site (a syndicated wire story) when the publisher's own page was
            # not found: linked as such, with the host and its source tier
            row["copy_host"] = urlparse(row["copy_url"]).netloc.removeprefix("www.")
            row["id"] = row["id"] or f"source-{i + 1}"
            row["cited_as"] = str(it.get("cited_as") or "")
            globs = it.get("sources") or []
            row["sources"] = [str(g) for g in ([globs] if isinstance(globs, str) else globs)]
            out.append(row)
    return out


LEDGER_ID = "claims"  # the report that lists every claim: it links every article


def page_sources(cfg: dict, rid: str, articles_cited, source_ids, root: str = "../") -> list[dict]:
    """The source articles and datasets a page uses, each with the address to link: the
    articles its claims quote (``articles_cited``: claims.csv's ``article`` values; the ledger:
    every article) and the datasets whose source ids it reads, each with ``href``: its own
    address, else a syndicated copy's, else "" (the page says no public link was found)."""
    import fnmatch

    cited = [str(a) for a in articles_cited if a]
    out = []
    for a in cfg.get("articles", []):
        tag = a.get("cited_as", "")
        used = rid == LEDGER_ID or any(c.startswith(tag) for c in cited if tag)
        if used:
            out.append({**a, "kind": "article"})
    for d in cfg.get("datasets", []):
        if any(fnmatch.fnmatch(s, g) for g in d.get("sources", []) for s in source_ids):
            out.append({**d, "kind": "dataset"})
    for s in out:  # the publisher's page, else a copy; none: no link (never a link to a list)
        s["href"] = s["url"] or s.get("copy_url", "")
    return out


def link_articles(verdicts: list[dict], sources: list[dict]) -> list[dict]:
    """Each verdict with ``article_href``: where its article is linked (:func:`page_sources`)."""
    arts = [s for s in sources if s["kind"] == "article" and s["cited_as"]]
    for v in verdicts:
        art = str(v.get("article") or "")
        v["article_href"] = next((s["href"] for s in arts if art.startswith(s["cited_as"])), "")
    return verdicts


def claim_articles(rid: str) -> list[str]:
    """claims.csv's ``article`` of every claim the report ``rid`` tests (its ``report_ids``)."""
    return articles_by_report().get(rid, [])


def articles_by_report() -> dict[str, list[str]]:
    """Report id -> :func:`claim_articles`, for every report claims.csv names: read once by a
    build's main process and handed to each page (``page["claim_articles"]``), so that the
    workers that render the pages never load the curated table (pandas and pandera, ~0.7 s of
    CPU in each worker process)."""
    from ..curated import load_table
    from ..metadata import TableError

    try:
        claims = load_table("claims")
    except TableError:  # no curated claims table (a test project): no article
        return {}
    out: dict[str, list[str]] = {}
    for ids, article in zip(claims["report_ids"].fillna(""), claims["article"], strict=True):
        for rid in dict.fromkeys(ids.split(";")):
            if isinstance(article, str):
                out.setdefault(rid, []).append(article)
    return out


def citation(title: str, folder: str, prov: dict, cfg: dict, version: str = "") -> tuple[str, str]:
    """(plain text, BibTeX) for a page: author, title, version (package and latest lists), build
    date and commit, and the page's address when the site's base_url is set."""
    url = f"{cfg['base_url']}{folder}/" if cfg.get("base_url") else ""
    author = cfg.get("author") or AUTHOR
    commit = prov["git"]["commit"]
    date = str(prov.get("built_at", ""))[:10]
    year = date[:4] or "n.d."
    # no published address: none is written -- not the address the page happens to be read at
    # (a reader's 127.0.0.1 or file://), never the page's folder, a path the reader cannot use
    where = url
    ver = f" Version {version}." if version else ""
    plain = (
        f"{author}. {quoted_title(title)} cnai reports.{ver} Built {date} from commit "
        f"{commit[:12]}." + (f" {where}" if where else "")
    )
    key = re.sub(r"[^A-Za-z0-9]+", "_", f"cnai_{folder}_{year}")
    published = f"  howpublished = {{\\url{{{url}}}}},\n" if url else ""
    bib_ver = f"  version = {{{version}}},\n" if version else ""
    bib = (
        f"@misc{{{key},\n  author = {{{{{author}}}}},\n  title = {{{{{title}}}}},\n"
        f"  year = {{{year}}},\n{bib_ver}{published}"
        f"  note = {{Built {date} from commit {commit}; report {folder}}}\n}}"
    )
    return plain, bib


def provenance_html(prov: dict, repository: str = "") -> str:
    """The page's provenance footer; with the code's public ``repository`` (:func:`repository_url`)
    the commit and the notebook link to the code the page was built from."""
    e = html.escape
    git = prov["git"]
    commit = str(git["commit"])
    known = bool(repository and re.fullmatch(r"[0-9a-f]{40}", commit))
    at = f"{repository}/tree/{commit}" if known else ""
    nb = f"{repository}/blob/{commit}/{prov['notebook']}" if known else ""  # its path in the repo
    rows = [
        ("report", e(prov["report_id"])),
        ("notebook", _linked(prov["notebook"], nb)),
        (
            "git commit",
            _linked(commit, at) + (" (uncommitted changes)" if git["dirty"] else ""),
        ),
        ("built", e(f"{prov['built_at']} in {prov['seconds']} s")),
        ("parameters", e(json.dumps(prov["parameters"], ensure_ascii=False, sort_keys=True))),
    ]
    body = "".join(f"<tr><th>{e(k)}</th><td>{v}</td></tr>" for k, v in rows)
    src = "".join(f"<tr><td>{e(k)}</td><td>{e(v)}</td></tr>" for k, v in prov["sources"].items())
    pk = ", ".join(f"{e(k)} {e(str(v))}" for k, v in prov["packages"].items())
    return (
        f'<footer class="cnai-provenance" id="provenance"><h3>Provenance</h3>'
        f'<div class="cnai-table-wrap"><table>{body}</table></div><details><summary>Data '
        f'sources used ({len(prov["sources"])}, sha256)</summary><div class="cnai-table-wrap">'
        f"<table>{src}</table></div></details><p>Packages: {pk}</p></footer>"
    )


def _linked(text: str, href: str) -> str:
    e = html.escape
    return f"<a href='{e(href)}'>{e(str(text))}</a>" if href else e(str(text))


def render_report(
    nb, prov: dict, page: dict | None = None, failed: str | None = None, show_code: bool = False
) -> tuple[str, dict[str, str]]:
    """Executed notebook -> (standalone HTML page, {file name: CSV text or chart PNG bytes}).
    ``page``: title, question, folder, nav (prev/next: {id, title}), base config. Code is hidden
    (shown for a failed run); charts are files beside the page (``figure-NN-….png``)."""
    import copy

    from nbconvert import HTMLExporter

    page = dict(page or {})
    rid = prov["report_id"]
    folder = page.get("folder") or rid
    cfg = page.get("config") or site_config()
    title = page.get("title") or rid
    plain, bib = citation(title, folder, prov, cfg, page.get("version", ""))
    files = PageFiles()
    nav = page.get("nav") or {}
    sources = page_sources(
        cfg,
        rid,
        [v.get("article") for v in collect_verdicts(nb)]
        + (page["claim_articles"] if "claim_articles" in page else claim_articles(rid)),
        list(prov.get("sources") or {}),
        "../" * (folder.count("/") + 1),
    )
    resources = {
        "cnai": {
            "title": title,
            "question": page.get("question", ""),
            "site_name": cfg["name"],
            "group": group_of(rid),
            "root": "../" * (folder.count("/") + 1),
            "failed": failed,
            "headline": page_headline(nb, page.get("headline", "")),
            "detail": page_headline(nb, page.get("detail", "")),
            "data_as_of": [*(page.get("data_as_of") or ()), *own_as_of(nb)],
            "version": page.get("version", ""),
            "licence": LICENCE,
            "data_terms": DATA_TERMS,
            "articles": cfg.get("articles", []),
            "datasets": cfg.get("datasets", []),
            "sources_used": sources,
            "verdicts": link_articles(
                verdicts_for_page(nb, page.get("report_titles"), page.get("claim_statuses")),
                sources,
            ),
            "ledger_lead": ledger_lead(nb),
            "figures": key_figures(
                nb, page.get("key_figures") or (), short=dict(page.get("short_labels") or {})
            ),
            "notebook_file": f"{rid}.ipynb" if not failed else "failed.ipynb",
            "cite_text": plain,
            "cite_url": cfg.get("base_url", ""),  # the published address, or none
            "folder": folder,
            "bibtex": bib,
            "provenance_html": provenance_html(prov, cfg.get("repository", "")),
            "prev": nav.get("prev"),
            "next": nav.get("next"),
            "page_files": files,
            "site_pages": page.get("site_pages", False),
            "phone_media_px": PHONE_MEDIA_PX,  # below this width a chart's phone rendering
        }
    }
    exporter = HTMLExporter(template_name="cnai", extra_template_basedirs=[str(TEMPLATES)])
    exporter.exclude_input = not (show_code or failed)
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    from .preprocess import SitePreprocessor  # nbconvert: imported only when a page is made

    exporter.register_preprocessor(SitePreprocessor(), enabled=True)
    # "files" is filled by the preprocessor, before the template reads it
    resources["cnai"]["files"] = _FilesView(files)
    body, out = exporter.from_notebook_node(copy.deepcopy(nb), resources=resources)
    made = out["cnai"]["page_files"]  # nbconvert copies the resources
    return body, {**made.files, **made.images}


class _FilesView:
    """The page's CSV files as the template lists them, read when the template runs."""

    def __init__(self, files: PageFiles):
        self._files = files

    def __iter__(self):
        return iter(
            [{"name": n, "caption": self._files.captions.get(n, "")} for n in self._files.files]
        )


def notebook_html(
    nb, prov: dict, failed: str | None = None, show_code: bool = False, page: dict | None = None
) -> str:
    """The page's HTML only (see :func:`render_report`)."""
    return render_report(nb, prov, page, failed, show_code)[0]


def asset_text(name: str) -> str:
    return (ir.files(__package__) / "templates" / "static" / name).read_text(encoding="utf-8")


def write_assets(out_root: Path) -> None:
    """The site's shared stylesheet and script, in ``assets/``."""
    from ..atomic import write_text

    for name in ASSETS:
        write_text(Path(out_root) / "assets" / name, asset_text(name))


STATUS_ORDER = (
    "contradicted",
    "supported",
    "depends_on_definition",
    "inconclusive",
    "pending",
    "not_testable",
    "sensitivity",
    "source_traced",
)
LEDGER_COUNTS = {  # status -> the ledger's count of claims (one per claim, not per report)
    "supported": "n_supported",
    "contradicted": "n_contradicted",
    "depends_on_definition": "n_definition_dependent",
    "inconclusive": "n_inconclusive",
    "pending": "n_pending",
    "not_testable": "n_untestable",
    "source_traced": "n_source_traced",
}
PROVINCE_COLUMNS = (  # results.json key, column label, kind
    ("n_filings", "Filings", "count"),  # the caption says which (deep synthesis)
    ("share_of_national", "Share of all", "share"),  # its rank: a click on the column sorts it
    ("n_entities", "Filers", "count"),
    ("growth_last_year", "New in 12 months", "share"),
)


def _status(b: dict, has_page: bool) -> tuple[str, str, str]:
    """(css class, long text, short text) of a report's build status."""
    status = b.get("status", "missing")
    if status == "failed":
        return ("stale", "failed — stale", "stale") if has_page else ("failed", "failed", "failed")
    if status == "ok":
        return "ok", f"built {str(b.get('built_at', ''))[:10]}", "ok"
    return "missing", "not built", "not built"


def _figure_entries(b: dict, limit: int, names=(), short=None) -> list[dict]:
    """:func:`figure_entries` of a report's key figures (``names``; else its first scalar
    figures), from its build.json."""
    res = b.get("results", {})
    kinds, units, desc = b.get("kinds", {}), b.get("units", {}), b.get("descriptions", {})
    meta = {
        k: {"kind": kinds.get(k), "unit": units.get(k), "description": desc.get(k)} for k in res
    }
    return figure_entries(
        res, meta, names or list(res), max(limit, len(names)), bool(names), short=short
    )


def _figures(b: dict, limit: int, names=()) -> list[tuple[str, str]]:
    """(label, formatted value with its interval) of a report's key figures (``names``; else
    its first scalar figures), from its build.json."""
    res, kinds, units = b.get("results", {}), b.get("kinds", {}), b.get("units", {})
    return [
        (
            e["label"],
            shown_with_interval(e["name"], res, kinds.get(e["name"]), units.get(e["name"])),
        )
        for e in _figure_entries(b, limit, names)
    ]


CARD_FIGURES = 3  # figures on an index card: the rest are on the page


def card_figures(b: dict, names=(), short=None, limit: int = CARD_FIGURES) -> list[dict]:
    """An index card's figures: the first ``limit`` key figures, each with its short label,
    the long label (the tooltip), the value and its interval; a figure that is not measurable
    is left out (the page says so)."""
    return [
        e for e in _figure_entries(b, limit, names, short=short) if e["value"] != "not measurable"
    ][:limit]


def _headline(b: dict, names=()) -> str:
    """The answer in one line: the first two key figures ("label: value; label: value"), else
    the figure the first computed verdict rests on, else the first figure."""
    if names:
        return "; ".join(f"{label}: {value}" for label, value in _figures(b, 2, names[:2]))
    verdicts = [
        v for v in b.get("results", {}).get("verdicts") or [] if v.get("basis") != "curated"
    ]
    name = next((v.get("figure") for v in verdicts if v.get("figure")), None)
    figs = _figures(b, 1, (name,)) if name else []
    figs = figs or _figures(b, 1)
    return f"{figs[0][0]}: {figs[0][1]}" if figs else ""


def _sentence(b: dict, template: str) -> str:
    """The report's headline sentence (its ``headline:`` template over its recorded figures)."""
    from .headline import headline

    res = b.get("results", {})
    kinds, units = b.get("kinds", {}), b.get("units", {})
    return headline(template, res, {k: {"kind": kinds.get(k), "unit": units.get(k)} for k in res})


def _report_claims(
    b: dict, ledger_status: dict[str, str], where: dict[str, str] | None = None
) -> list[dict]:
    """A report's claims as the index shows them. Where the report computes the claim's primary
    reading, the status is the ledger's (decided by that reading, so page, ledger and index
    agree), else the report's own (:func:`group_claims`) when the ledger has not been built.
    Where it computes the claim only on other data, the line says "sensitivity check", as the
    page does, and names the verdict and the page it rests on (``where``: claim -> the primary
    report's title): a contradicted badge above a figure inside the band misleads."""
    from ..evidence import LABELS

    claims = group_claims(b.get("results", {}).get("verdicts") or [])
    for c in claims:
        if c["status"] == "source_traced" or c["claim"] not in ledger_status:
            continue
        if c["primary"]:
            c["status"] = ledger_status[c["claim"]]
            continue
        verdict = LABELS.get(ledger_status[c["claim"]], ledger_status[c["claim"]])
        page = (where or {}).get(c["claim"])
        c["against"] = f"The verdict, {verdict}, rests on " + (
            f"the “{page}” page." if page else "another report."
        )
    return claims


def _claim_lines(claims: list[dict], labels: dict[str, str], width: int = 110) -> list[dict]:
    """The report's judged claims for the index: status, label and the claim's words
    (shortened at a word, never inside a number), so that each badge says which claim it
    judges."""
    rank = {s: i for i, s in enumerate(STATUS_ORDER)}
    out = []
    for c in claims:
        if c["status"] == "source_traced":
            continue
        quote = shorten_quote(str(c.get("quote") or ""), width)
        out.append(
            {
                "status": c["status"],
                "label": labels.get(c["status"], c["label"]),
                "quote": quote,
                "claim": c["claim"],
                "role": "primary" if c.get("primary") else "sensitivity",
                "against": c.get("against", ""),
            }
        )
    # the claims this report decides first, then those it only checks on other data
    return sorted(out, key=lambda d: (d["role"] != "primary", rank.get(d["status"], len(rank))))


CARD_CLAIMS = 2  # claim lines on an index card (the decided ones first); the rest are counted


def more_claims(lines: list[dict]) -> str:
    """The claims a card leaves to its page, counted: "+6 more claims (5 not testable, 1
    inconclusive)"; "" when there are none."""
    if not lines:
        return ""
    by: dict[str, int] = {}
    for c in lines:
        by[c["label"]] = by.get(c["label"], 0) + 1
    what = ", ".join(f"{n} {label}" for label, n in by.items())
    return f"+{len(lines)} more claim{'s' if len(lines) > 1 else ''} on the page ({what})"


def _badges(claims: list[dict], labels: dict[str, str]) -> list[dict]:
    """One badge per status (with a count when several claims share it), in status order."""
    by: dict[str, list[dict]] = {}
    for c in claims:
        by.setdefault(c["status"], []).append(c)
    return [
        {
            "status": s,
            "label": labels.get(s, by[s][0]["label"])
            + (f" \u00d7{len(by[s])}" if len(by[s]) > 1 else ""),
            "reason": " | ".join(c.get("reason", "") for c in by[s]),
        }
        for s in STATUS_ORDER
        if s in by
    ]


def index_entries(reports: list, builds: dict[str, dict], pages: dict[str, bool]) -> dict:
    """Everything the front page shows, from the published reports' build.json."""
    from ..evidence import LABELS

    labels = {**LABELS, "pending": "pending", "sensitivity": "sensitivity check"}
    titles = {r.id: r.title for r in reports}
    ledger_status, where = {}, {}  # claim -> its status; claim -> its primary report's title
    for rep in builds.values():
        for e in rep.get("results", {}).get("claims") or []:
            if isinstance(e, dict) and e.get("primary"):
                ledger_status[e.get("id")] = e.get("claim_status")
                if e.get("report"):
                    where[e.get("id")] = titles.get(e.get("report"), "")
    answers, groups, provinces, ledger = [], {}, [], None
    for r in reports:
        b, has_page = builds.get(r.id, {}), pages.get(r.id, False)
        css, text, short = _status(b, has_page)
        claims = _report_claims(b, ledger_status, where)
        verdicts = _badges(claims, labels)
        entry = {
            "id": r.id,
            "title": r.title,
            "question": r.question,
            "has_page": has_page,
            "css": css,
            "status_text": text,
            "status_short": short,
            "built_at": b.get("built_at", ""),
            "error": b.get("error"),
            "last_good": b.get("last_good"),
            "figures": card_figures(b, r.key_figures, dict(getattr(r, "key_labels", ()) or ())),
            "sentence": _sentence(b, getattr(r, "headline", "")),
        }
        group = group_of(r.id)
        if group == "Province profiles":
            res = b.get("results", {})
            name = r.title.split(":")[0] if ":" in r.title else r.title
            provinces.append(
                {
                    **entry,
                    "name": name,
                    "cells": [
                        fmt(res[k], kind) if res.get(k) is not None else "—"
                        for k, _, kind in PROVINCE_COLUMNS
                    ],
                }
            )
            continue
        if group == "Claims ledger" and ledger is None:
            res = b.get("results", {})
            counts = {s: res.get(k) for s, k in LEDGER_COUNTS.items()}
            ledger = {
                **entry,
                "n_claims": res.get("n_claims"),
                "counts": [(s, labels[s], counts[s]) for s in STATUS_ORDER if counts.get(s)],
            }
            groups.setdefault(group, []).append(entry)
            continue  # the ledger heads the answers with its counts, not one verdict
        if verdicts and has_page:
            lines = _claim_lines(claims, labels, width=90)
            entry["answered"] = True  # its card is in the answers; its group only links to it
            answers.append(
                {
                    **entry,
                    "verdicts": verdicts,
                    "claims": lines[:CARD_CLAIMS],
                    "more_claims": more_claims(lines[CARD_CLAIMS:]),
                    "n_restated": sum(
                        v.get("status") == "source_traced"
                        for v in b.get("results", {}).get("verdicts") or []
                    ),
                    "headline": _headline(b, r.key_figures),
                }
            )
        groups.setdefault(group, []).append(entry)
    return {
        "answers": answers,
        "groups": list(groups.items()),
        "provinces": provinces,
        "province_columns": [label for _, label, _ in PROVINCE_COLUMNS],
        "ledger": ledger,
        "glossary": [(t, glossary_anchor(t), d) for t, d in GLOSSARY],
        "statuses": [(s, labels[s]) for s in STATUS_ORDER],
    }


INDEX_ENV = jinja2.Environment(
    autoescape=True,
    loader=jinja2.FileSystemLoader(str(TEMPLATES)),
    trim_blocks=True,
    lstrip_blocks=True,
)


def index_lede(ids: list[str], groups: list) -> list[str]:
    """The front page's opening sentences: the headlines of the reports ``ids`` (site.yaml
    ``site.lede``), in that order; a report without a headline (not built, failed) is left
    out."""
    sentence = {e["id"]: e.get("sentence") for _, entries in groups for e in entries}
    return [sentence[i] for i in ids if sentence.get(i)]


def index_html(git: dict, built_at: str, search: bool = False, **context: Any) -> str:
    context.setdefault("site_name", SITE_NAME)
    context.setdefault("licence", LICENCE)
    context.setdefault("data_terms", DATA_TERMS)
    context.setdefault("author", AUTHOR)
    for key in ("articles", "datasets", "data_as_of"):
        context.setdefault(key, [])
    context.setdefault("glossary", [(t, glossary_anchor(t), d) for t, d in GLOSSARY])
    for key in ("answers", "groups", "provinces", "province_columns"):
        context.setdefault(key, [])
    return INDEX_ENV.get_template("site_index.html.j2").render(
        commit=git["commit"], dirty=git["dirty"], built_at=built_at, search=search, **context
    )


def notebook_counts(nb) -> dict[str, int]:
    """Tables (shown with ``display.table``) and figures (PNG outputs) an executed notebook made."""
    tables = figures = 0
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            figures += "image/png" in data
            tables += TABLE_MIME in data and not data[TABLE_MIME].get("figure")
    return {"tables": tables, "figures": figures}


def page_counts(page_html: str) -> dict[str, int]:
    """Tables and figures a rendered report page shows in its evidence section."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(page_html, "html.parser")
    evidence = soup.select_one(".cnai-evidence") or soup
    return {
        "tables": len(evidence.select("table.cnai-table")),
        "figures": len(evidence.select("figure.cnai-figure img")),
    }


def unconditional_table_calls(source: str) -> int:
    """``table(...)`` calls a cell makes whatever its data (top-level statements, outside
    ``if``/``for``/``with``): the least number of tables the cell must show."""
    import ast

    try:
        tree = ast.parse(source)
    except SyntaxError:
        return 0
    n = 0
    for stmt in tree.body:
        if isinstance(stmt, (ast.If, ast.For, ast.While, ast.With, ast.Try, ast.FunctionDef)):
            continue
        for node in ast.walk(stmt):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "table":
                n += 1
    return n


def missing_tables(nb) -> list[tuple[int, int, int]]:
    """(cell index, table() calls, tables shown) of code cells that show fewer tables than
    they unconditionally make."""
    out = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        calls = unconditional_table_calls(cell.source)
        shown = sum(
            TABLE_MIME in o.get("data", {}) and not o["data"][TABLE_MIME].get("figure")
            for o in cell.get("outputs", [])
        )
        if shown < calls:
            out.append((i, calls, shown))
    return out
