"""UK financial years (April to March), written ``2018/19``, and two-year windows.

A financial year is identified by its start year: 2018 is 2018/19 (1 April 2018 to 31 March 2019).
"""

from __future__ import annotations

import re

import pandas as pd

from hotspots._errors import PeriodError

_YEAR_LABEL = re.compile(r"^\s*(\d{4})\s*[/-]\s*(\d{2}|\d{4})\s*$")


def financial_year_label(start_year: int) -> str:
    """``2018`` -> ``"2018/19"``."""
    return f"{start_year}/{(start_year + 1) % 100:02d}"


def financial_year_from_label(label: str) -> int:
    """``"2018/19"`` (or ``2018-19``, ``2018/2019``) -> ``2018``; anything else raises PeriodError."""
    match = _YEAR_LABEL.match(str(label))
    if match:
        start, end = int(match.group(1)), int(match.group(2))
        if end % 100 == (start + 1) % 100:
            return start
    raise PeriodError(f"Cannot read {label!r} as a financial year: write it like 2018/19.")


def financial_year_of(dates: pd.Series) -> pd.Series:
    """Start year of the financial year holding each date (April to March)."""
    codes, distinct = pd.factorize(pd.to_datetime(dates))  # far fewer distinct dates than rows
    if (codes < 0).any():
        raise ValueError("financial_year_of needs a date on every row")
    distinct = pd.DatetimeIndex(distinct)
    years = (distinct.year - (distinct.month < 4)).to_numpy()
    return pd.Series(years[codes], index=dates.index, dtype="int64")


def window_label(last_year: int, years: int = 2) -> str:
    """``(2018, 2)`` -> ``"2017/18-2018/19"``: the window of ``years`` financial years ending with ``last_year``."""
    if years == 1:
        return financial_year_label(last_year)
    return f"{financial_year_label(last_year - years + 1)}-{financial_year_label(last_year)}"
