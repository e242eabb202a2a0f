"""Readers, the store and the command line on well-formed files, in the formats users bring."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st
from pyproj import Transformer

from hotspots import cli, geography, importing, loading, readers, store
from hotspots._errors import ImportFileError, OverlapError, StoreError

ROOT = Path(__file__).resolve().parents[1]
HEADER = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,"
          "Last outcome category,Context")
TO_WGS84 = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)


def published_row(crime_id: str, month: str, lsoa_code: str, crime_type: str, point=None, lsoa_name: str = "") -> str:
    lon, lat = ("", "") if point is None else (f"{point[0]:.6f}", f"{point[1]:.6f}")
    location = "No Location" if point is None else "On or near Supermarket"
    return (f"{crime_id},{month},Essex Police,Essex Police,{lon},{lat},{location},{lsoa_code},{lsoa_name},"
            f"{crime_type},Investigation complete; no suspect identified,")


def point_in(lsoa_code: str) -> tuple[float, float]:
    lsoa = geography.lsoas().set_index("lsoa_code").loc[lsoa_code, "geometry"].representative_point()
    return TO_WGS84.transform(lsoa.x, lsoa.y)


@pytest.fixture(scope="module")
def published_sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame]:
    """Rows in police.uk's exact published street-level layout, and what each should count as."""
    lsoas = geography.lsoas("thurrock").set_index("lsoa_code")
    a, b, c = lsoas.index[:3]
    rows, expected = [], []
    for i, (code, kind, month) in enumerate([(a, "Violence and sexual offences", "2022-03"),
                                             (a, "Violence and sexual offences", "2022-04"),
                                             (b, "Possession of weapons", "2022-04"),
                                             (b, "Violence and sexual offences", "2023-01"),
                                             (c, "Anti-social behaviour", "2022-05")]):
        crime_id = "" if kind == "Anti-social behaviour" else f"{i:064x}"
        rows.append(published_row(crime_id, month, code, kind, point_in(code), lsoas.loc[code, "lsoa_name"]))
        expected.append((code, kind, month))
    # No location at all: police.uk leaves longitude, latitude and the LSOA blank.
    rows.append(published_row(f"{90:064x}", "2022-06", "", "Violence and sexual offences"))
    # Outside the area: a Kent LSOA and a point in Kent, in an Essex Police file (cross-border crime).
    rows.append(published_row(f"{91:064x}", "2022-06", "E01024425", "Violence and sexual offences", (0.5220, 51.2720),
                              "Maidstone 010B"))
    # A 2021 LSOA code (a split LSOA's new code, absent from 2011): placed by its map point in LSOA c.
    rows.append(published_row(f"{92:064x}", "2022-07", "E01035630", "Violence and sexual offences", point_in(c),
                              "Thurrock 012F"))
    expected.append((c, "Violence and sexual offences", "2022-07"))
    path = tmp_path_factory.mktemp("policeuk") / "2022-03-essex-street.csv"
    path.write_text(HEADER + "\n" + "\n".join(rows) + "\n")
    return path, pd.DataFrame(expected, columns=["lsoa_code", "crime_type", "month"])


