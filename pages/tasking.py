"""Op Grip tasking (police and administrators): micro-areas ranked by harm, patrol areas, why these
places, when, what changed, did it work, which method finds next months' harm, and the meeting's
outputs (a saved list, CSV, GeoPackage and the PDF briefing pack)."""

import math
from datetime import date

import pandas as pd
import streamlit as st

from hotspots import (geography, harm, micro_areas, roles, settings, store, tasking_charts, tasking_exports,
                      tasking_lists, tasking_map, tasking_view)
from hotspots._errors import TaskingError
from hotspots.tasking import DAYS, Exclusion, TaskingList
from ui.assets import local_leaflet_urls
from ui.common import (area_choice, audited_download, basemap_switch, cached_dataset, current_source, data_store,
                       download_name, page_setup, region_label, require, show_map, text, viewer)

SOURCES = {"police": "Force extract (exact points)", "police-uk": "police.uk (anonymised points)"}
LEVELS = {micro_areas.GRID: "Grid squares", micro_areas.LSOA: "LSOAs"}
#: The testing table's headers in words (its columns are ``tasking_evaluation.Evaluation.table``'s).
EVALUATION_COLUMNS = {
    "group": "Group", "period": "Period", "units": "Cells (the ring is one)", "months": "Months", "events": "Events",
    "harm": st.column_config.NumberColumn("Harm", format="%.0f"),
    "events_per_month": st.column_config.NumberColumn("Events a month", format="%.1f"),
    "harm_per_month": st.column_config.NumberColumn("Harm a month", format="%.0f")}
NO_EXCLUSIONS = pd.DataFrame({"cell_id": pd.Series(dtype="str"), "reason": pd.Series(dtype="str")})


@st.cache_resource(show_spinner="Laying the micro-areas...", max_entries=8)
def areas_for(lad_codes: tuple[str, ...], level: str, cell_size_m: float | None) -> micro_areas.MicroAreas:
    return micro_areas.micro_areas(geography.wards(list(lad_codes)), level, cell_size_m=cell_size_m,
                                   lsoas=geography.lsoas(list(lad_codes)) if level == micro_areas.LSOA else None)


@st.cache_resource(show_spinner="Ranking the micro-areas...", max_entries=16)
def view_for(data: tuple, role_name: str, areas_key: tuple, choices: tuple,
             compared_list: int | None) -> tasking_view.TaskingView:
    """The page's display tables (keyed by the role: one role's never serve another), tracking
    against the saved list ``compared_list`` (None: the previous window)."""
    (data_source, offences, window_months, last_month, harm_rows, weighted, n, excluded, merge, meeting) = choices
    previous = None if compared_list is None else tasking_lists.read_tasking_list(store.default_store(),
                                                                                   compared_list)
    return tasking_view.tasking_view(
        cached_dataset(*data), roles.role(role_name), areas_for(*areas_key), source=data_source, offences=offences,
        window_months=window_months, last_month=None if last_month is None else pd.Timestamp(last_month),
        harm_table=pd.DataFrame(list(harm_rows), columns=["offence_group", "weight"]), weighted=weighted, n=n,
        exclusions=[Exclusion(cell, reason) for cell, reason in excluded], merge=merge, previous_list=previous,
        today=meeting)


@st.cache_resource(show_spinner="Backtesting the four methods over 24 monthly origins...", max_entries=8)
def methods_for(data: tuple, role_name: str, areas_key: tuple, choices: tuple):
    """The methods' backtest, keyed only on what it uses (the choices of ``method_choices``)."""
    data_source, offences, window_months, harm_rows, weighted, n, excluded = choices
    return tasking_view.methods_view(
        cached_dataset(*data), roles.role(role_name), areas_for(*areas_key), source=data_source, offences=offences,
        harm_table=pd.DataFrame(list(harm_rows), columns=["offence_group", "weight"]), weighted=weighted, n=n,
        window_months=window_months, exclusions=[Exclusion(cell, reason) for cell, reason in excluded])


def method_choices(choices: tuple) -> tuple:
    """The view's choices that the backtest uses (not the window's end, merging or the meeting date)."""
    data_source, offences, window_months, _, harm_rows, weighted, n, excluded, _, _ = choices
    return data_source, offences, window_months, harm_rows, weighted, n, excluded


def save_list(listed: TaskingList, lad_codes: tuple[str, ...], user: str, role_name: str) -> None:
    """Save ``listed`` in the button's callback, before the rerun reads the saved lists, so "Compare
    with" and "Testing" offer it at once."""
    st.session_state["grip_saved"] = tasking_lists.save_tasking_list(store.default_store(), listed, districts=lad_codes,
                                                                     user=user, role=role_name,
                                                                     audit_store=store.default_store())


