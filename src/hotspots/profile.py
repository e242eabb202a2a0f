"""One ward across every layer: its trend over all years and its rank in its borough and region."""

from __future__ import annotations

import textwrap

import altair as alt
import pandas as pd

from hotspots import aggregation, disclosure, geography
from hotspots.loading import Dataset
from hotspots.periods import financial_year_label

#: Legend labels wrap at this many characters: a tablet in portrait has room for about 90 beside
#: the swatches, and the layers' labels run to 80, so they are shown in full on two or three lines.
LEGEND_WRAP_CHARACTERS = 45
#: Up to this many financial years ("2023/24") fit side by side on a tablet; more are slanted.
YEARS_SIDE_BY_SIDE = 8


def ward_trend(dataset: Dataset, ward_code: str, layers: dict[str, aggregation.Layer]) -> pd.DataFrame:
    """``layer, label, financial_year, count, rate_per_1000`` for the ward, every layer, every year
    with data (years a layer has no data for are left out, not shown as zero)."""
    people = dataset.population[dataset.population["ward_code"].eq(ward_code)].set_index("financial_year")
    people = people["population_10_24"].where(people["population_10_24"] > 0)
    parts = []
    for key, layer in layers.items():
        covered = aggregation.covered_years(dataset, key)
        if covered:
            counts = aggregation.layer_counts(dataset, key, [ward_code], covered)
            parts.append(counts.assign(layer=key, label=layer.label,
                                       rate_per_1000=1000 * counts["count"] / counts["financial_year"].map(people)))
    columns = ["layer", "label", "financial_year", "count", "rate_per_1000"]
    return pd.concat(parts, ignore_index=True)[columns] if parts else pd.DataFrame(columns=columns)


def ward_ranks(dataset: Dataset, ward_code: str, layers: dict[str, aggregation.Layer], *, last_year: int,
               years: int = 1, wards: pd.DataFrame | None = None,
               rules: dict[str, disclosure.DisclosureRule] | None = None) -> pd.DataFrame:
    """For each layer: the ward's count (``count_text`` too) and rate and its rank (1 = highest) by
    each among the wards of its local authority and of the region (``wards``, default Greater
    Essex's) that have a value (``*_wards_in_*``), each layer seen through ``rules[key]`` (default
    true values): ranks are ``disclosure.disclosed_ranks`` on shown values."""
    wards = (geography.wards() if wards is None else wards)[["ward_code", "lad_code"]]
    lad = wards.set_index("ward_code").loc[ward_code, "lad_code"]
    rows = []
    for key, layer in layers.items():
        rule = (rules or {}).get(key, disclosure.TRUE_VALUES)
        table = wards.merge(disclosure.disclosed_measure_table(aggregation.measure_table(
            dataset, key, wards["ward_code"].tolist(), last_year=last_year, years=years), rule), on="ward_code")
        row = {"layer": key, "label": layer.label}
        for measure in ("count", "rate_per_1000"):
            for scope, chosen in (("borough", table[table["lad_code"].eq(lad)]), ("region", table)):
                ranks = disclosure.disclosed_ranks(chosen, measure).set_axis(chosen["ward_code"])
                row[f"{measure}_rank_in_{scope}"] = ranks.get(ward_code)
                row[f"{measure}_wards_in_{scope}"] = int((chosen[measure].notna() | chosen["suppressed"]).sum())
        own = table.set_index("ward_code").loc[ward_code]
        row.update(count=own["count"], count_text=own["count_text"], rate_per_1000=own["rate_per_1000"])
        rows.append(row)
    return pd.DataFrame(rows)


def trend_chart(trend: pd.DataFrame, measure: str, *, title: str, height: int = 240) -> alt.Chart:
    """Lines of ``measure`` by financial year, one per layer of ``ward_trend``'s table.

    ``height`` is the plotting area's own: the legend (below, each label wrapped onto as many
    lines as it needs, never cut) and the axes add to it rather than squeezing it, which at
    tablet width left a strip of a few pixels. Each point's tooltip names its layer in full.
    A disclosed trend (``count_text`` and ``suppressed``, from ``disclosure.disclosed_trend``)
    breaks its line at a suppressed point, which is marked by a dashed vertical rule saying
    "fewer than 5", never drawn as zero.
    """
    shown = trend.assign(year=trend["financial_year"].map(financial_year_label),
                         legend_label=trend["label"].map(lambda label: "\n".join(
                             textwrap.wrap(str(label), LEGEND_WRAP_CHARACTERS)) or " "))
    if "count_text" not in shown:
        shown = shown.assign(count_text=shown["count"].map("{:,.0f}".format), suppressed=False)
    legend = alt.Legend(orient="bottom", columns=1, labelLimit=0, labelExpr="split(datum.label, '\\n')",
                        symbolType="stroke", labelFontSize=12, rowPadding=6)
    # Every year labelled (overlap pruning dropped every other one, the latest among them), slanted
    # when there are too many to fit side by side on a tablet.
    years = shown["year"].nunique()
    x = alt.X("year:O", title="Financial year",
              axis=alt.Axis(labelAngle=0 if years <= YEARS_SIDE_BY_SIDE else -45, labelOverlap=False))
    y_axis = alt.Axis(format=",d", tickMinStep=1) if measure == "count" else alt.Axis()
    color = alt.Color("legend_label:N", title=None, legend=legend)
    value = (alt.Tooltip("count_text:N", title=title) if measure == "count"
             else alt.Tooltip(f"{measure}:Q", title=title, format=",.1f"))
    lines = alt.Chart(shown).mark_line(point=True, invalid="break-paths-filter-domains").encode(  # a gap, not a zero
        x=x, y=alt.Y(f"{measure}:Q", title=title, axis=y_axis), color=color,
        tooltip=[alt.Tooltip("label:N", title="Layer"), alt.Tooltip("year:O", title="Year"), value],
    )
    hidden = shown[shown["suppressed"].astype(bool)]
    chart = lines
    if len(hidden):
        marks = alt.Chart(hidden).mark_rule(strokeDash=[3, 3], opacity=0.7).encode(
            x=x, color=color, tooltip=[alt.Tooltip("label:N", title="Layer"), alt.Tooltip("year:O", title="Year"),
                                       alt.Tooltip("count_text:N", title="Count")])
        chart = alt.layer(lines, marks)
    return chart.properties(height=height, autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))
