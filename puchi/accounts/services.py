"""The accounts domain's public API: sign-up, sign-in sessions, email and password changes, preferences.

Every function that changes something runs one action (``puchi.core.db.action``: one transaction, committed
once) and records a domain event; emails leave through the outbox, so none is sent for a change that did not
commit. Password hashing and checking (tens of milliseconds each) happen before the action begins, so a
writer never holds SQLite's write lock while it hashes.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from puchi.accounts import deletion, exports, guests, mfa_status, passwords, roles, tokens
from puchi.accounts.audit import AuditPage as AuditPage
from puchi.accounts.audit import audit_csv as audit_csv
from puchi.accounts.audit import audit_page as audit_page
from puchi.accounts.audit import csv_lines as csv_lines
from puchi.accounts.audit import parse_moment as parse_moment
from puchi.accounts.events import (
    EmailChanged,
    EmailChangeDropped,
    EmailChangeRequested,
    EmailVerified,
    GuestRemoved,
    GuestSignUpRequested,
    GuestStarted,
    LoggedIn,
    LoggedOut,
    LoginFailed,
    PasswordChanged,
    PasswordReset,
    PasswordResetForced,
    PasswordResetRequested,
    PreferencesChanged,
    ProfileChanged,
    ProfileHidden,
    ProfileUnhidden,
    RoleChanged,
    SessionsRevoked,
    SignUpAttempted,
    UserCreated,
    UserRestored,
    UserSignedUp,
    UserSuspended,
    VerificationResent,
)
from puchi.accounts.guests import add_course_choices as add_course_choices
from puchi.accounts.guests import allow_guests as allow_guests
from puchi.accounts.models import AVATAR_COLORS, DAILY_GOALS, UsedToken, User, UserSession
from puchi.accounts.permissions import ADMIN_NEEDS_MFA as ADMIN_NEEDS_MFA
from puchi.accounts.permissions import capabilities_of as capabilities_of
from puchi.accounts.permissions import require_admin as require_admin
from puchi.accounts.permissions import require_capability as require_capability
from puchi.accounts.permissions import require_staff as require_staff
from puchi.accounts.roles import Capability, Role
from puchi.accounts.search import MAX_QUERY_LENGTH as MAX_QUERY_LENGTH
from puchi.accounts.search import LearnerPage as LearnerPage
from puchi.accounts.search import search_learners as search_learners
from puchi.accounts.validation import (
    FieldErrors,
    check_avatar_color,
    check_choice,
    check_new_password,
    check_preferences,
    clean_display_name,
    normalize_email,
    timezones,
)
from puchi.core import events, outbox, periods, personal_data, throttle
from puchi.core.db import action, db, now, rowcount
from puchi.core.errors import Conflict, Forbidden, Invalid, NotFound, RateLimited
from puchi.core.periods import Range
from puchi.core.upserts import insert_if_missing

SESSION_TOUCH_INTERVAL = timedelta(minutes=5)
UNREMEMBERED_SESSION_IDLE = timedelta(hours=12)
LOGIN_FAILURES = "RATELIMIT_LOGIN_ACCOUNT"  # the config setting with the per-account limits

EMAIL_TAKEN_CODE = "email_taken"  # a confirmed address change lost the address to a new account
EMAIL_TAKEN = _l("An account already uses this email address. Log in, or reset your password.")
ACCOUNT_SUSPENDED = "account_suspended"  # support suspended the account: no log-in, the page says why


# --- Roles (puchi/accounts/roles.py): who may use the admin pages, checked by each service that offers one --

@action
def set_role(actor: User, user_id: int, role: str) -> User:
    """Give an account a role. Only those who may give roles can; nobody changes their own (an admin cannot
    lock the last way in by mistake). Recorded for the audit log.

    :raises Forbidden: the actor may not give roles.
    :raises Invalid: not a role.
    :raises Conflict: the actor's own account.
    :raises NotFound: no such account (or a deleted one).
    """
    require_capability(actor, Capability.ROLES)
    if role not in {r.value for r in Role}:
        raise Invalid(fields={"role": [_l("Choose one of the roles.")]})
    if user_id == actor.id:
        raise Conflict(_l("You cannot change your own role."), code="own_role")
    user = db.session.get(User, user_id, with_for_update=True)
    if user is None or user.deleted_at is not None:
        raise NotFound
    before = user.role
    if before != role:
        user.role = role
        events.record(RoleChanged(before=before, after=role), actor_id=actor.id, subject=("user", user.id))
    return user


# --- Sign-up -------------------------------------------------------------------------------------

def sign_up(*, email: str, display_name: str, password: str, locale: str, timezone: str,
            course_interest: str | None = None) -> User | None:
    """Create a learner account and email them a verification link. Commits.

    An address that already has an account gets no second one, and the page must not say so (that
    would tell anyone which addresses have accounts): its owner is emailed instead, and the caller
    answers exactly as for a new account. Returns the new account, or None in that case.

    :raises Invalid: a field breaks a rule.
    """
    errors = FieldErrors()
    email = normalize_email(email, errors)
    name = clean_display_name(display_name, errors)
    check_new_password(password, errors, email=email, display_name=name)
    if locale not in current_app.config["SUPPORTED_LOCALES"]:
        locale = current_app.config["BABEL_DEFAULT_LOCALE"]
    if timezone not in timezones():
        timezone = "UTC"  # a browser guess we do not know is no reason to refuse a sign-up
    if course_interest:
        check_choice(course_interest, dict(guests.course_choices()), errors, "course_interest")
    errors.raise_if_any()

    password_hash = passwords.hash_password(password)  # hashed either way: the timing must not tell
    return _open_account(email=email, display_name=name, password_hash=password_hash, locale=locale,
                         timezone=timezone, course_interest=course_interest or None)


@action
def _open_account(*, email: str, display_name: str, password_hash: str, locale: str, timezone: str,
                  course_interest: str | None) -> User | None:
    # Insert unless the address has an account: two sign-ups with one address at once make one account,
    # and the other is told to its owner like any sign-up with a taken address.
    if not insert_if_missing(User, {"email": email}, display_name=display_name, password_hash=password_hash,
                             locale=locale, timezone=timezone, course_interest=course_interest,
                             avatar_color=_avatar_color_for(email)):
        owner_id = _account_with(email)
        assert owner_id is not None
        _tell_owner_about_sign_up(owner_id)
        return None
    user = db.session.scalar(select(User).where(User.email == email))
    assert user is not None
    events.record(UserSignedUp(locale=locale, course_interest=course_interest), actor_id=user.id,
                  subject=("user", user.id))
    outbox.add("accounts.verification_email", {"user_id": user.id, "email": email})
    return user


# --- Guests: trying the first lesson before signing up (see puchi/accounts/guests.py) ------------------

GUEST_NAME = "Guest"


@action
def start_guest(*, course: str, locale: str, timezone: str, user_agent: str) -> User:
    """Make a guest account for a visitor trying ``course`` (a slug among guests.course_choices()) and open its
    session (its key on ``user.current_session_key``). Commits.

    Guests stay out of leagues and friend search until they sign up; an idle one is removed by a chore.

    :raises NotFound: no such course to try.
    """
    if course not in dict(guests.course_choices()):
        raise NotFound
    if locale not in current_app.config["SUPPORTED_LOCALES"]:
        locale = current_app.config["BABEL_DEFAULT_LOCALE"]
    if timezone not in timezones():
        timezone = "UTC"
    user = User(email=f"guest-{secrets.token_hex(12)}@{guests.GUEST_EMAIL_DOMAIN}", display_name=GUEST_NAME,
                password_hash=deletion.UNUSABLE_PASSWORD, is_guest=True, leagues_enabled=False, locale=locale,
                timezone=timezone, course_interest=course, avatar_color="teal")
    db.session.add(user)
    db.session.flush()
    # Learning enrols the guest in the course, in this transaction (its subscriber to GuestStarted).
    events.record(GuestStarted(course=course), actor_id=user.id, subject=("user", user.id))
    user.current_session_key = open_session(user, remember=True, user_agent=user_agent)
    return user


def sign_up_guest(guest: User, *, email: str, display_name: str, password: str) -> None:
    """A guest asks to become an account with these details. Commits.

    Answered exactly as :func:`sign_up` (so it tells nobody which addresses have accounts): a free address is
    kept as the guest's pending address with the name and password, and the emailed link makes the guest an
    ordinary account in place (:func:`verify_email`), keeping its progress; an address that has an account
    gets the usual note to its owner, and the guest stays a guest (its progress is not merged into that
    account: logging in there leaves it behind).

    :raises Invalid: a field breaks a rule.
    :raises Conflict: ``not_a_guest``, the account already signed up.
    """
    errors = FieldErrors()
    address = normalize_email(email, errors)
    name = clean_display_name(display_name, errors)
    check_new_password(password, errors, email=address, display_name=name)
    errors.raise_if_any()
    _ask_guest_sign_up(guest.id, address, name, passwords.hash_password(password))


@action
def _ask_guest_sign_up(guest_id: int, email: str, display_name: str, password_hash: str) -> None:
    guest = db.session.get(User, guest_id, with_for_update=True)
    if guest is None or not guest.is_guest:
        raise Conflict(_l("This account is already signed up."), code="not_a_guest")
    owner_id = _account_with(email)
    if owner_id is not None:
        _tell_owner_about_sign_up(owner_id)
        return
    guest.display_name, guest.password_hash = display_name, password_hash
    guest.pending_email, guest.pending_email_expires_at = email, _pending_email_expiry()
    events.record(GuestSignUpRequested(), actor_id=guest.id, subject=("user", guest.id))
    outbox.add("accounts.verification_email", {"user_id": guest.id, "email": email})


def remove_idle_guests(at: datetime) -> int:
    """Chore: delete guest accounts idle for ``GUEST_IDLE_DAYS`` (with all they did), each in its own action."""
    cutoff = at - timedelta(days=current_app.config["GUEST_IDLE_DAYS"])
    idle = list(db.session.scalars(
        select(User.id).where(User.is_guest.is_(True), User.created_at < cutoff, ~_seen_since(cutoff))
        .order_by(User.id).limit(200)))
    for user_id in idle:
        _remove_guest(user_id, cutoff)
    return len(idle)


def _seen_since(cutoff: datetime) -> Any:
    # A guest's activity shows on its session (touched every few minutes of use), not on the users row.
    return select(UserSession.id).where(UserSession.user_id == User.id, UserSession.last_seen_at >= cutoff).exists()


@action
def _remove_guest(user_id: int, cutoff: datetime) -> None:
    guest = db.session.scalar(select(User).where(User.id == user_id, User.is_guest.is_(True),
                                                 ~_seen_since(cutoff)).with_for_update())
    if guest is None:
        return  # signed up or came back since the chore looked
    personal_data.erase_all(user_id)  # every domain's registered eraser, as for a deleted account
    events.record(GuestRemoved(), subject=("user", user_id))
    db.session.execute(delete(User).where(User.id == user_id))  # then the row itself: nothing points at a guest


def _account_with(email: str) -> int | None:
    # Addresses are stored lower-cased, so plain equality uses the unique index.
    return db.session.scalar(select(User.id).where(User.email == email))


def _tell_owner_about_sign_up(user_id: int) -> None:
    events.record(SignUpAttempted(), subject=("user", user_id))
    outbox.add("accounts.account_exists_email", {"user_id": user_id})


def _email_in_use(email: str, *, except_user_id: int | None = None) -> bool:
    # Only confirmed addresses count: a pending change never holds one (or anyone could squat it).
    query = select(User.id).where(User.email == email)
    if except_user_id is not None:
        query = query.where(User.id != except_user_id)
    return db.session.scalar(query.limit(1)) is not None


def _avatar_color_for(email: str) -> str:
    return AVATAR_COLORS[int(hashlib.sha256(email.encode()).hexdigest(), 16) % len(AVATAR_COLORS)]


@action
def resend_verification(user: User) -> None:
    """Email a fresh verification link for the address waiting to be confirmed. Commits."""
    email = user.waiting_email or (None if user.email_verified else user.email)
    if email is None or guests.is_guest_email(email):  # a guest's own address reaches nobody
        return
    if email == user.waiting_email:  # asking again shows the learner still wants it: give it the full time
        user.pending_email_expires_at = _pending_email_expiry()
    outbox.add("accounts.verification_email", {"user_id": user.id, "email": email})


def check_verification(token: str) -> str:
    """The address an emailed verification link would confirm, without spending it (the page a link opens).

    Mail scanners open links before the learner does, so following one only shows a button; the
    confirmation itself is a POST (:func:`verify_email`).

    :raises BadRequest: ``link_invalid``, forged or damaged.
    :raises Gone: ``link_used``, already used or for an address no longer pending; ``link_expired``, too old,
        or the change it confirms has lapsed.
    """
    claims = tokens.read_token(tokens.VERIFY_EMAIL, token)
    user = db.session.get(User, claims.user_id)
    if user is None or db.session.get(UsedToken, claims.jti) is not None:
        raise tokens.link_used()
    if user.pending_email and user.pending_email == claims.email:
        if user.waiting_email is None:
            raise tokens.link_expired()
    elif not (user.email == claims.email and not user.email_verified):
        raise tokens.link_used()
    return claims.email


def verify_email(token: str) -> User:
    """Confirm an address from an emailed link: the sign-up address, or a new one. Commits.

    :raises BadRequest: ``link_invalid``, forged or damaged.
    :raises Gone: ``link_used``, already used or for an address no longer pending; ``link_expired``, too old,
        or the change it confirms has lapsed (the learner can ask again).
    :raises Conflict: ``email_taken``, another account signed up with the new address meanwhile; the change
        is dropped.
    """
    claims = tokens.read_token(tokens.VERIFY_EMAIL, token)
    user, dropped = _confirm_email(claims)
    # A change that can no longer happen is dropped (and the link stays spent) before the learner is told.
    if dropped == "expired":
        raise tokens.link_expired()
    if dropped == "taken":
        raise _email_taken()
    return user


@action
def _confirm_email(claims: tokens.TokenClaims) -> tuple[User, str | None]:
    """Spend the link and confirm its address; returns the user and why a pending change was dropped instead
    ("expired", "taken"), if it was. :raises Gone: ``link_used``, the link cannot be used (nothing changes)."""
    user = db.session.get(User, claims.user_id)
    if user is None:
        raise tokens.link_used()
    _spend(claims)
    if user.pending_email and user.pending_email == claims.email:
        if user.waiting_email is None:
            _drop_email_change(user, "expired")
            return user, "expired"
        if _email_in_use(claims.email, except_user_id=user.id):
            _drop_email_change(user, "taken")
            return user, "taken"
        old_email = user.email
        try:
            with db.session.begin_nested():  # someone may sign up with it between the check and now
                user.email, user.pending_email, user.pending_email_expires_at = claims.email, None, None
                user.email_verified_at = now()
        except IntegrityError:
            _drop_email_change(user, "taken")
            return user, "taken"
        if user.is_guest:  # a guest's sign-up: the guest account (and all it did) is now the learner's
            _finish_guest_sign_up(user)
        else:
            events.record(EmailChanged(old=old_email, new=claims.email), actor_id=user.id,
                          subject=("user", user.id))
    elif user.email == claims.email and not user.email_verified:
        user.email_verified_at = now()
        events.record(EmailVerified(), actor_id=user.id, subject=("user", user.id))
    else:
        raise tokens.link_used()
    return user, None


def _finish_guest_sign_up(user: User) -> None:
    """Inside the confirming action: the guest becomes an ordinary account in place (same id, so its XP,
    attempts, cards and enrolment stay), joins leagues, and is signed up for every domain that cares."""
    user.is_guest = False
    user.leagues_enabled = True
    events.record(UserSignedUp(locale=user.locale, course_interest=user.course_interest), actor_id=user.id,
                  subject=("user", user.id))


def _email_taken() -> Conflict:
    """The address an email change was waiting for now belongs to another account."""
    return Conflict(_l("This address now belongs to another account"), code=EMAIL_TAKEN_CODE)


def _pending_email_expiry() -> datetime:
    return now() + timedelta(seconds=current_app.config["EMAIL_CHANGE_MAX_AGE"])


def _drop_email_change(user: User, reason: str) -> None:
    """Forget a pending change that can no longer happen (the spent link stays spent)."""
    user.pending_email, user.pending_email_expires_at = None, None
    events.record(EmailChangeDropped(reason=reason), actor_id=user.id, subject=("user", user.id))


def _spend(claims: tokens.TokenClaims) -> None:
    """Mark a token used; its primary key makes a second use (even a concurrent one) fail.
    :raises Gone: ``link_used``, used already."""
    if not insert_if_missing(UsedToken, {"jti": claims.jti}, purpose=claims.purpose, user_id=claims.user_id,
                             used_at=now()):
        raise tokens.link_used()


# --- Sign-in sessions ----------------------------------------------------------------------------

class SecondFactorRequired(Exception):
    """MFA: the password was right, and the account wants its second factor before a session opens."""

    def __init__(self, user_id: int) -> None:
        super().__init__("second factor required")
        self.user_id = user_id


def log_in(email: str, password: str, *, remember: bool, user_agent: str = "",
           device_cookie: str | None = None) -> User:
    """Check the credentials and open a server-side session for them (its key on ``user.current_session_key``,
    for the cookie). Commits: the session, or else the failed attempt.

    Failed attempts are counted per address as well as per client (see ``RATELIMIT_LOGIN_ACCOUNT``), known
    or not, so guessing from many addresses gets nowhere either, and the refusal tells nothing.

    :raises Invalid: the same message whether the email is unknown or the password wrong.
    :raises RateLimited: too many recent failures for this address; the password is not even checked.
    :raises SecondFactorRequired: MFA, the password is right but the second step is due (no session yet;
        ``device_cookie`` is a remembered browser's, which skips it).
    """
    errors = FieldErrors()
    address = normalize_email(email, errors)
    if not password:
        errors.add("password", _l("Enter your password."))
    errors.raise_if_any()
    wait = throttle.retry_after(LOGIN_FAILURES, _account_key(address))
    if wait:
        minutes = max(1, round(wait / 60))
        message = str(ngettext("Too many failed attempts for this account. Try again in %(num)s minute, or reset "
                          "your password to get in now.",
                          "Too many failed attempts for this account. Try again in %(num)s minutes, or reset "
                          "your password to get in now.", minutes))
        raise RateLimited(message, fields={"form": [message]}, code="login_locked")
    user = db.session.scalar(select(User).where(User.email == address))
    if user is None:
        passwords.dummy_verify(password)
        throttle.hit(LOGIN_FAILURES, _account_key(address))
        raise Invalid(fields={"form": [_l("That email and password don't match.")]}, code="wrong_credentials")
    if not passwords.verify_password(user.password_hash, password):
        throttle.hit(LOGIN_FAILURES, _account_key(address))
        _record_failed_login(user.id)
        raise Invalid(fields={"form": [_l("That email and password don't match.")]}, code="wrong_credentials")
    throttle.clear(LOGIN_FAILURES, _account_key(address))
    if user.suspended_at is not None:  # the password was right: only its owner learns why they cannot log in
        raise Invalid(fields={"form": [suspension_notice(user)]}, code=ACCOUNT_SUSPENDED)
    rehashed = passwords.hash_password(password) if passwords.needs_rehash(user.password_hash) else None
    if mfa_status.second_factor_due(user.id, device_cookie):
        if rehashed is not None:
            _store_password_hash(user, rehashed)
        raise SecondFactorRequired(user.id)
    user.current_session_key = _start_session(user, remember=remember, user_agent=user_agent,
                                              password_hash=rehashed)
    return user


@action
def _record_failed_login(user_id: int) -> None:
    events.record(LoginFailed(), subject=("user", user_id))


def _account_key(address: str) -> str:
    # A digest, so the limiter's storage (Redis) holds no addresses.
    return hashlib.sha256(address.encode()).hexdigest()


@action
def _store_password_hash(user: User, password_hash: str) -> None:
    user.password_hash = password_hash


@action
def _start_session(user: User, *, remember: bool, user_agent: str, password_hash: str | None) -> str:
    """Open a new server-side session for ``user`` (and store a password hash made with today's parameters,
    if given); returns the key for the cookie."""
    if password_hash is not None:
        user.password_hash = password_hash
    return open_session(user, remember=remember, user_agent=user_agent)


def open_session(user: User, *, remember: bool, user_agent: str) -> str:
    """Inside an action: open a new server-side session for ``user``; returns the key for the cookie.

    :raises Forbidden: ``account_suspended``, whatever way in (password, second factor, passkey, provider).
    """
    if user.suspended_at is not None:
        raise Forbidden(suspension_notice(user), code=ACCOUNT_SUSPENDED)
    key = secrets.token_urlsafe(32)
    current = now()
    lifetime = (timedelta(seconds=current_app.config["REMEMBER_COOKIE_DURATION"]) if remember
                else UNREMEMBERED_SESSION_IDLE)
    db.session.add(UserSession(
        user_id=user.id, key_hash=_hash_key(key), user_agent=user_agent[:200], remember=remember,
        created_at=current, last_seen_at=current, expires_at=current + lifetime,
    ))
    user.last_login_at = current
    events.record(LoggedIn(remember=remember), actor_id=user.id, subject=("user", user.id))
    return key



def load_session_user(login_id: str) -> User | None:
    """The user of a live session named by the login cookie (``"<user id>:<key>"``), or None.

    Every few minutes of use it notes the session's "last active" time (the account page's device list):
    the one write a GET makes.
    """
    user_part, _, key = login_id.partition(":")
    if not user_part.isdigit() or not key:
        return None
    session = db.session.scalar(
        select(UserSession).where(UserSession.key_hash == _hash_key(key),
                                  UserSession.user_id == int(user_part))
    )
    current = now()
    if session is None or session.revoked_at is not None or session.expires_at <= current:
        return None
    if session.user.suspended_at is not None:  # its sessions were revoked; this holds even for a stray one
        return None
    if current - session.last_seen_at > SESSION_TOUCH_INTERVAL:
        _touch_session(session.id, current)
    user = session.user
    user.current_session_key = key
    return user


@action
def _touch_session(session_id: int, current: datetime) -> None:
    session = db.session.get(UserSession, session_id)
    if session is None:
        return
    session.last_seen_at = current
    if not session.remember:
        session.expires_at = current + UNREMEMBERED_SESSION_IDLE


@action
def end_session(user: User) -> None:
    """Log out this browser: its server-side session stops working even if the cookie is replayed. Commits."""
    if user.current_session_key:
        db.session.execute(
            update(UserSession)
            .where(UserSession.key_hash == _hash_key(user.current_session_key))
            .values(revoked_at=now())
        )
    events.record(LoggedOut(session=current_session_hash(user)), actor_id=user.id, subject=("user", user.id))


def current_session_hash(user: User) -> str | None:
    """Names the login this request belongs to (what other domains may keep per browser), not its key."""
    return _hash_key(user.current_session_key) if user.current_session_key else None


def active_sessions(user: User) -> list[UserSession]:
    return list(db.session.scalars(
        select(UserSession)
        .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None),
               UserSession.expires_at > now())
        .order_by(UserSession.last_seen_at.desc())
    ))


def is_current_session(user: User, session: UserSession) -> bool:
    return bool(user.current_session_key) and session.key_hash == _hash_key(user.current_session_key or "")


@action
def revoke_other_sessions(user: User) -> int:
    """Log out every other browser of this user. Commits; returns how many sessions ended."""
    count = _revoke_sessions(user, keep_current=True)
    events.record(SessionsRevoked(count=count), actor_id=user.id, subject=("user", user.id))
    return count


def _revoke_sessions(user: User, *, keep_current: bool) -> int:
    query = update(UserSession).where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
    if keep_current and user.current_session_key:
        query = query.where(UserSession.key_hash != _hash_key(user.current_session_key))
    return rowcount(db.session.execute(query.values(revoked_at=now())))


def _hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


# --- Passwords -----------------------------------------------------------------------------------

@action
def request_password_reset(email: str, *, locale: str) -> None:
    """Email a reset link, or, for an unknown address, a note saying no account uses it. Commits.

    Both paths do the same work, so neither the page nor its timing reveals whether an account exists.

    :raises Invalid: the address is not an email address at all.
    """
    errors = FieldErrors()
    address = normalize_email(email, errors)
    errors.raise_if_any()
    user = db.session.scalar(select(User).where(User.email == address))
    if user is not None:
        events.record(PasswordResetRequested(), subject=("user", user.id))
        outbox.add("accounts.password_reset_email", {"user_id": user.id})
    else:
        outbox.add("accounts.no_account_email", {"email": address, "locale": locale})


def reset_token_for(user: User) -> str:
    """A reset link's token, bound to the current password: any change of it (another link used, a
    change on the account page) retires every link issued before."""
    return tokens.make_token(tokens.RESET_PASSWORD, user.id, user.email,
                             state=tokens.fingerprint(user.password_hash))


def check_reset_token(token: str) -> User:
    """The user a reset link belongs to, without spending it.

    :raises BadRequest: ``link_invalid``, forged or damaged. :raises Gone: ``link_expired``, too old;
        ``link_used``, used, or outdated by a later password or email change.
    """
    claims = tokens.read_token(tokens.RESET_PASSWORD, token)
    user = db.session.get(User, claims.user_id)
    used = db.session.get(UsedToken, claims.jti)
    if user is None or used is not None or claims.email != user.email:
        raise tokens.link_used()
    if not secrets.compare_digest(claims.state, tokens.fingerprint(user.password_hash)):
        raise tokens.link_used()
    return user


def reset_password(token: str, new_password: str) -> User:
    """Set a new password from a reset link and end every session of the account. Commits.

    :raises BadRequest, Gone: as for :func:`check_reset_token`.
    :raises Invalid: the new password breaks a rule.
    """
    user = check_reset_token(token)
    errors = FieldErrors()
    check_new_password(new_password, errors, email=user.email, display_name=user.display_name)
    errors.raise_if_any()
    user = _reset_password(token, passwords.hash_password(new_password))
    throttle.clear(LOGIN_FAILURES, _account_key(user.email))  # the owner is back: let them log in at once
    return user


@action
def _reset_password(token: str, password_hash: str) -> User:
    user = check_reset_token(token)  # again, in the action: another link may have been used since
    _spend(tokens.read_token(tokens.RESET_PASSWORD, token))
    user.password_hash = password_hash
    if user.email_verified_at is None:
        user.email_verified_at = now()  # the link arrived at this address, which proves it
    _revoke_sessions(user, keep_current=False)
    events.record(PasswordReset(), actor_id=user.id, subject=("user", user.id))
    return user


def change_password(user: User, *, current_password: str, new_password: str) -> None:
    """Change the password and log out every other session. Commits.

    :raises Invalid: the current password is wrong, or the new one breaks a rule.
    """
    errors = FieldErrors()
    if not passwords.verify_password(user.password_hash, current_password or ""):
        errors.add("current_password", _l("That is not your current password."))
    check_new_password(new_password, errors, field="new_password", email=user.email,
                       display_name=user.display_name)
    errors.raise_if_any()
    _change_password(user, passwords.hash_password(new_password))


@action
def _change_password(user: User, password_hash: str) -> None:
    user.password_hash = password_hash
    _revoke_sessions(user, keep_current=True)
    events.record(PasswordChanged(), actor_id=user.id, subject=("user", user.id))
    outbox.add("accounts.password_changed_email", {"user_id": user.id})


# --- Email change --------------------------------------------------------------------------------

def request_email_change(user: User, *, password: str, new_email: str) -> None:
    """Ask to move the account to a new address; it changes once the learner follows the link. Commits.

    :raises Invalid: wrong password, invalid address, or an address another account uses.
    """
    errors = FieldErrors()
    if not passwords.verify_password(user.password_hash, password or ""):
        errors.add("password", _l("That is not your current password."))
    address = normalize_email(new_email, errors, field="new_email")
    if address and address == user.email:
        errors.add("new_email", _l("That is already your email address."))
    elif address and _email_in_use(address, except_user_id=user.id):
        errors.add("new_email", EMAIL_TAKEN)
    errors.raise_if_any()
    _ask_email_change(user, address)


@action
def _ask_email_change(user: User, address: str) -> None:
    user.pending_email, user.pending_email_expires_at = address, _pending_email_expiry()
    events.record(EmailChangeRequested(new=address), actor_id=user.id, subject=("user", user.id))
    outbox.add("accounts.verification_email", {"user_id": user.id, "email": address})
    outbox.add("accounts.email_change_notice", {"user_id": user.id, "new_email": address})


@action
def cancel_email_change(user: User) -> None:
    """Forget the address the learner asked to move to. Commits."""
    if user.pending_email:
        user.pending_email, user.pending_email_expires_at = None, None


# --- Profile and preferences ---------------------------------------------------------------------

@dataclass(frozen=True)
class Preferences:
    locale: str
    timezone: str
    daily_goal: int | None
    theme: str
    sound_effects: bool
    desired_retention: float | None = 0.9
    relaxed_mode: bool = False
    leagues_enabled: bool = True


@action
def update_profile(user: User, *, display_name: str, avatar_color: str) -> None:
    """Change how the learner appears to others. Commits. :raises Invalid: a field breaks a rule."""
    errors = FieldErrors()
    name = clean_display_name(display_name, errors)
    check_avatar_color(avatar_color, errors)
    errors.raise_if_any()
    renamed = name != user.display_name
    user.display_name, user.avatar_color = name, avatar_color
    events.record(ProfileChanged(), actor_id=user.id, subject=("user", user.id))
    if renamed:
        lift_profile_hide_in_action(user)


@action
def update_preferences(user: User, preferences: Preferences) -> None:
    """Save the learner's preferences. Commits. :raises Invalid: a value is not one of the choices."""
    errors = FieldErrors()
    check_preferences(errors, locale=preferences.locale, timezone=preferences.timezone,
                      daily_goal=preferences.daily_goal, theme=preferences.theme,
                      supported_locales=current_app.config["SUPPORTED_LOCALES"],
                      desired_retention=preferences.desired_retention)
    errors.raise_if_any()
    changed = {
        name: getattr(preferences, name)
        for name in ("locale", "timezone", "daily_goal", "theme", "sound_effects", "desired_retention",
                     "relaxed_mode", "leagues_enabled")
        if getattr(user, name) != getattr(preferences, name)
    }
    for name, value in changed.items():
        setattr(user, name, value)
    if changed:
        events.record(PreferencesChanged(**changed), actor_id=user.id, subject=("user", user.id))


