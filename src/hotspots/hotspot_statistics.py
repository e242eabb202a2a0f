"""Statistical hotspots: Getis-Ord Gi* and Local Moran's I on a ward measure (esda, libpysal).

Queen contiguity between the wards that have a value; 999 permutations with a fixed seed, so the
same data always give the same answer. Each ward's p-value is a permutation p-value on the side of
the z it reports (``settings.HOTSPOT_ALTERNATIVE``: two-sided by default; docs/hotspot-statistics.md), so a significant label
always has the sign of that z. A ward is significant when p is at most ``alpha``, or, with
``fdr=True``, at most the Benjamini-Hochberg cut-off (``esda.fdr``) across all wards tested.

- Gi*: the ward's own value counts in its G*, so its permutations rearrange every ward's value,
  its own included (total randomisation, the null under which Ord and Getis (1995) give G*'s mean
  and variance). esda's conditional permutations hold the ward's own value fixed: they test its
  neighbours given its value, which made a high ward with average neighbours (z -0.39) a
  significant "cold spot". z is the Getis-Ord z (esda's ``Zs``); hot spot z > 0, cold spot z < 0.
- Local Moran: esda's conditional permutations (Anselin 1995), z their z (``z_sim``), and the
  quadrant as the label.
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager
from dataclasses import dataclass

import esda
import geopandas as gpd
import libpysal
import numpy as np
import pandas as pd

from hotspots import settings

METHODS = {"gi_star": "Getis-Ord Gi*", "local_moran": "Local Moran's I"}
MORAN_QUADRANTS = {1: "high-high (hot spot)", 2: "low-high (outlier)", 3: "low-low (cold spot)",
                   4: "high-low (outlier)"}
RESULT_COLUMNS = ["ward_code", "value", "statistic", "z", "p", "significant", "spot"]
ALTERNATIVES = ("two-sided", "one-sided")
#: Gi* permutations are drawn this many at a time: 8,000 areas then hold a few 6 MB arrays, not 64 MB ones.
_PERMUTATION_BLOCK = 100


@dataclass(frozen=True)
class GiStar:
    """Gi* of each area: ``statistic`` G*, ``z`` its Getis-Ord z and ``p`` its permutation p-value
    (total randomisation, on the side of ``z``: see the module docstring)."""

    statistic: np.ndarray
    z: np.ndarray
    p: np.ndarray


def queen_weights(areas: gpd.GeoDataFrame) -> libpysal.weights.W:
    """Queen contiguity between ``areas`` (``ward_code`` ids, in row order)."""
    with warnings.catch_warnings():
        # Canvey Island's wards touch no mainland ward: a second component is real geography.
        warnings.filterwarnings("ignore", message="The weights matrix is not fully connected", category=UserWarning)
        return libpysal.weights.Queen.from_dataframe(areas, ids=areas["ward_code"].tolist(), use_index=False)


def tested_weights(areas: gpd.GeoDataFrame, codes) -> tuple[gpd.GeoDataFrame, libpysal.weights.W | None]:
    """The ``areas`` among ``codes`` that have a neighbour among them, and their queen weights (None
    when fewer than 3 areas are left): what Gi*, Local Moran and emerging hot spots test."""
    tested = areas[areas["ward_code"].isin(codes)].reset_index(drop=True)
    if len(tested) < 3:
        return tested, None
    weights = queen_weights(tested)
    if weights.islands:
        tested = tested[~tested["ward_code"].isin(weights.islands)].reset_index(drop=True)
        if len(tested) < 3:
            return tested, None
        weights = queen_weights(tested)
    return tested, weights


def local_statistics(areas: gpd.GeoDataFrame, values: pd.Series, *, method: str = "gi_star",
                     permutations: int = 999, alpha: float = 0.05, fdr: bool = False,
                     seed: int | None = None) -> pd.DataFrame:
    """Gi* or Local Moran's I of ``values`` (by ``ward_code``) over the wards in ``areas`` with a value.

    Returns ``ward_code, value, statistic, z, p, significant, spot``: for Gi*, the statistic is
    G*, z its standardised value and ``spot`` "hot spot"/"cold spot"; for Local Moran, the
    statistic is I, z the permutation z and ``spot`` the quadrant (high-high, low-low or an
    outlier). Wards without a value, or without neighbours, are not tested and not returned.
    """
    if method not in METHODS:
        raise ValueError(f"Unknown method {method!r}: use one of {', '.join(METHODS)}.")
    present = values.reindex(areas["ward_code"]).dropna()
    tested, weights = tested_weights(areas, present.index)
    if weights is None:
        return pd.DataFrame(columns=RESULT_COLUMNS)
    y = present.reindex(tested["ward_code"]).to_numpy(dtype=float)
    seed = settings.SEED if seed is None else seed
    if method == "gi_star":
        result = gi_star(y, weights, permutations=permutations, seed=seed)
        statistic, z, p = result.statistic, result.z, result.p
        spot = np.where(z > 0, "hot spot", "cold spot")
    else:
        with _esda_warnings_silenced():
            result = esda.Moran_Local(y, weights, transformation="r", permutations=permutations, seed=seed, n_jobs=1)
        statistic, z = result.Is, result.z_sim
        p = _permutation_p(_far_counts(result.Is, result.rlisas, upper=z >= 0), permutations)
        spot = pd.Series(result.q).map(MORAN_QUADRANTS).to_numpy()
    cutoff = esda.fdr(p, alpha) if fdr else alpha
    significant = p <= cutoff
    return pd.DataFrame({"ward_code": tested["ward_code"], "value": y, "statistic": statistic, "z": z, "p": p,
                         "significant": significant, "spot": np.where(significant, spot, "not significant")})


def gi_star(y: np.ndarray, weights: libpysal.weights.W, *, permutations: int, seed: int) -> GiStar:
    """Gi* of ``y`` on binary ``weights`` (each area its own neighbour too), with ``permutations``
    rearrangements of all of ``y`` drawn from ``seed`` (the same draws for the same seed and
    weights): the map's Gi* and each year's of the emerging hot spots. Gi* is for values of one
    sign (counts, rates), not changes.
    Values the same everywhere have no hot or cold spot: z 0 and p 1."""
    with _esda_warnings_silenced(), np.errstate(invalid="ignore", divide="ignore"):  # same values: z is 0/0
        analytic = esda.G_Local(y, weights, transform="B", permutations=0, star=True)
    if np.ptp(y) == 0:
        return GiStar(statistic=analytic.Gs, z=np.zeros(len(y)), p=np.ones(len(y)))
    star_weights = analytic.w.sparse  # binary, with 1 on the diagonal (no permutation has touched it)
    upper = analytic.Zs >= 0
    rng = np.random.default_rng(seed)
    far = np.zeros(len(y), dtype=np.int64)
    for start in range(0, permutations, _PERMUTATION_BLOCK):
        draws = rng.permuted(np.tile(y, (min(_PERMUTATION_BLOCK, permutations - start), 1)), axis=1)
        far += _far_counts(analytic.Gs, (star_weights @ draws.T) / y.sum(), upper=upper)
    return GiStar(statistic=analytic.Gs, z=analytic.Zs, p=_permutation_p(far, permutations))


def _far_counts(observed: np.ndarray, simulated: np.ndarray, *, upper: np.ndarray) -> np.ndarray:
    """How many of each row of ``simulated`` (areas x permutations) are at least as far out as
    ``observed`` on its side: at or above it where ``upper``, at or below it elsewhere."""
    tolerance = 1e-9 * np.nanmax(np.abs(observed))  # the same sum in another order is not a smaller one
    above = (simulated >= observed[:, None] - tolerance).sum(axis=1)
    below = (simulated <= observed[:, None] + tolerance).sum(axis=1)
    return np.where(upper, above, below)


def _permutation_p(far: np.ndarray, permutations: int) -> np.ndarray:
    """The pseudo p-value (far + 1) / (permutations + 1) of each area on its z's side, doubled (at
    most 1) when ``settings.HOTSPOT_ALTERNATIVE`` is ``"two-sided"``."""
    if settings.HOTSPOT_ALTERNATIVE not in ALTERNATIVES:
        raise ValueError(f"settings.HOTSPOT_ALTERNATIVE is {settings.HOTSPOT_ALTERNATIVE!r}: set it to "
                         f"{' or '.join(map(repr, ALTERNATIVES))}.")
    one_sided = (far + 1.0) / (permutations + 1.0)
    return np.minimum(1.0, 2 * one_sided) if settings.HOTSPOT_ALTERNATIVE == "two-sided" else one_sided


@contextmanager
def _esda_warnings_silenced():
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The weights matrix is not fully connected", category=UserWarning)
        # esda 2.9's Moran_Local takes no `alternative` and warns that its default ("directed") will
        # change: we compute our own p from its simulations (_permutation_p), so neither applies.
        warnings.filterwarnings("ignore", message="The alternative hypothesis for conditional randomization",
                                category=DeprecationWarning)
        yield
