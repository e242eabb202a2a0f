"""Micro-areas: cell ids on the British National Grid, edges, which cells, counts, LSOAs."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from numpy.testing import assert_allclose

from hotspots import micro_areas as ma
from hotspots._errors import TaskingError

BNG = "EPSG:27700"


def districts(*boxes: tuple[float, float, float, float]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(geometry=[shapely.box(*b) for b in boxes], crs=BNG)


def points(xy: list[tuple[float, float]]) -> pd.DataFrame:
    x, y = zip(*xy) if xy else ((), ())
    return pd.DataFrame({"easting": np.array(x, dtype=float), "northing": np.array(y, dtype=float),
                         "lsoa_code": pd.array([None] * len(xy), dtype="string")})


def test_cell_id_is_the_lower_left_corner_on_the_national_grid():
    areas = ma.grid_over(districts((559000, 177000, 560000, 178000)), 150)
    placed = ma.place_events(points([(559351, 177601), (559499.9, 177749.9)]), areas)
    assert placed.tolist() == ["150m-559350-177600", "150m-559350-177600"]
    assert ma.grid_key_of_cell("150m-559350-177600") == areas.grid_key == "bng-150m"


def test_points_on_edges_go_east_and_north_to_exactly_one_cell():
    areas = ma.grid_over(districts((559000, 177000, 560000, 178000)), 150)
    placed = ma.place_events(points([(559350, 177600),   # the corner itself: its own cell
                                     (559500, 177650),   # on the east edge of 559350: the next cell east
                                     (559400, 177750),   # on the north edge: the next cell north
                                     (559500, 177750)]), areas)
    assert placed.tolist() == ["150m-559350-177600", "150m-559500-177600", "150m-559350-177750",
                               "150m-559500-177750"]


def test_the_anchor_does_not_move_with_the_districts():
    whole = ma.grid_over(districts((0, 0, 300, 300)), 150)
    shifted = ma.grid_over(districts((10, 20, 300, 300)), 150)
    assert sorted(whole.cells["cell_id"]) == sorted(shifted.cells["cell_id"]) == [
        "150m-0-0", "150m-0-150", "150m-150-0", "150m-150-150"]
    areas = shifted.cells.set_index("cell_id")["area_m2"]
    assert areas["150m-0-0"] == 140 * 130 and areas["150m-150-150"] == 150 * 150


def test_cells_overlapping_the_districts_are_kept_whole_with_their_inside_area():
    areas = ma.grid_over(districts((0, 0, 400, 300)), 150)  # x 300-400 covers a third of column 2
    cells = areas.cells.set_index("cell_id")
    assert len(cells) == 6  # a cell touching only the edge x = 450 or y = 300 is not in the grid
    assert cells.loc["150m-300-0", "area_m2"] == 100 * 150
    assert cells.loc["150m-300-0", "geometry"].area == 150 * 150
    assert areas.district_area_m2 == cells["area_m2"].sum() == 400 * 300


def test_counts_every_cell_with_or_without_events_and_leaves_out_points_outside():
    areas = ma.grid_over(districts((0, 0, 300, 300)), 150)
    events = points([(10, 10), (149, 149), (150, 10), (500, 500), (np.nan, np.nan)])
    counts = ma.count_by_cell(events, areas, harm=pd.Series([1.0, 2.0, 4.0, 8.0, 16.0]))
    table = counts.set_index("cell_id")
    assert table["events"].to_dict() == {"150m-0-0": 2, "150m-0-150": 0, "150m-150-0": 1, "150m-150-150": 0}
    assert table.loc["150m-0-0", "harm"] == 3.0 and table.loc["150m-150-0", "harm"] == 4.0
    assert table["harm"].sum() == 7.0  # the point outside and the one without coordinates are in no cell


@pytest.mark.parametrize("size", [99, 501, 150.5, 0, -150])
def test_a_cell_size_outside_the_range_is_refused(size):
    with pytest.raises(TaskingError, match="choose a whole number of metres from 100 to 500"):
        ma.grid_over(districts((0, 0, 300, 300)), size)


def test_the_size_is_part_of_the_id():
    areas = ma.grid_over(districts((0, 0, 1000, 1000)), 250)
    assert ma.place_events(points([(260, 740)]), areas).tolist() == ["250m-250-500"]
    assert areas.grid_key == "bng-250m"


def test_lsoas_as_micro_areas_place_events_by_code():
    lsoas = gpd.GeoDataFrame({"lsoa_code": ["E01000001", "E01000002"]},
                             geometry=[shapely.box(0, 0, 100, 100), shapely.box(100, 0, 300, 100)], crs=BNG)
    areas = ma.micro_areas(None, "lsoa", lsoas=lsoas)
    events = pd.DataFrame({"easting": [np.nan] * 3, "northing": [np.nan] * 3,
                           "lsoa_code": pd.array(["E01000002", "E01000002", "E01999999"], dtype="string")})
    counts = ma.count_by_cell(events, areas).set_index("cell_id")
    assert counts["events"].to_dict() == {"E01000001": 0, "E01000002": 2}
    assert_allclose(counts["area_m2"], [10_000, 20_000])
    assert areas.grid_key == "lsoa"


def test_districts_without_a_crs_or_none_at_all_are_refused():
    with pytest.raises(TaskingError, match="no coordinate reference system"):
        ma.grid_over(gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 1, 1)]), 150)
    with pytest.raises(TaskingError, match="choose at least one district"):
        ma.grid_over(gpd.GeoDataFrame(geometry=[], crs=BNG), 150)
    with pytest.raises(TaskingError, match="Unknown micro-area level"):
        ma.micro_areas(districts((0, 0, 1, 1)), "hexagon")


def test_districts_in_wgs84_are_reprojected():
    square = districts((559000, 177000, 559300, 177300)).to_crs("EPSG:4326")
    assert len(ma.grid_over(square, 150).cells) in (4, 6, 9)  # reprojection bends the edges by millimetres
