"""Emerging hot spots: the Mann-Kendall test against hand computations and scipy, one hand-built series
per category (hot and cold), and Gi* per year on a lattice with a known hot spot."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from scipy import stats
from shapely.geometry import box

from hotspots import emerging_hotspots as eh
from hotspots import hotspot_statistics
from hotspots._errors import PeriodError


def test_mann_kendall_by_hand_without_and_with_ties():
    # 1 3 2 5 4: 8 pairs rise, 2 fall, S = 6; Var = 5*4*15/18; z = (6 - 1)/sd.
    plain = eh.mann_kendall(np.array([[1, 3, 2, 5, 4]]))
    assert plain.s[0] == 6 and plain.variance[0] == pytest.approx(50 / 3)
    assert plain.z[0] == pytest.approx(5 / np.sqrt(50 / 3)) and plain.p[0] == pytest.approx(0.2207, abs=1e-4)
    # 1 2 2 3: S = 5; one tied pair takes 2*1*9 off 4*3*13, so Var = 138/18; z = (5 - 1)/sd.
    tied = eh.mann_kendall(np.array([[1, 2, 2, 3]]))
    assert tied.s[0] == 5 and tied.variance[0] == pytest.approx(138 / 18)
    assert tied.z[0] == pytest.approx(4 / np.sqrt(138 / 18)) and tied.p[0] == pytest.approx(0.1486, abs=1e-4)
    falling = eh.mann_kendall(np.array([[5, 4, 3, 2, 1]]))
    assert falling.s[0] == -10 and falling.z[0] == pytest.approx(-9 / np.sqrt(50 / 3))
    flat = eh.mann_kendall(np.array([[2.0, 2.0, 2.0, 2.0, 2.0]]))
    assert flat.s[0] == 0 and flat.z[0] == 0 and flat.p[0] == 1


def test_mann_kendall_agrees_with_scipys_kendall_tau_against_time():
    """scipy's asymptotic Kendall tau of the series against time has the same S (its numerator) and the
    same tie-corrected variance; it leaves out the continuity correction, which is all that differs."""
    rng = np.random.default_rng(7)
    series = np.vstack([rng.normal(size=(20, 10)), rng.integers(0, 4, size=(20, 10))])  # the second half tied
    result = eh.mann_kendall(series)
    time = np.arange(series.shape[1])
    for row, s, variance, p in zip(series, result.s, result.variance, result.p):
        tau = stats.kendalltau(time, row, method="asymptotic")
        if s == 0:
            assert tau.statistic == pytest.approx(0, abs=1e-12)
            continue
        assert np.sign(tau.statistic) == np.sign(s)
        scipy_z = stats.norm.isf(tau.pvalue / 2)  # |S| / sd, no continuity correction
        assert scipy_z * np.sqrt(variance) == pytest.approx(abs(s))
        assert p == pytest.approx(2 * stats.norm.sf((abs(s) - 1) / np.sqrt(variance)))
        if len(set(row)) == len(row):  # without ties: close to scipy's exact p-value
            assert p == pytest.approx(stats.kendalltau(time, row, method="exact").pvalue, abs=0.02)


H, C, N = 3.0, -3.0, 0.5  # a significant hot year, a significant cold year, a year that is neither
RISING = [2.0, 2.3, 2.6, 2.9, 3.2, 3.5, 3.8, 4.1, 4.4, 4.7]
LEVEL = [3.0, 2.6, 3.3, 2.8, 3.1, 2.7, 3.4, 2.9, 3.2, 2.75]
SERIES = {  # ten years of Gi* z-scores; |z| >= 2 is significant here
    "new hot spot": [N, N, -N, N, N, N, -N, N, N, H],
    "consecutive hot spot": [N, N, N, -N, N, N, N, H, H, H],
    "intensifying hot spot": RISING,
    "persistent hot spot": LEVEL,
    "diminishing hot spot": RISING[::-1],
    "sporadic hot spot": [N, H, N, N, H, H, N, N, N, H],
    "oscillating hot spot": [C, N, N, N, N, N, N, N, H, H],
    "historical hot spot": [H] * 9 + [N],
    "new cold spot": [N, N, N, -N, N, N, N, N, N, C],
    "consecutive cold spot": [N, N, N, N, N, N, N, N, C, C],
    "intensifying cold spot": [-value for value in RISING],
    "persistent cold spot": [-value for value in LEVEL],
    "diminishing cold spot": [-value for value in RISING[::-1]],
    "sporadic cold spot": [C, N, C, N, N, N, N, N, N, C],
    "oscillating cold spot": [N, H, H, N, N, N, N, N, N, C],
    "historical cold spot": [C] * 9 + [-N],
    eh.NO_PATTERN: [N, H, H, N, N, N, N, N, N, N],
}


@pytest.mark.parametrize("category", list(SERIES))
def test_each_category_from_a_hand_built_series(category):
    z = np.array([SERIES[category]])
    significant = np.abs(z) >= 2
    result = eh.classify(z, significant, eh.mann_kendall(z), alpha=0.05)
    assert result.tolist() == [category]


def test_the_categories_are_esris_sixteen_and_no_pattern():
    kinds = ["new", "consecutive", "intensifying", "persistent", "diminishing", "sporadic", "oscillating", "historical"]
    assert set(eh.CATEGORIES) == {f"{kind} {side} spot" for kind in kinds for side in ("hot", "cold")} | {eh.NO_PATTERN}
    assert set(SERIES) == set(eh.CATEGORIES) and set(eh.COLOURS) == set(eh.CATEGORIES)


def test_the_trend_decides_between_intensifying_persistent_and_diminishing():
    z = np.array([RISING, LEVEL, RISING[::-1]])
    trend = eh.mann_kendall(z)
    assert trend.p[0] < 0.05 < trend.p[1] and trend.p[2] < 0.05 and trend.z[0] > 0 > trend.z[2]


def _lattice(side: int) -> gpd.GeoDataFrame:
    cells = [(row, col) for row in range(side) for col in range(side)]
    return gpd.GeoDataFrame({"ward_code": [f"C{row:02d}{col:02d}" for row, col in cells]},
                            geometry=[box(col, row, col + 1, row + 1) for row, col in cells], crs="EPSG:27700")


def _yearly(areas: gpd.GeoDataFrame, years: list[int], hot_from: int, seed: int = 3) -> pd.DataFrame:
    """Poisson(2) counts everywhere, and from ``hot_from`` on a 3x3 block of cells at 12."""
    rng = np.random.default_rng(seed)
    block = {f"C{row:02d}{col:02d}" for row in range(3) for col in range(3)}
    rows = []
    for year in years:
        counts = rng.poisson(2, len(areas)).astype(float)
        hot = areas["ward_code"].isin(block).to_numpy() & (year >= hot_from)
        rows.append(pd.DataFrame({"ward_code": areas["ward_code"], "financial_year": year,
                                  "value": np.where(hot, 12.0, counts)}))
    return pd.concat(rows, ignore_index=True)


def test_a_block_that_turns_hot_in_the_last_years_is_a_consecutive_hot_spot():
    areas = _lattice(10)
    years = list(range(2014, 2024))
    # The false discovery rate keeps the noise years free of chance hot spots.
    result = eh.emerging_hotspots(areas, _yearly(areas, years, hot_from=2021), fdr=True)
    categories = result.wards.set_index("ward_code")["category"]
    assert categories["C0101"] == "consecutive hot spot"  # the block's centre: hot in 2021-2023 only
    assert categories["C0909"] == eh.NO_PATTERN
    assert result.years == years and not result.not_tested
    assert len(result.yearly) == len(areas) * len(years)


def test_each_years_gi_star_is_the_ward_maps_gi_star_of_that_year():
    areas = _lattice(8)
    yearly = _yearly(areas, list(range(2015, 2020)), hot_from=2018)
    result = eh.emerging_hotspots(areas, yearly)
    last = yearly[yearly["financial_year"].eq(2019)].set_index("ward_code")["value"]
    on_the_map = hotspot_statistics.local_statistics(areas, last).set_index("ward_code")
    that_year = result.yearly[result.yearly["financial_year"].eq(2019)].set_index("ward_code")
    assert np.allclose(that_year["z"], on_the_map.loc[that_year.index, "z"])
    assert np.allclose(that_year["p"], on_the_map.loc[that_year.index, "p"])


def test_areas_missing_a_year_are_not_tested_and_too_few_years_are_refused():
    areas = _lattice(6)
    yearly = _yearly(areas, list(range(2015, 2021)), hot_from=2030)
    gap = yearly["ward_code"].eq("C0303") & yearly["financial_year"].eq(2017)
    result = eh.emerging_hotspots(areas, yearly[~gap], permutations=99)
    assert result.not_tested == ["C0303"] and "C0303" not in set(result.wards["ward_code"])
    with pytest.raises(PeriodError, match="at least 5 financial years"):
        eh.emerging_hotspots(areas, yearly[yearly["financial_year"].le(2018)], permutations=99)


def test_a_year_with_the_same_value_everywhere_has_no_hot_or_cold_spot():
    areas = _lattice(5)
    yearly = _yearly(areas, list(range(2015, 2020)), hot_from=2030)
    yearly.loc[yearly["financial_year"].eq(2019), "value"] = 0.0
    result = eh.emerging_hotspots(areas, yearly, permutations=99)
    last = result.yearly[result.yearly["financial_year"].eq(2019)]
    assert not last["significant"].any() and (last["z"] == 0).all()


def test_a_high_ward_among_low_neighbours_every_year_is_no_cold_spot_of_any_kind():
    # The trial's East Tilbury: high in its borough year after year, its neighbours low, the nine of
    # them together a little below average (z < 0). esda's conditional permutations, which hold the
    # ward's own value fixed, made each year significant and the ward a "persistent cold spot".
    areas = _lattice(7)
    rng = np.random.default_rng(8)
    centre = {f"C{row:02d}{col:02d}" for row in range(1, 4) for col in range(1, 4)}
    rows = []
    for year in range(2016, 2024):
        value = np.where(areas["ward_code"].isin(centre), 1.0, 4.0 + rng.integers(0, 2, len(areas)))
        rows.append(pd.DataFrame({"ward_code": areas["ward_code"], "financial_year": year,
                                  "value": np.where(areas["ward_code"].eq("C0202"), 26.0, value)}))
    result = eh.emerging_hotspots(areas, pd.concat(rows, ignore_index=True))
    ward = result.wards.set_index("ward_code").loc["C0202"]
    own = result.yearly[result.yearly["ward_code"].eq("C0202")]
    assert (own["z"] < 0).all() and (own["z"] > -1).all()
    assert ward["category"] == eh.NO_PATTERN and ward["cold_years"] == 0
