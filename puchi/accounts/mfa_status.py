"""Which second factors an account has, and whether this browser may skip the second step: the questions
the password step and the admin rule ask (the MFA actions themselves live in ``mfa``)."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, select

from puchi.accounts.mfa_models import Passkey, RecoveryCode, RememberedDevice, TotpAuthenticator
from puchi.core.db import db, now

DEVICE_COOKIE = "puchi_mfa_device"


@dataclass(frozen=True)
class Factors:
    totp: bool
    passkeys: int
    recovery_codes_left: int

    @property
    def enabled(self) -> bool:
        return self.totp or self.passkeys > 0


def factors_of(user_id: int) -> Factors:
    totp = db.session.scalar(select(TotpAuthenticator.id).where(
        TotpAuthenticator.user_id == user_id, TotpAuthenticator.confirmed_at.is_not(None))) is not None
    passkeys = db.session.scalar(select(func.count()).select_from(Passkey).where(Passkey.user_id == user_id))
    left = db.session.scalar(select(func.count()).select_from(RecoveryCode).where(
        RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None)))
    return Factors(totp=totp, passkeys=passkeys or 0, recovery_codes_left=left or 0)


def has_second_factor(user_id: int) -> bool:
    return factors_of(user_id).enabled


# --- Remembered devices: a signed cookie naming a row, and a random token whose digest the row holds ---------

def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="puchi.mfa-device")


def device_cookie_value(device_id: int, token: str) -> str:
    return _serializer().dumps([device_id, token])


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def remembered_device(user_id: int, cookie: str | None) -> RememberedDevice | None:
    """The live remembered device of ``user_id`` this cookie names, or None (forged, revoked, expired,
    another account's)."""
    if not cookie:
        return None
    try:
        device_id, token = _serializer().loads(cookie)
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(device_id, int) or not isinstance(token, str):
        return None
    device = db.session.get(RememberedDevice, device_id)
    if (device is None or device.user_id != user_id or device.revoked_at is not None
            or device.expires_at <= now() or not hmac.compare_digest(device.token_hash, token_digest(token))):
        return None
    return device


def second_factor_due(user_id: int, device_cookie: str | None) -> bool:
    """After a right password: must this log-in also give a second factor?"""
    return has_second_factor(user_id) and remembered_device(user_id, device_cookie) is None
