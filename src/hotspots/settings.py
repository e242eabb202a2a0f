"""Settings read by the package at call time.

Change a value by assignment (``hotspots.settings.SEED = 7``); functions read
``settings.X`` when they run, so the change takes effect at once.

ANALYSIS_CRS : str
    British National Grid (``"EPSG:27700"``): every area and distance is computed in it.
DISPLAY_CRS : str
    WGS84 (``"EPSG:4326"``): what web maps are drawn in.
DISPLAY_SIMPLIFY_METRES : float
    Tolerance for simplifying shared ward edges once for display (default 40 m).
DISPLAY_COORDINATE_DECIMALS : int
    Decimal places kept in display coordinates (5 places is about 1 m).
CACHE_DIR : pathlib.Path
    Where derived geography is cached (``$HOTSPOTS_CACHE``, default ``~/.cache/ward-hotspots``).
DEMO_DIR : pathlib.Path
    Folder of the synthetic demo dataset (``$HOTSPOTS_DEMO_DIR``, default ``data/demo`` in the
    repository).
STORE_DIR : pathlib.Path
    Default data store folder when ``$HOTSPOTS_STORE`` is not set (``~/.local/share/ward-hotspots/store``).
BASEMAP : bool
    Whether maps open with street tiles, the only outside address the dashboard asks for
    (``$HOTSPOTS_BASEMAP``: ``off`` for a closed network; default on). Users can switch them per session.
SEED : int
    Seed for the demo generator and for permutation inference.
FIRST_DEMO_YEAR, LAST_DEMO_YEAR : int
    Start years of the first and last financial years of the demo data (2014 is 2014/15).
"""

from __future__ import annotations

import os
from pathlib import Path

ANALYSIS_CRS = "EPSG:27700"
DISPLAY_CRS = "EPSG:4326"
DISPLAY_SIMPLIFY_METRES = 40.0
DISPLAY_COORDINATE_DECIMALS = 5

REPO_ROOT = Path(__file__).resolve().parents[2]
CACHE_DIR = Path(os.environ.get("HOTSPOTS_CACHE", Path.home() / ".cache" / "ward-hotspots"))
DEMO_DIR = Path(os.environ.get("HOTSPOTS_DEMO_DIR", REPO_ROOT / "data" / "demo"))
STORE_DIR = Path.home() / ".local" / "share" / "ward-hotspots" / "store"
LOOKUP_PATH = REPO_ROOT / "geo" / "lsoa11_ward13_lookup.csv"
BASEMAP = os.environ.get("HOTSPOTS_BASEMAP", "on").strip().lower() not in ("off", "no", "false", "0")

SEED = 20201
FIRST_DEMO_YEAR = 2014
LAST_DEMO_YEAR = 2023
