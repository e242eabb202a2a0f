"""Every map measure, the ranking and the ward profile against values worked out by hand, and our
Gi* / Local Moran wiring against esda called directly on the same weights."""

from __future__ import annotations

import esda
import numpy as np
import pandas as pd
import pytest

from hotspots import aggregation, geography, hotspot_statistics, maps, profile, ranking, settings
from hotspots.loading import Dataset

W1, W2, W3 = "E05002229", "E05002230", "E05002231"  # three Thurrock wards


def _events(rows):
    frame = pd.DataFrame(rows, columns=["source", "category", "ward_code", "financial_year", "age_band"])
    return frame.assign(domestic=pd.array([False] * len(frame), dtype="boolean"))


@pytest.fixture
def dataset() -> Dataset:
    vwi = "violence with injury"
    events = _events(
        [("police", vwi, W1, 2019, "10-17")] * 2 + [("police", vwi, W1, 2020, "18-24")] * 4
        + [("police", vwi, W1, 2021, "18-24")] * 3 + [("police", vwi, W2, 2020, "10-17")]
        + [("police", vwi, W2, 2021, "10-17")] * 5 + [("police", vwi, W3, 2018, "10-17")]
        # ambulance data exist for 2021 only: other years are "no data", not zero
        + [("ambulance", "assault", W3, 2021, "18-24")] * 2)
    population = pd.DataFrame({"ward_code": [W1] * 4 + [W2] * 4 + [W3] * 4,
                               "financial_year": [2018, 2019, 2020, 2021] * 3,
                               "population_10_24": [1000, 1000, 1000, 1500, 2000, 2000, 2000, 2000,
                                                    500, 500, 500, 500]})
    return Dataset(events, pd.DataFrame(columns=["ward_code", "date_added", "date_removed", "gang"]), population,
                   pd.DataFrame({"ward_code": [W1], "imd_score": [30.0]}), synthetic=True)


def test_count_rate_and_change_by_hand(dataset: Dataset) -> None:
    table = aggregation.measure_table(dataset, "violence-with-injury", [W1, W2, W3], last_year=2021).set_index(
        "ward_code")
    assert table.loc[W1, ["count", "previous_count", "count_change"]].tolist() == [3, 4, -1]
    assert table.loc[W1, "rate_per_1000"] == pytest.approx(3 / 1500 * 1000)       # 2.0
    assert table.loc[W1, "rate_change"] == pytest.approx(2.0 - 4.0)               # 2020: 4 / 1000
    assert table.loc[W2, ["count", "count_change"]].tolist() == [5, 4]
    assert table.loc[W3, ["count", "previous_count"]].tolist() == [0, 0]
    two = aggregation.measure_table(dataset, "violence-with-injury", [W1], last_year=2021, years=2).set_index(
        "ward_code")
    assert two.loc[W1, "count"] == 7 and two.loc[W1, "previous_count"] == 2       # 2020-21 against 2018-19
    assert two.loc[W1, "rate_per_1000"] == pytest.approx(7 / 2500 * 1000)
    assert two.loc[W1, "rate_change"] == pytest.approx(7 / 2500 * 1000 - 2 / 2000 * 1000)


def test_years_without_data_are_no_data_not_zero(dataset: Dataset) -> None:
    assert aggregation.covered_years(dataset, "ambulance-all") == [2021]
    table = aggregation.measure_table(dataset, "ambulance-all", [W1, W2, W3], last_year=2021).set_index("ward_code")
    assert table.loc[W3, "count"] == 2 and table.loc[W1, "count"] == 0
    assert table["previous_count"].isna().all() and table["count_change"].isna().all()
    before = aggregation.measure_table(dataset, "ambulance-all", [W3], last_year=2020)
    assert before["count"].isna().all()


