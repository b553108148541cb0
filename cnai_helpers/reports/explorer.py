"""The site's registry pages, a step of `cnai reports build` after the notebook reports:

- ``explorer/``: every filing of every registry in one searchable, filterable, sortable table
  with a CSV download of the selection. The table is DataTables from itables' offline bundle
  (``itables/html/dt_bundle.js``, an ES module, rewritten here into a classic script so that the
  page also works opened from disk, where browsers refuse module scripts); the data is a compact
  script beside the page (``filings.js``), not inlined.
- ``filer/<id>.html``: one page per filer (see :mod:`cnai_helpers.filers` for who is one filer and
  its permalink), and a redirecting page for each other id the filer is known by.
- ``download/``: the data release (:mod:`cnai_helpers.release`) and its page.

Incremental: the step is skipped when the core tables, the code and templates of these pages and
the site's digests are unchanged (their fingerprint is kept in ``<site>/.explorer.json``). Each
folder is replaced atomically; the fingerprint is written last, so an interrupted step is redone.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from importlib import metadata as ilm
from pathlib import Path
from typing import Any

import jinja2

from .. import filers, paths
from ..atomic import atomic_dir, write_text
from ..formatting import human_size, month, quoted_title

TEMPLATES = Path(__file__).parent / "templates" / "explorer"
STATE = ".explorer.json"
FOLDERS = ("explorer", "filer", "download")
GROUP = "Find a filer"
# fields of one row of filings.js, in order (explorer.js reads them by position)
ROW_COLUMNS = (
    "registry",
    "filing_number",
    "algorithm_name",
    "application_product",
    "name_token",
    "filer",
    "entity_name",
    "first_batch",
    "province",
    "city",
    "role_or_category",
    "org_type",
    "sector",
    "cancelled_month",
    "search_text",
    "sector_how",  # where the shown sector comes from (SECTOR_HOW)
    "sector_by_rules",  # the rules' call, kept beside a coder's label (the CSV download)
)
ORG_LABELS = {
    "central_soe": "Central state-owned enterprise (央企)",
    "local_soe": "Local state-owned enterprise (地方国企)",
    "university": "University (高校)",
    "research_institute": "Research institute (科研院所)",
    "government": "Government body (政府机关)",
    "foreign": "Foreign or foreign-held company",
    "private": "Private company",
}
ORG_HOW = {
    "rule": "by the project's name rules (words in the published name)",
    "override": "by the project's table of filers the name rules get wrong",
    "label": "by a coder's label (the who-files evaluation sample, checked by two coders)",
}
# where the sector a page shows comes from, in the order of filings.js's codes: the rules, a hand
# label of the who-files evaluation sample (data/evaluation_labels/, two coders), or the top filers'
# coders' labels (data/curated/sector_hand_labels.csv, display only)
SECTOR_HOW = {
    "rule": "the project's rules (words in the name, product and purpose)",
    "label": "coder-labelled (the who-files evaluation sample, checked by two coders)",
    "hand": "coder-labelled (the project's table of the largest filers' filings)",
}
SECTOR_CSV = {
    "rule": "rules",
    "label": "coder's label, evaluation sample",
    "hand": "coder's label, top filers",
}
UNKNOWN_SECTORS = ("unclassified", "unknown")
# a product cell the CAC left as a dash: no product, shown like any missing value
NO_PRODUCT = {"--", "-", "—", "/", "无"}
DIGEST = "batch-{registry}"
ENV = jinja2.Environment(
    autoescape=True,
    loader=jinja2.FileSystemLoader(str(TEMPLATES)),
    trim_blocks=True,
    lstrip_blocks=True,
)


def _code_names(text: str):
    """A text with its code names (``filing_key``) and its backquoted commands (`cnai registry
    build`, as tables.yaml writes them) as code elements, the rest escaped."""
    import html

    from markupsafe import Markup

    from ..display import CODE_NAME_RE

    parts = re.split(r"`([^`]+)`", str(text))  # odd parts: what the backquotes held
    return Markup(
        "".join(
            f"<code>{html.escape(x)}</code>"
            if i % 2
            else CODE_NAME_RE.sub(r"<code>\g<0></code>", html.escape(x))
            for i, x in enumerate(parts)
        )
    )


ENV.filters["code_names"] = _code_names


class ExplorerError(RuntimeError):
    """The pages could not be made (the message says why)."""


# ------------------------------------------------------------------ what the step depends on


def code_files() -> list[Path]:
    here = Path(__file__).parent.parent
    return [
        Path(__file__),
        here / "filers.py",
        here / "release.py",
        here / "tables.yaml",
        paths.curated_table("filer_names"),  # English names: the search text and filer pages
        paths.curated_table("filer_groups"),  # a filer page's "same group" line
        paths.curated_table("sector_hand_labels"),  # the sector shown, coder-labelled
        Path(__file__).parent.parent / "curated.py",
        Path(__file__).parent.parent / "analysis" / "evaluation.py",  # the rules' call shown
        paths.MANIFEST,
        *curated_files(),  # the release's curated tables and the claims' readings
        *sorted(TEMPLATES.iterdir()),
        Path(__file__).parent / "templates" / "static" / "site.css",
    ]


def curated_files() -> list[Path]:
    from ..release import READINGS, curated_tables

    return [*(paths.curated_table(n) for n in curated_tables()), paths.curated_table(READINGS)]


def fingerprint(digests: list[str], site_name: str) -> str:
    from .needs import registry_tables_fingerprint

    h = hashlib.sha256()
    h.update(registry_tables_fingerprint().encode())
    for f in code_files():
        if f.is_file():
            h.update(f.name.encode() + hashlib.sha256(f.read_bytes()).digest())
    for pkg in ("itables", "pypinyin", "pandas", "pyarrow", "duckdb"):
        try:
            h.update(f"{pkg}={ilm.version(pkg)}".encode())
        except ilm.PackageNotFoundError:
            h.update(f"{pkg}=missing".encode())
    h.update(json.dumps([sorted(digests), site_name]).encode())
    return h.hexdigest()


def is_fresh(out_root: Path, fp: str) -> bool:
    try:
        state = json.loads((Path(out_root) / STATE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return state.get("fingerprint") == fp and all(
        (Path(out_root) / f / "index.html").exists() for f in FOLDERS
    )


# ------------------------------------------------------------------ DataTables, offline

EXPORT_RE = re.compile(r"export\s*\{([^}]*)\}\s*;?")


def datatables_script() -> tuple[str, str]:
    """(classic script defining ``window.cnaiDataTables = {DataTable, jQuery}``, stylesheet)
    from itables' bundle."""
    try:
        import itables
    except ImportError as e:
        raise ExplorerError("the explorer needs itables (pip install itables)") from e
    html = Path(itables.__file__).parent / "html"
    src = (html / "dt_bundle.js").read_text(encoding="utf-8")
    css = (html / "dt_bundle.css").read_text(encoding="utf-8")
    found = list(EXPORT_RE.finditer(src))
    if len(found) != 1:
        raise ExplorerError(
            f"{html / 'dt_bundle.js'}: expected one export statement, found {len(found)} "
            "(itables changed its bundle; update cnai_helpers/reports/explorer.py)"
        )
    m = found[0]
    names = {}
    for item in m.group(1).split(","):
        local, _, exported = item.strip().partition(" as ")
        names[(exported or local).strip()] = local.strip()
    if "default" not in names or "jQuery" not in names:
        raise ExplorerError(f"{html / 'dt_bundle.js'}: no DataTable or jQuery export")
    glue = f"window.cnaiDataTables={{DataTable:{names['default']},jQuery:{names['jQuery']}}};"
    script = (
        f"/* DataTables and jQuery from itables {ilm.version('itables')} (dt_bundle.js), as a "
        "classic script */\n(function(){\n" + src[: m.start()] + glue + src[m.end() :] + "\n})();\n"
    )
    return script, css


