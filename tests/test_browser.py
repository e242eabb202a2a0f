"""Real headless Chromium (Debian's /usr/bin/chromium) driven by Playwright, at tablet size."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from hostile_store import PAYLOAD_HOST, payload, payload_store
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


@contextlib.contextmanager
def streamlit_server(log_dir: Path, **env: str) -> Iterator[str]:
    """``streamlit run app.py`` (the st.App: sign-in routes, middleware, dashboard.py) on a free
    local port with ``env`` added, a credentials file of its own in ``log_dir`` unless ``env``
    names one; yields its address."""
    env = {"HOTSPOTS_CREDENTIALS": str(log_dir / "config" / "credentials.json"), **env}
    port = _free_port()
    log_path = log_dir / "server.log"
    log = open(log_path, "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=ROOT, env={**os.environ, "HOTSPOTS_CACHE": str(settings.CACHE_DIR), **env}, stdout=log,
        stderr=subprocess.STDOUT)
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
    try:
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


@pytest.fixture(scope="module")
def server(demo_dir, tmp_path_factory):
    with streamlit_server(tmp_path_factory.mktemp("streamlit"), HOTSPOTS_DEMO_DIR=str(demo_dir)) as url:
        yield url


def try_demo(page: Page, server: str, role: str = "police", path: str = "") -> None:
    """Sign in on the synthetic demo as ``role`` (the sign-in page's demo offer), landing on ``path``."""
    page.goto(f"{server}{path}")
    page.get_by_role("button", name=f"Try the demo as {role}").click()
    page.wait_for_url(f"{server}{path or '/'}*")


def sign_in(page: Page, server: str, name: str, password: str, path: str = "") -> None:
    """Sign in with the form, as a person would (the address asked for is where the form sends them)."""
    page.goto(f"{server}{path}")
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


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
    try_demo(page, server)
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
    try_demo(page, server, path="/forecast")
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
    // centre can fall in a neighbour when the ward is concave). Asked of the path's own root: a
    // document, or the shadow root of a component, whose host the document would answer.
    const box = path.getBoundingClientRect(), root = path.getRootNode();
    for (let fy = 0.5; fy > 0.05; fy -= 0.05) for (const sign of [1, -1]) for (let fx = 0.1; fx < 0.95; fx += 0.05) {
        const x = box.left + fx * box.width, y = box.top + (0.5 + sign * (0.5 - fy)) * box.height;
        if (root.elementFromPoint(x, y) === path) return {x, y};
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
    try_demo(page, server)
    polygons = ward_polygons(page)
    polygons.nth(19).wait_for(state="attached")
    legend = page.frame_locator(MAP_IFRAME).locator(".ward-legend")
    legend.wait_for(state="visible")
    box = legend.bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height, box  # no scrolling needed
    column = page.locator("[data-testid='stMainBlockContainer'] [data-testid='stVerticalBlock']").first.bounding_box()
    frame = page.locator(MAP_IFRAME).bounding_box()
    assert frame["width"] >= 0.98 * column["width"], (frame, column)  # the map spans the page's content column

    # A ward whose popup's x opens under the legend (which caught the tap): the x still closes it.
    close = page.frame_locator(MAP_IFRAME).locator(".leaflet-popup-close-button")
    popup = page.frame_locator(MAP_IFRAME).locator(".leaflet-popup-content")
    for index in polygons.evaluate_all(NEAR_LEGEND)[:8]:
        tap_inside(page, polygons.nth(index))
        popup.wait_for(state="visible", timeout=10_000)
        if close.evaluate(OVER_LEGEND):
            break
        close.tap(timeout=10_000)
        popup.wait_for(state="detached", timeout=5_000)
    else:
        pytest.fail("no ward near the legend opens a popup whose x is where the legend is: nothing to test")
    close.tap(timeout=10_000)
    popup.wait_for(state="detached", timeout=5_000)
    legend.wait_for(state="visible")  # back once the popup is closed

    tap_inside(page, polygons.nth(5))
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


NEAR_LEGEND = """paths => {
    // The polygons with a visible point below the legend, nearest its bottom left corner first: a
    // popup opens above the point tapped, so theirs reach under the legend.
    const inside = INSIDE, legend = document.querySelector(".ward-legend").getBoundingClientRect();
    return paths.map((path, index) => [index, inside(path)])
        .filter(([, point]) => point && point.y > legend.bottom + 10)
        .sort(([, a], [, b]) => Math.hypot(a.x - legend.left, a.y - legend.bottom)
                                - Math.hypot(b.x - legend.left, b.y - legend.bottom))
        .map(([index]) => index);
}""".replace("INSIDE", INSIDE_POINT)
OVER_LEGEND = """element => {
    const a = element.getBoundingClientRect(), b = document.querySelector(".ward-legend").getBoundingClientRect();
    return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
}"""


def test_tablet_tabs_open_the_ranking_and_the_values(server, browser):
    context = browser.new_context(viewport={"width": 768, "height": 1024}, has_touch=True, is_mobile=False)
    page = context.new_page()
    try_demo(page, server)
    ward_polygons(page).nth(19).wait_for(state="attached")
    for name in ("Map", "Ranking", "Values"):  # touch targets of 44 px or more
        assert page.get_by_role("tab", name=name).bounding_box()["height"] >= 44, name
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


def test_on_a_tablet_the_sidebar_can_be_closed_with_a_finger(server, browser):
    """Streamlit shows the sidebar's collapse button only on hover, which a finger never gives."""
    context = browser.new_context(viewport={"width": 1024, "height": 768}, has_touch=True, is_mobile=False)
    page = context.new_page()
    try_demo(page, server)
    ward_polygons(page).nth(19).wait_for(state="attached")
    button = page.get_by_role("button", name="Collapse sidebar")
    assert button.evaluate("b => getComputedStyle(b).visibility") == "visible"
    button.tap()
    page.wait_for_function("() => document.querySelector('[data-testid=stSidebar]').getBoundingClientRect().right <= 0",
                           timeout=10_000)  # slid out of view
    context.close()


# --- Markdown and HTML injection: every user-supplied string is a payload --------------------------

PAYLOAD_ATTRIBUTES = ("src", "href", "srcset", "srcdoc", "data", "action", "poster", "style", "xlink:href")


PAYLOAD_ADMIN, PAYLOAD_ADMIN_PASSWORD = "ada", "payload-admin-0ne-time"


@pytest.fixture(scope="module")
def payload_server(demo_dir, tmp_path_factory):
    from hotspots import accounts

    folder = tmp_path_factory.mktemp("payloads")
    payload_store(folder / "store", folder / "files", demo_dir)
    accounts.add_user(folder / "config" / "credentials.json", PAYLOAD_ADMIN, "admin", PAYLOAD_ADMIN_PASSWORD)
    with streamlit_server(folder, HOTSPOTS_DEMO_DIR=str(demo_dir), HOTSPOTS_STORE=str(folder / "store"),
                          HOTSPOTS_BASEMAP="off") as url:  # street tiles would be an outside request
        yield url


FIND_PAYLOAD_ELEMENTS = """([host, attributes]) => [...document.querySelectorAll("*")]
    .filter(e => attributes.some(a => (e.getAttribute(a) || "").includes(host)))
    .map(e => e.outerHTML.slice(0, 300))"""


class InjectionWatch:
    """Blocks and records every request that is not to 127.0.0.1, and finds payload-made elements."""

    def __init__(self, context) -> None:
        self.outside: list[str] = []
        context.route("**/*", self._route)

    def _route(self, route) -> None:
        if self.is_local(route.request.url):
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort()

    def on_request(self, request) -> None:
        if not self.is_local(request.url):
            self.outside.append(request.url)

    @staticmethod
    def is_local(url: str) -> bool:
        from urllib.parse import urlsplit

        parts = urlsplit(url)
        return parts.scheme in ("data", "blob", "about") or parts.hostname == "127.0.0.1"

    def check(self, page: Page, step: str) -> None:
        settle(page)
        made = [(frame.url, html) for frame in page.frames
                for html in frame.evaluate(FIND_PAYLOAD_ELEMENTS, [PAYLOAD_HOST, list(PAYLOAD_ATTRIBUTES)])]
        errors = page.locator("[data-testid='stException']").all_inner_texts()
        if made or self.outside or errors:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "injection-failure.png"), full_page=True)
        assert not made, f"{step}: elements created by a payload: {made[:5]}"
        assert not self.outside, f"{step}: requests outside 127.0.0.1: {sorted(set(self.outside))[:5]}"
        assert not errors, f"{step}: the page shows an exception: {errors}"


