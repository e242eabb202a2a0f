"""Real headless Chromium (Debian's /usr/bin/chromium) driven by Playwright, at tablet size."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from hotspots import settings

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = "/usr/bin/chromium"
# Without these flags Chromium tries to reach Google services, which a closed network refuses.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
                 "--disable-background-networking", "--disable-component-update"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(demo_dir, tmp_path_factory):
    port = _free_port()
    log_path = tmp_path_factory.mktemp("streamlit") / "server.log"
    log = open(log_path, "wb")
    env = {**os.environ, "HOTSPOTS_DEMO_DIR": str(demo_dir), "HOTSPOTS_CACHE": str(settings.CACHE_DIR)}
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).status == 200:
                break
        except OSError:
            time.sleep(0.5)
    else:
        process.kill()
        log.close()
        pytest.fail(f"streamlit did not start: {log_path.read_text()[-2000:]}")
    yield url
    process.terminate()
    process.wait(timeout=20)
    log.close()


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian chromium is not installed: apt-get install chromium (scripts/test.sh does this)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


MAP_IFRAME = "iframe[srcdoc*='leaflet']"


def ward_polygons(page: Page, timeout_s: float = 90) -> Locator:
    """Ward polygons in the map's iframe, once drawn (a frame locator follows a re-created iframe)."""
    polygons = page.frame_locator(MAP_IFRAME).locator("path.leaflet-interactive")
    try:
        polygons.first.wait_for(state="attached", timeout=timeout_s * 1000)
    except PlaywrightTimeoutError as error:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "no-polygons.png"))
        raise AssertionError(f"no ward polygons were drawn; see {ARTIFACTS / 'no-polygons.png'}") from error
    return polygons


def test_home_map_draws_ward_polygons_at_tablet_landscape(server, browser):
    page = browser.new_page(viewport={"width": 1024, "height": 768})
    page.goto(server)
    polygons = ward_polygons(page)
    polygons.nth(19).wait_for(state="attached")
    assert polygons.count() == 20  # Thurrock's wards
    assert page.frame_locator(MAP_IFRAME).locator(".ward-legend").count() == 1
    assert page.get_by_text("SYNTHETIC demo data").count() >= 1
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    time.sleep(1)  # let Leaflet finish fitting the bounds before the picture
    page.screenshot(path=str(ARTIFACTS / "home-1024x768.png"))
    page.close()


def test_forecast_page_draws_risk_map_at_tablet_portrait(server, browser):
    page = browser.new_page(viewport={"width": 768, "height": 1024})
    page.goto(f"{server}/forecast")
    polygons = ward_polygons(page, timeout_s=120)
    polygons.nth(19).wait_for(state="attached")
    assert polygons.count() == 20
    assert page.frame_locator(MAP_IFRAME).get_by_text("70%+").count() == 1
    assert page.get_by_text("Backtest: each model").count() == 1
    time.sleep(1)
    page.screenshot(path=str(ARTIFACTS / "forecast-768x1024.png"))
    page.close()


INSIDE_POINT = """path => {
    // A point of the page where this ward's polygon is the topmost element (its bounding-box
    // centre can fall in a neighbour when the ward is concave).
    const box = path.getBoundingClientRect();
    for (let fy = 0.5; fy > 0.05; fy -= 0.05) for (const sign of [1, -1]) for (let fx = 0.1; fx < 0.95; fx += 0.05) {
        const x = box.left + fx * box.width, y = box.top + (0.5 + sign * (0.5 - fy)) * box.height;
        if (document.elementFromPoint(x, y) === path) return {x, y};
    }
    return null;
}"""


def tap_inside(page: Page, polygon: Locator) -> None:
    """Tap a ward with a finger (a touch event at a point inside it), as on a tablet."""
    polygon.scroll_into_view_if_needed()
    inside = polygon.evaluate(INSIDE_POINT)
    assert inside is not None, "no visible point inside the ward"
    frame = page.locator(MAP_IFRAME).bounding_box()
    page.touchscreen.tap(frame["x"] + inside["x"], frame["y"] + inside["y"])


@pytest.mark.parametrize("width, height", [(1024, 768), (768, 1024)])
def test_tablet_map_legend_in_view_full_width_and_tap_opens_the_ward(server, browser, width, height):
    context = browser.new_context(viewport={"width": width, "height": height}, has_touch=True, is_mobile=False)
    page = context.new_page()
    page.goto(server)
    polygons = ward_polygons(page)
    polygons.nth(19).wait_for(state="attached")
    legend = page.frame_locator(MAP_IFRAME).locator(".ward-legend")
    legend.wait_for(state="visible")
    box = legend.bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height, box  # no scrolling needed
    column = page.locator("[data-testid='stMainBlockContainer'] [data-testid='stVerticalBlock']").first.bounding_box()
    frame = page.locator(MAP_IFRAME).bounding_box()
    assert frame["width"] >= 0.98 * column["width"], (frame, column)  # the map spans the page's content column

    tap_inside(page, polygons.nth(5))
    popup = page.frame_locator(MAP_IFRAME).locator(".leaflet-popup-content")
    popup.wait_for(state="visible", timeout=10_000)
    assert "Open the ward profile" in popup.inner_text()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"tap-{width}x{height}.png"))
    ward = popup.locator("td").first.inner_text()
    with context.expect_page() as opened:
        popup.get_by_text("Open the ward profile").tap()
    profile = opened.value
    profile.locator("[data-testid='stMetricValue']").first.wait_for(timeout=60_000)
    profile.locator("[data-testid='stDataFrame']").first.wait_for(timeout=60_000)
    assert profile.get_by_role("heading", name=ward).count() >= 1 or ward in profile.content()
    assert "/ward_profile?ward=E05" in profile.url
    profile.screenshot(path=str(ARTIFACTS / f"profile-{width}x{height}.png"))
    context.close()


def test_tablet_tabs_open_the_ranking_and_the_values(server, browser):
    context = browser.new_context(viewport={"width": 768, "height": 1024}, has_touch=True, is_mobile=False)
    page = context.new_page()
    page.goto(server)
    ward_polygons(page).nth(19).wait_for(state="attached")
    page.get_by_role("tab", name="Ranking").tap()
    chart = page.locator("[data-testid='stVegaLiteChart']", has_text="Thurrock wards")
    chart.wait_for(timeout=60_000)
    assert "view=Ranking" in page.url  # the address names the view, so it can be shared
    assert page.locator(MAP_IFRAME).count() == 0  # only the open view is built
    page.get_by_role("tab", name="Values").tap()
    page.locator("[data-testid='stDataFrame']").first.wait_for(timeout=60_000)
    assert page.get_by_role("button", name="Download these values (CSV)").count() == 1
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "values-768x1024.png"))
    context.close()
