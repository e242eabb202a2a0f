"""The Forecast page's evidence in real headless Chromium at tablet landscape: the best model,
its difference from the rule with its interval, and the calibration chart drawn."""

from __future__ import annotations

import re
import time

import pytest

from tests.test_browser import ARTIFACTS, browser, server, try_demo, ward_polygons  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser


def test_forecast_page_shows_best_model_interval_and_calibration_at_tablet_landscape(server, browser):  # noqa: F811
    page = browser.new_page(viewport={"width": 1024, "height": 768})
    try_demo(page, server, path="/forecast")
    ward_polygons(page, timeout_s=120)
    best = page.get_by_text(re.compile(r"^Best model: .+ lowest log loss over \d+ past years"))
    best.wait_for(timeout=180_000)
    words = best.inner_text()
    assert re.search(r"differs by [+-]\d\.\d{3} \(95% interval [+-]\d\.\d{3} to [+-]\d\.\d{3}\)", words) or \
        "Against the rule" not in words
    assert page.get_by_text("The report beside us").count() == 1
    chart = page.locator("[data-testid='stVegaLiteChart']").last
    chart.scroll_into_view_if_needed()
    chart.locator("canvas, svg").first.wait_for(timeout=60_000)
    box = chart.locator("canvas, svg").first.bounding_box()
    assert box is not None and box["width"] > 300 and box["x"] + box["width"] <= 1024  # on screen, not cut off
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    time.sleep(1)
    chart.screenshot(path=str(ARTIFACTS / "forecast-calibration-1024x768.png"))
    page.close()
