"""The rules an account's fields follow, in one place for the forms, the API and the admin."""

from __future__ import annotations

import unicodedata
from functools import cache
from zoneinfo import available_timezones

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l

from puchi.accounts import password_strength
from puchi.accounts.models import AVATAR_COLORS, DAILY_GOALS, RETENTION_CHOICES, THEMES
from puchi.accounts.passwords import MAX_LENGTH as PASSWORD_MAX
from puchi.accounts.passwords import MIN_LENGTH as PASSWORD_MIN
from puchi.core.errors import Invalid

DISPLAY_NAME_MAX = 50
EMAIL_MAX = 254

class FieldErrors:
    """Collects messages per field and raises them together, so a form shows every problem at once."""

    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}

    def add(self, field: str, message: object) -> None:
        self.fields.setdefault(field, []).append(str(message))

    def raise_if_any(self) -> None:
        if self.fields:
            raise Invalid(fields=self.fields)


def normalize_email(raw: str | None, errors: FieldErrors, field: str = "email") -> str:
    """A valid address, trimmed and lower-cased (so Ana@X.org and ana@x.org are one account)."""
    value = (raw or "").strip()
    if not value:
        errors.add(field, _l("Enter your email address."))
        return ""
    if len(value) > EMAIL_MAX:
        errors.add(field, _l("That email address is too long."))
        return ""
    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        errors.add(field, _l("Enter a valid email address, like name@example.com."))
        return ""
    return result.normalized.lower()


def clean_display_name(raw: str | None, errors: FieldErrors, field: str = "display_name") -> str:
    value = unicodedata.normalize("NFC", " ".join((raw or "").split()))
    if not value:
        errors.add(field, _l("Enter the name other learners will see."))
    elif len(value) > DISPLAY_NAME_MAX:
        errors.add(field, _l("Keep your name to %(max)s characters or fewer.", max=DISPLAY_NAME_MAX))
    elif any(unicodedata.category(char) in {"Cc", "Cf", "Co", "Cs"} and char not in "\u200c\u200d"
             for char in value):
        errors.add(field, _l("Your name contains characters that cannot be shown."))
    return value


def check_new_password(password: str | None, errors: FieldErrors, field: str = "password",
                       email: str = "", display_name: str = "") -> str:
    """The one rule for every new password: sign-up, reset, change, and accounts made by the CLI."""
    value = password or ""
    if len(value) < PASSWORD_MIN:
        errors.add(field, _l("Use at least %(min)s characters.", min=PASSWORD_MIN))
    elif len(value) > PASSWORD_MAX:
        errors.add(field, _l("Use at most %(max)s characters.", max=PASSWORD_MAX))
    elif email and value.strip().lower() == email.lower():
        errors.add(field, _l("Your password cannot be your email address."))
    else:
        for message in password_strength.weakness(value, (email, display_name)):
            errors.add(field, message)
    return value


@cache
def timezones() -> tuple[str, ...]:
    return tuple(sorted(zone for zone in available_timezones() if "/" in zone or zone == "UTC"))


def check_choice(value: object, choices: object, errors: FieldErrors, field: str) -> None:
    if value not in choices:  # type: ignore[operator]
        errors.add(field, _l("Choose one of the options."))


def check_preferences(errors: FieldErrors, *, locale: str, timezone: str, daily_goal: int | None,
                      theme: str, supported_locales: list[str], desired_retention: float | None) -> None:
    check_choice(locale, supported_locales, errors, "locale")
    check_choice(desired_retention, RETENTION_CHOICES, errors, "desired_retention")
    check_choice(timezone, timezones(), errors, "timezone")
    check_choice(daily_goal, DAILY_GOALS, errors, "daily_goal")
    check_choice(theme, THEMES, errors, "theme")


def check_avatar_color(color: str, errors: FieldErrors) -> None:
    check_choice(color, AVATAR_COLORS, errors, "avatar_color")
