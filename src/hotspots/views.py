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
its band and chance say no more than the yearly counts do. The other models, recalibration, count forecasts and the
forecast's evidence (backtest ranking, paired intervals, calibration, the report beside us) are for
roles that see true counts only. docs/disclosure.md says why, place by place.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import geopandas as gpd
import pandas as pd

from hotspots import (aggregation, backtest, count_forecast, disclosure, forecast, hotspot_statistics,
                      model_comparison, profile, ranking, report_figures, settings)
from hotspots._errors import CountTableError, DisclosureError
from hotspots.aggregation import Layer
from hotspots.disclosure import DisclosedLegend, DisclosedSummary, DisclosureRule
from hotspots.loading import Dataset
from hotspots.periods import financial_year_label
from hotspots.roles import Role

# Emerging hot spots and monthly trends (issue 16)
from hotspots import emerging_hotspots, monthly
from hotspots._errors import PeriodError
from hotspots.periods import financial_year_label

#: Why a suppressed role gets no statistical hotspots (the page prints it).
NO_HOTSPOTS_REASON = ("Statistical hotspots are not offered with small counts suppressed: their z-scores and "
                      "p-values are worked out from every ward's exact count and could give a suppressed count back.")
#: Why a suppressed role gets only the prior-two-year rule's forecast (the page prints it).
RULE_ONLY_REASON = ("Only the prior-two-year rule is offered with small counts suppressed: the other models' "
                    "chances are worked out from exact counts and could give a suppressed count back.")
#: Why a suppressed role gets no count forecasts, recalibration or backtest evidence (the page prints it).
EVIDENCE_REASON = ("The backtest, recalibrated chances, expected counts and the deprivation check are not offered "
                   "with small counts suppressed: they are worked out from exact counts and could give a suppressed "
                   "count back.")
#: Forecast models, in the order offered; the rule comes first and is the default.
MODELS = ("rule", "persistence", "poisson", "negative_binomial", "empirical_bayes", "spatial_lag", "logistic")
WARD_COLUMNS = ["ward_code", "ward_name", "lad_code", "lad_name"]


@dataclass(frozen=True)
class WardMapView:
    """Everything the ward map page draws for one layer, measure and period."""

    rule: DisclosureRule
    table: pd.DataFrame  # the chosen areas' wards: names and the disclosed measure table
    values: pd.Series  # the mapped measure by ward_code; NaN where suppressed or no data
    suppressed: pd.Series  # by ward_code: the mapped measure is suppressed
    suppressed_text: str  # what a suppressed ward's value says on the map ("not shown: fewer than 5 crimes" for a rate)
    legend: DisclosedLegend
    mean: DisclosedSummary  # over the chosen areas' wards
    ranking: pd.DataFrame  # every ward of the region with a shown value, ranked (``ranking.ranking_table``)
    region_mean: DisclosedSummary
    ranking_left_out: int  # wards of the region whose value is suppressed, so not in the ranking
    values_table: pd.DataFrame  # the Values tab, highest first
    download: pd.DataFrame  # the CSV: every disclosed column, the flags, period and layer
    hotspots_offered: bool
    #: For protected counts and rates: the least and most the mean of every chosen ward can be
    #: (``above_mean`` is said against it); None where the mean is the shown wards'.
    mean_range: tuple[float, float] | None = None


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
    table: pd.DataFrame  # the chosen areas' wards: ward_name, prior count (text), band, chances, explanation;
    # for true-count roles also expected_count, count_low, count_high, probability_two_or_more (percent)
    band_table: pd.DataFrame
    notes: list[str]
    not_forecast: pd.DataFrame  # area_code, reason
    recalibrated: bool = False  # the mapped chances went through the model's recalibration
    download: pd.DataFrame | None = None  # the CSV: ward_code and every column of ``table``, with the year
    report_beside: pd.DataFrame | None = None  # ``report_figures.report_beside_data`` in percent; true-count roles
    bands_note: str = ""  # for suppressed roles: why their bands and chances differ from the true-count roles'


