"""Place each row of an import in an LSOA and ward of Greater Essex, and say how.

A row is placed by the first of these that works: a known LSOA code (the ward comes from the
lookup); coordinates (British National Grid or WGS84, detected from the column names and values,
joined to the LSOA polygons); a postcode or postcode sector (offline, from the ONS Postcode
Directory coordinates); a ward code; a ward name (matched after normalising case, punctuation,
"St."/"St", "&"/"and" and hyphens). Rows that cannot be placed keep ``unplaced_reason``.
police.uk files from 2022 carry 2021 LSOA codes: unchanged LSOAs keep their 2011 code, and the
new codes of split or merged LSOAs are placed by the row's map point.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely
from pyproj import Transformer

from hotspots import geography, postcodes, settings
from hotspots._errors import ImportFileError
from hotspots.tabular import RawTable, only_present_categories
from hotspots.validation import RowProblems

LOCATION_VARIANTS: dict[str, tuple[str, ...]] = {
    "lsoa_code": ("lsoa_code", "lsoa11cd", "lsoa21cd", "lsoa", "lsoa11", "lsoa21"),
    "ward_code": ("ward_code", "wd13cd", "wd22cd", "wd23cd", "wd24cd", "ward_cd"),
    "ward_name": ("ward_name", "ward", "wd13nm", "wd23nm", "ward_nm"),
    "postcode": ("postcode", "home_postcode", "post_code", "postcode_sector", "pcd"),
    "easting": ("easting", "eastings", "x_coordinate", "grid_easting", "os_easting", "x"),
    "northing": ("northing", "northings", "y_coordinate", "grid_northing", "os_northing", "y"),
    "longitude": ("longitude", "long", "lon", "lng"),
    "latitude": ("latitude", "lat"),
}
DISAGREEMENT_SAMPLE = 50_000
PLACED_BY = ("lsoa_code", "coordinates", "postcode", "postcode_sector", "ward_code", "ward_name")
UNPLACED_REASONS = ("LSOA code not in Greater Essex and no point given", "point outside Greater Essex",
                    "postcode outside Greater Essex", "postcode not in the ONS Postcode Directory",
                    "ward code not in Greater Essex", "no location given")
_GB_DEGREES = ((-9.0, 3.0), (49.0, 61.0))
# Greater Essex lies well inside these British National Grid bounds; used to spot swapped axes.
_BNG_LIMITS = ((0, 700_000), (0, 1_300_000))
_NOT_JOINED = -2


@dataclass
class Placement:
    """Where each row is: ``lsoa_code, ward_code, easting, northing, placed_by, unplaced_reason``."""

    table: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def find_columns(raw: RawTable, variants: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """Map each canonical name to the first variant present in the file's (normalised) header."""
    found = {}
    for canonical, names in variants.items():
        for name in names:
            if name in raw.columns:
                found[canonical] = name
                break
    return found


