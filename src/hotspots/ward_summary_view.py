"""The councillor's ward summary: one ward in plain words, its small trends and next year's chance,
as the viewer's role may see them.

Two steps, so that the app can cache the slow one once per store and role:

- :func:`summary_data` counts each described layer once, by ward and financial year, over the
  region's wards (``ward_code, ward_name, lad_code, lad_name``; the ward's local authority is the
  area it is ranked in);
- :func:`ward_summary_view` builds one ward's display: every number goes through
  :mod:`hotspots.disclosure` with the role's rule (``rule_for``), in the same way as the ward map's
  view (``disclosure.window_disclosure``: a two-year total is suppressed where one of its years
  is, and is the sum of its years' shown counts; ranks, means and changes of shown values only), and the forecast is :func:`hotspots.views.forecast_view`'s, so its band is
  edged at the rule's threshold for suppressed roles. The sentences come from
  :mod:`hotspots.ward_sentences`.

Periods are the last ``settings.WARD_SUMMARY_YEARS`` whole financial years each layer's source
covers (partial years are left out, as in the forecast); the forecast's prior two years are the
same years, so its count and the sentence's agree.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from hotspots import aggregation, disclosure, settings, views, ward_sentences
from hotspots._errors import CountTableError, PeriodError
from hotspots.aggregation import Layer
from hotspots.disclosure import DisclosureRule
from hotspots.forecast import risk_band
from hotspots.loading import Dataset
from hotspots.periods import financial_year_label, window_label
from hotspots.roles import Role


@dataclass(frozen=True)
class LayerYears:
    """One layer's counts by ward and financial year over the region, and the rule the role sees them by."""

    layer: Layer
    rule: DisclosureRule
    counts: pd.DataFrame  # ward_code, financial_year, count: every ward, every whole year (NaN: no data)
    whole_years: list[int]
    forecast: views.ForecastView | None  # next year's, for every ward of the region
    no_forecast: str  # why there is none, when ``forecast`` is None


@dataclass(frozen=True)
class SummaryData:
    """What every ward's summary is made from, for one store and role."""

    role: Role
    wards: pd.DataFrame  # the region's wards: ward_code, ward_name, lad_code, lad_name
    population: pd.DataFrame  # ward_code, financial_year, population_10_24
    layers: dict[str, LayerYears]
    notes: list[str]  # layers left out, and why


@dataclass(frozen=True)
class LayerSummary:
    """One layer of the ward's summary: sentences, the trend's disclosed points and what it counts."""

    key: str
    label: str
    period: str
    sentence: str
    rate_sentence: str
    forecast_sentence: str
    rule_sentence: str
    counts: str
    leaves_out: str
    trend: pd.DataFrame  # financial_year, year, count (NaN: suppressed or no data), count_text, suppressed


@dataclass(frozen=True)
class WardSummaryView:
    ward_code: str
    ward_name: str
    area_code: str
    area_name: str
    area_wards: pd.DataFrame  # ward_code, ward_name of the ward's local authority, by name
    layers: list[LayerSummary]
    notes: list[str]


def summary_layers(dataset: Dataset, role: Role) -> tuple[dict[str, Layer], list[str]]:
    """The layers of ``settings.WARD_SUMMARY_LAYERS`` the store holds and ``role`` may see, and a
    note for each left out because, with small counts suppressed, it counts part of an earlier one."""
    offered = views.layers_for(dataset, role)
    chosen: dict[str, Layer] = {}
    notes = []
    for key in settings.WARD_SUMMARY_LAYERS:
        if key not in offered:
            continue
        layer = offered[key]
        whole = next((other for other in chosen.values() if _part_of(layer, other)), None)
        if whole is not None and not disclosure.rule_for(layer, role).shows_true_values:
            notes.append(f"{layer.label}: not described beside {whole.label}. With small counts suppressed, one "
                         "taken from the other could give a suppressed count back.")
            continue
        chosen[key] = layer
    return chosen, notes


