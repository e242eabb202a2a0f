"""One reader per kind of source file; each turns a file into rows for the store plus a report.

A reader refuses a file it cannot use at all (ImportFileError naming file, line and column) and
otherwise returns a ``Prepared``: the rows to store, the rows it could not accept with why, and
notes. Nothing is written here. Column names are matched after normalising (see ``tabular``), and
each reader accepts the common variants listed in ``docs/data-model.md``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from hotspots import coverage, geography
from hotspots._errors import ImportFileError, PeriodError
from hotspots.inputs import folder_files, open_regular_file, zip_members
from hotspots.locate import LOCATION_VARIANTS, find_columns, place_rows, prepare_lookups
from hotspots.periods import financial_year_from_label, financial_year_label, financial_year_of
from hotspots.tabular import RawTable, only_present_categories, read_csv_bytes, read_csv_file
from hotspots.validation import PROBLEM_COLUMNS, RowProblems, repeats_earlier

EVENT_COLUMNS = ["source", "force", "category", "date", "time_of_day", "financial_year", "easting", "northing",
                 "ward_code", "lsoa_code", "age_band", "domestic", "reference", "placed_by", "unplaced_reason",
                 "source_file", "source_line"]
NOMINAL_COLUMNS = ["nominal_id", "gang", "home_postcode", "date_added", "date_removed", "easting", "northing",
                   "ward_code", "lsoa_code", "placed_by", "unplaced_reason", "source_file", "source_line"]
POPULATION_COLUMNS = ["ward_code", "financial_year", "population_10_24", "source_line"]
DEPRIVATION_COLUMNS = ["area_code", "area_level", "imd_score", "source_line"]
COUNT_COLUMNS = ["layer", "area_code", "financial_year", "count", "source_line"]
PEOPLE_COLUMNS = ["person_id", "group", "home_postcode", "date", "financial_year", "easting", "northing", "ward_code",
                  "lsoa_code", "placed_by", "unplaced_reason", "source_file", "source_line"]
TABLE_COLUMNS = {"events": EVENT_COLUMNS, "nominals": NOMINAL_COLUMNS, "population": POPULATION_COLUMNS,
                 "deprivation": DEPRIVATION_COLUMNS, "counts": COUNT_COLUMNS, "people": PEOPLE_COLUMNS}

DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%d/%m/%Y %H:%M",
                "%d/%m/%Y %H:%M:%S", "%d-%m-%Y", "%Y/%m/%d", "%d.%m.%Y")
FIRST_YEAR = 2000
#: Counts and populations are stored as int32 (``store.COLUMN_TYPES``): a larger whole number is a row problem.
LARGEST_STORED_INTEGER = int(np.iinfo(np.int32).max)
#: A time of day as extracts write it: ``21:15`` or ``21:15:00`` (24-hour clock).
TIME_OF_DAY = re.compile(r"^([01]?\d|2[0-3]):[0-5]\d(:[0-5]\d)?$")
_ZIP_SIGNATURE = b"PK\x03\x04"
POLICE_UK_READS = {"crime_id", "month", "reported_by", "crime_type", *(v for names in LOCATION_VARIANTS.values() for v in names)}
YOUTH_AGES = (10, 24)
AGE_BAND_EDGES = [0, 10, 18, 25, 35, 50, 65, 200]
AGE_BANDS = ["0-9", "10-17", "18-24", "25-34", "35-49", "50-64", "65+"]


@dataclass
class Prepared:
    """A validated file: ``table`` rows for the store (``kind`` names the table) and a report."""

    kind: str
    reader: str
    file_name: str
    table: pd.DataFrame
    problems: pd.DataFrame
    rows_read: int
    synthetic: bool
    notes: list[str] = field(default_factory=list)

    @property
    def rows_rejected(self) -> int:
        """Rows with at least one problem: never stored (kept on record if the user imports the rest)."""
        return len(self.problems[["file", "line"]].drop_duplicates())

    @property
    def rows_accepted(self) -> int:
        """Rows read without a problem (population by single year of age is then summed per ward)."""
        return self.rows_read - self.rows_rejected

    @property
    def unplaced(self) -> pd.DataFrame:
        """Rows stored but not placed in an area, with why (events and nominals only)."""
        if "unplaced_reason" not in self.table:
            return self.table.iloc[0:0]
        return self.table[self.table["unplaced_reason"].notna()]

    @property
    def unplaced_by_reason(self) -> dict[str, int]:
        """How many rows are stored but not placed, by reason, most first (counted without copying them out)."""
        if "unplaced_reason" not in self.table:
            return {}
        return {reason: int(rows) for reason, rows in self.table["unplaced_reason"].value_counts().items() if rows}

    @cached_property
    def references(self) -> pa.Table:
        """``source, reference``: the rows' distinct references (``coverage.references``), worked out once."""
        return coverage.references(self.kind, self.table)

    @cached_property
    def covers(self) -> pd.DataFrame:
        """``source, force, month, rows``: what the rows cover (``coverage.of_rows``), worked out once."""
        return coverage.of_rows(self.kind, self.table)

    def summary(self) -> dict:
        """Counts for the validation report and the inventory."""
        unplaced = self.unplaced_by_reason
        return {"rows_read": self.rows_read, "rows_accepted": self.rows_accepted, "rows_rejected": self.rows_rejected,
                "rows_unplaced": int(sum(unplaced.values())), "unplaced_by_reason": unplaced, "notes": self.notes}


