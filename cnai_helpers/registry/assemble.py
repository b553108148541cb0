"""Assemble the core tables from the parsed rows: listings (names keyed, provinces named),
unique filings per registry, entities, batches and the cancellations join; filings and
entities enriched with organisation type and sector (registry/enrich.py)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from ..metadata import columns
from . import REGISTRIES, cancellations, enrich
from .geography import province_names
from .numbers import name_key
from .quality import Issue, to_frame

LISTING_COLUMNS = columns("listings")  # declared in cnai_helpers/tables.yaml


def text_isin(s: pd.Series, values) -> pd.Series:
    """``s.isin(values)`` for a text column: the same answer without pandas' conversion of each
    value to a pyarrow scalar in Python (pandas 3's pyarrow strings: ~10 µs a value, 0.04 s for
    the filing numbers of the registry), by pyarrow's ``is_in`` over the values at once."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not isinstance(s.dtype, pd.StringDtype) or s.dtype.storage != "pyarrow":
        return s.isin(values)
    arr = pa.array(s)
    values = list(values)
    wanted = pa.array([v for v in values if isinstance(v, str)], type=arr.type)
    hit = pc.is_in(arr, value_set=wanted).to_numpy(zero_copy_only=False)
    if any(v is None or (isinstance(v, float) and v != v) for v in values):
        hit = hit | s.isna().to_numpy()  # pandas: a missing value among them matches one
    return pd.Series(hit, index=s.index, dtype=bool)


def finish_listings(lst: pd.DataFrame, issues: list[Issue], repair: bool = True) -> pd.DataFrame:
    """Listing rows keyed, provinces named, typed and sorted. ``repair``: the stray-character
    repair of filer names, which reads every listing's counts (off for the rows of one list
    appended to a registry: registry/append.py checks that they need none)."""
    for c in LISTING_COLUMNS:
        if c not in lst.columns:
            lst[c] = None
    lst["filing_key"] = lst["filing_number"].map(name_key)
    lst["entity_key"] = lst["entity_name"].map(name_key)
    # a stray leading character on a company name: the key minus its first character is a
    # known entity that files elsewhere -> use that entity
    counts = lst["entity_key"].value_counts()
    known = set(counts.index)
    for key in counts[counts <= 2].index if repair else ():
        if len(key) > 6 and key[1:] in known and counts[key[1:]] >= 1:
            mask = lst["entity_key"] == key
            for r in lst[mask].itertuples():
                issues.append(
                    row_issue(
                        r,
                        "repaired",
                        f"entity name {r.entity_name!r} has a stray "
                        f"leading character; matched to {key[1:]!r}",
                    )
                )
            lst.loc[mask, "entity_key"] = key[1:]
            lst.loc[mask, "entity_name"] = lst.loc[mask, "entity_name"].str[1:]
    names = province_names()
    lst["province_zh"] = lst["province_code"].map(lambda c: names.get(c, {}).get("zh"))
    lst["province_en"] = lst["province_code"].map(lambda c: names.get(c, {}).get("en"))
    lst["filing_year"] = pd.array(lst["filing_year"], dtype="Int64")
    lst["source_row"] = lst["source_row"].astype(int)
    lst["lon"] = lst["lon"].astype(float)
    lst["lat"] = lst["lat"].astype(float)
    for c in LISTING_COLUMNS:
        if c not in ("source_row", "filing_year", "lon", "lat"):
            lst[c] = lst[c].astype("str")
    return lst[LISTING_COLUMNS].sort_values(
        ["registry", "batch", "source_id", "source_row"], ignore_index=True
    )


def row_issue(r, action: str, reason: str, batch: str | None = None) -> Issue:
    """A data-quality record for one listing row (a namedtuple from ``itertuples``)."""
    return Issue(
        r.source_id,
        r.source_id,
        r.source_row,
        r.registry,
        batch or r.batch,
        action,
        reason,
        r.filing_number,
    )


FILING_SORT = ["registry", "filing_key", "batch", "source_row"]  # make_filings' listing order


def make_filings(lst: pd.DataFrame, issues: list[Issue]) -> pd.DataFrame:
    """One row per filing (registry, number) from its first listing, with its batches and
    counts; its data-quality rows (:func:`filing_issues`) added to ``issues``."""
    ordered = lst.sort_values(FILING_SORT)
    keys = ["registry", "filing_key"]
    grp = ordered.groupby(keys, sort=False)
    batches = _joined(ordered, keys, "batch")
    sizes = grp.size()
    first = ordered.drop_duplicates(keys, keep="first").set_index(keys)
    del ordered, grp  # the sorted copy of the listings: freed before the filings are sorted
    first = first.rename(columns={"batch": "first_batch"})
    first["batches"] = batches
    first["n_batches"] = batches.str.count(";") + 1
    first["n_listings"] = sizes
    filings = first.reset_index().sort_values(
        ["registry", "first_batch", "filing_key"], ignore_index=True
    )
    issues += filing_issues(lst, filings)
    return filings


