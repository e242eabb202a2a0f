"""The methods' backtest: hit rate and PAI by hand, and it never sees the months it scores."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from numpy.testing import assert_allclose

from hotspots import micro_areas as ma
from hotspots import tasking_backtest as tb
from hotspots._errors import TaskingError

A, B, C, D = (75.0, 75.0), (225.0, 75.0), (75.0, 225.0), (225.0, 225.0)  # centres of the four cells


@pytest.fixture(scope="module")
def grid() -> ma.MicroAreas:
    """Four 150 m cells: each a quarter of the area."""
    return ma.grid_over(gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 300, 300)], crs="EPSG:27700"), 150)


def events(monthly: dict[str, dict[tuple[float, float], int]], harm: float = 1.0) -> pd.DataFrame:
    rows = [(x, y, pd.Timestamp(month)) for month, places in monthly.items()
            for (x, y), count in places.items() for _ in range(count)]
    return pd.DataFrame(rows, columns=["easting", "northing", "date"]).assign(harm=harm, lsoa_code=pd.NA)


def run(frame: pd.DataFrame, grid, **options) -> tb.MethodBacktest:
    return tb.backtest_methods(frame, grid, **{"n": 1, "window_months": 2, "horizon_months": 1, "origins": 1,
                                               "bandwidth_m": 50.0, **options})


def test_hit_rate_and_pai_by_hand(grid):
    # Window Jan-Feb: A 3 events, B 1. Horizon March: A 2, B 2. Every method picks A.
    result = run(events({"2024-01-10": {A: 2, B: 1}, "2024-02-10": {A: 1}, "2024-03-10": {A: 2, B: 2}}), grid)
    scores = result.scores.set_index("method")
    assert list(scores.index) == list(tb.METHODS)
    assert (scores["origin"] == pd.Timestamp("2024-03-01")).all()
    assert_allclose(scores["hit_rate"], 0.5)  # 2 of March's 4 events in A
    assert_allclose(scores["pai"], 2.0)  # 0.5 of the events in 0.25 of the area


def test_harm_and_recency_change_the_pick(grid):
    # A: 4 events of harm 1 in January; B: one event of harm 3 in February.
    frame = pd.concat([events({"2024-01-10": {A: 4}}), events({"2024-02-10": {B: 1}}, harm=3.0),
                       events({"2024-03-10": {B: 1, A: 3}})])
    scores = run(frame, grid, half_life_months=0.5).scores.set_index("method")
    assert scores.loc["last_window", "hit_rate"] == 0.75  # picks A (4 events)
    assert scores.loc["harm_weighted", "hit_rate"] == 0.75  # A's harm 4 beats B's 3
    assert scores.loc["recency_weighted", "hit_rate"] == 0.25  # B's 3 this month beats A's 4 * 0.25 a month ago


def test_the_backtest_never_sees_the_months_it_forecasts(grid):
    # Before the origin only A has events; in the horizon D has 10. A backtest that looked at the
    # horizon would pick D and score a hit rate of 10/11; one that does not picks A: 1/11.
    frame = events({"2024-01-10": {A: 2}, "2024-02-10": {A: 1}, "2024-03-10": {A: 1, D: 10}})
    result = run(frame, grid)
    assert_allclose(result.scores["hit_rate"], 1 / 11)
    assert_allclose(result.scores["hit_rate_harm"], 1 / 11)


def test_origins_are_the_latest_months_whose_horizon_the_data_cover(grid):
    months = {f"2023-{m:02d}-10": {A: m % 3 + 1, B: 1} for m in range(1, 13)}
    result = run(events(months), grid, window_months=3, horizon_months=2, origins=4)
    assert sorted(result.scores["origin"].unique()) == list(pd.date_range("2023-08-01", "2023-11-01", freq="MS"))
    assert result.summary["origins"].tolist() == [4] * 4


def test_the_best_method_is_named_with_its_figures(grid):
    frame = pd.concat([events({"2024-01-10": {A: 4}}), events({"2024-02-10": {B: 1}}, harm=3.0),
                       events({"2024-03-10": {B: 1, A: 3}})])
    result = run(frame, grid, half_life_months=0.5)
    assert result.summary["method"].iloc[0] in ("last_window", "harm_weighted", "kde")
    assert result.best_method == result.summary["method"].iloc[0]
    assert "selected best: over 1 monthly origins its top 1 cells held on average 75.0% of the next 1 months' harm" \
        in result.statement


def test_too_few_months_are_refused(grid):
    with pytest.raises(TaskingError, match="needs at least 3 months of data"):
        run(events({"2024-01-10": {A: 1}, "2024-02-10": {A: 1}}), grid)


def test_the_kernel_density_spreads_harm_to_neighbouring_cells(grid):
    counts = np.zeros((1, 4))
    harm = np.zeros((1, 4))
    harm[0, grid.cells["cell_id"].tolist().index("150m-0-0")] = 10.0
    scores = tb.method_scores(counts, harm, grid, half_life_months=3, bandwidth_m=150.0)["kde"]
    by_cell = dict(zip(grid.cells["cell_id"], scores))
    assert by_cell["150m-150-0"] == pytest.approx(by_cell["150m-0-150"])
    assert by_cell["150m-0-0"] > by_cell["150m-150-0"] > by_cell["150m-150-150"] > 0


def test_an_excluded_cell_is_never_picked(grid):
    # A custody suite in A records most events every month: excluded, B (the next) is picked instead.
    frame = events({"2024-01-10": {A: 9, B: 2}, "2024-02-10": {A: 9, B: 1}, "2024-03-10": {A: 9, B: 1}})
    custody = ma.place_events(frame.head(1), grid).iloc[0]
    assert run(frame, grid).scores["hit_rate"].eq(0.9).all()
    assert run(frame, grid, excluded=[custody]).scores["hit_rate"].eq(0.1).all()
