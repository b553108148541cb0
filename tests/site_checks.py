"""Checks of what a reader sees on a built page, shared by the browser tests: table cells whose
text is out of sight, badges broken over two lines, charts wider than their column (run in
Chromium through Playwright), and code names or machine grammar in the visible prose (on the
page's HTML)."""

from __future__ import annotations

import re

# every table cell with text: is it inside the viewport, or inside a box that scrolls sideways
# and says so (class cnai-overflows, set by site.js, with its cue line shown)?
HIDDEN_CELLS_JS = """() => {
  const vw = document.documentElement.clientWidth, out = [];
  for (const cell of document.querySelectorAll("main td, main th")) {
    const text = cell.innerText.trim();
    const r = cell.getBoundingClientRect();
    if (!text || r.width <= 1 || r.height <= 1) continue;  // empty, folded or visually hidden
    let left = 0, right = vw, cued = false, srOnly = false;
    for (let el = cell.parentElement; el && el !== document.body; el = el.parentElement) {
      if (getComputedStyle(el).overflowX === "visible") continue;
      const b = el.getBoundingClientRect();
      if (b.width <= 1 && b.height <= 1) { srOnly = true; break; }  // kept for screen readers
      left = Math.max(left, b.left); right = Math.min(right, b.right);
      if (el.classList.contains("cnai-overflows")) {
        const cue = el.previousElementSibling;
        cued = cued || !!(cue && cue.classList.contains("cnai-scroll-cue") && !cue.hidden
          && cue.getBoundingClientRect().height > 0);
      }
    }
    if (srOnly) continue;  // a card layout's header row: each cell says its label instead
    if ((r.left < left - 1 || r.right > right + 1) && !cued) out.push(text.slice(0, 40));
    // text wider than its own cell runs under the next column (a nowrap estimate, a badge)
    else if (cell.scrollWidth > cell.clientWidth + 1
             && getComputedStyle(cell).overflowX === "visible") out.push("overflows its cell: " + text.slice(0, 40));
  }
  return out;
}"""

# a badge (status of a claim) drawn on more than one line
WRAPPED_BADGES_JS = """() => Array.from(document.querySelectorAll(".badge, .status"))
  .filter(b => b.getClientRects().length > 1
    || b.getBoundingClientRect().height > 2 * parseFloat(getComputedStyle(b).fontSize) + 4
    || (b.closest("td") && b.getBoundingClientRect().right
        > b.closest("td").getBoundingClientRect().right + 1))  // out of its table cell
  .map(b => b.innerText.trim())"""

# a chart wider than the page's column (it must scale down, not be cut or scrolled)
WIDE_CHARTS_JS = """() => {
  const vw = document.documentElement.clientWidth;
  return Array.from(document.querySelectorAll("figure.cnai-figure img"))
    .filter(i => { const r = i.getBoundingClientRect(), p = i.parentElement.getBoundingClientRect();
      return r.width > p.width + 1 || r.right > vw + 1; })
    .map(i => (i.getAttribute("alt") || "").slice(0, 50));
}"""


# a table shown as cards (each row a block) whose cells keep the wide table's sticky key
# column: a rule and a background drawn inside every card
CARD_LEAKS_JS = """() => Array.from(document.querySelectorAll("main tbody > tr"))
  .filter(tr => getComputedStyle(tr).display === "block")
  .flatMap(tr => Array.from(tr.children))
  .filter(c => { const s = getComputedStyle(c);
    return s.position === "sticky" || s.boxShadow !== "none"; })
  .map(c => c.innerText.trim().slice(0, 40))"""


def card_leaks(page) -> list[str]:
    return page.evaluate(CARD_LEAKS_JS)


def hidden_cells(page) -> list[str]:
    return page.evaluate(HIDDEN_CELLS_JS)


def wrapped_badges(page) -> list[str]:
    return page.evaluate(WRAPPED_BADGES_JS)


def wide_charts(page) -> list[str]:
    return page.evaluate(WIDE_CHARTS_JS)


