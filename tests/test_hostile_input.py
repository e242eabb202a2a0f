"""Hostile and odd files: every failure is a named refusal (ImportFileError) with the right line and
column, resources stay bounded, and values that cannot be right are not stored silently."""

from __future__ import annotations

import io
import json
import os
import random
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import pytest

from hotspots import cli, importing, readers
from hotspots._errors import ImportFileError

from test_bad_input import POLICE_UK_HEADER, POLICE_UK_ROW, police, police_uk

POPULATION = "ward_code,mid_year,population_10_24\nE05002229,2019,1500\nE05002230,2019,1400\n"
COUNTS = "area_code,period,count\nE05002229,2019/20,3\nE05002230,2019/20,1\n"
AMBULANCE = ("incident_id,incident_date,patient_age,injury_category,lsoa_code\n"
             "A1,2021-05-01,17,assault,E01015921\nA2,2021-05-02,19,stab/knife/gunshot,E01015921\n")
DEPRIVATION = "lsoa_code,imd_score\nE01015921,12.5\n"


def refusal(tmp_path: Path, source: str, content: bytes | str, name: str = "x.csv") -> str:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    with pytest.raises(ImportFileError) as refused:
        prepared = importing.validate_file(path, source)
        importing.refuse_unless_usable(prepared, accept_rejects=False)
    return str(refused.value)


