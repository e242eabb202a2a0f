"""Layers (which events count) and ward-by-year counts, rates and period values.

Every table lists every requested ward for every requested year, zero where nothing happened; an
imported count table is the exception: an area-year it leaves out is no data (NaN).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from hotspots import coverage, geography
from hotspots._errors import PeriodError
from hotspots.loading import Dataset
from hotspots.periods import financial_year_label, financial_year_of

YOUTH_AGE_BANDS = ("10-17", "18-24")


@dataclass(frozen=True)
class Layer:
    """What one map layer counts: events of ``source`` in ``categories``, optionally filtered.

    ``synthetic`` is "synthetic" or "partly synthetic" when, in a store mixing real and synthetic
    datasets, all or some of the rows it counts come from synthetic files (set by ``available_layers``,
    which adds it to the label)."""

    key: str
    label: str
    source: str
    categories: tuple[str, ...]
    youth_only: bool = True
    exclude_domestic: bool = False
    restricted: bool = False
    synthetic: str = ""


LAYERS: dict[str, Layer] = {layer.key: layer for layer in [
    Layer("violence-with-injury", "Violence with injury, victim aged 10-24, non-domestic (police)",
          "police", ("violence with injury",), exclude_domestic=True),
    Layer("weapons-possession", "Possession of weapons offences (police)", "police",
          ("possession of weapons",), youth_only=False),
    Layer("ambulance-all", "Ambulance call-outs for violent injury, patients aged 10-24", "ambulance",
          ("assault", "serious assault", "stab/knife/gunshot")),
    Layer("ambulance-knife", "Ambulance call-outs for stab, knife or gunshot wounds, patients aged 10-24",
          "ambulance", ("stab/knife/gunshot",)),
    Layer("nominals", "Gang nominals on the register, by home ward (police, restricted)", "nominals", (),
          youth_only=False, restricted=True),
    Layer("people", "People known to services, every group, by home ward (restricted)", "people", (),
          youth_only=False, restricted=True),
]}


POLICE_UK_PREFIX = "police-uk:"
COUNTS_PREFIX = "counts:"
PEOPLE_PREFIX = "people:"  # one group of the lists of people known to services: people:<group slug>
FILTER_COLUMNS = ("age_band", "category", "domestic", "gang", "source")


def resolve_layer(key: str) -> Layer:
    """A built-in layer, or ``police-uk:<crime-type>`` (for example ``police-uk:possession-of-weapons``)."""
    if key in LAYERS:
        return LAYERS[key]
    if key.startswith(COUNTS_PREFIX) and key.removeprefix(COUNTS_PREFIX):
        name = key.removeprefix(COUNTS_PREFIX)
        return Layer(key, f"{name} (imported count table)", "counts", (name,), youth_only=False)
    if key.startswith(PEOPLE_PREFIX) and key.removeprefix(PEOPLE_PREFIX):
        group = key.removeprefix(PEOPLE_PREFIX)
        return Layer(key, f"People known to services: {group.replace('-', ' ')}, by home ward (restricted)", "people",
                     (group,), youth_only=False, restricted=True)
    if key.startswith(POLICE_UK_PREFIX) and key.removeprefix(POLICE_UK_PREFIX):
        crime_type = key.removeprefix(POLICE_UK_PREFIX)
        return Layer(key, f"police.uk: {crime_type.replace('-', ' ')} (all ages)", "police-uk", (crime_type,),
                     youth_only=False)
    raise ValueError(f"Unknown layer {key!r}: use one of {', '.join(LAYERS)} or police-uk:<crime-type>, "
                     "for example police-uk:violence-and-sexual-offences.")


def apply_filters(rows: pd.DataFrame, filters: dict[str, list[str]]) -> pd.DataFrame:
    """Keep rows whose column matches one of the given values (``domestic``: true/false)."""
    keep = pd.Series(True, index=rows.index)
    for column, values in filters.items():
        if column not in FILTER_COLUMNS or column not in rows:
            raise ValueError(f"Cannot filter on {column!r}: use one of {', '.join(FILTER_COLUMNS)}.")
        if column == "domestic":
            wanted = {value.strip().lower() in ("true", "yes", "y", "1") for value in values}
            keep &= rows["domestic"].fillna(False).isin(wanted)
        elif column == "category":
            keep &= rows["category"].map(geography.slug).isin({geography.slug(v) for v in values})
        else:
            keep &= rows[column].isin(values)
    return rows[keep]


def area_counts(dataset: Dataset, layer_key: str, *, by: str = "ward", region: str = geography.GREATER_ESSEX,
                periods: list[int] | None = None, filters: dict[str, list[str]] | None = None) -> pd.DataFrame:
    """``area_code, period, count`` for every area of ``region`` and every financial year, zero-filled.

    ``by`` is ``ward`` or ``lsoa``; periods default to every financial year in the data. The table
    is the one ``hotspots forecast`` and ``hotspots backtest`` read.
    """
    layer = resolve_layer(layer_key)
    if by not in ("ward", "lsoa"):
        raise ValueError(f"Count by 'ward' or 'lsoa', not {by!r}.")
    known = available_layers(dataset, restricted=True)
    if layer.source in ("police-uk", "counts") and layer_key not in known:  # a mistyped crime type is no zeros
        raise ValueError(f"The store holds no layer {layer_key!r}: it holds {', '.join(known) or 'none yet'}.")
    areas = (geography.wards(region)["ward_code"] if by == "ward" else geography.lsoas(region)["lsoa_code"]).tolist()
    years = periods or data_years(dataset)
    if not years:
        raise PeriodError("The store holds no dated events: import some data first (hotspots import).")
    area_column = f"{by}_code"
    if layer.source == "nominals":
        rows = apply_filters(dataset.nominals, filters or {})
        counts = nominals_by_ward_year(rows.assign(ward_code=rows[area_column]), areas, years)
    elif layer.source == "people":
        rows = people_of_layer(apply_filters(dataset.people, filters or {}), layer)
        counts = counts_by_ward_year(rows.assign(ward_code=rows[area_column]), areas, years)
    else:
        rows = apply_filters(layer_events(dataset.events, layer), filters or {})
        counts = counts_by_ward_year(rows.assign(ward_code=rows[area_column]), areas, years)
    return pd.DataFrame({"area_code": counts["ward_code"], "period": counts["financial_year"].map(financial_year_label),
                         "count": counts["count"]})


def data_years(dataset: Dataset) -> list[int]:
    """Every financial year from the first to the last event in the data."""
    years = dataset.events["financial_year"].dropna()
    if years.empty:
        return []
    return list(range(int(years.min()), int(years.max()) + 1))


def available_layers(dataset: Dataset, *, restricted: bool = False) -> dict[str, Layer]:
    """Layers with data in ``dataset``: the built-in ones whose source is present, then one per
    police.uk crime type; restricted layers (nominals) only when ``restricted``."""
    sources = set(dataset.events["source"].unique())
    layers = {key: layer for key, layer in LAYERS.items()
              if (layer.source in sources or (layer.source == "nominals" and len(dataset.nominals))
                  or (layer.source == "people" and len(dataset.people)))
              and (restricted or not layer.restricted)}
    if restricted:
        for group in sorted({geography.slug(group) for group in dataset.people["group"].unique()}):
            layers[PEOPLE_PREFIX + group] = resolve_layer(PEOPLE_PREFIX + group)
    police_uk = dataset.events.loc[dataset.events["source"].eq("police-uk"), "category"].unique()
    for key in sorted(POLICE_UK_PREFIX + geography.slug(category) for category in police_uk):
        layers[key] = resolve_layer(key)
    for name in sorted(dataset.counts["layer"].unique()):
        layers[COUNTS_PREFIX + name] = resolve_layer(COUNTS_PREFIX + name)
    return {key: _with_provenance(dataset, layer) for key, layer in layers.items()}


def _with_provenance(dataset: Dataset, layer: Layer) -> Layer:
    """In a store mixing real and synthetic datasets, the layer labelled "(synthetic)" or "(partly
    synthetic)" by the datasets its rows come from (a wholly synthetic store carries one banner instead)."""
    if dataset.synthetic or not dataset.synthetic_datasets:
        return layer
    if layer.source == "counts":
        rows = dataset.counts[dataset.counts["layer"].eq(layer.categories[0])]
    elif layer.source == "people":
        rows = people_of_layer(dataset.people, layer)
    else:
        rows = dataset.nominals if layer.source == "nominals" else layer_events(dataset.events, layer)
    ids = set(rows["dataset_id"].unique().tolist())
    shared = ids & dataset.synthetic_datasets
    synthetic = "" if not shared else "synthetic" if shared == ids else "partly synthetic"
    return replace(layer, label=f"{layer.label} ({synthetic})", synthetic=synthetic) if synthetic else layer


