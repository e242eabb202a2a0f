"""Locality wards: every ward of the chosen districts scored on the measures a user picks.

Each measure is normalised across the wards (rank, z-score or min-max: :data:`NORMALISATIONS`
says each in one sentence), multiplied by its weight (weights are scaled to sum to 1) and summed
into a score; the ranking orders the scores, 1 = highest. A ward's contribution on a measure is
its weight times its normalised value, so the contributions add up to its score. Ties share the
best rank (two wards level in second place are both 2nd). Pure pandas: the values come in as a
table (``locality_view`` builds it, after disclosure control).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hotspots._errors import LocalityError

#: What each normalisation does, in the sentence the page shows.
NORMALISATIONS = {
    "rank": "Rank: the wards are put in order on the measure, lowest 0 and highest 1, evenly spaced, so only the "
            "order counts and one extreme ward cannot outweigh the rest (tied wards share the middle place).",
    "z-score": "Z-score: how many standard deviations a ward lies above (or below) the mean of the wards shown, "
               "so the size of the gaps counts and a ward far ahead stands out.",
    "min-max": "Min-max: the lowest ward is 0 and the highest 1, the others in proportion between, so the gaps "
               "count and one extreme ward squeezes the others together near 0.",
}
#: Scores are compared after rounding to this many decimals, so that wards whose scores differ
#: only by floating-point noise (the same values summed in another order) tie as documented.
SCORE_DECIMALS = 12
#: Weight shares are shown as percentages to this many decimals (``percent_shares``), and say so
#: (the note names the number of decimals).
SHARE_DECIMALS = 1
SHARES_NOTE = ("Shares are the weights scaled to add up to 100%, shown to one decimal and rounded so that they add "
               "up to 100% exactly (largest remainder).")


@dataclass(frozen=True)
class LocalityRanking:
    """A weighted ranking. ``weights``: by measure, summing to 1. ``normalised`` and
    ``contributions``: ward x measure (index ``ward_code``). ``table``: ``ward_code, score, rank``,
    best first."""

    weights: pd.Series
    normalised: pd.DataFrame
    contributions: pd.DataFrame
    table: pd.DataFrame
    normalisation: str


def normalise(values: pd.DataFrame, method: str) -> pd.DataFrame:
    """Each column of ``values`` (ward x measure) normalised by ``method`` (a key of
    :data:`NORMALISATIONS`). A measure equal in every ward gives every ward 0 (it orders nothing);
    a ward without a value gets the measure's lowest normalised value."""
    if method not in NORMALISATIONS:
        raise LocalityError(f"Unknown normalisation {method!r}: use one of {', '.join(NORMALISATIONS)}.")
    return values.apply(lambda column: _normalised(column.astype("float64"), method))


def rank_wards(values: pd.DataFrame, weights: Mapping[str, float], *, normalisation: str) -> LocalityRanking:
    """The weighted ranking of the wards (rows of ``values``, index ``ward_code``) on the measures
    (its columns) with ``weights`` (by measure; any scale, none negative, not all zero)."""
    _check(values, weights)
    share = pd.Series({measure: float(weights[measure]) for measure in values.columns})
    share = share / share.sum()
    normalised = normalise(values, normalisation)
    contributions = normalised * share
    score = contributions.sum(axis=1)
    table = pd.DataFrame({"ward_code": values.index, "score": score.to_numpy(),
                          "rank": ranks_of(score.to_numpy())})
    table = table.sort_values(["rank", "ward_code"], kind="stable", ignore_index=True)
    return LocalityRanking(share, normalised, contributions, table, normalisation)


def percent_shares(shares: Sequence[float], *, decimals: int = SHARE_DECIMALS) -> list[float]:
    """``shares`` (summing to 1) as percentages to ``decimals`` places that add up to exactly 100:
    each rounded down, then the units left over go to the largest remainders (Hamilton's method;
    equal remainders to the earlier share). Rounding each alone can miss: 3:1:1:1:1:1 gives
    38% + 5 x 12% = 98%, where one decimal gives 37.5% + 5 x 12.5%."""
    unit = 10 ** decimals
    exact = np.asarray(shares, dtype="float64") * 100 * unit
    floors = np.floor(np.round(exact, 6))  # 12.4999999999 (from 1/8 summed) is 12.5, not below it
    left = int(round(100 * unit - floors.sum()))
    order = np.argsort(-(exact - floors), kind="stable")
    floors[order[:left]] += 1
    return [float(units) / unit for units in floors]


def ranks_of(scores: np.ndarray) -> np.ndarray:
    """1 for the highest score; equal scores (to :data:`SCORE_DECIMALS`) share the best rank."""
    rounded = pd.Series(np.round(scores, SCORE_DECIMALS))
    return rounded.rank(ascending=False, method="min").astype("int64").to_numpy()


def _normalised(column: pd.Series, method: str) -> pd.Series:
    given = column.dropna()
    if given.nunique() <= 1:
        return pd.Series(0.0, index=column.index)
    if method == "rank":
        out = (given.rank(method="average") - 1) / (len(given) - 1)
    elif method == "z-score":
        out = (given - given.mean()) / given.std(ddof=0)
    else:
        out = (given - given.min()) / (given.max() - given.min())
    return out.reindex(column.index).fillna(out.min())


def _check(values: pd.DataFrame, weights: Mapping[str, float]) -> None:
    if len(values) < 2:
        raise LocalityError(f"A ranking needs at least two wards; the chosen districts have {len(values)}: "
                            "choose more districts.")
    if values.shape[1] == 0:
        raise LocalityError("Choose at least one measure to rank the wards on.")
    missing = [measure for measure in values.columns if measure not in weights]
    if missing:
        raise LocalityError(f"No weight given for {', '.join(missing)}: give every chosen measure a weight.")
    given = np.array([float(weights[measure]) for measure in values.columns])
    if (given < 0).any() or not np.isfinite(given).all():
        raise LocalityError("Weights must be 0 or more: a negative weight would rank a ward higher for having less.")
    if given.sum() == 0:
        raise LocalityError("Every weight is zero, so nothing ranks the wards: give at least one measure a weight "
                            "above zero.")
    empty = [measure for measure in values.columns if values[measure].isna().all()]
    if empty:
        raise LocalityError(f"{', '.join(empty)} has no data for these wards in the chosen period: untick it or "
                            "choose another period.")
