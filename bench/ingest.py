"""Import speed and memory: 1,000,000 police.uk street-level rows over Greater Essex.

Run: .venv/bin/python bench/ingest.py [--rows N] [--runs K]
Writes a SYNTHETIC file in the published police.uk column layout (crimes snapped to 40,000
anonymous map points as police.uk does; 1% of rows without a location), then, each in a fresh
process so that peak memory is its own:
  1. a plain ``pandas.read_csv`` of the file (the baseline);
  2. ``hotspots import --source police-uk`` into an empty store (hash, validate, place, write, keep original);
     then, outside the timed import, the stored events are read back into pandas, as the dashboard does.
Each is run ``--runs`` times, alternating, and the medians are compared (timings here vary by a
fifth between runs). Every run starts alike: pending disk writes flushed, and the last run's store
deleted (kept, each run's 300 MB of new files would sit on memory the next run's writes can't reuse:
on this virtual machine that alone made later imports 10-20% slower).
Prints rows per second, peak memory and the import/read ratio.
Targets: >= 250,000 rows/s end to end, peak memory < 2 GB, import <= 4x the plain read.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from pyproj import Transformer

from hotspots import geography

CRIME_TYPES = ["Violence and sexual offences", "Anti-social behaviour", "Public order", "Criminal damage and arson",
               "Shoplifting", "Other theft", "Vehicle crime", "Burglary", "Drugs", "Possession of weapons",
               "Robbery", "Theft from the person", "Bicycle theft", "Other crime"]
MAP_POINTS = 40_000
OUTCOMES = ["Investigation complete; no suspect identified", "Unable to prosecute suspect", "Under investigation",
            "Awaiting court outcome", "Offender given a caution", ""]

CHILD = """
import json, sys, time
from pathlib import Path
import pandas as pd
from hotspots import importing, store


def peak_mb():
    # VmHWM, not ru_maxrss: the latter carries the parent's high-water mark across fork and exec.
    return int(next(l for l in open("/proc/self/status") if l.startswith("VmHWM")).split()[1]) / 1024


t = time.perf_counter()  # after the imports: module loading is not part of either operation
if sys.argv[1] == "read_csv":
    rows = len(pd.read_csv(sys.argv[2]))
    print(json.dumps({"seconds": time.perf_counter() - t, "rows": rows, "peak_mb": peak_mb()}))
else:
    importing.import_file(Path(sys.argv[3]), Path(sys.argv[2]), "police-uk")
    seconds = time.perf_counter() - t  # the import is done: reading back the inventory is not part of it
    rows = int(store.list_datasets(Path(sys.argv[3]))["rows_accepted"].iloc[0])
    print(json.dumps({"seconds": seconds, "rows": rows, "peak_mb": peak_mb()}))
    started = time.perf_counter()
    read_back = len(store.read_table(Path(sys.argv[3]), "events"))  # what the dashboard pays to load them
    print(json.dumps({"read_back_seconds": time.perf_counter() - started, "read_back_rows": read_back}))
