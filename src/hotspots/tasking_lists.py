"""Saved Op Grip tasking lists: a meeting's list kept in the store for the next meeting.

The next meeting compares its selection with the last saved list ("what changed",
``tasking_view.tasking_view(previous_list=...)``) and tests a
saved list against what happened after it ("testing", ``tasking_view.evaluation_view``). Three
tables in the store's DuckDB catalogue hold them:

``tasking_lists``
    ``list_id``, ``chosen_on`` (the meeting's date), ``saved_by``, ``saved_at`` (UTC),
    ``grid_key`` (``bng-150m``: 150 m cells anchored at the National Grid's origin; or ``lsoa``),
    ``cell_size_m`` (empty for LSOAs), ``districts`` (local authority codes, JSON), ``source``,
    ``first_month`` and ``months`` (the data window), ``offences`` (JSON), ``method`` (harm-weighted
    or counts), ``harm_weights`` (JSON; empty for counts), ``n``.
``tasking_list_areas``
    ``list_id``, ``area_number``, ``position`` (best cell first), ``cell_id``.
``tasking_list_exclusions``
    ``list_id``, ``cell_id``, ``reason``.

A list is written in one transaction, with its entry in the audit trail written before the
commit: it is saved and audited, or neither (an audit failure rolls the list back).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pandas as pd

from hotspots import audit, store, tasking
from hotspots._errors import TaskingError
from hotspots.tasking import Exclusion, TaskingList, Window

HARM_WEIGHTED, COUNTS = "harm-weighted counts", "counts"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS tasking_lists (
    list_id INTEGER PRIMARY KEY, chosen_on DATE NOT NULL, saved_by VARCHAR NOT NULL, saved_at TIMESTAMP NOT NULL,
    grid_key VARCHAR NOT NULL, cell_size_m INTEGER, districts VARCHAR NOT NULL, source VARCHAR NOT NULL,
    first_month DATE NOT NULL, months INTEGER NOT NULL, offences VARCHAR NOT NULL, method VARCHAR NOT NULL,
    harm_weights VARCHAR, n INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS tasking_list_areas (
    list_id INTEGER NOT NULL, area_number INTEGER NOT NULL, position INTEGER NOT NULL, cell_id VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS tasking_list_exclusions (
    list_id INTEGER NOT NULL, cell_id VARCHAR NOT NULL, reason VARCHAR NOT NULL);
"""
LISTED_COLUMNS = ["list_id", "chosen_on", "saved_by", "saved_at", "grid_key", "districts", "window", "method",
                  "areas", "cells"]


@dataclass(frozen=True)
class SavedTaskingList:
    """A tasking list read back from the store, with who saved it, when, and for which districts."""

    list_id: int
    saved_by: str
    saved_at: datetime
    districts: tuple[str, ...]
    tasking_list: TaskingList

    @property
    def method(self) -> str:
        return method_of(self.tasking_list)

    @property
    def label(self) -> str:
        """``"List 3: meeting of 2024-03-05 (bng-150m, 11 areas), saved by alice"``."""
        listed = self.tasking_list
        return (f"List {self.list_id}: meeting of {listed.chosen_on:%Y-%m-%d} ({listed.grid_key}, "
                f"{len(listed.areas)} areas), saved by {self.saved_by}")


def method_of(tasking_list: TaskingList) -> str:
    """How the list ranked cells: ``harm-weighted counts`` or ``counts``."""
    return COUNTS if tasking_list.harm_weights is None else HARM_WEIGHTED


def save_tasking_list(store_dir: Path, tasking_list: TaskingList, *, districts: Sequence[str], user: str,
                      role: str, audit_store: Path) -> int:
    """Save ``tasking_list`` (made over ``districts``, local authority codes) to the store as
    ``user``; the save is recorded in ``audit_store``'s trail in the same step. Returns its id."""
    if not tasking_list.areas:
        raise TaskingError("This tasking list has no areas: select at least one area before saving it.")
    with store.catalogue(store_dir) as db:
        db.execute(_SCHEMA)
        db.execute("BEGIN TRANSACTION")
        list_id = int(db.execute("SELECT coalesce(max(list_id), 0) + 1 FROM tasking_lists").fetchall()[0][0])
        _insert_list(db, list_id, tasking_list, districts, user)
        audit.record(audit_store, user=user, role=role, action="tasking-list-saved",
                     what={"list_id": list_id, "store": str(store_dir), "chosen_on": f"{tasking_list.chosen_on}",
                           "grid_key": tasking_list.grid_key, "areas": len(tasking_list.areas),
                           "cells": len(tasking_list.cell_ids)})
        db.execute("COMMIT")
    return list_id


