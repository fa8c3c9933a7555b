"""Guests: a visitor tries the first lesson before signing up, as a real account flagged ``is_guest``.

Why a real ``users`` row: everything a lesson writes (XP, attempts, FSRS cards, the enrolment) belongs to a user
id, so a guest's progress is ordinary progress and signing up keeps it by changing nothing but the account's
own columns (services.sign_up_guest, confirmed by the emailed link). A guest has an address no mail reaches
and no usable password, so it is reachable only through its session cookie.

This module holds the seams around it: which courses can be chosen (learning says, accounts does not know
courses), and which pages a guest may open (each domain names its own; every other page sends the guest to
sign up, with the progress kept).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

CourseChoices = Callable[[], list[tuple[str, str]]]  # () → [(slug, title)] of the courses one can start
GUEST_EMAIL_DOMAIN = "guest.invalid"  # RFC 2606: never delivered
_CHOICES = "puchi.accounts.course_choices"
_OPEN = "puchi.accounts.guest_endpoints"
# Accounts' own pages a guest needs: signing up (to keep the progress), logging in to another account, out,
# the onboarding choices, and the emailed link that finishes the sign-up.
_ACCOUNTS_OPEN = ("accounts.sign_up", "accounts.log_in", "accounts.log_out", "accounts.verify_email",
                  "accounts.resend_verification", "accounts.forgot_password")


def add_course_choices(app: Flask, source: CourseChoices) -> None:
    """Plug in the list of courses a newcomer can choose (learning's published courses)."""
    app.extensions[_CHOICES] = source


def course_choices() -> list[tuple[str, str]]:
    source: CourseChoices | None = current_app.extensions.get(_CHOICES)
    return source() if source else []


def allow_guests(app: Flask, *endpoints: str) -> None:
    """Let guests open these endpoints (a lesson, its fragments; "blueprint.*" names a whole blueprint):
    every other page asks them to sign up."""
    app.extensions.setdefault(_OPEN, set()).update(endpoints)


def is_guest_email(email: str) -> bool:
    return email.endswith("@" + GUEST_EMAIL_DOMAIN)


def init_app(app: Flask) -> None:
    allow_guests(app, *_ACCOUNTS_OPEN, "static", "pages.index", "pages.home")
    app.before_request(_keep_guests_to_their_pages)


def _keep_guests_to_their_pages() -> Any:
    if not current_user.is_authenticated or not getattr(current_user, "is_guest", False):
        return None
    allowed = current_app.extensions.get(_OPEN, set())
    if request.endpoint in allowed or f"{request.blueprint}.*" in allowed or request.blueprint in {"pwa", "health"}:
        return None
    flash(_("Create a profile to open that page. Your progress is kept."), "info")
    return redirect(url_for("accounts.sign_up"))
