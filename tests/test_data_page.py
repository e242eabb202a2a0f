"""AppTest for the Data page: upload, the report before anything is written, import, inventory, delete."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from hotspots import importing, store
from shown_text import shown
from ui.common import text
from signed_in import dashboard

GOOD = (b"Crime Ref,Offence Date,Offence Group,Victim Age,DV Flag,Ward Name\n"
        b"C1,01/05/2021,Violence with injury,16,N,Grays Riverside\n"
        b"C2,02/05/2021,Violence with injury,19,N,Tilbury St. Chads\n")
WITH_PROBLEMS = GOOD + (b"C3,31/02/2021,Violence with injury,16,N,Grays Riverside\n"
                        b"C4,03/05/2021,Violence with injury,17,N,Grays Riversyde\n")


@pytest.fixture
def data_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, demo_dir) -> AppTest:
    monkeypatch.setenv("HOTSPOTS_STORE", str(tmp_path / "store"))
    at = dashboard("admin", 120)
    at.run()
    at.switch_page("pages/data.py")
    at.run()
    assert not at.exception, at.exception
    return at


def _table_with(at: AppTest, column: str):
    tables = [frame.value for frame in at.dataframe if column in frame.value.columns]
    assert tables, f"no table with a {column!r} column"
    return tables[0]


def _upload(at: AppTest, source: str, name: str, content: bytes) -> None:
    at.selectbox(key="source").set_value(source)
    at.run()
    at.file_uploader(key="upload").set_value((name, content, "text/csv"))
    at.run()
    assert not at.exception, at.exception


def test_report_comes_first_and_nothing_is_written_until_confirmed(data_page: AppTest, tmp_path: Path) -> None:
    _upload(data_page, "police", "extract.csv", WITH_PROBLEMS)
    metrics = {m.label: m.value for m in data_page.metric}
    assert metrics == {"Rows read": "4", "Rows accepted": "2", "Rows rejected": "2", "Not placed in an area": "0"}
    rejected = _table_with(data_page, "problem")
    assert set(rejected["problem"]) >= {"not a real date"}
    assert _table_with(data_page, "ward_name")["ward_name"].tolist() == ["Grays Riversyde"]
    assert store.list_datasets(tmp_path / "store").empty

    data_page.button(key="import").click().run()  # rejects not accepted: refused, store untouched
    assert any("store is unchanged" in e.value for e in data_page.error)
    assert store.list_datasets(tmp_path / "store").empty

    data_page.checkbox(key="accept_rejects").check().run()
    data_page.button(key="import").click().run()
    assert any("as dataset 1" in s.value for s in data_page.success)
    record = store.list_datasets(tmp_path / "store").iloc[0]
    assert (record["rows_accepted"], record["rows_rejected"], record["original_name"]) == (2, 2, "extract.csv")
    assert _table_with(data_page, "File")["File"].tolist() == ["extract.csv"]


def test_a_refused_file_shows_file_line_and_column(data_page: AppTest, tmp_path: Path) -> None:
    _upload(data_page, "police", "semicolons.csv", GOOD.replace(b",", b";"))
    assert "semicolons.csv, line 1" in shown(data_page.error[0].value)
    assert store.list_datasets(tmp_path / "store").empty


def test_the_maps_switch_to_the_users_store_and_a_dataset_can_be_deleted(data_page: AppTest, tmp_path: Path) -> None:
    _upload(data_page, "police", "extract.csv", GOOD)
    data_page.button(key="import").click().run()
    data_page.switch_page("pages/ward_map.py")
    data_page.run()
    assert not data_page.exception, data_page.exception
    assert not any("SYNTHETIC" in w.value for w in data_page.warning)  # the user's data is not synthetic
    data_page.switch_page("pages/data.py")
    data_page.run()
    assert data_page.button(key="delete").disabled
    data_page.checkbox(key="confirm_delete").check().run()
    data_page.button(key="delete").click().run()
    assert store.list_datasets(tmp_path / "store").empty


def _app_on_store_with(sample: str, source: str, store_dir: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    """The app, run once, on a user store holding one of the files in ``data/samples/``."""
    monkeypatch.setenv("HOTSPOTS_STORE", str(store_dir))
    importing.import_file(store_dir, Path(__file__).resolve().parents[1] / "data" / "samples" / sample, source)
    at = dashboard("admin", 120)
    at.run()
    assert not at.exception, at.exception
    return at


def test_every_page_works_on_a_store_holding_one_police_uk_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 demo_dir) -> None:
    """A real user's first import is often one police.uk month: no page may fail on it."""
    at = _app_on_store_with("synthetic_police_uk_street.csv", "police-uk", tmp_path / "store", monkeypatch)
    assert "police.uk: violence and sexual offences" in shown(at.subheader[0].value)
    for page in ("pages/ward_profile.py", "pages/data.py"):
        at.switch_page(page)
        at.run()
        assert not at.exception, (page, at.exception)
    at.switch_page("pages/forecast.py")
    at.run()
    assert not at.exception, at.exception
    assert any("No financial year of this layer's data is complete" in shown(w.value) for w in at.warning)


