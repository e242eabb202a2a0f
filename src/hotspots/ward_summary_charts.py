"""The ward summary's charts: a map of an area's wards that a tap picks a ward from, and a small
trend per layer. Both are Altair (Vega-Lite) charts, which Streamlit can send a tap back from
(``st.altair_chart(..., on_select=...)``); a folium map drawn as HTML cannot."""

from __future__ import annotations

import altair as alt
import geopandas as gpd
import pandas as pd

#: The name of the map's selection: ``event.selection[PICK]`` lists the tapped ward's ``ward_code``.
PICK = "ward"
CHOSEN_COLOUR = "#b2182b"
OTHER_COLOUR = "#d1d5db"


def ward_picker_map(areas: gpd.GeoDataFrame, chosen: str, *, height: int = 340) -> alt.Chart:
    """``areas`` (``ward_code, ward_name``, geometry in WGS84) with ``chosen`` filled dark; a tap on
    a ward selects its ``ward_code``. Each ward's name is its shape's accessible label (and its
    tooltip): nothing is told only on hover, as the page names the chosen ward in words."""
    shown = areas[["ward_code", "ward_name"]].assign(
        chosen=areas["ward_code"].eq(chosen).map({True: "the chosen ward", False: "other wards"}))
    # GeoJSON features with their properties beside the geometry (as Altair writes a GeoDataFrame),
    # given as values: Streamlit would send a GeoDataFrame as an Arrow table, geometry as text.
    features = [{"type": "Feature", "geometry": shape.__geo_interface__, **row}
                for shape, row in zip(areas.geometry, shown.to_dict("records"))]
    pick = alt.selection_point(name=PICK, fields=["ward_code"], on="click", toggle=False, clear=False)
    return alt.Chart(alt.InlineData(values=features)).mark_geoshape(stroke="#ffffff", strokeWidth=1.5, cursor="pointer").encode(
        color=alt.Color("chosen:N", scale=alt.Scale(domain=["the chosen ward", "other wards"],
                                                    range=[CHOSEN_COLOUR, OTHER_COLOUR]), legend=None),
        description=alt.Description("ward_name:N"),
        tooltip=[alt.Tooltip("ward_name:N", title="Ward")],
    ).add_params(pick).project("mercator").properties(height=height, width="container")


def small_trend(trend: pd.DataFrame, *, title: str, height: int = 130) -> alt.Chart:
    """A ward's yearly counts (``year, count, count_text, suppressed`` from
    ``disclosure.disclosed_trend``), each shown count written above its point; a suppressed year is
    a gap in the line marked by a dashed vertical rule, never a zero."""
    x = alt.X("year:O", title=None, axis=alt.Axis(labelAngle=0, labelOverlap="greedy"))
    base = alt.Chart(trend)
    line = base.mark_line(point=True, invalid="break-paths-filter-domains", color="#374151").encode(
        x=x, y=alt.Y("count:Q", title=title, axis=alt.Axis(tickCount=3, format=",d"), scale=alt.Scale(zero=True)),
        tooltip=[alt.Tooltip("year:O", title="Year"), alt.Tooltip("count_text:N", title="Count")])
    labels = base.transform_filter("isValid(datum.count)").mark_text(dy=-9, fontSize=12, color="#111827").encode(
        x=x, y="count:Q", text="count_text:N")
    layers = [line, labels]
    if trend["suppressed"].astype(bool).any():
        layers.append(base.transform_filter("datum.suppressed").mark_rule(strokeDash=[3, 3], color="#6b7280").encode(
            x=x, tooltip=[alt.Tooltip("year:O", title="Year"), alt.Tooltip("count_text:N", title="Count")]))
    return alt.layer(*layers).properties(height=height, autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))
