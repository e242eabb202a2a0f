"""The whole-dashboard adversary (issue 13): as councillor, as public and as partner (whose
restricted layers alone are protected), render every page of the role's navigation with a sweep of its widgets in AppTest (map tooltips and legend, chart data,
tables, captions, the bytes of every download), enumerate the views those pages draw from over
every layer, period length and year, and combine it all into one knowledge base of what the
viewer has learnt about each count (tests/leak_knowledge.py). It fails on the first protected
count pinned (or a suppressed one narrowed), naming the places that gave it away.

The pages draw only from the views: every value a page run shows is checked against the views
enumeration, so the enumeration covers what the sweep does not render. More tests show the scan does find leaks:
with suppression switched off, with one secondary guard removed, and with the locality view's
stand-ins for a partner's suppressed counts replaced by the true counts.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest
import streamlit as st

import dashboard_scan
from dashboard_scan import Scraped, shown_from_table
from hotspots import aggregation, disclosure, geography, loading, locality_view, roles, views, ward_summary_view
from hotspots.periods import window_label
from leak_knowledge import Knowledge, Shown, shown_interval
from ui import common

ROLES = ["councillor", "public"]
#: The partner's page sweep reads every this-many-th run of each page (its map has twice the layers).
PARTNER_EVERY = 3
#: Period lengths the views are enumerated over: the ward map's "Period" choices (checked below).
WINDOWS = (1, 2)
#: Layers counted within another: (inner, outer), so inner <= outer for each ward and year.
NESTED = (("ambulance-knife", "ambulance-all"),)
_RANGE = re.compile(r"^(?:over )?(-?[\d,.]+)(?: to (-?[\d,.]+))?$")


@pytest.fixture(scope="module")
def seen(demo_dir):
    """The demo store as a councillor's or the public's session loads it."""
    store = loading.demo_store()
    if not len(loading.load_dataset(store).events):
        loading.load_demo_into(store)
    return loading.load_dataset(store, roles.role("councillor").data_access)


@pytest.fixture(scope="module")
def seen_by_partner(seen):
    """The demo store as a partner's session loads it: the register's rows too, to count by ward."""
    return loading.load_dataset(loading.demo_store(), roles.role("partner").data_access)


def _layers(dataset, role: str) -> dict:
    return views.layers_for(dataset, roles.role(role))


def _truth(dataset, layers) -> dict:
    wards = geography.wards()["ward_code"].tolist()
    truth = {}
    for key in layers:
        counts = aggregation.layer_counts(dataset, key, wards, aggregation.covered_years(dataset, key))
        truth.update({(key, row.ward_code, int(row.financial_year)): int(row.count) for row in counts.itertuples()})
    return truth


def _population(dataset) -> dict:
    people = dataset.population
    return {(row.ward_code, int(row.financial_year)): float(row.population_10_24) for row in people.itertuples()}


def _rules(layers, role: str) -> dict:
    """The published rule ``role`` sees each layer through: what the adversary knows the dashboard
    applies (DESIGN.md, "Privacy and access"), written here, not read from ``disclosure.rule_for``,
    so that breaking the code does not change what is checked. A partner sees true values but for
    the restricted layers, which it sees as suppressed counts; councillor and public, every layer
    through its rule."""
    viewer = roles.role(role)
    return {key: disclosure.rule_of_layer(layer)
            if not viewer.small_counts_unsuppressed or (layer.restricted and not viewer.restricted_layers)
            else disclosure.TRUE_VALUES for key, layer in layers.items()}


def _nested(layers) -> tuple[tuple[str, str], ...]:
    """``NESTED``, and each group of the people known to services within them all."""
    groups = [key for key in layers if key.startswith(aggregation.PEOPLE_PREFIX)]
    return NESTED + (tuple((key, "people") for key in groups) if "people" in layers else ())


# ---- the views enumeration ----------------------------------------------------------------------

def views_scan(dataset, role: str, *, layers=None, windows=WINDOWS, years=None, measures_every: int = 3) -> Scraped:
    """Every ward map view (all of Greater Essex: every ward) for each layer, period length and year,
    each measure's ranks, legend and mean at every ``measures_every``-th year, and the forecast;
    over every layer (``layers`` None), every ward's "Your ward" summary as well."""
    viewer = roles.role(role)
    wards = geography.wards()
    every_lad = sorted(geography.LOCAL_AUTHORITIES)
    out = Scraped()
    for key in layers or _layers(dataset, role):
        covered = aggregation.covered_years(dataset, key)
        for window in windows:
            ends = [y for y in covered[window - 1:] if years is None or y in years]
            for index, last in enumerate(ends):
                span = tuple(range(last - window + 1, last + 1))
                measures = list(aggregation.MEASURES) if index % measures_every == 0 or last == ends[-1] else ["count"]
                for measure in measures:
                    view = views.ward_map_view(dataset, key, viewer, wards, every_lad, measure=measure,
                                               last_year=last, years=window)
                    source = f"ward map view ({key}, {measure}, {window_label(last, window)})"
                    if measure == "count":
                        out.shown += shown_from_table(view.download, key, span, f"{source}, CSV")
                        out.shown += shown_from_table(view.ranking, key, span, f"{source}, ranking")
                        out.legends.append((f"{source}, legend", key, view.legend.labels))
                    out.ranks.append((f"{source}, ranking", key, view.ranking[["ward_code", measure, "rank"]].rename(
                        columns={measure: "shown"})))
                    out.means.append((f"{source}, mean", view.mean, view.table[measure]))
                    out.means.append((f"{source}, region mean", view.region_mean, view.table[measure]))
        out.extend(forecast_scan(dataset, key, viewer))
    if layers is None:
        out.extend(summary_scan(dataset, viewer))
    return out


