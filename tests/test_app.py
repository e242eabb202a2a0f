"""Streamlit AppTest: the home page renders a map, a ranking and a table for every control we offer."""

import json
import re
import tomllib
from pathlib import Path

import pytest
from streamlit.config import ShowErrorDetailsConfigOptions
from streamlit.testing.v1 import AppTest

from hotspots import geography, importing, maps, roles, views
from shown_text import shown
from signed_in import DASHBOARD, dashboard

APP = DASHBOARD
SAMPLES = Path(APP).parent / "data" / "samples"


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
    at = dashboard("police", 180)
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


def test_gi_star_is_not_offered_on_a_change(app, dataset):
    """Gi* sums values of one sign; a change's rises and falls cancel out, so its p means nothing."""
    app.sidebar.selectbox(key="hotspots").set_value("gi_star")
    app.run()
    app.sidebar.radio(key="measure").set_value("count_change")
    app.run()
    assert not app.exception, app.exception
    assert app.sidebar.selectbox(key="hotspots").options == ["Off", "Local Moran's I"]
    assert app.sidebar.selectbox(key="hotspots").value == "none"
    view = views.ward_map_view(dataset, "violence-with-injury", roles.role("police"), geography.wards(),
                               ["E06000034"], measure="count_change", last_year=2023)
    with pytest.raises(ValueError, match="not changes"):
        views.ward_hotspots(view, geography.wards("E06000034"), "gi_star", fdr=False, measure="count_change")


@pytest.mark.parametrize("method, spot_words", [("gi_star", "hot spot"), ("local_moran", "high-high (hot spot)")])
def test_statistical_hotspots_overlay_and_table_with_fdr(app, method, spot_words):
    app.sidebar.multiselect(key="area").set_value([])
    app.sidebar.selectbox(key="hotspots").set_value(method)
    app.run()
    assert not app.exception, app.exception
    table = _table_with(app, "z")
    assert {"ward_name", "z", "p", "spot"} <= set(table.columns) and (table["p"] <= 0.05).all()
    assert spot_words in set(table["spot"])
    frame = next(frame for frame in app.dataframe if "z" in frame.value.columns)
    assert "z-score of" in frame.proto.columns and "Pseudo p-value (999 permutations)" in frame.proto.columns
    assert any(caption.value.startswith(("Hot spot:", "High-high")) for caption in app.caption)
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
    at = dashboard("police", 180)
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
    wards, bands = at.dataframe[0].value, at.dataframe[1].value
    metrics, predictors = _table_with(at, "log_loss_recalibrated"), at.dataframe[-1].value
    assert len(wards) == 20 and wards["explanation"].str.contains("ward-years").all()
    assert bands["band"].tolist() == ["0", "1-2", "3-5", "6+"]
    assert "Prior-two-year rule (report)" in metrics.index and len(metrics) == 7
    assert predictors["predictor"].tolist() == ["prior two-year count", "deprivation score"]


@pytest.mark.parametrize("model", ["persistence", "poisson", "negative_binomial", "empirical_bayes", "spatial_lag",
                                   "logistic"])
