"""Whatever a person types into the account forms, they get the form back with a message, never a 500."""

import pytest
from sqlalchemy import select

from puchi.accounts.models import User
from puchi.core.db import db
from tests.conftest import AuthActions, post_form

LONG = "x" * 10_000
GOOD_SIGN_UP = {"email": "ana@example.com", "display_name": "Ana", "password": "correct-horse-battery",
                "locale": "en", "timezone": "UTC"}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "", "Enter your email address."),
        ("email", LONG, "That email address is too long."),
        ("email", "not-an-email", "Enter a valid email address"),
        ("email", "ana@", "Enter a valid email address"),
        ("email", "ana@@example.com", "Enter a valid email address"),
        ("email", "' OR 1=1 --", "Enter a valid email address"),
        ("display_name", "", "Enter the name other learners will see."),
        ("display_name", "   ", "Enter the name other learners will see."),
        ("display_name", LONG, "Keep your name to 50 characters or fewer."),
        ("display_name", "Ana\u202e", "Your name contains characters that cannot be shown."),
        ("password", "", "Use at least 10 characters."),
        ("password", "short", "Use at least 10 characters."),
        ("password", LONG, "Use at most 256 characters."),
        ("password", "ana@example.com", "Your password cannot be your email address."),
        ("course_interest", "klingon", "Choose one of the options."),
    ],
)
def test_sign_up_shows_each_bad_field_with_its_message(app, client, field, value, message):
    response = post_form(client, "/signup", {**GOOD_SIGN_UP, field: value})

    assert response.status_code == 422
    assert message in response.text
    assert f'id="{field}-errors"' in response.text
    with app.app_context():
        assert db.session.scalar(select(User)) is None


def test_sign_up_keeps_what_was_typed_except_the_password(client):
    response = post_form(client, "/signup", {**GOOD_SIGN_UP, "email": "nope"})
    assert 'value="nope"' in response.text
    assert 'value="Ana"' in response.text
    assert "correct-horse-battery" not in response.text


@pytest.mark.parametrize(
    "name",
    [
        "Zoë Ångström-Łukasz",
        "محمد العربي",
        "שרה כהן",
        "山田 花子",
        "Ana 🌻",
        "Robert'); DROP TABLE users;--",
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
    ],
)
def test_any_real_name_is_welcome_and_shown_escaped(app, client, name):
    response = post_form(client, "/signup", {**GOOD_SIGN_UP, "display_name": name})
    assert response.status_code == 200
    assert AuthActions(client).log_in("ana@example.com").status_code == 302

    home = client.get("/home").text
    assert "<script>alert(1)</script>" not in home
    assert "<img src=x" not in home
    with app.app_context():
        assert db.session.scalar(select(User.display_name)) == name


def test_a_missing_or_wrong_csrf_token_gets_the_form_back_with_a_message(app, client):
    client.get("/signup")
    for token in ("", "forged-token"):
        response = client.post("/signup", data={**GOOD_SIGN_UP, "csrf_token": token})
        assert response.status_code == 400
        assert "This form expired or was sent from another site." in response.text
        assert 'value="ana@example.com"' in response.text
    with app.app_context():
        assert db.session.scalar(select(User)) is None


@pytest.mark.parametrize(
    ("page", "data", "message"),
    [
        ("/login", {"email": "", "password": ""}, "Enter your email address."),
        ("/login", {"email": LONG, "password": LONG}, "That email address is too long."),
        ("/login", {"email": "ana@example.com", "password": ""}, "Enter your password."),
        ("/forgot-password", {"email": ""}, "Enter your email address."),
        ("/forgot-password", {"email": "nope"}, "Enter a valid email address"),
        ("/forgot-password", {"email": LONG}, "That email address is too long."),
    ],
)
def test_log_in_and_reset_forms_explain_bad_input(client, page, data, message):
    response = post_form(client, page, data)
    assert response.status_code == 422
    assert message in response.text


@pytest.mark.parametrize(
    ("action", "data", "message"),
    [
        ("/account/profile", {"display_name": "", "avatar_color": "teal"}, "Enter the name other learners"),
        ("/account/profile", {"display_name": LONG, "avatar_color": LONG}, "Keep your name to 50"),
        ("/account/email", {"new_email": "", "password": ""}, "Enter your email address."),
        ("/account/email", {"new_email": LONG, "password": LONG}, "That email address is too long."),
        ("/account/password", {"current_password": "", "new_password": ""}, "That is not your current"),
        ("/account/password", {"current_password": LONG, "new_password": LONG}, "Use at most 256"),
        ("/account/preferences", {"locale": "", "timezone": "", "daily_goal": "", "theme": ""}, "Choose one"),
        ("/account/preferences", {"locale": LONG, "timezone": LONG, "daily_goal": LONG, "theme": LONG},
         "Choose one"),
    ],
)
def test_account_forms_explain_bad_input(logged_in, action, data, message):
    client, _ = logged_in()
    response = post_form(client, "/account" if action != "/account/preferences" else action, data, action=action)
    assert response.status_code == 422
    assert message in response.text


def test_a_form_without_fields_at_all_is_not_a_server_error(client):
    for page in ("/signup", "/login", "/forgot-password"):
        response = post_form(client, page, {})
        assert response.status_code == 422


def test_an_oversized_request_body_is_refused_politely(client):
    response = client.post("/signup", data={"email": "x" * (3 * 1024 * 1024)})
    assert response.status_code == 413
    assert "That is too much to send" in response.text
