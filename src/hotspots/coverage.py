"""What a dataset covers (which months, of which source and force), and what an import overlaps.

A dataset of events covers every month from its first to its last event, per source and force
(a police.uk file is one force's month: its ``Reported by``); a month inside that span with no
event is covered, with zero. A count table covers whole financial years, per layer, recorded as
each year's April. Two datasets overlap where they cover the same (source, force, month), or
where they hold the same references (Crime IDs, incident ids, nominal ids): storing both would
count those events twice, so an overlapping import either replaces the earlier months or is
refused (see ``store.add_dataset``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from hotspots.periods import financial_year_label

COVERAGE_COLUMNS = ["source", "force", "month", "rows"]
#: Column holding each row's reference, for the tables whose rows have one.
REFERENCE_COLUMNS = {"events": "reference", "nominals": "nominal_id"}


@dataclass(frozen=True)
class Overlap:
    """What an incoming dataset shares with datasets already stored (and not already replaced).

    ``months``: ``dataset_id, original_name, source, force, month`` per shared month;
    ``references``: ``dataset_id, original_name, references`` (how many shared references) per
    earlier dataset."""

    months: pd.DataFrame
    references: pd.DataFrame

    def __bool__(self) -> bool:
        return bool(len(self.months) or len(self.references))

    def describe(self) -> str:
        """One sentence per earlier dataset: what this file shares with it."""
        parts = []
        for (dataset_id, name), months in self.months.groupby(["dataset_id", "original_name"], sort=True):
            forces = sorted({f for f in months["force"] if f})
            parts.append(f"dataset {dataset_id} ({name}) already holds {month_span(months['month'], months['source'].iloc[0])}"
                         + (f" for {', '.join(forces)}" if forces else ""))
        for row in self.references.itertuples():
            parts.append(f"dataset {row.dataset_id} ({row.original_name}) already holds {row.references:,} of its references")
        return "; ".join(parts)


def of_rows(kind: str, table: pd.DataFrame) -> pd.DataFrame:
    """``source, force, month, rows``: what ``table`` (a reader's rows for the ``kind`` table) covers."""
    if kind == "events":
        return _event_months(table)
    if kind == "counts":
        years = table.groupby(["layer", "financial_year"], observed=True).size()
        return pd.DataFrame({"source": "counts", "force": years.index.get_level_values("layer").astype(str),
                             "month": pd.to_datetime([f"{y}-04-01" for y in years.index.get_level_values(1)]),
                             "rows": years.to_numpy()}).astype({"rows": "int64"})
    return pd.DataFrame({"source": pd.Series(dtype="str"), "force": pd.Series(dtype="str"),
                         "month": pd.Series(dtype="datetime64[us]"), "rows": pd.Series(dtype="int64")})


def _event_months(table: pd.DataFrame) -> pd.DataFrame:
    """Months per (source, force), from integer keys: a million rows take milliseconds."""
    dated = table["date"].notna().to_numpy()
    source_codes, sources = _codes(table["source"], dated)
    force_codes, forces = _codes(table["force"], dated)
    months = months_since_1970(table["date"].to_numpy()[dated])
    if not len(months):
        return of_rows("population", table)
    first, spread = months.min(), int(months.max() - months.min()) + 1
    pair = source_codes.astype(np.int64) * len(forces) + force_codes
    per_month = np.bincount(pair * spread + (months - first), minlength=len(sources) * len(forces) * spread)
    frames = []
    for key in np.unique(pair):
        counts = per_month[key * spread: (key + 1) * spread]
        held = np.flatnonzero(counts)
        span = slice(held[0], held[-1] + 1)  # from this source and force's first month to its last
        frames.append(pd.DataFrame({
            "source": str(sources[key // len(forces)]), "force": str(forces[key % len(forces)]),
            "month": (first + np.arange(spread)[span]).astype("datetime64[M]").astype("datetime64[us]"),
            "rows": counts[span].astype(np.int64)}))
    return pd.concat(frames, ignore_index=True)


def months_since_1970(dates: np.ndarray) -> np.ndarray:
    """Months since 1970 of each date, worked out once per distinct date (a file holds few)."""
    codes, distinct = pd.factorize(dates.view(np.int64))
    return distinct.astype(dates.dtype).astype("datetime64[M]").astype(np.int64)[codes]


def _codes(column: pd.Series, keep: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Positions of the ``keep`` rows' values in a list of distinct values (a missing value is ``""``);
    a categorical's own codes, without building a million strings."""
    if not isinstance(column.dtype, pd.CategoricalDtype):
        column = column.astype("category")
    values = [str(v) for v in column.cat.categories] + [""]
    codes = column.cat.codes.to_numpy()[keep].astype(np.int64)
    return np.where(codes < 0, len(values) - 1, codes), values


def months_by_year(coverage: pd.DataFrame) -> dict[int, int]:
    """Financial year (start year) -> how many of its 12 months ``coverage`` covers (any force)."""
    if coverage.empty:
        return {}
    months = pd.DatetimeIndex(coverage["month"].drop_duplicates())
    years = months.year - (months.month < 4)
    return {int(year): int(count) for year, count in pd.Series(years).value_counts().sort_index().items()}


def period_label(last_year: int, years: int, months: dict[int, int] | None) -> str:
    """``"2018/19"`` when complete, ``"2018/19, 5 of 12 months"`` when not (``months`` from
    ``months_by_year``; None: a source without months, such as a register, is taken as complete)."""
    window = list(range(last_year - years + 1, last_year + 1))
    label = financial_year_label(window[0]) if years == 1 else f"{financial_year_label(window[0])}-{financial_year_label(window[-1])}"
    if months is None:
        return label
    held = sum(months.get(year, 0) for year in window)
    return label if held == 12 * years else f"{label}, {held} of {12 * years} months"


def complete_years(months: dict[int, int]) -> list[int]:
    """The financial years all 12 of whose months are covered."""
    return sorted(year for year, count in months.items() if count >= 12)


def month_span(months: pd.Series, source: str = "") -> str:
    """``"2023-01 to 2023-03"`` (or one month, or count tables' financial years ``"2018/19-2019/20"``),
    with gaps shown as separate runs."""
    stamps = pd.DatetimeIndex(sorted(pd.to_datetime(months).unique()))
    if source == "counts":
        years = stamps.year.tolist()
        return ", ".join(_runs(years, 1, financial_year_label))
    ordinals = (stamps.year * 12 + stamps.month - 1).tolist()
    return ", ".join(_runs(ordinals, 1, lambda o: f"{o // 12}-{o % 12 + 1:02d}"))


def _runs(values: list[int], step: int, label) -> list[str]:
    runs: list[list[int]] = []
    for value in values:
        if runs and value - runs[-1][-1] == step:
            runs[-1].append(value)
        else:
            runs.append([value])
    return [label(run[0]) if len(run) == 1 else f"{label(run[0])} to {label(run[-1])}" for run in runs]


def distinct_references(kind: str, table: pd.DataFrame) -> pa.Array:
    """The distinct non-blank references of a reader's rows (none for tables without references)."""
    column = REFERENCE_COLUMNS.get(kind)
    if column is None or column not in table:
        return pa.array([], pa.string())
    values = pc.unique(pa.chunked_array([pa.array(table[column], pa.string(), from_pandas=True)]))
    return values.filter(pc.and_(pc.is_valid(values), pc.not_equal(pc.utf8_trim_whitespace(values), "")))
