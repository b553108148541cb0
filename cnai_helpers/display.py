"""Safe display helpers for notebooks: data-derived text is always HTML-escaped.

:func:`table` *displays* a DataFrame (it returns nothing, so a table in the middle of a cell is
not lost): values formatted by kind (shares as percentages, counts with separators, years as
years, URLs as links, missing as "—"), human column labels with units, and the exact data shown
carried as CSV under :data:`TABLE_MIME` so that the report page can offer it as a download.

The formatting is a thin layer on pandas' ``Styler`` (escaping, ``na_rep``, per-column
formatters, relabelled headers): it needs no new dependency and no per-page JavaScript or CSS,
which great-tables (inline CSS per table) and itables (a DataTables bundle per page) would add.
"""

from __future__ import annotations

import hashlib
import html
import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from . import reference

TABLE_MIME = "application/vnd.cnai.table+json"
MISSING = "—"
STYLE_BLOCK_RE = re.compile(r"<style[^>]*>\s*</style>\s*")
SUP_RE = re.compile(r"10\^(-?\d+)")
KINDS = ("share", "count", "money", "ratio", "year", "number", "text", "url")
ACRONYMS: dict[str, str] = reference.acronyms()  # cnai_helpers/reference/labels.yaml
VALUE_LABELS: dict[str, str] = reference.value_labels()  # cross_sector -> Cross-sector


def md(template: str, **values: Any):
    """Markdown with ``{name}`` placeholders filled by escaped values:
    ``md("Top filer: **{name}**", name=entity)`` renders ``<script>`` as text."""
    from IPython.display import Markdown

    # escape HTML, and "$" so that two prices in one sentence are not read as LaTeX math
    safe = {k: html.escape(str(v)).replace("$", "&#36;") for k, v in values.items()}
    return Markdown(template.format(**safe))


def human_label(name: str) -> str:
    """``tensor_fp16_tflops`` -> ``Tensor FP16 TFLOPS``; labels that are not snake_case
    (already human, or Chinese) are kept."""
    if not re.fullmatch(r"[a-z0-9_]+", str(name)):
        return str(name)
    words = [ACRONYMS.get(w, w) for w in str(name).split("_") if w]
    text = " ".join(words)
    return text[:1].upper() + text[1:] if text else str(name)


def header_case(label: str) -> str:
    """A table header starting with a capital, as the other headers do: "share of batch" ->
    "Share of batch"; a header that starts otherwise (a capital, a digit, Chinese) is kept."""
    text = str(label)
    return text[:1].upper() + text[1:] if re.match(r"[a-z]+\b", text) else text


def _missing(v: Any) -> bool:
    if v is None:
        return True
    try:
        import pandas as pd

        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _power(v: float) -> str:
    mant, exp = f"{v:.2e}".split("e")
    return f"{float(mant):g} × 10{str(int(exp)).translate(SUPERSCRIPT)}"


def fmt_number(v: float) -> str:
    """A float for people, never in e-notation: 1,234 / 12.3 / 0.0042 / 2.5 × 10²⁵."""
    v = float(v)
    if math.isinf(v):
        return "∞" if v > 0 else "−∞"
    a = abs(v)
    if a >= 1e9:
        return _power(v)
    if v == 0:
        return "0"
    if a >= 100:
        return f"{v:,.0f}"
    if a >= 1:
        return (
            f"{v:,.2f}".rstrip("0").rstrip(".") if a < 10 else f"{v:,.1f}".rstrip("0").rstrip(".")
        )
    if a >= 1e-4:
        return f"{v:.2g}" if "e" not in f"{v:.2g}" else f"{v:.6f}".rstrip("0")
    return _power(v)


# a code value in a text cell (``central_soe``, ``ecommerce_retail``): lower-case words joined by
# underscores; shown as words (the CSV download keeps the code)
CODE_VALUE_RE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+")


def code_label(value: str) -> str:
    """``central_soe`` -> ``central SOE``; ``genai_filings`` -> ``generative-AI filings``."""
    return " ".join(ACRONYMS.get(w, w) for w in value.split("_"))


def fmt_ratio(v: float) -> str:
    """2.03×, 33.1×, 140×: two decimals below 10, one below 100, none above."""
    return f"{v:,.2f}×" if abs(v) < 10 else f"{v:,.1f}×" if abs(v) < 100 else f"{v:,.0f}×"


