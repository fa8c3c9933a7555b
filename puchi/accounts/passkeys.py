"""Passkeys (WebAuthn, with the ``webauthn`` library): register several per account, name, rename and remove
them; sign in with one alone (a discoverable credential: no email typed) or use one as the second factor.

The browser signs our random challenge with a key that never leaves the authenticator, after checking the
person (user verification: PIN or biometrics), so a passkey alone is already two factors. The challenge is
kept in the signed session cookie between the two requests, used once, and never logged. The WebAuthn user
handle is an HMAC of the account id: stable, and it tells the authenticator nothing about the person.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import webauthn
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select
from webauthn.helpers import bytes_to_base64url, parse_authentication_credential_json
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from puchi.accounts import mfa, mfa_status
from puchi.accounts.mfa_events import PasskeyAdded, PasskeyRemoved, PasskeyRenamed, SecondFactorVerified
from puchi.accounts.mfa_models import Passkey, TotpAuthenticator
from puchi.accounts.models import User
from puchi.core import events
from puchi.core.db import action, db, now
from puchi.core.errors import BadRequest, Invalid, NotFound

RP_NAME = "Puchi"
NAME_MAX = 60
MAX_PER_ACCOUNT = 20


def rp_id() -> str:
    """The relying party: the site's host name (``WEBAUTHN_RP_ID``, else that of ``BASE_URL``)."""
    return current_app.config.get("WEBAUTHN_RP_ID") or urlsplit(current_app.config["BASE_URL"]).hostname or ""


def expected_origin() -> str:
    """Where the browser must have been when it signed (``WEBAUTHN_ORIGIN``, else ``BASE_URL``'s origin)."""
    configured = current_app.config.get("WEBAUTHN_ORIGIN")
    if configured:
        return str(configured)
    parts = urlsplit(current_app.config["BASE_URL"])
    return f"{parts.scheme}://{parts.netloc}"


def user_handle(user_id: int) -> bytes:
    return hmac.new(current_app.config["SECRET_KEY"].encode(), f"puchi.passkey-user:{user_id}".encode(),
                    hashlib.sha256).digest()


def passkeys_of(user: User) -> list[Passkey]:
    return list(db.session.scalars(select(Passkey).where(Passkey.user_id == user.id).order_by(Passkey.created_at)))


def _refused() -> BadRequest:
    return BadRequest(_l("That passkey could not be used. Try again, or use another way to log in."),
                      code="passkey_refused")


def _clean_name(name: str) -> str:
    cleaned = " ".join((name or "").split())
    if not cleaned:
        raise Invalid(fields={"name": [_l("Give the passkey a name.")]}, code="passkey_name")
    if len(cleaned) > NAME_MAX:
        raise Invalid(fields={"name": [_l("Keep the name under %(max)s characters.", max=NAME_MAX)]},
                      code="passkey_name")
    return cleaned


# --- Registering ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Ceremony:
    options_json: str  # for the browser
    challenge: bytes  # for the session, to check the answer against


def registration_options(user: User) -> Ceremony:
    options = webauthn.generate_registration_options(
        rp_id=rp_id(), rp_name=RP_NAME, user_id=user_handle(user.id), user_name=user.email,
        user_display_name=user.display_name,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED, user_verification=UserVerificationRequirement.REQUIRED),
        exclude_credentials=[PublicKeyCredentialDescriptor(id=webauthn.base64url_to_bytes(key.credential_id))
                             for key in passkeys_of(user)],
    )
    return Ceremony(options_json=webauthn.options_to_json(options), challenge=options.challenge)


@dataclass(frozen=True)
class Registered:
    passkey_id: int
    recovery_codes: list[str] | None  # fresh codes when this is the account's first second factor (show once)