# ------------------------------------------------------------------ the data


def _labels(values, labels: dict | None = None) -> list[list[str]]:
    """[code, label for people] of each value: ``labels``, else the site's one label of the
    category (cnai_helpers/reference/labels.yaml ``values``)."""
    from ..reference import value_label

    return [[v, (labels or {}).get(v) or value_label(v)] for v in values]


def sectors_shown(f, hand=None):
    """What the explorer and the filer pages show as each filing's sector: ``sector_shown``,
    ``sector_how`` (a key of SECTOR_HOW) and ``sector_by_rules`` (the frozen rules' call on the
    name, product and purpose, kept beside any coder's label). The core tables' sector (a coder's label
    of the evaluation sample, else the rules) is shown, except that a filing of the top filers'
    hand-label table (``hand``: :func:`cnai_helpers.curated.load_sector_hand_labels`) without an
    evaluation label shows its coder's label, ``unknown`` included (someone read it and could not
    tell). Display only: the who-files estimates never read ``hand``."""
    import pandas as pd

    from ..analysis import evaluation as ev

    rules = f["sector"].astype(object).copy()
    labelled = (f["sector_source"] == "label").to_numpy()
    if labelled.any():
        rules[labelled] = ev.population_predictions(f[labelled])["pred_sector"].to_numpy()
    shown = f["sector"].astype(object).copy()
    how = pd.Series("rule", index=f.index, dtype=object).where(~labelled, "label")
    if hand is not None and len(hand):
        key = pd.MultiIndex.from_frame(f[["registry", "filing_number"]])
        by = hand.set_index(["registry", "filing_number"])["sector"]
        got = pd.Series(by.reindex(key).to_numpy(), index=f.index)
        use = got.notna() & ~pd.Series(labelled, index=f.index)
        shown[use] = got[use]
        how[use] = "hand"
    return pd.DataFrame(
        {"sector_shown": shown, "sector_how": how, "sector_by_rules": rules}, index=f.index
    )


