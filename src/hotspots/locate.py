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
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from hotspots import geography, postcodes, settings
from hotspots._errors import ImportFileError
from hotspots.tabular import RawTable
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
# Greater Essex lies well inside these British National Grid bounds; used to spot swapped axes.
_BNG_LIMITS = ((0, 700_000), (0, 1_300_000))


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
            if name in raw.frame.columns:
                found[canonical] = name
                break
    return found


def place_rows(raw: RawTable, problems: RowProblems) -> Placement:
    """Place every row; malformed location cells are added to ``problems``."""
    columns = find_columns(raw, LOCATION_VARIANTS)
    if not columns:
        raise ImportFileError(raw.name, "no location column: give one of LSOA code, Easting/Northing, "
                                        "Longitude/Latitude, postcode, ward code or ward name", line=raw.first_line - 1)
    n = len(raw.frame)
    out = pd.DataFrame({"lsoa_code": pd.Series([None] * n, dtype="str"), "ward_code": pd.Series([None] * n, dtype="str"),
                        "easting": np.full(n, np.nan), "northing": np.full(n, np.nan),
                        "placed_by": pd.Series([None] * n, dtype="str"),
                        "unplaced_reason": pd.Series([None] * n, dtype="str")})
    notes: list[str] = []
    lookup = _lookup()
    easting, northing = _coordinates(raw, columns, problems)
    out["easting"], out["northing"] = easting, northing
    has_point = ~np.isnan(easting)
    point_lsoa = np.full(n, None, dtype=object)
    point_lsoa[has_point] = lsoa_at(easting[has_point], northing[has_point])

    if "lsoa_code" in columns:
        given = raw.frame[columns["lsoa_code"]].str.upper()
        known = given.isin(lookup.index).to_numpy()
        out.loc[known, "lsoa_code"] = given[known]
        out.loc[known, "placed_by"] = "lsoa_code"
        checked = known & has_point
        if checked.any():
            disagree_lsoa = given.to_numpy()[checked] != point_lsoa[checked]
            given_ward = lookup["ward_code"].reindex(given[checked]).to_numpy()
            point_ward = lookup["ward_code"].reindex(point_lsoa[checked]).to_numpy()
            notes.append(f"Of {checked.sum():,} rows with both an LSOA code and a point, the point falls in a "
                         f"different LSOA for {disagree_lsoa.mean():.1%} and a different ward for "
                         f"{(given_ward != point_ward).mean():.1%}; the given code is used.")
        unknown = given.ne("").to_numpy() & ~known
        if unknown.any():
            by_point = unknown & has_point & pd.notna(point_lsoa)
            notes.append(f"{unknown.sum():,} rows carry an LSOA code not in the 2011 set for Greater Essex (2021 "
                         f"codes of changed LSOAs, or outside the area); {by_point.sum():,} of them were placed "
                         "by their point.")
            no_point = unknown & ~has_point
            out.loc[no_point, "unplaced_reason"] = "LSOA code not in Greater Essex and no point given"

    todo = out["placed_by"].isna().to_numpy() & has_point
    inside = todo & pd.notna(point_lsoa)
    out.loc[inside, "lsoa_code"] = point_lsoa[inside]
    out.loc[inside, "placed_by"] = "coordinates"
    out.loc[todo & ~inside, "unplaced_reason"] = "point outside Greater Essex"

    if "postcode" in columns:
        _place_by_postcode(raw, columns["postcode"], out)
    for code_or_name in ("ward_code", "ward_name"):
        if code_or_name in columns:
            _place_by_ward(raw, columns[code_or_name], code_or_name, out, problems)

    out["ward_code"] = out["ward_code"].fillna(lookup["ward_code"].reindex(out["lsoa_code"]).set_axis(out.index))
    nothing = out["placed_by"].isna() & out["unplaced_reason"].isna()
    out.loc[nothing, "unplaced_reason"] = "no location given"
    return Placement(out, notes)


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


def _coordinates(raw: RawTable, columns: dict[str, str], problems: RowProblems) -> tuple[np.ndarray, np.ndarray]:
    n = len(raw.frame)
    pairs = [("longitude", "latitude"), ("easting", "northing")]
    for x_name, y_name in pairs:
        if x_name in columns and y_name in columns:
            x = _numbers(raw, columns[x_name], problems)
            y = _numbers(raw, columns[y_name], problems)
            degrees = _looks_like_degrees(x, y)
            if x_name == "longitude" and not degrees:
                raise ImportFileError(raw.name, "these values look like British National Grid metres, not WGS84 "
                                                "degrees: rename the columns to Easting and Northing",
                                      line=raw.line(_first_value(x)), column=raw.original(columns[x_name]))
            if x_name == "easting" and degrees and columns[x_name] != "x":
                raise ImportFileError(raw.name, "these values look like WGS84 degrees, not British National Grid "
                                                "metres: rename the columns to Longitude and Latitude",
                                      line=raw.line(_first_value(x)), column=raw.original(columns[x_name]))
            if degrees:
                x, y = _to_british_national_grid(raw, columns[x_name], columns[y_name], x, y, problems)
            else:
                _check_grid_range(raw, columns[x_name], columns[y_name], x, y, problems)
            _refuse_swapped(raw, columns[x_name], columns[y_name], x, y)
            return x, y
    return np.full(n, np.nan), np.full(n, np.nan)


