"""Passkeys in a real browser: Chromium's virtual authenticator (DevTools' WebAuthn domain) stands in for a
phone's screen lock. A learner adds a passkey, logs out, and signs in with the passkey alone (no email
typed); with a passkey on, a password log-in asks for it as the second step.

WebAuthn needs a host name (an IP address cannot be a relying party), so this module's live server is
reached as ``localhost``."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import log_in_on_page, log_out_on_page

pytestmark = pytest.mark.e2e


@pytest.fixture
def live_host() -> str:
    return "localhost"  # WebAuthn refuses an IP address as the relying party's id


@pytest.fixture
def authenticator(page) -> str:
    """A platform authenticator with user verification, as on a phone, attached to this page's browser."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    added = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True, "hasUserVerification": True,
        "isUserVerified": True, "automaticPresenceSimulation": True}})
    return added["authenticatorId"]


def _add_passkey(page, name: str) -> None:
    page.goto("/account/security")
    page.get_by_label("Name", exact=True).last.fill(name)
    page.get_by_role("button", name="Add a passkey").click()


def test_a_learner_adds_a_passkey_and_signs_in_with_it_alone(page, authenticator, make_user):
    make_user("ana@example.com", display_name="Ana")
    log_in_on_page(page, "ana@example.com")
    _add_passkey(page, "Ana's phone")

    codes = page.locator("[data-passkey-codes] ol li")
    codes.first.wait_for()
    assert codes.count() == 10  # the first second factor comes with recovery codes, shown once
    page.get_by_role("link", name="Done").click()
    page.locator(".session-agent", has_text="Ana's phone").wait_for()  # listed by its name
    assert page.locator("[data-passkey-codes] ol li").count() == 0  # the codes are not shown again

    log_out_on_page(page)
    page.wait_for_url(re.compile(r"/$"))
    page.goto("/login")
    page.get_by_role("button", name="Use a passkey").click()
    page.wait_for_url(re.compile(r"/home$"))
    assert page.get_by_role("link", name="Profile", exact=True).is_visible()


def test_a_passkey_is_the_second_step_of_a_password_log_in(page, authenticator, make_user):
    make_user("ana@example.com", display_name="Ana")
    log_in_on_page(page, "ana@example.com")
    _add_passkey(page, "Laptop")
    page.locator("[data-passkey-codes] ol li").first.wait_for()
    log_out_on_page(page)
    page.wait_for_url(re.compile(r"/$"))

    page.goto("/login")
    page.get_by_label("Email").fill("ana@example.com")
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Log in", exact=True).click()
    page.wait_for_url(re.compile(r"/login/verify$"))
    page.get_by_role("button", name="Use a passkey").click()
    page.wait_for_url(re.compile(r"/home$"))
