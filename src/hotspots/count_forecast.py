"""Counts, not only chances: next year's expected count per area with a prediction interval.

A negative binomial regression (statsmodels, NB2) of the count on the log of each of the last
five years' counts (fewer where the data are shorter, as for the direct model), with the
log-population offset and the neighbours' prior counts where given, fitted on every earlier
target year. From each area's mean and the fitted dispersion: the expected count, the
``settings.COUNT_INTERVAL_LEVEL`` prediction interval (default 80%: the 10th to the 90th
percentile of the predicted distribution) and the chance of two or more, the report's finding
for its 6+ band.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy.stats import nbinom

from hotspots import backtest, settings
from hotspots._errors import CountTableError

COLUMNS = ["area_code", "expected_count", "count_low", "count_high", "probability_two_or_more"]


@dataclass(frozen=True)
class CountForecast:
    """``areas``: one row per area (``COLUMNS``); ``notes``: what the fit warned of, in words."""

    areas: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def count_forecast(counts: pd.DataFrame, *, target_year: int, population: pd.DataFrame | None = None,
                   neighbours: dict[str, list[str]] | None = None, level: float | None = None) -> CountForecast:
    """Per area with counts for both prior years: ``expected_count``, ``count_low`` and
    ``count_high`` (the prediction interval at ``level``) and ``probability_two_or_more`` in
    ``target_year``, from ``counts`` (``area_code, financial_year, count``) before it."""
    train, test = backtest.forecast_design(counts, target_year, population=population, neighbours=neighbours)
    with warnings.catch_warnings(record=True) as caught:  # e.g. no convergence on a few sparse years
        warnings.simplefilter("always")
        mean, alpha = negative_binomial_means(train, test)
    areas = pd.DataFrame({"area_code": test["area_code"].to_numpy(), **count_intervals(mean, alpha, level=level)})
    return CountForecast(areas, list(dict.fromkeys(f"expected counts: {w.message}" for w in caught)))


def negative_binomial_means(train: pd.DataFrame, test: pd.DataFrame) -> tuple[np.ndarray, float]:
    """Each ``test`` row's predicted mean count and the dispersion ``alpha`` (variance = mean + alpha mean^2),
    from :func:`backtest.model_rows` rows; a :class:`CountTableError` when the counts cannot be fitted."""
    lags = backtest.usable_lags(train, test)
    train = train[train[list(lags)].notna().all(axis=1)]
    features = lambda rows: sm.add_constant(backtest.lag_features(rows, lags), has_constant="add")
    try:
        fitted = sm.NegativeBinomial(train["y"].to_numpy(dtype=float), features(train),
                                     offset=np.log(train["exposure"].to_numpy())).fit(disp=0, maxiter=200)
    except np.linalg.LinAlgError as error:  # e.g. nearly all-zero counts: a singular Hessian
        raise CountTableError(f"the negative binomial count model cannot be fitted to these counts ({error}).") from error
    alpha = float(np.asarray(fitted.params)[-1])
    mean = np.asarray(fitted.predict(features(test), offset=np.log(test["exposure"].to_numpy())))
    if not np.isfinite(mean).all() or not np.isfinite(alpha):
        raise CountTableError("the negative binomial count model did not settle on these counts (too few years "
                              "or too few non-zero counts): no expected counts.")
    return mean, alpha


def count_intervals(mean: np.ndarray, alpha: float, *, level: float | None = None) -> dict[str, np.ndarray]:
    """Expected count, prediction interval at ``level`` and P(two or more) of a negative binomial
    with these means and dispersion.

    Counts are whole numbers, so no interval covers exactly ``level``: the equal-tailed one (the
    10th to the 90th percentile for 80%) covers more, often far more at small means (0 to 1
    covers 96% at a mean of 0.3). Of it and the intervals one shorter at either end, the one whose
    predicted coverage is nearest ``level`` is given, so that across areas about ``level`` of
    outcomes fall inside.
    """
    level = settings.COUNT_INTERVAL_LEVEL if level is None else level
    size = 1 / max(alpha, 1e-8)  # alpha -> 0 is the Poisson
    distribution = nbinom(size, size / (size + np.asarray(mean, dtype=float)))
    low, high = distribution.ppf((1 - level) / 2), distribution.ppf((1 + level) / 2)
    candidates = [(low, high), (low + 1, high), (low, high - 1), (low + 1, high - 1)]
    misses = np.array([np.where(lo <= hi, np.abs(distribution.cdf(hi) - distribution.cdf(lo - 1) - level), np.inf)
                       for lo, hi in candidates])
    nearest = misses.argmin(axis=0)
    lows, highs = np.array([lo for lo, _ in candidates]), np.array([hi for _, hi in candidates])
    picked = np.arange(len(nearest))
    return {"expected_count": np.asarray(mean, dtype=float),
            "count_low": lows[nearest, picked].astype(int), "count_high": highs[nearest, picked].astype(int),
            "probability_two_or_more": distribution.sf(1)}
