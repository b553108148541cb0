"""The offline province map."""

import matplotlib

matplotlib.use("agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from cnai_helpers import maps  # noqa: E402
from cnai_helpers.analysis.geo import MAINLAND  # noqa: E402


def test_every_mainland_province_has_a_boundary_in_china():
    for code in MAINLAND:
        rings = maps.province_polygons(code)
        assert rings, code
        lon, lat = rings[0][:, 0], rings[0][:, 1]
        assert 73 < lon.mean() < 136 and 3 < lat.mean() < 54, code  # Hainan reaches 4°N
    with pytest.raises(KeyError):
        maps.province_polygons("99")


def test_choropleth_colours_by_value():
    fig, ax = plt.subplots()
    sm = maps.choropleth(ax, {"11": 10.0, "44": 0.0})
    coll = ax.collections[0]
    assert len(coll.get_paths()) >= 34
    assert sm.norm.vmin == 0 and sm.norm.vmax == 10
    plt.close(fig)


def test_label_offsets_keep_close_city_labels_apart():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 7.5))
    ax.set_xlim(73, 135)
    ax.set_ylim(18, 54)
    # Guangzhou/Shenzhen and the Yangtze delta: the labels collide at one fixed offset
    lon = [113.39, 113.97, 121.44, 120.23, 120.46, 118.78]
    lat = [23.09, 22.54, 31.20, 30.31, 31.51, 32.02]
    names = ["Guangzhou", "Shenzhen", "Shanghai", "Hangzhou", "Suzhou", "Nanjing"]
    offsets = maps.label_offsets(ax, lon, lat, names, fontsize=8)
    assert len(offsets) == len(names)
    boxes = []
    for (x, y), name, (dx, dy, ha, va) in zip(
        ax.transData.transform(list(zip(lon, lat, strict=True))), names, offsets, strict=True
    ):
        w, h = 0.6 * 8 * len(name) * fig.dpi / 72, 8 * 1.2 * fig.dpi / 72
        x0 = x + dx * fig.dpi / 72 - (w if ha == "right" else 0)
        y0 = y + dy * fig.dpi / 72 - (h if va == "top" else 0)
        boxes.append((x0, y0, x0 + w, y0 + h))
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (a, b)
    plt.close(fig)