def summary_scan(dataset, viewer: roles.Role) -> Scraped:
    """Every ward's "Your ward" summary over the region: its sentences' counts, its forecast
    sentence's prior count and band, and its trend points, for every layer it describes."""
    data = ward_summary_view.summary_data(dataset, viewer, geography.wards())
    out = Scraped()
    for code in data.wards["ward_code"]:
        out.shown += dashboard_scan.summary_shown(ward_summary_view.ward_summary_view(data, code),
                                                  f"ward summary view ({code})")
    return out


def locality_scan(dataset, role: str, *, measures=None, windows=WINDOWS, years=None) -> Scraped:
    """Every value the Locality wards page can show a ``role``: each count measure offered (or of
    ``measures``), for every ward of the region, over every period length and year (or those ending
    in ``years``), with the stand-in each suppressed value is scored as (the forecast measure is a
    chance, not a count)."""
    viewer = roles.role(role)
    region = geography.wards()
    codes = region["ward_code"].tolist()
    out = Scraped()
    for key in measures or locality_view.measures_offered(dataset, viewer):
        if key == locality_view.FORECAST:
            continue
        covered = aggregation.covered_years(dataset, key)
        for window in windows:
            for last in [y for y in covered[window - 1:] if years is None or y in years]:
                span = tuple(range(last - window + 1, last + 1))
                values = locality_view.measure_values(dataset, key, viewer, codes, region, last_year=last,
                                                      years=window)
                source = f"locality measure values ({key}, {window_label(last, window)})"
                shown = values.texts.where(~values.suppressed, values.texts + values.values.map(" (scored as {:g})".format))
                out.shown += dashboard_scan._locality_values(shown, key, pd.Series(shown.index), span, source)
    return out


def forecast_scan(dataset, key: str, viewer: roles.Role) -> Scraped:
    out = Scraped()
    wards = geography.wards()
    counts = aggregation.layer_counts(dataset, key, wards["ward_code"].tolist(),
                                      aggregation.complete_years(dataset, key)[0]).rename(
        columns={"ward_code": "area_code"})
    view = views.forecast_view(counts, aggregation.resolve_layer(key), viewer, wards)
    source = f"forecast view ({key})"
    codes = wards.set_index("ward_name")["ward_code"]
    for name, text in zip(view.table["ward_name"], view.table["explanation"]):
        out.shown += dashboard_scan.explanation_shown(str(text), key, codes.get(name), source)
    out.band_tables.append((source, view.band_table))
    return out


