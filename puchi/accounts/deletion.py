"""Deleting an account: asked for with the password and a typed confirmation, then a grace period
(``DELETION_GRACE_DAYS``, 14) during which the account works as before and can cancel, then a chore that
erases or anonymises every row about the learner, table by table, as the personal-data registry says.

The account row itself stays as an anonymous stub ("Deleted user", no email, no password), so what other
learners keep (the messages they exchanged) still points somewhere; every session, token and push
subscription is gone with the rows that held them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from puchi.accounts import passwords
from puchi.accounts.events import AccountErased, DeletionCancelled, DeletionRequested
from puchi.accounts.models import User
from puchi.accounts.validation import FieldErrors
from puchi.core import events, outbox, personal_data
from puchi.core.db import action, db, now

CONFIRMATION_WORD = "DELETE"  # typed by the learner; the page shows it translated alongside
DELETED_NAME = "Deleted user"
UNUSABLE_PASSWORD = "!deleted"  # no argon2 hash: nothing verifies against it


def request_deletion(user: User, *, password: str, confirmation: str) -> datetime:
    """Schedule the account's erasure after the grace period and email the learner. Commits; returns when.

    :raises Invalid: wrong password, or the confirmation word not typed.
    """
    errors = FieldErrors()
    if not passwords.verify_password(user.password_hash, password or ""):
        errors.add("password", _l("That is not your current password."))
    if (confirmation or "").strip().upper() != CONFIRMATION_WORD:
        errors.add("confirmation", _l("Type DELETE to confirm."))
    errors.raise_if_any()
    return _schedule(user)


@action
def _schedule(user: User) -> datetime:
    return schedule_deletion(user, actor_id=user.id)


def schedule_deletion(user: User, *, actor_id: int) -> datetime:
    """Inside an action: schedule the erasure after the grace period (the learner is emailed, and may still
    cancel); ``actor_id`` is the learner, or support acting on their request."""
    if user.deletion_due_at is not None:
        return user.deletion_due_at
    due = now() + timedelta(days=current_app.config["DELETION_GRACE_DAYS"])
    user.deletion_due_at = due
    events.record(DeletionRequested(due_at=due.isoformat()), actor_id=actor_id, subject=("user", user.id))
    outbox.add("accounts.deletion_scheduled_email", {"user_id": user.id})
    return due


@action
def cancel_deletion(user: User) -> bool:
    """Keep the account after all. Commits; returns whether a deletion was waiting."""
    if user.deletion_due_at is None:
        return False
    user.deletion_due_at = None
    events.record(DeletionCancelled(), actor_id=user.id, subject=("user", user.id))
    outbox.add("accounts.deletion_cancelled_email", {"user_id": user.id})
    return True


def erase_due_accounts(at: datetime) -> int:
    """Chore: erase every account whose grace period is over, each in an action of its own."""
    due = list(db.session.scalars(select(User.id).where(User.deletion_due_at <= at, User.deleted_at.is_(None))
                                  .order_by(User.id).limit(100)))
    for user_id in due:
        erase_account(user_id)
    return len(due)


@action
def erase_account(user_id: int) -> None:
    """Erase or anonymise every row about the learner, as each table's registered rule says. Idempotent."""
    user = db.session.get(User, user_id, with_for_update=True)
    if user is None or user.deleted_at is not None or user.deletion_due_at is None:
        return  # cancelled (or done) since the chore looked
    personal_data.erase_all(user_id)
    events.record(AccountErased(), subject=("user", user_id))


def anonymise_user(user_id: int) -> None:
    """The registry's eraser of the ``users`` table: the row becomes an anonymous stub that cannot log in."""
    user = db.session.get(User, user_id)
    if user is None:
        return
    user.email = f"deleted-{user_id}@deleted.invalid"  # unique, and no mail can reach it
    user.display_name = DELETED_NAME
    user.password_hash = UNUSABLE_PASSWORD
    user.pending_email = user.pending_email_expires_at = user.email_verified_at = None
    user.course_interest = user.last_login_at = None
    user.role = "learner"
    user.suspension_reason = user.profile_hidden_at = None
    user.locale, user.timezone = "en", "UTC"
    user.deletion_due_at, user.deleted_at = None, now()
