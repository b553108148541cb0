"""The nbconvert preprocessor of the site's report pages (kept apart from render.py so that
planning a build, which imports render, does not import nbconvert: a no-op build stays fast)."""

from __future__ import annotations

import html
import re

from nbconvert.preprocessors import Preprocessor
from nbformat.v4 import new_output

from ..display import CODE_VALUE_RE, TABLE_MIME, code_label
from ..evidence import statuses_by_claim
from ..formatting import ISO_DATE_RE, day
from ..results import MIME, VERDICT_MIME, fmt
from .page import (
    H1_RE,
    HEADING_LINE_RE,
    PageFiles,
    glossary_terms,
    heading_id,
    heading_text,
    reading_scope,
    shorten_quote,
)


def verdict_pointer(v: dict, what: str, claim_status: str | None = None) -> str:
    """The line a verdict recorded in the body leaves: which claim (its words, shortened), what
    was measured and its status, linking to the claim's verdict in the answer at the top (five
    identical "Verdict on the claim: contradicted" lines on one page did not say which was
    which). When alternative readings make the claim's verdict differ from this reading's
    (``claim_status``), the line says both, so "contradicted" is never read as the claim's."""
    from ..evidence import LABELS

    status = LABELS.get(v.get("status"), str(v.get("status", "")).replace("_", " "))
    if claim_status and claim_status != v.get("status"):  # this reading's, not the claim's
        whole = LABELS.get(claim_status, claim_status)
        status = f"{status} under this reading (the claim's verdict: {whole})"
    quote = shorten_quote(str(v.get("quote") or ""), 70)
    about = f" “{html.escape(quote)}”" if quote else ""
    scope = reading_scope(v)  # the registry too: a page's pooled verdict and its one-list check
    scope = f" ({html.escape(scope)})" if scope else ""  # had the same definition and date
    est = f" {fmt(v['value'], v.get('kind'))}," if isinstance(v.get("value"), (int, float)) else ""
    anchor = f"#verdict-{v['claim']}" if v.get("claim") else "#answer"
    return (
        f"*{what}{about}{scope}:{est} {html.escape(status)}; its verdict, reading and checks "
        f"are in [the answer]({anchor}) at the top.*"
    )


class SitePreprocessor(Preprocessor):
    """Prepares an executed notebook for the site template: the site's title replaces the
    notebook's own H1, headings feed the contents, each table's CSV gets a file name, and a
    verdict recorded in the body points to the answer at the top instead of repeating it."""

    def preprocess(self, nb, resources):
        page = resources["cnai"]
        files: PageFiles = page["page_files"]
        toc: list[tuple[int, str, str]] = []
        dropped_h1 = False
        n_table = 0
        # each claim's verdict from the readings this notebook recorded (primary + alternatives)
        claim_st = statuses_by_claim(
            [
                o["data"][VERDICT_MIME]
                for c in nb.cells
                for o in c.get("outputs", [])
                if VERDICT_MIME in (o.get("data") or {})
            ]
        )
        glossed: set[str] = set()  # abbreviations already linked on this page
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                if not dropped_h1 and H1_RE.match(cell.source):
                    cell.source = H1_RE.sub("", cell.source, count=1)
                    dropped_h1 = True
                for hashes, text in HEADING_LINE_RE.findall(cell.source):
                    anchor = heading_id(text)
                    if anchor:
                        toc.append((len(hashes), anchor, heading_text(text)))
                cell.source = link_glossary(cell.source, glossed, page.get("root", "../"))
                continue
            # warnings and logs on stderr are for the notebook's author, not the page's reader
            outs = [o for o in cell.get("outputs", []) if not _is_stderr(o)]
            cell.outputs = group_records(outs)
            for out in cell.outputs:  # a heading a cell shows (a section only some reports have)
                text = out.get("data", {}).get("text/markdown") if out.get("data") else None
                if isinstance(text, str) and MIME not in out["data"]:
                    for hashes, head in HEADING_LINE_RE.findall(text):
                        anchor = heading_id(head)
                        if anchor and len(hashes) == 2:
                            toc.append((len(hashes), anchor, heading_text(head)))
            for out in cell.get("outputs", []):
                data = out.get("data", {})
                if TABLE_MIME in data:
                    n_table += 1
                    meta = data[TABLE_MIME]
                    stem = re.sub(r"[^a-z0-9_-]+", "-", (meta.get("name") or "").lower()).strip("-")
                    kind = "figure" if meta.get("figure") else "table"
                    name = f"{kind}-{n_table:02d}{'-' + stem if stem else ''}.csv"
                    files.files[name] = meta.get("csv", "")
                    files.captions[name] = meta.get("caption") or f"{kind} {n_table}"
                    out.setdefault("metadata", {})["cnai_csv"] = name
                    out["metadata"]["cnai_rows"] = meta.get("rows", "")
                    if kind == "table" and isinstance(data.get("text/html"), str):
                        data["text/html"] = fold_long_table(data["text/html"], meta)
                if VERDICT_MIME in data and data.get("text/markdown"):
                    v = data[VERDICT_MIME]
                    role = {"alternative": "Alternative reading", "sensitivity": "Sensitivity"}
                    what = role.get(v.get("role") or "", "Verdict on the claim")
                    data["text/markdown"] = verdict_pointer(
                        v, what, claim_st.get(v.get("claim") or "")
                    )
        extract_images(nb, files)
        page["toc"] = toc
        return nb, resources


