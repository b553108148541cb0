"""Value generators for fan-out entries of site.yaml (``values_from: <function name>``)."""

from __future__ import annotations


def provinces_with_min_filings(registry: str = "deep_synthesis", min_filings: int = 50) -> list[dict]:
    """One value per province with at least ``min_filings`` unique filings in ``registry``."""
    from ..loaders import load_filings
    from ..registry.geography import province_names

    f = load_filings(registry)
    counts = f["province_code"].value_counts()
    names = province_names()
    keep = counts[(counts >= min_filings) & counts.index.str.fullmatch(r"\d{2}")]
    return [{"value": code, "label": names[code]["en"]} for code in sorted(keep.index)]
