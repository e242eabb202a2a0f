"""The adversary on the rendered pages: as councillor and public, scrape every value the ward map
shows (map tooltips, legend, caption mean, ranking chart data, Values table, CSV) and the
forecast and profile tables, and try every derivation of a protected count (tests/leaks.py).

The demo store holds wards with police counts of 1-4 and ambulance counts of 1-7 (asserted, so
the scan cannot pass by having nothing to find). A second test switches suppression off and
shows the scan then finds a leak; a third that police still see true values.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
import streamlit as st
from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df
from streamlit.testing.v1 import AppTest

import leaks
from hotspots import aggregation, disclosure, geography, roles, views
from hotspots.disclosure import DisclosedSummary
from signed_in import page_alone

THURROCK = "E06000034"
CASES = [("violence-with-injury", "count"), ("violence-with-injury", "rate_per_1000"),
         ("violence-with-injury", "count_change"), ("ambulance-knife", "count"), ("ambulance-knife", "rate_per_1000")]
YEAR = 2022


def _map_features(at: AppTest) -> tuple[dict[str, str], list[str]]:
    """Tooltip value by ward code, and the legend's labels, from the map's HTML."""
    html = next(e.proto.srcdoc for e in at.main if getattr(e, "type", "") == "iframe" and "leaflet" in e.proto.srcdoc)
    by_ward = {}
    for match in re.finditer(r'"properties": (\{[^{}]*\})', html):
        props = json.loads(match.group(1))
        if "ward_code" in props and "value" in props:
            by_ward[props["ward_code"]] = props["value"]
    legend = re.findall(r"</span>([^<]*)</div>", html.replace("\\u003c", "<").replace("\\u003e", ">"))
    return by_ward, legend


def _number(text) -> float:
    if isinstance(text, (int, float, np.floating)) and not pd.isna(text):
        return float(text)
    match = re.fullmatch(r"[-+]?[\d,]+(?:\.\d+)?", str(text).strip().rstrip("%"))  # "+3": a change as text
    return float(match.group().replace(",", "")) if match else np.nan


def _scan_ward_map(role: str, layer: str, measure: str, dataset) -> str | None:
    """The first leak found on the ward map as ``role`` sees ``layer`` and ``measure``, or None."""
    state = {"layer": layer, "measure": measure, "year": YEAR}
    wards = geography.wards()
    true_all = wards[views.WARD_COLUMNS].merge(aggregation.measure_table(
        dataset, layer, wards["ward_code"].tolist(), last_year=YEAR), on="ward_code")
    true = true_all[true_all["lad_code"].eq(THURROCK)].reset_index(drop=True)
    rule = disclosure.rule_of_layer(aggregation.resolve_layer(layer))

    at = page_alone("ward_map.py", role, **state)
    tooltips, legend = _map_features(at)
    caption = next(c.value for c in at.caption if c.value.startswith("Mean across"))
    at.session_state["view"] = "Values"
    at.query_params["view"] = "Values"
    at.run()
    values = at.dataframe[0].value.set_index("ward_name")
    at.session_state["view"] = "Ranking"
    at.query_params["view"] = "Ranking"
    at.run()
    chart_proto = next(e.proto for e in at.main if getattr(e, "type", "") == "vega_lite_chart")
    frames = [convert_arrow_bytes_to_pandas_df(named.data.data) for named in chart_proto.datasets]
    chart_rows = next(frame for frame in frames if "ward_code" in frame)

    names = true["ward_name"]
    shown = pd.DataFrame({
        "ward_code": true["ward_code"],
        "count": names.map(values["count"]).map(_number),
        "count_text": names.map(values["count"]).astype(str),
        "population_10_24": names.map(values["population_10_24"]),
        "rate_per_1000": names.map(values["rate_per_1000"]).map(_number),  # text: words where blank
        "previous_count": np.nan, "previous_count_text": "",
        "previous_rate": np.nan,
        "count_change": names.map(values["count_change"]).map(_number),
        "rate_change": names.map(values["rate_change"]).map(_number),
    })
    mapped = true["ward_code"].map(tooltips).map(_number)  # the map's own values must agree with the table's
    if measure == "count":
        shown["count"] = shown["count"].fillna(mapped)
    leak = leaks.first_leak(true, shown, rule, legend_labels=legend if measure == "count" else [])
    if leak:
        return f"{role} {layer} {measure}: {leak}"
    # The map's tooltip and the caption's mean: numbers only where the table shows them.
    shown_measure = shown[measure].astype("float64")
    if measure != "count" and (mapped.notna() & shown_measure.isna()).any():
        return f"{role} {layer} {measure}: the map shows a value the table hides"
    mean = re.search(r"Mean across [^:]+: (-?[\d,.]+) \((mean of [^)]*(?:\))?)", caption)
    wards_in_mean = re.search(r"(\d+) wards?", mean.group(2))
    summary = DisclosedSummary(float(mean.group(1).replace(",", "")), int(wards_in_mean.group(1)) if
                               "all" not in mean.group(2) or wards_in_mean else len(true), 0, 0, mean.group(2))
    leak = leaks._summary_leak(true, shown.assign(**{measure: shown_measure.fillna(mapped)}), rule, "the caption mean",
                               summary, measure, true["ward_code"].tolist()) if measure in leaks.PROTECTED_BY else None
    if leak:
        return f"{role} {layer} {measure}: {leak}"
    # The ranking chart carries every ward of the region: its values and ranks.
    chart = true_all[["ward_code"]].merge(chart_rows[["ward_code", measure, "rank"]], on="ward_code", how="left")
    chart_shown = true_all.assign(**{column: np.nan for column in leaks.PROTECTED_BY}).assign(
        **{measure: chart[measure].to_numpy(), "count_text": "", "previous_count_text": "",
           "population_10_24": true_all["population_10_24"]})
    if measure == "count":
        chart_shown["count_text"] = chart[measure].map(lambda v: "" if pd.isna(v) else f"{v:g}")
    leak = leaks.first_leak(true_all, chart_shown, rule, ranks=[(measure, chart["rank"].astype("float64"))])
    if leak:
        return f"{role} {layer} {measure} ranking: {leak}"
    # The CSV the download button serves: the view's download table.
    download = views.ward_map_view(dataset, layer, roles.role(role), wards, [THURROCK], measure=measure,
                                   last_year=YEAR).download
    csv = pd.read_csv(pd.io.common.BytesIO(download.to_csv(index=False).encode()))
    csv_shown = csv.assign(count=csv["count"], count_text=csv["count_text"].astype(str),
                           previous_count_text=csv["previous_count_text"].astype(str))
    leak = leaks.first_leak(true, csv_shown, rule)
    return f"{role} {layer} {measure} CSV: {leak}" if leak else None


def _protected_wards(dataset, layer: str) -> int:
    wards = geography.wards(THURROCK)
    true = aggregation.measure_table(dataset, layer, wards["ward_code"].tolist(), last_year=YEAR)
    rule = disclosure.rule_of_layer(aggregation.resolve_layer(layer))
    return int(leaks.protected_counts(true["count"], rule).notna().sum())


def test_the_fixture_has_small_counts_to_protect(dataset):
    assert _protected_wards(dataset, "violence-with-injury") >= 1  # police counts 1-4
    assert _protected_wards(dataset, "ambulance-knife") >= 1  # ambulance counts 1-7, or rounded


@pytest.mark.parametrize("role", ["councillor", "public"])
def test_no_page_value_gives_a_protected_count_back(dataset, role):
    st.cache_data.clear()
    for layer, measure in CASES:
        assert _scan_ward_map(role, layer, measure, dataset) is None
    profile = page_alone("ward_profile.py", role, ward=_a_suppressed_ward(dataset, "violence-with-injury"),
                    profile_year=YEAR)
    ranks = profile.dataframe[0].value
    assert set(ranks["label"]) <= {layer.label for layer in views.layers_for(dataset, roles.role(role)).values()}
    assert "fewer than 5" in ranks["count"].tolist()
    forecast = page_alone("forecast.py", role)
    table = forecast.dataframe[0].value
    assert not table["prior_two_year_count"].map(_number).between(1, 7).any()
    assert not table["explanation"].str.contains(r"^[1-7] in ", regex=True).any()


def test_the_scan_finds_leaks_when_suppression_is_switched_off(dataset, monkeypatch):
    st.cache_data.clear()
    monkeypatch.setattr(disclosure, "rule_for", lambda layer, role: disclosure.TRUE_VALUES)
    try:
        assert _scan_ward_map("councillor", "violence-with-injury", "count", dataset) is not None
        assert _scan_ward_map("public", "ambulance-knife", "rate_per_1000", dataset) is not None
    finally:
        st.cache_data.clear()


def test_police_still_see_true_values(dataset):
    st.cache_data.clear()
    at = page_alone("ward_map.py", "police", layer="violence-with-injury", measure="count", year=YEAR)
    tooltips, _ = _map_features(at)
    wards = geography.wards(THURROCK)
    true = aggregation.measure_table(dataset, "violence-with-injury", wards["ward_code"].tolist(), last_year=YEAR)
    assert true.set_index("ward_code")["count"].astype(float).to_dict() == {
        code: _number(value) for code, value in tooltips.items()}
    assert "fewer than" not in json.dumps(tooltips)


def _a_suppressed_ward(dataset, layer: str) -> str:
    wards = geography.wards(THURROCK)
    true = aggregation.measure_table(dataset, layer, wards["ward_code"].tolist(), last_year=YEAR)
    return true.loc[true["count"].between(1, 4), "ward_code"].iloc[0]