def sector_coverage(shown) -> dict:
    """How many of these filings have a known sector (not unclassified or unknown), and how many
    of them are coder-labelled: the line beside a page's sector mix."""
    known = int((~shown["sector_shown"].isin(UNKNOWN_SECTORS)).sum())
    n = len(shown)
    return {
        "n": n,
        "known": known,
        "share": known / n if n else float("nan"),
        "hand": int(shown["sector_how"].isin(("label", "hand")).sum()),
    }


def short_registry(label: str) -> str:
    """A registry's label without its Chinese name: "Generative-AI filings"."""
    return label.split(" (")[0]


def explorer_data(
    f, texts: dict[str, str], ids, registry_labels: dict[str, str], english: dict | None = None
) -> dict:
    """The compact table explorer.js reads: dictionaries of values, rows of indexes.
    ``english``: filer id -> the English name a row shows beside the published name
    (:func:`cnai_helpers.filers.english_by_filer`)."""
    import pandas as pd

    def codes(col: pd.Series, order: list) -> list:
        pos = {v: i for i, v in enumerate(order)}
        return [pos.get(v) if isinstance(v, str) and v else None for v in col.tolist()]

    batches = sorted(f["first_batch"].unique())
    prov = (
        f[["province_code", "province_en", "province_zh"]]
        .drop_duplicates("province_code")
        .sort_values("province_code")
    )
    provinces = [
        [r.province_code, province_label(r.province_code, r.province_en, r.province_zh)]
        for r in prov.itertuples()
    ]
    city = (
        f[f["city_code"].notna() & (f["city_code"] != "")][
            ["city_code", "city_en", "city_zh", "province_en"]
        ]
        .drop_duplicates("city_code")
        .sort_values(["city_en", "city_code"])
    )
    # [code, label in the menu (with its province: two Suzhous), label in the table's cell (the
    # province is the column beside it)]
    cities = [
        [
            r.city_code,
            city_label(r.city_en, r.city_zh, r.province_en),
            city_label(r.city_en, r.city_zh, None),
        ]
        for r in city.itertuples()
    ]
    roles = sorted(v for v in f["role_or_category"].dropna().unique() if v)
    org_types = sorted(f["org_type"].unique(), key=lambda v: list(ORG_LABELS).index(v))
    if "sector_shown" not in f:  # the core tables' sector alone (no hand-label table given)
        f = f.assign(**sectors_shown(f))
    sectors = sorted(set(f["sector_shown"]) | set(f["sector_by_rules"]))
    filer_ids = sorted(texts)
    names = sorted(f["entity_name"].unique())
    regs = [r for r in registry_labels if r in set(f["registry"])]
    cols = {
        "registry": codes(f["registry"], regs),
        "filing_number": f["filing_number"].tolist(),
        "algorithm_name": f["algorithm_name"].tolist(),
        "application_product": [v or None for v in f["application_product"].fillna("").tolist()],
        "name_token": [v or None for v in f["name_token"].fillna("").tolist()],
        "filer": codes(pd.Series(list(ids)), filer_ids),
        "entity_name": codes(f["entity_name"], names),
        "first_batch": codes(f["first_batch"], batches),
        "province": codes(f["province_code"], [p[0] for p in provinces]),
        "city": codes(f["city_code"], [c[0] for c in cities]),
        "role_or_category": codes(f["role_or_category"], roles),
        "org_type": codes(f["org_type"], org_types),
        "sector": codes(f["sector_shown"], sectors),
        "cancelled_month": [v or None for v in f["cancelled_month"].fillna("").tolist()],
        "search_text": search_overrides(f),
        "sector_how": codes(f["sector_how"], list(SECTOR_HOW)),
        "sector_by_rules": codes(f["sector_by_rules"], sectors),
    }
    rows = [list(r) for r in zip(*(cols[c] for c in ROW_COLUMNS), strict=True)]
    return {
        "columns": list(ROW_COLUMNS),
        # [code, full label, short label]: the table shows the short one, its tooltip the full
        "registries": [[r, registry_labels[r], short_registry(registry_labels[r])] for r in regs],
        "batches": batches,
        "provinces": provinces,
        "cities": cities,
        "roles": _labels(roles),
        "org_types": _labels(org_types, ORG_LABELS),
        "sectors": _labels(sectors),
        # [code, the CSV's word, the cell's mark]: where the shown sector comes from
        "sector_hows": [
            [k, SECTOR_CSV[k], "" if k == "rule" else "coder-labelled"] for k in SECTOR_HOW
        ],
        "names": names,
        # [id, search text, English name shown beside the published one ("" where none is known)]
        "filers": [[fid, texts[fid], (english or {}).get(fid, "")] for fid in filer_ids],
        "rows": rows,
    }


