"""Targeting, patrol areas, capture, the concentration curve, "when" and tracking, by hand."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from numpy.testing import assert_allclose

from hotspots import micro_areas as ma
from hotspots import tasking
from hotspots._errors import TaskingError
from hotspots.tasking import Exclusion, Window

BNG = "EPSG:27700"


@pytest.fixture(scope="module")
def grid() -> ma.MicroAreas:
    """A 6 x 6 grid of 150 m cells over a 900 m square: every cell 1/36 of the area."""
    return ma.grid_over(gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 900, 900)], crs=BNG), 150)


def cell(col: int, row: int) -> str:
    return ma.cell_id(col, row, 150)


def counts(grid: ma.MicroAreas, values: dict[str, tuple[int, float]]) -> pd.DataFrame:
    table = pd.DataFrame({"cell_id": grid.cells["cell_id"], "area_m2": grid.cells["area_m2"]})
    table["events"] = table["cell_id"].map(lambda c: values.get(c, (0, 0.0))[0]).astype(int)
    table["harm"] = table["cell_id"].map(lambda c: values.get(c, (0, 0.0))[1]).astype(float)
    return table


def test_the_top_n_by_harm_then_events_then_west_to_east_with_ties_noted(grid):
    table = counts(grid, {cell(0, 0): (1, 100.0), cell(5, 5): (4, 30.0), cell(3, 3): (6, 30.0),
                          cell(2, 2): (4, 30.0), cell(2, 1): (4, 30.0), cell(1, 4): (9, 10.0)})
    result = tasking.target(table, areas=grid, n=2)
    top = result.ranked.head(6)
    assert top["cell_id"].tolist() == [cell(0, 0), cell(3, 3), cell(2, 1), cell(2, 2), cell(5, 5), cell(1, 4)]
    assert top["rank"].tolist() == [1, 2, 3, 4, 5, 6]
    assert result.cell_ids == {cell(0, 0), cell(3, 3)}
    assert result.notes == ("3 cell(s) not selected have the same harm (30) as the 2th: the tie is broken by events, "
                            "then by position (west before east, south before north).",)
    assert tasking.target(table, areas=grid, n=5).notes == ()


def test_an_excluded_cell_keeps_its_place_without_a_rank_and_the_next_moves_up(grid):
    table = counts(grid, {cell(0, 0): (1, 100.0), cell(3, 3): (6, 30.0), cell(1, 4): (9, 10.0)})
    result = tasking.target(table, areas=grid, n=2, exclusions=[Exclusion(cell(0, 0), "custody suite")])
    top = result.ranked.head(3)
    assert top["excluded_reason"].tolist()[0] == "custody suite" and pd.isna(top["rank"].iloc[0])
    assert result.cell_ids == {cell(3, 3), cell(1, 4)}
    assert f"Cell {cell(0, 0)} excluded by hand: custody suite" in result.notes


def test_exclusions_need_a_reason_and_a_cell_of_this_grid(grid):
    table = counts(grid, {cell(0, 0): (1, 1.0), cell(1, 1): (1, 1.0)})
    with pytest.raises(TaskingError, match="needs a reason"):
        tasking.target(table, areas=grid, n=1, exclusions=[Exclusion(cell(0, 0), " ")])
    with pytest.raises(TaskingError, match="another grid"):
        tasking.target(table, areas=grid, n=1, exclusions=[Exclusion("200m-0-0", "hospital")])


def test_n_larger_than_the_cells_with_events_is_refused(grid):
    table = counts(grid, {cell(0, 0): (1, 1.0), cell(1, 1): (1, 1.0)})
    with pytest.raises(TaskingError, match="has 2 cell.s. with events.*Choose N from 1 to 2"):
        tasking.target(table, areas=grid, n=3)


def test_adjacent_cells_merge_into_patrol_areas(grid):
    # (0,0)-(1,0) share an edge; (2,1) meets (1,0) at a corner; (4,4) stands alone.
    table = counts(grid, {cell(0, 0): (1, 5.0), cell(1, 0): (1, 4.0), cell(2, 1): (1, 3.0), cell(4, 4): (2, 10.0)})
    result = tasking.target(table, areas=grid, n=4)
    areas = result.areas
    assert areas["cell_ids"].tolist() == [(cell(0, 0), cell(1, 0), cell(2, 1)), (cell(4, 4),)]
    assert areas["area_number"].tolist() == [1, 2] and areas["harm"].tolist() == [12.0, 10.0]
    assert areas["events"].tolist() == [3, 2] and areas["best_cell_rank"].tolist() == [2, 1]
    assert areas.crs == BNG and areas.geometry.area.tolist() == [3 * 22500, 22500]
    by_edges = tasking.patrol_areas(result.ranked, grid, diagonal=False)
    assert by_edges["cell_ids"].tolist() == [(cell(4, 4),), (cell(0, 0), cell(1, 0)), (cell(2, 1),)]
    assert len(tasking.target(table, areas=grid, n=4, merge=False).areas) == 4


def test_lsoas_merge_when_they_share_a_boundary():
    lsoas = gpd.GeoDataFrame({"lsoa_code": ["A", "B", "C"]},
                             geometry=[shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1), shapely.box(2, 1, 3, 2)],
                             crs=BNG)
    areas = ma.lsoa_areas(lsoas)
    table = pd.DataFrame({"cell_id": ["A", "B", "C"], "area_m2": [1.0, 1.0, 1.0], "events": [1, 1, 1],
                          "harm": [3.0, 2.0, 1.0]})
    ranked = tasking.target(table, areas=areas, n=3).ranked
    assert tasking.patrol_areas(ranked, areas, diagonal=False)["cell_ids"].tolist() == [("A", "B"), ("C",)]
    assert tasking.patrol_areas(ranked, areas, diagonal=True)["cell_ids"].tolist() == [("A", "B", "C")]


def test_the_capture_table_gives_shares_and_pai(grid):
    # 20 events and 100 harm in all; the selection: two areas of one cell each.
    table = counts(grid, {cell(0, 0): (8, 50.0), cell(3, 3): (2, 30.0), cell(5, 5): (10, 20.0)})
    result = tasking.target(table, areas=grid, n=2)
    capture = tasking.capture_table(result.areas, table, grid).set_index("label")
    first, both = capture.loc["Area 1"], capture.loc["All selected areas"]
    assert (first["events"], first["harm"]) == (8, 50.0)
    assert_allclose([first["events_share"], first["harm_share"], first["area_share"]], [0.4, 0.5, 1 / 36])
    assert_allclose([first["pai"], first["pai_events"]], [18.0, 14.4])
    assert (both["cells"], both["events"], both["harm"]) == (2, 10, 80.0)
    assert_allclose([both["harm_share"], both["area_share"], both["pai"]], [0.8, 2 / 36, 14.4])


def test_the_concentration_curve_is_cumulative_harm_against_area_with_the_selection_marked(grid):
    table = counts(grid, {cell(0, 0): (8, 50.0), cell(3, 3): (2, 30.0), cell(5, 5): (10, 20.0)})
    curve = tasking.concentration_curve(tasking.target(table, areas=grid, n=2).ranked, grid)
    assert_allclose(curve["area_share"], [0, 1 / 36, 2 / 36, 3 / 36, 1])
    assert_allclose(curve["harm_share"], [0, 0.5, 0.8, 1.0, 1.0])
    assert curve["selected"].tolist() == [False, True, True, False, False]
    assert curve["cell_id"].tolist()[1:4] == [cell(0, 0), cell(3, 3), cell(5, 5)]


def test_when_counts_day_of_week_by_hour_and_says_none_without_times():
    events = pd.DataFrame({"date": pd.to_datetime(["2024-03-01", "2024-03-01", "2024-03-04", "2024-03-02"]),
                           tasking.TIME_COLUMN: ["15:30", "15:59:59", "00:05", None]})  # Fri, Fri, Mon, Sat
    table = tasking.when_table(events)
    assert len(table) == 168 and table["events"].sum() == 3
    friday = table[(table["day"] == "Friday") & (table["hour"] == 15)]
    assert friday["events"].item() == 2
    assert table[(table["day_number"] == 0) & (table["hour"] == 0)]["events"].item() == 1
    assert tasking.timed_share(events) == 0.75
    assert tasking.when_table(events.drop(columns=tasking.TIME_COLUMN)) is None
    assert tasking.when_table(events.assign(**{tasking.TIME_COLUMN: ""})) is None


def test_tracking_new_persisting_and_dropped_areas_with_the_jaccard_overlap(grid):
    now = counts(grid, {cell(0, 0): (1, 9.0), cell(1, 0): (1, 8.0), cell(4, 4): (1, 7.0)})
    before = counts(grid, {cell(1, 0): (1, 9.0), cell(2, 5): (1, 8.0), cell(5, 0): (1, 7.0)})
    current = tasking.target(now, areas=grid, n=3).areas     # areas: {(0,0),(1,0)}, {(4,4)}
    previous = tasking.target(before, areas=grid, n=3).areas  # areas: {(1,0)}, {(2,5)}, {(5,0)}
    window = Window(pd.Timestamp("2024-04-01"), 12)
    track = tasking.tracking(current, previous, window=window)
    rows = track.areas.set_index(["status", "area_number"])
    assert list(rows.index) == [("persisting", 1), ("new", 2), ("dropped", 2), ("dropped", 3)]
    assert rows.loc[("persisting", 1), "previous_area_numbers"] == (1,)
    assert track.jaccard == pytest.approx(1 / 5)  # (1,0) of five distinct cells
    assert track.previous_window.label == "Apr 2023 to Mar 2024"


def test_the_window_is_whole_months_ending_with_the_latest():
    window = tasking.window_to(pd.Timestamp("2024-03-15"), 12)
    assert window.label == "Apr 2023 to Mar 2024"
    dates = pd.Series(pd.to_datetime(["2023-03-31", "2023-04-01", "2024-03-31", "2024-04-01"]))
    assert window.holds(dates).tolist() == [False, True, True, False]
    assert window.previous().label == "Apr 2022 to Mar 2023"
    with pytest.raises(TaskingError, match="1 month or more"):
        tasking.window_to(pd.Timestamp("2024-03-15"), 0)


def test_a_saved_list_from_another_grid_or_other_districts_is_refused(grid):
    with pytest.raises(TaskingError, match=r"another grid \(bng-200m\).*\(bng-150m\)"):
        tasking.check_list_grid(["200m-0-0"], grid)
    with pytest.raises(TaskingError, match="outside the chosen districts"):
        tasking.check_list_grid(["150m-9000-0"], grid)
    tasking.check_list_grid([cell(0, 0)], grid)
