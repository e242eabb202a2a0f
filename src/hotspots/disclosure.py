"""Small-count disclosure control: what a role sees of each count and of everything made from counts.

A :class:`DisclosureRule` (``settings.DISCLOSURE_RULES``) says which counts are suppressed and how
the others are rounded; a layer's source chooses its rule and a :class:`~hotspots.roles.Role`
decides whether it applies (:func:`rule_for`). Everything else here takes that rule:

- :func:`disclosed_counts`: one column of counts (a trend, a forecast's prior counts);
- :func:`disclosed_measure_table`: ``aggregation.measure_table`` with secondary suppression, so
  that no rate, change or previous value gives a suppressed count back; :func:`window_disclosure`
  what it needs for a window of several years shown beside its single years;
- :func:`disclosed_total`, :func:`disclosed_mean`, :func:`disclosed_ranks`: summaries over shown
  values only;
- :func:`disclosed_legend`: class breaks and legend labels with no range holding a suppressed value;
- :func:`disclosed_trend`, :func:`disclosed_forecast`: a ward's yearly points and the prior-two-year
  rule's explanations.
- :func:`withheld_text`: what a rate or change of a suppressed count says in its place.

Suppressed values are NaN with ``suppressed`` True; no data is NaN with ``suppressed`` False.
docs/disclosure.md says what each place shows and what these rules do not protect.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

import numpy as np
import pandas as pd

from hotspots import maps, settings
from hotspots._errors import DisclosureError
from hotspots.aggregation import resolve_layer
from hotspots.periods import window_label

if TYPE_CHECKING:
    from hotspots.aggregation import Layer
    from hotspots.forecast import RuleForecast
    from hotspots.roles import Role

NO_DATA = "no data"
MEASURE_COLUMNS = ("ward_code", "count", "population_10_24", "rate_per_1000", "previous_count", "previous_rate",
                   "count_change", "rate_change")
#: The ``suppressed`` flags that remove each measure: a change needs both periods shown.
SUPPRESSED_BY = {"count": ("suppressed",), "rate_per_1000": ("suppressed",),
                 "previous_count": ("previous_suppressed",), "previous_rate": ("previous_suppressed",),
                 "count_change": ("suppressed", "previous_suppressed"),
                 "rate_change": ("suppressed", "previous_suppressed")}
COUNT_COLUMNS = ("count", "previous_count")
#: The count behind each measure of one period.
COUNT_OF = {"count": "count", "rate_per_1000": "count", "previous_count": "previous_count",
            "previous_rate": "previous_count"}
#: What each layer source counts, for the words of a withheld rate ("not shown: fewer than 5 crimes").
COUNTED = {"police": "crimes", "police-uk": "crimes", "ambulance": "call-outs", "nominals": "people",
           "people": "people"}


@dataclass(frozen=True)
class DisclosureRule:
    """Counts from 1 to ``smallest_shown - 1`` are shown as ``suppressed_text``; the others are
    rounded to the nearest ``rounding_base`` (halves up). Zero is 0, no data is "no data"."""

    name: str
    smallest_shown: int = 1
    rounding_base: int = 1
    suppressed_text: str = ""

    @property
    def lowest_shown(self) -> int:
        """The smallest non-zero value a viewer can see (the smallest shown count, rounded)."""
        return int(_round(np.array([float(self.smallest_shown)]), self.rounding_base)[0])

    @property
    def shows_true_values(self) -> bool:
        return self.smallest_shown == 1 and self.rounding_base == 1


#: What roles with ``small_counts_unsuppressed`` see: every count as it is.
TRUE_VALUES = DisclosureRule("true values")


@dataclass(frozen=True)
class DisclosedSummary:
    """A total or mean over the wards whose value is shown, and the words saying which those are."""

    value: float
    wards: int
    suppressed_wards: int
    no_data_wards: int
    text: str


@dataclass(frozen=True)
class DisclosedLegend:
    """Class upper bounds and labels (for ``maps.ward_choropleth(breaks=, legend_labels=)``), plus
    the separate entries for suppressed wards (drawn hatched) and wards without data, when any."""

    breaks: list[float]
    labels: list[str]
    suppressed_label: str | None
    no_data_label: str | None


def rule_named(name: str) -> DisclosureRule:
    """The rule ``settings.DISCLOSURE_RULES[name]``, checked; a :class:`DisclosureError` if unsafe."""
    if name not in settings.DISCLOSURE_RULES:
        raise DisclosureError(f"Unknown disclosure rule {name!r}: use one of {', '.join(settings.DISCLOSURE_RULES)} "
                              "or add it to settings.DISCLOSURE_RULES.")
    given = settings.DISCLOSURE_RULES[name]
    try:
        rule = DisclosureRule(name, int(given["smallest_shown"]), int(given["rounding_base"]),
                              str(given["suppressed_text"]))
    except (KeyError, TypeError, ValueError) as error:
        raise DisclosureError(f"settings.DISCLOSURE_RULES[{name!r}] needs whole numbers smallest_shown and "
                              f"rounding_base and the words suppressed_text; got {given!r} ({error}).") from error
    _check_rule(rule)
    return rule


def rule_of_layer(layer: Layer) -> DisclosureRule:
    """The rule a layer's counts follow: its count table's (``DISCLOSURE_RULE_OF_COUNT_TABLE``), else its source's."""
    if layer.source == "counts" and layer.categories[0] in settings.DISCLOSURE_RULE_OF_COUNT_TABLE:
        return rule_named(settings.DISCLOSURE_RULE_OF_COUNT_TABLE[layer.categories[0]])
    if layer.source not in settings.DISCLOSURE_RULE_OF_SOURCE:
        raise DisclosureError(f"Layer {layer.key!r} has source {layer.source!r}, which has no disclosure rule: "
                              "add it to settings.DISCLOSURE_RULE_OF_SOURCE before showing it.")
    return rule_named(settings.DISCLOSURE_RULE_OF_SOURCE[layer.source])


