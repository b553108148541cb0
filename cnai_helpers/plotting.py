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


def caption(text: str):
    """A figure caption (source and definitions) shown under the figure."""
    from IPython.display import HTML

    return HTML(f"<p class='cnai-caption'>{html.escape(text)}</p>")


def finish(fig, title: str, source: str, dpi: int = 110):
    """Title the figure, show it as an embedded PNG (whatever the matplotlib backend), and show
    its source caption under it."""
    import io

    from IPython.display import Image, display

    fig.suptitle(title)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    display(Image(data=buf.getvalue(), format="png"))
    display(caption(f"Source: {source}"))
