"""The forecast page's calibration chart (Altair): predicted chance against the share observed.

One panel per version (raw, recalibrated). Each panel draws the diagonal (a forecast that means
what it says lies on it), a point per calibration bin sized by its ward-years, and, for bins with
at least ``settings.CALIBRATION_MIN_WARD_YEARS`` ward-years, the gap from the diagonal as a
vertical line: the largest of these is the backtest's ``largest_gap``.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

VERSION_TITLES = {"raw": "As the model says", "recalibrated": "Recalibrated on earlier years"}


def calibration_chart(table: pd.DataFrame, *, width: int = 230, height: int = 230) -> alt.HConcatChart:
    """``table``: ``model`` (the label shown), ``version``, ``bin``, ``predicted``, ``observed``,
    ``n`` and ``counted`` (whether the bin holds enough ward-years for its gap to count)."""
    panels = [_panel(table[table["version"] == version], title, width, height)
              for version, title in VERSION_TITLES.items() if (table["version"] == version).any()]
    return alt.hconcat(*panels).resolve_scale(color="shared", size="shared")


def _panel(rows: pd.DataFrame, title: str, width: int, height: int) -> alt.LayerChart:
    unit = alt.Scale(domain=[0, 1])
    diagonal = alt.Chart(pd.DataFrame({"predicted": [0.0, 1.0], "observed": [0.0, 1.0]})).mark_line(
        color="#666666", strokeDash=[6, 4]).encode(x=alt.X("predicted:Q", scale=unit), y=alt.Y("observed:Q", scale=unit))
    color = alt.Color("model:N", title=None, scale=alt.Scale(scheme="dark2"),  # two hues apart, not two blues
                      legend=alt.Legend(orient="bottom", columns=1, labelLimit=0))
    gaps = alt.Chart(rows[rows["counted"]]).mark_rule(strokeWidth=2).encode(
        x="predicted:Q", y="predicted:Q", y2="observed:Q", color=color)
    tooltip = [alt.Tooltip("model:N", title="Model"), alt.Tooltip("bin:N", title="Predicted band"),
               alt.Tooltip("predicted:Q", title="Mean predicted", format=".0%"),
               alt.Tooltip("observed:Q", title="Share with at least one", format=".0%"),
               alt.Tooltip("n:Q", title="Ward-years", format=",")]
    points = alt.Chart(rows).mark_circle(opacity=0.85).encode(
        x=alt.X("predicted:Q", scale=unit, title="Predicted chance", axis=alt.Axis(format="%")),
        y=alt.Y("observed:Q", scale=unit, title="Share that had at least one", axis=alt.Axis(format="%")),
        color=color, size=alt.Size("n:Q", title="Ward-years", legend=None), tooltip=tooltip)
    return alt.layer(diagonal, gaps, points).properties(title=title, width=width, height=height)