def rule_for(layer: Layer, role: Role) -> DisclosureRule:
    """The rule ``role`` sees ``layer`` through: true values for roles with small counts
    unsuppressed, except a restricted layer seen only as suppressed counts; the layer's rule otherwise.

    A restricted layer the role may not see at all raises :class:`DisclosureError`.
    """
    if layer.restricted and not role.restricted_layers:
        if not role.restricted_as_suppressed_counts:
            raise DisclosureError(f"The {role.name} role may not see the restricted layer {layer.key!r}.")
        return rule_of_layer(layer)
    return TRUE_VALUES if role.small_counts_unsuppressed else rule_of_layer(layer)


def disclosed_counts(counts: pd.Series, rule: DisclosureRule, *, rates: pd.Series | None = None,
                     hidden: pd.Series | None = None, summed: pd.Series | None = None) -> pd.DataFrame:
    """``count`` (shown value, NaN if suppressed or no data), ``count_text`` and ``suppressed``, on
    ``counts``'s index; with ``rates`` (of those counts), ``rate_per_1000`` of the shown counts.
    ``hidden``: counts over several years to suppress as well, because one of their years' counts
    is (see ``hidden_by_years``); ``summed``: their shown values, summed from their shown years
    (``summed_shown``) rather than rounded from their totals."""
    _check_counts(counts, str(counts.name or "counts"))
    values = counts.astype("float64")
    small = values.ge(1) & values.lt(rule.smallest_shown)
    # A window with a suppressed year says so whatever its total: "fewer than 5" for a total of 1-4
    # beside "fewer than 5" for each of its two years would hold each year to 1-3.
    by_years = pd.Series(False, index=counts.index) if hidden is None else (
        hidden.reindex(counts.index, fill_value=False).astype(bool) & values.ge(1))
    suppressed = small | by_years
    shown = pd.Series(_round(values.to_numpy(), rule.rounding_base), index=counts.index)
    if summed is not None:
        shown = summed.reindex(counts.index).where(values.notna())
    shown = shown.mask(suppressed)
    texts = _count_texts(shown, suppressed, rule).mask(by_years, f"{rule.suppressed_text} in a year")
    out = pd.DataFrame({"count": shown, "count_text": texts, "suppressed": suppressed}, index=counts.index)
    if rates is not None:
        out["rate_per_1000"] = _rate_of_shown(shown, values, rates.astype("float64"))
    return out


def shown_classes(counts: pd.Series, rule: DisclosureRule) -> pd.Series:
    """Each count as no more than a viewer may know of it: 0, 1 for any suppressed count, and the
    rule's smallest shown count for any count shown. Summed over two years, these classes band a
    prior two-year count by what is shown of its years only (``views.shown_class_forecast``)."""
    values = counts.astype("float64")
    classes = np.where(values.lt(1), values, np.where(values.lt(rule.smallest_shown), 1.0, float(rule.smallest_shown)))
    return pd.Series(classes, index=counts.index)


