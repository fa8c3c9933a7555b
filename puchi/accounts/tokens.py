"""Signed, expiring, single-use tokens for the links Puchi emails (verify an address, reset a password).

A link that cannot be used is refused in the one error vocabulary, with a code the page explaining it
switches on: a damaged or forged link is a bad request; a genuine one that is too old, or already spent (used,
or outdated by a later change to the account), is gone for good, and asking again cannot bring it back.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from puchi.core.errors import BadRequest, Gone

VERIFY_EMAIL = "verify"
RESET_PASSWORD = "reset"
_MAX_AGE_SETTING = {VERIFY_EMAIL: "TOKEN_MAX_AGE_VERIFY", RESET_PASSWORD: "TOKEN_MAX_AGE_RESET"}


LINK_INVALID, LINK_USED, LINK_EXPIRED = "link_invalid", "link_used", "link_expired"
LINK_CODES = frozenset({LINK_INVALID, LINK_USED, LINK_EXPIRED})


def link_invalid() -> BadRequest:
    """The link is damaged, forged, or meant for something else."""
    return BadRequest(_l("This link does not work"), code=LINK_INVALID)


def link_used() -> Gone:
    """The link was genuine but is spent: used already, or outdated by a later change to the account."""
    return Gone(_l("This link does not work"), code=LINK_USED)


def link_expired() -> Gone:
    """The link was genuine but is too old, or the change it confirms has lapsed."""
    return Gone(_l("This link has expired"), code=LINK_EXPIRED)


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
    """Check signature, purpose and age; whether it was already used is the caller's check.

    :raises BadRequest: ``link_invalid``. :raises Gone: ``link_expired``.
    """
    max_age = current_app.config[_MAX_AGE_SETTING[purpose]]
    try:
        payload = _serializer(purpose).loads(token, max_age=max_age)
    except SignatureExpired as error:
        raise link_expired() from error
    except BadSignature as error:
        raise link_invalid() from error
    if not isinstance(payload, dict) or not {"u", "e", "j"} <= payload.keys():
        raise link_invalid()
    return TokenClaims(user_id=int(payload["u"]), purpose=purpose, jti=str(payload["j"]), email=str(payload["e"]),
                       state=str(payload.get("s", "")))
