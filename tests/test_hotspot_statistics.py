"""Gi* on lattices where the answer is known: the closed-form Getis-Ord z, the exact permutation
p-value, a high cluster hot, a low cluster cold, and a high ward among low neighbours not a cold spot
(the trial's The Homesteads, z -0.39 yet a "significant cold spot")."""

from __future__ import annotations

import itertools

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from hotspots import geography, hotspot_statistics, settings


def _lattice(rows: int, cols: int) -> gpd.GeoDataFrame:
    cells = [(row, col) for row in range(rows) for col in range(cols)]
    return gpd.GeoDataFrame({"ward_code": [f"C{row:02d}{col:02d}" for row, col in cells]},
                            geometry=[box(col, row, col + 1, row + 1) for row, col in cells], crs="EPSG:27700")


def _queen_star(rows: int, cols: int) -> np.ndarray:
    """Binary queen contiguity of the lattice cells, each cell its own neighbour too, built from the
    grid (not libpysal), in _lattice's row order."""
    cells = [(row, col) for row in range(rows) for col in range(cols)]
    return np.array([[float(abs(r1 - r2) <= 1 and abs(c1 - c2) <= 1) for r2, c2 in cells] for r1, c1 in cells])


def _closed_form_gi_star(x: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """G*_i and its z, Ord and Getis (1995), eq. (14) with w_ii included:
    z_i = (sum_j w_ij x_j - xbar W_i) / (s sqrt((n S1_i - W_i^2) / (n - 1))),
    xbar = mean x, s^2 = mean x^2 - xbar^2, W_i = sum_j w_ij, S1_i = sum_j w_ij^2."""
    n = len(x)
    xbar, s = x.mean(), np.sqrt((x ** 2).mean() - x.mean() ** 2)
    w_sum, w_squares = w.sum(axis=1), (w ** 2).sum(axis=1)
    z = (w @ x - xbar * w_sum) / (s * np.sqrt((n * w_squares - w_sum ** 2) / (n - 1)))
    return (w @ x) / x.sum(), z


def _gi_star(areas: gpd.GeoDataFrame, values, **options) -> pd.DataFrame:
    series = pd.Series(np.asarray(values, dtype=float), index=areas["ward_code"])
    return hotspot_statistics.local_statistics(areas, series, **options).set_index("ward_code")


def test_gi_star_and_its_z_are_the_closed_form_getis_ord_ones():
    areas = _lattice(5, 6)
    values = np.random.default_rng(11).poisson(4, len(areas)).astype(float)
    ours = _gi_star(areas, values).loc[areas["ward_code"]]
    statistic, z = _closed_form_gi_star(values, _queen_star(5, 6))
    np.testing.assert_allclose(ours["statistic"], statistic)
    np.testing.assert_allclose(ours["z"], z)


def test_the_p_value_is_the_exact_two_sided_permutation_p_on_the_side_of_z():
    # A row of 7 cells: all 5,040 rearrangements of the values, each cell's own included, give the exact p.
    areas, values = _lattice(1, 7), np.array([9.0, 8.0, 7.0, 1.0, 2.0, 0.0, 1.0])
    w = _queen_star(1, 7)
    observed, z = _closed_form_gi_star(values, w)
    every = np.array([w @ np.array(order) / values.sum() for order in itertools.permutations(values)])
    tolerance = 1e-12
    on_z_side = np.where(z >= 0, (every >= observed - tolerance).mean(axis=0), (every <= observed + tolerance).mean(axis=0))
    exact = np.minimum(1.0, 2 * on_z_side)
    ours = _gi_star(areas, values, permutations=9999).loc[areas["ward_code"]]
    np.testing.assert_allclose(ours["p"], exact, atol=0.03)  # 9,999 draws: standard error below 0.01


@pytest.fixture
def seven_by_seven() -> gpd.GeoDataFrame:
    return _lattice(7, 7)


def _grid(background: np.ndarray, cells: dict[tuple[int, int], float]) -> np.ndarray:
    grid = background.reshape(7, 7).copy()
    for (row, col), value in cells.items():
        grid[row, col] = value
    return grid.ravel()


NOISE = np.random.default_rng(5).poisson(4, 49).astype(float)
BLOCK = [(row, col) for row in range(1, 4) for col in range(1, 4)]  # a 3 x 3 block centred on C0202


def test_a_cluster_of_high_values_is_a_hot_spot(seven_by_seven):
    result = _gi_star(seven_by_seven, _grid(NOISE, {cell: 15.0 for cell in BLOCK}))
    assert result.loc["C0202", "spot"] == "hot spot" and result.loc["C0202", "z"] > 2
    assert not result.loc[[f"C{row:02d}{col:02d}" for row, col in BLOCK], "spot"].eq("cold spot").any()


def test_a_cluster_of_low_values_is_a_cold_spot(seven_by_seven):
    result = _gi_star(seven_by_seven, _grid(NOISE + 6, {cell: 0.0 for cell in BLOCK}))
    assert result.loc["C0202", "spot"] == "cold spot" and result.loc["C0202", "z"] < -2
    assert not result.loc[[f"C{row:02d}{col:02d}" for row, col in BLOCK], "spot"].eq("hot spot").any()


def test_a_high_ward_among_low_neighbours_is_not_a_cold_spot(seven_by_seven):
    # The Homesteads' case: its own count is high, its eight neighbours' low, so together they are a
    # little below average (z < 0). esda's conditional permutations, holding the ward's own value
    # fixed, found its neighbours low given it, and the old code called it a significant cold spot.
    cells = {cell: 1.0 for cell in BLOCK} | {(2, 2): 20.0}
    result = _gi_star(seven_by_seven, _grid(np.full(49, 4.0), cells))
    assert -1 < result.loc["C0202", "z"] < 0
    assert result.loc["C0202", "spot"] == "not significant"


def test_a_lone_high_ward_among_low_neighbours_is_not_a_hot_or_cold_spot(seven_by_seven):
    cells = {cell: 1.0 for cell in BLOCK} | {(2, 2): 40.0}
    result = _gi_star(seven_by_seven, _grid(np.full(49, 3.0), cells))
    assert result.loc["C0202", "z"] > 0 and result.loc["C0202", "spot"] == "not significant"


@pytest.mark.parametrize("seed", range(6))
def test_significant_labels_agree_with_the_sign_and_size_of_z(seed):
    areas = geography.wards("thurrock")
    rng = np.random.default_rng(seed)
    result = _gi_star(areas, rng.negative_binomial(2, 2 / (2 + rng.uniform(2, 40, len(areas)))))
    hot, cold = result["spot"].eq("hot spot"), result["spot"].eq("cold spot")
    assert (result.loc[hot, "z"] > 0).all() and (result.loc[cold, "z"] < 0).all()
    assert (result.loc[hot | cold, "z"].abs() >= 1).all()  # a 5% two-sided test is not passed at |z| < 1
    assert result["significant"].eq(hot | cold).all()


def test_a_one_sided_choice_halves_the_p_value_and_a_bad_one_is_refused(seven_by_seven, monkeypatch):
    values = _grid(NOISE, {cell: 15.0 for cell in BLOCK})
    two_sided = _gi_star(seven_by_seven, values)["p"]
    monkeypatch.setattr(settings, "HOTSPOT_ALTERNATIVE", "one-sided")
    one_sided = _gi_star(seven_by_seven, values)["p"]
    np.testing.assert_allclose(two_sided, np.minimum(1, 2 * one_sided))
    monkeypatch.setattr(settings, "HOTSPOT_ALTERNATIVE", "directed")
    with pytest.raises(ValueError, match="HOTSPOT_ALTERNATIVE is 'directed': set it to 'two-sided' or 'one-sided'"):
        _gi_star(seven_by_seven, values)


def test_values_the_same_everywhere_have_no_hot_or_cold_spot(seven_by_seven):
    result = _gi_star(seven_by_seven, np.full(49, 3.0))
    assert result["spot"].eq("not significant").all() and result["p"].eq(1).all() and result["z"].eq(0).all()