def settle(page: Page, timeout_s: float = 180) -> None:
    """Wait until Streamlit has finished the run the last action started."""
    page.wait_for_timeout(700)
    page.locator("[data-testid='stStatusWidget']").wait_for(state="detached", timeout=timeout_s * 1000)
    page.wait_for_timeout(700)


def open_page(page: Page, url: str) -> None:
    page.goto(url)
    page.locator("[data-testid='stSidebar'], [data-testid='stMain']").first.wait_for(timeout=60_000)
    settle(page)


def switch_on(page: Page, label: str) -> None:
    """Turn on a toggle (st.toggle) by its label, as a tap on it would."""
    switch = page.get_by_role("switch", name=label)
    if not switch.is_checked():
        page.locator("[data-testid='stCheckbox'] label", has_text=label).click()
        settle(page)
    assert switch.is_checked(), f"the switch {label!r} did not turn on"


def choose(page: Page, label: str, option: str) -> None:
    """Pick the first option of the ``label`` selectbox whose text contains ``option``."""
    box = page.locator("[data-testid='stSelectbox']", has=page.get_by_text(label, exact=True))
    box.first.click()
    page.keyboard.type(option)  # the list is virtual: options far down are not in the page until filtered
    page.get_by_role("option").filter(has_text=option).first.click()
    settle(page)


