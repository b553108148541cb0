"""The hand labels of the who-files evaluation sample, as data: the first labels
(data/evaluation_labels/batch_*.csv), the independent second coder
(data/evaluation_labels/second_coder.csv, which also labels the broad state-linked definition)
and the adjudication of their disagreements (data/evaluation_labels/adjudication.csv). The
codebook is data/definitions.md.

The core tables (registry/enrich.py) and the evaluation (analysis/evaluation.py) both read the
labels through this module, which imports nothing from either.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .. import paths
from ..errors import CnaiError
from . import rules as c

SAMPLE_PATH = paths.DATA / "evaluation_sample_unlabelled.csv"
LABELS_DIR = paths.DATA / "evaluation_labels"
SECOND_CODER = "second_coder.csv"
ADJUDICATION = "adjudication.csv"

# What a labeller reads (data/definitions.md), in this order.
INPUT_COLUMNS = (
    "sample_id",
    "registry",
    "filing_number",
    "entity_name",
    "locality",
    "algorithm_name",
    "application_product",
    "main_use",
)
# What a labeller fills in.
LABEL_COLUMNS = (
    "org_type",
    "org_type_confidence",
    "sector",
    "horizontal_function",
    "sector_confidence",
    "note",
    "labelled_by",
)
# The second coder's form adds the broad definition and what the ownership label rests on.
SECOND_COLUMNS = (
    "org_type",
    "org_type_confidence",
    "state_linked_broad",
    "state_basis",
    "sector",
    "horizontal_function",
    "sector_confidence",
    "note",
    "labelled_by",
)
ORG_LABELS = (*c.ORG_TYPES, "unknown")
SECTOR_LABELS = tuple(s for s in c.SECTORS if s != "unclassified")
ALLOWED = {
    "org_type": ORG_LABELS,
    "org_type_confidence": ("high", "low"),
    "sector": SECTOR_LABELS,
    "horizontal_function": ("yes", "no"),
    "sector_confidence": ("high", "low"),
}
ALLOWED_SECOND = {
    **ALLOWED,
    "state_linked_broad": ("yes", "no", "unknown"),
    "state_basis": ("name", "locality", "public_knowledge", "lookup", "none"),
}
# The fields both coders label; a disagreement on one needs a row of the adjudication table.
CODED_FIELDS = ("org_type", "sector", "horizontal_function")
ADJUDICATION_COLUMNS = ("sample_id", "field", "first", "second", "adjudicated", "note")


class EvaluationError(CnaiError, ValueError):
    """A label file that does not follow the codebook, or a sample it does not match."""


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except FileNotFoundError as e:
        raise EvaluationError(f"{path}: missing") from e
    except (pd.errors.ParserError, UnicodeDecodeError) as e:
        raise EvaluationError(f"{path}: not a readable UTF-8 CSV ({e})") from e


def _check_labels(df: pd.DataFrame, path: Path, columns=LABEL_COLUMNS, allowed_values=None) -> None:
    missing = [x for x in ("sample_id", *columns) if x not in df.columns]
    if missing:
        raise EvaluationError(f"{path}: missing column(s) {', '.join(missing)}")
    for col, allowed in (allowed_values or ALLOWED).items():
        bad = ~df[col].str.strip().isin(allowed)
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise EvaluationError(
                f"{path}: row {i + 2} ({df['sample_id'].iloc[i]}): {col} = "
                f"{df[col].iloc[i]!r} is not one of {', '.join(allowed)} (data/definitions.md)"
            )


def load_labels(labels_dir: Path | None = None, sample_path: Path | None = None) -> pd.DataFrame:
    """The hand labels (all ``batch_*.csv`` of ``labels_dir``) joined to the sample, one row
    per sampled filing: the sample's input columns, then the label columns."""
    labels_dir = Path(labels_dir or LABELS_DIR)
    sample_path = Path(sample_path or SAMPLE_PATH)
    files = sorted(labels_dir.glob("batch_*.csv"))
    if not files:
        raise EvaluationError(f"{labels_dir}: no batch_*.csv label files")
    parts = []
    for path in files:
        df = _read_csv(path)
        _check_labels(df, path)
        parts.append(df.assign(_file=str(path), _row=np.arange(len(df)) + 2))
    labels = pd.concat(parts, ignore_index=True)
    dup = labels[labels["sample_id"].duplicated(keep="first")]
    if len(dup):
        r = dup.iloc[0]
        raise EvaluationError(
            f"{r['_file']}: row {r['_row']}: sample_id {r['sample_id']} is labelled twice; "
            "keep one label per sampled filing"
        )
    sample = _read_csv(sample_path)
    missing = [x for x in INPUT_COLUMNS if x not in sample.columns]
    if missing:
        raise EvaluationError(f"{sample_path}: missing column(s) {', '.join(missing)}")
    joined = sample[list(INPUT_COLUMNS)].merge(
        labels, on="sample_id", how="outer", suffixes=("", "_label"), indicator=True
    )
    extra = joined[joined["_merge"] == "right_only"]
    if len(extra):
        r = extra.iloc[0]
        raise EvaluationError(
            f"{r['_file']}: row {r['_row']}: sample_id {r['sample_id']} is not in {sample_path}"
        )
    if "filing_number_label" in joined:
        both = joined[joined["_merge"] == "both"]
        bad = both[both["filing_number_label"] != both["filing_number"]]
        if len(bad):
            r = bad.iloc[0]
            raise EvaluationError(
                f"{r['_file']}: row {r['_row']}: {r['sample_id']} has filing number "
                f"{r['filing_number_label']!r}, the sample has {r['filing_number']!r}"
            )
    unlabelled = joined[joined["_merge"] == "left_only"]
    if len(unlabelled):
        raise EvaluationError(
            f"{labels_dir}: {len(unlabelled)} sampled filing(s) have no label "
            f"(first: {unlabelled['sample_id'].iloc[0]}); label every row of the sample"
        )
    out = joined[[*INPUT_COLUMNS, *LABEL_COLUMNS]].copy()
    for col in ALLOWED:
        out[col] = out[col].str.strip()
    return out.reset_index(drop=True)


