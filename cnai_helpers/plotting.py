"""One figure theme for every report: seaborn's, CJK-capable fonts, source captions."""

from __future__ import annotations

import functools
import html
import math
import re

import matplotlib as mpl
import matplotlib.pyplot as plt
from matplotlib import font_manager
from matplotlib.ticker import Locator, LogFormatterSciNotation

CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans CJK JP",
    "Noto Sans SC",
    "WenQuanYi Zen Hei",
    "SimHei",
    "Microsoft YaHei",
)
PALETTE = "colorblind"
PHONE_PX = 360  # the narrowest display width a chart must be legible at
MIN_PHONE_FONT_PX = 9.0  # the smallest text, in px, when the chart is shown PHONE_PX wide
# What a reader sees on a phone is the height of the glyphs, not the font size: a capital or a
# digit is about 0.73 of the font size (DejaVu Sans and Noto Sans CJK), so "9 px text" by font
# size is a 6.6 px digit. Reader 4 measured the tick labels at about 7 px on a 390 px phone
# (the image 665 CSS px wide, shown 358 px wide: 11.5 pt = 17.6 px, shown at 9.5 px, digits
# 6.9 px) where the site's check said 9.3 px (the font size). So every chart also has a phone
# rendering, narrower (PHONE_FIGWIDTH), shown below PHONE_MEDIA_PX, and the check is the
# height of its smallest capital or digit on a 390 px screen.
PHONE_SCREEN_PX = 390  # the phone the check reads the page on
PHONE_COLUMN_PX = 358  # a chart's width on it: the column less the page's margins
MIN_PHONE_CAP_PX = 9.0  # the smallest capital or digit, in CSS px, on that screen
PHONE_FIGWIDTH = 4.2  # inches: the phone rendering's width (462 CSS px at the display dpi)
PHONE_MEDIA_PX = 640  # screens at most this wide get the phone rendering
FIGSIZE = (6.2, 4.0)  # inches: the theme's figure; its 11.5 pt text is 9.3 px at 360 px wide
SMALL_PT = 11.5  # the smallest text of the theme: ticks, legends, annotations (FONT_SIZES)
TITLE_PT = 13.0  # the colours named in cnai_helpers/palette.py (one per registry, lab, chip)


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


def seaborn_theme() -> None:
    """seaborn's theme, ``seaborn.set_theme(style="whitegrid", palette=PALETTE,
    context="notebook")``, from its settings written out (reference/seaborn_theme.yaml): a
    kernel then does not import seaborn, whose import pulls in scipy.stats (~1.3 s of CPU in
    each report that never uses scipy); tests/test_plotting.py checks them against seaborn's."""
    from cycler import cycler

    from .reference import seaborn_theme as written

    theme = written()
    mpl.rcParams.update(theme["settings"])
    mpl.rcParams["axes.prop_cycle"] = cycler(
        "color", [mpl.colors.to_rgb(c) for c in theme["colors"]]
    )


def set_theme() -> None:
    seaborn_theme()
    font = cjk_font()
    family = ([font] if font else []) + ["DejaVu Sans"]
    mpl.rcParams.update(
        {
            "font.family": "sans-serif",
            "font.sans-serif": family,
            "axes.unicode_minus": False,
            # a chart is drawn narrow enough that its smallest text stays legible when a phone
            # shows it 360 px wide (see legibility(): a 6.2-inch chart with 11 pt ticks)
            "figure.figsize": FIGSIZE,
            "figure.titlesize": TITLE_PT,
            "figure.dpi": 100,
            "savefig.bbox": "tight",
            "axes.titleweight": "bold",
            "xtick.labelsize": SMALL_PT,
            "ytick.labelsize": SMALL_PT,
            "legend.fontsize": SMALL_PT,
            "legend.title_fontsize": SMALL_PT,
            "font.size": SMALL_PT,  # ax.text() and annotations without a size of their own
        }
    )


def percent_axis(ax, axis: str = "x") -> None:
    """Label an axis of shares (0-1) as percentages: 0%, 20%, ... 100%. An axis left to
    matplotlib's default ticks is ticked at whole percents (steps of 1, 2 or 5 and their tens):
    its default steps include 2.5, and 0.025 and 0.075 read "2%" and "8%" in whole percents."""
    from matplotlib.ticker import AutoLocator, MaxNLocator, PercentFormatter

    ax_ = ax.xaxis if axis == "x" else ax.yaxis
    if type(ax_.get_major_locator()) is AutoLocator:
        ax_.set_major_locator(MaxNLocator(nbins="auto", steps=[1, 2, 5, 10]))
    ax_.set_major_formatter(PercentFormatter(1.0, decimals=0))


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
    """A time axis labelled compactly (years, then months where there is room); the first
    label always carries its year ("Jul\n2025", not a bare "Jul" whose year the reader must
    guess from a later "2026")."""
    import re

    import matplotlib.dates as mdates

    class _Concise(mdates.ConciseDateFormatter):
        def format_ticks(self, values):
            labels = list(super().format_ticks(values))
            if labels and not re.search(r"\d{4}", labels[0]) and len(values):
                year = mdates.num2date(values[0]).year
                labels[0] = f"{labels[0]}\n{year}"
            return labels

    loc = mdates.AutoDateLocator(minticks=4, maxticks=8)
    target = ax.xaxis if axis == "x" else ax.yaxis
    target.set_major_locator(loc)
    target.set_major_formatter(_Concise(loc, show_offset=False))


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


