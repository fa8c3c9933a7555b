"""Logging in and out: sessions live on the server, so logging out really ends them."""

import re

from sqlalchemy import select

from puchi.accounts.models import User
from puchi.core.db import db
from tests.conftest import AuthActions, post_form


def test_a_learner_logs_in_and_out(client, auth, make_user):
    user = make_user("ana@example.com", display_name="Ana")

    response = auth.log_in(user.email)
    assert response.status_code == 302
    assert "Hello, Ana!" in client.get("/home").text

    response = auth.log_out()
    assert response.status_code == 302
    assert client.get("/home").status_code == 302


def test_wrong_password_keeps_the_learner_out(client, auth, make_user):
    make_user("ana@example.com")

    response = auth.log_in("ana@example.com", "not-the-password")
    assert response.status_code == 422
    assert "That email and password don&#39;t match." in response.text
    assert client.get("/home").status_code == 302


def test_an_unknown_email_gets_the_same_answer_as_a_wrong_password(client, auth):
    response = auth.log_in("nobody@example.com", "whatever-password")
    assert response.status_code == 422
    assert "That email and password don&#39;t match." in response.text


def test_the_email_is_matched_in_any_letter_case(client, auth, make_user):
    make_user("ana@example.com")
    assert auth.log_in("  ANA@Example.COM ").status_code == 302


def test_logging_in_sends_the_learner_back_where_they_were_going(client, make_user):
    user = make_user()
    response = client.get("/account")
    assert response.status_code == 302
    assert "/login?next=%2Faccount" in response.headers["Location"]
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login?next=/account").text).group(1)
    response = client.post("/login?next=/account",
                           data={"csrf_token": token, "email": user.email, "password": "correct-horse-battery"})
    assert response.headers["Location"] == "/account"


def test_a_next_link_to_another_site_is_ignored(client, make_user):
    user = make_user()
    for target in ("https://evil.example/", "//evil.example/", "javascript:alert(1)"):
        page = client.get(f"/login?next={target}")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        response = client.post(f"/login?next={target}",
                               data={"csrf_token": token, "email": user.email, "password": "correct-horse-battery"})
        assert response.headers["Location"] == "/home"
        AuthActions(client).log_out()


def test_a_copied_session_cookie_stops_working_after_log_out(app, client, auth, make_user):
    make_user("ana@example.com")
    auth.log_in("ana@example.com")
    stolen = client.get_cookie("puchi_session").value

    auth.log_out()
    thief = app.test_client()
    thief.set_cookie("puchi_session", stolen)
    assert thief.get("/home").status_code == 302


def test_remember_me_keeps_the_learner_in_after_the_browser_session_ends(app, client, auth, make_user):
    make_user("ana@example.com")
    auth.log_in("ana@example.com", remember=True)
    remember = client.get_cookie("puchi_remember")
    assert remember is not None

    fresh_browser = app.test_client()
    fresh_browser.set_cookie("puchi_remember", remember.value)
    assert fresh_browser.get("/home").status_code == 200


def test_logging_out_deletes_the_remember_me_cookie(client, auth, make_user):
    make_user("ana@example.com")
    auth.log_in("ana@example.com", remember=True)
    assert client.get_cookie("puchi_remember") is not None

    response = auth.log_out()
    [deletion] = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("puchi_remember=")]
    assert deletion.startswith("puchi_remember=;")
    assert "Max-Age=0" in deletion and "Path=/" in deletion
    assert client.get_cookie("puchi_remember") is None


def test_logging_in_starts_a_new_session(client, auth, make_user):
    make_user("ana@example.com")
    client.get("/login")
    before = client.get_cookie("puchi_session").value
    auth.log_in("ana@example.com")
    assert client.get_cookie("puchi_session").value != before


def test_an_outdated_password_hash_is_upgraded_on_log_in(app, client, auth, make_user):
    make_user("ana@example.com")
    app.config["ARGON2_TIME_COST"] = 2  # the site raised its parameters since the hash was made

    auth.log_in("ana@example.com")
    with app.app_context():
        assert "t=2," in db.session.scalar(select(User.password_hash))


def test_session_cookies_are_http_only_and_same_site(client, auth, make_user):
    make_user("ana@example.com")
    response = auth.log_in("ana@example.com", remember=True)
    cookies = response.headers.getlist("Set-Cookie")
    assert all("HttpOnly" in c and "SameSite=Lax" in c for c in cookies if c.startswith(("puchi_", "__Host")))


def test_log_out_needs_a_post_with_the_csrf_token(client, auth, make_user):
    make_user("ana@example.com")
    auth.log_in("ana@example.com")
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert client.get("/home").status_code == 200
    assert post_form(client, "/home", {}, action="/logout").status_code == 302
