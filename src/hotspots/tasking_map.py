"""The Op Grip page's map: the patrol areas, numbered, over the districts' wards (folium)."""

from __future__ import annotations

import html

import folium
import geopandas as gpd
from folium.map import FitBounds
from folium.template import Template

from hotspots import settings

AREA_COLOUR = "#c0392b"
_NUMBER_STYLE = ("background:#1a1a1a;color:#fff;border-radius:50%;width:22px;height:22px;display:flex;"
                 "align-items:center;justify-content:center;font:bold 12px sans-serif")


class _FitBoundsOnResize(FitBounds):
    """Fit the bounds now and again whenever the frame changes size: Leaflet otherwise keeps its
    centre and zoom, so opening the sidebar at tablet portrait (the frame 736 to 436 px wide) put
    the east and west areas out of view."""

    _template = Template("""
        {% macro script(this, kwargs) %}
            {{ this._parent.get_name() }}.fitBounds({{ this.bounds|tojson }}, {{ this.options|tojson }});
            {{ this._parent.get_name() }}.on("resize", function () {
                {{ this._parent.get_name() }}.fitBounds({{ this.bounds|tojson }}, {{ this.options|tojson }});
            });
        {% endmacro %}
        """)


def patrol_areas_map(areas: gpd.GeoDataFrame, wards: gpd.GeoDataFrame, *, basemap: bool,
                     leaflet_urls: tuple[str, str] | None = None) -> folium.Map:
    """Patrol areas (``tasking.patrol_areas``'s columns) in red, each with its number, over ward
    outlines, zoomed to the areas' cells (again whenever the frame is resized). ``leaflet_urls``
    (script, stylesheet) replaces folium's CDN links for a closed network; ``basemap=False``
    requests no tiles. Every label is escaped."""
    fmap = folium.Map(tiles="OpenStreetMap" if basemap else None, control_scale=True, keyboard=False)
    if leaflet_urls is not None:
        fmap.default_js = [("leaflet", leaflet_urls[0])]
        fmap.default_css = [("leaflet_css", leaflet_urls[1])]
    shown_wards = wards.to_crs(settings.DISPLAY_CRS)[["ward_name", "geometry"]].assign(
        ward_name=lambda frame: frame["ward_name"].map(html.escape))
    folium.GeoJson(shown_wards, style_function=lambda _: {"color": "#737373", "weight": 1, "fillOpacity": 0},
                   tooltip=folium.GeoJsonTooltip(["ward_name"], aliases=["Ward"]), name="Wards").add_to(fmap)
    shown = areas.to_crs(settings.DISPLAY_CRS)
    tips = shown[["area_number", "cells", "events", "harm", "geometry"]].assign(harm=shown["harm"].round(1))
    folium.GeoJson(tips, style_function=lambda _: {"color": AREA_COLOUR, "weight": 2, "fillColor": AREA_COLOUR,
                                                   "fillOpacity": 0.45},
                   tooltip=folium.GeoJsonTooltip(["area_number", "cells", "events", "harm"],
                                                 aliases=["Area", "Cells", "Events", "Harm"]),
                   name="Patrol areas").add_to(fmap)
    for number, point in zip(shown["area_number"], shown.geometry.representative_point()):
        folium.Marker([point.y, point.x], icon=folium.DivIcon(
            html=f'<div class="grip-area-number" style="{_NUMBER_STYLE}">{int(number)}</div>',
            icon_size=(22, 22), icon_anchor=(-4, 26))).add_to(fmap)
    bounds = (shown if len(shown) else shown_wards).total_bounds
    fmap.add_child(_FitBoundsOnResize([[bounds[1], bounds[0]], [bounds[3], bounds[2]]], padding=(30, 30)))
    return fmap