def legibility(
    fig, width_px: float | None = None, dpi: float | None = None, phone_px: int = PHONE_PX
) -> dict:
    """How small the chart's text gets on a phone: the smallest font (points) of the text a
    reader sees (titles, labels, tick labels in view, legend, annotations), the chart's display
    width (CSS px, ``width_px``: the saved image's width at the display dpi; default the figure's
    width at its dpi) and that font's size in px when the chart is scaled down to ``phone_px``
    wide (a chart narrower than that is shown at its own size). A 10-inch chart with 8 pt labels
    is 3.6 px text on a phone. Call after the figure is drawn."""
    from matplotlib.text import Text

    hidden = set()  # tick labels of ticks outside the view: not drawn
    for ax in fig.axes:
        for name in ("x", "y"):
            axis = ax.xaxis if name == "x" else ax.yaxis
            lo, hi = sorted(ax.get_xlim() if name == "x" else ax.get_ylim())
            for t in axis.get_majorticklabels() + axis.get_minorticklabels():
                pos = t.get_position()[0 if name == "x" else 1]
                if not (lo - 1e-9 <= pos <= hi + 1e-9):
                    hidden.add(id(t))
    sizes = []
    for t in fig.findobj(Text):
        if id(t) in hidden or not t.get_visible() or not t.get_text().strip():
            continue
        if t.axes is not None and not t.axes.get_visible():
            continue
        sizes.append(float(t.get_fontsize()))
    smallest = min(sizes) if sizes else None
    dpi = dpi or (DISPLAY_DPI if width_px else fig.dpi)
    width = float(width_px) if width_px else fig.get_figwidth() * dpi
    return legible_px(smallest, width, dpi=dpi, phone_px=phone_px)


def legible_px(
    font_pt, width_px: float, dpi: float | None = None, phone_px: int = PHONE_PX
) -> dict:
    """``{"min_font_pt", "width_px", "min_font_px_at_phone", "min_cap_px_at_phone"}`` for text
    of ``font_pt`` points on a chart shown ``width_px`` CSS px wide at ``dpi`` (default: the
    site's display dpi, 110), scaled down to ``phone_px``: its font size and the height of its
    capitals and digits (:func:`cap_height_em`) there, in CSS px."""
    dpi = dpi or DISPLAY_DPI
    px = None
    if font_pt is not None:
        px = font_pt * dpi / 72 * min(1.0, phone_px / width_px)
    return {
        "min_font_pt": font_pt,
        "dpi": dpi,
        "width_px": round(width_px),
        "phone_px": phone_px,
        "min_font_px_at_phone": None if px is None else round(px, 2),
        "min_cap_px_at_phone": None if px is None else round(px * cap_height_em(), 2),
    }


@functools.cache
def cap_height_em() -> float:
    """Height of a capital letter (and of a digit) as a share of the font size, for the theme's
    font (Noto Sans CJK, else DejaVu Sans: both 0.73), from the font file's OS/2 table."""
    from matplotlib.ft2font import FT2Font

    family = [cjk_font() or "DejaVu Sans", "DejaVu Sans"]
    path = font_manager.findfont(font_manager.FontProperties(family=family))
    font = FT2Font(path)
    os2 = font.get_sfnt_table("OS/2") or {}
    cap = os2.get("sCapHeight") or 0
    return cap / font.units_per_EM if cap else 0.73


def tick_clashes(fig) -> list[str]:
    """Tick labels drawn over each other (a narrow rendering of a chart made for a wide one):
    each as "x tick labels of axes N". Call after the figure is drawn."""
    renderer = fig.canvas.get_renderer()
    out = []
    for i, ax in enumerate(fig.axes):
        if not ax.get_visible():
            continue
        for name in ("x", "y"):
            axis = ax.xaxis if name == "x" else ax.yaxis
            lo, hi = sorted(ax.get_xlim() if name == "x" else ax.get_ylim())
            shown = [
                t
                for t in axis.get_majorticklabels()
                if t.get_visible()
                and t.get_text().strip()
                and lo - 1e-9 <= t.get_position()[0 if name == "x" else 1] <= hi + 1e-9
            ]
            angle = abs(shown[0].get_rotation() % 180) if shown else 0
            if name == "x" and 10 < angle < 170:  # slanted: their lines must be a line apart
                xs = sorted(t.get_window_extent(renderer).x1 for t in shown)
                line = shown[0].get_fontsize() * fig.dpi / 72
                gap = math.sin(math.radians(angle))
                if any((b - a) * gap < line for a, b in zip(xs, xs[1:], strict=False)):
                    out.append(f"{name} tick labels of axes {i + 1}")
                continue
            boxes = sorted(
                (t.get_window_extent(renderer) for t in shown),
                key=lambda b: b.x0 if name == "x" else b.y0,
            )
            if any(a.overlaps(b) for a, b in zip(boxes, boxes[1:], strict=False)):
                out.append(f"{name} tick labels of axes {i + 1}")
    return out


class _Thinned(Locator):
    """Every ``k``-th tick of another locator (a narrow chart's date or number axis whose
    labels would run into each other); the axis's formatter still reads the original."""

    def __init__(self, base, k: int):
        self.base, self.k = base, k

    def __call__(self):
        return list(self.base())[:: self.k]

    def tick_values(self, vmin, vmax):
        return list(self.base.tick_values(vmin, vmax))[:: self.k]

    def set_axis(self, axis):
        super().set_axis(axis)
        self.base.set_axis(axis)


NUMBER_LABEL_RE = re.compile(r"[−\-]?[\d.,]+\s*[×%x]?")


