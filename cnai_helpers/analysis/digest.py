"""What is new in one batch (one published list) of a registry, against the batches before it.

Inputs are core-table frames (``loaders.load_filings`` / ``load_listings`` / ``load_batches`` /
``load_cancellations``); every function is pure, so the notebook ``batch_digest.ipynb`` only
loads, calls and displays. Definitions:

- **new filing**: a unique filing whose first batch is this one; **known filing**: a filing
  listed in this batch that was already listed in an earlier batch (listed again).
- **new filer** (shown as "new to every registry"): a filer (``entity_key``) of this batch's
  rows listed in no registry before this batch's month; **returning filer**: listed in some
  registry in an earlier month.
- **cumulative**: every unique filing first listed in this batch or before.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import pandas as pd

from ..errors import CnaiError
from ..formatting import month
from ..registry.stats import as_dict, province_counts
from ..results import fmt

ENRICHMENT_COLUMNS = ("sector", "org_type")


class DigestError(CnaiError, ValueError):
    """A batch the registry does not have."""


def resolve_batch(batches: pd.DataFrame, registry: str, batch: str = "") -> str:
    """``batch`` itself when the registry has it; its latest batch when ``batch`` is empty."""
    have = sorted(batches.loc[batches["registry"] == registry, "batch"])
    if not have:
        raise DigestError(f"registry {registry!r} has no batch: run `cnai registry build`")
    if not batch:
        return have[-1]
    if batch not in have:
        raise DigestError(
            f"batch={batch!r}: registry {registry!r} has no list for that month; "
            f"choose one of {', '.join(have)}"
        )
    return batch


def previous_batch(batches: pd.DataFrame, batch: str) -> str | None:
    earlier = sorted(b for b in batches["batch"] if b < batch)
    return earlier[-1] if earlier else None


def batch_figures(
    listings: pd.DataFrame, filings: pd.DataFrame, batches: pd.DataFrame, batch: str
) -> dict:
    """Rows, new and known filings, rank of the batch by new filings among the batches up to it
    (1 = largest; ties share the better rank) and the cumulative total, for one registry."""
    rows = listings[listings["batch"] == batch]
    first = filings.set_index("filing_key")["first_batch"]
    listed_first = rows["filing_key"].map(first)
    upto = filings[filings["first_batch"] <= batch]
    sizes = upto.groupby("first_batch").size()
    sizes = sizes.reindex(sorted(b for b in batches["batch"] if b <= batch), fill_value=0)
    new = int(sizes.get(batch, 0))
    return {
        "rows": int(len(rows)),
        "new_filings": new,
        "known_filings": int(rows.loc[listed_first < batch, "filing_key"].nunique()),
        "cumulative_filings": int(len(upto)),
        "batch_rank": int((sizes > new).sum()) + 1,
        "batches_to_date": int(len(sizes)),
        "previous_batch": previous_batch(batches, batch),
    }


def listed_again(listings: pd.DataFrame, filings: pd.DataFrame, batch: str) -> pd.DataFrame:
    """The rows of this batch whose filing was listed in an earlier batch, with the batch it was
    first listed in and the 备注 (remarks: product or name updates) published with it."""
    first = filings.set_index("filing_key")["first_batch"]
    rows = listings[listings["batch"] == batch].copy()
    rows["first_batch"] = rows["filing_key"].map(first)
    rows = rows[rows["first_batch"] < batch]
    cols = ["filing_number", "algorithm_name", "entity_name", "first_batch", "remarks"]
    out = rows.reindex(columns=cols)
    return out.fillna("").reset_index(drop=True)


def remarks_of_batch(listings: pd.DataFrame, batch: str) -> pd.DataFrame:
    """Rows of this batch with a non-empty 备注 (what the CAC says changed)."""
    rows = listings[(listings["batch"] == batch) & listings["remarks"].fillna("").ne("")]
    cols = ["filing_number", "algorithm_name", "entity_name", "remarks"]
    return rows.reindex(columns=cols).fillna("").reset_index(drop=True)


def entity_first_month(all_listings: pd.DataFrame) -> pd.Series:
    """First month (batch) each filer appears in any registry, indexed by ``entity_key``."""
    return all_listings.groupby("entity_key")["batch"].min()


def filer_split(batch_rows: pd.DataFrame, first_month: pd.Series, batch: str) -> dict[str, int]:
    """Distinct filers of this batch's rows: new (first listed in any registry this month or
    later) and returning (listed in some registry before this month)."""
    keys = pd.Series(batch_rows["entity_key"].dropna().unique())
    seen = keys.map(first_month)
    returning = int((seen < batch).sum())
    return {"new_entities": int(len(keys)) - returning, "returning_entities": returning}


def largest_filers(
    batch_rows: pd.DataFrame, first_month: pd.Series, batch: str, n: int = 10
) -> pd.DataFrame:
    """The filers with the most rows in this batch, new or returning, with their first month."""
    g = batch_rows.groupby("entity_key", dropna=True).agg(
        filer=("entity_name", "first"),
        province=("province_en", "first"),
        rows=("filing_key", "size"),
    )
    g["first listed (any registry)"] = g.index.map(first_month)
    g["filer status"] = (g["first listed (any registry)"] < batch).map(
        {True: "returning", False: "new to every registry"}
    )
    g = g.sort_values(["rows", "filer"], ascending=[False, True]).head(n)
    return g.reset_index(drop=True).fillna("unknown")


def place_table(
    new: pd.DataFrame, cumulative: pd.DataFrame, code: str, name: str, n: int = 10
) -> pd.DataFrame:
    """Top ``n`` places (by ``code``, labelled by ``name``) of the new filings: filings, share
    of the batch's new filings and share of all filings to date. Missing places are 'unknown'."""
    key_new = new[code].fillna("unknown")
    key_cum = cumulative[code].fillna("unknown")
    names = pd.concat([cumulative[[code, name]], new[[code, name]]]).dropna()
    label = names.drop_duplicates(code).set_index(code)[name]
    counts = key_new.value_counts()
    cum_share = key_cum.value_counts(normalize=True)
    out = pd.DataFrame(
        {
            "code": counts.index,
            "new filings": counts.to_numpy(),
            "share of batch": (counts / max(len(new), 1)).to_numpy(),
            "share cumulative": counts.index.map(cum_share).fillna(0.0).to_numpy(),
        }
    )
    out.insert(1, "place", out["code"].map(label).fillna(out["code"]))
    out = out.sort_values(["new filings", "code"], ascending=[False, True]).head(n)
    return out.reset_index(drop=True)


