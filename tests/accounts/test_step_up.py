"""Sensitive changes ask for the second factor again when one is on: changing the email or the password,
the MFA settings (new recovery codes, another authenticator). A proof lasts ten minutes; logging in with the
second factor counts as one. Admins must use MFA: without it the admin pages send them to set it up."""

import time

import time_machine

from tests.accounts.mfa_support import enrol_totp, prove_it_is_me
from tests.conftest import AuthActions, post_form

NEW_PASSWORD = {"current_password": "correct-horse-battery", "new_password": "a-brand-new-passphrase"}


def test_changing_the_password_asks_for_the_second_factor_first(app, logged_in):
    client, ana = logged_in(email="ana@example.com")
    enrolled = enrol_totp(app, ana.id)  # turned on elsewhere: this session has not proved it

    asked = post_form(client, "/account", NEW_PASSWORD, action="/account/password")
    assert asked.status_code == 302
    assert asked.headers["Location"] == "/account/security/confirm?next=/account"
    page = client.get(asked.headers["Location"])
    assert page.status_code == 200 and "<h1>Confirm it's you</h1>" in page.text

    assert post_form(client, "/account/security/confirm?next=/account", {"code": "000000"}).status_code == 422
    confirmed = post_form(client, "/account/security/confirm?next=/account", {"code": enrolled.code(1)})
    assert confirmed.headers["Location"] == "/account"
    changed = post_form(client, "/account", NEW_PASSWORD, action="/account/password")
    assert changed.status_code == 302 and changed.headers["Location"] == "/account"
    assert "Your password is changed" in client.get("/account").text


def test_changing_the_email_asks_too_and_a_proof_lasts_ten_minutes(app, logged_in):
    client, ana = logged_in(email="ana@example.com")
    enrolled = enrol_totp(app, ana.id)
    change = {"new_email": "ana.new@example.com", "password": "correct-horse-battery"}
    assert "/account/security/confirm" in post_form(client, "/account", change, action="/account/email").headers[
        "Location"]
    prove_it_is_me(client, enrolled)
    assert post_form(client, "/account", change, action="/account/email").headers["Location"] == "/account"
    with time_machine.travel(time.time() + 11 * 60):
        again = post_form(client, "/account", change, action="/account/email")
    assert "/account/security/confirm" in again.headers["Location"]


def test_logging_in_with_the_second_factor_counts_as_a_proof(app, make_user):
    ana = make_user("ana@example.com")
    enrolled = enrol_totp(app, ana.id)
    client = app.test_client()
    AuthActions(client).log_in("ana@example.com")
    post_form(client, "/login/verify", {"code": enrolled.code(1)})
    assert post_form(client, "/account", NEW_PASSWORD, action="/account/password").headers["Location"] == "/account"


def test_new_recovery_codes_need_a_fresh_proof_and_retire_the_old_ones(app, logged_in):
    client, ana = logged_in(email="ana@example.com")
    enrolled = enrol_totp(app, ana.id)
    asked = post_form(client, "/account/security", {}, action="/account/security/recovery-codes")
    assert asked.headers["Location"] == "/account/security/confirm?next=/account/security"
    prove_it_is_me(client, enrolled)
    fresh = post_form(client, "/account/security", {}, action="/account/security/recovery-codes")
    assert fresh.status_code == 200 and "Your recovery codes" in fresh.text
    old = enrolled.recovery_codes[0]
    assert post_form(client, "/account/security/confirm", {"code": old}).status_code == 422


def test_without_a_second_factor_nothing_more_is_asked(logged_in):
    client, _ = logged_in(email="ana@example.com")
    assert post_form(client, "/account", NEW_PASSWORD, action="/account/password").headers["Location"] == "/account"
    assert client.get("/account/security/confirm?next=/account").headers["Location"] == "/account"


def test_an_admin_without_mfa_is_sent_to_set_it_up_not_refused(app, logged_in):
    client, root = logged_in(email="root@example.com", is_admin=True)
    response = client.get("/admin/deliveries")
    assert response.status_code == 302 and response.headers["Location"] == "/account/security/required"
    page = client.get("/account/security/required")
    assert page.status_code == 200
    assert "Administrators must use two-step verification" in page.text

    enrol_totp(app, root.id)
    assert client.get("/admin/deliveries").status_code == 200


def test_a_learner_is_still_refused_the_admin_pages(logged_in):
    client, _ = logged_in(email="ana@example.com")
    assert client.get("/admin/deliveries").status_code == 403


def test_after_changing_a_second_factor_the_security_page_offers_to_sign_out_everywhere_else(app, logged_in):
    """ASVS 7.4.3: with the factor changed (here: turned on), ending every other session is one button away."""

    laptop, ana = logged_in(email="ana@example.com")
    phone = app.test_client()
    assert AuthActions(phone).log_in("ana@example.com").status_code == 302
    enrol_totp(app, ana.id)

    page = laptop.get("/account/security").text
    assert "You are also signed in on 1 other device." in page and "Sign out everywhere else" in page
    done = post_form(laptop, "/account/security", {"back": "security"}, action="/account/sessions/revoke-others")
    assert done.status_code == 302 and done.headers["Location"] == "/account/security"
    assert phone.get("/home").status_code == 302  # the phone is signed out
    assert "You are not signed in on any other device." in laptop.get("/account/security").text
