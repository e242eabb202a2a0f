"""Users' own boundary files, and ward boundaries from the ONS Open Geography Portal.

Every loader returns a GeoDataFrame in EPSG:27700 with columns ``area_code``, ``area_name`` and
``geometry`` (polygons, repaired if they were invalid); ``attrs["repaired_features"]`` lists the
features (numbered from 1 in file order) whose geometry was repaired.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlencode

import geopandas as gpd
import pandas as pd
import pyogrio
import requests
import shapely
from libpysal.weights import Queen

from hotspots import settings
from hotspots._errors import BoundaryFileError, DownloadError

_CODE_COLUMN = re.compile(r"^(?:[a-z]{2,5}\d{2}cd|(?:area|ward|lsoa|msoa|lad)?_?code|.*gss.*code)$", re.IGNORECASE)
_NAME_COLUMN = re.compile(r"^(?:[a-z]{2,5}\d{2}nm|(?:area|ward|lsoa|msoa|lad)?_?name)$", re.IGNORECASE)
ONS_SERVICES = "https://services1.arcgis.com/ESMARspQHYMw9BZ9/arcgis/rest/services"
ONS_WARD_YEARS = (2022, 2023, 2024)


def boundaries_from_file(path: str | Path, *, code_column: str | None = None,
                         name_column: str | None = None) -> gpd.GeoDataFrame:
    """Read a GeoJSON, GeoPackage or zipped Shapefile of areas in any CRS.

    The code and name columns are detected (``WD23CD``/``WD23NM``, ``LSOA11CD``, ``code``,
    ``name``, ...) unless given. Raises BoundaryFileError naming the file and what to do.
    """
    path = Path(path)
    try:
        raw = gpd.read_file(path)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as error:
        raise BoundaryFileError(
            f"{path.name}: could not be read as GeoJSON, GeoPackage or zipped Shapefile ({error}). "
            "Check the file is one of those formats; a Shapefile must be zipped with its .shp, .shx, .dbf and .prj."
        ) from error
    return areas_from_frame(raw, source=path.name, code_column=code_column, name_column=name_column)


def areas_from_frame(raw: gpd.GeoDataFrame, *, source: str, code_column: str | None = None,
                     name_column: str | None = None) -> gpd.GeoDataFrame:
    """Check and standardise a frame of areas: CRS, polygons, code and name columns, unique codes."""
    if raw.crs is None:
        raise BoundaryFileError(
            f"{source}: has no coordinate reference system. Save it again with one (for a Shapefile, "
            "include the .prj file in the zip), or use GeoJSON, which is WGS84 by definition.")
    code_column = _column(raw, code_column, _CODE_COLUMN, "code", source)
    name_column = _column(raw, name_column, _NAME_COLUMN, "name", source)
    areas = gpd.GeoDataFrame({"area_code": raw[code_column].astype(str).str.strip(),
                              "area_name": raw[name_column].astype(str).str.strip()},
                             geometry=raw.geometry.values, crs=raw.crs)
    _check_polygons(areas, source)
    _check_unique_codes(areas, source, code_column)
    repaired = ~areas.geometry.is_valid
    if repaired.any():
        areas.loc[repaired, "geometry"] = areas.geometry[repaired].map(_polygonal_part_of_repair)
    areas = areas.to_crs(settings.ANALYSIS_CRS)
    areas.attrs["repaired_features"] = [int(i) + 1 for i in areas.index[repaired]]
    return areas


def queen_neighbours(areas: gpd.GeoDataFrame) -> dict[str, list[str]]:
    """Areas sharing an edge or a corner (queen contiguity, libpysal), by ``area_code``."""
    weights = Queen.from_dataframe(areas, ids=areas["area_code"].tolist(), use_index=False, silence_warnings=True)
    return {code: list(weights.neighbors[code]) for code in areas["area_code"]}


def ons_ward_lookup_url(lad_code: str, year: int) -> str:
    """Query URL for the ward codes of one local authority in the ONS ward-to-LAD lookup."""
    yy = _ons_year(year)
    query = {"where": f"LAD{yy}CD='{lad_code}'", "outFields": f"WD{yy}CD,WD{yy}NM,LAD{yy}CD",
             "returnGeometry": "false", "f": "json"}
    return f"{ONS_SERVICES}/WD{yy}_LAD{yy}_UK_LU/FeatureServer/0/query?{urlencode(query)}"


def ons_ward_boundaries_url(ward_codes: list[str], year: int, *, offset: int = 0) -> str:
    """Query URL for the generalised (BGC) boundaries of the given wards, as GeoJSON in WGS84."""
    yy = _ons_year(year)
    codes = ",".join(f"'{code}'" for code in ward_codes)
    query = {"where": f"WD{yy}CD IN ({codes})", "outFields": f"WD{yy}CD,WD{yy}NM", "outSR": "4326",
             "f": "geojson", "resultOffset": str(offset)}
    return f"{ONS_SERVICES}/Wards_December_{year}_Boundaries_UK_BGC/FeatureServer/0/query?{urlencode(query)}"


def ward_codes_from_ons_lookup(payload: dict, *, year: int, lad_code: str) -> list[str]:
    """Ward codes from a lookup query's JSON answer; raises DownloadError on an error or no wards."""
    _raise_for_arcgis_error(payload)
    column = f"WD{_ons_year(year)}CD"
    codes = sorted({feature["attributes"][column] for feature in payload.get("features", [])})
    if not codes:
        raise DownloadError(f"The ONS lookup lists no {year} wards for local authority {lad_code}. "
                            "Check the code (E06/E07/E08/E09...) and that the authority existed that year.")
    return codes