def biggest_gain(places: pd.DataFrame, min_gain: float = 0.05) -> dict | None:
    """The place of :func:`place_table` whose share of the batch's new filings exceeds its share
    of all filings to date by the most, when by at least ``min_gain`` (5 percentage points: a
    smaller gain is a list's ordinary variation); None when no place gains that much. The
    "unknown" place is never named."""
    known = places[places["code"] != "unknown"]
    if known.empty:
        return None
    gain = known["share of batch"] - known["share cumulative"]
    best = known.loc[gain.idxmax()]
    if float(gain.max()) < min_gain:
        return None
    return {
        "place": str(best["place"]),
        "share_batch": float(best["share of batch"]),
        "share_cumulative": float(best["share cumulative"]),
    }


def first_places(filings: pd.DataFrame, batch: str, code: str, name: str) -> pd.DataFrame:
    """Places (``code``) with filings new in this batch and none in any earlier batch of the
    registry: the first filings from a province or city."""
    new = filings[filings["first_batch"] == batch]
    before = set(filings.loc[filings["first_batch"] < batch, code].dropna())
    fresh = new[new[code].notna() & ~new[code].isin(before)]
    out = fresh.groupby(code).agg(place=(name, "first"), filings=(code, "size")).reset_index()
    return out.sort_values(["filings", code], ascending=[False, True]).reset_index(drop=True)


def share_in(f: pd.DataFrame, column: str, values: Sequence[str]) -> float | None:
    """Share of rows whose ``column`` is in ``values``; None for no rows or a column that is
    mostly empty (the generative-AI lists have provinces, not cities)."""
    if not len(f) or f[column].notna().mean() <= 0.5:
        return None
    return float(f[column].isin(list(values)).mean())


