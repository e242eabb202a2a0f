"""Scrape what a role is shown: every page of its navigation rendered in AppTest (text, map HTML,
chart data, tables, the bytes each download button hands over), and the same display tables
enumerated through the views the pages call, as ``leak_knowledge.Shown`` values.

A page in a role's navigation needs an entry in ``SWEEPS`` (what to vary on it, and how to read
it); ``sweep_pages`` refuses a page without one, so a new page is scanned once it is listed.
"""

from __future__ import annotations

import base64
import io
import json
import re
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df
from streamlit.runtime import memory_media_file_storage
from streamlit.testing.v1 import AppTest

from hotspots import aggregation, decision_record, geography, locality_view, roles, settings, views
from hotspots.disclosure import DisclosedSummary
from leak_knowledge import Shown
from signed_in import dashboard
from ui import common

#: Measure table columns and what each shows: (kind, which window: "now" or "before").
COLUMNS = {"count_text": ("count", "now"), "count": ("count", "now"), "rate_per_1000": ("rate", "now"),
           "previous_count_text": ("count", "before"), "previous_count": ("count", "before"),
           "previous_rate": ("rate", "before"), "count_change": ("count_change", "now"),
           "rate_change": ("rate_change", "now")}
WINDOW_WORDS = {"One year": 1, "Two years": 2, "Three years": 3}
#: A small number where a count is written in words ("3 call-outs", "2 in 2021/22").
COUNT_IN_WORDS = re.compile(r"(?<![\d.,/-])(\d+) (?:call-outs?|offences?|crimes?|incidents?|events?|nominals?|"
                            r"injuries|victims?|in \d{4}/\d{2})\b")
EXPLANATION = re.compile(r"^(?P<count>fewer than \d+(?: in a year)?|[\d,]+|no data)(?: [a-z-]+)? in "
                         r"(?P<first>\d{4})/\d{2}(?:-(?P<last>\d{4})/\d{2})?, band (?P<band>[^:]+):")


@dataclass
class Scraped:
    """Everything read from what was shown: values, texts, legends, ranks and summaries to check."""

    shown: list[Shown] = field(default_factory=list)
    texts: list[tuple[str, str]] = field(default_factory=list)  # (source, text)
    legends: list[tuple[str, str, list[str]]] = field(default_factory=list)  # (source, layer, labels)
    ranks: list[tuple[str, str, pd.DataFrame]] = field(default_factory=list)  # (source, layer, ward_code/shown/rank)
    means: list[tuple[str, DisclosedSummary, pd.Series]] = field(default_factory=list)  # (source, mean, values)
    band_tables: list[tuple[str, pd.DataFrame]] = field(default_factory=list)
    runs: list[tuple[str, dict]] = field(default_factory=list)  # (page, context) of every AppTest run
    scores: list[tuple[str, pd.DataFrame]] = field(default_factory=list)  # (source, ward_name/values/score)

    def extend(self, other: Scraped) -> None:
        for name in ("shown", "texts", "legends", "ranks", "means", "band_tables", "runs", "scores"):
            getattr(self, name).extend(getattr(other, name))


def shown_from_table(frame: pd.DataFrame, layer: str, years: tuple[int, ...], source: str,
                     codes: pd.Series | None = None) -> list[Shown]:
    """The values of a measure table (its ``ward_code`` or ``codes``, and any of ``COLUMNS``)."""
    codes = frame["ward_code"] if codes is None else codes
    before = tuple(year - len(years) for year in years)
    out = []
    for column, (kind, window) in COLUMNS.items():
        if column not in frame:
            continue
        for code, value in zip(codes.tolist(), frame[column].tolist()):
            if kind != "count" and isinstance(value, str):  # a measure as text: its number, or words saying why not
                value = _number_or_text(value)
                if isinstance(value, str):
                    continue
            if isinstance(code, str) and not _blank(value):
                out.append(Shown(layer, code, years if window == "now" else before, kind, _plain(value),
                                 f"{source}, column {column}"))
    return out


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA


def _plain(value: object) -> object:
    if isinstance(value, (np.integer, np.floating)):
        return float(value)
    return value


# ---- AppTest: the pages -------------------------------------------------------------------------