def filing_issues(lst: pd.DataFrame, filings: pd.DataFrame) -> list[Issue]:
    """The filings' data-quality rows, from the whole listings and filings tables (made here
    once for :func:`make_filings` and for an append, registry/append.py, which makes only its
    new list's filings): a filing number listed twice in a batch (each row after the first, in
    listing order), then every filing listed in more than one batch (by registry and number)."""
    keys3 = ["registry", "filing_key", "batch"]
    twice = lst[lst.duplicated(keys3, keep=False)].sort_values(FILING_SORT)
    out = [
        row_issue(r, "flagged", "filing number listed twice in the same batch; counted once")
        for r in twice[twice.duplicated(keys3, keep="first")].itertuples()
    ]
    many = filings[filings["n_batches"] > 1].sort_values(["registry", "filing_key"])
    out += [
        row_issue(
            r,
            "flagged",
            f"filing listed in {r.n_batches} batches ({r.batches}); "
            "counted once, in its first batch",
            batch=r.first_batch,
        )
        for r in many.itertuples()
    ]
    return out


def _joined(df: pd.DataFrame, keys: list[str], col: str) -> pd.Series:
    """Per ``keys``: the distinct values of ``col``, sorted, joined with ';' (vectorised: most
    keys have one value, joined without a Python call per group)."""
    u = df[[*keys, col]].drop_duplicates().sort_values([*keys, col])
    many = u.duplicated(keys, keep=False)
    one = u[~many].set_index(keys)[col]
    joined = u[many].groupby(keys, sort=False)[col].agg(";".join)
    return pd.concat([one, joined]).astype("str")  # the type groupby().agg() infers


def _mode(df: pd.DataFrame, key: str, col: str) -> pd.Series:
    """Most frequent value of ``col`` per ``key`` (ties: the first in sort order), vectorised."""
    c = df.groupby([key, col], dropna=False).size().rename("n").reset_index()
    c = c.sort_values([key, "n", col], ascending=[True, False, True], kind="stable")
    return c.drop_duplicates(key).set_index(key)[col]


def make_entities(filings: pd.DataFrame) -> pd.DataFrame:
    f = filings
    # filings per filer and registry (crosstab's table, ~10x cheaper)
    counts = f.groupby(["entity_key", "registry"]).size().unstack(fill_value=0)
    counts.columns.name = "registry"
    for reg in REGISTRIES:
        if reg not in counts.columns:
            counts[reg] = 0
    counts = counts[list(REGISTRIES)].add_prefix("n_")
    name = _mode(f, "entity_key", "entity_name")
    prov = _mode(f, "entity_key", "province_code")
    nprov = f.groupby("entity_key")["province_code"].nunique()
    # the earliest first batch per filer (a sort, not groupby().min(): that one loops in
    # Python over string columns)
    by_first = f[["entity_key", "first_batch"]].sort_values(["entity_key", "first_batch"])
    first = by_first.drop_duplicates("entity_key").set_index("entity_key")["first_batch"]
    first = first.astype("str")  # the type groupby().min() infers
    out = pd.DataFrame(
        {"entity_name": name, "province_code": prov, "n_provinces": nprov, "first_batch": first}
    ).join(counts)
    out["n_filings"] = counts.sum(axis=1)
    names = province_names()
    out["province_en"] = out["province_code"].map(lambda c: names.get(c, {}).get("en"))
    return out.reset_index().sort_values("n_filings", ascending=False, ignore_index=True)


def make_batches(lst: pd.DataFrame, filings: pd.DataFrame, meta: pd.DataFrame) -> pd.DataFrame:
    rows = lst.groupby(["registry", "batch"]).size().rename("rows")
    new = filings.groupby(["registry", "first_batch"]).size()
    new.index = new.index.set_names(["registry", "batch"])
    b = meta.drop_duplicates(["registry", "batch"]).set_index(["registry", "batch"])
    b = b.join(rows, how="outer").join(new.rename("new_filings"), how="outer")
    b[["rows", "new_filings"]] = b[["rows", "new_filings"]].fillna(0).astype(int)
    b = b.reset_index().sort_values(["registry", "batch"], ignore_index=True)
    b["cumulative_filings"] = b.groupby("registry")["new_filings"].cumsum().astype(int)
    return b


def assemble_tables(
    listings: pd.DataFrame,
    batch_meta: pd.DataFrame,
    issues: list[Issue],
    cancel_rows: pd.DataFrame,
    cancel_files: dict[str, str],
    cancel_issues: Sequence[Issue] = (),
    memo: dict | None = None,
    parts: dict | None = None,
    labels: pd.DataFrame | None = None,
) -> dict[str, pd.DataFrame]:
    """The core tables (not yet validated) from the parsed rows. The data-quality table lists
    ``issues`` (the listings' parse issues), those found assembling listings and filings, then
    ``cancel_issues`` (the notices' parse issues) and those of the cancellations join.
    ``memo``: the who-files rules' calls kept across builds (registry/enrich.py). ``parts``
    gets ``repairs``: where the stray-character repairs end in the data-quality table (an
    append, registry/append.py, splices its new rows' issues in by these counts)."""
    lst = finish_listings(listings, issues)
    if parts is not None:
        parts["repairs"] = len(issues)
    filings = make_filings(lst, issues)
    issues.extend(cancel_issues)
    cancels, filings = cancellations.join_cancellations(cancel_rows, filings, issues, cancel_files)
    issues.extend(cancellations.relisted(lst, cancels, cancel_files))
    tables = {
        "listings": lst,
        "filings": filings,
        "entities": make_entities(filings),
        "batches": make_batches(lst, filings, batch_meta),
        "data_quality": to_frame(issues),
        "cancellations": cancels,
    }
    # org type and sector of filings and filers (``labels``: the hand labels, if already read)
    enrich.enrich_tables(tables, memo=memo, labels=labels)
    return tables
