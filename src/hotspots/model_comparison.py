"""Which forecast model is best, and whether its difference from the rule is real.

Models are ranked by their rolling-origin log loss. The best is compared with the report's rule
ward-year by ward-year (the same areas and years, so the comparison is paired): the mean
difference in Brier score and log loss, with a percentile interval from resampling whole wards
(a ward's years stay together, as they are not independent), seeded with ``settings.SEED``.
"Better than the rule" is said only when both intervals lie below zero.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hotspots import backtest, calibration, settings

#: Ranking columns, all means over the ward-years scored both raw and recalibrated.
RANKING_COLUMNS = ["model", "rank", "log_loss", "brier", "auc", "hit_rate", "pai", "largest_gap",
                   "log_loss_recalibrated", "brier_recalibrated", "largest_gap_recalibrated", "target_years"]
BETTER, WORSE, UNCLEAR = "better than the rule", "worse than the rule", "not clearly different from the rule"


def model_ranking(result: backtest.BacktestResult) -> pd.DataFrame:
    """One row per model, best (lowest log loss) first: raw and recalibrated scores side by side,
    each over the same target years, and the largest calibration gap of each."""
    metrics = result.metrics
    scored = metrics[metrics["log_loss_recalibrated"].notna()]
    scored = scored if len(scored) else metrics
    means = scored.groupby("model", sort=False).agg(
        log_loss=("log_loss", "mean"), brier=("brier", "mean"), auc=("auc", "mean"), hit_rate=("hit_rate", "mean"),
        pai=("pai", "mean"), log_loss_recalibrated=("log_loss_recalibrated", "mean"),
        brier_recalibrated=("brier_recalibrated", "mean"), target_years=("target_year", "nunique"))
    gaps = calibration.largest_gaps(result.calibration).unstack("version").reindex(columns=["raw", "recalibrated"])
    means = means.assign(largest_gap=gaps["raw"], largest_gap_recalibrated=gaps["recalibrated"])
    ranked = means.sort_values("log_loss", kind="stable").reset_index()
    return ranked.assign(rank=np.arange(1, len(ranked) + 1))[RANKING_COLUMNS]


def paired_difference(predictions: pd.DataFrame, model: str, baseline: str = "rule", *,
                      resamples: int | None = None, level: float | None = None,
                      seed: int | None = None) -> pd.DataFrame:
    """``model`` minus ``baseline`` in mean Brier score and log loss over the ward-years both
    forecast (``backtest`` predictions), negative where ``model`` is better, with a paired
    bootstrap interval over wards: columns ``metric, difference, lower, upper``."""
    resamples = settings.PAIRED_BOOTSTRAP_RESAMPLES if resamples is None else resamples
    level = settings.PAIRED_INTERVAL_LEVEL if level is None else level
    rng = np.random.default_rng(settings.SEED if seed is None else seed)
    pairs = _paired_losses(backtest.compared_rows(predictions), model, baseline)
    if pairs.empty:
        raise ValueError(f"No ward-years forecast by both {model} and {baseline}: nothing to compare.")
    by_ward = pairs.groupby("area_code")[["brier", "log_loss"]].agg(["sum", "count"])
    rows = []
    for metric in ("brier", "log_loss"):
        sums, counts = by_ward[(metric, "sum")].to_numpy(), by_ward[(metric, "count")].to_numpy(dtype=float)
        draws = _resampled_means(sums, counts, resamples, rng)
        low, high = np.quantile(draws, [(1 - level) / 2, (1 + level) / 2])
        rows.append({"metric": metric, "difference": sums.sum() / counts.sum(), "lower": low, "upper": high})
    return pd.DataFrame(rows)


def verdict(difference: pd.DataFrame) -> str:
    """``BETTER`` only when every interval lies below zero, ``WORSE`` when every one lies above, else ``UNCLEAR``."""
    if (difference["upper"] < 0).all():
        return BETTER
    if (difference["lower"] > 0).all():
        return WORSE
    return UNCLEAR


def _paired_losses(predictions: pd.DataFrame, model: str, baseline: str) -> pd.DataFrame:
    keys = ["area_code", "target_year"]
    mine = predictions.loc[predictions["model"] == model, keys + ["y", "probability"]]
    theirs = predictions.loc[predictions["model"] == baseline, keys + ["probability"]]
    both = mine.merge(theirs, on=keys, suffixes=("", "_baseline")).set_index(keys)
    outcome = (both["y"] >= 1).to_numpy(dtype=float)
    losses = {}
    for metric, loss in (("brier", _brier_terms), ("log_loss", _log_loss_terms)):
        losses[metric] = loss(outcome, both["probability"].to_numpy()) - loss(outcome, both["probability_baseline"].to_numpy())
    return pd.DataFrame(losses, index=both.index).reset_index()


def _brier_terms(outcome: np.ndarray, probability: np.ndarray) -> np.ndarray:
    return (probability - outcome) ** 2


def _log_loss_terms(outcome: np.ndarray, probability: np.ndarray) -> np.ndarray:
    p = np.clip(probability, 1e-15, 1 - 1e-15)
    return -(outcome * np.log(p) + (1 - outcome) * np.log(1 - p))


def _resampled_means(sums: np.ndarray, counts: np.ndarray, resamples: int, rng: np.random.Generator) -> np.ndarray:
    """Mean difference per ward-year in each resample of wards (drawn in blocks to bound memory)."""
    draws, block = [], max(1, 2_000_000 // len(sums))
    for start in range(0, resamples, block):
        picked = rng.integers(0, len(sums), (min(block, resamples - start), len(sums)))
        draws.append(sums[picked].sum(axis=1) / counts[picked].sum(axis=1))
    return np.concatenate(draws)
