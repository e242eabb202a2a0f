"""The Your ward page's pictures: the tap map's shapes and the small trend drawn as SVG."""

from __future__ import annotations

import base64
import html
import re
import xml.etree.ElementTree as ElementTree

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import MultiPolygon, Polygon

from hotspots import geography, ward_summary_charts

SVG = "{http://www.w3.org/2000/svg}"
THURROCK = "E06000034"


def _trend(counts, texts, suppressed) -> pd.DataFrame:
    years = [2019 + i for i in range(len(counts))]
    return pd.DataFrame({"financial_year": years, "year": [f"{y}/{str(y + 1)[2:]}" for y in years],
                         "count": counts, "count_text": texts, "suppressed": suppressed})


def _written(svg: str) -> dict[str, str]:
    """The counts the picture writes, by its ``trend-<name>-<year>`` group."""
    root = ElementTree.fromstring(svg)
    return {group.get("id"): "".join(group.itertext()).strip()
            for group in root.iter(f"{SVG}g") if (group.get("id") or "").startswith("trend-")}


def test_the_trend_writes_each_shown_count_and_leaves_a_suppressed_year_a_gap():
    trend = _trend([12, float("nan"), 0, 31], ["12", "fewer than 5", "0", "31"], [False, True, False, False])
    svg = ward_summary_charts.trend_svg(trend, name="violence-with-injury")
    assert _written(svg) == {"trend-violence-with-injury-2019": "12", "trend-violence-with-injury-2021": "0",
                             "trend-violence-with-injury-2022": "31"}
    assert "fewer than 5" not in svg, "a suppressed year is no label on the chart"
    assert "stroke-dasharray" in svg, "the suppressed year is marked by a dashed line"
    assert "DejaVu" not in svg, "an SVG image loads no web font: it names the generic sans-serif"


def test_the_image_says_every_value_in_words_and_its_label_stays_text():
    hostile = 'Knife "crime" <img src=x onerror=alert(1)> & more'
    trend = _trend([12, float("nan")], ["12", "fewer than 5"], [False, True])
    image = ward_summary_charts.trend_image(trend, name="a", label=hostile)
    match = ward_summary_charts.IMAGE.fullmatch(image.split(" style=")[0])
    assert match, image[:200]
    assert html.unescape(match["alt"]) == f"{hostile}, by year. 2019/20: 12; 2020/21: fewer than 5."
    assert image.count("<img") == 1 and "onerror" not in image.replace(html.escape(hostile, quote=True), "")
    assert _written(base64.b64decode(match["svg"]).decode()) == {"trend-a-2019": "12"}


def test_a_trend_with_no_counts_draws_without_a_label():
    svg = ward_summary_charts.trend_svg(_trend([float("nan")] * 2, ["no data", "no data"], [False, False]), name="a")
    assert _written(svg) == {}


def test_the_shapes_hold_every_ward_once_with_only_the_chosen_one_marked():
    wards = geography.wards(THURROCK)
    chosen = wards["ward_code"].iloc[3]
    shapes = ward_summary_charts.ward_shapes(wards, chosen)
    assert [w["code"] for w in shapes["wards"]] == wards["ward_code"].tolist()
    assert [w["name"] for w in shapes["wards"]] == wards["ward_name"].tolist()
    assert [w["code"] for w in shapes["wards"] if w["chosen"]] == [chosen]
    assert shapes["width"] == ward_summary_charts.MAP_WIDTH and 0 < shapes["height"] < 2 * shapes["width"]
    numbers = [float(n) for w in shapes["wards"] for n in re.findall(r"-?[\d.]+", w["d"])]
    xs, ys = numbers[0::2], numbers[1::2]
    assert min(xs) == pytest.approx(0, abs=0.1) and max(xs) == pytest.approx(shapes["width"], abs=0.1)
    assert min(ys) == pytest.approx(0, abs=0.1) and max(ys) == pytest.approx(shapes["height"], abs=1)
    assert sum(len(w["d"]) for w in shapes["wards"]) < 20_000, "simplified for a tablet's first view"


def test_shapes_keep_holes_and_parts_and_north_is_up():
    """A ward with a hole and an island, in any CRS: each ring a subpath; y grows southwards."""
    square = Polygon([(0, 0), (0, 1000), (1000, 1000), (1000, 0)], holes=[[(400, 400), (400, 600), (600, 600),
                                                                             (600, 400)]])
    island = Polygon([(2000, 900), (2000, 1000), (2100, 1000), (2100, 900)])
    areas = gpd.GeoDataFrame({"ward_code": ["A", "B"], "ward_name": ["Holed", "Other"]},
                             geometry=[MultiPolygon([square, island]), Polygon([(0, -500), (0, 0), (1000, 0),
                                                                                (1000, -500)])],
                             crs="EPSG:27700")
    shapes = ward_summary_charts.ward_shapes(areas, "B")
    holed = shapes["wards"][0]["d"]
    assert holed.count("M") == 3 and holed.count("Z") == 3
    first_y = float(re.match(r"M[\d.]+,([\d.]+)", shapes["wards"][1]["d"])[1])
    assert first_y > shapes["height"] / 2, "the southern ward is drawn at the bottom"
