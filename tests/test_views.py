"""hotspots.views per role on three Thurrock wards whose counts are known; and `hotspots counts --role`."""

from __future__ import annotations

import pandas as pd
import pytest

from hotspots import cli, disclosure, geography, maps, roles, views
from hotspots._errors import DisclosureError
from hotspots.loading import Dataset

W1, W2, W3 = "E05002229", "E05002230", "E05002231"  # three Thurrock wards
THURROCK = "E06000034"


@pytest.fixture
def dataset() -> Dataset:
    vwi = "violence with injury"
    rows = ([("police", vwi, W1, 2020, "18-24")] * 6 + [("police", vwi, W1, 2021, "18-24")] * 3
            + [("police", vwi, W2, 2020, "10-17")] * 2 + [("police", vwi, W2, 2021, "10-17")] * 12
            + [("ambulance", "assault", W3, 2021, "18-24")] * 2 + [("ambulance", "assault", W2, 2021, "18-24")] * 12)
    events = pd.DataFrame(rows, columns=["source", "category", "ward_code", "financial_year", "age_band"])
    events = events.assign(domestic=pd.array([False] * len(events), dtype="boolean"))
    population = pd.DataFrame({"ward_code": [W1, W2, W3] * 2, "financial_year": [2020] * 3 + [2021] * 3,
                               "population_10_24": [1000, 2000, 500] * 2})
    nominals = pd.DataFrame({"ward_code": [W1, W2], "date_added": pd.to_datetime(["2020-05-01", "2020-06-01"]),
                             "date_removed": pd.NaT, "gang": ["A", "B"]})
    return Dataset(events, nominals, population, pd.DataFrame({"ward_code": [W1], "imd_score": [30.0]}),
                   synthetic=True)


@pytest.fixture
def wards() -> pd.DataFrame:
    return geography.wards(THURROCK).pipe(lambda frame: frame[frame["ward_code"].isin([W1, W2, W3])])


def _map(dataset, wards, role, layer="violence-with-injury", measure="count"):
    return views.ward_map_view(dataset, layer, roles.role(role), wards, [THURROCK], measure=measure, last_year=2021)


@pytest.mark.parametrize("role", ["councillor", "public"])
def test_suppressed_roles_see_fewer_than_5_and_no_rate_or_change_for_it(dataset, wards, role):
    view = _map(dataset, wards, role)
    table = view.table.set_index("ward_code")
    assert table.loc[W1, "count_text"] == "fewer than 5" and pd.isna(table.loc[W1, "rate_per_1000"])
    assert pd.isna(table.loc[W1, "count_change"]) and table.loc[W1, "previous_count"] == 6
    assert table.loc[W2, "count"] == 12 and table.loc[W3, "count"] == 0
    assert view.suppressed.to_dict() == {W1: True, W2: False, W3: False}
    assert view.legend.suppressed_label == "fewer than 5" and view.legend.labels[0] == "0"
    assert view.mean.value == pytest.approx(6.0) and "1 with fewer than 5 left out" in view.mean.text
    assert view.values_table.set_index("ward_name")["count"].tolist().count("fewer than 5") == 1
    # The Values table: highest count first (by the number, not its text), blank cells saying why
    shown = view.values_table.merge(wards[["ward_name", "ward_code"]], on="ward_name").set_index("ward_code")
    assert list(shown.index[:2]) == [W2, W3] and shown.index[-1] == W1
    assert shown.loc[W1, ["rate_per_1000", "count_change", "rate_change"]].tolist() == [
        "not shown: fewer than 5 crimes", "suppressed", "suppressed"]
    assert view.values_table[["count", "rate_per_1000", "count_change", "rate_change"]].notna().all().all()
    assert view.download.set_index("ward_code").loc[W1, "above_mean"] == "fewer than 5"
    assert not view.hotspots_offered and W1 not in set(view.ranking["ward_code"]) and view.ranking_left_out == 1
    with pytest.raises(DisclosureError):
        views.ward_hotspots(view, wards, "gi_star", fdr=False, measure="count")


@pytest.mark.parametrize("layer, words, withheld", [
    ("violence-with-injury", "fewer than 5", "not shown: fewer than 5 crimes"),
    ("ambulance-all", "fewer than 8", "not shown: fewer than 8 call-outs")])
def test_a_suppressed_rate_says_what_is_withheld_on_the_map_and_in_the_values_table(dataset, wards, layer, words,
                                                                                  withheld):
    view = _map(dataset, wards, "public", layer=layer, measure="rate_per_1000")
    hidden = view.suppressed[view.suppressed].index[0]
    assert view.suppressed_text == withheld
    fmap = maps.ward_choropleth(wards.to_crs(4326), view.values, label="Rate per 1,000 residents aged 10-24",
                                suppressed=view.suppressed, suppressed_label=view.suppressed_text, basemap=False,
                                profile_links=True)
    assert f'"value": "{withheld}"' in fmap.get_root().render()  # the tooltip's and the popup's value
    shown = view.values_table.merge(wards[["ward_name", "ward_code"]], on="ward_name").set_index("ward_code")
    assert shown.loc[hidden, "rate_per_1000"] == withheld
    # A count keeps the rule's words: it is the count that is fewer than 5.
    assert _map(dataset, wards, "public", layer=layer).suppressed_text == words


def test_health_counts_are_rounded_and_small_ones_hidden(dataset, wards):
    view = _map(dataset, wards, "councillor", layer="ambulance-all")
    table = view.table.set_index("ward_code")
    assert table.loc[W2, "count"] == 10 and table.loc[W3, "count_text"] == "fewer than 8"
    assert table.loc[W2, "rate_per_1000"] == pytest.approx(10 / 2000 * 1000)  # the rounded count's rate