def place_rows(raw: RawTable, problems: RowProblems) -> Placement:
    """Place every row; malformed location cells are added to ``problems``."""
    columns = find_columns(raw, LOCATION_VARIANTS)
    if not columns:
        raise ImportFileError(raw.name, "no location column: give one of LSOA code, Easting/Northing, "
                                        "Longitude/Latitude, postcode, ward code or ward name", line=raw.first_line - 1)
    n = raw.rows
    lookup = _lookup()
    # Each row's LSOA, how it was placed and why not, as positions in these lists (-1: none).
    lsoa = np.full(n, -1, dtype=np.int32)
    placed_by, reason = np.full(n, -1, dtype=np.int8), np.full(n, -1, dtype=np.int8)
    notes: list[str] = []
    points = _points(raw, columns, problems)
    has_point = points.codes >= 0
    placed_by_code = np.zeros(n, dtype=bool)

    if "lsoa_code" in columns:
        given_codes, given_unique = raw.codes(columns["lsoa_code"])
        given_unique = np.asarray(pd.Index(given_unique).str.upper(), dtype=object)
        given_lsoa = lookup.index.get_indexer(given_unique)
        lsoa = given_lsoa.astype(np.int32)[given_codes]  # -1 where the code is blank or unknown
        placed_by_code = lsoa >= 0
        placed_by[placed_by_code] = PLACED_BY.index("lsoa_code")
        checked = placed_by_code & has_point
        if checked.any():
            notes.append(_disagreement_note(points, checked, given_codes, given_lsoa))
        unknown_code = (given_unique != "") & (given_lsoa < 0)
        if unknown_code.any():  # every distinct code is on some row
            unknown = unknown_code[given_codes]
            notes.append(f"{unknown.sum():,} rows carry an LSOA code not in the 2011 set for Greater Essex (2021 "
                         "codes of changed LSOAs, or outside the area); those with a point are placed by it.")
            reason[unknown & ~has_point] = UNPLACED_REASONS.index("LSOA code not in Greater Essex and no point given")

    todo = ~placed_by_code & has_point
    if todo.any():
        point_lsoa = np.full(len(points.unique_easting), -1)
        unique_todo = np.unique(points.codes[todo])
        point_lsoa[unique_todo] = points.lsoa_positions(unique_todo)
        row_lsoa = point_lsoa[points.codes[todo]]
        inside = row_lsoa >= 0
        rows = np.flatnonzero(todo)
        lsoa[rows[inside]] = row_lsoa[inside]
        placed_by[rows[inside]] = PLACED_BY.index("coordinates")
        reason[rows[~inside]] = UNPLACED_REASONS.index("point outside Greater Essex")

    out = pd.concat({  # side by side, not pd.DataFrame: that copies the two float columns into one block
        "lsoa_code": pd.Series(pd.Categorical.from_codes(lsoa, lookup.index)),
        "ward_code": pd.Series(pd.Categorical.from_codes(np.where(lsoa >= 0, _ward_positions()[lsoa], -1), _wards())),
        "easting": pd.Series(points.easting), "northing": pd.Series(points.northing),
        "placed_by": pd.Series(pd.Categorical.from_codes(placed_by, PLACED_BY)),
        "unplaced_reason": pd.Series(pd.Categorical.from_codes(reason, UNPLACED_REASONS))}, axis=1)
    if "postcode" in columns:
        _place_by_postcode(raw, columns["postcode"], out)
    for code_or_name in ("ward_code", "ward_name"):
        if code_or_name in columns:
            _place_by_ward(raw, columns[code_or_name], code_or_name, out, problems)

    nothing = out["placed_by"].isna() & out["unplaced_reason"].isna()
    out.loc[nothing, "unplaced_reason"] = "no location given"
    for column in ("lsoa_code", "ward_code", "placed_by", "unplaced_reason"):
        out[column] = only_present_categories(out[column].array)
    return Placement(out, notes)



def _disagreement_note(points: "_Points", checked: np.ndarray, given_codes: np.ndarray, given_lsoa: np.ndarray) -> str:
    """How often a row's point falls outside the LSOA (and ward) its code names.

    Works on distinct (point, code) pairs weighted by their rows, so a million rows cost a few
    thousand joins; beyond 50,000 pairs it uses an even sample of them and says so. ``given_lsoa``:
    each distinct code's position in the LSOA lookup."""
    pair_codes, pairs = _pair_codes(points.codes[checked], given_codes[checked], len(given_lsoa))
    rows = np.bincount(pair_codes)
    if len(pairs) > DISAGREEMENT_SAMPLE:
        keep = np.linspace(0, len(pairs) - 1, DISAGREEMENT_SAMPLE).astype(int)
        pairs, rows = pairs[keep], rows[keep]
    point, given = pairs // len(given_lsoa), given_lsoa[pairs % len(given_lsoa)]
    # Most points lie in the LSOA their code names: test that one polygon first, search only the rest.
    inside = shapely.contains_xy(_lsoa_polygons()[given], points.unique_easting[point], points.unique_northing[point])
    point_lsoa = given.copy()
    point_lsoa[~inside] = points.lsoa_positions(point[~inside])
    ward = _ward_positions()
    different_lsoa = ~inside
    different_ward = (point_lsoa < 0) | (ward[given] != ward[point_lsoa])
    scope = f"{rows.sum():,} rows" + ("" if rows.sum() == checked.sum() else f" (a sample of the {checked.sum():,})")
    return (f"Of {scope} with both an LSOA code and a point, the point falls in a different LSOA for "
            f"{rows[different_lsoa].sum() / rows.sum():.1%} and a different ward for "
            f"{rows[different_ward].sum() / rows.sum():.1%}; the given code is used.")


def prepare_lookups() -> None:
    """Build the lookups placing rows needs (LSOA polygons, their search tree, and this thread's WGS84
    to British National Grid transformer: pyproj builds one per thread), about 0.15 s the first time,
    so that a reader can do it while other threads are busy."""
    _lsoa_tree()
    _lsoa_polygons()
    _ward_positions()
    _wgs84_to_bng()


