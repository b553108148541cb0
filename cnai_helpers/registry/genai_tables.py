"""Generative-AI lists (生成式人工智能服务已备案和已登记信息（YYYY年M月）) as the CAC publishes them:
Word (.docx) or Excel (.xlsx) attachments with several tables (filed models, registered apps,
on-device services with 适用场景), each headed 序号, 属地, 模型名称/大模型名称, 备案单位,
备案号/备案编号, 备案时间 (registration tables may say 应用/功能名称, 登记单位, 上线编号, 登记时间).

Tables are found by their header rows, wherever they sit (one Word table or Excel sheet may hold
several, a header may repeat inside a table, 序号 may run on from earlier lists). Rows are then
normalised by :func:`genai.normalise_rows`, the code the compiled-JSON parser uses, so that the
quirks (registry from the number, swapped model/company, 属地 vs prefix, 国资委, dated notes) are
handled once. Both formats are zip files: their directory is checked for zip bombs first.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .docx_lists import ListFormatError, check_zip_sizes
from .genai import KEYS, normalise_rows
from .numbers import compact
from .quality import Issue

GENAI_TITLE_RE = re.compile(
    r"(生成式人工智能服务已备案(?:和已登记)?信息)\s*\((\d{4})年(\d{1,2})月\)"
)
MONTH_RE = re.compile(r"(\d{4})年(\d{1,2})月")
NUMBER_KEY = "filing_number_raw"
# a header row: 序号 and at least three other generative-AI columns (the CAC algorithm lists
# share only 序号 and 备案编号 with it)
MIN_OTHER_COLUMNS = 3
REGISTRATION_HEADERS = ("上线编号", "登记单位", "登记时间", "应用/功能名称")
SUFFIXES = (".docx", ".xlsx")


class GenaiTableError(ListFormatError):
    """A Word/Excel generative-AI list we cannot read."""


@dataclass
class GenaiTables:
    file: str
    title: str | None
    batch: str
    rows: pd.DataFrame
    issues: list[Issue] = field(default_factory=list)
    title_batch: str | None = None
    tables: int = 0
    table_rows: list[dict] = field(default_factory=list)  # rows read per table (add report)


@dataclass
class Grid:
    """One Word table or Excel sheet: its rows of cell texts, and where it is (for messages)."""

    where: str
    rows: list[list[str]]
    first_row: int = 1  # number of its first row in the source (source_row)


def is_genai_header(cells: list[str]) -> bool:
    names = {compact(c) for c in cells if c}
    return "序号" in names and len({KEYS[n] for n in names if n in KEYS} - {"seq"}) >= (
        MIN_OTHER_COLUMNS
    )


def _cell(v: object) -> str:
    if v is None:
        return ""
    if hasattr(v, "strftime"):  # Excel dates
        return f"{v.year}/{v.month}/{v.day}"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def docx_grids(path: Path, data: bytes | None = None) -> tuple[list[str], list[Grid]]:
    """(paragraph texts, tables) of a Word file, merged cells read once (docx_lists' reader)."""
    from .docx_lists import _open

    try:
        doc = _open(path, data)
    except GenaiTableError:
        raise
    except ListFormatError as e:
        raise GenaiTableError(str(e)) from e
    grids, row_no = [], 0
    for t_index, table in enumerate(doc.tables, start=1):
        rows = [[t for _, _, t in cells] for cells in table]
        grids.append(Grid(f"table {t_index}", rows, row_no + 1))
        row_no += len(rows)
    return doc.paragraphs, grids


def xlsx_grids(path: Path, data: bytes | None = None) -> tuple[list[str], list[Grid]]:
    """(title candidates: sheet names, sheets) of an Excel workbook."""
    import openpyxl

    check_zip_sizes(path, data, kind="Excel (.xlsx)")
    try:
        wb = openpyxl.load_workbook(
            io.BytesIO(data) if data is not None else path, read_only=True, data_only=True
        )
        grids, names, row_no = [], [], 0
        for ws in wb.worksheets:
            rows = [[_cell(v) for v in r] for r in ws.iter_rows(values_only=True)]
            names.append(ws.title)
            grids.append(Grid(f"sheet {ws.title!r}", rows, row_no + 1))
            row_no += len(rows)
        wb.close()
    except Exception as e:  # hostile input: openpyxl/zipfile/lxml raise many kinds
        raise GenaiTableError(
            f"{path}: not a readable Excel (.xlsx) file ({type(e).__name__}: {e}). "
            "Download the attachment again from the CAC announcement page."
        ) from e
    return names, grids


def read_grids(path: Path, data: bytes | None = None) -> tuple[list[str], list[Grid]]:
    if path.suffix.lower() == ".xlsx":
        return xlsx_grids(path, data)
    return docx_grids(path, data)


def has_genai_header(grids: list[Grid]) -> bool:
    return any(is_genai_header(r) for g in grids for r in g.rows)


def detect_title(texts: list[str]) -> tuple[str | None, str | None]:
    """(title, batch 'YYYY-MM') from the title paragraph (sheet name, first rows)."""
    for t in texts:
        m = GENAI_TITLE_RE.search(compact(t))
        if m:
            return f"{m.group(1)}（{m.group(2)}年{int(m.group(3))}月）", _month(m, 2)
    for t in texts:  # a sheet named like 2026年8月
        m = MONTH_RE.search(compact(t))
        if m:
            return None, _month(m, 1)
    return None, None


def _month(m: re.Match, g: int) -> str | None:
    y, mo = int(m.group(g)), int(m.group(g + 1))
    return f"{y:04d}-{mo:02d}" if 1 <= mo <= 12 else None


def _width(rows: list[list[str]]) -> int:
    """Columns of a table or sheet: up to the last non-empty cell of its widest row."""
    return max(
        (max((i + 1 for i, c in enumerate(r) if str(c).strip()), default=0) for r in rows),
        default=0,
    )


def _tables(path: Path, grids: list[Grid], issues: list[tuple]):
    """Yield (where, header, [(source_row, cells)]) for every generative-AI table; a header
    repeated inside a table stays among its rows (normalise_rows rejects it, as in the JSON).
    A table or sheet that does not start with a header (a list continued in a second Word table
    or Excel sheet) is read with the previous header when its column count matches; otherwise
    its rows are listed in ``issues`` (action, reason, where, rows not read) as not read."""
    last: tuple[str, list[str]] | None = None  # (where, header) of the previous table
    for g in grids:
        header: list[str] | None = None
        body: list[tuple[int, list[str]]] = []
        where = g.where
        # data-like rows (two cells or more: a title or note line is one cell)
        lead = [
            (g.first_row + k, c)
            for k, c in enumerate(g.rows)
            if sum(bool(x.strip()) for x in c) > 1
        ]
        first_header = next((k for k, c in enumerate(g.rows) if is_genai_header(c)), None)
        before = [(n, c) for n, c in lead if first_header is None or n < g.first_row + first_header]
        if before and last is not None:
            prev_where, prev_header = last
            if _width([c for _, c in before]) == _width([prev_header]):
                header, body = prev_header, []
                where = f"{g.where} (no header row: read with the header of {prev_where})"
                issues.append(
                    (
                        "note",
                        f"{g.where} ({len(before)} rows) starts without a header row: read as "
                        f"a continuation of {prev_where} with its header (same "
                        f"{_width([prev_header])} columns)",
                        g.where,
                        0,
                    )
                )
            else:
                issues.append(
                    (
                        "rejected",
                        f"{g.where} ({len(before)} rows) starts without a header row and has "
                        f"{_width([c for _, c in before])} columns, {prev_where}'s header has "
                        f"{_width([prev_header])}: those rows are not read",
                        g.where,
                        len(before),
                    )
                )
        elif before and first_header is None:  # no list before it, no header in it
            issues.append(
                (
                    "note",
                    f"{g.where} ({len(before)} rows) has no generative-AI header and comes "
                    "before the list: not read",
                    g.where,
                    0,
                )
            )
        # (lines above the first table's header are its title, read by detect_title)
        for k, cells in enumerate(g.rows):
            row_no = g.first_row + k
            if is_genai_header(cells):
                same = header is not None and [compact(c) for c in cells] == [
                    compact(c) for c in header
                ]
                if same and body:
                    body.append((row_no, cells))  # repeated header row inside the table
                    continue
                if header is not None:
                    yield where, header, body
                header, body = cells, []
                where = f"{g.where} row {k + 1}" if k else g.where
                last = (where, header)
                names = {compact(c) for c in cells}
                if not any(KEYS.get(n) == NUMBER_KEY for n in names):
                    raise GenaiTableError(
                        f"{path}: {where}: a generative-AI table without a number column "
                        "(备案号 / 备案编号 / 上线编号); the registry of each row comes from its "
                        "number. Is the file complete?"
                    )
            elif header is not None and any(c.strip() for c in cells):
                body.append((row_no, cells))
        if header is not None:
            yield where, header, body


def read_genai_tables(
    path: Path | str,
    source_id: str | None = None,
    batch: str | None = None,
    data: bytes | None = None,
) -> GenaiTables:
    """Parse a generative-AI list in Word or Excel. ``batch`` defaults to the title's month.
    ``data``: the file's bytes, already read (and checked) by the caller."""
    path = Path(path)
    src = source_id or path.name
    texts, grids = read_grids(path, data)
    first_rows = [" ".join(r) for g in grids for r in g.rows[:3] if not is_genai_header(r)]
    title, title_batch = detect_title([*texts, *first_rows])
    batch = batch or title_batch
    unread: list[tuple] = []
    tables = list(_tables(path, grids, unread))
    if not tables:
        raise GenaiTableError(
            f"{path}: no table with the generative-AI list header (序号, 属地, 模型名称, 备案单位, "
            "备案号, 备案时间). Is this a 生成式人工智能服务已备案和已登记信息 attachment?"
        )
    if batch is None:
        raise GenaiTableError(
            f"{path}: no title like '生成式人工智能服务已备案和已登记信息（2026年8月）' to read the "
            "batch month from; pass --batch YYYY-MM"
        )
    issues: list[Issue] = [
        Issue(src, path.name, None, None, batch, action, reason) for action, reason, _, _ in unread
    ]
    records: list[dict] = []
    per_table: list[dict] = [
        {"table": where, "rows": 0, "rows_not_read": n} for _, _, where, n in unread if n
    ]
    for where, header, body in tables:
        n_before = len(records)
        names = [compact(c) for c in header]
        for row_no, cells in body:
            if len([c for c in cells if c.strip()]) == 1:  # a section title, a note
                text = next(c for c in cells if c.strip())
                reason = f"not a data row (one cell: {text[:40]!r})"
                issues.append(Issue(src, path.name, row_no, None, batch, "rejected", reason))
        body = [(n, cells) for n, cells in body if len([c for c in cells if c.strip()]) > 1]
        start = "registration" if any(n in REGISTRATION_HEADERS for n in names) else None
        rows = (
            (row_no, {n: v for n, v in zip(names, cells, strict=False) if n in KEYS})
            for row_no, cells in body
        )
        records += normalise_rows(rows, batch, src, path.name, issues, section_kind=start)
        per_table.append({"table": where, "rows": len(records) - n_before})
    return GenaiTables(
        str(path),
        title,
        batch,
        pd.DataFrame.from_records(records),
        issues,
        title_batch=title_batch,
        tables=len(tables),
        table_rows=per_table,
    )
