"""The meeting's exports: the areas' CSV and GeoPackage read back the same; the PDF pack, read as a
reader sees it (pdftotext, pdftoppm, pdfimages), has the marking on every page, the map and the table."""

from __future__ import annotations

import io
import socket
import subprocess
from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from hotspots import geography, micro_areas, roles, settings, tasking_exports, tasking_view
from hotspots.loading import Dataset
from hotspots.tasking import Exclusion

THURROCK = "E06000034"
# Hand-placed offences (easting, northing, how many): two touching 150 m cells and one apart.
PLACES = [(561010, 177460, 10), (561160, 177460, 6), (565010, 180010, 8), (563010, 179010, 1)]


def _events() -> pd.DataFrame:
    rows = []
    for easting, northing, count in PLACES:
        for i in range(count):
            rows.append({"source": "police", "category": "violence with injury",
                         "date": pd.Timestamp("2023-04-07") + pd.DateOffset(weeks=4 * i),  # Fridays
                         "time_of_day": "21:15", "easting": float(easting + i), "northing": float(northing + i),
                         "lsoa_code": None, "ward_code": None, "dataset_id": 1})
    rows.append({**rows[0], "category": "possession of weapons", "date": pd.Timestamp("2024-03-01")})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def wards() -> gpd.GeoDataFrame:
    return geography.wards([THURROCK])


@pytest.fixture(scope="module")
def view(wards: gpd.GeoDataFrame) -> tasking_view.TaskingView:
    dataset = Dataset(events=_events(), nominals=pd.DataFrame(), population=pd.DataFrame(),
                      deprivation=pd.DataFrame(), synthetic=True, synthetic_datasets=frozenset({1}))
    areas = micro_areas.micro_areas(wards, "grid", cell_size_m=150)
    return tasking_view.tasking_view(dataset, roles.role("police"), areas, n=3, merge=True,
                                     exclusions=[Exclusion("150m-562950-178950", "custody suite <b>desk</b>")])


@pytest.fixture(scope="module")
def context(view: tasking_view.TaskingView, wards: gpd.GeoDataFrame) -> tasking_exports.BriefingContext:
    return tasking_exports.BriefingContext(meeting_date=date(2024, 4, 2), districts_label="Thurrock", wards=wards,
                                           sources=("extract_2024.csv",), prepared_by="alice",
                                           changes=view.tracking, changes_against="the previous 12 months")


def test_the_areas_table_holds_the_hand_placed_areas(view: tasking_view.TaskingView) -> None:
    table = tasking_exports.areas_table(view)
    assert list(table["area_number"]) == [1, 2]
    assert list(table["cell_ids"]) == ["150m-561000-177450 150m-561150-177450", "150m-564900-180000"]
    assert list(table["events"]) == [17, 8]  # 10 + 6 touching, and the weapons offence in the first cell
    assert table["pai"].gt(1).all()


def test_the_csv_reads_back_to_the_same_values(view: tasking_view.TaskingView) -> None:
    back = pd.read_csv(io.BytesIO(tasking_exports.areas_csv(view)))
    pd.testing.assert_frame_equal(back, tasking_exports.areas_table(view), check_dtype=False)


def test_the_geopackage_reads_back_to_the_same_values_and_geometry(view: tasking_view.TaskingView,
                                                                   tmp_path: Path) -> None:
    path = tmp_path / "areas.gpkg"
    path.write_bytes(tasking_exports.areas_geopackage(view))
    back = gpd.read_file(path, layer=tasking_exports.GEOPACKAGE_LAYER, engine="pyogrio")
    assert back.crs.to_epsg() == 27700
    pd.testing.assert_frame_equal(pd.DataFrame(back.drop(columns="geometry")), tasking_exports.areas_table(view),
                                  check_dtype=False)
    assert back.geometry.geom_equals_exact(view.areas.geometry.reset_index(drop=True), tolerance=1e-6).all()


def _pack_files(pdf: bytes, tmp_path: Path) -> tuple[str, list[Path], str]:
    path = tmp_path / "pack.pdf"
    path.write_bytes(pdf)
    run = lambda *args: subprocess.run(args, check=True, capture_output=True, text=True).stdout  # noqa: E731
    text = run("pdftotext", "-layout", str(path), "-")
    run("pdftoppm", "-r", "60", "-png", str(path), str(tmp_path / "page"))
    return text, sorted(tmp_path.glob("page-*.png")), run("pdfimages", "-list", str(path))


def test_the_pack_has_the_marking_on_every_page_the_map_and_the_table(
        view: tasking_view.TaskingView, context: tasking_exports.BriefingContext, tmp_path: Path) -> None:
    text, pages, images = _pack_files(tasking_exports.briefing_pack(view, context), tmp_path)
    pages_text = text.split("\f")[:len(pages)]
    assert len(pages) >= 2
    assert all(page.count(settings.GRIP_PACK_MARKING) == 2 for page in pages_text)  # head and foot
    for words in ("02 April 2024", "Apr 2023 to Mar 2024", "extract_2024.csv", "violence with injury",
                  "150m-562950-178950", "custody suite <b>desk</b>", "PAI"):
        assert words in text, words
    area_rows = [line.split() for line in text.splitlines() if line.split()[:3] in (["1", "2", "17"], ["2", "1", "8"])]
    assert len(area_rows) == 2  # the table's rows: area, cells, events
    assert len(images.strip().splitlines()) - 2 >= 2  # the map and the "when" chart are images in the file
    first_page = np.asarray(Image.open(pages[0]).convert("RGB")).astype(int)
    area_red = (np.abs(first_page - np.array([192, 57, 43])).sum(axis=2) < 60).sum()
    assert area_red > 20  # the areas, drawn in red on the first page's map


def test_the_pack_is_built_without_the_network(view: tasking_view.TaskingView,
                                               context: tasking_exports.BriefingContext,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError("the pack tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    assert tasking_exports.briefing_pack(view, context).startswith(b"%PDF")


def test_a_pack_without_times_or_a_comparison_says_so(view: tasking_view.TaskingView,
                                                      context: tasking_exports.BriefingContext,
                                                      tmp_path: Path) -> None:
    from dataclasses import replace

    untimed = replace(view, when=None)
    text, _, _ = _pack_files(tasking_exports.briefing_pack(untimed, replace(context, changes=None)), tmp_path)
    assert "No times in these data" in text
    assert "Nothing to compare with: the previous 12 months" in text
