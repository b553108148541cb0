"""Parser of the CAC's official Word attachments (境内…算法备案清单).

Reads the table XML directly through python-docx's element tree (``w:tr``/``w:tc``) rather than
``table.rows[i].cells``: it is several times faster on 800-row tables and lets the parser see
merged cells (``gridSpan``) for what they are. Quirks handled here, each recorded in the
data-quality table: merged cells, repeated header rows, empty rows, blank 序号, line breaks and
full-width characters, filing numbers in the wrong column, unparseable numbers.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .failures import ListFormatError  # re-exported: defined without pandas
from .numbers import CAC_RE, clean_text, compact
from .quality import Issue

HEADER_MAP = {
    "序号": "seq",
    "算法名称": "algorithm_name",
    "角色": "role_or_category",
    "算法类别": "role_or_category",
    "主体名称": "entity_name",
    "应用产品": "application_product",
    "主要用途": "main_use",
    "备案编号": "filing_number_raw",
    "备注": "remarks",
}
REQUIRED = ("algorithm_name", "entity_name", "filing_number_raw")
FIELDS = (
    "seq",
    "algorithm_name",
    "role_or_category",
    "entity_name",
    "application_product",
    "main_use",
    "filing_number_raw",
    "remarks",
)
TITLE_RE = re.compile(r"(境内[^()]*?算法备案清单)\s*\((\d{4})年(\d{1,2})月\)")
REGISTRY_BY_TITLE = {"深度合成": "deep_synthesis", "互联网信息服务": "algorithm_recommendation"}

# Limits checked on the zip directory before anything is unpacked. The largest real CAC list
# unpacks to ~6.5 MB with a compression ratio of ~30 (word/document.xml of the 2026-03 list).
MAX_UNCOMPRESSED_BYTES = 50 * 1024 * 1024  # all members together
MAX_COMPRESSION_RATIO = 100  # uncompressed / compressed size of one member …
RATIO_CHECK_MIN_BYTES = 1024 * 1024  # … checked for members larger than this
MAX_GRID_SPAN = 64  # Word tables have at most 63 columns


@dataclass
class CacList:
    file: str
    title: str | None
    registry: str
    batch: str
    rows: pd.DataFrame
    issues: list[Issue] = field(default_factory=list)
    title_batch: str | None = None  # the month the title paragraph states, if any
    tables: list[dict] = field(default_factory=list)  # rows read per table (the add report)


def _tc_text(tc, W_T, W_BR, W_P, W_TAB) -> str:
    parts: list[str] = []
    first_p = True
    for el in tc.iter(W_T, W_BR, W_P, W_TAB):  # tag filter runs in lxml's C code
        tag = el.tag
        if tag == W_T:
            parts.append(el.text or "")
        elif tag == W_P:
            if not first_p:
                parts.append("\n")
            first_p = False
        else:
            parts.append("\n" if tag == W_BR else " ")
    text = "".join(parts)
    return clean_text(text) if text else ""


def _span(gs, ns) -> int:
    value = gs.get(ns["val"], "1")
    if not (value.isdigit() and 1 <= int(value) <= MAX_GRID_SPAN):
        raise ListFormatError(f"table cell with an impossible column span (gridSpan {value!r})")
    return int(value)


def _grid_cells(tr, ns) -> list[tuple[int, int, str]]:
    """[(grid_start, span, text)] for the cells of one table row."""
    out, col = [], 0
    for tc in tr.iterchildren(ns["tc"]):
        span = 1
        pr = tc.find(ns["tcPr"])
        if pr is not None:
            gs = pr.find(ns["gridSpan"])
            if gs is not None:
                span = _span(gs, ns)
        out.append((col, span, _tc_text(tc, ns["t"], ns["br"], ns["p"], ns["tab"])))
        col += span
    return out


def _unreadable(path: Path, e: Exception, kind: str = "Word (.docx)") -> ListFormatError:
    return ListFormatError(
        f"{path}: not a readable {kind} file ({type(e).__name__}: {e}). "
        "Download the attachment again from the CAC announcement page."
    )


def check_zip_sizes(path: Path, data: bytes | None = None, kind: str = "Word (.docx)") -> None:
    """Refuse a zip bomb from its directory alone, before anything is unpacked."""
    import io

    try:
        with zipfile.ZipFile(io.BytesIO(data) if data is not None else path) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as e:
        raise _unreadable(path, e, kind) from e
    total = sum(i.file_size for i in infos)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise ListFormatError(
            f"{path}: unpacks to {total / 2**20:.0f} MB, over the "
            f"{MAX_UNCOMPRESSED_BYTES / 2**20:.0f} MB limit for a CAC list; refusing to parse it"
        )
    for i in infos:
        ratio = i.file_size / max(i.compress_size, 1)
        if i.file_size > RATIO_CHECK_MIN_BYTES and ratio > MAX_COMPRESSION_RATIO:
            raise ListFormatError(
                f"{path}: member {i.filename} has a compression ratio of {ratio:.0f} "
                f"({i.file_size / 2**20:.1f} MB unpacked), over the limit of "
                f"{MAX_COMPRESSION_RATIO} for a CAC list; refusing to parse it"
            )


def _open(path: Path, data: bytes | None = None):
    """The body (tables, first paragraphs) of a Word file, read with lxml (registry/wordxml.py)."""
    from .wordxml import read_docx

    check_zip_sizes(path, data)
    try:
        return read_docx(path, data)
    except ListFormatError as e:  # a cell the reader refuses (an impossible column span)
        raise ListFormatError(f"{path}: {e}") from e
    except Exception as e:  # hostile input: zipfile/lxml raise many kinds (XMLSyntaxError…)
        raise _unreadable(path, e) from e


def detect_title(doc) -> tuple[str | None, str | None, str | None]:
    """(title, registry, batch 'YYYY-MM') from the list's title paragraph."""
    for text in doc.paragraphs[:20]:
        m = TITLE_RE.search(compact(text))
        if m:
            title = f"{m.group(1)}（{m.group(2)}年{int(m.group(3))}月）"
            reg = next((r for k, r in REGISTRY_BY_TITLE.items() if k in m.group(1)), None)
            return title, reg, f"{m.group(2)}-{int(m.group(3)):02d}"
    return None, None, None


