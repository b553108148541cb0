"""Schemas of the core tables, declared once and checked with pandera on every build."""

from __future__ import annotations

import pandera.pandas as pa

from . import REGISTRIES

BATCH = r"^\d{4}-\d{2}$"
PROVINCE = r"^(\d{2}|central_soe|unknown)$"

listings = pa.DataFrameSchema(
    {
        "registry": pa.Column(str, pa.Check.isin(REGISTRIES)),
        "batch": pa.Column(str, pa.Check.str_matches(BATCH)),
        "source_id": pa.Column(str),
        "source_row": pa.Column(int, pa.Check.ge(1)),
        "filing_number": pa.Column(str, pa.Check.str_length(min_value=5)),
        "filing_key": pa.Column(str),
        "algorithm_name": pa.Column(str),
        "entity_name": pa.Column(str, pa.Check.str_length(min_value=1)),
        "entity_key": pa.Column(str),
        "province_code": pa.Column(str, pa.Check.str_matches(PROVINCE)),
        "region_code": pa.Column(str, pa.Check.str_matches(r"^\d{6}$"), nullable=True),
        "filing_year": pa.Column("Int64", pa.Check.in_range(2018, 2040), nullable=True),
        "lon": pa.Column(float, pa.Check.in_range(70, 140), nullable=True),
        "lat": pa.Column(float, pa.Check.in_range(15, 55), nullable=True),
    },
    unique=["registry", "batch", "source_id", "source_row"],
    strict=False,
)

filings = pa.DataFrameSchema(
    {
        "registry": pa.Column(str, pa.Check.isin(REGISTRIES)),
        "filing_key": pa.Column(str),
        "first_batch": pa.Column(str, pa.Check.str_matches(BATCH)),
        "n_batches": pa.Column(int, pa.Check.ge(1)),
        "province_code": pa.Column(str, pa.Check.str_matches(PROVINCE)),
        "cancelled_month": pa.Column(str, pa.Check.str_matches(BATCH), nullable=True),
    },
    unique=["registry", "filing_key"],
    strict=False,
)

entities = pa.DataFrameSchema(
    {
        "entity_key": pa.Column(str, unique=True),
        "entity_name": pa.Column(str),
        "n_filings": pa.Column(int, pa.Check.ge(1)),
    },
    strict=False,
)

batches = pa.DataFrameSchema(
    {
        "registry": pa.Column(str, pa.Check.isin(REGISTRIES)),
        "batch": pa.Column(str, pa.Check.str_matches(BATCH)),
        "rows": pa.Column(int, pa.Check.ge(0)),
        "new_filings": pa.Column(int, pa.Check.ge(0)),
        "cumulative_filings": pa.Column(int, pa.Check.ge(0)),
    },
    unique=["registry", "batch"],
    strict=False,
)

data_quality = pa.DataFrameSchema(
    {
        "source": pa.Column(str),
        "action": pa.Column(str, pa.Check.isin(["repaired", "flagged", "rejected", "note"])),
        "reason": pa.Column(str, pa.Check.str_length(min_value=3)),
    },
    strict=False,
)

ALGO = ("deep_synthesis", "algorithm_recommendation")

cancellations = pa.DataFrameSchema(
    {
        "notice_date": pa.Column(str, pa.Check.str_matches(r"^\d{4}-\d{2}-\d{2}$")),
        "notice_title": pa.Column(str, pa.Check.str_length(min_value=1)),
        "notice_url": pa.Column(str, pa.Check.str_matches(r"^https?://")),
        "record": pa.Column(int, pa.Check.ge(1)),
        "filing_number": pa.Column(str, pa.Check.str_matches(r"^网信算备\d{21}号$")),
        "registry": pa.Column(str, pa.Check.isin(ALGO), nullable=True),
        "series_registry": pa.Column(str, pa.Check.isin(ALGO), nullable=True),
        "listed": pa.Column(bool),
        "algorithm_name": pa.Column(str),
        "filer": pa.Column(str),
        "role": pa.Column(str),
        "product": pa.Column(str),
        "cancel_month": pa.Column(str, pa.Check.str_matches(BATCH)),
    },
    unique=["source_id", "notice_date", "record"],
    strict=False,
)

SCHEMAS = {
    "listings": listings,
    "filings": filings,
    "entities": entities,
    "batches": batches,
    "data_quality": data_quality,
    "cancellations": cancellations,
}
