"""Charts a reader can see: bars on the batch time axis have a width, count axes whole ticks."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from cnai_helpers import plotting  # noqa: E402

BATCHES = ["2024-01", "2024-02", "2024-04", "2024-09", "2025-03"]


def test_batch_bars_are_drawn_days_wide():
    fig, ax = plt.subplots()
    bars = ax.bar(plotting.batch_dates(BATCHES), [5, 12, 7, 30, 2], width=plotting.BATCH_BAR_DAYS)
    widths = [b.get_width() for b in bars]
    assert min(widths) == pytest.approx(plotting.BATCH_BAR_DAYS)  # in days on the date axis
    fig.canvas.draw()
    px = [b.get_window_extent().width for b in bars]
    assert min(px) > 3, px  # the reader sees them
    assert plotting.invisible_bars(fig) == []
    plt.close(fig)


def test_batch_dates_keep_the_time_between_lists():
    d = plotting.batch_dates(BATCHES)
    assert d.dtype == np.dtype("datetime64[D]")
    gaps = np.diff(d).astype(int)
    assert list(gaps) == [31, 60, 153, 181]


def test_a_chart_of_invisible_bars_is_refused():
    """Microsecond dates (what pandas gives) plus a width of 24 made 24 µs bars: every batch
    chart of the site showed gridlines only. finish() now refuses such a chart."""
    when = pd.to_datetime(pd.Series(BATCHES) + "-01").to_numpy()  # datetime64[ns or us]
    fig, ax = plt.subplots()
    ax.bar(when, [5, 12, 7, 30, 2], width=24, label="new filings")
    assert plotting.invisible_bars(fig) == ["axes 1: new filings"]
    with pytest.raises(ValueError, match="less than a pixel wide"):
        plotting.finish(fig, "New filings per batch", "test")


def test_category_and_horizontal_bars_are_visible():
    fig, (a, b) = plt.subplots(1, 2)
    a.bar(["x", "y"], [1, 2])
    b.barh(["x", "y"], [0.2, 0.4])
    assert plotting.invisible_bars(fig) == []
    plt.close(fig)


def test_count_axis_ticks_whole_numbers():
    fig, ax = plt.subplots()
    ax.bar(plotting.batch_dates(["2025-07", "2025-09", "2026-01"]), [3, 17, 9], width=12)
    plotting.count_axis(ax)
    fig.canvas.draw()
    ticks = [t for t in ax.get_yticks() if ax.get_ylim()[0] <= t <= ax.get_ylim()[1]]
    assert ticks and all(float(t).is_integer() for t in ticks), ticks
    plt.close(fig)


def _finished_meta(fig, title="A chart"):
    import IPython.display

    shown = []
    orig = IPython.display.display
    IPython.display.display = lambda *a, **k: shown.append(k.get("metadata") or {})
    try:
        plotting.finish(fig, title, "test")
    finally:
        IPython.display.display = orig
    return next(m for m in shown if "cnai_legibility" in m)


def test_a_wide_chart_with_small_labels_is_illegible_on_a_phone():
    """Reader 2: two-panel charts 10-11 inches wide with 8 pt labels were ~4 px text at 390 px.
    The metadata finish keeps says how small the smallest text gets at 360 px."""
    plotting.set_theme()
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4))
    a.plot([1, 2], [3, 4])
    b.plot([1, 2], [3, 4])
    b.text(1.5, 3.5, "a note", fontsize=8)
    meta = _finished_meta(fig)["cnai_legibility"]
    assert meta["min_font_pt"] == 8
    assert meta["width_px"] >= 10 * 110  # shown at 110 px per inch (less the margins cropped)
    assert meta["min_font_px_at_phone"] < 4.5  # 8 pt * 110/72 * 360/1210+


def test_the_themes_chart_is_legible_at_360_px_even_with_a_long_title():
    plotting.set_theme()
    fig, ax = plt.subplots()
    ax.plot(plotting.batch_dates(BATCHES), [1, 4, 9, 12, 20], label="filings")
    ax.set_ylabel("filings")
    ax.legend()
    long = "Deep synthesis (深度合成): new and cumulative filings per batch, " * 3
    meta = _finished_meta(fig, long)
    leg = meta["cnai_legibility"]
    assert leg["min_font_px_at_phone"] >= plotting.MIN_PHONE_FONT_PX, leg
    # the title is wrapped, not left to widen the image (which shrinks every text on a phone)
    assert meta["image/png"]["width"] <= plotting.FIGSIZE[0] * 110 + 5


def test_tick_labels_out_of_view_do_not_count():
    plotting.set_theme()
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    ax.set_xticks([0, 0.5, 1, 5])
    ax.set_xticklabels(["0", "½", "1", "five"])
    ax.get_xticklabels()[-1].set_fontsize(4)  # "five", outside the view: not drawn
    ax.set_xlim(0, 1)
    fig.canvas.draw()
    assert plotting.legibility(fig)["min_font_pt"] == plotting.SMALL_PT
    ax.get_xticklabels()[1].set_fontsize(5)  # "½", in view
    assert plotting.legibility(fig)["min_font_pt"] == 5
    plt.close(fig)


def test_chart_metadata_keeps_the_colour_of_each_legend_entry():
    from cnai_helpers.palette import colour

    plotting.set_theme()
    fig, ax = plt.subplots()
    ax.plot([1, 2], [1, 2], color=colour("registry", "deep_synthesis"), label="deep synthesis")
    ax.bar([3], [1], color=colour("registry", "genai_filings"), label="generative-AI filings")
    ax.scatter([1], [1], facecolors="none", edgecolors="#949494", label="hollow")
    ax.errorbar([1], [1], xerr=[[0.1], [0.2]], fmt="o", color="#56b4e9", label="estimate")
    ax.legend()
    (a,) = _finished_meta(fig)["cnai_axes"]
    assert a["legend_colours"] == {
        "deep synthesis": "#0173b2",
        "generative-AI filings": "#de8f05",
        "hollow": "#949494",
        "estimate": "#56b4e9",
    }


def test_notebooks_take_their_colours_from_the_palette():
    """Registry colours differed between charts and orange meant four things: a notebook names
    no colour of matplotlib's cycle ("C1") and no hex colour; it asks the palette module."""
    import re

    from cnai_helpers import paths

    found = {}
    for nb in sorted(paths.NOTEBOOKS.glob("*.ipynb")):
        text = nb.read_text(encoding="utf-8")
        bad = re.findall(r'(?:colou?rs?|edgecolors?|facecolors?)=\\?"(C\d|#[0-9a-fA-F]{3,8})', text)
        bad += re.findall(r'\\"C\d\\"', text)
        if bad:
            found[nb.name] = bad
    assert not found, found