def visit_tabs(page: Page, watch: InjectionWatch, step: str) -> None:
    for tab in page.get_by_role("tab").all_inner_texts():
        page.get_by_role("tab", name=tab).click()
        watch.check(page, f"{step}, tab {tab}")


def test_payloads_in_every_user_string_create_no_element_and_no_outside_request(payload_server, browser, tmp_path):
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    watch = InjectionWatch(context)
    page = context.new_page()
    page.on("request", watch.on_request)
    page.set_default_timeout(60_000)

    assert page.goto(payload_server) and page.get_by_role("button", name="Try the demo as police").count() == 0
    sign_in(page, payload_server, PAYLOAD_ADMIN, PAYLOAD_ADMIN_PASSWORD)  # real data: no demo offer
    open_page(page, payload_server)
    switch_on(page, "Show restricted layers")
    watch.check(page, "ward map")
    for layer, shown in (("imported count table", "layer"), ("police.uk", None), ("Gang nominals", "gang1")):
        choose(page, "Layer", layer)
        if layer == "Gang nominals":
            choose(page, "Gang", "gang1")
        if shown:  # the payload is on the page, as text (the test would pass vacuously otherwise)
            # waited for: on a larger store the page's rerun can start after settle() has returned
            page.get_by_text(f"{PAYLOAD_HOST}/{shown}.png").first.wait_for()
        visit_tabs(page, watch, f"ward map, layer {layer}")

    open_page(page, f"{payload_server}/ward_profile")
    switch_on(page, "Show restricted layers")
    watch.check(page, "ward profile")

    open_page(page, f"{payload_server}/forecast")
    choose(page, "Measure", "imported count table")
    watch.check(page, "forecast")

    open_page(page, f"{payload_server}/data")
    for dataset in ("file-police", "file-counts", "file-nominals"):
        choose(page, "Dataset", dataset)
        visit_tabs(page, watch, f"data, dataset {dataset}")
    choose(page, "What is in the file?", "count table")
    # Refused as a whole (no count column), quoting the header it found: the payload is in the message.
    refused = f"area_code,period,{payload('cell')}\nE05002229,2019/20,3\n".encode()
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(
        {"name": "**bold** <b>x</b> [a](http:x).csv", "mimeType": "text/csv", "buffer": refused})
    page.get_by_text("Cannot import this file").wait_for()
    assert page.get_by_text(f"{PAYLOAD_HOST}/cell.png").count() == 1
    watch.check(page, "data, refused upload")
    page.screenshot(path=str(ARTIFACTS / "injection-refused-upload.png"))

    choose(page, "What is in the file?", "Police recorded crime")
    rejected = ("Crime Ref,Offence Date,Offence Group,Victim Age,DV Flag,Ward Name\n"
                "R1,01/05/2021,Violence with injury,16,N,Grays Riverside\n"
                f"C2,\"{payload('date')}\",Violence with injury,16,N,\"{payload('typed-ward')}\"\n").encode()
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(
        {"name": "rejects.csv", "mimeType": "text/csv", "buffer": rejected})
    page.get_by_text("Validation report for").wait_for()
    watch.check(page, "data, validation report")
    page.get_by_role("button", name="Import into the store").click()
    page.get_by_text("Not imported; the store is unchanged").wait_for()
    assert page.get_by_text(f"{PAYLOAD_HOST}/date.png").count() == 1
    watch.check(page, "data, import refused")
    context.close()