def share_decimals(values) -> int:
    """The one number of decimals for a column of shares (percent): 1, or 2 when a non-zero
    share would otherwise read 0.0% -- the whole column then has 2, never "0.1%" above "0.09%"."""
    for v in values:
        if not _missing(v) and not isinstance(v, (str, bool)):
            try:
                a = abs(float(v))
            except (TypeError, ValueError):
                continue
            if 0 < a < 0.0005:
                return 2
    return 1


def fmt_value(v: Any, kind: str, codes: bool = False, decimals: int | None = None) -> str:
    """One cell formatted by kind (plain text; escaping happens in the Styler); ``codes``: keep
    code values (``central_soe``) as they are instead of writing them as words; ``decimals``:
    a share's decimals (in a table: its column's, :func:`share_decimals`)."""
    if _missing(v):
        return MISSING
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, str) and not codes and v in VALUE_LABELS:
        return VALUE_LABELS[v]  # a category's one label, the same in every table
    if isinstance(v, str) and not codes and CODE_VALUE_RE.fullmatch(v):
        return code_label(v)
    if kind == "text" or isinstance(v, str):
        return str(v)
    if kind == "year":
        return str(int(v)) if float(v).is_integer() else str(v)
    if kind == "share":
        if decimals is None:
            decimals = share_decimals([v])
        return f"{v:.{decimals}%}"
    if kind == "ratio":
        return fmt_ratio(v)
    if kind == "count" or (isinstance(v, int) and kind != "number"):
        return f"{int(round(v)):,}"
    if kind == "money":
        return f"{v:,.0f}" if abs(v) >= 100 else fmt_number(v)
    return fmt_number(v)


def infer_kind(name: str, series) -> str:
    """A column's kind from its name and values (an explicit ``kinds=`` entry wins)."""
    import pandas as pd

    n = str(name).lower()
    non_null = series.dropna()
    if (
        n.endswith("url")
        or n.endswith("_link")
        or (
            series.dtype == object
            and len(non_null)
            and non_null.astype(str).str.match(r"https?://").all()
        )
    ):
        return "url"
    if pd.api.types.is_bool_dtype(series):
        return "text"
    if not pd.api.types.is_numeric_dtype(series):
        return "text"
    if n in ("year", "fy") or n.endswith("_year") or n.startswith("year_"):
        return "year"
    if re.search(r"(^|_)(share|pct|percent|rate)($|_)", n) and (non_null.abs() <= 1.5).all():
        return "share"
    if pd.api.types.is_integer_dtype(series):
        return "count"
    if len(non_null) and (non_null == non_null.round()).all() and (non_null.abs() < 1e9).all():
        return "count"
    return "number"


# a link from a report page to another page of the site (../filer/2959887.html)
SITE_PAGE_RE = re.compile(r"(?:\.\./)+[\w-]+(?:/[\w-]+)*\.html")


def _link(v: Any, text: Any = None) -> str:
    """A URL as a link; its text is ``text`` when given (e.g. the notice's date), else the site's
    host name."""
    if _missing(v):  # no address: the text alone (a filer with no page), else "—"
        return MISSING if _missing(text) or not str(text).strip() else html.escape(str(text))
    s = str(v)
    if SITE_PAGE_RE.fullmatch(s) and not _missing(text):  # a page of the site (a filer's)
        return f'<a href="{html.escape(s, quote=True)}">{html.escape(str(text))}</a>'
    if not re.match(r"https?://", s):
        return html.escape(s)
    host = re.sub(r"^https?://(www\.)?", "", s).split("/")[0]
    shown = host if _missing(text) or not str(text).strip() else str(text)
    return f'<a href="{html.escape(s, quote=True)}" rel="noopener">{html.escape(shown)}</a>'


# a code name inside a text cell of a ``codes`` column: marked up as code for the reader
CODE_NAME_RE = re.compile(r"(?<![\w/.-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w/-])")


def code_names(text: str) -> str:
    """Mark the code names in a text (``source_id``, ``data_quality``) as code for markdown, so
    that a reader sees them as names of fields and tables, not as words."""
    return CODE_NAME_RE.sub(r"`\g<0>`", str(text))


BACKTICK_RE = re.compile(r"`([^`\n]+)`")


def code_markup(text: str) -> str:
    """An escaped text of a ``codes`` cell with its code as code elements: spans in backticks
    (```cnai registry build```, written so in tables.yaml) and bare code names (``source_id``)
    outside them."""
    parts = BACKTICK_RE.split(text)  # odd parts: the insides of backtick spans
    out = "".join(
        f"<code>{p}</code>" if i % 2 else CODE_NAME_RE.sub(r"<code>\g<0></code>", p)
        for i, p in enumerate(parts)
    )
    # a code name breaks only after an underscore (source_/id), never mid-word (sourc/e_id)
    return CODE_SPAN_RE.sub(lambda m: m.group(0).replace("_", "_<wbr>"), out)