def lsoa_at(easting: np.ndarray, northing: np.ndarray) -> np.ndarray:
    """The 2011 LSOA code holding each British National Grid point, or None outside Greater Essex."""
    codes, tree = _lsoa_tree()
    points = shapely.points(easting, northing)
    point_index, polygon_index = tree.query(points, predicate="within")
    out = np.full(len(points), None, dtype=object)
    out[point_index] = codes[polygon_index]
    return out


def normalise_ward_name(name: str) -> str:
    """``"St. Mary's & Stifford-Clays"`` -> ``"st marys and stifford clays"``."""
    text = name.lower().replace("&", " and ")
    text = re.sub(r"\bst\b\.?", "st", text)
    text = re.sub(r"['’`.]", "", text)
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


@dataclass
class _Points:
    """Each row's point as an index into unique points (-1 for none); joins run once per unique point."""

    codes: np.ndarray
    unique_easting: np.ndarray
    unique_northing: np.ndarray
    _lsoa: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._lsoa = np.full(len(self.unique_easting), _NOT_JOINED)

    @property
    def easting(self) -> np.ndarray:
        return self._per_row(self.unique_easting)

    @property
    def northing(self) -> np.ndarray:
        return self._per_row(self.unique_northing)

    def _per_row(self, values: np.ndarray) -> np.ndarray:
        return np.append(values, np.nan)[self.codes]  # code -1 (no point) takes the NaN at the end

    def lsoa_positions(self, unique_codes: np.ndarray) -> np.ndarray:
        """Position in the LSOA lookup (-1: outside Greater Essex) of each given unique point."""
        todo = np.unique(unique_codes[self._lsoa[unique_codes] == _NOT_JOINED])
        if len(todo):
            found = lsoa_at(self.unique_easting[todo], self.unique_northing[todo])
            self._lsoa[todo] = _lookup().index.get_indexer(found)
        return self._lsoa[unique_codes]