def test_published_police_uk_rows_count_by_lsoa_and_ward_as_by_hand(published_sample, tmp_path: Path) -> None:
    path, expected = published_sample
    store_dir = tmp_path / "store"
    assert cli.main(["import", "--source", "police-uk", str(path), "--store", str(store_dir)]) == 0
    summary = store.list_datasets(store_dir).iloc[0]
    assert (summary["rows_read"], summary["rows_accepted"], summary["rows_unplaced"]) == (8, 8, 2)
    unplaced = store.read_table(store_dir, "events", "ward_code IS NULL")["unplaced_reason"].sort_values().tolist()
    assert unplaced == ["no location given", "point outside Greater Essex"]

    ward_of = geography.lsoa_lookup().set_index("lsoa_code")["ward_code"]
    violence = expected[expected["crime_type"].eq("Violence and sexual offences")]
    for by, key in (("lsoa", violence["lsoa_code"]), ("ward", violence["lsoa_code"].map(ward_of))):
        out = tmp_path / f"{by}.csv"
        assert cli.main(["counts", "--layer", "police-uk:violence-and-sexual-offences", "--by", by, "--region",
                         "thurrock", "--out", str(out), "--store", str(store_dir)]) == 0
        table = pd.read_csv(out)
        by_hand = key.value_counts()
        got = table.groupby("area_code")["count"].sum()
        assert got[got > 0].sort_index().to_dict() == by_hand.sort_index().to_dict()
        assert set(table["period"]) == {"2021/22", "2022/23"}
        areas = geography.lsoas("thurrock") if by == "lsoa" else geography.wards("thurrock")
        assert len(table) == len(areas) * 2  # every area, every year, zero-filled


def test_police_uk_zip_and_folder_read_every_street_file(published_sample, tmp_path: Path) -> None:
    path, _ = published_sample
    archive = tmp_path / "download.zip"
    a_year_earlier = "\n".join(("a" + line[1:] if line[:1] == "0" else line)  # other Crime IDs
                               for line in path.read_text().replace(",2022-", ",2021-").replace(",2023-", ",2022-")
                               .splitlines())
    with zipfile.ZipFile(archive, "w") as out:
        out.write(path, "2022-03/2022-03-essex-street.csv")
        out.writestr("2021-03/2021-03-essex-street.csv", a_year_earlier)
        out.writestr("2022-04/2022-04-essex-outcomes.csv", "Crime ID,Month\n")
    from_zip = importing.validate_file(archive, "police-uk")
    assert from_zip.rows_read == 16 and from_zip.table["source_file"].nunique() == 2
    folder = tmp_path / "folder"
    (folder / "a").mkdir(parents=True)
    (folder / "a" / path.name).write_bytes(path.read_bytes())
    assert importing.validate_file(folder, "police-uk").rows_read == 8


def test_report_counts_rejects_by_reason_and_accepting_them_keeps_them_on_record(tmp_path: Path) -> None:
    path = tmp_path / "extract.csv"
    path.write_text("Crime Ref,Offence Date,Offence Group,Victim Age,DV Flag,Ward Name\n"
                    "C1,01/05/2021,Violence with injury,16,N,Grays Riverside\n"
                    "C2,31/02/2021,Violence with injury,16,N,Grays Riverside\n"
                    "C3,02/05/2021,Violence with injury,sixteen,N,Stanford Le Hope West\n"
                    "C4,03/05/2021,Violence with injury,19,Y,tilbury st chads\n")
    prepared = importing.validate_file(path, "police")
    assert prepared.rows_rejected == 2
    assert set(prepared.problems["problem"]) == {"not a real date", "not a whole number"}
    placed = prepared.table.set_index("reference")
    assert placed.loc["C4", "placed_by"] == "ward_name"  # case, "St"/"St." and punctuation normalised
    with pytest.raises(ImportFileError, match=r"extract.csv, line 3, column 'Offence Date'"):
        importing.import_file(tmp_path / "store", path, "police")
    assert not (tmp_path / "store" / store.DATABASE_NAME).exists()
    dataset = importing.import_file(tmp_path / "store", path, "police", accept_rejects=True, user="analyst")
    rejects = store.rejected_rows(tmp_path / "store", dataset)
    assert rejects["line"].tolist() == [3, 4]
    record = store.list_datasets(tmp_path / "store").iloc[0]
    assert (record["imported_by"], record["rows_accepted"], record["rows_rejected"]) == ("analyst", 2, 2)
    kept = tmp_path / "store" / record["stored_file"]
    assert kept.read_bytes() == path.read_bytes()  # the original, as it arrived


