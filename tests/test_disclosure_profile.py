"""The ward profile's trend chart and ranks as councillors and the public see them: every year's
point of a small count is hidden, with the rate that would give it back, in the chart's own data."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import streamlit as st
from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df
from streamlit.testing.v1 import AppTest

from hotspots import accounts, aggregation, disclosure, geography, profile, roles, views

PAGES = Path(__file__).resolve().parents[1] / "pages"


def _trend_shown(role: str, ward_code: str, measure: str):
    at = AppTest.from_file(str(PAGES / "ward_profile.py"), default_timeout=180)
    at.session_state["account"] = accounts.Account("tester", role)
    at.session_state["ward"] = ward_code
    at.session_state["trend_measure"] = measure
    at.run()
    assert not at.exception, at.exception
    chart = next(e.proto for e in at.main if getattr(e, "type", "") == "vega_lite_chart")
    frames = [convert_arrow_bytes_to_pandas_df(named.data.data) for named in chart.datasets]
    return next(frame for frame in frames if "financial_year" in frame and "label" in frame)


def _small_count_ward(dataset) -> tuple[str, object]:
    """A Thurrock ward with a police count of 1-4 in some year, and the true trend of its layers."""
    layers = views.layers_for(dataset, roles.role("councillor"))
    for ward_code in geography.wards("thurrock")["ward_code"]:
        trend = profile.ward_trend(dataset, ward_code, layers)
        if trend["count"].between(1, 4).any():
            return ward_code, trend
    pytest.fail("the demo has no Thurrock ward with a count of 1-4 in any year: nothing to protect")


@pytest.mark.parametrize("role", ["councillor", "public"])
@pytest.mark.parametrize("measure", ["count", "rate_per_1000"])
def test_the_trend_chart_holds_no_small_count_nor_its_rate(dataset, role, measure):
    st.cache_data.clear()
    ward_code, true = _small_count_ward(dataset)
    shown = _trend_shown(role, ward_code, measure)
    merged = true.merge(shown, on=["label", "financial_year"], suffixes=("_true", "_shown"))
    assert len(merged) == len(true)
    for layer_label, rows in merged.groupby("label"):
        key = next(k for k, layer in views.layers_for(dataset, roles.role(role)).items() if layer.label == layer_label)
        rule = disclosure.rule_of_layer(aggregation.resolve_layer(key))
        small = rows["count_true"].between(1, rule.smallest_shown - 1)
        for column in ("count", "rate_per_1000"):
            if f"{column}_shown" in rows:
                assert rows.loc[small, f"{column}_shown"].isna().all(), (layer_label, column)
        shown_counts = rows.loc[~small & rows["count_true"].notna(), "count_shown"]
        assert (shown_counts.isna() | shown_counts.eq(0) | shown_counts.ge(rule.smallest_shown)).all()
        assert (np.mod(shown_counts.dropna(), rule.rounding_base) == 0).all()  # health counts rounded to 5


def test_police_see_the_true_trend(dataset):
    st.cache_data.clear()
    ward_code, true = _small_count_ward(dataset)
    shown = _trend_shown("police", ward_code, "count")
    merged = true.merge(shown, on=["label", "financial_year"], suffixes=("_true", "_shown"))
    assert (merged["count_true"] == merged["count_shown"]).all()


def test_the_check_would_find_the_small_counts_with_suppression_switched_off(dataset, monkeypatch):
    st.cache_data.clear()
    monkeypatch.setattr(disclosure, "rule_for", lambda layer, role: disclosure.TRUE_VALUES)
    try:
        with pytest.raises(AssertionError):
            test_the_trend_chart_holds_no_small_count_nor_its_rate(dataset, "councillor", "count")
    finally:
        st.cache_data.clear()


def test_the_profile_charts_label_whole_counts_and_every_year(demo_dir):
    """As a councillor sees Orsett: whole-number count axes (not "0.000000") and every financial year labelled."""
    st.cache_data.clear()
    at = AppTest.from_file(str(PAGES / "ward_profile.py"), default_timeout=180)
    at.session_state["account"] = accounts.Account("tester", "councillor")
    at.session_state["ward"] = "E05002240"  # Orsett
    at.run()
    assert not at.exception, at.exception
    specs = [json.loads(e.proto.spec) for e in at.main if getattr(e, "type", "") == "vega_lite_chart"]
    trend = next(spec for spec in specs if "layer" in spec or spec["encoding"]["x"]["field"] == "year")
    months = next(spec for spec in specs if "layer" not in spec and spec["encoding"]["x"]["field"] == "month")
    for spec in (trend, months):
        encoding = (spec["layer"][0] if "layer" in spec else spec)["encoding"]
        assert encoding["y"]["axis"]["format"] == ",d" and encoding["y"]["axis"]["tickMinStep"] == 1
    x_axis = (trend["layer"][0] if "layer" in trend else trend)["encoding"]["x"]["axis"]
    assert x_axis["labelOverlap"] is False  # Vega's pruning left 2023/24 without a label
