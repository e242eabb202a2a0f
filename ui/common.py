"""Shared page set-up and cached loaders. The only place (with the pages) that imports streamlit."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import streamlit as st

from hotspots import geography, loading, store
from hotspots.loading import Dataset

ALL_REGION = "All of Greater Essex"
DEFAULT_REGION = "Thurrock"


def page_setup(title: str) -> Dataset:
    """Title, the synthetic-data label, and the dataset every page reads."""
    source = current_source()
    dataset = cached_dataset(*source)
    st.header(title, divider=False)
    if dataset.synthetic:
        st.warning("**SYNTHETIC demo data**: every record is generated, none is real.", icon=":material/science:")
    if Path(source[0]) == loading.demo_store():
        st.caption("No datasets of your own are loaded yet, so the maps show the synthetic demo. "
                   "Import your extracts on the Data page.")
    return dataset


def current_source() -> tuple[str, tuple]:
    """``(store path, store version)``: pass it to cached functions so a new import refreshes them."""
    source = data_store()
    return str(source), store.store_version(source)


def data_store() -> Path:
    """The user's store when it holds any dataset; otherwise the demo store (imported on first use)."""
    user_store = store.default_store()
    if len(store.list_datasets(user_store)):
        return user_store
    demo = loading.demo_store()
    if not len(store.list_datasets(demo)):
        with st.spinner("Importing the synthetic demo dataset (first run only)..."):
            loading.load_demo_into(demo)
    return demo


@st.cache_resource(show_spinner="Loading data...", max_entries=2)
def cached_dataset(store_path: str, version: tuple) -> Dataset:
    """The store's tables; ``version`` changes when the store does, so a new import is picked up."""
    return loading.load_dataset(Path(store_path))


@st.cache_resource(show_spinner="Preparing ward boundaries...")
def cached_display_wards(lad_codes: tuple[str, ...]) -> gpd.GeoDataFrame:
    return geography.display_wards(list(lad_codes))


def region_options() -> list[str]:
    """Local authority names, then the whole region."""
    return sorted(geography.LOCAL_AUTHORITIES.values()) + [ALL_REGION]


def lad_codes_for_choice(choice: str) -> tuple[str, ...]:
    return tuple(geography.lad_codes_for_region(geography.GREATER_ESSEX if choice == ALL_REGION else choice))
