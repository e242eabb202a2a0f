"""The tables the maps and forecasts read, assembled from a store (see docs/data-model.md).

``events``: placed incidents, columns ``source`` (police-uk, police, ambulance), ``category``, ``date``,
``time_of_day`` (``HH:MM``, empty where the source gave none), ``financial_year`` (start year),
``easting``, ``northing`` (EPSG:27700), ``ward_code``, ``lsoa_code``, ``age_band``, ``domestic``
(True/False/NA), ``dataset_id``.
``nominals``: ``nominal_id, gang, home_postcode, date_added, date_removed, easting, northing,
ward_code, lsoa_code``. ``population``: ``ward_code, financial_year, population_10_24``.
``deprivation``: ``ward_code, imd_score``. ``counts``: count tables users imported as aggregates,
``layer, area_code, financial_year, count, dataset_id``. ``coverage``: the months each source covers.
``people``: people known to services by home ward (restricted, like the register), ``person_id, group,
home_postcode, date, financial_year, easting, northing, ward_code, lsoa_code, dataset_id``, one row per
person, group and financial year (a person listed twice in one year counts once).

The synthetic demo is imported into its own store by the same path as any user's file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from hotspots import demo, geography, importing, roles, settings, store


NOMINAL_IDENTITIES = ("nominal_id", "home_postcode", "easting", "northing")
PEOPLE_IDENTITIES = ("person_id", "home_postcode", "easting", "northing")
EVENT_LOCATIONS = ("easting", "northing")


@dataclass(frozen=True)
class Dataset:
    """Tables the maps and forecasts read; ``synthetic`` is True when all of it is synthetic, and
    ``synthetic_datasets`` holds the ids of the datasets that are (so that a layer can say whether it is)."""

    events: pd.DataFrame
    nominals: pd.DataFrame
    population: pd.DataFrame
    deprivation: pd.DataFrame
    synthetic: bool
    counts: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["layer", "area_code", "financial_year", "count", "dataset_id"]))
    synthetic_datasets: frozenset[int] = frozenset()
    #: ``source, force, month``: every month the stored datasets cover (see ``coverage``); count
    #: tables' whole years are source ``counts`` with the layer as force, at each year's April.
    coverage: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["source", "force", "month"]))
    #: People known to services by home ward (restricted like the register; see ``people_by_home``).
    people: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["group", "financial_year", "ward_code", "dataset_id"]))


def load_dataset(store_dir: Path, access: roles.DataAccess | None = None) -> Dataset:
    """Everything in a store, placed rows only; a later population or deprivation import wins.

    With ``access`` (a role's, see ``roles.Role.data_access``) only what it allows is read: no
    nominal register without ``nominal_rows`` (an empty table), no nominal ids, postcodes or
    coordinates without ``nominal_identities``, no event coordinates without ``event_locations``.
    The list of people by home area is restricted like the register: read with ``nominal_rows``,
    its ids, postcodes and points with ``nominal_identities``."""
    events = store.read_table(store_dir, "events", "ward_code IS NOT NULL")
    events["date"] = pd.to_datetime(events["date"])
    events["domestic"] = events["domestic"].astype("boolean")
    if "time_of_day" not in events:  # stored before times of day were kept
        events["time_of_day"] = pd.Series(None, index=events.index, dtype="str")
    nominals = store.read_table(store_dir, "nominals",
                                "ward_code IS NOT NULL" if access is None or access.nominal_rows else "FALSE")
    if access is not None and not access.nominal_identities:
        nominals = nominals.drop(columns=list(NOMINAL_IDENTITIES))
    if access is not None and not access.event_locations:
        events = events.drop(columns=list(EVENT_LOCATIONS))
    for column in ("date_added", "date_removed"):
        nominals[column] = pd.to_datetime(nominals[column])
    population = (store.read_table(store_dir, "population").sort_values("dataset_id")
                  .drop_duplicates(["ward_code", "financial_year"], keep="last")
                  [["ward_code", "financial_year", "population_10_24"]].reset_index(drop=True))
    inventory = store.list_datasets(store_dir)
    return Dataset(events=events, nominals=nominals, population=population,
                   deprivation=ward_deprivation(store.read_table(store_dir, "deprivation")),
                   synthetic=bool(len(inventory)) and bool(inventory["synthetic"].all()),
                   counts=store.read_table(store_dir, "counts")[["layer", "area_code", "financial_year", "count",
                                                                  "dataset_id"]],
                   synthetic_datasets=frozenset(int(i) for i in inventory.loc[inventory["synthetic"], "dataset_id"]),
                   coverage=store.covered_months(store_dir)[["source", "force", "month"]],
                   people=people_by_home(store_dir, access))


def people_by_home(store_dir: Path, access: roles.DataAccess | None = None) -> pd.DataFrame:
    """The placed people of every list, one row per person, group and financial year (a person
    listed twice in a year, or in two lists, counts once), as ``access`` allows: none without
    ``nominal_rows``; no ids, postcodes or points without ``nominal_identities``."""
    people = store.read_table(store_dir, "people",
                              "ward_code IS NOT NULL" if access is None or access.nominal_rows else "FALSE")
    people = (people.sort_values("dataset_id", kind="stable")
              .drop_duplicates(["person_id", "group", "financial_year"], keep="last"))
    people["date"] = pd.to_datetime(people["date"])
    if access is not None and not access.nominal_identities:
        people = people.drop(columns=list(PEOPLE_IDENTITIES))
    return people.reset_index(drop=True)


def ward_deprivation(rows: pd.DataFrame) -> pd.DataFrame:
    """``ward_code, imd_score`` from the latest deprivation import; LSOA scores averaged per ward."""
    if rows.empty:
        return pd.DataFrame({"ward_code": pd.Series(dtype="str"), "imd_score": pd.Series(dtype="float64")})
    latest = rows[rows["dataset_id"].eq(rows["dataset_id"].max())]
    ward_of = geography.lsoa_lookup().set_index("lsoa_code")["ward_code"]
    ward = latest["area_code"].where(latest["area_level"].eq("ward"), latest["area_code"].map(ward_of))
    return (latest.assign(ward_code=ward).groupby("ward_code", as_index=False)["imd_score"].mean())


def demo_store() -> Path:
    """Where the synthetic demo is imported: a store of its own, beside the geography cache."""
    return settings.CACHE_DIR / "demo-store"


def load_demo_into(store_dir: Path, demo_dir: Path | None = None) -> list[int]:
    """Build the demo files if missing and import those not yet in ``store_dir``; returns new dataset ids."""
    demo_dir = Path(demo_dir or settings.DEMO_DIR)
    paths = {key: demo_dir / name for key, name in demo.DEMO_FILES.items()}
    if not all(path.exists() for path in paths.values()):
        demo.build_demo(demo_dir)
    added = []
    for key, path in paths.items():
        sha256 = importing.file_hash(path)
        if store.find_by_hash(store_dir, sha256) is None:  # demo keys are reader names
            added.append(importing.import_file(store_dir, path, key, user="hotspots demo"))
    return added


def load_demo_dataset(demo_dir: Path | None = None) -> Dataset:
    """The synthetic demo dataset, imported into the demo store first if needed."""
    load_demo_into(demo_store(), demo_dir)
    return load_dataset(demo_store())
