"""The Op Grip tasking page (AppTest): police and administrators use it on the synthetic demo;
partners, councillors and the public cannot reach it; bad input gets a message; a list is saved."""

from __future__ import annotations

import json
import re
from datetime import date

import pandas as pd
import pytest

from hotspots import audit, geography, micro_areas, roles, store, tasking_lists, tasking_view
from shown_text import shown
from signed_in import dashboard

PAGE = "pages/tasking.py"


def _tasking(role: str, tab: str | None = None):
    at = dashboard(role, 300)
    if tab is not None:
        at.query_params["grip_view"] = tab
    at.run()
    at.switch_page(PAGE).run()
    return at


def _shown(at) -> str:
    return " ".join(shown(str(e.value)) for kind in ("subheader", "caption", "error", "info", "warning", "markdown")
                    for e in getattr(at, kind))


@pytest.mark.parametrize("role", ["police", "admin"])
def test_police_and_administrators_get_the_areas_map_and_capture(role, dataset):
    at = _tasking(role)
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert "patrol areas in Thurrock" in at.subheader[0].value
    assert "anonymous map point" in _shown(at)  # police.uk points are moved: said on the page
    capture = next(frame.value for frame in at.dataframe if "pai" in frame.value.columns)
    assert capture["label"].iloc[-1] == "All selected areas" and capture["pai"].iloc[-1] > 1
    assert at.get("iframe")  # the numbered map


@pytest.mark.parametrize("role", ["partner", "councillor", "public"])
def test_other_roles_cannot_reach_the_page(role, dataset):
    at = _tasking(role)
    assert not at.exception, at.exception
    assert any("not available for your role" in w.value for w in at.warning)
    assert not at.dataframe and not at.get("iframe")
    assert [h.value for h in at.header] == ["Op Grip tasking"]


def test_changing_n_and_merging_changes_the_selection(dataset):
    at = _tasking("police")
    at.sidebar.toggle(key="grip_merge").set_value(False).run()
    at.sidebar.number_input(key="grip_n").set_value(5).run()
    assert not at.exception and not at.error
    assert at.subheader[0].value.startswith("5 cells in 5 patrol areas")  # unmerged: each cell its own area


def test_n_counts_cells_and_the_heading_says_cells_and_the_patrol_areas_they_make(dataset):
    at = _tasking("police")
    assert at.sidebar.number_input(key="grip_n").label == "Cells to select (N)"
    capture = next(frame.value for frame in at.dataframe if "pai" in frame.value.columns)
    areas, cells = len(capture) - 1, int(capture["cells"].iloc[-1])  # less the "All selected areas" row
    assert cells == 11 and areas < cells  # the trial's 11 cells in 8 areas: touching cells merged
    assert at.subheader[0].value.startswith(f"11 cells in {areas} patrol areas in Thurrock")


@pytest.mark.parametrize("widget, value, message", [
    ("grip_cell_size", 90.0, "100"),  # outside 100-500 m
    ("grip_n", 100000, "cannot be selected"),  # more than the cells with events
    ("grip_window", 0, "1 month or more"),
])
def test_bad_input_gets_a_message_not_a_traceback(widget, value, message, dataset):
    at = _tasking("police")
    at.sidebar.number_input(key=widget).set_value(value).run()
    assert not at.exception, at.exception
    assert any(message in shown(e.value) for e in at.error), [e.value for e in at.error]


def test_saving_a_list_stores_and_audits_it_and_the_next_meeting_compares_with_it(dataset):
    at = _tasking("police", tab="Save and export")
    assert not at.exception, at.exception
    before = len(tasking_lists.saved_tasking_lists(store.default_store()))
    at.button(key="grip_save").click().run()
    assert not at.exception, at.exception
    assert any("Saved as List" in s.value for s in at.success)
    saved = tasking_lists.saved_tasking_lists(store.default_store())
    assert len(saved) == before + 1 and saved["saved_by"].iloc[0] == "test-police"
    assert audit.entries(store.default_store())[-1].action == "tasking-list-saved"
    compared = _tasking("police", tab="What changed")
    compared.selectbox(key="grip_compare").set_value(int(saved["list_id"].iloc[0])).run()
    assert not compared.exception and not compared.error
    assert compared.metric[3].value == "100%"  # the same choices as the saved list: every cell in both


