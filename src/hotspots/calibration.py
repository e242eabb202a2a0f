"""Recalibrating a model's chances on earlier origins only, and how far chances are from what happened.

A model that says 97% should be right 97% of the time. Recalibration learns a monotone map from
a model's chance to the share that had at least one, from the model's own rolling-origin
predictions of *earlier* target years, and applies it to the next: logistic (Platt)
recalibration, ``observed ~ a + b * logit(chance)`` (statsmodels), or isotonic regression
(scipy's pool-adjacent-violators), as ``settings.CALIBRATION_METHOD`` says. The largest gap
between predicted and observed is read only over bins holding at least
``settings.CALIBRATION_MIN_WARD_YEARS`` ward-years, where the observed share means something.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy.optimize import isotonic_regression
from scipy.special import expit, logit
from statsmodels.tools.sm_exceptions import PerfectSeparationWarning

from hotspots import settings

METHODS = ("platt", "isotonic")
#: Recalibrated chances stay this far from 0 and 1: a past share of 0% is no proof of never.
FLOOR = 1e-3
#: Up to this many distinct past chances, Platt's fit pools the rows of each (same estimate, far fewer rows).
DISTINCT_CHANCES_POOLED = 1000


def recalibrate_by_origin(predictions: pd.DataFrame, *, method: str | None = None) -> pd.Series:
    """Each row's chance recalibrated by a map fitted on the same model's rows of earlier target
    years only (``model, target_year, y, probability``); NaN in a model's first target year."""
    recalibrated = np.full(len(predictions), np.nan)
    models, years = predictions["model"].to_numpy(), predictions["target_year"].to_numpy()
    chance, outcome = predictions["probability"].to_numpy(dtype=float), (predictions["y"] >= 1).to_numpy()
    for model in pd.unique(models):
        mine = models == model
        for year in np.unique(years[mine])[1:]:
            earlier, current = mine & (years < year), mine & (years == year)
            mapping = fit_recalibration(chance[earlier], outcome[earlier], method=method)
            recalibrated[current] = mapping(chance[current])
    return pd.Series(recalibrated, index=predictions.index)


def fit_recalibration(probability: np.ndarray, outcome: np.ndarray, *,
                      method: str | None = None) -> Callable[[np.ndarray], np.ndarray]:
    """A map from a model's chance to a recalibrated chance, learned from past ``probability`` and
    0/1 ``outcome``. With one class only in the past there is nothing to learn: the map is the identity.
    Where past chances separate the outcomes perfectly, Platt's fit has no finite answer and the
    isotonic map is used instead."""
    method = settings.CALIBRATION_METHOD if method is None else method
    if method not in METHODS:
        raise ValueError(f"Unknown recalibration method {method!r}; choose from {', '.join(METHODS)}.")
    outcome = np.asarray(outcome, dtype=float)
    if outcome.min() == outcome.max():
        return lambda chance: np.asarray(chance, dtype=float)
    if method == "platt":
        with warnings.catch_warnings():
            warnings.simplefilter("error", PerfectSeparationWarning)
            try:
                return _platt(probability, outcome)
            except PerfectSeparationWarning:  # past chances split the outcomes exactly: Platt's slope is unbounded
                pass
    return _isotonic(probability, outcome)  # the monotone map that a perfect split still defines


def largest_gaps(table: pd.DataFrame, *, min_ward_years: int | None = None) -> pd.Series:
    """Per model (and ``version`` where given) of a calibration table: the largest absolute gap
    between predicted and observed over bins with at least ``min_ward_years`` ward-years (NaN if none)."""
    least = settings.CALIBRATION_MIN_WARD_YEARS if min_ward_years is None else min_ward_years
    keys = [key for key in ("model", "version") if key in table]
    counted = table.assign(gap=(table["observed"] - table["predicted"]).abs().where(table["n"] >= least))
    return counted.groupby(keys, sort=False)["gap"].max()


def _platt(probability: np.ndarray, outcome: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    def score(chance: np.ndarray) -> np.ndarray:
        return sm.add_constant(logit(np.clip(chance, FLOOR, 1 - FLOOR)), has_constant="add")

    chances, which = np.unique(probability, return_inverse=True)
    # The rule's few bands: the same fit on one row per chance. With two chances or fewer it would be
    # saturated (no residual degrees of freedom), so those stay row by row.
    if 2 < len(chances) <= DISTINCT_CHANCES_POOLED:
        hits, rows = np.bincount(which, weights=outcome), np.bincount(which)
        fitted = sm.GLM(np.column_stack([hits, rows - hits]), score(chances), family=sm.families.Binomial()).fit()
    else:
        fitted = sm.Logit(outcome, score(probability)).fit(disp=0)  # Newton on two parameters: fast on 50,000 rows
    return lambda chance: np.clip(expit(score(np.asarray(chance, dtype=float)) @ fitted.params), FLOOR, 1 - FLOOR)


def _isotonic(probability: np.ndarray, outcome: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    order = np.argsort(probability, kind="stable")
    fitted = isotonic_regression(outcome[order]).x
    seen, tie = np.unique(probability[order], return_inverse=True)  # np.interp needs one value per chance
    at_seen = np.bincount(tie, weights=fitted) / np.bincount(tie)
    return lambda chance: np.clip(np.interp(chance, seen, at_seen), FLOOR, 1 - FLOOR)
