"""The 2020 Thurrock report's prior-two-year rule, exactly, on a plain area-by-year count table.

For every target year Y with counts for Y-2, Y-1 and Y, an area's prior count is
count(Y-2) + count(Y-1), put in a band (default 0, 1-2, 3-5, 6+); the outcome is count(Y) >= 1
(and >= 2, shown too). Pooling every (area, Y) pair gives P(outcome | band) with a 95% Wilson
interval; applying it to the latest two years forecasts the next. Count tables are read by
``readers.count_table``, the same reader the import uses.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from hotspots._errors import CountTableError
from hotspots.periods import financial_year_label, window_label

logger = logging.getLogger(__name__)

#: Default bands of the prior two-year count: (lowest, highest or None for open-ended).
DEFAULT_BANDS: tuple[tuple[int, int | None], ...] = ((0, 0), (1, 2), (3, 5), (6, None))
#: Map risk bands: (lowest probability, label), highest first.
RISK_BANDS: tuple[tuple[float, str], ...] = ((0.7, "70%+"), (0.5, "50-70%"), (0.3, "30-50%"), (0.0, "under 30%"))


@dataclass(frozen=True)
class RuleForecast:
    """A forecast for ``target_year`` with the band table it used and the areas it could not cover."""

    target_year: int
    areas: pd.DataFrame
    band_table: pd.DataFrame
    not_forecast: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def band_labels(bands: tuple[tuple[int, int | None], ...] = DEFAULT_BANDS) -> list[str]:
    """``((0, 0), (1, 2), (6, None))`` -> ``["0", "1-2", "6+"]``."""
    return [str(low) if high == low else f"{low}+" if high is None else f"{low}-{high}" for low, high in bands]


def band_of(prior_counts: pd.Series, bands: tuple[tuple[int, int | None], ...] = DEFAULT_BANDS) -> pd.Series:
    """The band label of each prior two-year count."""
    _check_bands(bands)
    labels = np.array(band_labels(bands))
    position = np.searchsorted([low for low, _ in bands], prior_counts.to_numpy(), side="right") - 1
    return pd.Series(labels[position], index=prior_counts.index)


def prior_two_year_pairs(counts: pd.DataFrame, bands: tuple[tuple[int, int | None], ...] = DEFAULT_BANDS) -> pd.DataFrame:
    """Every (area, target year) with counts for Y-2, Y-1 and Y: prior count, band and outcome."""
    wide = counts.pivot(index="area_code", columns="financial_year", values="count")
    rows = []
    for year in wide.columns:
        if year - 1 in wide.columns and year - 2 in wide.columns:
            window = wide[[year - 2, year - 1, year]].dropna()
            rows.append(pd.DataFrame({"area_code": window.index, "target_year": year,
                                      "prior_two_year_count": (window[year - 2] + window[year - 1]).astype(int).to_numpy(),
                                      "outcome_count": window[year].astype(int).to_numpy()}))
    if not rows:
        return pd.DataFrame(columns=["area_code", "target_year", "prior_two_year_count", "band", "outcome_count"])
    pairs = pd.concat(rows, ignore_index=True)
    pairs.insert(3, "band", band_of(pairs["prior_two_year_count"], bands))
    return pairs


def rule_band_table(pairs: pd.DataFrame, bands: tuple[tuple[int, int | None], ...] = DEFAULT_BANDS) -> pd.DataFrame:
    """P(at least one | band) and P(two or more | band) pooled over ``pairs``, with 95% Wilson intervals.

    A band with no ward-years has NaN probability and interval, not a guess.
    """
    rows = []
    for label in band_labels(bands):
        outcomes = pairs.loc[pairs["band"] == label, "outcome_count"]
        n, hits, twos = len(outcomes), int((outcomes >= 1).sum()), int((outcomes >= 2).sum())
        low, high = proportion_confint(hits, n, alpha=0.05, method="wilson") if n else (np.nan, np.nan)
        rows.append({"band": label, "ward_years": n, "with_outcome": hits,
                     "probability": hits / n if n else np.nan, "lower": low, "upper": high,
                     "with_two_or_more": twos, "probability_two_or_more": twos / n if n else np.nan})
    return pd.DataFrame(rows)


def forecast_rule(counts: pd.DataFrame, *, target_year: int | None = None,
                  bands: tuple[tuple[int, int | None], ...] = DEFAULT_BANDS) -> RuleForecast:
    """Forecast P(at least one in ``target_year``) per area from its prior two years.

    The band table pools every target year before ``target_year`` (default: the year after the
    latest in the data). Areas lacking either prior year are listed in ``not_forecast``.
    """
    years = sorted(counts["financial_year"].unique())
    target_year = years[-1] + 1 if target_year is None else target_year
    history = counts[counts["financial_year"] < target_year]
    pairs = prior_two_year_pairs(history, bands)
    notes = _edge_notes(history, pairs, target_year)
    table = rule_band_table(pairs, bands)
    wide = history.pivot(index="area_code", columns="financial_year", values="count")
    prior_years = [target_year - 2, target_year - 1]
    present = wide.reindex(columns=prior_years)
    has_both = present.notna().all(axis=1)
    missing = present.index[~has_both]
    not_forecast = pd.DataFrame({"area_code": missing, "reason": [
        "no count for " + " or ".join(financial_year_label(y) for y in prior_years if pd.isna(present.loc[a, y]))
        for a in missing]})
    areas = _apply_bands(present[has_both], table, bands, prior_years)
    empty = table.loc[table["ward_years"] == 0, "band"].tolist()
    if empty:
        notes.append(f"band(s) {', '.join(empty)} have no ward-years before {financial_year_label(target_year)}: "
                     "areas in them get no probability.")
    return RuleForecast(target_year, areas, table, not_forecast, notes)


def risk_band(probability: float) -> str:
    """The map's risk band for a probability (70%+, 50-70%, 30-50%, under 30%); "" if unknown."""
    if np.isnan(probability):
        return ""
    return next(label for floor, label in RISK_BANDS if probability >= floor)


