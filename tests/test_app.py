"""Streamlit AppTest: the home page renders a map, a ranking and a table for every control we offer."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from hotspots import maps

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def _map_script(at: AppTest) -> str:
    maps = _maps(at)
    assert len(maps) == 1, "expected one map"
    return maps[0]


def _show(at: AppTest, view: str) -> None:
    """Open one of the map page's view tabs (Map, Ranking, Values, Nominal spread), as a tap would:
    the tab's state and the address (the tabs are bound to ``?view=``) both change."""
    at.session_state["view"] = view
    at.query_params["view"] = view
    at.run()
    assert not at.exception, at.exception


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
    _show(app, "Values")
    table = app.dataframe[0].value
    assert len(table) == 20 and set(table.columns) >= {"ward_name", "count", "rate_per_1000"}
    assert ("2019/20" if window == 1 else "2022/23-2023/24") in app.subheader[0].value


def _maps(at: AppTest) -> list[str]:
    return [e.proto.srcdoc for e in at.main if getattr(e, "type", "") == "iframe" and "leaflet" in e.proto.srcdoc]


def _chart_specs(at: AppTest) -> list[str]:
    return [e.proto.spec for e in at.main if getattr(e, "type", "") == "vega_lite_chart"]


def _table_with(at: AppTest, column: str):
    tables = [frame.value for frame in at.dataframe if column in frame.value.columns]
    assert tables, f"no table with a {column!r} column"
    return tables[0]


def test_area_takes_one_several_or_all_authorities(app):
    app.sidebar.multiselect(key="area").set_value(["Basildon", "Thurrock"])
    app.run()
    assert not app.exception, app.exception
    both = _ward_features(_map_script(app))
    assert "Basildon and Thurrock" in app.subheader[0].value and both > 20
    _show(app, "Values")
    assert len(_table_with(app, "ward_name")) == both
    app.sidebar.multiselect(key="area").set_value([])
    _show(app, "Map")
    assert _ward_features(_map_script(app)) == 304 and "All of Greater Essex" in app.subheader[0].value


@pytest.mark.parametrize("measure, words", [("count", "Count"), ("rate_per_1000", "Rate per 1,000"),
                                            ("count_change", "Change in count"), ("rate_change", "Change in rate")])
def test_every_measure_maps_with_its_legend(app, measure, words):
    app.sidebar.radio(key="measure").set_value(measure)
    app.run()
    assert not app.exception, app.exception
    script = _map_script(app)
    assert words in script
    if "change" in measure:
        assert app.sidebar.selectbox(key="palette").disabled
        assert any(colour in script for colour in maps.DIVERGING["up"] + maps.DIVERGING["down"])


def test_classes_palette_and_fixed_bands(app):
    app.sidebar.selectbox(key="scheme").set_value("natural_breaks")
    app.sidebar.selectbox(key="palette").set_value("Viridis")
    app.run()
    assert maps.PALETTES["Viridis"][-1] in _map_script(app)
    app.sidebar.selectbox(key="scheme").set_value("fixed")
    app.run()
    app.sidebar.text_input(key="bands").set_value("5, 10, 20")
    app.run()
    assert not app.exception, app.exception
    assert "6 to 10" in _map_script(app) and "11 to 20" in _map_script(app)
    app.sidebar.text_input(key="bands").set_value("five")
    app.run()
    assert "Cannot read the bands" in app.error[0].value


@pytest.mark.parametrize("method, spot_words", [("gi_star", "hot spot"), ("local_moran", "high-high (hot spot)")])
def test_statistical_hotspots_overlay_and_table_with_fdr(app, method, spot_words):
    app.sidebar.multiselect(key="area").set_value([])
    app.sidebar.selectbox(key="hotspots").set_value(method)
    app.run()
    assert not app.exception, app.exception
    table = _table_with(app, "z")
    assert {"ward_name", "z", "p", "spot"} <= set(table.columns) and (table["p"] <= 0.05).all()
    assert spot_words in set(table["spot"])
    script = _map_script(app)
    outlined = table["spot"].isin(list(maps.SPOT_OUTLINES)).sum()
    assert _ward_features(script) == 304 + outlined  # every ward, then an outline over each hot or cold spot
    app.sidebar.checkbox(key="fdr").check()
    app.run()
    with_fdr = [frame.value for frame in app.dataframe if "z" in frame.value.columns]
    assert not with_fdr or len(with_fdr[0]) <= len(table)  # the false discovery rate never adds wards