def search_overrides(f) -> list[str | None]:
    """Each filing's own searchable text (:func:`cnai_helpers.filers.row_text`) where lower-casing
    its fields does not give it already (NFKC changed a character, e.g. full-width （APP）);
    None elsewhere. explorer.js lower-cases the rest itself: NFKC on every field at the first
    search cost the page hundreds of milliseconds."""
    out = []
    for r in f[list(filers.ROW_FIELDS)].to_dict("records"):
        text = filers.row_text(r)
        naive = filers.SEP.join(v.lower() if isinstance(v, str) else "" for v in r.values())
        out.append(None if text == naive else text)
    return out


def city_label(en: Any, zh: Any, province_en: Any) -> str:
    """``Hefei 合肥市 (Anhui)``; the province left out where the city is one (Beijing)."""
    en, zh, prov = (v if isinstance(v, str) else "" for v in (en, zh, province_en))
    text = " ".join(x for x in (en, zh) if x)
    return f"{text} ({prov})" if prov and prov != en else text


def province_label(code: str, en: Any, zh: Any) -> str:
    if code == "central_soe":
        return "Central SOEs (国资委, no province)"
    if code == "unknown":
        return "Unknown"
    return f"{en} {zh}" if isinstance(en, str) and isinstance(zh, str) else str(code)


def _text(v: Any) -> str:
    """A cell as text ("" for missing)."""
    return v if isinstance(v, str) else ""


def _locations(rows: list[dict]) -> list[dict]:
    locs = Counter(
        " · ".join(
            x
            for x in (
                province_label(r["province_code"], r["province_en"], r["province_zh"]),
                _text(r["city_en"]),
                _text(r["district_zh"]),
            )
            if x
        )
        for r in rows
    )
    return [{"text": t, "n": n} for t, n in locs.most_common()]


