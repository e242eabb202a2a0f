"""Real headless Chromium at tablet sizes: the ward map's emerging hot spot map, and the profile's monthly
trend (Playwright; the server, browser and sign-in helpers are tests/test_browser.py's)."""

from __future__ import annotations

import time

import pytest

from test_browser import ARTIFACTS, MAP_IFRAME, browser, server, try_demo  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser


def test_the_emerging_map_colours_every_thurrock_ward_and_says_its_categories_in_words(server, browser):
    page = browser.new_page(viewport={"width": 1024, "height": 768})
    try_demo(page, server)
    page.locator("[data-testid='stSidebar']").get_by_text("Emerging hot spots over every year").click()
    emerging = page.frame_locator(MAP_IFRAME).nth(1)
    polygons = emerging.locator("path.leaflet-interactive")
    polygons.nth(19).wait_for(state="attached", timeout=180_000)
    assert polygons.count() == 20  # Thurrock's wards
    legend = emerging.locator(".ward-legend")
    assert legend.get_by_text("Emerging hot spot").count() == 1 and legend.get_by_text("no pattern").count() == 1
    page.get_by_text("Years a hot spot").first.wait_for(state="attached", timeout=60_000)  # the wards by category
    page.frame_locator(MAP_IFRAME).nth(1).locator(".ward-legend").scroll_into_view_if_needed()
    time.sleep(1)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "emerging-1024x768.png"))
    page.close()


def test_the_monthly_trend_draws_each_event_layer_at_tablet_portrait(server, browser):
    page = browser.new_page(viewport={"width": 768, "height": 1024})
    try_demo(page, server, path="/ward_profile")
    chart = page.locator("[data-testid='stVegaLiteChart']").nth(1)  # after the yearly trend
    chart.locator(".role-legend-label text").first.wait_for(timeout=180_000)
    chart.scroll_into_view_if_needed()
    time.sleep(1)
    height = chart.evaluate("node => node.querySelector('.role-axis-grid, .mark-rule')?.getBoundingClientRect()"
                            ".height ?? node.getBoundingClientRect().height")
    assert height >= 200, height  # a plot, not a strip
    labels = chart.locator(".role-legend-label text").all_text_contents()
    assert len({text for text in labels if text.strip()}) >= 4  # the demo's four event layers, wrapped
    chart.locator(".role-legend-label text", has_text="Possession of weapons").first.click()  # show it alone
    time.sleep(1)
    chart.screenshot(path=str(ARTIFACTS / "profile-months-768x1024.png"))
    page.close()