def load_second_coder(
    labels_dir: Path | None = None, sample_path: Path | None = None
) -> pd.DataFrame:
    """The second coder's labels (sample_id and SECOND_COLUMNS), checked against the codebook
    and the sample (each row's filing number must be the sample's); empty when there are none."""
    path = Path(labels_dir or LABELS_DIR) / SECOND_CODER
    if not path.exists():
        return pd.DataFrame(columns=["sample_id", *SECOND_COLUMNS], dtype=object)
    df = _read_csv(path)
    _check_labels(df, path, SECOND_COLUMNS, ALLOWED_SECOND)
    sample = _read_csv(Path(sample_path or SAMPLE_PATH)).set_index("sample_id")
    for i, r in enumerate(df.itertuples(index=False)):
        if r.sample_id not in sample.index:
            raise EvaluationError(
                f"{path}: row {i + 2}: sample_id {r.sample_id} is not in the sample"
            )
        if "filing_number" in df and sample.at[r.sample_id, "filing_number"] != r.filing_number:
            raise EvaluationError(
                f"{path}: row {i + 2} ({r.sample_id}): filing number {r.filing_number!r} is not "
                f"the sample's {sample.at[r.sample_id, 'filing_number']!r}"
            )
    if df["sample_id"].duplicated().any():
        dup = df["sample_id"][df["sample_id"].duplicated()].iloc[0]
        raise EvaluationError(f"{path}: sample_id {dup} is labelled twice")
    out = df[["sample_id", *SECOND_COLUMNS]].copy()
    for col in ALLOWED_SECOND:
        out[col] = out[col].str.strip()
    return out.reset_index(drop=True)


def load_adjudication(labels_dir: Path | None = None) -> pd.DataFrame:
    """The adjudication table: one row per (sample_id, field) the coders disagree on."""
    path = Path(labels_dir or LABELS_DIR) / ADJUDICATION
    if not path.exists():
        return pd.DataFrame(columns=list(ADJUDICATION_COLUMNS), dtype=object)
    df = _read_csv(path)
    missing = [x for x in ADJUDICATION_COLUMNS if x not in df.columns]
    if missing:
        raise EvaluationError(f"{path}: missing column(s) {', '.join(missing)}")
    allowed = {**ALLOWED_SECOND}
    for i, r in enumerate(df.itertuples(index=False)):
        where = f"{path}: row {i + 2} ({r.sample_id}, {r.field})"
        if r.field not in (*CODED_FIELDS, "state_linked_broad"):
            raise EvaluationError(f"{where}: field {r.field!r} is not an adjudicated field")
        if r.adjudicated not in allowed[r.field]:
            raise EvaluationError(
                f"{where}: adjudicated = {r.adjudicated!r} is not one of "
                f"{', '.join(allowed[r.field])}"
            )
        if not r.note.strip():
            raise EvaluationError(f"{where}: every adjudication needs a note")
    if df.duplicated(["sample_id", "field"]).any():
        r = df[df.duplicated(["sample_id", "field"])].iloc[0]
        raise EvaluationError(f"{path}: {r['sample_id']}, {r['field']} is adjudicated twice")
    return df[list(ADJUDICATION_COLUMNS)].reset_index(drop=True)


def disagreements(
    first: pd.DataFrame, second: pd.DataFrame, fields: tuple[str, ...] = CODED_FIELDS
) -> pd.DataFrame:
    """(sample_id, field, first, second) for every one of ``fields`` (the coded fields; a
    census adds the broad state link) the two coders label differently."""
    m = first.merge(second, on="sample_id", suffixes=("_1", "_2"))
    rows = [
        (r["sample_id"], f, r[f"{f}_1"], r[f"{f}_2"])
        for r in m.to_dict("records")
        for f in fields
        if r[f"{f}_1"] != r[f"{f}_2"]
    ]
    return pd.DataFrame(rows, columns=["sample_id", "field", "first", "second"])


