"""The councillor's "Your ward" page in real headless Chromium at 768x1024 portrait with touch: a
tap on the map opens a ward's summary, no small count is on the page, the share link opens the
same ward, the lists are large touch targets, and axe-core finds no serious or critical
accessibility violation."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page

from hotspots import disclosure, geography, roles, ward_summary_charts, ward_summary_view
from test_browser import ARTIFACTS, INSIDE_POINT, browser, server, try_demo  # noqa: F401 (fixtures)
from ui.common import WORD_JOINER

pytestmark = pytest.mark.browser
AXE = Path(__file__).resolve().parent / "browser" / "node_modules" / "axe-core" / "axe.min.js"
PORTRAIT = {"width": 768, "height": 1024}
THURROCK = "E06000034"
# The map's wards are SVG paths, buttons labelled with their names (ui/ward_picker.py).
WARD_SHAPE = "path[data-ward][role='button'][aria-label='{name}']"


@pytest.fixture(scope="module")
def councillor(server, browser):  # noqa: F811 (fixtures)
    """A touch tablet in portrait signed in as a councillor on the synthetic demo."""
    context = browser.new_context(viewport=PORTRAIT, has_touch=True, is_mobile=False)
    page = context.new_page()
    try_demo(page, server, "councillor", "/ward_summary")
    _summary_of(page, None)
    yield context, page
    context.close()


def _summary_of(page: Page, ward_name: str | None, timeout_s: float = 90) -> str:
    """The ward named in the summary's heading (waits for ``ward_name``'s, when given)."""
    heading = page.locator("[data-testid='stHeadingWithActionElements'] h3")
    wanted = heading.filter(has_text=ward_name) if ward_name else heading
    wanted.first.wait_for(timeout=timeout_s * 1000)
    page.get_by_text("What it counts").first.wait_for(timeout=timeout_s * 1000)
    return heading.first.inner_text().split(",")[0]


def _tap_ward(page: Page, ward_name: str) -> None:
    shape = page.locator(WARD_SHAPE.format(name=ward_name)).first
    shape.scroll_into_view_if_needed()
    inside = shape.evaluate(INSIDE_POINT)
    assert inside is not None, f"no visible point inside {ward_name} on the map"
    page.touchscreen.tap(inside["x"], inside["y"])


def test_a_councillor_taps_a_ward_on_the_map_and_its_summary_appears(councillor):
    _, page = councillor
    first = _summary_of(page, None)
    target = "Tilbury St Chads" if first != "Tilbury St Chads" else "Grays Riverside"
    _tap_ward(page, target)
    assert _summary_of(page, target, 60) == target
    code = geography.wards(THURROCK).set_index("ward_name").loc[target, "ward_code"]
    page.wait_for_url(re.compile(rf".*ward={code}.*"), timeout=10_000)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "ward-summary-768x1024.png"), full_page=True)


def test_the_summary_shows_no_small_count_for_a_councillor(councillor, dataset):
    """Every count the page writes (sentences and the trend charts' labels) for a ward whose true
    counts include small ones is 0 or at least the rule's smallest shown count (health: a multiple of 5)."""
    _, page = councillor
    ward = _summary_of(page, None)
    code = geography.wards(THURROCK).set_index("ward_name").loc[ward, "ward_code"]
    data = ward_summary_view.summary_data(dataset, roles.role("councillor"), geography.wards())
    small = {key: _true_small_counts(layer_years, code) for key, layer_years in data.layers.items()}
    assert any(small.values()), f"{ward} has no small count in the demo: the scan would prove nothing"
    cards = page.locator("[class*='st-key-summary_layer_']").all()
    assert len(cards) == len(data.layers), "one card per layer described"
    for card in cards:
        title = card.locator("h4").first.inner_text()
        key = next(key for key, layer in data.layers.items() if layer.layer.label == title)
        rule = disclosure.rule_of_layer(data.layers[key].layer)  # the layer's own rule, whatever the role gets
        pictures = [base64.b64decode(ward_summary_charts.IMAGE.match(image)["svg"]).decode()
                    for image in card.locator("img[src^='data:image/svg+xml']").evaluate_all(
                        "images => images.map(image => image.outerHTML)")]
        assert len(pictures) == 1, f"the {title} card draws {len(pictures)} trend pictures"
        written = [int(n.replace(",", "")) for n in TREND_COUNT.findall(pictures[0])]
        shown = _counts_in(card.inner_text()) + written
        assert shown, f"no count found in the {title} card"
        leaked = [n for n in shown if 0 < n < rule.smallest_shown or (rule.rounding_base > 1 and n % rule.rounding_base)]
        assert not leaked, (title, leaked, small[key])


def _true_small_counts(layer_years: ward_summary_view.LayerYears, ward_code: str) -> list[int]:
    """The ward's true yearly and two-year counts that the layer's rule protects."""
    counts = layer_years.counts[layer_years.counts["ward_code"].eq(ward_code)].set_index("financial_year")["count"]
    windows = counts.rolling(2).sum().dropna()
    rule = disclosure.rule_of_layer(layer_years.layer)
    return sorted({int(n) for n in [*counts.dropna(), *windows] if 0 < n < rule.smallest_shown
                   or (rule.rounding_base > 1 and n % rule.rounding_base)})


#: A count a trend picture writes (``ward_summary_charts.trend_svg``'s ``trend-<layer>-<year>`` groups).
TREND_COUNT = re.compile(r'<g id="trend-[^"]+">\s*<text[^>]*>([\d,]+)</text>')
COUNT_PLACES = re.compile(r"(?:had|up from|down from|;|Why:) (?:about )?(\d[\d,]*)(?![\d/])")


def _counts_in(text: str) -> list[int]:
    """The numbers the sentences give as counts ("had 23 ...", "up from 15", "Why: 11 in ...")."""
    return [int(match.replace(",", "")) for match in COUNT_PLACES.findall(text.replace(WORD_JOINER, ""))]


def test_the_share_link_opens_the_same_ward(councillor):
    context, page = councillor
    ward = _summary_of(page, None)
    link = page.locator("[data-testid='stMarkdown'] code", has_text="/ward_summary?ward=").first.inner_text().strip()
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/ward_summary\?ward=E05\d{6}", link), link
    shared = context.new_page()
    shared.goto(link)
    assert _summary_of(shared, ward) == ward
    shared.close()


def test_the_lists_are_large_touch_targets_and_nothing_needs_zooming(councillor):
    _, page = councillor
    for key in ("summary_lad", "summary_ward"):
        box = page.locator(f".st-key-{key} [role='group']").first.bounding_box()
        assert box["height"] >= 44 and box["width"] >= 44, (key, box)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PORTRAIT["width"], f"the page is {width} px wide: it would need sideways scrolling at 768"


def test_axe_finds_no_serious_or_critical_violation_on_the_councillor_page(councillor):
    if not AXE.exists():
        pytest.fail(f"axe-core is not installed at {AXE}: run npm ci --prefix tests/browser (scripts/test.sh does)")
    _, page = councillor
    _summary_of(page, None)
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    serious = [{"id": v["id"], "impact": v["impact"], "help": v["help"],
                "where": [node["target"] for node in v["nodes"][:5]]}
               for v in result["violations"] if v["impact"] in ("serious", "critical")]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "axe-ward-summary.json").write_text(json.dumps(result["violations"], indent=1))
    assert not serious, json.dumps(serious, indent=1)
