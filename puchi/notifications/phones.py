"""A learner's phone number for SMS, proven theirs by a six-digit code sent to it.

The code exists in plaintext only inside the outbox job that sends it: the job makes it, stores its HMAC and
texts it, so neither the phone table nor an outbox payload ever holds a usable code. A code lasts
``CODE_MINUTES``, allows ``MAX_ATTEMPTS`` wrong tries, and a learner gets at most ``MAX_CODES_PER_HOUR``
codes, ``RESEND_SECONDS`` apart. Removing the number keeps the row (with an empty number) so removing and
adding again does not reset those limits.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import TZPATH

import phonenumbers
from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import update

from puchi.accounts.models import User
from puchi.core import outbox
from puchi.core.db import action, db, now, rowcount
from puchi.core.errors import Invalid, RateLimited
from puchi.core.upserts import insert_if_missing
from puchi.notifications import sms
from puchi.notifications.channels import Undeliverable
from puchi.notifications.models import PhoneNumber

log = logging.getLogger(__name__)

CODE_DIGITS = 6
CODE_MINUTES = 10
MAX_ATTEMPTS = 5
RESEND_SECONDS = 30
MAX_CODES_PER_HOUR = 5
MAX_INPUT_LENGTH = 32  # longer than any number written with spaces and a prefix
SMS_CAPABLE = frozenset({phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
                         phonenumbers.PhoneNumberType.PERSONAL_NUMBER, phonenumbers.PhoneNumberType.VOIP})


@dataclass(frozen=True)
class PhoneState:
    """What the pages show: the number (E.164 and for people), and where verification stands."""

    number: str | None = None
    display: str | None = None
    verified: bool = False
    code_pending: bool = False  # a code was sent and can still be entered


def state_of(user: User) -> PhoneState:
    row = db.session.get(PhoneNumber, user.id)
    if row is None or not row.number:
        return PhoneState()
    pending = (row.verified_at is None and row.code_hash is not None and row.code_attempts < MAX_ATTEMPTS
               and row.code_expires_at is not None and row.code_expires_at > now())
    return PhoneState(row.number, display(row.number), row.verified_at is not None, pending)


def display(number: str) -> str:
    return phonenumbers.format_number(phonenumbers.parse(number), phonenumbers.PhoneNumberFormat.INTERNATIONAL)


# --- Parsing ------------------------------------------------------------------------------------------------

def parse(raw: str, timezone: str | None = None) -> str:
    """The number in E.164. A number without a country code is read as one of the learner's time zone's
    country. :raises Invalid: not a number, or not one that can receive texts."""
    text = (raw or "").strip()
    if not text:
        raise _invalid(_("Enter your mobile number."))
    if len(text) > MAX_INPUT_LENGTH:
        raise _invalid(_("That is too long for a phone number."))
    try:
        number = phonenumbers.parse(text, region_of(timezone))
    except phonenumbers.NumberParseException as error:
        raise _invalid(_("That is not a phone number we can read. Start with your country code, like "
                         "+34 612 34 56 78.")) from error
    if not phonenumbers.is_valid_number(number):
        raise _invalid(_("That number does not exist. Check it, starting with your country code, like "
                         "+34 612 34 56 78."))
    if phonenumbers.number_type(number) not in SMS_CAPABLE:
        raise _invalid(_("That number cannot receive text messages. Enter a mobile number."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _invalid(message: str, field: str = "number") -> Invalid:
    return Invalid(fields={field: [message]})


def region_of(timezone: str | None) -> str | None:
    """The country of an IANA time zone ("Europe/Madrid" → "ES"), from the tz database's zone.tab."""
    return _zone_countries().get(timezone or "")


@lru_cache(maxsize=1)
def _zone_countries() -> dict[str, str]:
    text = _zone_tab()
    countries: dict[str, str] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            fields = line.split("\t")
            if len(fields) >= 3:
                countries[fields[2]] = fields[0]
    return countries


