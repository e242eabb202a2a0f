"""The ward summary's sentences on fixed figures whose words are known: shown, suppressed, zero and
rounded counts, wards with no data, ranks and changes, a single ward, and the layers' words."""

from __future__ import annotations

import math
from dataclasses import replace

import pandas as pd
import pytest

from hotspots import aggregation, disclosure, ward_sentences
from hotspots.ward_sentences import WardFigures

CALL_OUTS = ward_sentences.words_for(aggregation.LAYERS["ambulance-all"])
CRIMES = ward_sentences.words_for(aggregation.LAYERS["violence-with-injury"])
NAN = math.nan

TILBURY = WardFigures(ward_name="Tilbury St Chads", area_name="Thurrock", period="2017/18-2018/19",
                      previous_period="2015/16-2016/17", count=23.0, count_text="23", suppressed=False,
                      previous_count=15.0, previous_count_text="15", previous_suppressed=False, count_change=8.0,
                      rank=3, tied=1, wards_ranked=20, rate=15.6, mean_rate=7.2,
                      mean_text="mean of the 17 wards with 5 or more (3 with fewer than 5 left out)")


def _suppressed(**changes) -> WardFigures:
    """A suppressed count whose figures (wrongly) still carry a value, a rank and a change: the
    sentence must go by the flag and say none of them."""
    return replace(TILBURY, **{"count": 3.0, "count_text": "fewer than 5", "suppressed": True, "count_change": -12.0,
                               "rank": 17, "tied": 3, "rate": 2.1, **changes})


def test_a_shown_count_with_its_rank_and_rise_reads_as_the_issue_asks():
    assert ward_sentences.count_sentence(TILBURY, CALL_OUTS) == (
        "Tilbury St Chads had 23 ambulance call-outs for violent injury among 10-24 year olds in 2017/18-2018/19, "
        "the 3rd highest of Thurrock's 20 wards; up from 15.")


@pytest.mark.parametrize("rank, tied, words", [(1, 1, "the highest"), (2, 1, "the 2nd highest"),
                                               (11, 1, "the 11th highest"), (22, 1, "the 22nd highest"),
                                               (4, 2, "the joint 4th highest")])
def test_ranks_are_ordinals_and_ties_are_joint(rank, tied, words):
    sentence = ward_sentences.count_sentence(replace(TILBURY, rank=rank, tied=tied, wards_ranked=30), CRIMES)
    assert f", {words} of Thurrock's 30 wards;" in sentence


def test_a_fall_and_no_change():
    down = replace(TILBURY, count=9.0, count_text="9", count_change=-6.0)
    assert ward_sentences.count_sentence(down, CRIMES).endswith("; down from 15.")
    same = replace(TILBURY, count=15.0, count_text="15", count_change=0.0)
    assert ward_sentences.count_sentence(same, CRIMES).endswith("; the same in 2015/16-2016/17.")


def test_a_suppressed_count_is_its_words_with_no_rank_no_change_and_no_rate():
    figures = _suppressed()
    sentence = ward_sentences.count_sentence(figures, CRIMES)
    assert sentence == ("Tilbury St Chads had fewer than 5 violent crimes with injury against 10-24 year olds in "
                        "2017/18-2018/19; 15 in 2015/16-2016/17.")
    assert "17th" not in sentence and " 3 " not in sentence and "down" not in sentence
    assert ward_sentences.rate_sentence(figures) == ""


def test_a_two_year_count_suppressed_for_one_of_its_years_says_so_and_gives_no_total():
    figures = _suppressed(count_text="fewer than 5 in a year")
    assert ward_sentences.count_sentence(figures, CRIMES) == (
        "Tilbury St Chads had fewer than 5 violent crimes with injury against 10-24 year olds in at least one year "
        "of 2017/18-2018/19, so the total for those years is not shown; 15 in 2015/16-2016/17.")


def test_a_shown_count_after_a_suppressed_one_gives_no_change():
    figures = replace(TILBURY, previous_count=NAN, previous_count_text="fewer than 5", previous_suppressed=True,
                      count_change=NAN)
    sentence = ward_sentences.count_sentence(figures, CRIMES)
    assert sentence.endswith("the 3rd highest of Thurrock's 20 wards; fewer than 5 in 2015/16-2016/17.")
    assert "up from" not in sentence


@pytest.mark.parametrize("previous, change, ending", [(7.0, -7.0, "; down from 7."),
                                                      (0.0, 0.0, "; none in 2015/16-2016/17.")])