def zip_of(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------- bounded resources

BOMB_CHILD = """
import json, sys, time
from pathlib import Path
from hotspots import importing, settings
from hotspots._errors import ImportFileError
settings.MAX_UNZIPPED_BYTES = 50 * 1024**2
started = time.monotonic()
try:
    importing.validate_file(Path(sys.argv[1]), "police-uk")
    refused = None
except ImportFileError as error:
    refused = str(error)
peak = int(next(l for l in open("/proc/self/status") if l.startswith("VmHWM")).split()[1]) * 1024
print(json.dumps({"refused": refused, "seconds": time.monotonic() - started, "peak": peak}))
"""


def test_a_small_zip_expanding_past_the_limit_is_refused_fast_in_bounded_memory(tmp_path: Path) -> None:
    row = POLICE_UK_ROW.format(id="", month="2022-05").encode()
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        with archive.open("2022-05/2022-05-essex-street.csv", "w", force_zip64=True) as member:
            member.write(POLICE_UK_HEADER.encode())
            for _ in range(2_000):  # 3 GB of rows: far past the lowered 50 MB limit
                member.write(row * 10_000)
    assert bomb.stat().st_size < 20 * 1024**2
    child = subprocess.run([sys.executable, "-c", BOMB_CHILD, str(bomb)], capture_output=True, text=True, timeout=60,
                           env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    result = json.loads(child.stdout.strip().splitlines()[-1])
    assert result["refused"] and "expand to more than 52,428,800 bytes" in result["refused"]
    assert result["refused"].startswith("bomb.zip:2022-05/2022-05-essex-street.csv: ")
    assert result["seconds"] < 10
    assert result["peak"] < 1024**3


@pytest.mark.parametrize("source", ["police-uk", "population", "counts"])
def test_a_fifo_given_as_the_file_is_refused_at_once(tmp_path: Path, source: str) -> None:
    fifo = tmp_path / "x.csv"
    os.mkfifo(fifo)
    outcome: list[BaseException] = []
    worker = threading.Thread(target=lambda: outcome.append(_raised(importing.validate_file, fifo, source)),
                              daemon=True)
    worker.start()
    worker.join(timeout=1)
    if worker.is_alive():  # unblock the reader stuck opening the FIFO, so the test process can end
        with open(fifo, "wb"):
            pass
        pytest.fail("the reader opened the FIFO and waited on it")
    assert isinstance(outcome[0], ImportFileError) and "named pipe (FIFO)" in str(outcome[0])


def _raised(function, *args) -> BaseException | None:
    try:
        function(*args)
    except BaseException as error:  # handed to the test thread, which checks what it is
        return error
    return None


def test_a_folder_with_a_symlink_loop_is_read_once_and_a_link_out_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "download" / "2022-01"
    folder.mkdir(parents=True)
    (folder / "2022-01-essex-street.csv").write_bytes(police_uk("2022-01", "2022-01"))
    (folder / "loop").symlink_to(folder.parent)
    prepared = importing.validate_file(folder.parent, "police-uk")
    assert prepared.rows_read == 2
    (tmp_path / "secret.csv").write_bytes(police_uk("2022-02"))
    (folder / "2022-02-essex-street.csv").symlink_to(tmp_path / "secret.csv")
    with pytest.raises(ImportFileError, match="outside the folder"):
        importing.validate_file(folder.parent, "police-uk")


# ---------------------------------------------------------------------------------------------- no tracebacks


def test_damaged_and_encrypted_zips_are_refused_by_name(tmp_path: Path) -> None:
    archive = zip_of({"2022-01/2022-01-essex-street.csv": police_uk("2022-01") * 50})
    assert "damaged or unsupported zip" in refusal(tmp_path, "police-uk", archive[: len(archive) // 2], "x.zip")
    flipped = bytearray(archive)
    flipped[60] ^= 0xFF  # inside the compressed data: the checksum or the inflater catches it
    assert "damaged or unsupported zip" in refusal(tmp_path, "police-uk", bytes(flipped), "y.zip")
    encrypted = bytearray(archive)
    encrypted[6] |= 1  # the "encrypted" flag, in the local header and in the central directory
    encrypted[encrypted.find(b"PK\x01\x02") + 8] |= 1
    assert "is encrypted" in refusal(tmp_path, "police-uk", bytes(encrypted), "z.zip")
    assert "no police.uk street files" in refusal(tmp_path, "police-uk", zip_of({"a.txt": b"x"}), "w.zip")


@pytest.mark.parametrize("source", ["population", "counts", "ambulance", "deprivation", "police", "nominals"])
def test_a_folder_or_a_missing_path_given_to_a_single_file_reader_is_refused(tmp_path: Path, source: str) -> None:
    (tmp_path / "folder.csv").mkdir()
    with pytest.raises(ImportFileError, match="is a folder"):
        importing.validate_file(tmp_path / "folder.csv", source)
    with pytest.raises(ImportFileError, match="does not exist"):
        importing.validate_file(tmp_path / "nowhere.csv", source)


def test_fractional_ages_and_populations_are_row_problems(tmp_path: Path) -> None:
    message = refusal(tmp_path, "ambulance", AMBULANCE.replace(",17,", ",17.5,"))
    assert "line 2, column 'patient_age': '17.5': not a whole number" in message
    message = refusal(tmp_path, "population", POPULATION.replace("1400", "1400.5"))
    assert "line 3, column 'population_10_24': '1400.5': not a whole number" in message
    ages = "ward_code,mid_year,age,population\nE05002229,2019,17,100\nE05002229,2019,17.5,3\n"
    assert "line 3, column 'age': '17.5': not a whole number" in refusal(tmp_path, "population", ages)


def test_cr_only_line_endings_are_read_and_lines_counted(tmp_path: Path) -> None:
    path = tmp_path / "old-mac.csv"
    path.write_bytes(POPULATION.replace("\n", "\r").encode())
    prepared = importing.validate_file(path, "population")
    assert prepared.table["population_10_24"].tolist() == [1500, 1400]
    bad = POPULATION.replace("1400", "-3").replace("\n", "\r")
    assert "line 3, column 'population_10_24'" in refusal(tmp_path, "population", bad)


def test_hostile_variants_of_every_reader_fail_only_by_name(tmp_path: Path) -> None:
    """Truncations, stray quotes, control bytes, doubled separators and odd line endings: each either
    reads or is an ImportFileError; nothing else escapes (fixed seed: the same variants every run)."""
    valid = {"police-uk": police_uk("2022-01", "2022-02"), "police": police(), "ambulance": AMBULANCE.encode(),
             "population": POPULATION.encode(), "deprivation": DEPRIVATION.encode(), "counts": COUNTS.encode(),
             "nominals": b"nominal_id,gang,home_postcode,date_added\nN1,Group A,RM17 6SL,2019-04-01\n"}
    inserts = [b'"', b",", b"\n", b"\r", b"\r\n", b"\x00", b"\xff", b"\xef\xbb\xbf", b"=1+1", b"-", b"\t",
               b"#", b"99999999999", b"1e400", b"nan", b" ", b'""', b"\n\n"]
    rng = random.Random(12)
    for source, content in valid.items():
        for variant in range(40):
            at = rng.randrange(len(content) + 1)
            if variant % 4 == 0:
                mutated = content[:at]
            else:
                mutated = content[:at] + rng.choice(inserts) + content[at + (variant % 3 == 0):]
            path = tmp_path / f"{source}-{variant}.csv"
            path.write_bytes(mutated)
            try:
                importing.refuse_unless_usable(importing.validate_file(path, source), accept_rejects=True)
            except ImportFileError:
                pass
            except Exception as error:  # noqa: BLE001 - the point of the test: name what escaped
                pytest.fail(f"{source} variant {variant} ({mutated!r}) raised {type(error).__name__}: {error}")


# ---------------------------------------------------------------------------------------------- values too large


def test_numbers_too_large_to_store_are_row_problems(tmp_path: Path) -> None:
    assert "line 3, column 'count': '3000000000': above 2,147,483,647" in refusal(
        tmp_path, "counts", COUNTS.replace(",1\n", ",3000000000\n"))
    assert "line 2, column 'population_10_24': '3000000000': above 2,147,483,647" in refusal(
        tmp_path, "population", POPULATION.replace("1500", "3000000000"))
    ages = ("ward_code,mid_year,age_17,age_18\nE05002229,2019,2000000000,2000000000\n")
    assert "adds up to 4,000,000,000, above 2,147,483,647" in refusal(tmp_path, "population", ages)


@pytest.mark.parametrize("score, words", [("inf", "not a finite number"), ("-inf", "not a finite number"),
                                          ("nan", "not a number"), ("-2.5", "below 0")])
def test_impossible_deprivation_scores_are_row_problems(tmp_path: Path, score: str, words: str) -> None:
    message = refusal(tmp_path, "deprivation", DEPRIVATION.replace("12.5", score))
    assert f"line 2, column 'imd_score': '{score}': {words}" in message


# ---------------------------------------------------------------------------------------------- the right line


@pytest.mark.parametrize("content, line", [
    ("ward_code,mid_year,population_10_24\n\nE05002229,2019,1500\n\n\nE05002230,2019,-4\n", 6),
    ("# SYNTHETIC\n# made by hand\nward_code,mid_year,population_10_24\nE05002229,2019,1500\nE05002230,2019,-4\n", 5),
    ('ward_code,mid_year,population_10_24,note\nE05002229,2019,1500,"two\nlines"\nE05002230,2019,-4,x\n', 4),
    ("ward_code,mid_year,population_10_24\r\n\r\nE05002229,2019,1500\r\nE05002230,2019,-4\r\n", 4),
], ids=["blank-lines", "comments", "quoted-newline", "crlf-blank-line"])
def test_refusals_name_the_physical_line(tmp_path: Path, content: str, line: int) -> None:
    assert f"x.csv, line {line}, column 'population_10_24'" in refusal(tmp_path, "population", content)


def test_a_stored_row_keeps_its_physical_line(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(b"# SYNTHETIC\n" + police_uk("2022-01", "2022-02").replace(b"\n", b"\n\n", 2))
    assert importing.validate_file(path, "police-uk").table["source_line"].tolist() == [4, 6]


def test_a_wrong_latitude_is_reported_in_the_latitude_column(tmp_path: Path) -> None:
    content = police_uk("2022-01", "2022-02", "2022-03").replace(b"0.325000,51.478000", b"0.325000,151.4", 1)
    message = refusal(tmp_path, "police-uk", content.replace(b"0.325000,51.478000", b"0.326000,51.478000", 1))
    assert "line 2, column 'Latitude': '151.4': latitude out of range" in message


def test_the_police_uk_month_hint_says_yyyy_mm(tmp_path: Path) -> None:
    message = refusal(tmp_path, "police-uk", police_uk("January 2022"))
    assert "write dates as YYYY-MM" in message and "YYYY-MM-DD" not in message


@pytest.mark.parametrize("drop", ["Longitude", "Latitude"])
def test_a_police_uk_file_with_one_coordinate_column_is_refused(tmp_path: Path, drop: str) -> None:
    content = police_uk("2022-01").decode().replace(f"{drop},", "").replace("0.325000,51.478000", "0.325000")
    kept = "Latitude" if drop == "Longitude" else "Longitude"
    message = refusal(tmp_path, "police-uk", content)
    assert f"line 1, column '{kept}'" in message and f"no {drop} column" in message


# ---------------------------------------------------------------------------------------------- cannot be right


@pytest.mark.parametrize("row, words", [
    ("E05099999,2019/20,1", "column 'area_code': 'E05099999': not an area of this region"),
    ("E05002230,1990/91,1", "column 'period': '1990/91': before 2000/01"),
    ("E05002230,2090/91,1", "column 'period': '2090/91': after the current financial year"),
])
def test_count_tables_refuse_unknown_areas_and_far_periods(tmp_path: Path, row: str, words: str) -> None:
    assert f"line 3, {words}" in refusal(tmp_path, "counts", COUNTS.replace("E05002230,2019/20,1", row))


def test_the_cli_reads_count_tables_with_the_import_reader(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    counts = tmp_path / "counts.csv"
    counts.write_text("area_code,period,count\nE05002229,2018/19,1\n\nE05002229,2019/20,3000000000\n")
    assert cli.main(["forecast", "--counts", str(counts), "--out", str(tmp_path / "o.csv")]) == 2
    cli_message = capsys.readouterr().err.strip().removeprefix("hotspots: ")
    import_message = refusal(tmp_path, "counts", counts.read_bytes(), "counts.csv")
    assert cli_message.split(" (")[0] == import_message.split(" (")[0]
    assert "counts.csv, line 4, column 'count': '3000000000': above" in cli_message
    counts.write_text("area_code,period,count\nW1,2018/19,1\n")  # no boundaries given: any area code
    assert readers.count_table(counts)["area_code"].tolist() == ["W1"]


def test_the_cli_check_and_the_import_give_the_same_verdict(tmp_path: Path) -> None:
    counts = tmp_path / "counts.csv"
    counts.write_text(COUNTS.replace(",1\n", ",3000000000\n"))
    store_dir = tmp_path / "store"
    for extra in (["--check"], []):
        assert cli.main(["import", "--source", "counts", str(counts), "--store", str(store_dir), *extra]) == 2
    assert not store_dir.exists() or not any(store_dir.rglob("*.parquet"))


def test_ambulance_categories_no_layer_counts_are_noted(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text(AMBULANCE.replace("stab/knife/gunshot", "stabbing"))
    notes = importing.validate_file(path, "ambulance").notes
    assert any("1 rows have a category no map layer counts ('stabbing' (1 rows))" in note for note in notes), notes
    path.write_text(AMBULANCE)
    assert not any("no map layer counts" in note for note in importing.validate_file(path, "ambulance").notes)


@pytest.mark.parametrize("cell", ["+SUM(A1:A2)", "-2+3", "@SUM(A1)", " =1+1", "=HYPERLINK(\"x\")"])
def test_cells_a_spreadsheet_would_run_are_refused_as_formulas(tmp_path: Path, cell: str) -> None:
    message = refusal(tmp_path, "police", police().replace(b"CR1,", f'"{cell}",'.encode(), 1))
    assert "line 3, column 'crime_reference'" in message and "formula" in message


def test_negative_numbers_and_dates_are_values_not_formulas(tmp_path: Path) -> None:
    assert "'-1': below 0: a count cannot be negative" in refusal(tmp_path, "counts", COUNTS.replace(",3\n", ",-1\n"))
    assert "'-0.5': not a whole number" in refusal(tmp_path, "counts", COUNTS.replace(",3\n", ",-0.5\n"))
    assert "'-2.5': below 0" in refusal(tmp_path, "deprivation", DEPRIVATION.replace("12.5", "-2.5"))
    path = tmp_path / "x.csv"
    path.write_bytes(police())  # dates 2021-01-10 ... and age bands: minus signs inside values
    assert importing.validate_file(path, "police").rows_accepted == 3


def test_a_nul_byte_anywhere_is_refused_with_its_line(tmp_path: Path) -> None:
    rows = "".join(POLICE_UK_ROW.format(id=f"{i:064x}", month="2022-01") for i in range(20_000))
    content = (POLICE_UK_HEADER + rows).encode()
    at = content.rfind(b"On or near")
    message = refusal(tmp_path, "police-uk", content[:at] + b"\x00" + content[at:])
    assert "line 20001" in message and "NUL byte" in message