def summed_shown(counts: pd.DataFrame, years: list[int], rule: DisclosureRule, *, key: str = "ward_code") -> pd.Series:
    """By area (``key``), a count over ``years`` as the sum of its years' shown counts: a rounded
    total beside its rounded years would narrow them (a shown 10 and 15 beside a total of 20 hold the
    10 to 8 or 9). NaN where a year is suppressed or has no data. ``counts``: ``key, financial_year, count``."""
    in_window = counts[counts["financial_year"].isin(years)]
    shown = disclosed_counts(in_window["count"], rule)
    return shown["count"].groupby(in_window[key]).sum(min_count=len(years)).where(
        shown["count"].notna().groupby(in_window[key]).all())


def hidden_by_years(counts: pd.DataFrame, years: list[int], rule: DisclosureRule, *, key: str = "ward_code") -> pd.Series:
    """By area (``key``), whether a count over ``years`` must be suppressed because one year's count
    would be: a two-year total shown beside a one-year count would give the other year back.
    ``counts``: ``key, financial_year, count`` per year."""
    in_window = counts[counts["financial_year"].isin(years)]
    small = in_window["count"].astype("float64").between(1, rule.smallest_shown - 1)
    if rule.shows_true_values or len(years) < 2:
        small = small & False
    return small.groupby(in_window[key]).any()


#: A value whose side of a mean cannot be said, as the counts are protected (``side_of_mean``).
ABOUT_THE_MEAN = "cannot say (counts protected)"
#: A value known exactly, and the mean too, and the same (``side_of_mean``).
AT_THE_MEAN = "at the mean"


def shown_count_bounds(count: pd.Series, suppressed: pd.Series, rule: DisclosureRule) -> pd.DataFrame:
    """The least and the most (``low``, ``high``) each count can be to a viewer who sees it as
    shown: a ``suppressed`` one anything from 1 to ``smallest_shown - 1``, a rounded one within half
    the rounding base of its shown value (never below the smallest shown), any other its value.
    Public knowledge only, so a statement made from these bounds gives nothing away."""
    value = count.astype("float64")
    hidden = suppressed.fillna(False).astype(bool)
    half = rule.rounding_base // 2 if rule.rounding_base > 1 else 0
    rounded = value.gt(0) & ~hidden
    return pd.DataFrame({"low": value.mask(rounded, (value - half).clip(lower=rule.smallest_shown)).mask(hidden, 1.0),
                         "high": value.mask(rounded, value + half).mask(hidden, float(rule.smallest_shown - 1))})


def window_count_bounds(counts: pd.DataFrame, years: list[int], rule: DisclosureRule, *,
                        key: str = "ward_code") -> pd.DataFrame:
    """By area (``key``), the least and the most (``low``, ``high``) a count over ``years`` can be
    to a viewer who sees its single years (:func:`shown_count_bounds` of each). NaN where a year
    has no data."""
    in_window = counts[counts["financial_year"].isin(years)]
    shown = disclosed_counts(in_window["count"], rule)
    bounds = shown_count_bounds(shown["count"], shown["suppressed"], rule).assign(**{key: in_window[key]})
    return bounds.groupby(key)[["low", "high"]].sum(min_count=len(years))


def rate_bounds(count_bounds: pd.DataFrame, true: pd.DataFrame, years: int) -> pd.DataFrame:
    """``count_bounds`` (``low``, ``high`` by ``ward_code``) as rates per 1,000 residents aged 10-24
    a year, as ``aggregation.period_values`` rates a count; ``true`` is its table (``ward_code,
    population_10_24, rate_per_1000``). None where a ward has no rate: not every year's population,
    which is public."""
    by_ward = true.set_index("ward_code")
    per_count = (1000 / (by_ward["population_10_24"] * years)).where(by_ward["rate_per_1000"].notna())
    per_count = per_count.reindex(count_bounds.index)
    return count_bounds.mul(per_count.where(np.isfinite(per_count)), axis=0)


