"""The admin area's front door, for each admin blueprint: staff only, and staff without a second factor are sent
to set one up (each service checks the page's capability again)."""

from __future__ import annotations

from flask import redirect, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from puchi.accounts import services as accounts
from puchi.core.errors import Forbidden


@login_required
def staff_only() -> ResponseReturnValue | None:
    try:
        accounts.require_staff(current_user._get_current_object())
    except Forbidden as refusal:
        if refusal.code == accounts.ADMIN_NEEDS_MFA:
            return redirect(url_for("mfa.admin_needs_mfa"))
        raise
    return None
