"""Signed, expiring, single-use tokens for the links Puchi emails (verify an address, reset a password)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

VERIFY_EMAIL = "verify"
RESET_PASSWORD = "reset"
_MAX_AGE_SETTING = {VERIFY_EMAIL: "TOKEN_MAX_AGE_VERIFY", RESET_PASSWORD: "TOKEN_MAX_AGE_RESET"}


class TokenInvalid(Exception):
    """The link is damaged, forged, or meant for something else."""


class TokenExpired(TokenInvalid):
    """The link was genuine but is too old."""


@dataclass(frozen=True)
class TokenClaims:
    user_id: int
    purpose: str
    jti: str
    email: str


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"puchi.{purpose}")


def make_token(purpose: str, user_id: int, email: str) -> str:
    payload = {"u": user_id, "e": email, "j": secrets.token_hex(16)}
    return _serializer(purpose).dumps(payload)


def read_token(purpose: str, token: str) -> TokenClaims:
    """Check signature, purpose and age; whether it was already used is the caller's check."""
    max_age = current_app.config[_MAX_AGE_SETTING[purpose]]
    try:
        payload = _serializer(purpose).loads(token, max_age=max_age)
    except SignatureExpired as error:
        raise TokenExpired from error
    except BadSignature as error:
        raise TokenInvalid from error
    if not isinstance(payload, dict) or not {"u", "e", "j"} <= payload.keys():
        raise TokenInvalid
    return TokenClaims(user_id=int(payload["u"]), purpose=purpose, jti=str(payload["j"]), email=str(payload["e"]))