"""


def police_uk_rows(n: int, seed: int = 0) -> pd.DataFrame:
    """``n`` SYNTHETIC rows in police.uk's street-level layout, spread over Greater Essex LSOAs."""
    rng = np.random.default_rng(seed)
    lsoas = geography.lsoas()
    # police.uk moves each crime to one of a fixed set of anonymous map points (street centres);
    # model that with MAP_POINTS points scattered round the LSOAs' centres.
    centres = lsoas.geometry.representative_point()
    point_lsoa = rng.integers(0, len(lsoas), MAP_POINTS)
    point_x = centres.x.to_numpy()[point_lsoa] + rng.normal(0, 60, MAP_POINTS)
    point_y = centres.y.to_numpy()[point_lsoa] + rng.normal(0, 60, MAP_POINTS)
    point_lon, point_lat = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True).transform(point_x, point_y)
    chosen = rng.integers(0, MAP_POINTS, n)
    pick = point_lsoa[chosen]
    lon, lat = point_lon[chosen], point_lat[chosen]
    crime_type = np.array(CRIME_TYPES)[rng.integers(0, len(CRIME_TYPES), n)]
    ids = np.array([f"{i:064x}" for i in rng.integers(0, 2**62, n)])
    ids[crime_type == "Anti-social behaviour"] = ""
    lsoa_code, lsoa_name = lsoas["lsoa_code"].to_numpy()[pick], lsoas["lsoa_name"].to_numpy()[pick]
    no_location = rng.random(n) < 0.01
    lon_text = np.char.mod("%.6f", lon).astype(object)
    lat_text = np.char.mod("%.6f", lat).astype(object)
    for column in (lon_text, lat_text, lsoa_code, lsoa_name):
        column[no_location] = ""
    months = np.array([f"{y}-{m:02d}" for y in range(2019, 2024) for m in range(1, 13)])
    return pd.DataFrame({
        "Crime ID": ids, "Month": months[rng.integers(0, len(months), n)], "Reported by": "Essex Police",
        "Falls within": "Essex Police", "Longitude": lon_text, "Latitude": lat_text,
        "Location": "On or near " + pd.Series(rng.integers(1, 5000, n)).astype(str) + " Street",
        "LSOA code": lsoa_code, "LSOA name": lsoa_name, "Crime type": crime_type,
        "Last outcome category": np.array(OUTCOMES)[rng.integers(0, len(OUTCOMES), n)], "Context": "",
    })


def _child(*args: str) -> dict:
    os.sync()  # the last run's files reach the disk first, so its write-back is not timed in this run
    done = subprocess.run([sys.executable, "-c", CHILD, *args], capture_output=True, text=True, check=True)
    figures = {}
    for line in done.stdout.strip().splitlines():
        figures.update(json.loads(line))
    return figures


def _median_run(runs: list[dict]) -> dict:
    """The median time, the highest peak memory and the rows of the runs."""
    seconds = sorted(r["seconds"] for r in runs)[len(runs) // 2]
    middle = next(r for r in runs if r["seconds"] == seconds)
    return {**middle, "peak_mb": max(r["peak_mb"] for r in runs)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5, help="runs of each, alternating; medians are compared")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "2019-01-2023-12-essex-street.csv"
        started = time.perf_counter()
        police_uk_rows(args.rows).to_csv(path, index=False)
        print(f"wrote {args.rows:,} SYNTHETIC police.uk rows ({path.stat().st_size / 1e6:.0f} MB) "
              f"in {time.perf_counter() - started:.1f} s")
        plains, imports = [], []
        for run in range(args.runs):
            plains.append(_child("read_csv", str(path)))
            run_store = Path(folder) / f"store-{run}"
            imports.append(_child("import", str(path), str(run_store)))
            shutil.rmtree(run_store)  # each run starts with the same files on disk (and 9 runs need no 3 GB)
    plain, imported = _median_run(plains), _median_run(imports)
    if args.runs > 1:
        print("runs (s): read_csv " + ", ".join(f"{r['seconds']:.2f}" for r in plains)
              + "; import " + ", ".join(f"{r['seconds']:.2f}" for r in imports))
    rate = args.rows / imported["seconds"]
    ratio = imported["seconds"] / plain["seconds"]
    print(f"pandas.read_csv (baseline): {plain['seconds']:.2f} s, peak {plain['peak_mb']:.0f} MB")
    print(f"hotspots import:            {imported['seconds']:.2f} s, peak {imported['peak_mb']:.0f} MB, "
          f"{imported['rows']:,} rows stored")
    if "read_back_seconds" in imported:
        print(f"stored events read back into pandas (store.read_table): {imported['read_back_seconds']:.2f} s "
              f"for {imported['read_back_rows']:,} rows")
    print(f"rows per second: {rate:,.0f} (target >= 250,000) {'OK' if rate >= 250_000 else 'MISSED'}")
    print(f"peak memory: {imported['peak_mb']:,.0f} MB (target < 2,048) {'OK' if imported['peak_mb'] < 2048 else 'MISSED'}")
    print(f"import / read_csv: {ratio:.2f}x (target <= 4x) {'OK' if ratio <= 4 else 'MISSED'}")


if __name__ == "__main__":
    main()
