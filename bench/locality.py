"""Locality ranking speed: the stability figures for 300 wards and 10,000 weight samples.

Run: .venv/bin/python bench/locality.py
Prints the seconds for the weighted ranking and for its stability (sampling 10,000 weight vectors
around six measures' weights, ranking the 300 wards under each, the top-k shares, rank ranges and
the rank acceptability table), the best of five runs, and the stability's ratio to one numpy sort
of the same 300 x 10,000 scores in the same run. Target: stability under 1 s.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from hotspots import locality, ranking_stability

WARDS, SAMPLES, MEASURES = 300, 10_000, 6


def _values() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(rng.poisson(rng.gamma(1.5, 4, (WARDS, MEASURES))),
                        index=pd.Index([f"W{i:03d}" for i in range(WARDS)], name="ward_code"),
                        columns=[f"measure_{j}" for j in range(MEASURES)])


def _best_of(action, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    values = _values()
    weights = dict(zip(values.columns, [3, 2, 2, 1, 1, 1]))
    ranking = locality.rank_wards(values, weights, normalisation="rank")
    ranking_s = _best_of(lambda: locality.rank_wards(values, weights, normalisation="rank"))
    stability_s = _best_of(lambda: ranking_stability.ranking_stability(ranking, k=2, samples=SAMPLES, seed=1))
    scores = np.random.default_rng(1).random((WARDS, SAMPLES))
    sort_s = _best_of(lambda: np.argsort(scores, axis=0))
    print(f"weighted ranking, {WARDS} wards x {MEASURES} measures: {ranking_s:.4f} s")
    print(f"stability, {WARDS} wards x {SAMPLES:,} weight samples: {stability_s:.3f} s "
          f"(target under 1 s: {'met' if stability_s < 1 else 'NOT met'})")
    print(f"baseline, one numpy sort of {WARDS} x {SAMPLES:,} scores: {sort_s:.3f} s; "
          f"stability / baseline = {stability_s / sort_s:.1f}")


if __name__ == "__main__":
    main()