# ---------------------------------------------------------------------------------------------- readers


def read_police_uk(path: Path, name: str | None = None) -> Prepared:
    """police.uk street-level crime: one CSV, a folder of them, or the monthly zip archive."""
    files = _police_uk_files(Path(path), name or Path(path).name)
    parts = _one_file_per_month([_police_uk_rows(raw) for raw in files])
    return _combine("events", "police-uk", name or Path(path).name, parts)


def read_police_recorded_crime(path: Path, name: str | None = None) -> Prepared:
    """A force's recorded crime extract: reference, date, offence group, victim age, domestic flag, location."""
    return _read_events(path, name, "police", {
        "reference": ("crime_reference", "crime_ref", "crime_number", "crime_no", "record_id", "urn", "occurrence_id",
                      "reference"),
        "date": ("offence_date", "date_committed", "committed_date", "occurrence_date", "incident_date", "date",
                 "committed_from", "start_date"),
        "category": ("offence_group", "offence_category", "offence_subgroup", "offence", "crime_type", "category",
                     "offence_type", "ho_class"),
    }, optional={"age_band": ("victim_age_band", "age_band", "age_group"), "age": ("victim_age", "age"),
                 "domestic": ("domestic", "domestic_flag", "dv_flag", "is_domestic", "domestic_abuse"),
                 "time": ("offence_time", "time_committed", "committed_time", "occurrence_time", "time")})


def read_ambulance_callouts(path: Path, name: str | None = None) -> Prepared:
    """Ambulance call-outs for violent injury: incident id, date, patient age, injury category, location."""
    return _read_events(path, name, "ambulance", {
        "reference": ("incident_id", "incident_number", "cad_number", "cad_ref", "call_id", "reference"),
        "date": ("incident_date", "call_date", "date", "call_datetime", "incident_datetime"),
        "category": ("injury_category", "category", "injury_type", "chief_complaint", "nature_of_call"),
    }, optional={"age": ("patient_age", "age", "age_years"), "age_band": ("age_band", "patient_age_band")})


def read_gang_nominals(path: Path, name: str | None = None) -> Prepared:
    """The gang nominal register: nominal id, gang, home postcode (or other location), dates on and off."""
    raw = _read(path, name)
    columns = _require(raw, {
        "nominal_id": ("nominal_id", "nominal", "person_id", "id", "nominal_ref"),
        "gang": ("gang", "gang_name", "group", "group_name", "ocg"),
        "date_added": ("date_added", "added", "date_start", "start_date", "date_on"),
    }, optional={"date_removed": ("date_removed", "removed", "date_end", "end_date", "date_off")})
    problems = RowProblems(raw)
    added = parse_dates(raw, columns["date_added"], problems)
    removed = (parse_dates(raw, columns["date_removed"], problems, required=False) if "date_removed" in columns
               else pd.Series(pd.NaT, index=pd.RangeIndex(raw.rows)))
    problems.add((removed < added).to_numpy(), columns.get("date_removed", ""), "removed before it was added")
    _refuse_repeated(raw, [columns["nominal_id"], columns["gang"], columns["date_added"]], problems)
    placed = place_rows(raw, problems)
    postcode = find_columns(raw, {"postcode": ("home_postcode", "postcode", "post_code")})
    table = pd.DataFrame({
        "nominal_id": raw.column(columns["nominal_id"]), "gang": raw.column(columns["gang"]),
        "home_postcode": raw.column(postcode["postcode"]) if postcode else None,
        "date_added": added, "date_removed": removed,
    })
    table = pd.concat([table, placed.table], axis=1)
    return _finish("nominals", "nominals", raw, table, problems, placed.notes)


def read_people_by_home(path: Path, name: str | None = None) -> Prepared:
    """A list of people known to services (restricted, like the register): pseudonymous id, group
    ("offender known to youth justice", "victim of violence", ...), home postcode or sector, date.
    Placed offline by the postcode; a list none of whose postcodes can be placed is refused."""
    raw = _read(path, name)
    columns = _require(raw, {
        "person_id": ("person_id", "pseudonymous_id", "pseudo_id", "id", "person_ref", "nominal_id"),
        "group": ("group", "cohort", "group_name", "category", "known_as", "type"),
        "postcode": ("home_postcode", "postcode", "postcode_sector", "home_postcode_sector", "post_code"),
        "date": ("date", "date_known", "date_recorded", "date_added", "event_date", "referral_date"),
    })
    problems = RowProblems(raw)
    dates = parse_dates(raw, columns["date"], problems)
    problems.add(raw.column(columns["person_id"]).eq("").to_numpy(), columns["person_id"], "person id missing")
    problems.add(raw.column(columns["group"]).eq("").to_numpy(), columns["group"], "group missing")
    _refuse_repeated(raw, [columns["person_id"], columns["group"], columns["date"]], problems)
    placed = place_rows(raw, problems)
    table = pd.DataFrame({"person_id": raw.column(columns["person_id"]), "group": raw.column(columns["group"]),
                          "home_postcode": raw.column(columns["postcode"]).str.upper(), "date": dates,
                          "financial_year": financial_year_of(dates.fillna(pd.Timestamp("2000-04-01")))})
    table = pd.concat([table, placed.table], axis=1)
    _refuse_unplaceable_people(raw, table, problems)
    return _finish("people", "people", raw, table, problems, placed.notes)


