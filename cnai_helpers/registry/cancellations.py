"""Cancellations (注销) of algorithm filing numbers, and which filings are still active.

Since July 2025 the CAC publishes notices (关于注销…算法备案编号的公告) cancelling 网信算备
numbers. The compiled file (``cancel.json``, lawdatify shape) holds ``notices``: date, title, url,
count and ``records`` (name, role, entity, product, code, cancel as "2025年7月").

Attribution of a cancelled number to a registry:

- the registry whose published lists contain the number (deep synthesis or recommendation);
- a number listed in **both** registries (ten 2022 recommendation-list numbers of the 生成合成类
  category are re-listed as deep synthesis) is attributed to the registry its series field
  (digits 14-15 of the 21) names, if that is one of the two, else to the registry that listed it
  first; it is flagged in the data-quality table. The number itself is cancelled, so
  ``filings.cancelled_month`` is set in every registry that lists it;
- a number in no published list keeps the registry its series field names (``listed`` false) and
  gets a data-quality row.

``series_registry`` records what the series field alone says (01 deep synthesis, 02-06
recommendation categories); rows where it differs from ``registry`` are counted in the stats.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..metadata import columns
from .numbers import NumberError, clean_text, name_key, parse_cac_number
from .quality import Issue

FORMAT = "cac_cancel_json"
FORMATS = (FORMAT, "cac_cancel_csv")  # the manifest formats read by this module
ALGO_REGISTRIES = ("deep_synthesis", "algorithm_recommendation")
SERIES_REGISTRY = {
    "01": "deep_synthesis",
    **{s: "algorithm_recommendation" for s in ("02", "03", "04", "05", "06")},
}
COLUMNS = columns("cancellations")  # declared in cnai_helpers/tables.yaml
FIELDS = ("name", "role", "entity", "product", "code", "cancel")  # one notice record
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MONTH_RE = re.compile(r"^(\d{4})\s*[年\-/.]\s*(\d{1,2})\s*月?$")


class CancelFormatError(ValueError):
    """A cancellation file or record that cannot be read; the message names file, notice, record."""


@dataclass
class CancelList:
    file: str
    rows: pd.DataFrame
    issues: list[Issue] = field(default_factory=list)


def series_registry(number: str) -> str | None:
    """Registry named by the series field (digits 14-15 of the 21) of a 网信算备 number."""
    digits = re.sub(r"\D", "", number)
    return SERIES_REGISTRY.get(digits[13:15]) if len(digits) == 21 else None


def cancel_month(value: object) -> str | None:
    """'2025年7月' / '2025-07' -> '2025-07'; None if unreadable."""
    m = MONTH_RE.match(clean_text(value))
    if not m or not 1 <= int(m.group(2)) <= 12:
        return None
    return f"{int(m.group(1)):04d}-{int(m.group(2)):02d}"


def empty_frame() -> pd.DataFrame:
    types = {"record": int, "listed": bool}
    return pd.DataFrame({c: pd.Series(dtype=types.get(c, str)) for c in COLUMNS})


def parse_notices(doc: object, file: str, source_id: str) -> CancelList:
    """Rows of the cancellation table from the lawdatify shape (``notices`` with ``records``)."""
    notices = doc.get("notices") if isinstance(doc, dict) else None
    if not isinstance(notices, list):
        raise CancelFormatError(f"{file}: no 'notices' list (expected the lawdatify shape)")
    issues: list[Issue] = []
    rows = []
    for i, n in enumerate(notices, start=1):
        if not isinstance(n, dict):
            raise CancelFormatError(f"{file}: notice {i} is not an object")
        date = clean_text(n.get("date"))
        where = f"{file}: notice {i} ({date or 'no date'} {clean_text(n.get('title'))[:30]})"
        if not DATE_RE.match(date):
            raise CancelFormatError(f"{where}: date {n.get('date')!r} is not YYYY-MM-DD")
        try:
            dt.date.fromisoformat(date[:10])
        except ValueError as e:  # 2026-13-01, 2026-02-30
            raise CancelFormatError(f"{where}: date {date!r} is not a date ({e})") from e
        records = n.get("records")
        if not isinstance(records, list) or not records:
            raise CancelFormatError(f"{where}: no 'records' list")
        if n.get("count") not in (None, "") and int(n["count"]) != len(records):
            issues.append(
                Issue(
                    source_id,
                    file,
                    None,
                    None,
                    date[:7],
                    "flagged",
                    f"notice {i} says {n['count']} numbers but lists {len(records)}",
                )
            )
        for j, r in enumerate(records, start=1):
            rows.append(_record(r, f"{where} record {j}", j, n, date, source_id, file, issues))
    df = pd.DataFrame(rows) if rows else empty_frame()
    return CancelList(file, df, issues)


def _record(r, where, j, notice, date, source_id, file, issues) -> dict:
    if not isinstance(r, dict):
        raise CancelFormatError(f"{where}: not an object")
    try:
        num = parse_cac_number(r.get("code"))
    except NumberError as e:
        raise CancelFormatError(f"{where}: code {r.get('code')!r}: {e}") from e
    if num.problems:
        raise CancelFormatError(f"{where}: code {r.get('code')!r}: {'; '.join(num.problems)}")
    month = cancel_month(r.get("cancel")) if r.get("cancel") else date[:7]
    if month is None:
        raise CancelFormatError(
            f"{where}: cancel {r.get('cancel')!r} is not a month like 2025年7月"
        )
    if month != date[:7]:
        issues.append(
            Issue(
                source_id,
                file,
                j,
                None,
                date[:7],
                "flagged",
                f"cancel month {month} differs from the notice date {date}",
                num.number,
            )
        )
    return {
        "notice_date": date,
        "notice_title": clean_text(notice.get("title")),
        "notice_url": clean_text(notice.get("url")),
        "notice_id": clean_text(notice.get("noticeId")) or None,
        "record": j,
        "filing_number": num.number,
        "filing_key": name_key(num.number),
        "series_registry": series_registry(num.number),
        "algorithm_name": clean_text(r.get("name")),
        "filer": clean_text(r.get("entity")),
        "role": clean_text(r.get("role")),
        "product": clean_text(r.get("product")),
        "cancel_month": month,
        "source_id": source_id,
    }


def read_cancel_json(path: Path | str, source_id: str | None = None) -> CancelList:
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise CancelFormatError(f"{path}: not valid JSON ({e})") from e
    return parse_notices(doc, path.name, source_id or path.name)


def read_cancel_csv(path: Path | str, source_id: str | None = None) -> CancelList:
    """A CSV of one or more notices' rows: notice_date, notice_title, notice_url (one per row)
    and the record fields name, role, entity, product, code, cancel."""
    path = Path(path)
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            table = list(csv.DictReader(fh))
    except UnicodeDecodeError as e:
        raise CancelFormatError(f"{path}: not UTF-8 text ({e})") from e
    need = {"notice_date", "notice_title", "notice_url", "code"}
    if not table or need - set(table[0]):
        raise CancelFormatError(
            f"{path}: expected a header with {', '.join(sorted(need))} "
            f"(and name, role, entity, product, cancel)"
        )
    notices: dict[tuple, dict] = {}
    for row in table:
        key = (row["notice_date"], row["notice_title"], row["notice_url"])
        n = notices.setdefault(key, {"date": key[0], "title": key[1], "url": key[2], "records": []})
        n["records"].append({k: row.get(k, "") for k in FIELDS})
    return parse_notices({"notices": list(notices.values())}, path.name, source_id or path.name)


def read_cancellations(path: Path | str, source_id: str | None = None) -> CancelList:
    path = Path(path)
    if path.suffix.lower() == ".csv":
        return read_cancel_csv(path, source_id)
    return read_cancel_json(path, source_id)


# ---------------------------------------------------------------- join to the registry


def _attribute(listed: list[str], series: str | None, first: dict[str, str]) -> str | None:
    if len(listed) == 1:
        return listed[0]
    if not listed:
        return series
    if series in listed:
        return series
    return min(listed, key=lambda reg: (first[reg], reg))


def join_cancellations(
    cancels: pd.DataFrame, filings: pd.DataFrame, issues: list[Issue], file_of: dict[str, str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Attribute each cancellation to a registry; add ``cancelled_month`` to ``filings``.

    Returns (cancellations, filings). Data-quality rows for numbers in no list, numbers listed in
    both registries and numbers cancelled twice are appended to ``issues``."""
    filings = filings.copy()
    filings["cancelled_month"] = pd.Series(None, index=filings.index, dtype=str)
    if cancels.empty:
        return empty_frame(), filings
    algo = filings[filings["registry"].isin(ALGO_REGISTRIES)]
    algo = algo[algo["filing_key"].isin(cancels["filing_key"])]  # only the numbers cancelled
    where = algo.groupby("filing_key")
    listed_in = where["registry"].agg(lambda s: sorted(set(s))).to_dict()
    first_batch = {
        (r.filing_key, r.registry): r.first_batch
        for r in algo[["filing_key", "registry", "first_batch"]].itertuples()
    }
    out = cancels.copy()
    regs, listed_str = [], []
    for r in out.itertuples():
        listed = listed_in.get(r.filing_key, [])
        first = {reg: first_batch[(r.filing_key, reg)] for reg in listed}
        reg = _attribute(listed, r.series_registry, first)

        def note(reason, _r=r, _reg=reg):
            issues.append(
                Issue(
                    _r.source_id,
                    file_of.get(_r.source_id, _r.source_id),
                    _r.record,
                    _reg,
                    _r.notice_date[:7],
                    "flagged",
                    f"notice {_r.notice_date}: {reason}",
                    _r.filing_number,
                )
            )

        if not listed:
            note(
                "cancelled number is in no published list; registry from its series field "
                f"({reg or 'unknown series'}); no filing marked cancelled"
            )
        elif len(listed) > 1:
            note(
                f"cancelled number listed in {' and '.join(listed)}; attributed to {reg} "
                "(series field, else first listed); cancelled in both"
            )
        regs.append(reg)
        listed_str.append(";".join(listed) or None)
    out["registry"] = regs
    out["listed_registries"] = listed_str
    out["listed"] = out["listed_registries"].notna()
    dup = out.duplicated("filing_key", keep="first")
    for r in out[dup].itertuples():
        issues.append(
            Issue(
                r.source_id,
                file_of.get(r.source_id, r.source_id),
                r.record,
                r.registry,
                r.notice_date[:7],
                "flagged",
                f"number cancelled again in notice {r.notice_date}; earliest month kept",
                r.filing_number,
            )
        )
    month = out.groupby("filing_key")["cancel_month"].min()
    hit = filings["registry"].isin(ALGO_REGISTRIES) & filings["filing_key"].isin(month.index)
    filings.loc[hit, "cancelled_month"] = filings.loc[hit, "filing_key"].map(month)
    out = out[COLUMNS].sort_values(["notice_date", "record"], ignore_index=True)
    return out, filings


