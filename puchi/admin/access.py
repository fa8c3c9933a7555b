"""Who may use the admin pages: checked here, in the service layer, not only by hiding links."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from puchi.accounts.models import User
from puchi.core.errors import Forbidden


def require_admin(user: User) -> None:
    """:raises Forbidden: the account does not have the admin role."""
    if not getattr(user, "is_admin", False):
        raise Forbidden(_l("This page is for administrators."), code="admin_only")
