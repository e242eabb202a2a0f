"""Validate a file with its reader, then import it into the store, or refuse and change nothing."""

from __future__ import annotations

import hashlib
import mmap
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import pandas as pd

from hotspots import geography, store, validation
from hotspots._errors import ImportFileError, StoreError
from hotspots.readers import READERS, Prepared

SOURCES = tuple(READERS)
T = TypeVar("T")


def validate_file(path: Path, source: str, *, name: str | None = None, layer: str | None = None) -> Prepared:
    """Read and check a file without writing anything: the validation report."""
    if source not in READERS:
        raise ImportFileError(name or Path(path).name, f"unknown source {source!r}: use one of {', '.join(SOURCES)}")
    if source == "counts":  # the built-in region's areas: its wards and LSOAs
        lookup = geography.lsoa_lookup()
        return READERS[source](Path(path), name, layer=layer,
                               area_codes=[*lookup["ward_code"].unique(), *lookup["lsoa_code"]])
    return READERS[source](Path(path), name)


def file_hash(path: Path) -> str:
    """SHA-256 of a file's bytes (of every file's path and bytes, in order, for a folder)."""
    digest = hashlib.sha256()
    path = Path(path)
    members = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for member in members:
        if path.is_dir():
            digest.update(str(member.relative_to(path)).encode())
        with member.open("rb") as handle:
            if os.fstat(handle.fileno()).st_size:  # mapped, not copied: a 200 MB file hashes in a fifth of a second
                with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
                    digest.update(data)
    return digest.hexdigest()


def import_file(store_dir: Path, path: Path, source: str, *, name: str | None = None, user: str | None = None,
                layer: str | None = None, accept_rejects: bool = False, prepared: Prepared | None = None,
                sha256: str | None = None) -> int:
    """Import one file; returns its dataset id. Refuses (store untouched) a repeated file, a file with
    rejected rows unless ``accept_rejects``, and a file with nothing usable. ``sha256``: the file's
    hash, if the caller has it already."""
    path = Path(path)
    name = name or path.name
    with ThreadPoolExecutor(max_workers=1) as pool:  # hashing releases the GIL: overlap it with reading
        hashing = pool.submit(_in_spare_time, file_hash, path) if sha256 is None else None
        prepared = prepared or validate_file(path, source, name=name, layer=layer)
        sha256 = sha256 or hashing.result()
    earlier = store.find_by_hash(store_dir, sha256)
    if earlier:
        raise StoreError(f"{name}: this file was already imported as dataset {earlier['dataset_id']} "
                         f"({earlier['original_name']}, {earlier['imported_at']:%Y-%m-%d %H:%M}); nothing was changed.")
    refuse_unless_usable(prepared, accept_rejects=accept_rejects)
    return store.add_dataset(store_dir, prepared, path, sha256, original_name=name, user=user, label=layer)


def _in_spare_time(work: Callable[..., T], *args) -> T:
    """``work(*args)`` on this thread at a lower priority (Linux sets it per thread): it then takes
    the cores when the import leaves one idle, rather than slowing the parse it starts beside. Only
    for a pool's own thread, which ends with its pool: an unprivileged thread cannot raise it back.
    Elsewhere the priority is per process, so the work runs as it is."""
    if sys.platform == "linux":
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
    return work(*args)


def refuse_unless_usable(prepared: Prepared, *, accept_rejects: bool) -> None:
    """Raise ImportFileError, naming the first bad row, unless the prepared rows can be stored."""
    problems = prepared.problems
    if len(problems) and (not accept_rejects or prepared.rows_accepted == 0):
        first = problems.iloc[0]
        more = prepared.rows_rejected - 1
        tail = (f" ({more:,} more rows have problems; fix them, or import the other rows and keep the rejects"
                " on record with --accept-rejects / the tick box)" if more > 0 else
                " (fix it, or import the other rows with --accept-rejects / the tick box)")
        raise ImportFileError(first["file"], f"{first['value']!r}: {first['problem']}{tail}", line=int(first["line"]),
                              column=first["column"])
    if len(prepared.table) == 0:
        raise ImportFileError(prepared.file_name, "no rows to import")
    if sum(prepared.unplaced_by_reason.values()) == len(prepared.table):
        first = prepared.unplaced.iloc[0]
        raise ImportFileError(first["source_file"], f"none of the {len(prepared.table):,} rows could be placed in Greater "
                                                    f"Essex (first: {first['unplaced_reason']}); check the location "
                                                    "columns and that the file covers this area",
                              line=int(first["source_line"]))


def report_tables(prepared: Prepared) -> dict[str, pd.DataFrame]:
    """The validation report as tables: rejected rows by reason (with examples), rows not placed
    by reason, and ward names that matched no ward."""
    problems = prepared.problems
    unmatched = problems[problems["problem"].str.startswith("ward name not found")]
    unplaced = prepared.unplaced_by_reason
    return {
        "rejected": validation.grouped_problems(problems),
        "unplaced": pd.DataFrame({"reason": list(unplaced), "rows": list(unplaced.values())}),
        "unmatched_ward_names": (unmatched.groupby("value").agg(rows=("line", "size"), first_line=("line", "min"),
                                                                hint=("problem", "first")).reset_index()
                                 .rename(columns={"value": "ward_name"})),
    }