def relisted(listings: pd.DataFrame, cancels: pd.DataFrame, file_of: dict[str, str]) -> list[Issue]:
    """Data-quality rows for cancelled numbers listed again in a list of a later month than
    their (earliest) cancellation: flagged on the listing row of that later list, so that the
    list's registry and batch (a digest, ``load_data_quality(registry, batch, batch)``) see it.
    The number stays cancelled: a re-listing may be the CAC's list lagging its notices."""
    if cancels.empty or listings.empty:
        return []
    first = cancels.groupby("filing_key").agg(
        cancel_month=("cancel_month", "min"), notice_date=("notice_date", "min")
    )
    hit = listings["registry"].isin(ALGO_REGISTRIES) & listings["filing_key"].isin(first.index)
    cols = ["source_id", "source_row", "registry", "batch", "filing_number", "filing_key"]
    lst = listings.loc[hit, cols].join(first, on="filing_key")  # the few rows, the columns read
    later = lst[lst["batch"] > lst["cancel_month"]]
    return [
        Issue(
            r.source_id,
            file_of.get(r.source_id, r.source_id),
            None if pd.isna(r.source_row) else int(r.source_row),
            r.registry,
            r.batch,
            "flagged",
            f"number cancelled in {r.cancel_month} (notice {r.notice_date}) is listed again in "
            f"the {r.batch} list; it stays cancelled",
            r.filing_number,
        )
        for r in later.sort_values(["registry", "batch", "source_row"]).itertuples()
    ]