class DownloadRecorder:
    """The bytes Streamlit's media file manager stores for each download button, by file id."""

    def __init__(self, monkeypatch) -> None:
        self.files: dict[str, bytes] = {}
        original = memory_media_file_storage.MemoryMediaFileStorage.load_and_get_id

        def load_and_get_id(storage, path_or_data, mimetype, kind, filename=None):
            file_id = original(storage, path_or_data, mimetype, kind, filename)
            self.files[file_id] = storage.get_file(file_id).content
            return file_id

        monkeypatch.setattr(memory_media_file_storage.MemoryMediaFileStorage, "load_and_get_id", load_and_get_id)

    def data(self, button) -> bytes:
        url = button.proto.url
        file_id = url.rsplit("/", 1)[-1].split(".")[0]
        if file_id not in self.files:
            raise AssertionError(f"the download button {button.label!r} hands over {url!r}, which was never stored")
        return self.files[file_id]


def element_texts(at: AppTest) -> list[str]:
    """Every string an element of the run shows: bodies, labels, captions, metrics, help."""
    texts = []
    for element in [*at.main, *at.sidebar]:
        for name in ("value", "label", "body", "help", "caption"):
            value = getattr(element, name, None) if name != "value" or not hasattr(element, "options") else None
            if isinstance(value, str) and value:
                texts.append(value)
        if getattr(element, "type", "") == "iframe":
            texts.append(element.proto.srcdoc)
        if getattr(element, "type", "") == "bidi_component":  # a custom component's data (the ward picker's names)
            texts.append(element.proto.json)
    return texts


def frames(at: AppTest) -> list[pd.DataFrame]:
    return [frame.value for frame in at.dataframe]


def chart_frames(at: AppTest) -> list[pd.DataFrame]:
    out = []
    for element in at.main:
        if getattr(element, "type", "") == "vega_lite_chart":
            out += [convert_arrow_bytes_to_pandas_df(named.data.data) for named in element.proto.datasets]
            spec = json.loads(element.proto.spec)
            for layer in [spec, *spec.get("layer", [])]:
                values = layer.get("data", {}).get("values") if isinstance(layer.get("data"), dict) else None
                if values:
                    out.append(pd.DataFrame(values))
    return out


def map_html(at: AppTest) -> list[str]:
    return [e.proto.srcdoc for e in at.main if getattr(e, "type", "") == "iframe" and "leaflet" in e.proto.srcdoc]


def map_tooltips(html: str) -> dict[str, dict]:
    """Each ward's feature properties (tooltip and popup values) from a folium map's HTML."""
    by_ward = {}
    for match in re.finditer(r'"properties": (\{[^{}]*\})', html):
        properties = json.loads(match.group(1))
        if "ward_code" in properties:
            by_ward[properties["ward_code"]] = properties
    return by_ward


def map_legend(html: str) -> list[str]:
    return re.findall(r"</span>([^<]*)</div>", html.replace("\\u003c", "<").replace("\\u003e", ">"))


def _tooltip_text(value: str) -> str:
    return value.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").strip()


def read_run(at: AppTest, downloads: DownloadRecorder, source: str, layer: str, years: tuple[int, ...],
             measure: str | None) -> Scraped:
    """What one run of a page showing ``layer`` over ``years`` (``measure`` on its map) shows."""
    assert not at.exception, f"{source}: {at.exception}"
    out = Scraped()
    out.texts += [(source, text) for text in element_texts(at)]
    for index, frame in enumerate(chart_frames(at)):
        where = f"{source}, chart data {index}"
        out.texts += [(where, str(v)) for v in frame.select_dtypes(include=["object", "string"]).to_numpy().ravel()]
        if "ward_code" in frame:
            out.shown += shown_from_table(frame, layer, years, where)
            if "rank" in frame and measure in frame:
                out.ranks.append((where, layer, frame[["ward_code", measure, "rank"]].rename(columns={measure: "shown"})))
    for button in at.get("download_button"):
        data = downloads.data(button)
        where = f"{source}, download {button.label!r}"
        out.texts.append((where, data.decode("utf-8", errors="replace")))
        table = pd.read_csv(io.BytesIO(data))
        if "ward_code" in table:
            out.shown += shown_from_table(table, layer, years, where)
    for html in map_html(at):
        if measure is not None:
            kind = {"count": "count", "rate_per_1000": "rate", "count_change": "count_change",
                    "rate_change": "rate_change"}[measure]
            for code, properties in map_tooltips(html).items():
                value = _tooltip_text(properties.get("value", ""))
                value = value if kind == "count" else _number_or_text(value)
                if value and value != "no data" and (kind == "count" or not isinstance(value, str)):
                    out.shown.append(Shown(layer, code, years, kind, value, f"{source}, map tooltip"))
            if measure == "count":
                out.legends.append((f"{source}, map legend", layer, map_legend(html)))
    return out