def _numbers_apart(fig, axis, name: str) -> list[float] | None:
    """The tick positions of an axis of numeric labels that do not overlap the label kept before
    them (from the low end: 1×, 2×, 3×, 4×, 6×, 10×); None for an axis of names."""
    renderer = fig.canvas.get_renderer()
    ticks = [
        (t.get_position()[0 if name == "x" else 1], t.get_window_extent(renderer))
        for t in axis.get_majorticklabels()
        if t.get_visible() and t.get_text().strip()
    ]
    texts = [
        t.get_text() for t in axis.get_majorticklabels() if t.get_visible() and t.get_text().strip()
    ]
    if not texts or not all(NUMBER_LABEL_RE.fullmatch(x.strip()) for x in texts):
        return None
    keep, last = [], None
    for pos, box in sorted(ticks, key=lambda pb: pb[1].x0 if name == "x" else pb[1].y0):
        if last is None or not box.overlaps(last):
            keep.append(pos)
            last = box
    return keep


def thin_clashing_ticks(fig, rounds: int = 3) -> None:
    """On an axis whose tick labels run into each other, keep every second tick (then every
    third…), unless its ticks are fixed by hand (categories, the claim's 2×, 3×, 4×): those are
    slanted on a horizontal axis, and :func:`tick_clashes` reports what still runs together."""
    from matplotlib.ticker import FixedLocator

    for k in range(2, 2 + rounds):
        fig.draw_without_rendering()
        clashing = tick_clashes(fig)
        if not clashing:
            return
        for where in clashing:
            name, _, _, _, _, n = where.split()
            ax = fig.axes[int(n) - 1]
            axis = ax.xaxis if name == "x" else ax.yaxis
            loc = axis.get_major_locator()
            base = loc.base if isinstance(loc, _Thinned) else loc
            if isinstance(base, FixedLocator):
                keep = _numbers_apart(fig, axis, name)
                if keep is not None:  # numbers (1×, 2×, …): the first of each crowd kept
                    axis.set_major_locator(FixedLocator(keep))
                elif name == "x":  # names: every one kept, slanted
                    for t in axis.get_majorticklabels():
                        t.set_rotation(40)
                        t.set_horizontalalignment("right")
                        t.set_rotation_mode("anchor")
                continue
            axis.set_major_locator(_Thinned(base, k))


CATEGORY_LABEL_CHARS = 16  # a category's tick label longer than this is wrapped on a phone


def wrap_category_labels(fig, width: int = CATEGORY_LABEL_CHARS) -> float:
    """Long category names on an axis (bar labels such as "hub provinces, lists to March 2025")
    broken over lines, so that a narrow chart keeps room for its bars; number and date axes are
    left alone. Returns the inches of height the figure needs besides, so that the wrapped
    labels of a vertical list of categories do not run into each other."""
    import textwrap

    from matplotlib.category import StrCategoryFormatter
    from matplotlib.ticker import FixedFormatter, FixedLocator

    fig.draw_without_rendering()
    extra = 0.0
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            fixed = isinstance(axis.get_major_locator(), FixedLocator) or isinstance(
                axis.get_major_formatter(), (FixedFormatter, StrCategoryFormatter)
            )  # ticks set by hand with labels: names (set_yticks(range(n), names))
            labels = [t.get_text() for t in axis.get_majorticklabels()]
            if not fixed or not any(len(t) > width for t in labels):
                continue
            ticks = axis.get_majorticklocs()
            wrapped = ["\n".join(textwrap.wrap(t, width)) or t for t in labels]
            axis.set_ticks(ticks, wrapped)
            if axis is ax.yaxis and len(ticks):  # rows of up to `lines` lines, with a gap
                lines = max(w.count("\n") + 1 for w in wrapped)
                size = axis.get_majorticklabels()[0].get_fontsize()
                need = len(ticks) * (lines + 0.6) * size * 1.2 / 72
                have = ax.get_position().height * fig.get_figheight()
                extra = max(extra, need - have)
    return extra


LEGEND_LABEL_CHARS = 30  # a legend entry longer than this is wrapped on a phone


def legends_below(fig, fig_w: float) -> None:
    """A legend that would crowd a narrow chart (inside the axes and wider than half the chart,
    or anywhere and wider than the chart: "Generative-AI filings (生成式人工智能 备案) (Gini
    0.77)", two columns of sector names) becomes one column under the chart, its entries
    wrapped: inside the axes it squeezed the plot to a sliver."""
    import textwrap

    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    for ax in fig.axes:
        leg = ax.get_legend()
        if leg is None:
            continue
        width = leg.get_window_extent(renderer).width / fig.dpi
        outside = getattr(leg, "_bbox_to_anchor", None) is not None
        if width <= (0.9 if outside else 0.5) * fig_w:
            continue
        handles, labels = leg.legend_handles, [t.get_text() for t in leg.get_texts()]
        title = leg.get_title().get_text()
        leg.remove()
        wrapped = ["\n".join(textwrap.wrap(t, LEGEND_LABEL_CHARS)) or t for t in labels]
        new = fig.legend(handles, wrapped, title=title or None, loc="upper center", frameon=False)
        new._cnai_below = True
    for leg in [lg for lg in fig.legends if getattr(lg, "_cnai_below", False)]:
        # moved under the wide chart (keep_legends_off_data): one column of wrapped entries,
        # or its long entries widen the phone's image and shrink every text in it
        labels = [t.get_text() for t in leg.get_texts()]
        wrapped = ["\n".join(textwrap.wrap(t, LEGEND_LABEL_CHARS)) or t for t in labels]
        if wrapped == labels and leg._ncols == 1:
            continue
        handles, title = leg.legend_handles, leg.get_title().get_text()
        leg.remove()
        new = fig.legend(handles, wrapped, title=title or None, loc="upper center", frameon=False)
        new._cnai_below = True
    anchor_legends_below(fig)


