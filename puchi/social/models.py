"""Who follows whom, who blocked whom, and how public each learner's profile is."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, text
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
