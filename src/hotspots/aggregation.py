"""Layers (which events count) and ward-by-year counts, rates and period values.

Every table lists every requested ward for every requested year, zero where nothing happened.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from hotspots.loading import Dataset

YOUTH_AGE_BANDS = ("10-17", "18-24")


@dataclass(frozen=True)
class Layer:
    """What one map layer counts: events of ``source`` in ``categories``, optionally filtered."""

    key: str
    label: str
    source: str
    categories: tuple[str, ...]
    youth_only: bool = True
    exclude_domestic: bool = False
    restricted: bool = False


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
]}


def layer_counts(dataset: Dataset, layer_key: str, ward_codes: list[str], years: list[int]) -> pd.DataFrame:
    """Counts for one layer: ``ward_code, financial_year, count`` for every ward and year."""
    layer = LAYERS[layer_key]
    if layer.source == "nominals":
        return nominals_by_ward_year(dataset.nominals, ward_codes, years)
    return counts_by_ward_year(layer_events(dataset.events, layer), ward_codes, years)


def layer_events(events: pd.DataFrame, layer: Layer) -> pd.DataFrame:
    """The events a layer counts."""
    keep = events["source"].eq(layer.source) & events["category"].isin(layer.categories)
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
    totals = in_window.groupby("ward_code")["count"].sum()
    people = population[population["financial_year"].isin(window)].groupby("ward_code")["population_10_24"]
    person_years = people.sum().reindex(totals.index)
    has_all_years = people.count().reindex(totals.index).eq(len(window))
    out = pd.DataFrame({"count": totals, "population_10_24": person_years / len(window)})
    out["rate_per_1000"] = np.where(has_all_years & person_years.gt(0), 1000 * totals / person_years, np.nan)
    return out.reset_index()


def regional_mean(values: pd.Series) -> float:
    """Mean of a ward measure across the region, ignoring wards without a value."""
    return float(values.mean(skipna=True))
