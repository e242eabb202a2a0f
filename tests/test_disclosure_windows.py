"""A count over two years beside the one-year counts must not give a suppressed year back: the
window is suppressed where one of its years is (two-year total minus this year = last year)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from hotspots import aggregation, geography, importing, loading, roles, views

THURROCK = "E06000034"
EXTRACT = "crime_reference,offence_date,offence_group,victim_age,domestic,lsoa_code\n"


def _store(tmp_path: Path) -> tuple[loading.Dataset, str, str]:
    lookup = geography.lsoa_lookup()
    thurrock = lookup[lookup["ward_code"].isin(geography.wards("thurrock")["ward_code"])]
    small_ward, big_ward = thurrock["ward_code"].unique()[:2]
    lsoa_of = thurrock.drop_duplicates("ward_code").set_index("ward_code")["lsoa_code"]
    rows, n = [], 0
    for ward, year_counts in ((small_ward, {2021: 3, 2022: 1, 2023: 6}), (big_ward, {2021: 6, 2022: 6, 2023: 6})):
        for year, count in year_counts.items():
            for day in range(count):
                rows.append(f"CR{n},{year}-06-{day + 1:02d},violence with injury,17,N,{lsoa_of[ward]}\n")
                n += 1
    path = tmp_path / "extract.csv"
    path.write_text(EXTRACT + "".join(rows) + f"CR{n},2024-03-31,violence with injury,40,N,{lsoa_of[big_ward]}\n"
                    + f"CR{n + 1},2021-04-01,violence with injury,40,N,{lsoa_of[big_ward]}\n")  # whole years
    importing.import_file(tmp_path / "store", path, "police")
    return loading.load_dataset(tmp_path / "store"), small_ward, big_ward


def test_a_two_year_count_with_a_suppressed_year_is_suppressed_too(tmp_path: Path) -> None:
    dataset, small_ward, big_ward = _store(tmp_path)
    wards = geography.wards()
    councillor = roles.role("councillor")
    one_year = views.ward_map_view(dataset, "violence-with-injury", councillor, wards, [THURROCK], measure="count",
                                   last_year=2023).table.set_index("ward_code")
    two_years = views.ward_map_view(dataset, "violence-with-injury", councillor, wards, [THURROCK], measure="count",
                                    last_year=2023, years=2).table.set_index("ward_code")
    assert one_year.loc[small_ward, "count"] == 6 and one_year.loc[big_ward, "count"] == 6
    assert np.isnan(two_years.loc[small_ward, "count"]) and two_years.loc[small_ward, "suppressed"]
    assert two_years.loc[small_ward, "count_text"] == "fewer than 5 in a year"
    assert two_years.loc[big_ward, "count"] == 12
    # The adversary: no shown two-year total minus a shown one-year count gives a year of 1-4.
    true_2022 = aggregation.layer_counts(dataset, "violence-with-injury", list(one_year.index), [2022]).set_index(
        "ward_code")["count"]
    difference = (two_years["count"] - one_year["count"]).dropna()
    assert not (difference.between(1, 4) & difference.eq(true_2022.reindex(difference.index))).any()
    # Police see every window as it is.
    police = views.ward_map_view(dataset, "violence-with-injury", roles.role("police"), wards, [THURROCK],
                                 measure="count", last_year=2023, years=2).table.set_index("ward_code")
    assert police.loc[small_ward, "count"] == 7


def test_the_forecast_hides_a_prior_two_year_count_with_a_suppressed_year(tmp_path: Path) -> None:
    dataset, small_ward, big_ward = _store(tmp_path)
    counts = aggregation.layer_counts(dataset, "violence-with-injury", list(geography.wards()["ward_code"]),
                                      [2021, 2022, 2023]).rename(columns={"ward_code": "area_code"})
    thurrock = geography.wards("thurrock")[["ward_code", "ward_name"]]
    layer = aggregation.resolve_layer("violence-with-injury")
    shown = views.forecast_view(counts, layer, roles.role("public"), thurrock)
    by_ward = shown.table.merge(thurrock, on="ward_name").set_index("ward_code")
    assert by_ward.loc[small_ward, "prior_two_year_count"] == "fewer than 5 in a year"  # 1 + 6: 6 is shown alone
    assert by_ward.loc[big_ward, "prior_two_year_count"] == "12"
    assert not shown.explanations.str.contains(r"\b7 in ").any()
    police = views.forecast_view(counts, layer, roles.role("police"), thurrock).table
    assert "7" in police["prior_two_year_count"].astype(str).tolist()