@dataclass(frozen=True)
class ForecastEvidenceView:
    """The backtest's verdict for true-count roles: which model, is it really better than the
    rule, and are its chances calibrated."""

    ranking: pd.DataFrame  # ``model_comparison.model_ranking``, hit_rate in percent; empty if no backtest
    best_model: str  # lowest rolling-origin log loss ("" without a backtest)
    against_rule: pd.DataFrame  # metric, difference, lower, upper (best minus rule); empty if the rule is best
    verdict: str  # "better than the rule", ... ; "" when the rule is best or no backtest
    calibration: pd.DataFrame  # the best model's and the rule's bins: model, version, bin, predicted, observed, n,
    # gap, counted (n >= settings.CALIBRATION_MIN_WARD_YEARS)
    notes: list[str]
    no_backtest: str  # why there is no backtest, or ""


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
    windows, yearly = {}, None
    if years > 1 and not rule.shows_true_values:  # a window beside its single years must not give one back
        yearly = aggregation.layer_counts(dataset, layer_key, wards["ward_code"].tolist(),
                                          list(range(last_year - 2 * years + 1, last_year + 1)), gang=gang)
        windows = disclosure.window_disclosure(yearly, last_year, years, rule)
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
    above, mean_range = table[measure].gt(mean.value).map({True: "above", False: "below"}), None
    if not rule.shows_true_values and measure in ("count", "rate_per_1000"):
        # The mean of the shown wards leaves out the low counts: said only where it holds whatever
        # the protected counts are.
        bounds = (disclosure.shown_count_bounds(table["count"], table["suppressed"], rule)
                  .set_axis(table["ward_code"]) if years == 1 else
                  disclosure.window_count_bounds(yearly, list(range(last_year - years + 1, last_year + 1)), rule)
                  .reindex(table["ward_code"]))
        if measure == "rate_per_1000":
            bounds = disclosure.rate_bounds(bounds, true, years)
        bounds = bounds.set_axis(table.index)
        above = disclosure.side_of_mean(bounds["low"], bounds["high"])
        mean_range = (float(bounds["low"].mean()), float(bounds["high"].mean()))
    above = above.where(table[measure].notna()).fillna(disclosure.NO_DATA).mask(flagged, rule.suppressed_text)
    ordered = table.assign(above_mean=above).sort_values(measure, ascending=False, kind="stable")  # by the number
    shown = ordered.assign(count=ordered["count"] if rule.shows_true_values else ordered["count_text"],
                           **{column: _cell_texts(ordered, column, decimals, rule, layer.source)
                              for column, decimals in VALUES_TABLE_TEXT.items()})
    values_table = shown[["ward_name", "lad_name", "count", "population_10_24", "rate_per_1000", "count_change",
                          "rate_change", "above_mean"]].reset_index(drop=True)
    period = aggregation.period_label(dataset, layer_key, last_year, years)
    download = table.assign(above_mean=above, period=period, layer=layer.label)
    return WardMapView(rule=rule, table=table, values=table.set_index("ward_code")[measure],
                       suppressed=flagged.set_axis(table["ward_code"]),
                       suppressed_text=_suppressed_text(measure, legend, rule, layer.source), legend=legend,
                       mean=mean, ranking=ranked,
                       region_mean=disclosure.disclosed_mean(everywhere, measure, rule),
                       ranking_left_out=int(region_flags.sum()), values_table=values_table, download=download,
                       hotspots_offered=rule.shows_true_values, mean_range=mean_range)


#: Why Gi* is not offered on a change (the page prints it).
NO_GI_STAR_ON_CHANGES = ("Getis-Ord Gi* is offered for counts and rates, not changes: it compares sums of values "
                         "of one sign, and a change's rises and falls cancel out. Local Moran's I reads changes.")


def hotspot_methods(measure: str) -> dict[str, str]:
    """The statistical hotspot methods offered on ``measure`` (key: name): Gi* not on a change."""
    return {key: name for key, name in hotspot_statistics.METHODS.items()
            if not (key == "gi_star" and "change" in measure)}