def _refuse_unplaceable_people(raw: RawTable, table: pd.DataFrame, problems: RowProblems) -> None:
    """A list of people none of whose readable rows has a home postcode in the region is no list of
    home areas: refused, naming the first row and why it could not be placed."""
    readable = np.ones(raw.rows, dtype=bool)
    readable[problems.rows()] = False
    if not readable.any() or table.loc[readable, "unplaced_reason"].isna().any():
        return
    first = int(np.flatnonzero(readable)[0])
    raise ImportFileError(raw.name, f"none of the {int(readable.sum()):,} people could be placed by their home "
                                    f"postcode (first: {table['home_postcode'].iloc[first]!r}, "
                                    f"{table['unplaced_reason'].iloc[first]}): give full postcodes (RM17 6SL) or "
                                    f"sectors (RM17 6) in {geography.region_name()}", line=raw.line(first))


def read_population(path: Path, name: str | None = None) -> Prepared:
    """Ward population aged 10-24 by year: a total column, single-year age columns, or one row per age."""
    raw = _read(path, name)
    columns = _require(raw, {
        "area": ("ward_code", "area_code", "wd13cd", "wd23cd", "code"),
        "year": ("financial_year", "mid_year", "year", "period"),
    }, optional={"population": ("population_10_24", "pop_10_24", "population_aged_10_24", "population", "count"),
                 "age": ("age", "single_year_of_age")})
    problems = RowProblems(raw)
    years = _years(raw, columns["year"], problems)
    age_columns = {c: _age_of_column(c) for c in raw.columns if _age_of_column(c) is not None}
    if "age" in columns and "population" in columns:
        _refuse_repeated(raw, [columns["area"], columns["year"], columns["age"]], problems)
        ages = _integers(raw, columns["age"], problems, minimum=0, maximum=120)
        people = _integers(raw, columns["population"], problems, minimum=0)
        people = people.where(ages.between(*YOUTH_AGES), 0)
    elif "population" in columns or age_columns:
        _refuse_repeated(raw, [columns["area"], columns["year"]], problems)
        if "population" in columns:
            people = _integers(raw, columns["population"], problems, minimum=0)
        else:
            people = sum(_integers(raw, c, problems, minimum=0) for c, age in age_columns.items()
                         if YOUTH_AGES[0] <= age <= YOUTH_AGES[1])
    else:
        raise ImportFileError(raw.name, "no population column: give population_10_24, age columns (age_10 ... "
                                        "age_24) or one row per age with age and population columns",
                              line=raw.first_line - 1)
    table = pd.DataFrame({"ward_code": _ward_codes(raw, columns["area"], problems), "financial_year": years,
                          "population_10_24": people, "source_line": raw.lines(np.arange(raw.rows))})
    table = (table.drop(index=table.index[problems.rows()])
             .groupby(["ward_code", "financial_year"], as_index=False)
             .agg(population_10_24=("population_10_24", "sum"), source_line=("source_line", "min")))
    too_many = table["population_10_24"].gt(LARGEST_STORED_INTEGER)
    if too_many.any():  # each value fits, their sum for one ward and year does not
        first = table[too_many].iloc[0]
        raise ImportFileError(raw.name, f"the population of {first['ward_code']} in {first['financial_year']} adds up "
                                        f"to {first['population_10_24']:,}, above {LARGEST_STORED_INTEGER:,}, the "
                                        "largest number stored: check the values", line=int(first["source_line"]))
    return _prepared("population", "population", raw, table, problems)


def read_deprivation(path: Path, name: str | None = None) -> Prepared:
    """Deprivation (an IMD score) by LSOA or ward; LSOA scores are averaged into wards when maps read them."""
    raw = _read(path, name)
    columns = _require(raw, {
        "area": ("lsoa_code", "lsoa11cd", "ward_code", "area_code", "code", "lsoa_code_2011"),
        "score": ("imd_score", "index_of_multiple_deprivation_imd_score", "imd", "score", "deprivation_score"),
    })
    problems = RowProblems(raw)
    codes = raw.column(columns["area"]).str.upper()
    lookup = geography.lsoa_lookup()
    is_lsoa, is_ward = codes.isin(lookup["lsoa_code"]), codes.isin(lookup["ward_code"])
    problems.add(~(is_lsoa | is_ward).to_numpy(), columns["area"],
                 f"not a {geography.region_name()} LSOA (2011) or ward code")
    scores = _numbers(raw, columns["score"], problems, minimum=0)  # IMD scores run from 0 up
    _refuse_repeated(raw, [columns["area"]], problems)
    table = pd.DataFrame({"area_code": codes, "area_level": np.where(is_lsoa, "lsoa", "ward"), "imd_score": scores})
    return _finish("deprivation", "deprivation", raw, table, problems)


def read_count_table(path: Path, name: str | None = None, *, layer: str | None = None,
                     area_codes: Collection[str] | None = None) -> Prepared:
    """A plain ``area_code,period,count`` table for users who only have aggregates; ``layer`` names it.

    ``area_codes``: the codes of the region's areas; a code not among them is a row problem
    (None: any code). Counts are whole numbers from 0 to ``LARGEST_STORED_INTEGER``; periods are
    financial years (``2019/20``) from ``FIRST_YEAR`` to the current one. The one reader of count
    tables: the import uses it, and so do the command line's forecast and backtest (``count_table``)."""
    raw = _read(path, name)
    table, problems = _area_period_values(raw, ("count",), area_codes)
    table = table.rename(columns={"value": "count"}).assign(layer=layer or Path(raw.name).stem)
    return _finish("counts", "counts", raw, table, problems)


