"""The CAC algorithm registry: parsers of the official lists, number parsers, core tables."""

REGISTRIES = (
    "deep_synthesis",
    "algorithm_recommendation",
    "genai_filings",
    "genai_registrations",
    "genai_on_device",
)

# the core tables (data/processed/<name>.parquet), built by registry/build.py
TABLES = ("listings", "filings", "entities", "batches", "data_quality", "cancellations")
