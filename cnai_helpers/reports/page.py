"""What the page renderer (render.py) and the notebook preprocessor (preprocess.py) both need:
heading anchors, the page's extra files and the glossary. It sits below both, so neither imports
the other for these (render.py uses the preprocessor; the preprocessor never imports render.py)."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

H1_RE = re.compile(r"^\s*#\s+[^\n]*\n?")
HEADING_LINE_RE = re.compile(r"^(#{2,3})\s+(.+?)\s*#*\s*$", re.M)
ID_RE = re.compile(r'\bid="([^"]+)"')


def heading_id(text: str) -> str:
    """The id nbconvert gives a markdown heading (so the contents link to its anchors)."""
    from nbconvert.filters.markdown_mistune import markdown2html_mistune
    from nbconvert.filters.strings import add_anchor

    rendered = markdown2html_mistune(f"## {text}").strip()
    m = ID_RE.search(rendered) or ID_RE.search(add_anchor(rendered))
    return m.group(1) if m else ""


def heading_text(text: str) -> str:
    """Markdown heading source -> plain text (code ticks, emphasis and links removed)."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    return re.sub(r"[`*_]", "", text).strip()


@dataclass
class PageFiles:
    """Files a page offers besides index.html (CSV of each table/figure)."""

    files: dict[str, str] = field(default_factory=dict)
    captions: dict[str, str] = field(default_factory=dict)
    images: dict[str, bytes] = field(default_factory=dict)  # chart files beside the page


def _glossary() -> tuple[tuple[str, str], ...]:
    from ..reference import glossary

    return tuple((str(e["term"]), " ".join(str(e["definition"]).split())) for e in glossary())


# (term, definition), in the front page's order: cnai_helpers/reference/glossary.yaml
GLOSSARY = _glossary()


def glossary_anchor(term: str) -> str:
    """The id of a glossary entry on the index (``term-mfu``, ``term-bf16-fp16``)."""
    i = next((n for n, (t, _) in enumerate(GLOSSARY) if t == term), 0)
    slug = re.sub(r"[^a-z0-9]+", "-", term.lower()).strip("-")
    return f"term-{slug or i}"


@functools.cache
def glossary_terms() -> tuple[tuple[str, str, str], ...]:
    """(abbreviation, anchor, definition) for each abbreviation of the glossary ("BF16 / FP16"
    gives two); entries that are words ("Open weights") are left out. Built once: the page
    preprocessor asks for every span of text."""
    return tuple(
        (part, glossary_anchor(term), text)
        for term, text in GLOSSARY
        for part in term.split(" / ")
        if part.isupper() or not part.isascii()
    )


# words a shortened quote must not end on: a number cut from its unit ("make up 22…") or a
# word that needs the next one
DANGLING_RE = re.compile(
    r"^(?:[\d.,%$]+|a|an|the|of|to|in|and|or|at|by|for|from|with|than|--|–|—)$", re.I
)


def shorten_quote(quote: str, width: int) -> str:
    """A quote cut to ``width`` characters at a word, never after a number or a word that needs
    the next one ("make up 22…" becomes "make up…")."""
    if len(quote) <= width:
        return quote
    words = quote[: width - 1].split(" ")[:-1] or [quote[: width - 1]]
    while len(words) > 1 and DANGLING_RE.match(words[-1].strip(",;:")):
        words.pop()
    return " ".join(words).rstrip(",;:") + "\u2026"


def reading_scope(v: dict) -> str:
    """What a reading was computed on, as one phrase: "broad, the three generative lists
    pooled (…), lists to March 2025" (a registry's name lower-cased inside the phrase; months
    in words, like the rest of the site)."""
    from ..formatting import month
    from ..reference import registry_label

    parts = [v.get("definition") or ""]
    if v.get("registry"):
        name = registry_label(v["registry"])
        parts.append(name[:1].lower() + name[1:] if parts[0] else name)
    if v.get("cutoff"):
        parts.append(f"lists to {month(v['cutoff'])}")
    return ", ".join(p for p in parts if p)
