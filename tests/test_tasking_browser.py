"""The Op Grip tasking page in real headless Chromium at tablet sizes: a police user changes N and
the cell size and downloads the briefing pack (audited); a councillor cannot reach the page."""

from __future__ import annotations

import re
import subprocess
import time

import pytest

from hotspots import audit, settings, store, tasking_map
from test_browser import ARTIFACTS, MAP_IFRAME, browser, open_sidebar, server, try_demo  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser
SLOW = 180_000  # ms: the first request imports the synthetic demo


def _number(page, label: str, value: int) -> None:
    field = page.get_by_role("spinbutton", name=label)
    field.fill(str(value))
    field.press("Enter")


@pytest.mark.parametrize("width, height", [(1024, 768), (768, 1024)])
def test_police_change_n_and_cell_size_and_download_the_pack(server, browser, width, height, tmp_path):  # noqa: F811
    context = browser.new_context(viewport={"width": width, "height": height}, has_touch=True, accept_downloads=True)
    page = context.new_page()
    try_demo(page, server, "police", path="/tasking")
    page.frame_locator(MAP_IFRAME).locator(".grip-area-number").first.wait_for(state="visible", timeout=SLOW)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"tasking-map-{width}x{height}.png"))
    open_sidebar(page)
    _number(page, "Cells to select (N)", 4)
    page.get_by_role("heading", name=re.compile(r"^4 cells in [1-4] patrol areas? in Thurrock")).wait_for(timeout=SLOW)
    _number(page, "Cell size (metres)", 200)
    page.get_by_text("Laying the micro-areas").wait_for(state="detached", timeout=SLOW)
    page.get_by_role("tab", name="Save and export").tap()
    button = page.get_by_role("button", name="Briefing pack (PDF)")
    button.wait_for(timeout=SLOW)
    page.screenshot(path=str(ARTIFACTS / f"tasking-{width}x{height}.png"))
    with page.expect_download(timeout=SLOW) as downloading:
        button.tap()
    pack = tmp_path / "pack.pdf"
    downloading.value.save_as(pack)
    printed = subprocess.run(["pdftotext", "-layout", str(pack), "-"], check=True, capture_output=True,
                             text=True).stdout
    assert settings.GRIP_PACK_MARKING in printed and "Op Grip tasking: Thurrock" in printed
    assert "200 m squares" in printed and "bng-200m" in printed  # the cell size chosen in the browser
    assert re.search(r"Areas\s+[1-4] \(4 cells\)", printed), printed[:2000]  # N = 4
    downloads = [e for e in audit.entries(store.default_store()) if e.action == "download"]
    assert downloads and downloads[-1].what["file"] == downloading.value.suggested_filename
    context.close()


def _areas_inside_the_frame(page, expected: int, picture: str) -> None:
    time.sleep(1)  # let Leaflet finish fitting the bounds
    frame = page.locator(MAP_IFRAME).bounding_box()
    areas = page.frame_locator(MAP_IFRAME).locator(f"path.leaflet-interactive[stroke='{tasking_map.AREA_COLOUR}']")
    assert areas.count() == expected
    page.screenshot(path=str(ARTIFACTS / picture))
    for k in range(expected):
        box = areas.nth(k).bounding_box()
        assert (box["x"] >= frame["x"] and box["y"] >= frame["y"] and box["x"] + box["width"] <= frame["x"]
                + frame["width"] and box["y"] + box["height"] <= frame["y"] + frame["height"]), (k, box, frame)


def test_at_tablet_portrait_every_chosen_cell_lies_inside_the_map_frame_sidebar_closed_or_open(server,  # noqa: F811
                                                                                            browser):  # noqa: F811
    context = browser.new_context(viewport={"width": 768, "height": 1024}, has_touch=True)
    page = context.new_page()
    try_demo(page, server, "police", path="/tasking")
    heading = page.get_by_role("heading", name=re.compile(r"^\d+ cells in \d+ patrol areas in Thurrock"))
    heading.wait_for(timeout=SLOW)
    page.frame_locator(MAP_IFRAME).locator(".grip-area-number").first.wait_for(state="visible", timeout=SLOW)
    expected = int(re.search(r"in (\d+) patrol areas", heading.inner_text()).group(1))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    _areas_inside_the_frame(page, expected, "tasking-map-fit-768x1024.png")
    open_sidebar(page)  # as to change N: the frame narrows from 736 to 436 px
    _areas_inside_the_frame(page, expected, "tasking-map-fit-768x1024-sidebar.png")
    context.close()


def test_a_councillor_cannot_reach_the_tasking_page(server, browser):  # noqa: F811
    page = browser.new_page(viewport={"width": 768, "height": 1024})
    try_demo(page, server, "councillor", path="/tasking")
    page.get_by_text("This page is not available for your role (councillor)").wait_for(timeout=SLOW)
    assert page.locator(MAP_IFRAME).count() == 0
    open_sidebar(page)
    assert "Op Grip tasking" not in page.locator("[data-testid='stSidebarNav']").inner_text()
    page.close()