def refused(problem: Exception) -> None:
    st.error(text(str(problem)), icon=":material/error:")
    st.stop()


require("event_rows")
dataset = page_setup("Op Grip tasking")
source = current_source()
role = viewer()
account = st.session_state.get("account")

with st.sidebar:
    lad_codes = area_choice()
    data_source = st.selectbox("Data", list(SOURCES), format_func=SOURCES.get, key="grip_source",
                               index=list(SOURCES).index(tasking_view.default_source(dataset)))
    level = st.radio("Micro-areas", list(LEVELS), format_func=LEVELS.get, horizontal=True, key="grip_level")
    low, high = settings.GRIP_CELL_SIZE_RANGE_M
    cell_size = st.number_input("Cell size (metres)", value=float(settings.GRIP_CELL_SIZE_M), step=50.0,
                                format="%.0f", key="grip_cell_size", disabled=level == micro_areas.LSOA,
                                help=f"{low} to {high} m; cells are anchored to the British National Grid, so a "
                                     "cell keeps its id from one meeting to the next.")
    n = st.number_input("Cells to select (N)", value=settings.GRIP_TOP_N, step=1, key="grip_n",
                        help="N counts cells: merged, touching cells make fewer patrol areas. Thurrock runs 11; "
                             "the Southend pilot used 20 cells.")
    merge = st.toggle("Merge touching cells into patrol areas", value=True, key="grip_merge")
    window_months = st.number_input("Window (months)", value=settings.GRIP_WINDOW_MONTHS, step=1, key="grip_window")
    last_month = st.date_input("Window ends in the month of", value=tasking_view.latest_month(dataset, data_source),
                               key="grip_last_month", format="DD/MM/YYYY",
                               help="Starts at the latest month of the data; empty: the latest month too.")
    offences = st.multiselect("Offences", harm.KNOWN_OFFENCE_GROUPS, default=settings.GRIP_OFFENCES[data_source],
                              key=f"grip_offences_{data_source}")
    weighted = st.toggle("Weight by harm", value=True, key="grip_weighted",
                         help="Each event weighs its offence's harm weight (the table on the page); off: counts.")
    meeting = st.date_input("Meeting date", value=date.today(), key="grip_meeting", format="DD/MM/YYYY")
    basemap = basemap_switch()

# One above the other, each the page's width: side by side, a tablet hid the weight column.
with st.expander("Harm weights (editable)", expanded=False):
    st.caption(text(harm.HARM_INDEX) + ". Edit a weight or add an offence group; see docs/harm-weights.md.")
    harm_table = st.data_editor(tasking_view.editable_harm_table(), key="grip_harm", num_rows="dynamic",
                                hide_index=True, disabled=["basis"], width="stretch",
                                column_config={"offence_group": "Offence group", "weight": "Weight (days)",
                                               "basis": "Where the weight comes from"})
with st.expander("Exclusions (with a reason)", expanded=False):
    exclusions = st.data_editor(NO_EXCLUSIONS, key="grip_exclusions", num_rows="dynamic", hide_index=True,
                                width="stretch", column_config={"cell_id": "Cell id (from the ranked cells)",
                                                                "reason": "Reason (e.g. custody suite)"})
exclusion_problems = st.container()  # beside the exclusions: a row not applied, and why

saved_lists = tasking_lists.saved_tasking_lists(store.default_store())  # where the audit trail is
saved_labels = {int(row.list_id): f"List {row.list_id}: meeting of {row.chosen_on:%d %b %Y} ({row.grid_key}, "
                                  f"{row.areas} areas, saved by {row.saved_by})" for row in saved_lists.itertuples()}
# The "Compare with" choice (kept once its tab is closed: the briefing pack follows it); a list no
# longer in the store is the previous window.
compared_list = st.session_state.get("grip_compare", st.session_state.get("grip_compared_with"))
compared_list = compared_list if compared_list in saved_labels else None
st.session_state["grip_compared_with"] = compared_list

areas_key = (lad_codes, level, None if level == micro_areas.LSOA else cell_size)
choices = (data_source, tuple(offences), window_months, last_month,
           tuple(harm_table[["offence_group", "weight"]].itertuples(index=False, name=None)), weighted, n,
           tuple(exclusions.fillna("").itertuples(index=False, name=None)), merge, meeting)
try:
    view = view_for(source, role.name, areas_key, choices, compared_list)
except TaskingError as problem:
    refused(problem)
for unapplied in view.exclusion_problems:
    exclusion_problems.error(text(unapplied), icon=":material/error:")