def _header_columns(cells) -> dict[str, list[int]]:
    """field -> grid columns it covers, from a header row."""
    cols: dict[str, list[int]] = {}
    for start, span, text in cells:
        key = HEADER_MAP.get(compact(text))
        if key:
            cols.setdefault(key, []).extend(range(start, start + span))
    return cols


def _cell_fields(cols: dict[str, list[int]]):
    """(grid start, span) of a cell -> the fields (in ``cols``' order) of the grid columns it
    covers; worked out once per cell shape of a table (the rows of a list share a few)."""
    memo: dict[tuple[int, int], tuple[str, ...]] = {}

    def fields_of(start: int, span: int) -> tuple[str, ...]:
        hit = memo.get((start, span))
        if hit is None:
            covered = range(start, start + span)
            hit = memo[start, span] = tuple(
                f for f, gcols in cols.items() if any(g in covered for g in gcols)
            )
        return hit

    return fields_of


def _is_header(cells) -> bool:
    names = {compact(t) for _, _, t in cells}
    return "备案编号" in names and "主体名称" in names


def read_cac_docx(
    path: Path | str,
    source_id: str | None = None,
    registry: str | None = None,
    batch: str | None = None,
    data: bytes | None = None,
) -> CacList:
    """Parse one CAC list. ``registry``/``batch`` default to what the file itself says.
    ``data``: the file's bytes, already read (and checked) by the caller."""
    path = Path(path)
    src = source_id or path.name
    doc = _open(path, data)
    try:
        return _read(path, src, doc, registry, batch)
    except ListFormatError as e:
        if str(e).startswith(str(path)):
            raise
        raise ListFormatError(f"{path}: {e}") from e
    except Exception as e:  # hostile content python-docx accepted but cannot walk
        raise _unreadable(path, e) from e


def _width(rows) -> int:
    """Grid columns of a table: the widest of its rows (cells times their spans)."""
    return max((sum(span for _, span, _ in cells) for cells in rows), default=0)


@dataclass
class _Table:
    number: int  # 1-based, among the body's tables
    rows: list  # rows of grid cells, the header row (if any) excluded
    header: list  # the header row's grid cells (its own or the previous table's)
    first_row: int  # source_row of the table's first row (its header row, if any)
    own_header: bool


def _list_tables(path: Path, doc, issue, skipped: list[dict]) -> list[_Table]:
    """The list's tables, each with the header it is read with: its own first row, or, for a
    table without a header row after a list table (a list continued in a second table), the
    previous header when the column counts match; a table with neither is listed as a problem
    (an issue, and its row count in ``skipped``)."""
    out: list[_Table] = []
    row_no = 0
    for number, rows in enumerate(doc.tables, start=1):
        first = row_no + 1
        row_no += len(rows)
        if rows and _is_header(rows[0]):
            out.append(_Table(number, rows[1:], rows[0], first, True))
            continue
        if not any(t for cells in rows for _, _, t in cells):
            continue  # an empty table: nothing to read
        if not out:
            issue(
                None,
                "note",
                f"table {number} ({len(rows)} rows) comes before the list and has no list "
                "header (序号, 算法名称, 主体名称, …, 备案编号): not read",
            )
            continue
        prev = out[-1]
        if _width(rows) == _width([prev.header]):
            out.append(_Table(number, rows, prev.header, first, False))
            issue(
                None,
                "note",
                f"table {number} ({len(rows)} rows) has no header row: read as a continuation "
                f"of table {prev.number} with its header (same {_width(rows)} columns)",
            )
        else:
            issue(
                None,
                "rejected",
                f"table {number} ({len(rows)} rows) has no header row and {_width(rows)} "
                f"columns, table {prev.number}'s header has {_width([prev.header])}: its rows "
                "are not read",
            )
            skipped.append({"table": number, "header": None, "rows": 0, "rows_not_read": len(rows)})
    return out


