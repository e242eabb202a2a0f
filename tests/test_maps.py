import html

import folium
import numpy as np
import pandas as pd
import pytest

from hotspots import geography, maps


@pytest.fixture(scope="module")
def thurrock():
    return geography.display_wards("thurrock")


def test_class_breaks_and_colours():
    values = pd.Series([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, np.nan])
    breaks = maps.class_breaks(values, scheme="quantiles", k=5)
    assert len(breaks) == 5 and breaks[-1] == 9
    assert maps.class_breaks(pd.Series([1, 1, 2]), k=5) == [1, 2]  # fewer distinct values than classes
    assert maps.class_breaks(pd.Series([np.nan])) == []
    with pytest.raises(ValueError, match="Unknown classification 'jenks'; use one of quantiles"):
        maps.class_breaks(values, scheme="jenks")


def test_legend_rows_show_every_class_and_no_data():
    values = pd.Series([0.0, 5.0, np.nan])
    rows = maps.legend_rows(values, [0.0, 5.0], ["#aaaaaa", "#bbbbbb"], 0)
    assert rows == [("#aaaaaa", "0"), ("#bbbbbb", "1 to 5"), (maps.NO_DATA_COLOUR, "no data")]
    counts = pd.Series([5.0, 14.0, 15.0, 17.0])
    assert [text for _, text in maps.legend_rows(counts, [14.0, 17.0], ["a", "b"], 0)] == ["5 to 14", "15 to 17"]
    rates = pd.Series([0.5, 2.25])
    assert [text for _, text in maps.legend_rows(rates, [1.0, 2.25], ["a", "b"], 1)] == ["0.5 to 1.0", "over 1.0 to 2.2"]


def test_mostly_zero_counts_get_fewer_classes_without_warnings():
    breaks = maps.class_breaks(pd.Series([0] * 15 + [1, 2, 3, 4, 5, 6, 7]), scheme="quantiles", k=5)
    assert breaks[0] == 0 and breaks[-1] == 7 and len(breaks) < 5


def test_choropleth_has_every_ward_tooltip_legend_and_no_cdn(thurrock):
    values = pd.Series(np.arange(len(thurrock), dtype=float), index=thurrock["ward_code"])
    values.iloc[0] = np.nan
    fmap = maps.ward_choropleth(thurrock, values, label="Count, 2023/24", basemap=False,
                                leaflet_urls=("/app/static/leaflet/leaflet.js", "/app/static/leaflet/leaflet.css"))
    page = fmap.get_root().render()
    for name in thurrock["ward_name"]:
        assert name.replace("'", "\\u0027") in page or name in page
    assert "ward-legend" in page and "no data" in page and "Count, 2023/24" in page
    assert "cdn.jsdelivr.net" not in page and "tile.openstreetmap" not in page and "cartocdn" not in page
    assert maps.NO_DATA_COLOUR in page


def test_count_legend_ranges_never_overlap_when_breaks_fall_between_counts():
    values = pd.Series([5, 9, 14, 15, 16, 17, 20, 25], dtype=float)
    rows = maps.legend_rows(values, [14.0, 16.8, 25.0], maps._palette(3), 0)
    assert [text for _, text in rows] == ["5 to 14", "15 to 16", "17 to 25"]


def test_tooltips_popups_and_legend_show_names_labels_and_details_as_text(thurrock):
    """Folium puts tooltip and popup fields and aliases into the page as HTML: each must arrive escaped."""
    hostile = '<img src="http://198.51.100.7/x.png" onerror="alert(1)"> & <a href="http://198.51.100.7">'
    areas = thurrock.assign(ward_name=hostile)  # e.g. names from a user's boundary file
    values = pd.Series(0.5, index=thurrock["ward_code"])
    fmap = maps.ward_choropleth(areas, values, label=hostile, basemap=False, profile_links=True,
                                details=pd.Series(hostile, index=thurrock["ward_code"]), details_label=hostile,
                                unit="%")
    shapes = next(child for child in fmap._children.values() if isinstance(child, folium.GeoJson))
    tooltip, popup = (next(c for c in shapes._children.values() if isinstance(c, kind))
                      for kind in (folium.GeoJsonTooltip, folium.GeoJsonPopup))
    escaped = html.escape(hostile)
    assert tooltip.aliases == ["Ward", escaped, escaped] and popup.aliases == ["Ward", escaped, ""]
    properties = shapes.data["features"][0]["properties"]
    assert properties["ward_name"] == escaped and properties["details"] == escaped
    assert properties["value"] == "0%"  # the unit follows the value
    assert properties["profile"].startswith('<a href="/ward_profile?ward=E05')  # our one link stays a link
    legend = next(child for child in fmap._children.values() if isinstance(child, maps.Legend))
    assert escaped in legend.html and "<img" not in legend.html
