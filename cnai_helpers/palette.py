"""One set of colours for every chart: each registry, lab, chip and "the claim vs our estimate"
keeps its colour from chart to chart and from page to page.

The colours are seaborn's colour-blind-safe palette (the site's theme, ``plotting.PALETTE``),
assigned once here by name. Notebooks import ``colour``, ``CLAIM`` and ``ESTIMATE`` from this
module and ask by kind and name: ``ax.bar(x, y, color=colour("registry", registry))``,
``ax.axhline(claim, color=CLAIM)``.

A name the palette does not know gets a stable colour of its own (a hash of the name into the
palette's spare colours), never a colour another name already holds within its kind.
"""

from __future__ import annotations

import hashlib

# seaborn "colorblind" (Okabe–Ito based), in seaborn's order
BLUE, ORANGE, GREEN, VERMILION, PURPLE, BROWN, PINK, GREY, YELLOW, SKY = (
    "#0173b2",
    "#de8f05",
    "#029e73",
    "#d55e00",
    "#cc78bc",
    "#ca9161",
    "#fbafe4",
    "#949494",
    "#ece133",
    "#56b4e9",
)
CYCLE = (BLUE, ORANGE, GREEN, VERMILION, PURPLE, BROWN, PINK, GREY, YELLOW, SKY)

# what a source claims against what the project estimates: never the same colour
CLAIM = VERMILION
ESTIMATE = BLUE
HIGHLIGHT = VERMILION  # the one bar a chart is about (this batch, this province)
BASE = BLUE  # every other bar
NEUTRAL = GREY  # reference lines: parity, equal spread, a parameter's value
POINTS = ORANGE  # the city bubbles over a blue map (no registry or claim is drawn on a map)
SECOND_ESTIMATE = SKY  # the same estimate on other data beside ESTIMATE (latest list vs cut-off)

REGISTRIES = {
    "deep_synthesis": BLUE,
    "algorithm_recommendation": GREEN,
    "genai_filings": ORANGE,
    "genai_registrations": PURPLE,
}
LABS = {
    "DeepSeek": BLUE,
    "Zhipu": GREEN,
    "MiniMax": PURPLE,
    "Moonshot": BROWN,
    "Alibaba": ORANGE,
    "Baidu": SKY,
    "ByteDance": PINK,
    "OpenAI": GREY,
    "Anthropic": YELLOW,
}
CHIPS = {  # Nvidia in blues and greys, Huawei in warm colours
    "Nvidia H800": BLUE,
    "Nvidia H100": SKY,
    "Nvidia H20": GREY,
    "Nvidia B200": PURPLE,
    "Nvidia A100": GREEN,
    "Huawei Ascend 910B": ORANGE,
    "Huawei Ascend 910C": VERMILION,
}
COUNTRIES = {"China": VERMILION, "United States": BLUE, "Other": GREEN}
WEIGHTS = {"open": GREEN, "closed": BLUE}  # open-weight against closed models
# a claim's status: the colours of the site's badges (site.css --ok, --bad, --dep, --nt, --src)
STATUSES = {
    "supported": "#1a7f37",
    "contradicted": "#a40e26",
    "inconclusive": "#bf8700",
    "depends_on_definition": "#7d4e00",
    "not_testable": "#57606a",
    "source_traced": "#0550ae",
    "pending": "#afb8c1",
}
KINDS = {
    "registry": REGISTRIES,
    "lab": LABS,
    "chip": CHIPS,
    "country": COUNTRIES,
    "weights": WEIGHTS,
    "status": STATUSES,
}


def _find(table: dict[str, str], name: str) -> str | None:
    if name in table:
        return table[name]
    low = name.lower()
    for key, col in table.items():  # "Zhipu AI" -> Zhipu, "H800 SXM" -> Nvidia H800
        k = key.lower()
        if k in low or (k.split()[-1] in low.split()):
            return col
    return None


def colour(kind: str, name: str) -> str:
    """The colour of ``name`` (a registry code, a lab, a chip, a country) in every chart."""
    if kind not in KINDS:
        raise ValueError(f"palette: kind {kind!r} not one of {', '.join(KINDS)}")
    table = KINDS[kind]
    found = _find(table, str(name))
    if found:
        return found
    spare = [c for c in CYCLE if c not in table.values()] or list(CYCLE)
    h = int(hashlib.sha1(str(name).encode()).hexdigest(), 16)
    return spare[h % len(spare)]


def colours(kind: str, names) -> dict[str, str]:
    """{name: colour} for a legend's names (see :func:`colour`)."""
    return {n: colour(kind, n) for n in names}
