"""Plain-English sentences about one ward, built from the numbers a viewer may see.

The councillor's ward summary says in words what the map shows: "Tilbury St Chads had 23
ambulance call-outs for violent injury among 10-24 year olds in 2017/18-2018/19, the 3rd highest
of Thurrock's 20 wards; up from 15." Every function here takes figures that have already been
through :mod:`hotspots.disclosure` (:class:`WardFigures`) and trusts their ``suppressed`` flags,
not their values: a suppressed count is only ever written as its words ("fewer than 5"), with no
rank and no change beside it. Health counts, rounded to the nearest 5, are written "about 25".

What each layer counts, and what it does not, is written once here (:func:`words_for`), so the
page, a printed summary or an export say the same.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from hotspots.aggregation import COUNTS_PREFIX, POLICE_UK_PREFIX, Layer
from hotspots.disclosure import NO_DATA, DisclosureRule

#: The words ``disclosure.disclosed_counts`` adds to a window suppressed because one of its years is.
IN_A_YEAR = " in a year"


@dataclass(frozen=True)
class LayerWords:
    """How sentences name one layer's events, and what the layer counts and leaves out."""

    one: str  # "ambulance call-out"
    many: str  # "ambulance call-outs"
    qualifier: str  # "for violent injury among 10-24 year olds"
    counts: str
    leaves_out: str


_WORDS = {
    "violence-with-injury": LayerWords(
        "violent crime with injury", "violent crimes with injury", "against 10-24 year olds",
        "Offences of violence with injury recorded by the police, where the victim was aged 10 to 24, in the ward "
        "where the offence happened. Domestic abuse is left out.",
        "Violence not reported to the police, violence without injury, domestic abuse, and where victims or "
        "offenders live."),
    "weapons-possession": LayerWords(
        "weapon possession offence", "weapon possession offences", "(all ages)",
        "Offences of possessing a knife, firearm or other weapon recorded by the police, people of any age, in the "
        "ward where the offence was recorded.",
        "Weapons used in another offence (that counts as the offence itself) and weapons carried but not found. "
        "Most of these offences are found by police searches, so more patrols find more."),
    "ambulance-all": LayerWords(
        "ambulance call-out", "ambulance call-outs", "for violent injury among 10-24 year olds",
        "Ambulance call-outs to patients aged 10 to 24 injured by assault, serious assault or a stab, knife or "
        "gunshot wound, in the ward the ambulance was called to.",
        "Injured people who went to hospital without an ambulance, injuries not recorded as violence, and who "
        "caused the injury."),
    "ambulance-knife": LayerWords(
        "ambulance call-out", "ambulance call-outs", "for stab, knife or gunshot wounds among 10-24 year olds",
        "Ambulance call-outs to patients aged 10 to 24 with a stab, knife or gunshot wound, in the ward the "
        "ambulance was called to.",
        "Other violent injuries, wounds treated without an ambulance, and who caused the wound."),
}


def words_for(layer: Layer) -> LayerWords:
    """The words for ``layer``: its own for the built-in layers, the crime type for police.uk
    layers, and the table's name (a user's words: show them as text) for imported count tables."""
    if layer.key in _WORDS:
        return _WORDS[layer.key]
    if layer.key.startswith(POLICE_UK_PREFIX):
        crime_type = layer.categories[0].replace("-", " ")
        return LayerWords("crime", "crimes", f"published on police.uk as {crime_type} (all ages)",
                          f"Crimes published on police.uk as {crime_type}, people of any age, at the anonymised "
                          "street point police.uk gives (moved to a nearby road or place).",
                          "The victim's age, and whether anyone was injured: police.uk cannot tell violence with "
                          "injury apart from other violence.")
    name = layer.key.removeprefix(COUNTS_PREFIX)
    return LayerWords("event", "events", f"in the imported count table {name}",
                      f"The counts of the imported table {name}, by ward and financial year, as the table gives "
                      "them.", "Anything this dashboard cannot check: the Data page shows where the table came from.")


@dataclass(frozen=True)
class WardFigures:
    """One ward's figures for one layer and period as a viewer may see them (from
    ``disclosure.disclosed_measure_table``, ``disclosed_ranks`` and ``disclosed_mean``).

    ``count`` and ``previous_count`` are the shown values (NaN where suppressed or no data);
    ``count_change`` is NaN where either period is suppressed; ``rank`` (1 = highest) is among the
    ``wards_ranked`` wards of ``area_name`` with a count (``wards_without_data`` have none), shared
    by ``tied`` of them. ``area_noun`` names the areas ("ward"). ``mean_rate`` is the mean rate of
    the wards shown (``mean_text`` says which); ``mean_low`` and ``mean_high`` bound the mean of
    every ward, and ``rate_low`` and ``rate_high`` the ward's own rate, as far as the viewer can know
    them (``disclosure.window_count_bounds``: some counts hidden, or rounded).
    """

    ward_name: str
    area_name: str
    period: str
    previous_period: str
    count: float
    count_text: str
    suppressed: bool
    previous_count: float
    previous_count_text: str
    previous_suppressed: bool
    count_change: float
    rank: int | None
    tied: int
    wards_ranked: int
    wards_without_data: int = 0
    rounding_base: int = 1
    rate: float = math.nan
    mean_rate: float = math.nan
    mean_text: str = ""
    area_noun: str = "ward"
    mean_low: float = math.nan
    mean_high: float = math.nan
    rate_low: float = math.nan
    rate_high: float = math.nan


