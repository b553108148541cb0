"""Data-quality records: every row repaired, flagged or rejected, with file, row and reason."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pandas as pd

ACTIONS = ("repaired", "flagged", "rejected", "note")


@dataclass
class Issue:
    source: str  # source id (or file name for an unknown file)
    file: str
    row: (
        int | None
    )  # 1-based row in the source table (docx: table row incl. header; json: row in batch)
    registry: str | None
    batch: str | None
    action: str
    reason: str
    filing_number: str | None = None

    def __post_init__(self):
        if self.action not in ACTIONS:
            raise ValueError(f"unknown data-quality action {self.action!r}")


def to_frame(issues: list[Issue]) -> pd.DataFrame:
    cols = list(Issue.__dataclass_fields__)
    df = pd.DataFrame([asdict(i) for i in issues], columns=cols)
    df["row"] = df["row"].astype("Int64")
    for c in ("source", "file", "action", "reason"):  # never null: a plain string dtype
        df[c] = df[c].astype(str)
    return df
