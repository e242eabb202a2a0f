"""The Locality wards page in real headless Chromium at tablet portrait, by touch: a CSP manager
(partner) changes a weight and the ranking and its stability update."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from test_browser import ARTIFACTS, browser, server, try_demo  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser
SUMMARY = re.compile(r"^Top 2:")  # text() puts an invisible word joiner after the colon


def _summary(page: Page) -> str:
    summary = page.get_by_text(SUMMARY)
    try:
        summary.wait_for(timeout=240_000)
    except AssertionError:
        raise
    except Exception as error:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "locality-no-summary.png"), full_page=True)
        raise AssertionError(f"no ranking summary; see {ARTIFACTS / 'locality-no-summary.png'}") from error
    return summary.inner_text()


def test_a_csp_manager_changes_a_weight_by_touch_and_the_ranking_and_stability_update(dataset, server,  # noqa: F811
                                                                                       browser):
    context = browser.new_context(viewport={"width": 768, "height": 1024}, has_touch=True, is_mobile=False)
    page = context.new_page()
    try_demo(page, server, role="partner", path="/locality")
    before = _summary(page)
    assert "of weightings" in before
    stability = page.get_by_text(re.compile(r"How firm the ranking is"))
    expect(stability).to_be_visible()
    weight = page.locator("[data-testid='stNumberInput']", has_text="People known to services, every group")
    weight.scroll_into_view_if_needed()
    for expected in ("2.00", "3.00", "4.00", "5.00", "6.00"):  # one tap at a time: each reruns the page
        weight.locator("[data-testid='stNumberInputStepUp']").tap()
        expect(weight.locator("input")).to_have_value(expected, timeout=60_000)
    expect(page.get_by_text(SUMMARY)).not_to_have_text(before, timeout=120_000)
    after = _summary(page)
    shares = re.compile(r"(\w[^;:(]*) \(score [\d.]+; in the top 2 in (\d+)% of weightings")
    assert shares.findall(after) and shares.findall(after) != shares.findall(before)  # the stability moved too
    assert re.findall(r"score ([\d.]+)", after) != re.findall(r"score ([\d.]+)", before)
    assert page.locator("[data-testid='stDataFrame']").count() >= 2  # the ranking and the stability tables
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "locality-768x1024.png"), full_page=True)
    context.close()
