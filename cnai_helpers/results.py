"""Key figures of a report: ``record(name, value, description, kind=...)`` in a notebook.

The value is displayed in the notebook (markdown, so the reader sees it where it is computed) and
carried in the same output under a custom MIME type, from which the report pipeline writes
``results.json``. The number in the text and in the JSON are the same object.

Each figure knows what it is: its ``kind`` (share, count, money, ratio, year, number, text), a
``unit`` where one applies (``USD m``, ``km``, ``x``), and its ``basis``: ``computed`` from
primary data, or ``curated`` (restated from a curated table; ``source`` names the table and row).
Claims are judged with :mod:`cnai_helpers.evidence` and recorded with :func:`record_verdict`;
``results.json`` stays a flat object of figures and gains a ``"verdicts"`` list.
"""

from __future__ import annotations

import functools
import html
import math
import re
from typing import Any

from .evidence import Verdict
from .formatting import fmt

MIME = "application/vnd.cnai.result+json"
VERDICT_MIME = "application/vnd.cnai.verdict+json"
NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
KINDS = ("share", "count", "money", "ratio", "year", "number", "text")
ALIASES = {"pct": "share", "raw": "text"}  # older names, still accepted
RESULTS: dict[str, Any] = {}
VERDICTS: list[dict] = []


def plain_value(value: Any) -> Any:
    """numpy / pandas scalars -> JSON-safe Python values; NaN -> None."""
    if value is None or isinstance(value, (str, bool)):
        return value
    if hasattr(value, "item") and not isinstance(value, (list, dict)):
        value = value.item()
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, (list, tuple)):
        return [plain_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain_value(v) for k, v in value.items()}
    raise TypeError(f"record(): value of type {type(value).__name__} is not a JSON figure")


def infer_kind(value: Any) -> str:
    if isinstance(value, (bool, str, list, dict)) or value is None:
        return "text"
    if isinstance(value, int):
        return "count"
    return "number"


def record(
    name: str,
    value: Any,
    description: str = "",
    kind: str | None = None,
    *,
    unit: str | None = None,
    basis: str = "computed",
    source: str | None = None,
    show: bool = True,
) -> None:
    """Record a key figure for results.json and show it where it is computed.

    ``kind``: share, count, money, ratio, year, number or text (inferred when omitted);
    ``unit``: e.g. ``USD m`` for money, ``km``; ``basis``: ``computed`` or ``curated``
    (a curated figure names its ``source``: ``"market_facts.csv: ChatGPT genai_web_traffic_share
    2025-12"``); ``show=False``: recorded but not listed again on the page where it is computed
    (a figure the page's answer or headline already gives)."""
    if not NAME_RE.match(name):
        raise ValueError(f"record(): name {name!r} must be snake_case")
    plain = plain_value(value)
    kind = ALIASES.get(kind or "", kind) or infer_kind(plain)
    if kind not in KINDS:
        raise ValueError(f"record({name!r}): kind {kind!r} not one of {', '.join(KINDS)}")
    if basis not in ("computed", "curated"):
        raise ValueError(f"record({name!r}): basis must be computed or curated")
    if basis == "curated" and not source:
        raise ValueError(f"record({name!r}): a curated figure names its source table and row")
    if kind == "money" and not unit:
        raise ValueError(f"record({name!r}): money needs a unit with its currency, e.g. 'USD m'")
    RESULTS[name] = plain
    meta = {
        "name": name,
        "value": plain,
        "description": description,
        "kind": kind,
        "unit": unit,
        "basis": basis,
        "source": source,
    }
    if not show:
        meta["shown"] = False
    if isinstance(plain, (list, dict)):
        shown = f"{len(plain)} entries (in results.json)"
    else:
        shown = html.escape(fmt(plain, kind, unit)).replace("$", "&#36;")
    label = html.escape(description or name).replace("$", "&#36;")
    note = (
        f" <small>(restated from {html.escape(source or '')})</small>" if basis == "curated" else ""
    )
    _display(
        {
            MIME: meta,
            "text/markdown": f"**{label}**: {shown}{note}",
            "text/plain": f"{name} = {plain!r}",
        }
    )


ROLE_WORDS = {
    "primary": "Verdict",
    "alternative": "Alternative reading",
    "sensitivity": "Sensitivity",
    "": "Verdict",
}


def verdict_key(v: dict) -> tuple:
    """What makes a recorded verdict unique in a report: its claim and the reading it was
    judged under (role, definition, registry, cut-off)."""
    return (
        v.get("claim"),
        v.get("role") or "",
        v.get("definition") or "",
        v.get("registry") or "",
        v.get("cutoff") or "",
    )


