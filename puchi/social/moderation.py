"""Moderation: a learner reports another's profile or a message they received; support works through the open
reports with the content in context, and resolves each (dismiss, hide the content, warn, suspend through
accounts). Every step is an event with its actor; the reporter is told only whether action was taken."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select, text

from puchi.accounts import services as accounts
from puchi.accounts.models import User
from puchi.core import events, throttle
from puchi.core.db import action, db, now
from puchi.core.errors import Conflict, Invalid, NotFound, RateLimited
from puchi.core.upserts import insert_if_missing
from puchi.social.events import ContentReported, LearnerWarned, ReportResolved
from puchi.social.models import (
    ACTIONED,
    DISMISSED,
    OPEN,
    OPEN_CONDITION,
    REPORT_REASONS,
    DirectMessage,
    Report,
    SocialProfile,
)
from puchi.social.services import _user_by_username

NOTE_MAX = 500
QUEUE_PAGE = 50
CONTEXT_AROUND = 3  # messages shown before and after a reported one
ACTIONS = ("dismiss", "hide", "warn", "suspend")
REPORTS_LIMIT = "RATELIMIT_REPORTS"


def reason_labels() -> dict[str, str]:
    return {"spam": str(_l("Spam or advertising")), "harassment": str(_l("Harassment or bullying")),
            "hate": str(_l("Hate speech")), "sexual": str(_l("Sexual content")),
            "impersonation": str(_l("Pretending to be someone else")), "other": str(_l("Something else"))}


def _check_reason(reason: str, note: str) -> str:
    if reason not in REPORT_REASONS:
        raise Invalid(_l("Choose a reason."), fields={"reason": [_l("Choose a reason.")]}, code="report_reason")
    note = " ".join((note or "").split())
    if len(note) > NOTE_MAX:
        message = _l("Keep the note under %(num)s characters.", num=NOTE_MAX)
        raise Invalid(message, fields={"note": [message]})
    return note


def _limit(user: User) -> None:
    wait = throttle.retry_after(REPORTS_LIMIT, str(user.id))
    if wait:
        raise RateLimited(_l("You have sent many reports. Try again later."), code="reports_limited")
    throttle.hit(REPORTS_LIMIT, str(user.id))


def report_profile(user: User, username: str, reason: str, note: str = "") -> bool:
    """Report another learner's profile. Returns False when the learner's report of it is still open.
    :raises Invalid, RateLimited, NotFound, Conflict (their own profile)."""
    note = _check_reason(reason, note)
    _limit(user)
    return _report_profile(user, username, reason, note)


@action
def _report_profile(user: User, username: str, reason: str, note: str) -> bool:
    other = _user_by_username(username)
    if other.id == user.id:
        raise Conflict(_l("You cannot report yourself."), code="own_content")
    return _file(user, other.id, "profile", None, f"profile:{other.id}", reason, note)


def report_message(user: User, message_id: int, reason: str, note: str = "") -> bool:
    """Report a message the learner received. Returns False when their report of it is still open.
    :raises Invalid, RateLimited, NotFound (not a message to them)."""
    note = _check_reason(reason, note)
    _limit(user)
    return _report_message(user, message_id, reason, note)


@action
def _report_message(user: User, message_id: int, reason: str, note: str) -> bool:
    message = db.session.get(DirectMessage, message_id)
    if message is None or message.recipient_id != user.id:
        raise NotFound
    return _file(user, message.sender_id, "message", message.id, f"message:{message.id}", reason, note)


def _file(user: User, reported_id: int, kind: str, message_id: int | None, key: str, reason: str, note: str) -> bool:
    if not insert_if_missing(Report, {"reporter_id": user.id, "content_key": key}, where=text(OPEN_CONDITION),
                             reported_id=reported_id, kind=kind, message_id=message_id, reason=reason, note=note,
                             status=OPEN, created_at=now()):
        return False
    report_id = db.session.scalar(select(Report.id).where(Report.reporter_id == user.id, Report.content_key == key,
                                                          Report.status == OPEN))
    events.record(ContentReported(report_id=report_id or 0, kind=kind, reason=reason), actor_id=user.id,
                  subject=("user", reported_id))
    return True


# --- Support's queue ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ReportInContext:
    report: Report
    reporter: User
    reported: User
    username: str | None
    message: DirectMessage | None
    around: list[DirectMessage]  # the reported message with a few before and after, oldest first


def open_reports(viewer: User, limit: int = QUEUE_PAGE) -> list[Report]:
    """The oldest open reports first. :raises Forbidden: not a moderator."""
    accounts.require_capability(viewer, accounts.Capability.MODERATION)
    return list(db.session.scalars(select(Report).where(Report.status == OPEN).order_by(Report.id).limit(limit)))


def report_in_context(viewer: User, report_id: int) -> ReportInContext:
    """A report with what it is about. :raises Forbidden: not a moderator. :raises NotFound."""
    accounts.require_capability(viewer, accounts.Capability.MODERATION)
    report = db.session.get(Report, report_id)
    if report is None:
        raise NotFound
    reporter, reported = db.session.get(User, report.reporter_id), db.session.get(User, report.reported_id)
    if reporter is None or reported is None:
        raise NotFound
    profile = db.session.get(SocialProfile, reported.id)
    message = db.session.get(DirectMessage, report.message_id) if report.message_id else None
    around: list[DirectMessage] = []
    if message is not None:
        a, b = message.sender_id, message.recipient_id
        pair = or_(and_(DirectMessage.sender_id == a, DirectMessage.recipient_id == b),
                   and_(DirectMessage.sender_id == b, DirectMessage.recipient_id == a))
        before = list(db.session.scalars(select(DirectMessage).where(pair, DirectMessage.id < message.id)
                                         .order_by(DirectMessage.id.desc()).limit(CONTEXT_AROUND)))
        after = list(db.session.scalars(select(DirectMessage).where(pair, DirectMessage.id > message.id)
                                        .order_by(DirectMessage.id).limit(CONTEXT_AROUND)))
        around = [*reversed(before), message, *after]
    return ReportInContext(report, reporter, reported, profile.username if profile else None, message, around)


@action
def resolve(viewer: User, report_id: int, what: str, *, reason: str = "") -> Report:
    """Resolve an open report: ``dismiss``; ``hide`` the message (no longer shown to the other learner) or the
    profile (others see a neutral name instead of the learner's name and username, until they change it);
    ``warn`` the reported learner (notification and email); ``suspend`` them (through accounts, with
    ``reason``). Other open reports of the same content are resolved alike. Recorded with the moderator as
    actor; each reporter is told whether action was taken.

    :raises Forbidden: not a moderator (or, to suspend, support acting on an admin).
    :raises Invalid: an unknown action, or suspending without a reason. :raises Conflict: already resolved.
    :raises NotFound.
    """
    accounts.require_capability(viewer, accounts.Capability.MODERATION)
    if what not in ACTIONS:
        raise Invalid(fields={"action": [_l("Choose an action.")]}, code="report_action")
    report = db.session.get(Report, report_id, with_for_update=True)
    if report is None:
        raise NotFound
    if report.status != OPEN:
        raise Conflict(_l("This report was already resolved."), code="report_resolved")
    if what == "hide":
        if report.message_id is None:  # a profile: what its owner wrote (name, username) is the account's to hide
            accounts.hide_profile_in_action(viewer, report.reported_id, report.id)
        else:
            message = db.session.get(DirectMessage, report.message_id)
            if message is not None and message.hidden_at is None:
                message.hidden_at = now()
    elif what == "warn":
        events.record(LearnerWarned(report_id=report.id, reason=report.reason), actor_id=viewer.id,
                      subject=("user", report.reported_id))
    elif what == "suspend":
        accounts.suspend_in_action(viewer, report.reported_id, reason)
    same = list(db.session.scalars(select(Report).where(Report.content_key == report.content_key,
                                                       Report.status == OPEN)))
    for each in same:
        each.status = DISMISSED if what == "dismiss" else ACTIONED
        each.action, each.resolved_by_id, each.resolved_at = what, viewer.id, now()
        events.record(ReportResolved(report_id=each.id, action=what, reporter_id=each.reporter_id),
                      actor_id=viewer.id, subject=("user", each.reported_id))
    return report