def anchor_legends_below(fig) -> None:
    """Put the legends :func:`legends_below` moved just under the lowest x label and tick labels
    of the chart (call again after the layout changes: the layout leaves them out)."""
    if not any(getattr(leg, "_cnai_below", False) for leg in fig.legends):
        return
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    bottoms = [
        t.get_window_extent(renderer).y0
        for ax in fig.axes
        if ax.get_visible()
        for t in (ax.xaxis.get_label(), *ax.xaxis.get_majorticklabels())
        if t.get_visible() and t.get_text().strip()
    ] or [ax.get_window_extent(renderer).y0 for ax in fig.axes]
    y = fig.transFigure.inverted().transform((0, min(bottoms)))[1]
    for leg in fig.legends:
        if getattr(leg, "_cnai_below", False):
            leg.set_bbox_to_anchor((0.5, y - 0.02), transform=fig.transFigure)


def phone_rendering(fig, title: str, dpi: int | None = None) -> tuple[bytes, dict]:
    """The chart drawn again for a phone: PHONE_FIGWIDTH inches wide at the same height and font
    sizes (so the text is larger against the chart when a phone scales it to its column), its
    title re-wrapped and clashing tick labels thinned; (PNG at 2x, its legibility on a
    PHONE_SCREEN_PX screen, with title, legend and tick-label clashes). Call after the wide
    rendering is saved (the figure is resized)."""
    import io

    dpi = dpi or DISPLAY_DPI
    w, h = fig.get_size_inches()
    fig_w, h0 = min(w, PHONE_FIGWIDTH), h
    h += wrap_category_labels(fig)
    legends_below(fig, fig_w)
    for _ in range(7):  # narrower until the saved image (labels and legends included) is
        fig.set_size_inches(fig_w, h)  # narrow enough for its smallest text (or 3 inches)
        fig.suptitle(wrap_title(fig, title))
        fig.tight_layout()
        thin_clashing_ticks(fig)
        fig.tight_layout()
        place_point_labels(fig)  # the map is smaller: its labels are placed again
        place_beside_labels(fig)
        keep_legends_off_data(fig)  # anchors the legends under the chart too
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi * 2, bbox_inches="tight")
        png = buf.getvalue()
        width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
        leg = legibility(fig, width_px=width / 2, dpi=dpi, phone_px=PHONE_COLUMN_PX)
        cap = leg["min_cap_px_at_phone"]
        if any(c.startswith("y ") for c in tick_clashes(fig)) and h < 2 * h0:
            h = min(2 * h0, h * 1.25)  # wrapped category names run together: a taller chart
            continue
        if cap is None or cap >= MIN_PHONE_CAP_PX or fig_w <= 3.0:
            break
        fig_w = max(3.0, fig_w - (width / 2 * (1 - cap / MIN_PHONE_CAP_PX) + 8) / dpi)
    leg.update(
        title_clashes=title_clashes(fig),
        legend_clashes=legend_clashes(fig),
        legend_on_data=legend_data_clashes(fig),
        text_clashes=text_clashes(fig),
        tick_clashes=tick_clashes(fig),
        screen_px=PHONE_SCREEN_PX,
        width=width // 2,
        height=height // 2,
    )
    return png, leg


def title_clashes(fig) -> list[str]:
    """What the figure's title runs into: each axes (a colour bar included, with its tick and
    axis labels) whose drawn box overlaps the title's, as "axes N" or "colour bar N". Call
    after the figure is drawn."""
    title = getattr(fig, "_suptitle", None)
    if title is None or not title.get_text().strip():
        return []
    renderer = fig.canvas.get_renderer()
    box = title.get_window_extent(renderer)
    out = []
    for i, ax in enumerate(fig.axes):
        if not ax.get_visible():
            continue
        other = ax.get_tightbbox(renderer)
        if other is not None and box.overlaps(other):
            kind = "colour bar" if getattr(ax, "_colorbar", None) is not None else "axes"
            out.append(f"{kind} {i + 1}")
    return out


def legend_clashes(fig) -> list[str]:
    """Legends drawn over an axis's label or tick labels (a legend put under the chart, too
    close): each as "legend N over the x label of axes M" (or "x tick labels"). Call after the
    figure is drawn."""
    renderer = fig.canvas.get_renderer()
    legends = [ax.get_legend() for ax in fig.axes] + list(fig.legends)
    out = []
    for n, leg in enumerate([lg for lg in legends if lg is not None], start=1):
        box = leg.get_window_extent(renderer)
        for i, ax in enumerate(fig.axes):
            for name in ("x", "y"):
                axis = ax.xaxis if name == "x" else ax.yaxis
                label = axis.get_label()
                if label.get_text().strip() and box.overlaps(label.get_window_extent(renderer)):
                    out.append(f"legend {n} over the {name} label of axes {i + 1}")
                lo, hi = sorted(ax.get_xlim() if name == "x" else ax.get_ylim())
                for t in axis.get_majorticklabels():
                    pos = t.get_position()[0 if name == "x" else 1]
                    if not (t.get_text().strip() and lo <= pos <= hi):
                        continue
                    if box.overlaps(t.get_window_extent(renderer)):
                        out.append(f"legend {n} over the {name} tick labels of axes {i + 1}")
                        break
    return out