# ---- reading it all -----------------------------------------------------------------------------

def knowledge_of(scraped: Scraped, layers, role: str) -> Knowledge:
    """One knowledge base of everything ``scraped`` holds (bands read as ranges of the prior two
    years; locality stand-ins are checked by ``_stand_in_leak`` instead)."""
    dataset_rules = _rules(layers, role)
    knowledge = Knowledge(dataset_rules, {}, _nested(layers))
    for item in scraped.shown:
        if item.kind == "stand_in":
            continue
        if item.kind == "band":
            for years, low, high in _band_ranges(item.value, dataset_rules[item.layer], item.years):
                knowledge.add_fact({(item.layer, item.area, year): 1 for year in years}, low, high, item.source)
        else:
            knowledge.shown.append(item)
    return knowledge


def _band_ranges(label: str, rule, years: tuple[int, ...]) -> list[tuple[tuple[int, ...], float, float]]:
    """What a forecast band says: ranges of the prior two years' total, or of each year."""
    label = label.strip()
    if label == f"{rule.suppressed_text} in each year":
        return [(years, 1, math.inf)] + [((year,), 0, rule.smallest_shown - 1) for year in years]
    if label == f"{rule.smallest_shown} or more in a year":
        return [(years, rule.smallest_shown, math.inf)]
    match = re.fullmatch(r"(\d+)(?:-(\d+)|(\+))?", label)
    if not match:
        raise AssertionError(f"cannot read the forecast band {label!r}")
    low = int(match[1])
    return [(years, low, math.inf if match[3] else int(match[2] or low))]


def first_problem(scraped: Scraped, layers, truth: dict, population: dict, role: str) -> str | None:
    """The first leak in what was scraped as ``role``: a small count written out, a legend range
    holding a suppressed count, ranks ordering suppressed wards, a mean over hidden values, a
    locality stand-in or score that depends on more than the values shown, or a protected count
    the combined knowledge pins down."""
    rules = _rules(layers, role)
    for check in (_text_leak(scraped, rules), _legend_leak(scraped, rules), _rank_leak(scraped), _mean_leak(scraped),
                  _stand_in_leak(scraped, rules), _score_leak(scraped)):
        if check:
            return check
    knowledge = knowledge_of(scraped, layers, role)
    knowledge.population = population
    return knowledge.first_leak(truth)


def _text_leak(scraped: Scraped, rules: dict | None = None) -> str | None:
    """A small count written out in words. Where some layers are shown as true values (a partner's),
    only the texts of a place naming a protected layer are read: the others may write any count."""
    protected = None if rules is None or not any(rule.shows_true_values for rule in rules.values()) else [
        key for key, rule in rules.items() if not rule.shows_true_values]
    for source, text in scraped.texts:
        if protected is not None and not any(key in source for key in protected):
            continue
        for match in dashboard_scan.COUNT_IN_WORDS.finditer(text):
            if text[max(0, match.start() - 5):match.start()] == "than ":
                continue  # "fewer than 5 in 2021/22" is the rule's words, not a count
            number = int(match[1])
            if 1 <= number <= (7 if "ambulance" in source else 4):
                return f"{source}: a small count written out: {text[max(0, match.start() - 60):match.end() + 20]!r}"
    return None


def _legend_leak(scraped: Scraped, rules: dict) -> str | None:
    for source, layer, labels in scraped.legends:
        rule = rules[layer]
        if rule.shows_true_values:
            continue
        for label in labels:
            match = _RANGE.match(label.strip())
            if not match:
                continue
            low = float(match[1].replace(",", ""))
            high = float((match[2] or match[1]).replace(",", ""))
            if low <= rule.smallest_shown - 1 and high >= 1:
                return f"{source}: the legend range {label!r} holds counts that are suppressed (1 to {rule.smallest_shown - 1})"
    return None


