"""Emerging hot spots: each area's Gi* hot and cold spots over the years, classified as in Esri's
Emerging Hot Spot Analysis (new, consecutive, intensifying, persistent, diminishing, sporadic,
oscillating and historical hot and cold spots, or no pattern).

Gi* per financial year on the same queen weights and permutations as the ward map's Gi*
(``hotspot_statistics``), a Mann-Kendall trend test on each area's yearly z-scores, and the rules
written out in docs/emerging-hotspots.md. Everything is vectorised over areas, so 8,000 areas over
ten years take about as long as their ten Gi* runs (``bench/emerging.py``). The areas and their
level (wards, LSOAs, grid cells) are inputs: any polygons with a ``ward_code`` id column.
"""

from __future__ import annotations

from dataclasses import dataclass

import esda
import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import stats

from hotspots import hotspot_statistics, settings
from hotspots._errors import PeriodError

NO_PATTERN = "no pattern"
NOT_TESTED = "not tested"
#: The categories in the order tables list them (hot, then cold, then none), with what each says.
MEANINGS = {
    "new hot spot": "a significant hot spot in the last year, and never before",
    "consecutive hot spot": "a significant hot spot in an unbroken run of at least two of the last years, and never "
                            "before that run (in fewer than 90% of the years)",
    "intensifying hot spot": "a significant hot spot in at least 90% of the years, the last included, and the "
                             "clustering of high values has grown significantly stronger",
    "persistent hot spot": "a significant hot spot in at least 90% of the years, the last included, with no "
                           "significant trend in how strong the clustering is",
    "diminishing hot spot": "a significant hot spot in at least 90% of the years, the last included, but the "
                            "clustering of high values has grown significantly weaker",
    "sporadic hot spot": "a significant hot spot in the last year, and on and off before, in fewer than 90% of the "
                         "years, and never a significant cold spot",
    "oscillating hot spot": "a significant hot spot in the last year that has been a significant cold spot in an "
                            "earlier year (a hot spot in fewer than 90% of the years)",
    "historical hot spot": "not a hot spot in the last year, but a significant hot spot in at least 90% of the years",
    "new cold spot": "a significant cold spot in the last year, and never before",
    "consecutive cold spot": "a significant cold spot in an unbroken run of at least two of the last years, and never "
                             "before that run (in fewer than 90% of the years)",
    "intensifying cold spot": "a significant cold spot in at least 90% of the years, the last included, and the "
                              "clustering of low values has grown significantly stronger",
    "persistent cold spot": "a significant cold spot in at least 90% of the years, the last included, with no "
                            "significant trend in how strong the clustering is",
    "diminishing cold spot": "a significant cold spot in at least 90% of the years, the last included, but the "
                             "clustering of low values has grown significantly weaker",
    "sporadic cold spot": "a significant cold spot in the last year, and on and off before, in fewer than 90% of "
                          "the years, and never a significant hot spot",
    "oscillating cold spot": "a significant cold spot in the last year that has been a significant hot spot in an "
                             "earlier year (a cold spot in fewer than 90% of the years)",
    "historical cold spot": "not a cold spot in the last year, but a significant cold spot in at least 90% of the "
                            "years",
    NO_PATTERN: "none of the hot or cold spot patterns",
}
CATEGORIES = tuple(MEANINGS)
#: Map colours: hot spots in reds and oranges, cold spots in blues and purples, darkest where the
#: pattern is strongest and most recent; no pattern white (its outline shows the ward).
COLOURS = {
    "new hot spot": "#fcbba1", "consecutive hot spot": "#fc9272", "intensifying hot spot": "#67000d",
    "persistent hot spot": "#cb181d", "diminishing hot spot": "#fb6a4a", "sporadic hot spot": "#fdd0a2",
    "oscillating hot spot": "#f16913", "historical hot spot": "#d9b99b",
    "new cold spot": "#c6dbef", "consecutive cold spot": "#9ecae1", "intensifying cold spot": "#08306b",
    "persistent cold spot": "#2171b5", "diminishing cold spot": "#6baed6", "sporadic cold spot": "#dadaeb",
    "oscillating cold spot": "#807dba", "historical cold spot": "#bcbddc",
    NO_PATTERN: "#ffffff",
}
WARD_COLUMNS = ["ward_code", "category", "hot_years", "cold_years", "trend_z", "trend_p", "trend"]
YEAR_COLUMNS = ["ward_code", "financial_year", "value", "z", "p", "significant"]


