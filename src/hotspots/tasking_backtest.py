"""Which method finds next months' harm: a rolling backtest of ways to pick the top N cells.

At each monthly origin (the first day of a month), every method scores the cells from the
events of the ``window_months`` before the origin only, picks the top N (highest score, ties by
cell order) of the cells not excluded (so an excluded custody suite cannot make a method win),
and is scored on the ``horizon_months`` from the origin: the hit rate (share of the horizon's
events, and of its harm, in the picked cells) and the PAI (hit rate / share of the
districts' area the picked cells cover). The origins are the latest ``origins`` months whose
horizon the data cover in full. Methods:

- ``last_window``: events in the window (today's practice, unweighted);
- ``harm_weighted``: harm in the window;
- ``recency_weighted``: harm in the window, each month weighted by ``0.5 ** (age / half-life)``
  (age 0 for the month before the origin);
- ``kde``: a Gaussian kernel density of the window's harm: the harm raster of the grid smoothed
  by ``scipy.ndimage.gaussian_filter`` (a Gaussian KDE of points binned to cells) with a standard
  deviation of ``bandwidth_m``. Grid micro-areas only.

The best method has the highest mean harm hit rate, then the highest mean harm PAI; a method that
does only as well as one listed before it in :data:`METHODS` does not replace it, so today's
practice stays "best" unless another method beats it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import ndimage

from hotspots import settings
from hotspots._errors import TaskingError
from hotspots.micro_areas import GRID, MicroAreas, cell_positions
from hotspots.tasking import check_list_grid

METHODS = {"last_window": "Last window's counts (today's practice)", "harm_weighted": "Harm-weighted counts",
           "recency_weighted": "Recency-weighted harm", "kde": "Kernel density of harm"}


@dataclass(frozen=True)
class MethodBacktest:
    """``scores``: one row per origin and method: ``origin, method, hit_rate, hit_rate_harm, pai,
    pai_harm``. ``summary``: per method, the means over origins and ``origins``, best first (by
    mean harm hit rate). ``best_method`` and ``statement`` say which selected best."""

    scores: pd.DataFrame
    summary: pd.DataFrame
    best_method: str
    statement: str
    n: int
    horizon_months: int


def backtest_methods(events: pd.DataFrame, areas: MicroAreas, *, n: int | None = None,
                     window_months: int | None = None, horizon_months: int | None = None,
                     origins: int | None = None, half_life_months: float | None = None,
                     bandwidth_m: float | None = None, excluded: Sequence[str] = ()) -> MethodBacktest:
    """Backtest :data:`METHODS` on ``events`` (``date``, a point or ``lsoa_code``, ``harm``) over
    the cells of ``areas``, never picking the ``excluded`` cell ids; defaults from ``settings.GRIP_*``."""
    n = settings.GRIP_TOP_N if n is None else int(n)
    window_months = settings.GRIP_WINDOW_MONTHS if window_months is None else int(window_months)
    horizon_months = settings.GRIP_BACKTEST_HORIZON_MONTHS if horizon_months is None else int(horizon_months)
    origins = settings.GRIP_BACKTEST_ORIGINS if origins is None else int(origins)
    half_life = settings.GRIP_HALF_LIFE_MONTHS if half_life_months is None else float(half_life_months)
    bandwidth = settings.GRIP_KDE_BANDWIDTH_M if bandwidth_m is None else float(bandwidth_m)
    counts, harm, first_month = monthly_rasters(events, areas, last_months=window_months + origins + horizon_months - 1)
    last_origin = counts.shape[0] - horizon_months
    first_origin = max(window_months, last_origin - origins + 1)
    if last_origin < first_origin:
        raise TaskingError(f"The backtest needs at least {window_months + horizon_months} months of data "
                           f"({window_months} to pick from and {horizon_months} to score on); these data cover "
                           f"{counts.shape[0]}.")
    check_list_grid(list(excluded), areas, what="The list of excluded cells")
    never = areas.cell_index.get_indexer(list(excluded))
    share = areas.cells["area_m2"].to_numpy(dtype=float) / areas.district_area_m2
    rows = []
    for origin in range(first_origin, last_origin + 1):
        past = slice(origin - window_months, origin)
        future_events, future_harm = counts[origin:origin + horizon_months].sum(0), harm[origin:origin + horizon_months].sum(0)
        for method, scores in method_scores(counts[past], harm[past], areas, half_life_months=half_life,
                                            bandwidth_m=bandwidth).items():
            scores = scores.astype(float)
            scores[never] = -np.inf
            picked = top_cells(scores, n)
            rows.append({"origin": first_month + pd.DateOffset(months=origin), "method": method,
                         **_hit_and_pai(picked, future_events, future_harm, share)})
    scores = pd.DataFrame(rows)
    summary = _summary(scores)
    return MethodBacktest(scores=scores, summary=summary, best_method=str(summary["method"].iloc[0]),
                          statement=_statement(summary, n, horizon_months), n=n, horizon_months=horizon_months)


def monthly_rasters(events: pd.DataFrame, areas: MicroAreas, *,
                    last_months: int | None = None) -> tuple[np.ndarray, np.ndarray, pd.Timestamp]:
    """Events and harm per month (rows, from the first month of the data, or of its ``last_months``)
    and cell (columns, in the order of ``areas.cells``), and the first month."""
    position = cell_positions(events, areas)
    placed = position >= 0
    if not placed.any():
        raise TaskingError("No events fall in the chosen micro-areas: choose other districts or offences.")
    month = pd.PeriodIndex(pd.to_datetime(events["date"]), freq="M").asi8
    first = month[placed].min() if last_months is None else max(month[placed].min(),
                                                                 month[placed].max() - last_months + 1)
    placed &= month >= first
    shape = (int(month[placed].max() - first) + 1, len(areas.cells))
    where = (month[placed] - first, position[placed])
    # float32 keeps a 39-month raster of 160,000 cells near 25 MB; sums of whole counts stay exact.
    counts = np.zeros(shape, dtype=np.float32)
    harm = np.zeros(shape, dtype=np.float32)
    np.add.at(counts, where, 1.0)
    np.add.at(harm, where, events["harm"].to_numpy(dtype=float)[placed])
    return counts, harm, pd.Period(ordinal=int(first), freq="M").to_timestamp()


def method_scores(counts: np.ndarray, harm: np.ndarray, areas: MicroAreas, *, half_life_months: float,
                  bandwidth_m: float) -> dict[str, np.ndarray]:
    """Each method's score per cell from a window's monthly ``counts`` and ``harm`` (oldest first)."""
    age = np.arange(len(counts))[::-1]
    scores = {"last_window": counts.sum(0), "harm_weighted": harm.sum(0),
              "recency_weighted": (0.5 ** (age / half_life_months)) @ harm}
    if areas.level == GRID:
        scores["kde"] = _kernel_density(harm.sum(0), areas, bandwidth_m)
    return scores


def top_cells(scores: np.ndarray, n: int) -> np.ndarray:
    """Positions of the ``n`` highest scores (ties: the earlier cell first)."""
    return np.argsort(-scores, kind="stable")[:n]


def _kernel_density(harm: np.ndarray, areas: MicroAreas, bandwidth_m: float) -> np.ndarray:
    cols, rows = areas.cells["col"].to_numpy(dtype=np.int64), areas.cells["row"].to_numpy(dtype=np.int64)
    c, r = cols - cols.min(), rows - rows.min()
    raster = np.zeros((r.max() + 1, c.max() + 1))
    raster[r, c] = harm
    return ndimage.gaussian_filter(raster, sigma=bandwidth_m / areas.cell_size_m, mode="constant")[r, c]


def _hit_and_pai(picked: np.ndarray, events: np.ndarray, harm: np.ndarray, share: np.ndarray) -> dict[str, float]:
    area = share[picked].sum()
    hit = events[picked].sum() / events.sum() if events.sum() else np.nan
    hit_harm = harm[picked].sum() / harm.sum() if harm.sum() else np.nan
    return {"hit_rate": hit, "hit_rate_harm": hit_harm, "pai": hit / area, "pai_harm": hit_harm / area}


def _summary(scores: pd.DataFrame) -> pd.DataFrame:
    summary = scores.groupby("method", sort=False).agg(
        hit_rate=("hit_rate", "mean"), hit_rate_harm=("hit_rate_harm", "mean"), pai=("pai", "mean"),
        pai_harm=("pai_harm", "mean"), origins=("origin", "size")).reset_index()
    summary.insert(1, "label", summary["method"].map(METHODS))
    return summary.sort_values(["hit_rate_harm", "pai_harm"], ascending=False, kind="stable").reset_index(drop=True)


def _statement(summary: pd.DataFrame, n: int, horizon: int) -> str:
    best = summary.iloc[0]
    practice = summary[summary["method"].eq("last_window")].iloc[0]
    text = (f"On these data, {best['label'].lower()} selected best: over {int(best['origins'])} monthly origins its "
            f"top {n} cells held on average {best['hit_rate_harm']:.1%} of the next {horizon} months' harm "
            f"(PAI {best['pai_harm']:.1f}) and {best['hit_rate']:.1%} of the events (PAI {best['pai']:.1f}).")
    if best["method"] != "last_window":
        text += (f" Today's practice (last window's counts) held {practice['hit_rate_harm']:.1%} of the harm "
                 f"(PAI {practice['pai_harm']:.1f}).")
    return text