def _numbers(raw: RawTable, column: str, problems: RowProblems) -> np.ndarray:
    text = raw.frame[column]
    values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)
    bad = np.isnan(values) & text.ne("").to_numpy()
    problems.add(bad, column, "not a number")
    return values


def _first_value(values: np.ndarray) -> int:
    return int(np.flatnonzero(~np.isnan(values))[0]) if (~np.isnan(values)).any() else 0


def _looks_like_degrees(x: np.ndarray, y: np.ndarray) -> bool:
    given = ~np.isnan(x) & ~np.isnan(y)
    if not given.any():
        return True
    return bool(np.median(np.abs(x[given])) <= 180 and np.median(np.abs(y[given])) <= 90)


def _to_british_national_grid(raw: RawTable, x_column: str, y_column: str, lon: np.ndarray, lat: np.ndarray,
                              problems: RowProblems) -> tuple[np.ndarray, np.ndarray]:
    out_of_range = (np.abs(lon) > 180) | (np.abs(lat) > 90)
    problems.add(out_of_range & ~np.isnan(lon), x_column, "longitude or latitude out of range")
    lon, lat = np.where(out_of_range, np.nan, lon), np.where(out_of_range, np.nan, lat)
    easting, northing = _wgs84_to_bng().transform(lon, lat)
    return np.asarray(easting, dtype=float), np.asarray(northing, dtype=float)


def _check_grid_range(raw: RawTable, x_column: str, y_column: str, x: np.ndarray, y: np.ndarray,
                      problems: RowProblems) -> None:
    (x_low, x_high), (y_low, y_high) = _BNG_LIMITS
    outside = ((x < x_low) | (x > x_high) | (y < y_low) | (y > y_high)) & ~np.isnan(x)
    problems.add(outside, x_column, "not a British National Grid coordinate (easting 0-700,000, northing 0-1,300,000)")


def _refuse_swapped(raw: RawTable, x_column: str, y_column: str, x: np.ndarray, y: np.ndarray) -> None:
    given = ~np.isnan(x) & ~np.isnan(y)
    if given.sum() == 0:
        return
    sample = np.flatnonzero(given)[:2000]
    as_given = pd.notna(lsoa_at(x[sample], y[sample])).mean()
    swapped = pd.notna(lsoa_at(y[sample], x[sample])).mean()
    if as_given == 0 and swapped > 0.5:
        raise ImportFileError(raw.name, f"the '{raw.original(x_column)}' and '{raw.original(y_column)}' columns look "
                                        "swapped: no point falls in Greater Essex as given, but most do when swapped. "
                                        "Swap the two column names", line=raw.line(sample[0]),
                              column=raw.original(x_column))


def _place_by_postcode(raw: RawTable, column: str, out: pd.DataFrame) -> None:
    todo = out["placed_by"].isna() & raw.frame[column].ne("")
    if not todo.any():
        return
    points = postcodes.postcode_points(raw.frame.loc[todo, column])
    found = points["matched_as"].ne("unmatched")
    rows = points.index[found]
    lsoa = lsoa_at(points.loc[rows, "easting"].to_numpy(), points.loc[rows, "northing"].to_numpy())
    out.loc[rows, "easting"] = points.loc[rows, "easting"]
    out.loc[rows, "northing"] = points.loc[rows, "northing"]
    inside = pd.notna(lsoa)
    out.loc[rows[inside], "lsoa_code"] = lsoa[inside]
    out.loc[rows[inside], "placed_by"] = np.where(points.loc[rows[inside], "matched_as"].eq("sector"),
                                                  "postcode_sector", "postcode")
    out.loc[rows[inside], "unplaced_reason"] = None
    out.loc[rows[~inside], "unplaced_reason"] = "postcode outside Greater Essex"
    out.loc[points.index[~found], "unplaced_reason"] = "postcode not in the ONS Postcode Directory"


def _place_by_ward(raw: RawTable, column: str, kind: str, out: pd.DataFrame, problems: RowProblems) -> None:
    todo = (out["placed_by"].isna() & raw.frame[column].ne("")).to_numpy()
    if not todo.any():
        return
    wards = geography.lsoa_lookup().drop_duplicates("ward_code")
    text = raw.frame[column]
    if kind == "ward_code":
        matched = text.str.upper().where(text.str.upper().isin(wards["ward_code"]))
        out.loc[todo & matched.notna().to_numpy(), "ward_code"] = matched
        out.loc[todo & matched.notna().to_numpy(), "placed_by"] = "ward_code"
        out.loc[todo & matched.isna().to_numpy(), "unplaced_reason"] = "ward code not in Greater Essex"
        return
    by_name = wards.assign(key=wards["ward_name"].map(normalise_ward_name)).groupby("key")["ward_code"].agg(list)
    keys = text.map(normalise_ward_name)
    codes = keys.map(by_name)
    unique = codes.map(lambda c: isinstance(c, list) and len(c) == 1).to_numpy()
    out.loc[todo & unique, "ward_code"] = codes[todo & unique].str[0]
    out.loc[todo & unique, "placed_by"] = "ward_name"
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
def _lsoa_tree() -> tuple[np.ndarray, shapely.STRtree]:
    lsoas = geography.lsoas()
    return lsoas["lsoa_code"].to_numpy(), shapely.STRtree(lsoas.geometry.values)


@lru_cache(maxsize=1)
def _wgs84_to_bng() -> Transformer:
    return Transformer.from_crs("EPSG:4326", settings.ANALYSIS_CRS, always_xy=True)
