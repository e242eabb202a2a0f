"""Disclosure rules, roles, secondary suppression, summaries, ranks and legends, with an adversary
(tests/leaks.py) that tries every derivation of a suppressed count on random ward tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings as hypothesis_settings, strategies as st
from pandas.testing import assert_frame_equal, assert_series_equal

from hotspots import aggregation, disclosure, forecast, maps, settings
from hotspots._errors import DisclosureError
from hotspots.loading import Dataset
from hotspots.roles import ROLES
from leaks import first_leak

POLICE = disclosure.rule_named("police")
HEALTH = disclosure.rule_named("health")
LAST_YEAR = 2022
LAYER = "counts:test"


def measure_table(counts: dict[str, list[float]], people: dict[str, float], *, years: int = 1) -> pd.DataFrame:
    """The real ``aggregation.measure_table`` over a count table: ward -> yearly counts ending
    LAST_YEAR (NaN: the table leaves that ward-year out, so no data); people per ward and year."""
    rows = [(LAYER.removeprefix("counts:"), ward, LAST_YEAR - len(values) + 1 + i, value)
            for ward, values in counts.items() for i, value in enumerate(values) if not np.isnan(value)]
    table = pd.DataFrame(rows, columns=["layer", "area_code", "financial_year", "count"])
    years_held = range(LAST_YEAR - 2 * years + 1, LAST_YEAR + 1)
    population = pd.DataFrame([(ward, year, people[ward]) for ward in counts for year in years_held],
                              columns=["ward_code", "financial_year", "population_10_24"])
    empty = pd.DataFrame()
    dataset = Dataset(events=empty, nominals=empty, population=population, deprivation=empty, synthetic=True,
                      counts=table)
    return aggregation.measure_table(dataset, LAYER, list(counts), last_year=LAST_YEAR, years=years)


# Ward -> (last year's count, this year's count); population 1,000 each unless said.
KNOWN = {"A": [0, 0], "B": [6, 3], "C": [2, 9], "D": [8, 12], "E": [13, 4], "F": [np.nan, 20], "G": [5, np.nan]}


@pytest.fixture
def known() -> pd.DataFrame:
    return measure_table({ward: [float(v) for v in values] for ward, values in KNOWN.items()},
                         {ward: 1000.0 for ward in KNOWN} | {"B": 400.0})


# Rules ---------------------------------------------------------------------------------------

def test_police_rule_shows_1_to_4_as_fewer_than_5():
    shown = disclosure.disclosed_counts(pd.Series([0, 1, 4, 5, 12, np.nan]), POLICE)
    assert shown["count_text"].tolist() == ["0", "fewer than 5", "fewer than 5", "5", "12", "no data"]
    assert shown["suppressed"].tolist() == [False, True, True, False, False, False]
    assert_series_equal(shown["count"], pd.Series([0, np.nan, np.nan, 5, 12, np.nan]), check_names=False)


def test_health_rule_suppresses_1_to_7_and_rounds_the_rest_to_5():
    shown = disclosure.disclosed_counts(pd.Series([0, 1, 7, 8, 12, 13, 1234, np.nan]), HEALTH)
    assert shown["count_text"].tolist() == ["0", "fewer than 8", "fewer than 8", "10", "10", "15", "1,235",
                                            "no data"]
    assert shown["suppressed"].tolist() == [False, True, True, False, False, False, False, False]


def test_missing_stays_no_data_and_is_not_suppressed():
    shown = disclosure.disclosed_counts(pd.Series([np.nan, 2.0]), POLICE)
    assert shown["count"].isna().all()
    assert shown["suppressed"].tolist() == [False, True]
    assert shown["count_text"].tolist() == ["no data", "fewer than 5"]


def test_rules_are_read_from_settings_when_they_run(monkeypatch):
    monkeypatch.setitem(settings.DISCLOSURE_RULES, "police",
                        {"smallest_shown": 10, "rounding_base": 1, "suppressed_text": "fewer than 10"})
    shown = disclosure.disclosed_counts(pd.Series([7, 10]), disclosure.rule_named("police"))
    assert shown["count_text"].tolist() == ["fewer than 10", "10"]


@pytest.mark.parametrize(("given", "message"), [
    ({"smallest_shown": 7, "rounding_base": 5, "suppressed_text": "fewer than 7"},
     "rounds its smallest shown count 7 down to 5, so a shown 5 would mean exactly 7: raise smallest_shown to 8"),
    ({"smallest_shown": 5, "rounding_base": 1, "suppressed_text": " "}, "needs the words shown instead"),
    ({"smallest_shown": 0, "rounding_base": 1, "suppressed_text": "x"}, "must be 1 or more; got 0 and 1"),
    ({"smallest_shown": "five", "rounding_base": 1, "suppressed_text": "x"}, "needs whole numbers"),
    ({"rounding_base": 1, "suppressed_text": "x"}, "needs whole numbers"),
])
def test_unsafe_or_broken_rules_are_refused(monkeypatch, given, message):
    monkeypatch.setitem(settings.DISCLOSURE_RULES, "bad", given)
    with pytest.raises(DisclosureError, match=message):
        disclosure.rule_named("bad")


def test_unknown_rule_and_source_are_refused_not_shown_unsuppressed(monkeypatch):
    with pytest.raises(DisclosureError, match="Unknown disclosure rule 'nhs': use one of police, health"):
        disclosure.rule_named("nhs")
    monkeypatch.delitem(settings.DISCLOSURE_RULE_OF_SOURCE, "ambulance")
    with pytest.raises(DisclosureError, match="source 'ambulance', which has no disclosure rule"):
        disclosure.rule_of_layer(aggregation.resolve_layer("ambulance-all"))


@pytest.mark.parametrize("value", [-1, 2.5, "many"])
def test_values_that_are_not_counts_are_refused(value):
    with pytest.raises(DisclosureError, match="Only whole counts of 0 or more can be disclosed; counts holds 1"):
        disclosure.disclosed_counts(pd.Series([3, value], dtype=object), POLICE)


def test_a_measure_table_is_disclosed_once_and_needs_every_column(known):
    with pytest.raises(DisclosureError, match="disclosed already"):
        disclosure.disclosed_measure_table(disclosure.disclosed_measure_table(known, POLICE), POLICE)
    with pytest.raises(DisclosureError, match="rate_change missing"):
        disclosure.disclosed_measure_table(known.drop(columns="rate_change"), POLICE)
    with pytest.raises(DisclosureError, match="previous_count holds 2 other value.s., e.g. -3.0 at row 0"):
        disclosure.disclosed_measure_table(known.assign(previous_count=known["previous_count"] - 3), POLICE)


def test_each_source_chooses_its_rule_and_a_count_table_can_use_the_health_rule(monkeypatch):
    rule_of = {key: disclosure.rule_of_layer(aggregation.resolve_layer(key)).name for key in [
        "violence-with-injury", "weapons-possession", "ambulance-all", "ambulance-knife", "nominals",
        "police-uk:possession-of-weapons", "counts:knife-callouts"]}
    assert rule_of == {"violence-with-injury": "police", "weapons-possession": "police", "ambulance-all": "health",
                       "ambulance-knife": "health", "nominals": "police", "police-uk:possession-of-weapons": "police",
                       "counts:knife-callouts": "police"}
    monkeypatch.setitem(settings.DISCLOSURE_RULE_OF_COUNT_TABLE, "knife-callouts", "health")
    assert disclosure.rule_of_layer(aggregation.resolve_layer("counts:knife-callouts")) == HEALTH


# Roles ---------------------------------------------------------------------------------------

def test_roles_choose_true_values_or_the_layers_rule():
    police_layer, health_layer, nominals = (aggregation.LAYERS[key] for key in
                                            ("violence-with-injury", "ambulance-knife", "nominals"))
    for name in ("admin", "police"):
        assert {disclosure.rule_for(layer, ROLES[name]) for layer in (police_layer, health_layer, nominals)} == \
            {disclosure.TRUE_VALUES}
    partner = ROLES["partner"]
    assert disclosure.rule_for(police_layer, partner) == disclosure.rule_for(health_layer, partner) == \
        disclosure.TRUE_VALUES
    assert disclosure.rule_for(nominals, partner) == POLICE
    for name in ("councillor", "public"):
        assert disclosure.rule_for(police_layer, ROLES[name]) == POLICE
        assert disclosure.rule_for(health_layer, ROLES[name]) == HEALTH
        with pytest.raises(DisclosureError, match=f"The {name} role may not see the restricted layer 'nominals'"):
            disclosure.rule_for(nominals, ROLES[name])


def test_true_values_leave_the_measure_table_as_it_is(known):
    shown = disclosure.disclosed_measure_table(known, disclosure.rule_for(aggregation.LAYERS["nominals"],
                                                                          ROLES["police"]))
    assert_frame_equal(shown[list(known.columns)], known)
    assert not shown["suppressed"].any() and shown.loc[1, "count_text"] == "3"


# Secondary suppression -------------------------------------------------------------------------

def test_police_rule_measure_table_by_hand(known):
    shown = disclosure.disclosed_measure_table(known, POLICE).set_index("ward_code")
    assert shown["count_text"].to_dict() == {"A": "0", "B": "fewer than 5", "C": "9", "D": "12",
                                             "E": "fewer than 5", "F": "20", "G": "no data"}
    assert shown["previous_count_text"].to_dict() == {"A": "0", "B": "6", "C": "fewer than 5", "D": "8", "E": "13",
                                                      "F": "no data", "G": "5"}
    assert shown.loc[["B", "E"], ["count", "rate_per_1000", "count_change", "rate_change"]].isna().all().all()
    assert shown.loc["C", ["previous_count", "previous_rate", "count_change", "rate_change"]].isna().all()
    assert shown.loc["B", "previous_rate"] == 15.0 and shown.loc["D", "rate_per_1000"] == 12.0
    assert shown.loc["D", "count_change"] == 4.0 and shown.loc["A", "rate_change"] == 0.0
    assert shown.loc["G", ["suppressed", "previous_suppressed"]].tolist() == [False, False]
    assert shown["population_10_24"].equals(known.set_index("ward_code")["population_10_24"])


def test_health_rule_rates_and_changes_come_from_the_rounded_counts(known):
    shown = disclosure.disclosed_measure_table(known, HEALTH).set_index("ward_code")
    assert shown.loc["D", ["count", "previous_count", "rate_per_1000", "count_change"]].tolist() == [10, 10, 10, 0]
    assert shown.loc["E", "previous_count"] == 15 and shown.loc["E", "previous_rate"] == 15
    assert shown.loc[["B", "C", "E"], "count_change"].isna().all()


def test_no_shown_value_gives_a_suppressed_count_back(known):
    for rule in (POLICE, HEALTH):
        shown = disclosure.disclosed_measure_table(known, rule)
        assert first_leak(known, shown, rule) is None


def test_the_adversary_finds_leaks_when_secondary_suppression_is_switched_off(known, monkeypatch):
    monkeypatch.setattr(disclosure, "_secondary_suppression", lambda shown, true: shown)
    leak = first_leak(known, disclosure.disclosed_measure_table(known, POLICE), POLICE)
    assert leak == "rate x population gives ward B's protected count 3 (shown as 'fewer than 5')"
    rounded_only = known[known["ward_code"].eq("D")]  # 12 shown as 10: its rate must be 10's
    leak = first_leak(rounded_only, disclosure.disclosed_measure_table(rounded_only, HEALTH), HEALTH)
    assert leak == "rate x population gives ward D's protected count 12 (shown as '10')"


def test_the_adversary_finds_this_year_from_last_year_and_the_change(known):
    shown = disclosure.disclosed_measure_table(known, POLICE)
    shown["count_change"] = shown["count"].fillna(known["count"]) - shown["previous_count"]
    assert first_leak(known, shown, POLICE) == ("previous count + change gives ward B's protected count 3 "
                                                "(shown as 'fewer than 5')")


# Totals, means and ranks -----------------------------------------------------------------------

def test_totals_and_means_cover_shown_wards_only_and_say_so(known):
    shown = disclosure.disclosed_measure_table(known, POLICE)
    total = disclosure.disclosed_total(shown, "count", POLICE)
    assert (total.value, total.wards, total.suppressed_wards, total.no_data_wards) == (41.0, 4, 2, 1)
    assert total.text == "total of the 4 wards with none or 5 or more (2 with fewer than 5 and 1 with no data left out)"
    mean = disclosure.disclosed_mean(shown, "rate_per_1000", POLICE)
    assert mean.value == pytest.approx(41 / 4) and mean.text.startswith("mean of the 4 wards with none or 5 or more")
    change = disclosure.disclosed_mean(shown, "count_change", POLICE)
    assert change.text == ("mean of the 2 wards shown in both periods (3 with fewer than 5 in either period and "
                           "2 with no data left out)")
    district = disclosure.disclosed_total(shown[shown["ward_code"].isin(["C", "D"])], "count", POLICE)
    assert district.text == "total of all 2 wards" and district.value == 21
    everything = disclosure.disclosed_mean(disclosure.disclosed_measure_table(known, disclosure.TRUE_VALUES),
                                           "count", disclosure.TRUE_VALUES)
    assert everything.text == "mean of the 6 wards with data (1 with no data left out)"


def test_a_total_minus_the_shown_wards_never_gives_a_suppressed_count(known):
    shown = disclosure.disclosed_measure_table(known, POLICE)
    wards = known["ward_code"].tolist()
    summaries = [("region total", disclosure.disclosed_total(shown, "count", POLICE), "count", wards),
                 ("region mean", disclosure.disclosed_mean(shown, "count", POLICE), "count", wards)]
    assert first_leak(known, shown, POLICE, summaries=summaries) is None
    everything = disclosure.disclosed_total(known.assign(suppressed=False), "count", POLICE)  # the guard left out
    assert first_leak(known, shown, POLICE, summaries=[("naive total", everything, "count", wards)]) == \
        "naive total minus the shown wards gives 7, the hidden part of the protected wards"


def test_summaries_and_ranks_leave_flagged_wards_out_even_if_their_values_were_left_in(known):
    flagged = known.assign(suppressed=disclosure.disclosed_measure_table(known, POLICE)["suppressed"])
    assert disclosure.disclosed_total(flagged, "count", POLICE).value == 41
    assert disclosure.disclosed_ranks(flagged, "count").iloc[[1, 4]].tolist() == [4, 4]


def test_every_suppressed_ward_shares_one_rank(known):
    shown = disclosure.disclosed_measure_table(known, POLICE)
    by_count = disclosure.disclosed_ranks(shown, "count").set_axis(known["ward_code"])
    assert by_count.dropna().to_dict() == {"A": 6, "B": 4, "C": 3, "D": 2, "E": 4, "F": 1} and by_count.isna()["G"]
    by_rate = disclosure.disclosed_ranks(shown, "rate_per_1000").set_axis(known["ward_code"])
    assert by_rate[["B", "E"]].tolist() == [5, 5] and by_rate["A"] == 4  # a suppressed rate could be anything
    ranks = [(column, disclosure.disclosed_ranks(shown, column)) for column in disclosure.SUPPRESSED_BY]
    assert first_leak(known, shown, POLICE, ranks=ranks) is None
    true_ranks = known["count"].rank(ascending=False, method="min")
    assert first_leak(known, shown, POLICE, ranks=[("count", true_ranks)]) == \
        "ranks by count order the suppressed wards among themselves ([4.0, 5.0])"


def test_rounded_wards_shown_alike_share_a_rank():
    table = measure_table({"A": [8.0], "B": [12.0], "C": [20.0]}, {"A": 100.0, "B": 100.0, "C": 100.0})
    shown = disclosure.disclosed_measure_table(table, HEALTH)
    assert disclosure.disclosed_ranks(shown, "count").tolist() == [2, 2, 1]
    true_ranks = table["count"].rank(ascending=False, method="min")
    assert "order wards shown alike as 10" in first_leak(table, shown, HEALTH, ranks=[("count", true_ranks)])


# Legends ---------------------------------------------------------------------------------------

COUNTS = [0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 9, 12, 13, 20, 31, np.nan]


@pytest.mark.parametrize("scheme", list(maps.SCHEMES))
@pytest.mark.parametrize("rule", [POLICE, HEALTH], ids=["police", "health"])
def test_legends_never_hold_a_suppressed_count(scheme, rule):
    table = measure_table({f"W{i}": [v] for i, v in enumerate(COUNTS)}, {f"W{i}": 500.0 for i in range(len(COUNTS))})
    shown = disclosure.disclosed_measure_table(table, rule)
    legend = disclosure.disclosed_legend(shown, "count", rule, scheme=scheme, k=4, bands=[0, 2, 5, 10])
    assert first_leak(table, shown, rule, legend_labels=legend.labels) is None
    assert legend.labels[0] == "0" and legend.labels[1].startswith(str(rule.lowest_shown))
    assert (legend.suppressed_label, legend.no_data_label) == (rule.suppressed_text, "no data")
    assert len(legend.breaks) == len(legend.labels)


def test_police_legend_by_hand_and_the_maps_own_legend_would_leak():
    table = measure_table({f"W{i}": [v] for i, v in enumerate(COUNTS)}, {f"W{i}": 500.0 for i in range(len(COUNTS))})
    shown = disclosure.disclosed_measure_table(table, POLICE)
    legend = disclosure.disclosed_legend(shown, "count", POLICE, scheme="fixed", bands=[0, 2, 5, 10])
    assert (legend.breaks, legend.labels) == ([0, 5, 10, 31], ["0", "5", "6 to 10", "11 to 31"])
    naive = maps.legend_rows(table["count"], maps.class_breaks(table["count"], scheme="fixed", bands=[0, 2, 5, 10]),
                             maps._palette(4), 0)
    assert first_leak(table, shown, POLICE, legend_labels=[text for _, text in naive]) == \
        "legend range '1 to 2' holds the suppressed count 1"


def test_rate_legends_use_shown_rates_only_and_label_suppressed_changes_by_period(known):
    shown = disclosure.disclosed_measure_table(known, POLICE)
    rates = disclosure.disclosed_legend(shown, "rate_per_1000", POLICE, k=3, decimals=1)
    assert rates.labels[0].startswith("0.0 to") and rates.labels[-1].endswith("20.0")
    changes = disclosure.disclosed_legend(shown, "count_change", POLICE, k=3)
    assert changes.suppressed_label == "fewer than 5 in either period"


# Trends and the forecast -----------------------------------------------------------------------

def test_trend_points_follow_each_layers_rule_for_the_role():
    trend = pd.DataFrame({"layer": ["violence-with-injury"] * 2 + ["ambulance-knife"] * 2 + ["nominals"],
                          "label": "x", "financial_year": [2021, 2022, 2021, 2022, 2022],
                          "count": [3, 6, 9, 2, 4], "rate_per_1000": [3.0, 6.0, 9.0, 2.0, 4.0]})
    councillor = disclosure.disclosed_trend(trend.iloc[:4], ROLES["councillor"])
    assert councillor["count_text"].tolist() == ["fewer than 5", "6", "10", "fewer than 8"]
    assert councillor["rate_per_1000"].tolist()[1:3] == [6.0, 10.0] and councillor["rate_per_1000"].iloc[[0, 3]].isna().all()
    partner = disclosure.disclosed_trend(trend, ROLES["partner"])
    assert partner["count_text"].tolist() == ["3", "6", "9", "2", "fewer than 5"]
    with pytest.raises(DisclosureError, match="public role may not see the restricted layer"):
        disclosure.disclosed_trend(trend, ROLES["public"])


def test_forecast_explanations_are_built_from_shown_counts_only():
    counts = pd.DataFrame([(area, year, count) for area, yearly in
                           {"A": [0, 0, 1, 2], "B": [2, 1, 3, 1], "C": [5, 4, 0, 7], "D": [1, 0, 0, 0]}.items()
                           for year, count in zip(range(2019, 2023), yearly)],
                          columns=["area_code", "financial_year", "count"])
    rule_forecast = forecast.forecast_rule(counts)
    police = disclosure.disclosed_forecast(rule_forecast, disclosure.TRUE_VALUES)
    assert police["explanation"].tolist() == rule_forecast.areas["explanation"].tolist()  # the forecast's own words
    councillor = disclosure.disclosed_forecast(rule_forecast, POLICE, unit="offences").set_index("area_code")
    assert councillor.loc["A", "explanation"].startswith("fewer than 5 offences in 2021/22-2022/23, band 3-5: ")
    assert councillor.loc["C", "explanation"].startswith("7 offences in 2021/22-2022/23, band 6+: ")
    assert councillor.loc["D", "explanation"].startswith("0 offences in")
    assert councillor.loc[["A", "B"], "prior_two_year_count"].isna().all() and councillor.loc["B", "suppressed"]


# Random ward tables ----------------------------------------------------------------------------

ward_counts = st.one_of(st.integers(0, 30).map(float), st.integers(1, 9).map(float), st.just(np.nan))


@st.composite
def ward_tables(draw):
    years = draw(st.sampled_from([1, 2]))
    wards = draw(st.integers(2, 20))
    counts = {f"W{i:02d}": draw(st.lists(ward_counts, min_size=2 * years, max_size=2 * years)) for i in range(wards)}
    people = {ward: float(draw(st.sampled_from([0, 37, 400, 1234, 5000]))) for ward in counts}
    return measure_table(counts, people, years=years), years


@hypothesis_settings(max_examples=40, deadline=None)
@given(ward_tables(), st.sampled_from([POLICE, HEALTH]), st.sampled_from(list(maps.SCHEMES)))
def test_random_ward_tables_never_leak_a_protected_count(drawn, rule, scheme):
    true, years = drawn
    shown = disclosure.disclosed_measure_table(true, rule)
    district = true["ward_code"].iloc[: len(true) // 2].tolist()
    summaries = [(f"{kind} of {column} in {scope}", summarise(shown[true["ward_code"].isin(wards)], column, rule),
                  column, wards)
                 for column in disclosure.SUPPRESSED_BY
                 for kind, summarise in (("total", disclosure.disclosed_total), ("mean", disclosure.disclosed_mean))
                 for scope, wards in (("region", true["ward_code"].tolist()), ("district", district))]
    ranks = [(column, disclosure.disclosed_ranks(shown, column)) for column in disclosure.SUPPRESSED_BY]
    labels = [label for column in disclosure.COUNT_COLUMNS for label in disclosure.disclosed_legend(
        shown, column, rule, scheme=scheme, k=4, bands=[0, 1, 3, 6, 10]).labels]
    assert first_leak(true, shown, rule, years=years, summaries=summaries, ranks=ranks, legend_labels=labels) is None
    assert shown["count_text"].eq("no data").tolist() == true["count"].isna().tolist()