def test_mean_and_above_or_below(dataset: Dataset) -> None:
    table = aggregation.measure_table(dataset, "violence-with-injury", [W1, W2, W3], last_year=2021)
    mean = aggregation.regional_mean(table["count"])
    assert mean == pytest.approx((3 + 5 + 0) / 3)
    assert table.set_index("ward_code")["count"].gt(mean).to_dict() == {W1: True, W2: True, W3: False}


def test_classifications_and_no_data_styling() -> None:
    values = pd.Series([0, 1, 3, 7, 12, np.nan], index=list("abcdef"))
    assert maps.class_breaks(values, scheme="fixed", bands=[0, 2, 5]) == [0.0, 2.0, 5.0, 12.0]
    assert maps.class_breaks(values, scheme="equal_interval", k=3) == pytest.approx([4.0, 8.0, 12.0])
    rows = maps.legend_rows(values, [0.0, 2.0, 5.0, 12.0], maps._palette(4), 0)
    assert [text for _, text in rows] == ["0", "1 to 2", "3 to 5", "6 to 12", "no data"]
    assert rows[-1][0] == maps.NO_DATA_COLOUR and rows[0][0] != maps.NO_DATA_COLOUR  # zero is not "no data"
    colours = maps._diverging([-3.0, -1.0, 0.0, 2.0, 5.0])
    assert colours[2] == maps.DIVERGING["middle"]
    assert colours[0] in maps.DIVERGING["down"] and colours[4] in maps.DIVERGING["up"]


def test_ranking_table_orders_every_ward_and_highlights_the_area() -> None:
    values = pd.DataFrame({"ward_code": list("abcd"), "ward_name": list("ABCD"), "lad_code": ["L1", "L2", "L1", "L2"],
                           "lad_name": ["One", "Two", "One", "Two"], "rate": [2.0, 5.0, 5.0, np.nan]})
    ranked = ranking.ranking_table(values, "rate", ["L1"])
    assert ranked["ward_code"].tolist() == ["b", "c", "a"]  # d has no value
    assert ranked["rank"].tolist() == [1, 1, 3] and ranked["highlighted"].tolist() == [False, True, True]
    spec = ranking.ranking_chart(ranked, "rate", label="Rate", highlight_label="One", mean=4.0).to_dict()
    assert spec["layer"][1]["mark"]["type"] == "rule"


def test_ward_profile_trend_and_ranks_by_hand(dataset: Dataset) -> None:
    layers = {key: aggregation.LAYERS[key] for key in ("violence-with-injury", "ambulance-all")}
    trend = profile.ward_trend(dataset, W1, layers)
    vwi = trend[trend["layer"].eq("violence-with-injury")].set_index("financial_year")
    assert vwi["count"].to_dict() == {2018: 0, 2019: 2, 2020: 4, 2021: 3}
    assert vwi.loc[2021, "rate_per_1000"] == pytest.approx(2.0)
    assert trend[trend["layer"].eq("ambulance-all")]["financial_year"].tolist() == [2021]  # no invented zeros
    ranks = profile.ward_ranks(dataset, W2, layers, last_year=2021).set_index("layer")
    thurrock = len(geography.wards("thurrock"))
    assert ranks.loc["violence-with-injury", "count_rank_in_borough"] == 1   # 5 beats W1's 3
    assert ranks.loc["violence-with-injury", "count_wards_in_borough"] == thurrock
    assert ranks.loc["violence-with-injury", "rate_per_1000_wards_in_borough"] == 3  # only three have residents
    assert ranks.loc["violence-with-injury", "count_rank_in_region"] == 1
    assert ranks.loc["violence-with-injury", "rate_per_1000_rank_in_borough"] == 1  # 2.5 beats W1's 2.0


@pytest.fixture(scope="module")
def thurrock_values() -> tuple:
    areas = geography.wards("thurrock")
    rng = np.random.default_rng(3)
    values = pd.Series(rng.poisson(np.linspace(1, 12, len(areas))).astype(float), index=areas["ward_code"])
    return areas, values


