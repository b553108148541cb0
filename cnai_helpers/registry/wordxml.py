"""A Word (.docx) file's body tables and first paragraphs, read straight from its main document
part (``word/document.xml``) with lxml's ``iterparse``.

python-docx builds its object model over every part of the package (styles, numbering, settings)
with a custom element class for each tag; the parsers only need the body's tables and the title
paragraph. Streaming the one part the lists live in, and clearing each table once its rows are
read, makes the parse several times faster and keeps memory flat on 800-row lists (the profile
is in bench/README.md). The XML parser is python-docx's (``remove_blank_text``, no entity
resolution), so cell texts are the same; the zip directory is checked for zip bombs first.
"""

from __future__ import annotations

import hashlib
import io
import posixpath
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
REL_OFFICE_DOCUMENT = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
)
WML_DOCUMENT_MAIN = (
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
)
MAX_PARAGRAPHS = 20  # the title is in the first paragraphs


def q(tag: str) -> str:
    return f"{{{W}}}{tag}"


# the names the cell reader (docx_lists._grid_cells) looks up, in Clark notation
NS = {k: q(k) for k in ("tr", "tc", "tcPr", "gridSpan", "val", "t", "br", "p", "tab")}
BODY, TBL, P, R, HYPERLINK = q("body"), q("tbl"), q("p"), q("r"), q("hyperlink")


@dataclass
class WordBody:
    """Texts of the first body paragraphs, and every body table as rows of grid cells
    ``[(grid_start, span, text)]`` (docx_lists._grid_cells)."""

    paragraphs: list[str] = field(default_factory=list)
    tables: list[list[list[tuple[int, int, str]]]] = field(default_factory=list)


def _paragraph_text(p) -> str:
    """python-docx's ``Paragraph.text``: the runs and hyperlinks directly in the paragraph."""
    parts = []
    for child in p:
        if child.tag not in (R, HYPERLINK):
            continue
        for el in child.iter(NS["t"], NS["tab"], NS["br"]):
            if el.tag == NS["t"]:
                parts.append(el.text or "")
            else:
                parts.append("\t" if el.tag == NS["tab"] else "\n")
    return "".join(parts)


def main_part(z: zipfile.ZipFile) -> str:
    """Name of the main document part (the package relationship ``officeDocument``), which
    must be a Word document (its content type in ``[Content_Types].xml``, as python-docx asks)."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    name = None
    for rel in etree.fromstring(z.read("_rels/.rels"), parser):
        if rel.get("Type") == REL_OFFICE_DOCUMENT and rel.get("TargetMode") != "External":
            name = posixpath.normpath(str(rel.get("Target", "")).lstrip("/"))
    if name is None:
        raise ValueError("the package has no main document (officeDocument relationship)")
    types = etree.fromstring(z.read("[Content_Types].xml"), parser)
    ctype = None
    for el in types:
        tag = etree.QName(el).localname
        if tag == "Override" and str(el.get("PartName", "")).lstrip("/") == name:
            ctype = el.get("ContentType")
            break
        if tag == "Default" and name.rsplit(".", 1)[-1].lower() == el.get("Extension", ""):
            ctype = ctype or el.get("ContentType")
    if ctype != WML_DOCUMENT_MAIN:
        raise ValueError(f"not a Word document: the main part {name} has content type {ctype}")
    return name


def read_body(xml: bytes) -> WordBody:
    """The body's tables and first paragraphs of a main document part. Each row of a body table
    is read into grid cells when its end tag is parsed and then cleared, so that memory stays
    flat on an 800-row list (a list is one table: clearing whole tables would keep it all)."""
    from lxml import etree

    from .docx_lists import _grid_cells

    out = WordBody()
    rows: dict[int, list] = {}  # id of an open body table -> its rows read so far
    events = etree.iterparse(
        io.BytesIO(xml),
        events=("end",),
        tag=(TBL, P, NS["tr"]),
        remove_blank_text=True,
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
    )
    for _, el in events:
        parent = el.getparent()
        if parent is None:
            continue
        if el.tag == NS["tr"]:
            grand = parent.getparent()
            if parent.tag == TBL and grand is not None and grand.tag == BODY:
                rows.setdefault(id(parent), []).append(_grid_cells(el, NS))
                el.clear(keep_tail=False)
                while el.getprevious() is not None:  # the rows already read
                    del parent[0]
            continue  # a row of a table nested in a cell: read with its cell
        if parent.tag != BODY:
            continue  # a paragraph or table inside a table cell: read with its cell
        if el.tag == TBL:
            out.tables.append(rows.pop(id(el), []))
        elif len(out.paragraphs) < MAX_PARAGRAPHS:
            out.paragraphs.append(_paragraph_text(el))
        el.clear(keep_tail=False)
        while el.getprevious() is not None:  # done with the earlier body elements
            del parent[0]
    return out


_REMEMBERED: dict[str, WordBody] | None = None  # content sha256 -> body, inside remembered()


@contextmanager
def remembered() -> Iterator[None]:
    """Within the block, a file read again (same bytes) is not parsed again: `registry add`
    reads the new list to tell its kind, to inspect it, then builds from it. The bodies are only
    read by the callers, never changed."""
    global _REMEMBERED
    outer, _REMEMBERED = _REMEMBERED, {} if _REMEMBERED is None else _REMEMBERED
    try:
        yield
    finally:
        _REMEMBERED = outer


def forget() -> None:
    """Drop the bodies remembered so far (the block goes on): `registry add` needs the new
    list's body no more once the list is parsed for the tables."""
    if _REMEMBERED:
        _REMEMBERED.clear()


def read_docx(path: Path, data: bytes | None = None) -> WordBody:
    """Tables and first paragraphs of a Word file (``data``: its bytes, if already read). Raises
    the zip, XML and key errors of a damaged file; the callers turn them into a clear message."""
    memo = _REMEMBERED
    if memo is not None:
        data = Path(path).read_bytes() if data is None else data
        k = hashlib.sha256(data).hexdigest()
        if k not in memo:
            if len(memo) >= 2:  # a list or two: a build with every list parsed keeps none
                memo.pop(next(iter(memo)))
            memo[k] = read_docx_bytes(path, data)
        return memo[k]
    return read_docx_bytes(path, data)


def read_docx_bytes(path: Path, data: bytes | None = None) -> WordBody:
    with zipfile.ZipFile(io.BytesIO(data) if data is not None else path) as z:
        return read_body(z.read(main_part(z)))
