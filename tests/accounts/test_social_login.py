"""Social login over OpenID Connect, against a local provider that speaks the real protocol
(tests/oidc_provider.py): discovery, authorize, token with PKCE and client authentication, JWKS, RS256."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from joserfc.jwk import RSAKey
from sqlalchemy import func, select

from puchi.accounts.models import Identity, User
from puchi.core.db import db
from puchi.core.events import Event
from tests.conftest import CSRF_RE, DEFAULT_PASSWORD, follow_email_link, link_in, post_form
from tests.oidc_provider import CLIENT_ID, CLIENT_SECRET, OidcProvider, running_provider
from tests.oidc_provider import User as ProviderUser

NADIA = ProviderUser(subject="google-nadia-1", email="nadia@example.com", name="Nadia Quispe")
ANA = ProviderUser(subject="google-ana-7", email="ana@example.com", name="Ana G.")


@pytest.fixture
def provider() -> Iterator[OidcProvider]:
    with running_provider() as running:
        yield running


@pytest.fixture
def app_settings(provider: OidcProvider) -> dict[str, Any]:
    return {"OIDC_PROVIDERS": {"google": {"issuer": provider.issuer, "client_id": CLIENT_ID,
                                          "secret": CLIENT_SECRET, "name": ""}},
            "RATELIMIT_OIDC_CALLBACK": "1000 per minute"}


# --- The learner's steps ---------------------------------------------------------------------------

def go_to_provider(client, *, page: str = "/login", action: str = "/login/oidc/google", **headers: str) -> str:
    """Press "Continue with Google": where the browser is sent (the provider's authorization URL)."""
    response = post_form(client, page, {}, action=action, headers=headers)
    assert response.status_code == 303, response.text[:300]
    return response.headers["Location"]


def provider_answers(authorize_url: str) -> str:
    """The provider's redirect back to Puchi (path and query), as the browser would follow it."""
    answer = requests.get(authorize_url, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.status_code
    back = urlsplit(answer.headers["Location"])
    return f"{back.path}?{back.query}"


def come_back(client, callback: str):
    return client.get(callback)


def press_continue(client, page, **headers: str):
    """The callback page's form (auto-submitted by its script in a browser)."""
    match = CSRF_RE.search(page.text)
    assert page.status_code == 200 and match, page.text[:500]
    return client.post("/login/oidc/continue", data={"csrf_token": match.group(1)}, headers=headers)


def continue_with_google(client, *, page: str = "/login", action: str = "/login/oidc/google", **headers: str):
    callback_page = come_back(client, provider_answers(go_to_provider(client, page=page, action=action, **headers)))
    return press_continue(client, callback_page, **headers)


def is_logged_in(client) -> bool:
    return client.get("/home").status_code == 200


def identities(app) -> list[Identity]:
    with app.app_context():
        rows = list(db.session.scalars(select(Identity).order_by(Identity.id)))
        db.session.expunge_all()
        return rows


def user_by_email(app, email: str) -> User | None:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        if user is not None:
            db.session.expunge(user)
        return user


def sign_in_page_problem(response) -> str:
    assert "Sign-in not completed" in response.text, response.text[:500]
    return response.text


# --- Buttons ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("page", ["/login", "/signup"])
def test_log_in_and_sign_up_pages_offer_each_configured_provider(client, page):
    html = client.get(page).text
    assert "Continue with Google" in html
    assert 'action="/login/oidc/google"' in html and 'hx-boost="false"' in html
    assert "Continue with GitHub" not in html  # not configured, no button


def test_an_unconfigured_provider_has_no_way_in(client):
    response = post_form(client, "/login", {}, action="/login/oidc/github")
    assert response.status_code == 404


# --- Logging in and signing up --------------------------------------------------------------------

def test_a_new_learner_with_a_confirmed_address_gets_a_confirmed_account(app, client, provider):
    provider.approve(NADIA)

    response = continue_with_google(client, **{"Accept-Language": "es"})

    assert response.status_code == 302 and response.headers["Location"] == "/home"
    assert is_logged_in(client)
    nadia = user_by_email(app, "nadia@example.com")
    assert nadia is not None and nadia.email_verified
    assert nadia.display_name == "Nadia Quispe" and nadia.locale == "es"
    [identity] = identities(app)
    assert (identity.user_id, identity.provider, identity.subject) == (nadia.id, "google", NADIA.subject)
    assert identity.email_verified and identity.last_used_at is not None


def test_the_flow_uses_state_nonce_and_pkce(client, provider):
    provider.approve(NADIA)
    query = parse_qs(urlsplit(go_to_provider(client)).query)

    assert query["client_id"] == [CLIENT_ID] and query["response_type"] == ["code"]
    assert set(query["scope"][0].split()) >= {"openid", "email"}
    assert len(query["state"][0]) >= 32 and len(query["nonce"][0]) >= 32
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) == 43
    assert query["redirect_uri"] == ["http://localhost/login/oidc/google/callback"]


def test_a_linked_identity_logs_its_account_in(app, client, logged_in, provider):
    ana_client, ana = logged_in(email="ana@example.com", display_name="Ana")
    provider.approve(ProviderUser(subject="google-ana-7", email="ana.other@example.com"))
    response = continue_with_google(ana_client, page="/account", action="/account/identities/google/link")
    assert response.status_code == 302 and response.headers["Location"] == "/account"
    assert "Google is linked" in ana_client.get("/account").text

    response = continue_with_google(client)

    assert response.status_code == 302 and response.headers["Location"] == "/home"
    assert "Ana" in client.get("/home").text
    with app.app_context():
        logins = db.session.scalar(select(func.count()).select_from(Event).where(
            Event.name == "user.logged_in", Event.subject_id == ana.id))
    assert logins == 2  # the password, then Google: the same session start
    assert [i.user_id for i in identities(app)] == [ana.id]


def test_the_session_is_a_new_one(client, provider):
    provider.approve(NADIA)
    client.get("/login")
    with client.session_transaction() as before:
        before["planted"] = "by someone else"
    continue_with_google(client)
    with client.session_transaction() as after:
        assert "planted" not in after


# --- An address that already has an account: proof first ------------------------------------------

def test_a_matching_address_is_never_linked_silently(app, client, make_user, provider):
    make_user(email="ana@example.com", display_name="Ana")
    provider.approve(ANA)

    response = continue_with_google(client)

    assert response.status_code == 302 and response.headers["Location"] == "/login/oidc/link"
    page = client.get("/login/oidc/link")
    assert "Is this your account?" in page.text and "ana@example.com" in page.text
    assert not is_logged_in(client)
    assert identities(app) == []


def test_the_password_proves_the_account_then_links(app, client, make_user, provider):
    ana = make_user(email="ana@example.com", display_name="Ana")
    provider.approve(ANA)
    continue_with_google(client)

    wrong = post_form(client, "/login/oidc/link", {"password": "not-my-password"},
                      action="/login/oidc/link/password")
    assert wrong.status_code == 422 and "That email and password don" in wrong.text
    assert identities(app) == [] and not is_logged_in(client)

    right = post_form(client, "/login/oidc/link", {"password": DEFAULT_PASSWORD},
                      action="/login/oidc/link/password")
    assert right.status_code == 302 and right.headers["Location"] == "/home"
    assert is_logged_in(client)
    assert [(i.user_id, i.subject) for i in identities(app)] == [(ana.id, ANA.subject)]


def test_an_emailed_link_proves_the_account_then_links(app, client, make_user, mailbox, provider):
    ana = make_user(email="ana@example.com", display_name="Ana")
    provider.approve(ANA)
    continue_with_google(client)

    sent = post_form(client, "/login/oidc/link", {}, action="/login/oidc/link/email")
    assert sent.status_code == 200 and "Check your inbox" in sent.text
    [message] = mailbox.wait_for("ana@example.com")
    assert "Google" in message["Subject"]
    link = link_in(message, "/link-identity/")
    assert identities(app) == []  # not before the owner confirms

    mail_reader = app.test_client()  # the owner's mail app, maybe another device
    confirmed = follow_email_link(mail_reader, link)
    assert confirmed.status_code == 302 and confirmed.headers["Location"] == "/login"
    assert [(i.user_id, i.subject) for i in identities(app)] == [(ana.id, ANA.subject)]
    assert follow_email_link(mail_reader, link).status_code == 410  # single use

    assert continue_with_google(app.test_client()).headers["Location"] == "/home"


def test_a_damaged_emailed_link_does_not_work(app, client, make_user, mailbox, provider):
    make_user(email="ana@example.com", display_name="Ana")
    provider.approve(ANA)
    continue_with_google(client)
    post_form(client, "/login/oidc/link", {}, action="/login/oidc/link/email")
    link = link_in(mailbox.wait_for("ana@example.com")[0], "/link-identity/")
    forged = link[:-3] + ("aaa" if not link.endswith("aaa") else "bbb")

    assert client.get(forged).status_code == 400
    assert identities(app) == []


# --- Refusals ----------------------------------------------------------------------------------------

def test_an_unconfirmed_address_is_refused_with_a_clear_page(app, client, provider):
    provider.approve(ProviderUser(subject="g-unverified", email="nadia@example.com", email_verified=False))

    response = continue_with_google(client)

    assert response.status_code == 403
    assert "Your email address is not confirmed" in response.text
    assert user_by_email(app, "nadia@example.com") is None and identities(app) == []


def test_an_unconfirmed_address_of_an_existing_account_is_refused_too(app, client, make_user, provider):
    make_user(email="ana@example.com")
    provider.approve(ProviderUser(subject="g-unverified", email="ana@example.com", email_verified=False))

    assert continue_with_google(client).status_code == 403
    assert client.get("/login/oidc/link").headers["Location"] == "/login"  # no proof offered


def test_a_forged_state_is_refused(app, client, provider):
    provider.approve(NADIA)
    callback = provider_answers(go_to_provider(client))
    query = {key: values[0] for key, values in parse_qs(urlsplit(callback).query).items()}
    query["state"] = "forged-" + query["state"][7:]

    response = client.get(f"/login/oidc/google/callback?{urlencode(query)}")

    assert response.status_code == 400
    sign_in_page_problem(response)
    assert provider.token_errors == [] and ("POST", "/token") not in provider.requests  # the code was not spent
    assert not is_logged_in(client) and identities(app) == []


def test_a_state_of_any_characters_is_refused_not_a_500(client, provider):
    provider.approve(NADIA)
    go_to_provider(client)
    response = client.get("/login/oidc/google/callback?" + urlencode({"code": "x", "state": "é\u202e☃"}))
    assert response.status_code == 400


def test_a_callback_with_no_sign_in_started_in_this_browser_is_refused(app, client, provider):
    provider.approve(NADIA)
    callback = provider_answers(go_to_provider(app.test_client()))  # started in another browser

    response = client.get(callback)

    assert response.status_code == 400
    sign_in_page_problem(response)
    assert not is_logged_in(client)


def test_a_replayed_code_is_refused(app, client, provider):
    provider.approve(NADIA)
    first = provider_answers(go_to_provider(client))
    come_back(client, first)
    code = parse_qs(urlsplit(first).query)["code"][0]
    # A new sign-in in the same browser, answered with the code already spent.
    state = parse_qs(urlsplit(go_to_provider(client)).query)["state"][0]

    response = client.get(f"/login/oidc/google/callback?{urlencode({'code': code, 'state': state})}")

    assert response.status_code == 400
    sign_in_page_problem(response)
    assert provider.token_errors == ["invalid_grant"]


def test_the_same_callback_twice_is_refused(client, provider):
    provider.approve(NADIA)
    callback = provider_answers(go_to_provider(client))
    assert come_back(client, callback).status_code == 200

    assert come_back(client, callback).status_code == 400


@pytest.mark.parametrize(("spoiled", "why"), [
    ({"aud": "another-client"}, "wrong audience"),
    ({"exp": int(time.time()) - 3600, "iat": int(time.time()) - 4000}, "expired"),
    ({"nonce": "not-the-nonce-we-sent"}, "nonce mismatch"),
    ({"iss": "https://impostor.example"}, "wrong issuer"),
])
def test_an_id_token_that_fails_a_check_is_refused(app, client, provider, spoiled, why):
    provider.approve(NADIA)
    provider.spoil = spoiled

    response = continue_with_google_callback_only(client)

    assert response.status_code == 400, why
    assert "could not confirm your identity" in response.text
    assert not is_logged_in(client) and user_by_email(app, "nadia@example.com") is None


def test_an_id_token_signed_by_another_key_is_refused(app, client, provider):
    provider.approve(NADIA)
    provider.sign_with = RSAKey.generate_key(2048, parameters={"kid": "key-1"})  # same key id, another key

    response = continue_with_google_callback_only(client)

    assert response.status_code == 400
    assert not is_logged_in(client) and user_by_email(app, "nadia@example.com") is None


def test_a_new_signing_key_is_fetched_once_when_the_provider_rotates(client, provider):
    provider.approve(NADIA)
    assert continue_with_google_callback_only(client).status_code == 200  # keys now cached
    provider.key = RSAKey.generate_key(2048, parameters={"kid": "key-2"})

    assert continue_with_google_callback_only(client).status_code == 200


def continue_with_google_callback_only(client):
    return come_back(client, provider_answers(go_to_provider(client)))


def test_a_learner_who_declines_at_the_provider_gets_a_clear_page(client, provider):
    provider.approve(None)

    response = continue_with_google_callback_only(client)

    assert response.status_code == 400
    assert "Please start again" in response.text


def test_a_provider_that_is_down_gets_a_clear_page(client, provider):
    provider.down = True

    response = post_form(client, "/login", {}, action="/login/oidc/google")

    assert response.status_code == 503
    assert "Google is not answering" in response.text and "log in with your email" in response.text


def test_a_provider_that_fails_at_the_code_exchange_gets_a_clear_page(client, provider):
    provider.approve(NADIA)
    callback = provider_answers(go_to_provider(client))
    provider.down = True

    response = come_back(client, callback)

    assert response.status_code == 503
    assert "Google is not answering" in response.text


def test_the_callback_is_rate_limited_per_address(app, client, provider):
    app.config["RATELIMIT_OIDC_CALLBACK"] = "3 per minute"
    statuses = [client.get("/login/oidc/google/callback?code=x&state=y").status_code for _ in range(4)]
    assert statuses == [400, 400, 400, 429]


def test_no_code_or_token_reaches_the_logs_or_events(app, client, make_user, provider, caplog):
    caplog.set_level(logging.DEBUG)
    make_user(email="ana@example.com")
    provider.approve(NADIA)
    continue_with_google(client)
    provider.spoil = {"aud": "another-client"}
    continue_with_google_callback_only(app.test_client())
    provider.approve(ANA)
    continue_with_google(app.test_client())

    assert provider.issued, "the provider handed out codes and tokens"
    with app.app_context():
        payloads = " ".join(str(event.payload) for event in db.session.scalars(select(Event)))
    for secret in [*provider.issued, CLIENT_SECRET, NADIA.subject]:
        assert secret not in caplog.text
        assert secret not in payloads
    assert "user.identity_linked" in {record for record in _event_names(app)}


def test_the_code_in_the_callback_address_goes_no_further(client, provider):
    provider.approve(NADIA)
    page = continue_with_google_callback_only(client)
    assert page.headers["Referrer-Policy"] == "no-referrer"  # not in the next request's Referer
    gunicorn_conf = (Path(__file__).parents[2] / "gunicorn.conf.py").read_text()
    assert "access_log_format" in gunicorn_conf and "%(U)s" in gunicorn_conf  # access log: path, no query
    assert "%(r)s" not in gunicorn_conf and "%(q)s" not in gunicorn_conf and "%(f)s" not in gunicorn_conf


def _event_names(app) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(select(Event.name)))