def test_forecast_page_maps_every_model(forecast_page, model):
    forecast_page.sidebar.selectbox(key="model").set_value(model)
    forecast_page.run()
    assert not forecast_page.exception, forecast_page.exception
    assert _ward_features(_map_script(forecast_page)) == 20
    wards = forecast_page.dataframe[0].value
    assert list(wards.columns) == ["ward_name", "prior_two_year_count", "band", "probability", "risk_band", "chosen",
                                   "expected_count", "count_low", "count_high", "probability_two_or_more",
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
    restricted = at.dataframe[0].value
    assert len(restricted) > 4 and restricted["label"].str.contains("nominal", case=False).any()  # behind the switch
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


# --- Bad addresses, mixed real and synthetic stores, the forecast page's edges -------------------

@pytest.mark.parametrize("page, params, words", [
    ("pages/ward_map.py", {"area": "nowhere"}, "neither Greater Essex nor one of its local authorities"),
    ("pages/ward_map.py", {"area": "thurrock,<img src=x onerror=alert(1)>"}, "neither Greater Essex"),
    ("pages/ward_map.py", {"view": "Nope"}, "which this page does not have"),
    ("pages/ward_map.py", {"view": "Nominal spread"}, "Nominal spread needs the police switch"),
    ("pages/ward_profile.py", {"ward": "E05999999"}, "which is no Greater Essex ward"),
    ("pages/ward_profile.py", {"ward": "![x](http://198.51.100.7/x.png)"}, "which is no Greater Essex ward"),
    ("pages/forecast.py", {"area": "greater-essex,atlantis"}, "neither Greater Essex"),
])
def test_a_bad_address_shows_a_message_and_a_sensible_default(demo_dir, page, params, words):
    at = dashboard("police", 180)
    at.run()
    at.switch_page(page)
    for name, value in params.items():
        at.query_params[name] = value
    at.run()
    assert not at.exception, at.exception
    messages = [shown(w.value) for w in at.warning]
    assert any(words in message for message in messages), messages
    assert any(value in message for message in messages for value in params.values())  # shown as typed
    if page == "pages/ward_profile.py":
        assert at.subheader[0].value == "Aveley and Uplands, Thurrock"
    else:  # Thurrock, and on the map page the map
        assert "Thurrock" in at.subheader[0].value
        assert page != "pages/ward_map.py" or _ward_features(_map_script(at)) == 20


def test_deployments_show_no_error_details():
    settings = tomllib.loads((Path(APP).parent / ".streamlit" / "config.toml").read_text())
    detail = settings["client"]["showErrorDetails"]
    assert detail == "none" and ShowErrorDetailsConfigOptions(detail) is ShowErrorDetailsConfigOptions.NONE


def _app_on(store_dir: Path, monkeypatch: pytest.MonkeyPatch, page: str = "pages/ward_map.py") -> AppTest:
    monkeypatch.setenv("HOTSPOTS_STORE", str(store_dir))
    at = dashboard("police", 240)
    at.run()
    if page != "pages/ward_map.py":
        at.switch_page(page)
        at.run()
    assert not at.exception, at.exception
    return at


def test_a_store_mixing_real_and_synthetic_data_labels_each_layer(demo_dir, tmp_path, monkeypatch):
    sample = SAMPLES / "synthetic_police_uk_street.csv"
    real = tmp_path / "2022-04-essex-street.csv"  # the same rows without the SYNTHETIC comment line
    real.write_text("".join(sample.read_text().splitlines(keepends=True)[1:]))
    importing.import_file(tmp_path / "store", real, "police-uk")
    importing.import_file(tmp_path / "store", SAMPLES / "synthetic_ambulance_callouts.csv", "ambulance")
    at = _app_on(tmp_path / "store", monkeypatch)
    assert "police.uk: violence and sexual offences" in shown(at.subheader[0].value)  # a real layer is shown...
    assert not any("SYNTHETIC" in w.value for w in at.warning)  # ...with no synthetic banner
    assert any("real and synthetic datasets" in shown(c.value) for c in at.caption)
    options = at.sidebar.selectbox(key="layer").options
    assert [o for o in options if o.endswith("(synthetic)")] == [o for o in options if o.startswith("Ambulance")] != []
    at.sidebar.selectbox(key="layer").set_value("ambulance-all").run()
    assert "(synthetic)" in shown(at.subheader[0].value)
    assert any("SYNTHETIC demo data" in w.value for w in at.warning)


def _count_table(store_dir: Path, folder: Path, years: range, count) -> None:
    """A count table for Thurrock's wards, ``count(ward position, year)`` each, imported as layer "knife"."""
    codes = geography.wards("thurrock")["ward_code"].tolist()
    rows = [f"{code},{year}/{str(year + 1)[2:]},{count(i, year)}" for i, code in enumerate(codes) for year in years]
    path = folder / "counts.csv"
    path.write_text("area_code,period,count\n" + "\n".join(rows) + "\n")
    importing.import_file(store_dir, path, "counts", layer="knife")


def test_forecast_page_on_exactly_three_years_shows_the_rule_and_why_no_backtest(demo_dir, tmp_path, monkeypatch):
    _count_table(tmp_path / "store", tmp_path, range(2019, 2022), lambda i, year: (i + year) % 3)
    at = _app_on(tmp_path / "store", monkeypatch, "pages/forecast.py")
    assert "2022/23" in at.subheader[0].value and len(at.dataframe[0].value) == 20
    assert any("No backtest for this layer" in shown(i.value) and "four consecutive financial years" in shown(i.value)
               for i in at.info)


def test_forecast_page_shows_the_backtests_notes_once_each(demo_dir, tmp_path, monkeypatch):
    _count_table(tmp_path / "store", tmp_path, range(2017, 2022), lambda i, year: int(i < 2 and year % 2))
    at = _app_on(tmp_path / "store", monkeypatch, "pages/forecast.py")
    notes = [shown(c.value) for c in at.caption if c.value.startswith("Backtest note")]
    assert "Backtest note: no population: regressions have no offset" in notes  # the store has no population
    assert len(notes) == len(set(notes)) > 1


def test_forecast_tables_show_whole_percentages_and_the_rule_once(forecast_page):
    wards, bands = forecast_page.dataframe[0], forecast_page.dataframe[1]
    metrics = [frame for frame in forecast_page.dataframe if "log_loss_recalibrated" in frame.value.columns][0]
    assert "chosen" not in wards.value.columns  # the rule is the chosen model: one column, not two
    assert wards.value["probability"].max() > 1 and bands.value["probability"].max() > 1  # 0-100
    for frame, column in ((wards, "probability"), (bands, "probability"), (bands, "upper"), (metrics, "hit_rate")):
        config = json.loads(frame.proto.columns)
        assert config[column]["type_config"]["format"] == "%.0f%%", (column, config[column])
    assert re.search(r'"value": "\d{1,3}%"', _map_script(forecast_page))  # tooltips: "89%", not "89.29"


@pytest.mark.parametrize("role", ["admin", "police", "partner", "councillor", "public"])
def test_demo_caption_sends_only_importers_to_the_data_page(demo_dir, role):
    at = dashboard(role, 180)
    at.run()
    assert not at.exception, at.exception
    demo_captions = [c.value for c in at.caption if "synthetic demo" in c.value]
    assert len(demo_captions) == 1, demo_captions
    if roles.role(role).import_and_delete:
        assert "Import your extracts on the Data page." in demo_captions[0]
    else:
        assert "Data page" not in demo_captions[0]
        assert "administrator imports them" in demo_captions[0]
