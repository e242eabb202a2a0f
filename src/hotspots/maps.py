"""Folium choropleths of ward values, classified with mapclassify, with a legend and tooltips."""

from __future__ import annotations

import html
import warnings
from urllib.parse import urlencode

import folium
from branca.element import MacroElement
from jinja2 import Template
import geopandas as gpd
import mapclassify
import numpy as np
import pandas as pd

#: Colour-blind-safe sequential palettes (ColorBrewer YlOrRd and Blues, viridis), light to dark.
PALETTES = {
    "YlOrRd": ["#ffffb2", "#fed976", "#feb24c", "#fd8d3c", "#f03b20", "#bd0026", "#800026"],
    "Viridis": ["#fde725", "#90d743", "#35b779", "#21918c", "#31688e", "#443983", "#440154"],
    "Blues": ["#eff3ff", "#c6dbef", "#9ecae1", "#6baed6", "#4292c6", "#2171b5", "#084594"],
}
PALETTE = PALETTES["YlOrRd"]
#: Colour-blind-safe diverging palette (ColorBrewer PuOr): falls purple, rises orange, no change pale.
DIVERGING = {"down": ["#2d004b", "#542788", "#8073ac", "#b2abd2"], "middle": "#f7f7f7",
             "up": ["#fdb863", "#e08214", "#b35806", "#7f3b08"]}
NO_DATA_COLOUR = "#bdbdbd"
#: Suppressed wards (a small count shown as "fewer than 5") are hatched: dark diagonal lines on white,
#: unlike any class colour, zero's, or no data's grey. The SVG pattern's id, and the legend swatch's CSS.
SUPPRESSED_FILL = "url(#ward-suppressed-hatch)"
SUPPRESSED_SWATCH = "repeating-linear-gradient(45deg,#444444 0 2px,#ffffff 2px 6px)"
SCHEMES = {"quantiles": "Quantiles", "natural_breaks": "NaturalBreaks", "equal_interval": "EqualInterval",
           "fixed": "UserDefined"}
#: How hot and cold spots are outlined over the choropleth: (colour, dash pattern or None).
SPOT_OUTLINES = {"hot spot": ("#000000", None), "high-high (hot spot)": ("#000000", None),
                 "cold spot": ("#08519c", "6 4"), "low-low (cold spot)": ("#08519c", "6 4"),
                 "high-low (outlier)": ("#7b3294", "2 4"), "low-high (outlier)": ("#7b3294", "2 4")}


