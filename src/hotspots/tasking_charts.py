"""The Op Grip page's charts (Altair): the concentration curve with the selection marked, and
the day-of-week by hour heat map of the selected areas' events."""

from __future__ import annotations

import altair as alt
import pandas as pd

from hotspots import tasking

SELECTED, OTHER = "Selected cells", "Other cells"


def concentration_chart(curve: pd.DataFrame) -> alt.LayerChart:
    """Cumulative share of harm against share of area (``tasking.concentration_curve``), cells
    sorted by harm; the selected cells' points in red, and the no-concentration diagonal."""
    points = curve.assign(cell=curve["selected"].map({True: SELECTED, False: OTHER}),
                          cell_id=curve["cell_id"].astype("string").fillna(""))
    line = alt.Chart(points).mark_line(color="#525252").encode(
        x=alt.X("area_share:Q", title="Share of the districts' area", axis=alt.Axis(format="%")),
        y=alt.Y("harm_share:Q", title="Share of harm", axis=alt.Axis(format="%")))
    marked = alt.Chart(points[points["selected"]]).mark_point(filled=True, size=60, color="#c0392b").encode(
        x="area_share:Q", y="harm_share:Q",
        tooltip=[alt.Tooltip("cell_id:N", title="Cell"), alt.Tooltip("position:Q", title="Rank by harm"),
                 alt.Tooltip("area_share:Q", title="Area share", format=".2%"),
                 alt.Tooltip("harm_share:Q", title="Harm share", format=".1%")])
    even = alt.Chart(pd.DataFrame({"area_share": [0, 1], "harm_share": [0, 1]})).mark_line(
        strokeDash=[4, 4], color="#969696").encode(x="area_share:Q", y="harm_share:Q")
    return (even + line + marked).properties(height=320)


def when_chart(when: pd.DataFrame) -> alt.Chart:
    """Events by day of week (rows, Monday first) and hour (columns) as a heat map."""
    return alt.Chart(when).mark_rect().encode(
        x=alt.X("hour:O", title="Hour of day"),
        y=alt.Y("day:N", title=None, sort=list(tasking.DAYS)),
        color=alt.Color("events:Q", title="Events", scale=alt.Scale(scheme="orangered")),
        tooltip=[alt.Tooltip("day:N", title="Day"), alt.Tooltip("hour:O", title="Hour"),
                 alt.Tooltip("events:Q", title="Events")]).properties(height=240)
