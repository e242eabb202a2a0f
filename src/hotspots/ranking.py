"""Ward rankings: every ward of the reference region ordered by a measure, as in the report's
figures, with the chosen local authorities' wards highlighted and the mean marked."""

from __future__ import annotations

import altair as alt
import pandas as pd


def ranking_table(values: pd.DataFrame, measure: str, highlight_lads: list[str]) -> pd.DataFrame:
    """``values`` (``ward_code, ward_name, lad_code, lad_name`` and ``measure``) ranked highest first.

    Adds ``rank`` (1 = highest; ties share the best rank), unless ``values`` has one already (e.g.
    ``disclosure.disclosed_ranks``, which ranks suppressed wards too), and ``highlighted``; wards
    without a shown value are left out.
    """
    ranked = values.dropna(subset=[measure]).sort_values([measure, "ward_name"], ascending=[False, True])
    if "rank" not in ranked:
        ranked = ranked.assign(rank=ranked[measure].rank(ascending=False, method="min"))
    ranked = ranked.assign(rank=ranked["rank"].astype(int), highlighted=ranked["lad_code"].isin(highlight_lads))
    return ranked.reset_index(drop=True)


def ranking_chart(ranked: pd.DataFrame, measure: str, *, label: str, highlight_label: str,
                  mean: float) -> alt.Chart:
    """Bars for every ward in rank order, highlighted wards dark, a dashed rule at the mean."""
    shown = ranked.assign(group=ranked["highlighted"].map({True: highlight_label, False: "Other wards"}))
    order = shown["ward_name"] + " (" + shown["lad_name"] + ")"
    shown = shown.assign(ward=order)
    bars = alt.Chart(shown).mark_bar().encode(
        x=alt.X("ward:N", sort=order.tolist(), axis=alt.Axis(labels=False, ticks=False, title="Wards, highest first")),
        y=alt.Y(f"{measure}:Q", title=label),
        color=alt.Color("group:N", scale=alt.Scale(domain=[highlight_label, "Other wards"],
                                                   range=["#b2182b", "#bababa"]),
                        legend=alt.Legend(title=None, orient="top")),
        tooltip=[alt.Tooltip("ward_name:N", title="Ward"), alt.Tooltip("lad_name:N", title="Local authority"),
                 alt.Tooltip(f"{measure}:Q", title=label, format=",.1f"), alt.Tooltip("rank:Q", title="Rank")],
    )
    rule = alt.Chart(pd.DataFrame({"mean": [mean]})).mark_rule(strokeDash=[6, 4], color="#000000").encode(
        y="mean:Q", tooltip=[alt.Tooltip("mean:Q", title="Mean", format=",.2f")])
    return (bars + rule).properties(height=260)