# a table this long folds under a one-line summary on a phone (where each row becomes a card
# of "label: value" lines, ~25 px per cell): open on a wide screen (site.js) unless it has more
# than FOLD_ALWAYS_ROWS rows, audit material that folds at every width
FOLD_CELLS = 48
FOLD_ROWS = 15
FOLD_ALWAYS_ROWS = 30
FOLD_FIGURES = 6  # recorded figures of one step shown before they fold on a phone
TR_RE = re.compile(r"<tr[\s>]")
CAPTION_RE = re.compile(r"<p class=['\"]cnai-caption['\"]>(.*?)</p>", re.S)
SENTENCE_END_RE = re.compile(r"(?<=[a-z0-9)%])[.;] ")


def fold_summary(caption: str, width: int = 100) -> str:
    """A table's one-line summary: the first sentence of its caption, cut at a word."""
    text = html.unescape(re.sub(r"<[^>]+>", "", caption)).strip()
    text = SENTENCE_END_RE.split(text, maxsplit=1)[0].rstrip(".")
    if len(text) > width:
        text = text[: width - 1].rsplit(" ", 1)[0].rstrip(",;:") + "\u2026"
    return text or "The table"


def fold_long_table(body: str, meta: dict) -> str:
    """A long table's HTML inside ``<details class="cnai-fold">`` with a one-line summary (its
    caption's first sentence, its size), so that a phone's page is not a wall of row cards: a
    table already folded by its notebook and the claims ledger's table are left as they are."""
    if "cnai-fold" in body or "cnai-ledger" in body:
        return body
    rows = max(len(TR_RE.findall(body)) - 1, 0)
    cols = len(meta.get("columns") or []) or 1
    if rows <= FOLD_ROWS and rows * cols <= FOLD_CELLS:
        return body
    cap = CAPTION_RE.search(body)
    head = fold_summary(cap.group(1) if cap else "")
    always = " cnai-fold-long" if rows > FOLD_ALWAYS_ROWS else ""
    return (
        f'<details class="cnai-fold{always}" data-rows="{rows}"><summary>{html.escape(head)} '
        f'<small class="cnai-fold-size">({rows} rows)</small></summary>{body}</details>'
    )


def extract_images(nb, files: PageFiles) -> None:
    """Each chart (a PNG output) becomes a file beside the page, ``figure-NN.png`` (named like
    its CSV when it has one), so that the page's HTML carries no base64: the output keeps its
    file name (``cnai_img``) and its display size (half the pixels of a 2x chart)."""
    import base64

    n = 0
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if "image/png" not in data:
                continue
            n += 1
            meta = out.setdefault("metadata", {})
            csv = meta.get("cnai_csv", "")
            name = csv[:-4] + ".png" if csv.startswith("figure-") else f"figure-{n:02d}-chart.png"
            raw = data["image/png"]
            files.images[name] = base64.b64decode(raw if isinstance(raw, str) else "".join(raw))
            meta["cnai_img"] = name
            data["image/png"] = ""  # the template links the file
            phone = meta.get("cnai_phone") or {}
            if phone.get("png"):  # the phone rendering: a second file, offered to small screens
                phone_name = name[:-4] + "-phone.png"
                files.images[phone_name] = base64.b64decode(phone.pop("png"))
                meta["cnai_img_phone"] = phone_name


