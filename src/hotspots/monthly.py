"""A ward's monthly counts of each event layer over the months its source covers, as a role may see
them, and their chart: seasonal peaks show, and a month the source does not cover is a gap, never a zero.

Event layers only (police, police.uk, ambulance): imported count tables and the register of
nominals are yearly. Months covered are the source's (``Dataset.coverage``, any force). For a role
whose small counts are suppressed, a month of 1 up to the rule's smallest shown count is hidden,
and so is every other month of its financial year, because the year's total is shown elsewhere
(the yearly trend, the map) and the total less the shown months would give the hidden month back.
Rounded (health) months are not shown to such a role at all: rounded months beside the rounded
yearly total narrow each other, down to an exact count. docs/disclosure.md says why.
"""

from __future__ import annotations

import textwrap

import altair as alt
import numpy as np
import pandas as pd

from hotspots import aggregation, disclosure
from hotspots.disclosure import DisclosureRule
from hotspots.loading import Dataset
from hotspots.periods import financial_year_label

EVENT_SOURCES = ("police", "police-uk", "ambulance")
MONTH_COLUMNS = ["layer", "label", "month", "financial_year", "count"]
#: What a hidden month says in its tooltip.
HIDDEN_YEAR_TEXT = "hidden: a month of this year had {words}"
HIDDEN_ROUNDED_TEXT = "not shown monthly"


def monthly_layers(layers: dict[str, aggregation.Layer]) -> tuple[dict[str, aggregation.Layer], list[str]]:
    """The layers with monthly events, and the labels of those counted only by year."""
    events = {key: layer for key, layer in layers.items() if layer.source in EVENT_SOURCES}
    return events, [layer.label for key, layer in layers.items() if key not in events]


def covered_months(dataset: Dataset, source: str) -> pd.DatetimeIndex:
    """Every month from the source's first covered month to its last (the ones it does not cover
    included, so that they can be drawn as gaps)."""
    months = pd.DatetimeIndex(dataset.coverage.loc[dataset.coverage["source"].eq(source), "month"]).unique()
    if months.empty:
        return months
    return pd.date_range(months.min(), months.max(), freq="MS")


def ward_months(dataset: Dataset, ward_code: str, layers: dict[str, aggregation.Layer]) -> pd.DataFrame:
    """``layer, label, month, financial_year, count`` for the ward: one row a month from each event
    layer's first covered month to its last; ``count`` NaN where the source does not cover the month."""
    parts = []
    for key, layer in monthly_layers(layers)[0].items():
        span = covered_months(dataset, layer.source)
        if span.empty:
            continue
        covered = pd.DatetimeIndex(dataset.coverage.loc[dataset.coverage["source"].eq(layer.source), "month"])
        events = aggregation.layer_events(dataset.events, layer)
        dates = pd.DatetimeIndex(events.loc[events["ward_code"].eq(ward_code), "date"])
        counts = pd.Series(1, index=dates.to_period("M").to_timestamp()).groupby(level=0).sum()
        count = counts.reindex(span, fill_value=0).astype("float64").where(span.isin(covered))
        parts.append(pd.DataFrame({"layer": key, "label": layer.label, "month": span,
                                   "financial_year": span.year - (span.month < 4), "count": count.to_numpy()}))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=MONTH_COLUMNS)


def disclosed_months(months: pd.DataFrame, rules: dict[str, DisclosureRule]) -> pd.DataFrame:
    """``ward_months``' rows with ``count`` as each layer's rule (``rules[layer]``) shows it, plus
    ``count_text`` and ``suppressed`` (hidden, drawn as a gap).

    Under a suppressing rule: a month of 1 up to the smallest shown count hides every month of its
    financial year, all with the same words (the yearly total less the shown months would give it
    back, and "fewer than 5" months beside the total would bound each other); under a rounding rule
    every month is hidden (rounded months and the rounded total narrow each other)."""
    parts = []
    for key, points in months.groupby("layer", sort=False):
        rule = rules[key]
        shown = disclosure.disclosed_counts(points["count"], rule)
        count, texts, hidden = shown["count"], shown["count_text"], shown["suppressed"].astype(bool)
        if rule.rounding_base > 1 and not rule.shows_true_values:
            hidden = points["count"].notna()
            texts = texts.mask(hidden, HIDDEN_ROUNDED_TEXT)
        elif not rule.shows_true_values:
            # Every month of such a year says the same: "fewer than 5" on some months beside the
            # year's total would bound them (five such months in a year of 5 are 1 each).
            year_hidden = points["financial_year"].map(hidden.groupby(points["financial_year"]).any())
            hidden = year_hidden & points["count"].notna()
            texts = texts.mask(hidden, HIDDEN_YEAR_TEXT.format(words=rule.suppressed_text))
        parts.append(points.assign(count=count.mask(hidden), count_text=texts, suppressed=hidden))
    columns = [*months.columns, "count_text", "suppressed"]
    return pd.concat(parts).loc[months.index, columns] if parts else pd.DataFrame(columns=columns)


def hidden_years(months: pd.DataFrame) -> dict[str, list[str]]:
    """By layer label, the financial years (``"2019/20"``) with hidden months."""
    hidden = months[months["suppressed"].astype(bool)]
    return {label: [financial_year_label(int(year)) for year in sorted(rows["financial_year"].unique())]
            for label, rows in hidden.groupby("label", sort=False)}


def months_chart(months: pd.DataFrame, *, height: int = 240) -> alt.Chart:
    """Lines of the monthly count, one per layer, broken where a month is not covered or hidden;
    the legend below, labels wrapped as in the yearly trend; each point's tooltip names its month."""
    shown = months.assign(
        count=months["count"].astype("float64"),
        legend_label=months["label"].map(lambda label: "\n".join(textwrap.wrap(str(label), 45)) or " "),
        month_text=pd.DatetimeIndex(months["month"]).strftime("%b %Y"))
    if "count_text" not in shown:
        shown = shown.assign(count_text=[disclosure.NO_DATA if np.isnan(value) else f"{value:,.0f}"
                                         for value in shown["count"]])
    legend = alt.Legend(orient="bottom", columns=1, labelLimit=0, labelExpr="split(datum.label, '\\n')",
                        symbolType="stroke", labelFontSize=12, rowPadding=6)
    # Ten years of months of several layers overlap: tapping a layer in the legend shows it alone.
    chosen = alt.selection_point(fields=["legend_label"], bind="legend")
    return alt.Chart(shown).mark_line(point=alt.OverlayMarkDef(size=18), invalid="break-paths-filter-domains").encode(
        x=alt.X("month:T", title="Month", axis=alt.Axis(format="%b %Y", labelAngle=0, labelOverlap="greedy")),
        # Whole numbers: a ward whose shown months are all 0 otherwise gets an axis of "0.000000".
        y=alt.Y("count:Q", title="Count per month", axis=alt.Axis(format=",d", tickMinStep=1)),
        color=alt.Color("legend_label:N", title=None, legend=legend),
        opacity=alt.condition(chosen, alt.value(1.0), alt.value(0.08)),
        tooltip=[alt.Tooltip("label:N", title="Layer"), alt.Tooltip("month_text:N", title="Month"),
                 alt.Tooltip("count_text:N", title="Count")],
    ).add_params(chosen).properties(height=height, autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))