def ward_hotspots(view: WardMapView, areas: gpd.GeoDataFrame, method: str, *, fdr: bool,
                  measure: str) -> pd.DataFrame:
    """Gi* or Local Moran on the map's values (``measure``), with ward and local authority names;
    only where the viewer sees true values (a :class:`DisclosureError` otherwise: see
    ``NO_HOTSPOTS_REASON``), and a method :func:`hotspot_methods` offers (a ``ValueError``)."""
    if not view.hotspots_offered:
        raise DisclosureError(NO_HOTSPOTS_REASON)
    if method not in hotspot_methods(measure):
        raise ValueError(NO_GI_STAR_ON_CHANGES if method == "gi_star" else f"Unknown method {method!r}.")
    spots = hotspot_statistics.local_statistics(areas, view.values, method=method, fdr=fdr)
    return spots.merge(view.table[["ward_code", "ward_name", "lad_name"]], on="ward_code", how="left")


@dataclass(frozen=True)
class EmergingHotspotsView:
    """The ward map's emerging hot spots for one layer: each ward's category, the table of wards by
    category, the legend rows for the categories present, and what was analysed."""

    categories: pd.Series  # category by ward_code, of the wards tested
    table: pd.DataFrame  # ward_name, lad_name, category, hot_years, cold_years, trend
    legend: list[tuple[str, str]]  # (colour, category) in the order of emerging_hotspots.CATEGORIES
    meanings: dict[str, str]  # what each category present means, in the same order
    period: str  # "2014/15 to 2023/24"
    measure: str  # the measure analysed, in words
    notes: list[str]  # years left out, wards not tested, the measure used instead of a change


@dataclass(frozen=True)
class WardEmergingView:
    """One ward's emerging hot spot category in each layer offered, among its local authority's wards."""

    table: pd.DataFrame  # label, category, sentence (what the category means for this ward)
    area: str  # the local authority whose wards were analysed
    withheld: str  # NO_HOTSPOTS_REASON when a layer was not offered to the role, else ""


@dataclass(frozen=True)
class WardMonthsView:
    """One ward's monthly counts of each event layer, as the role sees them."""

    months: pd.DataFrame  # monthly.disclosed_months' rows
    yearly_only: list[str]  # labels of the layers counted only by year (count tables, the register)
    notes: list[str]  # which years' months are hidden, and why


def ward_emerging_hotspots(dataset: Dataset, layer_key: str, role: Role, areas: gpd.GeoDataFrame, *, measure: str,
                           last_year: int, gang: str | None = None, fdr: bool = False) -> EmergingHotspotsView:
    """Emerging hot spots of ``layer_key`` over ``areas`` (the chosen wards, with ``ward_name`` and
    ``lad_name``) for every whole financial year up to ``last_year``; only where the viewer sees true
    values (a :class:`DisclosureError` otherwise: see ``NO_HOTSPOTS_REASON``); a ``PeriodError``
    with too few whole years."""
    if not disclosure.rule_for(aggregation.resolve_layer(layer_key), role).shows_true_values:
        raise DisclosureError(NO_HOTSPOTS_REASON)
    yearly, analysed, notes = _yearly_values(dataset, layer_key, areas["ward_code"].tolist(), measure=measure,
                                             last_year=last_year, gang=gang)
    result = emerging_hotspots.emerging_hotspots(areas, yearly, fdr=fdr)
    order = {category: rank for rank, category in enumerate(emerging_hotspots.CATEGORIES)}
    table = (result.wards.merge(areas[["ward_code", "ward_name", "lad_name"]], on="ward_code", how="left")
             .assign(order=lambda frame: frame["category"].map(order))
             .sort_values(["order", "trend_z"], ascending=[True, False], kind="stable"))
    present = [category for category in emerging_hotspots.CATEGORIES if category in set(table["category"])]
    if result.not_tested:
        notes.append(f"{len(result.not_tested)} wards are not tested (no neighbour among the chosen wards, or no "
                     "value in some year).")
    return EmergingHotspotsView(
        categories=result.wards.set_index("ward_code")["category"],
        table=table[["ward_name", "lad_name", "category", "hot_years", "cold_years", "trend"]].reset_index(drop=True),
        legend=[(emerging_hotspots.COLOURS[category], category) for category in present],
        meanings={category: emerging_hotspots.MEANINGS[category] for category in present},
        period=f"{financial_year_label(result.years[0])} to {financial_year_label(result.years[-1])}",
        measure=analysed, notes=notes)