@pytest.mark.parametrize("role", ["admin", "police", "partner"])
def test_unsuppressed_roles_see_true_values_and_hotspots(dataset, wards, role):
    view = _map(dataset, wards, role, measure="rate_per_1000")
    table = view.table.set_index("ward_code")
    assert table.loc[W1, "count"] == 3 and table.loc[W1, "rate_per_1000"] == pytest.approx(3.0)
    assert not view.suppressed.any() and view.hotspots_offered and view.rule == disclosure.TRUE_VALUES


def test_restricted_layer_only_for_roles_allowed_it(dataset, wards):
    assert "nominals" not in views.layers_for(dataset, roles.role("councillor"))
    assert "nominals" not in views.layers_for(dataset, roles.role("police"))  # the switch is off
    assert "nominals" in views.layers_for(dataset, roles.role("police"), show_restricted=True)
    assert "nominals" in views.layers_for(dataset, roles.role("partner"))
    with pytest.raises(DisclosureError):
        _map(dataset, wards, "public", layer="nominals")
    partner = _map(dataset, wards, "partner", layer="nominals")  # as suppressed ward counts
    assert set(partner.table["count_text"]) <= {"fewer than 5", "0"}
    with pytest.raises(DisclosureError):
        views.ward_map_view(dataset, "nominals", roles.role("partner"), wards, [THURROCK], measure="count",
                            last_year=2021, gang="A")


def test_profile_ranks_and_trend_follow_the_role(dataset, wards):
    layers = views.layers_for(dataset, roles.role("public"))
    view = views.ward_profile_view(dataset, W1, roles.role("public"), wards, layers, last_year=2021)
    ranks = view.ranks.set_index("label")
    police_label = layers["violence-with-injury"].label
    assert ranks.loc[police_label, "count"] == "fewer than 5" and pd.isna(ranks.loc[police_label, "rate_per_1000"])
    assert ranks.loc[police_label, "region"] == "2 of 3"  # below W2's 12, above W3's 0, whatever its true 3
    trend = view.trend[view.trend["layer"].eq("violence-with-injury")].set_index("financial_year")
    assert trend.loc[2021, "suppressed"] and pd.isna(trend.loc[2021, "count"]) and trend.loc[2020, "count"] == 6


def test_forecast_bands_say_only_what_is_shown_of_each_year_for_suppressed_roles(dataset, wards):
    counts = pd.DataFrame({"area_code": [W1, W2, W3] * 3, "financial_year": [2019] * 3 + [2020] * 3 + [2021] * 3,
                           "count": [1, 6, 0, 2, 7, 0, 3, 8, 1]})
    layer = views.aggregation.resolve_layer("violence-with-injury")
    shown = views.forecast_view(counts, layer, roles.role("councillor"), wards[["ward_code", "ward_name"]])
    assert list(shown.band_table["band"]) == ["0", "fewer than 5 in each year", "5 or more in a year"]
    assert "with_two_or_more" not in shown.band_table  # two or more would split "fewer than 5"
    by_ward = shown.table.set_index("ward_name")
    name = wards.set_index("ward_code")["ward_name"]
    w3 = by_ward.loc[name[W3]]  # 0 + 1
    assert w3["prior_two_year_count"] == "fewer than 5 in a year" and w3["explanation"].startswith(
        "fewer than 5 in a year in")
    # 2 + 3: a band of the total (5+) beside "fewer than 5" in each year would say neither is 1
    w1 = by_ward.loc[name[W1]]
    assert w1["band"] == "fewer than 5 in each year" and w1["prior_two_year_count"] == "fewer than 5 in a year"
    assert by_ward.loc[name[W2], "band"] == "5 or more in a year" and by_ward.loc[name[W2], "prior_two_year_count"] == "15"
    with pytest.raises(DisclosureError):
        views.forecast_view(counts, layer, roles.role("public"), wards, model="poisson")
    police = views.forecast_view(counts, layer, roles.role("police"), wards[["ward_code", "ward_name"]])
    assert list(police.band_table["band"]) == ["0", "1-2", "3-5", "6+"]


def test_suppressed_wards_are_hatched_apart_from_zero_and_no_data(wards):
    areas = geography.display_wards([THURROCK])
    values = pd.Series({W1: float("nan"), W2: 12.0, W3: 0.0})
    html = maps.ward_choropleth(areas, values, label="Count", basemap=False, suppressed=pd.Series({W1: True}),
                                breaks=[0.0, 12.0], legend_labels=["0", "5 to 12"]).get_root().render()
    assert maps.SUPPRESSED_FILL in html and "ward-suppressed-hatch" in html
    assert html.count('"value": "fewer than 5"') == 1
    assert "no data" in html  # the other Thurrock wards, which have no value


def test_counts_command_writes_the_roles_view(tmp_path, demo_dir):
    from hotspots import loading
    store = tmp_path / "store"
    loading.load_demo_into(store)
    for role in ("admin", "councillor"):
        assert cli.main(["counts", "--layer", "violence-with-injury", "--store", str(store), "--role", role,
                         "--out", str(tmp_path / f"{role}.csv")]) == 0
    admin = pd.read_csv(tmp_path / "admin.csv")
    councillor = pd.read_csv(tmp_path / "councillor.csv", dtype={"count": str})
    small = admin["count"].between(1, 4)
    assert small.any() and (councillor.loc[small, "count"] == "fewer than 5").all()
    assert (councillor.loc[~small, "count"].astype(int) == admin.loc[~small, "count"]).all()
    assert cli.main(["counts", "--layer", "nominals", "--store", str(store), "--role", "public",
                     "--out", str(tmp_path / "n.csv")]) == 2 and not (tmp_path / "n.csv").exists()