def add_passkey(user: User, credential: Any, *, challenge: bytes | None, name: str) -> Registered:
    """Verify the browser's new credential against our challenge and keep its public key. Commits.

    :raises BadRequest: ``passkey_refused``, the answer does not verify (or no ceremony was under way).
    :raises Invalid: ``passkey_name``, the name is empty or too long; ``too_many_passkeys``.
    """
    label = _clean_name(name)
    if challenge is None:
        raise _refused()
    try:
        verified = webauthn.verify_registration_response(
            credential=credential, expected_challenge=challenge, expected_rp_id=rp_id(),
            expected_origin=expected_origin(), require_user_verification=True)
    except (WebAuthnException, ValueError, TypeError, KeyError) as error:
        raise _refused() from error
    transports = credential.get("response", {}).get("transports") if isinstance(credential, dict) else None
    known = {item.value for item in AuthenticatorTransport}
    return _keep_passkey(user, credential_id=bytes_to_base64url(verified.credential_id),
                         public_key=verified.credential_public_key, sign_count=verified.sign_count, name=label,
                         transports=",".join(t for t in (transports or []) if isinstance(t, str) and t in known))


@action
def _keep_passkey(user: User, *, credential_id: str, public_key: bytes, sign_count: int, name: str,
                  transports: str) -> Registered:
    count = db.session.scalar(select(func.count()).select_from(Passkey).where(Passkey.user_id == user.id)) or 0
    if count >= MAX_PER_ACCOUNT:
        raise Invalid(fields={"name": [_l("You have as many passkeys as an account can keep.")]},
                      code="too_many_passkeys")
    if db.session.scalar(select(Passkey.id).where(Passkey.credential_id == credential_id)) is not None:
        raise _refused()  # registered already (to this account or another)
    first_factor = not mfa_status.has_second_factor(user.id)
    passkey = Passkey(user_id=user.id, credential_id=credential_id, public_key=public_key, sign_count=sign_count,
                      name=name, transports=transports[:200])
    db.session.add(passkey)
    db.session.flush()
    events.record(PasskeyAdded(passkey_id=passkey.id), actor_id=user.id, subject=("user", user.id))
    codes = mfa.issue_recovery_codes(user.id) if first_factor else None
    return Registered(passkey_id=passkey.id, recovery_codes=codes)


# --- Managing ------------------------------------------------------------------------------------------

def _own_passkey(user: User, passkey_id: int) -> Passkey:
    passkey = db.session.get(Passkey, passkey_id)
    if passkey is None or passkey.user_id != user.id:
        raise NotFound
    return passkey


@action
def rename_passkey(user: User, passkey_id: int, name: str) -> None:
    """:raises NotFound: not one of this account's passkeys. :raises Invalid: ``passkey_name``."""
    passkey = _own_passkey(user, passkey_id)
    passkey.name = _clean_name(name)
    events.record(PasskeyRenamed(passkey_id=passkey.id), actor_id=user.id, subject=("user", user.id))


@action
def remove_passkey(user: User, passkey_id: int) -> None:
    """Forget a passkey; with no second factor left, recovery codes and remembered browsers go too. Commits.

    :raises NotFound: not one of this account's passkeys.
    """
    passkey = _own_passkey(user, passkey_id)
    db.session.execute(delete(Passkey).where(Passkey.id == passkey.id))
    totp_on = db.session.scalar(select(TotpAuthenticator.id).where(
        TotpAuthenticator.user_id == user.id, TotpAuthenticator.confirmed_at.is_not(None))) is not None
    if not totp_on and not db.session.scalar(select(Passkey.id).where(Passkey.user_id == user.id).limit(1)):
        mfa.forget_second_factor_state(user.id)
    events.record(PasskeyRemoved(passkey_id=passkey_id), actor_id=user.id, subject=("user", user.id))


# --- Signing in ----------------------------------------------------------------------------------------

def authentication_options() -> Ceremony:
    """A usernameless request: no credential list, the authenticator offers the passkeys it holds for us."""
    options = webauthn.generate_authentication_options(rp_id=rp_id(),
                                                       user_verification=UserVerificationRequirement.REQUIRED)
    return Ceremony(options_json=webauthn.options_to_json(options), challenge=options.challenge)