def _rank_leak(scraped: Scraped) -> str | None:
    for source, _, frame in scraped.ranks:
        ranked = frame.dropna(subset=["rank"])
        hidden = ranked[ranked["shown"].isna()]
        if hidden["rank"].nunique() > 1:
            return f"{source}: ranks order suppressed wards among themselves ({sorted(hidden['rank'].unique())})"
        split = ranked.dropna(subset=["shown"]).groupby("shown")["rank"].nunique()
        if split.gt(1).any():
            return f"{source}: wards shown alike as {split.idxmax():g} get different ranks"
    return None


def _stand_in_leak(scraped: Scraped, rules: dict) -> str | None:
    """A locality stand-in other than its years as shown (each suppressed year as the middle of its
    range): one that differs says something of the true counts."""
    single: dict[tuple, object] = {}
    for item in scraped.shown:
        if item.kind == "count" and len(item.years) == 1:
            single.setdefault((item.layer, item.area, item.years[0]), item.value)
    for item in scraped.shown:
        if item.kind != "stand_in":
            continue
        rule = rules[item.layer]
        years = [single.get((item.layer, item.area, year)) for year in item.years]
        if any(value is None for value in years):
            return f"{item.source}: the stand-in of {item.layer} {item.area} {item.years} has a year never shown alone"
        expected = sum(rule.smallest_shown / 2 if value == rule.suppressed_text else float(str(value).replace(",", ""))
                       for value in years)
        if abs(expected - float(item.value)) > 1e-9:
            return (f"{item.source}: {item.layer} {item.area} {item.years} is scored as {item.value:g}, not as its "
                    f"years shown ({years}, {expected:g}): the stand-in depends on the true counts")
    return None


def _score_leak(scraped: Scraped) -> str | None:
    """Wards a locality ranking shows alike on every measure with different scores: the score then
    holds more than the values shown."""
    for source, frame in scraped.scores:
        measures = [column for column in frame.columns if column not in ("ward_name", "score")]
        spread = frame.groupby(measures)["score"].nunique()
        if spread.gt(1).any():
            return f"{source}: wards shown alike as {spread.idxmax()} get different scores"
    return None


def _mean_leak(scraped: Scraped) -> str | None:
    for source, mean, values in scraped.means:
        shown = values.astype("float64").dropna()
        if mean.wards != len(shown) or (len(shown) and abs(mean.value - shown.mean()) > 1e-9):
            return (f"{source}: the mean {mean.value:g} of {mean.wards} wards ({mean.text}) is not the mean of the "
                    f"{len(shown)} values shown, so it holds hidden ones")
    return None


def page_draws_only_from_views(pages: Scraped, enumerated: Scraped) -> str | None:
    """The first value a page showed that the views enumeration does not hold (same layer, ward,
    years and kind, equal up to the page's display rounding), or None."""
    held: dict[tuple, list] = {}
    for item in enumerated.shown:
        held.setdefault((item.layer, item.area, item.years, item.kind), []).append(item.value)
    for item in pages.shown:
        candidates = held.get((item.layer, item.area, item.years, item.kind), [])
        if not any(_agree(item.value, value) for value in candidates):
            return f"{item.source} shows {item.value!r} for {item.layer} {item.area} {item.years} {item.kind}, " \
                   f"which the views enumeration does not hold ({candidates[:3]})"
    return None


def _agree(page_value: object, view_value: object) -> bool:
    page_number, view_number = _as_number(page_value), _as_number(view_value)
    if page_number is not None and view_number is not None:
        return abs(page_number - view_number) <= 0.05 + 1e-9  # the page may show one decimal
    return str(page_value).strip() == str(view_value).strip()