@pytest.mark.parametrize("fdr", [False, True])
def test_gi_star_matches_esda_on_the_same_weights(thurrock_values, fdr: bool) -> None:
    # G* and z are esda's; p is ours (every value rearranged: tests/test_hotspot_statistics.py).
    areas, values = thurrock_values
    ours = hotspot_statistics.local_statistics(areas, values, method="gi_star", fdr=fdr).set_index("ward_code")
    weights = hotspot_statistics.queen_weights(areas)
    y = values.reindex(weights.id_order).to_numpy()
    theirs = esda.G_Local(y, weights, transform="B", permutations=0, star=True)
    ours = ours.loc[weights.id_order]
    np.testing.assert_allclose(ours["statistic"], theirs.Gs)
    np.testing.assert_allclose(ours["z"], theirs.Zs)
    cutoff = esda.fdr(ours["p"].to_numpy(), 0.05) if fdr else 0.05
    assert ours["significant"].tolist() == ours["p"].le(cutoff).tolist()
    assert ours["spot"].tolist() == np.where(ours["significant"], np.where(theirs.Zs > 0, "hot spot", "cold spot"),
                                             "not significant").tolist()


def test_local_moran_matches_esda_and_names_quadrants(thurrock_values) -> None:
    areas, values = thurrock_values
    ours = hotspot_statistics.local_statistics(areas, values, method="local_moran").set_index("ward_code")
    weights = hotspot_statistics.queen_weights(areas)
    y = values.reindex(weights.id_order).to_numpy()
    with pytest.warns(DeprecationWarning):
        theirs = esda.Moran_Local(y, weights, transformation="r", permutations=999, seed=settings.SEED, n_jobs=1)
    ours = ours.loc[weights.id_order]
    np.testing.assert_allclose(ours["statistic"], theirs.Is)
    np.testing.assert_allclose(ours["z"], theirs.z_sim)
    # esda's folded p is one-sided on the nearer tail; ours is two-sided on the side of z_sim, and
    # counts a permutation tied with the observed I as at least as far out on the low side too.
    significant = ours["significant"].to_numpy()
    assert significant.any()
    doubled = 2 * theirs.p_sim[significant]
    assert (ours["p"].to_numpy()[significant] >= doubled - 1e-6).all()
    np.testing.assert_allclose(ours["p"].to_numpy()[significant], doubled, atol=0.005)  # a few tied permutations
    expected = pd.Series(theirs.q).map(hotspot_statistics.MORAN_QUADRANTS).to_numpy()
    assert (ours["spot"].to_numpy()[significant] == expected[significant]).all()


def test_wards_without_a_value_are_not_tested(thurrock_values) -> None:
    areas, values = thurrock_values
    gappy = values.copy()
    gappy.iloc[:3] = np.nan
    result = hotspot_statistics.local_statistics(areas, gappy)
    assert len(result) == len(areas) - 3 and not result["ward_code"].isin(values.index[:3]).any()


def test_an_imported_count_table_is_a_layer_with_gaps_as_no_data(dataset: Dataset) -> None:
    counts = pd.DataFrame({"layer": "knife-u25", "area_code": [W1, W1, W2], "financial_year": [2020, 2021, 2021],
                           "count": [2, 5, 0]})
    with_counts = Dataset(dataset.events, dataset.nominals, dataset.population, dataset.deprivation, True, counts)
    assert "counts:knife-u25" in aggregation.available_layers(with_counts)
    assert aggregation.covered_years(with_counts, "counts:knife-u25") == [2020, 2021]
    table = aggregation.measure_table(with_counts, "counts:knife-u25", [W1, W2, W3], last_year=2021).set_index(
        "ward_code")
    assert table.loc[W1, ["count", "count_change"]].tolist() == [5, 3]
    assert table.loc[W2, "count"] == 0 and np.isnan(table.loc[W2, "count_change"])  # 2020 not given for W2
    assert np.isnan(table.loc[W3, "count"])  # W3 not in the table at all: no data, not zero
