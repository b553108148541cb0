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
