"""What MFA keeps in the browser's (signed) Flask session: a log-in waiting for its second factor, and when
the learner last proved their second factor (step-up before sensitive changes).

A pending log-in is not a logged-in user: it names the account, lives five minutes, and dies with a
password change (it carries a fingerprint of the password hash). A step-up lasts ten minutes.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from flask import flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from puchi.accounts import mfa_status, tokens
from puchi.accounts.models import User
from puchi.core.db import db

PENDING_KEY = "mfa_pending"
VERIFIED_KEY = "mfa_verified_at"
PENDING_LIFETIME = 5 * 60
STEP_UP_LIFETIME = 10 * 60

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class PendingLogIn:
    user: User
    remember: bool
    next: str | None


def begin_pending(user: User, *, remember: bool, next_url: str | None) -> None:
    session.clear()  # nothing from before survives a log-in (fixation)
    session[PENDING_KEY] = {"user": user.id, "remember": remember, "next": next_url, "at": time.time(),
                            "pw": tokens.fingerprint(user.password_hash)}


def pending() -> PendingLogIn | None:
    """The log-in waiting for its second factor in this browser, or None (none, too old, password changed)."""
    data = session.get(PENDING_KEY)
    if not isinstance(data, dict) or time.time() - float(data.get("at", 0)) > PENDING_LIFETIME:
        return None
    user = db.session.get(User, data.get("user"))
    if user is None or data.get("pw") != tokens.fingerprint(user.password_hash):
        return None
    return PendingLogIn(user=user, remember=bool(data.get("remember")), next=data.get("next"))


def finish_pending() -> None:
    session.pop(PENDING_KEY, None)


def mark_verified() -> None:
    """The learner just proved their second factor in this session."""
    session[VERIFIED_KEY] = time.time()


def recently_verified() -> bool:
    return time.time() - float(session.get(VERIFIED_KEY, 0)) <= STEP_UP_LIFETIME


def needs_step_up(user: User) -> bool:
    return mfa_status.has_second_factor(user.id) and not recently_verified()


def step_up_required(back_to: str) -> Callable[[Callable[P, R]], Callable[P, Any]]:
    """For a sensitive change (email, password, MFA settings, deleting the account): an account with a second
    factor must have proved it in the last ten minutes, or it is sent to do so and brought back to the page
    named by endpoint ``back_to``. Put it under ``login_required``."""

    def decorate(view: Callable[P, R]) -> Callable[P, Any]:
        @functools.wraps(view)
        def checked(*args: P.args, **kwargs: P.kwargs) -> Any:
            if current_user.is_authenticated and needs_step_up(current_user._get_current_object()):
                flash(_("For your security, confirm it's you with your second factor first."), "info")
                target = url_for(back_to) if request.method != "GET" else request.full_path.rstrip("?")
                return redirect(url_for("mfa.step_up", next=target))
            return view(*args, **kwargs)

        return checked

    return decorate