def side_of_mean(low: pd.Series, high: pd.Series) -> pd.Series:
    """"above" or "below" the mean of every area, where each area's value is known only to lie
    between ``low`` and ``high``: said only where it holds whatever the values are, else
    :data:`ABOUT_THE_MEAN` (:data:`AT_THE_MEAN` where all is exact and equal); NaN where an area
    has no value."""
    mean_low, mean_high = low.mean(), high.mean()
    side = pd.Series(ABOUT_THE_MEAN, index=low.index, dtype=object)
    side = side.mask(low.eq(high) & low.eq(mean_low) & high.eq(mean_high), AT_THE_MEAN)
    side = side.mask(low > mean_high, "above").mask(high < mean_low, "below")
    return side.where(low.notna() & high.notna())


def window_disclosure(yearly: pd.DataFrame, last_year: int, years: int, rule: DisclosureRule, *,
                      key: str = "ward_code") -> dict[str, pd.Series]:
    """What ``disclosed_measure_table`` needs to show a window of ``years`` ending ``last_year`` and
    the window before it beside their single years: ``hidden``, ``previous_hidden``
    (``hidden_by_years``), ``summed`` and ``previous_summed`` (``summed_shown``), by area (``key``).
    Empty for one-year windows and true values, which give no year back. ``yearly``: ``key,
    financial_year, count`` over both windows."""
    if years < 2 or rule.shows_true_values:
        return {}
    now = list(range(last_year - years + 1, last_year + 1))
    before = [year - years for year in now]
    return {"hidden": hidden_by_years(yearly, now, rule, key=key),
            "previous_hidden": hidden_by_years(yearly, before, rule, key=key),
            "summed": summed_shown(yearly, now, rule, key=key),
            "previous_summed": summed_shown(yearly, before, rule, key=key)}


def disclosed_measure_table(table: pd.DataFrame, rule: DisclosureRule, *, hidden: pd.Series | None = None,
                            previous_hidden: pd.Series | None = None, summed: pd.Series | None = None,
                            previous_summed: pd.Series | None = None) -> pd.DataFrame:
    """``aggregation.measure_table``'s columns as ``rule`` shows them, plus ``count_text``,
    ``previous_count_text``, ``suppressed`` and ``previous_suppressed``; ``hidden`` and
    ``previous_hidden`` (by ward code, from ``hidden_by_years``) suppress windows of several years
    one of whose years is suppressed; ``summed`` and ``previous_summed`` (``summed_shown``) are
    such windows' shown values.

    Secondary suppression: a rate goes with its count (rate x population is the count) and is the
    rounded count's rate; a change (count and rate) is removed where either period's count is
    suppressed (this year minus the change is last year) and is computed from shown values.
    """
    missing = [column for column in MEASURE_COLUMNS if column not in table]
    if missing:
        raise DisclosureError(f"A measure table needs the columns {', '.join(MEASURE_COLUMNS)}; "
                              f"{', '.join(missing)} missing.")
    if "suppressed" in table:  # disclosing twice would show suppressed wards as "no data"
        raise DisclosureError("This measure table has been disclosed already: disclose the table from "
                              "aggregation.measure_table once.")
    by_ward = table["ward_code"] if "ward_code" in table else None
    now = disclosed_counts(table["count"], rule, hidden=_aligned(hidden, by_ward),
                           summed=_aligned(summed, by_ward, flags=False))
    before = disclosed_counts(table["previous_count"], rule, hidden=_aligned(previous_hidden, by_ward),
                              summed=_aligned(previous_summed, by_ward, flags=False))
    out = _secondary_suppression(table.assign(count=now["count"], previous_count=before["count"]), table)
    return out.assign(count_text=now["count_text"], previous_count_text=before["count_text"],
                      suppressed=now["suppressed"], previous_suppressed=before["suppressed"])


def _aligned(by_code: pd.Series | None, codes: pd.Series | None, *, flags: bool = True) -> pd.Series | None:
    """``by_code`` (by area code: flags, or values) on the rows of a table whose area codes are ``codes``."""
    if by_code is None or codes is None:
        return None
    values = codes.map(by_code)
    return pd.Series((values.fillna(False).astype(bool) if flags else values.astype("float64")).to_numpy(),
                     index=codes.index)


def disclosed_total(table: pd.DataFrame, column: str, rule: DisclosureRule) -> DisclosedSummary:
    """The total of ``column`` over the wards whose value is shown (a total over every ward, less
    the shown wards, would give the suppressed ones), with the words saying which wards."""
    return _summary(table, column, rule, "total", lambda values: float(values.sum()))