def summary_data(dataset: Dataset, role: Role, wards: pd.DataFrame) -> SummaryData:
    """Each described layer's counts by ward and whole financial year over ``wards`` (the region),
    and next year's forecast by the prior-two-year rule, pooled over the region as the report did."""
    layers, notes = summary_layers(dataset, role)
    codes = wards["ward_code"].tolist()
    counted = {}
    for key, layer in layers.items():
        whole, _ = aggregation.complete_years(dataset, key)
        counts = aggregation.layer_counts(dataset, key, codes, whole) if whole else pd.DataFrame(
            columns=["ward_code", "financial_year", "count"])
        forecast, why = _forecast(counts, layer, role, wards)
        counted[key] = LayerYears(layer, disclosure.rule_for(layer, role), counts, whole, forecast, why)
    return SummaryData(role, wards[views.WARD_COLUMNS].reset_index(drop=True),
                       dataset.population[["ward_code", "financial_year", "population_10_24"]], counted, notes)


def ward_summary_view(data: SummaryData, ward_code: str, *, years: int | None = None) -> WardSummaryView:
    """One ward's summary from ``data``: per layer, the sentences about the last ``years`` whole
    years (default ``settings.WARD_SUMMARY_YEARS``), the trend and the forecast. A ``ValueError``
    naming the region when ``ward_code`` is not one of its wards."""
    years = settings.WARD_SUMMARY_YEARS if years is None else years
    by_code = data.wards.set_index("ward_code")
    if ward_code not in by_code.index:
        raise ValueError(f"{ward_code!r} is not one of the region's {len(by_code)} wards: choose one from the list.")
    ward = by_code.loc[ward_code]
    area_wards = data.wards[data.wards["lad_code"].eq(ward["lad_code"])]
    sections = [_layer_summary(data, layer_years, ward_code, area_wards, years)
                for layer_years in data.layers.values()]
    return WardSummaryView(ward_code, str(ward["ward_name"]), str(ward["lad_code"]), str(ward["lad_name"]),
                           area_wards[["ward_code", "ward_name"]].sort_values("ward_name").reset_index(drop=True),
                           sections, list(data.notes))


def _layer_summary(data: SummaryData, layer_years: LayerYears, ward_code: str, area_wards: pd.DataFrame,
                   years: int) -> LayerSummary:
    layer, rule = layer_years.layer, layer_years.rule
    words = ward_sentences.words_for(layer)
    trend = _trend(data, layer_years, ward_code)
    common = dict(key=layer.key, label=layer.label, rule_sentence=ward_sentences.rule_sentence(rule),
                  counts=words.counts, leaves_out=words.leaves_out, trend=trend)
    if len(layer_years.whole_years) < years:
        have = len(layer_years.whole_years)
        return LayerSummary(**common, period="", rate_sentence="", forecast_sentence="", sentence=(
            f"No summary of {words.many} {words.qualifier}: the data cover {have} whole financial "
            f"year{'' if have == 1 else 's'}, and a summary needs {years}."))
    last = layer_years.whole_years[-1]
    figures = _figures(data, layer_years, ward_code, area_wards, last, years)
    return LayerSummary(**common, period=figures.period, sentence=ward_sentences.count_sentence(figures, words),
                        rate_sentence=ward_sentences.rate_sentence(figures),
                        forecast_sentence=_forecast_sentence(layer_years, ward_code, words))