def settled(folder: Path, todo: pd.DataFrame) -> dict[tuple[str, str], str]:
    """(sample_id, field) -> adjudicated value from ``folder``'s adjudication table, checked to
    settle every disagreement in ``todo``: one without a row raises EvaluationError naming it."""
    adj = load_adjudication(folder)
    key = {(r.sample_id, r.field): r.adjudicated for r in adj.itertuples(index=False)}
    open_ = [
        (s, f) for s, f in zip(todo["sample_id"], todo["field"], strict=True) if (s, f) not in key
    ]
    if open_:
        s, f = open_[0]
        raise EvaluationError(
            f"{folder / ADJUDICATION}: {len(open_)} disagreement(s) between the coders without "
            f"an adjudication (first: {s}, {f})"
        )
    return key


def adjudicated_labels(
    labels_dir: Path | None = None, sample_path: Path | None = None
) -> pd.DataFrame:
    """The first labels (:func:`load_labels`) with every disagreement with the second coder
    replaced by its adjudicated value, and three columns:

    - ``second_coded``: the row was labelled by both coders;
    - ``state_linked_broad``: ``yes`` when the (adjudicated) organisation type is state-linked
      (majority state control implies the broad definition); otherwise the second coder's broad
      label (adjudicated where the table settles it): ``yes``, ``no`` or ``unknown``; empty
      for rows the second coder did not label (no broad label);
    - ``state_basis``: the second coder's basis, empty elsewhere.

    A disagreement without an adjudication row raises EvaluationError naming it."""
    first = load_labels(labels_dir, sample_path)
    second = load_second_coder(labels_dir, sample_path)
    key = settled(Path(labels_dir or LABELS_DIR), disagreements(first, second))
    out = first.copy()
    for (sid, fld), val in key.items():
        if fld in CODED_FIELDS:
            out.loc[out["sample_id"] == sid, fld] = val
    sec = second.set_index("sample_id").astype(object)
    out["second_coded"] = out["sample_id"].isin(sec.index)
    broad = out["sample_id"].map(sec["state_linked_broad"]).astype(object).fillna("")
    adj_broad = {s: v for (s, f), v in key.items() if f == "state_linked_broad"}
    broad = broad.where(~out["sample_id"].isin(adj_broad), out["sample_id"].map(adj_broad))
    broad = broad.where(~out["org_type"].isin(c.STATE_LINKED), "yes")
    out["state_linked_broad"] = broad.astype(str)
    out["state_basis"] = out["sample_id"].map(sec["state_basis"]).astype(object).fillna("")
    out["state_basis"] = out["state_basis"].astype(str)
    return out


# A census: every filing of a small list labelled by two coders (not a sample of it), e.g. the
# generative-AI registrations up to the claims' cut-off, which the evaluation sample does not
# cover. Each census is a folder of data/evaluation_labels/census/ with coder_a.csv and
# coder_b.csv (the same rows, the second coder's columns) and adjudication.csv.
CENSUS_DIR = LABELS_DIR / "census"
CENSUS_FIELDS = (*CODED_FIELDS, "state_linked_broad")


def load_census(name: str, directory: Path | None = None) -> dict[str, pd.DataFrame]:
    """One census: ``a`` and ``b`` (each coder's rows, checked against the codebook and against
    each other: the same sample ids and filing numbers in the same order) and ``labels`` (coder
    A's labels with every disagreement replaced by its adjudicated value). A disagreement
    without an adjudication row raises EvaluationError naming it; empty frames when the census
    does not exist."""
    folder = Path(directory or CENSUS_DIR) / name
    if not folder.exists():
        empty = pd.DataFrame(columns=["sample_id", *INPUT_COLUMNS[1:], *SECOND_COLUMNS])
        return {"a": empty, "b": empty, "labels": empty}
    a, b = (_read_csv(folder / f) for f in ("coder_a.csv", "coder_b.csv"))
    for df, f in ((a, "coder_a.csv"), (b, "coder_b.csv")):
        _check_labels(df, folder / f, SECOND_COLUMNS, ALLOWED_SECOND)
        for col in ALLOWED_SECOND:
            df[col] = df[col].str.strip()
    for col in ("sample_id", "filing_number"):
        if list(a[col]) != list(b[col]):
            pairs = list(zip(a[col], b[col], strict=False))
            i = next((i for i, (x, y) in enumerate(pairs) if x != y), len(pairs))
            raise EvaluationError(
                f"{folder / 'coder_b.csv'}: row {i + 2}: {col} differs from coder_a.csv "
                "(both coders label the same rows in the same order)"
            )
    key = settled(folder, disagreements(a, b, CENSUS_FIELDS))
    out = a.copy()
    for (sid, fld), val in key.items():
        out.loc[out["sample_id"] == sid, fld] = val
    # majority state control implies the broad definition
    out["state_linked_broad"] = out["state_linked_broad"].where(
        ~out["org_type"].isin(c.STATE_LINKED), "yes"
    )
    out["second_coded"] = True
    return {"a": a, "b": b, "labels": out}