def _read(path: Path, src: str, doc, registry: str | None, batch: str | None) -> CacList:
    title, reg_title, batch_title = detect_title(doc)
    early: list[tuple] = []  # issues found before the registry and batch are known
    skipped: list[dict] = []
    tables = _list_tables(path, doc, lambda *a: early.append(a), skipped)
    if not tables:
        raise ListFormatError(
            f"{path}: no table with a known header: neither a CAC algorithm list (序号, 算法名称, "
            "主体名称, …, 备案编号) nor a generative-AI list (序号, 属地, 模型名称, 备案单位, 备案号, "
            "备案时间). Is this a 境内…算法备案清单 or 生成式人工智能服务…信息 attachment?"
        )
    for t in tables:
        missing = [f for f in REQUIRED if f not in _header_columns(t.header)]
        if missing:
            where = "header row" if t.number == tables[0].number else f"table {t.number}'s header"
            raise ListFormatError(f"{path}: {where} lacks columns {missing}")
    header_names = {compact(t) for _, _, t in tables[0].header}
    reg_header = (
        "deep_synthesis"
        if "角色" in header_names
        else "algorithm_recommendation"
        if "算法类别" in header_names
        else None
    )
    registry = registry or reg_header or reg_title
    batch = batch or batch_title
    if registry is None:
        raise ListFormatError(
            f"{path}: cannot tell the registry (no 角色/算法类别 column, no title)"
        )
    if batch is None:
        raise ListFormatError(
            f"{path}: no title paragraph like '…清单（2026年5月）' to read the batch month from; "
            "pass --batch YYYY-MM"
        )
    issues: list[Issue] = []

    def issue(row, action, reason, number=None):
        issues.append(Issue(src, str(path.name), row, registry, batch, action, reason, number))

    for args in early:
        issue(*args)
    if reg_header and reg_title and reg_header != reg_title:
        issue(
            None, "flagged", f"header says {reg_header}, title says {reg_title}; using {registry}"
        )

    records = []
    n_blank_seq = 0
    read_per_table = list(skipped)
    for t in tables:
        cols = _header_columns(t.header)  # every table is mapped by its own header
        fields_of = _cell_fields(cols)
        n_header = len(t.header)
        row_no = t.first_row if t.own_header else t.first_row - 1
        n_read = 0
        for cells in t.rows:
            row_no += 1
            if _is_header(cells):
                issue(row_no, "rejected", "repeated header row inside the table")
                continue
            texts = [t for _, _, t in cells]
            if not any(texts):
                issue(row_no, "rejected", "empty row")
                continue
            # each field: the distinct texts of the cells covering one of its grid columns, in
            # the row's order, one per line
            found: dict[str, list[str]] = {f: [] for f in cols}
            for start, span, text in cells:
                if text:
                    for f in fields_of(start, span):
                        if text not in found[f]:
                            found[f].append(text)
            rec = {f: "\n".join(vals) for f, vals in found.items()}
            # a merge the header does not share (same cell count = same pattern: nothing to do)
            if any(s > 1 for _, s, _ in cells) and n_header != len(cells):
                issue(
                    row_no,
                    "repaired",
                    "merged cell (gridSpan) mapped to its header column",
                    compact(rec.get("filing_number_raw")),
                )
            # a filing number in the wrong column: swap it back
            if not CAC_RE.match(compact(rec.get("filing_number_raw"))):
                other = next(
                    (
                        f
                        for f in FIELDS
                        if f in rec and f != "filing_number_raw" and CAC_RE.match(compact(rec[f]))
                    ),
                    None,
                )
                if other:
                    rec[other], rec["filing_number_raw"] = rec["filing_number_raw"], rec[other]
                    issue(
                        row_no,
                        "repaired",
                        f"filing number found in column {other}; swapped with 备案编号",
                        compact(rec["filing_number_raw"]),
                    )
            if not rec.get("seq"):
                n_blank_seq += 1
            rec["source_row"] = row_no
            records.append(rec)
            n_read += 1
        read_per_table.append(
            {"table": t.number, "header": "own" if t.own_header else "previous", "rows": n_read}
        )
    if n_blank_seq:
        issue(
            None,
            "note",
            f"序号 blank in {n_blank_seq} rows (Word auto-numbering); table order used instead",
        )
    read_per_table.sort(key=lambda t: t["table"])
    df = pd.DataFrame(records, columns=[*FIELDS, "source_row"])
    for f in FIELDS:
        df[f] = df[f].fillna("").astype(str)
    return CacList(
        str(path),
        title,
        registry,
        batch,
        df,
        issues,
        title_batch=batch_title,
        tables=read_per_table,
    )
