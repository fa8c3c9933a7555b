"""A learner reports a rude message in the browser; support hides it; the learner sees the outcome."""

import pytest
from sqlalchemy import select

from puchi.core.db import db
from puchi.social.models import Report
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
