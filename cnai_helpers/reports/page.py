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


GLOSSARY = (
    (
        "CAC",
        "Cyberspace Administration of China (国家互联网信息办公室), which publishes the filing "
        "registries.",
    ),
    (
        "属地",
        "“Territory”: the province a generative-AI filing is registered under, "
        "the only location the generative-AI lists give.",
    ),
    (
        "SOE / 国资委",
        "State-owned enterprise; 国资委 (SASAC) marks central SOEs, which the lists "
        "give no province.",
    ),
    (
        "LQ",
        "Location quotient: a province's share of a use case divided by the national share "
        "(above 1: more specialised than the country).",
    ),
    (
        "HHI",
        "Herfindahl–Hirschman index of concentration: the sum of squared percentage shares "
        "(0 to 10,000; above 1,500 counts as moderately concentrated in the US 2010 merger "
        "guidelines).",
    ),
    ("FLOP", "Floating-point operations: the amount of computation used to train a model."),
    ("TFLOPS", "Trillions of floating-point operations per second: a chip's peak speed."),
    (
        "BF16 / FP16",
        "16-bit number formats used to train large models; chips' peak speeds are quoted in them.",
    ),
    ("MFU", "Model FLOPs utilisation: the share of a chip's peak speed a training run achieves."),
    ("PUE", "Power usage effectiveness: a data centre's total power over the chips' power (≥ 1)."),
    ("Open weights", "A model whose trained parameters are published for anyone to run."),
    # the statuses of a claim (one rule, cnai_helpers/evidence.py), as the badges say them
    (
        "Supported",
        "The estimate's interval lies inside the band the claim's words allow, under the "
        "reading fixed for the claim.",
    ),
    ("Contradicted", "The estimate's interval lies wholly outside the claim's band."),
    (
        "Inconclusive",
        "The interval crosses an edge of the band; the page gives the sample size that would "
        "decide.",
    ),
    (
        "Depends on definition",
        "Two readings equally faithful to the words, each decisive, disagree.",
    ),
    ("Not testable", "The project's data cannot measure the claim's quantity."),
    ("Source-traced", "A figure restated from its source, not computed here: never supported."),
    (
        "Sensitivity check",
        "The claim computed on other data (another list, date or chip): shown beside the "
        "verdict, never deciding it.",
    ),
)


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
