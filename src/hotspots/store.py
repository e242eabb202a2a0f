"""The data store: a DuckDB catalogue plus one folder per dataset, in one folder.

Each dataset's folder, ``uploads/<sha256>/``, holds the original as it arrived (``original/``)
and the dataset's rows as Parquet (``rows-000.parquet``, and more parts for big datasets),
written before its record. The catalogue (``hotspots.duckdb``) holds the ``datasets`` records
and the ``rejects``; a dataset exists once its record is committed, in one DuckDB transaction,
so an import lands whole or not at all even if the process is killed half-way. A folder without
a committed record is removed the next time the store is opened for writing. Readers query the
committed datasets' Parquet files through DuckDB. DuckDB allows one writing process at a time,
so connections are opened per operation and closed straight after. See ``docs/store.md`` for why.
"""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from hotspots import settings
from hotspots._errors import StoreError
from hotspots.readers import TABLE_COLUMNS, Prepared

DATABASE_NAME = "hotspots.duckdb"
UPLOADS = "uploads"
ROWS_FILES = "rows*.parquet"  # a dataset's rows, in one or more parts (rows.parquet before parts began)
ORIGINAL = "original"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS datasets (
    dataset_id INTEGER PRIMARY KEY, kind VARCHAR NOT NULL, reader VARCHAR NOT NULL, label VARCHAR,
    original_name VARCHAR NOT NULL, sha256 VARCHAR NOT NULL UNIQUE, stored_file VARCHAR NOT NULL,
    imported_by VARCHAR NOT NULL, imported_at TIMESTAMP NOT NULL, rows_read INTEGER NOT NULL,
    rows_accepted INTEGER NOT NULL, rows_rejected INTEGER NOT NULL, rows_unplaced INTEGER NOT NULL,
    synthetic BOOLEAN NOT NULL, summary VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS rejects (
    dataset_id INTEGER NOT NULL, file VARCHAR, line INTEGER, "column" VARCHAR, value VARCHAR, problem VARCHAR);
"""
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


def add_dataset(store: Path, prepared: Prepared, original: Path, sha256: str, *, original_name: str,
                user: str | None = None, label: str | None = None) -> int:
    """Keep ``original``, write ``prepared``'s rows, then commit its record; returns the new dataset id."""
    store.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max_workers=1) as pool:  # the rows are converted while the catalogue opens
        converting = pool.submit(_rows, prepared.kind, prepared.table)
        with _connect(store) as db:
            dataset_id = db.execute("SELECT coalesce(max(dataset_id), 0) + 1 FROM datasets").fetchone()[0]
            rows = converting.result()
            rows = rows.add_column(0, "dataset_id", pa.array(np.full(len(rows), dataset_id, dtype=np.int32)))
            folder = _keep(store, original, sha256, original_name, prepared.kind, rows)
            try:
                _commit_record(db, prepared, dataset_id, folder, store, sha256, original_name, user, label)
            except BaseException:
                shutil.rmtree(folder, ignore_errors=True)
                raise
    return int(dataset_id)


def _commit_record(db: duckdb.DuckDBPyConnection, prepared: Prepared, dataset_id: int, folder: Path, store: Path,
                   sha256: str, original_name: str, user: str | None, label: str | None) -> None:
    """Insert the dataset's record and rejects in one transaction and commit: the dataset now exists."""
    summary = prepared.summary()
    record = pd.DataFrame([{
        "dataset_id": dataset_id, "kind": prepared.kind, "reader": prepared.reader, "label": label,
        "original_name": original_name, "sha256": sha256,
        "stored_file": str((folder / ORIGINAL / Path(original_name).name).relative_to(store)),
        "imported_by": user or getpass.getuser(),
        "imported_at": datetime.now(timezone.utc).replace(tzinfo=None),
        "rows_read": summary["rows_read"], "rows_accepted": summary["rows_accepted"],
        "rows_rejected": summary["rows_rejected"], "rows_unplaced": summary["rows_unplaced"],
        "synthetic": prepared.synthetic, "summary": json.dumps(summary, default=str)}])
    db.execute("BEGIN TRANSACTION")
    _insert(db, "datasets", record)
    if len(prepared.problems):
        _insert(db, "rejects", prepared.problems.assign(dataset_id=dataset_id))
    db.execute("COMMIT")


def list_datasets(store: Path) -> pd.DataFrame:
    """Every dataset with its provenance, newest first."""
    with _connect(store, read_only=True) as db:
        if db is None:
            return pd.DataFrame(columns=["dataset_id", "kind", "reader", "label", "original_name", "sha256",
                                         "stored_file", "imported_by", "imported_at", "rows_read", "rows_accepted",
                                         "rows_rejected", "rows_unplaced", "synthetic", "summary"])
        return db.execute("SELECT * FROM datasets ORDER BY dataset_id DESC").df()


def preview(store: Path, dataset_id: int, rows: int = 20) -> pd.DataFrame:
    """The first ``rows`` stored rows of one dataset."""
    with _connect(store, read_only=True) as db:
        _, rows_files = _dataset_files(store, db, dataset_id)
        return db.execute("SELECT * EXCLUDE (dataset_id) FROM read_parquet(?) ORDER BY source_line LIMIT ?",
                          [rows_files, rows]).df()


