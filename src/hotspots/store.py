"""The data store: a DuckDB catalogue plus one folder per dataset, in one folder.

Each dataset's folder, ``uploads/<sha256>/``, holds the original as it arrived (``original/``)
and the dataset's rows as Parquet (``rows-000.parquet``, and more parts for big datasets),
written before its record. An import first copies the user's file into a private folder
(``uploads/.partial-<token>/``, see ``incoming``) and reads only that copy, so the rows, the
kept original and its hash come from the same bytes; the folder becomes the dataset's by one
rename. The catalogue (``hotspots.duckdb``) holds the ``datasets`` records, the ``rejects``, what
each dataset ``covers`` (months per source and force) and the earlier records later datasets
replaced (``replaced_references``; replaced police.uk months follow from ``covers``); a dataset
exists once its record is committed, in one DuckDB transaction, so an import lands whole or not at all even if the process
is killed half-way. A folder without a committed record is removed the next time the store is
opened for writing, unless the import staging it still holds its lock (it is under way).
Readers query the committed datasets' Parquet files through DuckDB, leaving out replaced rows. Every write holds the
store's write lock (``_write_lock``: threads of this process, and other processes through an ``flock`` on
``hotspots.lock``), and connections are opened per operation and closed straight after. See ``docs/store.md`` for why.
"""

from __future__ import annotations

import contextlib
import fcntl
import getpass
import glob
import json
import os
import secrets
import shutil
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from hotspots import coverage, settings
from hotspots._errors import DeletionIncompleteError, OverlapError, StoreError
from hotspots.coverage import Overlap
from hotspots.readers import TABLE_COLUMNS, Prepared

DATABASE_NAME = "hotspots.duckdb"
UPLOADS = "uploads"
ROWS_FILES = "rows*.parquet"  # a dataset's rows, in one or more parts (rows.parquet before parts began)
ORIGINAL = "original"
_PARTIAL = ".partial-"  # an import's private folder in uploads/ (see ``incoming``) starts so
_LOCK = ".lock"  # and its lock file is named after it with this
WRITE_LOCK = "hotspots.lock"  # the store's write lock file (see ``_write_lock``)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS datasets (
    dataset_id INTEGER PRIMARY KEY, kind VARCHAR NOT NULL, reader VARCHAR NOT NULL, label VARCHAR,
    original_name VARCHAR NOT NULL, sha256 VARCHAR NOT NULL UNIQUE, stored_file VARCHAR NOT NULL,
    imported_by VARCHAR NOT NULL, imported_at TIMESTAMP NOT NULL, rows_read INTEGER NOT NULL,
    rows_accepted INTEGER NOT NULL, rows_rejected INTEGER NOT NULL, rows_unplaced INTEGER NOT NULL,
    synthetic BOOLEAN NOT NULL, summary VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS rejects (
    dataset_id INTEGER NOT NULL, file VARCHAR, line INTEGER, "column" VARCHAR, value VARCHAR, problem VARCHAR);