def test_pages_explain_themselves_on_a_store_with_only_population(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                   demo_dir) -> None:
    at = _app_on_store_with("synthetic_population_by_age.csv", "population", tmp_path / "store", monkeypatch)
    assert any("Nothing to map yet" in i.value for i in at.info)
    for page, words in (("pages/forecast.py", "Nothing to forecast yet"), ("pages/ward_profile.py", "No events")):
        at.switch_page(page)
        at.run()
        assert not at.exception, (page, at.exception)
        assert any(words in i.value for i in at.info), page


PAYLOAD = "![x](http://198.51.100.7/x.png) <img src=http://198.51.100.7/y.png> :red[z] $$w$$"


def test_refusals_and_reports_show_the_users_values_and_file_names_as_text(data_page: AppTest) -> None:
    # Refused whole (no count column), quoting the header it found: a payload in the file name and the header.
    _upload(data_page, "counts", f"{PAYLOAD}.csv", f"area_code,period,{PAYLOAD}\nE05002229,2019/20,3\n".encode())
    refusal = data_page.error[0].value
    assert refusal.startswith("**Cannot import this file.**")  # our own Markdown stays Markdown...
    assert refusal.count(text(PAYLOAD)) >= 2 and "![x](" not in refusal  # ...the file name and the header are text
    rejected = GOOD + f"C3,01/05/2021,Violence with injury,16,N,{PAYLOAD}\n".encode()
    _upload(data_page, "police", f"{PAYLOAD}.csv", rejected)
    report = next(m.value for m in data_page.markdown if "Validation report" in m.value)
    assert text(f"{PAYLOAD}.csv") in report and "![x](" not in report
    data_page.button(key="import").click().run()
    refusal = next(e.value for e in data_page.error if "store is unchanged" in e.value)
    assert text(PAYLOAD) in refusal and "![x](" not in refusal


def test_an_import_commits_the_file_as_checked_or_refuses_if_the_store_changed_since(
        data_page: AppTest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store_dir = tmp_path / "store"
    importing.import_file(store_dir, _written(tmp_path / "earlier.csv", GOOD), "police")  # dataset 1: C1, C2
    checks = []  # the files the page checks (not those this test imports itself)
    stage = importing.stage
    monkeypatch.setattr(importing, "stage", lambda *args, **kwargs: checks.append(args[1].name == "upload.csv")
                        or stage(*args, **kwargs))
    _upload(data_page, "police", "revised.csv", GOOD.replace(b"C1,01/05", b"C3,03/05"))  # shares C2 with dataset 1
    assert any("dataset 1 (earlier.csv) already holds 1 of its records" in shown(w.value) for w in data_page.warning)
    data_page.radio(key="replace").set_value(True).run()
    # Between the check and the click, another import takes C2 over from dataset 1 (as dataset 2).
    importing.import_file(store_dir, _written(tmp_path / "later.csv", GOOD.replace(b"C1,01/05", b"C9,09/05")),
                          "police", replace=True)
    data_page.button(key="import").click().run()
    assert any("the store changed after this file was checked" in shown(e.value)
               and "Check the file again" in shown(e.value) for e in data_page.error)
    assert store.list_datasets(store_dir)["dataset_id"].tolist() == [2, 1]
    data_page.button(key="check_again").click().run()
    assert any("dataset 2 (later.csv) already holds 1 of its records" in shown(w.value) for w in data_page.warning)
    data_page.radio(key="replace").set_value(True).run()
    data_page.button(key="import").click().run()
    assert any("as dataset 3" in s.value for s in data_page.success)
    assert sum(checks) == 2  # one check per report shown: the import itself read the file again neither time
    replaced = store.list_datasets(store_dir).set_index("dataset_id")["replaced"]
    assert (replaced[2], replaced[1]) == ("1 record by dataset 3", "1 record by dataset 2")  # as the report said


def _written(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path