@action
def set_daily_goal(user: User, daily_goal: int | None) -> None:
    """Choose how much XP a day the learner aims at (onboarding; the preferences page changes it too). Commits.

    :raises Invalid: not one of the goals (casual 10, regular 20, serious 30, intense 50).
    """
    errors = FieldErrors()
    check_choice(daily_goal, DAILY_GOALS, errors, "daily_goal")
    errors.raise_if_any()
    assert daily_goal is not None
    if user.daily_goal != daily_goal:
        user.daily_goal = daily_goal
        events.record(PreferencesChanged(daily_goal=daily_goal), actor_id=user.id, subject=("user", user.id))


@action
def set_locale(user: User, locale: str) -> None:
    """Switch the interface language (from the footer). Commits. :raises Invalid: not a supported locale."""
    if locale not in current_app.config["SUPPORTED_LOCALES"]:
        raise Invalid(fields={"locale": [_l("Choose one of the options.")]}, code="unknown_locale")
    if user.locale != locale:
        user.locale = locale
        events.record(PreferencesChanged(locale=locale), actor_id=user.id, subject=("user", user.id))


def get_user(user_id: int) -> User:
    """:raises NotFound: no such user."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound
    return user


def create_verified_user(*, email: str, display_name: str, password: str, is_admin: bool = False,
                         role: str | None = None, locale: str = "en", timezone: str = "UTC") -> User:
    """An account ready to use at once, for demo data and the admin CLI (``is_admin`` is ``role="admin"``).
    Commits."""
    role = Role.ADMIN if is_admin else roles.role_of(role)
    errors = FieldErrors()
    address = normalize_email(email, errors)
    name = clean_display_name(display_name, errors)
    check_new_password(password, errors, email=address, display_name=name)
    if address and _email_in_use(address):
        errors.add("email", EMAIL_TAKEN)
    errors.raise_if_any()
    password_hash = passwords.hash_password(password)
    return _create_verified_user(email=address, display_name=name, password_hash=password_hash, role=role,
                                 locale=locale, timezone=timezone)


@action
def _create_verified_user(*, email: str, display_name: str, password_hash: str, role: str, locale: str,
                          timezone: str) -> User:
    user = User(email=email, display_name=display_name, password_hash=password_hash, email_verified_at=now(),
                role=role, locale=locale, timezone=timezone, avatar_color=_avatar_color_for(email))
    db.session.add(user)
    db.session.flush()
    events.record(UserCreated(is_admin=role == Role.ADMIN), subject=("user", user.id))
    return user


# --- Consents (puchi/accounts/consents.py): other domains record the choices they own through here -------

def record_consent(user_id: int, kind: str, granted: bool, *, source: str, choices: list[str] | None = None) -> None:
    """Note a consent given or withdrawn (``kind`` one of ``consents.TEXTS``), with its text's version and the
    time. Call inside the action that changes the choice."""
    from puchi.accounts import consents

    consents.record(user_id, kind, granted, source=source, choices=choices)


# --- Figures for the staff's analytics -------------------------------------------------------------------

def sign_ups_per_day(viewer: User, days: Range) -> dict[date, int]:
    """Accounts made on each UTC day of the range (guests trying a lesson are not sign-ups until they sign up).
    :raises Forbidden: the viewer may not see analytics."""
    require_capability(viewer, Capability.ANALYTICS)
    day = periods.utc_day(User.created_at)
    rows = db.session.execute(select(day, func.count()).where(User.created_at >= days.start,
                                                              User.created_at < days.end,
                                                              User.is_guest.is_(False)).group_by(day))
    return {periods.as_date(d): n for d, n in rows}


# --- Staff: finding learners and acting on their accounts (the admin's Learners section) ------------------------

SUSPENSION_REASON_MAX = 500


def suspension_notice(user: User) -> str:
    """What a suspended learner is told when they try to log in."""
    return str(_l("Your account is suspended: %(reason)s. Write to support if you think this is a mistake.",
                  reason=user.suspension_reason or _l("no reason given")))


def learner_for(viewer: User, user_id: int) -> User:
    """An account as staff see it. :raises Forbidden: not support. :raises NotFound: no such account."""
    require_capability(viewer, Capability.LEARNERS)
    user = db.session.get(User, user_id)
    if user is None or user.deleted_at is not None:
        raise NotFound
    return user


def learner_sessions(viewer: User, user_id: int) -> list[UserSession]:
    """The account's signed-in devices, latest first. :raises Forbidden, NotFound: as :func:`learner_for`."""
    return active_sessions(learner_for(viewer, user_id))


