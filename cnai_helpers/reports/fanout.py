"""Value generators for fan-out entries of site.yaml (``values_from: <function name>``)."""

from __future__ import annotations


def provinces_with_min_filings(registry: str = "deep_synthesis", min_filings: int = 50) -> list[dict]:
    """One value per province with at least ``min_filings`` unique filings in ``registry``."""
    import csv
    import importlib.resources as ir
    import json

    from ..registry.fingerprint import ensure_registry

    # the counts are stored with the build (no pandas import: a no-op site build stays fast)
    info = json.loads((ensure_registry() / "build_info.json").read_text(encoding="utf-8"))
    counts = info["filings_by_province"].get(registry, {})
    with (ir.files("cnai_helpers") / "data" / "provinces.csv").open(encoding="utf-8") as fh:
        names = {r["province_code"]: r["name_en"] for r in csv.DictReader(fh)}
    return [{"value": code, "label": names[code]} for code in sorted(counts)
            if code in names and counts[code] >= min_filings]
