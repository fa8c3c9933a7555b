"""Logging in to an account with a second factor: the right password leads to a second step, where the
browser holds a short-lived pending log-in and nobody is logged in yet; a TOTP code or a recovery code
finishes it, and ``next`` still only leads somewhere on this site."""

import time

import time_machine
from sqlalchemy import func, select

from puchi.accounts.models import UserSession
from puchi.core.db import db
from tests.accounts.mfa_support import enrol_totp
from tests.conftest import AuthActions, post_form


def test_the_right_password_is_not_enough_when_a_second_factor_is_on(app, client, auth, make_user):
    ana = make_user("ana@example.com")
    enrolled = enrol_totp(app, ana.id)

    first = auth.log_in("ana@example.com")
    assert first.status_code == 302 and first.headers["Location"] == "/login/verify"
    assert client.get("/home").headers["Location"].startswith("/login")  # nobody is logged in yet
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(UserSession)) == 0
    page = client.get("/login/verify")
    assert page.status_code == 200 and 'autocomplete="one-time-code"' in page.text

    wrong = post_form(client, "/login/verify", {"code": "000000"})
    assert wrong.status_code == 422 and "That code is not right" in wrong.text
    done = post_form(client, "/login/verify", {"code": enrolled.code(1)})
    assert done.status_code == 302 and done.headers["Location"] == "/home"
    assert client.get("/home").status_code == 200


def test_a_wrong_password_never_reaches_the_second_step(app, auth, make_user):
    ana = make_user("ana@example.com")
    enrol_totp(app, ana.id)
    response = auth.log_in("ana@example.com", "not-the-password-at-all")
    assert response.status_code == 422 and "That email and password don&#39;t match" in response.text


def test_a_recovery_code_finishes_a_log_in_once(app, make_user):
    ana = make_user("ana@example.com")
    enrolled = enrol_totp(app, ana.id)
    code = enrolled.recovery_codes[0]

    first = app.test_client()
    AuthActions(first).log_in("ana@example.com")
    assert post_form(first, "/login/verify", {"code": code.upper().replace("-", " ")}).status_code == 302

    second = app.test_client()
    AuthActions(second).log_in("ana@example.com")
    assert post_form(second, "/login/verify", {"code": code}).status_code == 422
    assert "9 recovery codes left." in first.get("/account/security").text


def test_one_code_cannot_log_in_two_browsers(app, make_user):
    ana = make_user("ana@example.com")
    enrolled = enrol_totp(app, ana.id)
    browsers = [app.test_client(), app.test_client()]
    for browser in browsers:
        AuthActions(browser).log_in("ana@example.com")
    code = enrolled.code(1)
    assert post_form(browsers[0], "/login/verify", {"code": code}).status_code == 302
    assert post_form(browsers[1], "/login/verify", {"code": code}).status_code == 422


def test_next_is_kept_through_the_second_step_but_only_on_this_site(app, make_user):
    ana = make_user("ana@example.com")
    enrolled = enrol_totp(app, ana.id)
    for target, landing, steps in (("/courses", "/courses", 1), ("//evil.example/x", "/home", -1)):
        client = app.test_client()
        post_form(client, f"/login?next={target}", {"email": "ana@example.com",
                                                     "password": "correct-horse-battery"})
        done = post_form(client, "/login/verify", {"code": enrolled.code(steps) if steps > 0
                                                   else enrolled.recovery_codes.pop()})
        assert done.headers["Location"] == landing


def test_a_pending_log_in_lapses_after_five_minutes(app, client, auth, make_user):
    ana = make_user("ana@example.com")
    enrolled = enrol_totp(app, ana.id)
    auth.log_in("ana@example.com")
    with time_machine.travel(time.time() + 6 * 60):
        late = post_form(client, "/login", {"code": enrolled.recovery_codes[0]}, action="/login/verify")
    assert late.status_code == 302 and late.headers["Location"] == "/login"
    assert client.get("/home").status_code == 302


def test_a_pending_log_in_dies_when_the_password_changes(app, client, auth, make_user, mailbox):
    from puchi.accounts import services
    from puchi.accounts.models import User

    ana = make_user("ana@example.com")
    enrolled = enrol_totp(app, ana.id)
    auth.log_in("ana@example.com")
    with app.app_context():
        token = services.reset_token_for(db.session.get(User, ana.id))
        services.reset_password(token, "a-brand-new-passphrase")
    response = post_form(client, "/login", {"code": enrolled.recovery_codes[0]}, action="/login/verify")
    assert response.headers["Location"] == "/login"


def test_an_account_without_a_second_factor_logs_in_at_once(auth, make_user):
    make_user("ana@example.com")
    assert auth.log_in("ana@example.com").headers["Location"] == "/home"


def test_resetting_the_password_does_not_skip_the_second_factor(app, client, auth, make_user, mailbox):
    from puchi.accounts import services
    from puchi.accounts.models import User

    ana = make_user("ana@example.com")
    enrol_totp(app, ana.id)
    with app.app_context():
        services.reset_password(services.reset_token_for(db.session.get(User, ana.id)), "a-brand-new-passphrase")
    assert auth.log_in("ana@example.com", "a-brand-new-passphrase").headers["Location"] == "/login/verify"