def _number_or_text(text: str) -> object:
    try:
        return float(text.replace(",", "").rstrip("%"))
    except ValueError:
        return text


# ---- the sweeps of each page --------------------------------------------------------------------

@dataclass
class PageSweep:
    """How to vary one page's widgets (``runs``: each run's widget settings) and read each run;
    ``thinned``: whether a sweep of every n-th run may skip some (not where each run reads its own layer)."""

    script: str
    runs: Callable[[AppTest, object], Iterator[dict]]
    read: Callable[[AppTest, DownloadRecorder, dict, object], Scraped]
    thinned: bool = True


def _ward_map_runs(at: AppTest, dataset) -> Iterator[dict]:
    layer_keys = _layer_options(at, dataset)
    measures = list(aggregation.MEASURES)
    windows = [WINDOW_WORDS[label] for label in at.sidebar.radio(key="window").options]
    schemes = ["quantiles", "natural_breaks", "equal_interval", "fixed"]
    areas = [["Thurrock"], [], ["Basildon", "Thurrock"], ["Southend-on-Sea"]]
    combo = 0
    for i, layer in enumerate(layer_keys):
        for j, measure in enumerate(measures):
            window = windows[(i + j) % len(windows)]
            years = aggregation.covered_years(dataset, layer)
            first = years[min(2 * window - 1, len(years) - 1)] if "change" in measure else years[window - 1]
            choices = [y for y in years if y >= first]
            yield {"layer": layer, "measure": measure, "window": window, "year": choices[-1 - (combo % 3)],
                   "scheme": schemes[combo % len(schemes)], "area": areas[combo % len(areas)]}
            combo += 1


def _layer_options(at: AppTest, dataset) -> list[str]:
    """The layer keys the Layer box offers (AppTest holds the labels it shows)."""
    by_label = {layer.label: key for key, layer in aggregation.available_layers(dataset, restricted=True).items()}
    return [by_label[label] for label in at.sidebar.selectbox(key="layer").options]


def _set_ward_map(at: AppTest, run: dict) -> None:
    at.multiselect(key="area").set_value(run["area"])
    at.selectbox(key="layer").set_value(run["layer"])
    at.radio(key="measure").set_value(run["measure"])
    at.radio(key="window").set_value(run["window"])
    at.run()
    at.select_slider(key="year").set_value(run["year"])
    at.selectbox(key="scheme").set_value(run["scheme"])


def _read_ward_map(at: AppTest, downloads: DownloadRecorder, run: dict, dataset) -> Scraped:
    out = Scraped()
    years = tuple(range(run["year"] - run["window"] + 1, run["year"] + 1))
    for tab in ("Map", "Ranking", "Values"):
        _set_ward_map(at, run)
        at.session_state["view"] = tab
        at.query_params["view"] = tab
        at.run()
        source = (f"ward map {tab} ({run['layer']}, {run['measure']}, {_years_text(years)}, "
                  f"{'+'.join(run['area']) or 'Greater Essex'}, {run['scheme']})")
        page = read_run(at, downloads, source, run["layer"], years, run["measure"] if tab == "Map" else None)
        if tab == "Values":
            names = geography.wards()[["ward_code", "ward_name", "lad_name"]]
            for frame in frames(at):
                codes = frame[["ward_name", "lad_name"]].merge(names, on=["ward_name", "lad_name"], how="left")
                page.shown += shown_from_table(frame, run["layer"], years, f"{source}, table",
                                               codes=codes["ward_code"])
        out.extend(page)
        out.runs.append(("pages/ward_map.py", {**run, "tab": tab}))
    return out


def _forecast_runs(at: AppTest, dataset) -> Iterator[dict]:
    for index, layer in enumerate(_layer_options(at, dataset)):
        yield {"layer": layer, "partial_years": index == 0}


