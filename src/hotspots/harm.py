"""Harm weights per offence group, for harm-weighted Op Grip targeting (docs/harm-weights.md).

The default table follows the method of the Cambridge Crime Harm Index (Sherman, Neyroud and
Neyroud, "The Cambridge Crime Harm Index: Measuring Total Harm from Crime Based on Sentencing
Guidelines", Policing 10(3), 2016): an offence's harm is the number of days of imprisonment
that the Sentencing Council's guideline gives as the starting point for a first offender in the
offence's least serious category, with community orders counted as days (low 8, medium 15,
high 30). Each row names the offence and guideline it was taken from (``basis``). Weights are
matched to events' ``category`` ignoring case, spaces and punctuation, so one table serves force
extracts (Home Office offence groups, lower case) and police.uk (crime types as published).

A user's table replaces it: columns ``offence_group`` and ``weight``; every offence of the
chosen set needs a weight, every group must be one the product knows, and no weight may be
negative or missing (:func:`validated_weights` says what is wrong).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from hotspots._errors import TaskingError
from hotspots.geography import slug

HARM_INDEX = "Cambridge Crime Harm Index method (Sherman, Neyroud and Neyroud 2016), days of imprisonment"

#: offence group, harm weight in days, where the figure comes from.
DEFAULT_WEIGHTS: tuple[tuple[str, float, str], ...] = (
    ("homicide", 5475.0, "murder: minimum term starting point 15 years (Criminal Justice Act 2003, Schedule 21)"),
    ("violence with injury", 15.0, "assault occasioning actual bodily harm, least serious category: medium-level "
                                   "community order (Sentencing Council assault guideline)"),
    ("sexual offences", 1825.0, "rape, least serious category: 5 years' custody (Sentencing Council sexual "
                                "offences guideline, 2014)"),
    ("robbery", 365.0, "street robbery, least serious category: 1 year's custody (Sentencing Council robbery "
                       "guideline, 2016)"),
    ("possession of weapons", 91.0, "possession of a bladed article in public (culpability A), lesser harm (A2): "
                                    "3 months' custody (Sentencing Council bladed articles guideline, 2018)"),
    ("Violence and sexual offences", 15.0, "police.uk's group, mostly violence: weighted as violence with injury "
                                           "(it cannot be split; see docs/harm-weights.md)"),
    ("Robbery", 365.0, "police.uk's robbery: as robbery above"),
    ("Possession of weapons", 91.0, "police.uk's possession of weapons: as possession of weapons above"),
)

#: Offence groups the product knows: the Home Office's police recorded crime groups (force
#: extracts, lower case) and police.uk's crime types.
KNOWN_OFFENCE_GROUPS: tuple[str, ...] = (
    "homicide", "death or serious injury caused by unlawful driving", "violence with injury",
    "violence without injury", "stalking and harassment", "sexual offences", "robbery", "possession of weapons",
    "public order offences", "theft offences", "burglary", "vehicle offences", "criminal damage and arson",
    "drug offences", "miscellaneous crimes against society",
    "Anti-social behaviour", "Bicycle theft", "Burglary", "Criminal damage and arson", "Drugs", "Other theft",
    "Possession of weapons", "Public order", "Robbery", "Shoplifting", "Theft from the person", "Vehicle crime",
    "Violence and sexual offences", "Other crime",
)


def default_weights() -> pd.DataFrame:
    """The default table: ``offence_group, weight, basis`` (weights in days, see the module)."""
    return pd.DataFrame(list(DEFAULT_WEIGHTS), columns=["offence_group", "weight", "basis"])


def validated_weights(table: pd.DataFrame, *, offences: Sequence[str],
                      known: Iterable[str] = ()) -> dict[str, float]:
    """A weight per offence of ``offences``, keyed by :func:`~hotspots.geography.slug`.

    ``table`` has ``offence_group`` and ``weight``; a wholly blank row (a row added in the editor
    and left empty) is left out. Refused with a :class:`TaskingError`: a
    missing column, an offence group that is neither in :data:`KNOWN_OFFENCE_GROUPS` nor in
    ``known`` (the categories the data hold), a weight that is negative, missing or not a number,
    a group given twice with different weights, an offence of ``offences`` without a weight, and
    weights of 0 for every offence of ``offences`` (no harm to share out).
    """
    missing_columns = {"offence_group", "weight"} - set(table.columns)
    if missing_columns:
        raise TaskingError(f"The harm table needs the columns offence_group and weight; it has no "
                           f"{', '.join(sorted(missing_columns))}.")
    blank = table["offence_group"].astype("string").fillna("").str.strip().eq("") & table["weight"].isna()
    table = table[~blank]
    groups = table["offence_group"].astype("string").fillna("").str.strip()
    recognised = {slug(g) for g in (*KNOWN_OFFENCE_GROUPS, *known)}
    unknown = sorted({g for g in groups if slug(g) not in recognised})
    if unknown:
        raise TaskingError(f"The harm table names offence group(s) the data and the product do not know: "
                           f"{', '.join(repr(g) for g in unknown)}. Use the offence groups of the data "
                           f"(for example {', '.join(repr(g) for g in offences[:3])}).")
    weights = pd.to_numeric(table["weight"], errors="coerce")
    bad = groups[weights.isna() | ~np.isfinite(weights.fillna(0)) | weights.lt(0)]
    if len(bad):
        raise TaskingError(f"The harm weight of {', '.join(repr(g) for g in bad)} is negative or not a number: "
                           "give every offence group a weight of 0 or more.")
    by_slug = pd.Series(weights.to_numpy(dtype=float), index=[slug(g) for g in groups])
    clashing = sorted({g for g in groups if by_slug.groupby(level=0).nunique()[slug(g)] > 1})
    if clashing:
        raise TaskingError(f"The harm table gives {', '.join(repr(g) for g in clashing)} more than one weight: "
                           "keep one row per offence group.")
    without = [o for o in offences if slug(o) not in by_slug.index]
    if without:
        raise TaskingError(f"The harm table has no weight for {', '.join(repr(o) for o in without)}: add a row "
                           "for every offence group chosen.")
    unique = by_slug[~by_slug.index.duplicated()]
    chosen = {slug(o): float(unique[slug(o)]) for o in offences}
    if not any(chosen.values()):
        raise TaskingError(f"Every offence chosen ({', '.join(repr(o) for o in offences)}) has a harm weight of 0, "
                           "so no event carries any harm: give at least one a weight above 0, or turn off "
                           "Weight by harm to rank by counts.")
    return chosen


def event_harm(categories: pd.Series, weights: dict[str, float]) -> pd.Series:
    """Each event's harm weight from its ``category`` (``weights`` from :func:`validated_weights`);
    NaN for a category without a weight."""
    codes, uniques = pd.factorize(categories)  # weigh each distinct category once
    by_code = np.append([weights.get(slug(c), np.nan) for c in uniques], np.nan)  # code -1 (missing): NaN
    return pd.Series(by_code[codes], index=categories.index, dtype=float)
