"""Read the synthetic demo dataset into the package's tables.

``events``: one row per incident, columns ``source`` (police, ambulance), ``category``,
``date``, ``financial_year`` (start year), ``easting``, ``northing`` (EPSG:27700),
``ward_code``, ``lsoa_code``, ``age_band``, ``domestic`` (True/False/NA).
``nominals``: ``nominal_id, gang, home_postcode, date_added, date_removed, easting, northing,
ward_code``. ``population``: ``ward_code, financial_year, population_10_24``.
``deprivation``: ``ward_code, imd_score``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from hotspots import demo, geography, postcodes, settings
from hotspots.periods import financial_year_of

AGE_BAND_EDGES = [0, 10, 18, 25, 35, 50, 65, 200]
AGE_BANDS = ["0-9", "10-17", "18-24", "25-34", "35-49", "50-64", "65+"]


@dataclass(frozen=True)
class Dataset:
    """Tables the maps and forecasts read; ``synthetic`` is True for the demo data."""

    events: pd.DataFrame
    nominals: pd.DataFrame
    population: pd.DataFrame
    deprivation: pd.DataFrame
    synthetic: bool


def load_demo_dataset(demo_dir: Path | None = None) -> Dataset:
    """The synthetic demo dataset, built first (offline, seeded) if its files are missing."""
    demo_dir = Path(demo_dir or settings.DEMO_DIR)
    paths = {key: demo_dir / name for key, name in demo.DEMO_FILES.items()}
    if not all(path.exists() for path in paths.values()):
        demo.build_demo(demo_dir)
    read = {key: pd.read_csv(path, comment="#", dtype={"ward_code": str, "lsoa_code": str}, keep_default_na=False,
                             na_values=[""]) for key, path in paths.items()}
    events = pd.concat([_police_events(read["police"]), _ambulance_events(read["ambulance"])], ignore_index=True)
    population = read["population"][["ward_code", "mid_year", "population_10_24"]].rename(
        columns={"mid_year": "financial_year"})
    return Dataset(events=events, nominals=_place_nominals(read["nominals"]), population=population,
                   deprivation=read["deprivation"][["ward_code", "imd_score"]], synthetic=True)


def age_band(ages: pd.Series) -> pd.Series:
    """Whole years of age to the bands police extracts use (``10-17``, ``18-24``, ...)."""
    return pd.cut(ages, AGE_BAND_EDGES, right=False, labels=AGE_BANDS).astype(str)


def _police_events(records: pd.DataFrame) -> pd.DataFrame:
    domestic = records["domestic"].map({"Y": True, "N": False}).astype("boolean")
    return _canonical_events(records, "police", records["offence_group"], records["offence_date"],
                             records["victim_age_band"], domestic)


def _ambulance_events(calls: pd.DataFrame) -> pd.DataFrame:
    domestic = pd.array([pd.NA] * len(calls), dtype="boolean")
    return _canonical_events(calls, "ambulance", calls["injury_category"], calls["incident_date"],
                             age_band(calls["patient_age"]), domestic)


def _canonical_events(rows: pd.DataFrame, source: str, category: pd.Series, dates: pd.Series,
                      age_bands: pd.Series, domestic) -> pd.DataFrame:
    return pd.DataFrame({
        "source": source, "category": category, "date": pd.to_datetime(dates),
        "financial_year": financial_year_of(dates),
        "easting": rows["easting"], "northing": rows["northing"],
        "ward_code": rows["ward_code"], "lsoa_code": rows["lsoa_code"],
        "age_band": age_bands, "domestic": domestic,
    })


def _place_nominals(register: pd.DataFrame) -> pd.DataFrame:
    """Home postcode to point (offline) to built-in ward."""
    points = postcodes.postcode_points(register["home_postcode"])
    placed = register.assign(easting=points["easting"], northing=points["northing"],
                             date_added=pd.to_datetime(register["date_added"]),
                             date_removed=pd.to_datetime(register["date_removed"]))
    located = placed.dropna(subset=["easting"])
    in_wards = gpd.sjoin(
        gpd.GeoDataFrame(located, geometry=gpd.points_from_xy(located["easting"], located["northing"]),
                         crs=settings.ANALYSIS_CRS),
        geography.wards()[["ward_code", "geometry"]], predicate="within", how="left")
    in_wards = in_wards[~in_wards.index.duplicated()]
    placed["ward_code"] = in_wards["ward_code"].reindex(placed.index)
    return placed