region = region_label(lad_codes)
st.subheader(f"{view.selection} in {region}, {view.window.label}", divider=False)
st.caption(" ".join(text(note) for note in dict.fromkeys((tasking_view.POLICE_UK_NOTE, *view.notes))))

areas_tab, why_tab, when_tab, changed_tab, testing_tab, method_tab, outputs_tab = st.tabs(
    ["Areas", "Why these places", "When", "What changed", "Testing", "Which method", "Save and export"],
    key="grip_view", on_change="rerun", bind="query-params")

if areas_tab.open:
    with areas_tab:
        show_map(tasking_map.patrol_areas_map(view.areas, geography.wards(list(lad_codes)), basemap=basemap,
                                              leaflet_urls=local_leaflet_urls()))
        st.dataframe(view.capture[["label", "cells", "events", "harm", "events_share", "harm_share", "area_share",
                                   "pai"]],
                     hide_index=True, width="stretch",
                     column_config={"label": "Area", "cells": "Cells", "events": "Events", "harm": "Harm",
                                    "events_share": st.column_config.NumberColumn("Share of events", format="percent"),
                                    "harm_share": st.column_config.NumberColumn("Share of harm", format="percent"),
                                    "area_share": st.column_config.NumberColumn("Share of area", format="percent"),
                                    "pai": st.column_config.NumberColumn("PAI", format="%.1f")})
        st.caption("PAI: share of harm over share of area (1 is no concentration).")
        st.markdown("**Ranked cells** (exclude one by copying its id into Exclusions above)")
        st.dataframe(view.ranked.head(settings.GRIP_RANKED_ROWS_SHOWN), hide_index=True, width="stretch",
                     column_config={"rank": "Rank", "cell_id": "Cell id", "events": "Events", "harm": "Harm",
                                    "selected": "Selected", "excluded_reason": "Excluded because",
                                    "area_m2": st.column_config.NumberColumn("Area (m²)", format="%.0f")})

if why_tab.open:
    with why_tab:
        st.altair_chart(tasking_charts.concentration_chart(view.curve), width="stretch")
        whole = view.whole_selection
        st.caption(f"Cells sorted by harm, highest first. The selected cells (red) hold {whole['harm_share']:.1%} "
                   f"of the harm on {whole['area_share']:.2%} of the area. Dashed: harm spread evenly.")

if when_tab.open:
    with when_tab:
        if view.when is None:
            st.info(tasking_view.NO_TIMES_NOTE)
        else:
            st.altair_chart(tasking_charts.when_chart(view.when), width="stretch")
            st.caption(f"Events in the selected areas by day ({DAYS[0]} first) and hour: schedule patrols to match.")

if changed_tab.open:
    with changed_tab:
        compare_options = [None, *saved_labels]
        st.selectbox("Compare with", compare_options, key="grip_compare", index=compare_options.index(compared_list),
                     format_func=lambda k: tasking_view.PREVIOUS_WINDOW.capitalize() if k is None else saved_labels[k],
                     help="The briefing pack's \"What changed\" follows this choice.")
        changes = view.tracking
        if changes is None:
            st.info("No comparison: the previous window has too few cells with events.")
        else:
            statuses = changes.areas["status"].value_counts()
            new, persisting, dropped, stable = st.columns(4)
            new.metric("New", int(statuses.get("new", 0)))
            persisting.metric("Persisting", int(statuses.get("persisting", 0)))
            dropped.metric("Dropped out", int(statuses.get("dropped", 0)))
            stable.metric("Overlap (share of cells in both)", f"{changes.jaccard:.0%}")
            st.dataframe(changes.areas, hide_index=True, width="stretch",
                         column_config={"status": "Status", "area_number": "Area",
                                        "previous_area_numbers": "Shares cells with (before)", "cell_ids": "Cells"})
            st.caption(f"Against {changes.previous_window.label}. A dropped area's number is its number then.")