@dataclass(frozen=True)
class MannKendall:
    """The Mann-Kendall trend test of each series (one value per series): ``s`` the S statistic,
    ``variance`` its variance under no trend (corrected for ties), ``z`` the continuity-corrected
    normal score and ``p`` its two-sided p-value."""

    s: np.ndarray
    variance: np.ndarray
    z: np.ndarray
    p: np.ndarray


@dataclass(frozen=True)
class EmergingHotspots:
    """``wards``: one row per area tested (``WARD_COLUMNS``); ``yearly``: its Gi* each year
    (``YEAR_COLUMNS``); ``years`` the financial years analysed; ``not_tested`` the areas left out
    (no value in some year, or no neighbour)."""

    wards: pd.DataFrame
    yearly: pd.DataFrame
    years: list[int]
    not_tested: list[str]


def mann_kendall(series: np.ndarray) -> MannKendall:
    """Mann-Kendall test of each row of ``series`` (areas x time steps, in time order).

    S = sum over i < j of sign(x_j - x_i); Var(S) = [n(n-1)(2n+5) - sum over tied groups of
    t(t-1)(2t+5)] / 18; z = (S - 1)/sd for S > 0, (S + 1)/sd for S < 0, 0 for S = 0; p = 2(1 - Phi(|z|)).
    """
    x = np.atleast_2d(np.asarray(series, dtype=float))
    n = x.shape[1]
    earlier, later = np.triu_indices(n, k=1)
    s = np.sign(x[:, later] - x[:, earlier]).sum(axis=1)
    ties = np.array([_tie_term(row) for row in x])
    variance = (n * (n - 1) * (2 * n + 5) - ties) / 18.0
    sd = np.sqrt(np.where(variance > 0, variance, np.nan))
    z = np.where(s > 0, (s - 1) / sd, np.where(s < 0, (s + 1) / sd, 0.0))
    z = np.nan_to_num(z, nan=0.0)  # a constant series has no trend
    return MannKendall(s=s.astype(np.int64), variance=variance, z=z, p=2 * stats.norm.sf(np.abs(z)))


def _tie_term(row: np.ndarray) -> float:
    counts = np.unique(row, return_counts=True)[1]
    tied = counts[counts > 1].astype(float)
    return float((tied * (tied - 1) * (2 * tied + 5)).sum())


def classify(z: np.ndarray, significant: np.ndarray, trend: MannKendall, *, alpha: float) -> np.ndarray:
    """The category of each row: ``z`` and ``significant`` are areas x years (time order), the
    Gi* z-score and whether that year's Gi* is significant; ``trend`` the Mann-Kendall test of ``z``.

    A row whose last year is significant is classified by that year's side (hot or cold) first;
    historical patterns, and then no pattern, only when it is neither (docs/emerging-hotspots.md)."""
    z, significant = np.atleast_2d(z), np.atleast_2d(significant).astype(bool)
    n = z.shape[1]
    rising = (trend.p <= alpha) & (trend.z > 0)
    falling = (trend.p <= alpha) & (trend.z < 0)
    conditions, choices = [], []
    for side, spots, others, stronger, weaker in (("hot", significant & (z > 0), significant & (z < 0), rising, falling),
                                                  ("cold", significant & (z < 0), significant & (z > 0), falling,
                                                   rising)):
        years = spots.sum(axis=1)
        mostly = 10 * years >= 9 * n  # at least 90% of the years, in whole numbers
        last = spots[:, -1]
        final_run = np.cumprod(spots[:, ::-1], axis=1).sum(axis=1)  # the unbroken run ending in the last year
        conditions += [last & mostly & stronger, last & mostly & weaker, last & mostly,
                       last & others.any(axis=1), last & (years == 1),
                       last & (years == final_run) & (final_run >= 2), last]
        choices += [f"intensifying {side} spot", f"diminishing {side} spot", f"persistent {side} spot",
                    f"oscillating {side} spot", f"new {side} spot", f"consecutive {side} spot", f"sporadic {side} spot"]
    for side, spots in (("hot", significant & (z > 0)), ("cold", significant & (z < 0))):
        conditions.append(10 * spots.sum(axis=1) >= 9 * n)  # and not that side in the last year: see above
        choices.append(f"historical {side} spot")
    return np.select(conditions, choices, default=NO_PATTERN)