def count_table(path: Path, *, area_codes: Collection[str] | None = None) -> pd.DataFrame:
    """``read_count_table`` for the forecast and backtest: ``area_code, financial_year, count``,
    sorted; any row problem refuses the file (ImportFileError naming its line and column)."""
    prepared = read_count_table(path, area_codes=area_codes)
    _refuse_problems(prepared)
    return (prepared.table[["area_code", "financial_year", "count"]].astype({"financial_year": "int64", "count": "int64"})
            .sort_values(["area_code", "financial_year"], ignore_index=True))


def population_table(path: Path, *, area_codes: Collection[str] | None = None) -> pd.DataFrame:
    """``area_code,period,population`` (``ward_code``, ``population_10_24`` accepted) for the backtest's
    offset, read by the count-table rules: ``area_code, financial_year, population``."""
    raw = _read(path, None)
    table, problems = _area_period_values(raw, ("population", "population_10_24", "count"), area_codes)
    prepared = _finish("counts", "counts", raw, table.rename(columns={"value": "count"}).assign(layer=""), problems)
    _refuse_problems(prepared)
    return (prepared.table[["area_code", "financial_year", "count"]].astype({"financial_year": "int64", "count": "int64"})
            .rename(columns={"count": "population"}).sort_values(["area_code", "financial_year"], ignore_index=True))


def _area_period_values(raw: RawTable, value_names: tuple[str, ...],
                        area_codes: Collection[str] | None) -> tuple[pd.DataFrame, RowProblems]:
    """The shared core of count and population tables: one whole number per area and period."""
    columns = _require(raw, {"area_code": ("area_code", "ward_code", "lsoa_code", "code"),
                             "period": ("period", "financial_year", "year"), "value": value_names})
    problems = RowProblems(raw)
    codes = raw.column(columns["area_code"])
    problems.add(codes.eq("").to_numpy(), columns["area_code"], "area code missing")
    if area_codes is not None:
        known = codes.isin(pd.Index(area_codes))
        problems.add((~known & codes.ne("")).to_numpy(), columns["area_code"],
                     "not an area of this region: check the code, or load the boundaries it belongs to")
    years = _financial_years(raw, columns["period"], problems)
    values = _integers(raw, columns["value"], problems, minimum=0)
    table = pd.DataFrame({"area_code": codes, "financial_year": years, "value": values})
    repeated = table.duplicated(["area_code", "financial_year"]).to_numpy() & years.notna().to_numpy()
    if repeated.any():
        first = pd.Series(raw.lines(np.arange(raw.rows))).groupby(
            [table["area_code"], table["financial_year"].fillna(-1)]).transform("min")
        problems.add(repeated, columns["period"], "repeats an earlier row's area code and period: give each once",
                     values=raw.column(columns["period"]) + " (first on line " + first.astype(str) + ")")
    return table, problems


def _financial_years(raw: RawTable, column: str, problems: RowProblems) -> pd.Series:
    """Periods written like ``2019/20``; before ``FIRST_YEAR`` or after the current financial year are problems."""
    codes, text = raw.codes(column)

    def start_year(label: str) -> float:
        try:
            return financial_year_from_label(label)
        except PeriodError:
            return np.nan
    years = np.array([start_year(label) for label in text], dtype=float)  # one per distinct period
    problems.add_distinct(np.isnan(years), codes, column, "not a financial year: write it like 2019/20")
    current = int(financial_year_of(pd.Series([pd.Timestamp.today()])).iloc[0])
    problems.add_distinct(years < FIRST_YEAR, codes, column, f"before {financial_year_label(FIRST_YEAR)}: check the year")
    problems.add_distinct(years > current, codes, column,
                          f"after the current financial year ({financial_year_label(current)}): check the year")
    return pd.Series(years[codes]).astype("Int64")


def _refuse_problems(prepared: Prepared) -> None:
    if len(prepared.problems):
        first = prepared.problems.iloc[0]
        more = prepared.rows_rejected - 1
        raise ImportFileError(first["file"], f"{first['value']!r}: {first['problem']}"
                                             + (f" ({more:,} more rows have problems)" if more > 0 else ""),
                              line=int(first["line"]), column=first["column"])


READERS: dict[str, Callable[..., Prepared]] = {
    "police-uk": read_police_uk,
    "police": read_police_recorded_crime,
    "ambulance": read_ambulance_callouts,
    "nominals": read_gang_nominals,
    "population": read_population,
    "deprivation": read_deprivation,
    "counts": read_count_table,
    "people": read_people_by_home,
}


