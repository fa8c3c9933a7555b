"""Multi-factor authentication: enrolling an authenticator app, recovery codes, the log-in's second step,
confirming it is really the learner before a sensitive change (step-up), and remembered devices.

Every code entry is rate-limited per account (``RATELIMIT_MFA_ACCOUNT``, from any address) on top of the
per-address limit of the views; a TOTP code is accepted once (the last accepted time step is stored, and
the row is locked while it is checked, so two requests racing with one code cannot both pass), a recovery
code is spent by a conditional UPDATE. Nothing secret reaches the event log.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import delete, select, update

from puchi.accounts import mfa_status, passwords, recovery, services, totp
from puchi.accounts.mfa_events import (
    DeviceForgotten,
    DeviceRemembered,
    RecoveryCodesIssued,
    SecondFactorDisabled,
    SecondFactorEnabled,
    SecondFactorFailed,
    SecondFactorVerified,
)
from puchi.accounts.mfa_models import Passkey, RecoveryCode, RememberedDevice, TotpAuthenticator
from puchi.accounts.models import User
from puchi.core import events, throttle
from puchi.core.db import action, db, now, rowcount
from puchi.core.errors import Conflict, Invalid, NotFound, RateLimited

CODE_TRIES = "RATELIMIT_MFA_ACCOUNT"  # the config setting with the per-account limits on code entry
REMEMBER_DEVICE_FOR = timedelta(days=30)
WRONG_CODE = _l("That code is not right, or it was already used. Try the newest code from your app.")


# --- Rate limit on code entry ---------------------------------------------------------------------

def _tries_key(user_id: int) -> str:
    return str(user_id)


def _refuse_if_throttled(user_id: int) -> None:
    """:raises RateLimited: ``mfa_locked``, too many wrong codes for this account lately."""
    wait = throttle.retry_after(CODE_TRIES, _tries_key(user_id))
    if wait:
        minutes = max(1, round(wait / 60))
        message = str(ngettext("Too many wrong codes. Try again in %(num)s minute.",
                               "Too many wrong codes. Try again in %(num)s minutes.", minutes))
        raise RateLimited(message, fields={"form": [message]}, code="mfa_locked")


def _wrong_code(field: str = "code") -> Invalid:
    return Invalid(fields={field: [WRONG_CODE]}, code="wrong_code")


# --- Checking a code: TOTP first, then a recovery code ----------------------------------------------

def _spend_code(user_id: int, code: str) -> str | None:
    """Inside an action: accept ``code`` as this account's TOTP code or one of its recovery codes and spend
    it. Returns the method ("totp", "recovery_code") or None when it is neither."""
    authenticator = db.session.scalar(
        select(TotpAuthenticator).where(TotpAuthenticator.user_id == user_id,
                                        TotpAuthenticator.confirmed_at.is_not(None)).with_for_update())
    if authenticator is not None:
        secret = totp.decrypt(authenticator.secret_encrypted)
        match = totp.check(secret, code, after_step=authenticator.last_used_step) if secret else None
        if match is not None:
            authenticator.last_used_step = match.step
            return "totp"
    if recovery.looks_like_a_code(code):
        spent = db.session.execute(
            update(RecoveryCode)
            .where(RecoveryCode.user_id == user_id, RecoveryCode.code_hash == recovery.digest(code),
                   RecoveryCode.used_at.is_(None))
            .values(used_at=now()))
        if rowcount(spent) == 1:
            return "recovery_code"
    return None


def verify_code(user: User, code: str, *, purpose: str) -> str:
    """Check a second-factor code typed by ``user`` (step-up, disabling). Commits: the spent code, or the
    failure. Returns the method used.

    :raises RateLimited: ``mfa_locked``. :raises Invalid: ``wrong_code``.
    """
    _refuse_if_throttled(user.id)
    method = _check_and_record(user.id, code, purpose)
    if method is None:
        throttle.hit(CODE_TRIES, _tries_key(user.id))
        raise _wrong_code()
    throttle.clear(CODE_TRIES, _tries_key(user.id))
    return method


@action
def _check_and_record(user_id: int, code: str, purpose: str) -> str | None:
    method = _spend_code(user_id, code)
    if method is None:
        events.record(SecondFactorFailed(purpose=purpose), subject=("user", user_id))
    else:
        events.record(SecondFactorVerified(method=method, purpose=purpose), actor_id=user_id,
                      subject=("user", user_id))
    return method


# --- Enrolling an authenticator app -----------------------------------------------------------------

@dataclass(frozen=True)
class TotpEnrolment:
    secret: str  # shown for typing into the app by hand
    uri: str
    qr_image: str  # a data: address of the QR code's SVG


@action
def begin_totp_enrolment(user: User) -> None:
    """Make a new secret for the learner to scan (replacing an unconfirmed one). Commits.

    :raises Conflict: ``totp_on``, an authenticator app is already on (turn it off first).
    """
    row = db.session.scalar(select(TotpAuthenticator).where(TotpAuthenticator.user_id == user.id))
    if row is not None and row.confirmed_at is not None:
        raise Conflict(_l("An authenticator app is already set up."), code="totp_on")
    if row is None:
        row = TotpAuthenticator(user_id=user.id, secret_encrypted="")
        db.session.add(row)
    row.secret_encrypted, row.last_used_step, row.created_at = totp.encrypt(totp.new_secret()), None, now()


def pending_totp(user: User) -> TotpEnrolment | None:
    """The secret being enrolled (to show its QR code), or None if no enrolment is under way."""
    row = db.session.scalar(select(TotpAuthenticator).where(TotpAuthenticator.user_id == user.id,
                                                            TotpAuthenticator.confirmed_at.is_(None)))
    secret = totp.decrypt(row.secret_encrypted) if row is not None else None
    if secret is None:
        return None
    uri = totp.provisioning_uri(secret, user.email)
    return TotpEnrolment(secret=secret, uri=uri, qr_image=totp.qr_data_uri(uri))


def confirm_totp(user: User, code: str) -> list[str] | None:
    """Turn the authenticator app on once the learner types a code it shows. Commits. Returns fresh recovery
    codes when this is the account's first second factor (shown once), else None.

    :raises NotFound: no enrolment under way. :raises RateLimited: ``mfa_locked``.
    :raises Invalid: ``wrong_code``.
    """
    _refuse_if_throttled(user.id)
    outcome = _confirm_totp(user, code)
    if outcome is False:
        throttle.hit(CODE_TRIES, _tries_key(user.id))
        raise _wrong_code()
    throttle.clear(CODE_TRIES, _tries_key(user.id))
    return outcome if isinstance(outcome, list) else None


@action
def _confirm_totp(user: User, code: str) -> list[str] | bool:
    row = db.session.scalar(select(TotpAuthenticator).where(
        TotpAuthenticator.user_id == user.id, TotpAuthenticator.confirmed_at.is_(None)).with_for_update())
    secret = totp.decrypt(row.secret_encrypted) if row is not None else None
    if row is None or secret is None:
        raise NotFound(_l("Start setting up the authenticator app again."), code="no_enrolment")
    match = totp.check(secret, code, after_step=None)
    if match is None:
        events.record(SecondFactorFailed(purpose="enrol"), subject=("user", user.id))
        return False
    first_factor = not mfa_status.has_second_factor(user.id)
    row.confirmed_at, row.last_used_step = now(), match.step
    events.record(SecondFactorEnabled(method="totp"), actor_id=user.id, subject=("user", user.id))
    return issue_recovery_codes(user.id) if first_factor else True


# --- Recovery codes -----------------------------------------------------------------------------------

def issue_recovery_codes(user_id: int) -> list[str]:
    """Inside an action: replace every recovery code of the account with ten new ones (returned, to show)."""
    codes = recovery.new_codes()
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    db.session.add_all(RecoveryCode(user_id=user_id, code_hash=recovery.digest(code)) for code in codes)
    events.record(RecoveryCodesIssued(count=len(codes)), actor_id=user_id, subject=("user", user_id))
    return codes


@action
def regenerate_recovery_codes(user: User) -> list[str]:
    """Ten new recovery codes; the old ones stop working. Commits.

    :raises Conflict: ``mfa_off``, the account has no second factor to recover.
    """
    if not mfa_status.has_second_factor(user.id):
        raise Conflict(_l("Turn on two-step verification first."), code="mfa_off")
    return issue_recovery_codes(user.id)


# --- Turning it off -----------------------------------------------------------------------------------

def disable_totp(user: User, *, password: str, code: str) -> None:
    """Turn the authenticator app off, given the password and a current code (or a recovery code). With no
    passkey left, the recovery codes and remembered devices go too. Commits.

    :raises Invalid: wrong password or code. :raises RateLimited: ``mfa_locked``.
    """
    _refuse_if_throttled(user.id)
    if not passwords.verify_password(user.password_hash, password or ""):
        raise Invalid(fields={"password": [_l("That is not your current password.")]}, code="wrong_password")
    if not _disable_totp(user, code):
        throttle.hit(CODE_TRIES, _tries_key(user.id))
        raise _wrong_code()
    throttle.clear(CODE_TRIES, _tries_key(user.id))


@action
def _disable_totp(user: User, code: str) -> bool:
    method = _spend_code(user.id, code)
    if method is None:
        events.record(SecondFactorFailed(purpose="disable"), subject=("user", user.id))
        return False
    db.session.execute(delete(TotpAuthenticator).where(TotpAuthenticator.user_id == user.id))
    if not db.session.scalar(select(Passkey.id).where(Passkey.user_id == user.id).limit(1)):
        forget_second_factor_state(user.id)
    events.record(SecondFactorDisabled(method="totp"), actor_id=user.id, subject=("user", user.id))
    return True


def forget_second_factor_state(user_id: int) -> None:
    """Inside an action, when the last second factor goes: its recovery codes and remembered devices too."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    db.session.execute(update(RememberedDevice).where(RememberedDevice.user_id == user_id,
                                                      RememberedDevice.revoked_at.is_(None))
                       .values(revoked_at=now()))