def filer_pages(
    f,
    ids,
    batches,
    registry_labels: dict,
    digests: set[str],
    overrides: dict,
    english=None,
    groups=None,
):
    """(filer id, page context) for every filer, from its filings (plain Python over the
    records: a pandas group-by per filer costs minutes for 5,700 filers). ``groups``: published
    name -> its group (:func:`cnai_helpers.filers.group_of`): a filer of a listed group gets the
    other filers of that group (``group``: name, source, tier, siblings)."""
    from ..formatting import fmt
    from ..reference import value_label

    dates = {
        (r.registry, r.batch): r.announcement_date
        for r in batches.itertuples()
        if isinstance(r.announcement_date, str)
    }
    reg_order = {r: i for i, r in enumerate(registry_labels)}
    if "sector_shown" not in f:  # the core tables' sector alone (no hand-label table given)
        f = f.assign(**sectors_shown(f))
    by_filer: dict[str, list[dict]] = {}
    for fid, r in zip(list(ids), f.to_dict("records"), strict=True):
        by_filer.setdefault(fid, []).append(r)
    members = group_members(by_filer, groups or {})
    for fid in sorted(by_filer):
        sub = sorted(by_filer[fid], key=lambda r: (r["first_batch"], r["filing_key"]))
        latest = sub[-1]["entity_name"]
        names: dict[str, dict] = {}
        for r in sub:
            n = names.setdefault(
                r["entity_name"],
                {"name": r["entity_name"], "n": 0, "first": r["first_batch"], "last": ""},
            )
            n["n"] += 1
            n["last"] = r["first_batch"]
        org = []
        for otype, source in dict.fromkeys((r["org_type"], r["org_type_source"]) for r in sub):
            reason, url = None, None
            if source == "override":
                hit = next(
                    (overrides[r["entity_name"]] for r in sub if r["entity_name"] in overrides),
                    None,
                )
                if hit:
                    reason, url = hit
            org.append(
                {
                    "label": ORG_LABELS.get(otype, otype),
                    "how": ORG_HOW.get(source, source),
                    "reason": reason,
                    "url": url,
                }
            )
        counts = Counter(r["registry"] for r in sub)
        regs = [
            {
                "label": registry_labels.get(reg, reg),
                "n": counts[reg],
                "digest": DIGEST.format(registry=reg)
                if DIGEST.format(registry=reg) in digests
                else None,
            }
            for reg in sorted(counts, key=lambda x: reg_order.get(x, 99))
        ]
        rows = [
            {
                "registry": registry_labels.get(r["registry"], r["registry"]),
                "number": r["filing_number"],
                "algorithm": r["algorithm_name"],
                "product": ""
                if _text(r["application_product"]).strip() in NO_PRODUCT
                else _text(r["application_product"]),
                "role": value_label(_text(r["role_or_category"])),
                "first": r["first_batch"],
                "first_date": dates.get((r["registry"], r["first_batch"])),
                "n_batches": r["n_batches"],
                "status": f"Cancelled {r['cancelled_month']}"
                if _text(r["cancelled_month"])
                else value_label("active"),
                "sector": value_label(r["sector_shown"]),
                "sector_hand": r["sector_how"] != "rule",
                # the rules' call where it differs from the coder's label shown
                "sector_rules": value_label(r["sector_by_rules"])
                if r["sector_how"] != "rule" and r["sector_by_rules"] != r["sector_shown"]
                else None,
            }
            for r in sorted(sub, key=lambda r: (reg_order.get(r["registry"], 99), r["first_batch"]))
        ]
        mix = Counter(r["sector_shown"] for r in sub)
        known = [(k, n) for k, n in mix.most_common() if k not in UNKNOWN_SECTORS]
        sectors = {
            "mix": [{"label": value_label(k), "n": n} for k, n in known],
            "known": sum(n for _, n in known),
            "share": fmt(sum(n for _, n in known) / len(sub), "share"),
            "hand": sum(r["sector_how"] != "rule" for r in sub),
        }
        parts = sorted({p for p in (filers.entity_part(r["filing_key"]) for r in sub) if p})
        known = {
            e["name"]: e["url"] for n in names for e in (english or {}).get(n, ())
        }  # the project's table of English names (data/curated/filer_names.csv)
        yield (
            fid,
            {
                "id": fid,
                "name": latest,
                # read word by word (Beijing Shendu Qiusuo …), not one run of letters; the
                # search keeps the run and the initials (filers.filer_text)
                "pinyin": filers.readable_pinyin(latest),
                "names": sorted(names.values(), key=lambda n: (n["first"], n["name"])),
                "known_as": [{"name": k, "url": u} for k, u in known.items()],
                "search_words": search_words(names),
                "parts": parts,
                "n_filings": len(sub),
                "locations": _locations(sub),
                "org": org,
                "registries": regs,
                "filings": rows,
                "sectors": sectors,
                "group": _group_context(fid, members),
            },
        )


