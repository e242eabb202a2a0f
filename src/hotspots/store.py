"""The data store: one DuckDB database file plus the original uploads, in one folder.

Every import is one DuckDB transaction, so it either lands whole or not at all, even if the
process is killed half-way (DuckDB's write-ahead log is replayed or discarded on the next open).
Originals are kept as they arrived under ``uploads/<sha256>/``; a copy whose transaction never
committed (the process died) is removed the next time the store is opened for writing. DuckDB allows one writing
process at a time, so connections are opened per operation and closed straight after.
See ``docs/store.md`` for why DuckDB.
"""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import shutil
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from hotspots import settings
from hotspots._errors import StoreError
from hotspots.readers import TABLE_COLUMNS, Prepared

DATABASE_NAME = "hotspots.duckdb"
UPLOADS = "uploads"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS datasets (
    dataset_id INTEGER PRIMARY KEY, kind VARCHAR NOT NULL, reader VARCHAR NOT NULL, label VARCHAR,
    original_name VARCHAR NOT NULL, sha256 VARCHAR NOT NULL UNIQUE, stored_file VARCHAR NOT NULL,
    imported_by VARCHAR NOT NULL, imported_at TIMESTAMP NOT NULL, rows_read INTEGER NOT NULL,
    rows_accepted INTEGER NOT NULL, rows_rejected INTEGER NOT NULL, rows_unplaced INTEGER NOT NULL,
    synthetic BOOLEAN NOT NULL, summary VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    dataset_id INTEGER NOT NULL, source VARCHAR NOT NULL, category VARCHAR NOT NULL, date DATE,
    financial_year SMALLINT, easting DOUBLE, northing DOUBLE, ward_code VARCHAR, lsoa_code VARCHAR,
    age_band VARCHAR, domestic BOOLEAN, reference VARCHAR, placed_by VARCHAR, unplaced_reason VARCHAR,
    source_file VARCHAR, source_line INTEGER);
CREATE TABLE IF NOT EXISTS nominals (
    dataset_id INTEGER NOT NULL, nominal_id VARCHAR NOT NULL, gang VARCHAR NOT NULL, home_postcode VARCHAR,
    date_added DATE NOT NULL, date_removed DATE, easting DOUBLE, northing DOUBLE, ward_code VARCHAR,
    lsoa_code VARCHAR, placed_by VARCHAR, unplaced_reason VARCHAR, source_file VARCHAR, source_line INTEGER);
CREATE TABLE IF NOT EXISTS population (
    dataset_id INTEGER NOT NULL, ward_code VARCHAR NOT NULL, financial_year SMALLINT NOT NULL,
    population_10_24 INTEGER NOT NULL, source_line INTEGER);
CREATE TABLE IF NOT EXISTS deprivation (
    dataset_id INTEGER NOT NULL, area_code VARCHAR NOT NULL, area_level VARCHAR NOT NULL, imd_score DOUBLE NOT NULL,
    source_line INTEGER);
CREATE TABLE IF NOT EXISTS counts (
    dataset_id INTEGER NOT NULL, layer VARCHAR NOT NULL, area_code VARCHAR NOT NULL, financial_year SMALLINT NOT NULL,
    count INTEGER NOT NULL, source_line INTEGER);
CREATE TABLE IF NOT EXISTS rejects (
    dataset_id INTEGER NOT NULL, file VARCHAR, line INTEGER, "column" VARCHAR, value VARCHAR, problem VARCHAR);
