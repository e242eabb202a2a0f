"""Testing a list: after against before in chosen, ring and comparison cells; the DiD figures by hand."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from numpy.testing import assert_allclose

from hotspots import micro_areas as ma
from hotspots import tasking_evaluation as te
from hotspots._errors import TaskingError
from hotspots.tasking import Window

BEFORE = Window(pd.Timestamp("2023-01-01"), 6)
AFTER = Window(pd.Timestamp("2023-07-01"), 6)


@pytest.fixture(scope="module")
def grid() -> ma.MicroAreas:
    return ma.grid_over(gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 900, 900)], crs="EPSG:27700"), 150)


def cell(col: int, row: int) -> str:
    return ma.cell_id(col, row, 150)


def events_at(places: dict[tuple[float, float], tuple[int, int]]) -> pd.DataFrame:
    """``count`` events at each point in the before window and ``count`` after (mid-month dates)."""
    rows = []
    for (x, y), (before, after) in places.items():
        rows += [(x, y, pd.Timestamp("2023-03-15"))] * before + [(x, y, pd.Timestamp("2023-09-15"))] * after
    frame = pd.DataFrame(rows, columns=["easting", "northing", "date"])
    return frame.assign(harm=2.0, lsoa_code=pd.NA)


def centre(col: int, row: int) -> tuple[float, float]:
    return col * 150 + 75.0, row * 150 + 75.0


CHOSEN = [cell(0, 0), cell(1, 0)]
COMPARISON = [cell(5, 5), cell(5, 3)]


def fixture_events() -> pd.DataFrame:
    return events_at({centre(0, 0): (12, 4), centre(1, 0): (8, 6),     # chosen: 20 -> 10
                      centre(5, 5): (9, 10), centre(5, 3): (11, 10),    # comparison: 20 -> 20
                      (350.0, 75.0): (5, 3),                            # in the 100 m ring (cell (2, 0))
                      (600.0, 75.0): (7, 7)})                           # beyond the ring: in no group


def test_the_table_counts_each_group_and_period(grid):
    result = te.evaluate(fixture_events(), grid, CHOSEN, COMPARISON, before=BEFORE, after=AFTER)
    table = result.table.set_index(["group", "period"])
    assert table["events"].to_dict() == {("chosen", "before"): 20, ("chosen", "after"): 10,
                                         ("comparison", "before"): 20, ("comparison", "after"): 20,
                                         ("ring", "before"): 5, ("ring", "after"): 3}
    assert table.loc[("chosen", "after"), "harm"] == 20.0
    assert_allclose(table.loc[("chosen", "before"), "events_per_month"], 20 / 6)
    assert table.loc[("chosen", "before"), "units"] == 2 and table.loc[("ring", "after"), "units"] == 1


def test_the_difference_in_differences_rate_ratio_and_interval_by_hand(grid):
    result = te.evaluate(fixture_events(), grid, CHOSEN, COMPARISON, before=BEFORE, after=AFTER)
    # Ratio of ratios: (10 / 20) / (20 / 20) = 0.5. Variance of its log under Poisson:
    # 1/20 + 1/10 + 1/20 + 1/20 = 0.25, times the quasi-Poisson scale: Pearson's chi-squared over
    # the fitted group-period means (chosen 10, 10 | 5, 5; comparison 10, 10 | 10, 10; the ring is
    # fitted exactly) is 0.8 + 0.4 + 0.2 + 0 = 1.4 on 10 rows - 6 parameters = 4 df: 0.35.
    se = np.sqrt(0.25 * 0.35)
    assert_allclose(result.rate_ratio, 0.5)
    assert_allclose([result.ci_low, result.ci_high], np.exp(np.log(0.5) + np.array([-1, 1]) * 1.959964 * se),
                    rtol=1e-5)
    assert_allclose(result.ring_rate_ratio, (3 / 5) / (20 / 20))
    assert 0 < result.p_value < 0.05
    assert "cannot show that patrols caused the change" in result.statement


def test_a_group_without_events_in_a_period_gives_no_ratio_and_says_why(grid):
    events = events_at({centre(0, 0): (5, 0), centre(1, 0): (3, 0), centre(5, 5): (4, 5), centre(5, 3): (6, 4)})
    result = te.evaluate(events, grid, CHOSEN, COMPARISON, before=BEFORE, after=AFTER)
    assert np.isnan(result.rate_ratio) and np.isnan(result.ring_rate_ratio)
    assert "No events in the chosen after period: no ratio involving it can be estimated." in result.notes


def test_comparison_cells_are_the_next_ranked_cells_not_chosen(grid):
    ranked = pd.DataFrame({"cell_id": [cell(0, 0), cell(3, 3), cell(2, 5), cell(5, 0), cell(4, 4)],
                           "events": [5, 4, 3, 2, 0]})
    assert te.comparison_cells(ranked, [cell(0, 0), cell(2, 5)], grid, buffer_m=150) == (cell(3, 3), cell(5, 0))
    assert te.comparison_cells(ranked, [cell(0, 0)], grid, buffer_m=150, k=3) == (cell(3, 3), cell(2, 5), cell(5, 0))


def test_comparison_cells_lie_outside_the_ring_around_the_chosen_cells(grid):
    # Next-ranked: (1, 0) and (0, 1) touch the chosen cell and (1, 1) is 0 m away: all inside a 150 m ring.
    # (2, 0) is 150 m away, on the ring's outer edge, and (3, 3) farther: they are the comparison.
    ranked = pd.DataFrame({"cell_id": [cell(0, 0), cell(1, 0), cell(0, 1), cell(1, 1), cell(2, 0), cell(3, 3)],
                           "events": [9, 8, 7, 6, 5, 4]})
    assert te.comparison_cells(ranked, [cell(0, 0)], grid, buffer_m=150, k=2) == (cell(2, 0), cell(3, 3))
    assert te.comparison_cells(ranked, [cell(0, 0)], grid, buffer_m=0, k=2) == (cell(1, 0), cell(0, 1))


def test_a_list_from_another_grid_is_refused(grid):
    with pytest.raises(TaskingError, match="another grid"):
        te.evaluate(fixture_events(), grid, ["300m-0-0"], COMPARISON, before=BEFORE, after=AFTER)
