"""The "Your ward" page in AppTest for every role: in the menu, the ward the address names, a card per
layer with sentences, a trend and what the layer counts; for councillors and the public no small
count in the sentences or the trend charts' data, and for police the true counts."""

from __future__ import annotations

import base64
import json
import re

import pytest

from hotspots import aggregation, disclosure, geography, roles, ward_summary_charts
from shown_text import shown
from signed_in import dashboard
from ui import common

PAGE = "pages/ward_summary.py"
THURROCK = "E06000034"
COUNT_PLACES = re.compile(r"(?:had|up from|down from|;|Why:) (?:about )?(\d[\d,]*)(?![\d/])")
#: A count written on a trend picture (``ward_summary_charts.trend_svg``'s ``trend-<layer>-<year>`` groups).
TREND_COUNT = re.compile(r'<g id="trend-[^"]+">\s*<text[^>]*>([\d,]+)</text>')


def _ward(name: str) -> str:
    return geography.wards(THURROCK).set_index("ward_name").loc[name, "ward_code"]


def _summary(role: str, ward_code: str | None = None):
    at = dashboard(role)
    if ward_code is not None:
        at.query_params["ward"] = ward_code
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def _cards(at) -> list[tuple[str, str, list[float]]]:
    """Per layer card: its title, its text, and the counts its trend picture writes."""
    markdown = [shown(m.value) for m in at.markdown]
    titles = [i for i, text in enumerate(markdown) if text.startswith("#### ")]
    pictures = [base64.b64decode(match["svg"]).decode() for e in at.main if getattr(e, "type", "") == "html"
                for match in ward_summary_charts.IMAGE.finditer(e.value)]
    cards = []
    for number, start in enumerate(titles):
        end = titles[number + 1] if number + 1 < len(titles) else len(markdown)
        counts = [float(n.replace(",", "")) for n in TREND_COUNT.findall(pictures[number])]
        cards.append((markdown[start][5:], " ".join(markdown[start + 1:end]), counts))
    return cards


@pytest.mark.parametrize("role", list(roles.ROLES))
def test_every_role_has_the_page_and_sees_a_card_per_layer(role, demo_dir):
    assert "Your ward" in [page.title for page in common.menu(roles.role(role))]
    at = _summary(role, _ward("Tilbury St Chads"))
    assert [h.value for h in at.header] == ["Your ward"]
    assert shown(at.subheader[0].value) == "Tilbury St Chads, Thurrock"
    assert at.selectbox(key="summary_ward").value == _ward("Tilbury St Chads")
    assert at.selectbox(key="summary_lad").value == THURROCK
    assert any(m.value.endswith(f"`/ward_summary?ward={_ward('Tilbury St Chads')}`") for m in at.markdown)
    assert at.query_params["ward"] == _ward("Tilbury St Chads")
    picker = json.loads(next(e for e in at.main if getattr(e, "type", "") == "bidi_component").proto.json)
    assert [ward["name"] for ward in picker["wards"]] == geography.wards(THURROCK)["ward_name"].tolist()
    assert [ward["name"] for ward in picker["wards"] if ward["chosen"]] == ["Tilbury St Chads"]
    cards = _cards(at)
    suppressed = not roles.role(role).small_counts_unsuppressed
    assert [title for title, _, _ in cards] == [aggregation.LAYERS[key].label for key in (
        ["violence-with-injury", "ambulance-all", "weapons-possession"] if suppressed else
        ["violence-with-injury", "ambulance-all", "ambulance-knife", "weapons-possession"])]
    for title, text, counts in cards:
        assert text.startswith("Tilbury St Chads had ") and "What it counts" in text and "What it does not" in text
        assert "chance of at least one" in text and counts, title
        assert ('shown as "fewer than' in text) is suppressed, title


@pytest.mark.parametrize("role", ["councillor", "public"])
def test_no_small_count_for_councillors_and_the_public(role, dataset):
    """A ward whose true counts include small ones: every count in the sentences and the trends'
    data is 0 or at least the rule's smallest (health: a multiple of 5)."""
    code = _ward("Stanford-le-Hope West")
    at = _summary(role, code)
    checked = 0
    for title, text, counts in _cards(at):
        key = next(key for key, layer in aggregation.LAYERS.items() if layer.label == title)
        rule = disclosure.rule_of_layer(aggregation.LAYERS[key])
        true = aggregation.layer_counts(dataset, key, [code], aggregation.covered_years(dataset, key))["count"]
        small = true[true.between(1, rule.smallest_shown - 1)]
        checked += len(small)
        numbers = [int(n.replace(",", "")) for n in COUNT_PLACES.findall(text)] + [int(n) for n in counts]
        leaked = [n for n in numbers if 0 < n < rule.smallest_shown or n % rule.rounding_base]
        assert not leaked, (title, leaked, text)
    assert checked, "the ward has no small yearly count in the demo: the scan would prove nothing"


def test_police_see_the_true_counts(dataset):
    code = _ward("Stanford-le-Hope West")
    at = _summary("police", code)
    title, text, counts = next(card for card in _cards(at) if card[0] == aggregation.LAYERS["ambulance-all"].label)
    true = aggregation.layer_counts(dataset, "ambulance-all", [code], aggregation.covered_years(dataset, "ambulance-all"))
    assert counts == true["count"].astype(float).tolist()
    last_two = int(true["count"].tail(2).sum())
    assert f"had {last_two} ambulance call-out" in text


def test_an_address_naming_no_ward_says_so_and_shows_the_first_thurrock_ward(demo_dir):
    at = _summary("councillor", "E05999999")
    assert any("E05999999" in shown(w.value) and f"no {geography.region_name()} ward" in w.value for w in at.warning)
    first = geography.wards(THURROCK).sort_values("ward_name")["ward_name"].iloc[0]
    assert shown(at.subheader[0].value) == f"{first}, Thurrock"


def test_choosing_another_authority_shows_its_first_ward(demo_dir):
    at = _summary("councillor")
    at.selectbox(key="summary_lad").set_value("E06000033").run()  # Southend-on-Sea
    assert not at.exception, at.exception
    first = geography.wards("E06000033").sort_values("ward_name")
    assert shown(at.subheader[0].value) == f"{first['ward_name'].iloc[0]}, Southend-on-Sea"
    assert at.query_params["ward"] == first["ward_code"].iloc[0]