def _as_number(value: object) -> float | None:
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return None if math.isnan(float(value)) else float(value)
    try:
        return float(str(value).replace(",", "").rstrip("%"))
    except ValueError:
        return None


# ---- the tests ----------------------------------------------------------------------------------

def test_the_demo_holds_small_counts_in_the_years_shown(seen):
    layers = _layers(seen, "councillor")
    truth = _truth(seen, layers)
    rules = _rules(layers, "councillor")
    for key, rule in rules.items():
        small = [value for (layer, _, _), value in truth.items() if layer == key and 1 <= value < rule.smallest_shown]
        assert len(small) >= 10, f"{key}: too few counts of 1 to {rule.smallest_shown - 1} to protect"
    police = [v for (layer, _, _), v in truth.items() if rules[layer].name == "police" and 1 <= v <= 4]
    ambulance = [v for (layer, _, _), v in truth.items() if rules[layer].name == "health" and 1 <= v <= 7]
    assert set(police) == {1, 2, 3, 4} and set(ambulance) == set(range(1, 8))


@pytest.mark.parametrize("role", ROLES)
def test_nothing_a_role_can_reach_gives_a_protected_count_back(seen, role, monkeypatch):
    st.cache_data.clear()
    downloads = dashboard_scan.DownloadRecorder(monkeypatch)
    pages = dashboard_scan.sweep_pages(role, seen, downloads, every=1 if role == "councillor" else 2)
    windows = {run["window"] for page, run in pages.runs if page == "pages/ward_map.py"}
    assert windows == set(WINDOWS), f"the ward map offers the periods {windows}; enumerate those in WINDOWS"
    assert any("download" in source for source, _ in pages.texts), "no download button was read"
    enumerated = views_scan(seen, role)
    assert page_draws_only_from_views(pages, enumerated) is None
    layers = _layers(seen, role)
    everything = Scraped()
    everything.extend(pages)
    everything.extend(enumerated)
    assert first_problem(everything, layers, _truth(seen, layers), _population(seen), role) is None


def test_nothing_a_partner_can_reach_gives_a_protected_count_back(seen_by_partner, monkeypatch):
    """The partner's restricted layers (the register, the people known to services) as suppressed
    counts, on every page of its navigation, the Locality wards page and its decision record included."""
    st.cache_data.clear()
    downloads = dashboard_scan.DownloadRecorder(monkeypatch)
    pages = dashboard_scan.sweep_pages("partner", seen_by_partner, downloads, every=PARTNER_EVERY)
    read = {page for page, _ in pages.runs}
    assert "pages/locality.py" in read and any("decision record" in source for source, _ in pages.texts), read
    layers = _layers(seen_by_partner, "partner")
    restricted = {key for key, layer in layers.items() if layer.restricted}
    assert restricted <= {item.layer for item in pages.shown if "locality" in item.source}, "a restricted measure unread"
    enumerated = views_scan(seen_by_partner, "partner")
    enumerated.extend(locality_scan(seen_by_partner, "partner"))
    assert page_draws_only_from_views(pages, enumerated) is None
    everything = Scraped()
    everything.extend(pages)
    everything.extend(enumerated)
    truth = _truth(seen_by_partner, layers)
    assert first_problem(everything, layers, truth, _population(seen_by_partner), "partner") is None


def test_no_ward_summary_gives_a_protected_count_back(seen):
    """Every ward's summary on its own: a two-year total beside its rounded years must not narrow them."""
    layers = _layers(seen, "councillor")
    scraped = summary_scan(seen, roles.role("councillor"))
    read = {item.source.split(", ", 2)[-1] for item in scraped.shown}
    assert read >= {"sentence", "sentence (the period before)", "forecast sentence, explanation", "trend"}, read
    assert first_problem(scraped, layers, _truth(seen, layers), _population(seen), "councillor") is None


def test_councillor_and_public_see_the_same(seen):
    """The views read a role's flags only, so the views enumeration of one stands for the other."""
    councillor, public = roles.role("councillor"), roles.role("public")
    flags = [name for name in roles.Role.__dataclass_fields__ if name not in ("name", "label")]
    assert [getattr(councillor, f) for f in flags] == [getattr(public, f) for f in flags]


