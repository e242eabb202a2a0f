"""What each page shows, as display tables, with the viewer's role applied once.

The pages ask these functions for everything they draw: the ward map (map values, suppressed
wards, legend, caption mean, ranking, values table and CSV), the ward profile (ranks, trend) and
the forecast (map values, per-ward table, explanations, band table). Each takes the region's
wards (``ward_code, ward_name, lad_code, lad_name``) and the dataset as inputs and the
:class:`~hotspots.roles.Role` of the viewer, and passes every count through
:mod:`hotspots.disclosure` (``rule_for``), so no page computes a value itself.

For roles whose small counts are suppressed (councillor, public): statistical hotspots are not
offered (z-scores and p-values can be solved back to counts), and the forecast bands each prior
year by what is shown of it (none, fewer than 5, 5 or more) with the prior-two-year rule only, so
its band and chance say no more than the yearly counts do. docs/disclosure.md says why, place by place.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import geopandas as gpd
import pandas as pd

from hotspots import aggregation, backtest, disclosure, forecast, hotspot_statistics, profile, ranking
from hotspots._errors import CountTableError, DisclosureError
from hotspots.aggregation import Layer
from hotspots.disclosure import DisclosedLegend, DisclosedSummary, DisclosureRule
from hotspots.loading import Dataset
from hotspots.roles import Role

#: Why a suppressed role gets no statistical hotspots (the page prints it).
NO_HOTSPOTS_REASON = ("Statistical hotspots are not offered with small counts suppressed: their z-scores and "
                      "p-values are worked out from every ward's exact count and could give a suppressed count back.")
#: Why a suppressed role gets only the prior-two-year rule's forecast (the page prints it).
RULE_ONLY_REASON = ("Only the prior-two-year rule is offered with small counts suppressed: the other models' "
                    "chances are worked out from exact counts and could give a suppressed count back.")
#: Forecast models, in the order offered; the rule comes first and is the default.
MODELS = ("rule", "persistence", "poisson", "negative_binomial", "empirical_bayes", "spatial_lag")
WARD_COLUMNS = ["ward_code", "ward_name", "lad_code", "lad_name"]


@dataclass(frozen=True)
class WardMapView:
    """Everything the ward map page draws for one layer, measure and period."""

    rule: DisclosureRule
    table: pd.DataFrame  # the chosen areas' wards: names and the disclosed measure table
    values: pd.Series  # the mapped measure by ward_code; NaN where suppressed or no data
    suppressed: pd.Series  # by ward_code: the mapped measure is suppressed
    legend: DisclosedLegend
    mean: DisclosedSummary  # over the chosen areas' wards
    ranking: pd.DataFrame  # every ward of the region with a shown value, ranked (``ranking.ranking_table``)
    region_mean: DisclosedSummary
    ranking_left_out: int  # wards of the region whose value is suppressed, so not in the ranking
    values_table: pd.DataFrame  # the Values tab, highest first
    download: pd.DataFrame  # the CSV: every disclosed column, the flags, period and layer
    hotspots_offered: bool


@dataclass(frozen=True)
class WardProfileView:
    years: list[int]  # financial years with data in any layer
    ranks: pd.DataFrame | None  # label, count (text), borough, region, rate_per_1000, rate_borough, rate_region
    trend: pd.DataFrame  # ``disclosure.disclosed_trend``'s points
    suppressed_text: str  # the words of the rules shown for suppressed points ("fewer than 5 or 8")
    partial_years: str  # ``aggregation.partial_years_note`` for the layers shown


@dataclass(frozen=True)
class ForecastView:
    """What the forecast page draws: the chosen model's chances, the rule's table and band table."""

    rule: DisclosureRule
    target_year: int
    model: str  # the model mapped (the rule when the asked one could not be fitted)
    model_note: str  # why the asked model was replaced, or ""
    values: pd.Series  # percent chance by ward_code, of ``model``
    explanations: pd.Series  # the rule's explanation by ward_code, from shown counts only
    table: pd.DataFrame  # the chosen areas' wards: ward_name, prior count (text), band, chances, explanation
    band_table: pd.DataFrame
    notes: list[str]
    not_forecast: pd.DataFrame  # area_code, reason


def layers_for(dataset: Dataset, role: Role, *, show_restricted: bool = False) -> dict[str, Layer]:
    """The layers ``role`` may be offered: restricted layers for roles allowed them when
    ``show_restricted`` (the police switch), and always for roles that see them only as
    suppressed counts (partner); never for the others."""
    if role.restricted_layers:
        return aggregation.available_layers(dataset, restricted=show_restricted)
    return aggregation.available_layers(dataset, restricted=role.restricted_as_suppressed_counts)


def offers_gangs(layer: Layer, role: Role) -> bool:
    """Whether the gang names of the register may be offered as a filter (restricted-layer roles only)."""
    return layer.source == "nominals" and role.restricted_layers


def forecast_models(rule: DisclosureRule) -> tuple[str, ...]:
    """The forecast models a viewer seeing counts through ``rule`` may choose from."""
    return MODELS if rule.shows_true_values else MODELS[:1]


def ward_map_view(dataset: Dataset, layer_key: str, role: Role, wards: pd.DataFrame, lad_codes: list[str], *,
                  measure: str, last_year: int, years: int = 1, gang: str | None = None, scheme: str = "quantiles",
                  k: int = 5, bands: list[float] | None = None) -> WardMapView:
    """The ward map's display tables for ``layer_key`` and ``measure`` over the ``years`` ending
    ``last_year``, as ``role`` sees them; ``wards`` are the region's, ``lad_codes`` the chosen areas."""
    layer = aggregation.resolve_layer(layer_key)
    rule = disclosure.rule_for(layer, role)  # refuses a restricted layer the role may not see
    if gang is not None and not offers_gangs(layer, role):
        raise DisclosureError(f"The {role.name} role may not filter by gang.")
    true = aggregation.measure_table(dataset, layer_key, wards["ward_code"].tolist(), last_year=last_year,
                                     years=years, gang=gang)
    windows = {}
    if years > 1 and not rule.shows_true_values:  # a window beside its single years must not give one back
        yearly = aggregation.layer_counts(dataset, layer_key, wards["ward_code"].tolist(),
                                          list(range(last_year - 2 * years + 1, last_year + 1)), gang=gang)
        now, before = list(range(last_year - years + 1, last_year + 1)), list(range(last_year - 2 * years + 1,
                                                                                    last_year - years + 1))
        windows = {"hidden": disclosure.hidden_by_years(yearly, now, rule),
                   "previous_hidden": disclosure.hidden_by_years(yearly, before, rule),
                   "summed": disclosure.summed_shown(yearly, now, rule),
                   "previous_summed": disclosure.summed_shown(yearly, before, rule)}
    disclosed = disclosure.disclosed_measure_table(true, rule, **windows)
    everywhere = wards[WARD_COLUMNS].merge(disclosed, on="ward_code", how="left")
    table = everywhere[everywhere["lad_code"].isin(lad_codes)].reset_index(drop=True)
    flagged = _flags(table, measure)
    mean = disclosure.disclosed_mean(table, measure, rule)
    legend = disclosure.disclosed_legend(table, measure, rule, scheme=scheme, k=k, bands=bands,
                                         decimals=0 if measure.startswith("count") else 1, years=years)
    region_flags = _flags(everywhere, measure)
    ranked = ranking.ranking_table(everywhere.assign(rank=disclosure.disclosed_ranks(everywhere, measure)),
                                   measure, list(lad_codes))
    above = table[measure].gt(mean.value).map({True: "above", False: "below"}).where(table[measure].notna(),
                                                                                      disclosure.NO_DATA)
    above = above.mask(flagged, rule.suppressed_text)
    ordered = table.assign(above_mean=above).sort_values(measure, ascending=False, kind="stable")  # by the number
    shown = ordered.assign(count=ordered["count"] if rule.shows_true_values else ordered["count_text"],
                           **{column: _cell_texts(ordered, column, decimals)
                              for column, decimals in VALUES_TABLE_TEXT.items()})
    values_table = shown[["ward_name", "lad_name", "count", "population_10_24", "rate_per_1000", "count_change",
                          "rate_change", "above_mean"]].reset_index(drop=True)
    period = aggregation.period_label(dataset, layer_key, last_year, years)
    download = table.assign(above_mean=above, period=period, layer=layer.label)
    return WardMapView(rule=rule, table=table, values=table.set_index("ward_code")[measure],
                       suppressed=flagged.set_axis(table["ward_code"]), legend=legend, mean=mean, ranking=ranked,
                       region_mean=disclosure.disclosed_mean(everywhere, measure, rule),
                       ranking_left_out=int(region_flags.sum()), values_table=values_table, download=download,
                       hotspots_offered=rule.shows_true_values)