def download(page: Page, button: str, folder: Path) -> bytes:
    """What the ``button`` download button hands over, clicked as a person would."""
    with page.expect_download(timeout=180_000) as downloading:
        page.get_by_role("button", name=button).click()
    path = folder / downloading.value.suggested_filename
    downloading.value.save_as(path)
    return path.read_bytes()


def printed_words(pdf: bytes) -> str:
    return subprocess.run(["pdftotext", "-", "-"], input=pdf, check=True, capture_output=True).stdout.decode()


def assert_printed(pdf: bytes, string: str) -> None:
    """``string`` printed as typed: each of its words in the PDF's text (a table cell wraps a long string)."""
    words = printed_words(pdf)
    assert not [word for word in string.split() if word not in words], string[:60]


def test_payloads_on_the_tasking_locality_and_emerging_pages_create_no_element(payload_server, browser, tmp_path):
    context = browser.new_context(viewport={"width": 1024, "height": 768}, accept_downloads=True)
    watch = InjectionWatch(context)
    page = context.new_page()
    page.on("request", watch.on_request)
    page.set_default_timeout(60_000)
    sign_in(page, payload_server, PAYLOAD_ADMIN, PAYLOAD_ADMIN_PASSWORD)

    open_page(page, f"{payload_server}/tasking")  # the force extract's file name and importer are payloads
    page.get_by_text("patrol areas in Thurrock").wait_for(timeout=180_000)  # settle() can return before a first run
    visit_tabs(page, watch, "tasking")
    assert_printed(download(page, "Briefing pack (PDF)", tmp_path), payload("file-police") + ".csv")
    watch.check(page, "tasking, briefing pack")
    page.locator("[data-testid='stSidebar']").get_by_text("LSOAs", exact=True).click()  # any typed id is on the grid
    settle(page)
    page.get_by_role("tab", name="Testing").click()
    page.get_by_text("Cells entered by hand").click()
    settle(page)
    page.get_by_label("Cell ids (spaces, commas or new lines)").fill(payload("typed-cells"))
    page.get_by_role("spinbutton", name="day, Chosen on").click()  # leaving the cells sends them
    page.keyboard.type("03102023")  # day, month and year: each part moves on to the next
    page.keyboard.press("Enter")
    page.get_by_text("List to test").click()  # leaving the date field sends it
    refusal = page.get_by_text("outside the chosen districts")  # quoting the first typed id, as text
    refusal.filter(has_text=f"{PAYLOAD_HOST}/typed-cells.png").wait_for(timeout=180_000)
    watch.check(page, "tasking, cells typed by hand")

    open_page(page, f"{payload_server}/locality")  # the people list's groups and the count table are payloads
    page.get_by_text("Record the decision").wait_for(timeout=180_000)
    switch_on(page, "Show restricted layers")
    measures = page.locator("[data-testid='stMultiSelect']", has=page.get_by_text("Measures", exact=True))

    def add_measure(option: str) -> None:
        measures.locator("input").first.click()  # the box's middle may be a chosen measure's remove button
        page.keyboard.type(option)
        page.get_by_role("option").filter(has_text=option).first.click()
        settle(page)

    add_measure("group offender")
    page.locator("[data-testid='stNumberInput']", has_text="group offender").wait_for(timeout=180_000)  # its weight
    page.get_by_text("How firm the ranking is").wait_for(timeout=180_000)
    watch.check(page, "locality, ranking")
    rationale = payload("rationale")
    page.locator("textarea[aria-label='Why these wards (the rationale)']").fill(rationale)
    page.get_by_role("button", name="Record this decision").click()
    page.get_by_text("recorded and audited").wait_for(timeout=120_000)
    watch.check(page, "locality, decision recorded")
    assert_printed(download(page, "Decision record (PDF)", tmp_path), rationale)
    assert rationale in download(page, "Decision record (CSV)", tmp_path).decode()
    watch.check(page, "locality, decision record downloaded")
    add_measure("imported count table")  # it ends before the period shown: refused, naming the layer
    page.get_by_text("no data for these wards").wait_for(timeout=180_000)
    page.get_by_text(f"{PAYLOAD_HOST}/layer.png").first.wait_for()  # its weight's label and the refusal
    watch.check(page, "locality, count table refused")

    open_page(page, payload_server)  # the ward map's emerging hot spots of the payload-named count table
    page.get_by_role("tab", name="Ranking").wait_for(timeout=180_000)
    choose(page, "Layer", "imported count table")
    page.locator("[data-testid='stSidebar']").get_by_text("Emerging hot spots over every year").click()
    settle(page, timeout_s=300)
    visit_tabs(page, watch, "ward map, emerging hot spots")
    context.close()


