"""An authenticator app end to end in a browser: set it up from the security page (the key shown beside the
QR code, the code computed as a phone would with pyotp), then log in with the password and a code."""

import re
import time

import pyotp
import pytest

from tests.e2e.conftest import log_in_on_page, log_out_on_page

pytestmark = pytest.mark.e2e


def test_a_learner_turns_on_an_authenticator_app_and_logs_in_with_a_code(page, make_user):
    make_user("ana@example.com", display_name="Ana")
    log_in_on_page(page, "ana@example.com")
    page.goto("/account/security")
    page.get_by_role("button", name="Set up an authenticator app").click()
    page.wait_for_url(re.compile(r"/account/security/totp$"))
    assert page.get_by_role("img", name="QR code for your authenticator app").is_visible()
    secret = page.locator(".totp-secret").inner_text().strip()
    page.get_by_label("Code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on").click()
    page.get_by_role("heading", name="Your recovery codes").wait_for()
    assert page.locator(".recovery-codes li").count() == 10

    log_out_on_page(page)
    page.wait_for_url(re.compile(r"/$"))
    page.goto("/login")
    page.get_by_label("Email").fill("ana@example.com")
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Log in", exact=True).click()
    page.wait_for_url(re.compile(r"/login/verify$"))
    page.get_by_label("Code").fill(pyotp.TOTP(secret).at(time.time() + 30))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(re.compile(r"/home$"))