def _figures(data: SummaryData, layer_years: LayerYears, ward_code: str, area_wards: pd.DataFrame, last: int,
             years: int) -> ward_sentences.WardFigures:
    """The ward's disclosed figures among its area's wards, as the ward map's view discloses them."""
    rule = layer_years.rule
    counts = layer_years.counts[layer_years.counts["ward_code"].isin(area_wards["ward_code"])]
    now = aggregation.period_values(counts, data.population, last_year=last, years=years)
    before = aggregation.period_values(counts, data.population, last_year=last - years, years=years)
    true = now.merge(before[["ward_code", "count", "rate_per_1000"]].rename(
        columns={"count": "previous_count", "rate_per_1000": "previous_rate"}), on="ward_code", how="left")
    true = true.assign(count_change=true["count"] - true["previous_count"],
                       rate_change=true["rate_per_1000"] - true["previous_rate"])
    # Beside the trend's single years, a total must be suppressed with any of its years and summed
    # from their shown counts: rounded from the true total it would narrow them.
    shown = disclosure.disclosed_measure_table(true, rule, **disclosure.window_disclosure(counts, last, years, rule))
    ranks = disclosure.disclosed_ranks(shown, "count").set_axis(shown["ward_code"])
    has_count = shown["count"].notna() | shown["suppressed"]
    mean = disclosure.disclosed_mean(shown, "rate_per_1000", rule)
    # The mean over every ward, as far as the viewer can know it: over the shown wards alone it
    # leaves out the low counts, and a ward above every other mean would read as below it.
    window = list(range(last - years + 1, last + 1))
    bounds = disclosure.window_count_bounds(counts, window, rule).reindex(shown["ward_code"])
    rates = disclosure.rate_bounds(bounds, true, years)
    row = shown.set_index("ward_code").loc[ward_code]
    rank = None if row["suppressed"] or pd.isna(row["count"]) else int(ranks[ward_code])
    return ward_sentences.WardFigures(
        ward_name=str(area_wards.set_index("ward_code").loc[ward_code, "ward_name"]),
        area_name=str(area_wards["lad_name"].iloc[0]), period=window_label(last, years),
        previous_period=window_label(last - years, years), count=float(row["count"]), count_text=row["count_text"],
        suppressed=bool(row["suppressed"]), previous_count=float(row["previous_count"]),
        previous_count_text=row["previous_count_text"], previous_suppressed=bool(row["previous_suppressed"]),
        count_change=float(row["count_change"]), rank=rank,
        tied=int(ranks.eq(rank).sum()) if rank is not None else 0, wards_ranked=int(has_count.sum()),
        wards_without_data=int((~has_count).sum()), rounding_base=rule.rounding_base,
        rate=float(row["rate_per_1000"]), mean_rate=mean.value, mean_text=mean.text,
        mean_low=float(rates["low"].mean()), mean_high=float(rates["high"].mean()),
        rate_low=float(rates.loc[ward_code, "low"]), rate_high=float(rates.loc[ward_code, "high"]))


def _trend(data: SummaryData, layer_years: LayerYears, ward_code: str) -> pd.DataFrame:
    """The ward's yearly points as the role sees them (``disclosure.disclosed_trend``)."""
    mine = layer_years.counts[layer_years.counts["ward_code"].eq(ward_code)]
    people = data.population[data.population["ward_code"].eq(ward_code)].set_index("financial_year")
    people = people["population_10_24"].where(people["population_10_24"] > 0)
    points = mine.assign(layer=layer_years.layer.key, label=layer_years.layer.label,
                         rate_per_1000=1000 * mine["count"] / mine["financial_year"].map(people))
    shown = disclosure.disclosed_trend(points, data.role)
    return shown.assign(year=shown["financial_year"].map(financial_year_label))[
        ["financial_year", "year", "count", "count_text", "suppressed"]].reset_index(drop=True)


def _forecast(counts: pd.DataFrame, layer: Layer, role: Role,
              wards: pd.DataFrame) -> tuple[views.ForecastView | None, str]:
    """``views.forecast_view`` of the rule for every ward, or None and why it cannot be made."""
    history = counts.dropna(subset=["count"]).astype({"count": "int64"}).rename(columns={"ward_code": "area_code"})
    if history.empty:
        return None, "there are no whole years of data to forecast from."
    try:
        return views.forecast_view(history, layer, role, wards), ""
    except (CountTableError, PeriodError) as unusable:
        return None, str(unusable)


def _forecast_sentence(layer_years: LayerYears, ward_code: str, words: ward_sentences.LayerWords) -> str:
    """Next year's chance for the ward, in the rule's risk band, or why there is none."""
    target = financial_year_label(layer_years.whole_years[-1] + 1)
    forecast = layer_years.forecast
    if forecast is None:
        return ward_sentences.forecast_sentence(words, target_period=target, risk_band=None,
                                                explanation=layer_years.no_forecast)
    chance = forecast.values.get(ward_code)  # percent, by the rule (forecast_view's default model)
    if chance is None or pd.isna(chance):
        reasons = forecast.not_forecast.set_index("area_code")["reason"]
        return ward_sentences.forecast_sentence(words, target_period=target, risk_band=None, explanation=str(
            reasons.get(ward_code, "the ward has no counts for the prior two years.")))
    return ward_sentences.forecast_sentence(words, target_period=target, risk_band=risk_band(chance / 100),
                                            explanation=forecast.explanations[ward_code])


def _part_of(layer: Layer, whole: Layer) -> bool:
    """Whether ``layer`` counts a part of what ``whole`` counts (its categories among the whole's)."""
    return (layer.source == whole.source and layer.youth_only == whole.youth_only
            and layer.exclude_domestic == whole.exclude_domestic and set(layer.categories) < set(whole.categories))