# --- The log-in's second step -------------------------------------------------------------------------

@dataclass(frozen=True)
class CompletedLogIn:
    user: User
    device_cookie: str | None  # set it when the learner asked to remember this browser


def complete_log_in(user_id: int, code: str, *, remember: bool, remember_device: bool,
                    user_agent: str) -> CompletedLogIn:
    """Finish a log-in whose password was right with a TOTP or recovery code, opening the session (and
    remembering this browser for 30 days if asked). Commits: the session, or the failure.

    :raises RateLimited: ``mfa_locked``. :raises Invalid: ``wrong_code``.
    """
    _refuse_if_throttled(user_id)
    completed = _complete_log_in(user_id, code, remember=remember, remember_device=remember_device,
                                 user_agent=user_agent)
    if completed is None:
        throttle.hit(CODE_TRIES, _tries_key(user_id))
        raise _wrong_code()
    throttle.clear(CODE_TRIES, _tries_key(user_id))
    return completed


@action
def _complete_log_in(user_id: int, code: str, *, remember: bool, remember_device: bool,
                     user_agent: str) -> CompletedLogIn | None:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound
    method = _spend_code(user_id, code)
    if method is None:
        events.record(SecondFactorFailed(purpose="log_in"), subject=("user", user_id))
        return None
    events.record(SecondFactorVerified(method=method, purpose="log_in"), actor_id=user_id,
                  subject=("user", user_id))
    return open_verified_session(user, remember=remember, remember_device=remember_device,
                                 user_agent=user_agent)


