"""Passkeys on the server side: what the browser is asked for (a discoverable credential with user
verification, none registered twice), names, and refusals. The ceremonies run over HTTP answered by a
software authenticator (real signatures, real verification), and in a browser in tests/e2e/test_passkeys.py
(Chromium's virtual authenticator)."""

import json
import time

import pytest
import time_machine
from sqlalchemy import select

from puchi.accounts import mfa_status, passkeys
from puchi.accounts.mfa_models import Passkey
from puchi.accounts.models import User
from puchi.core.db import action, db
from puchi.core.errors import BadRequest, Invalid, NotFound
from tests.accounts.mfa_support import enrol_totp, prove_it_is_me
from tests.accounts.soft_authenticator import SoftAuthenticator
from tests.conftest import AuthActions, csrf_token, post_form


def _give_passkey(app, user_id, name="Phone", credential_id="AQIDBA"):
    with app.app_context(), action():
        key = Passkey(user_id=user_id, credential_id=credential_id, public_key=b"key", name=name)
        db.session.add(key)
        db.session.flush()
        return key.id


def test_registration_asks_for_a_discoverable_verified_credential_and_excludes_known_ones(app, logged_in):
    client, ana = logged_in(email="ana@example.com")
    response = client.post("/account/security/passkeys/options", json={},
                           headers={"X-CSRFToken": csrf_token(client, "/account/security")})
    options = response.get_json()
    assert response.status_code == 200
    assert options["rp"] == {"id": "localhost", "name": "Puchi"}
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert str(ana.id) not in options["user"]["id"] and options["user"]["name"] == "ana@example.com"

    prove_it_is_me(client, enrol_totp(app, ana.id))
    _give_passkey(app, ana.id)
    again = client.post("/account/security/passkeys/options", json={},
                        headers={"X-CSRFToken": csrf_token(client, "/account/security")}).get_json()
    assert [item["id"] for item in again["excludeCredentials"]] == ["AQIDBA"]
    assert again["challenge"] != options["challenge"]


def test_adding_a_passkey_to_an_account_with_mfa_needs_a_fresh_proof(app, logged_in):
    client, ana = logged_in(email="ana@example.com")
    enrol_totp(app, ana.id)
    response = client.post("/account/security/passkeys/options", json={},
                           headers={"X-CSRFToken": csrf_token(client, "/account/security"),
                                    "Accept": "application/json"})
    assert response.status_code == 403 and response.get_json()["code"] == "step_up_required"


def test_a_forged_answer_is_refused_and_the_challenge_is_spent(app, logged_in):
    client, _ = logged_in(email="ana@example.com")
    token = csrf_token(client, "/account/security")
    client.post("/account/security/passkeys/options", json={}, headers={"X-CSRFToken": token})
    forged = {"id": "AQIDBA", "rawId": "AQIDBA", "type": "public-key",
              "response": {"clientDataJSON": "e30", "attestationObject": "oA"}}
    headers = {"X-CSRFToken": token, "Accept": "application/json"}
    first = client.post("/account/security/passkeys", json={"name": "Mine", "credential": forged}, headers=headers)
    assert first.status_code == 400 and first.get_json()["code"] == "passkey_refused"
    with app.app_context():
        assert db.session.scalar(select(Passkey.id)) is None


def test_an_unknown_passkey_signs_nobody_in(app, client):
    token = csrf_token(client, "/login")
    options = client.post("/login/passkey/options", json={}, headers={"X-CSRFToken": token}).get_json()
    assert options["allowCredentials"] == [] and options["userVerification"] == "required"
    assertion = {"id": "AQIDBA", "rawId": "AQIDBA", "type": "public-key",
                 "response": {"clientDataJSON": "e30", "authenticatorData": "AA", "signature": "AA"}}
    refused = client.post("/login/passkey", json={"credential": assertion},
                          headers={"X-CSRFToken": token, "Accept": "application/json"})
    assert refused.status_code == 400 and refused.get_json()["code"] == "passkey_refused"
    assert client.get("/home").status_code == 302


def test_passkeys_are_renamed_and_removed_only_by_their_owner(app, logged_in):
    ana_client, ana = logged_in(email="ana@example.com")
    ben_client, _ = logged_in(email="ben@example.com")
    passkey_id = _give_passkey(app, ana.id, name="Phone")

    assert post_form(ben_client, "/account/security", {"name": "Mine now"},
                     action=f"/account/security/passkeys/{passkey_id}/rename").status_code == 404
    assert post_form(ana_client, "/account/security", {"name": "  Work   laptop "},
                     action=f"/account/security/passkeys/{passkey_id}/rename").status_code == 302
    assert "Work laptop" in ana_client.get("/account/security").text
    with app.app_context():
        user = db.session.get(User, ana.id)
        with pytest.raises(Invalid):
            passkeys.rename_passkey(user, passkey_id, "x" * 61)
        with pytest.raises(NotFound):
            passkeys.remove_passkey(db.session.get(User, ana.id), passkey_id + 1000)
        passkeys.remove_passkey(user, passkey_id)
        assert not mfa_status.has_second_factor(ana.id)


