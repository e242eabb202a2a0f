"""Op Grip speed: 1,000,000 synthetic events over Greater Essex on 150 m cells.

Run: PYTHONPATH=src .venv/bin/python bench/grip.py
Prints seconds for building the grid over Greater Essex (once per districts and cell size; the page
caches it), for weighting, placing and counting, and ranking and merging all 1,000,000 events
(target: under 3 s together), for the whole tasking view of the last 12 months, and for the
backtest of the four methods over 24 monthly origins (target: under 30 s). The events are
SYNTHETIC: 70% around 400 places, 30% anywhere in the districts, over 48 months.

``pack_seconds`` is the slot for the PDF briefing pack's build time (target: under 5 s): the
pack is built on branch grip-page, which fills it in; until then it prints "not measured".
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import shapely

from hotspots import geography, harm, micro_areas, roles, settings, tasking, tasking_backtest, tasking_view
from hotspots.loading import Dataset

EVENTS, MONTHS, PLACES = 1_000_000, 48, 400


def synthetic_events(region: shapely.Geometry, seed: int = 0) -> pd.DataFrame:
    """SYNTHETIC force-extract events inside ``region`` (EPSG:27700)."""
    rng = np.random.default_rng(seed)
    places = _points_inside(region, PLACES, rng)
    near = int(EVENTS * 0.7)
    weights = rng.pareto(1.2, PLACES) + 1
    at = rng.choice(PLACES, near, p=weights / weights.sum())
    xy = np.vstack([places[at] + rng.normal(0, 60, (near, 2)), _points_inside(region, EVENTS - near, rng)])
    days = rng.integers(0, MONTHS * 30.4, EVENTS).astype("timedelta64[D]")
    return pd.DataFrame({
        "source": "police", "force": "Essex (synthetic)",
        "category": rng.choice(["violence with injury", "possession of weapons"], EVENTS, p=[0.8, 0.2]),
        "date": np.datetime64("2020-04-01") + days,
        tasking.TIME_COLUMN: [f"{h:02d}:00" for h in rng.integers(0, 24, EVENTS)],
        "easting": xy[:, 0], "northing": xy[:, 1], "ward_code": "synthetic",
        "lsoa_code": pd.array([None] * EVENTS, dtype="string"), "dataset_id": 1})


def pack_seconds(view: tasking_view.TaskingView) -> float | None:
    """Seconds to build the briefing pack of ``view``; None until grip-page's pack builder is here."""
    return None


def main() -> None:
    districts = geography.wards()
    region = shapely.union_all(districts.geometry.values)
    events = synthetic_events(region)
    areas, grid_s = _timed(lambda: micro_areas.grid_over(districts, 150))
    weights = harm.validated_weights(harm.default_weights(), offences=settings.GRIP_OFFENCES["police"])
    weighted, weight_s = _timed(lambda: harm.event_harm(events["category"], weights))
    counts, count_s = _timed(lambda: micro_areas.count_by_cell(events, areas, harm=weighted))
    _, rank_s = _timed(lambda: tasking.target(counts, areas=areas, n=settings.GRIP_TOP_N))
    dataset = Dataset(events=events, nominals=pd.DataFrame(), population=pd.DataFrame(),
                      deprivation=pd.DataFrame(), synthetic=True, synthetic_datasets=frozenset({1}))
    police = roles.role("police")
    view, view_s = _timed(lambda: tasking_view.tasking_view(dataset, police, areas))
    located = events.assign(harm=weighted)
    result, backtest_s = _timed(lambda: tasking_backtest.backtest_methods(located, areas, origins=24))
    pack = pack_seconds(view)

    core = weight_s + count_s + rank_s
    print(f"{EVENTS:,} SYNTHETIC events over Greater Essex, {len(areas.cells):,} cells of 150 m, {MONTHS} months")
    print(f"{'grid over Greater Essex (once, cached)':<44}{grid_s:>8.2f} s")
    print(f"{'weight (harm per event)':<44}{weight_s:>8.2f} s")
    print(f"{'place and count per cell':<44}{count_s:>8.2f} s")
    print(f"{'rank, top 11 and merge':<44}{rank_s:>8.2f} s")
    print(f"{'weight + place + count + rank + merge':<44}{core:>8.2f} s  ({_verdict(core, 3)} 3 s)")
    print(f"{'the whole tasking view (last 12 months)':<44}{view_s:>8.2f} s  "
          f"({len(view.ranked):,} cells with events, {len(view.areas)} patrol areas)")
    print(f"{'backtest, 4 methods x 24 origins':<44}{backtest_s:>8.2f} s  ({_verdict(backtest_s, 30)} 30 s)")
    print(f"{'PDF briefing pack':<44}" + ("     not measured (built on branch grip-page)" if pack is None
                                            else f"{pack:>8.2f} s  ({_verdict(pack, 5)} 5 s)"))
    print(result.statement)


def _points_inside(region: shapely.Geometry, count: int, rng: np.random.Generator) -> np.ndarray:
    x0, y0, x1, y1 = region.bounds
    shapely.prepare(region)
    found = np.empty((0, 2))
    while len(found) < count:
        xy = rng.uniform((x0, y0), (x1, y1), (2 * count, 2))
        found = np.vstack([found, xy[shapely.contains_xy(region, xy[:, 0], xy[:, 1])]])
    return found[:count]


def _timed(action):
    start = time.perf_counter()
    value = action()
    return value, time.perf_counter() - start


def _verdict(seconds: float, target: float) -> str:
    return "meets" if seconds < target else "MISSES"


if __name__ == "__main__":
    main()
