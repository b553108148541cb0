"""Loaders: the only way notebooks read data. Reading never writes: when the raw files, the
parser code or the corrections table changed since the core tables were built, a loader raises
StaleRegistryError ("registry is stale: run `cnai registry build`"); the command line and the
make targets build them.

pandas is imported inside the functions that need it: the site definition's fan-out values
(``provinces_with_min_filings``) are read on every `cnai reports build`, which must stay fast.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from . import reference
from .registry import REGISTRIES, TABLES
from .registry.cancellations import ALGO_REGISTRIES  # re-exported for the reports layer
from .registry.fingerprint import StaleRegistryError, check_snapshot, require_registry

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ALGO_REGISTRIES", "StaleRegistryError", "load_table", "provinces_with_min_filings"]


def load_table(
    name: str, processed: Path | None = None, columns: list[str] | None = None
) -> pd.DataFrame:
    """A core table (see ``TABLES``) from the built registry (only ``columns``, if given);
    StaleRegistryError if the tables are missing or stale."""
    import pandas as pd

    if name not in TABLES:
        raise ValueError(f"unknown table {name!r}; choose from {TABLES}")
    folder = require_registry(processed)
    df = read_table_file(folder / f"{name}.parquet", pd, columns)
    check_snapshot(folder)  # not swapped for another build while it was read
    return df


def read_table_file(
    path: Path, pd, columns: list[str] | None = None, threads: bool = True
) -> pd.DataFrame:
    """A core table's parquet file; a damaged one (truncated, not parquet) is a clean error.
    ``threads=False``: read on one thread (half the CPU time for these small tables)."""
    try:
        return pd.read_parquet(path, columns=columns, use_threads=threads)
    except FileNotFoundError as e:
        raise StaleRegistryError(
            f"registry table {path.name} is missing: run `cnai registry build --force`"
        ) from e
    except (OSError, ValueError) as e:  # pyarrow.ArrowInvalid is a ValueError
        raise StaleRegistryError(
            f"registry table {path} cannot be read ({type(e).__name__}: {str(e)[:120]}); "
            "run `cnai registry build` to rebuild it"
        ) from e


def _check_registry(registry: str | None) -> None:
    if registry is not None and registry not in REGISTRIES:
        raise ValueError(f"unknown registry {registry!r}; choose from {REGISTRIES}")


def _batch_filter(
    df: pd.DataFrame, col: str, batch_from: str | None, batch_to: str | None
) -> pd.DataFrame:
    if batch_from:
        df = df[df[col] >= batch_from]
    if batch_to:
        df = df[df[col] <= batch_to]
    return df


def load_filings(
    registry: str | None = None, batch_from: str | None = None, batch_to: str | None = None
) -> pd.DataFrame:
    """One row per unique filing per registry, with the batch it first appeared in
    (``first_batch``) and all batches it appears in (``batches``)."""
    _check_registry(registry)
    df = load_table("filings")
    if registry:
        df = df[df["registry"] == registry]
    return _batch_filter(df, "first_batch", batch_from, batch_to).reset_index(drop=True)


def load_listings(
    registry: str | None = None, batch_from: str | None = None, batch_to: str | None = None
) -> pd.DataFrame:
    """Every row of every list, as published (one filing can be listed in several batches)."""
    _check_registry(registry)
    df = load_table("listings")
    if registry:
        df = df[df["registry"] == registry]
    return _batch_filter(df, "batch", batch_from, batch_to).reset_index(drop=True)


def load_entities() -> pd.DataFrame:
    """One row per filer (主体名称 / 备案单位), with filings per registry."""
    return load_table("entities")


def load_batches(
    registry: str | None = None, batch_from: str | None = None, batch_to: str | None = None
) -> pd.DataFrame:
    """One row per published list (batch): rows, new and cumulative unique filings."""
    _check_registry(registry)
    df = load_table("batches")
    df = df[df["registry"] == registry] if registry else df
    return _batch_filter(df, "batch", batch_from, batch_to).reset_index(drop=True)


def load_cancellations(registry: str | None = None) -> pd.DataFrame:
    """One row per cancelled filing number per notice (注销公告): notice date, title and URL, the
    number, the registry it is attributed to, filer and ``cancel_month`` (YYYY-MM). Active
    filings are those of ``load_filings()`` whose ``cancelled_month`` is null."""
    _check_registry(registry)
    df = load_table("cancellations")
    return (df[df["registry"] == registry] if registry else df).reset_index(drop=True)


def load_data_quality(
    registry: str | None = None, batch_from: str | None = None, batch_to: str | None = None
) -> pd.DataFrame:
    """Every row of the raw files that is not a clean listing (rejected, repaired or flagged),
    with file, row and reason. With ``registry``: the rows of that registry's source files that
    concern it (rows with no registry of their own included), in the batches chosen."""
    _check_registry(registry)
    dq = load_table("data_quality")
    if registry is None:
        return dq
    sources = set(load_table("listings").query("registry == @registry")["source_id"])
    batches = set(load_batches(registry, batch_from, batch_to)["batch"])
    keep = (
        dq["source"].isin(sources)
        & (dq["registry"].isna() | (dq["registry"] == registry))
        & dq["batch"].isin(batches)
    )
    return dq[keep].reset_index(drop=True)


def registry_build_info(processed: Path | None = None) -> dict:
    return json.loads((require_registry(processed) / "build_info.json").read_text("utf-8"))


def provinces_with_min_filings(
    registry: str = "deep_synthesis", min_filings: int = 50
) -> list[dict]:
    """One fan-out value (site.yaml ``values_from``) per province with at least ``min_filings``
    unique filings in ``registry``: ``{"value": code, "label": English name}``. Read from the
    counts stored with the build (no pandas: a no-op site build stays fast)."""
    _check_registry(registry)
    counts = registry_build_info()["filings_by_province"].get(registry, {})
    names = {r["province_code"]: r["name_en"] for r in reference.province_rows()}
    return [
        {"value": code, "label": names[code]}
        for code in sorted(counts)
        if code in names and counts[code] >= min_filings
    ]
