import json
import zipfile

import geopandas as gpd
import pytest
from shapely.geometry import Point, Polygon

from hotspots import boundaries, settings
from hotspots._errors import BoundaryFileError, DownloadError

THURROCK = "E06000034"


@pytest.fixture(scope="module")
def thurrock_reference(reference_wards):
    return reference_wards[reference_wards["lad_code"] == THURROCK][["WD13CD", "WD13NM", "geometry"]].reset_index(drop=True)


@pytest.mark.parametrize("suffix, crs", [(".geojson", "EPSG:4326"), (".gpkg", "EPSG:27700"), (".gpkg", "EPSG:3857")])
def test_reads_boundaries_in_any_crs_and_detects_columns(tmp_path, thurrock_reference, suffix, crs):
    path = tmp_path / f"wards{suffix}"
    thurrock_reference.to_crs(crs).to_file(path)
    areas = boundaries.boundaries_from_file(path)
    assert areas.crs == settings.ANALYSIS_CRS
    assert list(areas.columns) == ["area_code", "area_name", "geometry"]
    assert areas["area_code"].tolist() == thurrock_reference["WD13CD"].tolist()
    assert abs(areas.area.sum() - thurrock_reference.area.sum()) / thurrock_reference.area.sum() < 1e-6


def test_reads_zipped_shapefile_with_chosen_columns(tmp_path, thurrock_reference):
    folder = tmp_path / "shp"
    folder.mkdir()
    thurrock_reference.rename(columns={"WD13CD": "ref", "WD13NM": "label"}).to_file(folder / "wards.shp")
    archive = tmp_path / "wards.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for part in folder.iterdir():
            zipped.write(part, part.name)
    areas = boundaries.boundaries_from_file(archive, code_column="ref", name_column="label")
    assert len(areas) == 20 and areas["area_name"].str.contains("Tilbury").any()


def _write(tmp_path, frame, name="areas.geojson"):
    path = tmp_path / name
    frame.to_file(path)
    return path


def test_no_crs_is_refused(tmp_path, thurrock_reference):
    folder = tmp_path / "shp"
    folder.mkdir()
    thurrock_reference.to_file(folder / "wards.shp")
    (folder / "wards.prj").unlink()
    archive = tmp_path / "wards.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for part in folder.iterdir():
            zipped.write(part, part.name)
    with pytest.raises(BoundaryFileError, match=r"wards.zip: has no coordinate reference system.*\.prj"):
        boundaries.boundaries_from_file(archive)


def test_points_are_not_boundaries(tmp_path):
    points = gpd.GeoDataFrame({"code": ["A", "B"], "name": ["a", "b"]}, geometry=[Point(0, 51), Point(0.1, 51)], crs=4326)
    with pytest.raises(BoundaryFileError, match=r"areas.geojson: contains no polygons \(found Point x2\)"):
        boundaries.boundaries_from_file(_write(tmp_path, points))


def test_duplicate_codes_are_named_with_their_features(tmp_path, thurrock_reference):
    doubled = thurrock_reference.copy()
    doubled.loc[3, "WD13CD"] = doubled.loc[0, "WD13CD"]
    with pytest.raises(BoundaryFileError, match=r"1 duplicated codes \(E05002229 at features \[1, 4\]\)"):
        boundaries.boundaries_from_file(_write(tmp_path, doubled))


def test_missing_code_column_lists_the_columns(tmp_path, thurrock_reference):
    unnamed = thurrock_reference.rename(columns={"WD13CD": "something", "WD13NM": "other"})
    with pytest.raises(BoundaryFileError, match="no area code column found among something, other"):
        boundaries.boundaries_from_file(_write(tmp_path, unnamed))


def test_chosen_column_that_does_not_exist(tmp_path, thurrock_reference):
    with pytest.raises(BoundaryFileError, match="has no column 'WD23CD'"):
        boundaries.boundaries_from_file(_write(tmp_path, thurrock_reference), code_column="WD23CD")