def wrap_title(fig, title: str) -> str:
    """``title`` broken into lines that fit the figure's width at the title's font size, so that
    a long title neither runs off the chart nor widens the saved image (which would shrink every
    text on a phone)."""
    import textwrap

    size = mpl.font_manager.FontProperties(
        size=mpl.rcParams["figure.titlesize"]
    ).get_size_in_points()
    chars = max(20, int(fig.get_figwidth() * 72 / (0.56 * size)))
    return "\n".join(textwrap.wrap(title, chars)) or title


DISPLAY_DPI = 110  # the page shows a chart at this many px per inch (finish's dpi)


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


def _colour_of(artist) -> str | None:
    """The colour a legend entry's artist is drawn in (hex), or None: a line's colour, the
    face of the first bar or point (the edge of a hollow marker)."""
    import numpy as np
    from matplotlib.collections import Collection
    from matplotlib.colors import to_hex
    from matplotlib.container import Container
    from matplotlib.lines import Line2D

    try:
        if isinstance(artist, Line2D):
            return to_hex(artist.get_color())
        if isinstance(artist, Container):
            first = next((a for a in artist if a is not None and hasattr(a, "get_facecolor")), None)
            if first is None:  # an error bar: its data line
                first = next((a for a in artist if isinstance(a, Line2D)), None)
                return to_hex(first.get_color()) if first is not None else None
            return to_hex(first.get_facecolor())
        if isinstance(artist, Collection):
            face = np.asarray(artist.get_facecolor())
            if face.size and face[0][3] > 0:
                return to_hex(face[0])
            edge = np.asarray(artist.get_edgecolor())
            return to_hex(edge[0]) if edge.size else None
        if hasattr(artist, "get_facecolor"):
            return to_hex(artist.get_facecolor())
    except (ValueError, TypeError, IndexError):
        return None
    return None


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
    image (a heatmap); the colour (hex) each legend entry is drawn in (``legend_colours``). Call after the figure is drawn (``savefig``); kept in the
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
        empty, colours = [], {}
        for text in texts:
            mine = [a for a in artists if a.get_label() == text]
            if not text.strip() or (mine and not any(_has_data(a) for a in mine)):
                empty.append(text)
            found = next((c for c in map(_colour_of, mine) if c), None)
            if found:
                colours[text] = found
        entry = by_ax.setdefault(id(ax), {"legend": [], "empty_legend": [], "colours": {}})
        entry["legend"] += texts
        entry["empty_legend"] += empty
        entry["colours"].update(colours)
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
                "legend_colours": by_ax.get(id(ax), {}).get("colours", {}),
                "images": images,
            }
        )
    if id(None) in by_ax and out:  # figure legends: on the first axes' entry
        out[0]["legend"] += by_ax[id(None)]["legend"]
        out[0]["empty_legend"] += by_ax[id(None)]["empty_legend"]
        out[0]["legend_colours"].update(by_ax[id(None)]["colours"])
    return out


