"""The Forecast page on the synthetic demo: the best model, its paired difference from the rule,
the calibration chart with its diagonal, expected counts and the report beside us (AppTest);
and what a suppressed role does not get."""

from __future__ import annotations

import json
import re

import pyarrow as pa
import pytest
import streamlit as st

from tests.shown_text import shown
from tests.signed_in import dashboard


def _forecast_page(role: str):
    st.cache_data.clear()
    at = dashboard(role, 300)
    at.switch_page("pages/forecast.py")
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.fixture(scope="module")
def police_page(demo_dir):
    return _forecast_page("police")


def _frames_with(at, column: str):
    return [frame.value for frame in at.dataframe if column in frame.value.columns]


def test_the_page_names_the_best_model_and_its_difference_from_the_rule(police_page):
    messages = [shown(m.value) for m in list(police_page.success) + list(police_page.info)]
    best = [m for m in messages if m.startswith("Best model:")]
    assert len(best) == 1 and "lowest log loss" in best[0]
    ranking = [frame for frame in police_page.dataframe if "log_loss_recalibrated" in frame.value.columns][0].value
    assert ranking["rank"].tolist() == list(range(1, len(ranking) + 1))
    assert "Logistic regression (last five years)" in ranking.index
    assert ranking["log_loss"].is_monotonic_increasing
    if "Against the rule" in best[0]:
        difference = _frames_with(police_page, "difference")[0]
        assert set(difference["metric"]) == {"Brier score", "Log loss"}
        assert (difference["lower"] <= difference["difference"]).all()
        assert (difference["difference"] <= difference["upper"]).all()
        says_better = "better than the rule" in best[0]
        assert says_better == bool((difference["upper"] < 0).all())


def test_the_calibration_chart_draws_the_diagonal_and_the_gaps(police_page):
    charts = [e.proto for e in police_page.main if getattr(e, "type", "") == "vega_lite_chart"
              and "hconcat" in json.loads(e.proto.spec)]
    assert len(charts) == 1
    panels = json.loads(charts[0].spec)["hconcat"]
    assert [panel["title"] for panel in panels] == ["As the model says", "Recalibrated on earlier years"]
    datasets = {named.name: pa.ipc.open_stream(named.data.data).read_pandas() for named in charts[0].datasets}
    for panel in panels:
        assert [layer["mark"]["type"] for layer in panel["layer"]] == ["line", "rule", "circle"]
        diagonal = datasets[panel["layer"][0]["data"]["name"]]
        assert diagonal[["predicted", "observed"]].values.tolist() == [[0.0, 0.0], [1.0, 1.0]]
        gaps = datasets[panel["layer"][1]["data"]["name"]]
        assert len(gaps) and gaps["n"].ge(50).all()
        assert panel["layer"][1]["encoding"]["y2"] == {"field": "observed"}
        points = datasets[panel["layer"][2]["data"]["name"]]
        assert set(points["model"]) >= {"Prior-two-year rule (report)"} and len(points) > len(gaps) - 1


def test_expected_counts_and_the_report_beside_us(police_page):
    wards = police_page.dataframe[0].value
    assert {"expected_count", "count_low", "count_high", "probability_two_or_more"} <= set(wards.columns)
    assert (wards["count_low"] <= wards["count_high"]).all() and wards["expected_count"].ge(0).all()
    beside = _frames_with(police_page, "published")[0]
    assert beside[["band", "outcome"]].values.tolist() == [["6+", "two or more"], ["3-5", "at least one"]]
    assert beside["published"].tolist() == [100.0, 72.0] and beside["recomputed"].between(0, 100).all()
    assert any("figure 2.27" in shown(c.value) for c in police_page.caption)
    assert len(police_page.get("download_button")) == 1


@pytest.mark.parametrize("role", ["councillor"])
def test_a_suppressed_role_gets_no_counts_no_backtest_and_no_recalibration(demo_dir, role):
    at = _forecast_page(role)
    wards = at.dataframe[0].value
    assert not {"expected_count", "count_low", "count_high", "probability_two_or_more"} & set(wards.columns)
    assert not _frames_with(at, "log_loss") and not _frames_with(at, "published")
    refusals = [i for i in at.info if "not offered with small counts suppressed" in shown(i.value)]
    assert len(refusals) == 1, [r.value for r in refusals]  # once, for the backtest and the deprivation check
    assert not [c for c in at.sidebar.checkbox if c.key == "recalibrated"]
    # The rule keeps its name but bands by what the role sees: the page says so, naming those bands.
    notes = [shown(c.value) for c in at.caption if "can differ from theirs" in shown(c.value)]
    assert len(notes) == 1 and all(f"{band};" in notes[0] or f"{band})" in notes[0] for band in set(wards["band"]))
    assert re.search(r"\(0; fewer than (\d+) in each year; \1 or more in a year\)", notes[0]), notes[0]


def test_police_get_no_bands_note_and_every_forecast_table_has_human_headers(police_page):
    assert not [c for c in police_page.caption if "can differ from theirs" in shown(c.value)]
    for frame in police_page.dataframe:
        config = json.loads(frame.proto.columns)
        columns = list(frame.value.columns) + ([frame.value.index.name] if frame.value.index.name else [])
        for column in columns:
            label = config.get("_index" if column == frame.value.index.name else column, {}).get("label")
            assert label and label != column, (column, label)  # every header a label, no raw "auc" or "model"


def test_the_recalibration_switch_maps_recalibrated_chances(demo_dir):
    at = _forecast_page("police")
    at.sidebar.selectbox(key="model").set_value("logistic")
    at.sidebar.checkbox(key="recalibrated").check()
    at.run()
    assert not at.exception, at.exception
    assert any("Map: Logistic regression (last five years), recalibrated." in shown(c.value) for c in at.caption)
    wards = at.dataframe[0].value
    assert wards["chosen"].between(0, 100).all() and "chosen" in wards.columns