def disclosed_mean(table: pd.DataFrame, column: str, rule: DisclosureRule) -> DisclosedSummary:
    """The mean of ``column`` over the wards whose value is shown, e.g. for the regional reference
    line, with the words ("mean of the 17 wards with 5 or more (3 with fewer than 5 left out)")."""
    return _summary(table, column, rule, "mean", lambda values: float(values.mean()) if len(values) else np.nan)


def disclosed_ranks(table: pd.DataFrame, column: str) -> pd.Series:
    """Rank (1 = highest, ties share the best) of each ward on shown values; NA without data.

    Every suppressed ward shares one rank, so their order among themselves is never shown: for a
    count, just below the shown counts above zero (where "fewer than 5" lies); for a rate or change,
    whose suppressed values could lie anywhere, after every shown ward.
    """
    suppressed = _suppressed(table, column)
    key = table[column].astype("float64").mask(suppressed, 0.5 if column in COUNT_COLUMNS else -np.inf)
    return key.rank(ascending=False, method="min").astype("Int64")


def disclosed_legend(table: pd.DataFrame, column: str, rule: DisclosureRule, *, scheme: str = "quantiles",
                     k: int = 5, bands: list[float] | None = None, decimals: int = 0,
                     years: int = 1) -> DisclosedLegend:
    """Classes of the shown values of ``column`` (``maps.class_breaks``' schemes) whose labels
    never hold a suppressed count: for counts, zero is a class of its own and the next class
    starts at the rule's smallest shown value; suppressed wards get their own entry, which over
    ``years`` of more than one says "in a year", as their counts do (``disclosed_counts``)."""
    suppressed = _suppressed(table, column)
    shown = table[column].astype("float64").mask(suppressed).dropna()
    breaks = maps.class_breaks(shown, scheme=scheme, k=k, bands=bands)
    counts = column in COUNT_COLUMNS and not rule.shows_true_values
    if counts:
        breaks, labels = _count_classes(shown, breaks, rule)
    else:
        labels = _value_labels(shown, breaks, decimals, whole=column in COUNT_COLUMNS)
    either = (" in a year" if years > 1 else "") + (" in either period" if len(SUPPRESSED_BY[column]) > 1 else "")
    return DisclosedLegend(breaks, labels, rule.suppressed_text + either if suppressed.any() else None,
                           NO_DATA if (table[column].isna() & ~suppressed).any() else None)


def withheld_text(count_text: str, rule: DisclosureRule, source: str) -> str:
    """What a rate or change says where its count (``count_text``, e.g. "fewer than 5 in a year") is
    suppressed: "not shown: fewer than 5 crimes in a year". The count's words alone, under a rate's
    label, read as a rate of under 5."""
    counted = f"{rule.suppressed_text} {COUNTED.get(source, 'counted')}"
    return "not shown: " + count_text.replace(rule.suppressed_text, counted, 1)


def disclosed_trend(trend: pd.DataFrame, role: Role) -> pd.DataFrame:
    """``profile.ward_trend``'s points as ``role`` sees each layer: ``count`` and ``rate_per_1000``
    of shown counts, with ``count_text`` ("fewer than 5") and ``suppressed``."""
    parts = [_disclosed_points(points, rule_for(resolve_layer(key), role)) for key, points in trend.groupby(
        "layer", sort=False)]
    columns = [*trend.columns, "count_text", "suppressed"]
    return pd.concat(parts).loc[trend.index, columns] if parts else pd.DataFrame(columns=columns)


def disclosed_forecast(forecast: RuleForecast, rule: DisclosureRule, *, unit: str = "",
                       hidden: pd.Series | None = None, summed: pd.Series | None = None) -> pd.DataFrame:
    """The forecast's ``areas`` with ``prior_two_year_count`` as ``rule`` shows it, plus
    ``prior_count_text`` and ``suppressed``, and each ``explanation`` rebuilt from the shown count
    ("fewer than 5 call-outs in 2017/18-2018/19, band 3-5: ...", ``unit="call-outs"``). ``hidden``
    (by area code, ``hidden_by_years`` of the two prior years) suppresses a two-year count one of
    whose years is suppressed; ``summed`` (``summed_shown``) the shown two-year counts."""
    areas = forecast.areas
    shown = disclosed_counts(areas["prior_two_year_count"], rule, hidden=_aligned(hidden, areas["area_code"]),
                             summed=_aligned(summed, areas["area_code"], flags=False))
    window = window_label(forecast.target_year - 1)
    texts = [forecast_explanation(text, row, window, unit=unit)
             for text, row in zip(shown["count_text"], areas.itertuples())]
    return areas.assign(prior_two_year_count=shown["count"], prior_count_text=shown["count_text"],
                        suppressed=shown["suppressed"], explanation=pd.Series(texts, index=areas.index, dtype=object))


