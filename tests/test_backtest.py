import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score

from hotspots import backtest, cli


def _simulated(areas: int = 300, years: int = 8, seed: int = 5) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    rates = rng.gamma(0.7, 1.2, areas)
    codes = [f"W{i:03d}" for i in range(areas)]
    counts = pd.DataFrame({"area_code": np.repeat(codes, years), "financial_year": np.tile(np.arange(2012, 2012 + years), areas),
                           "count": rng.poisson(np.repeat(rates, years))})
    population = counts[["area_code", "financial_year"]].assign(population=2000)
    return counts, population


def test_every_model_is_scored_on_every_target_year():
    counts, population = _simulated()
    neighbours = {code: [f"W{(int(code[1:]) + 1) % 300:03d}"] for code in counts["area_code"].unique()}
    result = backtest.backtest(counts, population=population, neighbours=neighbours)
    assert set(result.metrics["model"]) == set(backtest.MODELS)
    assert sorted(result.metrics["target_year"].unique()) == list(range(2015, 2020))
    assert (result.metrics["n"] == 300).all()
    assert result.metrics["auc"].between(0.5, 1).all()  # every model beats chance on persistent rates


def test_backtest_never_uses_the_target_years_counts():
    counts, population = _simulated()
    baseline = backtest.backtest(counts, population=population).predictions
    for year in (2016, 2018):
        scrambled = counts.copy()
        in_year = scrambled["financial_year"] == year
        scrambled.loc[in_year, "count"] = np.random.default_rng(year).integers(0, 50, in_year.sum())
        changed = backtest.backtest(scrambled, population=population).predictions
        for column in ("probability", "recalibrated"):  # recalibration, too, learns from earlier years only
            mine = lambda frame: frame[frame["target_year"] == year].sort_values(["model", "area_code"])[column].to_numpy()
            np.testing.assert_allclose(mine(changed), mine(baseline), rtol=1e-9)


def test_metrics_match_scikit_learn():
    rng = np.random.default_rng(1)
    outcome = rng.integers(0, 2, 200).astype(float)
    probability = np.clip(rng.random(200) * 0.6 + outcome * 0.3, 0.01, 0.99)
    probability[:10] = 0.5  # ties
    assert backtest.brier_score(outcome, probability) == pytest.approx(brier_score_loss(outcome, probability))
    assert backtest.log_loss(outcome, probability) == pytest.approx(log_loss(outcome, probability))
    assert backtest.roc_auc(outcome, probability) == pytest.approx(roc_auc_score(outcome, probability))
    assert np.isnan(backtest.roc_auc(np.ones(5), probability[:5]))


def test_hit_rate_and_pai_by_hand():
    events = np.array([5.0, 0, 3, 2])
    probability = np.array([0.9, 0.8, 0.1, 0.2])
    sizes = np.array([1.0, 1, 2, 4])
    hit, pai = backtest.hit_rate_and_pai(events, probability, sizes, top_share=0.5)  # flags areas 0 and 1
    assert hit == pytest.approx(0.5) and pai == pytest.approx(0.5 / (2 / 8))


def test_cli_backtest_writes_the_metrics_shape(tmp_path, capsys):
    counts, population = _simulated(areas=60)
    label = lambda y: f"{y}/{(y + 1) % 100:02d}"
    counts.assign(period=counts["financial_year"].map(label)).to_csv(tmp_path / "counts.csv", index=False)
    population.assign(period=population["financial_year"].map(label)).to_csv(tmp_path / "pop.csv", index=False)
    out = tmp_path / "metrics.json"
    assert cli.main(["backtest", "--counts", str(tmp_path / "counts.csv"), "--population", str(tmp_path / "pop.csv"),
                     "--out", str(out)]) == 0
    metrics = json.loads(out.read_text())
    rule = metrics["models"]["rule"]
    assert set(rule["by_target"]["2019/20"]) == {"brier", "log_loss", "auc", "hit_rate", "pai", "n",
                                                 "brier_recalibrated", "log_loss_recalibrated"}
    assert set(rule["mean"]) == set(backtest.METRICS)
    assert "spatial_lag" not in metrics["models"]  # no boundaries given
    assert [band["band"] for band in metrics["rule_bands"]] == ["0", "1-2", "3-5", "6+"]
    assert set(metrics["rule_bands"][0]) == {"band", "ward_years", "with_outcome", "probability", "lower", "upper"}
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].split()[:2] == ["log_loss", "log_loss_recalibrated"]  # ranked by log loss, best first
    best = printed[2].split()[0]
    assert best == "rule" or f"{best} is " in "\n".join(printed)  # the best model's verdict against the rule


def test_forecast_with_model_uses_only_earlier_years():
    counts, population = _simulated(areas=80)
    first = backtest.forecast_with_model(counts, "poisson", target_year=2019, population=population)
    later = counts.copy()
    later.loc[later["financial_year"] == 2019, "count"] = 99  # the target year's own counts
    second = backtest.forecast_with_model(later, "poisson", target_year=2019, population=population)
    np.testing.assert_allclose(first["probability"], second["probability"])
    assert len(first) == 80 and first["probability"].between(0, 1).all()
    with pytest.raises(ValueError, match="Unknown model 'magic'"):
        backtest.forecast_with_model(counts, "magic", target_year=2019)


def test_predictor_comparison_ranks_prior_counts_above_noise():
    counts, _ = _simulated()
    noise = pd.Series(np.random.default_rng(0).random(300), index=[f"W{i:03d}" for i in range(300)])
    table = backtest.predictor_comparison(counts, noise, target_year=2019).set_index("predictor")
    assert table.loc["prior two-year count", "auc"] > 0.7
    assert abs(table.loc["deprivation score", "auc"] - 0.5) < 0.1


def test_cli_backtest_with_boundaries_adds_spatial_lag_and_area_pai(tmp_path, reference_wards):
    thurrock = reference_wards[reference_wards["lad_code"] == "E06000034"][["WD13CD", "WD13NM", "geometry"]]
    thurrock.to_file(tmp_path / "wards.gpkg")
    rng = np.random.default_rng(2)
    rows = [(code, f"{y}/{(y + 1) % 100:02d}", int(rng.poisson(1.5))) for code in thurrock["WD13CD"] for y in range(2014, 2021)]
    pd.DataFrame(rows, columns=["area_code", "period", "count"]).to_csv(tmp_path / "counts.csv", index=False)
    out = tmp_path / "metrics.json"
    assert cli.main(["backtest", "--counts", str(tmp_path / "counts.csv"), "--boundaries", str(tmp_path / "wards.gpkg"),
                     "--out", str(out)]) == 0
    metrics = json.loads(out.read_text())
    assert "spatial_lag" in metrics["models"]
    assert not any("PAI uses the share of areas" in note for note in metrics["notes"])