# --- Linking and unlinking from the account page ---------------------------------------------------

def test_an_identity_linked_to_another_account_cannot_be_linked_again(app, client, logged_in, provider):
    provider.approve(NADIA)
    continue_with_google(client)  # Nadia's account
    ben_client, _ = logged_in(email="ben@example.com")

    response = continue_with_google(ben_client, page="/account", action="/account/identities/google/link")

    assert response.status_code == 409
    assert "already linked to another Puchi account" in response.text


def test_the_only_way_in_cannot_be_unlinked(app, client, provider):
    provider.approve(NADIA)
    continue_with_google(client)
    [identity] = identities(app)
    page = client.get("/account").text
    assert "Linked accounts" in page and "Unlink Google" in page and "only way to log in" in page

    response = post_form(client, "/account", {}, action=f"/account/identities/{identity.id}/unlink")

    assert response.status_code == 302
    assert "This is your only way to log in" in client.get("/account").text
    assert len(identities(app)) == 1


def test_a_learner_with_a_password_can_unlink(app, logged_in, provider):
    ana_client, _ = logged_in(email="ana@example.com")
    provider.approve(ANA)
    continue_with_google(ana_client, page="/account", action="/account/identities/google/link")
    [identity] = identities(app)

    response = post_form(ana_client, "/account", {}, action=f"/account/identities/{identity.id}/unlink")

    assert response.status_code == 302
    assert identities(app) == []
    assert "Link Google" in ana_client.get("/account").text


