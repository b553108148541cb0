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
PALETTE = "colorblind"  # the colours named in cnai_helpers/palette.py (one per registry, lab, chip)


def cjk_font() -> str | None:
    """The first installed font of :data:`CJK_FONTS`. Matplotlib lists fonts from a cache made
    when it first ran: a CJK font installed later is missing from it, and Chinese labels would
    be drawn as empty boxes, so the system's CJK font files are added when none is listed."""
    names = {f.name for f in font_manager.fontManager.ttflist}
    found = next((f for f in CJK_FONTS if f in names), None)
    if found is None:
        for path in font_manager.findSystemFonts():
            if any(k in path for k in ("CJK", "WenQuanYi", "wqy", "SimHei", "msyh")):
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError, ValueError):
                    continue
        names = {f.name for f in font_manager.fontManager.ttflist}
        found = next((f for f in CJK_FONTS if f in names), None)
    return found


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


def batch_dates(batches):
    """Batch months ("2024-10") as dates (the 1st of the month), so that a time axis spaces the
    lists by the time between them, not evenly. Day precision (``datetime64[D]``): matplotlib
    adds a bar's width to its date in the date's own unit, so ``width=BATCH_BAR_DAYS`` is days
    here, where pandas' microsecond dates made every bar 24 µs wide (invisible)."""
    import pandas as pd

    dates = pd.to_datetime(pd.Series(batches).astype(str) + "-01", format="%Y-%m-%d")
    return dates.to_numpy().astype("datetime64[D]")


def count_axis(ax, axis: str = "y") -> None:
    """An axis of whole counts (filings, notices) ticked at integers only: no 2.5 filings."""
    from matplotlib.ticker import MaxNLocator

    (ax.xaxis if axis == "x" else ax.yaxis).set_major_locator(MaxNLocator(integer=True))


def invisible_bars(fig, min_px: float = 1.0) -> list[str]:
    """The bar groups of a figure whose every non-empty bar is drawn narrower than ``min_px``
    pixels (e.g. a width in days added to microsecond dates): a chart the reader sees empty.
    Each as "axes N: label"."""
    import numpy as np
    from matplotlib.container import BarContainer

    found = []
    for i, ax in enumerate(fig.axes):
        ax.get_xlim(), ax.get_ylim()  # settle the autoscaled limits
        for group in ax.containers:
            if not isinstance(group, BarContainer) or not len(group):
                continue
            vertical = group.orientation != "horizontal"
            sizes = []
            for bar in group:
                x, y, w, h = bar.get_x(), bar.get_y(), bar.get_width(), bar.get_height()
                if not np.isfinite([x, y, w, h]).all() or (h if vertical else w) == 0:
                    continue
                (x0, y0), (x1, y1) = ax.transData.transform([(x, y), (x + w, y + h)])
                sizes.append(abs(x1 - x0) if vertical else abs(y1 - y0))
            if sizes and max(sizes) < min_px:
                found.append(f"axes {i + 1}: {group.get_label() or 'bars'}")
    return found


def date_axis(ax, axis: str = "x") -> None:
    """A time axis labelled compactly (years, then months where there is room)."""
    import matplotlib.dates as mdates

    loc = mdates.AutoDateLocator(minticks=4, maxticks=10)
    target = ax.xaxis if axis == "x" else ax.yaxis
    target.set_major_locator(loc)
    target.set_major_formatter(mdates.ConciseDateFormatter(loc))


BATCH_BAR_DAYS = 24  # width of one list's bar on a time axis (lists are a month or more apart)


def caption(text: str):
    """A figure caption (source and definitions) shown under the figure."""
    from IPython.display import HTML

    return HTML(f"<p class='cnai-caption'>{html.escape(text)}</p>")


def share_axes_as_percent(fig) -> None:
    """Axes of shares drawn as fractions (an axis label that says "share" and limits within
    0..1) are labelled in percent, like the tables: 0%, 20%, … 100%."""
    for ax in fig.axes:
        for name in ("x", "y"):
            axis = ax.xaxis if name == "x" else ax.yaxis
            label = axis.get_label().get_text().lower()
            lo, hi = ax.get_xlim() if name == "x" else ax.get_ylim()
            fraction = lo >= -0.05 and hi <= 1.05 and axis.get_scale() == "linear"
            if "share" in label and "%" not in label and fraction:
                percent_axis(ax, name)


def finish(
    fig,
    title: str,
    source: str,
    dpi: int = 110,
    *,
    data=None,
    alt: str | None = None,
    key: str | None = None,
    percent: bool = True,
):
    """Title the figure, show it as a PNG drawn at twice its display size (sharp on high-density
    screens; the page shows it at ``dpi``) whatever the matplotlib backend, with alt text (the
    title, plus ``key``: the number the chart shows, e.g. "hub share 79.8%"), and show its
    source caption under it. ``data``: the DataFrame drawn, offered on the page as "data (CSV)".
    ``percent``: axes of shares are labelled in % (:func:`share_axes_as_percent`)."""
    import base64
    import io

    from IPython.display import display

    from .display import TABLE_MIME, csv_meta

    fig.suptitle(title)
    if percent:
        share_axes_as_percent(fig)
    thin = invisible_bars(fig)
    if thin:
        plt.close(fig)
        raise ValueError(
            f"chart {title!r}: bars drawn less than a pixel wide ({'; '.join(thin)}); "
            "a bar width in days on a date axis needs dates of day precision (plotting.batch_dates)"
        )
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi * 2, bbox_inches="tight")
    plt.close(fig)
    png = buf.getvalue()
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    text = alt or (f"Chart: {title}" + (f" ({key})" if key else ""))
    bundle = {"image/png": base64.b64encode(png).decode(), "text/plain": text}
    if data is not None:
        bundle[TABLE_MIME] = csv_meta(data, title, figure=True)
    meta = {"image/png": {"alt": text, "width": width // 2, "height": height // 2}}
    display(bundle, metadata=meta, raw=True)
    display(caption(f"Source: {source}"))
