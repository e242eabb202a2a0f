"""Micro-areas for Op Grip targeting: square cells on the British National Grid, or LSOAs.

A grid cell is the half-open square ``[x0, x0 + size) x [y0, y0 + size)`` in EPSG:27700 whose
lower-left corner ``(x0, y0)`` is a whole multiple of the cell size from the grid's origin
(0, 0), the false origin of the National Grid. So a cell has the same id in every run and over
any choice of districts: ``"150m-559350-177600"`` is the 150 m cell whose lower-left corner is
at easting 559,350, northing 177,600. A point on a cell's west or south edge belongs to that
cell; a point on its east or north edge to the neighbour (cell index = floor(coordinate / size)).

The grid over some districts holds every cell whose square overlaps the districts' polygons with
a positive area (a cell that only touches them at an edge or a corner is not in it). Cells are
kept whole (a patrol covers the whole square), but each cell's ``area_m2`` is the part of it
inside the districts, so the cells' areas add up to the districts' area and a coastal cell does
not inflate the share of area. Cells with no events are still cells and count in that share.

With LSOAs as the micro-area level, a cell is an LSOA (``cell_id`` is its code) and events are
placed by their ``lsoa_code``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from hotspots import settings
from hotspots._errors import TaskingError

GRID, LSOA = "grid", "lsoa"
LEVELS = (GRID, LSOA)
_CELL_ID = re.compile(r"^(\d+)m-(\d+)-(\d+)$")


@dataclass(frozen=True)
class MicroAreas:
    """The micro-areas of some districts at one level.

    ``cells``: a GeoDataFrame in EPSG:27700 with ``cell_id``, ``area_m2`` (the part inside the
    districts) and the geometry (whole squares, or LSOA polygons); for the grid also ``col`` and
    ``row`` (``floor(easting / size)``, ``floor(northing / size)``). ``district_area_m2`` is the
    districts' area (the sum of ``area_m2``). ``grid_key`` names the grid (``"bng-150m"``, or
    ``"lsoa"``), so that a saved list made on another grid can be refused.
    """

    level: str
    cell_size_m: int | None
    cells: gpd.GeoDataFrame
    district_area_m2: float

    @property
    def grid_key(self) -> str:
        return grid_key(self.level, self.cell_size_m)

    @cached_property
    def cell_index(self) -> pd.Index:
        """The cells' ids as an index, built once: ``cell_index.get_indexer(ids)`` gives positions."""
        return pd.Index(self.cells["cell_id"].to_numpy(dtype=object))

    @cached_property
    def tie_order(self) -> np.ndarray:
        """Each cell's place in the last tie-break of a ranking: grid cells west to east, then south
        to north (by the easting, then the northing, of the id); LSOAs by code."""
        if self.level == GRID:
            ordered = np.lexsort((self.cells["row"].to_numpy(), self.cells["col"].to_numpy()))
        else:
            ordered = np.argsort(self.cells["cell_id"].to_numpy(dtype=object), kind="stable")
        order = np.empty(len(self.cells), dtype=np.int64)
        order[ordered] = np.arange(len(self.cells))
        return order


def grid_key(level: str, cell_size_m: int | None) -> str:
    """``"bng-<size>m"`` for a grid, ``"lsoa"`` for LSOAs."""
    return f"bng-{cell_size_m}m" if level == GRID else LSOA


def check_cell_size(cell_size_m: float) -> int:
    """The cell size as whole metres; a :class:`TaskingError` if outside the allowed range."""
    low, high = settings.GRIP_CELL_SIZE_RANGE_M
    if not float(cell_size_m).is_integer() or not low <= cell_size_m <= high:
        raise TaskingError(f"A cell size of {cell_size_m} m cannot be used: choose a whole number of metres "
                           f"from {low} to {high} (the Grip default is {settings.GRIP_CELL_SIZE_M} m).")
    return int(cell_size_m)


def cell_id(col: int, row: int, cell_size_m: int) -> str:
    """The id of the cell in column ``col`` and row ``row`` of the grid of ``cell_size_m`` cells."""
    return f"{cell_size_m}m-{col * cell_size_m}-{row * cell_size_m}"


def cell_ids(cols: np.ndarray, rows: np.ndarray, cell_size_m: int) -> np.ndarray:
    """:func:`cell_id` for arrays of columns and rows."""
    prefix = f"{cell_size_m}m-"
    eastings = (np.asarray(cols, dtype=np.int64) * cell_size_m).astype(str)
    northings = (np.asarray(rows, dtype=np.int64) * cell_size_m).astype(str)
    return np.char.add(np.char.add(np.char.add(prefix, eastings), "-"), northings).astype(object)


def grid_key_of_cell(cell: str) -> str:
    """The grid a cell id belongs to (``"bng-150m"``; ``"lsoa"`` for anything not a grid id)."""
    match = _CELL_ID.match(str(cell))
    return f"bng-{match.group(1)}m" if match else LSOA


def cell_indices(easting: np.ndarray, northing: np.ndarray, cell_size_m: int) -> tuple[np.ndarray, np.ndarray]:
    """Column and row of each point (floor of coordinate / size: an edge point goes east or north)."""
    cols = np.floor(np.asarray(easting, dtype=float) / cell_size_m)
    rows = np.floor(np.asarray(northing, dtype=float) / cell_size_m)
    return cols, rows


