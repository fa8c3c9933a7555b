"""The Arabic interface reads right to left, in a real browser (the screenshot is kept as an artefact)."""

import re

import pytest

pytestmark = pytest.mark.e2e


def test_the_arabic_interface_is_laid_out_right_to_left(browser, live_server, make_user):
    context = browser.new_context(base_url=live_server, viewport={"width": 390, "height": 844}, locale="ar",
                                  extra_http_headers={"Accept-Language": "ar"})
    page = context.new_page()
    page.goto("/")
    assert page.evaluate("() => document.documentElement.dir") == "rtl"
    assert page.evaluate("() => getComputedStyle(document.body).direction") == "rtl"
    brand = page.locator(".brand").bounding_box()
    links = page.locator(".nav-links").bounding_box()
    assert brand["x"] > links["x"], "the brand should sit on the right in a right-to-left layout"
    page.screenshot(path="test-artifacts/landing-ar-rtl.png", full_page=True)

    make_user("layla@example.com", display_name="ليلى", locale="ar")
    page.goto("/login")
    page.locator("#email").fill("layla@example.com")
    page.locator("#password").fill("correct-horse-battery")
    page.locator("#log_in_form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/home$"))
    assert "ليلى" in page.locator("h1").inner_text()
    page.screenshot(path="test-artifacts/home-ar-rtl.png", full_page=True)
    context.close()