def test_testing_a_list_entered_by_hand_gives_the_rate_ratio_and_a_bad_cell_a_message(dataset):
    at = _tasking("police", tab="Testing")
    at.radio(key="grip_test_kind").set_value(True).run()
    ranked = next(frame.value for frame in _tasking("police").dataframe if "rank" in frame.value.columns)
    at.text_area(key="grip_test_cells").input(" ".join(ranked["cell_id"].head(5))).run()
    at.date_input(key="grip_test_date").set_value(pd.Timestamp("2022-10-03").date()).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.metric[0].label.startswith("Rate ratio") and float(at.metric[0].value) > 0
    assert any("cannot show" in shown(c.value) for c in at.caption)  # what it can and cannot show
    table = next(frame for frame in at.dataframe if "events_per_month" in frame.value.columns)
    config = json.loads(table.proto.columns)
    headers = {column: config[column]["label"] for column in table.value.columns}
    assert headers == {"group": "Group", "period": "Period", "units": "Cells (the ring is one)", "months": "Months",
                       "events": "Events", "harm": "Harm", "events_per_month": "Events a month",
                       "harm_per_month": "Harm a month"}  # words, not the table's column names
    at.text_area(key="grip_test_cells").input("200m-559400-177600").run()
    assert not at.exception
    assert any("another grid" in shown(e.value) for e in at.error)


def test_a_window_with_no_events_gets_a_message(dataset):
    at = _tasking("police")
    at.sidebar.date_input(key="grip_last_month").set_value(pd.Timestamp("2026-06-01").date()).run()  # after the data
    assert not at.exception, at.exception
    assert any("No violence with injury, possession of weapons events in Jul 2025 to Jun 2026" in shown(e.value)
               and "choose another window" in shown(e.value) for e in at.error), [e.value for e in at.error]


def test_testing_cells_without_events_says_why_there_is_no_ratio_not_nan(dataset):
    at = _tasking("police", tab="Testing")
    at.radio(key="grip_test_kind").set_value(True).run()
    at.text_area(key="grip_test_cells").input("150m-562050-181650 150m-562200-181500").run()  # no events in the demo
    at.date_input(key="grip_test_date").set_value(pd.Timestamp("2022-10-03").date()).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any("No rate ratio for the chosen cells" in shown(i.value) and "No events in the chosen" in shown(i.value)
               for i in at.info), [i.value for i in at.info]
    assert "nan" not in " ".join(str(m.value) for m in at.metric) + _shown(at)


def test_a_compared_list_on_another_grid_leaves_the_briefing_pack_with_a_note(dataset):
    at = _tasking("police", tab="Save and export")
    at.button(key="grip_save").click().run()
    at.session_state["grip_compared_with"] = int(tasking_lists.saved_tasking_lists(store.default_store())
                                                 ["list_id"].iloc[0])  # chosen under "Compare with"
    at.sidebar.number_input(key="grip_cell_size").set_value(300.0).run()  # the list is on 150 m cells
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "another grid (bng-150m)" in _shown(at) and "previous window of the same length instead" in _shown(at)
    assert len(at.get("download_button")) == 3  # the pack, the CSV and the GeoPackage


def test_a_saved_list_is_offered_under_compare_with_and_testing_straight_after_saving(dataset):
    at = _tasking("police", tab="Save and export")
    at.button(key="grip_save").click().run()
    assert not at.exception, at.exception
    newest = int(tasking_lists.saved_tasking_lists(store.default_store())["list_id"].max())
    label = f"List {newest}: meeting of {date.today():%d %b %Y} (bng-150m, "
    assert any(shown(s.value).startswith(f"Saved as {label}") for s in at.success), [s.value for s in at.success]
    at.query_params["grip_view"] = "What changed"  # the analyst opens the tab
    at.run()
    assert not at.exception, at.exception
    assert any(o.startswith(label) for o in at.selectbox(key="grip_compare").options)


def _ranked(at) -> pd.DataFrame:
    return next(frame.value for frame in at.dataframe if "rank" in frame.value.columns).set_index("cell_id")