def group_members(by_filer: dict[str, list[dict]], groups: dict[str, dict]) -> dict[str, dict]:
    """Group name -> {group, url, tier, members: [{id, name, n}]} over the filers (``by_filer``:
    filer id -> its filings), each filer in the group of the first of its names that has one."""
    out: dict[str, dict] = {}
    for fid, sub in by_filer.items():
        hit = next((groups[r["entity_name"]] for r in sub if r["entity_name"] in groups), None)
        if hit is None:
            continue
        latest = max(sub, key=lambda r: (r["first_batch"], r["filing_key"]))["entity_name"]
        g = out.setdefault(hit["group"], {**hit, "members": []})
        g["members"].append({"id": fid, "name": latest, "n": len(sub)})
    for g in out.values():
        g["members"].sort(key=lambda m: (-m["n"], m["name"]))
    return out


def _group_context(fid: str, members: dict[str, dict]) -> dict | None:
    g = next((g for g in members.values() if any(m["id"] == fid for m in g["members"])), None)
    if g is None:
        return None
    others = [m for m in g["members"] if m["id"] != fid]
    return {
        "name": g["group"],
        "url": g["url"],
        "tier": g["tier"],
        "siblings": others,
        "n_filings": sum(m["n"] for m in g["members"]),
        "n_entities": len(g["members"]),
    }


# ------------------------------------------------------------------ the step


