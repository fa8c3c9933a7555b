"""Helpers for tests of accounts with a second factor: enrol an authenticator app through the services,
compute its codes as the learner's phone would, and prove it in a browser session (step-up)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import pyotp

from puchi.accounts import mfa
from puchi.accounts.models import User
from puchi.core.db import db
from tests.conftest import post_form


@dataclass
class Enrolled:
    secret: str
    recovery_codes: list[str]

    def code(self, steps_from_now: int = 0) -> str:
        """The code the app shows ``steps_from_now`` 30-second steps from now."""
        return pyotp.TOTP(self.secret).at(time.time() + 30 * steps_from_now)


def enrol_totp(app: Any, user_id: int) -> Enrolled:
    """Turn on an authenticator app for the account (the code of the current step is spent)."""
    with app.app_context():
        user = db.session.get(User, user_id)
        mfa.begin_totp_enrolment(user)
        enrolment = mfa.pending_totp(user)
        assert enrolment is not None
        codes = mfa.confirm_totp(user, pyotp.TOTP(enrolment.secret).now())
        db.session.remove()
    return Enrolled(secret=enrolment.secret, recovery_codes=codes or [])


def prove_it_is_me(client: Any, enrolled: Enrolled) -> None:
    """Step up in this browser session with a recovery code (TOTP codes are spent one per time step)."""
    code = enrolled.recovery_codes.pop()
    response = post_form(client, "/account/security/confirm", {"code": code})
    assert response.status_code == 302, response.text[:300]