def test_unreadable_file(tmp_path):
    path = tmp_path / "wards.geojson"
    path.write_text("this is not geojson")
    with pytest.raises(BoundaryFileError, match="wards.geojson: could not be read"):
        boundaries.boundaries_from_file(path)


def test_invalid_geometry_is_repaired(tmp_path):
    bowtie = Polygon([(0, 0), (1000, 1000), (1000, 0), (0, 1000), (0, 0)])
    square = Polygon([(2000, 0), (3000, 0), (3000, 1000), (2000, 1000)])
    frame = gpd.GeoDataFrame({"code": ["A", "B"], "name": ["bow", "square"]}, geometry=[bowtie, square], crs=27700)
    areas = boundaries.boundaries_from_file(_write(tmp_path, frame, "areas.gpkg"))
    assert areas.is_valid.all()
    assert areas.attrs["repaired_features"] == [1]
    assert areas.area.iloc[0] == pytest.approx(500_000)


# A response in the ArcGIS FeatureServer GeoJSON format, built from two reference wards (the
# tests never call the network).
def _recorded_boundaries(thurrock_reference, year=2023):
    wards = thurrock_reference.head(2).to_crs(4326).rename(columns={"WD13CD": "WD23CD", "WD13NM": "WD23NM"})
    payload = json.loads(wards.to_json(drop_id=True))
    payload["properties"] = {"exceededTransferLimit": False}
    return payload


def test_ons_urls_ask_for_the_right_service():
    lookup = boundaries.ons_ward_lookup_url(THURROCK, 2023)
    assert "/WD23_LAD23_UK_LU/FeatureServer/0/query?" in lookup and "LAD23CD%3D%27E06000034%27" in lookup
    url = boundaries.ons_ward_boundaries_url(["E05002229", "E05002230"], 2023)
    assert "/Wards_December_2023_Boundaries_UK_BGC/FeatureServer/0/query?" in url
    assert "f=geojson" in url and "outSR=4326" in url


def test_ons_response_is_parsed(thurrock_reference):
    lookup = {"features": [{"attributes": {"WD23CD": "E05002230", "WD23NM": "Belhus", "LAD23CD": THURROCK}},
                           {"attributes": {"WD23CD": "E05002229", "WD23NM": "Aveley", "LAD23CD": THURROCK}}]}
    assert boundaries.ward_codes_from_ons_lookup(lookup, year=2023, lad_code=THURROCK) == ["E05002229", "E05002230"]
    wards = boundaries.wards_from_ons_geojson([_recorded_boundaries(thurrock_reference)], year=2023)
    assert wards["area_code"].tolist() == ["E05002229", "E05002230"]
    assert wards.crs == settings.ANALYSIS_CRS


def test_ons_errors_say_what_happened():
    with pytest.raises(DownloadError, match="error 400: Invalid query"):
        boundaries.wards_from_ons_geojson([{"error": {"code": 400, "message": "Invalid query"}}], year=2023)
    with pytest.raises(DownloadError, match="no 2023 wards for local authority E99999999"):
        boundaries.ward_codes_from_ons_lookup({"features": []}, year=2023, lad_code="E99999999")
    with pytest.raises(DownloadError, match="choose one of"):
        boundaries.ons_ward_boundaries_url(["x"], 1999)


def test_download_failure_is_a_clear_error(monkeypatch):
    import requests

    def refuse(*args, **kwargs):
        raise requests.ConnectionError("no network")

    monkeypatch.setattr(requests, "get", refuse)
    with pytest.raises(DownloadError, match="Could not download.*load a boundary file instead"):
        boundaries.download_ons_wards(THURROCK, 2023)


def test_cli_geo_load_standardises_a_boundary_file(tmp_path, thurrock_reference):
    from hotspots import cli

    source = tmp_path / "wards.geojson"
    thurrock_reference.to_crs(4326).to_file(source)
    out = tmp_path / "out.gpkg"
    assert cli.main(["geo", "load", str(source), "--out", str(out)]) == 0
    loaded = gpd.read_file(out)
    assert loaded.crs == settings.ANALYSIS_CRS and list(loaded.columns[:2]) == ["area_code", "area_name"]
