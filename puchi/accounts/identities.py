"""Accounts at OpenID Connect providers linked to Puchi accounts: what a validated identity means.

- A linked identity logs its account in (through the same session start as a password).
- A new identity whose provider confirmed an address no account uses opens a confirmed account.
- A new identity whose confirmed address an account already uses is never linked silently: the learner
  proves they own that account first (its password, or a single-use link emailed to it).
- An identity without a confirmed address is refused: nothing proves the address is the learner's.
- Learners link providers from the account page, and unlink one only while they keep a way to log in.

Every change runs one action and records an event naming the provider only.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from enum import Enum

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select

from puchi.accounts import mfa_status, services, tokens
from puchi.accounts.events import IdentityLinked, IdentityLinkRequested, IdentityUnlinked, UserSignedUp
from puchi.accounts.models import Identity, UsedToken, User
from puchi.accounts.oidc import VerifiedIdentity
from puchi.accounts.validation import FieldErrors, clean_display_name
from puchi.core import events, outbox
from puchi.core.db import action, db, now
from puchi.core.errors import Conflict, Forbidden, NotFound
from puchi.core.upserts import insert_if_missing

# Accounts opened by a provider have no password until the learner sets one ("Forgot your password?"):
# this value is no argon2 hash, so no password ever matches it.
NO_PASSWORD = "!no-password"
LINK_PURPOSE = "link_identity"


class Result(Enum):
    LOGGED_IN = "logged_in"  # a linked identity: the session is open
    CREATED = "created"  # a new, confirmed account: the session is open
    NEEDS_PROOF = "needs_proof"  # an account has this address: its owner must prove it is theirs


@dataclass(frozen=True)
class SignIn:
    result: Result
    user: User | None = None  # with ``current_session_key`` set when a session was opened


def has_password(user: User) -> bool:
    return not user.password_hash.startswith("!")


def identities_of(user: User) -> list[Identity]:
    return list(db.session.scalars(select(Identity).where(Identity.user_id == user.id)
                                   .order_by(Identity.provider, Identity.id)))


def _identity(provider: str, subject: str) -> Identity | None:
    return db.session.scalar(select(Identity).where(Identity.provider == provider, Identity.subject == subject))


def _account_with(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email))


def unverified_email() -> Forbidden:
    return Forbidden(_l("Your address is not confirmed by this provider."), code="email_unverified")


# --- Logging in ------------------------------------------------------------------------------------

def sign_in(claims: VerifiedIdentity, *, locale: str, user_agent: str, device_cookie: str | None = None) -> SignIn:
    """Log in with a validated identity, or open an account for it. Commits when it opens a session.

    :raises Forbidden: ``email_unverified``, a new identity whose address the provider did not confirm.
    :raises services.SecondFactorRequired: the identity's account has a second factor (and this browser is not
        remembered): no session is opened; the log-in goes on at the second step, as after a password.
    """
    identity = _identity(claims.provider, claims.subject)
    if identity is not None:
        if mfa_status.second_factor_due(identity.user_id, device_cookie):
            raise services.SecondFactorRequired(identity.user_id)
        return SignIn(Result.LOGGED_IN, _log_in_with(identity.id, claims, user_agent))
    if not claims.email or not claims.email_verified:
        raise unverified_email()
    if _account_with(claims.email) is not None:
        return SignIn(Result.NEEDS_PROOF)
    user = _open_account(claims, locale=locale, user_agent=user_agent)
    return SignIn(Result.CREATED, user) if user is not None else SignIn(Result.NEEDS_PROOF)


@action
def _log_in_with(identity_id: int, claims: VerifiedIdentity, user_agent: str) -> User:
    identity = db.session.get(Identity, identity_id)
    if identity is None:  # unlinked a moment ago
        raise NotFound
    identity.email, identity.email_verified, identity.last_used_at = claims.email, claims.email_verified, now()
    user = db.session.get(User, identity.user_id)
    assert user is not None
    user.current_session_key = services.open_session(user, remember=False, user_agent=user_agent)
    return user


@action
def _open_account(claims: VerifiedIdentity, *, locale: str, user_agent: str) -> User | None:
    """A confirmed account for the identity, or None if the address got an account meanwhile."""
    assert claims.email
    if locale not in current_app.config["SUPPORTED_LOCALES"]:
        locale = current_app.config["BABEL_DEFAULT_LOCALE"]
    if not insert_if_missing(User, {"email": claims.email}, display_name=_display_name(claims),
                             password_hash=NO_PASSWORD, email_verified_at=now(), locale=locale,
                             timezone="UTC", avatar_color=services._avatar_color_for(claims.email)):
        return None
    user = db.session.scalar(select(User).where(User.email == claims.email))
    assert user is not None
    events.record(UserSignedUp(locale=locale, course_interest=None), actor_id=user.id, subject=("user", user.id))
    _add_identity(user, claims, how="sign_up")
    user.current_session_key = services.open_session(user, remember=False, user_agent=user_agent)
    return user


def _display_name(claims: VerifiedIdentity) -> str:
    """The provider's name for the learner if it is a valid Puchi name, else the address's local part."""
    for candidate in (claims.name, (claims.email or "").partition("@")[0], "Learner"):
        errors = FieldErrors()
        name = clean_display_name(candidate, errors)
        if not errors.fields:
            return name
    return "Learner"


# --- Linking -----------------------------------------------------------------------------------------

def _add_identity(user: User, claims: VerifiedIdentity, *, how: str) -> None:
    """Link the identity to ``user`` (again is fine). :raises Conflict: it logs another account in."""
    inserted = insert_if_missing(Identity, {"provider": claims.provider, "subject": claims.subject},
                                 user_id=user.id, email=claims.email, email_verified=claims.email_verified,
                                 last_used_at=now())
    if not inserted:
        existing = _identity(claims.provider, claims.subject)
        if existing is None or existing.user_id != user.id:
            raise Conflict(_l("This account at the provider is already linked to another Puchi account."),
                           code="identity_taken")
        return
    events.record(IdentityLinked(provider=claims.provider, how=how), actor_id=user.id, subject=("user", user.id))


@action
def link(user: User, claims: VerifiedIdentity, *, how: str = "account_page") -> None:
    """Link a provider's account to the learner's (who is logged in, or just proved the account is theirs).
    Commits.

    :raises Conflict: ``identity_taken``, it already logs another account in.
    """
    _add_identity(user, claims, how=how)


def account_for_proof(claims: VerifiedIdentity) -> User:
    """The account whose owner must prove it is theirs before ``claims`` is linked to it.

    :raises NotFound: no account uses the identity's confirmed address (any more).
    """
    user = _account_with(claims.email) if claims.email and claims.email_verified else None
    if user is None:
        raise NotFound
    return user


@action
def request_link_by_email(claims: VerifiedIdentity) -> None:
    """Email the account with the identity's address a single-use link that links it. Commits.

    :raises NotFound: no account uses that address.
    """
    user = account_for_proof(claims)
    events.record(IdentityLinkRequested(provider=claims.provider), subject=("user", user.id))
    outbox.add("accounts.identity_link_email", {
        "user_id": user.id, "provider": claims.provider, "subject": claims.subject, "email": claims.email,
        "name": claims.name,
    })


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"puchi.{LINK_PURPOSE}")


def link_token(user: User, claims: VerifiedIdentity) -> str:
    """The emailed link's token: which identity to link to which account, at which address."""
    return _serializer().dumps({"u": user.id, "e": claims.email, "j": secrets.token_hex(16),
                                "p": claims.provider, "s": claims.subject, "n": claims.name})