def test_only_the_open_view_is_built(app):
    assert len(_maps(app)) == 1 and not _chart_specs(app) and not app.dataframe  # the map draws alone
    _show(app, "Ranking")
    assert len(_chart_specs(app)) == 1 and not _maps(app) and not app.dataframe
    _show(app, "Values")
    assert len(app.dataframe) == 1 and not _maps(app) and not _chart_specs(app)


def test_address_opens_a_view(demo_dir):
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params["view"] = "Ranking"
    at.run()
    assert not at.exception, at.exception
    assert len(_chart_specs(at)) == 1 and not _maps(at)


def test_ranking_chart_covers_every_ward_with_the_area_highlighted(app):
    _show(app, "Ranking")
    spec = _chart_specs(app)[0]
    assert "Thurrock wards" in spec and "Other wards" in spec and '"strokeDash"' in spec


def test_restricted_switch_shows_nominals_gangs_and_spread(app):
    layers = app.sidebar.selectbox(key="layer").options
    assert not any("nominals" in option.lower() for option in layers)
    app.sidebar.toggle(key="restricted").set_value(True)
    app.run()
    assert not app.exception, app.exception
    _show(app, "Nominal spread")
    assert any("Spread of gang nominals" in text.value for text in app.markdown)
    assert len(_maps(app)) == 2  # two periods side by side
    spread = _table_with(app, "change")
    assert len(spread) == 20
    app.selectbox(key="spread_first").set_value(2016)
    app.selectbox(key="spread_second").set_value(2018)
    app.run()
    spread = _table_with(app, "change")
    assert list(spread.columns[2:4]) == ["first", "second"] and (spread["change"] == spread["second"] - spread["first"]).all()
    app.sidebar.selectbox(key="layer").set_value("nominals")
    _show(app, "Values")
    everyone = _table_with(app, "ward_name")["count"].sum()
    gangs = app.sidebar.selectbox(key="gang").options
    app.sidebar.selectbox(key="gang").set_value(gangs[1])
    app.run()
    assert not app.exception, app.exception
    assert _table_with(app, "ward_name")["count"].sum() < everyone


def test_map_links_each_ward_to_its_profile(app):
    assert "/ward_profile?ward=E05002229" in _map_script(app)


def _open(app: AppTest, page: str) -> AppTest:
    app.switch_page(page)
    app.run()
    assert not app.exception, app.exception
    return app


@pytest.fixture
def forecast_page(app):
    return _open(app, "pages/forecast.py")


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
    assert list(wards.columns) == ["ward_name", "prior_two_year_count", "band", "probability", "risk_band", "chosen",
                                   "explanation"]
    assert wards["chosen"].between(0, 100).all() and wards["chosen"].gt(1).any()  # percentages, not shares


@pytest.fixture
def profile_page(app):
    return _open(app, "pages/ward_profile.py")


def test_profile_page_every_control(profile_page):
    at = profile_page
    assert at.subheader[0].value == "Aveley and Uplands, Thurrock"
    ranks = at.dataframe[0].value
    assert len(ranks) == 4 and ranks["borough"].str.endswith("of 20").all()
    at.sidebar.toggle(key="restricted").set_value(True)
    at.run()
    assert len(at.dataframe[0].value) == 5  # nominals behind the switch
    at.sidebar.select_slider(key="profile_year").set_value(2016)
    at.run()
    assert "2016/17" in at.markdown[0].value or any("2016/17" in m.label for m in at.metric)
    at.sidebar.radio(key="trend_measure").set_value("rate_per_1000")
    at.run()
    assert "rate_per_1000" in _chart_specs(at)[0]
    at.sidebar.selectbox(key="ward").set_value("E05004172")
    at.run()
    assert not at.exception, at.exception
    assert at.subheader[0].value == "Shelley, Epping Forest" and at.query_params["ward"] in ("E05004172", ["E05004172"])


def test_forecast_page_area_takes_several_authorities(forecast_page):
    forecast_page.sidebar.multiselect(key="area").set_value(["Basildon", "Thurrock"])
    forecast_page.run()
    assert not forecast_page.exception, forecast_page.exception
    assert "Basildon and Thurrock" in forecast_page.subheader[0].value
    assert _ward_features(_map_script(forecast_page)) == len(forecast_page.dataframe[0].value) > 20


def test_values_can_be_downloaded_as_csv(app):
    _show(app, "Values")
    buttons = app.get("download_button")
    assert len(buttons) == 1 and "Download these values" in buttons[0].proto.label