def open_verified_session(user: User, *, remember: bool, remember_device: bool,
                          user_agent: str) -> CompletedLogIn:
    """Inside an action, once the second factor is proven: the session, and the remembered device."""
    user.current_session_key = services.open_session(user, remember=remember, user_agent=user_agent)
    cookie = _remember_device(user, user_agent) if remember_device else None
    return CompletedLogIn(user=user, device_cookie=cookie)


def _remember_device(user: User, user_agent: str) -> str:
    token = secrets.token_urlsafe(32)
    current = now()
    device = RememberedDevice(user_id=user.id, token_hash=mfa_status.token_digest(token),
                              user_agent=user_agent[:200], created_at=current, last_used_at=current,
                              expires_at=current + REMEMBER_DEVICE_FOR)
    db.session.add(device)
    db.session.flush()
    events.record(DeviceRemembered(device_id=device.id), actor_id=user.id, subject=("user", user.id))
    return mfa_status.device_cookie_value(device.id, token)


# --- Remembered devices on the account page ---------------------------------------------------------------

def remembered_devices(user: User) -> list[RememberedDevice]:
    return list(db.session.scalars(
        select(RememberedDevice)
        .where(RememberedDevice.user_id == user.id, RememberedDevice.revoked_at.is_(None),
               RememberedDevice.expires_at > now())
        .order_by(RememberedDevice.created_at.desc())))


@action
def forget_device(user: User, device_id: int) -> None:
    """Make a remembered browser ask for the second factor again. Commits.

    :raises NotFound: no such remembered device of this account.
    """
    forgotten = db.session.execute(
        update(RememberedDevice)
        .where(RememberedDevice.id == device_id, RememberedDevice.user_id == user.id,
               RememberedDevice.revoked_at.is_(None))
        .values(revoked_at=now()))
    if rowcount(forgotten) != 1:
        raise NotFound
    events.record(DeviceForgotten(count=1), actor_id=user.id, subject=("user", user.id))
