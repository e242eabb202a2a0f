"""Row problems found while reading a file: which line, which column, what value, what is wrong."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from hotspots.tabular import RawTable

PROBLEM_COLUMNS = ["file", "line", "column", "value", "problem"]


class RowProblems:
    """Collects rows that cannot be accepted; a row may have several problems."""

    def __init__(self, raw: RawTable):
        self.raw = raw
        self._parts: list[pd.DataFrame] = []

    def add(self, mask: pd.Series | np.ndarray, column: str, problem: str, values: pd.Series | None = None) -> None:
        """Record ``problem`` for every row where ``mask`` is true, quoting ``column``'s value."""
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        rows = np.flatnonzero(mask)
        shown = values if values is not None else self.raw.column(column) if column in self.raw.columns else None
        self._parts.append(pd.DataFrame({
            "row": rows,
            "file": self.raw.name,
            "line": self.raw.lines(rows),
            "column": self.raw.original(column),
            "value": shown.iloc[rows].astype(str).to_numpy() if shown is not None else "",
            "problem": problem,
        }))

    def add_distinct(self, bad: np.ndarray, codes: np.ndarray, column: str, problem: str) -> None:
        """``add`` for a check made once per distinct value: ``bad`` says which distinct values have the
        problem, ``codes`` which distinct value each row holds."""
        if bad.any():  # rows are only looked at when some value is bad
            self.add(bad[codes], column, problem)

    def rows(self) -> np.ndarray:
        """Positions (0-based) of rows with at least one problem."""
        if not self._parts:
            return np.array([], dtype=int)
        return np.unique(np.concatenate([part["row"].to_numpy() for part in self._parts]))

    def frame(self) -> pd.DataFrame:
        """``file, line, column, value, problem``, ordered by line."""
        if not self._parts:
            return pd.DataFrame({c: pd.Series(dtype="int64" if c == "line" else "str") for c in PROBLEM_COLUMNS})
        return (pd.concat(self._parts, ignore_index=True).sort_values(["file", "row", "column"], kind="stable")
                [PROBLEM_COLUMNS].reset_index(drop=True))


def repeats_earlier(values: pd.Series, *, skip_blank: bool = False) -> np.ndarray:
    """True where a row's value already appeared on an earlier row (never for ``""`` if ``skip_blank``).

    Rows are first compared by a 64-bit hash (DuckDB's, multi-threaded) and only rows whose hash
    repeats are compared as text: pandas takes 0.35 s to find repeats among a million long IDs."""
    with duckdb.default_connection().cursor() as db:  # a cursor per call: safe across threads
        hashes = db.from_arrow(pa.table({"value": pa.array(values.array)})).project("hash(value)")
        hashes = hashes.to_arrow_table().column(0).to_numpy()
    compared = values.ne("").to_numpy() if skip_blank else np.ones(len(values), dtype=bool)
    ordered = np.sort(hashes[compared])  # numpy sorts integers far faster than pandas hashes them
    candidates = np.flatnonzero(compared & np.isin(hashes, ordered[1:][ordered[1:] == ordered[:-1]]))
    repeated = np.zeros(len(values), dtype=bool)
    if len(candidates):  # taking even no rows joins the parser's chunks into one copy
        repeated[candidates] = values.iloc[candidates].duplicated(keep="first").to_numpy()
    return repeated


def grouped_problems(problems: pd.DataFrame, examples: int = 3) -> pd.DataFrame:
    """Problems grouped by column and kind: ``column, problem, rows, example_lines, example_values``."""
    if problems.empty:
        return pd.DataFrame(columns=["column", "problem", "rows", "example_lines", "example_values"])
    grouped = problems.groupby(["column", "problem"], sort=False)
    return pd.DataFrame({
        "rows": grouped.size(),
        "example_lines": grouped["line"].agg(lambda s: ", ".join(map(str, s.head(examples)))),
        "example_values": grouped["value"].agg(lambda s: ", ".join(repr(v) for v in s.head(examples))),
    }).reset_index().sort_values("rows", ascending=False, ignore_index=True)