def ward_hotspots(view: WardMapView, areas: gpd.GeoDataFrame, method: str, *, fdr: bool) -> pd.DataFrame:
    """Gi* or Local Moran on the map's values, with ward and local authority names; only where the
    viewer sees true values (a :class:`DisclosureError` otherwise: see ``NO_HOTSPOTS_REASON``)."""
    if not view.hotspots_offered:
        raise DisclosureError(NO_HOTSPOTS_REASON)
    spots = hotspot_statistics.local_statistics(areas, view.values, method=method, fdr=fdr)
    return spots.merge(view.table[["ward_code", "ward_name", "lad_name"]], on="ward_code", how="left")


def ward_profile_view(dataset: Dataset, ward_code: str, role: Role, wards: pd.DataFrame,
                      layers: dict[str, Layer], *, last_year: int | None) -> WardProfileView:
    """One ward's ranks in ``last_year`` (none if None) and its trend over every year, for
    ``layers`` as ``role`` sees each."""
    rules = {key: disclosure.rule_for(layer, role) for key, layer in layers.items()}
    trend = disclosure.disclosed_trend(profile.ward_trend(dataset, ward_code, layers), role)
    years = sorted(int(year) for year in trend["financial_year"].unique())
    words = " or ".join(dict.fromkeys(rule.suppressed_text for rule in rules.values() if rule.suppressed_text))
    partial = aggregation.partial_years_note(dataset, list(layers))
    if last_year is None:
        return WardProfileView(years, None, trend, words, partial)
    ranks = profile.ward_ranks(dataset, ward_code, layers, wards=wards, last_year=last_year, rules=rules)

    def rank_text(measure: str, scope: str) -> pd.Series:
        rank, of = ranks[f"{measure}_rank_in_{scope}"], ranks[f"{measure}_wards_in_{scope}"]
        return (rank.map("{:.0f}".format) + " of " + of.astype(str)).where(rank.notna(), disclosure.NO_DATA)

    shown = pd.DataFrame({"label": ranks["label"], "count": ranks["count_text"],
                          "borough": rank_text("count", "borough"), "region": rank_text("count", "region"),
                          "rate_per_1000": ranks["rate_per_1000"],
                          "rate_borough": rank_text("rate_per_1000", "borough"),
                          "rate_region": rank_text("rate_per_1000", "region")})
    return WardProfileView(years, shown, trend, words, partial)