def top_k_share(f: pd.DataFrame, k: int = 5) -> float | None:
    """Share of the filings held by the ``k`` provinces with most of them (of all filings,
    unknown province included in the denominator)."""
    if not len(f):
        return None
    c = province_counts(f).drop("unknown", errors="ignore")
    return float(c.sort_values(ascending=False).head(k).sum() / len(f))


def province_dict(new: pd.DataFrame) -> dict[str, int]:
    """New filings per province code, keyed like ``cnai registry stats`` (``by_province``)."""
    return as_dict(province_counts(new))


def enrichment_available(filings: pd.DataFrame, column: str) -> bool:
    return column in filings.columns and filings[column].notna().any()


def mix_table(new: pd.DataFrame, cumulative: pd.DataFrame, column: str) -> pd.DataFrame | None:
    """New filings by ``column`` (sector, org_type) against the cumulative mix; None when the
    core tables have no such enrichment column."""
    if not enrichment_available(cumulative, column):
        return None
    nb = new[column].fillna("unknown").value_counts()
    cum = cumulative[column].fillna("unknown").value_counts(normalize=True)
    out = pd.DataFrame(
        {
            column: nb.index,
            "new filings": nb.to_numpy(),
            "share of batch": (nb / max(len(new), 1)).to_numpy(),
        }
    )
    out["share cumulative"] = out[column].map(cum).fillna(0.0)
    out = out.sort_values(["new filings", column], ascending=[False, True])
    return unknown_last(out, column)


# values of an enrichment column that say the class is not known: the rules found no signal
# (unclassified) or a hand label could not tell (unknown)
UNKNOWN_VALUES = ("unclassified", "unknown")


def unknown_last(mix: pd.DataFrame, column: str, top: int | None = None) -> pd.DataFrame:
    """A mix table (one row per value of ``column``, largest first) with the rows of an unknown
    class after the known ones, so that it leads with what is known (a batch's sector table led
    with "Unclassified 47.9%"); ``top``: keep the ``top`` largest known rows, and the unknown
    rows still, last."""
    unknown = mix[column].isin(UNKNOWN_VALUES)
    known = mix[~unknown]
    if top is not None:
        known = known.head(top)
    return pd.concat([known, mix[unknown]]).reset_index(drop=True)


def known_share(values: pd.Series) -> float:
    """Share of the values (one per filing) whose class is known (not unclassified, unknown or
    missing): the coverage a mix table states ("sector known for 61% of filings")."""
    if not len(values):
        return float("nan")
    return float((values.notna() & ~values.isin(UNKNOWN_VALUES)).mean())


def batch_ref(batches: pd.DataFrame, batch: str | None) -> str | None:
    """The date a batch was announced (YYYY-MM-DD) where known, else its month."""
    if batch is None:
        return None
    d = batches.loc[batches["batch"] == batch, "announcement_date"].dropna().astype(str)
    full = [x for x in d if len(x) == 10]
    return full[0] if full else batch


def _end(ref: str) -> str:
    """A date or month as a comparable upper bound: a month covers its whole month."""
    return ref if len(ref) > 7 else f"{ref}-31"


def cancellations_between(cancels: pd.DataFrame, after: str | None, upto: str) -> pd.DataFrame:
    """Cancellation rows whose notice date is after ``after`` and not after ``upto`` (each a
    date YYYY-MM-DD, or a month YYYY-MM meaning its last day; ``after`` None: no lower bound)."""
    d = cancels["notice_date"].astype(str)
    keep = d <= _end(upto)
    if after:
        keep &= d > _end(after)
    return cancels[keep].reset_index(drop=True)


def quality_disagreements(dq: pd.DataFrame, batch: str) -> pd.DataFrame:
    """Data-quality rows of this batch where the number's province and 属地 disagree."""
    hit = (dq["batch"] == batch) & dq["reason"].fillna("").str.contains("属地", regex=False)
    cols = ["file", "row", "filing_number", "reason"]
    return dq.loc[hit].reindex(columns=cols).astype(object).fillna("").reset_index(drop=True)