def finish(
    fig,
    title: str,
    source: str,
    dpi: int = DISPLAY_DPI,
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

    fig.suptitle(wrap_title(fig, title))
    if percent:
        share_axes_as_percent(fig)
    thin = invisible_bars(fig)
    if thin:
        plt.close(fig)
        raise ValueError(
            f"chart {title!r}: bars drawn less than a pixel wide ({'; '.join(thin)}); "
            "a bar width in days on a date axis needs dates of day precision (plotting.batch_dates)"
        )
    plain_log_axes(fig)
    fig.tight_layout()
    place_point_labels(fig)  # from the labels' drawn size, in this layout
    place_beside_labels(fig)
    keep_legends_off_data(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi * 2, bbox_inches="tight")
    axes = describe_axes(fig)
    png = buf.getvalue()
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    legible = legibility(fig, width_px=width / 2, dpi=dpi)  # the page shows it half size
    legible["title_clashes"] = title_clashes(fig)
    legible["legend_clashes"] = legend_clashes(fig)
    legible["legend_on_data"] = legend_data_clashes(fig)
    legible["text_clashes"] = text_clashes(fig)
    phone_png, phone = phone_rendering(fig, title, dpi)  # what a phone shows instead
    plt.close(fig)
    text = alt or (f"Chart: {title}" + (f" ({key})" if key else ""))
    bundle = {"image/png": base64.b64encode(png).decode(), "text/plain": text}
    if data is not None:
        bundle[TABLE_MIME] = csv_meta(data, title, figure=True)
    meta = {
        "image/png": {"alt": text, "width": width // 2, "height": height // 2},
        "cnai_axes": axes,
        "cnai_legibility": legible,
        # the phone rendering (the page offers it below PHONE_MEDIA_PX) and its legibility there
        "cnai_phone": {**phone, "png": base64.b64encode(phone_png).decode()},
    }
    display(bundle, metadata=meta, raw=True)
    display(caption(f"Source: {source}"))


# ---- what a chart draws over its data: legends, value labels, point labels ----

LEGEND_LOCS = (
    "upper left",
    "upper right",
    "lower right",
    "lower left",
    "upper center",
    "lower center",
    "center left",
    "center right",
)


def _segments_px(xy, n: int = 24):
    """Points along a polyline (display px), ``n`` per segment: a line crossing a box between
    two of its markers still touches it."""
    import numpy as np

    xy = np.asarray(xy, dtype=float)
    xy = xy[np.isfinite(xy).all(axis=1)] if xy.size else xy.reshape(0, 2)
    if len(xy) < 2:
        return xy
    t = np.linspace(0, 1, n, endpoint=False)[:, None, None]
    pts = xy[:-1][None] + t * (xy[1:] - xy[:-1])[None]
    return np.vstack([pts.reshape(-1, 2), xy[-1:]])


def data_marks(fig) -> tuple:
    """What a chart plots, in display px: (points, boxes). Points: lines' vertices and the
    points along their segments (a line without a line style: its markers), scatter points,
    error bars' lines; boxes: the bars (histograms included). Reference lines across the axes
    (axvline, axhline), shaded spans (the claim's band), images and map polygons are not data
    points here. Call after the figure is drawn."""
    import numpy as np
    from matplotlib.collections import LineCollection, PathCollection
    from matplotlib.container import BarContainer

    points, boxes = [], []
    renderer = fig.canvas.get_renderer()
    for ax in fig.axes:
        if not ax.get_visible() or not ax.axison and not ax.collections:
            continue
        for line in ax.lines:
            if not line.get_visible() or line.get_transform() != ax.transData:
                continue  # axvline/axhline: drawn in axes coordinates on one side
            xy = line.get_transform().transform(np.asarray(line.get_xydata(), dtype=float))
            drawn_line = line.get_linestyle() not in ("None", "none", "", " ")
            points.append(_segments_px(xy) if drawn_line else xy)
        for c in ax.collections:
            if not c.get_visible():
                continue
            if isinstance(c, PathCollection) and len(c.get_offsets()):
                points.append(c.get_offset_transform().transform(c.get_offsets()))
            elif isinstance(c, LineCollection):  # error bars
                for seg in c.get_segments():
                    if len(seg):
                        points.append(_segments_px(c.get_transform().transform(seg), 8))
        for group in ax.containers:
            if isinstance(group, BarContainer):
                for bar in group:
                    box = bar.get_window_extent(renderer)
                    if bar.get_visible() and box.width >= 0.5 and box.height >= 0.5:
                        boxes.append(box)
    pts = np.vstack([p for p in points if len(p)]) if any(len(p) for p in points) else None
    return pts, boxes


def _box_on_marks(box, pts, boxes, pad: float = 1.0) -> int:
    """How many plotted points lie in ``box`` (padded) plus how many bars it overlaps."""
    n = 0
    if pts is not None and len(pts):
        n += int(
            (
                (pts[:, 0] >= box.x0 - pad)
                & (pts[:, 0] <= box.x1 + pad)
                & (pts[:, 1] >= box.y0 - pad)
                & (pts[:, 1] <= box.y1 + pad)
            ).sum()
        )
    n += sum(box.overlaps(b) for b in boxes)
    return n


def legend_data_clashes(fig) -> list[str]:
    """Legends drawn over plotted data (points, lines, bars: :func:`data_marks`): each as
    "legend of axes N over M points or bars". Call after the figure is laid out."""
    legends = [(f"axes {i + 1}", ax.get_legend()) for i, ax in enumerate(fig.axes)]
    legends += [("the figure", leg) for leg in fig.legends]
    if not any(leg is not None and leg.get_visible() for _, leg in legends):
        return []
    renderer = fig.canvas.get_renderer()
    pts, boxes = data_marks(fig)
    out = []
    for where, leg in legends:
        if leg is None or not leg.get_visible():
            continue
        n = _box_on_marks(leg.get_window_extent(renderer), pts, boxes)
        if n:
            out.append(f"legend of {where} over {n} points or bars")
    return out


def keep_legends_off_data(fig) -> None:
    """A legend inside the axes that covers plotted data moves to the first corner or side of
    the axes where it covers none; where every place does, it goes under the chart (one
    column, or two when that fits the chart's width), as :func:`legends_below` does on a
    phone. Legends placed outside the axes by hand are left alone. (A legend's box follows
    its place without drawing the figure: only the figure's layout must be current.)"""
    inside = [
        ax
        for ax in fig.axes
        if ax.get_legend() is not None
        and ax.get_legend().get_visible()
        and getattr(ax.get_legend(), "_bbox_to_anchor", None) is None
    ]
    if not inside:
        anchor_legends_below(fig)
        return
    fig.draw_without_rendering()  # once: the axes' places (a map's aspect) are set when drawn
    renderer = fig.canvas.get_renderer()
    pts, boxes = data_marks(fig)
    for ax in inside:
        leg = ax.get_legend()
        if leg is None or not leg.get_visible():
            continue
        if getattr(leg, "_bbox_to_anchor", None) is not None:  # placed by hand (under the axis)
            continue
        if not _box_on_marks(leg.get_window_extent(renderer), pts, boxes):
            continue
        placed = False
        for loc in LEGEND_LOCS:
            leg.set_loc(loc)
            if not _box_on_marks(leg.get_window_extent(renderer), pts, boxes):
                placed = True
                break
        if placed:
            continue
        handles, labels = leg.legend_handles, [t.get_text() for t in leg.get_texts()]
        title = leg.get_title().get_text()
        leg.remove()
        new = fig.legend(
            handles, labels, title=title or None, loc="upper center", frameon=False, ncol=2
        )
        if new.get_window_extent(renderer).width > fig.bbox.width:
            new.remove()
            new = fig.legend(
                handles, labels, title=title or None, loc="upper center", frameon=False
            )
        new._cnai_below = True
    anchor_legends_below(fig)


def _plain_number(x: float) -> str:
    return f"{x:,.0f}" if x >= 1 and float(x).is_integer() else f"{x:g}"


class PlainLogFormatter(LogFormatterSciNotation):
    """A log axis's labels as plain numbers (10, 100, 1,000; 0.5) where matplotlib writes 10¹,
    10², 10³: the same ticks the default labels, written as the tables write numbers."""

    def __call__(self, x, pos=None):
        return _plain_number(x) if super().__call__(x, pos) else ""


PLAIN_LOG_RANGE = (1e-3, 1e6)  # a log axis within this range reads as plain numbers


def plain_log_axes(fig) -> None:
    """Log axes labelled by matplotlib's default (10¹, 10², 10³) within
    :data:`PLAIN_LOG_RANGE` are labelled in plain numbers (10, 100, 1,000), as a reader reads
    counts and prices; wider ranges (training compute in FLOP) keep their powers of ten."""
    for ax in fig.axes:
        for name in ("x", "y"):
            axis = ax.xaxis if name == "x" else ax.yaxis
            if axis.get_scale() != "log":
                continue
            lo, hi = sorted(ax.get_xlim() if name == "x" else ax.get_ylim())
            if lo < PLAIN_LOG_RANGE[0] or hi > PLAIN_LOG_RANGE[1]:
                continue
            for which in ("major", "minor"):
                fmt = axis.get_major_formatter() if which == "major" else axis.get_minor_formatter()
                if type(fmt) is LogFormatterSciNotation:
                    plain = PlainLogFormatter(
                        base=fmt._base,
                        labelOnlyBase=fmt.labelOnlyBase,
                        minor_thresholds=fmt.minor_thresholds,
                        linthresh=fmt._linthresh,
                    )
                    (axis.set_major_formatter if which == "major" else axis.set_minor_formatter)(
                        plain
                    )


# the box under a value label drawn over other marks (inside a bar, above an interval)
LIGHT_BOX = {"boxstyle": "round,pad=0.15", "facecolor": "white", "alpha": 0.85, "edgecolor": "none"}


def label_beside(
    ax, text: str, y: float, start: float, end: float, avoid=(), pad_pt=4, bar=False, **kw
):
    """A value label on a row of a horizontal chart (a bar from ``start`` to ``end``, or an
    interval), placed where it covers neither the row's mark nor a shaded span of ``avoid``
    ((low, high) in data units, e.g. the claim's band): right of the mark, else right of the
    span it would touch, else left of the mark or of that span, inside the axes; if nowhere,
    inside a ``bar`` that holds it, from its start (on a light box, readable on any bar's colour),
    else above the mark. Placed again each time the chart is laid out
    (:func:`place_beside_labels`, called by :func:`finish`: the axis limits and the phone's
    width change where it fits). Returns the annotation."""
    t = ax.annotate(text, (end, y), xytext=(pad_pt, 0), textcoords="offset points",
                    ha="left", va="center", **kw)  # fmt: skip
    spans = [tuple(sorted(s)) for s in avoid if s is not None and None not in s]
    t._cnai_beside = {"y": y, "start": start, "end": end, "spans": spans, "pad": pad_pt, "bar": bar}
    return t


def _place_beside(t, renderer) -> None:
    ax, info = t.axes, t._cnai_beside
    y, start, end, spans, pad = (info[k] for k in ("y", "start", "end", "spans", "pad"))
    axes_box = ax.get_window_extent(renderer)
    to_px = ax.transData.transform
    m0, m1 = sorted((to_px((start, y))[0], to_px((end, y))[0]))  # the row's mark, in pixels

    def clear(box) -> bool:
        if box.x0 < axes_box.x0 or box.x1 > axes_box.x1:
            return False
        for lo, hi in spans:
            a, b = sorted((to_px((lo, y))[0], to_px((hi, y))[0]))
            if box.x0 < b and box.x1 > a:
                return False
        return not (box.x0 < m1 - 0.5 and box.x1 > m0 + 0.5)

    t.set_bbox(None)  # a box drawn by an earlier layout's placement inside the bar
    right = sorted({end, *(hi for lo, hi in spans if hi >= end)})
    left = sorted({start, *(lo for lo, hi in spans if lo <= start)}, reverse=True)
    for x, ha, dx in [*((e, "left", pad) for e in right), *((e, "right", -pad) for e in left)]:
        t.xy, t.xyann = (x, y), (dx, 0)
        t.set_ha(ha)
        t.set_va("center")
        if clear(_text_box(t, renderer)):
            return
    if info.get("bar"):  # nowhere beside: inside the bar from its start, if the bar holds it
        t.xy, t.xyann = (start, y), (pad, 0)
        t.set_ha("left")
        if _text_box(t, renderer).x1 <= m1 - pad:
            t.set_bbox(LIGHT_BOX)
            return
    t.xy, t.xyann = ((start + end) / 2, y), (0, 7)  # nowhere beside: above the mark, on the
    t.set_ha("center")  # light box too (a phone's narrow chart draws the claim's band, the
    t.set_va("bottom")  # grid and the next row's interval through it otherwise)
    t.set_bbox(LIGHT_BOX)
    box = _text_box(t, renderer)  # kept inside the axes ("14.3%: inconclusive" ran past them)
    shift = min(0.0, axes_box.x1 - box.x1) or max(0.0, axes_box.x0 - box.x0)
    if shift:
        t.xyann = (shift * 72 / t.figure.dpi, 7)


def place_beside_labels(fig) -> None:
    """Place every :func:`label_beside` label of the figure for its current layout."""
    if not any(getattr(t, "_cnai_beside", None) for ax in fig.axes for t in ax.texts):
        return
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    for ax in fig.axes:
        for t in ax.texts:
            if getattr(t, "_cnai_beside", None):
                _place_beside(t, renderer)


def _text_box(t, renderer):
    """The drawn box of a text or of an annotation's text alone (an annotation's own window
    extent includes its leader line, which reaches its point)."""
    from matplotlib.text import Annotation, Text

    if isinstance(t, Annotation):
        t.update_positions(renderer)
        return Text.get_window_extent(t, renderer)
    return t.get_window_extent(renderer)


def text_clashes(fig) -> list[str]:
    """Texts inside an axes (value labels, point labels, annotations) drawn over one another:
    each pair as "'Shenzhen' over 'Guangzhou'". Call after the figure is laid out."""
    if not any(len(ax.texts) > 1 for ax in fig.axes):
        return []
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    out = []
    for ax in fig.axes:
        texts = [t for t in ax.texts if t.get_visible() and t.get_text().strip()]
        boxes = [_text_box(t, renderer) for t in texts]
        for i in range(len(texts)):
            for j in range(i + 1, len(texts)):
                if boxes[i].overlaps(boxes[j]):
                    out.append(f"{texts[i].get_text()!r} over {texts[j].get_text()!r}")
    return out


# label positions tried in turn (dx, dy in points, horizontal and vertical alignment): the four
# corners close to the point, then the same corners further out (with a leader line)
LABEL_SIDES = tuple(
    (sx * d, sy * d, "left" if sx > 0 else "right", "bottom" if sy > 0 else "top")
    for d in (5, 18, 32)
    for sx, sy in ((1, 1), (-1, 1), (1, -1), (-1, -1))
) + tuple(
    (sx * d, sy * d, {1: "left", -1: "right", 0: "center"}[sx],
     {1: "bottom", -1: "top", 0: "center"}[sy])
    for d in (8, 30, 50)
    for sx, sy in ((1, 0), (-1, 0), (0, 1), (0, -1))
)  # fmt: skip
NEAR_PT = 10  # a label this close to its point (points) needs no leader line


def label_points(ax, xs, ys, texts, **kw) -> list:
    """Labels of points (cities on a map), most important first, that :func:`place_point_labels`
    keeps apart from each other and from the labelled points, using their drawn size, each time
    the chart is laid out (the wide and the phone rendering differ). Returns the annotations."""
    out = []
    for x, y, text in zip(xs, ys, texts, strict=True):
        a = ax.annotate(
            str(text),
            (x, y),
            xytext=LABEL_SIDES[0][:2],
            textcoords="offset points",
            ha=LABEL_SIDES[0][2],
            va=LABEL_SIDES[0][3],
            arrowprops={"arrowstyle": "-", "lw": 0.4, "color": "0.3"},
            **kw,
        )
        a._cnai_point_label = True
        out.append(a)
    place_point_labels(ax.figure)
    return out


def place_point_labels(fig) -> None:
    """Each point label (:func:`label_points`) in turn takes the first of :data:`LABEL_SIDES`
    whose drawn box, inside the axes, clears the labels placed before it and every labelled
    point, and is nearer its own point than any other labelled point (Shenzhen's label must
    not sit by Guangzhou); if none does, the side that costs least. A leader line is drawn
    only for a label set further off than :data:`NEAR_PT`."""
    if not any(getattr(t, "_cnai_point_label", False) for ax in fig.axes for t in ax.texts):
        return
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()
    for ax in fig.axes:
        labels = [t for t in ax.texts if getattr(t, "_cnai_point_label", False)]
        if not labels:
            continue
        anchors = [ax.transData.transform(t.xy) for t in labels]
        inside = ax.get_window_extent(renderer)
        placed = []

        def nearer_other(box, own, anchors=anchors) -> bool:  # it reads as another point's
            def dist(p):
                dx = max(box.x0 - p[0], 0, p[0] - box.x1)
                dy = max(box.y0 - p[1], 0, p[1] - box.y1)
                return math.hypot(dx, dy)

            return any(dist(a) + 1 < dist(own) for a in anchors if a is not own)

        def overlap(box, own, placed=placed, anchors=anchors, inside=inside):
            # labels over labels first, then over points, then a label nearer another point
            area = 100 * box.height * nearer_other(box, own)
            area += 20 * sum(
                max(0, min(box.x1, b.x1) - max(box.x0, b.x0))
                * max(0, min(box.y1, b.y1) - max(box.y0, b.y0))
                for b in placed
            )
            area += 2000 * sum(box.x0 - 2 < x < box.x1 + 2 and box.y0 - 2 < y < box.y1 + 2
                              for x, y in anchors)  # fmt: skip
            out_x = max(0, inside.x0 - box.x0) + max(0, box.x1 - inside.x1)
            out_y = max(0, inside.y0 - box.y0) + max(0, box.y1 - inside.y1)
            return area + 50 * (out_x + out_y) * box.height

        own_of = {id(t): a for t, a in zip(labels, anchors, strict=True)}
        for t in labels * 3:  # in turn, then twice more against all the others
            if len(placed) >= len(labels):
                placed.pop(0)  # this label's own box from the round before
            best, best_cost = LABEL_SIDES[0], None
            for side in LABEL_SIDES:
                t.xyann = side[:2]
                t.set_ha(side[2])
                t.set_va(side[3])
                cost = overlap(_text_box(t, renderer), own_of[id(t)])
                if best_cost is None or cost < best_cost:
                    best, best_cost = side, cost
                if cost == 0:
                    break
            t.xyann = best[:2]
            t.set_ha(best[2])
            t.set_va(best[3])
            if t.arrow_patch is not None:
                t.arrow_patch.set_visible(max(abs(best[0]), abs(best[1])) > NEAR_PT)
            placed.append(_text_box(t, renderer))