def saved_tasking_lists(store_dir: Path) -> pd.DataFrame:
    """Every saved list, latest meeting first: ``LISTED_COLUMNS`` (``window`` as "Apr 2023 to Mar
    2024", ``areas`` and ``cells`` counted)."""
    with store.catalogue(store_dir, read_only=True) as db:
        if db is None or not _has_tables(db):
            return pd.DataFrame(columns=LISTED_COLUMNS)
        lists = db.execute("""SELECT l.*, count(DISTINCT a.area_number) AS areas, count(a.cell_id) AS cells
            FROM tasking_lists l LEFT JOIN tasking_list_areas a USING (list_id) GROUP BY ALL
            ORDER BY chosen_on DESC, list_id DESC""").df()
    lists["window"] = [Window(pd.Timestamp(first), int(months)).label
                       for first, months in zip(lists["first_month"], lists["months"])]
    lists["districts"] = [", ".join(json.loads(codes)) for codes in lists["districts"]]
    return lists[LISTED_COLUMNS].reset_index(drop=True)


def read_tasking_list(store_dir: Path, list_id: int) -> SavedTaskingList:
    """One saved list, as it was saved."""
    with store.catalogue(store_dir, read_only=True) as db:
        found = None if db is None or not _has_tables(db) else db.execute(
            "SELECT * FROM tasking_lists WHERE list_id = ?", [int(list_id)]).df()
        if found is None or found.empty:
            raise TaskingError(f"No saved tasking list {list_id} in the store at {store_dir}: choose one of the "
                               "lists saved there.")
        cells = db.execute("SELECT area_number, cell_id FROM tasking_list_areas WHERE list_id = ? "
                           "ORDER BY area_number, position", [int(list_id)]).df()
        excluded = db.execute("SELECT cell_id, reason FROM tasking_list_exclusions WHERE list_id = ? ORDER BY cell_id",
                              [int(list_id)]).df()
    row = found.iloc[0]
    weights = None if pd.isna(row["harm_weights"]) else json.loads(row["harm_weights"])
    listed = TaskingList(
        grid_key=row["grid_key"], chosen_on=pd.Timestamp(row["chosen_on"]).date(),
        window=Window(pd.Timestamp(row["first_month"]), int(row["months"])), source=row["source"],
        offences=tuple(json.loads(row["offences"])), harm_weights=weights, n=int(row["n"]),
        exclusions=tuple(Exclusion(c, r) for c, r in zip(excluded["cell_id"], excluded["reason"])),
        areas=tuple(tuple(group["cell_id"]) for _, group in cells.groupby("area_number", sort=True)))
    return SavedTaskingList(list_id=int(row["list_id"]), saved_by=row["saved_by"],
                            saved_at=pd.Timestamp(row["saved_at"]).to_pydatetime(),
                            districts=tuple(json.loads(row["districts"])), tasking_list=listed)


def entered_by_hand(cells: str, *, chosen_on: date, like: TaskingList) -> TaskingList:
    """A list typed in for testing: ``cells`` (ids separated by spaces, commas or new lines), each
    an area, chosen on ``chosen_on`` from the window of ``like``'s length ending the month before;
    source, offences and harm weights as ``like``'s (today's choices)."""
    ids = tuple(dict.fromkeys(re.split(r"[\s,;]+", cells.strip()))) if cells.strip() else ()
    if not ids:
        raise TaskingError("No cells entered: type the cell ids of the list to test (e.g. 150m-559350-177600), "
                           "separated by spaces, commas or new lines.")
    before = tasking.window_to(pd.Timestamp(chosen_on) - pd.DateOffset(months=1), like.window.months)
    return replace(like, chosen_on=chosen_on, window=before, n=len(ids), exclusions=(),
                   areas=tuple((cell,) for cell in ids))


def _insert_list(db: duckdb.DuckDBPyConnection, list_id: int, listed: TaskingList, districts: Sequence[str],
                 user: str) -> None:
    size = listed.grid_key.removeprefix("bng-").removesuffix("m")
    weights = None if listed.harm_weights is None else json.dumps(listed.harm_weights, sort_keys=True)
    db.execute("INSERT INTO tasking_lists VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
        list_id, listed.chosen_on, user, datetime.now(UTC).replace(tzinfo=None), listed.grid_key,
        int(size) if size.isdigit() else None, json.dumps(sorted(districts)), listed.source,
        pd.Timestamp(listed.window.first_month).date(), listed.window.months, json.dumps(list(listed.offences)),
        method_of(listed), weights, listed.n])
    cells = [(list_id, number, position, cell) for number, area in enumerate(listed.areas, start=1)
             for position, cell in enumerate(area)]
    db.executemany("INSERT INTO tasking_list_areas VALUES (?, ?, ?, ?)", cells)
    if listed.exclusions:
        db.executemany("INSERT INTO tasking_list_exclusions VALUES (?, ?, ?)",
                       [(list_id, e.cell_id, e.reason) for e in listed.exclusions])


def _has_tables(db: duckdb.DuckDBPyConnection) -> bool:
    return bool(db.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'tasking_lists'").fetchall()[0][0])

