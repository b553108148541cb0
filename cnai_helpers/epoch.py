"""Loaders of Epoch AI's tables (models, hardware), read from the pulled raw files."""

from __future__ import annotations

import pandas as pd

from . import paths
from .manifest import load_manifest
from .pull import is_verified


def _raw(source_id: str):
    src = next((s for s in load_manifest() if s.id == source_id), None)
    if src is None:
        raise KeyError(f"source {source_id!r} is not in data/sources.yaml")
    if not is_verified(src, paths.RAW):
        raise FileNotFoundError(f"[{source_id}] not pulled or changed: run `cnai data pull`")
    return src.raw_path(paths.RAW)


# what each Epoch table a report reads is, for people, and the column that dates its rows: the
# pages' "Data as of" line says how far the copy used reaches (reports.currency)
DATED = {
    "epoch_notable_ai_models": {
        "name": "Data on AI Models (notable models)",
        "column": "Publication date",
        "format": None,  # ISO dates
        "reach": "models published to",
    },
    "epoch_ml_hardware_with_availability": {
        "name": "Data on Machine Learning Hardware (with availability in China)",
        "column": "Last modified",
        "format": "%m/%d/%Y %I:%M %p",  # "10/21/2024 9:51 PM"
        "reach": "rows last updated",
    },
}


def latest_date(source_id: str) -> str:
    """The latest date in the column that dates a table's rows (:data:`DATED`), as YYYY-MM-DD;
    "" when the table is not pulled or no row has a date."""
    column, fmt = DATED[source_id]["column"], DATED[source_id]["format"]
    try:
        dates = pd.read_csv(_raw(source_id), usecols=[column])[column]
    except (FileNotFoundError, KeyError, ValueError):
        return ""
    latest = pd.to_datetime(dates, format=fmt, errors="coerce").max()
    return "" if pd.isna(latest) else latest.strftime("%Y-%m-%d")


def country_group(countries: str | float) -> str:
    """Epoch's comma-joined 'Country (of organization)' -> China / United States / Other /
    Multinational (both China and another country) / Unknown."""
    if not isinstance(countries, str) or not countries.strip():
        return "Unknown"
    cs = {c.strip() for c in countries.split(",") if c.strip()}
    china = "China" in cs
    us = "United States of America" in cs
    if china and len(cs) > 1:
        return "Multinational"
    if china:
        return "China"
    if us:
        return "United States"
    return "Other"


def load_notable_models() -> pd.DataFrame:
    """Epoch 'notable AI models' (to 2025-11) with parsed dates, compute and a country group."""
    df = pd.read_csv(_raw("epoch_notable_ai_models"))
    df["publication_date"] = pd.to_datetime(df["Publication date"], errors="coerce")
    df["year"] = df["publication_date"].dt.year
    df["training_flop"] = pd.to_numeric(df["Training compute (FLOP)"], errors="coerce")
    df["country_group"] = df["Country (of organization)"].map(country_group)
    return df


def load_hardware() -> pd.DataFrame:
    """Epoch ML hardware table with 'Available in China' (Y/N)."""
    df = pd.read_csv(_raw("epoch_ml_hardware_with_availability"))
    df["tensor_fp16_tflops"] = (
        pd.to_numeric(df["Tensor-FP16 performance (FLOP/s)"], errors="coerce") / 1e12
    )
    df["fp16_tflops"] = (
        pd.to_numeric(df["FP16 (half precision) performance (FLOP/s)"], errors="coerce") / 1e12
    )
    df["tdp_w"] = pd.to_numeric(df["TDP (W)"], errors="coerce")
    return df