def read_sources(sources, raw_dir: Path) -> tuple[pd.DataFrame, list[Issue]]:
    """Parse every cancellation source of the manifest into one frame."""
    frames, issues = [], []
    for s in sources:
        reader = read_cancel_csv if s.format == "cac_cancel_csv" else read_cancel_json
        c = reader(s.raw_path(raw_dir), source_id=s.id)
        frames.append(c.rows)
        issues.extend(c.issues)
    frames = [f for f in frames if len(f)]
    return (pd.concat(frames, ignore_index=True) if frames else empty_frame()), issues


# ---------------------------------------------------------------- counts


def active_by_batch(filings: pd.DataFrame, batches: pd.DataFrame) -> pd.DataFrame:
    """Per registry and batch: cumulative filings, cancellations to date (cancel month <= batch
    month, among filings listed up to that batch) and active filings."""
    b = batches[["registry", "batch", "cumulative_filings"]].copy()
    empty = pd.Series(None, index=filings.index, dtype=str)
    cancelled = filings.get("cancelled_month", empty)
    counts = [
        int(
            (
                (filings["registry"] == r.registry)
                & (filings["first_batch"] <= r.batch)
                & (cancelled <= r.batch)
            ).sum()
        )
        for r in b.itertuples()
    ]
    b["cancelled_to_date"] = counts
    b["active_filings"] = b["cumulative_filings"] - b["cancelled_to_date"]
    return b.sort_values(["registry", "batch"], ignore_index=True)


def per_notice(cancellations: pd.DataFrame, registry: str | None = None) -> pd.DataFrame:
    """Cancellations per notice (and registry), with the running total."""
    c = cancellations if registry is None else cancellations[cancellations["registry"] == registry]
    out = (
        c.groupby(["notice_date", "notice_title", "notice_url"], dropna=False)
        .size()
        .rename("cancelled")
        .reset_index()
        .sort_values("notice_date", ignore_index=True)
    )
    out["cumulative_cancelled"] = out["cancelled"].cumsum()
    return out
