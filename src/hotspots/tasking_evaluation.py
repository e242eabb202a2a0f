"""Testing a tasking list: events and harm after against before, in the chosen cells, in a ring
around them and in comparison cells, with a difference-in-differences estimate.

The comparison cells are the next-ranked cells that were not chosen and lie outside the ring
(ranked by harm in the window before the list's date, as targeting ranks them), as many as were
chosen: a cell in the ring would count displaced crime as the comparison's. The ring is the
ground within ``buffer_m`` of the chosen cells that is not in them; events are placed in it by
their points. The estimate is a quasi-Poisson regression (statsmodels GLM, Poisson family, scale
from Pearson's chi-squared, so overdispersion widens the interval) of each unit's count in each
period on group, period and their interaction, with the period's months as exposure. The
interaction's exponent is the rate ratio: how the chosen cells' rate changed relative to the
comparison cells'. With one unit per cell and the two periods it equals
``(chosen after / chosen before) / (comparison after / comparison before)`` of the monthly rates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
import statsmodels.api as sm

from hotspots import settings
from hotspots._errors import TaskingError
from hotspots.micro_areas import MicroAreas, place_events
from hotspots.tasking import Window, check_list_grid

CHOSEN, RING, COMPARISON = "chosen", "ring", "comparison"
BEFORE, AFTER = "before", "after"

#: What the estimate can and cannot show (the page and the pack print it).
STATEMENT = ("This compares how events changed in the chosen areas with how they changed in the next-ranked "
             "areas that were not chosen, over the same months. It can show whether the chosen areas fell more "
             "(or less) than similar high-crime places, with an interval for chance variation. It cannot show that "
             "patrols caused the change: the comparison cells were ranked lower, so some of a fall may be "
             "regression to the mean; other changes (recording practice, events, other operations) may differ "
             "between the areas; and a short 'after' period gives a wide interval. The ring shows whether crime "
             "moved next door (displacement) or fell there too (diffusion of benefit).")


@dataclass(frozen=True)
class Evaluation:
    """``table``: per group (``chosen``, ``ring``, ``comparison``) and period (``before``,
    ``after``): ``units``, ``months``, ``events``, ``harm``, ``events_per_month``,
    ``harm_per_month``. ``rate_ratio`` with its 95% interval ``ci_low``, ``ci_high`` and
    ``p_value`` (chosen against comparison, events); ``ring_rate_ratio`` (ring against comparison,
    NaN without ring events). NaN where a group has no events in a period (``notes`` says so)."""

    table: pd.DataFrame
    rate_ratio: float
    ci_low: float
    ci_high: float
    p_value: float
    ring_rate_ratio: float
    before: Window
    after: Window
    comparison_cells: tuple[str, ...]
    statement: str
    notes: tuple[str, ...]


def comparison_cells(ranked_before: pd.DataFrame, chosen: Sequence[str], areas: MicroAreas, *,
                     buffer_m: float | None = None, k: int | None = None) -> tuple[str, ...]:
    """The ``k`` (default: as many as chosen) best-ranked cells with events of ``ranked_before``
    (``tasking.target``'s ranking in the window before the list's date) that were not chosen and
    are ``buffer_m`` (default ``settings.GRIP_BUFFER_M``) or more from the chosen cells of ``areas``."""
    k = len(chosen) if k is None else k
    buffer_m = settings.GRIP_BUFFER_M if buffer_m is None else float(buffer_m)
    check_list_grid(chosen, areas)
    shapes = areas.cells.set_index("cell_id").geometry
    candidates = ranked_before[ranked_before["events"].gt(0) & ~ranked_before["cell_id"].isin(set(chosen))]
    distance = shapely.distance(shapes.loc[candidates["cell_id"]].values,
                                shapely.union_all(shapes.loc[list(chosen)].values))
    return tuple(candidates["cell_id"][distance >= buffer_m].head(k))


def evaluate(events: pd.DataFrame, areas: MicroAreas, chosen: Sequence[str], comparison: Sequence[str], *,
             before: Window, after: Window, buffer_m: float | None = None) -> Evaluation:
    """Events (with ``date``, ``easting``, ``northing``, ``harm``) after against before in the
    ``chosen`` cells, the ring and the ``comparison`` cells of ``areas``."""
    check_list_grid(chosen, areas)
    buffer_m = settings.GRIP_BUFFER_M if buffer_m is None else float(buffer_m)
    if not comparison:
        raise TaskingError("No comparison cells: the window before the list's date has no other cells with events.")
    unit = _units(events, areas, chosen, comparison, buffer_m)
    period = pd.Series(pd.NA, index=events.index, dtype="string")
    period[before.holds(events["date"])] = BEFORE
    period[after.holds(events["date"])] = AFTER
    rows = pd.DataFrame({"unit": unit, "period": period, "harm": events["harm"].astype(float)}).dropna(
        subset=["unit", "period"])
    groups = {CHOSEN: list(chosen), COMPARISON: list(comparison), RING: [RING]}
    counts = _unit_counts(rows, groups, {BEFORE: before.months, AFTER: after.months})
    table = _summary(counts)
    fitted, notes = _did(counts)
    return Evaluation(table=table, **fitted, before=before, after=after, comparison_cells=tuple(comparison),
                      statement=STATEMENT, notes=tuple(notes))


def _units(events: pd.DataFrame, areas: MicroAreas, chosen: Sequence[str], comparison: Sequence[str],
           buffer_m: float) -> pd.Series:
    """Each event's unit: its cell id when chosen or comparison, ``ring`` in the ring, else missing."""
    cell = place_events(events, areas)
    unit = cell.where(cell.isin(set(chosen) | set(comparison)))
    shapes = areas.cells.set_index("cell_id").geometry
    chosen_union = shapely.union_all(shapes.loc[list(chosen)].values)
    ring = shapely.difference(shapely.buffer(chosen_union, buffer_m), chosen_union)
    shapely.prepare(ring)
    x = events["easting"].to_numpy(dtype=float, na_value=np.nan)
    y = events["northing"].to_numpy(dtype=float, na_value=np.nan)
    in_ring = shapely.contains_xy(ring, np.nan_to_num(x), np.nan_to_num(y)) & np.isfinite(x) & np.isfinite(y)
    return unit.mask(pd.Series(in_ring, index=events.index) & unit.isna(), RING)