TREND_CHART_GEOMETRY = """chart => {
    const svg = chart.querySelector("svg");
    const plot = svg.querySelector(".role-frame.root path.background").getBoundingClientRect();
    const frame = svg.getBoundingClientRect();
    const labels = [...svg.querySelectorAll(".role-legend-label text")].map(label => {
        const box = label.getBoundingClientRect();
        return {text: label.textContent, lines: label.querySelectorAll("tspan").length || 1,
                left: box.left, right: box.right, top: box.top, bottom: box.bottom};
    });
    return {plotHeight: plot.height, frame: {left: frame.left, right: frame.right, top: frame.top,
            bottom: frame.bottom}, labels};
}"""


SHOWN_YEAR_LABELS = """chart => [...chart.querySelectorAll(".role-axis-label text")]
    .filter(label => /^\\d{4}\\/\\d{2}$/.test(label.textContent) && label.getAttribute("opacity") !== "0"
                     && getComputedStyle(label).opacity !== "0")
    .map(label => label.textContent)"""


def test_profile_trend_chart_keeps_its_height_and_whole_legend_labels_at_tablet_portrait(server, browser):
    page = browser.new_page(viewport={"width": 768, "height": 1024})
    try_demo(page, server, path="/ward_profile")
    chart = page.locator("[data-testid='stVegaLiteChart']").first
    chart.locator(".role-legend-label text").first.wait_for(timeout=120_000)
    chart.scroll_into_view_if_needed()
    time.sleep(1)  # let Vega finish laying out the legend
    geometry = chart.evaluate(TREND_CHART_GEOMETRY)
    layers = page.locator("[data-testid='stDataFrame']").first  # the rank table lists the same layers
    assert geometry["plotHeight"] >= 200, geometry  # a plot, not a strip squeezed by its legend
    labels, frame = geometry["labels"], geometry["frame"]
    assert len(labels) == 4 and layers.count() == 1
    squeezed = {"".join(label.split()) for label in (
        "Violence with injury, victim aged 10-24, non-domestic (police)", "Possession of weapons offences (police)",
        "Ambulance call-outs for violent injury, patients aged 10-24",
        "Ambulance call-outs for stab, knife or gunshot wounds, patients aged 10-24")}
    assert {"".join(label["text"].split()) for label in labels} == squeezed  # whole labels, no "…"
    for label in labels:  # inside the chart and the screen, one below the other
        assert frame["left"] <= label["left"] and label["right"] <= min(frame["right"], 768), label
    rows = sorted(labels, key=lambda label: label["top"])
    assert all(upper["bottom"] <= lower["top"] + 1 for upper, lower in zip(rows, rows[1:])), rows
    assert any(label["lines"] > 1 for label in labels)  # long labels wrap rather than run off
    years = chart.evaluate(SHOWN_YEAR_LABELS)  # every year labelled: none pruned as overlapping, the last kept
    last = page.get_by_text(re.compile(r"Rank in \d{4}/\d{2}")).first.inner_text().split("Rank in ")[1][:7]
    starts = [int(year[:4]) for year in years]
    assert years[-1] == last and starts == list(range(starts[0], starts[0] + len(years))), years
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    chart.screenshot(path=str(ARTIFACTS / "profile-trend-768x1024.png"))
    page.close()


