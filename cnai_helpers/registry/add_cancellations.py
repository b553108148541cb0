"""`cnai registry add-cancellations FILE`: ingest a newly published cancellation notice.

FILE is a JSON in the lawdatify shape (``{"notices": [{date, title, url, records: [...]}]}``) or a
CSV with one row per cancelled number (notice_date, notice_title, notice_url, name, role, entity,
product, code, cancel). A dry run parses it and matches the numbers against the current filings;
a real run copies the file into ``data/raw/local/cancellations/`` as a local source (sha256 in
``data/local_sources.yaml``, like ``registry add``) and rebuilds. Anything that fails, Ctrl-C
included, leaves the manifest, raw folder and tables as they were. A notice already ingested
(same date, same numbers: the same file with one more newline, or as CSV) is refused.
"""

from __future__ import annotations

import datetime as dt
import shutil
from contextlib import suppress
from pathlib import Path

import pandas as pd
import yaml

from .. import paths
from ..atomic import atomic_path, recover_swap, signals_deferred, write_text
from ..errors import CnaiError
from ..manifest import load_manifest, sha256_file, source_from_dict
from .build import build
from .cancellations import CancelFormatError, join_cancellations, read_cancellations
from .fingerprint import built_from, registry_sources


class AddCancellationsError(CnaiError, ValueError):
    pass


def inspect(file: Path, filings: pd.DataFrame, known: pd.DataFrame | None = None) -> dict:
    file = Path(file)
    if not file.is_file():
        raise AddCancellationsError(f"{file}: no such file")
    if file.suffix.lower() not in (".json", ".csv"):
        raise AddCancellationsError(f"{file}: expected a .json or .csv file of notice rows")
    c = read_cancellations(file, source_id=f"local:{file.name}")
    if c.rows.empty:
        raise CancelFormatError(f"{file}: no cancelled numbers in the file")
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    future = sorted({d for d in c.rows["notice_date"] if str(d)[:10] > tomorrow})
    if future:
        raise AddCancellationsError(
            f"{file}: notice date {future[0]} is after today ({dt.date.today()}): a notice from "
            "the future? check the dates in the file"
        )
    issues = list(c.issues)
    rows, _ = join_cancellations(c.rows, filings, issues, {f"local:{file.name}": file.name})
    before = set(known["filing_key"]) if known is not None and len(known) else set()
    return {
        "notices": int(rows["notice_date"].nunique()),
        "cancelled": int(len(rows)),
        "by_registry": {k: int(v) for k, v in rows["registry"].value_counts().items()},
        "not_listed": rows.loc[~rows["listed"], "filing_number"].tolist(),
        "already_cancelled": rows.loc[rows["filing_key"].isin(before), "filing_number"].tolist(),
        "problems": [
            {"row": i.row, "reason": i.reason, "filing_number": i.filing_number} for i in issues
        ],
    }


def repeated_notices(rows: pd.DataFrame, known: pd.DataFrame | None) -> list[str]:
    """Notices of ``rows`` already ingested: same date and every number among those cancelled
    by the known notices of that date (the same file re-saved, one newline more, or a CSV of a
    JSON notice). Adding one again would count its numbers twice."""
    if known is None or not len(known):
        return []
    out = []
    for date, g in rows.groupby("notice_date"):
        same_day = known[known["notice_date"] == date]
        hit = same_day[same_day["filing_key"].isin(set(g["filing_key"]))]
        if set(g["filing_key"]) <= set(hit["filing_key"]):
            src = ", ".join(sorted(set(hit["source_id"])))
            out.append(f"the notice of {date} ({len(g)} numbers) is already ingested as {src}")
    return out


def add_cancellations(
    file: Path,
    filings: pd.DataFrame,
    known: pd.DataFrame | None = None,
    dry_run: bool = False,
) -> dict:
    file = Path(file)
    report = inspect(file, filings, known)
    sha = sha256_file(file)
    same = [s for s in load_manifest() if s.sha256 == sha]
    if same:
        raise AddCancellationsError(f"{file}: already ingested as source {same[0].id!r}")
    repeats = repeated_notices(read_cancellations(file, source_id="new").rows, known)
    if repeats:
        raise AddCancellationsError(
            f"{file}: {'; '.join(repeats)}; a repeated notice would count its numbers twice"
        )
    report["dry_run"] = dry_run
    if dry_run:
        return report
    report["source_id"] = _ingest(file, sha)
    return report


def _ingest(file: Path, sha: str) -> str:
    """Copy the notice into data/raw/local/cancellations/, build the tables with it, and record
    it in data/local_sources.yaml just before they are swapped in. Any exit before the swap,
    Ctrl-C and SIGTERM included, leaves the YAML, the raw folder and the tables as they were."""
    ext = file.suffix.lower().lstrip(".")
    sid = f"local_cancellations_{sha[:8]}"
    rel = f"local/cancellations/{sha[:8]}.{ext}"
    target = paths.RAW / rel
    local_yaml = paths.LOCAL_SOURCES
    old_yaml = local_yaml.read_text(encoding="utf-8") if local_yaml.exists() else None
    doc = yaml.safe_load(old_yaml or "") or {}
    entry = {
        "id": sid,
        "format": f"cac_cancel_{ext}",
        "path": rel,
        "url": file.resolve().as_uri(),
        "sha256": sha,
        "size": file.stat().st_size,
        "title": "关于注销…算法备案编号的公告 (added locally)",
        "publisher": "Cyberspace Administration of China",
        "licence": "Official public notice",
        "citation": f"Cyberspace Administration of China, cancellation notice(s) "
        f"(added locally from {file.name})",
    }
    doc.setdefault("sources", []).append(entry)
    new = source_from_dict(entry, str(local_yaml), local=True)
    existed = target.exists()
    wrote_yaml = False

    def record() -> None:
        nonlocal wrote_yaml
        wrote_yaml = True
        write_text(local_yaml, yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))

    try:
        with atomic_path(target) as tmp:
            shutil.copyfile(file, tmp)
        build(sources=[*registry_sources(), new], before_swap=record)
    except BaseException:
        with signals_deferred():
            recover_swap(paths.PROCESSED)
            if sid in (built_from() or ()):
                raise  # the tables with the notice are in place: the add is complete
            if wrote_yaml:
                if old_yaml is None:
                    local_yaml.unlink(missing_ok=True)
                else:
                    write_text(local_yaml, old_yaml)
            if not existed:
                target.unlink(missing_ok=True)
                for d in (target.parent, target.parent.parent):  # local/cancellations, local
                    with suppress(OSError):  # not empty: other local sources
                        d.rmdir()
        raise
    return sid