CODE_SPAN_RE = re.compile(r"<code>[^<]*</code>")


def _formatter(kind: str, codes: bool = False, decimals: int | None = None) -> Callable[[Any], str]:
    if kind == "url":
        return _link

    def cell(v: Any) -> str:
        text = SUP_RE.sub(r"10<sup>\1</sup>", html.escape(fmt_value(v, kind, codes, decimals)))
        return break_addresses(code_markup(text) if codes else text)

    return cell


# a web address written out in a text cell (a filing's document, an example value): one long
# word that would set its column's width (the data dictionary's examples were 655 px wide)
ADDRESS_RE = re.compile(r"(?<![\w\"'=])(?:https?://|www\.)[^\s<>\"']+")


def break_addresses(text: str) -> str:
    """An escaped cell text whose written-out web addresses may break after each "/" and before
    each "?", "&" or "_" (``<wbr>``), so that a table fits its column instead of scrolling."""

    def soft(m: re.Match) -> str:
        return re.sub(r"(?<=/)(?=[^/])|(?=[?_]|&amp;)", "<wbr>", m.group(0))

    return ADDRESS_RE.sub(soft, text)


def table_html(
    df,
    caption: str | None = None,
    *,
    kinds: Mapping[str, str] | None = None,
    units: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
    codes: bool | Sequence[str] = False,
    link_text: Mapping[str, str] | None = None,
) -> str:
    """The formatted HTML of a table (no index; values escaped). ``codes``: columns (or True:
    all) whose code values are shown as they are, e.g. field names in the data dictionary;
    ``link_text``: URL column -> the column whose value is each link's text (that column is then
    not shown: it is in the link)."""
    kinds = dict(kinds or {})
    units = dict(units or {})
    labels = dict(labels or {})
    for col, k in kinds.items():
        if k not in KINDS:
            raise ValueError(f"table(): kind {k!r} of column {col!r} not one of {', '.join(KINDS)}")
    data = df.copy()
    data.columns = [str(c) for c in data.columns]
    links = {str(k): str(v) for k, v in (link_text or {}).items()}
    for col, text_col in links.items():
        if col not in data.columns or text_col not in data.columns:
            raise ValueError(f"table(): link_text {col!r} -> {text_col!r}: no such column")
        data[col] = [_link(u, t) for u, t in zip(data[col], data[text_col], strict=True)]
    data = data.drop(columns=[t for t in links.values() if t not in links])
    col_kinds = {
        c: "url" if c in links else kinds.get(c) or infer_kind(c, data[c]) for c in data.columns
    }
    heads = {}
    for c in data.columns:
        label = header_case(labels.get(c) or human_label(c))
        # a share's cells carry their "%" already: the header names no unit for them
        unit = units.get(c) if units.get(c) != "%" or col_kinds[c] != "share" else None
        heads[c] = f"{label} ({unit})" if unit else label
    keep = set(data.columns) if codes is True else {str(c) for c in (codes or ())}
    # one precision per column of shares (a column never mixes "0.1%" and "0.09%")
    formatters = {
        c: _formatter(k, c in keep, share_decimals(data[c]) if k == "share" else None)
        for c, k in col_kinds.items()
    }
    formatters.update({c: str for c in links})  # links already built (and escaped) above
    styler = data.style.format(formatters)
    styler = styler.format_index(lambda c: html.escape(heads.get(c, str(c))), axis=1)
    styler = styler.hide(axis="index").set_table_attributes('class="cnai-table"')
    # unique, stable element ids per table (two tables on one page must not share ids)
    uuid = hashlib.sha1(data.to_csv().encode() + (caption or "").encode()).hexdigest()[:8]
    import pandas as pd

    styler = styler.set_uuid(uuid).set_td_classes(
        pd.DataFrame(
            [[f"k-{col_kinds[c]}" for c in data.columns]] * len(data),
            index=data.index,
            columns=data.columns,
        )
    )
    body = slim_styler_html(STYLE_BLOCK_RE.sub("", styler.to_html()))
    cap = f"<p class='cnai-caption'>{html.escape(caption)}</p>" if caption else ""
    return f'<div class="cnai-table-wrap">{body}</div>{cap}'


