"""Shared page set-up and cached loaders. The only place (with the pages) that imports streamlit."""

from __future__ import annotations

import geopandas as gpd
import streamlit as st

from hotspots import geography
from hotspots.loading import Dataset, load_demo_dataset

ALL_REGION = "All of Greater Essex"
DEFAULT_REGION = "Thurrock"


def page_setup(title: str) -> Dataset:
    """Title, the synthetic-data label, and the dataset every page reads."""
    dataset = cached_dataset()
    st.header(title, divider=False)
    if dataset.synthetic:
        st.warning("**SYNTHETIC demo data**: every record is generated, none is real.", icon=":material/science:")
    return dataset


@st.cache_resource(show_spinner="Loading the synthetic demo dataset...")
def cached_dataset() -> Dataset:
    return load_demo_dataset()


@st.cache_resource(show_spinner="Preparing ward boundaries...")
def cached_display_wards(lad_codes: tuple[str, ...]) -> gpd.GeoDataFrame:
    return geography.display_wards(list(lad_codes))


def region_options() -> list[str]:
    """Local authority names, then the whole region."""
    return sorted(geography.LOCAL_AUTHORITIES.values()) + [ALL_REGION]


def lad_codes_for_choice(choice: str) -> tuple[str, ...]:
    return tuple(geography.lad_codes_for_region(geography.GREATER_ESSEX if choice == ALL_REGION else choice))