def parse_dates(raw: RawTable, column: str, problems: RowProblems, *, required: bool = True,
                formats: tuple[str, ...] = DATE_FORMATS) -> pd.Series:
    """Dates in the column's one format (detected from its first value); others are problems."""
    codes, text = raw.codes(column)  # far fewer distinct dates than rows: check and parse each once
    blank = text == ""
    if required:
        problems.add_distinct(blank, codes, column, "date missing")
    if blank.all():
        return pd.Series(pd.NaT, index=pd.RangeIndex(raw.rows), dtype="datetime64[us]")
    first_row = int(np.flatnonzero(~blank[codes])[0]) if blank.any() else 0
    first = text[codes[first_row]]
    fmt = next((f for f in formats if pd.notna(pd.to_datetime(first, format=f, errors="coerce"))), None)
    if fmt is None:
        written = " or ".join(_pattern(f) for f in formats[:2])
        raise ImportFileError(raw.name, f"cannot read the date {first!r}: write dates as {written}",
                              line=raw.line(first_row), column=raw.original(column))
    dates = pd.to_datetime(pd.Series(text), format=fmt, errors="coerce")
    failed = dates.isna().to_numpy() & (text != "")
    if failed.any():
        mixed = np.zeros(len(text), dtype=bool)
        mixed[failed] = [any(pd.notna(pd.to_datetime(value, format=f, errors="coerce")) for f in formats if f != fmt)
                         for value in text[failed]]
        example = pd.Timestamp("2019-04-30").strftime(fmt)
        problems.add_distinct(mixed, codes, column, f"written in a different date format from the rest of the column (which "
                                           f"is like {example}): use one format")
        problems.add_distinct(failed & ~mixed, codes, column, "not a real date")
    today = pd.Timestamp.today().normalize()
    problems.add_distinct((dates > today).to_numpy(), codes, column, "date in the future")
    problems.add_distinct((dates < pd.Timestamp(f"{FIRST_YEAR}-01-01")).to_numpy(), codes, column,
                 f"date before {FIRST_YEAR}: check the year")
    return pd.Series(dates.to_numpy().astype("datetime64[us]")[codes])


# ---------------------------------------------------------------------------------------------- helpers


def _pattern(date_format: str) -> str:
    """``"%Y-%m"`` -> ``"YYYY-MM"``: a date format as people write it."""
    for code, shown in (("%Y", "YYYY"), ("%m", "MM"), ("%d", "DD"), ("%H", "hh"), ("%M", "mm"), ("%S", "ss")):
        date_format = date_format.replace(code, shown)
    return date_format


def _read(path: Path, name: str | None) -> RawTable:
    path = Path(path)
    return read_csv_file(path, name or path.name)


def _require(raw: RawTable, required: dict[str, tuple[str, ...]],
             optional: dict[str, tuple[str, ...]] | None = None) -> dict[str, str]:
    found = find_columns(raw, required)
    missing = [key for key in required if key not in found]
    if missing:
        wanted = "; ".join(f"{key} (one of {', '.join(required[key][:4])})" for key in missing)
        headers = ", ".join(raw.headers.values())
        hint = ""
        if raw.frame.iloc[:5].apply(lambda col: col.map(lambda v: any(n in v.lower() for n in required[missing[0]]))).any().any():
            hint = " The header seems to be below line 1: delete the title lines above it."
        raise ImportFileError(raw.name, f"missing required column {wanted}; the header has: {headers}.{hint}",
                              line=raw.first_line - 1, column=missing[0])
    return {**found, **find_columns(raw, optional or {})}


def _police_uk_files(path: Path, name: str) -> list[RawTable]:
    """The street files of a police.uk download: one CSV, a folder of them (see ``inputs.folder_files``
    for what is followed), or the zip archive (members ``*-street.csv``, read with a size cap)."""
    if path.is_dir():
        members = folder_files(path, name)
        if not members:
            raise ImportFileError(name, "the folder holds no .csv files: point at the police.uk street files")
        tables = [read_csv_file(p, f"{name}/{p.relative_to(path).as_posix()}", POLICE_UK_READS) for p in members]
    elif _is_zip(path, name):
        street = zip_members(path, name, lambda member: member.endswith("-street.csv"),
                             none_wanted="the zip holds no police.uk street files (*-street.csv): download the "
                                         "archive with 'Include crime data' ticked")
        tables = [read_csv_bytes(data, f"{name}:{member}", POLICE_UK_READS) for member, data in street]
    else:
        tables = [read_csv_file(path, name, POLICE_UK_READS)]
    for raw in tables:
        if "crime_type" not in raw.columns or "month" not in raw.columns:
            _require(raw, {"month": ("month",), "crime_type": ("crime_type",)})
    return tables


def _is_zip(path: Path, name: str) -> bool:
    """A zip archive by its name or its first bytes (a damaged zip is then refused as one, not read as text)."""
    with open_regular_file(path, name) as handle:
        return path.suffix.lower() == ".zip" or handle.read(len(_ZIP_SIGNATURE)) == _ZIP_SIGNATURE


