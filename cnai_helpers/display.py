"""Safe display helpers for notebooks: data-derived text is always HTML-escaped."""

from __future__ import annotations

import html
from typing import Any


def md(template: str, **values: Any):
    """Markdown with ``{name}`` placeholders filled by escaped values:
    ``md("Top filer: **{name}**", name=entity)`` renders ``<script>`` as text."""
    from IPython.display import Markdown

    # escape HTML, and "$" so that two prices in one sentence are not read as LaTeX math
    safe = {k: html.escape(str(v)).replace("$", "&#36;") for k, v in values.items()}
    return Markdown(template.format(**safe))


def table(df, caption: str | None = None, floatfmt: str = "{:,.3g}", **kw):
    """A DataFrame as an escaped HTML table with an optional caption."""
    from IPython.display import HTML

    styled = df.to_html(
        escape=True,
        index=kw.pop("index", False),
        border=0,
        float_format=lambda x: floatfmt.format(x),
        **kw,
    )
    cap = f"<p class='cnai-caption'>{html.escape(caption)}</p>" if caption else ""
    return HTML(styled + cap)