def forecast_explanation(count_text: str, band_row, window: str, *, unit: str = "") -> str:
    """One area's explanation from its shown prior count and its band's row (``band, ward_years,
    with_outcome, probability, lower, upper``), in the words of ``forecast.forecast_rule``."""
    prior = f"{count_text} {unit} in {window}" if unit else f"{count_text} in {window}"
    if band_row.ward_years == 0:
        return f"{prior}, band {band_row.band}: no earlier ward-years in this band."
    return (f"{prior}, band {band_row.band}: {band_row.with_outcome} of {band_row.ward_years} such ward-years "
            f"({band_row.probability:.0%}, 95% interval {band_row.lower:.0%}-{band_row.upper:.0%}) "
            "had at least one the next year")


def _secondary_suppression(shown: pd.DataFrame, true: pd.DataFrame) -> pd.DataFrame:
    """Rates of the shown counts (none for a suppressed count), and changes of shown values only."""
    out = shown.assign(rate_per_1000=_rate_of_shown(shown["count"], true["count"], true["rate_per_1000"]),
                       previous_rate=_rate_of_shown(shown["previous_count"], true["previous_count"],
                                                    true["previous_rate"]))
    return out.assign(count_change=out["count"] - out["previous_count"],
                      rate_change=out["rate_per_1000"] - out["previous_rate"])


def _rate_of_shown(shown: pd.Series, true: pd.Series, rates: pd.Series) -> pd.Series:
    # The rate is linear in the count, so scaling it by shown/true gives the shown count's rate
    # without needing the window length; a zero count keeps its rate (0, or NaN without population).
    scaled = rates * shown / true.where(true > 0)
    return scaled.where(true > 0, rates.where(shown.notna()))


def _disclosed_points(points: pd.DataFrame, rule: DisclosureRule) -> pd.DataFrame:
    shown = disclosed_counts(points["count"], rule, rates=points["rate_per_1000"])
    return points.assign(count=shown["count"], rate_per_1000=shown["rate_per_1000"], count_text=shown["count_text"],
                         suppressed=shown["suppressed"])


def _summary(table: pd.DataFrame, column: str, rule: DisclosureRule, kind: str,
             reduce: Callable[[pd.Series], float]) -> DisclosedSummary:
    suppressed = _suppressed(table, column)
    used = table[column].astype("float64").mask(suppressed).dropna()
    n_suppressed = int(suppressed.sum())
    n_no_data = len(table) - len(used) - n_suppressed
    either = " in either period" if len(SUPPRESSED_BY[column]) > 1 else ""
    left_out = [f"{n_suppressed} with {rule.suppressed_text}{either}"] * bool(n_suppressed)
    left_out += [f"{n_no_data} with {NO_DATA}"] * bool(n_no_data)
    text = f"{kind} of {_basis(table.loc[used.index], column, rule, n_suppressed, n_no_data)}"
    text += f" ({' and '.join(left_out)} left out)" if left_out else ""
    return DisclosedSummary(reduce(used), len(used), n_suppressed, n_no_data, text)


def _basis(used: pd.DataFrame, column: str, rule: DisclosureRule, n_suppressed: int, n_no_data: int) -> str:
    """Which wards a summary is over: "all 20 wards", "the 17 wards with 5 or more", ..."""
    wards = f"{len(used)} ward" + ("" if len(used) == 1 else "s")
    if not n_suppressed:
        return f"the {wards} with data" if n_no_data else f"all {wards}" if len(used) > 1 else f"the {wards}"
    if len(SUPPRESSED_BY[column]) > 1:
        return f"the {wards} shown in both periods"
    none = "none or " if used[COUNT_OF[column]].eq(0).any() else ""
    return f"the {wards} with {none}{rule.smallest_shown} or more"