def covered_years(dataset: Dataset, layer_key: str) -> list[int]:
    """Financial years the layer's source has any data for; other years are "no data", not zero."""
    layer = resolve_layer(layer_key)
    if layer.source == "counts":
        return sorted(int(y) for y in dataset.counts.loc[dataset.counts["layer"].eq(layer.categories[0]),
                                                         "financial_year"].unique())
    if layer.source == "nominals":
        if dataset.nominals.empty:
            return []
        first = int(financial_year_of(dataset.nominals["date_added"]).min())
        return list(range(first, max(data_years(dataset) or [first]) + 1))
    if layer.source == "people":
        return sorted(int(y) for y in dataset.people["financial_year"].unique())
    years = dataset.events.loc[dataset.events["source"].eq(layer.source), "financial_year"].dropna().unique()
    return sorted(int(y) for y in years)


def months_covered(dataset: Dataset, layer_key: str) -> dict[int, int] | None:
    """Financial year -> how many of its months the layer's source covers; None for the register
    of nominals and the lists of people, which are lists of people over time, not monthly records."""
    layer = resolve_layer(layer_key)
    if layer.source in ("nominals", "people"):
        return None
    rows = dataset.coverage
    if layer.source == "counts":
        rows = rows[rows["source"].eq("counts") & rows["force"].eq(layer.categories[0])]
        return {int(month.year): 12 for month in pd.DatetimeIndex(rows["month"])}
    return coverage.months_by_year(rows[rows["source"].eq(layer.source)])


