"""Times of day on force-extract events: read, stored and loaded; events without a time stay valid."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from hotspots import importing, loading, readers
from hotspots._errors import ImportFileError

HEADER = "Crime Reference,Offence Date,{time}Offence Group,Easting,Northing\n"
POINT = "556823,179435"  # in Thurrock


def _extract(tmp_path: Path, rows: list[str], *, time_column: bool = True, name: str = "extract.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER.format(time="Offence Time," if time_column else "") + "".join(f"{r}\n" for r in rows))
    return path


def test_an_offence_time_column_is_kept_and_a_blank_time_is_unknown(tmp_path: Path) -> None:
    path = _extract(tmp_path, [f"CR-1,14/04/2022,21:40,Violence with injury,{POINT}",
                               f"CR-2,15/04/2022,,Violence with injury,{POINT}",
                               f"CR-3,16/04/2022,7:05:30,Possession of weapons,{POINT}"])
    prepared = readers.read_police_recorded_crime(path)
    assert prepared.problems.empty
    assert list(prepared.table["time_of_day"].fillna("unknown")) == ["21:40", "unknown", "07:05"]


def test_a_time_that_is_not_a_time_of_day_is_a_row_problem(tmp_path: Path) -> None:
    path = _extract(tmp_path, [f"CR-1,14/04/2022,25:10,Violence with injury,{POINT}",
                               f"CR-2,14/04/2022,evening,Violence with injury,{POINT}",
                               f"CR-3,14/04/2022,09:15,Violence with injury,{POINT}"])
    prepared = readers.read_police_recorded_crime(path)
    assert list(prepared.problems["value"]) == ["25:10", "evening"]
    assert prepared.problems["problem"].str.contains("HH:MM").all()
    with pytest.raises(ImportFileError, match="not a time of day"):
        importing.import_file(tmp_path / "store", path, "police")


def test_dates_written_with_times_give_the_time_and_midnight_only_dates_give_none(tmp_path: Path) -> None:
    timed = _extract(tmp_path, [f"CR-1,2022-04-14 21:40:00,Violence with injury,{POINT}",
                                f"CR-2,2022-04-15 00:00:00,Violence with injury,{POINT}"], time_column=False)
    assert list(readers.read_police_recorded_crime(timed).table["time_of_day"]) == ["21:40", "00:00"]
    dates_only = _extract(tmp_path, [f"CR-1,2022-04-14 00:00:00,Violence with injury,{POINT}"], time_column=False,
                          name="dates.csv")  # a date-only export written as timestamps: no time known
    assert readers.read_police_recorded_crime(dates_only).table["time_of_day"].isna().all()


def test_times_survive_the_store_and_loading_and_untimed_events_load_beside_them(tmp_path: Path) -> None:
    store_dir = tmp_path / "store"
    importing.import_file(store_dir, _extract(tmp_path, [f"CR-1,14/04/2022,21:40,Violence with injury,{POINT}",
                                                         f"CR-2,15/04/2022,,Violence with injury,{POINT}"]), "police")
    importing.import_file(store_dir, _extract(tmp_path, [f"CR-9,16/04/2022,Violence with injury,{POINT}"],
                                              time_column=False, name="untimed.csv"), "police")
    events = loading.load_dataset(store_dir).events.sort_values("reference")
    assert list(events["time_of_day"].fillna("unknown")) == ["21:40", "unknown", "unknown"]
