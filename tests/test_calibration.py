"""Recalibration on earlier origins only, and the largest calibration gap, on simulated data."""

import numpy as np
import pandas as pd
import pytest

from hotspots import backtest, calibration


def _overconfident(years: int = 6, areas: int = 2000, seed: int = 4) -> pd.DataFrame:
    """Backtest-shaped predictions whose chances are too extreme: the truth is p, the model says p**3 pushed out."""
    rng = np.random.default_rng(seed)
    truth = rng.uniform(0.05, 0.95, (years, areas))
    said = 1 / (1 + np.exp(-3 * np.log(truth / (1 - truth))))  # three times as sure as it should be
    return pd.DataFrame({"model": "m", "area_code": np.tile([f"A{i}" for i in range(areas)], years),
                         "target_year": np.repeat(np.arange(2016, 2016 + years), areas),
                         "y": rng.binomial(1, truth).ravel(), "probability": said.ravel()})


@pytest.mark.parametrize("method", calibration.METHODS)
def test_recalibration_never_sees_the_origin_it_is_scored_on(method):
    predictions = _overconfident()
    before = calibration.recalibrate_by_origin(predictions, method=method)
    for year in (2017, 2019, 2020):
        flipped = predictions.copy()
        in_year = flipped["target_year"] == year
        flipped.loc[in_year, "y"] = 1 - flipped.loc[in_year, "y"]  # that year's outcomes, all wrong
        after = calibration.recalibrate_by_origin(flipped, method=method)
        same = (predictions["target_year"] <= year).to_numpy()
        np.testing.assert_allclose(after[same], before[same])  # that year and earlier: unchanged
        assert not np.allclose(after[~same], before[~same])  # later years learn from it
    assert before[predictions["target_year"] == 2016].isna().all()  # nothing earlier to learn from


@pytest.mark.parametrize("method", calibration.METHODS)
def test_recalibration_closes_the_gap_of_an_overconfident_model(method):
    predictions = _overconfident()
    predictions["recalibrated"] = calibration.recalibrate_by_origin(predictions, method=method)
    rows = backtest.compared_rows(predictions)
    raw = calibration.largest_gaps(backtest.calibration_table(rows))
    fixed = calibration.largest_gaps(backtest.calibration_table(rows, column="recalibrated"))
    assert raw["m"] > 0.1 and fixed["m"] < 0.04
    outcome = rows["y"].to_numpy()
    assert backtest.log_loss(outcome, rows["recalibrated"].to_numpy()) < backtest.log_loss(outcome, rows["probability"].to_numpy())


def test_largest_gap_counts_only_bins_with_enough_ward_years():
    table = pd.DataFrame({"model": ["m", "m", "m"], "predicted": [0.15, 0.55, 0.95], "observed": [0.10, 0.90, 0.94],
                          "n": [400, 49, 50]})
    assert calibration.largest_gaps(table, min_ward_years=50)["m"] == pytest.approx(0.05)
    assert calibration.largest_gaps(table, min_ward_years=10)["m"] == pytest.approx(0.35)
    assert np.isnan(calibration.largest_gaps(table, min_ward_years=500)["m"])


def test_one_class_in_the_past_leaves_chances_as_they_were_and_bad_methods_are_named():
    mapping = calibration.fit_recalibration(np.array([0.2, 0.4]), np.array([0, 0]))
    np.testing.assert_allclose(mapping(np.array([0.3, 0.9])), [0.3, 0.9])
    with pytest.raises(ValueError, match="Unknown recalibration method 'magic'; choose from platt, isotonic"):
        calibration.fit_recalibration(np.array([0.2, 0.4]), np.array([0, 1]), method="magic")


def test_the_backtest_scores_raw_and_recalibrated_side_by_side():
    rng = np.random.default_rng(8)
    rates = rng.gamma(0.7, 1.2, 300)
    counts = pd.DataFrame({"area_code": np.repeat([f"W{i:03d}" for i in range(300)], 8),
                           "financial_year": np.tile(np.arange(2012, 2020), 300), "count": rng.poisson(np.repeat(rates, 8))})
    result = backtest.backtest(counts, models=("rule", "logistic"))
    first = result.metrics["target_year"] == result.metrics["target_year"].min()
    assert result.metrics.loc[first, "log_loss_recalibrated"].isna().all()
    assert result.metrics.loc[~first, ["log_loss_recalibrated", "brier_recalibrated"]].notna().all().all()
    assert set(result.calibration["version"]) == {"raw", "recalibrated"}
    assert (result.calibration.groupby(["model", "version"])["n"].sum() == 300 * 4).all()  # the same ward-years


def test_platts_pooled_fit_for_few_distinct_chances_is_the_row_by_row_fit(monkeypatch):
    rng = np.random.default_rng(2)
    chance = rng.choice([0.1, 0.3, 0.6, 0.9], 5000)
    outcome = rng.binomial(1, np.clip(chance * 1.1, 0, 1))
    pooled = calibration.fit_recalibration(chance, outcome, method="platt")(np.array([0.2, 0.5, 0.8]))
    monkeypatch.setattr(calibration, "DISTINCT_CHANCES_POOLED", 0)
    by_row = calibration.fit_recalibration(chance, outcome, method="platt")(np.array([0.2, 0.5, 0.8]))
    np.testing.assert_allclose(pooled, by_row, rtol=1e-6)


def test_past_chances_that_split_the_outcomes_exactly_get_the_isotonic_map() -> None:
    """Platt's slope is unbounded when every past miss had a lower chance than every past hit (a
    few wards, a short series); the map is then the isotonic one, monotone and within the floor."""
    past = np.array([0.05, 0.1, 0.2, 0.3, 0.6, 0.7, 0.8, 0.9])
    happened = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    mapping = calibration.fit_recalibration(past, happened, method="platt")
    mapped = mapping(np.array([0.1, 0.5, 0.9]))
    assert mapped[0] == pytest.approx(calibration.FLOOR) and mapped[2] == pytest.approx(1 - calibration.FLOOR)
    assert np.all(np.diff(mapped) >= 0)
