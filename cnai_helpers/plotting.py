"""One figure theme for every report: seaborn, CJK-capable fonts, source captions."""

from __future__ import annotations

import html

import matplotlib as mpl
import matplotlib.pyplot as plt
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
    # seaborn here, not at the top: it imports scipy.stats (~1.3 s of CPU per kernel), and a
    # notebook that only draws with finish() and the axis helpers never needs it
    import seaborn as sns

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
    # in days: a bar's width on this axis is then a number of days (BATCH_BAR_DAYS); in pandas'
    # microseconds a width of 24 would be 24 microseconds, a bar nobody sees
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


def ratio_axis(ax, axis: str = "x", marks=()) -> None:
    """A log axis of ratios labelled in times (0.5×, 1×, 2×, …): ticks at 1, 2, 3, 4, 5, 6, 8
    of each decade in view, always including ``marks`` (e.g. the claim's 2×, 3×, 4×), so that a
    reader can place a value against the claim's band."""
    import numpy as np
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    target = ax.xaxis if axis == "x" else ax.yaxis
    (ax.set_xscale if axis == "x" else ax.set_yscale)("log")
    lo, hi = sorted(ax.get_xlim() if axis == "x" else ax.get_ylim())
    decades = range(int(np.floor(np.log10(lo))), int(np.ceil(np.log10(hi))) + 1)
    ticks = {m * 10.0**d for d in decades for m in (1, 2, 3, 4, 5, 6, 8)} | {
        float(m) for m in marks
    }
    shown = sorted(v for v in ticks if lo <= v <= hi)
    if len(shown) > 12:  # a wide range: the decades and the marks only
        shown = sorted(
            {v for v in shown if np.isclose(np.log10(v) % 1, 0)} | set(map(float, marks))
        )
    target.set_major_locator(FixedLocator(shown))
    target.set_minor_locator(NullLocator())
    target.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}×"))


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


def _has_data(artist) -> bool:
    """Whether a plotted artist draws anything: a line with a finite point, bars with a finite
    non-zero bar, a scatter with a point, a patch or anything else (assumed drawn)."""
    import numpy as np
    from matplotlib.collections import Collection
    from matplotlib.container import Container
    from matplotlib.lines import Line2D

    if isinstance(artist, Line2D):
        xy = np.asarray(artist.get_xydata(), dtype=float)  # converted units (dates, categories)
        return bool(xy.size and np.isfinite(xy).all(axis=1).any())
    if isinstance(artist, Container):
        parts = [a for a in artist if a is not None]
        if not parts:
            return False
        sizes = []
        for a in parts:
            if hasattr(a, "get_width") and hasattr(a, "get_height"):
                sizes.append(float(a.get_width()) * float(a.get_height()))
            else:
                sizes.append(1.0)
        return any(np.isfinite(s) and s != 0 for s in sizes)
    if isinstance(artist, Collection):
        return len(artist.get_offsets()) > 0 or len(artist.get_paths()) > 0
    return True


def _axis_info(ax, name: str) -> dict:
    import matplotlib.dates as mdates

    axis = ax.xaxis if name == "x" else ax.yaxis
    lo, hi = sorted(ax.get_xlim() if name == "x" else ax.get_ylim())
    ticks = []
    for loc, lab in [(t, t.get_text()) for t in axis.get_majorticklabels()] + [
        (t, t.get_text()) for t in axis.get_minorticklabels()
    ]:
        pos = loc.get_position()[0 if name == "x" else 1]
        if lab.strip() and loc.get_visible() and lo - 1e-9 <= pos <= hi + 1e-9:
            ticks.append(lab)
    fmt = axis.get_major_formatter()
    date = isinstance(
        fmt, (mdates.DateFormatter, mdates.ConciseDateFormatter, mdates.AutoDateFormatter)
    )
    return {
        "label": axis.get_label().get_text(),
        "scale": axis.get_scale(),
        "ticks": ticks,
        "date": date,
        "visible": axis.get_visible() and bool(ticks),
    }


def describe_axes(fig) -> list[dict]:
    """What a reader can check on a drawn chart, per axes: each axis's label, scale, the tick
    labels in view (major and minor) and whether it is a date axis; the legend's entries and
    those that draw nothing (an empty label, or only artists without data); how many sets of
    bars draw nothing (every bar zero-wide or zero-high); the share of finite cells of each
    image (a heatmap). Call after the figure is drawn (``savefig``); kept in the
    chart's output metadata (``cnai_axes``) for the site's tests."""
    import numpy as np
    from matplotlib.container import BarContainer

    out = []
    legends = [(None, leg) for leg in fig.legends]
    for ax in fig.axes:
        legends.append((ax, ax.get_legend()))
    by_ax = {}
    for ax, leg in legends:
        if leg is None:
            continue
        texts = [t.get_text() for t in leg.get_texts()]
        scope = [ax] if ax is not None else fig.axes
        artists = [
            a
            for x in scope
            for a in (*x.lines, *x.collections, *x.containers, *x.patches)
            if not str(a.get_label()).startswith("_")
        ]
        empty = []
        for text in texts:
            mine = [a for a in artists if a.get_label() == text]
            if not text.strip() or (mine and not any(_has_data(a) for a in mine)):
                empty.append(text)
        entry = by_ax.setdefault(id(ax), {"legend": [], "empty_legend": []})
        entry["legend"] += texts
        entry["empty_legend"] += empty
    for ax in fig.axes:
        if not ax.get_visible() or not ax.axison:
            continue
        images = []
        for im in ax.get_images():
            a = np.ma.masked_invalid(np.ma.asarray(im.get_array(), dtype=float))
            images.append(float(a.count() / a.size) if a.size else 0.0)
        bars = [c for c in ax.containers if isinstance(c, BarContainer)]
        out.append(
            {
                "empty_bars": sum(not _has_data(c) for c in bars),
                "x": _axis_info(ax, "x"),
                "y": _axis_info(ax, "y"),
                "legend": by_ax.get(id(ax), {}).get("legend", []),
                "empty_legend": by_ax.get(id(ax), {}).get("empty_legend", []),
                "images": images,
            }
        )
    if id(None) in by_ax and out:  # figure legends: on the first axes' entry
        out[0]["legend"] += by_ax[id(None)]["legend"]
        out[0]["empty_legend"] += by_ax[id(None)]["empty_legend"]
    return out


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
    axes = describe_axes(fig)
    plt.close(fig)
    png = buf.getvalue()
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    text = alt or (f"Chart: {title}" + (f" ({key})" if key else ""))
    bundle = {"image/png": base64.b64encode(png).decode(), "text/plain": text}
    if data is not None:
        bundle[TABLE_MIME] = csv_meta(data, title, figure=True)
    meta = {
        "image/png": {"alt": text, "width": width // 2, "height": height // 2},
        "cnai_axes": axes,
    }
    display(bundle, metadata=meta, raw=True)
    display(caption(f"Source: {source}"))