def test_a_learner_with_two_identities_can_unlink_one(app, client, provider):
    provider.approve(NADIA)
    continue_with_google(client)
    with app.app_context():
        nadia = db.session.scalar(select(User).where(User.email == "nadia@example.com"))
        from puchi.accounts import identities as service
        from puchi.accounts.oidc import VerifiedIdentity
        service.link(nadia, VerifiedIdentity(provider="google", subject="second-google-account",
                                             email="nadia@example.com", email_verified=True, name=None))
    first = identities(app)[0]

    response = post_form(client, "/account", {}, action=f"/account/identities/{first.id}/unlink")

    assert response.status_code == 302
    assert [i.subject for i in identities(app)] == ["second-google-account"]


@pytest.mark.parametrize("who", ["another learner", "admin"])
def test_nobody_else_can_unlink_a_learners_identity(app, client, logged_in, provider, who):
    provider.approve(NADIA)
    continue_with_google(client)
    [identity] = identities(app)
    other_client, _ = logged_in(email="carl@example.com", is_admin=(who == "admin"))

    response = post_form(other_client, "/account", {}, action=f"/account/identities/{identity.id}/unlink")

    assert response.status_code == 404
    assert len(identities(app)) == 1


def test_linking_from_the_account_page_needs_a_login(client, provider):
    response = post_form(client, "/login", {}, action="/account/identities/google/link")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_every_page_lets_its_forms_reach_the_provider_and_nowhere_else(client, provider):
    # The button's POST is redirected to the provider: browsers check that redirect against form-action.
    for page in ("/", "/login", "/signup"):
        policy = client.get(page).headers["Content-Security-Policy"]
        assert f"form-action 'self' {provider.issuer};" in policy
        assert "script-src 'self';" in policy  # the rest of the policy is core's