def test_a_title_running_into_a_colour_bar_is_seen():
    plotting.set_theme()
    fig, ax = plt.subplots()
    im = ax.imshow(np.arange(9.0).reshape(3, 3))
    fig.colorbar(im, ax=ax, label="location quotient")
    fig.suptitle("A long title", x=0.9, y=0.6)  # over the colour bar
    fig.canvas.draw()
    assert "colour bar 2" in plotting.title_clashes(fig)
    fig.suptitle("A long title")  # above everything
    fig.tight_layout()
    fig.canvas.draw()
    assert plotting.title_clashes(fig) == []
    plt.close(fig)


def test_a_time_axis_names_the_year_of_its_first_tick():
    """The cancellations axis read "Jul Aug Sep Oct Nov Dec 2026": the 2025 of July was nowhere."""
    plotting.set_theme()
    fig, ax = plt.subplots()
    ax.plot(plotting.batch_dates(["2025-07", "2025-09", "2025-11", "2026-01"]), [1, 2, 3, 4])
    plotting.date_axis(ax)
    fig.canvas.draw()
    labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert "2025" in labels[0], labels
    plt.close(fig)


def test_a_legend_over_the_axis_label_is_seen():
    """who-files: a legend put under the chart sat on "share of unique filings"."""
    plotting.set_theme()
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1], label="two-phase, to the cut-off")
    ax.set_xlabel("share of unique filings")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), frameon=False)
    fig.tight_layout()
    fig.canvas.draw()
    assert plotting.legend_clashes(fig), "legend over the x label not seen"
    ax.legend(loc="upper left")
    fig.canvas.draw()
    assert plotting.legend_clashes(fig) == []
    plt.close(fig)


def test_a_phone_gets_a_narrower_rendering_whose_digits_are_9_px_tall():
    """Reader 4 measured the charts' digits at about 7 px on a 390 px phone where the check said
    9.3 px: the check measured the font size, the reader the glyphs (a digit is 0.73 of the font
    size). Each chart has a phone rendering; on a 390 px screen its smallest capital or digit
    is at least 9 CSS px, with no title, legend or tick labels run together."""
    plotting.set_theme()
    assert 0.70 <= plotting.cap_height_em() <= 0.76
    fig, ax = plt.subplots()
    ax.plot(plotting.batch_dates(BATCHES), [1, 4, 9, 12, 20], label="filings")
    plotting.date_axis(ax)
    ax.set_ylabel("filings")
    ax.legend()
    meta = _finished_meta(fig, "Deep synthesis (深度合成): new and cumulative filings per batch")
    wide, phone = meta["cnai_legibility"], meta["cnai_phone"]
    # the wide rendering, shown in a 390 px phone's 358 px column: digits under 7 px
    assert wide["min_cap_px_at_phone"] < 7.2, wide
    assert phone["phone_px"] == plotting.PHONE_COLUMN_PX and phone["screen_px"] == 390
    assert phone["min_cap_px_at_phone"] >= plotting.MIN_PHONE_CAP_PX, phone
    assert phone["width"] <= plotting.PHONE_FIGWIDTH * 110 + 20, phone
    assert not (phone["title_clashes"] or phone["legend_clashes"] or phone["tick_clashes"]), phone
    assert phone["png"].startswith("iVBOR")  # a PNG, moved to a file by the page build


