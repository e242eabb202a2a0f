"""What a dataset covers (which months, of which source and force), and what an import overlaps.

A police.uk dataset covers the months its files hold, per force (a police.uk file is one force's
month: its ``Reported by``); an extract of another source covers every month from its first to
its last event (a month inside with no event is covered, with zero). A count table covers whole
financial years, per layer, recorded as each year's April. A police.uk import overlaps the store
where it covers the same force's month; any import overlaps where it holds the same references
(Crime IDs, incident ids, nominal ids, a count table's layer, area and year). Storing both would
count those twice, so an overlapping import either replaces the earlier rows or is refused (see
``store.add_dataset``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from hotspots.periods import financial_year_label

COVERAGE_COLUMNS = ["source", "force", "month", "rows"]
#: Sources whose files are one force's month each: a later file of the same force and month is
#: the same month again (re-published), so overlaps are found by month. Other sources' extracts
#: may cover the same months for different areas; theirs are found by reference only.
MONTH_KEYED_SOURCES = ("police-uk",)
#: SQL, over stored rows ``t``, for each row's reference and the source it is unique within: Crime
#: IDs and incident ids, nominal ids, and a count table's layer, area and year.
REFERENCE_SQL = {"events": "t.reference", "nominals": "t.nominal_id",
                 "counts": "t.layer || chr(31) || t.area_code || chr(31) || CAST(t.financial_year AS VARCHAR)"}
SOURCE_SQL = {"events": "t.source", "nominals": "'nominals'", "counts": "'counts'"}


@dataclass(frozen=True)
class Overlap:
    """What an incoming dataset shares with datasets already stored (and not already replaced).

    ``months``: ``dataset_id, original_name, sha256, source, force, month`` per shared month;
    ``references``: ``dataset_id, original_name, sha256, references`` (how many shared references)
    per earlier dataset."""

    months: pd.DataFrame
    references: pd.DataFrame

    def __bool__(self) -> bool:
        return bool(len(self.months) or len(self.references))

    def same_as(self, other: Overlap) -> bool:
        """Whether ``other`` shares the same months and records with the same stored datasets: an
        import replaces just what a check of it reported. Datasets are told apart by content
        (``sha256``): an id is used again after the newest dataset is deleted."""
        def shared(overlap: Overlap) -> tuple[list, list]:
            return (sorted(overlap.months[["sha256", "source", "force", "month"]].astype(str).itertuples(index=False)),
                    sorted(overlap.references[["sha256", "references"]].astype(str).itertuples(index=False)))

        return shared(self) == shared(other)

    def describe(self) -> str:
        """One sentence per earlier dataset: what this file shares with it."""
        parts = []
        for (dataset_id, name), months in self.months.groupby(["dataset_id", "original_name"], sort=True):
            forces = sorted({f for f in months["force"] if f})
            parts.append(f"dataset {dataset_id} ({name}) already holds {month_span(months['month'], months['source'].iloc[0])}"
                         + (f" for {', '.join(forces)}" if forces else ""))
        for row in self.references.itertuples():
            parts.append(f"dataset {row.dataset_id} ({row.original_name}) already holds {row.references:,} of its "
                         "records (the same Crime ID, incident id, nominal, or count table area and year)")
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
        source = str(sources[key // len(forces)])
        # A police.uk file is a month: a month without one is not covered. An extract covers its span.
        months = held if source in MONTH_KEYED_SOURCES else np.arange(held[0], held[-1] + 1)
        frames.append(pd.DataFrame({
            "source": source, "force": str(forces[key % len(forces)]),
            "month": (first + months).astype("datetime64[M]").astype("datetime64[us]"),
            "rows": counts[months].astype(np.int64)}))
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
        return ", ".join(_runs(years, financial_year_label))
    ordinals = (stamps.year * 12 + stamps.month - 1).tolist()
    return ", ".join(_runs(ordinals, lambda o: f"{o // 12}-{o % 12 + 1:02d}"))


def _runs(values: list[int], label) -> list[str]:
    """Consecutive values as ``"a to b"`` runs, each end shown by ``label``."""
    runs: list[list[int]] = []
    for value in values:
        if runs and value - runs[-1][-1] == 1:
            runs[-1].append(value)
        else:
            runs.append([value])
    return [label(run[0]) if len(run) == 1 else f"{label(run[0])} to {label(run[-1])}" for run in runs]


def references(kind: str, table: pd.DataFrame) -> pa.Table:
    """``source, reference``: the distinct non-blank references of a reader's rows, as
    ``REFERENCE_SQL`` makes them of stored rows (empty for tables without references)."""
    if kind == "events":
        pairs = pa.table({"source": pa.array(table["source"].astype("str"), pa.string()),
                          "reference": pa.array(table["reference"], pa.string(), from_pandas=True)})
    elif kind == "nominals":
        pairs = pa.table({"source": pa.array(np.full(len(table), "nominals", dtype=object), pa.string()),
                          "reference": pa.array(table["nominal_id"], pa.string(), from_pandas=True)})
    elif kind == "counts":
        keys = (table["layer"].astype("str") + "\x1f" + table["area_code"].astype("str") + "\x1f"
                + table["financial_year"].astype("int64").astype("str"))
        pairs = pa.table({"source": pa.array(np.full(len(table), "counts", dtype=object), pa.string()),
                          "reference": pa.array(keys, pa.string())})
    else:
        return pa.table({"source": pa.array([], pa.string()), "reference": pa.array([], pa.string())})
    given = pc.and_(pc.is_valid(pairs["reference"]), pc.not_equal(pc.utf8_trim_whitespace(pairs["reference"]), ""))
    return pairs.filter(given).group_by(["source", "reference"]).aggregate([])
