import geopandas as gpd
import numpy as np
import pytest
import shapely

from hotspots import cli, geography, settings
from hotspots._errors import UnknownRegionError

THURROCK = "E06000034"


def test_every_reference_ward_code_is_built_in_with_its_name(reference_wards):
    wards = geography.wards().set_index("ward_code")
    assert len(wards) == 304
    assert set(wards.index) == set(reference_wards["WD13CD"])
    names = reference_wards.set_index("WD13CD")["WD13NM"]
    assert (wards["ward_name"] == names.reindex(wards.index)).all()
    assert wards.crs == settings.ANALYSIS_CRS
    assert set(wards["lad_code"]) == set(geography.LOCAL_AUTHORITIES)


def test_every_lsoa_is_in_exactly_one_ward(reference_lsoas):
    lsoas = geography.lsoas()
    assert len(lsoas) == 1077 and lsoas["lsoa_code"].is_unique
    assert set(lsoas["lsoa_code"]) == set(reference_lsoas["LSOA11CD"])
    assert lsoas["ward_code"].notna().all()
    # Each ward polygon is exactly the union of its LSOAs, so no LSOA lies in two wards.
    wards = geography.wards().set_index("ward_code")
    overlaps = gpd.sjoin(lsoas.assign(geometry=lsoas.representative_point()), wards.reset_index(),
                         predicate="within", lsuffix="lsoa", rsuffix="ward")
    assert len(overlaps) == 1077
    assert (overlaps["ward_code_lsoa"] == overlaps["ward_code_ward"]).all()


def _iou(built: gpd.GeoDataFrame, reference: gpd.GeoDataFrame):
    built = built.set_index("ward_code").geometry
    ref = reference.set_index("WD13CD").geometry.reindex(built.index)
    return built.intersection(ref).area, built.union(ref).area, ref.area


def test_built_in_wards_match_reference_wards(reference_wards):
    inter, union, area = _iou(geography.wards(), reference_wards)
    iou = inter / union
    assert float((iou * area).sum() / area.sum()) >= 0.92
    thurrock = geography.wards(THURROCK)["ward_code"]
    assert len(thurrock) == 20
    assert iou[thurrock].min() >= 0.85, iou[thurrock].sort_values().head()


def test_display_wards_are_simplified_without_gaps_or_overlaps():
    display = geography.display_wards()
    analysis = geography.wards()
    assert display.crs == settings.DISPLAY_CRS
    assert list(display["ward_code"]) == list(analysis["ward_code"])
    assert shapely.coverage_is_valid(display.geometry.values)
    assert display.is_valid.all()
    assert shapely.get_num_coordinates(display.geometry.values).sum() < shapely.get_num_coordinates(analysis.geometry.values).sum()
    # Shared edges move together: the union of all wards has no holes the analysis version lacks.
    holes = lambda gs: sum(len(p.interiors) for p in getattr(shapely.union_all(gs.values), "geoms", []))
    assert holes(display.geometry) <= holes(analysis.geometry)
    coords = shapely.get_coordinates(display.geometry.values)
    assert np.allclose(coords, np.round(coords, settings.DISPLAY_COORDINATE_DECIMALS))


@pytest.mark.parametrize("region, n", [("thurrock", 20), ("greater-essex", 304), ("E06000034", 20),
                                       ("Castle Point", None), (["thurrock", "basildon"], None)])
def test_regions(region, n):
    wards = geography.wards(region)
    if n is not None:
        assert len(wards) == n
    assert wards["lad_code"].isin(geography.lad_codes_for_region(region)).all()


@pytest.mark.parametrize("region, name", [("greater-essex", "Greater Essex"), ("E06000034", "Thurrock"),
                                          (["thurrock", "basildon"], "Basildon and Thurrock"),
                                          (sorted(geography.LOCAL_AUTHORITIES), "Greater Essex")])
def test_a_region_is_named_by_its_districts_or_as_the_whole(region, name):
    assert geography.region_name(region) == name


def test_unknown_region_lists_the_choices():
    with pytest.raises(UnknownRegionError, match="Unknown region 'narnia'.*thurrock"):
        geography.wards("narnia")


def test_cli_exports_thurrock_wards_in_british_national_grid(tmp_path):
    out = tmp_path / "wards.geojson"
    assert cli.main(["geo", "export", "--region", "thurrock", "--out", str(out)]) == 0
    exported = gpd.read_file(out)
    assert len(exported) == 20 and exported.crs == settings.ANALYSIS_CRS
    built = geography.wards("thurrock")
    assert np.isclose(exported.area.sum(), built.area.sum(), rtol=1e-6)


def test_cli_unknown_region_exits_2_with_message(tmp_path, capsys):
    assert cli.main(["geo", "export", "--region", "narnia", "--out", str(tmp_path / "x.geojson")]) == 2
    assert "Unknown region 'narnia'" in capsys.readouterr().err