def wards_from_ons_geojson(payloads: list[dict], *, year: int) -> gpd.GeoDataFrame:
    """Wards from one or more pages of a boundaries query's GeoJSON answer."""
    features = []
    for payload in payloads:
        _raise_for_arcgis_error(payload)
        features.extend(payload.get("features", []))
    if not features:
        raise DownloadError(f"The ONS portal returned no {year} ward boundaries for that query.")
    raw = gpd.GeoDataFrame.from_features(features, crs="EPSG:4326")
    yy = _ons_year(year)
    return areas_from_frame(raw, source=f"ONS wards {year}", code_column=f"WD{yy}CD", name_column=f"WD{yy}NM")


def download_ons_wards(lad_code: str, year: int, *, timeout: float = 60) -> gpd.GeoDataFrame:
    """Download one local authority's ward boundaries for ``year`` (needs the internet)."""
    lookup = _get_json(ons_ward_lookup_url(lad_code, year), timeout)
    codes = ward_codes_from_ons_lookup(lookup, year=year, lad_code=lad_code)
    pages = [_get_json(ons_ward_boundaries_url(codes, year), timeout)]
    while pages[-1].get("properties", {}).get("exceededTransferLimit") or pages[-1].get("exceededTransferLimit"):
        offset = sum(len(page.get("features", [])) for page in pages)
        pages.append(_get_json(ons_ward_boundaries_url(codes, year, offset=offset), timeout))
    return wards_from_ons_geojson(pages, year=year)


def _column(frame: pd.DataFrame, chosen: str | None, pattern: re.Pattern, kind: str, source: str) -> str:
    columns = [c for c in frame.columns if c != frame.geometry.name]
    if chosen is not None:
        if chosen not in columns:
            raise BoundaryFileError(f"{source}: has no column {chosen!r}; its columns are {', '.join(columns)}.")
        return chosen
    matches = [c for c in columns if pattern.match(str(c))]
    if not matches:
        raise BoundaryFileError(
            f"{source}: no area {kind} column found among {', '.join(columns) or 'no columns'}. "
            f"Name it (for example WD23{'CD' if kind == 'code' else 'NM'}) or choose the {kind} column.")
    return matches[0]


def _check_polygons(areas: gpd.GeoDataFrame, source: str) -> None:
    kinds = areas.geometry.geom_type
    polygonal = kinds.isin(["Polygon", "MultiPolygon"]) & ~areas.geometry.is_empty
    if not polygonal.any():
        found = ", ".join(f"{kind} x{n}" for kind, n in kinds.fillna("no geometry").value_counts().items())
        raise BoundaryFileError(f"{source}: contains no polygons (found {found}). Load area boundaries, not points or lines.")
    if not polygonal.all():
        numbers = [int(i) + 1 for i in areas.index[~polygonal]][:10]
        raise BoundaryFileError(
            f"{source}: features {numbers} (numbered from 1 in file order) have no polygon geometry "
            f"(codes {list(areas.loc[~polygonal, 'area_code'])[:10]}). Remove them or fix their geometry.")


def _check_unique_codes(areas: gpd.GeoDataFrame, source: str, column: str) -> None:
    duplicated = areas["area_code"][areas["area_code"].duplicated(keep=False)]
    if len(duplicated):
        examples = {code: [int(i) + 1 for i in rows] for code, rows in duplicated.groupby(duplicated).groups.items()}
        shown = "; ".join(f"{code} at features {numbers}" for code, numbers in list(examples.items())[:5])
        raise BoundaryFileError(
            f"{source}: column {column} has {len(examples)} duplicated codes ({shown}). "
            "Each area must appear once: dissolve multi-part areas into one feature.")


def _polygonal_part_of_repair(geometry):
    repaired = shapely.make_valid(geometry)
    parts = [part for part in getattr(repaired, "geoms", [repaired]) if part.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts)


def _ons_year(year: int) -> str:
    if year not in ONS_WARD_YEARS:
        raise DownloadError(f"Ward boundaries for {year} are not available here; choose one of {ONS_WARD_YEARS}.")
    return f"{year % 100:02d}"


def _raise_for_arcgis_error(payload: dict) -> None:
    if "error" in payload:
        error = payload["error"]
        raise DownloadError(f"The ONS portal answered with error {error.get('code')}: {error.get('message')}.")


def _get_json(url: str, timeout: float) -> dict:
    try:
        response = requests.get(url, timeout=timeout)
        response.raise_for_status()
        return response.json()
    except (requests.RequestException, ValueError) as error:
        raise DownloadError(
            f"Could not download from the ONS Open Geography Portal ({error}). "
            "Check the internet connection, or load a boundary file instead.") from error
