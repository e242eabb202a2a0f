"""Derive the LSOA (2011) to ward (2013 vintage) lookup for Greater Essex.

Reads the ONS generalised reference boundaries (one GeoJSON per local authority) and assigns each
LSOA to the ward holding the largest share of its area. Writes codes and names only; no geometry
is copied. Run from the repository root::

    python geo/build_lookup.py --reference ../shared/geo/greater-essex --out geo/lsoa11_ward13_lookup.csv
"""

from __future__ import annotations

import argparse
from pathlib import Path

import geopandas as gpd
import pandas as pd

BNG = "EPSG:27700"


def _read_folder(folder: Path) -> gpd.GeoDataFrame:
    frames = [gpd.read_file(path).assign(lad_code=path.stem) for path in sorted(folder.glob("*.geojson"))]
    if not frames:
        raise SystemExit(f"no .geojson files in {folder}")
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True)).to_crs(BNG)


def lsoa_ward_lookup(reference: Path) -> pd.DataFrame:
    """Best-fit lookup: each LSOA to the ward with the largest intersection area."""
    wards = _read_folder(reference / "wards-2013")
    lsoas = _read_folder(reference / "lsoa-2011")
    pieces = gpd.overlay(
        lsoas[["LSOA11CD", "LSOA11NM", "geometry"]],
        wards[["WD13CD", "WD13NM", "lad_code", "geometry"]],
        how="intersection",
        keep_geom_type=True,
    )
    pieces["overlap_m2"] = pieces.area
    best = pieces.sort_values(["LSOA11CD", "overlap_m2"]).drop_duplicates("LSOA11CD", keep="last")
    missing = set(lsoas["LSOA11CD"]) - set(best["LSOA11CD"])
    if missing:
        raise SystemExit(f"{len(missing)} LSOAs overlap no ward, e.g. {sorted(missing)[:5]}")
    lookup = best.rename(
        columns={"LSOA11CD": "lsoa_code", "LSOA11NM": "lsoa_name", "WD13CD": "ward_code", "WD13NM": "ward_name"}
    )
    return lookup[["lsoa_code", "lsoa_name", "ward_code", "ward_name", "lad_code"]].sort_values("lsoa_code")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=Path, default=Path("../shared/geo/greater-essex"))
    parser.add_argument("--out", type=Path, default=Path("geo/lsoa11_ward13_lookup.csv"))
    args = parser.parse_args()
    lookup = lsoa_ward_lookup(args.reference)
    lookup.to_csv(args.out, index=False, lineterminator="\n")
    print(f"wrote {len(lookup)} LSOAs in {lookup['ward_code'].nunique()} wards to {args.out}")


if __name__ == "__main__":
    main()