# --- Two-step verification: a provider stands for the password, never for the second factor ------------

def test_a_linked_identity_of_an_account_with_a_second_factor_goes_through_the_second_step(
        app, client, logged_in, provider):
    from tests.accounts.mfa_support import enrol_totp

    ana_client, ana = logged_in(email="ana@example.com", display_name="Ana")
    provider.approve(ProviderUser(subject="google-ana-7", email="ana.other@example.com"))
    continue_with_google(ana_client, page="/account", action="/account/identities/google/link")
    enrolled = enrol_totp(app, ana.id)

    response = continue_with_google(client)

    assert response.status_code == 302 and response.headers["Location"] == "/login/verify"
    assert not is_logged_in(client)
    done = post_form(client, "/login/verify", {"code": enrolled.code(1)})
    assert done.status_code == 302 and is_logged_in(client)


def test_a_password_alone_does_not_link_a_provider_to_an_account_with_a_second_factor(
        app, client, make_user, provider):
    from tests.accounts.mfa_support import enrol_totp

    ana = make_user(email="ana@example.com", display_name="Ana")
    enrol_totp(app, ana.id)
    provider.approve(ANA)
    continue_with_google(client)

    refused = post_form(client, "/login/oidc/link", {"password": DEFAULT_PASSWORD},
                        action="/login/oidc/link/password")

    assert refused.status_code == 409 and "uses two-step verification" in refused.text
    assert identities(app) == [] and not is_logged_in(client)