def _zone_tab() -> str:
    try:
        return resources.files("tzdata").joinpath("zoneinfo", "zone.tab").read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        for folder in TZPATH:
            path = Path(folder) / "zone.tab"
            if path.is_file():
                return path.read_text(encoding="utf-8")
    return ""


# --- Changing the number ------------------------------------------------------------------------------------

@action
def set_number(user: User, raw: str) -> PhoneState:
    """Make ``raw`` the learner's number, unverified, and text it a code. The same, already verified number
    changes nothing. Commits. :raises Invalid: a bad number. :raises RateLimited: too many codes."""
    number = parse(raw, user.timezone)
    row = db.session.get(PhoneNumber, user.id)
    if row is not None and row.number == number and row.verified_at is not None:
        return state_of(user)
    # Two first numbers at once must not collide on the key: insert if missing, then set this one.
    inserted = row is None and insert_if_missing(PhoneNumber, {"user_id": user.id}, number=number,
                                                 code_attempts=0, codes_sent=0)
    if not inserted and (row is None or row.number != number):
        db.session.execute(update(PhoneNumber).where(PhoneNumber.user_id == user.id).values(
            number=number, verified_at=None, code_hash=None, code_expires_at=None, code_attempts=0))
    _request_code(user, number)
    return state_of(user)


@action
def resend_code(user: User) -> None:
    """Text a fresh code to the number waiting for verification. Commits.
    :raises Invalid: no number, or it is verified already. :raises RateLimited: too soon or too many."""
    row = db.session.get(PhoneNumber, user.id)
    if row is None or not row.number:
        raise _invalid(_("Add your number first."), "form")
    if row.verified_at is not None:
        raise _invalid(_("Your number is already verified."), "form")
    _request_code(user, row.number)


@action
def remove_number(user: User) -> None:
    """Forget the number: no more texts. Commits."""
    db.session.execute(update(PhoneNumber).where(PhoneNumber.user_id == user.id).values(
        number="", verified_at=None, code_hash=None, code_expires_at=None, code_attempts=0))


def _request_code(user: User, number: str) -> None:
    """Count the code against the limits and queue the job that makes and sends it (in the caller's action).

    The limits are checked and counted in one conditional UPDATE on the values read, so two requests at
    once cannot both pass. The hourly count starts over after an hour without codes.
    """
    row = db.session.get(PhoneNumber, user.id, populate_existing=True)
    assert row is not None
    current = now()
    last = row.code_sent_at
    if last is not None and current - last < timedelta(seconds=RESEND_SECONDS):
        wait = RESEND_SECONDS - int((current - last).total_seconds())
        message = ngettext("You can ask for a new code in %(num)s second.",
                           "You can ask for a new code in %(num)s seconds.", wait)
        raise RateLimited(message, fields={"form": [message]}, code="code_too_soon")
    window_over = last is None or current - last >= timedelta(hours=1)
    sent = 0 if window_over else row.codes_sent
    if sent >= MAX_CODES_PER_HOUR:
        message = _("That is all the codes we can send for now. Try again in an hour.")
        raise RateLimited(message, fields={"form": [message]}, code="codes_used_up")
    claimed = db.session.execute(update(PhoneNumber).where(
        PhoneNumber.user_id == user.id, _is(PhoneNumber.code_sent_at, last),
        PhoneNumber.codes_sent == row.codes_sent).values(codes_sent=sent + 1, code_sent_at=current))
    if rowcount(claimed) != 1:  # another request sent a code meanwhile
        message = _("We are already sending you a code.")
        raise RateLimited(message, fields={"form": [message]}, code="code_on_its_way")
    outbox.add("notifications.phone_code", {"user_id": user.id, "number": number, "request": sent + 1})


def _is(column: Any, value: datetime | None) -> Any:
    return column.is_(None) if value is None else column == value


# --- Verifying ----------------------------------------------------------------------------------------------