def _read_forecast(at: AppTest, downloads: DownloadRecorder, run: dict, dataset) -> Scraped:
    at.selectbox(key="layer").set_value(run["layer"])
    at.checkbox(key="partial_years").set_value(run["partial_years"])
    at.run()
    source = f"forecast ({run['layer']}{', part years' if run['partial_years'] else ''})"
    out = read_run(at, downloads, source, run["layer"], (), None)
    for html in map_html(at):
        for code, properties in map_tooltips(html).items():
            out.shown += explanation_shown(_tooltip_text(properties.get("details", "")), run["layer"], code,
                                           f"{source}, map tooltip")
    names = geography.wards()[["ward_code", "ward_name"]].drop_duplicates("ward_name")
    for frame in frames(at):
        if "explanation" in frame:
            codes = frame[["ward_name"]].merge(names, on="ward_name", how="left")["ward_code"]
            for code, text in zip(codes, frame["explanation"]):
                out.shown += explanation_shown(str(text), run["layer"], code, f"{source}, table")
        if "ward_years" in frame:
            out.band_tables.append((source, frame))
    out.runs.append(("pages/forecast.py", run))
    return out


def explanation_shown(text: str, layer: str, code: str, source: str) -> list[Shown]:
    """The prior two-year count and its band from a forecast explanation ("fewer than 5 in 2021/22-2022/23,
    band 1-4: ...")."""
    match = EXPLANATION.match(text)
    if not match or not isinstance(code, str):
        return []
    first = int(match["first"])
    last = int(match["last"] or first)
    years = tuple(range(first, last + 1))
    return [Shown(layer, code, years, "count", match["count"], f"{source}, explanation"),
            Shown(layer, code, years, "band", match["band"].strip(), f"{source}, explanation's band")]


def _profile_runs(at: AppTest, dataset) -> Iterator[dict]:
    layers = _profile_layers(dataset, _role_of(at))
    wards = geography.wards("thurrock")["ward_code"].tolist()
    small = [code for code in wards
             if aggregation.layer_counts(dataset, layers[0], [code], [2023])["count"].between(1, 4).any()]
    for index, ward in enumerate((small + wards)[:3]):
        yield {"ward": ward, "trend_measure": ["count", "rate_per_1000"][index % 2],
               "profile_year": [2023, 2021, 2019][index]}


def _profile_layers(dataset, role) -> list[str]:
    """The layers the profile describes for ``role`` (a partner's include the restricted ones, as suppressed counts)."""
    return list(views.layers_for(dataset, role))


def _role_of(at: AppTest):
    return roles.role(at.session_state["account"].role)


def _read_profile(at: AppTest, downloads: DownloadRecorder, run: dict, dataset) -> Scraped:
    at.selectbox(key="ward").set_value(run["ward"])
    at.run()
    at.select_slider(key="profile_year").set_value(run["profile_year"])
    at.radio(key="trend_measure").set_value(run["trend_measure"])
    at.run()
    source = f"ward profile ({run['ward']}, {run['profile_year']}, trend of {run['trend_measure']})"
    out = read_run(at, downloads, source, "", (), None)
    by_label = {aggregation.resolve_layer(key).label: key for key in _profile_layers(dataset, _role_of(at))}
    for index, frame in enumerate(chart_frames(at)):
        if {"label", "month", "financial_year"} <= set(frame.columns):
            out.shown += _monthly_shown(frame, by_label, run["ward"], f"{source}, monthly trend chart data")
        elif {"label", "financial_year"} <= set(frame.columns):
            for row in frame.to_dict("records"):
                layer = by_label[row["label"]]
                years = (int(row["financial_year"]),)
                where = f"{source}, trend chart data"
                for column in ("count_text", "count", "rate_per_1000"):
                    if column in row and not _blank(row[column]):
                        kind = "rate" if column == "rate_per_1000" else "count"
                        out.shown.append(Shown(layer, run["ward"], years, kind, _plain(row[column]),
                                               f"{where}, {column}"))
    for frame in frames(at):
        if "label" in frame and "count" in frame:
            for row in frame.to_dict("records"):
                layer = by_label[row["label"]]
                years = (run["profile_year"],)
                out.shown.append(Shown(layer, run["ward"], years, "count", row["count"], f"{source}, ranks table"))
                if not _blank(row.get("rate_per_1000")):
                    out.shown.append(Shown(layer, run["ward"], years, "rate", float(row["rate_per_1000"]),
                                           f"{source}, ranks table"))
    out.runs.append(("pages/ward_profile.py", run))
    return out


#: A ward summary's count sentence: "<ward> had <count> <what> in <period>" (or "in at least one
#: year of <period>"), and what it says of the window before: "; up from 20", "; fewer than 5 in at
#: least one year of <period>".
SUMMARY_COUNT = re.compile(r" had (?:(?P<no>no)|about (?P<about>[\d,]+)|(?P<words>fewer than \d+)|(?P<number>[\d,]+)) "
                           r".*? in (?P<some>at least one year of )?(?P<first>\d{4})/\d{2}(?:-(?P<last>\d{4})/\d{2})?")