def _unit_counts(rows: pd.DataFrame, groups: dict[str, list[str]], months: dict[str, int]) -> pd.DataFrame:
    """One row per unit and period (zeros included): ``group, unit, period, months, events, harm``."""
    totals = rows.groupby(["unit", "period"])["harm"].agg(["size", "sum"])
    frames = []
    for group, units in groups.items():
        for period, length in months.items():
            index = pd.MultiIndex.from_product([units, [period]])
            found = totals.reindex(index)
            frames.append(pd.DataFrame({"group": group, "unit": units, "period": period, "months": length,
                                        "events": found["size"].fillna(0).astype(int).to_numpy(),
                                        "harm": found["sum"].fillna(0.0).to_numpy()}))
    return pd.concat(frames, ignore_index=True)


def _summary(counts: pd.DataFrame) -> pd.DataFrame:
    table = counts.groupby(["group", "period"], sort=False).agg(
        units=("unit", "size"), months=("months", "first"), events=("events", "sum"), harm=("harm", "sum"))
    table = table.reset_index()
    table["events_per_month"] = table["events"] / table["months"]
    table["harm_per_month"] = table["harm"] / table["months"]
    return table


def _did(counts: pd.DataFrame) -> tuple[dict, list[str]]:
    """The quasi-Poisson difference-in-differences fit of chosen (and ring) against comparison."""
    totals = counts.groupby(["group", "period"])["events"].sum()
    empty = [f"{group} {period}" for (group, period), value in totals.items() if value == 0]
    usable = [g for g in (CHOSEN, RING) if not any(e.startswith(g + " ") for e in empty)]
    nothing = dict(rate_ratio=np.nan, ci_low=np.nan, ci_high=np.nan, p_value=np.nan, ring_rate_ratio=np.nan)
    notes = [f"No events in the {e} period: no ratio involving it can be estimated." for e in empty]
    if any(e.startswith(COMPARISON + " ") for e in empty) or not usable:
        return nothing, notes
    data = counts[counts["group"].isin([COMPARISON, *usable])]
    after = data["period"].eq(AFTER).astype(float)
    design = pd.DataFrame({"const": 1.0, "after": after})
    for group in usable:
        member = data["group"].eq(group).astype(float)
        design[group], design[f"{group}:after"] = member, member * after
    model = sm.GLM(data["events"].to_numpy(dtype=float), design, family=sm.families.Poisson(),
                   exposure=data["months"].to_numpy(dtype=float))
    if model.df_resid > 0:
        fit = model.fit(scale="X2")
    else:  # one cell per group: nothing to measure overdispersion with, so plain Poisson (narrower)
        fit = model.fit()
        notes.append("One cell per group: the interval assumes Poisson variation and may be too narrow.")
    result = dict(nothing)
    if CHOSEN in usable:
        low, high = fit.conf_int().loc["chosen:after"]
        result.update(rate_ratio=float(np.exp(fit.params["chosen:after"])), ci_low=float(np.exp(low)),
                      ci_high=float(np.exp(high)), p_value=float(fit.pvalues["chosen:after"]))
    if RING in usable:
        result["ring_rate_ratio"] = float(np.exp(fit.params["ring:after"]))
    return result, notes
