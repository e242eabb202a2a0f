"""A store whose every string from a user's file is a payload: Markdown and HTML that would fetch or
link PAYLOAD_HOST if a page rendered it (the browser and AppTest hostile-string tests share it)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from hotspots import geography, importing

ROOT = Path(__file__).resolve().parents[1]
PAYLOAD_HOST = "198.51.100.7"  # TEST-NET-2 (RFC 5737): documentation only, nothing answers there
# The force extract's years: enough for the tasking windows and the locality ranking, few enough to import fast.
POLICE_FROM = "2019-04-01"


def payload(tag: str) -> str:
    """Markdown and HTML that would create an element fetching or linking PAYLOAD_HOST if rendered."""
    url = f"http://{PAYLOAD_HOST}/{tag}"
    return (f"![{tag}]({url}.png) <img src={url}-img.png onerror=alert(1)> [{tag}]({url}-link) {url}-bare "
            f"<a href={url}-a>a</a> <script src={url}.js></script> :red[{tag}] **{tag}** `{tag}` $${tag}$$")


#: The people list's groups, as payloads (the locality page labels a measure by each group).
PEOPLE_GROUPS = {"offender known to youth justice": payload("group-offender"), "perpetrator": payload("group-perp"),
                 "victim of violence": payload("group-victim")}


def payload_store(store_dir: Path, work: Path, demo_dir: Path) -> None:
    """A store whose layer names, gang names, people's groups, file names, ward names, crime types,
    labels and importing user are payloads: the demo's population and deprivation (for rates), its
    force extract for Thurrock (exact points, for the tasking page) with two rows naming a payload
    ward, and its people list (for the locality page) with payload groups."""
    samples = ROOT / "data" / "samples"
    work.mkdir(parents=True, exist_ok=True)
    thurrock = geography.wards("thurrock")["ward_code"].tolist()
    counts = pd.DataFrame([(code, f"{year}/{str(year + 1)[2:]}", (i + year) % 4)
                           for i, code in enumerate(thurrock) for year in range(2019, 2023)],
                          columns=["area_code", "period", "count"])
    counts.to_csv(work / "counts.csv", index=False)
    nominals = pd.read_csv(samples / "synthetic_gang_nominals.csv", comment="#", dtype=str, keep_default_na=False)
    nominals["Gang"] = [payload(f"gang{i % 2}") for i in range(len(nominals))]
    nominals.to_csv(work / "nominals.csv", index=False)
    police = pd.read_csv(demo_dir / "synthetic_police_recorded_crime.csv", comment="#", dtype=str,
                         keep_default_na=False)
    police = police[police["ward_code"].isin(thurrock) & police["offence_date"].ge(POLICE_FROM)]
    typed_ward = police.head(2).assign(record_id=["P1", "P2"], easting="", northing="", lsoa_code="",
                                       ward_code=payload("ward"))
    pd.concat([police, typed_ward]).to_csv(work / "police.csv", index=False)
    people = pd.read_csv(demo_dir / "synthetic_people_by_home.csv", comment="#", dtype=str, keep_default_na=False)
    people["group"] = people["group"].map(PEOPLE_GROUPS)
    people.to_csv(work / "people.csv", index=False)
    street = pd.read_csv(samples / "synthetic_police_uk_street.csv", comment="#", dtype=str, keep_default_na=False)
    street[["Crime type", "Location", "LSOA name"]] = [payload("crime"), payload("location"), payload("lsoa")]
    street.to_csv(work / "street.csv", index=False)
    for source, name in (("population", "synthetic_population_10_24.csv"), ("deprivation", "synthetic_deprivation.csv")):
        importing.import_file(store_dir, demo_dir / name, source)
    for source, file, extra in (("counts", "counts.csv", {"layer": payload("layer")}), ("nominals", "nominals.csv", {}),
                                ("police", "police.csv", {"accept_rejects": True}), ("police-uk", "street.csv", {}),
                                ("people", "people.csv", {})):
        importing.import_file(store_dir, work / file, source, name=payload(f"file-{source}") + ".csv",
                              user=payload("user"), **extra)
