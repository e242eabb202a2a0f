"""The tasking page's view: who may see it, defaults, notes, and a message for every bad input."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from hotspots import micro_areas as ma
from hotspots import roles, tasking, tasking_lists, tasking_view
from hotspots._errors import DisclosureError, TaskingError
from hotspots.loading import Dataset

BNG = "EPSG:27700"


@pytest.fixture(scope="module")
def grid() -> ma.MicroAreas:
    return ma.grid_over(gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 1500, 1500)], crs=BNG), 150)


def dataset(source: str = "police", *, times: bool = True, months: int = 36) -> Dataset:
    """Three years of events concentrated at 15 places, with a hot place that moves after two years."""
    rng = np.random.default_rng(7)
    n = 3000
    places = rng.uniform(100, 1400, (15, 2))
    at = rng.integers(0, 15, n)
    xy = places[at] + rng.normal(0, 40, (n, 2))
    dates = pd.Timestamp("2021-04-01") + pd.to_timedelta(rng.integers(0, months * 30, n), unit="D")
    categories = (["violence with injury", "possession of weapons", "burglary"] if source == "police"
                  else ["Violence and sexual offences", "Robbery", "Burglary"])
    events = pd.DataFrame({"source": source, "force": "Essex", "category": rng.choice(categories, n, p=[.6, .3, .1]),
                           "date": dates, "easting": xy[:, 0].clip(0, 1499), "northing": xy[:, 1].clip(0, 1499),
                           "ward_code": "E05000001", "lsoa_code": pd.array([None] * n, dtype="string"),
                           "dataset_id": 1})
    if times:
        events[tasking.TIME_COLUMN] = [f"{h:02d}:{m:02d}" for h, m in zip(rng.integers(0, 24, n),
                                                                         rng.integers(0, 60, n))]
    return Dataset(events=events, nominals=pd.DataFrame(), population=pd.DataFrame(),
                   deprivation=pd.DataFrame(), synthetic=True, synthetic_datasets=frozenset({1}))


POLICE = roles.role("police")


@pytest.mark.parametrize("name", ["partner", "councillor", "public"])
def test_roles_without_event_rows_are_refused(grid, name):
    with pytest.raises(DisclosureError, match="for police and administrators"):
        tasking_view.tasking_view(dataset(), roles.role(name), grid)


def test_defaults_last_twelve_months_the_default_offences_harm_weighted_top_eleven(grid):
    view = tasking_view.tasking_view(dataset(), POLICE, grid)
    assert view.window.label == "Apr 2023 to Mar 2024" and view.window.months == 12
    assert view.offences == ("violence with injury", "possession of weapons")
    assert view.harm_weights == {"violence-with-injury": 15.0, "possession-of-weapons": 91.0}
    assert int(view.ranked["selected"].sum()) == 11
    assert view.areas["cells"].sum() == 11 and view.areas.crs == BNG
    assert view.tasking_list.grid_key == "bng-150m" and len(view.tasking_list.cell_ids) == 11
    whole = view.capture[view.capture["label"].eq("All selected areas")].iloc[0]
    in_window = view.ranked["events"].sum()
    assert whole["events_share"] == pytest.approx(whole["events"] / in_window)
    assert view.when is not None and view.when["events"].sum() == whole["events"]
    assert view.tracking is not None and 0 <= view.tracking.jaccard <= 1
    assert "These are SYNTHETIC demo data, not real crimes." in view.notes


def test_police_uk_data_carry_the_approximation_note_and_no_times_say_so(grid):
    view = tasking_view.tasking_view(dataset("police-uk", times=False), POLICE, grid)
    assert view.offences == ("Violence and sexual offences", "Possession of weapons", "Robbery")
    assert tasking_view.POLICE_UK_NOTE in view.notes
    assert view.when is None and tasking_view.NO_TIMES_NOTE in view.notes


def test_counts_instead_of_harm(grid):
    view = tasking_view.tasking_view(dataset(), POLICE, grid, weighted=False, n=5, merge=False)
    assert view.harm_weights is None and (view.ranked["harm"] == view.ranked["events"]).all()
    assert len(view.areas) == 5


def test_a_window_with_no_events_is_refused(grid):
    with pytest.raises(TaskingError, match="No violence with injury, possession of weapons events in "
                                           "Jan 2019 to Dec 2019"):
        tasking_view.tasking_view(dataset(), POLICE, grid, last_month=pd.Timestamp("2019-12-01"))


def test_n_larger_than_the_cells_with_events_is_refused(grid):
    with pytest.raises(TaskingError, match="N = 5000 cannot be selected"):
        tasking_view.tasking_view(dataset(), POLICE, grid, n=5000)


def test_a_harm_table_with_an_unknown_group_or_a_negative_weight_is_refused(grid):
    unknown = pd.DataFrame({"offence_group": ["violence with injury", "possession of weapons", "knifings"],
                            "weight": [1, 1, 1]})
    with pytest.raises(TaskingError, match="'knifings'"):
        tasking_view.tasking_view(dataset(), POLICE, grid, harm_table=unknown)
    negative = pd.DataFrame({"offence_group": ["violence with injury", "possession of weapons"], "weight": [1, -2]})
    with pytest.raises(TaskingError, match="negative"):
        tasking_view.tasking_view(dataset(), POLICE, grid, harm_table=negative)


def test_testing_a_saved_list_and_refusing_one_from_another_grid(grid):
    data = dataset()
    early = tasking_view.tasking_view(data, POLICE, grid, last_month=pd.Timestamp("2022-09-01"), window_months=6)
    result = tasking_view.evaluation_view(data, POLICE, grid, early.tasking_list)
    assert result.before == early.window and result.after.months == 6
    # as many as chosen where the 1.5 km square has room outside the ring around the chosen cells
    assert 0 < len(result.comparison_cells) <= len(early.tasking_list.cell_ids)
    assert np.isfinite(result.rate_ratio) and result.ci_low < result.rate_ratio < result.ci_high
    coarse = ma.grid_over(gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 1500, 1500)], crs=BNG), 300)
    with pytest.raises(TaskingError, match="another grid"):
        tasking_view.evaluation_view(data, POLICE, coarse, early.tasking_list)
    with pytest.raises(TaskingError, match=r"hold 6 month\(s\) after the list's window .*over 1 to 6 months"):
        tasking_view.evaluation_view(data, POLICE, grid, dataclasses.replace(  # Apr 2023 to Sep 2023: 6 months after
            early.tasking_list, window=tasking.Window(pd.Timestamp("2023-04-01"), 6)), months_after=7)


@pytest.mark.parametrize("first_month", ["2023-10-01", "2024-01-01"])  # ends with the data (Mar 2024), or after
def test_a_list_with_no_month_after_its_window_says_when_it_can_be_tested_not_a_range(grid, first_month):
    data = dataset()
    saved = tasking_view.tasking_view(data, POLICE, grid, window_months=6).tasking_list
    late = dataclasses.replace(saved, window=tasking.Window(pd.Timestamp(first_month), 6))
    with pytest.raises(tasking_view.NotYetTestable) as waiting:
        tasking_view.evaluation_view(data, POLICE, grid, late)
    said = str(waiting.value)
    after = late.window.end
    assert said.startswith(f"This list cannot be tested yet: its window is {late.window.label} and the data end in "
                           "Mar 2024, so they hold no month after it.")
    assert f"once at least 1 month of later data ({after:%b %Y}) is imported" in said
    assert f"6 months ({after:%b %Y} to " in said and "1 to 0" not in said and "0 month" not in said


def test_which_method_finds_next_months_harm(grid):
    result = tasking_view.methods_view(dataset(), POLICE, grid)
    assert set(result.summary["method"]) == {"last_window", "harm_weighted", "recency_weighted", "kde"}
    # 36 months (Apr 2021 to Mar 2024): the 13th to the 34th month each have 12 behind and 3 ahead.
    assert result.summary["origins"].eq(22).all()
    assert result.statement.startswith("On these data, ")


def test_tracking_against_the_last_meetings_saved_list(grid):
    data = dataset()
    last = tasking_view.tasking_view(data, POLICE, grid, last_month=pd.Timestamp("2023-09-01"), window_months=6)
    saved = tasking_lists.SavedTaskingList(list_id=3, saved_by="alice", saved_at=datetime(2023, 10, 2),
                                           districts=("E06000034",), tasking_list=last.tasking_list)
    now = tasking_view.tasking_view(data, POLICE, grid, window_months=6, previous_list=saved)
    assert now.tracking.previous_window == last.window and now.tracking_against == saved.label
    listed = {c for area in last.tasking_list.areas for c in area}
    persisting = now.tracking.areas[now.tracking.areas["status"].eq("persisting")]
    assert all(set(cells) & listed for cells in persisting["cell_ids"])
    assert now.tracking.jaccard == pytest.approx(len(listed & set(now.tasking_list.cell_ids))
                                                 / len(listed | set(now.tasking_list.cell_ids)))


def test_a_saved_list_on_another_grid_falls_back_to_the_previous_window_with_a_note(grid):
    data = dataset()
    other = tasking.TaskingList(grid_key="bng-200m", chosen_on=date(2023, 10, 2), window=tasking.Window(
        pd.Timestamp("2023-04-01"), 6), source="police", offences=("violence with injury",), harm_weights=None, n=1,
        exclusions=(), areas=(("200m-400-600",),))
    saved = tasking_lists.SavedTaskingList(list_id=4, saved_by="alice", saved_at=datetime(2023, 10, 2),
                                           districts=("E06000034",), tasking_list=other)
    now = tasking_view.tasking_view(data, POLICE, grid, window_months=6, previous_list=saved)
    by_window = tasking_view.tasking_view(data, POLICE, grid, window_months=6)
    assert now.tracking_against == tasking_view.PREVIOUS_WINDOW  # the pack and its buttons still draw
    assert now.tracking.previous_window == by_window.tracking.previous_window
    assert any("another grid (bng-200m)" in note and "previous window" in note for note in now.notes)


def test_an_empty_offences_choice_is_refused_not_replaced_by_the_defaults(grid):
    with pytest.raises(TaskingError, match="No offences chosen"):
        tasking_view.tasking_view(dataset(), POLICE, grid, offences=[])


def test_a_blank_row_added_to_the_exclusions_is_left_out(grid):
    blank = tasking_view.tasking_view(dataset(), POLICE, grid, exclusions=[tasking.Exclusion("", "")])
    assert blank.tasking_list.exclusions == () and not blank.ranked["excluded_reason"].notna().any()
    assert blank.exclusion_problems == ()


def test_an_exclusion_not_yet_complete_is_said_and_not_applied_the_rest_drawn(grid):
    data = dataset()
    plain = tasking_view.tasking_view(data, POLICE, grid)
    top, second = plain.tasking_list.cell_ids[:2]
    rows = [tasking.Exclusion(top, "  "), tasking.Exclusion("", "hospital"), tasking.Exclusion("200m-0-0", "x"),
            tasking.Exclusion(second, " custody suite ")]
    view = tasking_view.tasking_view(data, POLICE, grid, exclusions=rows)
    assert view.tasking_list.exclusions == (tasking.Exclusion(second, "custody suite"),)  # only the complete row
    assert top in view.tasking_list.cell_ids and second not in view.tasking_list.cell_ids
    first, no_cell, other_grid = view.exclusion_problems
    assert first.startswith(f"Excluding cell {top} needs a reason") and first.endswith("Not applied until it has one.")
    assert no_cell.startswith('An exclusion with the reason "hospital" has no cell id')
    assert "another grid (bng-200m)" in other_grid and other_grid.endswith("Not applied.")
    methods = tasking_view.methods_view(data, POLICE, grid, n=1, exclusions=rows)  # the same rows: no refusal
    assert set(methods.summary["method"]) == {"last_window", "harm_weighted", "recency_weighted", "kde"}


def test_an_excluded_cells_rank_reads_excluded_and_the_others_their_number(grid):
    data = dataset()
    top = tasking_view.tasking_view(data, POLICE, grid).tasking_list.cell_ids[0]
    view = tasking_view.tasking_view(data, POLICE, grid, exclusions=[tasking.Exclusion(top, "custody suite")])
    ranked = view.ranked.set_index("cell_id")
    assert ranked.loc[top, "rank"] == "excluded" and ranked.loc[top, "excluded_reason"] == "custody suite"
    numbered = ranked.drop(index=top)["rank"]
    assert numbered.tolist() == [str(k) for k in range(1, len(numbered) + 1)]  # no "None", no "<NA>"


def test_n_counts_cells_and_the_selection_says_cells_and_patrol_areas(grid):
    merged = tasking_view.tasking_view(dataset(), POLICE, grid, n=11)
    cells, areas = len(merged.tasking_list.cell_ids), len(merged.areas)
    assert cells == 11 and areas < cells  # touching cells merged
    assert merged.selection == f"11 cells in {areas} patrol areas"
    one = tasking_view.tasking_view(dataset(), POLICE, grid, n=1)
    assert one.selection == "1 cell in 1 patrol area"


def test_the_latest_month_is_the_default_windows_last_month(grid):
    data = dataset()
    assert tasking_view.latest_month(data, "police") == date(2024, 3, 1)
    assert tasking_view.tasking_view(data, POLICE, grid).window.last_month == pd.Timestamp("2024-03-01")
    assert tasking_view.latest_month(data, "police-uk") is None


def test_cells_excluded_by_hand_are_no_comparison_cells(grid):
    data = dataset()
    early = tasking_view.tasking_view(data, POLICE, grid, last_month=pd.Timestamp("2022-09-01"), window_months=6, n=3)
    first_comparison = tasking_view.evaluation_view(data, POLICE, grid, early.tasking_list).comparison_cells[0]
    excluding = dataclasses.replace(early.tasking_list, exclusions=(tasking.Exclusion(first_comparison, "hospital"),))
    assert first_comparison not in tasking_view.evaluation_view(data, POLICE, grid, excluding).comparison_cells


def test_the_methods_backtest_never_picks_an_excluded_cell(grid):
    data = dataset()
    top = tasking_view.tasking_view(data, POLICE, grid, n=1).tasking_list.cell_ids[0]
    kept = tasking_view.methods_view(data, POLICE, grid, n=1)
    custody = [tasking.Exclusion(top, "custody suite")]
    without = tasking_view.methods_view(data, POLICE, grid, n=1, exclusions=custody)
    rates = kept.summary.set_index("method")["hit_rate"]
    assert (without.summary.set_index("method")["hit_rate"].reindex(rates.index) < rates).any()


def test_fewer_comparison_cells_than_chosen_cells_are_said_with_what_it_means(grid):
    data = dataset()
    early = tasking_view.tasking_view(data, POLICE, grid, last_month=pd.Timestamp("2022-09-01"), window_months=6, n=11)
    short = tasking_view.evaluation_view(data, POLICE, grid, early.tasking_list)
    assert len(short.comparison_cells) == 8  # the 1.5 km square has no more cells with events outside the ring
    assert short.notes[0].startswith("Only 8 comparison cells against 11 chosen: in Apr 2022 to Sep 2022 no more ")
    assert "less certain (a wider interval)" in short.notes[0]
    few = tasking_view.tasking_view(data, POLICE, grid, last_month=pd.Timestamp("2022-09-01"), window_months=6, n=3)
    enough = tasking_view.evaluation_view(data, POLICE, grid, few.tasking_list)
    assert len(enough.comparison_cells) == 3 and not any("comparison cell" in note for note in enough.notes)


def test_no_comparison_cells_outside_the_ring_is_refused_with_what_to_change(grid):
    data = dataset()
    early = tasking_view.tasking_view(data, POLICE, grid, last_month=pd.Timestamp("2022-09-01"), window_months=6, n=20)
    assert early.ranked["events"].gt(0).sum() > 20  # cells with events remain, but all in the ring
    with pytest.raises(TaskingError, match="no cell with events that was neither chosen nor excluded lies 100 m or "
                                           "more from the 20 chosen cells. Test fewer cells"):
        tasking_view.evaluation_view(data, POLICE, grid, early.tasking_list)


@pytest.mark.parametrize("source", ["police", "police-uk"])
def test_the_editable_harm_table_takes_one_edited_weight_for_both_sources(grid, source):
    table = tasking_view.editable_harm_table()
    assert table["offence_group"].str.lower().is_unique  # robbery and possession of weapons once each
    table.loc[table["offence_group"].eq("possession of weapons"), "weight"] = 200.0  # the analyst's edit
    view = tasking_view.tasking_view(dataset(source), POLICE, grid, harm_table=table)
    assert view.harm_weights["possession-of-weapons"] == 200.0
