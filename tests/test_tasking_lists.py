"""Saved tasking lists: saved whole and audited, listed, read back as saved, compared with today's."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from hotspots import audit, tasking_lists
from hotspots._errors import AuditError, TaskingError
from hotspots.tasking import Exclusion, TaskingList, Window

THURROCK = ("E06000034",)


def _list(**changes) -> TaskingList:
    listed = {"grid_key": "bng-150m", "chosen_on": date(2024, 3, 5),
              "window": Window(pd.Timestamp("2023-03-01"), 12), "source": "police",
              "offences": ("violence with injury", "possession of weapons"),
              "harm_weights": {"violence-with-injury": 10.0, "possession-of-weapons": 7.5}, "n": 3,
              "exclusions": (Exclusion("150m-559350-177600", "custody suite: crimes recorded at the desk"),),
              "areas": (("150m-559500-177600", "150m-559650-177600"), ("150m-561000-180000",))}
    return TaskingList(**{**listed, **changes})


def _save(store_dir: Path, tasking_list: TaskingList, user: str = "alice") -> int:
    return tasking_lists.save_tasking_list(store_dir, tasking_list, districts=THURROCK, user=user, role="police",
                                           audit_store=store_dir)


def test_a_saved_list_reads_back_as_saved_with_who_saved_it(tmp_path: Path) -> None:
    first = _save(tmp_path, _list())
    second = _save(tmp_path, _list(chosen_on=date(2024, 4, 2), harm_weights=None), user="bob")
    saved = tasking_lists.read_tasking_list(tmp_path, first)
    assert saved.tasking_list == _list()
    assert (saved.saved_by, saved.districts, saved.method) == ("alice", THURROCK, "harm-weighted counts")
    assert tasking_lists.read_tasking_list(tmp_path, second).method == "counts"
    listed = tasking_lists.saved_tasking_lists(tmp_path)
    assert list(listed["list_id"]) == [second, first]  # latest meeting first
    assert listed.iloc[1][["saved_by", "grid_key", "window", "areas", "cells"]].tolist() == [
        "alice", "bng-150m", "Mar 2023 to Feb 2024", 2, 3]


def test_saving_is_in_the_audit_trail(tmp_path: Path) -> None:
    list_id = _save(tmp_path, _list())
    entry = audit.entries(tmp_path)[-1]
    assert (entry.action, entry.user, entry.role) == ("tasking-list-saved", "alice", "police")
    assert entry.what["list_id"] == list_id and entry.what["cells"] == 3
    assert audit.verify(tmp_path).ok


def test_a_list_whose_audit_entry_fails_is_not_saved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _save(tmp_path, _list())

    def refuse(*args, **kwargs):
        raise AuditError("the audit trail's last line is damaged")

    monkeypatch.setattr(audit, "record", refuse)
    with pytest.raises(AuditError):
        _save(tmp_path, _list(chosen_on=date(2024, 4, 2)))
    assert len(tasking_lists.saved_tasking_lists(tmp_path)) == 1  # all or nothing


def test_an_empty_list_and_an_unknown_list_are_refused_with_a_message(tmp_path: Path) -> None:
    with pytest.raises(TaskingError, match="no areas"):
        _save(tmp_path, _list(areas=()))
    assert tasking_lists.saved_tasking_lists(tmp_path).empty
    with pytest.raises(TaskingError, match="No saved tasking list 7"):
        tasking_lists.read_tasking_list(tmp_path, 7)


def test_a_list_entered_by_hand_is_tested_over_the_window_before_its_date() -> None:
    typed = tasking_lists.entered_by_hand(" 150m-559500-177600,150m-561000-180000\n150m-559500-177600 ",
                                          chosen_on=date(2024, 6, 12), like=_list())
    assert typed.areas == (("150m-559500-177600",), ("150m-561000-180000",))  # each cell an area, once
    assert typed.window == Window(pd.Timestamp("2023-06-01"), 12)  # the 12 months to May 2024
    assert (typed.source, typed.offences, typed.harm_weights) == (_list().source, _list().offences,
                                                                   _list().harm_weights)
    with pytest.raises(TaskingError, match="No cells entered"):
        tasking_lists.entered_by_hand("  ", chosen_on=date(2024, 6, 12), like=_list())