def _is_stderr(out) -> bool:
    return out.get("output_type") == "stream" and out.get("name") == "stderr"


def _is_record(out) -> bool:
    return out.get("output_type") == "display_data" and MIME in out.get("data", {})


def group_records(outputs: list) -> list:
    """Consecutive recorded figures of a cell (one "**label**: value" line each in the notebook)
    become one compact list on the page: label, value with its unit, "restated" for a curated
    figure, "not measurable" for a missing one."""
    out, run = [], []

    def flush() -> None:
        if not run:
            return
        rows = []
        for o in run:
            rec = o["data"][MIME]
            value = rec.get("value")
            if isinstance(value, (list, dict)) or rec.get("shown") is False:
                continue  # a table of values (in results.json), or a figure the answer gives
            if isinstance(value, str) and CODE_VALUE_RE.fullmatch(value):
                shown = code_label(value)
            elif isinstance(value, str) and ISO_DATE_RE.fullmatch(value):
                shown = day(value)  # a list's month or a day, as the prose writes it
            elif value is None:
                shown = "not measurable"
            else:
                shown = fmt(value, rec.get("kind"), rec.get("unit"))
            note = " <small>(restated)</small>" if rec.get("basis") == "curated" else ""
            label = html.escape(rec.get("description") or rec.get("name", ""))
            rows.append(f"<div><dt>{label}</dt><dd>{html.escape(shown)}{note}</dd></div>")
        if rows:
            body = f'<dl class="cnai-recorded">{"".join(rows)}</dl>'
            if len(rows) > FOLD_FIGURES:  # a step's long list of figures: one line on a phone
                body = (
                    f'<details class="cnai-fold"><summary>{len(rows)} figures of this step'
                    f"</summary>{body}</details>"
                )
            out.append(new_output("display_data", data={"text/html": body}))
        run.clear()

    for o in outputs:
        if _is_record(o):
            run.append(o)
            continue
        flush()
        out.append(o)
    flush()
    return out


# inline spans left alone when linking abbreviations: code, links, images, HTML tags
SKIP_RE = re.compile(r"(`[^`]*`|!?\[[^\]]*\]\([^)]*\)|<[^>]+>)")


def _term_re(term: str) -> re.Pattern:
    if term.isascii():
        return re.compile(rf"(?<![\w/.-]){re.escape(term)}(?=s?(?![\w-]))")
    return re.compile(re.escape(term))


def link_glossary(source: str, seen: set[str], root: str) -> str:
    """Link the first use on the page of each glossary abbreviation (MFU, BF16, 属地) to its
    entry in the index's glossary, with the definition as a tooltip. Headings, fenced code,
    code spans, links and HTML are left as they are; ``seen`` carries the page's earlier uses."""
    lines, fenced = [], False
    for line in source.split("\n"):
        if line.lstrip().startswith("```"):
            fenced = not fenced
        if fenced or line.lstrip().startswith("#"):
            lines.append(line)
            continue
        parts = SKIP_RE.split(line)
        for i in range(0, len(parts), 2):  # even parts are text, odd ones skipped spans
            parts[i] = _link_terms(parts[i], seen, root)
        lines.append("".join(parts))
    return "\n".join(lines)


def _link_terms(text: str, seen: set[str], root: str) -> str:
    hits: list[tuple[int, int, str, str]] = []
    for term, anchor, definition in glossary_terms():
        m = None if term in seen else _term_re(term).search(text)
        if m and not any(m.start() < e and b < m.end() for b, e, _, _ in hits):
            hits.append((m.start(), m.end(), anchor, definition))
            seen.add(term)
    out, pos = [], 0
    for b, e, anchor, definition in sorted(hits):
        out += [
            text[pos:b],
            f'<a class="cnai-term" href="{root}index.html#{anchor}" '
            f'title="{html.escape(definition)}">{text[b:e]}</a>',
        ]
        pos = e
    return "".join(out) + text[pos:]