def _police_uk_rows(raw: RawTable) -> tuple[RawTable, pd.DataFrame, RowProblems, list[str]]:
    problems = RowProblems(raw)
    with ThreadPoolExecutor(max_workers=1) as pool:  # this thread readies the lookups while the columns are encoded
        encoding = pool.submit(raw.encode, ["month", "crime_type", "reported_by", "lsoa_code", "longitude", "latitude"])
        prepare_lookups()
        encoding.result()
    # The Crime ID check and the months run beside placement, which mostly holds one core; all mostly leave the GIL.
    with ThreadPoolExecutor(max_workers=1) as pool:
        repeated = pool.submit(_repeated_rows, raw, ["crime_id"], skip_blank=True) if "crime_id" in raw.columns else None
        months = pool.submit(parse_dates, raw, "month", problems, formats=("%Y-%m",))
        placed = place_rows(raw, problems)
        months = months.result()
        if repeated is not None:
            _report_repeated(raw, ["crime_id"], repeated.result(), problems)
    type_codes, types = raw.codes("crime_type")
    events = pd.DataFrame({
        "source": _constant("police-uk", raw.rows), "force": _forces(raw),
        "category": pd.Categorical.from_codes(type_codes, types),
        "date": months, "time_of_day": _missing_text(raw.rows), "age_band": _missing_text(raw.rows),
        "domestic": _unknown_flags(raw.rows),
        "reference": raw.column("crime_id") if "crime_id" in raw.columns else _missing_text(raw.rows),
    })
    problems.add_distinct(types == "", type_codes, "crime_type", "crime type missing")
    return raw, pd.concat([events, placed.table], axis=1), problems, placed.notes


def _one_file_per_month(parts: list[tuple[RawTable, pd.DataFrame, RowProblems, list[str]]]
                        ) -> list[tuple[RawTable, pd.DataFrame, RowProblems, list[str]]]:
    """The parts of a folder or zip, each force's month from one file only: a file holding the same
    rows as an earlier one (the same month saved twice, or under two names) is left out with a
    note; two different files of one force's month (a month police.uk re-published, downloaded
    twice) are refused, since nothing in them says which is newer."""
    if len(parts) < 2:
        return parts
    kept: list[tuple[RawTable, pd.DataFrame, RowProblems, list[str]]] = []
    holder: dict[tuple[str, str], RawTable] = {}
    for part in parts:
        raw, table = part[0], part[1]
        keys = _force_months(table)
        earlier = next((holder[key] for key in sorted(keys) if key in holder), None)
        if earlier is None:
            holder.update(dict.fromkeys(keys, raw))
            kept.append(part)
        elif earlier.table.equals(raw.table):
            kept[0][3].append(f"{raw.name} holds the same rows as {earlier.name}: counted once, from {earlier.name}")
        else:
            force, month = next(key for key in sorted(keys) if key in holder)
            raise ImportFileError(raw.name, f"holds {force or 'the'} {month} rows, as {earlier.name} does, but they "
                                            "differ (police.uk re-publishes months with updated outcomes): keep only "
                                            "the newer file and import again")
    return kept


