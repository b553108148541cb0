"""Parser of the generative-AI service lists (生成式人工智能服务已备案信息) as compiled in
``genai_filing.json``.

Registry of each row (``genai_filings`` for 备案, ``genai_registrations`` for 登记,
``genai_on_device`` for the 2026-08 table of on-device services) is decided from the number itself
(``…-YYYYMMDDSnnnn`` = registration), not from the compiler's ``_kind``; a number too damaged to
tell takes the kind of the section it sits in (the row before it), and is flagged.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import CnaiError
from .geography import province_by_name
from .numbers import clean_text, compact, parse_genai_number
from .quality import Issue

KEYS = {
    "序号": "seq",
    "属地": "locality_zh",
    "模型名称": "algorithm_name",
    "大模型名称": "algorithm_name",
    "应用/功能名称": "algorithm_name",
    "备案单位": "entity_name",
    "登记单位": "entity_name",
    "备案号": "filing_number_raw",
    "备案编号": "filing_number_raw",
    "上线编号": "filing_number_raw",
    "备案时间": "filing_date_raw",
    "登记时间": "filing_date_raw",
    "适用场景": "scene",
    "_kind": "kind_published",
}
KIND_TO_REGISTRY = {"filing": "genai_filings", "registration": "genai_registrations"}
REGISTRIES = ("genai_filings", "genai_registrations", "genai_on_device")
ORG_RE = re.compile(
    r"(公司|集团|研究院|研究所|大学|学院|医院|中心|实验室|协会|委员会|局|厂|银行)\)?$"
)
DATE_RE = re.compile(r"(\d{4})[/\-.年](\d{1,2})[/\-.月](\d{1,2})")


class GenaiFormatError(CnaiError, ValueError):
    pass


@dataclass
class GenaiList:
    file: str
    rows: pd.DataFrame
    batches: pd.DataFrame
    issues: list[Issue] = field(default_factory=list)


def _date(raw: str) -> tuple[str | None, str]:
    m = DATE_RE.search(compact(raw))
    if not m:
        return None, raw
    y, mo, d = (int(x) for x in m.groups())
    note = DATE_RE.sub("", compact(raw)).strip()
    return f"{y:04d}-{mo:02d}-{d:02d}", note


def normalise_rows(
    rows: Iterable[tuple[int, dict]],
    period: str,
    src: str,
    file_name: str,
    issues: list[Issue],
    section_kind: str | None = None,
) -> list[dict]:
    """Listing records from the rows of one batch, keyed by their published column names
    (序号, 属地, 模型名称, …; ``_kind`` from the compiled JSON if any), numbered as in the source.
    Shared by the JSON parser and the Word/Excel tables (registry/genai_tables.py). The quirks:
    repeated header rows (rejected), registry from the number (a damaged number takes its
    section's kind, ``section_kind`` at the start), swapped model/company, 属地 vs the number's
    prefix (国资委 -> central_soe), dates with notes such as （补登）."""
    records = []
    prev_kind = section_kind
    for i, row in rows:
        rec = {KEYS.get(k, k): clean_text(v) for k, v in row.items()}

        def issue(action, reason, number=None, _i=i, _r=None):
            issues.append(Issue(src, file_name, _i, _r, period, action, reason, number))

        if compact(row.get("序号")) == "序号":
            issue("rejected", "repeated header row inside the table")
            prev_kind = "registration" if "上线编号" in row.values() else prev_kind
            continue
        num = parse_genai_number(rec.get("filing_number_raw", ""))
        kind = num.kind
        if kind == "unknown":
            kind = prev_kind or "filing"
            issue(
                "flagged",
                f"{num.problems[0] if num.problems else 'bad number'}; kind taken "
                f"from its section ({kind}); compiler said {rec.get('kind_published')}",
                num.number,
            )
        elif rec.get("kind_published") and (
            {"备案": "filing", "登记": "registration"}.get(rec["kind_published"]) != kind
        ):
            issue(
                "repaired",
                f"_kind {rec['kind_published']} contradicts the number; classified as {kind}",
                num.number,
            )
        prev_kind = kind
        registry = "genai_on_device" if rec.get("scene") else KIND_TO_REGISTRY[kind]
        for p in num.problems if num.kind != "unknown" else ():
            issue("flagged", p, num.number, _r=registry)
        # model name and company swapped in the official table
        a, e = rec.get("algorithm_name", ""), rec.get("entity_name", "")
        if ORG_RE.search(a) and not ORG_RE.search(e):
            rec["algorithm_name"], rec["entity_name"] = e, a
            issue(
                "repaired", "model name and company swapped; swapped back", num.number, _r=registry
            )
        loc = rec.get("locality_zh", "")
        loc_code = province_by_name(loc) if loc else None
        # 属地 (the local CAC office's province) is the explicit column; the number's prefix
        # is the fallback. They disagree on a few rows (and "ShanXi" is ambiguous pinyin).
        pcode = loc_code or num.province_code
        if loc_code and num.province_code not in ("unknown", loc_code):
            issue(
                "flagged",
                f"number prefix {num.prefix!r} ({num.province_code}) disagrees "
                f"with 属地 {loc!r} ({loc_code}); 属地 used",
                num.number,
                _r=registry,
            )
        elif loc and not loc_code:
            issue("flagged", f"unknown 属地 {loc!r}; number prefix used", num.number, _r=registry)
        date, note = _date(rec.get("filing_date_raw", ""))
        records.append(
            {
                "registry": registry,
                "batch": period,
                "source_row": i,
                "seq": rec.get("seq", ""),
                "locality_zh": loc,
                "algorithm_name": rec.get("algorithm_name", ""),
                "entity_name": rec.get("entity_name", ""),
                "filing_number": num.number,
                "number_kind": num.kind,
                "province_code": pcode,
                "name_token": num.name_token,
                "number_date": num.date,
                "serial": num.serial,
                "filing_date": date,
                "filing_date_note": note or "",
                "scene": rec.get("scene", ""),
                "kind_published": rec.get("kind_published", ""),
            }
        )
    return records


def read_genai_json(
    path: Path | str, source_id: str | None = None, data: bytes | None = None
) -> GenaiList:
    """Parse the lawdatify JSON. ``data``: the file's bytes, already read by the caller."""
    path = Path(path)
    src = source_id or path.name
    try:
        doc = json.loads(data.decode("utf-8") if data is not None else path.read_text("utf-8"))
        batches = doc["batches"]
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise GenaiFormatError(f"{path}: not valid JSON ({e})") from e
    except (KeyError, TypeError) as e:
        raise GenaiFormatError(f"{path}: no 'batches' list (expected the lawdatify shape)") from e
    issues: list[Issue] = []
    records, batch_meta = [], []
    for b_index, b in enumerate(batches):
        period = str(b.get("period") or "")
        if not re.fullmatch(r"\d{4}-\d{2}", period):
            raise GenaiFormatError(f"{path}: batch {b_index + 1} has no valid period ({period!r})")
        batch_meta.append(
            {
                "batch": period,
                "title": b.get("name"),
                "url": b.get("url"),
                "announcement_url": b.get("page"),
                "rows_published": b.get("count"),
            }
        )
        records += normalise_rows(
            enumerate(b.get("rows") or [], start=1), period, src, path.name, issues
        )
    df = pd.DataFrame.from_records(records)
    return GenaiList(str(path), df, pd.DataFrame(batch_meta), issues)