if testing_tab.open:
    with testing_tab:
        by_hand = st.radio("List to test", [False, True], horizontal=True, key="grip_test_kind",
                           format_func=lambda typed: "Cells entered by hand" if typed else "A saved list")
        try:
            if by_hand:
                typed = st.text_area("Cell ids (spaces, commas or new lines)", key="grip_test_cells",
                                     placeholder="150m-559350-177600, 150m-559500-177600")
                chosen_on = st.date_input("Chosen on", value=None, key="grip_test_date", format="DD/MM/YYYY")
                if not typed.strip() or chosen_on is None:
                    st.info("Enter the cells and the date they were chosen on: the months before that date are "
                            "\"before\", the months after it \"after\".")
                    st.stop()
                tested = tasking_lists.entered_by_hand(typed, chosen_on=chosen_on, like=view.tasking_list)
            elif not saved_labels:
                st.info("No saved list yet: save this meeting's list (Save and export) and test it at a later "
                        "meeting, or enter cells by hand.")
                st.stop()
            else:
                chosen = st.selectbox("Saved list", list(saved_labels), format_func=saved_labels.get,
                                      key="grip_tested")
                tested = tasking_lists.read_tasking_list(store.default_store(), chosen).tasking_list
            result = tasking_view.evaluation_view(dataset, role, view.micro_areas, tested)
        except tasking_view.NotYetTestable as waiting:  # not a fault: later data will come
            st.info(text(str(waiting)))
            st.stop()
        except TaskingError as problem:
            refused(problem)
        ratio, ring = st.columns(2)
        why_none = " ".join(text(note) for note in result.notes)  # a group without events: the notes say why
        if math.isnan(result.rate_ratio):
            ratio.info(f"No rate ratio for the chosen cells. {why_none}")
        else:
            ratio.metric("Rate ratio, chosen against comparison cells", f"{result.rate_ratio:.2f}",
                         help=f"95% interval {result.ci_low:.2f} to {result.ci_high:.2f}; p = {result.p_value:.3f}")
        if math.isnan(result.ring_rate_ratio):
            ring.info(f"No rate ratio for the ring around them. {why_none}")
        else:
            ring.metric("Ring around them against comparison", f"{result.ring_rate_ratio:.2f}")
        interval = "" if math.isnan(result.ci_low) else f" 95% interval {result.ci_low:.2f} to {result.ci_high:.2f}."
        st.caption(f"Before: {result.before.label}; after: {result.after.label}.{interval}")
        st.dataframe(result.table, hide_index=True, width="stretch", column_config=EVALUATION_COLUMNS)
        st.caption(text(result.statement))
        for note in result.notes:
            st.caption(text(note))

if method_tab.open:
    with method_tab:
        try:
            methods = methods_for(source, role.name, areas_key, method_choices(choices))
        except TaskingError as problem:
            refused(problem)
        st.markdown(text(methods.statement))
        st.dataframe(methods.summary.drop(columns="method"), hide_index=True, width="stretch",
                     column_config={"label": "Method", "hit_rate": st.column_config.NumberColumn(
                         "Hit rate (events)", format="percent"), "hit_rate_harm": st.column_config.NumberColumn(
                         "Hit rate (harm)", format="percent"), "pai": st.column_config.NumberColumn(
                         "PAI (events)", format="%.1f"), "pai_harm": st.column_config.NumberColumn(
                         "PAI (harm)", format="%.1f"), "origins": "Origins"})

if outputs_tab.open:
    with outputs_tab:
        st.button("Save this list for the next meeting", key="grip_save", type="primary", on_click=save_list,
                  args=(view.tasking_list, lad_codes, account.name if account else "unknown", role.name))
        if (list_id := st.session_state.pop("grip_saved", None)) is not None:  # saved before saved_labels was read
            st.success(f"Saved as {text(saved_labels[list_id])}: choose it under What changed (Compare with) and "
                       "Testing, now or at the next meeting.")
        what = {"districts": ",".join(lad_codes), "window": view.window.label, "grid": view.micro_areas.grid_key,
                "areas": len(view.areas)}
        name = download_name("op-grip", region, f"{meeting:%Y-%m-%d}", suffix="")
        context = tasking_exports.BriefingContext(
            meeting_date=meeting, districts_label=region, wards=geography.wards(list(lad_codes)),
            sources=tasking_exports.data_sources(store.list_datasets(data_store()), view.source),
            prepared_by=account.name if account else "unknown", changes=view.tracking,
            changes_against=view.tracking_against)
        audited_download("Briefing pack (PDF)", lambda: tasking_exports.briefing_pack(view, context), f"{name}.pdf",
                         key="grip_pack", mime="application/pdf", what={**what, "export": "pack"},
                         help=f"Marked {settings.GRIP_PACK_MARKING} on every page.")
        audited_download("Areas (CSV)", lambda: tasking_exports.areas_csv(view), f"{name}.csv", key="grip_csv",
                         mime="text/csv", what={**what, "export": "csv"})
        audited_download("Areas for GIS (GeoPackage, EPSG:27700)", lambda: tasking_exports.areas_geopackage(view),
                         f"{name}.gpkg", key="grip_gpkg", mime="application/geopackage+sqlite3",
                         what={**what, "export": "geopackage"})
        st.caption(f"Every download is recorded in the audit trail. Handle as {settings.GRIP_PACK_MARKING}.")