#: A count a ward summary's trend picture writes: its group ``trend-<layer>-<year>`` and the text.
TREND_COUNT = re.compile(r'<g id="trend-([^"]+)">\s*<text[^>]*>([^<]+)</text>')
SUMMARY_BEFORE = re.compile(r"; (?:(?:up|down) from (?:about )?(?P<number>[\d,]+)|(?P<words>fewer than \d+) in at least "
                            r"one year of (?P<first>\d{4})/\d{2}(?:-(?P<last>\d{4})/\d{2})?)")


def _summary_runs(at: AppTest, dataset) -> Iterator[dict]:
    """Thurrock's wards with a small count in the last two years of a layer first, then one ward of
    each other local authority."""
    layer = next(iter(aggregation.available_layers(dataset)))
    wards = geography.wards()
    thurrock = wards[wards["lad_name"].eq("Thurrock")]["ward_code"].tolist()
    last = aggregation.covered_years(dataset, layer)[-1]
    small = [code for code in thurrock
             if aggregation.layer_counts(dataset, layer, [code], [last - 1, last])["count"].between(1, 4).any()]
    others = wards[~wards["lad_name"].eq("Thurrock")].groupby("lad_code")["ward_code"].first().tolist()
    for ward in small[:4] + others[:3]:
        yield {"ward": ward}


def _read_summary(at: AppTest, downloads: DownloadRecorder, run: dict, dataset) -> Scraped:
    """The page's texts, charts and downloads, and, per layer, the counts its sentences and trend
    give: the sentence and each trend point must be on the page as the view wrote them."""
    from shown_text import shown as displayed

    from hotspots import roles, ward_summary_charts, ward_summary_view

    lad = geography.wards().set_index("ward_code").loc[run["ward"], "lad_code"]
    if at.selectbox(key="summary_lad").value != lad:
        at.selectbox(key="summary_lad").set_value(lad).run()
    at.selectbox(key="summary_ward").set_value(run["ward"]).run()
    source = f"your ward ({run['ward']})"
    out = read_run(at, downloads, source, "", (), None)
    page_text = "\n".join(displayed(text) for _, text in out.texts)
    role = roles.role(at.session_state["account"].role)
    view = ward_summary_view.ward_summary_view(ward_summary_view.summary_data(dataset, role, geography.wards()),
                                               run["ward"])
    assert view.layers, f"{source}: no layer described"
    pictures = [base64.b64decode(match["svg"]).decode() for e in at.main if getattr(e, "type", "") == "html"
                for match in ward_summary_charts.IMAGE.finditer(e.value)]
    written = dict(TREND_COUNT.findall("".join(pictures)))
    for section in view.layers:
        where = f"{source}, {section.key}"
        assert section.sentence in page_text, f"{where}: the sentence {section.sentence!r} is not on the page"
        drawn = {year: text for (key, year), text in ((name.rsplit("-", 1), text) for name, text in written.items())
                 if key == section.key}
        expected = {str(row["financial_year"]): row["count_text"] for row in section.trend.to_dict("records")
                    if pd.notna(row["count"]) and not row["suppressed"]}
        assert drawn == expected, f"{where}: the trend picture writes {drawn}, the view {expected}"
    out.shown += summary_shown(view, source)
    out.runs.append(("pages/ward_summary.py", run))
    return out


def summary_shown(view, source: str) -> list[Shown]:
    """The counts a ward summary view gives, per layer: its count sentence's (this period and the
    one before), its forecast sentence's prior two-year count and band, and each trend point."""
    facts = []
    for section in view.layers:
        where = f"{source}, {section.key}"
        facts += _summary_sentence_shown(section.sentence, section.key, view.ward_code, f"{where}, sentence")
        facts += _forecast_sentence_shown(section.forecast_sentence, section.key, view.ward_code,
                                          f"{where}, forecast sentence")
        for row in section.trend.to_dict("records"):
            if not _blank(row["count_text"]):
                facts.append(Shown(section.key, view.ward_code, (int(row["financial_year"]),), "count",
                                   _plain(row["count_text"]), f"{where}, trend"))
    return facts


def _forecast_sentence_shown(sentence: str, layer: str, ward: str, source: str) -> list[Shown]:
    """The "Why: ..." of a forecast sentence, read as the forecast's explanation it was written from."""
    _, why, explanation = sentence.partition(" Why: ")
    if not why:
        return []
    return explanation_shown(explanation.replace(" in at least one year of ", " in a year in "), layer, ward, source)


