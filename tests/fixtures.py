"""Tiny fixtures built in the tests: CAC Word lists (python-docx), generative-AI JSON, and a
small report site (a tiny notebook and its site.yaml)."""

from __future__ import annotations

import json
from pathlib import Path

import docx
import nbformat
import yaml
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

DS_HEADER = ["序号", "算法名称", "角色", "主体名称", "应用产品", "主要用途", "备案编号", "备注"]
REC_HEADER = [
    "序号",
    "算法名称",
    "算法类别",
    "主体名称",
    "应用产品",
    "主要用途",
    "备案编号",
    "备注",
]


def ds_row(i: int, number: str, entity: str = "北京示例科技有限公司", seq: str | None = None):
    return [
        str(i) if seq is None else seq,
        f"示例合成算法{i}",
        "服务提供者",
        entity,
        f"示例App{i}",
        "应用于文本生成场景",
        number,
        "",
    ]


def num(region: str = "110108", entity: str = "123456789", year: int = 24, serial: int = 1):
    return f"网信算备{region}{entity}{year:02d}{serial:04d}号"


def make_docx(
    path: Path,
    rows: list[list[str]],
    header: list[str] | None = None,
    title: str | None = "境内深度合成服务算法备案清单（2024年10月）",
    merge_header_col: int | None = None,
) -> Path:
    """Write a CAC-like list. ``merge_header_col``: that header cell spans two grid columns
    and every data row gets an extra cell there (the 2024-06 quirk)."""
    header = header or DS_HEADER
    d = docx.Document()
    d.add_paragraph("附件")
    if title:
        d.add_paragraph(title)
    ncols = len(header) + (1 if merge_header_col is not None else 0)
    t = d.add_table(rows=1 + len(rows), cols=ncols)
    if merge_header_col is not None:
        a = t.rows[0].cells[merge_header_col]
        b = t.rows[0].cells[merge_header_col + 1]
        merged = a.merge(b)
        hdr_cells = [c for j, c in enumerate(t.rows[0].cells) if j != merge_header_col + 1]
        hdr_cells[merge_header_col] = merged
        for cell, text in zip(hdr_cells, header, strict=True):
            cell.text = text
        for r, values in zip(t.rows[1:], rows, strict=True):
            vals = list(values)
            vals.insert(merge_header_col + 1, "")
            for cell, text in zip(r.cells, vals, strict=True):
                cell.text = text
    else:
        for cell, text in zip(t.rows[0].cells, header, strict=True):
            cell.text = text
        for r, values in zip(t.rows[1:], rows, strict=True):
            for cell, text in zip(r.cells, values, strict=True):
                cell.text = text
    d.save(str(path))
    return path


def add_line_break(path: Path, row: int, col: int) -> None:
    """Insert a <w:br/> in the middle of a cell's text."""
    d = docx.Document(str(path))
    cell = d.tables[0].rows[row].cells[col]
    run = cell.paragraphs[0].runs[0]
    br = OxmlElement("w:br")
    run._r.append(br)
    t = OxmlElement("w:t")
    t.text = "第二行"
    run._r.append(t)
    d.save(str(path))


def has_grid_span(path: Path) -> bool:
    d = docx.Document(str(path))
    return any(el.tag == qn("w:gridSpan") for el in d.tables[0]._tbl.iter())


def genai_json(path: Path, batches: list[dict]) -> Path:
    path.write_text(
        json.dumps({"meta": {}, "batches": batches}, ensure_ascii=False), encoding="utf-8"
    )
    return path


def genai_row(seq, loc, name, company, number, date, kind=None, new_header=False, **extra):
    """A compiled-JSON generative-AI row (``kind`` None: no ``_kind``)."""
    r = {
        "序号": seq,
        "属地": loc,
        ("大模型名称" if new_header else "模型名称"): name,
        "备案单位": company,
        ("备案编号" if new_header else "备案号"): number,
        "备案时间": date,
    }
    if kind is not None:
        r["_kind"] = kind
    r.update(extra)
    return r


def genai_row_from_cells(cells: list[str], kind: str | None = None) -> dict:
    """The compiled-JSON row (new header) of a Word/Excel table row: six cells and, for an
    on-device service, its scene (适用场景)."""
    extra = {"适用场景": cells[6]} if len(cells) > 6 else {}
    return genai_row(*cells[:6], kind, new_header=True, **extra)


# an on-device service (its own table, with a scene column)
APPLE_ON_DEVICE = [
    "1",
    "上海市",
    "Apple智能",
    "苹果技术开发（上海）有限公司",
    "Shanghai-AppleZhiNeng-202506160057",
    "2026/7/8",
    "苹果手机",
]


def source_entry(sid: str, path: str, raw, **kw) -> dict:
    """A manifest entry for a fixture file under ``raw`` (sha256 and size computed)."""
    import hashlib

    data = (raw / path).read_bytes()
    return {
        "id": sid,
        "path": path,
        "url": "https://example.org/" + path,
        "sha256": hashlib.sha256(data).hexdigest(),
        "size": len(data),
        "publisher": "test",
        "licence": "test",
        "citation": "test",
        **kw,
    }


