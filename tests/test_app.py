"""Streamlit AppTest: the home page renders a map and a table for every control we offer."""

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def _map_script(at: AppTest) -> str:
    maps = [element for element in at.main if getattr(element, "type", "") == "component_instance"]
    assert len(maps) == 1, "expected one map component"
    return json.loads(maps[0].proto.json_args)["script"]


def _ward_features(script: str) -> int:
    return script.count('"type": "Feature"')


@pytest.fixture
def app(demo_dir):
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    assert not at.exception, at.exception
    return at


def test_home_page_is_labelled_synthetic(app):
    assert any("SYNTHETIC demo data" in warning.value for warning in app.warning)


@pytest.mark.parametrize("layer", ["violence-with-injury", "ambulance-knife"])
@pytest.mark.parametrize("window, year", [(1, 2019), (2, 2023)])
def test_map_and_table_for_layers_and_periods(app, layer, window, year):
    app.sidebar.selectbox(key="layer").set_value(layer)
    app.sidebar.radio(key="window").set_value(window)
    app.run()
    app.sidebar.select_slider(key="year").set_value(year)
    app.run()
    assert not app.exception, app.exception
    script = _map_script(app)
    assert _ward_features(script) == 20  # Thurrock's wards
    assert "ward-legend" in script
    table = app.dataframe[0].value
    assert len(table) == 20 and set(table.columns) >= {"ward_name", "count", "rate_per_1000"}
    assert ("2019/20" if window == 1 else "2022/23-2023/24") in app.subheader[0].value


def test_rate_measure_and_other_regions(app):
    app.sidebar.radio(key="measure").set_value("rate_per_1000")
    app.sidebar.selectbox(key="region").set_value("Basildon")
    app.run()
    assert not app.exception, app.exception
    assert "Rate per 1,000" in _map_script(app)
    basildon = len(app.dataframe[0].value)
    app.sidebar.selectbox(key="region").set_value("All of Greater Essex")
    app.run()
    assert _ward_features(_map_script(app)) == 304
    assert len(app.dataframe[0].value) == 304 and basildon < 304


def test_no_basemap_mode_requests_no_tiles(app):
    assert "L.tileLayer" in _map_script(app)
    app.sidebar.toggle(key="basemap").set_value(False)
    app.run()
    assert "L.tileLayer" not in _map_script(app)


@pytest.fixture
def forecast_page(app):
    app.switch_page("pages/forecast.py")
    app.run()
    assert not app.exception, app.exception
    return app


def test_forecast_page_shows_map_band_table_backtest_and_deprivation(forecast_page):
    at = forecast_page
    assert any("SYNTHETIC demo data" in warning.value for warning in at.warning)
    assert "2024/25" in at.subheader[0].value
    script = _map_script(at)
    assert _ward_features(script) == 20 and "70%+" in script and "under 30%" in script
    wards, bands, metrics, predictors = (frame.value for frame in at.dataframe)
    assert len(wards) == 20 and wards["explanation"].str.contains("ward-years").all()
    assert bands["band"].tolist() == ["0", "1-2", "3-5", "6+"]
    assert "Prior-two-year rule (report)" in metrics.index and len(metrics) == 6
    assert predictors["predictor"].tolist() == ["prior two-year count", "deprivation score"]


@pytest.mark.parametrize("model", ["persistence", "poisson", "negative_binomial", "empirical_bayes", "spatial_lag"])
def test_forecast_page_maps_every_model(forecast_page, model):
    forecast_page.sidebar.selectbox(key="model").set_value(model)
    forecast_page.run()
    assert not forecast_page.exception, forecast_page.exception
    assert _ward_features(_map_script(forecast_page)) == 20
    wards = forecast_page.dataframe[0].value
    assert wards.iloc[:, 5].between(0, 1).all()  # the chosen model's probability column
