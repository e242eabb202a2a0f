"""The direct probability model, the negative binomial counts and the paired comparison, on
simulated wards whose truth is known; and the report's figures beside ours."""

import numpy as np
import pandas as pd
import pytest

from hotspots import backtest, count_forecast, forecast, model_comparison, report_figures
from hotspots._errors import CountTableError

YEARS = 8


def _counts(rates: np.ndarray, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"area_code": np.repeat([f"W{i:04d}" for i in range(len(rates))], YEARS),
                         "financial_year": np.tile(np.arange(2012, 2012 + YEARS), len(rates)),
                         "count": rng.poisson(np.repeat(rates, YEARS))})


def _truth(rates: np.ndarray, codes: pd.Series) -> np.ndarray:
    return 1 - np.exp(-pd.Series(rates, index=[f"W{i:04d}" for i in range(len(rates))]).reindex(codes).to_numpy())


def test_the_direct_model_recovers_known_poisson_chances_carried_by_population():
    rng = np.random.default_rng(11)
    people = rng.uniform(200, 6000, 3000)
    rates = 0.4 * people / 1000  # 0.4 a year per 1,000 residents: each ward's chance is known exactly
    counts = _counts(rates, seed=12)
    population = counts[["area_code", "financial_year"]].assign(population=np.repeat(people, YEARS))
    forecast_ = backtest.forecast_with_model(counts, "logistic", target_year=2012 + YEARS, population=population)
    assert np.abs(forecast_["probability"] - _truth(rates, forecast_["area_code"])).mean() < 0.03


def test_the_direct_model_is_right_on_average_where_only_the_counts_carry_the_rate():
    rates = np.random.default_rng(13).choice([0.1, 0.3, 0.7, 1.5, 3.0], 3000)
    forecast_ = backtest.forecast_with_model(_counts(rates, seed=14), "logistic", target_year=2012 + YEARS)
    assert forecast_["probability"].mean() == pytest.approx(_truth(rates, forecast_["area_code"]).mean(), abs=0.03)


def test_the_direct_model_uses_five_years_where_there_are_five_and_fewer_where_not():
    counts = _counts(np.random.default_rng(1).gamma(0.7, 1.2, 200), seed=2)
    train, test = backtest.forecast_design(counts, 2012 + YEARS)
    assert backtest.usable_lags(train, test) == backtest.LAGS
    for target, lags in ((2015, ("lag1", "lag2")), (2016, ("lag1", "lag2", "lag3"))):  # data from 2012
        short_train, short_test = backtest.forecast_design(counts[counts["financial_year"] < target], target)
        assert backtest.usable_lags(short_train, short_test) == lags  # those of the latest year learned from
    assert "logistic" in set(backtest.backtest(counts).metrics["model"])


def test_the_negative_binomial_80_percent_interval_covers_75_to_85_percent():
    for shape, scale, seed in ((0.7, 1.2, 21), (2.0, 3.0, 22)):
        rates = np.random.default_rng(seed).gamma(shape, scale, 3000)
        counts = _counts(rates, seed=seed + 100)
        target = 2012 + YEARS - 1
        expected = count_forecast.count_forecast(counts, target_year=target).areas
        outcome = counts[counts["financial_year"] == target].set_index("area_code")["count"].reindex(
            expected["area_code"]).to_numpy()
        covered = ((outcome >= expected["count_low"]) & (outcome <= expected["count_high"])).mean()
        assert 0.75 <= covered <= 0.85, (shape, scale, covered)
        assert expected["expected_count"].mean() == pytest.approx(outcome.mean(), rel=0.1)
        assert expected["probability_two_or_more"].mean() == pytest.approx((outcome >= 2).mean(), abs=0.03)


def test_counts_that_cannot_be_fitted_say_so():
    sparse = pd.DataFrame([(f"A{i:02d}", year, int(i < 2 and year % 2)) for i in range(20) for year in range(2017, 2020)],
                          columns=["area_code", "financial_year", "count"])
    with pytest.raises(CountTableError, match="negative binomial count model cannot be fitted"):
        count_forecast.count_forecast(sparse, target_year=2020)


def _predictions(rng: np.random.Generator, areas: int = 400, years: int = 5) -> pd.DataFrame:
    truth = rng.uniform(0.05, 0.9, areas * years)
    return pd.DataFrame({"area_code": np.tile([f"A{i}" for i in range(areas)], years),
                         "target_year": np.repeat(np.arange(2018, 2018 + years), areas),
                         "y": rng.binomial(1, truth), "probability": truth, "recalibrated": truth})


def test_the_paired_interval_contains_zero_for_two_identical_models():
    rows = _predictions(np.random.default_rng(31))
    predictions = pd.concat([rows.assign(model="rule"), rows.assign(model="twin")], ignore_index=True)
    difference = model_comparison.paired_difference(predictions, "twin", "rule")
    assert (difference["lower"] <= 0).all() and (difference["upper"] >= 0).all()
    assert model_comparison.verdict(difference) == model_comparison.UNCLEAR


def test_the_paired_interval_excludes_zero_only_when_one_model_is_really_better():
    rng = np.random.default_rng(32)
    rows = _predictions(rng)
    vague = rows.assign(model="rule", probability=0.5 * rows["probability"] + 0.25)
    noisy = rows.assign(model="noisy", probability=np.clip(rows["probability"] + rng.normal(0, 0.01, len(rows)), 0.01, 0.99))
    predictions = pd.concat([vague, rows.assign(model="sharp"), noisy], ignore_index=True)
    better = model_comparison.paired_difference(predictions, "sharp", "rule")
    assert (better["upper"] < 0).all() and model_comparison.verdict(better) == model_comparison.BETTER
    worse = model_comparison.paired_difference(predictions, "rule", "sharp")
    assert model_comparison.verdict(worse) == model_comparison.WORSE
    again = model_comparison.paired_difference(predictions, "sharp", "rule")
    pd.testing.assert_frame_equal(better, again)  # seeded


def test_models_are_ranked_by_log_loss_with_raw_and_recalibrated_side_by_side():
    counts = _counts(np.random.default_rng(41).gamma(0.7, 1.2, 300), seed=42)
    ranking = model_comparison.model_ranking(backtest.backtest(counts))
    assert list(ranking.columns) == model_comparison.RANKING_COLUMNS
    assert ranking["log_loss"].is_monotonic_increasing and ranking["rank"].tolist() == list(range(1, len(ranking) + 1))
    assert ranking[["log_loss_recalibrated", "largest_gap", "largest_gap_recalibrated"]].notna().all().all()
    assert (ranking["target_years"] == YEARS - 4).all()  # backtest targets after the first


def test_the_reports_figures_beside_the_same_on_the_data():
    pairs = forecast.prior_two_year_pairs(pd.DataFrame({
        "area_code": ["A"] * 3 + ["B"] * 3 + ["C"] * 3, "financial_year": [2016, 2017, 2018] * 3,
        "count": [4, 3, 2, 2, 2, 0, 1, 3, 1]}))  # A: 7 -> 2; B: 4 -> 0; C: 4 -> 1
    beside = report_figures.report_beside_data(forecast.rule_band_table(pairs)).set_index("band")
    assert beside.loc["6+", ["published", "recomputed", "ward_years"]].tolist() == [1.0, 1.0, 1]
    assert beside.loc["3-5", ["published", "recomputed", "ward_years", "with_outcome"]].tolist() == [0.72, 0.5, 2, 1]
    assert beside.loc["3-5", "lower"] < 0.5 < beside.loc["3-5", "upper"]
    assert "figure 2.27" in report_figures.SOURCE
