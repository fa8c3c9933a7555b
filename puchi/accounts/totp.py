"""Time-based one-time passwords (RFC 6238) for authenticator apps: secrets, their encryption at rest, the
enrolment QR code, and checking a typed code within one step either side of now."""

from __future__ import annotations

import base64
import hashlib
import time
from dataclasses import dataclass

import pyotp
import qrcode
import qrcode.image.svg
from cryptography.fernet import Fernet, InvalidToken
from flask import current_app

ISSUER = "Puchi"
STEP_SECONDS = 30
WINDOW_STEPS = 1  # a code from the step before or after now is accepted: clocks drift, people type slowly


def new_secret() -> str:
    """A fresh base32 secret of 160 bits (RFC 4226's recommended length)."""
    return pyotp.random_base32(length=32)


def _fernet() -> Fernet:
    # Its own key when configured; else one derived from SECRET_KEY (rotating that then needs re-enrolment).
    material = current_app.config.get("MFA_ENCRYPTION_KEY") or current_app.config["SECRET_KEY"]
    digest = hashlib.sha256(b"puchi-totp-secret:" + str(material).encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def decrypt(token: str) -> str | None:
    """The secret, or None when it was encrypted under another key (the key changed)."""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        return None


def provisioning_uri(secret: str, account_name: str) -> str:
    return pyotp.TOTP(secret, interval=STEP_SECONDS).provisioning_uri(name=account_name, issuer_name=ISSUER)


def qr_data_uri(uri: str) -> str:
    """The QR code of ``uri`` as an SVG ``data:`` address for an ``img`` (the CSP allows ``img-src data:``),
    drawn here: the secret never leaves for a QR service."""
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    svg = image.to_string(encoding="unicode")
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def clean_code(code: str) -> str:
    """What the learner typed, without the spaces and dashes apps show in the middle."""
    return "".join(ch for ch in code if not ch.isspace() and ch != "-")


@dataclass(frozen=True)
class Match:
    step: int  # the time step whose code was typed


def check(secret: str, code: str, *, after_step: int | None, at: float | None = None) -> Match | None:
    """The step whose code ``code`` is, within ±1 step of ``at`` (now) and later than ``after_step`` (the
    last code accepted: each code works once, and an older one never again); None if it is no such code."""
    code = clean_code(code)
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret, interval=STEP_SECONDS)
    moment = time.time() if at is None else at
    current = int(moment // STEP_SECONDS)
    for step in range(current - WINDOW_STEPS, current + WINDOW_STEPS + 1):
        if after_step is not None and step <= after_step:
            continue
        if pyotp.utils.strings_equal(totp.at(step * STEP_SECONDS), code):
            return Match(step=step)
    return None
