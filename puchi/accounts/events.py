"""What accounts tells the rest of Puchi (and the audit log): its domain events, one frozen dataclass each.

Recorded with the user as subject (``("user", id)``) and, when the user acted, as actor.
"""

from __future__ import annotations

from dataclasses import dataclass

from puchi.core.events import DomainEvent


@dataclass(frozen=True)
class UserSignedUp(DomainEvent):
    """A learner made an account (other domains make their rows for it)."""

    name = "user.signed_up"
    locale: str
    course_interest: str | None


@dataclass(frozen=True)
class UserCreated(DomainEvent):
    """An account made ready to use by the CLI or demo data (other domains make their rows for it)."""

    name = "user.created"
    is_admin: bool


@dataclass(frozen=True)
class RoleChanged(DomainEvent):
    """A staff member with the right gave an account another role (the actor is recorded)."""

    name = "user.role_changed"
    before: str
    after: str


@dataclass(frozen=True)
class SignUpAttempted(DomainEvent):
    """Someone tried to sign up with an address that already has an account (its owner is told)."""

    name = "user.sign_up_attempted"


@dataclass(frozen=True)
class EmailChanged(DomainEvent):
    name = "user.email_changed"
    old: str
    new: str


@dataclass(frozen=True)
class EmailVerified(DomainEvent):
    name = "user.email_verified"


@dataclass(frozen=True)
class EmailChangeRequested(DomainEvent):
    name = "user.email_change_requested"
    new: str


@dataclass(frozen=True)
class EmailChangeDropped(DomainEvent):
    name = "user.email_change_dropped"
    reason: str  # "expired" or "taken"


@dataclass(frozen=True)
class LoginFailed(DomainEvent):
    name = "user.login_failed"


@dataclass(frozen=True)
class LoggedIn(DomainEvent):
    name = "user.logged_in"
    remember: bool


@dataclass(frozen=True)
class LoggedOut(DomainEvent):
    """A browser logged out; ``session`` names that login (what other domains keep per browser)."""

    name = "user.logged_out"
    session: str | None


@dataclass(frozen=True)
class SessionsRevoked(DomainEvent):
    name = "user.sessions_revoked"
    count: int


@dataclass(frozen=True)
class PasswordResetRequested(DomainEvent):
    name = "user.password_reset_requested"


@dataclass(frozen=True)
class PasswordReset(DomainEvent):
    name = "user.password_reset"


@dataclass(frozen=True)
class PasswordChanged(DomainEvent):
    name = "user.password_changed"


@dataclass(frozen=True)
class ProfileChanged(DomainEvent):
    name = "user.profile_changed"


@dataclass(frozen=True)
class PreferencesChanged(DomainEvent):
    """The preferences that changed, with their new values; the others are None (and left out)."""

    name = "user.preferences_changed"
    locale: str | None = None
    timezone: str | None = None
    daily_goal: int | None = None
    theme: str | None = None
    sound_effects: bool | None = None
    desired_retention: float | None = None
    relaxed_mode: bool | None = None
    leagues_enabled: bool | None = None


# --- Social login (OpenID Connect) ---------------------------------------------------------------
# Only the provider's configured name: never a code, token or the provider's subject id.

@dataclass(frozen=True)
class IdentityLinked(DomainEvent):
    """An account at a provider now logs this account in (``how``: "sign_up", "password", "email",
    "account_page")."""

    name = "user.identity_linked"
    provider: str
    how: str


@dataclass(frozen=True)
class IdentityUnlinked(DomainEvent):
    name = "user.identity_unlinked"
    provider: str


@dataclass(frozen=True)
class IdentityLinkRequested(DomainEvent):
    """A provider's account with this account's address asked to be linked: its owner was emailed."""

    name = "user.identity_link_requested"
    provider: str
# --- Privacy: data export, account deletion, consents, devices (puchi/accounts/exports.py, deletion.py, …) ---

@dataclass(frozen=True)
class DataExportRequested(DomainEvent):
    name = "user.data_export_requested"
    export_id: int


@dataclass(frozen=True)
class DataExportDownloaded(DomainEvent):
    name = "user.data_export_downloaded"
    export_id: int


@dataclass(frozen=True)
class DeletionRequested(DomainEvent):
    """The learner asked to delete their account; it is erased at ``due_at`` unless they cancel."""

    name = "user.deletion_requested"
    due_at: str


@dataclass(frozen=True)
class DeletionCancelled(DomainEvent):
    name = "user.deletion_cancelled"


@dataclass(frozen=True)
class AccountErased(DomainEvent):
    """Every row about the learner was erased or anonymised (the account row stays as an anonymous stub)."""

    name = "user.erased"


@dataclass(frozen=True)
class SessionSignedOut(DomainEvent):
    """The learner signed one of their other devices out from the account page."""

    name = "user.session_signed_out"
    session_id: int


# --- What staff did to an account (the actor is the staff member) -------------------------------------------

@dataclass(frozen=True)
class UserSuspended(DomainEvent):
    """Support suspended the account: it cannot log in and every session of it ended."""

    name = "user.suspended"
    reason: str
    sessions_ended: int


@dataclass(frozen=True)
class ProfileHidden(DomainEvent):
    """A moderator hid what the learner wrote on their profile (name, username) from other learners."""

    name = "user.profile_hidden"
    report_id: int


@dataclass(frozen=True)
class ProfileUnhidden(DomainEvent):
    """A hidden profile is shown again: ``by`` is "owner" (they changed what was hidden) or "staff"."""

    name = "user.profile_unhidden"
    by: str


@dataclass(frozen=True)
class UserRestored(DomainEvent):
    """Support lifted a suspension."""

    name = "user.restored"


@dataclass(frozen=True)
class VerificationResent(DomainEvent):
    """Support sent the account a fresh verification link."""

    name = "user.verification_resent"


@dataclass(frozen=True)
class PasswordResetForced(DomainEvent):
    """Support made the password stop working, ended every session and emailed a reset link."""

    name = "user.password_reset_forced"
    sessions_ended: int


# --- Guests (a visitor trying the first lesson before signing up) -------------------------------------

@dataclass(frozen=True)
class GuestStarted(DomainEvent):
    """A visitor started trying a course as a guest account (learning enrols it in ``course``, a slug)."""

    name = "user.guest_started"
    course: str


@dataclass(frozen=True)
class GuestSignUpRequested(DomainEvent):
    """A guest asked to become an account; it does once the emailed link confirms the address."""

    name = "user.guest_sign_up_requested"


@dataclass(frozen=True)
class GuestRemoved(DomainEvent):
    """A guest account never claimed was removed after its idle days, with what it had done."""

    name = "user.guest_removed"