def emerging_hotspots(areas: gpd.GeoDataFrame, yearly: pd.DataFrame, *, permutations: int | None = None,
                      alpha: float | None = None, fdr: bool = False, seed: int | None = None) -> EmergingHotspots:
    """Emerging hot spots of ``yearly`` (``ward_code, financial_year, value``) over ``areas``.

    Each financial year's Gi* uses the same weights and seed as the ward map's (so its z and p are
    the map's Gi* of that year); a year is significant at ``alpha`` (default
    ``settings.EMERGING_ALPHA``), or at the Benjamini-Hochberg cut-off across that year's areas with
    ``fdr``. Areas without a value in every year, or without a neighbour, are not tested. A
    :class:`PeriodError` when fewer than ``settings.EMERGING_MIN_YEARS`` years are given.
    """
    permutations = settings.EMERGING_PERMUTATIONS if permutations is None else permutations
    alpha = settings.EMERGING_ALPHA if alpha is None else alpha
    seed = settings.SEED if seed is None else seed
    values = yearly.pivot_table(index="ward_code", columns="financial_year", values="value", aggfunc="first",
                                dropna=False)
    years = sorted(int(year) for year in values.columns)
    if len(years) < settings.EMERGING_MIN_YEARS:
        raise PeriodError(f"Emerging hot spots need at least {settings.EMERGING_MIN_YEARS} financial years (fewer "
                          f"can never show a significant trend); these data have {len(years)}.")
    complete = values.reindex(areas["ward_code"]).dropna()
    tested, weights = hotspot_statistics.tested_weights(areas, complete.index)
    if weights is None:
        return EmergingHotspots(pd.DataFrame(columns=WARD_COLUMNS), pd.DataFrame(columns=YEAR_COLUMNS), years,
                                sorted(areas["ward_code"]))
    codes = tested["ward_code"].to_numpy()
    y = complete.reindex(codes)[years].to_numpy(dtype=float)
    z, p = np.empty_like(y), np.empty_like(y)
    for column in range(len(years)):  # a year with the same value everywhere has z 0 and p 1: no hot or cold spot
        result = hotspot_statistics.gi_star(y[:, column], weights, permutations=permutations, seed=seed)
        z[:, column], p[:, column] = result.z, result.p
    significant = np.column_stack([p[:, c] <= (esda.fdr(p[:, c], alpha) if fdr else alpha)
                                   for c in range(len(years))])
    trend = mann_kendall(z)
    categories = classify(z, significant, trend, alpha=alpha)
    direction = np.where(trend.p > alpha, "no significant trend", np.where(trend.z > 0, "rising", "falling"))
    wards = pd.DataFrame({"ward_code": codes, "category": categories,
                          "hot_years": (significant & (z > 0)).sum(axis=1),
                          "cold_years": (significant & (z < 0)).sum(axis=1),
                          "trend_z": trend.z, "trend_p": trend.p, "trend": direction})
    by_year = pd.DataFrame({"ward_code": np.repeat(codes, len(years)), "financial_year": np.tile(years, len(codes)),
                            "value": y.ravel(), "z": z.ravel(), "p": p.ravel(), "significant": significant.ravel()})
    not_tested = sorted(set(areas["ward_code"]) - set(codes))
    return EmergingHotspots(wards, by_year, years, not_tested)
