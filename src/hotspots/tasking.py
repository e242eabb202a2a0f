"""Op Grip targeting and tracking on micro-areas (docs/tasking.md).

Targeting ranks the micro-areas of a window of months by harm (or by count) and selects the top
N; patrol areas join selected cells that touch; the capture table and concentration curve say
what the selection holds; "when" counts its events by day of week and hour; tracking compares the
selection with the previous window's.

Ranking and ties: cells are ordered by harm (highest first), then by events, then from west to
east and south to north (``MicroAreas.tie_order``; LSOAs by code), and the first N cells with
events that are not excluded are selected, so the order is the same in every run. When cells left out tie with the N-th on harm, the notes say how many.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from hotspots import settings
from hotspots._errors import TaskingError
from hotspots.micro_areas import GRID, MicroAreas, cell_positions, grid_key_of_cell

#: The events column "when" reads: the time of day as text ``HH:MM`` (24-hour clock; seconds,
#: if any, are ignored), empty or missing where the file gave no time.
TIME_COLUMN = "time_of_day"
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
NEW, PERSISTING, DROPPED = "new", "persisting", "dropped"


@dataclass(frozen=True)
class Window:
    """Whole months: ``first_month`` (its first day) and ``months`` after it."""

    first_month: pd.Timestamp
    months: int

    @property
    def end(self) -> pd.Timestamp:
        """The first day after the window."""
        return self.first_month + pd.DateOffset(months=self.months)

    @property
    def last_month(self) -> pd.Timestamp:
        return self.first_month + pd.DateOffset(months=self.months - 1)

    @property
    def label(self) -> str:
        return f"{self.first_month:%b %Y} to {self.last_month:%b %Y}"

    def previous(self) -> Window:
        """The window of the same length just before this one."""
        return Window(self.first_month - pd.DateOffset(months=self.months), self.months)

    def holds(self, dates: pd.Series) -> pd.Series:
        return (dates >= self.first_month) & (dates < self.end)


@dataclass(frozen=True)
class Exclusion:
    """A cell the analyst leaves out of the selection, and why (the briefing pack lists it)."""

    cell_id: str
    reason: str


@dataclass(frozen=True)
class Targeting:
    """``ranked``: every cell, best first, with ``cell_id, area_m2, events, harm, rank`` (1 for the
    best cell with events that is not excluded; missing for excluded cells and cells without
    events), ``selected`` and ``excluded_reason`` (missing unless excluded). ``areas``: the patrol
    areas (:func:`patrol_areas`). ``notes``: ties at the N-th place, exclusions."""

    ranked: pd.DataFrame
    areas: gpd.GeoDataFrame
    notes: tuple[str, ...]

    @property
    def cell_ids(self) -> frozenset[str]:
        return frozenset(self.ranked.loc[self.ranked["selected"], "cell_id"])


@dataclass(frozen=True)
class Tracking:
    """What changed against the previous window. ``areas``: one row per current area (``new`` or
    ``persisting``) and per previous area that dropped out (``dropped``): ``status, area_number``
    (the current one; the previous one for dropped areas), ``previous_area_numbers`` (those it
    shares cells with), ``cell_ids``. ``jaccard``: cells in both selections over cells in either."""

    areas: pd.DataFrame
    jaccard: float
    window: Window
    previous_window: Window


@dataclass(frozen=True)
class TaskingList:
    """A meeting's tasking list, as saved for the next meeting's tracking and testing.

    ``areas`` holds each patrol area's cell ids, in area-number order; ``grid_key`` the grid they
    are on (``MicroAreas.grid_key``); ``harm_weights`` the weights used (None: counts)."""

    grid_key: str
    chosen_on: date
    window: Window
    source: str
    offences: tuple[str, ...]
    harm_weights: dict[str, float] | None
    n: int
    exclusions: tuple[Exclusion, ...]
    areas: tuple[tuple[str, ...], ...]

    @property
    def cell_ids(self) -> tuple[str, ...]:
        return tuple(cell for area in self.areas for cell in area)


def window_to(latest: pd.Timestamp, months: int | None = None) -> Window:
    """The ``months`` (default ``settings.GRIP_WINDOW_MONTHS``) ending with the month of ``latest``."""
    months = settings.GRIP_WINDOW_MONTHS if months is None else int(months)
    if months < 1:
        raise TaskingError(f"A window of {months} months cannot be used: choose 1 month or more.")
    last = pd.Timestamp(latest).to_period("M").to_timestamp()
    return Window(last - pd.DateOffset(months=months - 1), months)


def target(counts: pd.DataFrame, *, areas: MicroAreas, n: int | None = None,
           exclusions: Sequence[Exclusion] = (), merge: bool = True) -> Targeting:
    """Rank ``counts`` (:func:`hotspots.micro_areas.count_by_cell` for ``areas``: one row per cell,
    in order), select the top ``n`` (default ``settings.GRIP_TOP_N``) cells with events that are
    not excluded, and form patrol areas."""
    n = settings.GRIP_TOP_N if n is None else int(n)
    if len(counts) != len(areas.cells):
        raise ValueError("counts must be count_by_cell's table for these areas: one row per cell, in order")
    reasons = _checked_exclusions(exclusions, areas)
    order = np.lexsort((areas.tie_order, -counts["events"].to_numpy(), -counts["harm"].to_numpy()))
    reason = np.full(len(counts), None, dtype=object)
    reason[areas.cell_index.get_indexer(list(reasons))] = list(reasons.values())
    ranked = counts.iloc[order].reset_index(drop=True)
    ranked["excluded_reason"] = pd.array(reason[order], dtype="string")
    eligible = ranked["events"].gt(0) & ranked["excluded_reason"].isna()
    if n < 1 or n > int(eligible.sum()):
        raise TaskingError(f"N = {n} cannot be selected: the window has {int(eligible.sum())} cell(s) with events "
                           f"that are not excluded. Choose N from 1 to {int(eligible.sum())}, or a longer window.")
    ranked["rank"] = pd.Series(np.cumsum(eligible), dtype="Int64").where(eligible)
    ranked["selected"] = eligible & ranked["rank"].le(n).fillna(False)
    notes = [*_tie_note(ranked, eligible, n), *_exclusion_notes(reasons)]
    return Targeting(ranked=ranked, areas=patrol_areas(ranked, areas, merge=merge), notes=tuple(notes))


def patrol_areas(ranked: pd.DataFrame, areas: MicroAreas, *, merge: bool = True,
                 diagonal: bool | None = None) -> gpd.GeoDataFrame:
    """The selected cells of ``ranked`` as patrol areas: with ``merge``, cells that share an edge
    (and, with ``diagonal``, default ``settings.GRIP_DIAGONAL_NEIGHBOURS``, a corner) are one area;
    without, each cell is an area. Columns: ``area_number`` (1 = most harm; ties by best cell
    rank), ``cell_ids`` (tuple, best first), ``cells``, ``events``, ``harm``, ``area_m2``,
    ``best_cell_rank``, geometry (EPSG:27700)."""
    diagonal = settings.GRIP_DIAGONAL_NEIGHBOURS if diagonal is None else diagonal
    chosen = ranked[ranked["selected"]].sort_values("rank")
    shapes = areas.cells.iloc[areas.cell_index.get_indexer(chosen["cell_id"])]
    group = _components(shapes, areas.level, diagonal) if merge else np.arange(len(chosen))
    rows = []
    for label in np.unique(group):
        members = chosen[group == label]
        rows.append({"cell_ids": tuple(members["cell_id"]), "cells": len(members),
                     "events": int(members["events"].sum()), "harm": float(members["harm"].sum()),
                     "area_m2": float(members["area_m2"].sum()), "best_cell_rank": int(members["rank"].min()),
                     "geometry": shapely.union_all(shapes.geometry.to_numpy()[group == label])})
    table = pd.DataFrame(rows).sort_values(["harm", "best_cell_rank"], ascending=[False, True], kind="stable")
    table.insert(0, "area_number", np.arange(1, len(table) + 1))
    return gpd.GeoDataFrame(table.reset_index(drop=True), geometry="geometry", crs=settings.ANALYSIS_CRS)


def capture_table(patrol: gpd.GeoDataFrame, counts: pd.DataFrame, areas: MicroAreas) -> pd.DataFrame:
    """Per patrol area and for the whole selection (``area_number`` missing, ``label`` "All
    selected areas"): ``events, harm, events_share, harm_share, area_share`` (of the districts'
    area), ``pai`` (harm share / area share) and ``pai_events`` (events share / area share)."""
    total_events, total_harm = float(counts["events"].sum()), float(counts["harm"].sum())
    table = pd.DataFrame({"area_number": patrol["area_number"].astype("Int64"),
                          "label": [f"Area {k}" for k in patrol["area_number"]], "cells": patrol["cells"],
                          "events": patrol["events"], "harm": patrol["harm"], "area_m2": patrol["area_m2"]})
    whole = pd.DataFrame({"area_number": pd.array([pd.NA], dtype="Int64"), "label": ["All selected areas"],
                          "cells": [int(table["cells"].sum())], "events": [int(table["events"].sum())],
                          "harm": [float(table["harm"].sum())], "area_m2": [float(table["area_m2"].sum())]})
    table = pd.concat([table, whole], ignore_index=True)
    table["events_share"] = table["events"] / total_events if total_events else np.nan
    table["harm_share"] = table["harm"] / total_harm if total_harm else np.nan
    table["area_share"] = table["area_m2"] / areas.district_area_m2
    table["pai"] = table["harm_share"] / table["area_share"]
    table["pai_events"] = table["events_share"] / table["area_share"]
    return table


def concentration_curve(ranked: pd.DataFrame, areas: MicroAreas) -> pd.DataFrame:
    """Cells sorted by harm (as ranked, excluded cells in their place): ``position``, ``cell_id``,
    ``area_share`` and ``harm_share`` (cumulative, from 0 to 1), ``selected``. Starts at (0, 0);
    the cells without harm are one last point at area share 1."""
    harm_total = float(ranked["harm"].sum())
    with_harm = ranked[ranked["harm"].gt(0)]
    start = pd.DataFrame({"position": [0], "cell_id": [pd.NA], "area_share": [0.0], "harm_share": [0.0],
                          "selected": [False]})
    curve = pd.DataFrame({"position": np.arange(1, len(with_harm) + 1), "cell_id": with_harm["cell_id"].to_numpy(),
                          "area_share": with_harm["area_m2"].cumsum().to_numpy() / areas.district_area_m2,
                          "harm_share": with_harm["harm"].cumsum().to_numpy() / harm_total if harm_total else 0.0,
                          "selected": with_harm["selected"].to_numpy()})
    parts = [start, curve]
    if len(with_harm) < len(ranked):
        parts.append(pd.DataFrame({"position": [len(ranked)], "cell_id": [pd.NA], "area_share": [1.0],
                                   "harm_share": [1.0 if harm_total else 0.0], "selected": [False]}))
    return pd.concat(parts, ignore_index=True)


def when_table(events: pd.DataFrame) -> pd.DataFrame | None:
    """Events by day of week and hour: ``day_number`` (0 = Monday), ``day``, ``hour`` (0-23),
    ``events``, all 168 pairs; None when the events have no :data:`TIME_COLUMN` or no time in it."""
    if TIME_COLUMN not in events.columns:
        return None
    hours = _hours(events[TIME_COLUMN])
    timed = hours.notna()
    if not timed.any():
        return None
    day = pd.to_datetime(events.loc[timed, "date"]).dt.day_of_week.to_numpy()
    counts = np.zeros((7, 24), dtype=int)
    np.add.at(counts, (day, hours[timed].to_numpy(dtype=int)), 1)
    grid = np.indices((7, 24)).reshape(2, -1)
    return pd.DataFrame({"day_number": grid[0], "day": np.array(DAYS)[grid[0]], "hour": grid[1],
                         "events": counts.ravel()})


def events_in_cells(events: pd.DataFrame, areas: MicroAreas, cell_ids: frozenset[str] | set[str]) -> pd.Series:
    """Whether each event falls in one of ``cell_ids`` (index of ``events``)."""
    wanted = areas.cell_index.get_indexer(list(cell_ids))
    return pd.Series(np.isin(cell_positions(events, areas), wanted), index=events.index)


def timed_share(events: pd.DataFrame) -> float:
    """Share of ``events`` with a time of day (0 without the column)."""
    if TIME_COLUMN not in events.columns or not len(events):
        return 0.0
    return float(_hours(events[TIME_COLUMN]).notna().mean())


def tracking(current: pd.DataFrame, previous: pd.DataFrame, *, window: Window,
             previous_window: Window | None = None) -> Tracking:
    """New, persisting and dropped areas of ``current`` against ``previous`` (each with
    ``area_number`` and ``cell_ids``: patrol areas of the previous window, by default the one just
    before ``window``, or a saved list's, see :func:`list_areas`). An area persists when it
    shares a cell with an area of the other selection."""
    previous_of = {cell: int(number) for number, cells in zip(previous["area_number"], previous["cell_ids"])
                   for cell in cells}
    current_of = {cell: int(number) for number, cells in zip(current["area_number"], current["cell_ids"])
                  for cell in cells}
    rows = []
    for number, cells in zip(current["area_number"], current["cell_ids"]):
        shared = sorted({previous_of[c] for c in cells if c in previous_of})
        rows.append({"status": PERSISTING if shared else NEW, "area_number": int(number),
                     "previous_area_numbers": tuple(shared), "cell_ids": tuple(cells)})
    for number, cells in zip(previous["area_number"], previous["cell_ids"]):
        if not any(c in current_of for c in cells):
            rows.append({"status": DROPPED, "area_number": int(number), "previous_area_numbers": (int(number),),
                         "cell_ids": tuple(cells)})
    both, either = set(current_of) & set(previous_of), set(current_of) | set(previous_of)
    table = pd.DataFrame(rows, columns=["status", "area_number", "previous_area_numbers", "cell_ids"])
    return Tracking(areas=table, jaccard=len(both) / len(either) if either else 1.0, window=window,
                    previous_window=previous_window or window.previous())


def list_areas(saved: TaskingList) -> pd.DataFrame:
    """A saved list's areas as :func:`tracking` reads them: ``area_number`` (1, 2, ...) and ``cell_ids``."""
    return pd.DataFrame({"area_number": np.arange(1, len(saved.areas) + 1), "cell_ids": list(saved.areas)})


def check_list_grid(cell_ids: Sequence[str], areas: MicroAreas, *, what: str = "The saved list") -> None:
    """Refuse (:class:`TaskingError`) cells that are not on the grid of ``areas``."""
    other = sorted({grid_key_of_cell(c) for c in cell_ids} - {areas.grid_key})
    if other:
        raise TaskingError(f"{what} was made on another grid ({', '.join(other)}) than the one shown "
                           f"({areas.grid_key}): choose the same micro-areas and cell size as when it was made.")
    unknown = sorted(c for c, at in zip(cell_ids, areas.cell_index.get_indexer(list(cell_ids))) if at < 0)
    if unknown:
        raise TaskingError(f"{what} has {len(unknown)} cell(s) outside the chosen districts "
                           f"(first {unknown[0]}): choose the districts it was made for.")


def _checked_exclusions(exclusions: Sequence[Exclusion], areas: MicroAreas) -> dict[str, str]:
    reasons = {}
    for exclusion in exclusions:
        if not str(exclusion.reason).strip():
            raise TaskingError(f"Excluding cell {exclusion.cell_id} needs a reason (a custody suite, a hospital "
                               "entrance where crimes are recorded): the briefing pack lists it.")
        reasons[str(exclusion.cell_id)] = str(exclusion.reason).strip()
    check_list_grid(list(reasons), areas, what="The list of excluded cells")
    return reasons


def _tie_note(ranked: pd.DataFrame, eligible: pd.Series, n: int) -> list[str]:
    candidates = ranked[eligible]
    nth = candidates["harm"].iloc[n - 1]
    tied_out = int(candidates["harm"].iloc[n:].eq(nth).sum())
    if not tied_out:
        return []
    return [f"{tied_out} cell(s) not selected have the same harm ({nth:g}) as the {n}th: the tie is broken by "
            "events, then by position (west before east, south before north)."]


def _exclusion_notes(reasons: dict[str, str]) -> list[str]:
    return [f"Cell {cell} excluded by hand: {reason}" for cell, reason in reasons.items()]


def _components(shapes: gpd.GeoDataFrame, level: str, diagonal: bool) -> np.ndarray:
    """Label of the contiguous group of each of ``shapes`` (indexed by cell id)."""
    if level == GRID:
        cols, rows = shapes["col"].to_numpy(dtype=np.int64), shapes["row"].to_numpy(dtype=np.int64)
        dc, dr = np.abs(cols[:, None] - cols[None, :]), np.abs(rows[:, None] - rows[None, :])
        touching = (np.maximum(dc, dr) == 1) if diagonal else (dc + dr == 1)
    else:
        geometry = shapes.geometry.to_numpy()
        common = shapely.intersection(geometry[:, None], geometry[None, :])
        dimension = shapely.get_dimensions(common)
        touching = (dimension >= (0 if diagonal else 1)) & ~shapely.is_empty(common)
        np.fill_diagonal(touching, False)
    return connected_components(sparse.csr_matrix(touching), directed=False)[1]


def _hours(times: pd.Series) -> pd.Series:
    text = times.astype("string").str.strip()
    parsed = pd.to_datetime(text.str.slice(0, 5), format="%H:%M", errors="coerce")
    return parsed.dt.hour.astype("Int64")
