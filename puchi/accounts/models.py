"""Users, their sign-in sessions, and the single-use tokens already spent."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Float, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from puchi.accounts.roles import STAFF_ROLES, Capability, Role, capabilities_of
from puchi.core.db import Model, UTCDateTime, now

DAILY_GOALS = {10: "casual", 20: "regular", 30: "serious", 50: "intense"}
THEMES = ("system", "light", "dark")
RETENTION_CHOICES = (0.8, 0.85, 0.9, 0.95)
HIDDEN_NAME = _l("Puchi learner")  # what others see while moderation hides a learner's profile
AVATAR_COLORS = ("coral", "amber", "leaf", "teal", "sky", "violet", "rose", "slate")


class User(Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-cased, see normalize_email
    display_name: Mapped[str] = mapped_column(String(50))
    password_hash: Mapped[str] = mapped_column(String(255))
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # An address the learner asked to move to, until they confirm it; it never holds the address for them
    # (anyone may sign up with it meanwhile) and lapses at pending_email_expires_at.
    pending_email: Mapped[str | None] = mapped_column(String(254))
    pending_email_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # learner, editor, support or admin (puchi/accounts/roles.py says what each may do)
    role: Mapped[str] = mapped_column(String(16), default="learner", index=True)
    locale: Mapped[str] = mapped_column(String(8), default="en")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC", index=True)  # reminders go a zone at a time
    daily_goal: Mapped[int] = mapped_column(default=20)
    theme: Mapped[str] = mapped_column(String(8), default="system")
    sound_effects: Mapped[bool] = mapped_column(Boolean, default=True)
    # How likely the learner wants to be to remember a word when it comes back (FSRS's target).
    desired_retention: Mapped[float] = mapped_column(Float, default=0.9)
    # Every pressure mechanic can be switched off: relaxed mode means no hearts, and leagues are optional.
    relaxed_mode: Mapped[bool] = mapped_column(Boolean, default=False)
    leagues_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    avatar_color: Mapped[str] = mapped_column(String(16), default="teal")
    course_interest: Mapped[str | None] = mapped_column(String(80))  # the slug of the course chosen at sign-up
    # A visitor trying the first lesson before signing up: a real account (so XP, cards and the enrolment are
    # theirs) with an address that cannot receive mail and no usable password, made theirs in place at sign-up
    # (puchi/accounts/guests.py); kept out of leagues, friend search and learner counts; removed when idle.
    is_guest: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, index=True)  # sign-ups per day
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # GDPR deletion (puchi/accounts/deletion.py): erased at deletion_due_at unless cancelled; an erased
    # account stays as an anonymous row (deleted_at set) so what others keep (messages to them) still points
    # somewhere.
    deletion_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Suspended by support (puchi/accounts/services.py, "Staff"): no log-in, every session ended; the log-in
    # page shows the reason.
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    suspension_reason: Mapped[str | None] = mapped_column(String(500))
    # Hidden by moderation after a report of the profile: others see HIDDEN_NAME instead of what the learner
    # wrote (name, username); the owner is told and the hide lifts when they change their name or username.
    profile_hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    sessions: Mapped[list[UserSession]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="raise"
    )

    # flask-login: set by the session loader to the raw key of the session this request belongs to. A plain
    # attribute, not a column: __allow_unmapped__ lets its annotation stand without Mapped[].
    __allow_unmapped__ = True
    current_session_key: str | None = None

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        # The login cookie names a server-side session, so logging out revokes exactly that session.
        return f"{self.id}:{self.current_session_key}"

    @property
    def waiting_email(self) -> str | None:
        """The pending address while it can still be confirmed, else None."""
        if self.pending_email and self.pending_email_expires_at and self.pending_email_expires_at > now():
            return self.pending_email
        return None

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_staff(self) -> bool:
        """Editor, support or admin: the admin pages are open to them (each page asks for its capability)."""
        return self.role in STAFF_ROLES

    def can(self, capability: Capability) -> bool:
        return capability in capabilities_of(self.role)

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def profile_hidden(self) -> bool:
        return self.profile_hidden_at is not None

    @property
    def public_name(self) -> str:
        """The name other learners see: the display name, or a neutral one while moderation hides it."""
        return str(HIDDEN_NAME) if self.profile_hidden_at is not None else self.display_name

    @property
    def initials(self) -> str:
        return initials_of(self.display_name)

    @property
    def public_initials(self) -> str:
        """The avatar's letters as other learners see them (from :attr:`public_name`)."""
        return initials_of(self.public_name)


def initials_of(name: str) -> str:
    words = [word for word in name.split() if word]
    letters = "".join(word[0] for word in words[:2]) or name[:1] or "?"
    return letters.upper()


def public_name_of(display_name: str, hidden_at: datetime | None) -> str:
    """:attr:`User.public_name` for a query's columns (leagues read names without loading users)."""
    return str(HIDDEN_NAME) if hidden_at is not None else display_name


class UserSession(Model):
    """One signed-in browser. Its key lives in the cookie; only its hash is stored."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    remember: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # The device as the account page names it (puchi/accounts/devices.py): families from the user agent,
    # and an approximate place only when a GeoIP database is configured. No IP address is stored.
    browser: Mapped[str] = mapped_column(String(60), default="")
    os: Mapped[str] = mapped_column(String(60), default="")
    place: Mapped[str | None] = mapped_column(String(120))

    user: Mapped[User] = relationship(back_populates="sessions", lazy="joined")


class UsedToken(Model):
    """A spent single-use token (email verification, password reset): its id may never be used again."""

    __tablename__ = "used_tokens"

    jti: Mapped[str] = mapped_column(String(32), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    used_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


# --- Social login (OpenID Connect) ---------------------------------------------------------------

class Identity(Model):
    """An account at an OpenID Connect provider linked to a Puchi account: the provider's ``sub`` for it
    logs that account in. One provider account links to at most one Puchi account."""

    __tablename__ = "accounts_identities"
    __table_args__ = (UniqueConstraint("provider", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(32))  # the configured name, e.g. "google"
    subject: Mapped[str] = mapped_column(String(255))  # the id_token's "sub": stable, never reassigned
    email: Mapped[str | None] = mapped_column(String(254))  # as the provider last told it
    email_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