def build_site_pages(
    out_root: Path,
    report_ids: list[str] | set[str] = (),
    force: bool = False,
    site_name: str | None = None,
) -> dict:
    """Write (or keep) the explorer, the filer pages and the data release of the site in
    ``out_root``; return a status: ``{"status": "ok" | "skipped" | "unavailable", ...}``."""
    import time

    from ..loaders import StaleRegistryError, registry_build_info
    from .currency import registry_currency, site_currency
    from .provenance import git_state, now_iso
    from .render import DATA_TERMS, LICENCE, SITE_NAME, site_config

    out_root = Path(out_root)
    t0 = time.perf_counter()
    try:
        info = registry_build_info()  # the core tables are built and current
    except StaleRegistryError as e:
        return {"status": "unavailable", "reason": str(e)}
    cfg = site_config()
    site_name = site_name or cfg.get("name") or SITE_NAME
    digests = sorted(i for i in report_ids if i.startswith("batch-"))
    fp = fingerprint(digests, site_name)
    if not force and is_fresh(out_root, fp):
        return {
            "status": "skipped",
            "fingerprint": fp,
            "seconds": round(time.perf_counter() - t0, 2),
        }

    from .. import metadata
    from ..analysis import evaluation
    from ..curated import load_sector_hand_labels
    from ..loaders import REGISTRIES, load_batches, load_filings
    from ..metadata import read_curated
    from ..reference import registry_label
    from ..release import write_release

    f = load_filings()
    # the sector shown: coders' labels (the evaluation sample's, the top filers') beside the rules'
    hand = load_sector_hand_labels()
    evaluation.hand_labelled_filings(hand, f)  # every coder's label names a published filing
    f = f.assign(**sectors_shown(f, hand))
    batches = load_batches()
    overrides = {
        r.entity_name: (r.reason, r.source_url)
        for r in read_curated("entity_overrides").itertuples()
    }
    ids, aliases = filers.assign_filers(f)
    # the project's English names, read once: the search texts, the explorer's rows, filer pages
    english = filers.english_names(f["entity_name"].unique())
    texts = filers.filer_texts(f, ids, english)
    labels = {r: registry_label(r) for r in REGISTRIES}
    common = {
        "site_name": site_name,
        "built_at": now_iso(),
        "tables_built_at": info.get("built_at", ""),
        "commit": git_state()["commit"],
        # the report pages' footer: how current, how to cite, under which licence
        **site_currency(registry_currency()),
        "licence": LICENCE,
        "data_terms": DATA_TERMS,
    }

    def cite(title: str, path: str) -> str:
        return citation_text(title, path, common, cfg)

    def canonical(path: str) -> str:  # the published address, or none (never a local one)
        return f"{cfg['base_url']}{path}" if cfg.get("base_url") else ""

    # the explorer
    data = explorer_data(f, texts, ids, labels, filers.english_by_filer(f, ids, english))
    dt_js, dt_css = datatables_script()
    with atomic_dir(out_root / "explorer") as tmp:
        # a script (pages opened from disk cannot fetch JSON) holding the JSON as a string:
        # browsers parse JSON.parse's argument much faster than the same object literal
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
        (tmp / "filings.js").write_text(
            f"window.CNAI_EXPLORER=JSON.parse({json.dumps(text, ensure_ascii=False)});\n",
            encoding="utf-8",
        )
        (tmp / "datatables.js").write_text(dt_js, encoding="utf-8")
        (tmp / "datatables.css").write_text(dt_css, encoding="utf-8")
        for static in ("explorer.js", "explorer.css"):
            (tmp / static).write_text((TEMPLATES / static).read_text("utf-8"), encoding="utf-8")
        page = ENV.get_template("explorer.html.j2").render(
            **common,
            root="../",
            group=GROUP,
            current="explorer",
            asof_shown=False,  # at the foot: the search comes first on a phone
            title="Find a filer: every filing of the CAC registries",
            cite=cite("Find a filer: every filing of the CAC registries", "explorer/"),
            canonical=canonical("explorer/"),
            description="Search every CAC algorithm and generative-AI filing by filer, "
            "product, algorithm or filing number; filter, sort and download.",
            n_filings=len(f),
            n_filers=len(texts),
            n_english=len(read_curated("filer_names")),
            registries=data["registries"],
            batches=data["batches"],
            provinces=data["provinces"],
            cities=data["cities"],
            roles=data["roles"],
            org_types=data["org_types"],
            # the filter offers the sectors shown (not those only the rules' calls have)
            sectors=[x for x in data["sectors"] if x[0] in set(f["sector_shown"])],
        )
        (tmp / "index.html").write_text(page, encoding="utf-8")

    # one page per filer, and a redirect for each other id it is known by
    genai_names = {
        filers.name_id(k) for k in f.loc[f["registry"].str.startswith("genai"), "entity_key"]
    }
    # other entity parts always; a name id only where the name has a generative-AI filing
    # (a filer known only by such a name had a page of its own before it filed an algorithm)
    kept_aliases = {a: t for a, t in aliases.items() if a[0] != "n" or a in genai_names}
    filer_tpl = ENV.get_template("filer.html.j2")
    redirect_tpl = ENV.get_template("redirect.html.j2")
    names: dict[str, str] = {}
    with atomic_dir(out_root / "filer") as tmp:
        groups = filers.group_of(f["entity_name"].unique())
        n_groups = len(read_curated("filer_groups"))
        pages = filer_pages(f, ids, batches, labels, set(digests), overrides, english, groups)
        for fid, ctx in pages:
            names[fid] = ctx["name"]
            (tmp / f"{fid}.html").write_text(
                filer_tpl.render(
                    **common,
                    root="../",
                    group=GROUP,
                    title=ctx["name"],
                    description=f"{ctx['name']}: its filings in the CAC lists",
                    cite=cite(f"{ctx['name']}: its filings in the CAC lists", f"filer/{fid}.html"),
                    canonical=canonical(f"filer/{fid}.html"),
                    group_count=n_groups,
                    f=ctx,
                ),
                encoding="utf-8",
            )
        for alias, target in kept_aliases.items():
            d = tmp / alias
            d.mkdir()
            (d / "index.html").write_text(
                redirect_tpl.render(
                    name=names.get(target, target), href=redirect_href(target), root="../../"
                ),
                encoding="utf-8",
            )
        (tmp / "index.html").write_text(
            redirect_tpl.render(name="Every filer", href="../explorer/index.html", root="../"),
            encoding="utf-8",
        )

    # the data release
    with atomic_dir(out_root / "download") as tmp:
        pkg = write_release(tmp)
        files = {
            p.relative_to(tmp).as_posix(): {
                "size": human_size(p.stat().st_size),
                "sha256": sha256_of(p),
            }
            for p in sorted(tmp.rglob("*"))
            if p.is_file() and p.name != "index.html" and not p.name.startswith(".")
        }  # not atomic_dir's marker
        rows = info.get("rows", {})
        declared = metadata.tables()  # each table's grain in its own words (brackets nest)
        tables = [
            {
                "name": r["name"],
                "grain": declared[r["name"]].grain,
                "rows": rows.get(r["name"], 0),
                "csv_size": human_size(r["bytes"]),
                "parquet_size": human_size(r["cnai:parquet"]["bytes"]),
            }
            for r in pkg["resources"]
            if "cnai:parquet" in r
        ]
        curated = [
            {
                "name": r["name"],
                "path": r["path"],
                "grain": declared[r["name"]].grain,
                "what": declared[r["name"]].description,
                "csv_size": human_size(r["bytes"]),
            }
            for r in pkg["resources"]
            if r.get("cnai:layer") == "curated"
        ]
        (tmp / "index.html").write_text(
            ENV.get_template("download.html.j2").render(
                **common,
                root="../",
                group=GROUP,
                current="download",
                asof_shown=True,
                title="Download the data",
                cite=cite("cnai registry data release", "download/"),
                canonical=canonical("download/"),
                latest=[
                    {"label": labels.get(r, r), "batch": month(b)}
                    for r, b in pkg["cnai:latest_batches"].items()
                ],
                description="The enriched CAC registries as CSV, Parquet and DuckDB with a "
                "Frictionless Data Package descriptor.",
                pkg=pkg,
                tables=tables,
                curated=curated,
                files=files,
                duckdb_size=human_size(pkg["cnai:duckdb"]["bytes"]),
                n_filers=len(texts),
                n_entities=rows.get("entities", 0),
            ),
            encoding="utf-8",
        )
    seconds = round(time.perf_counter() - t0, 2)
    state = {
        "fingerprint": fp,
        "built_at": common["built_at"],
        "seconds": seconds,
        "filings": len(f),
        "filers": len(texts),
        "aliases": len(kept_aliases),
        "version": pkg["version"],
    }
    write_text(out_root / STATE, json.dumps(state, indent=1))
    return {"status": "ok", **state}


