"""The locality ranking on fixtures with known answers: each normalisation, weights, contributions, bad input."""

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from hotspots import locality
from hotspots._errors import LocalityError


def _values(**columns) -> pd.DataFrame:
    return pd.DataFrame(columns, index=pd.Index(["A", "B", "C", "D"], name="ward_code"))


def test_rank_normalisation_spreads_the_order_evenly_and_ties_share_the_middle():
    out = locality.normalise(_values(m=[10, 40, 20, 20]), "rank")["m"]
    assert_allclose(out.to_numpy(), [0, 1, 0.5, 0.5])  # ranks 1, 4, 2.5, 2.5 of 4 -> (r - 1) / 3


def test_z_score_is_standard_deviations_from_the_mean():
    out = locality.normalise(_values(m=[2, 4, 4, 6]), "z-score")["m"]  # mean 4, sd (ddof 0) sqrt(2)
    assert_allclose(out.to_numpy(), [-2 / np.sqrt(2), 0, 0, 2 / np.sqrt(2)])


def test_min_max_puts_the_lowest_at_0_and_the_highest_at_1():
    out = locality.normalise(_values(m=[5, 15, 10, 25]), "min-max")["m"]
    assert_allclose(out.to_numpy(), [0, 0.5, 0.25, 1])


@pytest.mark.parametrize("method", list(locality.NORMALISATIONS))
def test_a_measure_equal_everywhere_orders_nothing_and_a_missing_value_scores_lowest(method):
    out = locality.normalise(_values(flat=[3, 3, 3, 3], gap=[1.0, np.nan, 5.0, 9.0]), method)
    assert out["flat"].eq(0).all()
    assert out.loc["B", "gap"] == out["gap"].min()


def test_unknown_normalisation_lists_the_known_ones():
    with pytest.raises(LocalityError, match="use one of rank, z-score, min-max"):
        locality.normalise(_values(m=[1, 2, 3, 4]), "percentile")


def test_weighted_ranking_and_each_wards_contributions():
    values = _values(victims=[10, 30, 20, 0], offenders=[0, 0, 10, 5])  # min-max: [1/3, 1, 2/3, 0], [0, 0, 1, .5]
    ranking = locality.rank_wards(values, {"victims": 3, "offenders": 1}, normalisation="min-max")
    assert_allclose(ranking.weights.to_numpy(), [0.75, 0.25])
    assert_allclose(ranking.contributions.loc["C"].to_numpy(), [0.75 * 2 / 3, 0.25])
    assert_allclose(ranking.contributions.sum(axis=1), ranking.table.set_index("ward_code")["score"].reindex(
        ranking.contributions.index))
    assert ranking.table["ward_code"].tolist() == ["B", "C", "A", "D"]  # 0.75, 0.75, 0.25, 0.125
    assert ranking.table["rank"].tolist() == [1, 1, 3, 4]  # B and C tie: both 1st, the next is 3rd
    assert_allclose(ranking.table["score"], [0.75, 0.75, 0.25, 0.125])


def test_a_tie_from_floating_point_noise_is_still_a_tie():
    assert locality.ranks_of(np.array([0.1 + 0.2, 0.3, 0.1])).tolist() == [1, 1, 3]


def test_every_weight_zero_is_refused_with_what_to_do():
    with pytest.raises(LocalityError, match="Every weight is zero.*at least one measure a weight above zero"):
        locality.rank_wards(_values(m=[1, 2, 3, 4]), {"m": 0}, normalisation="rank")


def test_one_ward_only_is_refused():
    with pytest.raises(LocalityError, match="at least two wards; the chosen districts have 1"):
        locality.rank_wards(_values(m=[1, 2, 3, 4]).iloc[:1], {"m": 1}, normalisation="rank")


def test_a_measure_without_data_is_refused_by_name():
    with pytest.raises(LocalityError, match="knife has no data for these wards in the chosen period"):
        locality.rank_wards(_values(m=[1, 2, 3, 4], knife=[np.nan] * 4), {"m": 1, "knife": 1}, normalisation="rank")


def test_negative_weights_are_refused():
    with pytest.raises(LocalityError, match="Weights must be 0 or more"):
        locality.rank_wards(_values(m=[1, 2, 3, 4], n=[4, 3, 2, 1]), {"m": 1, "n": -1}, normalisation="rank")


@pytest.mark.parametrize("weights, shown", [((3, 1, 1, 1, 1, 1), [37.5] + [12.5] * 5),  # rounded alone: 38 + 5 x 12
                                            ((1, 1, 1), [33.4, 33.3, 33.3]),
                                            ((2, 1, 1, 1, 1, 1), [28.5] + [14.3] * 5),
                                            ((1, 0), [100.0, 0.0])])
def test_weight_shares_are_shown_to_one_decimal_and_add_up_to_100(weights, shown):
    given = np.array(weights, dtype=float)
    shares = locality.percent_shares(given / given.sum())
    assert shares == shown and round(sum(shares) * 10) == 1000


def test_shares_to_whole_percent_add_up_to_100_where_rounding_each_does_not():
    shares = np.array([3, 1, 1, 1, 1, 1]) / 8
    assert sum(round(share * 100) for share in shares) == 98  # what the page showed
    assert locality.percent_shares(shares, decimals=0) == [38.0, 13.0, 13.0, 12.0, 12.0, 12.0]