def test_a_zero_count_says_no_call_outs(previous, change, ending):
    figures = replace(TILBURY, count=0.0, count_text="0", previous_count=previous,
                      previous_count_text=f"{previous:.0f}", count_change=change, rank=18, tied=3)
    sentence = ward_sentences.count_sentence(figures, CALL_OUTS)
    assert sentence == ("Tilbury St Chads had no ambulance call-outs for violent injury among 10-24 year olds in "
                        f"2017/18-2018/19{ending}")


def test_a_rise_from_none():
    figures = replace(TILBURY, previous_count=0.0, previous_count_text="0", count_change=23.0)
    assert ward_sentences.count_sentence(figures, CRIMES).endswith("; up from none.")


def test_health_counts_are_rounded_and_say_about():
    figures = replace(TILBURY, count=25.0, count_text="25", previous_count=15.0, previous_count_text="15",
                      count_change=10.0, rounding_base=5)
    assert ward_sentences.count_sentence(figures, CALL_OUTS) == (
        "Tilbury St Chads had about 25 ambulance call-outs for violent injury among 10-24 year olds in "
        "2017/18-2018/19, the 3rd highest of Thurrock's 20 wards; up from about 15.")


def test_one_event_is_singular():
    figures = replace(TILBURY, count=1.0, count_text="1", count_change=-14.0)
    assert "had 1 ambulance call-out for violent injury" in ward_sentences.count_sentence(figures, CALL_OUTS)


def test_a_ward_with_no_data():
    figures = replace(TILBURY, count=NAN, count_text=disclosure.NO_DATA, previous_count=NAN,
                      previous_count_text=disclosure.NO_DATA, count_change=NAN, rank=None, tied=0, rate=NAN)
    assert ward_sentences.count_sentence(figures, CALL_OUTS) == (
        "There are no data on ambulance call-outs for violent injury among 10-24 year olds in Tilbury St Chads for "
        "2017/18-2018/19.")
    assert ward_sentences.rate_sentence(figures) == ""


def test_a_previous_period_without_data_is_left_unsaid():
    figures = replace(TILBURY, previous_count=NAN, previous_count_text=disclosure.NO_DATA, count_change=NAN)
    assert ward_sentences.count_sentence(figures, CRIMES).endswith("the 3rd highest of Thurrock's 20 wards.")


def test_a_single_ward_has_no_rank_and_wards_without_data_are_named():
    alone = replace(TILBURY, rank=1, wards_ranked=1)
    assert ward_sentences.count_sentence(alone, CRIMES) == (
        "Tilbury St Chads had 23 violent crimes with injury against 10-24 year olds in 2017/18-2018/19; up from 15.")
    some_missing = replace(TILBURY, wards_ranked=18, wards_without_data=2)
    assert ", the 3rd highest of the 18 Thurrock wards with data;" in ward_sentences.count_sentence(some_missing, CRIMES)


def test_the_rate_against_the_area_mean():
    assert ward_sentences.rate_sentence(TILBURY) == (
        "That is 15.6 a year per 1,000 residents aged 10-24, above the Thurrock ward mean of 7.2 (mean of the 17 "
        "wards with 5 or more (3 with fewer than 5 left out)).")
    one_year = replace(TILBURY, period="2018/19", rate=3.0)
    assert ward_sentences.rate_sentence(one_year).startswith("That is 3.0 per 1,000 residents aged 10-24, below")


def test_with_counts_protected_the_rate_is_set_against_the_range_the_mean_of_all_wards_lies_in():
    """The mean of the shown wards leaves out the low counts: a ward above the true mean could read
    as below it. With counts protected the mean is a range, and the sentence says which side only
    when the ward's own rate, as far as it is known, is outside it."""
    bounded = replace(TILBURY, mean_low=6.1, mean_high=7.9)
    protected = "as the counts shown are protected (rounded or too small to show)"
    assert ward_sentences.rate_sentence(bounded) == (
        "That is 15.6 a year per 1,000 residents aged 10-24, above the mean of Thurrock's wards, which lies between "
        f"6.1 and 7.9, {protected}.")
    assert ", below the mean of Thurrock's wards, which lies between 6.1 and 7.9" in ward_sentences.rate_sentence(
        replace(bounded, rate=6.0))
    assert ward_sentences.rate_sentence(replace(bounded, rate=7.0)) == (
        "That is 7.0 a year per 1,000 residents aged 10-24. The mean of Thurrock's wards lies between 6.1 and 7.9, "
        f"{protected}, so whether this is above or below it cannot be said.")
    rounded = replace(bounded, rate=8.4, rate_low=7.5, rate_high=9.3)  # its own rate may lie inside the range
    assert "cannot be said" in ward_sentences.rate_sentence(rounded)
    exact = replace(TILBURY, mean_low=7.2, mean_high=7.2)  # nothing protected: the mean itself
    assert ward_sentences.rate_sentence(exact) == ward_sentences.rate_sentence(TILBURY)