# --- Sign-in: signed-out visitors, wrong passwords, idle sign-ins and typed addresses land on it --

COUNCILLOR, COUNCILLOR_PASSWORD = "carol", "carol-c0uncil-chamber-key"
LOCKED, LOCKED_PASSWORD = "frank", "frank-never-typed-right"
IDLE_SECONDS = 12
TEST_PASSWORDS = (COUNCILLOR_PASSWORD, LOCKED_PASSWORD, PAYLOAD_ADMIN_PASSWORD, "wrong-password-typed-in")


@pytest.fixture(scope="module")
def auth_server(demo_dir, tmp_path_factory):
    """The demo store, two accounts, and an idle limit of a few seconds."""
    from hotspots import accounts

    folder = tmp_path_factory.mktemp("auth")
    credentials = folder / "config" / "credentials.json"
    accounts.add_user(credentials, COUNCILLOR, "councillor", COUNCILLOR_PASSWORD)
    accounts.add_user(credentials, LOCKED, "police", LOCKED_PASSWORD)
    with streamlit_server(folder, HOTSPOTS_DEMO_DIR=str(demo_dir), HOTSPOTS_STORE=str(folder / "store"),
                          HOTSPOTS_SESSION_IDLE_MINUTES=str(IDLE_SECONDS / 60)) as url:
        yield url, folder


def on_sign_in_page(page: Page) -> bool:
    page.wait_for_load_state()
    return "/auth/sign-in" in page.url and page.get_by_label("Password").count() == 1


def dashboard_shown(page: Page) -> None:
    page.locator("[data-testid='stSidebar']").get_by_text("Signed in as").wait_for(timeout=120_000)


def open_sidebar(page: Page) -> None:
    """At tablet portrait the sidebar starts closed: open it as a tap on its button would."""
    opener = page.locator("[data-testid='stExpandSidebarButton']")
    if opener.count() and opener.is_visible():
        opener.click()
    page.locator("[data-testid='stSidebarContent']").wait_for(state="visible")


def test_sign_in_page_at_tablet_portrait(auth_server, browser):
    url, _ = auth_server
    page = browser.new_page(viewport={"width": 768, "height": 1024})
    outside: list[str] = []
    page.on("request", lambda request: None if InjectionWatch.is_local(request.url) else outside.append(request.url))
    page.goto(url)
    assert on_sign_in_page(page) and page.get_by_role("heading", name="Ward hotspots").count() == 1
    assert page.get_by_text("SYNTHETIC demo data").count() == 1
    for role in ("police", "partner", "councillor", "public"):
        assert page.get_by_role("button", name=f"Try the demo as {role}").count() == 1
    assert page.locator("script").count() == 0 and not outside  # no JavaScript, nothing from outside
    for control in (page.get_by_label("User name"), page.get_by_label("Password"),
                    page.get_by_role("button", name="Sign in")):
        box = control.bounding_box()
        assert box["height"] >= 44 and box["x"] >= 0 and box["x"] + box["width"] <= 768, box  # a finger's size
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "sign-in-768x1024.png"), full_page=True)
    page.close()


def test_signed_out_visitors_and_typed_addresses_land_on_sign_in_and_get_nothing(auth_server, browser):
    url, _ = auth_server
    page = browser.new_page(viewport={"width": 768, "height": 1024})
    for path in ("/", "/forecast", "/data", "/ward_profile?ward=E05002229"):
        page.goto(url + path)
        assert on_sign_in_page(page), path
    assert "next=%2Fward_profile%3Fward%3DE05002229" in page.url
    api = page.request
    assert api.get(f"{url}/_stcore/host-config").status == 401  # nothing of the app's own answers
    assert api.get(f"{url}/app/static/leaflet.js", max_redirects=0).status in (303, 401)
    page.close()


