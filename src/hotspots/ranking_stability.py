"""How firm a weighted ranking is: the ranks under many weightings near the chosen one.

As in SMAA (stochastic multicriteria acceptability analysis), each chosen weight is moved by up to
``spread`` of itself (uniformly, independently; a zero weight stays zero), the sample is
renormalised to sum to 1, and the wards are ranked again. Per ward: the share of samples in which
it is in the top ``k`` (the "top-k acceptability"), its best and worst rank, and how often it takes
each rank (the rank acceptability table); the wards in the top k in every sample are "in the top k
whatever the weights" (within the spread). Ties share the best rank, as in ``locality.ranks_of``,
so two wards level at k-th place are both counted in the top k. Seeded: the same inputs give the
same figures. One matrix product and one sort per sample column, in numpy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from hotspots import settings
from hotspots.locality import SCORE_DECIMALS, LocalityRanking


@dataclass(frozen=True)
class RankingStability:
    """``table``: ``ward_code, top_k_share`` (0-1), ``best_rank, worst_rank``, ranked order of the
    ranking. ``acceptability``: ward x rank, the share of samples with that rank. ``always_top``:
    ward codes in the top k in every sample."""

    table: pd.DataFrame
    acceptability: pd.DataFrame
    always_top: list[str]
    k: int
    samples: int
    spread: float
    seed: int


def sample_weights(weights: np.ndarray, *, samples: int, spread: float, rng: np.random.Generator) -> np.ndarray:
    """``samples`` x measures: each weight times a uniform factor in [1 - spread, 1 + spread],
    each row renormalised to sum to 1."""
    if not 0 <= spread < 1:
        raise ValueError(f"The spread is a share below 1 (0.25 is +-25%); got {spread}.")
    factors = rng.uniform(1 - spread, 1 + spread, size=(samples, len(weights)))
    drawn = factors * np.asarray(weights, dtype="float64")
    return drawn / drawn.sum(axis=1, keepdims=True)


def ranks_under(normalised: np.ndarray, weight_samples: np.ndarray) -> np.ndarray:
    """Ranks (1 = highest; ties share the best) of the wards (rows of ``normalised``, ward x
    measure) under each weight vector (rows of ``weight_samples``): wards x samples."""
    scores = np.round(normalised @ weight_samples.T, SCORE_DECIMALS)
    order = np.argsort(-scores, axis=0, kind="stable")
    ordered = np.take_along_axis(scores, order, axis=0)
    wards = np.arange(len(scores))[:, None]
    starts = np.ones(ordered.shape, dtype=bool)
    starts[1:] = ordered[1:] != ordered[:-1]
    position = np.maximum.accumulate(np.where(starts, wards, 0), axis=0)  # a tie takes its first place
    ranks = np.empty(scores.shape, dtype=np.int32)
    np.put_along_axis(ranks, order, (position + 1).astype(np.int32), axis=0)
    return ranks


def ranking_stability(ranking: LocalityRanking, *, k: int | None = None, samples: int | None = None,
                      spread: float | None = None, seed: int | None = None) -> RankingStability:
    """The stability figures of ``ranking`` (defaults from ``settings.LOCALITY_*`` and ``settings.SEED``)."""
    k = settings.LOCALITY_TOP_K if k is None else int(k)
    samples = settings.LOCALITY_WEIGHT_SAMPLES if samples is None else int(samples)
    spread = settings.LOCALITY_WEIGHT_SPREAD if spread is None else float(spread)
    seed = settings.SEED if seed is None else int(seed)
    if samples < 1 or k < 1:
        raise ValueError(f"Stability needs at least one sample and k of 1 or more; got {samples} and {k}.")
    normalised = ranking.normalised[ranking.weights.index]
    drawn = sample_weights(ranking.weights.to_numpy(), samples=samples, spread=spread,
                           rng=np.random.default_rng(seed))
    ranks = ranks_under(normalised.to_numpy(), drawn)
    wards = normalised.index
    n = len(wards)
    counts = np.bincount((np.arange(n)[:, None] * n + ranks - 1).ravel(), minlength=n * n).reshape(n, n)
    acceptability = pd.DataFrame(counts / samples, index=wards, columns=range(1, n + 1))
    in_top = (ranks <= k).mean(axis=1)
    table = pd.DataFrame({"ward_code": wards, "top_k_share": in_top, "best_rank": ranks.min(axis=1),
                          "worst_rank": ranks.max(axis=1)}).set_index("ward_code").loc[ranking.table["ward_code"]]
    always = [code for code, share in zip(table.index, table["top_k_share"]) if share == 1.0]
    return RankingStability(table.reset_index(), acceptability, always, k, samples, spread, seed)