def test_the_last_passkey_removed_takes_recovery_codes_and_remembered_browsers_along(app, make_user):
    ana = make_user("ana@example.com")
    passkey_id = _give_passkey(app, ana.id)
    with app.app_context():
        from puchi.accounts import mfa

        user = db.session.get(User, ana.id)
        codes = mfa.regenerate_recovery_codes(user)
        passkeys.remove_passkey(user, passkey_id)
        assert mfa_status.factors_of(ana.id).recovery_codes_left == 0
        with pytest.raises((Invalid, BadRequest)):
            mfa.verify_code(user, codes[0], purpose="step_up")
    assert json.dumps(codes)  # they were real codes


# --- The ceremonies over HTTP, answered by a software authenticator ----------------------------------


JSON = {"Accept": "application/json"}


def _post_json(client, url, body, page="/login"):
    return client.post(url, json=body, headers={"X-CSRFToken": csrf_token(client, page), **JSON})


def _register(client, authenticator, name="Phone"):
    options = _post_json(client, "/account/security/passkeys/options", {}, "/account/security").get_json()
    return _post_json(client, "/account/security/passkeys",
                      {"name": name, "credential": authenticator.create(options)}, "/account/security")


def _sign_in(client, authenticator, url="/login/passkey", page="/login", **extra):
    options = _post_json(client, "/login/passkey/options", {}, page).get_json()
    return _post_json(client, url, {"credential": authenticator.get(options), **extra}, page)


def test_a_registered_passkey_signs_in_alone_and_comes_with_recovery_codes(app, logged_in):
    client, ana = logged_in(email="ana@example.com")
    phone = SoftAuthenticator()
    registered = _register(client, phone, name="Ana's phone")
    assert registered.status_code == 201
    assert len(registered.get_json()["recovery_codes"]) == 10  # the first second factor
    assert "Ana&#39;s phone" in client.get("/account/security").text
    AuthActions(client).log_out()

    stranger = app.test_client()
    signed_in = _sign_in(stranger, phone)
    assert signed_in.status_code == 200 and signed_in.get_json()["redirect"] == "/home"
    assert stranger.get("/home").status_code == 200


def test_a_replayed_or_cloned_signature_counter_is_refused(app, logged_in):
    client, _ = logged_in(email="ana@example.com")
    phone = SoftAuthenticator()
    _register(client, phone)
    assert _sign_in(app.test_client(), phone).status_code == 200
    clone = app.test_client()
    options = _post_json(clone, "/login/passkey/options", {}).get_json()
    stale = _post_json(clone, "/login/passkey", {"credential": phone.get(options, counter=1)})
    assert stale.status_code == 400 and stale.get_json()["code"] == "passkey_refused"


def test_a_passkey_is_the_second_step_but_only_the_accounts_own(app, logged_in):
    ana_client, _ = logged_in(email="ana@example.com")
    ben_client, _ = logged_in(email="ben@example.com")
    anas, bens = SoftAuthenticator(), SoftAuthenticator()
    _register(ana_client, anas)
    _register(ben_client, bens)

    browser = app.test_client()
    assert AuthActions(browser).log_in("ana@example.com").headers["Location"] == "/login/verify"
    wrong = _sign_in(browser, bens)
    assert wrong.status_code == 400 and wrong.get_json()["code"] == "passkey_refused"
    assert browser.get("/home").status_code == 302
    done = _sign_in(browser, anas, remember_device=True)
    assert done.status_code == 200 and browser.get("/home").status_code == 200
    assert "Skips the code until" in browser.get("/account/security").text


def test_a_passkey_confirms_it_is_you_before_a_sensitive_change(app, logged_in):
    client, ana = logged_in(email="ana@example.com")
    phone = SoftAuthenticator()
    _register(client, phone)
    with time_machine.travel(time.time() + 11 * 60):
        change = {"current_password": "correct-horse-battery", "new_password": "a-brand-new-passphrase"}
        asked = post_form(client, "/account", change, action="/account/password")
        assert asked.headers["Location"] == "/account/security/confirm?next=/account"
        assert "Use a passkey" in client.get(asked.headers["Location"]).text
        confirmed = _sign_in(client, phone, url="/account/security/confirm/passkey?next=/account", page="/account")
        assert confirmed.status_code == 200 and confirmed.get_json()["redirect"] == "/account"
        assert post_form(client, "/account", change, action="/account/password").headers["Location"] == "/account"
