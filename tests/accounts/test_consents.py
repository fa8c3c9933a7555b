"""Consents: what the learner agreed to receive, recorded with the time and the version of the text they saw,
at sign-up and each time they change a choice. No cookie needs consent, so there is no banner."""

from sqlalchemy import select

from puchi.accounts import consents
from puchi.accounts.models import User
from puchi.accounts.privacy_models import Consent
from puchi.core.db import db, now
from tests.conftest import AuthActions, post_form


def _consents(app, email):
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.email == email))
        rows = db.session.scalars(select(Consent).where(Consent.user_id == user_id).order_by(Consent.id)).all()
        return [(row.kind, row.granted, row.text_version, row.source) for row in rows], rows


def test_sign_up_records_marketing_refused_and_the_default_notifications(app, client):
    before = now()
    AuthActions(client).sign_up("ana@example.com")
    recorded, rows = _consents(app, "ana@example.com")
    version = consents.TEXTS["marketing_email"].version
    assert recorded == [("marketing_email", False, version, "sign_up"),
                        ("notifications", True, consents.TEXTS["notifications"].version, "sign_up")]
    assert all(row.recorded_at >= before for row in rows)
    assert "reminder:email" in rows[1].choices


def test_the_learner_gives_and_withdraws_marketing_consent_and_each_change_is_kept(app, logged_in):
    client, _ = logged_in(email="ana@example.com")
    response = post_form(client, "/account/privacy", {"marketing_email": "y"}, action="/account/consents")
    assert response.status_code == 302
    page = client.get("/account/privacy").text
    assert 'name="marketing_email" value="y" checked' in page
    post_form(client, "/account/privacy", {"marketing_email": "y"}, action="/account/consents")  # no change
    post_form(client, "/account/privacy", {}, action="/account/consents")

    recorded, _ = _consents(app, "ana@example.com")
    assert [(kind, granted, source) for kind, granted, _, source in recorded] == [
        ("marketing_email", True, "privacy_page"), ("marketing_email", False, "privacy_page")]
    page = client.get("/account/privacy").text
    assert 'value="y" checked' not in page
    assert page.count("text version 2026-12-06") == 2


def test_changing_notification_settings_records_what_was_chosen(app, logged_in):
    client, _ = logged_in(email="ana@example.com")
    post_form(client, "/account/notifications", {"on": ["weekly:email", "cheer:push"]})
    recorded, rows = _consents(app, "ana@example.com")
    assert recorded[-1][:2] == ("notifications", True) and recorded[-1][3] == "notification_settings"
    assert rows[-1].choices == ["cheer:push", "weekly:email"]

    post_form(client, "/account/notifications", {})
    recorded, _ = _consents(app, "ana@example.com")
    assert recorded[-1][:2] == ("notifications", False)


def test_there_is_no_cookie_banner_because_no_cookie_needs_consent(client, logged_in):
    """The only cookies: the session, remember-me and the chosen language, all needed for what was asked."""
    learner, _ = logged_in()
    cookies = {cookie.key for cookie in learner._cookies.values()}
    assert cookies <= {"puchi_session", "puchi_remember", "puchi_locale"}, cookies
    assert "cookie" not in client.get("/").text.lower()
    assert "no cookie banner" in learner.get("/account/privacy").text