"""
DATA_TABLES = tuple(TABLE_COLUMNS)


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
    """Write ``prepared`` and keep ``original`` in one transaction; returns the new dataset id."""
    store.mkdir(parents=True, exist_ok=True)
    with _connect(store) as db:
        kept = _keep_original(store, original, sha256, original_name)
        try:
            db.execute("BEGIN TRANSACTION")
            dataset_id = db.execute("SELECT coalesce(max(dataset_id), 0) + 1 FROM datasets").fetchone()[0]
            summary = prepared.summary()
            db.execute("INSERT INTO datasets VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
                dataset_id, prepared.kind, prepared.reader, label, original_name, sha256,
                str(kept.relative_to(store)), user or getpass.getuser(), datetime.now(timezone.utc).replace(tzinfo=None),
                summary["rows_read"], summary["rows_accepted"], summary["rows_rejected"], summary["rows_unplaced"],
                prepared.synthetic, json.dumps(summary, default=str)])
            _insert(db, prepared.kind, prepared.table.assign(dataset_id=dataset_id))
            if len(prepared.problems):
                _insert(db, "rejects", prepared.problems.assign(dataset_id=dataset_id))
            db.execute("COMMIT")
        except BaseException:
            shutil.rmtree(kept.parent, ignore_errors=True)
            raise
    return int(dataset_id)


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
    kind = _kind(store, dataset_id)
    with _connect(store, read_only=True) as db:
        return db.execute(f"SELECT * EXCLUDE (dataset_id) FROM {kind} WHERE dataset_id = ? "
                          "ORDER BY source_line LIMIT ?", [dataset_id, rows]).df()


def rejected_rows(store: Path, dataset_id: int) -> pd.DataFrame:
    """Rows of the original file that were not imported, with why."""
    _kind(store, dataset_id)
    with _connect(store, read_only=True) as db:
        return db.execute('SELECT file, line, "column", value, problem FROM rejects WHERE dataset_id = ? ORDER BY line',
                          [dataset_id]).df()


def delete_dataset(store: Path, dataset_id: int) -> None:
    """Remove one dataset's rows, record and kept original, in one transaction."""
    kind = _kind(store, dataset_id)
    with _connect(store) as db:
        stored = db.execute("SELECT stored_file FROM datasets WHERE dataset_id = ?", [dataset_id]).fetchone()[0]
        db.execute("BEGIN TRANSACTION")
        for table in (kind, "rejects", "datasets"):
            db.execute(f"DELETE FROM {table} WHERE dataset_id = ?", [dataset_id])
        db.execute("COMMIT")
    shutil.rmtree((store / stored).parent, ignore_errors=True)


def read_table(store: Path, table: str, where: str = "TRUE") -> pd.DataFrame:
    """All rows of one data table (``events``, ``nominals``, ...) with their dataset id."""
    if table not in (*DATA_TABLES, "datasets"):
        raise StoreError(f"Unknown table {table!r}; the store has {', '.join(DATA_TABLES)}.")
    with _connect(store, read_only=True) as db:
        if db is None:
            return pd.DataFrame(columns=["dataset_id", *TABLE_COLUMNS.get(table, [])])
        return db.execute(f"SELECT * FROM {table} WHERE {where}").df()


def store_version(store: Path) -> tuple:
    """Changes whenever the store changes: a cache key for readers of the store."""
    path = store / DATABASE_NAME
    wal = path.with_suffix(".duckdb.wal")
    return tuple(p.stat().st_mtime_ns if p.exists() else 0 for p in (path, wal))


def _insert(db: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    columns = ["dataset_id", *TABLE_COLUMNS.get(table, ["file", "line", "column", "value", "problem"])]
    db.register("incoming", pa.Table.from_pandas(frame[columns], preserve_index=False))  # Arrow scans fastest
    quoted = ", ".join(f'"{c}"' for c in columns)
    db.execute(f"INSERT INTO {table} ({quoted}) SELECT {quoted} FROM incoming")
    db.unregister("incoming")


def _kind(store: Path, dataset_id: int) -> str:
    with _connect(store, read_only=True) as db:
        row = db.execute("SELECT kind FROM datasets WHERE dataset_id = ?", [dataset_id]).fetchone() if db else None
    if row is None:
        raise StoreError(f"No dataset {dataset_id} in the store at {store}; `hotspots datasets` lists them.")
    return row[0]


def _keep_original(store: Path, original: Path, sha256: str, name: str) -> Path:
    folder = store / UPLOADS / sha256
    partial = store / UPLOADS / f".partial-{sha256}"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    if original.is_dir():
        shutil.copytree(original, partial / Path(name).name)
    else:
        shutil.copy2(original, partial / Path(name).name)
    shutil.rmtree(folder, ignore_errors=True)
    partial.replace(folder)
    return folder / Path(name).name


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
    try:
        if not read_only:
            db.execute(_SCHEMA)
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