def _apply_bands(prior: pd.DataFrame, table: pd.DataFrame, bands, prior_years: list[int]) -> pd.DataFrame:
    totals = (prior[prior_years[0]] + prior[prior_years[1]]).astype(int)
    areas = pd.DataFrame({"area_code": totals.index, "prior_two_year_count": totals.to_numpy()})
    areas["band"] = band_of(areas["prior_two_year_count"], bands).to_numpy()
    areas = areas.merge(table[["band", "probability", "lower", "upper", "ward_years", "with_outcome"]], on="band", how="left")
    areas["risk_band"] = areas["probability"].map(risk_band)
    window = window_label(prior_years[1])
    areas["explanation"] = [_explain(row, window) for row in areas.itertuples()]
    return areas


def _explain(row, window: str) -> str:
    if row.ward_years == 0:
        return f"{row.prior_two_year_count} in {window}, band {row.band}: no earlier ward-years in this band."
    return (f"{row.prior_two_year_count} in {window}, band {row.band}: {row.with_outcome} of {row.ward_years} such "
            f"ward-years ({row.probability:.0%}, 95% interval {row.lower:.0%}-{row.upper:.0%}) "
            "had at least one the next year")


def _edge_notes(history: pd.DataFrame, pairs: pd.DataFrame, target_year: int) -> list[str]:
    notes = []
    if history["financial_year"].nunique() < 3 or pairs.empty:
        raise CountTableError(
            f"The rule needs at least three consecutive financial years before {financial_year_label(target_year)} "
            f"(two prior years and an outcome year); the data have {history['financial_year'].nunique()}.")
    if history["count"].sum() == 0:
        notes.append("every count is zero: every band's probability is 0%.")
    per_area = history.groupby("area_code")["financial_year"].agg(["min", "max", "count"])
    first, last = history["financial_year"].min(), history["financial_year"].max()
    changed = per_area[(per_area["min"] > first) | (per_area["max"] < last)]
    if len(changed):
        notes.append(f"{len(changed)} area(s) appear or disappear during the data (e.g. {', '.join(changed.index[:3])}): "
                     "they contribute only the years they have.")
    return notes


def _check_bands(bands) -> None:
    lows = [low for low, _ in bands]
    contiguous = all((high is not None and high + 1 == nxt) for (_, high), nxt in zip(bands[:-1], lows[1:]))
    if lows[0] != 0 or not contiguous or bands[-1][1] is not None:
        raise ValueError(f"Bands must start at 0, follow on without gaps and end open (like 6+); got {bands}.")
