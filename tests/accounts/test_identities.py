"""Identities at OpenID Connect providers, below the pages: configuration, the rules of linking and unlinking,
and accounts a provider opened (no password until the learner sets one)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from puchi.accounts import identities
from puchi.accounts.models import Identity, User
from puchi.accounts.oidc import VerifiedIdentity
from puchi.config import check_production_config, load_config
from puchi.core.db import action, db
from puchi.core.errors import Conflict, Forbidden, NotFound
from tests.conftest import AuthActions, follow_email_link, link_in, post_form


def claims(subject: str = "sub-1", email: str | None = "nadia@example.com", verified: bool = True,
           name: str | None = "Nadia", provider: str = "google") -> VerifiedIdentity:
    return VerifiedIdentity(provider=provider, subject=subject, email=email, email_verified=verified, name=name)


# --- Configuration -------------------------------------------------------------------------------------

def test_providers_come_from_the_environment_complete_or_not_at_all(tmp_path):
    config = load_config(str(tmp_path), {
        "OIDC_GOOGLE_ISSUER": "https://accounts.google.com/", "OIDC_GOOGLE_CLIENT_ID": "id-g",
        "OIDC_GOOGLE_SECRET": "secret-g",
        "OIDC_CORP_ISSUER": "https://sso.example.org", "OIDC_CORP_CLIENT_ID": "id-c", "OIDC_CORP_SECRET": "s-c",
        "OIDC_CORP_NAME": "Example SSO",
        "OIDC_HALF_ISSUER": "https://half.example.org", "OIDC_HALF_CLIENT_ID": "id-h",  # no secret
        "PUCHI_OIDC_HTTP_TIMEOUT": "3",
    })

    assert config["OIDC_PROVIDERS"] == {
        "google": {"issuer": "https://accounts.google.com", "client_id": "id-g", "secret": "secret-g", "name": ""},
        "corp": {"issuer": "https://sso.example.org", "client_id": "id-c", "secret": "s-c", "name": "Example SSO"},
    }
    assert config["OIDC_HTTP_TIMEOUT"] == 3.0


def test_production_refuses_a_provider_reached_in_the_clear(tmp_path):
    provider = {"OIDC_CORP_CLIENT_ID": "id", "OIDC_CORP_SECRET": "s", "PUCHI_ENV": "production", "SECRET_KEY": "x" * 40}
    check_production_config(load_config(str(tmp_path), {**provider, "OIDC_CORP_ISSUER": "https://sso.example.org"}))
    with pytest.raises(RuntimeError, match="OIDC_CORP_ISSUER"):
        check_production_config(load_config(str(tmp_path), {**provider, "OIDC_CORP_ISSUER": "http://sso.example.org"}))


def test_no_provider_configured_means_no_buttons(client):
    for page in ("/login", "/signup"):
        html = client.get(page).text
        assert "Continue with" not in html and "/login/oidc/" not in html


def test_no_provider_configured_means_no_linked_accounts_section(logged_in):
    client, _ = logged_in()
    assert "Linked accounts" not in client.get("/account").text


# --- Signing in ------------------------------------------------------------------------------------------

def test_a_new_identity_opens_a_confirmed_account_without_a_password(app, client):
    with app.app_context():
        outcome = identities.sign_in(claims(), locale="fr", user_agent="test")
        assert outcome.result is identities.Result.CREATED and outcome.user is not None
        user = db.session.get(User, outcome.user.id)
        assert user.email_verified and user.locale == "fr" and user.display_name == "Nadia"
        assert not identities.has_password(user)

    response = AuthActions(client).log_in("nadia@example.com", identities.NO_PASSWORD)
    assert response.status_code == 422  # no password matches an account opened by a provider


def test_the_display_name_falls_back_to_the_address(app):
    with app.app_context():
        outcome = identities.sign_in(claims(name="\u0000" * 3), locale="en", user_agent="")
        assert outcome.user is not None and outcome.user.display_name == "nadia"


def test_a_locale_puchi_does_not_speak_becomes_the_default(app):
    with app.app_context():
        outcome = identities.sign_in(claims(), locale="de", user_agent="")
        assert outcome.user is not None and outcome.user.locale == "en"


def test_a_known_identity_logs_in_even_when_its_address_changed_at_the_provider(app):
    with app.app_context():
        first = identities.sign_in(claims(), locale="en", user_agent="")
        assert first.user is not None
        first_id, first_key = first.user.id, first.user.current_session_key
        again = identities.sign_in(claims(email="nadia.new@example.com", verified=False), locale="en",
                                   user_agent="")
        assert again.result is identities.Result.LOGGED_IN and again.user is not None
        assert again.user.id == first_id
        assert again.user.current_session_key and again.user.current_session_key != first_key
        identity = db.session.scalar(select(Identity))
        assert identity is not None and identity.email == "nadia.new@example.com" and not identity.email_verified


@pytest.mark.parametrize("email", [None, "nadia@example.com"])
def test_a_new_identity_without_a_confirmed_address_is_refused(app, email):
    with app.app_context():
        with pytest.raises(Forbidden) as refused:
            identities.sign_in(claims(email=email, verified=False), locale="en", user_agent="")
        assert refused.value.code == "email_unverified"
        assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_a_matching_address_needs_proof_and_links_nothing(app, make_user):
    make_user(email="nadia@example.com")
    with app.app_context():
        outcome = identities.sign_in(claims(), locale="en", user_agent="")
        assert outcome.result is identities.Result.NEEDS_PROOF and outcome.user is None
        assert db.session.scalar(select(func.count()).select_from(Identity)) == 0


def test_the_same_subject_at_another_provider_is_another_identity(app, make_user):
    with app.app_context():
        identities.sign_in(claims(subject="42"), locale="en", user_agent="")
        outcome = identities.sign_in(claims(subject="42", provider="corp", email="someone@example.com"),
                                     locale="en", user_agent="")
        assert outcome.result is identities.Result.CREATED


# --- Linking and unlinking -------------------------------------------------------------------------------

def test_an_identity_links_to_one_account_only(app, make_user):
    ana, ben = make_user(email="ana@example.com"), make_user(email="ben@example.com")
    with app.app_context():
        identities.link(db.session.get(User, ana.id), claims())
        identities.link(db.session.get(User, ana.id), claims())  # again: nothing changes
        with pytest.raises(Conflict) as taken:
            identities.link(db.session.get(User, ben.id), claims())
        assert taken.value.code == "identity_taken"
        assert [i.user_id for i in db.session.scalars(select(Identity))] == [ana.id]


def test_unlinking_keeps_a_way_in(app, make_user):
    ana = make_user(email="ana@example.com")
    with app.app_context():
        nadia = identities.sign_in(claims(), locale="en", user_agent="").user
        assert nadia is not None
        [only] = identities.identities_of(nadia)
        with pytest.raises(Conflict) as refused:
            identities.unlink(nadia, only.id)
        assert refused.value.code == "last_way_in"
        with pytest.raises(NotFound):
            identities.unlink(db.session.get(User, ana.id), only.id)  # not hers

        identities.link(nadia, claims(subject="sub-2", provider="corp"))
        identities.unlink(nadia, only.id)  # another identity remains
        assert [i.subject for i in identities.identities_of(nadia)] == ["sub-2"]


def test_a_provider_account_can_set_a_password_and_then_unlink(app, client, mailbox):
    with app.app_context():
        nadia = identities.sign_in(claims(), locale="en", user_agent="").user
        assert nadia is not None
        nadia_id = nadia.id
    post_form(client, "/forgot-password", {"email": "nadia@example.com"})
    link = link_in(mailbox.wait_for("nadia@example.com")[0], "/reset-password/")
    response = post_form(client, link, {"password": "a-brand-new-passphrase"}, action=link)
    assert response.status_code == 302

    assert AuthActions(client).log_in("nadia@example.com", "a-brand-new-passphrase").status_code == 302
    with app.app_context():
        user = db.session.get(User, nadia_id)
        assert identities.has_password(user)
        [identity] = identities.identities_of(user)
        identities.unlink(user, identity.id)
        assert identities.identities_of(user) == []


def test_an_emailed_link_is_refused_once_the_accounts_address_changed(app, make_user, client):
    ana = make_user(email="ana@example.com")
    with app.app_context():
        token = identities.link_token(db.session.get(User, ana.id), claims(email="ana@example.com"))
        with action():
            db.session.get(User, ana.id).email = "ana.moved@example.com"

    response = follow_email_link(client, f"/link-identity/{token}")

    assert response.status_code == 410
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Identity)) == 0


def test_without_providers_forms_post_only_to_puchi(client):
    assert "form-action 'self';" in client.get("/login").headers["Content-Security-Policy"]
