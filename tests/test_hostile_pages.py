"""Hostile strings on the Op Grip tasking, Locality wards and Forecast pages and the ward map's
emerging hot spots (AppTest): every string from a user's file, or typed on the page, reaches each
place Streamlit renders as Markdown escaped (no Markdown is left to act on the payload there),
and the exports carry it as the literal text. The browser counterpart is tests/test_browser.py's
payload tests."""

from __future__ import annotations

import io
import subprocess

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboard_scan import DownloadRecorder
from hostile_store import PAYLOAD_HOST, payload, payload_store
from hotspots import (decision_record, geography, loading, locality_view, micro_areas, roles, store,
                      tasking_exports, tasking_view)
from hotspots.tasking import Exclusion
from shown_text import markup_left, shown
from signed_in import dashboard

MARKDOWN_FIELDS = ("body", "label", "help")  # the proto fields Streamlit renders as Markdown
COUNT_LAYER = "counts:" + payload("layer")  # the imported count table's layer, named by its importer


@pytest.fixture(scope="module")
def payload_store_dir(demo_dir, tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile")
    payload_store(folder / "store", folder / "files", demo_dir)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOTSPOTS_STORE", str(folder / "store"))
        yield folder / "store"


def markdown_sources(at: AppTest) -> list[str]:
    """Every string of the run that Streamlit renders as Markdown: element bodies, widget, tab and
    expander labels, help texts and radio options (table cells, selectbox options, chart specs and
    map HTML are plain text or escaped elsewhere, and are not here)."""
    found: list[str] = []
    for node in [*at.main, *at.sidebar]:
        proto = getattr(node, "proto", None)
        if proto is not None and hasattr(proto, "ListFields"):
            _markdown_fields(proto, found)
        if getattr(node, "type", "") == "radio":
            found.extend(str(option) for option in node.options)
    return found


def _markdown_fields(message, found: list[str]) -> None:
    for field, value in message.ListFields():
        if hasattr(value, "ListFields"):  # a nested message: a block's tab or expander, a widget's parts
            _markdown_fields(value, found)
        elif field.name in MARKDOWN_FIELDS and isinstance(value, str):
            found.append(value)


def assert_shown_as_text(at: AppTest, *visible: str) -> None:
    """No Markdown source of the run holds the payload host with Markdown left to act on it
    (``text`` escapes even its dots; ``label_text`` what a label renders), and each of ``visible``
    is on the page as the reader sees it (so the check is not vacuous)."""
    assert not at.exception, at.exception
    sources = markdown_sources(at)
    raw = [source for source in sources if PAYLOAD_HOST in source and markup_left(source)]
    assert not raw, f"payload rendered as Markdown: {raw[:3]}"
    seen = " ".join(shown(source) for source in sources)
    for words in visible:
        assert words in seen, f"{words[:80]!r} is not on the page"


def _page(page: str, tab: str | None = None, **state) -> AppTest:
    at = dashboard("admin", 600)
    if tab is not None:
        at.query_params["grip_view"] = tab
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def assert_printed(pdf: bytes, *strings: str) -> None:
    """Each of ``strings`` printed as typed: every one of its words is in the PDF's text (a table
    wraps a long cell, and pdftotext may set its row's label between the lines)."""
    printed = subprocess.run(["pdftotext", "-", "-"], input=pdf, check=True, capture_output=True).stdout.decode()
    for string in strings:
        missing = [word for word in string.split() if word not in printed]
        assert not missing, f"{string[:60]!r}: {missing[:3]} not printed"


def _edits(*added: dict) -> dict:
    """A data editor's state with ``added`` rows, as the browser sends it when a user adds them."""
    return {"edited_rows": {}, "added_rows": list(added), "deleted_rows": []}


def test_tasking_shows_typed_cells_exclusions_and_harm_labels_as_text(payload_store_dir):
    # On LSOAs any typed id is on the grid: the page names the first one outside the districts.
    at = _page("pages/tasking.py", tab="Testing", grip_level="lsoa")
    at.radio(key="grip_test_kind").set_value(True).run()
    at.text_area(key="grip_test_cells").input(payload("typed-cells")).run()
    at.date_input(key="grip_test_date").set_value(pd.Timestamp("2023-10-03").date()).run()
    assert any("outside the chosen districts" in shown(e.value) for e in at.error), [e.value for e in at.error]
    assert_shown_as_text(at, f"![typed-cells](http://{PAYLOAD_HOST}/typed-cells.png)")
    excluded = _page("pages/tasking.py", grip_level="lsoa",
                     grip_exclusions=_edits({"cell_id": payload("typed-cell"), "reason": payload("reason")}))
    assert any(shown(e.value).startswith("Excluded cell") and "Not applied" in shown(e.value)
               for e in excluded.error), [e.value for e in excluded.error]
    assert_shown_as_text(excluded, f"![typed-cell](http://{PAYLOAD_HOST}/typed-cell.png)")
    typed_group = _page("pages/tasking.py", grip_harm=_edits({"offence_group": payload("harm-label"), "weight": 7.0}))
    assert any("offence group(s) the data and the product do not know" in shown(e.value) for e in typed_group.error)
    assert_shown_as_text(typed_group, f"![harm-label](http://{PAYLOAD_HOST}/harm-label.png)")
    areas = _page("pages/tasking.py", grip_level="lsoa")
    cell = next(frame.value for frame in areas.dataframe if "rank" in frame.value.columns)["cell_id"].iloc[0]
    edited = {"grip_level": "lsoa", "grip_exclusions": _edits({"cell_id": cell, "reason": payload("reason")})}
    for tab in ("Areas", "Why these places", "When", "What changed", "Testing", "Which method", "Save and export"):
        shown_tab = _page("pages/tasking.py", tab=tab, **edited)
        assert not shown_tab.error, [e.value for e in shown_tab.error]
        assert_shown_as_text(shown_tab)


def test_the_briefing_pack_prints_file_names_users_and_exclusion_reasons_as_typed(payload_store_dir):
    """The pack is built on a download's click (not in AppTest), so from the view the page asks for,
    with an exclusion's reason typed on the page (a harm table's unknown offence group is refused, above)."""
    admin = roles.role("admin")
    dataset = loading.load_dataset(payload_store_dir, admin.data_access)
    areas = micro_areas.micro_areas(geography.wards(["E06000034"]), micro_areas.GRID, cell_size_m=150.0)
    excluded = tasking_view.tasking_view(dataset, admin, areas).ranked["cell_id"].iloc[0]
    view = tasking_view.tasking_view(dataset, admin, areas, exclusions=[Exclusion(excluded, payload("reason"))])
    sources = tasking_exports.data_sources(store.list_datasets(payload_store_dir), "police")
    context = tasking_exports.BriefingContext(
        meeting_date=pd.Timestamp("2024-01-10").date(), districts_label="Thurrock",
        wards=geography.wards(["E06000034"]), sources=sources, prepared_by="ada", changes=None, changes_against="")
    assert_printed(tasking_exports.briefing_pack(view, context), *(payload(tag) for tag in ("user", "reason")),
                   payload("file-police") + ".csv")


def test_locality_labels_notes_rationale_and_the_decision_record_are_text(payload_store_dir, monkeypatch):
    downloads = DownloadRecorder(monkeypatch)
    at = _page("pages/locality.py")
    at.sidebar.toggle(key="restricted").set_value(True).run()
    admin = roles.role("admin")
    offered = locality_view.measures_offered(loading.load_dataset(payload_store_dir, admin.data_access), admin,
                                             show_restricted=True)
    groups = [key for key in offered if key.startswith("people:")]
    at.multiselect(key="measures").set_value([COUNT_LAYER, *groups]).run()
    # The count table ends before the period shown: refused, naming the layer.
    assert any("no data for these wards in 2022/23-2023/24" in shown(e.value) for e in at.error)
    assert_shown_as_text(at, f"http://{PAYLOAD_HOST}/layer.png")
    at.sidebar.select_slider(key="locality_year").set_value(2022).run()  # the count table's last two years
    assert not at.error, [e.value for e in at.error]
    labels = [at.number_input(key=f"weight_{key}").label for key in (COUNT_LAYER, *groups)]
    assert_shown_as_text(at, f"http://{PAYLOAD_HOST}/layer.png", *(shown(label) for label in labels))
    rationale = payload("rationale")
    at.text_area(key="rationale").input(rationale)
    next(b for b in at.button if b.label == "Record this decision").click().run()
    assert any("recorded and audited" in s.value for s in at.success)
    assert_shown_as_text(at)
    listed = next(frame.value for frame in at.dataframe if "rationale" in frame.value.columns)
    assert listed["rationale"].iloc[0] == rationale  # a table cell: plain text, as typed
    files = {b.proto.label: downloads.data(b) for b in at.get("download_button")}
    record = pd.read_csv(io.BytesIO(files["Decision record (CSV)"]), dtype=str, keep_default_na=False)
    assert rationale in record.to_numpy().ravel()
    assert_printed(files["Decision record (PDF)"], rationale, payload("layer"))
    assert decision_record.list_decisions(payload_store_dir, restricted_values=True)["rationale"].iloc[0] == rationale


def test_the_forecast_and_the_emerging_hot_spots_of_an_imported_layer_show_its_label_as_text(payload_store_dir):
    at = _page("pages/forecast.py")
    at.sidebar.selectbox(key="layer").select(COUNT_LAYER).run()
    assert_shown_as_text(at, f"http://{PAYLOAD_HOST}/layer.png")
    at = _page("pages/ward_map.py")
    at.sidebar.selectbox(key="layer").select(COUNT_LAYER).run()
    at.sidebar.checkbox(key="emerging").check().run()
    assert_shown_as_text(at, f"http://{PAYLOAD_HOST}/layer.png")