def _summary_sentence_shown(sentence: str, layer: str, ward: str, source: str) -> list[Shown]:
    match = SUMMARY_COUNT.search(sentence)
    if not match:
        return []
    first, last = int(match["first"]), int(match["last"] or match["first"])
    years = tuple(range(first, last + 1))
    if match["no"]:
        value: object = 0
    elif match["words"]:
        value = match["words"] + (" in a year" if match["some"] else "")
    else:
        value = (match["about"] or match["number"]).replace(",", "")
    facts = [Shown(layer, ward, years, "count", value, source)]
    before = SUMMARY_BEFORE.search(sentence, match.end())
    if before:
        previous = tuple(year - len(years) for year in years)
        value = (before["words"] + " in a year") if before["words"] else before["number"].replace(",", "")
        facts.append(Shown(layer, ward, previous, "count", value, f"{source} (the period before)"))
    return facts


def _monthly_shown(frame: pd.DataFrame, by_label: dict[str, str], ward: str, source: str) -> list[Shown]:
    """A year whose every month is shown as a number gives the year's count (their sum); a year with
    a hidden month gives nothing the yearly figures do not."""
    facts = []
    for (label, year), months in frame.groupby(["label", "financial_year"]):
        numbers = pd.to_numeric(months["count_text"].astype("string").str.replace(",", ""), errors="coerce")
        if len(months) and numbers.notna().all():
            facts.append(Shown(by_label[label], ward, (int(year),), "count", float(numbers.sum()), source))
    return facts


#: A locality measure's value as shown: "12", "fewer than 5 (scored as 2.5)", "fewer than 5 in a year (scored as 7.5)".
LOCALITY_VALUE = re.compile(r"^(?P<shown>.*?)(?: \(scored as (?P<scored>[\d.]+)\))?$")


def _locality_runs(at: AppTest, dataset) -> Iterator[dict]:
    """The default measures over two years, every measure over one year, then each restricted
    measure alone (where a ranking on suppressed counts alone could order them), each period and
    normalisation in turn, with wards holding small counts side by side; two runs record a decision."""
    offered = list(locality_view.measures_offered(dataset, _role_of(at)))
    restricted = [key for key in offered if key != locality_view.FORECAST and aggregation.resolve_layer(key).restricted]
    years = aggregation.data_years(dataset)
    normalisations = at.sidebar.radio(key="normalisation").options
    areas = [["Thurrock"], ["Basildon", "Thurrock"], ["Southend-on-Sea"], ["Thurrock"], ["Castle Point"]]
    yield {"area": ["Thurrock"], "window": 2, "year": years[-1], "normalisation": normalisations[0],
           "measures": list(at.multiselect(key="measures").value), "record": True}
    yield {"area": ["Basildon", "Thurrock"], "window": 1, "year": years[-2], "normalisation": normalisations[1],
           "measures": list(offered), "record": False}
    for index, key in enumerate(restricted):
        yield {"area": areas[index % len(areas)], "window": 1 + index % 2, "year": years[-1 - index % 4],
               "normalisation": normalisations[index % len(normalisations)], "measures": [key],
               "record": index == 0}