def recent_events_of(viewer: User, user_id: int, limit: int = 20) -> list[events.Event]:
    """The latest events about the account or done by it. :raises Forbidden, NotFound: as :func:`learner_for`."""
    learner_for(viewer, user_id)
    about = select(events.Event).where(events.Event.subject_type == "user", events.Event.subject_id == user_id)
    by = select(events.Event).where(events.Event.actor_id == user_id)
    latest = list(db.session.scalars(about.order_by(events.Event.id.desc()).limit(limit)))
    latest += db.session.scalars(by.order_by(events.Event.id.desc()).limit(limit))
    unique = {event.id: event for event in latest}
    return sorted(unique.values(), key=lambda event: event.id, reverse=True)[:limit]


def _target_for(actor: User, user_id: int, capability: Capability = Capability.LEARNERS) -> User:
    """Inside an action: the account a staff action needing ``capability`` is about, locked. Staff never act on
    themselves, and only an admin acts on an admin. :raises Forbidden, Conflict, NotFound."""
    require_capability(actor, capability)
    if user_id == actor.id:
        raise Conflict(_l("You cannot do this to your own account."), code="own_account")
    user = db.session.get(User, user_id, with_for_update=True)
    if user is None or user.deleted_at is not None:
        raise NotFound
    if roles.role_of(user.role) is Role.ADMIN and roles.role_of(actor.role) is not Role.ADMIN:
        raise Forbidden(_l("Only an administrator can do this to an administrator's account."),
                        code="admin_target")
    return user


