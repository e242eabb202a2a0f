"""The page's map of patrol areas: every area drawn and numbered, names escaped, no tiles when off."""

from __future__ import annotations

import json
import re

import geopandas as gpd
import pytest
import shapely

from hotspots import tasking_map


def test_every_area_is_drawn_numbered_and_ward_names_are_escaped() -> None:
    areas = gpd.GeoDataFrame({"area_number": [1, 2], "cells": [2, 1], "events": [17, 8], "harm": [255.0, 120.0]},
                             geometry=[shapely.box(561000, 177450, 561300, 177600),
                                       shapely.box(564900, 180000, 565050, 180150)], crs="EPSG:27700")
    wards = gpd.GeoDataFrame({"ward_name": ["<img src=x onerror=alert(1)>"]},
                             geometry=[shapely.box(560000, 177000, 566000, 181000)], crs="EPSG:27700")
    page = tasking_map.patrol_areas_map(areas, wards, basemap=False,
                                        leaflet_urls=("/app/static/leaflet/leaflet.js",
                                                      "/app/static/leaflet/leaflet.css")).get_root().render()
    numbers = [part.split("\\u003c/div")[0] for part in page.split('class=\\"grip-area-number\\"')[1:]]
    assert [number.rsplit("\\u003e", 1)[-1] for number in numbers] == ["1", "2"]  # one number per area
    assert "<img src=x" not in page and "\\u0026lt;img src=x onerror=alert(1)\\u0026gt;" in page  # as text
    assert "tile.openstreetmap.org" not in page and "cdn.jsdelivr.net/npm/leaflet" not in page


def test_the_map_fits_the_areas_cells_and_fits_them_again_when_its_frame_is_resized() -> None:
    areas = gpd.GeoDataFrame({"area_number": [1], "cells": [1], "events": [3], "harm": [45.0]},
                             geometry=[shapely.box(561000, 177450, 561150, 177600)], crs="EPSG:27700")
    wards = gpd.GeoDataFrame({"ward_name": ["A"]}, geometry=[shapely.box(550000, 170000, 580000, 190000)],
                             crs="EPSG:27700")
    fmap = tasking_map.patrol_areas_map(areas, wards, basemap=False)
    page = fmap.get_root().render()
    west, south, east, north = areas.to_crs("EPSG:4326").total_bounds
    name = fmap.get_name()
    fits = page.split(f"{name}.fitBounds(")
    assert len(fits) == 3 and f'{name}.on("resize", function () {{' in fits[1]  # at once, and on every resize
    for fit in fits[1:]:
        corners = json.loads(re.match(r"\s*(\[\[[^]]*\],\s*\[[^]]*\]\])", fit).group(1))
        assert sum(corners, []) == pytest.approx([south, west, north, east])  # the areas' cells, not the wards