def _read_locality(at: AppTest, downloads: DownloadRecorder, run: dict, dataset) -> Scraped:
    """Everything the Locality wards page shows for ``run``: the ranking's values and scores, the
    contributions chart, the side-by-side table and trends, texts, and the decision record's CSV
    (read back) and PDF (its text, which must be the CSV's record printed)."""
    role = _role_of(at)
    lad_codes = sorted(code for code, name in geography.LOCAL_AUTHORITIES.items() if name in run["area"])
    span = tuple(range(run["year"] - run["window"] + 1, run["year"] + 1))
    _set_locality(at, run, _small_count_wards(dataset, run["measures"][0], lad_codes, span))
    assert not at.exception and not at.error, f"locality {run}: {at.exception or [e.value for e in at.error]}"
    source = (f"locality ({'+'.join(run['area'])}, {_years_text(span)}, {run['normalisation']}, "
              f"{'+'.join(run['measures'])})")
    offered = locality_view.measures_offered(dataset, role)
    keys = {label: key for key, label in offered.items() if key != locality_view.FORECAST}  # the counts
    codes = {name: code for code, name in _locality_names(lad_codes).items()}
    out = Scraped(texts=[(source, text) for text in element_texts(at)])
    for frame in frames(at):
        if {"rank", "ward_name", "score"} <= set(frame.columns):
            measured = [label for label in frame.columns if label in offered.values()]
            for label in [label for label in measured if label in keys]:
                out.shown += _locality_values(frame[label], keys[label], frame["ward_name"].map(codes), span,
                                              f"{source}, ranking table")
            out.scores.append((f"{source}, ranking table", frame[["ward_name", *measured, "score"]]))
        elif "Measure" in frame:
            for row in frame.to_dict("records"):
                if row["Measure"] in keys:
                    for name in [c for c in frame.columns if c != "Measure"]:
                        out.shown += _locality_values(pd.Series([row[name]]), keys[row["Measure"]],
                                                      pd.Series([codes[name]]), span, f"{source}, side by side")
        out.texts += [(source, str(v)) for v in frame.select_dtypes(include=["object", "string"]).to_numpy().ravel()]
    for title, datasets in locality_charts(at):
        for frame in datasets:
            out.texts += [(f"{source}, chart data", str(v))
                          for v in frame.select_dtypes(include=["object", "string"]).to_numpy().ravel()]
            if {"ward_name", "measure", "value"} <= set(frame.columns):
                frame = frame[frame["measure"].isin(list(keys))]
                for label, rows in frame.groupby("measure"):
                    out.shown += _locality_values(rows["value"], keys[label], rows["ward_name"].map(codes), span,
                                                  f"{source}, contributions chart data")
            elif {"label", "financial_year", "count_text"} <= set(frame.columns) and title in keys:
                for row in frame.to_dict("records"):
                    out.shown += _locality_values(pd.Series([row["count_text"]]), keys[title],
                                                  pd.Series([codes[row["label"]]]), (int(row["financial_year"]),),
                                                  f"{source}, trend of {title}")
    out.extend(_read_decision_downloads(at, downloads, source))
    out.runs.append(("pages/locality.py", run))
    return out


def _set_locality(at: AppTest, run: dict, compared: list[str]) -> None:
    at.multiselect(key="area").set_value(run["area"])
    at.radio(key="locality_window").set_value(run["window"])
    at.run()
    at.select_slider(key="locality_year").set_value(run["year"])
    at.radio(key="normalisation").set_value(run["normalisation"])
    at.multiselect(key="measures").set_value(run["measures"])
    at.run()
    for index, key in enumerate(run["measures"]):  # unequal weights: each measure's part in the score differs
        at.number_input(key=f"weight_{key}").set_value(float(index + 1))
    at.multiselect(key="compared").set_value(compared)
    at.run()
    if run["record"]:
        at.text_area(key="rationale").input(f"Swept by the leak scan: {', '.join(run['measures'])}.")
        next(button for button in at.button if button.label == "Record this decision").click().run()


def _small_count_wards(dataset, key: str, lad_codes: list[str], span: tuple[int, ...]) -> list[str]:
    """Up to ``settings.LOCALITY_MAX_COMPARED`` wards of ``lad_codes`` with a count of 1-4 of ``key``
    in a year of ``span`` (the first wards where there are fewer), to set side by side."""
    wards = geography.wards(lad_codes)["ward_code"].tolist()
    yearly = aggregation.layer_counts(dataset, key, wards, list(span))
    small = yearly[yearly["count"].between(1, 4)]["ward_code"].unique().tolist()
    return (small + [code for code in wards if code not in small])[:settings.LOCALITY_MAX_COMPARED]


def _locality_names(lad_codes: list[str]) -> dict[str, str]:
    """Ward code -> the name the page gives it: with its district where two chosen wards share a name."""
    chosen = geography.wards(lad_codes)
    shared = chosen["ward_name"].duplicated(keep=False)
    return dict(zip(chosen["ward_code"], chosen["ward_name"].where(~shared, chosen["ward_name"] + " ("
                                                                    + chosen["lad_name"] + ")")))


def _locality_values(texts: pd.Series, key: str, codes: pd.Series, years: tuple[int, ...], source: str) -> list[Shown]:
    """A measure's values as shown (a count over ``years``), and each suppressed one's stand-in (kind
    ``stand_in``: what it was scored as)."""
    out = []
    for text, code in zip(texts.tolist(), codes.tolist()):
        match = LOCALITY_VALUE.match(str(text))
        if not isinstance(code, str) or _blank(text) or match["shown"] == "hidden":
            continue
        out.append(Shown(key, code, years, "count", match["shown"], source))
        if match["scored"]:
            out.append(Shown(key, code, years, "stand_in", float(match["scored"]), f"{source} (scored as)"))
    return out


