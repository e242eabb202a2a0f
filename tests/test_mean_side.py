"""Above or below the mean, for roles whose counts are protected: the mean of the shown wards alone
leaves out the lowest counts, so a ward above the mean of all wards could read as below it. The
ward map's Values column says a side only where it holds whatever the protected counts are."""

from __future__ import annotations

import pandas as pd
import pytest

from hotspots import disclosure, geography, roles, views

THURROCK = "E06000034"


@pytest.mark.parametrize("layer", ["violence-with-injury", "ambulance-all", "weapons-possession"])
@pytest.mark.parametrize("measure", ["count", "rate_per_1000"])
@pytest.mark.parametrize("years", [1, 2])
def test_a_councillor_is_never_told_the_opposite_side_from_police(dataset, layer, measure, years):
    wards = geography.wards()
    side = {role: views.ward_map_view(dataset, layer, roles.role(role), wards, [THURROCK], measure=measure,
                                      last_year=2023, years=years).download.set_index("ward_code")["above_mean"]
            for role in ("police", "councillor")}
    truth, told = side["police"], side["councillor"]
    said = told.isin(["above", "below"])
    assert (told[said] == truth[said]).all(), pd.DataFrame({"police": truth, "councillor": told})[said]
    assert said.any()


def test_bounds_and_sides_on_known_figures():
    rule = disclosure.DisclosureRule("health", smallest_shown=8, rounding_base=5, suppressed_text="fewer than 8")
    bounds = disclosure.shown_count_bounds(pd.Series([10.0, float("nan"), 0.0, 40.0]),
                                           pd.Series([False, True, False, False]), rule)
    assert bounds.to_numpy().tolist() == [[8, 12], [1, 7], [0, 0], [38, 42]]
    sides = disclosure.side_of_mean(bounds["low"], bounds["high"])  # the mean lies between 11.75 and 15.25
    assert sides.tolist() == [disclosure.ABOUT_THE_MEAN, "below", "below", "above"]
    exact = pd.Series([3.0, 3.0])
    assert disclosure.side_of_mean(exact, exact).tolist() == [disclosure.AT_THE_MEAN] * 2  # nothing protected


def test_the_map_states_the_range_the_mean_of_every_ward_lies_in(dataset):
    view = views.ward_map_view(dataset, "ambulance-all", roles.role("councillor"), geography.wards(), [THURROCK],
                               measure="rate_per_1000", last_year=2023, years=2)
    low, high = view.mean_range
    assert low < high
    police = views.ward_map_view(dataset, "ambulance-all", roles.role("police"), geography.wards(), [THURROCK],
                                 measure="rate_per_1000", last_year=2023, years=2)
    assert police.mean_range is None and low <= police.mean.value <= high
