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