# what pandas' Styler writes on every cell for its own CSS, which the site does not use: an id
# and position classes per cell (a third of a long table's bytes)
STYLER_CELL_ID_RE = re.compile(
    r' id="T_[0-9a-zA-Z]+_(?:row\d+_col\d+|level\d+_col\d+|level\d+_row\d+)"'
)
STYLER_CLASS_RE = re.compile(
    r'class="(?:data row\d+ col\d+|col_heading level\d+ col\d+|'
    r"row_heading level\d+ row\d+|blank level\d+) ?"
)


def slim_styler_html(body: str) -> str:
    """The Styler's HTML without its per-cell ids and position classes (the table keeps its own
    id; cells keep the site's classes, e.g. ``k-share``)."""
    body = STYLER_CELL_ID_RE.sub("", body)
    return STYLER_CLASS_RE.sub('class="', body).replace(' class=""', "")


class _Shown:
    """What :func:`table` returns: already displayed, so displaying it again (``display(table(
    ...))`` or a cell's last expression) shows nothing (a bare ``None`` would print "None")."""

    def _ipython_display_(self) -> None:
        pass

    def __repr__(self) -> str:
        return "<table shown>"


SHOWN = _Shown()


def table(
    df,
    caption: str | None = None,
    *,
    kinds: Mapping[str, str] | None = None,
    units: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
    index: bool = False,
    name: str | None = None,
    codes: bool | Sequence[str] = False,
    folded: str | None = None,
    fold_everywhere: bool = False,
    link_text: Mapping[str, str] | None = None,
    csv_only: Sequence[str] = (),
    **_ignored: Any,
) -> _Shown:
    """Display a DataFrame as a formatted, escaped table with an optional caption, and carry the
    exact data shown as CSV (code names as headers) for the page's "data (CSV)" link.

    ``kinds``: column -> share, count, money, ratio, year, number, text or url (inferred from the
    column otherwise); ``units``: column -> unit shown in the header (``USD m``); ``labels``:
    column -> header text; ``index``: show the index as a first column; ``name``: file name stem
    of the CSV download; ``codes``: columns (or True) whose code values stay as they are (other
    text cells write ``central_soe`` as "central SOE"; the CSV keeps the codes); ``folded``: a
    one-line summary under which the table folds on a narrow screen (open on a wide one), for
    long reference tables that would make a phone's page endless; ``fold_everywhere``: folded
    on a wide screen too (a reference the reader opens when needed); ``link_text``: URL column ->
    the column holding each link's text (the CSV keeps both); ``csv_only``: columns kept in the
    CSV download but left off the page (sources, tiers, long notes of a table too wide for the
    column), named under the table ("Also in the data (CSV): source tier, source.")."""
    shown = df.reset_index() if index else df
    page, caption = csv_only_columns(shown, caption, csv_only, labels)
    body = table_html(
        page, caption, kinds=kinds, units=units, labels=labels, codes=codes, link_text=link_text
    )
    if folded:
        summary = CODE_NAME_RE.sub(r"<code>\g<0></code>", html.escape(folded))
        long = " cnai-fold-long" if fold_everywhere else ""
        body = f'<details class="cnai-fold{long}"><summary>{summary}</summary>{body}</details>'
    show_html_table(body, shown, caption, name)
    return SHOWN


def csv_only_columns(
    df, caption: str | None, csv_only: Sequence[str], labels: Mapping[str, str] | None = None
):
    """(the table without its ``csv_only`` columns, the caption naming them as "Also in the data
    (CSV): …"): a wide table keeps on the page the columns a reader compares, and its download
    keeps every column. An unknown column is an error naming it."""
    extra = [str(c) for c in csv_only]
    if not extra:
        return df, caption
    have = [str(c) for c in df.columns]
    unknown = [c for c in extra if c not in have]
    if unknown:
        raise ValueError(f"table(): csv_only {unknown} not among the columns {have}")
    names = [(labels or {}).get(c) or human_label(c) for c in extra]
    names = [n[:1].lower() + n[1:] if re.match(r"[A-Z][a-z]", n) else n for n in names]
    note = f"Also in the data (CSV): {', '.join(names)}."
    keep = [c for c in df.columns if str(c) not in extra]
    return df[keep], f"{caption.rstrip()} {note}" if caption else note


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet may run as a formula
PLAIN_NUMBER_RE = re.compile(r"[+-]?(\d[\d,]*)?(\.\d+)?([eE][+-]?\d+)?%?")


