"""Broken files: each is refused with a message naming the file (and the line and column where
there is one), and the store is byte-for-byte as it was."""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from hotspots import importing
from hotspots._errors import ImportFileError, StoreError

POLICE_UK_HEADER = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,"
                    "Crime type,Last outcome category,Context\n")
POLICE_UK_ROW = ("{id},{month},Essex Police,Essex Police,0.325000,51.478000,On or near Orsett Road,E01015921,"
                 "Thurrock 015A,Violence and sexual offences,Under investigation,\n")
POLICE_HEADER = "crime_reference,offence_date,offence_group,victim_age,domestic,easting,northing\n"
POLICE_ROW = "CR{n},2021-0{m}-1{d},violence with injury,17,N,561500,178300\n"


def police_uk(*months: str) -> bytes:
    return (POLICE_UK_HEADER + "".join(POLICE_UK_ROW.format(id=f"{i:064x}", month=m) for i, m in enumerate(months))).encode()


def police(rows: int = 3, **replace: str) -> bytes:
    text = POLICE_HEADER + "".join(POLICE_ROW.format(n=i, m=1 + i % 9, d=i % 9) for i in range(rows))
    for old, new in replace.items():
        text = text.replace(old, new)
    return text.encode()


def zip_bytes(members: dict[str, str]) -> bytes:
    """A zip archive (an .xlsx workbook is one too) holding ``members`` (name: text)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def big_police_uk(path: Path) -> int:
    """About 200 MB of valid police.uk rows with one impossible month near the end."""
    row = POLICE_UK_ROW.format(id="", month="2022-05").encode()  # blank IDs, as on anti-social behaviour rows
    repeats = 200_000_000 // len(row)
    with path.open("wb") as handle:
        handle.write(POLICE_UK_HEADER.encode())
        handle.write(row * (repeats - 10))
        handle.write(POLICE_UK_ROW.format(id="", month="2022-14").encode())
        handle.write(row * 9)
    return repeats - 10 + 2  # the bad row's line


# (id, source, file name, bytes or a writer, words the message must contain)
CASES: list[tuple[str, str, str, bytes | Callable[[Path], int], list[str]]] = [
    ("semicolons", "police", "x.csv", police().replace(b",", b";"), ["line 1", "semicolons"]),
    ("tabs", "police", "x.csv", police().replace(b",", b"\t"), ["line 1", "tabs"]),
    ("latin-1", "police", "x.csv", police().replace(b"N,561500", "Ñ,561500".encode("latin-1"), 1),
     ["line 2", "not UTF-8"]),
    ("utf-16", "police", "x.csv", police().decode().encode("utf-16"), ["line 1", "UTF-16"]),
    ("empty", "police", "x.csv", b"", ["empty"]),
    ("blank-lines", "police", "x.csv", b"\n\n  \n", ["empty"]),
    ("header-only", "police", "x.csv", POLICE_HEADER.encode(), ["line 2", "no data rows"]),
    ("missing-column", "police-uk", "x.csv", police_uk("2022-01").replace(b"Month", b"Period"),
     ["line 1", "column 'month'", "missing required column"]),
    ("title-above-header", "police", "x.csv", b"Crime extract run 01/02/2024\n\n" + police(),
     ["line 1", "below line 1"]),
    ("repeated-header", "police", "x.csv", police().replace(b"victim_age,domestic", b"victim_age,victim_age"),
     ["line 1", "column 'victim_age'", "repeats a column"]),
    ("ragged-row", "police", "x.csv", police().replace(b"N,561500,178300\nCR2", b"N,561500,178300,extra\nCR2"),
     ["line 3", "different number of cells"]),
    ("mixed-date-formats", "police", "x.csv", police(**{"2021-03-12": "12/03/2021"}),
     ["line 4", "column 'offence_date'", "different date format"]),
    ("impossible-date", "police", "x.csv", police(**{"2021-02-11": "2021-02-30"}),
     ["line 3", "column 'offence_date'", "not a real date"]),
    ("future-date", "police", "x.csv", police(**{"2021-02-11": "2031-02-11"}),
     ["line 3", "column 'offence_date'", "future"]),
    ("impossible-month", "police-uk", "x.csv", police_uk("2022-01", "2022-13"),
     ["line 3", "column 'Month'", "not a real date"]),
    ("negative-count", "counts", "x.csv", b"area_code,period,count\nE05002229,2019/20,3\nE05002229,2020/21,-1\n",
     ["line 3", "column 'count'", "below 0"]),
    ("non-numeric-count", "counts", "x.csv", b"area_code,period,count\nE05002229,2019/20,three\n",
     ["line 2", "column 'count'", "not a whole number"]),
    ("negative-population", "population", "x.csv",
     b"ward_code,mid_year,population_10_24\nE05002229,2019,1500\nE05002229,2020,-4\n",
     ["line 3", "column 'population_10_24'", "negative"]),
    ("non-numeric-population", "population", "x.csv",
     b"ward_code,mid_year,population_10_24\nE05002229,2019,about 1500\n", ["line 2", "not a whole number"]),
    ("unknown-ward-code", "population", "x.csv", b"ward_code,mid_year,population_10_24\nE05099999,2019,1500\n",
     ["line 2", "column 'ward_code'", "not a Greater Essex ward code"]),
    ("swapped-coordinates", "police-uk", "x.csv",
     police_uk("2022-01").replace(b"0.325000,51.478000", b"51.478000,0.325000").replace(b"E01015921", b""),
     ["line 2", "column 'Longitude'", "swapped"]),
    ("in-the-sea", "police", "x.csv", police().replace(b"561500,178300", b"640000,240000"),
     ["line 2", "none of the 3 rows could be placed", "point outside Greater Essex"]),
    ("bng-as-wgs84", "police-uk", "x.csv", police_uk("2022-01").replace(b"0.325000,51.478000", b"561500,178300"),
     ["line 2", "column 'Longitude'", "British National Grid"]),
    ("wgs84-as-bng", "police", "x.csv", police().replace(b"561500,178300", b"0.325,51.478"),
     ["line 2", "column 'easting'", "WGS84"]),
    ("unknown-ward-name", "ambulance", "x.csv",
     b"incident_id,incident_date,patient_age,injury_category,ward\nA1,2021-05-01,17,assault,Grays Riversde\n",
     ["line 2", "column 'ward'", "not found", "grays riverside"]),
    ("duplicate-rows", "police", "x.csv", police() + POLICE_ROW.format(n=1, m=2, d=1).encode(),
     ["line 5", "column 'crime_reference'", "repeats an earlier row", "first on line 3"]),
    ("zip-with-nothing-usable", "police-uk", "x.zip",
     zip_bytes({"2023-01/2023-01-essex-outcomes.csv": "Crime ID,Month\n", "README.txt": "nothing here"}),
     ["no police.uk street files"]),
    ("excel-saved-as-csv", "police", "x.csv",
     zip_bytes({"[Content_Types].xml": "<Types/>", "xl/workbook.xml": "<workbook/>"}), ["line 1", "Excel"]),
    ("pdf", "police", "x.csv", b"%PDF-1.7\n%binary", ["line 1", "PDF"]),
    ("formula-in-cell", "police", "x.csv", police().replace(b"CR1,", b'=HYPERLINK("http://x"),', 1),
     ["line 3", "column 'crime_reference'", "formula"]),
    ("domestic-flag", "police", "x.csv", police().replace(b",N,", b",maybe,", 1),
     ["line 2", "column 'domestic'", "not Y or N"]),
    ("age-in-words", "ambulance", "x.csv",
     b"incident_id,incident_date,patient_age,injury_category,lsoa_code\nA1,2021-05-01,twelve,assault,E01015921\n",
     ["line 2", "column 'patient_age'", "not a whole number"]),
    ("deprivation-unknown-codes", "deprivation", "x.csv", b"lsoa_code,imd_score\nE01999999,12.5\n",
     ["line 2", "column 'lsoa_code'", "not a Greater Essex"]),
    ("postcodes-not-found", "nominals", "x.csv",
     b"nominal_id,gang,home_postcode,date_added\nN1,Group A,ZZ99 9ZZ,2019-04-01\n",
     ["line 2", "none of the 1 rows could be placed", "postcode not in the ONS Postcode Directory"]),
    ("removed-before-added", "nominals", "x.csv",
     b"nominal_id,gang,home_postcode,date_added,date_removed\nN1,Group A,RM17 6SL,2019-04-01,2018-01-01\n",
     ["line 2", "column 'date_removed'", "removed before it was added"]),
    ("file-of-200-mb", "police-uk", "big.csv", big_police_uk, ["column 'Month'", "not a real date"]),
]


def snapshot(store_dir: Path) -> dict[str, str]:
    return {str(p.relative_to(store_dir)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(store_dir.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def store_with_one_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    store_dir = tmp_path_factory.mktemp("bad-input-store")
    good = tmp_path_factory.mktemp("good") / "population.csv"
    good.write_text("ward_code,mid_year,population_10_24\nE05002229,2019,1500\n")
    importing.import_file(store_dir, good, "population")
    return store_dir


def test_the_suite_has_at_least_25_distinct_broken_files() -> None:
    assert len({case[0] for case in CASES}) >= 25


@pytest.mark.parametrize(("source", "name", "content", "expected"), [case[1:] for case in CASES],
                         ids=[case[0] for case in CASES])
def test_broken_file_is_refused_by_name_line_and_column_and_store_is_unchanged(
        store_with_one_dataset: Path, tmp_path: Path, source: str, name: str, content, expected: list[str]) -> None:
    path = tmp_path / name
    bad_line = None
    if callable(content):
        bad_line = content(path)
    else:
        path.write_bytes(content)
    before = snapshot(store_with_one_dataset)
    with pytest.raises(ImportFileError) as refused:
        importing.import_file(store_with_one_dataset, path, source)
    message = str(refused.value)
    assert message.startswith(name), message
    for words in expected + ([f"line {bad_line}"] if bad_line else []):
        assert words.lower() in message.lower(), f"{words!r} not in {message!r}"
    assert snapshot(store_with_one_dataset) == before


def test_the_same_file_twice_is_refused_and_changes_nothing(store_with_one_dataset: Path, tmp_path: Path) -> None:
    path = tmp_path / "population.csv"
    path.write_text("ward_code,mid_year,population_10_24\nE05002229,2019,1500\n")  # same bytes as the fixture's
    before = snapshot(store_with_one_dataset)
    with pytest.raises(StoreError, match="already imported as dataset 1"):
        importing.import_file(store_with_one_dataset, path, "population")
    assert snapshot(store_with_one_dataset) == before
