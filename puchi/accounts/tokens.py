"""Signed, expiring, single-use tokens for the links Puchi emails (verify an address, reset a password)."""

from __future__ import annotations

import hashlib
import hmac
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
    state: str = ""  # a fingerprint of what the link was made for (see fingerprint); empty if unbound


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"puchi.{purpose}")


def make_token(purpose: str, user_id: int, email: str, state: str = "") -> str:
    payload = {"u": user_id, "e": email, "j": secrets.token_hex(16), "s": state}
    return _serializer(purpose).dumps(payload)


def fingerprint(value: str) -> str:
    """A keyed digest of ``value`` to bind a link to, e.g. the password hash it was issued under.

    Keyed, because token payloads are signed but readable: nothing about the hash itself may show.
    """
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, b"puchi.fingerprint:" + value.encode(), hashlib.sha256).hexdigest()[:32]


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
    return TokenClaims(user_id=int(payload["u"]), purpose=purpose, jti=str(payload["j"]), email=str(payload["e"]),
                       state=str(payload.get("s", "")))
