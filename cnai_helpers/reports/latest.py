"""The index's "Latest lists" strip: each registry's latest batch, its date, new filings and a
link to its digest, read from the published digest reports' results.json (the reports that
run ``batch_digest.ipynb`` with the site definition's parameters; variants are not read)."""

from __future__ import annotations

import json
from pathlib import Path

from ..reference import registry_label
from .site import Report

DIGEST_NOTEBOOK = "batch_digest.ipynb"


def latest_lists(out_root: Path, reports: list[Report]) -> list[dict]:
    """One entry per built digest report, in site order: id, registry, batch, date (the
    announcement date, else the batch month), new_filings and href (relative to the index).
    Digests not built yet, or whose results.json is unreadable, are left out."""
    out = []
    for r in reports:
        if r.notebook != DIGEST_NOTEBOOK or r.is_variant:
            continue
        try:
            res = json.loads((Path(out_root) / r.out_folder / "results.json").read_text("utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        if not isinstance(res, dict) or "batch" not in res:
            continue
        registry = res.get("registry", r.parameters.get("registry"))
        out.append(
            {
                "id": r.id,
                "registry": registry,
                "label": registry_label(str(registry)),
                "batch": res["batch"],
                "date": res.get("announcement_date") or res["batch"],
                "new_filings": res.get("new_filings"),
                "href": f"{r.out_folder}/index.html",
            }
        )
    return out


def with_every_registry(entries: list[dict], currency: dict[str, dict]) -> list[dict]:
    """``entries`` plus a line for each registry of the core tables that has no digest report
    (the on-device generative-AI list): its latest batch, date and new filings (its filings
    first listed in that batch), no digest link. The index's "Latest lists" and its "Data as
    of" then name the same registries."""
    have = {e["registry"] for e in entries}
    missing = [c for r, c in currency.items() if r not in have]
    if not missing:
        return entries
    try:
        from .. import loaders

        f = loaders.load_filings()
        new = {k: int(v) for k, v in f.groupby(["registry", "first_batch"]).size().items()}
    except Exception:  # core tables not readable: the line says what the currency knows
        new = {}
    return entries + [
        {
            "id": "",
            "registry": c["registry"],
            "label": c["label"],
            "batch": c["batch"],
            "date": c.get("date") or c["batch"],
            "new_filings": new.get((c["registry"], c["batch"])),
            "href": "",
        }
        for c in missing
    ]