def code_hash(user_id: int, number: str, code: str) -> str:
    """An HMAC tied to the learner and the number, so a hash is worthless for anyone or anything else."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"phone-code:{user_id}:{number}:{code}".encode(), hashlib.sha256).hexdigest()


def verify(user: User, raw_code: str) -> None:
    """Check the code; right, and the number is verified. Commits (a wrong code's try too).
    :raises Invalid: wrong, expired, used up, or no code sent."""
    left = _try_code(user, "".join((raw_code or "").split()))
    if left is None:
        return
    if left <= 0:
        raise _invalid(_("That code is not right, and that was the last try. Ask for a new code."), "code")
    raise _invalid(ngettext("That code is not right. You have %(num)s more try.",
                            "That code is not right. You have %(num)s more tries.", left), "code")


@action
def _try_code(user: User, code: str) -> int | None:
    """Spend a try on ``code``: None when it was right (the number is verified), else the tries left.
    :raises Invalid: a code that spends no try (malformed, expired, used up, none sent)."""
    row = db.session.get(PhoneNumber, user.id)
    if row is None or not row.number:
        raise _invalid(_("Add your number first."), "form")
    if row.verified_at is not None:
        raise _invalid(_("Your number is already verified."), "form")
    if not code:
        raise _invalid(_("Enter the code we sent you."), "code")
    if len(code) != CODE_DIGITS or not code.isascii() or not code.isdigit():  # a slip, not a guess: no try spent
        raise _invalid(_("The code has %(digits)s digits.", digits=CODE_DIGITS), "code")
    if row.code_hash is None:
        raise _invalid(_("Ask for a code first."), "code")
    if row.code_expires_at is None or row.code_expires_at <= now():
        raise _invalid(_("That code has expired. Ask for a new one."), "code")
    # Take a try before comparing, in one conditional UPDATE: parallel guesses cannot get more than their share.
    taken = db.session.execute(update(PhoneNumber).where(
        PhoneNumber.user_id == user.id, PhoneNumber.code_hash == row.code_hash,
        PhoneNumber.code_attempts < MAX_ATTEMPTS).values(code_attempts=PhoneNumber.code_attempts + 1))
    if rowcount(taken) != 1:
        raise _invalid(_("Too many wrong tries for this code. Ask for a new one."), "code")
    db.session.refresh(row)
    if not hmac.compare_digest(row.code_hash or "", code_hash(user.id, row.number, code)):
        return MAX_ATTEMPTS - row.code_attempts  # the try counts: committed, then refused
    row.verified_at = now()
    row.code_hash, row.code_expires_at, row.code_attempts = None, None, 0
    return None


# --- Sending the code ---------------------------------------------------------------------------------------

def send_code(payload: dict[str, Any]) -> None:
    """Make a code, keep only its hash, text it. A request that a newer one or a change of number replaced
    sends nothing: the learner waits for the newest code only."""
    made = _make_code(payload)  # stored before it is sent: a code the learner holds always matches
    if made is None:
        return
    user, number, code = made
    host = urlsplit(current_app.config["BASE_URL"]).hostname or "localhost"
    body = sms.render_text(user, "notifications/sms_code.txt", code=code, minutes=CODE_MINUTES, host=host)
    try:
        sms.gateway().send(number, body)
    except Undeliverable as error:  # retrying would not help; the learner can enter another number
        log.warning("verification code to user %s not deliverable: %s", user.id, error)


@action
def _make_code(payload: dict[str, Any]) -> tuple[User, str, str] | None:
    """A fresh code for the request ``payload`` names, its hash stored; None if that request was replaced."""
    user = db.session.get(User, int(payload["user_id"]))
    row = db.session.get(PhoneNumber, int(payload["user_id"]))
    if (user is None or row is None or row.number != payload["number"] or row.verified_at is not None
            or row.codes_sent != payload["request"]):
        return None
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    row.code_hash = code_hash(user.id, row.number, code)
    row.code_expires_at = now() + timedelta(minutes=CODE_MINUTES)
    row.code_attempts = 0
    return user, row.number, code
