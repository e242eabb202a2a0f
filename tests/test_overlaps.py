"""Never counting twice: re-published months, the same file twice, overlapping extracts; and the
store's promises around them (a refusal changes nothing, the kept original is what was read)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from hotspots import aggregation, cli, importing, loading, readers, store
from hotspots._errors import ImportFileError, OverlapError, StoreError
from signed_in import dashboard

HEADER = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,"
          "Last outcome category,Context\n")


def street_file(month: str, outcome: str = "Under investigation", *, rows: int = 6, force: str = "Essex Police",
                first_id: int = 0) -> str:
    """One force's police.uk month, placed by LSOA code (Thurrock 015A, in Grays Riverside)."""
    return HEADER + "".join(
        f"{first_id + i:058x}{month.replace('-', '')},{month},{force},{force},,,No Location,E01015921,"
        f"Thurrock 015A,Violence and sexual offences,{outcome},\n" for i in range(rows))


def snapshot(store_dir: Path) -> dict[str, str]:
    return {str(p.relative_to(store_dir)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(store_dir.rglob("*")) if p.is_file()}


def ward_counts(store_dir: Path) -> pd.Series:
    counts = aggregation.area_counts(loading.load_dataset(store_dir), "police-uk:violence-and-sexual-offences")
    return counts.set_index(["area_code", "period"])["count"]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_a_republished_month_is_refused_or_replaces_the_earlier_one_and_counts_stay_the_same(tmp_path: Path) -> None:
    store_dir = tmp_path / "store"
    january = importing.import_file(store_dir, write(tmp_path / "a" / "2023-01-essex-street.csv",
                                                     street_file("2023-01")), "police-uk")
    importing.import_file(store_dir, write(tmp_path / "a" / "2023-02-essex-street.csv", street_file("2023-02")),
                          "police-uk")
    counts_before = ward_counts(store_dir)
    republished = write(tmp_path / "b" / "2023-01-essex-street.csv",
                        street_file("2023-01", "Investigation complete; no suspect identified"))
    before = snapshot(store_dir)
    with pytest.raises(OverlapError, match=r"dataset 1 \(2023-01-essex-street.csv\) already holds 2023-01 for Essex Police"):
        importing.import_file(store_dir, republished, "police-uk")
    assert snapshot(store_dir) == before

    newer = importing.import_file(store_dir, republished, "police-uk", replace=True)
    pd.testing.assert_series_equal(ward_counts(store_dir), counts_before)
    inventory = store.list_datasets(store_dir).set_index("dataset_id")
    assert inventory.loc[january, "covers"] == "2023-01"
    assert inventory.loc[january, "replaced"] == f"2023-01 (Essex Police) by dataset {newer}"
    assert inventory.loc[newer, "replaced"] == ""
    events = store.read_table(store_dir, "events")
    assert set(events.loc[events["date"].dt.month.eq(1), "dataset_id"]) == {newer}  # the newer outcomes are read

    store.delete_dataset(store_dir, newer)  # deleting the newer file brings the earlier month back
    pd.testing.assert_series_equal(ward_counts(store_dir), counts_before)
    assert store.list_datasets(store_dir).set_index("dataset_id").loc[january, "replaced"] == ""


def test_a_month_of_another_force_is_no_overlap(tmp_path: Path) -> None:
    store_dir = tmp_path / "store"
    importing.import_file(store_dir, write(tmp_path / "2023-01-essex-street.csv", street_file("2023-01")), "police-uk")
    importing.import_file(store_dir, write(tmp_path / "2023-01-btp-street.csv",
                                           street_file("2023-01", force="British Transport Police", first_id=100)),
                          "police-uk")
    assert len(store.read_table(store_dir, "events")) == 12


def test_the_same_month_twice_in_a_folder_or_a_zip_is_counted_once(tmp_path: Path) -> None:
    month = street_file("2023-01")
    # Outcomes are not read: a re-published month with only new outcomes counts the same.
    republished = street_file("2023-01", "Unable to prosecute suspect")
    folder = tmp_path / "download"
    write(folder / "2023-01" / "2023-01-essex-street.csv", month)
    write(folder / "copy of 2023-01" / "2023-01-essex-street.csv", month)  # the same file under another name
    prepared = importing.validate_file(folder, "police-uk")
    assert len(prepared.table) == 6
    assert any("holds the same rows as" in note and "counted once" in note for note in prepared.notes)

    archive = tmp_path / "download.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("2023-01/2023-01-essex-street.csv", month)
        zipped.writestr("2023-01 (1)/2023-01-essex-street.csv", republished)
    store_dir = tmp_path / "store"
    importing.import_file(store_dir, archive, "police-uk")
    assert len(store.read_table(store_dir, "events")) == 6


def test_two_different_files_of_one_month_in_a_folder_are_refused_by_name(tmp_path: Path) -> None:
    folder = tmp_path / "download"
    write(folder / "old" / "2023-01-essex-street.csv", street_file("2023-01"))
    write(folder / "new" / "2023-01-essex-street.csv", street_file("2023-01", rows=7))  # a crime recorded since
    with pytest.raises(ImportFileError, match=r"download/old/2023-01-essex-street.csv.*Essex Police 2023-01.*"
                                              r"keep only the newer file"):
        importing.validate_file(folder, "police-uk")


EXTRACT = "crime_reference,offence_date,offence_group,victim_age,domestic,lsoa_code\n"


def test_an_extract_repeating_earlier_crime_references_is_refused_or_replaces_those_rows(tmp_path: Path) -> None:
    store_dir = tmp_path / "store"
    first = write(tmp_path / "extract-1.csv", EXTRACT + "".join(
        f"CR{i},2022-0{1 + i}-15,violence with injury,17,N,E01015921\n" for i in range(3)))
    importing.import_file(store_dir, first, "police")
    # A later extract from July: CR2 was recorded again with a corrected date, outside the months of the first.
    second = write(tmp_path / "extract-2.csv", EXTRACT + "CR2,2022-07-01,violence with injury,17,N,E01015921\n"
                                                         "CR9,2022-07-02,violence with injury,17,N,E01015921\n")
    with pytest.raises(OverlapError, match=r"already holds 1 of its records"):
        importing.import_file(store_dir, second, "police")
    later = importing.import_file(store_dir, second, "police", replace=True)
    events = store.read_table(store_dir, "events")
    assert sorted(events["reference"]) == ["CR0", "CR1", "CR2", "CR9"]
    assert events.loc[events["reference"].eq("CR2"), "dataset_id"].tolist() == [later]


def test_a_count_table_for_a_year_already_stored_is_refused_or_replaces_it(tmp_path: Path) -> None:
    store_dir = tmp_path / "store"
    table = "area_code,period,count\nE05002229,2019/20,3\nE05002230,2019/20,1\n"
    importing.import_file(store_dir, write(tmp_path / "knife.csv", table), "counts", layer="knife")
    revised = write(tmp_path / "knife-revised.csv", table.replace(",3\n", ",4\n") + "E05002229,2020/21,2\n")
    with pytest.raises(OverlapError, match="already holds 2 of its records"):
        importing.import_file(store_dir, revised, "counts", layer="knife")
    importing.import_file(store_dir, write(tmp_path / "other.csv", table.replace(",1\n", ",2\n")), "counts",
                          layer="other-layer")  # another layer: no overlap
    importing.import_file(store_dir, revised, "counts", layer="knife", replace=True)
    counts = loading.load_dataset(store_dir).counts
    knife = counts[counts["layer"].eq("knife")].set_index(["area_code", "financial_year"])["count"]
    assert knife.to_dict() == {("E05002229", 2019): 4, ("E05002230", 2019): 1, ("E05002229", 2020): 2}


def test_the_check_gives_the_import_s_verdict_and_writes_nothing(tmp_path: Path, capsys) -> None:
    store_dir = tmp_path / "store"
    importing.import_file(store_dir, write(tmp_path / "a" / "2023-01-essex-street.csv", street_file("2023-01")),
                          "police-uk")
    republished = write(tmp_path / "b" / "2023-01-essex-street.csv", street_file("2023-01", "Unable to prosecute"))
    before = snapshot(store_dir)
    arguments = ["import", "--source", "police-uk", str(republished), "--store", str(store_dir)]
    assert cli.main([*arguments, "--check"]) == 2
    assert "already holds 2023-01" in capsys.readouterr().err
    assert cli.main(arguments) == 2
    refused = capsys.readouterr()
    assert refused.out == ""  # no "accepted" on stdout for an import that did not happen
    lines = refused.err.splitlines()
    assert lines[0] == "2023-01-essex-street.csv: nothing imported; the store is unchanged."
    assert "would be accepted" in lines[1] and lines[-1].startswith("hotspots: ") and "nothing was changed" in lines[-1]
    assert snapshot(store_dir) == before
    assert cli.main([*arguments, "--check", "--replace"]) == 0
    assert snapshot(store_dir) == before
    assert cli.main([*arguments, "--replace"]) == 0
    replaced = capsys.readouterr().out
    assert "imported as dataset 2" in replaced
    assert "replaced (kept on record): dataset 1 (2023-01-essex-street.csv) held 2023-01" in replaced
    assert cli.main(["datasets", "--store", str(store_dir)]) == 0
    assert "2023-01 (Essex Police) by dataset 2" in capsys.readouterr().out


def test_the_rows_the_kept_original_and_its_hash_come_from_the_same_bytes_when_the_file_changes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path / "2023-01-essex-street.csv", street_file("2023-01"))
    original = path.read_bytes()
    read = readers.READERS["police-uk"]

    def changed_while_reading(file: Path, name: str | None = None):
        path.write_text(street_file("2023-01", rows=9))  # someone saves over the file mid-import
        return read(file, name)

    monkeypatch.setitem(readers.READERS, "police-uk", changed_while_reading)
    store_dir = tmp_path / "store"
    dataset_id = importing.import_file(store_dir, path, "police-uk")
    record = store.list_datasets(store_dir).iloc[0]
    kept = (store_dir / record["stored_file"]).read_bytes()
    assert kept == original
    assert record["sha256"] == hashlib.sha256(original).hexdigest()
    assert len(store.read_table(store_dir, "events", f"dataset_id = {dataset_id}")) == 6