CORRECTION_RE = r"\(corrections\.csv: "
ACTION_LABELS = {
    "repaired": "Repaired",
    "flagged": "Flagged",
    "rejected": "Rejected",
    "note": "Note",
}


def list_label(registry: object, batch: object) -> str:
    """The published list a data-quality row comes from, for people: "Deep synthesis list of
    2024-04" (the row's batch; rows rejected before a registry was known: "Generative-AI list")."""
    from ..reference import registry_label

    reg = registry if isinstance(registry, str) and registry else ""
    name = registry_label(reg).split(" (")[0] if reg else "Generative-AI"
    when = f" of {batch}" if isinstance(batch, str) and batch else ""
    return f"{name} list{when}"


def reason_text(reason: object) -> str:
    """A data-quality reason for people: arrows as arrows, the project's corrections table named
    as what it is rather than by its file name."""
    text = reason if isinstance(reason, str) else ""
    text = text.replace(" -> ", " → ")
    return re.sub(CORRECTION_RE, "(project correction: ", text)


def quality_table(dq: pd.DataFrame) -> pd.DataFrame:
    """The data-quality rows as a reader sees them: the list (registry and month), the row of the
    published file, what was done, why, and the filing number (the CSV of the core table keeps
    the source ids)."""
    out = pd.DataFrame(
        {
            "list": [list_label(r, b) for r, b in zip(dq["registry"], dq["batch"], strict=True)],
            "row": dq["row"].to_numpy(),
            "action": dq["action"].map(lambda a: ACTION_LABELS.get(a, a)).to_numpy(),
            "reason": dq["reason"].map(reason_text).to_numpy(),
            "filing number": dq["filing_number"].to_numpy(),
        }
    )
    return out.reset_index(drop=True)


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def summary_text(fig: dict, label: str, top_place: dict | None = None) -> str:
    """One paragraph from the recorded figures: size and rank, known filings, filers, the top
    province's share against its cumulative share, hub shares."""
    rank = fig["batch_rank"]
    size = "the largest batch" if rank == 1 else f"the {ordinal(rank)}-largest batch"
    parts = [
        f"{fmt(fig['new_filings'], 'count')} new {label} filings in the {month(fig['batch'])} list, "
        f"{size} of {fig['batches_to_date']} (cumulative total "
        f"{fmt(fig['cumulative_filings'], 'count')})"
    ]
    if fig["known_filings"]:
        parts.append(f"{fmt(fig['known_filings'], 'count')} filings listed again")
    parts.append(
        f"{fmt(fig['new_entities'], 'count')} filers new to every registry and "
        f"{fmt(fig['returning_entities'], 'count')} returning ones"
    )
    if top_place:
        parts.append(
            f"{top_place['place']}'s share of new filings {fmt(top_place['share of batch'], 'share')}"
            f" against {fmt(top_place['share cumulative'], 'share')} cumulative"
        )
    if fig.get("share_hub_cities_batch") is not None:
        parts.append(
            f"the four hub cities hold {fmt(fig['share_hub_cities_batch'], 'share')} of new "
            f"filings against {fmt(fig['share_hub_cities_cumulative'], 'share')} cumulative"
        )
    if fig.get("share_top5_provinces_batch") is not None:
        parts.append(
            f"the batch's top five provinces hold {fmt(fig['share_top5_provinces_batch'], 'share')}"
        )
    return "; ".join(parts) + "."


def for_people(
    df: pd.DataFrame, shares: Sequence[str] = (), counts: Sequence[str] = ()
) -> pd.DataFrame:
    """A copy with shares as percents, counts with thousands separators and no NaN."""
    out = df.copy()
    for c in shares:
        out[c] = out[c].map(lambda v: fmt(None if pd.isna(v) else float(v), "share"))
    for c in counts:
        out[c] = out[c].map(lambda v: fmt(None if pd.isna(v) else int(v), "count"))
    return out.astype(object).where(out.notna(), "")
