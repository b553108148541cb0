"""cnai_helpers: the logic behind cnai's notebooks (data pull, registry parsing, reports)."""

__version__ = "0.2.0"
