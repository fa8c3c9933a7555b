"""What social tells the rest of Puchi: its domain events, one frozen dataclass each.

Each is recorded with the learner who acted as actor and the other learner as subject (``("user", id)``).
"""

from __future__ import annotations

from dataclasses import dataclass

from puchi.core.events import DomainEvent


@dataclass(frozen=True)
class UserFollowed(DomainEvent):
    name = "user.followed"
    mutual: bool  # the followed learner already followed back: they are friends now


@dataclass(frozen=True)
class UserCheered(DomainEvent):
    """A friend cheered the subject on, once per ``source`` (the key of what was cheered)."""

    name = "user.cheered"
    source: str
    event_id: int | None = None  # the feed item cheered, if any


@dataclass(frozen=True)
class UserNudged(DomainEvent):
    """A friend reminded the subject to keep their streak of ``days`` days, once per ``source``."""

    name = "user.nudged"
    source: str
    days: int


@dataclass(frozen=True)
class UserBlocked(DomainEvent):
    name = "user.blocked"


@dataclass(frozen=True)
class MessageSent(DomainEvent):
    name = "message.sent"
    message_id: int


@dataclass(frozen=True)
class ContentReported(DomainEvent):
    """A learner reported another's profile or a message to the moderators (subject: the reported learner)."""

    name = "content.reported"
    report_id: int
    kind: str
    reason: str


@dataclass(frozen=True)
class ReportResolved(DomainEvent):
    """Support resolved a report (the actor); ``action``: dismiss, hide, warn or suspend. The reporter is told
    only whether action was taken."""

    name = "report.resolved"
    report_id: int
    action: str
    reporter_id: int


@dataclass(frozen=True)
class LearnerWarned(DomainEvent):
    """Support warned a learner (the subject) about what they wrote; they get a notification and an email."""

    name = "learner.warned"
    report_id: int
    reason: str