def _force_months(table: pd.DataFrame) -> set[tuple[str, str]]:
    """The distinct (force, ``YYYY-MM``) pairs of a part's rows, from integer codes (a file's million rows
    hold a handful)."""
    dated = table["date"].notna().to_numpy()
    forces = table["force"].cat.categories if isinstance(table["force"].dtype, pd.CategoricalDtype) else None
    codes = table["force"].cat.codes.to_numpy()[dated] if forces is not None else np.zeros(int(dated.sum()), np.int8)
    months = coverage.months_since_1970(table["date"].to_numpy()[dated])
    pairs = np.unique(codes.astype(np.int64) * 100_000 + months)
    return {(str(forces[pair // 100_000]) if forces is not None and pair // 100_000 >= 0 else "",
             str(np.datetime64(int(pair % 100_000), "M"))) for pair in pairs.tolist()}


def _read_events(path: Path, name: str | None, source: str, required: dict[str, tuple[str, ...]],
                 optional: dict[str, tuple[str, ...]]) -> Prepared:
    """An event file with reference, date and category columns (``required`` variants), optional age
    or age band and domestic flag, and a location."""
    raw = _read(path, name)
    columns = _require(raw, required, optional)
    problems = RowProblems(raw)
    dates = parse_dates(raw, columns["date"], problems)
    times = _times_of_day(raw, columns["time"], problems) if "time" in columns else _clock_times(dates)
    if "age" in columns:
        bands = age_band(_integers(raw, columns["age"], problems, minimum=0, maximum=120, required=False))
    elif "age_band" in columns:
        bands = raw.column(columns["age_band"]).replace("", None)
    else:
        bands = pd.Series(None, index=pd.RangeIndex(raw.rows), dtype="str")
    domestic = _unknown_flags(raw.rows)
    if "domestic" in columns:
        flags = raw.column(columns["domestic"]).str.lower()
        mapping = {"y": True, "yes": True, "true": True, "1": True, "n": False, "no": False, "false": False, "0": False}
        domestic = flags.map(mapping).astype("boolean")
        problems.add((domestic.isna() & flags.ne("")).to_numpy(), columns["domestic"], "domestic flag is not Y or N")
    problems.add(raw.column(columns["category"]).eq("").to_numpy(), columns["category"], "category missing")
    _refuse_repeated(raw, [columns["reference"]], problems, skip_blank=True)
    placed = place_rows(raw, problems)
    table = pd.DataFrame({"source": source, "force": _constant("", raw.rows),
                          "category": raw.column(columns["category"]).str.lower(), "date": dates, "time_of_day": times,
                          "age_band": bands, "domestic": domestic, "reference": raw.column(columns["reference"])})
    # Police extracts hold every offence group, most of them mapped by no layer on purpose: only
    # ambulance categories, a short fixed list, are worth a word when one is not counted.
    notes = [*placed.notes, *(_uncounted_categories(source, table["category"]) if source == "ambulance" else [])]
    return _finish("events", source, raw, pd.concat([table, placed.table], axis=1), problems, notes)


def _times_of_day(raw: RawTable, column: str, problems: RowProblems) -> pd.Series:
    """A time-of-day column (``HH:MM`` or ``HH:MM:SS``) as ``HH:MM`` text; blank is unknown (empty)."""
    codes, text = raw.codes(column)
    valid = np.array([bool(TIME_OF_DAY.match(value)) for value in text], dtype=bool)
    problems.add_distinct(~valid & (text != ""), codes, column, "not a time of day: write it as HH:MM (24-hour clock)")
    hours_minutes = [f"{int(value.split(':')[0]):02d}:{value.split(':')[1]}" if ok else ""  # 7:05:30 is 07:05
                     for value, ok in zip(text, valid)]
    return pd.Series(np.array(hours_minutes, dtype=object)[codes], dtype="str").where(valid[codes])


def _clock_times(dates: pd.Series) -> pd.Series:
    """``HH:MM`` of ``dates`` (a date column written with times), or empty on every row when none has
    a time: a column whose every time is midnight holds dates only."""
    if not (dates.dropna() != dates.dropna().dt.normalize()).any():
        return pd.Series(None, index=dates.index, dtype="str")
    return dates.dt.strftime("%H:%M")


def _uncounted_categories(source: str, categories: pd.Series) -> list[str]:
    """A note naming the categories no map layer of ``source`` counts: such rows are stored but
    appear on no map (a typo such as 'stabbing', or a category the product does not map)."""
    from hotspots.aggregation import LAYERS  # aggregation reads the store, which imports this module

    counted = {geography.slug(c): c for layer in LAYERS.values() if layer.source == source for c in layer.categories}
    rows = categories[categories.ne("")].value_counts()
    uncounted = rows[[geography.slug(c) not in counted for c in rows.index]]
    if uncounted.empty:
        return []
    shown = ", ".join(f"'{c}' ({n:,} rows)" for c, n in uncounted.head(5).items())
    return [f"{int(uncounted.sum()):,} rows have a category no map layer counts ({shown}"
            f"{', ...' if len(uncounted) > 5 else ''}): they are stored but appear on no map. The layers count "
            f"{', '.join(sorted(counted.values()))}."]


def _finish(kind: str, reader: str, raw: RawTable, table: pd.DataFrame, problems: RowProblems,
            notes: Sequence[str] = ()) -> Prepared:
    return _combine(kind, reader, raw.name, [(raw, table, problems, list(notes))])


def _prepared(kind: str, reader: str, raw: RawTable, table: pd.DataFrame, problems: RowProblems) -> Prepared:
    frame = problems.frame()
    return Prepared(kind, reader, raw.name, table[TABLE_COLUMNS[kind]].reset_index(drop=True), frame,
                    raw.rows, raw.synthetic)


def _combine(kind: str, reader: str, name: str, parts: list[tuple[RawTable, pd.DataFrame, RowProblems, list[str]]]) -> Prepared:
    tables, problems, notes = [], [], []
    rows_read = 0
    for raw, table, row_problems, part_notes in parts:
        table = table.assign(source_line=raw.lines(np.arange(len(table))))
        if kind in ("events", "nominals", "people"):
            table = table.assign(source_file=_constant(raw.name, len(table)))
        if kind == "events":  # rows without a date are rejected; the stand-in only keeps the column whole
            table["financial_year"] = financial_year_of(table["date"].fillna(pd.Timestamp("2000-04-01")))
        rejected = row_problems.rows()
        if len(rejected):
            table = table.drop(index=table.index[rejected])
            table = table.assign(**{c: only_present_categories(table[c].array) for c in table
                                    if isinstance(table[c].dtype, pd.CategoricalDtype)})
        tables.append(table)
        problems.append(row_problems.frame())
        notes.extend(f"{raw.name}: {note}" if len(parts) > 1 else note for note in part_notes)
        rows_read += raw.rows
    table = _concat(tables)[TABLE_COLUMNS[kind]].reset_index(drop=True)
    frame = pd.concat(problems, ignore_index=True) if problems else pd.DataFrame(columns=PROBLEM_COLUMNS)
    return Prepared(kind, reader, name, table, frame, rows_read, all(raw.synthetic for raw, *_ in parts), notes)


def _concat(tables: list[pd.DataFrame]) -> pd.DataFrame:
    """Tables one after another. A column that is categorical in every table stays categorical, over
    the union of their categories (pandas would make it an object column, slow to store)."""
    if len(tables) == 1:
        return tables[0]
    for column in tables[0].columns:
        if all(isinstance(table[column].dtype, pd.CategoricalDtype) for table in tables):
            categories = pd.Index(np.concatenate([table[column].cat.categories for table in tables])).unique()
            tables = [table.assign(**{column: table[column].cat.set_categories(categories)}) for table in tables]
    return pd.concat(tables, ignore_index=True)


def _constant(value: str, rows: int) -> pd.Categorical:
    """The same text on every row, stored once."""
    return pd.Categorical.from_codes(np.zeros(rows, dtype=np.int8), [value])


def _forces(raw: RawTable) -> pd.Categorical:
    """Each police.uk row's publishing force (``Reported by``): what a re-published month is keyed by."""
    if "reported_by" not in raw.columns:
        return _constant("", raw.rows)
    codes, forces = raw.codes("reported_by")
    return pd.Categorical.from_codes(codes, forces)


def _missing_text(rows: int) -> pd.Categorical:
    """A text column with no value on any row."""
    return pd.Categorical.from_codes(np.full(rows, -1, dtype=np.int8), pd.Index([], dtype="str"))


def _unknown_flags(rows: int) -> pd.arrays.BooleanArray:
    """A flag column with every value unknown (built from masks: a list of NA takes a second per million)."""
    return pd.arrays.BooleanArray(np.zeros(rows, dtype=bool), np.ones(rows, dtype=bool))


def _refuse_repeated(raw: RawTable, columns: list[str], problems: RowProblems, *, skip_blank: bool = False) -> None:
    _report_repeated(raw, columns, _repeated_rows(raw, columns, skip_blank=skip_blank), problems)


def _repeated_rows(raw: RawTable, columns: list[str], *, skip_blank: bool = False) -> np.ndarray:
    """True for each row whose values in ``columns`` repeat an earlier row's (blank values never
    repeat if ``skip_blank``)."""
    if len(columns) == 1:
        return repeats_earlier(raw.column(columns[0]), skip_blank=skip_blank)
    keys = pd.DataFrame({column: raw.column(column) for column in columns})
    repeated = keys.duplicated(keep="first").to_numpy()
    if skip_blank:
        repeated &= keys.ne("").all(axis=1).to_numpy()
    return repeated


def _report_repeated(raw: RawTable, columns: list[str], repeated: np.ndarray, problems: RowProblems) -> None:
    if not repeated.any():
        return
    keys = pd.DataFrame({column: raw.column(column) for column in columns})
    group = keys.groupby(columns, sort=False).ngroup().to_numpy()
    first_lines = pd.Series(raw.lines(np.arange(raw.rows))).groupby(group).transform("min")
    problems.add(repeated, columns[0], "repeats an earlier row (same " + ", ".join(
        raw.original(c) for c in columns) + "): remove the duplicate",
                 values=keys[columns[0]] + " (first on line " + first_lines.astype(str) + ")")


def _numbers(raw: RawTable, column: str, problems: RowProblems, *, minimum: float | None = None) -> pd.Series:
    """Finite numbers; text, infinity, NaN and values below ``minimum`` are row problems."""
    values = pd.to_numeric(raw.column(column), errors="coerce")
    given = raw.column(column).ne("")
    problems.add((values.isna() & given).to_numpy(), column, "not a number")
    problems.add((values.notna() & ~np.isfinite(values)).to_numpy(), column, "not a finite number")
    problems.add((~given).to_numpy(), column, "value missing")
    if minimum is not None:
        problems.add(values.lt(minimum).to_numpy() & np.isfinite(values).to_numpy(), column, f"below {minimum:g}")
    return values


def _integers(raw: RawTable, column: str, problems: RowProblems, *, minimum: int | None = None,
              maximum: int = LARGEST_STORED_INTEGER, required: bool = True) -> pd.Series:
    """Whole numbers (``1,500`` read as 1500); others, and those outside [minimum, maximum], are row
    problems and read as missing (0 where a value is required, so the column stays whole)."""
    text = raw.column(column).str.replace(",", "", regex=False)
    values = pd.to_numeric(text, errors="coerce")
    given = text.ne("")
    whole = values.notna() & np.isfinite(values) & values.eq(values.round())
    problems.add((given & ~whole).to_numpy(), column, "not a whole number")
    if required:
        problems.add((~given).to_numpy(), column, "value missing")
    if minimum is not None:
        problems.add((whole & values.lt(minimum)).to_numpy(), column, f"below {minimum}: a count cannot be negative"
                     if minimum == 0 else f"below {minimum}")
    problems.add((whole & values.gt(maximum)).to_numpy(), column, f"above {maximum:,}, the largest number stored"
                 if maximum == LARGEST_STORED_INTEGER else f"above {maximum}")
    usable = whole & values.between(-LARGEST_STORED_INTEGER, LARGEST_STORED_INTEGER)
    values = values.where(usable)
    return values.fillna(0).astype("Int64") if required else values.astype("Int64")


def _years(raw: RawTable, column: str, problems: RowProblems) -> pd.Series:
    def start_year(text: str) -> float:
        if text.isdigit() and len(text) == 4:
            return int(text)
        try:
            return financial_year_from_label(text)
        except PeriodError:
            return np.nan
    years = raw.column(column).map(start_year)
    problems.add(years.isna().to_numpy(), column, "not a year (write 2019 for mid-2019, or 2019/20)")
    return years.astype("Int64")


def _ward_codes(raw: RawTable, column: str, problems: RowProblems) -> pd.Series:
    codes = raw.column(column).str.upper()
    known = codes.isin(geography.lsoa_lookup()["ward_code"])
    problems.add((~known).to_numpy(), column, f"not a {geography.region_name()} ward code (2013-2024 wards, E05...)")
    return codes


def _age_of_column(column: str) -> int | None:
    match = re.fullmatch(r"(?:age_?)?(\d{1,3})", column)
    return int(match.group(1)) if match else None


def age_band(ages: pd.Series) -> pd.Series:
    """Whole years of age to the bands police extracts use (``10-17``, ``18-24``, ...); NA stays NA."""
    bands = pd.cut(ages.astype("float64"), AGE_BAND_EDGES, right=False, labels=AGE_BANDS)
    return bands.astype("str").where(ages.notna(), None)