CREATE TABLE IF NOT EXISTS covers (
    dataset_id INTEGER NOT NULL, source VARCHAR NOT NULL, force VARCHAR NOT NULL, month DATE NOT NULL,
    "rows" INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS replaced_references (
    dataset_id INTEGER NOT NULL, source VARCHAR NOT NULL, reference VARCHAR NOT NULL, replaced_by INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS upgrades (name VARCHAR PRIMARY KEY);
"""
#: The months of month-keyed sources (police.uk) that a later dataset covers too: the earlier
#: dataset's rows there are replaced (an overlapping import lands only by replacing). Worked out
#: from ``covers`` whenever read, so deleting the later dataset brings the month back unless a
#: third covers it. A force left blank (a store from before forces were kept) matches any force.
_REPLACED_MONTHS = f"""(SELECT c.dataset_id, c.source, c.force, c.month, min(e.dataset_id) AS replaced_by
    FROM covers c JOIN covers e ON e.source = c.source AND e.month = c.month AND e.dataset_id > c.dataset_id
    AND (e.force = c.force OR c.force = '' OR e.force = '')
    WHERE c.source IN ({", ".join(f"'{s}'" for s in coverage.MONTH_KEYED_SOURCES)}) GROUP BY ALL)"""
_ACTIVE_COVERS = f"""(SELECT c.* FROM covers c ANTI JOIN {_REPLACED_MONTHS} r
    ON r.dataset_id = c.dataset_id AND r.source = c.source AND r.force = c.force AND r.month = c.month)"""
DATA_TABLES = tuple(TABLE_COLUMNS)
#: Stored type of every data-table column (a table's columns are ``dataset_id`` then TABLE_COLUMNS);
#: text columns not listed are strings.
COLUMN_TYPES = {
    "dataset_id": pa.int32(), "date": pa.date32(), "date_added": pa.date32(), "date_removed": pa.date32(),
    "financial_year": pa.int16(), "easting": pa.float64(), "northing": pa.float64(), "domestic": pa.bool_(),
    "population_10_24": pa.int32(), "imd_score": pa.float64(), "count": pa.int32(), "source_line": pa.int32(),
}

_PART_ROWS = 250_000  # fewer rows than this are written as one part
#: Text columns whose values are mostly distinct: a Parquet dictionary would not pay for itself.
_DISTINCT_TEXT = ("reference", "nominal_id")


def default_store() -> Path:
    """``$HOTSPOTS_STORE`` or ``~/.local/share/ward-hotspots/store`` (outside the repository)."""
    return Path(os.environ.get("HOTSPOTS_STORE") or settings.STORE_DIR)


def find_by_hash(store: Path, sha256: str) -> dict | None:
    """The dataset already holding a file with this content, if any (read-only)."""
    with _connect(store, read_only=True) as db:
        if db is None:
            return None
        row = db.execute("SELECT dataset_id, original_name, imported_at FROM datasets WHERE sha256 = ?",
                         [sha256]).fetchone()
    return dict(zip(["dataset_id", "original_name", "imported_at"], row)) if row else None


@contextlib.contextmanager
def incoming(store: Path) -> Iterator[Path]:
    """A private folder in the store for an import's (or a check's) copy of the user's file: yields
    the folder the original goes in. ``add_dataset`` makes it the dataset's; otherwise it is
    removed on leaving, with any store folders (and an empty catalogue) it had to create, so a
    refused import leaves the store as it was. While it is in use its lock is held (see ``_staging_folder``)."""
    _refuse_unopenable(store)  # before any folder is made for it
    created = [folder for folder in (store, store / UPLOADS) if not folder.exists()]
    (store / UPLOADS).mkdir(parents=True, exist_ok=True)
    landed = False
    try:
        with _staging_folder(store / UPLOADS) as partial:
            (partial / ORIGINAL).mkdir(parents=True)
            try:
                yield partial / ORIGINAL
            finally:
                landed = not partial.exists()  # renamed to the dataset's folder
                shutil.rmtree(partial, ignore_errors=True)
    finally:
        if created:
            # No other writer between seeing the store empty and removing it. If one writes now (or
            # a garbage collector runs this, on whatever thread), the tidying is left to the next.
            with _write_lock_if_free(store) as free:
                if free and store in created and not landed and list_datasets(store).empty:
                    for name in (DATABASE_NAME, DATABASE_NAME + ".wal", WRITE_LOCK):
                        (store / name).unlink(missing_ok=True)
                for folder in reversed(created) if free else []:
                    with contextlib.suppress(OSError):  # not empty: something else was stored there meanwhile
                        folder.rmdir()


@contextlib.contextmanager
def _staging_folder(uploads: Path) -> Iterator[Path]:
    """A new ``.partial-<token>`` path in ``uploads`` (the folder itself is the caller's to make),
    with its lock file ``.partial-<token>.lock`` held (``flock``) until leaving, then removed. A
    writer clearing uncommitted folders leaves one whose lock is held (``_remove_if_abandoned``):
    the kernel releases a lock when its process ends, however it ends, and a lock means the same in
    a container and its host sharing the store, where process ids do not."""
    while True:
        partial = uploads / f"{_PARTIAL}{secrets.token_hex(8)}"
        lock = partial.with_name(partial.name + _LOCK)
        handle = lock.open("x")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:  # a writer clearing leftovers took it between its creation and now
            handle.close()
            continue
        with contextlib.suppress(FileNotFoundError):
            if os.stat(lock).st_ino == os.fstat(handle.fileno()).st_ino:
                break
        handle.close()  # that writer removed it as a leftover before this lock: the lock held nothing; anew
    try:
        yield partial
    finally:
        lock.unlink()
        handle.close()


def find_overlaps(store: Path, prepared: Prepared) -> Overlap:
    """What ``prepared`` shares with the datasets already stored and not replaced (read-only)."""
    with _connect(store, read_only=True) as db:
        return _overlaps(db, store, prepared)


def add_dataset(store: Path, prepared: Prepared, original: Path, sha256: str, *, original_name: str,
                user: str | None = None, label: str | None = None, replace: bool = False,
                checked: Overlap | None = None) -> int:
    """Write ``prepared``'s rows beside ``original`` (a file in a folder from ``incoming``) and commit
    its record; returns the new dataset id. Where it overlaps stored datasets, their months and rows
    are replaced if ``replace``, else OverlapError; a file already stored is a StoreError; and if
    ``checked`` (the overlap a check reported, which the user chose on) is not what the store now
    holds, a StaleCheckError (nothing written in any case)."""
    with ThreadPoolExecutor(max_workers=2) as pool:  # rows converted and coverage worked out as the catalogue opens
        converting = pool.submit(_rows, prepared.kind, prepared.table)
        covering = pool.submit(lambda: prepared.covers)
        with _connect(store) as db:  # checked again under the write lock: another import may have landed
            earlier = db.execute("SELECT dataset_id FROM datasets WHERE sha256 = ?", [sha256]).fetchall()
            if earlier:
                raise StoreError(f"{original_name}: this file was already imported as dataset {earlier[0][0]}; "
                                 "nothing was changed.")
            overlap = _overlaps(db, store, prepared)
            if checked is not None and not overlap.same_as(checked):
                raise StaleCheckError(
                    f"{original_name}: the store changed after this file was checked (another import or a deletion "
                    f"landed): it now {_shares(overlap)}, where the check found it {_shares(checked)}; nothing was "
                    "changed. Check the file again and choose again what to replace.")
            if overlap and not replace:
                raise OverlapError(f"{original_name}: {overlap.describe()}; nothing was changed. Replace the earlier "
                                   "months with this file (--replace, or the choice on the Data page), or leave it out.")
            dataset_id = db.execute("SELECT coalesce(max(dataset_id), 0) + 1 FROM datasets").fetchall()[0][0]
            rows = converting.result()
            rows = rows.add_column(0, "dataset_id", pa.array(np.full(len(rows), dataset_id, dtype=np.int32)))
            folder = _keep(store, original.parent.parent, sha256, prepared.kind, rows)
            try:
                covering.result()
                _commit_record(db, prepared, dataset_id, folder / ORIGINAL / original.name, store, sha256,
                               original_name, user, label, overlap)
            except BaseException:
                shutil.rmtree(folder, ignore_errors=True)
                raise
    return int(dataset_id)


def _shares(overlap: Overlap) -> str:
    return f"overlaps what is stored ({overlap.describe()})" if overlap else "shares nothing with what is stored"


class StaleCheckError(StoreError):
    """A file checked against the store, whose store changed before the import: check it again."""


def _commit_record(db: duckdb.DuckDBPyConnection, prepared: Prepared, dataset_id: int, kept: Path, store: Path,
                   sha256: str, original_name: str, user: str | None, label: str | None, overlap: Overlap) -> None:
    """Insert the dataset's record, rejects, coverage and the earlier rows it replaces in one
    transaction and commit: the dataset now exists."""
    summary = prepared.summary()
    record = pd.DataFrame([{
        "dataset_id": dataset_id, "kind": prepared.kind, "reader": prepared.reader, "label": label,
        "original_name": original_name, "sha256": sha256, "stored_file": str(kept.relative_to(store)),
        "imported_by": user or getpass.getuser(),
        "imported_at": datetime.now(timezone.utc).replace(tzinfo=None),
        "rows_read": summary["rows_read"], "rows_accepted": summary["rows_accepted"],
        "rows_rejected": summary["rows_rejected"], "rows_unplaced": summary["rows_unplaced"],
        "synthetic": prepared.synthetic, "summary": json.dumps(summary, default=str)}])
    db.execute("BEGIN TRANSACTION")
    _insert(db, "datasets", record)
    if len(prepared.problems):
        _insert(db, "rejects", prepared.problems.assign(dataset_id=dataset_id))
    if len(prepared.covers):
        _insert(db, "covers", prepared.covers.assign(dataset_id=dataset_id))
    if len(overlap.references):  # months need no record: a later dataset covering them replaces them
        db.register("incoming_references", prepared.references)
        db.execute(f"""INSERT INTO replaced_references SELECT r.dataset_id, r.source, r.reference, ? FROM
            ({_stored_references_sql(store, db, prepared.kind, exclude=dataset_id)}) r
            SEMI JOIN incoming_references i ON i.source = r.source AND i.reference = r.reference""", [dataset_id])
        db.unregister("incoming_references")
    db.execute("COMMIT")


def _overlaps(db: duckdb.DuckDBPyConnection | None, store: Path, prepared: Prepared) -> Overlap:
    """What ``prepared`` shares with the stored rows no later dataset replaced: police.uk months
    (same force and month), and references (same source and reference: Crime IDs, incident ids,
    nominal ids, a count table's layer, area and year)."""
    names = ["dataset_id", "original_name", "sha256", "source", "force", "month"]
    none = Overlap(pd.DataFrame(columns=names),
                   pd.DataFrame(columns=["dataset_id", "original_name", "sha256", "references"]))
    if db is None or not db.execute("SELECT count(*) FROM datasets WHERE kind = ?", [prepared.kind]).fetchall()[0][0]:
        return none  # nothing of the kind stored: nothing to share
    covers = prepared.covers[prepared.covers["source"].isin(coverage.MONTH_KEYED_SOURCES)]
    months = none.months
    if len(covers):
        db.register("incoming_covers", pa.Table.from_pandas(covers[["source", "force", "month"]], preserve_index=False))
        months = db.execute(f"""SELECT c.dataset_id, d.original_name, d.sha256, c.source, c.force, c.month
            FROM {_ACTIVE_COVERS} c JOIN incoming_covers i ON c.source = i.source AND c.month = CAST(i.month AS DATE)
            AND (c.force = i.force OR c.force = '' OR i.force = '') JOIN datasets d USING (dataset_id)
            ORDER BY c.dataset_id, c.month""").df()
        db.unregister("incoming_covers")
    references = none.references
    stored = _stored_references_sql(store, db, prepared.kind)
    if stored is not None and prepared.references.num_rows:
        db.register("incoming_references", prepared.references)
        references = db.execute(f"""SELECT r.dataset_id, d.original_name, d.sha256, count(*) AS "references"
            FROM ({stored}) r JOIN incoming_references i ON i.source = r.source AND i.reference = r.reference
            JOIN datasets d USING (dataset_id) GROUP BY ALL ORDER BY r.dataset_id""").df()
        db.unregister("incoming_references")
    return Overlap(months, references)


def _stored_references_sql(store: Path, db: duckdb.DuckDBPyConnection, kind: str,
                           exclude: int | None = None) -> str | None:
    """SQL for ``dataset_id, source, reference`` of the stored rows of ``kind`` no later dataset
    replaced (None: the kind has no references, or no rows), leaving out dataset ``exclude``."""
    expression = coverage.REFERENCE_SQL.get(kind)
    files = _files_of(store, db, kind)
    if expression is None or not files:
        return None
    kept = "" if exclude is None else f"AND t.dataset_id <> {int(exclude)}"
    return (f"SELECT t.dataset_id, {coverage.SOURCE_SQL[kind]} AS source, {expression} AS reference FROM "
            f"({_active_rows_sql(kind, _parquet_sql(db, files, kind))}) t WHERE {expression} <> '' {kept}")


def _parquet_sql(db: duckdb.DuckDBPyConnection, files: list[str], kind: str) -> str:
    """SQL reading the Parquet ``files`` (globs) of ``kind`` as one table. A column missing from older
    parts is NULL; an events ``force`` no part has (a store from before forces were kept) is too."""
    listed = "[" + ", ".join("'" + f.replace("'", "''") + "'" for f in files) + "]"
    rows = f"read_parquet({listed}, union_by_name = true)"
    if kind == "events" and not db.execute(f"SELECT count(*) FROM parquet_schema({listed}) WHERE name = 'force'"
                                           ).fetchall()[0][0]:
        return f"(SELECT *, CAST(NULL AS VARCHAR) AS force FROM {rows})"
    return rows


def _files_of(store: Path, db: duckdb.DuckDBPyConnection | None, kind: str) -> list[str]:
    if db is None:
        return []
    return [_rows_glob(store, sha) for (sha,) in db.execute(
        "SELECT sha256 FROM datasets WHERE kind = ? ORDER BY dataset_id", [kind]).fetchall()]


def _rows_glob(store: Path, sha256: str) -> str:
    """The DuckDB glob of one dataset's rows files. The folder is escaped: DuckDB reads ``[``, ``*``
    and ``?`` in any part of a path as a pattern, so a store at ``/data/[2024]`` would otherwise
    match nothing, or another folder's files."""
    return glob.escape(str(_dataset_folder(store, sha256))) + os.sep + ROWS_FILES


def _active_rows_sql(kind: str, rows: str) -> str:
    """``rows`` (SQL for stored rows of ``kind``) without those a later dataset replaced: its
    months (police.uk) and its references."""
    replaced = ("SELECT 1 FROM replaced_references x WHERE x.dataset_id = t.dataset_id AND x.source = "
                f"{coverage.SOURCE_SQL.get(kind, 'NULL')} AND x.reference = {coverage.REFERENCE_SQL.get(kind, 'NULL')}")
    if kind == "events":
        month = "CAST(date_trunc('month', t.date) AS DATE)"
        return (f"SELECT t.* FROM {rows} t WHERE NOT EXISTS (SELECT 1 FROM {_REPLACED_MONTHS} r WHERE r.dataset_id = "
                f"t.dataset_id AND r.source = t.source AND r.force = coalesce(t.force, '') AND r.month = {month}) "
                f"AND NOT EXISTS ({replaced})")
    if kind in coverage.REFERENCE_SQL:
        return f"SELECT t.* FROM {rows} t WHERE NOT EXISTS ({replaced})"
    return f"SELECT * FROM {rows}"


def list_datasets(store: Path) -> pd.DataFrame:
    """Every dataset with its provenance, newest first; ``covers`` says which months (or financial
    years) it covers and ``replaced`` what later datasets replaced, e.g. ``"2023-01 (Essex Police)
    by dataset 5"`` or ``"12 records by dataset 6"``."""
    with _connect(store, read_only=True) as db:
        if db is None:
            return pd.DataFrame(columns=["dataset_id", "kind", "reader", "label", "original_name", "sha256",
                                         "stored_file", "imported_by", "imported_at", "rows_read", "rows_accepted",
                                         "rows_rejected", "rows_unplaced", "synthetic", "summary", "covers",
                                         "replaced"])
        datasets = db.execute("SELECT * FROM datasets ORDER BY dataset_id DESC").df()
        covers = db.execute("SELECT dataset_id, source, month FROM covers").df()
        months = db.execute(f"SELECT * FROM {_REPLACED_MONTHS}").df()
        records = db.execute("SELECT dataset_id, replaced_by, count(*) AS n FROM replaced_references "
                             "GROUP BY ALL ORDER BY replaced_by").df()
    spans = {key: coverage.month_span(group["month"], group["source"].iloc[0])
             for key, group in covers.groupby("dataset_id")}
    replaced: dict[int, list[str]] = {}
    for (dataset_id, force, later), group in months.groupby(["dataset_id", "force", "replaced_by"]):
        replaced.setdefault(dataset_id, []).append(
            f"{coverage.month_span(group['month'])}{f' ({force})' if force else ''} by dataset {later}")
    for row in records.itertuples():
        replaced.setdefault(row.dataset_id, []).append(f"{row.n:,} record{'s' if row.n > 1 else ''} by dataset "
                                                       f"{row.replaced_by}")
    return datasets.assign(covers=[spans.get(i, "") for i in datasets["dataset_id"]],
                           replaced=["; ".join(replaced.get(i, [])) for i in datasets["dataset_id"]])


def preview(store: Path, dataset_id: int, rows: int = 20) -> pd.DataFrame:
    """The first ``rows`` stored rows of one dataset."""
    with _connect(store, read_only=True) as db:
        folder = _dataset_folder_of(store, db, dataset_id)
        return db.execute("SELECT * EXCLUDE (dataset_id) FROM read_parquet(?) ORDER BY source_line LIMIT ?",
                          [_rows_glob(store, folder.name), rows]).df()


def rejected_rows(store: Path, dataset_id: int) -> pd.DataFrame:
    """Rows of the original file that were not imported, with why."""
    with _connect(store, read_only=True) as db:
        _dataset_folder_of(store, db, dataset_id)
        return db.execute('SELECT file, line, "column", value, problem FROM rejects WHERE dataset_id = ? ORDER BY line',
                          [dataset_id]).df()


def delete_dataset(store: Path, dataset_id: int) -> None:
    """Remove one dataset's record, rejects and coverage (one transaction), then its folder of rows
    and original. What it had replaced counts again, unless a later dataset holds it too: months
    follow from the coverage left, and each replaced record passes to the next later dataset that
    holds its reference."""
    with _write_lock(store):  # until its folder is gone: an import of the same file may follow
        with _connect(store) as db:
            folder = _dataset_folder_of(store, db, dataset_id)
            kind = db.execute("SELECT kind FROM datasets WHERE dataset_id = ?", [dataset_id]).fetchall()[0][0]
            later = _stored_references_sql(store, db, kind, exclude=dataset_id)
            db.execute("BEGIN TRANSACTION")
            if later is not None:
                db.execute(f"""INSERT INTO replaced_references
                    SELECT x.dataset_id, x.source, x.reference, min(r.dataset_id) FROM replaced_references x
                    JOIN ({later}) r ON r.source = x.source AND r.reference = x.reference
                    AND r.dataset_id > x.dataset_id
                    WHERE x.replaced_by = ? GROUP BY ALL""", [dataset_id])
            db.execute("DELETE FROM replaced_references WHERE replaced_by = ?", [dataset_id])
            for table in ("rejects", "covers", "replaced_references", "datasets"):
                db.execute(f"DELETE FROM {table} WHERE dataset_id = ?", [dataset_id])
            db.execute("COMMIT")
        _remove_folder(folder, dataset_id)


def _remove_folder(folder: Path, dataset_id: int) -> None:
    """Remove a deleted dataset's folder (its kept original and rows), or say loudly what is left."""
    problems: list[str] = []
    shutil.rmtree(folder, onerror=lambda _function, path, error: problems.append(f"{path}: {error[1]}"))
    left = sorted(str(path) for path in folder.rglob("*")) + [str(folder)] if folder.exists() else []
    if problems or left:
        raise DeletionIncompleteError(f"Dataset {dataset_id} is out of the store's records, but files of it could not be removed "
                         f"({'; '.join(problems[:3]) or 'unknown reason'}). Still on disk: {', '.join(left[:10])}"
                         f"{' ...' if len(left) > 10 else ''}. Remove them by hand (check the folder's permissions).")


def read_table(store: Path, table: str, where: str = "TRUE") -> pd.DataFrame:
    """All rows of one data table (``events``, ``nominals``, ...) with their dataset id, less the
    rows a later dataset replaced."""
    if table not in (*DATA_TABLES, "datasets"):
        raise StoreError(f"Unknown table {table!r}; the store has {', '.join(DATA_TABLES)}.")
    with _connect(store, read_only=True) as db:
        if table == "datasets":
            return list_datasets(store) if db is None else db.execute(f"SELECT * FROM datasets WHERE {where}").df()
        files = _files_of(store, db, table)
        if not files:
            return _to_pandas(duckdb.connect().from_arrow(_row_schema(table).empty_table()).to_arrow_table())
        stored = _parquet_sql(db, files, table)
        rows = db.sql(_active_rows_sql(table, stored) if _anything_replaced(db) else f"SELECT * FROM {stored}")
        return _to_pandas(rows.filter(where).to_arrow_table())


def covered_months(store: Path) -> pd.DataFrame:
    """``dataset_id, source, force, month, rows`` of every month the stored datasets cover and no
    later dataset replaced (count tables: one row per financial year, at its April)."""
    with _connect(store, read_only=True) as db:
        if db is None:
            return pd.DataFrame(columns=["dataset_id", *coverage.COVERAGE_COLUMNS])
        frame = db.execute(f'SELECT dataset_id, source, force, month, "rows" FROM {_ACTIVE_COVERS} c '
                           "ORDER BY dataset_id, source, force, month").df()
    return frame.astype({"month": "datetime64[us]"})


def _anything_replaced(db: duckdb.DuckDBPyConnection) -> bool:
    """Whether any stored row is replaced (reading then leaves them out; otherwise rows are read as stored)."""
    return bool(db.execute(f"SELECT EXISTS (SELECT 1 FROM {_REPLACED_MONTHS}) OR EXISTS (SELECT 1 FROM "
                           "replaced_references)").fetchall()[0][0])


def _to_pandas(rows: pa.Table) -> pd.DataFrame:
    """Rows from DuckDB as pandas, through Arrow: DuckDB's own ``.df()`` takes seven times as long
    over a million events, most of it building text columns."""
    frame = rows.to_pandas(date_as_object=False, types_mapper={pa.bool_(): pd.BooleanDtype()}.get)
    return frame.astype({field.name: "datetime64[us]" for field in rows.schema if pa.types.is_date(field.type)})


def store_version(store: Path) -> tuple:
    """Changes whenever the store changes: a cache key for readers of the store."""
    path = store / DATABASE_NAME
    wal = path.with_suffix(".duckdb.wal")
    return tuple(p.stat().st_mtime_ns if p.exists() else 0 for p in (path, wal))


def _insert(db: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    db.register("incoming", pa.Table.from_pandas(frame, preserve_index=False))  # Arrow scans fastest
    quoted = ", ".join(f'"{c}"' for c in frame.columns)
    db.execute(f"INSERT INTO {table} ({quoted}) SELECT {quoted} FROM incoming")
    db.unregister("incoming")


def _row_schema(table: str) -> pa.Schema:
    columns = ["dataset_id", *TABLE_COLUMNS[table]]
    return pa.schema([(column, COLUMN_TYPES.get(column, pa.string())) for column in columns])


def _rows(table: str, frame: pd.DataFrame) -> pa.Table:
    """A data table's rows as Arrow, without their dataset id."""
    return pa.Table.from_pandas(frame[TABLE_COLUMNS[table]], preserve_index=False)


def _write_rows(table: str, rows: pa.Table, folder: Path) -> None:
    """One dataset's rows as Parquet parts ``rows-000.parquet``, ..., in their stored types, without
    compression (speed over size). A big dataset is cut into one part per core, written at once:
    Arrow writes each file on one thread. Text arriving dictionary-encoded (categorical in pandas)
    is written as it is; re-encoding a million rows costs more than the rest of the write."""
    schema = _row_schema(table)
    stored = pa.table([_stored(rows.column(field.name), field.type) for field in schema], names=schema.names)
    text = [field.name for field in schema if field.type == pa.string() and field.name not in _DISTINCT_TEXT]
    parts = max(1, min(os.cpu_count() or 1, stored.num_rows // _PART_ROWS))
    bounds = np.linspace(0, stored.num_rows, parts + 1).astype(int)

    def write(part: int) -> None:
        pq.write_table(stored.slice(bounds[part], bounds[part + 1] - bounds[part]), folder / f"rows-{part:03d}.parquet",
                       compression="none", write_statistics=False, use_dictionary=text)

    with ThreadPoolExecutor(max_workers=parts) as pool:
        list(pool.map(write, range(parts)))


def _stored(column: pa.ChunkedArray, stored_type: pa.DataType) -> pa.ChunkedArray:
    """``column`` in its stored type; dictionary-encoded text keeps its codes."""
    if pa.types.is_dictionary(column.type) and stored_type == pa.string():
        return column.cast(pa.dictionary(column.type.index_type, stored_type))
    return column.cast(stored_type)


def _dataset_folder(store: Path, sha256: str) -> Path:
    return store / UPLOADS / sha256


def _dataset_folder_of(store: Path, db: duckdb.DuckDBPyConnection | None, dataset_id: int) -> Path:
    row = db.execute("SELECT sha256 FROM datasets WHERE dataset_id = ?", [dataset_id]).fetchone() if db else None
    if row is None:
        raise StoreError(f"No dataset {dataset_id} in the store at {store}; `hotspots datasets` lists them.")
    return _dataset_folder(store, row[0])


def _keep(store: Path, partial: Path, sha256: str, kind: str, rows: pa.Table) -> Path:
    """The dataset's folder: ``partial`` (from ``incoming``, holding the original) with the rows
    written beside it, put in place by one rename. Nothing is left behind if writing fails."""
    folder = _dataset_folder(store, sha256)
    try:
        _write_rows(kind, rows, partial)
    except BaseException:
        for part in partial.glob(ROWS_FILES):
            part.unlink()
        raise
    shutil.rmtree(folder, ignore_errors=True)  # an uncommitted leftover of an earlier, killed import
    partial.replace(folder)
    return folder


@contextlib.contextmanager
def catalogue(store: Path, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection | None]:
    """A connection to the store's catalogue for a module keeping tables of its own there (saved
    tasking lists: ``hotspots.tasking_lists``), opened and closed as every operation here is; None
    when reading a store that does not exist yet."""
    if not read_only:
        Path(store).mkdir(parents=True, exist_ok=True)
    with _connect(store, read_only=read_only) as db:
        yield db


@contextlib.contextmanager
def _connect(store: Path, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection | None]:
    _refuse_unopenable(store)
    path = store / DATABASE_NAME
    if read_only and not path.exists():
        yield None
        return
    with _read_lock(store) if read_only else _write_lock(store):
        db = _open(store, path, read_only=read_only)
        try:  # closing with a transaction still open rolls it back
            upgrade = read_only and _needs_upgrade(db)  # a store written by an earlier version: upgrade it once
            if not upgrade:
                if not read_only:
                    db.execute(_SCHEMA)
                    _move_rows_to_files(store, db)
                    if not _coverage_recorded(db):
                        _cover_stored_datasets(store, db)
                    _remove_uncommitted_uploads(store, db)
                yield db
        finally:
            db.close()
    if upgrade:  # having let go of reading: two readers upgrading at once would each wait for the other
        with _connect(store):
            pass
        with _connect(store, read_only=True) as db:
            yield db


def _open(store: Path, path: Path, *, read_only: bool) -> duckdb.DuckDBPyConnection:
    try:
        return duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as error:
        raise StoreError(f"The store at {store} is in use by another process (DuckDB allows one writer): "
                         f"close it and try again ({error}).") from error


class _StoreLock:
    """One store's lock in this process. DuckDB keeps one database per file per process and lets two
    of its connections write at once, so without this a writer's clean-up could remove an import's
    folder between its rename and its commit, or two imports could both work out their overlaps
    before either commits; and it refuses a read-only connection while a writing one is open (and
    the other way round). So one thread writes at a time, holding the store's ``flock`` for other
    processes, and reading threads share the store while none writes (a waiting writer goes first)."""

    def __init__(self) -> None:
        self.changed = threading.Condition()
        self.writer: int | None = None  # the writing thread
        self.depth = 0  # how deep the writer is in it: a write may call another
        self.waiting_writers = 0
        self.readers: dict[int, int] = {}  # reading thread: how deep in reads
        self.handle: int | None = None  # the flocked lock file, while a thread writes


_store_locks: dict[str, _StoreLock] = {}
_store_locks_guard = threading.Lock()


def _lock_of(store: Path) -> _StoreLock:
    with _store_locks_guard:
        return _store_locks.setdefault(os.path.realpath(store), _StoreLock())


@contextlib.contextmanager
def _write_lock(store: Path) -> Iterator[None]:
    """Held around every write to a store (the catalogue, and the dataset folders it records): one
    writer at a time, of the threads here (Streamlit sessions) and of the processes sharing the
    store. Re-entrant. Another process writing is a StoreError (the store is busy), as DuckDB's own
    lock says."""
    lock, me = _lock_of(store), threading.get_ident()
    with lock.changed:
        if lock.writer != me and me in lock.readers:
            # Two threads each reading, then writing, would wait for each other for ever (and DuckDB
            # refuses a writing connection beside this thread's own reading one).
            raise RuntimeError(f"A thread reading the store at {store} may not write to it: close the read first.")
        if lock.writer != me:
            lock.waiting_writers += 1
            try:
                lock.changed.wait_for(lambda: lock.writer is None and not set(lock.readers) - {me})
                lock.handle = _lock_store_file(store)
            finally:
                lock.waiting_writers -= 1
                lock.changed.notify_all()
            lock.writer = me
        lock.depth += 1
    try:
        yield
    finally:
        with lock.changed:
            lock.depth -= 1
            if lock.depth == 0:
                os.close(lock.handle)
                lock.handle = lock.writer = None
                lock.changed.notify_all()


@contextlib.contextmanager
def _write_lock_if_free(store: Path) -> Iterator[bool]:
    """The write lock, if no other thread writes or reads the store now and no other process
    writes it (True), else nothing (False, at once): for tidying that the next writer can do."""
    lock, me = _lock_of(store), threading.get_ident()
    with lock.changed:
        free = lock.writer in (None, me) and not set(lock.readers) - {me}
    with contextlib.ExitStack() as held:
        if free:
            try:
                held.enter_context(_write_lock(store))
            except StoreError:  # another process writes
                free = False
        yield free


@contextlib.contextmanager
def _read_lock(store: Path) -> Iterator[None]:
    """Held around a read-only connection: read with other readers, never while another thread writes."""
    lock, me = _lock_of(store), threading.get_ident()
    with lock.changed:
        lock.changed.wait_for(lambda: lock.writer == me or (
            lock.writer is None and (not lock.waiting_writers or me in lock.readers)))
        lock.readers[me] = lock.readers.get(me, 0) + 1
    try:
        yield
    finally:
        with lock.changed:
            lock.readers[me] -= 1
            if not lock.readers[me]:
                del lock.readers[me]
            lock.changed.notify_all()


def _lock_store_file(store: Path) -> int:
    """An open, ``flock``ed descriptor of the store's write lock file. A file removed (with an
    empty store, by ``incoming``) after it was opened locks nothing, so it is opened again."""
    path = Path(store) / WRITE_LOCK
    while True:
        try:
            handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        except FileNotFoundError:
            raise StoreError(f"There is no store at {store}: import a file to make one.") from None
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(handle)
            raise StoreError(f"The store at {store} is in use by another process (one writes at a time): "
                             "try again when it has finished.") from None
        with contextlib.suppress(FileNotFoundError):
            if os.stat(path).st_ino == os.fstat(handle).st_ino:
                return handle
        os.close(handle)


def _refuse_unopenable(store: Path) -> None:
    """DuckDB takes a ``?`` in a database path as the start of options and writes its log elsewhere
    (``st?/hotspots.duckdb`` logs to ``st.wal?/...``), so the first commit fails: say so first."""
    if "?" in str(store):
        raise StoreError(f"The store path {store} contains '?', under which DuckDB cannot keep a database: choose "
                         "a folder without '?' (--store, or HOTSPOTS_STORE).")


def _remove_uncommitted_uploads(store: Path, db: duckdb.DuckDBPyConnection) -> None:
    uploads = store / UPLOADS
    if not uploads.exists():
        return
    kept = {row[0] for row in db.execute("SELECT sha256 FROM datasets").fetchall()}
    staging = set()
    for entry in uploads.iterdir():
        if entry.name.startswith(_PARTIAL):
            staging.add(entry.name.removesuffix(_LOCK))
        elif entry.name not in kept:
            shutil.rmtree(entry, ignore_errors=True)
    for name in staging:
        _remove_if_abandoned(uploads / name)


def _remove_if_abandoned(partial: Path) -> None:
    """Remove an ``incoming`` folder and its lock file, unless the import staging it is under way
    (it holds the lock: see ``_staging_folder``). A folder without a lock file is a dead import's,
    from before locks: the lock file is made first and removed last."""
    lock = partial.with_name(partial.name + _LOCK)
    try:
        handle = lock.open("r")
    except FileNotFoundError:
        shutil.rmtree(partial, ignore_errors=True)
        return
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return  # its importer is running
        shutil.rmtree(partial, ignore_errors=True)
        lock.unlink(missing_ok=True)


def _tables(db: duckdb.DuckDBPyConnection, names: list[str] | tuple[str, ...]) -> list[str]:
    """Which of ``names`` are tables in the catalogue."""
    listed = ", ".join(f"'{table}'" for table in names)
    return [row[0] for row in db.execute(
        f"SELECT table_name FROM duckdb_tables() WHERE table_name IN ({listed})").fetchall()]


def _rows_in_database(db: duckdb.DuckDBPyConnection) -> list[str]:
    return _tables(db, DATA_TABLES)


def _needs_upgrade(db: duckdb.DuckDBPyConnection) -> bool:
    return bool(_rows_in_database(db)) or not _coverage_recorded(db)


def _coverage_recorded(db: duckdb.DuckDBPyConnection) -> bool:
    """Whether the store records coverage: made since it did, or upgraded (see ``_cover_stored_datasets``)."""
    return bool(_tables(db, ["upgrades"])) and bool(
        db.execute("SELECT count(*) FROM upgrades WHERE name = 'coverage'").fetchall()[0][0])


def _cover_stored_datasets(store: Path, db: duckdb.DuckDBPyConnection) -> None:
    """Upgrade a store written before coverage was recorded: each dataset's coverage from its rows
    (a police.uk force unknown: blank, which matches any force), marked done in the same
    transaction, so an interrupted upgrade is done again."""
    db.execute("BEGIN TRANSACTION")
    db.execute("DELETE FROM covers")  # what an interrupted run left
    for dataset_id, kind, sha256 in db.execute("SELECT dataset_id, kind, sha256 FROM datasets").fetchall():
        if kind not in ("events", "counts"):
            continue
        files = [_rows_glob(store, sha256)]
        wanted = "source, coalesce(force, '') AS force, date" if kind == "events" else "layer, financial_year"
        frame = _to_pandas(db.sql(f"SELECT {wanted} FROM {_parquet_sql(db, files, kind)}").to_arrow_table())
        covers = coverage.of_rows(kind, frame)
        if len(covers):
            _insert(db, "covers", covers.assign(dataset_id=dataset_id))
    db.execute("INSERT INTO upgrades VALUES ('coverage')")
    db.execute("COMMIT")


def _move_rows_to_files(store: Path, db: duckdb.DuckDBPyConnection) -> None:
    """Upgrade a store written before rows moved to Parquet (rows in database tables, originals
    directly in each dataset's folder). Safe to repeat if it is interrupted."""
    old_tables = _rows_in_database(db)
    if not old_tables:
        return
    db.execute("BEGIN TRANSACTION")
    for dataset_id, kind, sha256, stored_file in db.execute(
            "SELECT dataset_id, kind, sha256, stored_file FROM datasets").fetchall():
        folder = _dataset_folder(store, sha256)
        present = {row[0] for row in db.execute(f"SELECT column_name FROM duckdb_columns() WHERE table_name = '{kind}'")
                   .fetchall()}
        columns = ", ".join(f'"{c}"' if c in present else f"'' AS \"{c}\"" for c in ["dataset_id", *TABLE_COLUMNS[kind]])
        rows = db.sql(f"SELECT {columns} FROM {kind} WHERE dataset_id = {int(dataset_id)}").to_arrow_table()
        _write_rows(kind, rows, folder)
        kept = folder / ORIGINAL / Path(stored_file).name
        if (store / stored_file).exists() and store / stored_file != kept:
            kept.parent.mkdir(exist_ok=True)
            (store / stored_file).replace(kept)
        db.execute("UPDATE datasets SET stored_file = ? WHERE dataset_id = ?", [str(kept.relative_to(store)), dataset_id])
    for table in old_tables:
        db.execute(f"DROP TABLE {table}")
    db.execute("COMMIT")