def period_label(dataset: Dataset, layer_key: str, last_year: int, years: int = 1) -> str:
    """``"2018/19"``, or ``"2018/19, 5 of 12 months"`` when the layer's source covers only part of it."""
    return coverage.period_label(last_year, years, months_covered(dataset, layer_key))


def partial_years_note(dataset: Dataset, layer_keys: list[str]) -> str:
    """One sentence naming the years each layer's source covers only in part ("" if none):
    ``"Part years: Ambulance call-outs ...: 2019/20 (5 of 12 months)."``"""
    parts = []
    for key in layer_keys:
        months = months_covered(dataset, key) or {}
        years = [f"{financial_year_label(y)} ({n} of 12 months)" for y, n in sorted(months.items()) if n < 12]
        if years:
            parts.append(f"{resolve_layer(key).label}: {', '.join(years)}")
    return "Part years: " + "; ".join(parts) + "." if parts else ""


def complete_years(dataset: Dataset, layer_key: str) -> tuple[list[int], list[str]]:
    """The financial years with data that the layer's source covers in full, and a note per year
    left out (``"2023/24 is left out: 5 of 12 months"``): forecasts and backtests use whole years."""
    years = covered_years(dataset, layer_key)
    months = months_covered(dataset, layer_key)
    if months is None:
        return years, []
    whole = [year for year in years if months.get(year, 0) >= 12]
    notes = [f"{financial_year_label(year)} is left out: its data cover {months.get(year, 0)} of 12 months"
             for year in years if year not in whole]
    return whole, notes


MEASURES = {
    "count": "Count",
    "rate_per_1000": "Rate per 1,000 residents aged 10-24",
    "count_change": "Change in count from the previous period",
    "rate_change": "Change in rate per 1,000 from the previous period",
}


def measure_table(dataset: Dataset, layer_key: str, ward_codes: list[str], *, last_year: int, years: int = 1,
                  gang: str | None = None) -> pd.DataFrame:
    """Every measure for each ward over the ``years`` ending ``last_year``, and the change from the
    period of the same length just before.

    Returns ``ward_code, count, population_10_24, rate_per_1000, previous_count, previous_rate,
    count_change, rate_change``. A period touching a year the layer has no data for is NaN
    (no data), which maps show differently from zero.
    """
    covered = covered_years(dataset, layer_key)
    span = list(range(last_year - 2 * years + 1, last_year + 1))
    counts = layer_counts(dataset, layer_key, ward_codes, span, gang=gang)
    counts["count"] = counts["count"].where(counts["financial_year"].isin(covered))
    now = period_values(counts, dataset.population, last_year=last_year, years=years)
    before = period_values(counts, dataset.population, last_year=last_year - years, years=years)
    out = now.merge(before[["ward_code", "count", "rate_per_1000"]].rename(
        columns={"count": "previous_count", "rate_per_1000": "previous_rate"}), on="ward_code", how="left")
    out["count_change"] = out["count"] - out["previous_count"]
    out["rate_change"] = out["rate_per_1000"] - out["previous_rate"]
    return out


