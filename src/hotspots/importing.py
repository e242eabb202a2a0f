"""Validate a file with its reader, then import it into the store, or refuse and change nothing."""

from __future__ import annotations

import contextlib
import hashlib
import mmap
import os
import shutil
import sys
import threading
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace as replace_field
from pathlib import Path
from typing import TypeVar

import pandas as pd

from hotspots import geography, inputs, store, validation
from hotspots._errors import ImportFileError, OverlapError, StoreError
from hotspots.coverage import Overlap
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
    members = inputs.folder_files(path, path.name, suffix="") if path.is_dir() else [path]
    for member in members:
        if path.is_dir():
            digest.update(str(member.relative_to(path)).encode())
        with member.open("rb") as handle:
            if os.fstat(handle.fileno()).st_size:  # mapped, not copied: a 200 MB file hashes in a fifth of a second
                with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
                    digest.update(data)
    return digest.hexdigest()


@dataclass(frozen=True)
class Staged:
    """A file ready to import: ``copy``, a private copy of the user's file taken before anything
    read it (so the rows, the kept original and ``sha256`` come from the same bytes), what its
    reader made of it, and what the store already holds of it."""

    copy: Path
    name: str
    prepared: Prepared
    sha256: str
    same_file: dict | None
    overlap: Overlap


def stage(store_dir: Path, path: Path, source: str, folder: Path, *, name: str | None = None,
          layer: str | None = None) -> Staged:
    """Copy ``path`` into ``folder`` (from ``store.incoming``, or any private folder for a check),
    then hash and validate the copy and look for what the store already holds of it. Writes nothing
    to the store."""
    path = Path(path)
    name = name or path.name
    copy = _private_copy(path, name, folder, source)
    with ThreadPoolExecutor(max_workers=1) as pool:  # hashing releases the GIL: overlap it with reading
        hashing = pool.submit(_in_spare_time, file_hash, copy)
        prepared = validate_file(copy, source, name=name, layer=layer)
        sha256 = hashing.result()
    return Staged(copy, name, prepared, sha256, store.find_by_hash(store_dir, sha256),
                  store.find_overlaps(store_dir, prepared))


@dataclass(frozen=True)
class Check:
    """A file ``staged`` for a check in a private ``folder`` in the store (a ``store.incoming``
    folder, left open), kept while the user reads its report and chooses (the Data page), then
    imported with ``commit_checked``. The folder is removed by ``discard`` or, at the latest, when
    the check is garbage collected (its session ended): the file may hold restricted data. If the
    process dies first, the next writer to the store removes it, its lock no longer held."""

    folder: Path
    staged: Staged
    held: contextlib.ExitStack  # the open ``store.incoming``: leaving it removes the folder

    def __post_init__(self) -> None:
        object.__setattr__(self, "_removal", weakref.finalize(self, self.held.close))

    def discard(self) -> None:
        self._removal()


def check_upload(store_dir: Path, data: bytes, source: str, *, name: str, layer: str | None = None) -> Check:
    """``stage`` an uploaded file's ``data`` in a new ``store.incoming`` folder (nothing is written
    to the catalogue or the datasets). The browser's ``name`` may hold anything (even ``../``): the
    file on disk gets a name of ours, with only its suffix."""
    with contextlib.ExitStack() as held:
        check = held.enter_context(store.incoming(store_dir))
        folder = check.parent
        upload = folder / ("upload" + Path(_safe_name(name)).suffix)
        upload.write_bytes(data)
        staged = stage(store_dir, upload, source, check, name=name, layer=layer)
        upload.unlink()  # the check's own copy is what is imported
        kept = held.pop_all()  # a refusal leaves it above, removing the folder
    return Check(folder, staged, kept)


def refuse_unless_importable(staged: Staged, *, accept_rejects: bool, replace: bool) -> None:
    """The verdict, the same for a check and an import: raise (StoreError, ImportFileError) unless
    ``staged`` can be imported with these choices."""
    if staged.same_file:
        earlier = staged.same_file
        raise StoreError(f"{staged.name}: this file was already imported as dataset {earlier['dataset_id']} "
                         f"({earlier['original_name']}, {earlier['imported_at']:%Y-%m-%d %H:%M}); nothing was changed.")
    refuse_unless_usable(staged.prepared, accept_rejects=accept_rejects)
    if staged.overlap and not replace:
        raise OverlapError(f"{staged.name}: {staged.overlap.describe()}; nothing was changed. Importing both would "
                           "count those events twice: replace the earlier months with this file (--replace, or the "
                           "choice on the Data page), or leave it out.")


def commit(store_dir: Path, staged: Staged, *, user: str | None = None, layer: str | None = None,
           accept_rejects: bool = False, replace: bool = False) -> int:
    """Import a ``staged`` file whose copy is in a ``store.incoming`` folder; returns its dataset id.
    What it replaces is what ``staged`` reported: if the store changed meanwhile so that it would
    replace something else, it is refused (``store.StaleCheckError``: check it again)."""
    refuse_unless_importable(staged, accept_rejects=accept_rejects, replace=replace)
    return store.add_dataset(store_dir, staged.prepared, staged.copy, staged.sha256, original_name=staged.name,
                             user=user, label=layer, replace=replace, checked=staged.overlap)


def commit_checked(store_dir: Path, staged: Staged, *, user: str | None = None, layer: str | None = None,
                   accept_rejects: bool = False, replace: bool = False) -> int:
    """``commit`` a file ``stage``d for a check in a folder of its own (the Data page's, kept
    while the user reads the report and chooses): its copy is copied into a ``store.incoming``
    folder, so the rows, hash and report already made of it are what is imported, without reading
    it again. The checked copy stays where it is, for another try after a refusal."""
    with store.incoming(store_dir) as folder:
        target = folder / staged.copy.name
        if staged.copy.is_dir():
            shutil.copytree(staged.copy, target)
        else:
            shutil.copyfile(staged.copy, target)
        return commit(store_dir, replace_field(staged, copy=target), user=user, layer=layer,
                      accept_rejects=accept_rejects, replace=replace)


def import_file(store_dir: Path, path: Path, source: str, *, name: str | None = None, user: str | None = None,
                layer: str | None = None, accept_rejects: bool = False, replace: bool = False) -> int:
    """Import one file; returns its dataset id. Refuses, with the store unchanged: a file already
    imported, a file with rejected rows unless ``accept_rejects``, a file with nothing usable, and
    one covering months or holding references already stored unless ``replace`` (then the earlier
    months and rows are replaced, kept on record)."""
    with store.incoming(store_dir) as folder:
        staged = stage(store_dir, path, source, folder, name=name, layer=layer)
        return commit(store_dir, staged, user=user, layer=layer, accept_rejects=accept_rejects, replace=replace)


def _private_copy(path: Path, name: str, folder: Path, source: str) -> Path:
    """``path`` copied into ``folder`` under its own name: one regular file, or for a folder (the
    police.uk reader's) the regular files it may read, with their places in it."""
    target = folder / _safe_name(name)
    if source == "police-uk" and Path(path).is_dir():
        for member in inputs.folder_files(path, name, suffix=""):
            inside = target / member.relative_to(path)
            inside.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(member, inside)
        target.mkdir(exist_ok=True)
        return target
    shutil.copyfile(inputs.regular_file(path, name), target)
    return target


def _safe_name(name: str) -> str:
    """The last part of a user's file name, never a path out of the folder."""
    base = Path(name.replace("\\", "/")).name
    return base if base not in ("", ".", "..") else "upload"


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
