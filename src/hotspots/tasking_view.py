"""What the Op Grip tasking page shows, as display tables, for police and administrators only.

The page builds the micro-areas once (``micro_areas.micro_areas``, cacheable per districts, level
and cell size), reads its widgets, and asks :func:`tasking_view` (targeting, patrol areas,
capture, curve, when, tracking), :func:`evaluation_view` (testing a saved list) and
:func:`methods_view` (which method finds next months' harm). Each refuses a role without
``event_rows`` and every input it cannot use with a :class:`~hotspots._errors.TaskingError`
whose message says what to change. See docs/tasking.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd

from hotspots import harm, settings, tasking
from hotspots._errors import DisclosureError, TaskingError
from hotspots.geography import slug
from hotspots.loading import Dataset
from hotspots.micro_areas import GRID, MicroAreas, count_by_cell
from hotspots.roles import Role
from hotspots.tasking import Exclusion, TaskingList, Tracking, Window
from hotspots.tasking_backtest import MethodBacktest, backtest_methods
from hotspots.tasking_evaluation import Evaluation, comparison_cells, evaluate
from hotspots.tasking_lists import SavedTaskingList

#: Said on the page: why micro-areas on police.uk data are approximate.
POLICE_UK_NOTE = ("police.uk moves every crime to an anonymous map point (the centre of a street or a public place "
                  "nearby), so micro-areas on public data are approximate: a cell's count includes crimes moved into "
                  "it and misses crimes moved out. Force extracts with exact coordinates are not affected.")
NO_TIMES_NOTE = "No times in these data: the day-of-week by hour chart needs a time of day for each event."
RANKED_COLUMNS = ["rank", "cell_id", "events", "harm", "selected", "excluded_reason", "area_m2"]
#: The ranked cells' rank of an excluded cell (the rank column is text: a number, or this).
EXCLUDED_RANK = "excluded"
PREVIOUS_WINDOW = "the previous window of the same length"


@dataclass(frozen=True)
class TaskingView:
    """Everything the tasking page draws.

    ``ranked``: the cells with events and the excluded cells, best first (``RANKED_COLUMNS``).
    ``areas``: patrol areas (``tasking.patrol_areas``'s columns, EPSG:27700). ``capture``:
    ``tasking.capture_table``. ``curve``: ``tasking.concentration_curve``. ``when``:
    ``tasking.when_table`` of the selected areas' events, None without times. ``whole_selection``:
    the capture row of all selected areas together. ``tracking``: None when the previous window has
    too few cells with events; ``tracking_against`` names what it compares with (a saved list's
    label or :data:`PREVIOUS_WINDOW`). ``tasking_list``: what to save. ``exclusion_problems``: why
    each exclusion row that was not applied (no reason, no cell id, a cell not in these micro-areas)
    was not: the page says it beside the exclusions and draws everything without that row."""

    micro_areas: MicroAreas
    source: str
    window: Window
    offences: tuple[str, ...]
    harm_weights: dict[str, float] | None
    ranked: pd.DataFrame
    areas: gpd.GeoDataFrame
    capture: pd.DataFrame
    whole_selection: pd.Series
    curve: pd.DataFrame
    when: pd.DataFrame | None
    tracking: Tracking | None
    tracking_against: str
    tasking_list: TaskingList
    notes: tuple[str, ...]
    synthetic: bool
    exclusion_problems: tuple[str, ...] = ()

    @property
    def selection(self) -> str:
        """What N chose, in cells and the patrol areas they form: ``"11 cells in 8 patrol areas"``
        (N counts cells; touching cells merge into one area)."""
        cells, areas = int(self.areas["cells"].sum()), len(self.areas)
        return (f"{cells} {'cell' if cells == 1 else 'cells'} in {areas} "
                f"{'patrol area' if areas == 1 else 'patrol areas'}")


def tasking_view(dataset: Dataset, role: Role, areas: MicroAreas, *, source: str | None = None,
                 offences: Sequence[str] | None = None, window_months: int | None = None,
                 last_month: pd.Timestamp | None = None, harm_table: pd.DataFrame | None = None,
                 weighted: bool = True, n: int | None = None, exclusions: Sequence[Exclusion] = (),
                 merge: bool = True, previous_list: SavedTaskingList | None = None,
                 today: date | None = None) -> TaskingView:
    """Targeting on ``areas`` for ``source``'s events (default: force extracts if any, else
    police.uk) in ``offences`` (default ``settings.GRIP_OFFENCES[source]``) over ``window_months``
    ending ``last_month`` (default: the latest month of the data), weighted by ``harm_table``
    (default ``harm.default_weights()``) unless ``weighted`` is False, top ``n``, ``exclusions``,
    ``merge`` into patrol areas. Tracking compares with ``previous_list`` (the last meeting's
    saved list) when given, else (or when that list is on another grid or other districts, with a
    note saying so) with the previous window of the same length. An exclusion that cannot be applied
    is left out, with why in ``exclusion_problems``."""
    exclusions, exclusion_problems = _usable_exclusions(exclusions, areas)
    chosen = _chosen_events(dataset, role, areas, source, offences, harm_table, weighted)
    window = tasking.window_to(chosen.latest if last_month is None else last_month, window_months)
    current = chosen.events[window.holds(chosen.events["date"])]
    if current.empty:
        raise TaskingError(f"No {', '.join(chosen.offences)} events in {window.label} in the chosen districts: "
                           "choose another window, other offences or other districts.")
    counts = count_by_cell(current, areas, harm=current["harm"])
    targeting = tasking.target(counts, areas=areas, n=n, exclusions=exclusions, merge=merge)
    selected = current[tasking.events_in_cells(current, areas, targeting.cell_ids)]
    track, track_notes, against = _tracking_against(previous_list, chosen.events, areas, targeting, window,
                                                     exclusions=exclusions, merge=merge)
    when = tasking.when_table(selected)
    listed = TaskingList(grid_key=areas.grid_key, chosen_on=today or date.today(), window=window,
                         source=chosen.source, offences=chosen.offences, harm_weights=chosen.weights,
                         n=len(targeting.cell_ids), exclusions=tuple(exclusions),
                         areas=tuple(tuple(cells) for cells in targeting.areas["cell_ids"]))
    notes = [*_data_notes(dataset, chosen.source, current, when is None), *targeting.notes, *track_notes]
    ranked = targeting.ranked[targeting.ranked["events"].gt(0) | targeting.ranked["excluded_reason"].notna()]
    ranked = ranked.assign(rank=ranked["rank"].astype("string").fillna(EXCLUDED_RANK))  # not "None" on the page
    capture = tasking.capture_table(targeting.areas, counts, areas)
    return TaskingView(micro_areas=areas, source=chosen.source, window=window, offences=chosen.offences,
                       harm_weights=chosen.weights, ranked=ranked[RANKED_COLUMNS].reset_index(drop=True),
                       areas=targeting.areas, capture=capture,
                       whole_selection=capture[capture["area_number"].isna()].iloc[0],
                       curve=tasking.concentration_curve(targeting.ranked, areas), when=when, tracking=track,
                       tracking_against=against, tasking_list=listed, notes=tuple(notes),
                       synthetic=_synthetic(dataset, current), exclusion_problems=tuple(exclusion_problems))


def evaluation_view(dataset: Dataset, role: Role, areas: MicroAreas, saved: TaskingList, *,
                    months_after: int | None = None, buffer_m: float | None = None) -> Evaluation:
    """Testing ``saved`` (a list chosen at a past date): the window it was chosen on is "before",
    the ``months_after`` (default: as many as the data hold after it, at most the window's length)
    from the month after it are "after". Comparison cells are the next-ranked in "before" that
    were neither chosen nor excluded, outside the ring (``buffer_m``) around the chosen cells: the
    first note says so when there are fewer of them than chosen cells, and none is refused. With no
    month of data after the list's window yet, :class:`NotYetTestable` says when it can be."""
    table = None if saved.harm_weights is None else pd.DataFrame(
        {"offence_group": list(saved.offences), "weight": [saved.harm_weights[slug(o)] for o in saved.offences]})
    chosen = _chosen_events(dataset, role, areas, saved.source, saved.offences, table, saved.harm_weights is not None)
    tasking.check_list_grid(saved.cell_ids, areas)
    before = saved.window
    available = _months_between(before.end, chosen.latest) + 1
    if available < 1:
        raise NotYetTestable(_not_yet_testable(before, chosen.latest))
    months = min(available, before.months) if months_after is None else int(months_after)
    if months < 1 or months > available:
        raise TaskingError(f"The data hold {max(available, 0)} month(s) after the list's window ({before.label}): "
                           f"test it over 1 to {max(available, 0)} months, or load later data.")
    after = Window(before.end, months)
    prior = chosen.events[before.holds(chosen.events["date"])]
    ranked = tasking.target(count_by_cell(prior, areas, harm=prior["harm"]), areas=areas, n=1,
                            exclusions=saved.exclusions, merge=False).ranked
    ring = settings.GRIP_BUFFER_M if buffer_m is None else float(buffer_m)
    comparison = comparison_cells(ranked[ranked["excluded_reason"].isna()], saved.cell_ids, areas, buffer_m=ring)
    if not comparison:  # said here: the cells with events may all lie in the ring, which evaluate cannot tell
        raise TaskingError(f"No comparison cells: in {before.label} no cell with events that was neither chosen nor "
                           f"excluded lies {ring:.0f} m or more from the {len(saved.cell_ids)} chosen cells. Test "
                           "fewer cells, or choose more districts so that there are places to compare with.")
    result = evaluate(chosen.events, areas, saved.cell_ids, comparison, before=before, after=after, buffer_m=ring)
    if len(comparison) >= len(saved.cell_ids):
        return result
    return replace(result, notes=(_comparison_shortfall(len(comparison), len(saved.cell_ids), before, ring),
                                  *result.notes))


def methods_view(dataset: Dataset, role: Role, areas: MicroAreas, *, source: str | None = None,
                 offences: Sequence[str] | None = None, harm_table: pd.DataFrame | None = None,
                 weighted: bool = True, n: int | None = None, window_months: int | None = None,
                 exclusions: Sequence[Exclusion] = ()) -> MethodBacktest:
    """The backtest of ``tasking_backtest.METHODS`` on the same events as :func:`tasking_view`,
    never picking an excluded cell."""
    chosen = _chosen_events(dataset, role, areas, source, offences, harm_table, weighted)
    return backtest_methods(chosen.events, areas, n=n, window_months=window_months,
                            excluded=[e.cell_id for e in _usable_exclusions(exclusions, areas)[0]])


def editable_harm_table() -> pd.DataFrame:
    """The default harm table with one row per offence group as events are matched to it (ignoring
    case and punctuation): police.uk's "Robbery" and "Possession of weapons" are the force extracts'
    "robbery" and "possession of weapons", so an analyst edits one weight, not one of two rows that
    would then clash."""
    table = harm.default_weights()
    return table[~table["offence_group"].map(slug).duplicated()].reset_index(drop=True)


def latest_month(dataset: Dataset, source: str) -> date | None:
    """The first day of the latest month of ``source``'s events (the default window's last month),
    None when the data hold none (the view then says so)."""
    dates = dataset.events.loc[dataset.events["source"].eq(source), "date"]
    return None if dates.empty else pd.Timestamp(dates.max()).to_period("M").to_timestamp().date()


def default_source(dataset: Dataset) -> str:
    """The source the page starts on: force extracts (exact points) if the data hold any, else police.uk."""
    return "police" if dataset.events["source"].eq("police").any() else "police-uk"


@dataclass(frozen=True)
class _Chosen:
    source: str
    offences: tuple[str, ...]
    weights: dict[str, float] | None
    events: pd.DataFrame  # the source's events in the offences, located, with ``harm``
    latest: pd.Timestamp


def _chosen_events(dataset: Dataset, role: Role, areas: MicroAreas, source: str | None,
                   offences: Sequence[str] | None, harm_table: pd.DataFrame | None, weighted: bool) -> _Chosen:
    if not role.event_rows:
        raise DisclosureError(f"The {role.name} role may not see event-level points: Op Grip tasking is for police "
                              "and administrators.")
    events = dataset.events
    source = source or default_source(dataset)
    if source not in settings.GRIP_OFFENCES:
        raise TaskingError(f"Op Grip tasking reads police data: choose source police or police-uk, not {source!r}.")
    if offences is not None and not len(offences):
        raise TaskingError(f"No offences chosen: choose one or more in Offences (Op Grip's are "
                           f"{', '.join(settings.GRIP_OFFENCES[source])}).")
    offences = tuple(settings.GRIP_OFFENCES[source] if offences is None else offences)
    of_source = events[events["source"].eq(source)]
    if of_source.empty:
        raise TaskingError(f"The store holds no {source} events: import a force extract or police.uk data first.")
    wanted = {slug(o) for o in offences}
    codes, categories = pd.factorize(of_source["category"])
    keep = np.append([slug(c) in wanted for c in categories], False)[codes]
    located = of_source["lsoa_code"].notna() if areas.level != GRID else of_source["easting"].notna()
    picked = of_source[keep & located].copy()
    weights = harm.validated_weights(harm.default_weights() if harm_table is None else harm_table,
                                     offences=offences, known=list(categories)) \
        if weighted else None
    picked["harm"] = harm.event_harm(picked["category"], weights) if weighted else 1.0
    return _Chosen(source=source, offences=offences, weights=weights, events=picked,
                   latest=pd.Timestamp(of_source["date"].max()))


def _usable_exclusions(exclusions: Sequence[Exclusion], areas: MicroAreas) -> tuple[list[Exclusion], list[str]]:
    """The rows of ``exclusions`` that can be applied (cell id and reason stripped), and why each
    other row cannot; a wholly blank row (added in the editor and left empty) is neither."""
    usable, problems = [], []
    for row in exclusions:
        cell, reason = str(row.cell_id or "").strip(), str(row.reason or "").strip()
        if not cell and not reason:
            continue
        if not cell:
            problems.append(f"An exclusion with the reason \"{reason}\" has no cell id: copy the cell's id from "
                            "the ranked cells. Not applied until it has one.")
        elif not reason:
            problems.append(f"Excluding cell {cell} needs a reason (a custody suite, a hospital entrance where "
                            "crimes are recorded): the briefing pack lists it. Not applied until it has one.")
        else:
            try:
                tasking.check_list_grid([cell], areas, what=f"Excluded cell {cell}")
            except TaskingError as unusable:  # said beside the exclusions; the page draws without this row
                problems.append(f"{unusable} Not applied.")
                continue
            usable.append(Exclusion(cell, reason))
    return usable, problems


def _tracking_against(saved: SavedTaskingList | None, events: pd.DataFrame, areas: MicroAreas,
                      current: tasking.Targeting, window: Window, *, exclusions: Sequence[Exclusion],
                      merge: bool) -> tuple[Tracking | None, list[str], str]:
    """Tracking against ``saved`` when it is on this grid and in these districts, else against the
    previous window (with a note why, so the page and the briefing pack still draw)."""
    if saved is not None:
        try:
            tasking.check_list_grid(saved.tasking_list.cell_ids, areas, what=saved.label)
        except TaskingError as unusable:
            track, notes = _tracking(events, areas, current, window, exclusions=exclusions, merge=merge)
            return track, [f"{unusable} Compared with {PREVIOUS_WINDOW} instead.", *notes], PREVIOUS_WINDOW
        return (tasking.tracking(current.areas, tasking.list_areas(saved.tasking_list), window=window,
                                 previous_window=saved.tasking_list.window), [], saved.label)
    return (*_tracking(events, areas, current, window, exclusions=exclusions, merge=merge), PREVIOUS_WINDOW)


def _tracking(events: pd.DataFrame, areas: MicroAreas, current: tasking.Targeting, window: Window, *,
              exclusions: Sequence[Exclusion], merge: bool) -> tuple[Tracking | None, list[str]]:
    previous_window = window.previous()
    before = events[previous_window.holds(events["date"])]
    counts = count_by_cell(before, areas, harm=before["harm"])
    try:
        previous = tasking.target(counts, areas=areas, n=len(current.cell_ids), exclusions=exclusions, merge=merge)
    except TaskingError:
        return None, [f"No comparison with the previous window ({previous_window.label}): it has fewer than "
                      f"{len(current.cell_ids)} cells with events."]
    return tasking.tracking(current.areas, previous.areas, window=window), []


def _data_notes(dataset: Dataset, source: str, events: pd.DataFrame, no_times: bool) -> list[str]:
    notes = [POLICE_UK_NOTE] if source == "police-uk" else []
    if no_times:
        notes.append(NO_TIMES_NOTE)
    elif (share := tasking.timed_share(events)) < 1:
        notes.append(f"{1 - share:.0%} of these events have no time: the day-of-week by hour chart leaves them out.")
    if _synthetic(dataset, events):
        notes.append("These are SYNTHETIC demo data, not real crimes.")
    return notes


def _synthetic(dataset: Dataset, events: pd.DataFrame) -> bool:
    return dataset.synthetic or bool(len(events)) and bool(events["dataset_id"].isin(dataset.synthetic_datasets).all())


def _comparison_shortfall(found: int, chosen: int, before: Window, ring: float) -> str:
    """Said when the districts have fewer comparison cells than chosen cells, and what it does to the estimate."""
    return (f"Only {found} comparison {'cell' if found == 1 else 'cells'} against {chosen} chosen: in {before.label} "
            f"no more cells with events, neither chosen nor excluded, lie {ring:.0f} m or more from the chosen cells. "
            "The comparison rests on fewer places than the chosen cells, so the rate ratio is less certain (a wider "
            "interval) and one unusual comparison cell moves it more.")


class NotYetTestable(TaskingError):
    """A list whose window the data end with or before: no "after" yet, so nothing to test."""


def _not_yet_testable(before: Window, latest: pd.Timestamp) -> str:
    """Said when no month follows the list's window in the data: when it can be tested, not a range."""
    full = Window(before.end, before.months)
    return (f"This list cannot be tested yet: its window is {before.label} and the data end in "
            f"{pd.Timestamp(latest):%b %Y}, so they hold no month after it. It can be tested once at least 1 month "
            f"of later data ({full.first_month:%b %Y}) is imported; {before.months} "
            f"{'month' if before.months == 1 else 'months'} ({full.label}) test it over as long as its window.")


def _months_between(start: pd.Timestamp, latest: pd.Timestamp) -> int:
    """Whole months from the month of ``start`` to the month of ``latest`` (0 for the same month)."""
    return int(np.int64(pd.Timestamp(latest).to_period("M").ordinal - pd.Timestamp(start).to_period("M").ordinal))