def ward_emerging_profile(dataset: Dataset, ward_code: str, role: Role, wards: gpd.GeoDataFrame,
                          layers: dict[str, Layer], *, measure: str, last_year: int) -> WardEmergingView:
    """The ward's emerging hot spot category in each of ``layers`` whose counts ``role`` sees as they
    are, among the wards of its local authority (``wards``: the region's, with geometry), over every
    whole financial year up to ``last_year``; layers with too few whole years say so."""
    own = wards[wards["ward_code"].eq(ward_code)].iloc[0]
    borough = wards[wards["lad_code"].eq(own["lad_code"])]
    offered = {key: layer for key, layer in layers.items() if disclosure.rule_for(layer, role).shows_true_values}
    rows = []
    for key, layer in offered.items():
        try:
            yearly, _, _ = _yearly_values(dataset, key, borough["ward_code"].tolist(), measure=measure,
                                          last_year=last_year)
            result = emerging_hotspots.emerging_hotspots(borough, yearly)
        except PeriodError as too_short:
            rows.append({"label": layer.label, "category": "not analysed", "sentence": str(too_short)})
            continue
        found = result.wards.set_index("ward_code")["category"]
        period = f"{financial_year_label(result.years[0])} to {financial_year_label(result.years[-1])}"
        if ward_code not in found.index:
            rows.append({"label": layer.label, "category": emerging_hotspots.NOT_TESTED,
                         "sentence": f"Not tested: the ward has no neighbour in {own['lad_name']}, or no value in "
                                     f"some year of {period}."})
            continue
        category = found[ward_code]
        rows.append({"label": layer.label, "category": category,
                     "sentence": f"Among the wards of {own['lad_name']}, {period}: "
                                 f"{emerging_hotspots.MEANINGS[category]}."})
    return WardEmergingView(pd.DataFrame(rows, columns=["label", "category", "sentence"]), str(own["lad_name"]),
                            NO_HOTSPOTS_REASON if len(offered) < len(layers) else "")


def ward_months_view(dataset: Dataset, ward_code: str, role: Role, layers: dict[str, Layer]) -> WardMonthsView:
    """The ward's monthly counts of each event layer in ``layers``, each through its rule for ``role``."""
    events, yearly_only = monthly.monthly_layers(layers)
    rules = {key: disclosure.rule_for(layer, role) for key, layer in events.items()}
    months = monthly.disclosed_months(monthly.ward_months(dataset, ward_code, events), rules)
    notes = []
    for label, years in monthly.hidden_years(months).items():
        key = next(key for key, layer in events.items() if layer.label == label)
        if rules[key].rounding_base > 1:
            notes.append(f"{label}: months are not shown with small counts suppressed (rounded months beside the "
                         "rounded yearly total could give a count back).")
        else:
            notes.append(f"{label}: every month of {', '.join(years)} is hidden, since one of its months had "
                         f"{rules[key].suppressed_text} and the year's total, shown in the yearly trend, would "
                         "give it back.")
    return WardMonthsView(months, yearly_only, notes)


