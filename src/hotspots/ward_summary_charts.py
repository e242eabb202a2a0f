"""The ward summary's pictures: the shapes of an area's wards for the tap map, and a small trend
per layer. Neither loads a chart library in the browser, for a tablet's first view: the map's
shapes are SVG paths that the page's small ward-picker component (``ui/ward_picker.py``) draws
and sends a tap back from, and each trend is an SVG image drawn here by matplotlib, whose
alternative text gives every value in words."""

from __future__ import annotations

import base64
import io
import re
from html import escape

import geopandas as gpd
import numpy as np
import pandas as pd
from matplotlib import rc_context
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from shapely.geometry.base import BaseGeometry

LINE_COLOUR = "#374151"
TEXT_COLOUR = "#111827"
GAP_COLOUR = "#6b7280"
#: Width of the map's drawing space, in SVG user units (the browser scales it to the column).
MAP_WIDTH = 1000


def ward_shapes(areas: gpd.GeoDataFrame, chosen: str) -> dict:
    """The tap map's data: ``areas`` (``ward_code, ward_name``, any CRS) projected to the UTM zone
    the areas lie in (a flat map with true shapes, wherever the region is), simplified to what
    :data:`MAP_WIDTH` units can show, as ``{"width", "height", "wards": [{"code", "name", "d",
    "chosen"}]}``, ``d`` an SVG path (holes drawn by the even-odd rule). Names are data, which the
    component sets as text."""
    flat = areas.to_crs(areas.estimate_utm_crs())
    minx, miny, maxx, maxy = flat.total_bounds
    span = max(maxx - minx, maxy - miny, 1.0)
    scale = MAP_WIDTH / max(maxx - minx, 1.0)
    shapes = flat.geometry.simplify(span / (2 * MAP_WIDTH), preserve_topology=True)
    wards = [{"code": code, "name": name, "d": _path(shape, minx, maxy, scale), "chosen": code == chosen}
             for code, name, shape in zip(flat["ward_code"], flat["ward_name"], shapes)]
    return {"width": MAP_WIDTH, "height": round((maxy - miny) * scale), "wards": wards}


def _path(shape: BaseGeometry, minx: float, maxy: float, scale: float) -> str:
    """One (multi)polygon as an SVG path: each ring ``M x,y L x,y ... Z``, y pointing down."""
    rings = []
    for polygon in getattr(shape, "geoms", [shape]):
        for ring in [polygon.exterior, *polygon.interiors]:
            xy = np.asarray(ring.coords)[:-1]
            x, y = np.round((xy[:, 0] - minx) * scale, 1), np.round((maxy - xy[:, 1]) * scale, 1)
            rings.append("M" + " L".join(f"{a:g},{b:g}" for a, b in zip(x, y)) + "Z")
    return "".join(rings)


def trend_svg(trend: pd.DataFrame, *, name: str, title: str = "Count") -> str:
    """A ward's yearly counts (at least one year of ``year, count, count_text, suppressed`` from
    ``disclosure.disclosed_trend``) as an SVG: each shown count written above its point; a
    suppressed year a gap in the line marked by a dashed vertical line, never a zero. Its text is
    kept as text. Each written count is the group ``trend-<name>-<year>`` (``name``: unique on the
    page, e.g. the layer's key), so that a test can read exactly the counts shown."""
    years = trend["year"].astype(str).tolist()
    counts = pd.to_numeric(trend["count"], errors="coerce").to_numpy(dtype=float)
    position = np.arange(len(years))
    with rc_context({"svg.fonttype": "none", "svg.hashsalt": "ward-summary", "font.size": 10,
                     "font.family": "DejaVu Sans"}):
        figure = Figure(figsize=(6.4, 1.7))
        axes = figure.add_axes((0.1, 0.2, 0.88, 0.72))
        axes.plot(position, counts, color=LINE_COLOUR, marker="o", markersize=4, linewidth=1.6)
        for x, year, count, text, hidden in zip(position, years, counts, trend["count_text"],
                                                trend["suppressed"].astype(bool)):
            if hidden:
                axes.axvline(x, color=GAP_COLOUR, linestyle=(0, (3, 3)), linewidth=1)
            elif not np.isnan(count):
                axes.annotate(str(text), (x, count), xytext=(0, 5), textcoords="offset points", ha="center",
                              va="bottom", color=TEXT_COLOUR, fontsize=10, gid=f"trend-{name}-{year[:4]}")
        top = np.nanmax(counts) if np.isfinite(counts).any() else 1.0
        axes.set_ylim(0, max(top, 1.0) * 1.35)
        axes.set_xlim(-0.5, len(years) - 0.5)
        axes.set_xticks(position, years, fontsize=9)
        axes.set_ylabel(title)
        axes.yaxis.set_major_locator(MaxNLocator(nbins=3, integer=True))
        axes.spines[["top", "right"]].set_visible(False)
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    # An SVG image loads no web font: the page's sans-serif, not a serif fallback.
    return buffer.getvalue().replace("font-family: 'DejaVu Sans'", "font-family: sans-serif")


def trend_words(trend: pd.DataFrame, label: str) -> str:
    """What a trend picture shows, in words: the label and every year's shown value."""
    words = "; ".join(f"{year}: {text}" for year, text in zip(trend["year"].astype(str), trend["count_text"].astype(str)))
    return f"{label}, by year. {words}."


#: An image :func:`trend_image` made: its SVG (base64) and its alternative text.
IMAGE = re.compile(r'<img src="data:image/svg\+xml;base64,(?P<svg>[A-Za-z0-9+/=]+)" alt="(?P<alt>[^"]*)"')


def trend_image(trend: pd.DataFrame, *, name: str, label: str) -> str:
    """:func:`trend_svg` as an HTML image (a data address), its alternative text every year's value
    in words. An image, because a page sanitises inline SVG away, and an SVG image runs no script."""
    svg = base64.b64encode(trend_svg(trend, name=name).encode()).decode()
    return (f'<img src="data:image/svg+xml;base64,{svg}" alt="{escape(trend_words(trend, label), quote=True)}" '
            'style="width: 100%; height: auto; display: block">')