def class_breaks(values: pd.Series, *, scheme: str = "quantiles", k: int = 5,
                 bands: list[float] | None = None) -> list[float]:
    """Upper bounds of each class for the non-missing values (mapclassify), fewer if values repeat.

    ``scheme="fixed"`` uses ``bands`` (upper bounds, e.g. ``[0, 2, 5, 10]``) and adds the maximum
    when values go above the last band."""
    if scheme not in SCHEMES:
        raise ValueError(f"Unknown classification {scheme!r}; use one of {', '.join(SCHEMES)}.")
    present = values.dropna().to_numpy(dtype=float)
    if len(present) == 0:
        return []
    if scheme == "fixed":
        if not bands:
            raise ValueError("Fixed bands need at least one upper bound, e.g. 0, 2, 5, 10.")
        return sorted(set(float(b) for b in mapclassify.UserDefined(present, bins=sorted(bands)).bins))
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
    palette: str = "YlOrRd",
    diverging: bool = False,
    bands: list[float] | None = None,
    spots: pd.Series | None = None,
    profile_links: bool = False,
    unit: str = "",
    suppressed: pd.Series | None = None,
    suppressed_label: str = "fewer than 5",
) -> folium.Map:
    """A choropleth of ``values`` (indexed by ``ward_code``) over ``areas`` (EPSG:4326).

    Wards without a value are grey and say "no data" in their tooltip; a legend is drawn on the
    map. ``leaflet_urls`` (script, stylesheet) replaces folium's CDN links so that the map works
    on a closed network; ``basemap=False`` requests no tiles. Fixed ``breaks`` (class upper
    bounds) and their ``legend_labels`` replace the classification, e.g. for risk bands.
    ``details`` (text by ``ward_code``) adds a line to each tooltip. ``palette`` names one of
    PALETTES; ``diverging`` colours falls and rises either side of zero (for changes). ``spots``
    (by ``ward_code``: "hot spot", "cold spot", a Local Moran quadrant) outlines those wards.
    ``profile_links`` adds a popup on tap/click linking to the ward's profile page. ``unit`` follows
    each value in tooltips and popups (e.g. ``"%"``). ``suppressed`` (True by ``ward_code``, where
    ``values`` is NaN because a small count is hidden) draws those wards hatched and says
    ``suppressed_label`` in their tooltip and the legend, apart from zero and from no data.
    Every name, label and value is escaped: the map shows text, never a user's HTML.
    """
    breaks = class_breaks(values, scheme=scheme, k=k, bands=bands) if breaks is None else breaks
    colours = _diverging(breaks) if diverging else _palette(len(breaks), PALETTES[palette])
    by_ward = values.reindex(areas["ward_code"]).to_numpy(dtype=float)
    hidden = (np.zeros(len(by_ward), dtype=bool) if suppressed is None
              else suppressed.reindex(areas["ward_code"]).fillna(False).to_numpy(dtype=bool))
    # Folium's tooltips and popups put names and values into the page as HTML: escape every one
    # (ward names can come from a user's boundary file, labels from a user's count table).
    features = areas[["ward_code", "geometry"]].copy()
    features["ward_name"] = areas["ward_name"].map(html.escape).to_numpy()
    features["value"] = [html.escape(suppressed_label) if secret else html.escape(_format(v, decimals) + unit)
                         if not np.isnan(v) else "no data" for v, secret in zip(by_ward, hidden)]
    features["fill"] = [SUPPRESSED_FILL if secret else _colour(v, breaks, colours) for v, secret in zip(by_ward, hidden)]
    fields, aliases = ["ward_name", "value"], ["Ward", html.escape(label)]
    if details is not None:
        features["details"] = details.reindex(areas["ward_code"]).fillna("").map(html.escape).to_numpy()
        fields, aliases = fields + ["details"], aliases + [html.escape(details_label)]
    fmap = _base_map(areas, basemap=basemap, leaflet_urls=leaflet_urls)
    popup = _profile_popup(features, label) if profile_links else None
    folium.GeoJson(
        features.to_json(drop_id=True),
        name=html.escape(label),
        style_function=_style,
        highlight_function=lambda _: {"weight": 3, "color": "#000000"},
        tooltip=folium.GeoJsonTooltip(fields=fields, aliases=aliases, sticky=False),
        popup=popup,
    ).add_to(fmap)
    if hidden.any():
        HatchPattern().add_to(fmap)
    rows = legend_rows(values, breaks, colours, decimals, no_data=bool((np.isnan(by_ward) & ~hidden).any()))
    if legend_labels is not None:
        rows = [(colour, text) for (colour, _), text in zip(rows, legend_labels)] + rows[len(legend_labels):]
    if hidden.any():
        rows = [row for row in rows if row[0] != NO_DATA_COLOUR] + [(SUPPRESSED_FILL, suppressed_label)] + [
            row for row in rows if row[0] == NO_DATA_COLOUR]
    outlines = []
    if spots is not None:
        outlined = spots[spots.isin(list(SPOT_OUTLINES))]
        if len(outlined):
            _add_spot_outlines(fmap, areas, outlined)
        outlines = [(SPOT_OUTLINES[spot], spot) for spot in dict.fromkeys(outlined.sort_values())]
    Legend(rows, title=label, outlines=outlines).add_to(fmap)
    return fmap


def _profile_popup(features: gpd.GeoDataFrame, label: str) -> folium.GeoJsonPopup:
    """A tap's popup with a link to the ward's profile, added to ``features`` as ``profile``. A new
    tab: Streamlit's component sandbox does not let the map navigate the page itself."""
    features["profile"] = [f'<a href="/ward_profile?{html.escape(urlencode({"ward": code}))}" target="_blank" '
                           'rel="noopener">Open the ward profile</a>' for code in features["ward_code"]]
    return folium.GeoJsonPopup(fields=["ward_name", "value", "profile"], aliases=["Ward", html.escape(label), ""],
                               labels=True)


def _add_spot_outlines(fmap: folium.Map, areas: gpd.GeoDataFrame, spots: pd.Series) -> None:
    chosen = areas[areas["ward_code"].isin(spots.index)][["ward_code", "ward_name", "geometry"]].copy()
    chosen["spot"] = spots.reindex(chosen["ward_code"]).to_numpy()

    def outline(feature: dict) -> dict:
        colour, dash = SPOT_OUTLINES[feature["properties"]["spot"]]
        return {"fill": False, "color": colour, "weight": 3.5, "dashArray": dash}

    folium.GeoJson(chosen.to_json(drop_id=True), name="Statistical hotspots", style_function=outline,
                   interactive=False).add_to(fmap)