def test_the_bounds_of_a_window_are_what_its_shown_years_allow():
    rule = disclosure.DisclosureRule("test", smallest_shown=5, suppressed_text="fewer than 5")
    counts = pd.DataFrame({"ward_code": ["A", "A", "B", "B", "C", "C"], "financial_year": [2022, 2023] * 3,
                           "count": [3, 9, 0, 6, 2, 1]})
    bounds = disclosure.window_count_bounds(counts, [2022, 2023], rule)
    assert bounds.loc["A"].tolist() == [10, 13]  # 1-4 and 9
    assert bounds.loc["B"].tolist() == [6, 6]
    assert bounds.loc["C"].tolist() == [2, 8]
    health = disclosure.DisclosureRule("health", smallest_shown=8, rounding_base=5, suppressed_text="fewer than 8")
    rounded = disclosure.window_count_bounds(counts.assign(count=[8, 8, 0, 23, 3, 12]), [2022, 2023], health)
    assert rounded.loc["A"].tolist() == [16, 24]  # each shown as 10: 8-12 (never below 8)
    assert rounded.loc["B"].tolist() == [23, 27]  # 0 exactly, and 25: 23-27
    assert rounded.loc["C"].tolist() == [9, 19]  # 1-7 and 10: 8-12


def test_the_forecast_in_words():
    sentence = ward_sentences.forecast_sentence(
        CALL_OUTS, target_period="2019/20", risk_band="50-70%",
        explanation="fewer than 8 in 2017/18-2018/19, band 1-7: 40 of 70 such ward-years (57%, 95% interval "
                    "45%-68%) had at least one the next year")
    assert sentence == ("The chance of at least one ambulance call-out for violent injury among 10-24 year olds in "
                        "2019/20 is 50-70%, by the 2020 Thurrock report's rule. Why: fewer than 8 in 2017/18-2018/19, "
                        "band 1-7: 40 of 70 such ward-years (57%, 95% interval 45%-68%) had at least one the next "
                        "year.")
    by_year = ward_sentences.forecast_sentence(
        CALL_OUTS, target_period="2019/20", risk_band="70%+",
        explanation="fewer than 8 in a year in 2017/18-2018/19, band 8+: 90 of 100 such ward-years (90%, 95% "
                    "interval 83%-94%) had at least one the next year")
    assert "Why: fewer than 8 in at least one year of 2017/18-2018/19, band 8+:" in by_year
    none = ward_sentences.forecast_sentence(CALL_OUTS, target_period="2019/20", risk_band=None,
                                            explanation="a prior year is missing.")
    assert none == "No forecast of ambulance call-outs for 2019/20: a prior year is missing."


def test_the_rules_in_words():
    assert ward_sentences.rule_sentence(disclosure.rule_named("police")) == (
        'Counts of 1 to 4 are shown as "fewer than 5", so that no one can be identified.')
    assert ward_sentences.rule_sentence(disclosure.rule_named("health")) == (
        'Counts of 1 to 7 are shown as "fewer than 8" and the others rounded to the nearest 5, the NHS rule for '
        "health counts.")
    assert ward_sentences.rule_sentence(disclosure.TRUE_VALUES) == ""


def test_every_layer_has_words_saying_what_it_counts_and_does_not():
    for key in [*aggregation.LAYERS, "police-uk:possession-of-weapons", "counts:knife-callouts"]:
        words = ward_sentences.words_for(aggregation.resolve_layer(key))
        assert words.one and words.many and words.counts and words.leaves_out, key
    police_uk = ward_sentences.words_for(aggregation.resolve_layer("police-uk:possession-of-weapons"))
    assert police_uk.qualifier == "published on police.uk as possession of weapons (all ages)"
    assert "knife-callouts" in ward_sentences.words_for(aggregation.resolve_layer("counts:knife-callouts")).counts
