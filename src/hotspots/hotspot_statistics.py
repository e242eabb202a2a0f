"""Statistical hotspots: Getis-Ord Gi* and Local Moran's I on a ward measure (esda, libpysal).

Queen contiguity between the wards that have a value; 999 conditional permutations with a fixed
seed, so the same data always give the same answer; a ward is significant when its pseudo
p-value (folded, as in GeoDa: the share of permutations at least as extreme in the observed
direction) is at most ``alpha``, or, with ``fdr=True``, at most the Benjamini-Hochberg cut-off
(``esda.fdr``) across all wards tested.
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager

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
        statistic, z, p = result.Gs, result.Zs, result.p_sim
        spot = np.where(z > 0, "hot spot", "cold spot")
    else:
        with _esda_warnings_silenced():
            result = esda.Moran_Local(y, weights, transformation="r", permutations=permutations, seed=seed, n_jobs=1)
            statistic, z, p = result.Is, result.z_sim, result.p_sim
            spot = pd.Series(result.q).map(MORAN_QUADRANTS).to_numpy()
    cutoff = esda.fdr(p, alpha) if fdr else alpha
    significant = p <= cutoff
    return pd.DataFrame({"ward_code": tested["ward_code"], "value": y, "statistic": statistic, "z": z, "p": p,
                         "significant": significant, "spot": np.where(significant, spot, "not significant")})


def gi_star(y: np.ndarray, weights: libpysal.weights.W, *, permutations: int, seed: int) -> esda.G_Local:
    """Gi* of ``y`` on binary ``weights``, with ``permutations`` conditional permutations drawn from
    ``seed`` (the same draws for the same seed and weights): the map's Gi* and each year's of the
    emerging hot spots."""
    with _esda_warnings_silenced():
        return esda.G_Local(y, weights, transform="B", permutations=permutations, star=True, seed=seed, n_jobs=1,
                            keep_simulations=False)


@contextmanager
def _esda_warnings_silenced():
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="The weights matrix is not fully connected", category=UserWarning)
        # esda 2.9's local statistics take no `alternative`; its folded ("directed") pseudo p-value,
        # as in GeoDa, is what we report. The warning is about a future default, not this result.
        warnings.filterwarnings("ignore", message="The alternative hypothesis for conditional randomization",
                                category=DeprecationWarning)
        yield