def category_map(areas: gpd.GeoDataFrame, categories: pd.Series, colours: dict[str, str], *, label: str,
                 basemap: bool = True, leaflet_urls: tuple[str, str] | None = None,
                 profile_links: bool = False, not_given: str = "not tested") -> folium.Map:
    """Wards (EPSG:4326) filled by their category (``categories`` by ``ward_code``; ``colours`` by
    category), with a legend in words of the categories present; a ward without a category is grey
    and says ``not_given``. Names and categories are escaped, as in ``ward_choropleth``."""
    chosen = categories.reindex(areas["ward_code"])
    features = areas[["ward_code", "geometry"]].copy()
    features["ward_name"] = areas["ward_name"].map(html.escape).to_numpy()
    features["value"] = chosen.fillna(not_given).map(html.escape).to_numpy()
    features["fill"] = chosen.map(colours).fillna(NO_DATA_COLOUR).to_numpy()
    fmap = _base_map(areas, basemap=basemap, leaflet_urls=leaflet_urls)
    popup = _profile_popup(features, label) if profile_links else None
    folium.GeoJson(features.to_json(drop_id=True), name=html.escape(label), style_function=_category_style,
                   highlight_function=lambda _: {"weight": 3, "color": "#000000"},
                   tooltip=folium.GeoJsonTooltip(fields=["ward_name", "value"], aliases=["Ward", html.escape(label)],
                                                 sticky=False),
                   popup=popup).add_to(fmap)
    present = set(chosen.dropna())
    rows = [(colour, category) for category, colour in colours.items() if category in present]
    if chosen.isna().any():
        rows.append((NO_DATA_COLOUR, not_given))
    Legend(rows, title=label).add_to(fmap)
    return fmap


def _category_style(feature: dict) -> dict:
    if feature["properties"]["fill"] == NO_DATA_COLOUR:
        return {"fillColor": NO_DATA_COLOUR, "color": "#666666", "weight": 0.8, "fillOpacity": 0.5, "dashArray": "4 3"}
    return {"fillColor": feature["properties"]["fill"], "color": "#555555", "weight": 0.8, "fillOpacity": 0.85}


def legend_rows(values: pd.Series, breaks: list[float], colours: list[str], decimals: int, *,
                no_data: bool | None = None) -> list[tuple[str, str]]:
    """(colour, range) per class, then grey "no data" when any ward lacks a value (or as ``no_data``
    says, when some missing values are suppressed ones, not missing data).

    Classes are (previous upper, upper]; whole counts (``decimals=0``) start at the next integer,
    so neighbouring rows never share a value ("5 to 14", "15 to 17").
    """
    rows = []
    lower = float(np.nanmin(values.to_numpy(dtype=float))) if breaks and values.notna().any() else np.nan
    for position, (upper, colour) in enumerate(zip(breaks, colours)):
        if decimals == 0:
            # Whole counts: a class (16, 16.8] holds no count, so "to 16" then "17 to ..." never overlap.
            low = _format(lower if position == 0 else np.floor(lower) + 1, 0)
            high = _format(max(np.floor(upper), np.floor(lower) + (position > 0)), 0)
        else:
            low = _format(lower, decimals) if position == 0 else f"over {_format(lower, decimals)}"
            high = _format(upper, decimals)
        rows.append((colour, high if low == high else f"{low} to {high}"))
        lower = upper
    if (values.isna().any() if no_data is None else no_data) or not breaks:
        rows.append((NO_DATA_COLOUR, "no data"))
    return rows


