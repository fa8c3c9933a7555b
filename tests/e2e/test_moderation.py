"""A learner reports a rude message in the browser; support hides it; the learner sees the outcome. A learner
reports a profile; support hides it in the browser; others see a neutral name, its owner a notice, until he
changes his name."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from puchi.core.db import db
from puchi.social.models import Report
from tests.accounts.mfa_support import enrol_totp
from tests.admin.conftest import staff_client  # noqa: F401 - fixture
from tests.conftest import DEFAULT_PASSWORD, post_form
from tests.e2e.conftest import log_in_on_page

pytestmark = pytest.mark.e2e


def test_a_reported_message_is_hidden_and_the_reporter_hears_of_it(app, page, make_user, staff_client):  # noqa: F811 - the fixture
    make_user("ana@example.com", display_name="Ana Silva")
    make_user("ben@example.com", display_name="Ben Okafor")
    ana_form = app.test_client()  # Ana's side of making friends, by form; she reports in the browser
    post_form(ana_form, "/login", {"email": "ana@example.com", "password": DEFAULT_PASSWORD})
    ben = app.test_client()
    post_form(ben, "/login", {"email": "ben@example.com", "password": DEFAULT_PASSWORD})
    post_form(ana_form, "/people", {}, action="/u/ben_okafor/follow")
    post_form(ben, "/people", {}, action="/u/ana_silva/follow")
    assert post_form(ben, "/messages/ana_silva", {"body": "You are stupid"}).status_code == 302

    log_in_on_page(page, "ana@example.com")
    page.goto("/messages/ben_okafor")
    page.get_by_text("You are stupid").wait_for()
    page.get_by_text("Report", exact=True).click()
    page.get_by_label("Harassment or bullying").check()
    page.get_by_label("Anything to add (optional)").fill("Rude")
    page.get_by_role("button", name="Send the report").click()
    page.get_by_text("A moderator will look at it").wait_for()  # the form was replaced in place (HTMX)

    support, _ = staff_client("support")
    with app.app_context():
        report_id = db.session.scalar(select(Report.id))
    assert post_form(support, "/admin/reports", {"action": "hide"},
                     action=f"/admin/reports/{report_id}/resolve").status_code == 302

    page.goto("/notifications")
    page.get_by_text("We looked at it and took action.").wait_for()
    page.goto("/messages/ben_okafor")
    page.get_by_text("This message was hidden by the moderators.").wait_for()
    assert page.get_by_text("You are stupid").count() == 0


def test_support_hides_a_reported_profile_until_its_owner_renames(app, browser, live_server, page, make_user):
    make_user("ana@example.com", display_name="Ana Silva")
    make_user("nick@example.com", display_name="Nasty Nick")
    sam = make_user("sam@example.com", display_name="Sam Support", role="support")

    log_in_on_page(page, "ana@example.com")  # Ana reports Nick's profile in the browser
    page.goto("/u/nasty_nick")
    page.get_by_text("Report", exact=True).click()
    page.get_by_label("Hate speech").check()
    page.get_by_role("button", name="Send the report").click()
    page.get_by_text("A moderator will look at it").wait_for()

    support_context = browser.new_context(base_url=live_server, viewport={"width": 390, "height": 844})
    support_page = support_context.new_page()
    log_in_on_page(support_page, "sam@example.com")
    enrol_totp(app, sam.id)  # staff need a second factor
    support_page.goto("/admin/reports")
    support_page.get_by_role("link", name=re.compile(r"^#\d+$")).first.click()
    support_page.wait_for_url(re.compile(r"/admin/reports/\d+$"))
    support_page.get_by_role("button", name="Hide the profile").click()
    expect(support_page.get_by_text("Report resolved; the reporter has been told.")).to_be_visible()
    support_context.close()

    page.goto("/u/nasty_nick")
    expect(page.get_by_role("heading", level=1)).to_have_text("Puchi learner")
    expect(page.get_by_text("Nasty Nick")).to_have_count(0)
    page.goto("/notifications")
    page.get_by_text("We looked at it and took action.").wait_for()

    nick_context = browser.new_context(base_url=live_server, viewport={"width": 390, "height": 844})
    nick_page = nick_context.new_page()
    log_in_on_page(nick_page, "nick@example.com")
    nick_page.goto("/account")
    expect(nick_page.get_by_text("Your profile is hidden from other learners.")).to_be_visible()
    nick_page.get_by_label("Your name").fill("Nick Kind")
    nick_page.get_by_role("button", name="Save profile").click()
    expect(nick_page.get_by_text("Your profile is hidden from other learners.")).to_have_count(0)
    nick_context.close()

    page.goto("/u/nasty_nick")
    expect(page.get_by_role("heading", level=1)).to_have_text("Nick Kind")
