"""Who follows whom, who blocked whom, how public each learner's profile is, and the cheers and nudges they sent."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Date, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from puchi.core.db import Model, UTCDateTime, db, now
from puchi.core.events import Event
from puchi.progress.events import AchievementUnlocked, LeaguePromoted, StreakMilestone

PUBLIC, FRIENDS, PRIVATE = "public", "friends", "private"
VISIBILITIES = (PUBLIC, FRIENDS, PRIVATE)

# The kinds of event the friends feed shows, read straight from the event log (puchi/social/feed.py).
FEED_EVENTS = (StreakMilestone, AchievementUnlocked, LeaguePromoted)
FEED_CONDITION = "name IN (" + ", ".join(f"'{kind.name}'" for kind in FEED_EVENTS) + ")"

# The feed reads those kinds by actor, newest first: a partial index on the log keeps that a short index walk
# however many logins and lessons it holds. The log is core's; the index is social's, as the query is.
Index("ix_events_feed", Event.actor_id, Event.id,
      postgresql_where=text(FEED_CONDITION), sqlite_where=text(FEED_CONDITION))


class Follow(Model):
    __tablename__ = "follows"
    __table_args__ = (
        UniqueConstraint("follower_id", "followed_id"),
        CheckConstraint("follower_id <> followed_id", name="not_self"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    follower_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    followed_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class Block(Model):
    __tablename__ = "blocks"
    __table_args__ = (UniqueConstraint("blocker_id", "blocked_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    blocker_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    blocked_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class SocialProfile(Model):
    """A learner's public face: a unique username and who may see their profile."""

    __tablename__ = "social_profiles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    username: Mapped[str] = mapped_column(String(30), unique=True)
    visibility: Mapped[str] = mapped_column(String(10), default=PUBLIC)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class DirectMessage(Model):
    """A message between two friends."""

    __tablename__ = "direct_messages"
    __table_args__ = (db.Index("ix_direct_messages_pair", "sender_id", "recipient_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sender_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    body: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # hidden by moderators after a report


HOURLY_CHEER, ITEM_CHEER = "hour IS NOT NULL", "event_id IS NOT NULL"


class Cheer(Model):
    """A cheer one friend sent another: from their profile (once an hour) or on a feed item (once an item).

    The unique keys are the "once": a cheer is inserted on conflict do nothing, so a double tap or two tabs
    make one row, and the notification it raises is told by the ``user.cheered`` event.
    """

    __tablename__ = "cheers"
    __table_args__ = (
        CheckConstraint("(hour IS NULL) <> (event_id IS NULL)", name="hour_or_item"),
        Index("uq_cheers_hourly", "sender_id", "recipient_id", "hour", unique=True,
              postgresql_where=text(HOURLY_CHEER), sqlite_where=text(HOURLY_CHEER)),
        Index("uq_cheers_item", "sender_id", "event_id", unique=True,
              postgresql_where=text(ITEM_CHEER), sqlite_where=text(ITEM_CHEER)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sender_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    hour: Mapped[datetime | None] = mapped_column(UTCDateTime)  # a profile cheer: the UTC hour it was sent in
    event_id: Mapped[int | None] = mapped_column(  # a feed cheer: the friend's event it cheers
        BigInteger().with_variant(Integer(), "sqlite"), ForeignKey("events.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class Nudge(Model):
    """A nudge one friend sent another whose streak was at risk: once per sender, friend and the friend's day."""

    __tablename__ = "nudges"
    __table_args__ = (
        UniqueConstraint("sender_id", "recipient_id", "day"),
        Index("ix_nudges_sender_sent", "sender_id", "created_at"),  # the sender's nudges today (a daily limit)
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sender_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date)  # the friend's calendar day whose streak was at stake
    streak: Mapped[int] = mapped_column()  # its length then, in days
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


# --- Moderation: learners report a profile or a message; support resolves the report ---------------------------

REPORT_REASONS = ("spam", "harassment", "hate", "sexual", "impersonation", "other")
REPORT_KINDS = ("profile", "message")
OPEN, DISMISSED, ACTIONED = "open", "dismissed", "actioned"
OPEN_CONDITION = "status = 'open'"


class Report(Model):
    """A learner's report of another learner's profile or of a message they received. ``content_key`` names the
    content ("message:<id>", "profile:<user id>"): a reporter has at most one open report about each."""

    __tablename__ = "social_reports"
    __table_args__ = (
        Index("uq_social_reports_open", "reporter_id", "content_key", unique=True,
              postgresql_where=text(OPEN_CONDITION), sqlite_where=text(OPEN_CONDITION)),
        Index("ix_social_reports_status_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    reported_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # REPORT_KINDS
    message_id: Mapped[int | None] = mapped_column(ForeignKey("direct_messages.id", ondelete="CASCADE"), index=True)
    content_key: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(String(20))  # REPORT_REASONS
    note: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(10), default=OPEN)
    action: Mapped[str | None] = mapped_column(String(10))  # dismiss, hide, warn, suspend
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
