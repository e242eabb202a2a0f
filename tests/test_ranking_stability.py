"""Stability of a ranking under sampled weights (SMAA): known answers, ties, seeds, and the sampler."""

import numpy as np
import pandas as pd
from numpy.testing import assert_allclose

from hotspots import locality, ranking_stability


def _ranking(values: dict, weights: dict, normalisation: str = "min-max") -> locality.LocalityRanking:
    frame = pd.DataFrame(values, index=pd.Index([f"W{i}" for i in range(len(next(iter(values.values()))))],
                                                name="ward_code"))
    return locality.rank_wards(frame, weights, normalisation=normalisation)


def test_a_ward_top_on_every_measure_is_first_under_every_weighting():
    ranking = _ranking({"a": [9, 5, 3, 1], "b": [8, 1, 6, 2], "c": [7, 3, 2, 6]}, {"a": 1, "b": 1, "c": 1})
    stability = ranking_stability.ranking_stability(ranking, k=1, samples=2000, seed=3)
    table = stability.table.set_index("ward_code")
    assert table.loc["W0", "top_k_share"] == 1.0 and table.loc["W0", "worst_rank"] == 1
    assert stability.always_top == ["W0"]
    assert_allclose(stability.acceptability.sum(axis=1), 1.0)  # every ward takes some rank in every sample
    assert table.drop(index="W0")["top_k_share"].eq(0).all()


def test_wards_tied_at_k_th_place_are_both_in_the_top_k_in_every_sample():
    # W1 and W2 have the same values, so they tie under any weights: both share 2nd place.
    ranking = _ranking({"a": [9, 5, 5, 1], "b": [8, 4, 4, 2]}, {"a": 2, "b": 1})
    stability = ranking_stability.ranking_stability(ranking, k=2, samples=500, seed=1)
    table = stability.table.set_index("ward_code")
    assert table.loc[["W0", "W1", "W2"], "top_k_share"].tolist() == [1.0, 1.0, 1.0]
    assert table.loc["W1", "best_rank"] == table.loc["W1", "worst_rank"] == 2
    assert table.loc["W3", "best_rank"] == 4  # after two wards sharing 2nd comes 4th
    assert stability.always_top == ["W0", "W1", "W2"]


def test_the_weights_decide_a_close_race_and_the_shares_say_how_often():
    # W0 leads on a, W1 on b; with equal weights they tie, so each wins about half the samples.
    ranking = _ranking({"a": [1, 0, 0.5], "b": [0, 1, 0.4]}, {"a": 1, "b": 1})
    stability = ranking_stability.ranking_stability(ranking, k=1, samples=20_000, seed=7)
    shares = stability.table.set_index("ward_code")["top_k_share"]
    assert abs(shares["W0"] - 0.5) < 0.02 and abs(shares["W1"] - 0.5) < 0.02 and shares["W2"] == 0
    assert stability.always_top == []


def test_the_same_seed_gives_the_same_figures_and_another_seed_others():
    ranking = _ranking({"a": [1, 0, 0.5, 0.2], "b": [0, 1, 0.4, 0.9]}, {"a": 1, "b": 1})
    first = ranking_stability.ranking_stability(ranking, k=1, samples=1000, seed=11)
    again = ranking_stability.ranking_stability(ranking, k=1, samples=1000, seed=11)
    other = ranking_stability.ranking_stability(ranking, k=1, samples=1000, seed=12)
    pd.testing.assert_frame_equal(first.table, again.table)
    assert not first.table["top_k_share"].equals(other.table["top_k_share"])


def test_sampled_weights_stay_within_the_spread_and_sum_to_one():
    drawn = ranking_stability.sample_weights(np.array([0.5, 0.3, 0.2, 0.0]), samples=5000, spread=0.25,
                                             rng=np.random.default_rng(0))
    assert_allclose(drawn.sum(axis=1), 1.0)
    assert (drawn[:, 3] == 0).all()  # a measure weighted zero stays out
    before = drawn[:, :3] / drawn[:, :3].sum(axis=1, keepdims=True)
    ratio = before[:, 0] / before[:, 1]  # 0.5/0.3 moved by at most 1.25/0.75 either way
    assert ratio.max() <= 0.5 / 0.3 * 1.25 / 0.75 + 1e-9 and ratio.min() >= 0.5 / 0.3 * 0.75 / 1.25 - 1e-9


def test_ranks_under_matches_a_plain_ranking_per_sample():
    rng = np.random.default_rng(5)
    normalised = np.round(rng.random((30, 4)), 1)  # rounded, so there are ties
    weights = ranking_stability.sample_weights(np.ones(4), samples=50, spread=0.25, rng=rng)
    ranks = ranking_stability.ranks_under(normalised, weights)
    for sample in range(50):
        assert ranks[:, sample].tolist() == locality.ranks_of(normalised @ weights[sample]).tolist()