def test_store_lists_previews_and_deletes_a_dataset(tmp_path: Path, demo_dir: Path) -> None:
    store_dir = tmp_path / "store"
    added = loading.load_demo_into(store_dir, demo_dir)
    assert len(added) == 6 and loading.load_demo_into(store_dir, demo_dir) == []  # the demo goes in once
    inventory = store.list_datasets(store_dir)
    assert inventory["synthetic"].all() and set(inventory["kind"]) == {"events", "nominals", "population",
                                                                       "deprivation", "people"}
    population_id = int(inventory.loc[inventory["kind"].eq("population"), "dataset_id"].iloc[0])
    assert len(store.preview(store_dir, population_id, rows=5)) == 5
    kept = store_dir / inventory.set_index("dataset_id").loc[population_id, "stored_file"]
    store.delete_dataset(store_dir, population_id)
    assert population_id not in store.list_datasets(store_dir)["dataset_id"].tolist()
    assert store.read_table(store_dir, "population").empty and not kept.exists()


def test_population_reader_accepts_single_year_ages_long_or_wide(tmp_path: Path) -> None:
    wide = tmp_path / "wide.csv"
    ages = ",".join(f"age_{a}" for a in range(0, 30))
    wide.write_text(f"WD13CD,Year,{ages}\nE05002229,2019," + ",".join(str(a) for a in range(0, 30)) + "\n")
    assert readers.read_population(wide).table["population_10_24"].tolist() == [sum(range(10, 25))]
    long = tmp_path / "long.csv"
    long.write_text("ward_code,mid_year,age,population\n" + "".join(f"E05002229,2019,{a},{a}\n" for a in range(30)))
    assert readers.read_population(long).table["population_10_24"].tolist() == [sum(range(10, 25))]


@hypothesis_settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(st.integers(0, 97), st.integers(2014, 2023), st.integers(1, 12),
                               st.sampled_from(["Violence and sexual offences", "Possession of weapons"]),
                               st.booleans()), min_size=1, max_size=40))
def test_any_valid_police_uk_rows_are_all_placed_by_their_own_code(tmp_path: Path, rows) -> None:
    codes = geography.lsoas("thurrock")["lsoa_code"].tolist()
    lines = [published_row(f"{i:064x}", f"{year}-{month:02d}", codes[lsoa], kind, (0.33, 51.48) if with_point else None)
             for i, (lsoa, year, month, kind, with_point) in enumerate(rows)]
    path = tmp_path / "street.csv"
    path.write_text(HEADER + "\n" + "\n".join(lines) + "\n")
    prepared = importing.validate_file(path, "police-uk")
    assert prepared.problems.empty and len(prepared.table) == len(rows)
    expected = pd.Series([codes[r[0]] for r in rows]).value_counts().sort_index()
    assert prepared.table["lsoa_code"].value_counts().sort_index().to_dict() == expected.to_dict()
    assert (prepared.table["placed_by"] == "lsoa_code").all()


@hypothesis_settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(month=st.text(alphabet="0123456789-/ ", max_size=9))
def test_a_month_cell_is_either_read_exactly_or_reported_on_its_line(tmp_path: Path, month: str) -> None:
    path = tmp_path / "street.csv"
    path.write_text(HEADER + "\n" + published_row("", "2022-01", "E01015921", "Drugs") + "\n"
                    + published_row("", month, "E01015921", "Drugs") + "\n")
    try:
        prepared = importing.validate_file(path, "police-uk")
    except ImportFileError as refused:  # a file-level refusal must still say where
        assert "street.csv" in str(refused)
        return
    if len(prepared.table) == 2:
        parsed = pd.to_datetime(month.strip(), format="%Y-%m")
        assert prepared.table["date"].iloc[1] == parsed
    else:
        assert prepared.problems["line"].tolist() == [3] and prepared.problems["column"].iloc[0] == "Month"