def layer_counts(dataset: Dataset, layer_key: str, ward_codes: list[str], years: list[int],
                 *, gang: str | None = None) -> pd.DataFrame:
    """Counts for one layer: ``ward_code, financial_year, count`` for every ward and year
    (nominals: of one ``gang`` only, if given)."""
    layer = resolve_layer(layer_key)
    if layer.source == "counts":  # an area-year the table leaves out is no data, not zero
        table = dataset.counts[dataset.counts["layer"].eq(layer.categories[0])]
        grid = pd.MultiIndex.from_product([sorted(ward_codes), sorted(years)], names=["ward_code", "financial_year"])
        given = table.rename(columns={"area_code": "ward_code"}).set_index(["ward_code", "financial_year"])["count"]
        return given.astype("float64").reindex(grid).rename("count").reset_index()
    if layer.source == "nominals":
        nominals = dataset.nominals if gang is None else dataset.nominals[dataset.nominals["gang"].eq(gang)]
        return nominals_by_ward_year(nominals, ward_codes, years)
    if layer.source == "people":
        return counts_by_ward_year(people_of_layer(dataset.people, layer), ward_codes, years)
    return counts_by_ward_year(layer_events(dataset.events, layer), ward_codes, years)


def people_of_layer(people: pd.DataFrame, layer: Layer) -> pd.DataFrame:
    """The people a ``people`` layer counts: every group, or the one its key names (by slug)."""
    if not layer.categories:
        return people
    return people[people["group"].map(geography.slug).eq(layer.categories[0])]


def layer_events(events: pd.DataFrame, layer: Layer) -> pd.DataFrame:
    """The events a layer counts."""
    wanted = {geography.slug(c) for c in layer.categories}
    categories = [c for c in events["category"].unique() if geography.slug(c) in wanted]
    keep = events["source"].eq(layer.source) & events["category"].isin(categories)  # isin: 10x map's speed
    if layer.youth_only:
        keep &= events["age_band"].isin(YOUTH_AGE_BANDS)
    if layer.exclude_domestic:
        keep &= events["domestic"].fillna(False).eq(False)
    return events[keep]


def counts_by_ward_year(events: pd.DataFrame, ward_codes: list[str], years: list[int]) -> pd.DataFrame:
    """Event counts per ward and financial year, zero-filled over ``ward_codes`` x ``years``."""
    grid = pd.MultiIndex.from_product([sorted(ward_codes), sorted(years)], names=["ward_code", "financial_year"])
    counts = events.groupby(["ward_code", "financial_year"]).size().reindex(grid, fill_value=0)
    return counts.rename("count").astype("int64").reset_index()


def nominals_by_ward_year(nominals: pd.DataFrame, ward_codes: list[str], years: list[int]) -> pd.DataFrame:
    """Nominals on the register at any time in each financial year, by home ward."""
    rows = []
    for year in sorted(years):
        start, end = pd.Timestamp(f"{year}-04-01"), pd.Timestamp(f"{year + 1}-03-31")
        active = nominals["date_added"].le(end) & (nominals["date_removed"].isna() | nominals["date_removed"].ge(start))
        rows.append(nominals.loc[active, ["ward_code"]].assign(financial_year=year))
    return counts_by_ward_year(pd.concat(rows, ignore_index=True), ward_codes, years)


def period_values(counts: pd.DataFrame, population: pd.DataFrame, *, last_year: int, years: int = 1) -> pd.DataFrame:
    """Count and rate per 1,000 residents aged 10-24 per ward over the ``years`` ending ``last_year``.

    For a window of more than one year the rate is per year: total count divided by the summed
    population, times 1,000. Returns ``ward_code, count, population_10_24, rate_per_1000``, where
    ``population_10_24`` is the mean over the window and the rate is NaN without a population.
    """
    window = list(range(last_year - years + 1, last_year + 1))
    in_window = counts[counts["financial_year"].isin(window)]
    totals = in_window.groupby("ward_code")["count"].sum(min_count=len(window))  # any year missing: no data
    people = population[population["financial_year"].isin(window)].groupby("ward_code")["population_10_24"]
    person_years = people.sum().reindex(totals.index)
    has_all_years = people.count().reindex(totals.index).eq(len(window))
    out = pd.DataFrame({"count": totals, "population_10_24": person_years / len(window)})
    out["rate_per_1000"] = np.where(has_all_years & person_years.gt(0), 1000 * totals / person_years, np.nan)
    return out.reset_index()


def regional_mean(values: pd.Series) -> float:
    """Mean of a ward measure across the region, ignoring wards without a value."""
    return float(values.mean(skipna=True))
