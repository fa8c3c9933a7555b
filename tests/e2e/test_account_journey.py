"""A newcomer's first visit in a real browser: sign up, log in, confirm the email, log in again, log out."""

import re

import pytest

from tests.conftest import link_in
from tests.e2e.conftest import log_out_on_page

pytestmark = pytest.mark.e2e


def test_sign_up_verify_log_in_and_log_out(page, live_server, mailbox, japanese):
    page.goto("/")
    page.get_by_role("link", name="Get started — it's free").click()

    page.get_by_label("Email").fill("nadia@example.com")
    page.get_by_label("Your name").fill("Nadia")
    page.get_by_label("Password").fill("a-long-passphrase")
    page.get_by_label("I want to learn").select_option(japanese)  # a course that exists (by its slug)
    page.get_by_role("button", name="Create account").click()

    # Not signed in yet: a taken address would get this same page (its owner is emailed instead).
    page.get_by_role("heading", name="Check your email").wait_for()
    page.get_by_role("link", name="Log in").last.click()
    page.get_by_label("Email").fill("nadia@example.com")
    page.get_by_label("Password").fill("a-long-passphrase")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/home$"))
    assert page.get_by_role("heading", name="Hello, Nadia!").is_visible()
    assert page.get_by_text("Please confirm nadia@example.com").is_visible()

    # The browser filled the time zone from Intl; the server stored it.
    page.get_by_role("link", name="Profile", exact=True).click()
    page.get_by_role("link", name=re.compile("Preferences")).click()
    assert page.get_by_label("Time zone").input_value() != ""

    log_out_on_page(page)
    page.wait_for_url(re.compile(r"/$"))
    assert page.get_by_text("You are logged out.").is_visible()

    [message] = mailbox.wait_for("nadia@example.com")
    page.goto(link_in(message, "/verify-email/"))
    page.get_by_role("button", name="Confirm nadia@example.com").click()
    page.wait_for_url(re.compile(r"/login"))
    assert page.get_by_text("nadia@example.com is confirmed").is_visible()

    page.get_by_label("Email").fill("nadia@example.com")
    page.get_by_label("Password").fill("a-long-passphrase")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/home$"))
    assert page.get_by_role("heading", name="Hello, Nadia!").is_visible()
    assert page.get_by_text("Please confirm").count() == 0

    page.screenshot(path="test-artifacts/home-phone.png", full_page=True)
    log_out_on_page(page)
    page.wait_for_url(re.compile(r"/$"))
    page.goto("/home")
    assert "/login" in page.url


def test_a_wrong_password_shows_the_message_by_the_form_without_a_reload(page, live_server, make_user):
    make_user("omar@example.com")
    page.goto("/login")
    page.get_by_label("Email").fill("omar@example.com")
    page.get_by_label("Password").fill("not-my-password")
    page.get_by_role("button", name="Log in").click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "don't match" in alert.inner_text()
    assert page.get_by_label("Email").input_value() == "omar@example.com"