def test_the_scan_finds_leaks_with_suppression_switched_off(seen, monkeypatch):
    # The pages' caches are keyed by role, not by the rules: values cached with suppression on
    # must not be served here, nor these unsuppressed ones to the tests after.
    _clear_page_caches()
    try:
        monkeypatch.setattr(disclosure, "rule_for", lambda layer, role: disclosure.TRUE_VALUES)
        layers = _layers(seen, "councillor")
        truth, population = _truth(seen, layers), _population(seen)
        for key in ("violence-with-injury", "ambulance-knife"):
            scraped = views_scan(seen, "councillor", layers=[key], windows=(1,), years=[2022])
            problem = first_problem(scraped, layers, truth, population, "councillor")
            assert problem is not None and key in problem, problem
        downloads = dashboard_scan.DownloadRecorder(monkeypatch)
        pages = dashboard_scan.sweep_pages("councillor", seen, downloads, every=6)
        assert first_problem(pages, layers, truth, population, "councillor") is not None
    finally:
        _clear_page_caches()


def _clear_page_caches() -> None:
    st.cache_data.clear()
    st.cache_resource.clear()


def test_the_scan_finds_a_window_less_its_years_without_the_guard(seen, monkeypatch):
    """With ``hidden_by_years`` removed, a two-year count beside its single years gives a year back."""
    monkeypatch.setattr(disclosure, "hidden_by_years",
                        lambda counts, years, rule, key="ward_code": pd.Series(False, index=counts[key].unique()))
    layers = _layers(seen, "councillor")
    scraped = views_scan(seen, "councillor", layers=["violence-with-injury"], years=[2021, 2022])
    problem = first_problem(scraped, layers, _truth(seen, layers), _population(seen), "councillor")
    assert problem is not None and "violence-with-injury" in problem, problem


def _true_counts_for_the_partner(yearly, total, span, rule):
    """``locality_view._stand_ins`` broken: a partner's restricted measures ranked and shown at their true counts."""
    return total, total.map(lambda value: disclosure.NO_DATA if np.isnan(value) else f"{value:,.0f}"), \
        pd.Series(False, index=total.index)


def test_the_scan_finds_a_partners_true_restricted_counts_on_the_locality_page(seen_by_partner, monkeypatch):
    monkeypatch.setattr(locality_view, "_stand_ins", _true_counts_for_the_partner)
    layers = _layers(seen_by_partner, "partner")
    scraped = locality_scan(seen_by_partner, "partner", measures=["nominals"], windows=(1,), years=[2022])
    problem = first_problem(scraped, layers, _truth(seen_by_partner, layers), _population(seen_by_partner), "partner")
    assert problem is not None and "nominals" in problem, problem


def test_the_scan_finds_a_locality_ranking_on_true_counts_behind_suppressed_ones(seen_by_partner, monkeypatch):
    """The page swept with a partner's suppressed counts scored at their true values, the words
    shown unchanged: the stand-ins ("scored as") are then not their years as shown."""
    original = locality_view._stand_ins

    def ranked_on_true_counts(yearly, total, span, rule):
        _, texts, suppressed = original(yearly, total, span, rule)
        return total, texts, suppressed

    _clear_page_caches()
    try:
        monkeypatch.setattr(locality_view, "_stand_ins", ranked_on_true_counts)
        page = next(entry for entry in common.PAGES if entry.script == "pages/locality.py")
        downloads = dashboard_scan.DownloadRecorder(monkeypatch)
        scraped = dashboard_scan.sweep_page("partner", page, seen_by_partner, downloads)
        layers = _layers(seen_by_partner, "partner")
        rules = _rules(layers, "partner")
        enumerated = locality_scan(seen_by_partner, "partner", windows=(1,))  # each year alone, as the page shows it
        scraped.extend(enumerated)
        assert "the stand-in depends on the true counts" in (_stand_in_leak(scraped, rules) or "")
    finally:
        _clear_page_caches()