def test_crowded_tick_labels_are_thinned_or_slanted_on_the_narrow_rendering():
    """Names fixed by hand keep every label, slanted; automatic number ticks are thinned."""
    plotting.set_theme()
    fig, ax = plt.subplots(figsize=(plotting.PHONE_FIGWIDTH, 4))
    ax.plot(range(30), range(30))
    ax.set_xticks(range(0, 30, 3), [f"group {i}" for i in range(10)])
    fig.canvas.draw()
    assert plotting.tick_clashes(fig) == ["x tick labels of axes 1"]
    plotting.thin_clashing_ticks(fig)
    fig.canvas.draw()
    assert len([t for t in ax.get_xticklabels() if t.get_text()]) == 10  # every name kept
    assert ax.get_xticklabels()[0].get_rotation() == 40
    plt.close(fig)
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    fig, ax = plt.subplots(figsize=(plotting.PHONE_FIGWIDTH, 4))
    ax.plot(range(30), range(30))
    ax.xaxis.set_major_locator(MaxNLocator(15))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f} filings"))
    fig.canvas.draw()
    assert plotting.tick_clashes(fig)
    plotting.thin_clashing_ticks(fig)
    fig.canvas.draw()
    assert not plotting.tick_clashes(fig)
    plt.close(fig)


def test_long_category_names_wrap_on_the_phone_rendering_without_running_together():
    """A bar chart with long category names drawn narrow kept a sliver for its bars: the names
    wrap, the chart grows taller until they do not run together, and its digits stay 9 px."""
    plotting.set_theme()
    fig, ax = plt.subplots(figsize=(6.2, 4))
    names = ["hub provinces, lists to March 2025", "hub cities", "within 150 km of a hub",
             "hub provinces + Jiangsu", "five largest provinces", "hub provinces"]  # fmt: skip
    ax.barh(names, [0.71, 0.0, 0.3, 0.79, 0.79, 0.70])
    ax.set_xlabel("share of unique filings")
    phone = _finished_meta(fig, "Share of filings in the hubs, by definition")["cnai_phone"]
    assert not phone["tick_clashes"], phone
    assert phone["min_cap_px_at_phone"] >= plotting.MIN_PHONE_CAP_PX, phone


def test_a_wide_legend_moves_under_a_narrow_chart():
    """The Lorenz curve's legend (long registry names) inside the axes squeezed the narrow
    rendering's plot to a sliver: it moves under the chart, wrapped, over no label."""
    plotting.set_theme()
    fig, ax = plt.subplots(figsize=(6, 5.4))
    ax.plot(
        [0, 0.5, 1], [0, 0.1, 1], label="Generative-AI filings (生成式人工智能 备案) (Gini 0.77)"
    )
    ax.plot([0, 1], [0, 1], ls=":", label="equal spread")
    ax.set_xlabel("share of the 31 mainland provinces\n(fewest filings first)")
    ax.legend()
    phone = _finished_meta(fig, "Lorenz curve over provinces")["cnai_phone"]
    assert not phone["legend_clashes"] and not phone["tick_clashes"], phone
    assert phone["min_cap_px_at_phone"] >= plotting.MIN_PHONE_CAP_PX, phone


def test_crowded_numeric_fixed_ticks_keep_the_first_of_each_crowd():
    plotting.set_theme()
    fig, ax = plt.subplots(figsize=(6.2, 4))
    ax.plot([1, 10], [0, 1])
    plotting.ratio_axis(ax, "x", marks=(2, 3, 4))
    ax.tick_params(axis="x", labelsize=20)  # crowded at this size, on a narrow chart
    fig.set_size_inches(3.5, 4)
    fig.canvas.draw()
    assert plotting.tick_clashes(fig)
    plotting.thin_clashing_ticks(fig)
    fig.canvas.draw()
    assert not plotting.tick_clashes(fig)
    shown = [t.get_text() for t in ax.get_xticklabels() if 1 <= t.get_position()[0] <= 10]
    assert shown[:2] == ["1×", "2×"] and "10×" not in shown[:2], shown
    plt.close(fig)


def test_the_written_out_theme_is_seaborns():
    """set_theme() writes seaborn's theme out instead of importing seaborn (and scipy.stats) in
    every kernel: the settings must be exactly those seaborn's set_theme makes, palette included,
    so that a seaborn that changes its theme fails here. Only "image.cmap" differs (seaborn's
    "rocket" exists only with seaborn imported; every chart names its colormap)."""
    import matplotlib as mpl
    import seaborn as sns

    def settings(apply) -> dict:
        with mpl.rc_context():
            mpl.rcdefaults()
            apply()
            return {k: v for k, v in mpl.rcParams.items() if k != "image.cmap"}

    theirs = settings(
        lambda: sns.set_theme(style="whitegrid", palette=plotting.PALETTE, context="notebook")
    )
    ours = settings(plotting.seaborn_theme)
    differ = {k: (ours[k], theirs[k]) for k in theirs if ours[k] != theirs[k]}
    assert not differ, f"(written out, seaborn's): {differ}"
    from cnai_helpers.reference import seaborn_theme

    broken = dict(seaborn_theme()["settings"], **{"grid.color": ".7"})
    assert settings(lambda: mpl.rcParams.update(broken)) != theirs  # the check can fail
