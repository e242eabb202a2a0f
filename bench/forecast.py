"""Forecast speed: the rule, every model and the full backtest on 8,000 areas over 10 years.

Run: .venv/bin/python bench/forecast.py
Prints seconds for the rule's forecast, the rule's backtest, each model's backtest alone (the
direct logistic model among them) and all models together (every backtest includes recalibrating
its models on earlier origins), then the recalibration alone, the ranking with the paired
bootstrap against the rule, the direct model's and the negative binomial count forecasts; each
also as a ratio to a baseline measured in the same run (one pandas group-by of the same counts).
Targets: the rule and its backtest under 1 s; everything (every model's backtest with the
recalibration, the ranking and the paired interval) under 30 s.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from hotspots import backtest, calibration, count_forecast, forecast, model_comparison

AREAS, YEARS = 8000, 10


def _simulated() -> tuple[pd.DataFrame, pd.DataFrame, dict[str, list[str]]]:
    rng = np.random.default_rng(0)
    codes = [f"A{i:05d}" for i in range(AREAS)]
    rates = rng.gamma(0.6, 1.5, AREAS)
    wobble = np.exp(rng.normal(0, 0.3, (AREAS, YEARS)))
    counts = pd.DataFrame({"area_code": np.repeat(codes, YEARS),
                           "financial_year": np.tile(np.arange(2014, 2014 + YEARS), AREAS),
                           "count": rng.poisson((rates[:, None] * wobble).ravel())})
    population = counts[["area_code", "financial_year"]].assign(population=rng.integers(1000, 4000, len(counts)))
    side = int(np.sqrt(AREAS))  # a grid: neighbours left, right, above, below
    neighbours = {code: [codes[j] for j in (i - 1, i + 1, i - side, i + side) if 0 <= j < AREAS]
                  for i, code in enumerate(codes)}
    return counts, population, neighbours


def _seconds(action) -> tuple[float, float]:
    """Wall-clock and this process's CPU seconds: on a shared machine the wall clock also counts
    the time spent waiting for a core, the CPU seconds do not."""
    start, start_cpu = time.perf_counter(), time.process_time()
    action()
    return time.perf_counter() - start, time.process_time() - start_cpu


def main() -> None:
    counts, population, neighbours = _simulated()
    baseline = _seconds(lambda: counts.groupby(["area_code", "financial_year"])["count"].sum())[0]
    timings = {
        "rule forecast": _seconds(lambda: forecast.forecast_rule(counts)),
        "rule backtest": _seconds(lambda: backtest.backtest(counts, models=("rule",))),
    }
    for name in backtest.MODELS:
        timings[f"{name} backtest"] = _seconds(lambda: backtest.backtest(
            counts, population=population, neighbours=neighbours, models=(name,)))
    results = []
    timings["all models backtest"] = _seconds(lambda: results.append(
        backtest.backtest(counts, population=population, neighbours=neighbours)))
    result = results[0]
    timings["recalibration alone"] = _seconds(lambda: calibration.recalibrate_by_origin(result.predictions))
    ranked = []
    timings["ranking + paired interval"] = _seconds(lambda: ranked.append(model_comparison.paired_difference(
        result.predictions, model_comparison.model_ranking(result)["model"].iloc[0], "rule")))
    target = 2014 + YEARS
    timings["logistic forecast"] = _seconds(lambda: backtest.forecast_with_model(
        counts, "logistic", target_year=target, population=population, neighbours=neighbours))
    timings["logistic forecast, recalibrated"] = _seconds(lambda: backtest.forecast_with_model(
        counts, "logistic", target_year=target, population=population, neighbours=neighbours, recalibrate=True))
    timings["count forecast (negative binomial)"] = _seconds(lambda: count_forecast.count_forecast(
        counts, target_year=target, population=population, neighbours=neighbours))
    print(f"{AREAS:,} areas x {YEARS} years; baseline (one group-by) {baseline:.3f} s")
    print(f"{'':<36}{'wall':>10}{'CPU':>10}")
    for name, (wall, cpu) in timings.items():
        print(f"{name:<36}{wall:>8.2f} s{cpu:>8.2f} s{wall / baseline:>10.0f}x baseline")
    for label, names, target in (("rule + its backtest", ("rule forecast", "rule backtest"), 1),
                                 ("everything", ("all models backtest", "ranking + paired interval"), 30)):
        wall, cpu = (sum(timings[name][i] for name in names) for i in (0, 1))
        print(f"{label} {wall:.2f} s wall ({'meets' if wall < target else 'MISSES'} {target} s), {cpu:.2f} s CPU "
              f"({'meets' if cpu < target else 'MISSES'} {target} s)")
    print("best model and its difference from the rule:")
    print(ranked[0].to_string(index=False))


if __name__ == "__main__":
    main()