def rejected_rows(store: Path, dataset_id: int) -> pd.DataFrame:
    """Rows of the original file that were not imported, with why."""
    with _connect(store, read_only=True) as db:
        _dataset_files(store, db, dataset_id)
        return db.execute('SELECT file, line, "column", value, problem FROM rejects WHERE dataset_id = ? ORDER BY line',
                          [dataset_id]).df()


def delete_dataset(store: Path, dataset_id: int) -> None:
    """Remove one dataset's record and rejects (one transaction), then its folder of rows and original."""
    with _connect(store) as db:
        folder, _ = _dataset_files(store, db, dataset_id)
        db.execute("BEGIN TRANSACTION")
        for table in ("rejects", "datasets"):
            db.execute(f"DELETE FROM {table} WHERE dataset_id = ?", [dataset_id])
        db.execute("COMMIT")
    shutil.rmtree(folder, ignore_errors=True)


def read_table(store: Path, table: str, where: str = "TRUE") -> pd.DataFrame:
    """All rows of one data table (``events``, ``nominals``, ...) with their dataset id."""
    if table not in (*DATA_TABLES, "datasets"):
        raise StoreError(f"Unknown table {table!r}; the store has {', '.join(DATA_TABLES)}.")
    with _connect(store, read_only=True) as db:
        if table == "datasets":
            return list_datasets(store) if db is None else db.execute(f"SELECT * FROM datasets WHERE {where}").df()
        files = [] if db is None else [str(_dataset_folder(store, sha) / ROWS_FILES) for (sha,) in db.execute(
            "SELECT sha256 FROM datasets WHERE kind = ? ORDER BY dataset_id", [table]).fetchall()]
        reader = duckdb.connect() if db is None else db
        rows = (reader.read_parquet(files) if files
                else reader.from_arrow(_row_schema(table).empty_table()))
        return _to_pandas(rows.filter(where).to_arrow_table())


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


def _dataset_files(store: Path, db: duckdb.DuckDBPyConnection | None, dataset_id: int) -> tuple[Path, list[str]]:
    row = db.execute("SELECT sha256 FROM datasets WHERE dataset_id = ?", [dataset_id]).fetchone() if db else None
    if row is None:
        raise StoreError(f"No dataset {dataset_id} in the store at {store}; `hotspots datasets` lists them.")
    folder = _dataset_folder(store, row[0])
    return folder, [str(part) for part in sorted(folder.glob(ROWS_FILES))]


def _keep(store: Path, original: Path, sha256: str, name: str, kind: str, rows: pa.Table) -> Path:
    """The dataset's folder: the original as it arrived and its rows, put in place by one rename."""
    folder = _dataset_folder(store, sha256)
    partial = store / UPLOADS / f".partial-{sha256}"
    shutil.rmtree(partial, ignore_errors=True)
    (partial / ORIGINAL).mkdir(parents=True)
    copy = shutil.copytree if original.is_dir() else shutil.copy2
    with ThreadPoolExecutor(max_workers=1) as pool:  # both release the GIL: copy while writing
        copied = pool.submit(copy, original, partial / ORIGINAL / Path(name).name)
        _write_rows(kind, rows, partial)
        copied.result()
    shutil.rmtree(folder, ignore_errors=True)
    partial.replace(folder)
    return folder


@contextlib.contextmanager
def _connect(store: Path, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection | None]:
    path = store / DATABASE_NAME
    if read_only and not path.exists():
        yield None
        return
    try:
        db = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as error:
        raise StoreError(f"The store at {store} is in use by another process (DuckDB allows one writer): "
                         f"close it and try again ({error}).") from error
    if read_only and _rows_in_database(db):  # a store from before rows moved to Parquet: upgrade it once
        db.close()
        with _connect(store):
            pass
        db = duckdb.connect(str(path), read_only=True)
    try:
        if not read_only:
            db.execute(_SCHEMA)
            _move_rows_to_files(store, db)
            _remove_uncommitted_uploads(store, db)
        yield db
    finally:  # closing with a transaction still open rolls it back
        db.close()


def _remove_uncommitted_uploads(store: Path, db: duckdb.DuckDBPyConnection) -> None:
    uploads = store / UPLOADS
    if not uploads.exists():
        return
    kept = {row[0] for row in db.execute("SELECT sha256 FROM datasets").fetchall()}
    for folder in uploads.iterdir():
        if folder.name not in kept:
            shutil.rmtree(folder, ignore_errors=True)


def _rows_in_database(db: duckdb.DuckDBPyConnection) -> list[str]:
    listed = ", ".join(f"'{table}'" for table in DATA_TABLES)
    return [row[0] for row in db.execute(
        f"SELECT table_name FROM duckdb_tables() WHERE table_name IN ({listed})").fetchall()]


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
        columns = ", ".join(f'"{c}"' for c in ["dataset_id", *TABLE_COLUMNS[kind]])
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