@dataclass(frozen=True)
class LinkRequest:
    user: User
    claims: VerifiedIdentity
    jti: str


def check_link_token(token: str) -> LinkRequest:
    """What an emailed link would link, without spending it (the page the link opens shows a button).

    :raises BadRequest: ``link_invalid``. :raises Gone: ``link_expired``; ``link_used``, used already, or the
        account's address changed since.
    """
    try:
        payload = _serializer().loads(token, max_age=current_app.config["TOKEN_MAX_AGE_LINK_IDENTITY"])
    except SignatureExpired as error:
        raise tokens.link_expired() from error
    except BadSignature as error:
        raise tokens.link_invalid() from error
    if not isinstance(payload, dict) or not {"u", "e", "j", "p", "s"} <= payload.keys():
        raise tokens.link_invalid()
    user = db.session.get(User, int(payload["u"]))
    if user is None or user.email != payload["e"] or db.session.get(UsedToken, str(payload["j"])) is not None:
        raise tokens.link_used()
    claims = VerifiedIdentity(provider=str(payload["p"]), subject=str(payload["s"]), email=str(payload["e"]),
                              email_verified=True, name=payload.get("n"))
    return LinkRequest(user=user, claims=claims, jti=str(payload["j"]))


@action
def confirm_link(token: str) -> LinkRequest:
    """Link the identity an emailed link names, and spend the link. Commits.

    :raises BadRequest, Gone: as :func:`check_link_token`. :raises Conflict: ``identity_taken``.
    """
    request = check_link_token(token)
    if not insert_if_missing(UsedToken, {"jti": request.jti}, purpose=LINK_PURPOSE, user_id=request.user.id,
                             used_at=now()):
        raise tokens.link_used()
    _add_identity(request.user, request.claims, how="email")
    return request


# --- Unlinking ---------------------------------------------------------------------------------------

@action
def unlink(user: User, identity_id: int) -> Identity:
    """Remove one of the learner's identities, if they keep a way to log in. Commits.

    :raises NotFound: not one of the learner's identities.
    :raises Conflict: ``last_way_in``, it is the only way into an account with no password.
    """
    identity = db.session.get(Identity, identity_id)
    if identity is None or identity.user_id != user.id:
        raise NotFound
    others = db.session.scalar(select(func.count()).select_from(Identity)
                               .where(Identity.user_id == user.id, Identity.id != identity.id))
    if not has_password(user) and not others:
        raise Conflict(_l("This is your only way to log in. Set a password first (use \"Forgot your "
                          "password?\" on the log-in page), or link another account."), code="last_way_in")
    db.session.delete(identity)
    events.record(IdentityUnlinked(provider=identity.provider), actor_id=user.id, subject=("user", user.id))
    return identity