def locality_charts(at: AppTest) -> list[tuple[str | None, list[pd.DataFrame]]]:
    """Each chart of the run: the title of its y axis (a trend's measure) and its data."""
    out = []
    for element in at.main:
        if getattr(element, "type", "") == "vega_lite_chart":
            spec = json.loads(element.proto.spec)
            titles = [layer.get("encoding", {}).get("y", {}).get("title") for layer in [spec, *spec.get("layer", [])]]
            out.append((next((t for t in titles if t), None),
                        [convert_arrow_bytes_to_pandas_df(named.data.data) for named in element.proto.datasets]))
    return out


def _read_decision_downloads(at: AppTest, downloads: DownloadRecorder, source: str) -> Scraped:
    """The decision record offered for download: the CSV's ranking values, and the PDF's text,
    checked to be that CSV's record printed (so it shows nothing the CSV does not)."""
    out = Scraped()
    files = {button.label: downloads.data(button) for button in at.get("download_button")}
    if not files:
        return out
    record = decision_record.record_from_csv(files["Decision record (CSV)"])
    where = f"{source}, download of decision record {record.decision_id}"
    out.texts.append((where, files["Decision record (CSV)"].decode("utf-8")))
    for key in record.measures["measure"]:
        if key != locality_view.FORECAST:
            out.shown += _locality_values(record.ranking[f"{key} value"], key, record.ranking["ward_code"],
                                          _record_years(record), f"{where}, CSV")

    def pdf_text(data: bytes) -> str:
        with tempfile.NamedTemporaryFile(suffix=".pdf") as pdf:
            pdf.write(data)
            pdf.flush()
            return subprocess.run(["pdftotext", "-layout", pdf.name, "-"], check=True, capture_output=True,
                                  text=True).stdout

    printed = pdf_text(files["Decision record (PDF)"])
    assert printed == pdf_text(decision_record.record_to_pdf(record)), f"{where}: the PDF is not the CSV's record"
    out.texts.append((f"{where}, PDF", printed))
    return out


def _record_years(record) -> tuple[int, ...]:
    """The years a saved record's values are over: its period ("2022/23" or "2021/22-2022/23")."""
    first, _, last = record.period.partition("-")
    return tuple(range(int(first[:4]), int((last or first)[:4]) + 1))


SWEEPS = {sweep.script: sweep for sweep in [
    PageSweep("pages/ward_map.py", _ward_map_runs, _read_ward_map),
    PageSweep("pages/forecast.py", _forecast_runs, _read_forecast),
    PageSweep("pages/ward_profile.py", lambda at, dataset: _profile_runs(at, dataset), _read_profile),
    PageSweep("pages/ward_summary.py", _summary_runs, _read_summary),
    PageSweep("pages/locality.py", _locality_runs, _read_locality, thinned=False),
]}


def sweep_pages(role: str, dataset, downloads: DownloadRecorder, *, every: int = 1) -> Scraped:
    """Every page of ``role``'s navigation, each through its sweep (every ``every``-th run of it)."""
    out = Scraped()
    menu = common.menu(common.roles.role(role))
    missing = [page.script for page in menu if page.script not in SWEEPS]
    assert not missing, f"pages in the {role} navigation with no leak sweep: {missing}; add them to SWEEPS"
    for page in menu:
        out.extend(sweep_page(role, page, dataset, downloads, every=every))
    return out


def sweep_page(role: str, page: common.PageEntry, dataset, downloads: DownloadRecorder, *, every: int = 1) -> Scraped:
    """One page of ``role``'s navigation as first shown, then through its sweep (every ``every``-th run)."""
    out = Scraped()
    at = dashboard(role)
    at.run()
    if page.script != common.PAGES[0].script:
        at.switch_page(page.script).run()
    assert not at.exception, at.exception
    out.texts += [(f"{page.title} as first shown", text) for text in element_texts(at)]
    sweep = SWEEPS[page.script]
    for index, run in enumerate(list(sweep.runs(at, dataset))):
        if index % every == 0 or not sweep.thinned:
            out.extend(sweep.read(at, downloads, run, dataset))
    return out


def _years_text(years: tuple[int, ...]) -> str:
    return f"{years[0]}-{years[-1]}" if len(years) > 1 else str(years[0])