def test_a_wrong_password_lands_on_sign_in_with_the_one_message(auth_server, browser):
    url, _ = auth_server
    page = browser.new_page(viewport={"width": 768, "height": 1024})
    sign_in(page, url, COUNCILLOR, "wrong-password-typed-in", path="/forecast")
    assert on_sign_in_page(page)
    message = page.get_by_role("alert").inner_text()
    sign_in(page, url, "nobody-here", "wrong-password-typed-in")
    assert page.get_by_role("alert").inner_text() == message == "Sign-in failed: the name or the password is wrong."
    page.close()


def test_lockout_after_five_failures_says_so(auth_server, browser):
    url, _ = auth_server
    page = browser.new_page(viewport={"width": 768, "height": 1024})
    for _ in range(5):
        sign_in(page, url, LOCKED, "wrong-password-typed-in")
    assert "After 5 failed attempts, sign-in with this name is locked until" in page.get_by_role("alert").inner_text()
    sign_in(page, url, LOCKED, LOCKED_PASSWORD)  # even the right password, while locked
    assert on_sign_in_page(page) and "locked until" in page.get_by_role("alert").inner_text()
    page.close()


def test_a_councillor_stays_signed_in_over_a_reload_sees_no_restricted_layer_and_signs_out(auth_server, browser):
    url, _ = auth_server
    context = browser.new_context(viewport={"width": 768, "height": 1024})
    page = context.new_page()
    sign_in(page, url, COUNCILLOR, COUNCILLOR_PASSWORD, path="/ward_profile")
    dashboard_shown(page)
    assert "/ward_profile" in page.url
    cookie = next(c for c in context.cookies() if c["name"] == "hotspots_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/"
    page.reload()
    dashboard_shown(page)
    page.goto(url)
    dashboard_shown(page)
    settle(page)
    assert page.get_by_role("switch", name="Show restricted layers").count() == 0
    open_sidebar(page)
    box = page.locator("[data-testid='stSelectbox']", has=page.get_by_text("Layer", exact=True)).first
    box.wait_for(timeout=120_000)
    box.click()
    options = page.get_by_role("option").all_inner_texts()
    assert options and not any("nominal" in option.lower() for option in options), options
    page.keyboard.press("Escape")
    menu = page.locator("[data-testid='stSidebarNav']").inner_text()
    assert "Ward map" in menu and "Data" not in menu and "Audit" not in menu
    page.goto(f"{url}/data")  # typed: hidden from the menu, and not available
    page.get_by_text("This page is not available for your role (councillor)").wait_for(timeout=60_000)
    open_sidebar(page)
    page.locator("[data-testid='stSidebar']").get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/auth/sign-in*")
    assert on_sign_in_page(page) and page.get_by_text("You have signed out.").count() == 1
    page.goto(url + "/forecast")
    assert on_sign_in_page(page)
    context.close()


def test_an_idle_sign_in_ends(auth_server, browser):
    url, _ = auth_server
    context = browser.new_context(viewport={"width": 768, "height": 1024})
    page = context.new_page()
    try_demo(page, url, "public")
    dashboard_shown(page)
    page.wait_for_timeout((IDLE_SECONDS + 3) * 1000)
    page.reload()
    assert on_sign_in_page(page) and page.get_by_text("without use").count() == 1
    context.close()


def test_no_test_password_is_written_anywhere(auth_server, tmp_path_factory):
    """After the sign-ins above (the server's log, its credentials folder, its audit trail) and in the
    repository, no password typed in this module appears."""
    _, folder = auth_server
    places = [path for path in folder.rglob("*") if path.is_file()]
    places += [ROOT / path for path in subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                                                      check=True).stdout.split() if path != "tests/test_browser.py"]
    assert any(path.name == "server.log" for path in places) and any(path.name == "audit.jsonl" for path in places)
    for path in places:
        if path.is_file():
            content = path.read_bytes()
            for password in TEST_PASSWORDS:
                assert password.encode() not in content, f"{password!r} written in {path}"
