"""`cnai registry add` of a CAC Word list as an append: the new list is parsed and enriched
alone, its rows checked against the tables in place, and the tables derived from every listing
(filings, filers, batches, data quality, cancellations) computed again from the listings in
place plus the new rows, without reading, parsing or enriching any other list. The result is
the tables a full build of the same sources gives (bench/check_add.py and
tests/test_registry_append.py compare them table by table).

What a full build derives from the whole registry, and how the append gets the same:

- *listings*: row-local (filing number, region, province names), then sorted by registry,
  batch, source and row (a unique key: the order does not depend on where rows came from),
  except the stray-character repair of filer names, which reads every listing's counts: the
  append refuses (and the add builds from every list instead) when the new list's filers could
  change a repair or be repaired (:func:`repair_problem`), so every repair stays as it is;
- *filings, filers, batches, cancellations*: computed again from the whole listings table by
  the build's own functions (registry/assemble.py, registry/cancellations.py): first batches,
  batch lists, counts and cumulative figures move when a list of an earlier month arrives;
- *data quality*: the build's order is the Word lists' parse issues (in source order: the new
  list's last), their enrichment's, the generative-AI lists', the repairs, then those of the
  filings and the cancellations; the build records where each part ends (``issue_parts`` in
  build_info.json) and the append splices the new list's issues in and computes the rest again;
- *who-files enrichment*: row-local given the filer's hand label (registry/enrich.py
  :func:`~cnai_helpers.registry.enrich.appended_enrichment`): only new or changed filings are
  classified.

The append is used only when the tables in place are those of the other sources as they are
now (same fingerprint: raw files, code, corrections, labels); otherwise, or for a
generative-AI list, :class:`NoAppend` says why and the add builds from every list.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from ..loaders import read_table_file
from ..manifest import Source
from . import cancellations, enrich, wordxml
from .assemble import (
    filing_issues,
    finish_listings,
    make_batches,
    make_entities,
    make_filings,
    text_isin,
)
from .enrich import classifier_version
from .fingerprint import fingerprint
from .geography import resolved_regions
from .parse import (
    BuildError,
    batch_meta,
    enrich_stage,
    file_names,
    keep_regions,
    load_corrections,
    load_regions,
    parse_and_enrich,
    parse_cancellations,
    read_checked,
    refuse,
)
from .parse_cache import ParseCache
from .quality import Issue, to_frame
from .write import give_back_memory

# where each part of the data-quality table ends (registry/parse.py, registry/assemble.py)
ISSUE_PARTS = ("cac_parse", "cac_enrich", "listings", "repairs")
STRAY = "has a stray leading character"  # the repair's reason (registry/assemble.py)


class NoAppend(Exception):  # noqa: N818 - not an error: the add builds from every list
    """The new list cannot be appended (the reason is the message)."""


def held_info(base: Path) -> dict:
    try:
        info = json.loads((base / "build_info.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise NoAppend(f"no readable build_info.json in {base}") from e
    if not isinstance(info, dict) or not all(
        isinstance((info.get("issue_parts") or {}).get(k), int) for k in ISSUE_PARTS
    ):
        raise NoAppend("the tables in place do not record their data-quality parts")
    import pyarrow.parquet as pq

    for name, n in (info.get("rows") or {}).items():  # a table replaced or edited since
        try:
            held = pq.ParquetFile(base / f"{name}.parquet").metadata.num_rows
        except (OSError, ValueError) as e:
            raise NoAppend(f"{name}.parquet in {base} is not readable") from e
        if held != n:
            raise NoAppend(f"{name}.parquet holds {held} rows, its build recorded {n}")
    return info


def new_source(sources: list[Source], info: dict) -> Source:
    """The one source not in the tables in place: the last, a CAC Word list."""
    held = set(info.get("sources") or ())
    ids = [s.id for s in sources]
    if not sources or held != set(ids[:-1]) or ids[-1] in held:
        raise NoAppend("the sources are not those in place plus one new list")
    if sources[-1].format != "cac_docx":
        raise NoAppend(f"{sources[-1].id} is not a CAC Word list")
    return sources[-1]


def repair_problem(
    listings: pd.DataFrame, quality: pd.DataFrame, new_keys: pd.Series
) -> str | None:
    """Why the new rows could change the stray-character repair of filer names, or None.
    The repair (registry/assemble.py finish_listings) maps a filer key seen at most twice, longer
    than 6, whose tail (the key minus its first character) is a known key, to that tail. Only
    keys of the new list, or keys whose tail is one, can change their answer; the checks are
    conservative (a repaired row's original key is known only by its tail, the key it has now)."""
    keyed = listings[["source_id", "source_row", "entity_key"]]
    repaired = quality[
        (quality["action"] == "repaired") & quality["reason"].str.contains(STRAY, regex=False)
    ]
    hit = keyed.merge(
        repaired[["source", "row"]].astype({"row": "int64"}),
        left_on=["source_id", "source_row"],
        right_on=["source", "row"],
    )
    tails = set(hit["entity_key"])  # the keys repaired rows were mapped to
    held = set(keyed["entity_key"])
    counts = pd.concat([keyed["entity_key"], new_keys]).value_counts()
    repaired_into = hit["entity_key"].value_counts()
    new = set(new_keys)
    for k in sorted(new):
        if k[1:] in tails or k[2:] in tails:
            return f"filer key {k!r} is near a repaired filer name"
        raw = counts[k] - repaired_into.get(k, 0)
        if len(k) > 6 and raw <= 2 and (k[1:] in held or k[1:] in new):
            return f"filer key {k!r} would be repaired (stray leading character)"
    fresh = new - held
    for k in held:
        if len(k) > 6 and k[1:] in fresh:
            return f"the new filer key {k[1:]!r} is the tail of the known key {k!r}"
    return None


def check_rows(src: Source, rows: pd.DataFrame) -> None:
    """The new list's listing rows against the listings table's schema (the whole table is
    validated again once assembled): BuildError naming the file, the row and the problem."""
    from ..metadata import TableError
    from .schemas import SCHEMAS

    try:
        SCHEMAS["listings"].validate(rows)
    except TableError as e:
        raise BuildError(
            f"a row of the new list ({src.id}) breaks the listings table's schema "
            f"(source_row: the row in the list's table, the header being row 1):\n{e}"
        ) from e


def checked_listings(src: Source, lst: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """The listings table with the new list's ``rows``, validated (its schema: registry/write.py
    validate_tables leaves it out after an append); if it fails, the new rows' failure names
    the list and the row (:func:`check_rows`): the whole table is validated once, the new rows
    alone only to word the error."""
    from .schemas import SCHEMAS

    try:
        return SCHEMAS["listings"].validate(lst, lazy=True)
    except Exception as e:  # pandera's errors too, as validate_tables
        check_rows(src, rows)
        raise BuildError(f"core table 'listings' failed validation:\n{e}") from e


def issues_of(frame: pd.DataFrame) -> list[Issue]:
    """The data-quality table's rows back as issues (missing values as None)."""
    out = []
    for rec in frame.astype(object).to_dict("records"):
        rec = {k: (None if pd.isna(v) else v) for k, v in rec.items()}
        rec["row"] = None if rec["row"] is None else int(rec["row"])
        out.append(Issue(**rec))
    return out


def append_tables(
    sources: list[Source],
    raw_dir: Path,
    corrections_path: Path | None,
    cache: ParseCache,
    base: Path,
    parts: dict,
) -> dict[str, pd.DataFrame]:
    """The core tables of ``sources`` (not yet validated) from the tables in ``base`` (those of
    every source but the last) and the last source's rows; NoAppend if that cannot give what a
    full build gives. ``parts`` gets the data-quality parts of the result."""
    info = held_info(base)
    new = new_source(sources, info)
    before = sources[:-1]
    if info.get("fingerprint") != fingerprint(before, raw_dir, _corrections(corrections_path)):
        raise NoAppend("the tables in place are not those of the other sources as they are now")

    # the new list alone: checked, parsed and enriched as a full build does it
    data, problem = read_checked(new, raw_dir)
    refuse([problem] if problem else [])
    corrections = load_corrections(corrections_path)
    known_regions = load_regions(cache)
    file_of = file_names(sources)
    parsed, done, _ = parse_and_enrich(
        (new, raw_dir, data, cache.get(new), corrections, file_of, resolved_regions())
    )
    refuse([parsed[2]] if parsed[2] else [])
    (_head, _n, parse_issues), (rows, enrich_issues) = done
    del data
    wordxml.forget()  # the list's Word body: parsed, not needed again
    if not len(rows):
        raise NoAppend(f"{new.id} has no row with a readable filing number")

    held = {
        name: read_table_file(base / f"{name}.parquet", pd, threads=False)
        for name in ("listings", "filings", "entities", "batches", "data_quality")
    }
    give_back_memory(collect=False)  # the tables read: their parquet buffers freed
    fresh = finish_listings(rows, [], repair=False)
    lst = pd.concat([held["listings"], fresh], ignore_index=True)
    lst = lst.sort_values(["registry", "batch", "source_id", "source_row"], ignore_index=True)
    lst = checked_listings(new, lst, fresh)
    why = repair_problem(held.pop("listings"), held["data_quality"], fresh["entity_key"])
    if why:
        raise NoAppend(why)
    # what is kept for later builds (written only once the tables are in place)
    cache.put(new, parsed)
    cache.put(new, done, enrich_stage(corrections_path))
    keep_regions(cache, known_regions)

    # data quality: the kept parts with the new list's issues spliced in, then the rest again
    old = issues_of(held.pop("data_quality"))
    p = info["issue_parts"]
    issues = [
        *old[: p["cac_parse"]],
        *parse_issues,
        *old[p["cac_parse"] : p["cac_enrich"]],
        *enrich_issues,
    ]
    parts["cac_parse"] = p["cac_parse"] + len(parse_issues)
    parts["cac_enrich"] = len(issues)
    issues += old[p["cac_enrich"] : p["listings"]]
    parts["listings"] = len(issues)
    issues += old[p["listings"] : p["repairs"]]
    parts["repairs"] = len(issues)

    # the filings of the numbers the new list names made again, the others kept
    touched = fresh[["registry", "filing_key"]].drop_duplicates()
    filings = appended_filings(lst, touched, held["filings"])
    issues += filing_issues(lst, filings)
    cancel_issues: list[Issue] = []
    cancel_rows, cancel_files = parse_cancellations(sources, raw_dir, cancel_issues)
    files = {**file_of, **cancel_files}  # as the full build: data-quality rows name the file
    issues.extend(cancel_issues)
    cancels, filings = cancellations.join_cancellations(cancel_rows, filings, issues, files)
    issues.extend(cancellations.relisted(lst, cancels, files))
    meta = held.pop("batches")[
        ["registry", "batch", "source_id", "title", "announcement_url", "announcement_date"]
    ]
    meta = pd.concat([meta, pd.DataFrame([batch_meta(new)])], ignore_index=True)
    give_back_memory(collect=False)  # the filings' transient copies (sorts, joins)
    batches = make_batches(lst, filings, meta)

    name = classifier_version()
    memo = cache.get_named(name) or {}
    size = sum(map(len, memo.values()))
    labels, overrides = enrich.cached_hand_labels(cache), enrich.overrides()
    before = held.pop("filings")
    filings, redone = enrich.appended_enrichment(filings, before, labels, overrides, memo)
    # the filers of a filing made again or enriched again, before and after
    changed = set(filings.loc[redone | among(filings, touched), "entity_key"])
    changed |= set(before.loc[among(before, touched), "entity_key"])
    del before
    if sum(map(len, memo.values())) > size:
        cache.put_named(name, memo)
    else:
        cache.keep_named(name)
    parts["append"] = f"appended {new.id}"
    return {
        "listings": lst,
        "filings": filings,
        "entities": appended_entities(filings, held.pop("entities"), changed),
        "batches": batches,
        "data_quality": to_frame(issues),
        "cancellations": cancels,
    }


def among(df: pd.DataFrame, keys: pd.DataFrame) -> pd.Series:
    """Per row of ``df``: is its (registry, filing_key) one of ``keys``'?"""
    hit = pd.Series(False, index=df.index)
    for reg, k in keys.groupby("registry")["filing_key"]:
        hit |= df["registry"].eq(reg) & text_isin(df["filing_key"], k)
    return hit


def appended_filings(lst: pd.DataFrame, touched: pd.DataFrame, held: pd.DataFrame) -> pd.DataFrame:
    """The filings table (before the cancellations join and the enrichment) of the listings
    ``lst``, made only for the ``touched`` filings (those the new list names): a filing's row
    is made from its own listings alone (registry/assemble.py make_filings: its first listing,
    its batches and counts), so every other filing's is the one ``held`` (the filings in place)
    has. Sorted as make_filings sorts (registry, first batch, number: a unique key)."""
    new = make_filings(lst[among(lst, touched)], [])  # its data-quality rows: filing_issues
    kept = held.loc[~among(held, touched), list(new.columns)]
    out = pd.concat([kept, new], ignore_index=True)
    return out.sort_values(["registry", "first_batch", "filing_key"], ignore_index=True)


def appended_entities(filings: pd.DataFrame, held: pd.DataFrame, changed: set) -> pd.DataFrame:
    """The filers table (enriched) of ``filings``, made again only for the ``changed`` filers
    (those with a filing made or enriched again, before or after): a filer's row reads only its
    own filings (registry/assemble.py make_entities, registry/enrich.py enrich_entities), so
    every other filer's is the one ``held`` (the filers in place) has. Sorted as make_entities
    sorts: by filer key (its grouping), then by filings, most first (the same sort of the same
    rows: ties come out in the same order)."""
    mine = filings[text_isin(filings["entity_key"], changed)]
    new = enrich.enrich_entities(make_entities(mine), mine)
    kept = held[~text_isin(held["entity_key"], changed)]
    out = pd.concat([kept, new[list(kept.columns)]], ignore_index=True)
    out = out.sort_values("entity_key", ignore_index=True)
    return out.sort_values("n_filings", ascending=False, ignore_index=True)


def _corrections(path: Path | None) -> Path:
    from .. import paths

    return Path(path or paths.DATA / "curated" / "corrections.csv")
