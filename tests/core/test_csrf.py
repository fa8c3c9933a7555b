"""CSRF is checked before the view runs: a failure is a clear 400 and changes nothing, never a re-run view.

A visitor on a page that needs a login is sent to log in first, with or without a token; a form that can
show itself again (``rerenders_on_csrf_error``) does, with what was typed and a message.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from puchi.accounts.models import User
from puchi.core.csrf import needs_login
from puchi.core.db import db
from puchi.social.models import Follow
from tests.conftest import DEFAULT_PASSWORD, csrf_token, post_form
from tests.test_access import ACCESS, ANONYMOUS, WHO

# Every POST a visitor is sent to log in for (from the access table: 302 to /login for a visitor). The
# language switch answers a visitor with a 302 of its own, trying a course is open to visitors (it makes them a
# guest; a bad token is refused like any other form's, below), and an emailed link's button is no such POST: its
# token is the credential, and it redirects to log in after its work.
LOGIN_ONLY_POSTS = sorted(rule for (method, rule), expected in ACCESS.items()
                          if method == "POST" and expected[WHO.index(ANONYMOUS)] == 302
                          and rule not in {"/language", "/try/<slug>"} and "<token>" not in rule)


def _url(rule: str) -> str:
    return re.sub(r"<int:\w+>", "1", rule.replace("<slug>", "a-course").replace("<username>", "somebody")
                  .replace("<provider>", "google"))


@pytest.mark.parametrize("rule", LOGIN_ONLY_POSTS)
@pytest.mark.parametrize("token", [None, "forged"])
def test_a_visitor_without_a_good_token_is_sent_to_log_in_first(client, rule, token):
    data = {} if token is None else {"csrf_token": token}
    response = client.post(_url(rule), data=data)
    assert response.status_code == 302, response.text[:300]
    assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("token", [None, "forged"])
def test_a_visitor_trying_a_course_without_a_good_token_is_refused_and_no_guest_is_made(app, client, token):
    data = {} if token is None else {"csrf_token": token}
    response = client.post("/try/spanish-for-english-speakers", data=data)
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_login_only_views_are_recognised_also_through_their_blueprint(app):
    assert needs_login(app, "accounts.update_profile")
    assert needs_login(app, "admin.retry_delivery")  # login_required on the blueprint's before_request
    assert not needs_login(app, "accounts.log_in")
    assert not needs_login(app, "accounts.choose_language")


def test_a_learner_without_a_good_token_gets_a_clear_400_and_nothing_happens(app, logged_in, make_user):
    client, me = logged_in()
    other = make_user(display_name="Ben")
    with app.app_context():
        from puchi.social import services

        username = services.my_profile(db.session.get(User, other.id)).username
    for data in ({}, {"csrf_token": "forged"}):
        response = client.post(f"/u/{username}/follow", data=data)
        assert response.status_code == 400
        assert "This form expired or was sent from another site." in response.text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Follow)) == 0


def test_a_json_client_without_a_good_token_gets_a_problem_that_says_why(logged_in):
    client, _ = logged_in()
    response = client.post("/push/subscriptions", json={"endpoint": "x"}, headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert "expired or was sent from another site" in response.json["detail"]


def test_a_message_to_someone_who_is_no_friend_without_a_token_is_refused_not_a_500(app, logged_in, make_user):
    client, _ = logged_in()
    stranger = make_user(display_name="Cleo")
    with app.app_context():
        from puchi.social import services

        username = services.my_profile(db.session.get(User, stranger.id)).username
    response = client.post(f"/messages/{username}", data={"body": "hello"})
    assert response.status_code == client.get(f"/messages/{username}").status_code == 403


@pytest.fixture
def app_settings():
    return {"RATELIMIT_LOGIN": "3 per minute"}


def test_logging_in_without_a_token_once_rate_limited_says_to_wait_not_a_500(client, make_user):
    user = make_user()
    for _ in range(3):
        post_form(client, "/login", {"email": user.email, "password": "wrong-password-here"})
    response = client.post("/login", data={"email": user.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 429


def test_a_form_that_shows_itself_again_keeps_what_was_typed_and_says_why(logged_in):
    client, _ = logged_in(display_name="Ana")
    response = client.post("/account/profile", data={"display_name": "Ana María", "avatar_color": "teal",
                                                     "csrf_token": "forged"})
    assert response.status_code == 400
    assert "This form expired or was sent from another site." in response.text
    assert 'value="Ana María"' in response.text


def test_a_form_shown_again_on_a_bad_token_cannot_save_even_when_its_own_check_passes(app, logged_in):
    """On HTTPS the Referer must be this site too; the form's own token check does not look at it."""
    client, user = logged_in(display_name="Ana")
    token = csrf_token(client, "/account")
    response = client.post("/account/profile", base_url="https://localhost",
                           headers={"Referer": "https://evil.example/"},
                           data={"display_name": "Hacked", "avatar_color": "teal", "csrf_token": token})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.get(User, user.id).display_name == "Ana"


def test_a_good_token_in_the_htmx_header_is_enough_for_a_form_that_shows_itself_again(app, logged_in):
    client, user = logged_in(display_name="Ana")
    token = csrf_token(client, "/account")
    response = client.post("/account/profile", data={"display_name": "Ana María", "avatar_color": "teal"},
                           headers={"X-CSRFToken": token, "HX-Request": "true"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(User, user.id).display_name == "Ana María"
