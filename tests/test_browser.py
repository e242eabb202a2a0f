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


MAP_IFRAME = "iframe[src*='streamlit_folium']"


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