def grid_over(districts: gpd.GeoDataFrame, cell_size_m: int | None = None) -> MicroAreas:
    """The grid of ``cell_size_m`` cells (default ``settings.GRIP_CELL_SIZE_M``) over the polygons
    of ``districts`` (any CRS; reprojected to EPSG:27700)."""
    size = check_cell_size(settings.GRIP_CELL_SIZE_M if cell_size_m is None else cell_size_m)
    region = shapely.union_all(_projected(districts).geometry.values)
    x0, y0, x1, y1 = region.bounds
    cols, rows = np.meshgrid(np.arange(np.floor(x0 / size), np.ceil(x1 / size), dtype=np.int64),
                             np.arange(np.floor(y0 / size), np.ceil(y1 / size), dtype=np.int64))
    cols, rows = cols.ravel(), rows.ravel()
    squares = shapely.box(cols * size, rows * size, (cols + 1) * size, (rows + 1) * size)
    shapely.prepare(region)
    inside = shapely.contains_properly(region, squares)
    area = np.where(inside, float(size * size), 0.0)
    edge = np.flatnonzero(~inside & shapely.intersects(region, squares))
    area[edge] = shapely.area(shapely.intersection(squares[edge], region))
    keep = area > 0
    cells = gpd.GeoDataFrame({"cell_id": cell_ids(cols[keep], rows[keep], size), "col": cols[keep],
                              "row": rows[keep], "area_m2": area[keep]},
                             geometry=squares[keep], crs=settings.ANALYSIS_CRS)
    return MicroAreas(level=GRID, cell_size_m=size, cells=cells, district_area_m2=float(region.area))


def lsoa_areas(lsoas: gpd.GeoDataFrame) -> MicroAreas:
    """LSOAs as micro-areas: ``lsoas`` needs ``lsoa_code`` and polygons (any CRS)."""
    projected = _projected(lsoas)
    cells = gpd.GeoDataFrame({"cell_id": projected["lsoa_code"].astype(str).to_numpy(),
                              "area_m2": projected.geometry.area.to_numpy()},
                             geometry=projected.geometry.values, crs=settings.ANALYSIS_CRS)
    return MicroAreas(level=LSOA, cell_size_m=None, cells=cells, district_area_m2=float(cells["area_m2"].sum()))


def micro_areas(districts: gpd.GeoDataFrame, level: str, *, cell_size_m: int | None = None,
                lsoas: gpd.GeoDataFrame | None = None) -> MicroAreas:
    """The grid over ``districts``, or (``level="lsoa"``) the given ``lsoas``."""
    if level == GRID:
        return grid_over(districts, cell_size_m)
    if level == LSOA:
        if lsoas is None:
            raise TaskingError("LSOAs as micro-areas need the LSOA polygons of the chosen districts.")
        return lsoa_areas(lsoas)
    raise TaskingError(f"Unknown micro-area level {level!r}: use one of {', '.join(LEVELS)}.")


def place_events(events: pd.DataFrame, areas: MicroAreas) -> pd.Series:
    """Each event's ``cell_id`` (index of ``events``); missing where the event has no point (or,
    for LSOAs, no ``lsoa_code``) or falls in no cell of ``areas``."""
    position = cell_positions(events, areas)
    ids = np.append(areas.cells["cell_id"].to_numpy(dtype=object), None)  # position -1 reads the None
    return pd.Series(ids[position], index=events.index, dtype="string")


def cell_positions(events: pd.DataFrame, areas: MicroAreas) -> np.ndarray:
    """Each event's row position in ``areas.cells``; -1 where it is in no cell (see :func:`place_events`)."""
    if areas.level == LSOA:
        return areas.cell_index.get_indexer(events["lsoa_code"].astype("string").fillna(""))
    cols, rows = cell_indices(events["easting"].to_numpy(dtype=float, na_value=np.nan),
                              events["northing"].to_numpy(dtype=float, na_value=np.nan), areas.cell_size_m)
    return _cell_positions(areas, cols, rows)


def count_by_cell(events: pd.DataFrame, areas: MicroAreas, *, harm: pd.Series | None = None) -> pd.DataFrame:
    """Every cell of ``areas`` (events or none) with ``cell_id, area_m2, events, harm``.

    ``harm`` is each event's weight (index of ``events``; see :func:`hotspots.harm.event_harm`);
    without it harm is the count. Events in no cell are left out."""
    position = cell_positions(events, areas)
    placed = position >= 0
    weight = np.ones(len(events)) if harm is None else harm.to_numpy(dtype=float)
    cells = len(areas.cells)
    return pd.DataFrame({"cell_id": areas.cells["cell_id"].to_numpy(), "area_m2": areas.cells["area_m2"].to_numpy(),
                         "events": np.bincount(position[placed], minlength=cells),
                         "harm": np.bincount(position[placed], weights=weight[placed], minlength=cells)})


def _cell_positions(areas: MicroAreas, cols: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Row position in ``areas.cells`` of each (col, row) of floats; -1 where none (or NaN)."""
    grid = _cell_keys(areas.cells["col"].to_numpy(dtype=np.int64), areas.cells["row"].to_numpy(dtype=np.int64))
    valid = np.isfinite(cols) & np.isfinite(rows)
    keys = _cell_keys(np.where(valid, cols, 0).astype(np.int64), np.where(valid, rows, 0).astype(np.int64))
    return np.where(valid, pd.Index(grid).get_indexer(keys), -1)


def _cell_keys(cols: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """One int64 per cell (a British National Grid row is below 10**7 at any allowed size)."""
    return cols * 10**7 + rows


def _projected(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if frame.crs is None:
        raise TaskingError("The districts' polygons have no coordinate reference system: give them one "
                           "(British National Grid, EPSG:27700, is what the analysis uses).")
    if frame.empty:
        raise TaskingError("No districts were chosen: choose at least one district for the micro-areas.")
    return frame.to_crs(settings.ANALYSIS_CRS)