# an identifier in snake_case (two words or more), not part of a path, an address or a file name
SNAKE_RE = re.compile(r"(?<![\w/.@#=-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w/-]|\.[a-z]{2,8}\b)")
# "1 rows", "1 filings": a count of one with a plural noun
ONE_PLURAL_RE = re.compile(
    r"(?<![\d.,\w])1 (?!times\b|plus\b|means\b|equals\b)([a-z]{2,}s)\b(?!['’])"
)
# "is depends"; a list's unit said twice ("Generative-AI filings (生成式人工智能 备案) filings")
GRAMMAR_RE = re.compile(r"\b(?:is|are|was) depends\b|\bfilings (?:\([^)]*\) )?filings\b")
# the project's internal vocabulary, not the reader's
INTERNAL_RE = re.compile(r"\(its committed reading\)|readings, committed in advance")
# a missing value printed as pandas/numpy writes it ("lists to nan"); not "Nan" in a name
NAN_RE = re.compile(r"(?<![\w-])(?:nan|NaN|<NA>|NaT)(?![\w-])")
# where code belongs: code elements, the technical provenance footer, the BibTeX block
CODE_SELECTORS = "code, pre, kbd, samp, script, style, footer.cnai-provenance, [hidden]"
SINGULAR_ENDINGS = ("ss", "us", "is")  # "1 class", "1 status", "1 basis" are singular


# not prose: tables (a cell may keep a sortable ISO date), links (an address or a list's file
# name), form controls (the explorer's filters), a citation to copy and the build stamps
NOT_PROSE = "table, a, select, option, input, .cnai-cite, .cnai-build, .cnai-built"


def iso_dates(soup) -> list[str]:
    """Dates written as code writes them ("the lists up to 2025-03") in the prose of a page (a
    BeautifulSoup document): the site writes months and days in words ("March 2025"); each
    finding with the words before it."""
    from cnai_helpers.formatting import ISO_DATE_RE

    text = " ".join(visible_text(soup, also_skip=NOT_PROSE).split())
    return [
        f"ISO date {text[max(0, m.start() - 40) : m.end()]!r}" for m in ISO_DATE_RE.finditer(text)
    ]


def visible_text(soup, also_skip: str = "") -> str:
    """The text a reader sees as prose: the page without its code elements and footer (and the
    elements ``also_skip`` selects); what ``get_text(" ")`` gives once those are removed, without
    copying the document (a copy of a large page took longer than parsing it)."""
    from bs4 import Tag

    body = soup.body or soup
    skip = {id(el) for el in body.select(CODE_SELECTORS + (", " + also_skip if also_skip else ""))}
    kinds = body.interesting_string_types

    def strings(el):
        for child in el.children:
            if isinstance(child, Tag):
                if id(child) not in skip:
                    yield from strings(child)
            elif type(child) in kinds:
                yield child

    return " ".join(strings(body))


def prose_leaks(soup) -> list[str]:
    """Code names (snake_case identifiers), "1 rows"-style plurals, "is depends" and missing
    values printed as "nan" in the visible prose of a page (a BeautifulSoup document)."""
    text = visible_text(soup)
    out = [f"code name {m.group(0)!r}" for m in SNAKE_RE.finditer(text)]
    out += [
        f"plural {m.group(0)!r}"
        for m in ONE_PLURAL_RE.finditer(text)
        if not m.group(1).endswith(SINGULAR_ENDINGS)
    ]
    out += [f"grammar {m.group(0)!r}" for m in GRAMMAR_RE.finditer(text)]
    out += [f"internal wording {m.group(0)!r}" for m in INTERNAL_RE.finditer(text)]
    out += [f"missing value {m.group(0)!r}" for m in NAN_RE.finditer(text)]
    return out


# a table box whose table is wider than the box (the reader must scroll sideways in it), with
# every fold opened first (a folded table is read opened): "Header 1|Header 2|… (1,689 px in 920)"
WIDE_TABLES_JS = """() => {
  document.querySelectorAll("main details").forEach(d => { d.open = true; });
  return Array.from(document.querySelectorAll("main .cnai-table-wrap"))
    .filter(box => box.clientWidth > 0 && box.scrollWidth > box.clientWidth + 1)
    .map(box => {
      const heads = Array.from(box.querySelectorAll("thead th")).map(h => h.textContent.trim());
      return heads.slice(0, 4).join("|") + (heads.length > 4 ? "|…" : "")
        + ` (${box.scrollWidth} px in ${box.clientWidth})`;
    });
}"""


def wide_tables(page) -> list[str]:
    """The tables of a page's main column that need sideways scrolling in their box, each as its
    first headers and its width in the box's ("Run|Chip|… (1,689 px in 920)"); folds opened."""
    return page.evaluate(WIDE_TABLES_JS)