def record_verdict(verdict: Verdict, show: bool = True) -> None:
    """Record a :class:`cnai_helpers.evidence.Verdict` about a claim (its ``claim`` set to the
    data/curated/claims.csv id; :func:`cnai_helpers.evidence.judge` sets it) and show its status
    and reason. A report may record one verdict per reading of a claim (primary, alternatives,
    sensitivities such as the latest list)."""
    if not isinstance(verdict, Verdict):
        raise TypeError("record_verdict() takes an evidence.Verdict")
    if not verdict.claim:
        raise ValueError("record_verdict(): the verdict names no claim (use .about(claim_id))")
    d = {k: plain_value(v) for k, v in verdict.as_dict().items()}
    if verdict.figure and verdict.figure in RESULTS and verdict.value is None:
        d["value"] = RESULTS[verdict.figure]  # the value the verdict names, not a definition's
    elif verdict.figure and verdict.figure in RESULTS and not verdict.role:
        d["value"] = RESULTS[verdict.figure]
    d["quote"], d["article"] = claim_quote(verdict.claim)
    VERDICTS.append(d)
    what = ROLE_WORDS.get(verdict.role, "Verdict")
    scope = ", ".join(
        x
        for x in (
            verdict.definition,
            isinstance(verdict.cutoff, str) and verdict.cutoff and f"lists to {verdict.cutoff}",
        )
        if x
    )
    scope = f" ({scope})" if scope and verdict.role else ""
    text = (
        f"**{what}{html.escape(scope)}: {html.escape(verdict.label)}.** "
        f"{html.escape(verdict.reason)}"
    ).replace("$", "&#36;")
    _display(
        {
            VERDICT_MIME: d,
            "text/markdown": text if show else "",
            "text/plain": f"verdict {verdict.claim} = {verdict.status}",
        }
    )


def claim_quote(claim_id: str) -> tuple[str, str]:
    """(quote, article) of a claim in data/curated/claims.csv; empty when the id is not there
    (the ledger reports unknown ids). The table is read once per version of the file, not once
    per verdict."""
    from .metadata import table

    path = table("claims").path
    try:
        version = path.stat().st_mtime_ns
    except OSError:
        return "", ""
    return _claim_quotes(str(path), version).get(claim_id, ("", ""))


@functools.cache
def _claim_quotes(path: str, version: int) -> dict[str, tuple[str, str]]:
    from .metadata import TableError, read_curated

    try:
        df = read_curated("claims", path)
    except (TableError, OSError):
        return {}
    return {str(r.claim_id): (str(r.quote), str(r.article)) for r in df.itertuples()}


def _display(bundle: dict) -> None:
    try:
        from IPython.display import display

        display(bundle, raw=True)
    except ImportError:  # pragma: no cover - IPython is a dependency
        pass


def _records(nb, mime: str):
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            rec = out.get("data", {}).get(mime)
            if rec:
                yield rec


def collect(nb) -> tuple[dict[str, Any], dict[str, str]]:
    """(values, descriptions) recorded in an executed notebook, in recording order; values
    carry the ``"verdicts"`` list when the notebook recorded any."""
    values: dict[str, Any] = {}
    descriptions: dict[str, str] = {}
    for rec in _records(nb, MIME):
        values[rec["name"]] = rec["value"]
        descriptions[rec["name"]] = rec.get("description", "")
    verdicts = collect_verdicts(nb)
    if verdicts:
        values["verdicts"] = verdicts
    return values, descriptions


def collect_verdicts(nb) -> list[dict]:
    """Verdicts recorded in an executed notebook; a reading of a claim recorded twice keeps
    the last (:func:`verdict_key`)."""
    by_key = {verdict_key(rec): rec for rec in _records(nb, VERDICT_MIME)}
    return list(by_key.values())


def collect_kinds(nb) -> dict[str, str]:
    """Kind of each key figure (share, count, money, ...)."""
    return {rec["name"]: rec["kind"] for rec in _records(nb, MIME) if rec.get("kind")}


def collect_units(nb) -> dict[str, str]:
    """Unit of each key figure that has one (``CNY m``, ``km``, ``pp``)."""
    return {rec["name"]: rec["unit"] for rec in _records(nb, MIME) if rec.get("unit")}


def collect_meta(nb) -> dict[str, dict]:
    """Everything recorded about each key figure: kind, unit, basis, source, description."""
    return {
        rec["name"]: {k: rec.get(k) for k in ("kind", "unit", "basis", "source", "description")}
        for rec in _records(nb, MIME)
    }
