"""The ward summary's view on the synthetic demo, per role: which layers it describes, that the
councillor's figures are the disclosed ones (no two-year total beside a suppressed year of it,
the forecast's prior count the sentence's), and police's the true ones."""

from __future__ import annotations

import re

import pytest

from hotspots import aggregation, geography, roles, ward_summary_view

THURROCK = "E06000034"


@pytest.fixture(scope="module")
def summaries(dataset):
    wards = geography.wards()
    return {role: ward_summary_view.summary_data(dataset, roles.role(role), wards)
            for role in ("police", "councillor")}


def test_a_layer_counting_part_of_another_is_left_out_only_where_counts_are_suppressed(summaries):
    assert list(summaries["police"].layers) == ["violence-with-injury", "ambulance-all", "ambulance-knife",
                                                "weapons-possession"]
    assert list(summaries["councillor"].layers) == ["violence-with-injury", "ambulance-all", "weapons-possession"]
    assert summaries["police"].notes == []
    assert "stab, knife or gunshot" in summaries["councillor"].notes[0]


def test_no_two_year_total_is_shown_beside_a_suppressed_year_of_it(summaries):
    """Otherwise the total minus the other year's shown count gives the suppressed one back."""
    data = summaries["councillor"]
    checked = 0
    for code in geography.wards(THURROCK)["ward_code"]:
        view = ward_summary_view.ward_summary_view(data, code)
        for section in view.layers:
            last_two = section.trend[section.trend["financial_year"] >= section.trend["financial_year"].max() - 1]
            if last_two["suppressed"].any():
                checked += 1
                assert not re.search(r" had (about )?\d", section.sentence), section.sentence
    assert checked > 5, "the demo should hold wards with a suppressed recent year"


def test_the_councillor_sees_the_rules_numbers_and_police_the_true_ones(summaries, dataset):
    code = geography.wards(THURROCK).set_index("ward_name").loc["Tilbury St Chads", "ward_code"]
    true = aggregation.measure_table(dataset, "ambulance-all", [code], last_year=2023, years=2).iloc[0]
    police = ward_summary_view.ward_summary_view(summaries["police"], code)
    councillor = ward_summary_view.ward_summary_view(summaries["councillor"], code)
    police_call_outs = next(s for s in police.layers if s.key == "ambulance-all")
    councillor_call_outs = next(s for s in councillor.layers if s.key == "ambulance-all")
    assert f"had {true['count']:.0f} ambulance call-outs" in police_call_outs.sentence
    years = councillor_call_outs.trend.set_index("financial_year")["count"]
    rounded = int(years[2022] + years[2023])  # the shown years' sum (test below)
    assert abs(rounded - true["count"]) <= 4
    assert f"had about {rounded} ambulance call-outs" in councillor_call_outs.sentence
    assert f"Why: {rounded} in 2022/23-2023/24" in councillor_call_outs.forecast_sentence  # the same count
    assert councillor_call_outs.period == "2022/23-2023/24" and "band 8 or more in a year" in councillor_call_outs.forecast_sentence
    assert police_call_outs.rule_sentence == "" and "nearest 5" in councillor_call_outs.rule_sentence
    assert set(councillor_call_outs.trend["count"].dropna() % 5) <= {0}


def test_the_view_names_the_area_and_its_wards_and_refuses_an_unknown_ward(summaries):
    code = geography.wards(THURROCK)["ward_code"].iloc[0]
    view = ward_summary_view.ward_summary_view(summaries["councillor"], code)
    assert view.area_name == "Thurrock" and len(view.area_wards) == 20
    with pytest.raises(ValueError, match="is not one of the region's 304 wards"):
        ward_summary_view.ward_summary_view(summaries["councillor"], "E05999999")


def test_too_few_whole_years_for_a_summary_is_said(summaries):
    code = geography.wards(THURROCK)["ward_code"].iloc[0]
    view = ward_summary_view.ward_summary_view(summaries["councillor"], code, years=20)
    assert all(section.sentence.endswith("the data cover 10 whole financial years, and a summary needs 20.")
               for section in view.layers)


def test_a_rounded_two_year_total_is_the_sum_of_its_shown_years(summaries):
    """Rounded from the true total, a two-year count beside its rounded years narrows them (a shown
    25 and 20 beside "about 40" hold the 25 to 23-24): every shown total is their sum, and the
    forecast's prior count is the same."""
    data = summaries["councillor"]
    checked = 0
    for code in geography.wards(THURROCK)["ward_code"]:
        section = next(s for s in ward_summary_view.ward_summary_view(data, code).layers if s.key == "ambulance-all")
        years = section.trend[section.trend["financial_year"] >= section.trend["financial_year"].max() - 1]
        total = re.search(r" had about (\d+)", section.sentence)
        if total and years["count"].notna().all():
            checked += 1
            assert int(total[1]) == years["count"].sum(), (section.sentence, years)
            assert f"Why: {total[1]} in {section.period}" in section.forecast_sentence
    assert checked > 5


def test_a_councillor_is_never_told_the_opposite_side_of_the_mean_from_police(summaries):
    """The mean over the shown wards alone leaves out the lowest counts (The Homesteads' call-outs
    read "below" it while above the mean of all wards). With wards protected, the councillor hears
    above or below only where it holds whatever the protected counts are."""
    side = re.compile(r", (above|below) the")
    compared = told_range = 0
    for code in geography.wards(THURROCK)["ward_code"]:
        police, councillor = (ward_summary_view.ward_summary_view(summaries[role], code) for role in
                              ("police", "councillor"))
        for mine in councillor.layers:
            theirs = next(section for section in police.layers if section.key == mine.key)
            truth, told = side.search(theirs.rate_sentence), side.search(mine.rate_sentence)
            told_range += "lies between" in mine.rate_sentence
            if truth and told:
                compared += 1
                assert told[1] == truth[1], (code, mine.key, mine.rate_sentence, theirs.rate_sentence)
    assert compared > 20 and told_range > 0, (compared, told_range)
