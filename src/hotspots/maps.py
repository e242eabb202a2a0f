"""Folium choropleths of ward values, classified with mapclassify, with a legend and tooltips."""

from __future__ import annotations

import html
import warnings

import folium
from branca.element import MacroElement
from jinja2 import Template
import geopandas as gpd
import mapclassify
import numpy as np
import pandas as pd

#: Colour-blind-safe sequential ColorBrewer palette (YlOrRd), light to dark.
PALETTE = ["#ffffb2", "#fed976", "#feb24c", "#fd8d3c", "#f03b20", "#bd0026", "#800026"]
NO_DATA_COLOUR = "#bdbdbd"
SCHEMES = {"quantiles": "Quantiles", "natural_breaks": "NaturalBreaks", "equal_interval": "EqualInterval"}


def class_breaks(values: pd.Series, *, scheme: str = "quantiles", k: int = 5) -> list[float]:
    """Upper bounds of each class for the non-missing values (mapclassify), fewer if values repeat."""
    if scheme not in SCHEMES:
        raise ValueError(f"Unknown classification {scheme!r}; use one of {', '.join(SCHEMES)}.")
    present = values.dropna().to_numpy(dtype=float)
    if len(present) == 0:
        return []
    distinct = len(np.unique(present))
    if distinct <= k:
        return sorted(np.unique(present).tolist())
    with warnings.catch_warnings():
        # Mostly-zero counts repeat values; mapclassify then lowers k itself and warns. Expected here.
        warnings.filterwarnings("ignore", message="Not enough unique values", category=UserWarning)
        classifier = mapclassify.classify(present, SCHEMES[scheme], k=k)
    return sorted(set(float(b) for b in classifier.bins))


def ward_choropleth(
    areas: gpd.GeoDataFrame,
    values: pd.Series,
    *,
    label: str,
    scheme: str = "quantiles",
    k: int = 5,
    decimals: int = 0,
    basemap: bool = True,
    leaflet_urls: tuple[str, str] | None = None,
    breaks: list[float] | None = None,
    legend_labels: list[str] | None = None,
    details: pd.Series | None = None,
    details_label: str = "Why",
) -> folium.Map:
    """A choropleth of ``values`` (indexed by ``ward_code``) over ``areas`` (EPSG:4326).

    Wards without a value are grey and say "no data" in their tooltip; a legend is drawn on the
    map. ``leaflet_urls`` (script, stylesheet) replaces folium's CDN links so that the map works
    on a closed network; ``basemap=False`` requests no tiles. Fixed ``breaks`` (class upper
    bounds) and their ``legend_labels`` replace the classification, e.g. for risk bands.
    ``details`` (text by ``ward_code``) adds a line to each tooltip.
    """
    breaks = class_breaks(values, scheme=scheme, k=k) if breaks is None else breaks
    colours = _palette(len(breaks))
    by_ward = values.reindex(areas["ward_code"]).to_numpy(dtype=float)
    features = areas[["ward_code", "ward_name", "geometry"]].copy()
    features["value"] = [_format(v, decimals) for v in by_ward]
    features["fill"] = [_colour(v, breaks, colours) for v in by_ward]
    fields, aliases = ["ward_name", "value"], ["Ward", label]
    if details is not None:
        features["details"] = details.reindex(areas["ward_code"]).fillna("").to_numpy()
        fields, aliases = fields + ["details"], aliases + [details_label]
    fmap = _base_map(areas, basemap=basemap, leaflet_urls=leaflet_urls)
    folium.GeoJson(
        features.to_json(drop_id=True),
        name=label,
        style_function=_style,
        highlight_function=lambda _: {"weight": 3, "color": "#000000"},
        tooltip=folium.GeoJsonTooltip(fields=fields, aliases=aliases, sticky=False),
    ).add_to(fmap)
    rows = legend_rows(values, breaks, colours, decimals)
    if legend_labels is not None:
        rows = [(colour, text) for (colour, _), text in zip(rows, legend_labels)] + rows[len(legend_labels):]
    Legend(rows, title=label).add_to(fmap)
    return fmap


def legend_rows(values: pd.Series, breaks: list[float], colours: list[str], decimals: int) -> list[tuple[str, str]]:
    """(colour, range) per class, then grey "no data" when any ward lacks a value.

    Classes are (previous upper, upper]; whole counts (``decimals=0``) start at the next integer,
    so neighbouring rows never share a value ("5 to 14", "15 to 17").
    """
    rows = []
    lower = float(np.nanmin(values.to_numpy(dtype=float))) if breaks else np.nan
    for position, (upper, colour) in enumerate(zip(breaks, colours)):
        if position == 0:
            low = _format(lower, decimals)
        else:
            low = _format(np.floor(lower) + 1, 0) if decimals == 0 else f"over {_format(lower, decimals)}"
        high = _format(upper, decimals)
        rows.append((colour, high if low == high else f"{low} to {high}"))
        lower = upper
    if values.isna().any() or not breaks:
        rows.append((NO_DATA_COLOUR, "no data"))
    return rows


class Legend(MacroElement):
    """A plain-HTML legend control (no d3 or other CDN script), bottom right of the map."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.control({position: "bottomright"});
        {{ this.get_name() }}.onAdd = function () {
            var div = L.DomUtil.create("div", "ward-legend");
            div.innerHTML = {{ this.html|tojson }};
            return div;
        };
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, rows: list[tuple[str, str]], *, title: str) -> None:
        super().__init__()
        self._name = "Legend"
        swatch = ('<div><span style="display:inline-block;width:14px;height:14px;margin-right:6px;'
                  'vertical-align:middle;border:1px solid #555;background:{}"></span>{}</div>')
        items = "".join(swatch.format(colour, html.escape(text)) for colour, text in rows)
        self.html = ('<div style="background:rgba(255,255,255,0.92);padding:6px 8px;border-radius:4px;'
                     f'font:13px/1.5 sans-serif;max-width:220px"><b>{html.escape(title)}</b>{items}</div>')


def _base_map(areas: gpd.GeoDataFrame, *, basemap: bool, leaflet_urls: tuple[str, str] | None) -> folium.Map:
    minx, miny, maxx, maxy = areas.total_bounds
    fmap = folium.Map(tiles="OpenStreetMap" if basemap else None, control_scale=True)
    if leaflet_urls is not None:
        # Instance attributes shadow folium's CDN lists: only Leaflet is needed for this map.
        fmap.default_js = [("leaflet", leaflet_urls[0])]
        fmap.default_css = [("leaflet_css", leaflet_urls[1])]
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    return fmap


def _style(feature: dict) -> dict:
    return {"fillColor": feature["properties"]["fill"], "color": "#444444", "weight": 0.8, "fillOpacity": 0.75}


def _palette(n: int) -> list[str]:
    if n <= 1:
        return PALETTE[3:4] * n
    positions = np.linspace(0, len(PALETTE) - 1, n).round().astype(int)
    return [PALETTE[i] for i in positions]


def _colour(value: float, breaks: list[float], colours: list[str]) -> str:
    if np.isnan(value):
        return NO_DATA_COLOUR
    position = int(np.searchsorted(breaks, value, side="left"))
    return colours[min(position, len(colours) - 1)]


def _format(value: float, decimals: int) -> str:
    return "no data" if np.isnan(value) else f"{value:,.{decimals}f}"
