"""Who may use the staff side: the checks every service that offers a staff action calls first.

Kept apart from ``services`` so the staff's own modules (the audit log, the learner search) can use them while
``services`` offers those modules as part of accounts' public face.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from puchi.accounts import mfa_status, roles
from puchi.accounts.models import User
from puchi.accounts.roles import Capability, Role
from puchi.core.errors import Forbidden

ADMIN_NEEDS_MFA = "admin_needs_mfa"  # a staff account without a second factor (MFA): sent to set one up


def require_capability(user: User, capability: Capability) -> None:
    """Refuse anyone whose role does not give ``capability``, and staff without a second factor.

    :raises Forbidden: ``staff_only`` for a role without it; ``admin_needs_mfa`` for staff without MFA on.
    """
    if capability not in roles.capabilities_of(getattr(user, "role", None)):
        raise Forbidden(_l("This page is not open to your account."), code="staff_only")
    _require_second_factor(user)


def require_staff(user: User) -> None:
    """Any staff role (editor, support, admin) with a second factor on: the admin area's front door.

    :raises Forbidden: as ``require_capability``.
    """
    if roles.role_of(getattr(user, "role", None)) not in roles.STAFF_ROLES:
        raise Forbidden(_l("This page is not open to your account."), code="staff_only")
    _require_second_factor(user)


def require_admin(user: User) -> None:
    """The admin role itself (everything on the staff side).

    :raises Forbidden: the account does not have the admin role, or has no second factor on.
    """
    if roles.role_of(getattr(user, "role", None)) is not Role.ADMIN:
        raise Forbidden(_l("This page is for administrators."), code="admin_only")
    _require_second_factor(user)


def _require_second_factor(user: User) -> None:
    # Staff reach other people's data: a stolen password alone must not be enough.
    if not mfa_status.has_second_factor(user.id):
        raise Forbidden(_l("Staff accounts must turn on two-step verification first."), code=ADMIN_NEEDS_MFA)


def capabilities_of(user: User) -> frozenset[Capability]:
    """What the account may do on the staff side (empty for a learner)."""
    return roles.capabilities_of(getattr(user, "role", None))