def _points(raw: RawTable, columns: dict[str, str], problems: RowProblems) -> _Points:
    for x_name, y_name in (("longitude", "latitude"), ("easting", "northing")):
        if (x_name in columns) != (y_name in columns):
            given, missing = (x_name, y_name) if x_name in columns else (y_name, x_name)
            raise ImportFileError(raw.name, f"has a '{raw.original(columns[given])}' column but no {missing.title()} "
                                            f"column: a point needs both; add the {missing.title()} column, or "
                                            f"rename or delete '{raw.original(columns[given])}'",
                                  line=raw.first_line - 1, column=raw.original(columns[given]))
        if x_name not in columns:
            continue
        # police.uk snaps every crime to one of a fixed set of anonymous map points, so there are
        # far fewer distinct points than rows: parse, check, reproject and join each one once.
        x_codes, x_text = raw.codes(columns[x_name])
        y_codes, y_text = raw.codes(columns[y_name])
        codes, pairs = _pair_codes(x_codes, y_codes, len(y_text))

        def first(pair: int) -> int:  # the first row with this point: only wanted to name a line in a refusal
            return int(np.argmax(codes == pair))
        x = _numbers(x_text, columns[x_name], problems, x_codes)[pairs // len(y_text)]
        y = _numbers(y_text, columns[y_name], problems, y_codes)[pairs % len(y_text)]
        degrees = _looks_like_degrees(x, y)
        if x_name == "longitude" and not degrees:
            raise ImportFileError(raw.name, "these values look like British National Grid metres, not WGS84 "
                                            "degrees: rename the columns to Easting and Northing",
                                  line=raw.line(first(_first_value(x))), column=raw.original(columns[x_name]))
        if x_name == "easting" and degrees and columns[x_name] != "x":
            raise ImportFileError(raw.name, "these values look like WGS84 degrees, not British National Grid "
                                            "metres: rename the columns to Longitude and Latitude",
                                  line=raw.line(first(_first_value(x))), column=raw.original(columns[x_name]))
        if degrees:
            _refuse_swapped_degrees(raw, columns[x_name], columns[y_name], x, y, first)
            bad_x, bad_y = np.abs(x) > 180, np.abs(y) > 90
            problems.add_distinct(bad_x, codes, columns[x_name], "longitude out of range (-180 to 180)")
            problems.add_distinct(bad_y, codes, columns[y_name], "latitude out of range (-90 to 90)")
            bad = bad_x | bad_y
            x, y = _wgs84_to_bng().transform(np.where(bad, np.nan, x), np.where(bad, np.nan, y))
            x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        else:
            (x_low, x_high), (y_low, y_high) = _BNG_LIMITS
            bad_x, bad_y = (x < x_low) | (x > x_high), (y < y_low) | (y > y_high)
            problems.add_distinct(bad_x, codes, columns[x_name],
                                  f"not a British National Grid easting ({x_low:,}-{x_high:,})")
            problems.add_distinct(bad_y, codes, columns[y_name],
                                  f"not a British National Grid northing ({y_low:,}-{y_high:,})")
        _refuse_swapped(raw, columns[x_name], columns[y_name], x, y, first)
        missing = ~np.isfinite(x) | ~np.isfinite(y)  # pyproj turns a missing input into inf
        return _Points(np.where(missing[codes], -1, codes) if missing.any() else codes, x, y)
    return _Points(np.full(raw.rows, -1), np.array([]), np.array([]))


def _pair_codes(first: np.ndarray, second: np.ndarray, seconds: int) -> tuple[np.ndarray, np.ndarray]:
    """Each row's position among the distinct (first, second) code pairs, and those pairs as
    ``first * seconds + second`` (``seconds``: how many distinct second codes there are)."""
    key = first.astype(np.int64)
    key *= seconds  # in place: these are million-row arrays
    key += second
    encoded = pa.array(key).dictionary_encode()
    return encoded.indices.to_numpy(), encoded.dictionary.to_numpy()


def _numbers(text: np.ndarray, column: str, problems: RowProblems, codes: np.ndarray) -> np.ndarray:
    """A column's distinct values (``text``) as numbers; a bad value is reported on every row (``codes``) that has it."""
    try:  # Arrow reads well-formed numbers ten times faster than pandas; pandas sorts out the rest
        values = pc.cast(pa.array(text, type=pa.string(), mask=text == ""), pa.float64()).to_numpy(zero_copy_only=False)
    except pa.ArrowInvalid:
        values = pd.to_numeric(pd.Series(text, dtype=object), errors="coerce").to_numpy(dtype=float)
    problems.add_distinct(np.isnan(values) & (text != ""), codes, column, "not a number")
    return values


def _first_value(values: np.ndarray) -> int:
    return int(np.flatnonzero(~np.isnan(values))[0]) if (~np.isnan(values)).any() else 0


def _looks_like_degrees(x: np.ndarray, y: np.ndarray) -> bool:
    given = ~np.isnan(x) & ~np.isnan(y)
    if not given.any():
        return True
    return bool(np.median(np.abs(x[given])) <= 180 and np.median(np.abs(y[given])) <= 90)


def _refuse_swapped_degrees(raw: RawTable, x_column: str, y_column: str, lon: np.ndarray, lat: np.ndarray,
                             first: Callable[[int], int]) -> None:
    (west, east), (south, north) = _GB_DEGREES
    given = ~np.isnan(lon) & ~np.isnan(lat)
    as_given = ((lon >= west) & (lon <= east) & (lat >= south) & (lat <= north))[given].mean() if given.any() else 1
    swapped = ((lat >= west) & (lat <= east) & (lon >= south) & (lon <= north))[given].mean() if given.any() else 0
    if as_given < 0.5 and swapped > 0.5:
        row = first(int(np.flatnonzero(given)[0]))
        raise ImportFileError(raw.name, f"the '{raw.original(x_column)}' and '{raw.original(y_column)}' columns look "
                                        "swapped: the longitudes read like latitudes in Great Britain and the other "
                                        "way round. Swap the two column names", line=raw.line(row),
                              column=raw.original(x_column))


def _refuse_swapped(raw: RawTable, x_column: str, y_column: str, x: np.ndarray, y: np.ndarray,
                     first: Callable[[int], int]) -> None:
    given = ~np.isnan(x) & ~np.isnan(y)
    if given.sum() == 0:
        return
    sample = np.flatnonzero(given)[:2000]
    as_given = pd.notna(lsoa_at(x[sample], y[sample])).mean()
    swapped = pd.notna(lsoa_at(y[sample], x[sample])).mean()
    if as_given == 0 and swapped > 0.5:
        raise ImportFileError(raw.name, f"the '{raw.original(x_column)}' and '{raw.original(y_column)}' columns look "
                                        "swapped: no point falls in Greater Essex as given, but most do when swapped. "
                                        "Swap the two column names", line=raw.line(first(sample[0])),
                              column=raw.original(x_column))


def _place_by_postcode(raw: RawTable, column: str, out: pd.DataFrame) -> None:
    todo = out["placed_by"].isna() & raw.column(column).ne("")
    if not todo.any():
        return
    points = postcodes.postcode_points(raw.column(column)[todo])
    found = points["matched_as"].ne("unmatched")
    rows = points.index[found]
    lsoa = lsoa_at(points.loc[rows, "easting"].to_numpy(), points.loc[rows, "northing"].to_numpy())
    out.loc[rows, "easting"] = points.loc[rows, "easting"]
    out.loc[rows, "northing"] = points.loc[rows, "northing"]
    inside = pd.notna(lsoa)
    out.loc[rows[inside], "lsoa_code"] = lsoa[inside]
    out.loc[rows[inside], "ward_code"] = _lookup()["ward_code"].reindex(lsoa[inside]).to_numpy()
    out.loc[rows[inside], "placed_by"] = np.where(points.loc[rows[inside], "matched_as"].eq("sector"),
                                                  "postcode_sector", "postcode")
    out.loc[rows[inside], "unplaced_reason"] = None
    out.loc[rows[~inside], "unplaced_reason"] = "postcode outside Greater Essex"
    out.loc[points.index[~found], "unplaced_reason"] = "postcode not in the ONS Postcode Directory"


def _place_by_ward(raw: RawTable, column: str, kind: str, out: pd.DataFrame, problems: RowProblems) -> None:
    todo = (out["placed_by"].isna() & raw.column(column).ne("")).to_numpy()
    if not todo.any():
        return
    wards = geography.lsoa_lookup().drop_duplicates("ward_code")
    text = raw.column(column)
    if kind == "ward_code":
        matched = text.str.upper().where(text.str.upper().isin(wards["ward_code"]))
        out.loc[todo & matched.notna().to_numpy(), "ward_code"] = matched
        out.loc[todo & matched.notna().to_numpy(), ["placed_by", "unplaced_reason"]] = ["ward_code", None]
        out.loc[todo & matched.isna().to_numpy(), "unplaced_reason"] = "ward code not in Greater Essex"
        return
    by_name = wards.assign(key=wards["ward_name"].map(normalise_ward_name)).groupby("key")["ward_code"].agg(list)
    keys = text.map(normalise_ward_name)
    codes = keys.map(by_name)
    unique = codes.map(lambda c: isinstance(c, list) and len(c) == 1).to_numpy()
    out.loc[todo & unique, "ward_code"] = codes[todo & unique].map(lambda found: found[0])
    out.loc[todo & unique, ["placed_by", "unplaced_reason"]] = ["ward_name", None]
    several = todo & codes.map(lambda c: isinstance(c, list) and len(c) > 1).to_numpy()
    problems.add(several, column, "this ward name belongs to more than one ward in Greater Essex: give the ward code")
    for name in sorted(set(text[todo & codes.isna().to_numpy()])):
        close = difflib.get_close_matches(normalise_ward_name(name), list(by_name.index), n=2)
        hint = f" (closest: {', '.join(close)})" if close else ""
        problems.add((text == name).to_numpy() & todo, column,
                     f"ward name not found among Greater Essex wards{hint}: correct it or give the ward code")


@lru_cache(maxsize=1)
def _lookup() -> pd.DataFrame:
    return geography.lsoa_lookup().set_index("lsoa_code")


@lru_cache(maxsize=1)
def _wards() -> pd.Index:
    return pd.Index(_lookup()["ward_code"].unique())


@lru_cache(maxsize=1)
def _ward_positions() -> np.ndarray:
    """Each LSOA's ward, as a position in ``_wards()``, in the order of the LSOA lookup."""
    return _wards().get_indexer(_lookup()["ward_code"])


@lru_cache(maxsize=1)
def _lsoa_polygons() -> np.ndarray:
    """Each LSOA's polygon (prepared for fast tests), in the order of the LSOA lookup."""
    polygons = geography.lsoas().set_index("lsoa_code").geometry.reindex(_lookup().index).to_numpy()
    shapely.prepare(polygons)
    return polygons


@lru_cache(maxsize=1)
def _lsoa_tree() -> tuple[np.ndarray, shapely.STRtree]:
    lsoas = geography.lsoas()
    return lsoas["lsoa_code"].to_numpy(), shapely.STRtree(lsoas.geometry.values)


@lru_cache(maxsize=1)
def _wgs84_to_bng() -> Transformer:
    return Transformer.from_crs("EPSG:4326", settings.ANALYSIS_CRS, always_xy=True)