def test_editing_a_harm_weight_reranks_the_cells_by_the_new_weight_and_the_saved_list_keeps_it(dataset):
    at = _tasking("police")
    before = _ranked(at)
    table = tasking_view.editable_harm_table()
    weapons = int(table.index[table["offence_group"].eq("possession of weapons")][0])
    # The analyst sets possession of weapons (91 days) to 0: only violence with injury (15 days) counts.
    at.session_state["grip_harm"] = {"edited_rows": {weapons: {"weight": 0}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    after = _ranked(at)
    both = before.index.intersection(after.index)
    weapon_events = (before.loc[both, "harm"] - 15 * before.loc[both, "events"]) / (91 - 15)
    expected = 15 * (before.loc[both, "events"] - weapon_events)  # each cell loses its weapons events' 91 days
    assert weapon_events.gt(0).any()
    pd.testing.assert_series_equal(after.loc[both, "harm"], expected, check_names=False)
    assert after["harm"].is_monotonic_decreasing and list(after.index[:20]) != list(before.index[:20])
    at.query_params["grip_view"] = "Save and export"
    at.run()
    at.button(key="grip_save").click().run()
    assert not at.exception, at.exception
    newest = int(tasking_lists.saved_tasking_lists(store.default_store())["list_id"].max())
    saved = tasking_lists.read_tasking_list(store.default_store(), newest).tasking_list
    assert saved.harm_weights == {"violence-with-injury": 15.0, "possession-of-weapons": 0.0}


def test_testing_more_cells_than_the_district_can_match_says_how_many_comparison_cells_there_are(dataset):
    areas = micro_areas.micro_areas(geography.wards(["E06000034"]), micro_areas.GRID, cell_size_m=150)  # Thurrock
    chosen_on = pd.Timestamp("2022-10-03")  # "before" is Oct 2021 to Sep 2022
    ranked = tasking_view.tasking_view(dataset, roles.role("police"), areas, last_month=chosen_on
                                       - pd.DateOffset(months=1)).ranked
    half = list(ranked["cell_id"].head(len(ranked) // 2))  # the rest, less those in the ring, cannot match them
    at = _tasking("police", tab="Testing")
    at.radio(key="grip_test_kind").set_value(True).run()
    at.text_area(key="grip_test_cells").input(" ".join(half)).run()
    at.date_input(key="grip_test_date").set_value(chosen_on.date()).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    said = [shown(c.value) for c in at.caption if "comparison cells against" in shown(c.value)]
    assert len(said) == 1 and re.match(rf"Only \d+ comparison cells against {len(half)} chosen: ", said[0]), said
    assert "the rate ratio is less certain" in said[0]


def test_testing_a_list_saved_at_this_meeting_says_when_it_can_be_tested_not_an_impossible_range(dataset):
    at = _tasking("police", tab="Save and export")
    at.button(key="grip_save").click().run()
    at.query_params["grip_view"] = "Testing"  # the analyst opens Testing straight away
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    said = " ".join(shown(i.value) for i in at.info)
    window = re.search(r", (\w{3} \d{4} to \w{3} \d{4})$", at.subheader[0].value).group(1)
    assert f"This list cannot be tested yet: its window is {window} and the data end in {window[-8:]}" in said, said
    assert "once at least 1 month of later data" in said and "1 to 0" not in said and "0 month" not in said
    assert not at.metric


def _excluding(at, row: dict) -> None:
    at.session_state["grip_exclusions"] = {"edited_rows": {}, "added_rows": [row], "deleted_rows": []}
    at.run()


def test_an_exclusion_without_a_reason_is_said_beside_the_exclusions_and_the_rest_is_drawn_without_it(dataset):
    at = _tasking("police")
    top = _ranked(at).index[0]
    _excluding(at, {"cell_id": top})  # the analyst has typed the cell, not yet the reason
    assert not at.exception, at.exception
    said = [shown(e.value) for e in at.main.error]
    assert said == [f"Excluding cell {top} needs a reason (a custody suite, a hospital entrance where crimes are "
                    "recorded): the briefing pack lists it. Not applied until it has one."], said
    blocks = [type(block).__name__ + ":" + str(getattr(block, "label", "")) for block in at.main.children.values()]
    after_exclusions = blocks.index("Expander:Exclusions (with a reason)") + 1
    assert list(at.main.children.values())[after_exclusions].error, blocks  # just below the exclusions
    assert at.get("iframe") and at.tabs  # the map and the tabs are still drawn
    ranked = _ranked(at)
    assert ranked.loc[top, "rank"] == "1" and pd.isna(ranked.loc[top, "excluded_reason"])  # not applied


def test_an_excluded_cells_rank_reads_excluded(dataset):
    at = _tasking("police")
    top = _ranked(at).index[0]
    _excluding(at, {"cell_id": top, "reason": "custody suite"})
    assert not at.exception and not at.error, [e.value for e in at.error]
    ranked = _ranked(at)
    assert ranked.loc[top, "rank"] == "excluded" and ranked.loc[top, "excluded_reason"] == "custody suite"
    assert "None" not in ranked["rank"].tolist() and ranked["rank"].iloc[1] == "1"


def test_the_windows_last_month_is_filled_in_with_the_month_the_heading_ends(dataset):
    at = _tasking("police")
    shown_month = at.sidebar.date_input(key="grip_last_month").value
    assert shown_month is not None and shown_month.day == 1
    assert at.subheader[0].value.endswith(f" to {shown_month:%b %Y}")


def test_the_harm_weights_and_exclusions_each_take_the_pages_width(dataset):
    at = _tasking("police")
    in_columns = [expander.label for column in at.columns for expander in column.expander]
    assert not {"Harm weights (editable)", "Exclusions (with a reason)"} & set(in_columns), in_columns
    assert {"Harm weights (editable)", "Exclusions (with a reason)"} <= {e.label for e in at.main.expander}
