"""One figure theme for every report: seaborn, CJK-capable fonts, source captions."""

from __future__ import annotations

import html

import matplotlib as mpl
import matplotlib.pyplot as plt
import seaborn as sns
from matplotlib import font_manager

CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans CJK JP",
    "Noto Sans SC",
    "WenQuanYi Zen Hei",
    "SimHei",
    "Microsoft YaHei",
)
PALETTE = "colorblind"


def cjk_font() -> str | None:
    names = {f.name for f in font_manager.fontManager.ttflist}
    return next((f for f in CJK_FONTS if f in names), None)


def set_theme() -> None:
    sns.set_theme(style="whitegrid", palette=PALETTE, context="notebook")
    font = cjk_font()
    family = ([font] if font else []) + ["DejaVu Sans"]
    mpl.rcParams.update(
        {
            "font.family": "sans-serif",
            "font.sans-serif": family,
            "axes.unicode_minus": False,
            "figure.figsize": (9, 4.8),
            "figure.dpi": 100,
            "savefig.bbox": "tight",
            "axes.titleweight": "bold",
        }
    )


def percent_axis(ax, axis: str = "x") -> None:
    """Label an axis of shares (0-1) as percentages: 0%, 20%, ... 100%."""
    from matplotlib.ticker import PercentFormatter

    (ax.xaxis if axis == "x" else ax.yaxis).set_major_formatter(PercentFormatter(1.0, decimals=0))


def caption(text: str):
    """A figure caption (source and definitions) shown under the figure."""
    from IPython.display import HTML

    return HTML(f"<p class='cnai-caption'>{html.escape(text)}</p>")


def finish(
    fig,
    title: str,
    source: str,
    dpi: int = 110,
    *,
    data=None,
    alt: str | None = None,
    key: str | None = None,
):
    """Title the figure, show it as an embedded PNG (whatever the matplotlib backend) with alt
    text (the title, plus ``key``: the number the chart shows, e.g. "hub share 79.8%"), and show
    its source caption under it. ``data``: the DataFrame drawn, offered on the page as
    "data (CSV)"."""
    import base64
    import io

    from IPython.display import display

    from .display import TABLE_MIME, csv_meta

    fig.suptitle(title)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    text = alt or (f"Chart: {title}" + (f" ({key})" if key else ""))
    bundle = {"image/png": base64.b64encode(buf.getvalue()).decode(), "text/plain": text}
    if data is not None:
        bundle[TABLE_MIME] = csv_meta(data, title, figure=True)
    display(bundle, metadata={"image/png": {"alt": text}}, raw=True)
    display(caption(f"Source: {source}"))
