import numpy as np
import pandas as pd
import pytest

from hotspots import aggregation
from hotspots.loading import Dataset
from hotspots.readers import age_band
from hotspots.periods import financial_year_from_label, financial_year_label, financial_year_of, window_label


def _events(rows):
    frame = pd.DataFrame(rows, columns=["source", "category", "ward_code", "financial_year", "age_band", "domestic"])
    frame["domestic"] = frame["domestic"].astype("boolean")
    return frame


EVENTS = _events([
    ("police", "violence with injury", "W1", 2018, "10-17", False),
    ("police", "violence with injury", "W1", 2018, "18-24", True),   # domestic: not counted
    ("police", "violence with injury", "W1", 2019, "25-34", False),  # adult: not counted
    ("police", "violence with injury", "W2", 2019, "18-24", False),
    ("police", "possession of weapons", "W2", 2019, None, None),
    ("ambulance", "stab/knife/gunshot", "W2", 2019, "18-24", None),
    ("ambulance", "assault", "W2", 2019, "10-17", None),
    ("ambulance", "assault", "W1", 2018, "50-64", None),
])
POPULATION = pd.DataFrame({"ward_code": ["W1", "W1", "W2", "W2", "W3"],
                           "financial_year": [2018, 2019, 2018, 2019, 2019],
                           "population_10_24": [1000, 1200, 2000, 2000, 500]})


def test_layer_filters_and_zero_filled_counts():
    dataset = Dataset(EVENTS, pd.DataFrame(), POPULATION, pd.DataFrame(), synthetic=True)
    wards = ["W1", "W2", "W3"]
    vwi = aggregation.layer_counts(dataset, "violence-with-injury", wards, [2018, 2019])
    assert vwi["count"].tolist() == [1, 0, 0, 1, 0, 0]  # W1/2018, W1/2019, W2/2018, W2/2019, W3...
    assert aggregation.layer_counts(dataset, "weapons-possession", wards, [2019])["count"].tolist() == [0, 1, 0]
    assert aggregation.layer_counts(dataset, "ambulance-all", wards, [2018, 2019])["count"].tolist() == [0, 0, 0, 2, 0, 0]
    assert aggregation.layer_counts(dataset, "ambulance-knife", wards, [2019])["count"].tolist() == [0, 1, 0]


def test_period_values_by_hand():
    counts = pd.DataFrame({"ward_code": ["W1", "W1", "W2", "W2", "W3", "W3"],
                           "financial_year": [2018, 2019] * 3, "count": [3, 6, 0, 4, 1, 2]})
    one = aggregation.period_values(counts, POPULATION, last_year=2019).set_index("ward_code")
    assert one.loc["W1", "rate_per_1000"] == pytest.approx(5.0)      # 6 / 1200 * 1000
    assert one.loc["W2", "rate_per_1000"] == pytest.approx(2.0)      # 4 / 2000 * 1000
    assert one.loc["W3", "rate_per_1000"] == pytest.approx(4.0)
    two = aggregation.period_values(counts, POPULATION, last_year=2019, years=2).set_index("ward_code")
    assert two.loc["W1", "count"] == 9
    assert two.loc["W1", "rate_per_1000"] == pytest.approx(9 / 2200 * 1000)
    assert two.loc["W1", "population_10_24"] == pytest.approx(1100)
    assert np.isnan(two.loc["W3", "rate_per_1000"])  # no 2018 population: no rate, not a guess
    assert aggregation.regional_mean(one["rate_per_1000"]) == pytest.approx(11 / 3)


def test_nominals_count_while_on_the_register():
    nominals = pd.DataFrame({
        "ward_code": ["W1", "W1", "W2"],
        "date_added": pd.to_datetime(["2018-01-10", "2018-06-01", "2019-05-01"]),
        "date_removed": pd.to_datetime(["2018-05-01", None, None]),
    })
    counts = aggregation.nominals_by_ward_year(nominals, ["W1", "W2"], [2017, 2018, 2019])
    assert counts["count"].tolist() == [1, 2, 1, 0, 0, 1]


def test_periods():
    assert financial_year_label(2018) == "2018/19" and financial_year_label(1999) == "1999/00"
    assert financial_year_from_label("2018/19") == 2018 == financial_year_from_label("2018-2019")
    with pytest.raises(ValueError, match="write it like 2018/19"):
        financial_year_from_label("2018/20")
    dates = pd.Series(["2019-03-31", "2019-04-01", "2020-02-29", "2019-04-01", "2000-01-01"], index=[5, 6, 7, 8, 9])
    years = financial_year_of(dates)
    assert years.tolist() == [2018, 2019, 2019, 2019, 1999] and years.index.tolist() == [5, 6, 7, 8, 9]
    assert window_label(2019) == "2018/19-2019/20"
    assert age_band(pd.Series([9, 10, 17, 18, 24, 25, 90])).tolist() == ["0-9", "10-17", "10-17", "18-24", "18-24", "25-34", "65+"]