GENAI_HEADER = ["序号", "属地", "大模型名称", "备案单位", "备案编号", "备案时间"]
GENAI_DEVICE_HEADER = [*GENAI_HEADER, "适用场景"]


def make_genai_docx(
    path: Path,
    tables: list[tuple[list[str], list[list[str]]]],
    title: str | None = "生成式人工智能服务已备案和已登记信息（2026年8月）",
) -> Path:
    """A generative-AI list in Word: the title paragraph, then one table per (header, rows)."""
    d = docx.Document()
    if title:
        d.add_paragraph(title)
    for header, rows in tables:
        t = d.add_table(rows=1 + len(rows), cols=len(header))
        for r, values in zip(t.rows, [header, *rows], strict=True):
            for cell, text in zip(r.cells, values, strict=True):
                cell.text = text
        d.add_paragraph("")
    d.save(str(path))
    return path


def make_genai_xlsx(
    path: Path, sheets: dict[str, list[list[str]]], title_row: str | None = None
) -> Path:
    """A generative-AI list in Excel: one sheet per name, rows as given (``title_row`` first)."""
    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        if title_row:
            ws.append([title_row])
        for r in rows:
            ws.append(r)
    wb.save(str(path))
    return path


# ---------------------------------------------------------------- a small report site

PARAMS = """x: int = 1  # a number
label: str = "a"  # a label
fail: bool = False  # raise in the analysis cell
"""
BODY = """
import matplotlib
matplotlib.use("agg")
import matplotlib.pyplot as plt
from cnai_helpers.results import record
from cnai_helpers.display import md
from cnai_helpers.plotting import finish
record("x_squared", x * x, "x squared")
record("label", label, "the label")
record("share", 0.25, "a share", kind="pct")
fig, ax = plt.subplots()
ax.plot([1, 2, 3], [x, 2 * x, 3 * x])
finish(fig, "A line", "test data")
md("Filer: **{name}**", name="<script>alert(1)</script>公司")
"""
# BODY's figures and text without its chart: no matplotlib in the kernel (about 1 s of CPU less
# per report). For the tests whose check is what the pipeline does (what runs, is skipped or
# fails, the index, signals), not the chart; test_reports_pipeline checks the chart end to end.
TEXT_BODY = """
from cnai_helpers.results import record
from cnai_helpers.display import md
record("x_squared", x * x, "x squared")
record("label", label, "the label")
record("share", 0.25, "a share", kind="pct")
md("Filer: **{name}**", name="<script>alert(1)</script>公司")
"""


def write_nb(path: Path, body: str = BODY, params: str = PARAMS) -> None:
    """A tiny report notebook: a parameters cell, ``body`` as the analysis, a cell that raises
    when ``fail`` is true."""
    nb = new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "cnai",
        "display_name": "Python (cnai)",
        "language": "python",
    }
    p = new_code_cell(params)
    p.metadata["tags"] = ["parameters"]
    nb.cells = [
        new_markdown_cell("# Test report\n\nIntro."),
        p,
        new_markdown_cell("## Findings"),
        new_code_cell(body),
        new_code_cell("if fail:\n    raise ValueError('boom on purpose')"),
        new_markdown_cell("## Caveats\n\nNone."),
    ]
    nbformat.write(nb, path)


def site_reports() -> list[dict]:
    """The small site's reports: `one` (x = 2) and the fan-out `sq-{value}` (x = 3, 4)."""
    return [
        {
            "id": "one",
            "notebook": "t.ipynb",
            "title": "One <b>",
            "question": "Q1?",
            "parameters": {"x": 2},
        },
        {
            "id": "sq-{value}",
            "notebook": "t.ipynb",
            "title": "Sq {label}",
            "question": "Q?",
            "fan_out": {"parameter": "x", "values": [3, 4]},
        },
    ]


def write_site(
    root: Path, reports: list[dict] | None = None, body: str = BODY, params: str = PARAMS
) -> Path:
    """The small test site under ``root``: notebooks/t.ipynb (``body``, ``params``) and a
    site.yaml with ``reports`` (default :func:`site_reports`). Returns ``root``."""
    nbs = root / "notebooks"
    nbs.mkdir(parents=True, exist_ok=True)
    write_nb(nbs / "t.ipynb", body=body, params=params)
    doc = {"reports": site_reports() if reports is None else reports}
    (root / "site.yaml").write_text(yaml.safe_dump(doc))
    return root


def notebook_code_trees(folder: Path | None = None):
    """(notebook file name, cell index, parsed cell) of every code cell of the project's
    notebooks: for tests that read what the notebooks do."""
    import ast

    from cnai_helpers import paths

    for nb_path in sorted(Path(folder or paths.NOTEBOOKS).glob("*.ipynb")):
        nb = nbformat.read(nb_path, as_version=4)
        for i, cell in enumerate(nb.cells):
            if cell.cell_type == "code":
                yield nb_path.name, i, ast.parse(cell.source)
