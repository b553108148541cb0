"""Key figures of a report: ``record(name, value, description)`` in a notebook.

The value is displayed in the notebook (markdown, so the reader sees it where it is computed) and
carried in the same output under a custom MIME type, from which the report pipeline writes
``results.json``. The number in the text and in the JSON are the same object.
"""

from __future__ import annotations

import html
import math
import re
from typing import Any

MIME = "application/vnd.cnai.result+json"
NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
RESULTS: dict[str, Any] = {}


def _plain(value: Any) -> Any:
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
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    raise TypeError(f"record(): value of type {type(value).__name__} is not a JSON figure")


def fmt(value: Any, kind: str | None = None) -> str:
    if value is None:
        return "n/a"
    if kind == "raw":
        return str(value)
    if kind == "pct" and isinstance(value, (int, float)):
        return f"{value:.1%}"
    if isinstance(value, float):
        return f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def record(name: str, value: Any, description: str = "", kind: str | None = None) -> None:
    """Record a key figure for results.json and show it where it is computed."""
    if not NAME_RE.match(name):
        raise ValueError(f"record(): name {name!r} must be snake_case")
    plain = _plain(value)
    RESULTS[name] = plain
    try:
        from IPython.display import display

        shown = html.escape(fmt(plain, kind)).replace("$", "&#36;")
        text = f"**{html.escape(description or name).replace('$', '&#36;')}**: {shown}"
        display(
            {
                MIME: {"name": name, "value": plain, "description": description, "kind": kind},
                "text/markdown": text,
                "text/plain": f"{name} = {plain!r}",
            },
            raw=True,
        )
    except ImportError:  # pragma: no cover - IPython is a dependency
        pass


def collect(nb) -> tuple[dict[str, Any], dict[str, str]]:
    """(values, descriptions) recorded in an executed notebook, in recording order."""
    values: dict[str, Any] = {}
    descriptions: dict[str, str] = {}
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if MIME in data:
                rec = data[MIME]
                values[rec["name"]] = rec["value"]
                descriptions[rec["name"]] = rec.get("description", "")
    return values, descriptions


def collect_kinds(nb) -> dict[str, str]:
    """Display kinds ('pct', 'raw', ...) recorded with each key figure."""
    out = {}
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            rec = o.get("data", {}).get(MIME)
            if rec and rec.get("kind"):
                out[rec["name"]] = rec["kind"]
    return out