def count_sentence(figures: WardFigures, words: LayerWords) -> str:
    """The ward's count in the period, its rank in its area and the change from the period before."""
    what = f"{words.qualifier} in {figures.period}"
    if figures.count_text == NO_DATA and not figures.suppressed:
        return f"There are no data on {words.many} {words.qualifier} in {figures.ward_name} for {figures.period}."
    if figures.suppressed:
        if figures.count_text.endswith(IN_A_YEAR):
            return (f"{figures.ward_name} had {figures.count_text.removesuffix(IN_A_YEAR)} {words.many} "
                    f"{words.qualifier} in at least one year of {figures.period}, so the total for those years is "
                    f"not shown{_previous(figures)}.")
        return f"{figures.ward_name} had {figures.count_text} {words.many} {what}{_previous(figures)}."
    if figures.count == 0:
        return f"{figures.ward_name} had no {words.many} {what}{_change(figures)}."
    noun = words.one if figures.count == 1 else words.many
    return f"{figures.ward_name} had {_amount(figures.count, figures)} {noun} {what}{_rank(figures)}{_change(figures)}."


def rate_sentence(figures: WardFigures) -> str:
    """The ward's rate per 1,000 residents aged 10-24 against its area's mean ("" if either is not shown)."""
    if figures.suppressed or math.isnan(figures.rate) or math.isnan(figures.mean_rate):
        return ""
    per_year = " a year" if "-" in figures.period else ""
    rate = f"That is {figures.rate:,.1f}{per_year} per 1,000 residents aged 10-24"
    low, high = figures.mean_low, figures.mean_high
    if not (math.isnan(low) or math.isnan(high)) and f"{low:,.1f}" != f"{high:,.1f}":
        # Counts are protected (hidden or rounded): the mean of every ward is known only as a range,
        # and the mean of the shown wards alone would leave out the lowest counts.
        where = (f"lies between {low:,.1f} and {high:,.1f}, as the counts shown are protected (rounded or too "
                 "small to show)")
        own_low = figures.rate if math.isnan(figures.rate_low) else figures.rate_low
        own_high = figures.rate if math.isnan(figures.rate_high) else figures.rate_high
        if own_low > high:
            return f"{rate}, above the mean of {figures.area_name}'s {figures.area_noun}s, which {where}."
        if own_high < low:
            return f"{rate}, below the mean of {figures.area_name}'s {figures.area_noun}s, which {where}."
        return (f"{rate}. The mean of {figures.area_name}'s {figures.area_noun}s {where}, so whether this is above "
                "or below it cannot be said.")
    side = ("above" if figures.rate > figures.mean_rate else "below" if figures.rate < figures.mean_rate
            else "the same as")
    return (f"{rate}, {side} the {figures.area_name} {figures.area_noun} mean of {figures.mean_rate:,.1f} "
            f"({figures.mean_text}).")


def forecast_sentence(words: LayerWords, *, target_period: str, risk_band: str | None, explanation: str) -> str:
    """Next year's chance of at least one, in the rule's risk band, and why (the rule's explanation
    as the viewer sees it); ``risk_band`` None: why there is no forecast."""
    if risk_band is None:
        return f"No forecast of {words.many} for {target_period}: {explanation}"
    why = explanation.rstrip(".").replace(f"{IN_A_YEAR} in ", " in at least one year of ")  # as count_sentence says it
    return (f"The chance of at least one {words.one} {words.qualifier} in {target_period} is {risk_band}, by the "
            f"2020 Thurrock report's rule. Why: {why}.")


def rule_sentence(rule: DisclosureRule) -> str:
    """How the viewer's counts were protected ("" when they are true values)."""
    if rule.shows_true_values:
        return ""
    small = f"Counts of 1 to {rule.smallest_shown - 1} are shown as \"{rule.suppressed_text}\""
    if rule.rounding_base > 1:
        return f"{small} and the others rounded to the nearest {rule.rounding_base}, the NHS rule for health counts."
    return f"{small}, so that no one can be identified."


def _amount(count: float, figures: WardFigures) -> str:
    number = f"{count:,.0f}"
    return f"about {number}" if figures.rounding_base > 1 and count > 0 else number


def _rank(figures: WardFigures) -> str:
    if figures.rank is None or figures.wards_ranked < 2:
        return ""
    joint = "joint " if figures.tied > 1 else ""
    place = "highest" if figures.rank == 1 else f"{_ordinal(figures.rank)} highest"
    of = (f"the {figures.wards_ranked} {figures.area_name} {figures.area_noun}s with data"
          if figures.wards_without_data else f"{figures.area_name}'s {figures.wards_ranked} {figures.area_noun}s")
    return f", the {joint}{place} of {of}"


def _change(figures: WardFigures) -> str:
    """"; up from 15", "; down from none"... from the shown change, or the previous period's words."""
    if figures.previous_suppressed or math.isnan(figures.count_change):
        return _previous(figures)
    before = "none" if figures.previous_count == 0 else _amount(figures.previous_count, figures)
    if figures.count_change > 0:
        return f"; up from {before}"
    if figures.count_change < 0:
        return f"; down from {before}"
    return f"; {'none' if figures.count == 0 else 'the same'} in {figures.previous_period}"


def _previous(figures: WardFigures) -> str:
    """The previous period in its own words, with no change worked out from it."""
    text = figures.previous_count_text
    if text == NO_DATA and not figures.previous_suppressed:
        return ""
    if figures.previous_suppressed:
        if text.endswith(IN_A_YEAR):
            return f"; {text.removesuffix(IN_A_YEAR)} in at least one year of {figures.previous_period}"
        return f"; {text} in {figures.previous_period}"
    before = "none" if figures.previous_count == 0 else _amount(figures.previous_count, figures)
    return f"; {before} in {figures.previous_period}"


def _ordinal(number: int) -> str:
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"