def _suppressed(table: pd.DataFrame, column: str) -> pd.Series:
    if column not in SUPPRESSED_BY:
        raise DisclosureError(f"Cannot disclose a summary of {column!r}: use one of {', '.join(SUPPRESSED_BY)}.")
    flags = [flag for flag in SUPPRESSED_BY[column] if flag in table]
    if not flags:
        raise DisclosureError(f"The table has no {' or '.join(SUPPRESSED_BY[column])} column: disclose it first "
                              "(disclosed_measure_table or disclosed_counts).")
    return table[flags].any(axis=1)


def _count_classes(shown: pd.Series, breaks: list[float], rule: DisclosureRule) -> tuple[list[float], list[str]]:
    """Breaks and labels for disclosed counts: zero alone, no class below the smallest shown value."""
    if shown.eq(0).any() and shown.gt(0).any():
        breaks = sorted({0.0, *breaks})
    kept, labels, previous = [], [], None
    for upper in breaks:
        low = shown.min() if previous is None else max(np.floor(previous) + 1, rule.lowest_shown)
        high = np.floor(upper)
        if low <= high:  # a class whose whole range is suppressed holds no ward and is dropped
            kept.append(upper)
            labels.append(_range_text(low, high, 0))
        previous = upper
    return kept, labels


def _value_labels(shown: pd.Series, breaks: list[float], decimals: int, *, whole: bool) -> list[str]:
    labels, previous = [], None
    for upper in breaks:
        if whole:
            low = shown.min() if previous is None else np.floor(previous) + 1
            labels.append(_range_text(low, max(np.floor(upper), low), 0))
        else:
            low_text = _number(shown.min(), decimals) if previous is None else f"over {_number(previous, decimals)}"
            high_text = _number(upper, decimals)
            labels.append(high_text if low_text == high_text else f"{low_text} to {high_text}")
        previous = upper
    return labels


def _range_text(low: float, high: float, decimals: int) -> str:
    return _number(low, decimals) if low == high else f"{_number(low, decimals)} to {_number(high, decimals)}"


def _number(value: float, decimals: int) -> str:
    return f"{value:,.{decimals}f}"


def _count_texts(shown: pd.Series, suppressed: pd.Series, rule: DisclosureRule) -> pd.Series:
    texts = [rule.suppressed_text if hidden else NO_DATA if np.isnan(value) else _number(value, 0)
             for value, hidden in zip(shown.to_numpy(), suppressed.to_numpy())]
    return pd.Series(texts, index=shown.index, dtype=object)


def _round(values: np.ndarray, base: int) -> np.ndarray:
    """Nearest multiple of ``base``, halves up (with an even base a count can sit halfway: 15 to 10s is 20)."""
    return values if base == 1 else np.floor(values / base + 0.5) * base


def _check_counts(counts: pd.Series, name: str) -> None:
    values = pd.to_numeric(counts, errors="coerce").astype("float64")
    bad = counts[(values.isna() & counts.notna()) | values.lt(0) | (values % 1).gt(0)]
    if len(bad):
        raise DisclosureError(f"Only whole counts of 0 or more can be disclosed; {name} holds {len(bad)} other "
                              f"value(s), e.g. {bad.iloc[0]} at row {bad.index[0]}.")


def _check_rule(rule: DisclosureRule) -> None:
    if rule.smallest_shown < 1 or rule.rounding_base < 1:
        raise DisclosureError(f"Disclosure rule {rule.name!r}: smallest_shown and rounding_base must be 1 or more; "
                              f"got {rule.smallest_shown} and {rule.rounding_base}.")
    if rule.smallest_shown > 1 and not rule.suppressed_text.strip():
        raise DisclosureError(f"Disclosure rule {rule.name!r} suppresses counts below {rule.smallest_shown} and "
                              "needs the words shown instead (suppressed_text, e.g. 'fewer than 5').")
    if rule.lowest_shown < rule.smallest_shown:
        raise DisclosureError(
            f"Disclosure rule {rule.name!r} rounds its smallest shown count {rule.smallest_shown} down to "
            f"{rule.lowest_shown}, so a shown {rule.lowest_shown} would mean exactly {rule.smallest_shown}: raise "
            f"smallest_shown to {_safe_smallest(rule)}, which rounds to itself or up.")


def _safe_smallest(rule: DisclosureRule) -> int:
    """The smallest count from ``rule.smallest_shown`` up that does not round down."""
    return next(value for value in range(rule.smallest_shown, rule.smallest_shown + rule.rounding_base + 1)
                if _round(np.array([float(value)]), rule.rounding_base)[0] >= value)