def forecast_view(counts: pd.DataFrame, layer: Layer, role: Role, wards: pd.DataFrame, *, model: str = "rule",
                  population: pd.DataFrame | None = None,
                  neighbours: dict[str, list[str]] | None = None) -> ForecastView:
    """Next year's chance of at least one per ward from ``counts`` (``area_code, financial_year,
    count`` of the whole region) as ``role`` sees ``layer``; ``wards`` (``ward_code, ward_name``) are
    the chosen areas'. A :class:`CountTableError` or ``PeriodError`` when no forecast can be made."""
    rule = disclosure.rule_for(layer, role)
    if model not in forecast_models(rule):
        raise DisclosureError(RULE_ONLY_REASON)
    target = int(counts["financial_year"].max()) + 1
    if rule.shows_true_values:
        result = forecast.forecast_rule(counts, target_year=target)
    else:
        result = shown_class_forecast(counts, rule, target)
    prior = [target - 2, target - 1]
    areas = disclosure.disclosed_forecast(result, rule, hidden=disclosure.hidden_by_years(
        counts, prior, rule, key="area_code"), summed=None if rule.shows_true_values else disclosure.summed_shown(
        counts, prior, rule, key="area_code"))
    chosen, note = areas[["area_code", "probability"]], ""
    if model != "rule":
        try:
            chosen = backtest.forecast_with_model(counts, model, target_year=target, population=population,
                                                  neighbours=neighbours)
        except CountTableError as unusable:
            chosen, note, model = areas[["area_code", "probability"]], str(unusable), "rule"
    table = wards[["ward_code", "ward_name"]].merge(areas, left_on="ward_code", right_on="area_code", how="left")
    table = table.merge(chosen.rename(columns={"probability": "chosen"}), on="area_code", how="left")
    table = table.assign(prior_two_year_count=table["prior_count_text"], probability=table["probability"] * 100,
                         chosen=table["chosen"] * 100).sort_values("chosen", ascending=False, kind="stable")
    columns = ["ward_name", "prior_two_year_count", "band", "probability", "risk_band", "chosen", "explanation"]
    percent = [c for c in ("probability", "lower", "upper", "probability_two_or_more") if c in result.band_table]
    band_table = result.band_table.assign(**{column: result.band_table[column] * 100 for column in percent})
    return ForecastView(rule=rule, target_year=target, model=model, model_note=note,
                        values=chosen.set_index("area_code")["probability"] * 100,
                        explanations=areas.set_index("area_code")["explanation"],
                        table=table[columns].reset_index(drop=True), band_table=band_table, notes=list(result.notes),
                        not_forecast=result.not_forecast)


