"""CSV exports that are safe to open in a spreadsheet: the one escaping of formula cells (CSV injection).

A text cell starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return (the OWASP list)
would be run by a spreadsheet as a formula, so it is written with a leading ``'``, which makes it
text. Number columns are written as they are: a negative number stays a number. Lines end in
``\r\n`` (RFC 4180), so that Python's csv quotes a cell holding a carriage return as well as a line
feed: unquoted, a spreadsheet would start a new row there, its first cell whatever followed. Every CSV the
dashboard offers goes through here: ``ui.common.csv_bytes`` (the pages' downloads),
``tasking_exports.areas_csv``, ``decision_record.record_to_csv`` and the command line's
``hotspots counts`` and ``hotspots forecast``.
"""

from __future__ import annotations

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
LINE_END = "\r\n"  # csv quotes a cell holding any character of the line end, and only those


def formula_safe(value: str, *, reversible: bool = False) -> str:
    """``value`` with a leading ``'`` if a spreadsheet would run it as a formula. ``reversible``
    also quotes a value that already starts with ``'``, so that removing one leading ``'`` on
    reading gives back the value (the decision record's CSV is read back)."""
    starts = FORMULA_STARTS + ("'",) if reversible else FORMULA_STARTS
    return "'" + value if value.startswith(starts) else value


def table_csv(table: pd.DataFrame, *, float_format: str | None = None) -> bytes:
    """``table`` as UTF-8 CSV (no index, :data:`LINE_END`, numbers as ``float_format`` says), its
    text cells made :func:`formula_safe`."""
    text_columns = table.select_dtypes(include=["object", "string", "category"]).columns
    safe = table.assign(**{column: table[column].astype(object).map(_formula_safe_cell) for column in text_columns})
    safe.columns = [_formula_safe_cell(column) for column in safe.columns]  # a header from a user's file too
    return safe.to_csv(index=False, lineterminator=LINE_END, float_format=float_format).encode("utf-8")


def _formula_safe_cell(value: object) -> object:
    return formula_safe(value) if isinstance(value, str) else value  # an object column may hold numbers or None