@hypothesis_settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=st.binary(max_size=300) | st.text(alphabet=",\n\"=;#ab19-/\t ", max_size=300).map(str.encode))
def test_arbitrary_bytes_are_read_or_refused_with_a_named_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "anything.csv"
    path.write_bytes(content)
    for source in ("police", "population", "counts"):
        try:
            importing.validate_file(path, source)
        except ImportFileError as refused:
            assert str(refused).startswith("anything.csv")


KILLED_IMPORT = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from hotspots import importing, store
    original_insert = store._insert
    def insert_then_stall(db, table, frame):
        original_insert(db, table, frame)
        Path(sys.argv[3]).touch()  # rows are in, the transaction is still open
        time.sleep(60)
    store._insert = insert_then_stall
    importing.import_file(Path(sys.argv[1]), Path(sys.argv[2]), "police-uk", replace=True)
""")


def test_an_import_killed_half_way_leaves_the_store_unchanged_and_readable(published_sample, tmp_path: Path) -> None:
    path, _ = published_sample
    store_dir = tmp_path / "store"
    first = importing.import_file(store_dir, path, "police-uk")
    events_before = store.read_table(store_dir, "events")
    bigger = tmp_path / "2022-04-essex-street.csv"
    bigger.write_text(path.read_text() + "".join(
        published_row(f"{1000 + i:064x}", "2022-08", "E01015921", "Drugs") + "\n" for i in range(5000)))
    flag = tmp_path / "inserted"
    child = subprocess.Popen([sys.executable, "-c", KILLED_IMPORT, str(store_dir), str(bigger), str(flag)],
                             env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    deadline = time.monotonic() + 120
    while not flag.exists():
        assert child.poll() is None, "the importing process ended before it was killed"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert store.list_datasets(store_dir)["dataset_id"].tolist() == [first]
    pd.testing.assert_frame_equal(store.read_table(store_dir, "events"), events_before)
    # The next writer clears the dead import's kept copy, and the same file then imports cleanly
    # (replacing the months the first file covers: it holds them again, with more).
    second = importing.import_file(store_dir, bigger, "police-uk", replace=True)
    assert sorted(p.name for p in (store_dir / store.UPLOADS).iterdir()) == sorted(
        store.list_datasets(store_dir)["sha256"])
    assert len(store.read_table(store_dir, "events", f"dataset_id = {second}")) == 5008
    assert not np.isinf(store.read_table(store_dir, "events")["easting"]).any()  # a missing point stays missing


OLD_EVENTS_TABLE = """CREATE TABLE events (
    dataset_id INTEGER NOT NULL, source VARCHAR NOT NULL, category VARCHAR NOT NULL, date DATE,
    financial_year SMALLINT, easting DOUBLE, northing DOUBLE, ward_code VARCHAR, lsoa_code VARCHAR,
    age_band VARCHAR, domestic BOOLEAN, reference VARCHAR, placed_by VARCHAR, unplaced_reason VARCHAR,
    source_file VARCHAR, source_line INTEGER)"""  # as stores kept rows before they moved to Parquet


def test_a_store_from_before_rows_moved_to_parquet_is_upgraded_when_opened(published_sample, tmp_path: Path) -> None:
    import duckdb

    path, _ = published_sample
    store_dir = tmp_path / "store"
    dataset_id = importing.import_file(store_dir, path, "police-uk")
    events = store.read_table(store_dir, "events")
    # Put the store back in the old layout: rows in the database, the original beside them.
    record = store.list_datasets(store_dir).iloc[0]
    folder = store_dir / store.UPLOADS / record["sha256"]
    db = duckdb.connect(str(store_dir / store.DATABASE_NAME))
    db.execute(OLD_EVENTS_TABLE)
    db.execute(f"INSERT INTO events SELECT * EXCLUDE (force, time_of_day) FROM read_parquet('{folder / store.ROWS_FILES}')")
    for table in ("covers", "replaced_references", "upgrades"):  # recorded only since
        db.execute(f"DROP TABLE {table}")
    (store_dir / record["stored_file"]).replace(folder / path.name)
    db.execute("UPDATE datasets SET stored_file = ?", [str((folder / path.name).relative_to(store_dir))])
    db.close()
    for part in folder.glob(store.ROWS_FILES):
        part.unlink()

    upgraded_events = store.read_table(store_dir, "events")  # a reader upgrades it
    assert upgraded_events["force"].eq("").all()  # old stores did not keep the force: unknown
    assert upgraded_events["time_of_day"].eq("").all()  # nor times of day: none known
    pd.testing.assert_frame_equal(upgraded_events.drop(columns=["force", "time_of_day"]),
                                  events.drop(columns=["force", "time_of_day"]))
    upgraded = store.list_datasets(store_dir).iloc[0]
    assert upgraded["covers"] == "2022-03 to 2022-07, 2023-01"  # the months its rows hold
    assert (store_dir / upgraded["stored_file"]).read_bytes() == path.read_bytes()
    assert len(store.preview(store_dir, dataset_id)) == min(20, len(events))


SAMPLES = {"police-uk": "synthetic_police_uk_street.csv", "police": "synthetic_police_recorded_crime.csv",
           "ambulance": "synthetic_ambulance_callouts.csv", "nominals": "synthetic_gang_nominals.csv",
           "population": "synthetic_population_by_age.csv", "deprivation": "synthetic_deprivation_by_lsoa.csv",
           "counts": "synthetic_ward_counts.csv", "people": "synthetic_people_by_home.csv"}


@pytest.mark.parametrize("source", list(SAMPLES))
def test_every_reader_has_a_sample_that_reads_cleanly(source: str) -> None:
    assert set(SAMPLES) == set(importing.SOURCES)
    prepared = importing.validate_file(ROOT / "data" / "samples" / SAMPLES[source], source)
    assert prepared.problems.empty and prepared.rows_accepted == prepared.rows_read > 0
    assert prepared.synthetic  # the samples say so in their first line
    if "placed_by" in prepared.table:
        assert prepared.table["placed_by"].notna().sum() >= prepared.rows_read - 1


def test_an_import_keeps_the_file_hash_and_leaves_the_calling_thread_at_its_priority(tmp_path: Path) -> None:
    # The hash is worked out on a lowered-priority helper thread; the dashboard's own thread must not slow down.
    path = ROOT / "data" / "samples" / SAMPLES["police-uk"]
    before = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    importing.import_file(tmp_path / "store", path, "police-uk")
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == before
    assert store.list_datasets(tmp_path / "store")["sha256"].tolist() == [hashlib.sha256(path.read_bytes()).hexdigest()]


def test_a_row_placed_by_a_later_method_is_not_also_reported_unplaced(tmp_path: Path) -> None:
    path = tmp_path / "calls.csv"
    path.write_text("incident_id,incident_date,patient_age,injury_category,lsoa_code,ward_code\n"
                    "A1,2021-05-01,17,assault,E01999999,E05002229\n"   # unknown LSOA, known ward
                    "A2,2021-05-02,17,assault,,\n")                    # nothing at all
    prepared = importing.validate_file(path, "ambulance")
    placed = prepared.table.set_index("reference")
    assert placed.loc["A1", "placed_by"] == "ward_code" and pd.isna(placed.loc["A1", "unplaced_reason"])
    assert placed.loc["A2", "unplaced_reason"] == "no location given"
    assert prepared.summary()["rows_unplaced"] == 1


def test_a_big_dataset_is_written_in_parts_and_read_back_whole_and_in_order(published_sample, tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    path, _ = published_sample
    one_part = tmp_path / "one"
    importing.import_file(one_part, path, "police-uk")
    monkeypatch.setattr(store, "_PART_ROWS", 2)  # the sample's rows as if a million: one part per core
    monkeypatch.setattr(store.os, "cpu_count", lambda: 3)
    parts = tmp_path / "parts"
    dataset_id = importing.import_file(parts, path, "police-uk")

    folder = parts / store.UPLOADS / store.list_datasets(parts)["sha256"].iloc[0]
    assert sorted(p.name for p in folder.glob(store.ROWS_FILES)) == ["rows-000.parquet", "rows-001.parquet",
                                                                      "rows-002.parquet"]
    pd.testing.assert_frame_equal(store.read_table(parts, "events"), store.read_table(one_part, "events"))
    assert store.preview(parts, dataset_id)["source_line"].is_monotonic_increasing
    store.delete_dataset(parts, dataset_id)
    assert not folder.exists() and store.read_table(parts, "events").empty


@hypothesis_settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["", "a", "b", "ab", " a", "E01000001", "é", "a" * 64]), max_size=60))
def test_repeated_values_are_found_exactly_as_pandas_finds_them(values: list[str]) -> None:
    from hotspots.validation import repeats_earlier

    series = pd.Series(values, dtype="str")
    assert repeats_earlier(series).tolist() == series.duplicated(keep="first").tolist()
    assert repeats_earlier(series, skip_blank=True).tolist() == (series.duplicated(keep="first") & series.ne("")).tolist()


def test_a_store_with_one_rows_file_per_dataset_reads_as_before(published_sample, tmp_path: Path) -> None:
    path, _ = published_sample
    store_dir = tmp_path / "store"
    dataset_id = importing.import_file(store_dir, path, "police-uk")
    events = store.read_table(store_dir, "events")
    folder = store_dir / store.UPLOADS / store.list_datasets(store_dir)["sha256"].iloc[0]
    (folder / "rows-000.parquet").replace(folder / "rows.parquet")  # as written before rows came in parts

    pd.testing.assert_frame_equal(store.read_table(store_dir, "events"), events)
    assert len(store.preview(store_dir, dataset_id)) == len(events)


def test_a_store_whose_path_holds_glob_characters_reads_its_own_rows_only(tmp_path: Path) -> None:
    # DuckDB reads [ and * in a path as a pattern: "st[1]*" would match nothing of its own, and
    # match the decoy store "st1-other" beside it, which holds the same file (so the same folder name),
    # its rows cut to the first.
    path = tmp_path / "extract.csv"
    path.write_text("Crime Ref,Offence Date,Offence Group,Victim Age,DV Flag,Ward Name\n"
                    "C1,01/05/2021,Violence with injury,16,N,Grays Riverside\n"
                    "C2,02/05/2021,Violence with injury,19,N,Tilbury St. Chads\n")
    decoy, store_dir = tmp_path / "st1-other", tmp_path / "st[1]*"
    importing.import_file(decoy, path, "police")
    for part in (decoy / store.UPLOADS).glob(f"*/{store.ROWS_FILES}"):
        pq.write_table(pq.read_table(part).slice(0, 1), part)
    dataset = importing.import_file(store_dir, path, "police")
    assert store.read_table(store_dir, "events")["reference"].tolist() == ["C1", "C2"]
    assert store.preview(store_dir, dataset)["reference"].tolist() == ["C1", "C2"]
    revised = tmp_path / "revised.csv"
    revised.write_text(path.read_text().replace("C2,02/05", "C3,03/05"))
    with pytest.raises(OverlapError, match="1 of its records"):  # the stored references are read too
        importing.import_file(store_dir, revised, "police")
    store.delete_dataset(store_dir, dataset)
    assert store.read_table(store_dir, "events").empty and len(store.read_table(decoy, "events")) == 1
    with pytest.raises(StoreError, match=r"contains '\?'.*choose a folder without"):  # DuckDB cannot log under it
        importing.import_file(tmp_path / "st?", path, "police")
    assert not (tmp_path / "st?").exists()