def spreadsheet_safe(value: Any) -> Any:
    """A text cell a spreadsheet would evaluate (``=HYPERLINK(…)``, ``+cmd|…``, ``@SUM(…)``)
    prefixed with ``'``, as OWASP recommends against CSV injection; numbers (and text that is
    just a number, ``-3.5``) and everything else unchanged."""
    if (
        isinstance(value, str)
        and value.startswith(FORMULA_START)
        and not PLAIN_NUMBER_RE.fullmatch(value)
    ):
        return "'" + value
    return value


def csv_text(data) -> str:
    """``data`` as CSV for download, text cells and headers made :func:`spreadsheet_safe`."""
    safe = data.copy()
    safe.columns = [spreadsheet_safe(str(c)) for c in data.columns]
    for i in range(safe.shape[1]):
        col = safe.iloc[:, i]
        if col.dtype == object or str(col.dtype) in ("string", "str", "category"):
            safe.isetitem(i, col.astype(object).map(spreadsheet_safe))
    return safe.to_csv(index=False)


def csv_meta(data, caption: str | None = "", name: str | None = "", figure: bool = False) -> dict:
    """What a report page needs to offer ``data`` as the "data (CSV)" download of a table or
    figure (carried under :data:`TABLE_MIME`): the CSV with code names as headers (text cells
    that a spreadsheet would run as formulas are prefixed with ``'``)."""
    meta = {
        "csv": csv_text(data),
        "caption": caption or "",
        "name": name or "",
        "rows": int(len(data)),
        "columns": [str(c) for c in data.columns],
    }
    if figure:
        meta["figure"] = True
    return meta


REFLOW_MIN_COLUMNS = 3  # tables this wide become one card per row on a phone
# tables this wide get narrower cell padding (class cnai-dense): eleven columns at .7em a side
# spend 215 px of a 920 px column on padding
DENSE_MIN_COLUMNS = 9


# a cell kept on one line: a month or a day (a narrow column broke "2023-06" at its hyphen) or
# one word of 7 to 14 letters (a status: "contradict|ed", "supporte|d" at 390 px; shorter words
# are not broken, and a class on each would weigh on the longest pages)
NOWRAP_CELL_RE = re.compile(r"\d{4}-\d{2}(-\d{2})?|[A-Za-z]{7,14}")


def label_cells(body: str) -> str:
    """Each body cell of the HTML's tables gets ``data-label`` (its column's header text), so
    that on a narrow screen the stylesheet can show a row as a card of "label: value" lines;
    tables of at least :data:`REFLOW_MIN_COLUMNS` columns get the class ``cnai-reflow``, and of
    at least :data:`DENSE_MIN_COLUMNS` the class ``cnai-dense`` (narrower padding).
    Cells spanning columns take the header of their first column."""
    from bs4 import BeautifulSoup  # nbconvert's dependency: parses HTML the way a browser would

    soup = BeautifulSoup(body, "html.parser")
    for tab in soup.find_all("table"):
        head = tab.find("thead")
        rows = head.find_all("tr") if head else []
        if not rows:
            continue
        labels: list[str] = []
        for th in rows[-1].find_all(["th", "td"]):
            text = " ".join(th.get_text(" ", strip=True).split())
            labels += [text] * int(th.get("colspan", 1) or 1)
        if len(labels) >= REFLOW_MIN_COLUMNS:
            tab["class"] = [*tab.get("class", []), "cnai-reflow"]
        if len(labels) >= DENSE_MIN_COLUMNS:
            tab["class"] = [*tab.get("class", []), "cnai-dense"]
        for body_part in tab.find_all("tbody"):
            for tr in body_part.find_all("tr", recursive=False):
                col = 0
                for cell in tr.find_all(["td", "th"], recursive=False):
                    if col < len(labels) and labels[col]:
                        cell["data-label"] = labels[col]
                    if NOWRAP_CELL_RE.fullmatch(cell.get_text(strip=True)):
                        cell["class"] = [*cell.get("class", []), "cnai-nowrap"]
                    col += int(cell.get("colspan", 1) or 1)
    return str(soup)


def show_html_table(
    body: str, data, caption: str | None = "", name: str | None = "", what: str = "table"
) -> None:
    """Display a table's HTML with ``data`` as its CSV download (see :func:`csv_meta`); each
    cell carries its column's label for the phone layout (:func:`label_cells`)."""
    from IPython.display import display

    display(
        {
            "text/html": label_cells(body),
            TABLE_MIME: csv_meta(data, caption, name),
            "text/plain": f"<{what}: {len(data)} rows>",
        },
        raw=True,
    )