def citation_text(title: str, path: str, common: dict, cfg: dict) -> str:
    """How to cite a page of these (as the report pages' citation: author, title, version, build
    date and commit, and the page's address when the site's published address is known)."""
    url = f"{cfg['base_url']}{path}" if cfg.get("base_url") else ""
    return (
        f"{cfg.get('author') or 'cnai contributors'}. {quoted_title(title)} cnai. Version "
        f"{common['version']}. Built {common['built_at'][:10]} from commit "
        f"{common['commit'][:12]}." + (f" {url}" if url else "")
    )


def search_words(names) -> str:
    """Words for the site's search (pagefind) to find a filer by any part of a Chinese name:
    every ending of each name (深圳市腾讯计算机…, 腾讯计算机…, 讯计算机…). The pages are English,
    so pagefind splits their text at spaces only and matches a query at the start of a word; a
    Chinese name is one word, found by its first characters alone without these."""
    words: dict[str, None] = {}
    for n in names:
        text = re.sub(r"\s+", "", filers.normalize(n))
        for i in range(len(text) - 1):
            words[text[i:]] = None
    return " ".join(words)


def redirect_href(target: str) -> str:
    """Where the redirecting page ``filer/<alias>/index.html`` sends the reader: the filer's
    page ``filer/<target>.html``, relative to the alias's folder."""
    return f"../{target}.html"


def sha256_of(p: Path) -> str:
    from ..release import sha256_file

    return sha256_file(p)


def site_links(out_root: Path) -> dict[str, bool]:
    """Which of these pages the site has (the index links to those that exist)."""
    return {
        "explorer": (Path(out_root) / "explorer" / "index.html").exists(),
        "download": (Path(out_root) / "download" / "index.html").exists(),
    }