@action
def suspend(actor: User, user_id: int, reason: str) -> User:
    """Suspend an account: it cannot log in, and every session of it ends at once (as "sign out everywhere").
    Suspending again changes the reason. Recorded with the staff member as actor.

    :raises Invalid: no reason, or one too long. :raises Forbidden, Conflict, NotFound: see ``_target_for``.
    """
    return suspend_in_action(actor, user_id, reason)


def suspend_in_action(actor: User, user_id: int, reason: str) -> User:
    """:func:`suspend` inside the caller's action (moderation suspends as it resolves a report)."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise Invalid(fields={"reason": [_l("Say why: the learner is shown it when they try to log in.")]})
    if len(reason) > SUSPENSION_REASON_MAX:
        raise Invalid(fields={"reason": [_l("Keep the reason under %(num)s characters.", num=SUSPENSION_REASON_MAX)]})
    user = _target_for(actor, user_id)
    user.suspended_at = user.suspended_at or now()
    user.suspension_reason = reason
    ended = _revoke_sessions(user, keep_current=False)
    events.record(UserSuspended(reason=reason, sessions_ended=ended), actor_id=actor.id, subject=("user", user.id))
    return user


def hide_profile_in_action(actor: User, user_id: int, report_id: int) -> User:
    """Inside the caller's action (moderation resolving a report): hide what the learner wrote on their profile
    from other learners (they see :data:`~puchi.accounts.models.HIDDEN_NAME`); the owner is shown why and what to
    change. Hiding a hidden profile again records nothing new. :raises Forbidden, Conflict, NotFound."""
    user = _target_for(actor, user_id, Capability.MODERATION)
    if user.profile_hidden_at is None:
        user.profile_hidden_at = now()
        events.record(ProfileHidden(report_id=report_id), actor_id=actor.id, subject=("user", user.id))
    return user


def lift_profile_hide_in_action(user: User) -> bool:
    """Inside the caller's action: the owner changed what was hidden (their name or username), so others see
    their profile again. Returns whether it was hidden."""
    return _unhide(user, by="owner", actor_id=user.id)


@action
def unhide_profile(actor: User, user_id: int) -> bool:
    """Support shows a hidden profile again (the hide was a mistake); returns whether it was hidden.
    :raises Forbidden, Conflict, NotFound."""
    return _unhide(_target_for(actor, user_id, Capability.MODERATION), by="staff", actor_id=actor.id)


def _unhide(user: User, *, by: str, actor_id: int) -> bool:
    """Others see the profile again; returns whether it was hidden (recorded only then)."""
    if user.profile_hidden_at is None:
        return False
    user.profile_hidden_at = None
    events.record(ProfileUnhidden(by=by), actor_id=actor_id, subject=("user", user.id))
    return True


@action
def restore(actor: User, user_id: int) -> bool:
    """Lift a suspension; returns whether there was one. :raises Forbidden, Conflict, NotFound."""
    user = _target_for(actor, user_id)
    if user.suspended_at is None:
        return False
    user.suspended_at = user.suspension_reason = None
    events.record(UserRestored(), actor_id=actor.id, subject=("user", user.id))
    return True


@action
def staff_resend_verification(actor: User, user_id: int) -> bool:
    """Email the account a fresh verification link (for its unconfirmed address); returns whether one was sent.
    :raises Forbidden, Conflict, NotFound."""
    user = _target_for(actor, user_id)
    email = user.waiting_email or (None if user.email_verified else user.email)
    if email is None or guests.is_guest_email(email):  # a guest's own address reaches nobody
        return False
    outbox.add("accounts.verification_email", {"user_id": user.id, "email": email})
    events.record(VerificationResent(), actor_id=actor.id, subject=("user", user.id))
    return True


@action
def force_password_reset(actor: User, user_id: int) -> None:
    """The password stops working, every session ends, and a reset link goes to the account's address (the
    link is bound to the new, unusable password, so links sent before no longer work).
    :raises Forbidden, Conflict, NotFound."""
    user = _target_for(actor, user_id)
    user.password_hash = "!reset:" + secrets.token_hex(16)  # not an argon2 hash: nothing verifies against it
    ended = _revoke_sessions(user, keep_current=False)
    events.record(PasswordResetForced(sessions_ended=ended), actor_id=actor.id, subject=("user", user.id))
    outbox.add("accounts.password_reset_email", {"user_id": user.id})


@action
def staff_request_export(actor: User, user_id: int) -> None:
    """On the learner's request: build their data export; the link is emailed to them as usual.
    :raises Forbidden, Conflict, NotFound."""
    exports.queue_export(_target_for(actor, user_id), actor_id=actor.id)


@action
def staff_request_deletion(actor: User, user_id: int, confirmation: str) -> datetime:
    """On the learner's request: schedule the deletion of their account (emailed to them; they may cancel in
    the grace period). :raises Invalid: the confirmation word not typed. :raises Forbidden, Conflict, NotFound."""
    if (confirmation or "").strip().upper() != deletion.CONFIRMATION_WORD:
        raise Invalid(fields={"confirmation": [_l("Type DELETE to confirm.")]})
    return deletion.schedule_deletion(_target_for(actor, user_id), actor_id=actor.id)
