"""Shared fixtures: a private geography cache, one demo build per session, reference boundaries."""

from __future__ import annotations

import glob
import os
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from hotspots import demo, loading, settings

REFERENCE = Path(__file__).resolve().parents[1].parent / "shared" / "geo" / "greater-essex"


@pytest.fixture(scope="session", autouse=True)
def private_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    settings.CACHE_DIR = tmp_path_factory.mktemp("cache")
    return settings.CACHE_DIR


@pytest.fixture(scope="session", autouse=True)
def empty_user_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Tests never touch the real store: ``$HOTSPOTS_STORE`` points at an empty folder."""
    folder = tmp_path_factory.mktemp("user-store")
    os.environ["HOTSPOTS_STORE"] = str(folder)
    return folder


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The synthetic demo dataset, built once for the session; pages read it through settings."""
    folder = tmp_path_factory.mktemp("demo")
    demo.build_demo(folder)
    settings.DEMO_DIR = folder
    return folder


@pytest.fixture(scope="module")
def dataset(demo_dir):
    """The synthetic demo's tables, as the pages read them (imported into the demo store if needed)."""
    store = loading.demo_store()
    if not len(loading.load_dataset(store).events):
        loading.load_demo_into(store)
    return loading.load_dataset(store)


def _reference(level: str) -> gpd.GeoDataFrame:
    files = sorted(glob.glob(str(REFERENCE / level / "*.geojson")))
    if not files:
        pytest.fail(f"reference boundaries not found under {REFERENCE / level}: tests need ../shared beside the repo")
    frames = [gpd.read_file(f).assign(lad_code=Path(f).stem) for f in files]
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True)).to_crs(settings.ANALYSIS_CRS)


@pytest.fixture(scope="session")
def reference_wards() -> gpd.GeoDataFrame:
    return _reference("wards-2013")


@pytest.fixture(scope="session")
def reference_lsoas() -> gpd.GeoDataFrame:
    return _reference("lsoa-2011")