def test_a_failure_while_writing_leaves_the_store_byte_for_byte_as_it_was(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    store_dir = tmp_path / "store"
    importing.import_file(store_dir, write(tmp_path / "2023-01-essex-street.csv", street_file("2023-01")), "police-uk")
    before = snapshot(store_dir)

    def full_disk(*_args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store, "_write_rows", full_disk)
    with pytest.raises(OSError):
        importing.import_file(store_dir, write(tmp_path / "2023-02-essex-street.csv", street_file("2023-02")),
                              "police-uk")
    assert snapshot(store_dir) == before
    assert [p.name for p in (store_dir / store.UPLOADS).iterdir()] == [store.list_datasets(store_dir)["sha256"][0]]
    fresh = tmp_path / "fresh-store"
    with pytest.raises(OSError):
        importing.import_file(fresh, write(tmp_path / "2023-03-essex-street.csv", street_file("2023-03")), "police-uk")
    assert not fresh.exists()  # a refused first import does not even leave the store's folder


STAGING = """
import sys, time
from pathlib import Path
from hotspots import store
with store.incoming(Path(sys.argv[1])) as folder:
    print(folder.parent, flush=True)
    time.sleep(600)
"""


def test_a_writer_keeps_a_running_import_s_folder_and_clears_a_dead_one_s(tmp_path: Path) -> None:
    # Liveness is the importer's lock on its folder, not its process id (which a container and its
    # host sharing the store see differently): a folder named after a running pid, without a lock, goes.
    store_dir = tmp_path / "store"
    importing.import_file(store_dir, write(tmp_path / "2023-01-essex-street.csv", street_file("2023-01")), "police-uk")
    uploads = store_dir / store.UPLOADS
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    running, killed = (subprocess.Popen([sys.executable, "-c", STAGING, str(store_dir)], stdout=subprocess.PIPE,
                                        text=True, env=env) for _ in range(2))
    try:
        running_folder, killed_folder = (Path(child.stdout.readline().strip()) for child in (running, killed))
        killed.kill()
        killed.wait()
        by_pid = uploads / f".partial-{os.getpid()}-0123"  # as named before locks
        (by_pid / store.ORIGINAL).mkdir(parents=True)
        importing.import_file(store_dir, write(tmp_path / "2023-02-essex-street.csv", street_file("2023-02")),
                              "police-uk")
        assert running_folder.exists() and running_folder.with_name(running_folder.name + ".lock").exists()
        assert not killed_folder.exists() and not by_pid.exists()
        assert not killed_folder.with_name(killed_folder.name + ".lock").exists()
    finally:
        for child in (running, killed):
            child.kill()
            child.communicate()  # and its pipe closed
    with store.catalogue(store_dir):  # the next writer clears the import that has now ended
        pass
    assert sorted(p.name for p in uploads.iterdir()) == sorted(store.list_datasets(store_dir)["sha256"])


def test_a_parquet_store_from_before_coverage_was_recorded_is_upgraded(tmp_path: Path) -> None:
    import duckdb
    import pyarrow.parquet as pq

    store_dir = tmp_path / "store"
    importing.import_file(store_dir, write(tmp_path / "2023-01-essex-street.csv", street_file("2023-01")), "police-uk")
    events = store.read_table(store_dir, "events")
    folder = store_dir / store.UPLOADS / store.list_datasets(store_dir)["sha256"][0]
    for part in folder.glob(store.ROWS_FILES):  # as written before rows had a force
        pq.write_table(pq.read_table(part).drop_columns(["force"]), part)
    with duckdb.connect(str(store_dir / store.DATABASE_NAME)) as db:
        for table in ("covers", "replaced_references", "upgrades"):
            db.execute(f"DROP TABLE {table}")

    upgraded = store.read_table(store_dir, "events")
    pd.testing.assert_frame_equal(upgraded.drop(columns="force"), events.drop(columns="force"))
    assert store.list_datasets(store_dir)["covers"].tolist() == ["2023-01"]
    # Known from then on: a re-published month of the unknown force is still caught (same references).
    with pytest.raises(OverlapError, match="already holds 2023-01"):
        importing.import_file(store_dir, write(tmp_path / "b" / "2023-01-essex-street.csv",
                                               street_file("2023-01", "Unable to prosecute")), "police-uk")



def test_the_data_page_shows_the_overlap_and_imports_only_when_told_to_replace(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, demo_dir) -> None:
    from shown_text import shown

    store_dir = tmp_path / "store"
    monkeypatch.setenv("HOTSPOTS_STORE", str(store_dir))
    importing.import_file(store_dir, write(tmp_path / "2023-01-essex-street.csv", street_file("2023-01")), "police-uk")
    at = dashboard("admin", 120)
    at.run()
    at.switch_page("pages/data.py")
    at.run()
    at.selectbox(key="source").set_value("police-uk").run()
    at.file_uploader(key="upload").set_value(("2023-01-essex-street.csv",
                                              street_file("2023-01", "Unable to prosecute").encode(), "text/csv"))
    at.run()
    assert not at.exception, at.exception
    assert any("overlaps what the store holds" in shown(w.value) and "already holds 2023-01" in shown(w.value)
               for w in at.warning)
    assert at.radio(key="replace").value is None and at.button(key="import").disabled  # the user must choose
    at.radio(key="replace").set_value(False).run()
    at.button(key="import").click().run()
    assert any("store is unchanged" in e.value for e in at.error)
    assert len(store.list_datasets(store_dir)) == 1
    at.radio(key="replace").set_value(True).run()
    at.button(key="import").click().run()
    assert any("as dataset 2" in s.value for s in at.success)
    inventory = [frame.value for frame in at.dataframe if "Months replaced by later imports" in frame.value.columns][0]
    assert inventory.set_index("ID").loc[1, "Months replaced by later imports"] == "2023-01 (Essex Police) by dataset 2"
    assert len(store.read_table(store_dir, "events")) == 6


def test_a_number_too_big_to_store_and_a_folder_with_a_link_loop_are_refused_alike_and_change_nothing(
        tmp_path: Path, capsys) -> None:
    store_dir = tmp_path / "store"
    importing.import_file(store_dir, write(tmp_path / "2023-01-essex-street.csv", street_file("2023-01")), "police-uk")
    too_big = write(tmp_path / "counts.csv", "area_code,period,count\nE05002229,2019/20,3000000000\n")
    looped = tmp_path / "download"
    write(looped / "2023-02" / "2023-02-essex-street.csv", street_file("2023-02"))
    (looped / "2023-02" / "again").symlink_to(looped, target_is_directory=True)
    (looped / "loop").symlink_to(looped / "loop")  # a link to itself
    before = snapshot(store_dir)
    for source, path in (("counts", too_big), ("police-uk", looped)):
        arguments = ["import", "--source", source, str(path), "--store", str(store_dir)]
        assert cli.main([*arguments, "--check"]) == 2
        checked = capsys.readouterr().err.splitlines()[-1]
        assert cli.main(arguments) == 2
        assert capsys.readouterr().err.splitlines()[-1] == checked  # the same verdict, word for word
        assert snapshot(store_dir) == before


def test_deleting_the_middle_of_a_chain_of_replacements_counts_nothing_twice(tmp_path: Path) -> None:
    store_dir = tmp_path / "store"
    for n, outcome in enumerate(["Under investigation", "Unable to prosecute", "Awaiting court outcome"]):
        importing.import_file(store_dir, write(tmp_path / str(n) / "2023-01-essex-street.csv",
                                               street_file("2023-01", outcome)), "police-uk", replace=True)
    register = "nominal_id,gang,home_postcode,date_added\nN1,{gang},RM17 6SL,2019-04-01\nN2,{gang},RM17 6SL,2019-05-01\n"
    for gang in ("A", "B", "C"):
        importing.import_file(store_dir, write(tmp_path / f"register-{gang}.csv", register.format(gang=gang)),
                              "nominals", replace=True)
    store.delete_dataset(store_dir, 2)  # the middle police.uk month
    store.delete_dataset(store_dir, 5)  # the middle register
    events = store.read_table(store_dir, "events")
    assert len(events) == 6 and set(events["dataset_id"]) == {3}
    nominals = store.read_table(store_dir, "nominals")
    assert sorted(nominals["gang"]) == ["C", "C"]
    inventory = store.list_datasets(store_dir).set_index("dataset_id")
    assert inventory.loc[1, "replaced"] == "2023-01 (Essex Police) by dataset 3"
    assert inventory.loc[4, "replaced"] == "2 records by dataset 6"


def test_the_same_file_staged_twice_at_once_lands_once_and_the_first_stays_readable(tmp_path: Path) -> None:
    store_dir = tmp_path / "store"
    path = write(tmp_path / "2023-01-essex-street.csv", street_file("2023-01"))
    with store.incoming(store_dir) as first_folder, store.incoming(store_dir) as second_folder:
        first = importing.stage(store_dir, path, "police-uk", first_folder)
        second = importing.stage(store_dir, path, "police-uk", second_folder)  # both checked before either lands
        importing.commit(store_dir, first)
        with pytest.raises(StoreError, match="already imported as dataset 1"):
            importing.commit(store_dir, second, replace=True)
    assert len(store.read_table(store_dir, "events")) == 6


def test_a_checked_file_replaces_what_its_check_reported_or_is_refused_to_check_again(tmp_path: Path) -> None:
    store_dir = tmp_path / "store"
    importing.import_file(store_dir, write(tmp_path / "a" / "2023-01-essex-street.csv", street_file("2023-01")),
                          "police-uk")
    republished = write(tmp_path / "b" / "2023-01-essex-street.csv", street_file("2023-01", "Charged"))
    stale = importing.check_upload(store_dir, republished.read_bytes(), "police-uk", name=republished.name)
    assert "dataset 1" in stale.staged.overlap.describe()
    # Dataset 1 is deleted and another file imported in its place: it too gets id 1, but is not what was checked.
    store.delete_dataset(store_dir, 1)
    importing.import_file(store_dir, write(tmp_path / "c" / "2023-01-essex-street.csv",
                                           street_file("2023-01", "Fined")), "police-uk")
    before = snapshot(store_dir)
    with pytest.raises(store.StaleCheckError, match="changed after this file was checked.*Check the file again"):
        importing.commit_checked(store_dir, stale.staged, replace=True)
    assert snapshot(store_dir) == before
    current = importing.check_upload(store_dir, republished.read_bytes(), "police-uk", name=republished.name)
    assert importing.commit_checked(store_dir, current.staged, replace=True) == 2
    replaced = store.list_datasets(store_dir).set_index("dataset_id")["replaced"]
    assert replaced[1] == "2023-01 (Essex Police) by dataset 2"
    for check in (stale, current):
        check.discard()
        assert not check.folder.exists()


def test_a_missing_month_can_be_added_and_extracts_of_other_areas_sit_side_by_side(tmp_path: Path) -> None:
    store_dir = tmp_path / "store"
    folder = tmp_path / "download"
    write(folder / "2023-01-essex-street.csv", street_file("2023-01"))
    write(folder / "2023-03-essex-street.csv", street_file("2023-03"))
    importing.import_file(store_dir, folder, "police-uk")
    importing.import_file(store_dir, write(tmp_path / "2023-02-essex-street.csv", street_file("2023-02")), "police-uk")
    assert len(store.read_table(store_dir, "events")) == 18
    calls = "incident_id,incident_date,patient_age,injury_category,lsoa_code\n"
    importing.import_file(store_dir, write(tmp_path / "thurrock.csv", calls + "".join(
        f"T-{i},2022-0{4 + i % 3}-10,17,assault,E01015921\n" for i in range(6))), "ambulance")
    importing.import_file(store_dir, write(tmp_path / "southend.csv", calls + "".join(
        f"S-{i},2022-0{4 + i % 3}-11,17,assault,E01015921\n" for i in range(6))), "ambulance")  # same months
    # A police extract whose references happen to be the ambulance's: another source, no overlap.
    importing.import_file(store_dir, write(tmp_path / "police.csv", EXTRACT + "".join(
        f"T-{i},2022-08-0{1 + i},violence with injury,17,N,E01015921\n" for i in range(3))), "police")
    events = store.read_table(store_dir, "events")
    assert events["source"].value_counts().to_dict() == {"police-uk": 18, "ambulance": 12, "police": 3}


def test_an_upgrade_interrupted_half_way_is_done_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import duckdb

    store_dir = tmp_path / "store"
    importing.import_file(store_dir, write(tmp_path / "knife.csv", "area_code,period,count\nE05002229,2019/20,3\n"),
                          "counts", layer="knife")
    importing.import_file(store_dir, write(tmp_path / "2023-01-essex-street.csv", street_file("2023-01")), "police-uk")
    with duckdb.connect(str(store_dir / store.DATABASE_NAME)) as db:  # as before coverage was recorded
        for table in ("covers", "replaced_references", "upgrades"):
            db.execute(f"DROP TABLE {table}")
    real_insert = store._insert

    def fail_on_the_second_dataset(db, table, frame):
        if table == "covers" and frame["dataset_id"].iloc[0] == 2:
            raise KeyboardInterrupt  # the process is stopped half-way through the upgrade
        real_insert(db, table, frame)

    monkeypatch.setattr(store, "_insert", fail_on_the_second_dataset)
    with pytest.raises(KeyboardInterrupt):
        store.list_datasets(store_dir)
    monkeypatch.setattr(store, "_insert", real_insert)
    assert store.list_datasets(store_dir).set_index("dataset_id")["covers"].to_dict() == {1: "2019/20", 2: "2023-01"}
    with pytest.raises(OverlapError):  # the upgraded coverage still catches a re-published month
        importing.import_file(store_dir, write(tmp_path / "b" / "2023-01-essex-street.csv",
                                               street_file("2023-01", "Unable to prosecute")), "police-uk")