def _yearly_values(dataset: Dataset, layer_key: str, ward_codes: list[str], *, measure: str, last_year: int,
                   gang: str | None = None) -> tuple[pd.DataFrame, str, list[str]]:
    """``ward_code, financial_year, value`` of each whole financial year up to ``last_year``: the rate
    for a rate measure, else the count; with the measure in words and notes on what was left out."""
    whole, part_notes = aggregation.complete_years(dataset, layer_key)
    years = [year for year in whole if year <= last_year]
    part_years = [year for year in aggregation.covered_years(dataset, layer_key) if year not in whole]
    notes = [note for year, note in zip(part_years, part_notes) if year <= last_year]
    counts = aggregation.layer_counts(dataset, layer_key, ward_codes, years, gang=gang)
    analysed = "rate_per_1000" if measure in ("rate_per_1000", "rate_change") else "count"
    if measure.endswith("_change"):
        notes.append(f"A change has no value of its own each year, so the {aggregation.MEASURES[analysed].lower()} "
                     "of each year is analysed.")
    if analysed == "count":
        yearly = counts.rename(columns={"count": "value"})
    else:
        yearly = pd.concat([aggregation.period_values(counts, dataset.population, last_year=year)
                            .assign(financial_year=year) for year in years], ignore_index=True)
        yearly = yearly.rename(columns={"rate_per_1000": "value"})
    return yearly[["ward_code", "financial_year", "value"]], aggregation.MEASURES[analysed], notes


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
                  population: pd.DataFrame | None = None, neighbours: dict[str, list[str]] | None = None,
                  recalibrated: bool = False) -> ForecastView:
    """Next year's chance of at least one per ward from ``counts`` (``area_code, financial_year,
    count`` of the whole region) as ``role`` sees ``layer``; ``wards`` (``ward_code, ward_name``) are
    the chosen areas'. With ``recalibrated``, the mapped chances are the model's recalibrated on its
    backtest. For true-count roles the table also has next year's expected count with its
    prediction interval and the chance of two or more. A :class:`CountTableError` or
    ``PeriodError`` when no forecast can be made; a :class:`DisclosureError` when ``role`` may not
    have the model or the recalibration."""
    rule = disclosure.rule_for(layer, role)
    if model not in forecast_models(rule):
        raise DisclosureError(RULE_ONLY_REASON)
    if recalibrated and not rule.shows_true_values:
        raise DisclosureError(EVIDENCE_REASON)
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
    if model != "rule" or recalibrated:
        try:
            chosen = backtest.forecast_with_model(counts, model, target_year=target, population=population,
                                                  neighbours=neighbours, recalibrate=recalibrated)
        except CountTableError as unusable:
            chosen, note, model, recalibrated = areas[["area_code", "probability"]], str(unusable), "rule", False
    table = wards[["ward_code", "ward_name"]].merge(areas, left_on="ward_code", right_on="area_code", how="left")
    table = table.merge(chosen.rename(columns={"probability": "chosen"}), on="area_code", how="left")
    table = table.assign(prior_two_year_count=table["prior_count_text"], probability=table["probability"] * 100,
                         chosen=table["chosen"] * 100).sort_values("chosen", ascending=False, kind="stable")
    columns = ["ward_name", "prior_two_year_count", "band", "probability", "risk_band", "chosen", "explanation"]
    notes, beside = list(result.notes), None
    if rule.shows_true_values:  # exact-count arithmetic and the report's bands: never for suppressed roles
        expected, counts_notes = _count_forecast(counts, target, population, neighbours)
        table = table.merge(expected, on="area_code", how="left")
        columns += count_forecast.COLUMNS[1:]
        notes += counts_notes
        beside = report_figures.report_beside_data(result.band_table)
        beside = beside.assign(**{column: beside[column] * 100 for column in ("published", "recomputed", "lower", "upper")})
    percent = [c for c in ("probability", "lower", "upper", "probability_two_or_more") if c in result.band_table]
    band_table = result.band_table.assign(**{column: result.band_table[column] * 100 for column in percent})
    shown = table[columns].reset_index(drop=True)
    download = shown.assign(ward_code=table["ward_code"].to_numpy(), target_year=financial_year_label(target),
                            model=model, recalibrated=recalibrated)
    return ForecastView(rule=rule, target_year=target, model=model, model_note=note,
                        values=chosen.set_index("area_code")["probability"] * 100,
                        explanations=areas.set_index("area_code")["explanation"],
                        table=shown, band_table=band_table, notes=notes,
                        not_forecast=result.not_forecast, recalibrated=recalibrated, download=download,
                        report_beside=beside, bands_note="" if rule.shows_true_values else _bands_note(rule))


def deprivation_check_view(counts: pd.DataFrame, deprivation: pd.Series, layer: Layer, role: Role, *,
                           target_year: int) -> pd.DataFrame:
    """As the report asked: how well deprivation and the prior two-year count each predict
    ``target_year`` (``backtest.predictor_comparison``). Its correlations and AUCs rank every ward by
    exact counts, so only roles that see ``layer``'s true counts get it (a :class:`DisclosureError`
    with ``EVIDENCE_REASON`` otherwise)."""
    if not disclosure.rule_for(layer, role).shows_true_values:
        raise DisclosureError(EVIDENCE_REASON)
    return backtest.predictor_comparison(counts, deprivation, target_year=target_year)