def test_the_knowledge_reads_the_rules_as_published():
    police, health = disclosure.rule_named("police"), disclosure.rule_named("health")
    assert shown_interval("fewer than 5", police, 1) == (1, 4)
    assert shown_interval(12, police, 1) == (12, 12)
    assert shown_interval(3, police, 1) == (3, 3)  # a value the rule never shows is the count itself
    assert shown_interval(10, health, 1) == (8, 12)
    assert shown_interval(15, health, 1) == (13, 17)
    assert shown_interval(12, health, 1) == (12, 12)
    assert shown_interval("fewer than 8 in a year", health, 2) == (1, math.inf)
    assert shown_interval(0, health, 1) == (0, 0)
    assert shown_interval(45, health, 2) == (41, 49)  # a window: the sum of two rounded years


def test_the_knowledge_combines_windows_years_and_changes():
    police = disclosure.rule_named("police")
    knowledge = Knowledge({"v": police}, {("W", 2021): 1000.0, ("W", 2022): 1000.0})
    knowledge.learn([Shown("v", "W", (2021, 2022), "count", 9, "a two-year count"),
                     Shown("v", "W", (2022,), "count", 6, "a one-year count")])
    assert "exactly 3" in knowledge.first_leak({("v", "W", 2021): 3, ("v", "W", 2022): 6})
    knowledge = Knowledge({"v": police}, {("W", 2021): 1000.0, ("W", 2022): 1000.0})
    knowledge.learn([Shown("v", "W", (2022,), "rate", 9.0, "a rate"),
                     Shown("v", "W", (2022,), "count_change", 6, "a change")])
    assert "exactly 3" in knowledge.first_leak({("v", "W", 2021): 3, ("v", "W", 2022): 9})
    knowledge = Knowledge({"v": police}, {})
    knowledge.learn([Shown("v", "W", (2021,), "count", "fewer than 5", "a"),
                     Shown("v", "W", (2022,), "count", "fewer than 5", "b"),
                     Shown("v", "W", (2021, 2022), "count", "fewer than 5", "c")])
    assert "1 to 3" in knowledge.first_leak({("v", "W", 2021): 1, ("v", "W", 2022): 2})


def test_the_scan_reads_counts_written_out_legend_ranges_ranks_and_scores():
    assert _text_leak(Scraped(texts=[("forecast (ambulance-knife)", "6 call-outs in 2021/22-2022/23")]))
    assert _text_leak(Scraped(texts=[("forecast (violence-with-injury)", "6 in 2021/22")])) is None
    assert _text_leak(Scraped(texts=[("map", "fewer than 5 in 2021/22, band 0")])) is None
    rules = {"violence-with-injury": disclosure.rule_named("police")}
    assert _legend_leak(Scraped(legends=[("map", "violence-with-injury", ["0", "1 to 9"])]), rules)
    assert _legend_leak(Scraped(legends=[("map", "violence-with-injury", ["0", "5 to 9", "fewer than 5"])]),
                        rules) is None
    scores = pd.DataFrame({"ward_name": ["A", "B", "C"], "Nominals": ["fewer than 5 (scored as 2.5)"] * 2 + ["7"],
                           "score": [0.25, 0.25, 1.0]})
    assert _score_leak(Scraped(scores=[("locality", scores)])) is None
    assert _score_leak(Scraped(scores=[("locality", scores.assign(score=[0.2, 0.3, 1.0]))]))
    ranks = pd.DataFrame({"ward_code": ["A", "B", "C"], "shown": [9.0, np.nan, np.nan], "rank": [1, 2, 3]})
    assert _rank_leak(Scraped(ranks=[("chart", "v", ranks)]))
    assert _rank_leak(Scraped(ranks=[("chart", "v", ranks.assign(rank=[1, 2, 2]))])) is None
