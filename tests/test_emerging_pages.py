"""The ward map's emerging hot spot layer and table, and the ward profile's categories and monthly trend,
per role on the synthetic demo (AppTest): police see them; councillors and the public get no category."""

from __future__ import annotations

import pytest
import streamlit as st
from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df
from streamlit.testing.v1 import AppTest

from hotspots import emerging_hotspots, geography, views
from signed_in import page_alone

EVENT_LAYERS = {"violence-with-injury", "weapons-possession", "ambulance-all", "ambulance-knife"}  # the demo's


def _maps(at: AppTest) -> list[str]:
    return [e.proto.srcdoc for e in at.main if getattr(e, "type", "") == "iframe" and "leaflet" in e.proto.srcdoc]


def _charts(at: AppTest) -> list:
    frames = []
    for element in at.main:
        if getattr(element, "type", "") == "vega_lite_chart":
            frames += [convert_arrow_bytes_to_pandas_df(named.data.data) for named in element.proto.datasets]
    return frames


def test_police_see_the_emerging_layer_and_its_table_on_the_ward_map(dataset):
    st.cache_data.clear()
    at = page_alone("ward_map.py", "police", timeout=240, emerging=True)
    assert at.sidebar.checkbox(key="emerging").value
    assert not at.sidebar.checkbox(key="fdr").disabled  # the false discovery rate applies to each year's Gi*
    maps = _maps(at)
    assert len(maps) == 2 and "Emerging hot spot" in maps[1]
    table = next(frame.value for frame in at.dataframe if "category" in frame.value.columns)
    thurrock = set(geography.wards("thurrock")["ward_name"])
    assert set(table["ward_name"]) <= thurrock and len(table) >= len(thurrock) - 1  # every Thurrock ward tested
    assert set(table["category"]) <= set(emerging_hotspots.CATEGORIES)
    assert all(category in maps[1] for category in set(table["category"]))  # the legend, in words
    assert any(m.value.startswith("**Emerging hot spots**") for m in at.markdown)


@pytest.mark.parametrize("role", ["councillor", "public"])
def test_suppressed_roles_get_no_emerging_hot_spots_on_the_ward_map(dataset, role):
    st.cache_data.clear()
    at = page_alone("ward_map.py", role, timeout=240, emerging=True)  # even asked for through the session
    assert not [box for box in at.sidebar.checkbox if box.key == "emerging"]
    assert len(_maps(at)) == 1 and not any("category" in frame.value.columns for frame in at.dataframe)
    assert any(views.NO_HOTSPOTS_REASON in caption.value for caption in at.sidebar.caption)


def test_police_see_each_layers_category_and_a_monthly_trend_of_each_event_layer(dataset):
    st.cache_data.clear()
    at = page_alone("ward_profile.py", "police", timeout=240)
    lines = [m.value for m in at.markdown if m.value.startswith("- ")]
    assert len(lines) == len(EVENT_LAYERS)
    assert all(any(f"**{category}**" in line for category in emerging_hotspots.CATEGORIES) for line in lines)
    assert all("Among the wards of Thurrock" in line for line in lines)
    months = next(frame for frame in _charts(at) if "month" in frame)
    assert set(months["layer"]) == EVENT_LAYERS
    per_layer = months.groupby("layer")["count"].count()
    assert (per_layer >= 12).all(), per_layer  # at least a year of months each
    assert any("Months a source does not cover are gaps" in caption.value for caption in at.caption)


@pytest.mark.parametrize("role", ["councillor", "public"])
def test_suppressed_roles_get_no_category_in_the_ward_profile(dataset, role):
    st.cache_data.clear()
    at = page_alone("ward_profile.py", role, timeout=240)
    assert not [m.value for m in at.markdown if m.value.startswith("- ")]
    assert any(views.NO_HOTSPOTS_REASON in caption.value for caption in at.caption)
