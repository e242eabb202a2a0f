"""Emerging hot spot speed: 8,000 synthetic areas over 10 financial years, 999 permutations a year.

Run: .venv/bin/python bench/emerging.py
The areas are a grid of 8,000 square cells (synthetic: no real geography); counts are Poisson,
with a block of cells that turns hot half way. Prints seconds for the queen weights, for the
whole classification (weights, ten Gi* runs, Mann-Kendall and the rules) and for the Mann-Kendall
test and the rules alone, with how many areas fell in each category. Target: under 60 s.
"""

from __future__ import annotations

import time

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import box

from hotspots import emerging_hotspots, hotspot_statistics, settings

COLUMNS, ROWS, YEARS = 100, 80, 10
TARGET_SECONDS = 60.0


def _synthetic() -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    cells = [(row, col) for row in range(ROWS) for col in range(COLUMNS)]
    areas = gpd.GeoDataFrame({"ward_code": [f"SYN{row:03d}{col:03d}" for row, col in cells]},
                             geometry=[box(col * 500, row * 500, (col + 1) * 500, (row + 1) * 500) for row, col in cells],
                             crs=settings.ANALYSIS_CRS)
    rng = np.random.default_rng(0)
    rates = rng.gamma(0.8, 2.0, len(areas))
    block = np.array([row < 10 and col < 10 for row, col in cells])
    years = np.arange(2014, 2014 + YEARS)
    counts = [rng.poisson(rates * np.where(block & (year >= years[YEARS // 2]), 6.0, 1.0)) for year in years]
    yearly = pd.DataFrame({"ward_code": np.tile(areas["ward_code"].to_numpy(), YEARS),
                           "financial_year": np.repeat(years, len(areas)),
                           "value": np.concatenate(counts).astype(float)})
    return areas, yearly


def _seconds(action) -> tuple[float, object]:
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def main() -> None:
    areas, yearly = _synthetic()
    weights_seconds, _ = _seconds(lambda: hotspot_statistics.tested_weights(areas, areas["ward_code"]))
    total, result = _seconds(lambda: emerging_hotspots.emerging_hotspots(areas, yearly))
    z = result.yearly["z"].to_numpy().reshape(len(result.wards), YEARS)
    significant = result.yearly["significant"].to_numpy().reshape(len(result.wards), YEARS)
    rules_seconds, _ = _seconds(lambda: emerging_hotspots.classify(
        z, significant, emerging_hotspots.mann_kendall(z), alpha=settings.EMERGING_ALPHA))
    print(f"{len(areas):,} synthetic areas x {YEARS} years, {settings.EMERGING_PERMUTATIONS} permutations a year")
    print(f"{'queen weights':<40}{weights_seconds:>8.2f} s")
    print(f"{'Mann-Kendall and the rules alone':<40}{rules_seconds:>8.2f} s")
    print(f"{'whole classification':<40}{total:>8.2f} s "
          f"({'meets' if total < TARGET_SECONDS else 'MISSES'} {TARGET_SECONDS:.0f} s)")
    for category, wards in result.wards["category"].value_counts().items():
        print(f"  {category:<30}{wards:>6,}")


if __name__ == "__main__":
    main()