def log_in_with_passkey(credential: Any, *, challenge: bytes | None, for_user_id: int | None, remember: bool,
                        remember_device: bool, user_agent: str) -> mfa.CompletedLogIn:
    """Sign in with a passkey: alone (``for_user_id`` None), or as the second step of the log-in of
    ``for_user_id``. Opens the session. Commits.

    :raises BadRequest: ``passkey_refused``, unknown passkey, another account's, or a signature that does not
        verify against our challenge, origin and stored key (or a signature counter that went backwards).
    """
    if challenge is None:
        raise _refused()
    try:
        parsed = parse_authentication_credential_json(credential)
    except (WebAuthnException, ValueError, TypeError, KeyError) as error:
        raise _refused() from error
    passkey = db.session.scalar(select(Passkey).where(Passkey.credential_id == bytes_to_base64url(parsed.raw_id)))
    if passkey is None or (for_user_id is not None and passkey.user_id != for_user_id):
        raise _refused()
    if parsed.response.user_handle is not None and not hmac.compare_digest(parsed.response.user_handle,
                                                                           user_handle(passkey.user_id)):
        raise _refused()
    try:
        verified = webauthn.verify_authentication_response(
            credential=parsed, expected_challenge=challenge, expected_rp_id=rp_id(),
            expected_origin=expected_origin(), credential_public_key=passkey.public_key,
            credential_current_sign_count=passkey.sign_count, require_user_verification=True)
    except (WebAuthnException, ValueError, TypeError, KeyError) as error:
        raise _refused() from error
    return _open_passkey_session(passkey.id, verified.new_sign_count, remember=remember,
                                 remember_device=remember_device, user_agent=user_agent,
                                 purpose="log_in" if for_user_id is None else "second_step")


@action
def _open_passkey_session(passkey_id: int, sign_count: int, *, remember: bool, remember_device: bool,
                          user_agent: str, purpose: str) -> mfa.CompletedLogIn:
    passkey = db.session.scalar(select(Passkey).where(Passkey.id == passkey_id).with_for_update())
    if passkey is None:
        raise _refused()
    passkey.sign_count, passkey.last_used_at = sign_count, now()
    user = db.session.get(User, passkey.user_id)
    assert user is not None
    events.record(SecondFactorVerified(method="passkey", purpose=purpose), actor_id=user.id,
                  subject=("user", user.id))
    return mfa.open_verified_session(user, remember=remember, remember_device=remember_device,
                                     user_agent=user_agent)


def verify_for_step_up(user: User, credential: Any, *, challenge: bytes | None) -> None:
    """Confirm it is really ``user`` with one of their passkeys (no session change). Commits the counter.

    :raises BadRequest: ``passkey_refused``.
    """
    if challenge is None:
        raise _refused()
    try:
        parsed = parse_authentication_credential_json(credential)
    except (WebAuthnException, ValueError, TypeError, KeyError) as error:
        raise _refused() from error
    passkey = db.session.scalar(select(Passkey).where(Passkey.credential_id == bytes_to_base64url(parsed.raw_id),
                                                      Passkey.user_id == user.id))
    if passkey is None:
        raise _refused()
    try:
        verified = webauthn.verify_authentication_response(
            credential=parsed, expected_challenge=challenge, expected_rp_id=rp_id(),
            expected_origin=expected_origin(), credential_public_key=passkey.public_key,
            credential_current_sign_count=passkey.sign_count, require_user_verification=True)
    except (WebAuthnException, ValueError, TypeError, KeyError) as error:
        raise _refused() from error
    _note_use(passkey.id, verified.new_sign_count, user.id)


@action
def _note_use(passkey_id: int, sign_count: int, user_id: int) -> None:
    passkey = db.session.get(Passkey, passkey_id)
    if passkey is not None:
        passkey.sign_count, passkey.last_used_at = sign_count, now()
    events.record(SecondFactorVerified(method="passkey", purpose="step_up"), actor_id=user_id,
                  subject=("user", user_id))
