"""Every CSV the dashboard offers (the pages' downloads, the tasking areas, the decision record) writes
a cell a spreadsheet would run as a formula as text, and a negative number as a number."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import replace

import pandas as pd
import pytest

from hotspots import csv_export, decision_record, tasking_exports, tasking_view
from tests.test_decision_record import _record
from tests.test_tasking_exports import view, wards  # noqa: F401 (fixtures)
from ui.common import csv_bytes

# (a user's text, as the CSV cell must hold it): formulas made text; a carriage return inside a cell
# kept inside it (unquoted, a spreadsheet starts a row there, with "=1+1" its first cell)
HOSTILE = [(cell, "'" + cell) for cell in
           ['=HYPERLINK("http://198.51.100.7/x","click")', "+1", "-2", "@SUM(A1:A9)", "\t=1+1", "\r=1+1"]]
HOSTILE.append(("Grays\r=1+1", "Grays\r=1+1"))


def _page_download(hostile: str, _view: tasking_view.TaskingView) -> list[dict[str, str]]:
    table = pd.DataFrame({"ward_name": [hostile, "Grays Riverside"], "change": [-3, 2]})
    return _rows(csv_bytes(table))


def _tasking_areas(hostile: str, view: tasking_view.TaskingView) -> list[dict[str, str]]:
    # cell ids are LSOA codes from a user's boundary file at the LSOA level: text a user chose
    areas = view.areas.assign(cell_ids=[[hostile, *cells[1:]] for cells in view.areas["cell_ids"]])
    return _rows(tasking_exports.areas_csv(replace(view, areas=areas)))


def _decision_record(hostile: str, _view: tasking_view.TaskingView) -> list[dict[str, str]]:
    return _rows(decision_record.record_to_csv(_record(rationale=hostile)))


@pytest.mark.parametrize(("hostile", "written"), HOSTILE)
@pytest.mark.parametrize("export", [_page_download, _tasking_areas, _decision_record])
def test_a_formula_cell_is_written_as_text_in_every_export(
        export: Callable[[str, tasking_view.TaskingView], list[dict[str, str]]], hostile: str, written: str,
        view: tasking_view.TaskingView) -> None:  # noqa: F811 (the fixture)
    cells = [value for row in export(hostile, view) for value in row.values()]
    assert [cell for cell in cells if cell.startswith(written)]  # cell_ids: the first of several
    assert not [cell for cell in cells if cell.startswith(tuple(csv_export.FORMULA_STARTS)) and not _number(cell)]


def test_negative_numbers_stay_numbers() -> None:
    page = pd.read_csv(io.BytesIO(csv_bytes(pd.DataFrame({"change": [-3, 2], "rate": [-0.5, 1.0]}))))
    assert page["change"].tolist() == [-3, 2] and page["rate"].tolist() == [-0.5, 1.0]
    rows = _rows(decision_record.record_to_csv(_record()))
    contributions = [row["value"] for row in rows
                     if row["column"] == "ambulance-all contribution" and row["row"] != "-1"]
    assert contributions == ["0.1623", "0.25", "-0.05"]


def test_a_leading_quote_is_doubled_only_where_the_csv_is_read_back() -> None:
    assert csv_export.formula_safe("'quoted") == "'quoted"
    assert csv_export.formula_safe("'quoted", reversible=True) == "''quoted"
    record = _record(rationale="'quoted")
    assert decision_record.record_from_csv(decision_record.record_to_csv(record)).rationale == "'quoted"


def _rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


def _number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def test_a_formula_in_a_category_column_or_a_header_is_written_as_text() -> None:
    table = pd.DataFrame({"=HYPERLINK(1)": [1, 2], "group": pd.Categorical(["=1+1", "Grays"])})
    written = list(csv.reader(io.StringIO(csv_export.table_csv(table).decode())))
    assert written == [["'=HYPERLINK(1)", "group"], ["1", "'=1+1"], ["2", "Grays"]]