def shown_class_forecast(counts: pd.DataFrame, rule: DisclosureRule, target: int) -> forecast.RuleForecast:
    """The prior-two-year rule banded by what is shown of each prior year (``disclosure.shown_classes``):
    none, fewer than 5 in each year, 5 or more in a year. A band of the two years' total (0, 1-4, 5+)
    would hold two suppressed years to a total of 1-4, so each to 1-3. The areas keep their true
    prior count for ``disclosure.disclosed_forecast``, which writes the explanations; "two or more" is
    dropped (2 is inside 1-4)."""
    classes = counts.assign(count=disclosure.shown_classes(counts["count"], rule))
    bands = ((0, 0), (1, 2), (3, None))  # class totals: 0; 1 or 2 (suppressed years only); 5, 6 or 10 (a year shown)
    result = forecast.forecast_rule(classes, target_year=target, bands=bands)
    words = dict(zip(forecast.band_labels(bands), shown_class_bands(rule)))
    prior = counts[counts["financial_year"].isin([target - 2, target - 1])].groupby("area_code")["count"].sum()
    areas = result.areas.assign(band=result.areas["band"].map(words),
                                prior_two_year_count=result.areas["area_code"].map(prior).astype("int64"))
    band_table = result.band_table.assign(band=result.band_table["band"].map(words)).drop(
        columns=["with_two_or_more", "probability_two_or_more"])
    return replace(result, areas=areas, band_table=band_table)


def shown_class_bands(rule: DisclosureRule) -> list[str]:
    """The forecast's band labels for a viewer seeing counts through ``rule``."""
    return ["0", f"{rule.suppressed_text} in each year", f"{rule.smallest_shown} or more in a year"]


def disclosed_area_counts(table: pd.DataFrame, rule: DisclosureRule) -> pd.DataFrame:
    """``aggregation.area_counts``'s table as ``rule`` shows it: suppressed counts as the rule's
    words ("fewer than 5"), rounded ones rounded; unchanged under true values."""
    if rule.shows_true_values:
        return table
    shown = disclosure.disclosed_counts(table["count"], rule)
    return table.assign(count=shown["count_text"])


#: The Values table's measures written as text (decimals; a change with its sign), so that a blank
#: cell says why: the rule's words where suppressed, "no data" where there is none (never "None").
VALUES_TABLE_TEXT = {"rate_per_1000": 1, "count_change": 0, "rate_change": 1}


def _cell_texts(table: pd.DataFrame, column: str, decimals: int) -> pd.Series:
    """A rate says what its count does ("fewer than 5"); a change of a suppressed period is "suppressed"."""
    sign = "+" if "change" in column else ""
    why = table["count_text"] if column == "rate_per_1000" else pd.Series("suppressed", index=table.index)
    return pd.Series([reason if hidden else disclosure.NO_DATA if pd.isna(value) else f"{value:{sign},.{decimals}f}"
                      for value, hidden, reason in zip(table[column], _flags(table, column), why)],
                     index=table.index, dtype=object)


def _flags(table: pd.DataFrame, measure: str) -> pd.Series:
    """Whether each ward's ``measure`` is suppressed (a change: either period's count)."""
    return table[list(disclosure.SUPPRESSED_BY[measure])].fillna(False).astype(bool).any(axis=1)
