"""The views' emerging hot spots and monthly trends per role, on Thurrock's wards with synthetic events
whose months are known: who is offered them, and that no shown month, with the yearly totals shown beside
it, gives a small count back."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hotspots import disclosure, geography, monthly, roles, views
from hotspots._errors import DisclosureError, PeriodError
from hotspots.loading import Dataset

THURROCK = "E06000034"
YEARS = list(range(2015, 2021))  # 2015/16 to 2020/21
UNCOVERED = pd.Timestamp("2018-07-01")  # a month the police extract does not cover
VWI = "violence-with-injury"
POLICE_UK = "police-uk:violence-and-sexual-offences"
POLICE_UK_GAP = pd.Timestamp("2019-08-01")  # no police.uk file for this month


@pytest.fixture(scope="module")
def wards():
    return geography.wards(THURROCK)


@pytest.fixture(scope="module")
def watched(wards) -> str:
    return wards["ward_code"].iloc[0]


#: The watched ward's police events by month: 2019/20 holds a month of 3 beside one of 6 (all of that
#: year's months must go), 2020/21 five months of 1 (a total of 5, shown; every month must go too);
#: 2016/17's months are 0 or 5 or more, so shown.
WATCHED_MONTHS = {"2019-05-01": 6, "2019-09-01": 3, "2020-04-01": 1, "2020-06-01": 1, "2020-08-01": 1,
                  "2020-10-01": 1, "2020-12-01": 1, "2016-06-01": 5, "2016-11-01": 9}


@pytest.fixture(scope="module")
def dataset(wards, watched) -> Dataset:
    rng = np.random.default_rng(11)
    rows = []
    months = pd.date_range(f"{YEARS[0]}-04-01", f"{YEARS[-1] + 1}-03-01", freq="MS")
    for code in wards["ward_code"]:
        if code == watched:
            continue
        for month in months:
            for _ in range(rng.poisson(1.5)):
                rows.append(("police", "violence with injury", code, month, "18-24"))
            for _ in range(rng.poisson(1.0)):
                rows.append(("ambulance", "assault", code, month, "10-17"))
    for month, count in WATCHED_MONTHS.items():
        rows += [("police", "violence with injury", watched, pd.Timestamp(month), "10-17")] * count
    rows += [("ambulance", "assault", watched, pd.Timestamp("2019-05-01"), "18-24")] * 9
    police_uk_months = [month for month in pd.date_range("2019-04-01", "2019-12-01", freq="MS") if month != POLICE_UK_GAP]
    rows += [("police-uk", "Violence and sexual offences", watched, month, None) for month in police_uk_months]
    events = pd.DataFrame(rows, columns=["source", "category", "ward_code", "date", "age_band"])
    events = events[events["date"].ne(UNCOVERED) | events["source"].ne("police")]
    events = events.assign(financial_year=events["date"].dt.year - (events["date"].dt.month < 4),
                           domestic=pd.array([False] * len(events), dtype="boolean"))
    coverage = pd.concat([pd.DataFrame({"source": "police", "force": "", "month": months[months != UNCOVERED]}),
                          pd.DataFrame({"source": "ambulance", "force": "", "month": months}),
                          pd.DataFrame({"source": "police-uk", "force": "Essex Police", "month": police_uk_months}),
                          pd.DataFrame({"source": "counts", "force": "knife-crime",  # a count table's years: April
                                        "month": pd.to_datetime([f"{year}-04-01" for year in YEARS])})],
                         ignore_index=True)
    counts = pd.DataFrame([("knife-crime", code, year, 3, 1) for code in wards["ward_code"] for year in YEARS],
                          columns=["layer", "area_code", "financial_year", "count", "dataset_id"])
    population = pd.DataFrame([(code, year, 1500) for code in wards["ward_code"] for year in YEARS],
                              columns=["ward_code", "financial_year", "population_10_24"])
    nominals = pd.DataFrame({"ward_code": pd.Series(dtype="str"), "date_added": pd.Series(dtype="datetime64[ns]"),
                             "date_removed": pd.Series(dtype="datetime64[ns]"), "gang": pd.Series(dtype="str")})
    return Dataset(events, nominals, population, pd.DataFrame({"ward_code": [], "imd_score": []}), synthetic=True,
                   counts=counts, coverage=coverage)


@pytest.mark.parametrize("role", ["admin", "police", "partner"])
def test_roles_that_see_true_values_get_emerging_hot_spots_of_every_ward(dataset, wards, role):
    found = views.ward_emerging_hotspots(dataset, VWI, roles.role(role), wards, measure="count", last_year=2020)
    assert found.period == "2015/16 to 2020/21" and found.measure == "Count"
    assert set(found.categories.index) == set(wards["ward_code"]) and len(found.table) == len(wards)
    assert set(found.table["category"]) <= set(views.emerging_hotspots.CATEGORIES)
    assert [category for _, category in found.legend] == [c for c in views.emerging_hotspots.CATEGORIES
                                                          if c in set(found.table["category"])]
    assert list(found.meanings) == [category for _, category in found.legend]
    # 2018/19 lacks a month of police data: a part year is left out, and the notes say so.
    assert any("2018/19 is left out" in note for note in found.notes)


@pytest.mark.parametrize("role", ["councillor", "public"])
def test_suppressed_roles_are_not_offered_emerging_hot_spots(dataset, wards, watched, role):
    viewer = roles.role(role)
    assert not views.ward_map_view(dataset, VWI, viewer, wards, [THURROCK], measure="count",
                                   last_year=2020).hotspots_offered
    with pytest.raises(DisclosureError, match="not offered with small counts suppressed"):
        views.ward_emerging_hotspots(dataset, VWI, viewer, wards, measure="count", last_year=2020)
    profile = views.ward_emerging_profile(dataset, watched, viewer, geography.wards(), views.layers_for(dataset, viewer),
                                          measure="count", last_year=2020)
    assert profile.table.empty and profile.withheld == views.NO_HOTSPOTS_REASON


def test_the_profile_gives_each_layers_category_with_its_meaning(dataset, watched):
    viewer = roles.role("police")
    layers = views.layers_for(dataset, viewer)
    found = views.ward_emerging_profile(dataset, watched, viewer, geography.wards(), layers, measure="count",
                                        last_year=2020)
    assert list(found.table["label"]) == [layer.label for layer in layers.values()] and not found.withheld
    police = found.table.set_index("label").loc[layers[VWI].label]
    assert police["category"] in views.emerging_hotspots.CATEGORIES
    assert police["sentence"].startswith("Among the wards of Thurrock, 2015/16 to 2020/21: ")
    assert police["sentence"].endswith(views.emerging_hotspots.MEANINGS[police["category"]] + ".")
    one_year = found.table.set_index("label").loc[layers[POLICE_UK].label]  # police.uk: 2019/20 only
    assert one_year["category"] == "not analysed" and "at least 5 financial years" in one_year["sentence"]
    table = found.table.set_index("label").loc[layers["counts:knife-crime"].label]
    assert table["category"] == views.emerging_hotspots.NO_PATTERN  # 3 in every ward every year


def test_a_change_measure_analyses_each_years_value_and_too_few_years_are_refused(dataset, wards):
    found = views.ward_emerging_hotspots(dataset, VWI, roles.role("police"), wards, measure="rate_change",
                                         last_year=2020)
    assert found.measure.startswith("Rate per 1,000") and any("A change has no value" in n for n in found.notes)
    with pytest.raises(PeriodError, match="at least 5"):
        views.ward_emerging_hotspots(dataset, VWI, roles.role("police"), wards, measure="count", last_year=2018)


def test_police_see_every_month_the_source_covers_and_a_gap_where_it_does_not(dataset, watched):
    viewer = roles.role("police")
    months = views.ward_months_view(dataset, watched, viewer, views.layers_for(dataset, viewer)).months
    police = months[months["layer"].eq(VWI)].set_index("month")
    assert np.isnan(police.loc[UNCOVERED, "count"]) and police.loc[UNCOVERED, "count_text"] == disclosure.NO_DATA
    assert police.loc[pd.Timestamp("2019-09-01"), "count"] == 3 and police.loc[pd.Timestamp("2019-10-01"), "count"] == 0
    assert len(police) == 12 * len(YEARS) and not police["suppressed"].any()
    assert set(months["layer"]) == {VWI, "weapons-possession", "ambulance-all", "ambulance-knife", POLICE_UK}
    public = months[months["layer"].eq(POLICE_UK)].set_index("month")["count"]
    assert public.index.min() == pd.Timestamp("2019-04-01") and public.index.max() == pd.Timestamp("2019-12-01")
    assert np.isnan(public[POLICE_UK_GAP]) and public.drop(POLICE_UK_GAP).eq(1).all()


def test_count_tables_are_yearly_only(dataset, watched):
    viewer = roles.role("police")
    months = views.ward_months_view(dataset, watched, viewer, views.layers_for(dataset, viewer))
    assert months.yearly_only == ["knife-crime (imported count table)"]
    assert "counts:knife-crime" not in set(months.months["layer"])


def _recovered(shown: pd.DataFrame, true: pd.DataFrame, totals: dict[int, float], rule) -> list[tuple]:
    """The adversary: each month's bounds from what it shows ("fewer than 5" is 1-4, a hidden month 0 or
    more), narrowed by its year's shown total; a true count of 1 up to the rule's smallest shown is
    recovered when its bounds say more than "fewer than 5" does."""
    found = []
    merged = shown.merge(true[["month", "count"]], on="month", suffixes=("", "_true"))
    for year, rows in merged.groupby("financial_year"):
        if year not in totals:
            continue
        low = np.where(rows["count"].notna(), rows["count"], np.where(rows["count_text"].eq(rule.suppressed_text), 1,
                                                                      0)).astype(float)
        high = np.where(rows["count"].notna(), rows["count"],
                        np.where(rows["count_text"].eq(rule.suppressed_text), rule.smallest_shown - 1,
                                 np.where(rows["count_text"].eq(disclosure.NO_DATA), 0, np.inf))).astype(float)
        for i, value in enumerate(rows["count_true"]):
            lowest = max(low[i], totals[year] - np.delete(high, i).sum())
            highest = min(high[i], totals[year] - np.delete(low, i).sum())
            if 1 <= value < rule.smallest_shown and (lowest > 1 or highest < rule.smallest_shown - 1):
                found.append((rows["month"].iloc[i], value, lowest, highest))
    return found


@pytest.mark.parametrize("role", ["councillor", "public"])
def test_no_shown_month_with_the_shown_yearly_totals_gives_a_small_count_back(dataset, wards, watched, role):
    viewer = roles.role(role)
    layers = views.layers_for(dataset, viewer)
    shown = views.ward_months_view(dataset, watched, viewer, layers)
    yearly = views.ward_profile_view(dataset, watched, viewer, wards, layers, last_year=None).trend
    rule = disclosure.rule_for(layers[VWI], viewer)
    totals = yearly[yearly["layer"].eq(VWI) & yearly["count"].notna()].set_index("financial_year")["count"].to_dict()
    assert totals[2019] == 9 and totals[2020] == 5  # the totals are shown, so the months must not be
    true = monthly.ward_months(dataset, watched, {VWI: layers[VWI]})
    police = shown.months[shown.months["layer"].eq(VWI)]
    assert _recovered(police, true, totals, rule) == []
    for year in (2019, 2020):
        assert police.loc[police["financial_year"].eq(year), "suppressed"].all()
    assert police.loc[police["month"].eq(pd.Timestamp("2016-11-01")), "count"].item() == 9  # a shown year's month
    assert any("every month of 2019/20, 2020/21" in note or "2019/20" in note for note in shown.notes)
    # The adversary is no straw man: months disclosed one by one give the 3 and the 1s back.
    naive = monthly.ward_months(dataset, watched, {VWI: layers[VWI]})
    naive = naive.assign(**disclosure.disclosed_counts(naive["count"], rule)[["count", "count_text"]])
    assert {(month.year, month.month) for month, *_ in _recovered(naive, true, totals, rule)} >= {(2019, 9), (2020, 4)}


@pytest.mark.parametrize("role", ["councillor", "public"])
def test_rounded_health_months_are_not_shown_to_suppressed_roles(dataset, watched, role):
    viewer = roles.role(role)
    shown = views.ward_months_view(dataset, watched, viewer, views.layers_for(dataset, viewer))
    ambulance = shown.months[shown.months["layer"].str.startswith("ambulance")]
    assert len(ambulance) and ambulance["count"].isna().all() and ambulance["suppressed"].all()
    assert any("rounded months beside the rounded yearly total" in note for note in shown.notes)
    police = views.ward_months_view(dataset, watched, roles.role("police"),
                                    views.layers_for(dataset, roles.role("police"))).months
    assert police.loc[police["layer"].eq("ambulance-all") & police["month"].eq(pd.Timestamp("2019-05-01")),
                      "count"].item() == 9