def forecast_evidence_view(counts: pd.DataFrame, layer: Layer, role: Role, *,
                           population: pd.DataFrame | None = None, neighbours: dict[str, list[str]] | None = None,
                           area_sizes: pd.Series | None = None) -> ForecastEvidenceView:
    """The backtest of every model on ``counts`` (the whole region's), ranked by log loss; the
    best model's paired difference from the rule; and the calibration of both, raw and
    recalibrated. Only for roles that
    see ``layer``'s true counts (a :class:`DisclosureError` otherwise: see ``EVIDENCE_REASON``)."""
    if not disclosure.rule_for(layer, role).shows_true_values:
        raise DisclosureError(EVIDENCE_REASON)
    empty = pd.DataFrame()
    try:
        result = backtest.backtest(counts, population=population, neighbours=neighbours, area_sizes=area_sizes)
    except CountTableError as unusable:
        return ForecastEvidenceView(empty, "", empty, "", empty, [], str(unusable))
    ranking_table = model_comparison.model_ranking(result)
    best = str(ranking_table["model"].iloc[0])
    against, words = empty, ""
    if best != "rule" and "rule" in set(ranking_table["model"]):
        against = model_comparison.paired_difference(result.predictions, best, "rule")
        words = model_comparison.verdict(against)
    shown_models = [best] + ([] if best == "rule" else ["rule"])
    bins = result.calibration[result.calibration["model"].isin(shown_models)]
    bins = bins.assign(counted=bins["n"] >= settings.CALIBRATION_MIN_WARD_YEARS)
    return ForecastEvidenceView(ranking_table.assign(hit_rate=ranking_table["hit_rate"] * 100), best, against, words,
                                bins.reset_index(drop=True), list(dict.fromkeys(result.notes)), "")


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


def _bands_note(rule: DisclosureRule) -> str:
    """One sentence for a suppressed role: the same rule's name, but other bands, so other chances, than police see."""
    first, second, third = shown_class_bands(rule)
    return (f"With small counts suppressed, the rule bands each ward by what is shown of its two prior years "
            f"({first}; {second}; {third}), not by the exact two-year count that police, partners and "
            f"administrators see, so a ward's band and chance here can differ from theirs.")


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


def _count_forecast(counts: pd.DataFrame, target: int, population: pd.DataFrame | None,
                    neighbours: dict[str, list[str]] | None) -> tuple[pd.DataFrame, list[str]]:
    """Expected counts (P(two or more) in percent) and the fit's notes, or empty columns and why there are none."""
    try:
        expected = count_forecast.count_forecast(counts, target_year=target, population=population,
                                                 neighbours=neighbours)
    except CountTableError as unusable:
        return pd.DataFrame(columns=count_forecast.COLUMNS), [f"No expected counts: {unusable}"]
    areas = expected.areas
    return areas.assign(probability_two_or_more=areas["probability_two_or_more"] * 100), expected.notes


#: The Values table's measures written as text (decimals; a change with its sign), so that a blank
#: cell says why: the rule's words where suppressed, "no data" where there is none (never "None").
VALUES_TABLE_TEXT = {"rate_per_1000": 1, "count_change": 0, "rate_change": 1}


def _suppressed_text(measure: str, legend: DisclosedLegend, rule: DisclosureRule, source: str) -> str:
    """A suppressed count says its rule's words; any other measure says that it is withheld and why."""
    count_words = legend.suppressed_label or rule.suppressed_text
    return count_words if measure in disclosure.COUNT_COLUMNS else disclosure.withheld_text(count_words, rule, source)


def _cell_texts(table: pd.DataFrame, column: str, decimals: int, rule: DisclosureRule, source: str) -> pd.Series:
    """A rate says its count is withheld ("not shown: fewer than 5 crimes"); a change of a suppressed
    period is "suppressed"."""
    sign = "+" if "change" in column else ""
    why = (table["count_text"].map(lambda words: disclosure.withheld_text(words, rule, source))
           if column == "rate_per_1000" else pd.Series("suppressed", index=table.index))
    return pd.Series([reason if hidden else disclosure.NO_DATA if pd.isna(value) else f"{value:{sign},.{decimals}f}"
                      for value, hidden, reason in zip(table[column], _flags(table, column), why)],
                     index=table.index, dtype=object)


def _flags(table: pd.DataFrame, measure: str) -> pd.Series:
    """Whether each ward's ``measure`` is suppressed (a change: either period's count)."""
    return table[list(disclosure.SUPPRESSED_BY[measure])].fillna(False).astype(bool).any(axis=1)