class Legend(MacroElement):
    """A plain-HTML legend control (no d3 or other CDN script), top right so it shows without scrolling.

    Leaflet stacks its controls above the map pane, popups included, and no z-index can lift a
    popup out of the map pane: so while a popup is open the legend steps aside (hidden, taking no
    taps), or on a tablet it covers the popup's close button and catches the tap."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.control({position: "topright"});
        {{ this.get_name() }}.onAdd = function (map) {
            var div = L.DomUtil.create("div", "ward-legend");
            div.innerHTML = {{ this.html|tojson }};
            map.on("popupopen", function () { div.style.visibility = "hidden"; });
            map.on("popupclose", function () { div.style.visibility = ""; });
            return div;
        };
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, rows: list[tuple[str, str]], *, title: str,
                 outlines: list[tuple[tuple[str, str | None], str]] = ()) -> None:
        super().__init__()
        self._name = "Legend"
        swatch = ('<div><span style="display:inline-block;width:14px;height:14px;margin-right:6px;'
                  'vertical-align:middle;border:1px {};background:{}"></span>{}</div>')
        items = "".join(swatch.format("dashed #555" if colour == NO_DATA_COLOUR else "solid #555",
                                      SUPPRESSED_SWATCH if colour == SUPPRESSED_FILL else colour, html.escape(text))
                        for colour, text in rows)
        items += "".join(swatch.format(f"{'dashed' if dash else 'solid'} {colour};border-width:3px", "transparent",
                                       html.escape(text)) for (colour, dash), text in outlines)
        self.html = ('<div style="background:rgba(255,255,255,0.92);padding:6px 8px;border-radius:4px;'
                     f'font:13px/1.5 sans-serif;max-width:220px"><b>{html.escape(title)}</b>{items}</div>')


class HatchPattern(MacroElement):
    """The SVG hatching that ``SUPPRESSED_FILL`` names, put into the map's vector layer (added after
    the wards, whose drawing creates that layer); no outside script."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function () {
            var svg = {{ this._parent.get_name() }}.getPanes().overlayPane.querySelector("svg");
            if (!svg) { return; }
            var defs = document.createElementNS("http://www.w3.org/2000/svg", "defs");
            defs.innerHTML = '<pattern id="ward-suppressed-hatch" patternUnits="userSpaceOnUse" width="6" '
                + 'height="6" patternTransform="rotate(45)"><rect width="6" height="6" fill="#ffffff"/>'
                + '<line x1="0" y1="0" x2="0" y2="6" stroke="#444444" stroke-width="2"/></pattern>';
            svg.insertBefore(defs, svg.firstChild);
        })();
        {% endmacro %}
    """)

    def __init__(self) -> None:
        super().__init__()
        self._name = "HatchPattern"


def _base_map(areas: gpd.GeoDataFrame, *, basemap: bool, leaflet_urls: tuple[str, str] | None) -> folium.Map:
    minx, miny, maxx, maxy = areas.total_bounds
    # keyboard=False: Leaflet focuses the map on the first press, and focusing an iframe that is
    # not wholly on screen scrolls the page under the finger, so a tablet's first tap was lost.
    fmap = folium.Map(tiles="OpenStreetMap" if basemap else None, control_scale=True, keyboard=False)
    if leaflet_urls is not None:
        # Instance attributes shadow folium's CDN lists: only Leaflet is needed for this map.
        fmap.default_js = [("leaflet", leaflet_urls[0])]
        fmap.default_css = [("leaflet_css", leaflet_urls[1])]
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    return fmap


def _style(feature: dict) -> dict:
    if feature["properties"]["fill"] == NO_DATA_COLOUR:  # no data looks unlike any value, zero included
        return {"fillColor": NO_DATA_COLOUR, "color": "#666666", "weight": 0.8, "fillOpacity": 0.5, "dashArray": "4 3"}
    if feature["properties"]["fill"] == SUPPRESSED_FILL:
        return {"fillColor": SUPPRESSED_FILL, "color": "#444444", "weight": 0.8, "fillOpacity": 0.9}
    return {"fillColor": feature["properties"]["fill"], "color": "#444444", "weight": 0.8, "fillOpacity": 0.75}


def _palette(n: int, palette: list[str] = PALETTE) -> list[str]:
    if n <= 1:
        return palette[3:4] * n
    positions = np.linspace(0, len(palette) - 1, n).round().astype(int)
    return [palette[i] for i in positions]


def _diverging(breaks: list[float]) -> list[str]:
    """Purples for classes of falls, oranges for rises (darker further from zero), pale for the class holding 0."""
    zero_class = int(np.searchsorted(breaks, 0, side="left"))
    colours = []
    for position, upper in enumerate(breaks):
        if position == zero_class and (position == 0 or breaks[position - 1] < 0 <= upper):
            colours.append(DIVERGING["middle"])
        elif upper <= 0 or position < zero_class:
            steps = zero_class - position
            colours.append(DIVERGING["down"][max(0, len(DIVERGING["down"]) - steps)])
        else:
            steps = position - zero_class
            colours.append(DIVERGING["up"][min(steps - 1, len(DIVERGING["up"]) - 1)])
    return colours


def _colour(value: float, breaks: list[float], colours: list[str]) -> str:
    if np.isnan(value):
        return NO_DATA_COLOUR
    position = int(np.searchsorted(breaks, value, side="left"))
    return colours[min(position, len(colours) - 1)]


def _format(value: float, decimals: int) -> str:
    return "no data" if np.isnan(value) else f"{value:,.{decimals}f}"
