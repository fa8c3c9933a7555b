"""Domain events: an append-only log written in the caller's transaction, plus in-process subscribers.

A subscriber runs inside the same transaction as the change that raised the event, so what it writes
commits or rolls back with it. Side effects outside the database go through the outbox, never here.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from puchi.core.db import JSONType, Model, UTCDateTime, db, now

log = logging.getLogger(__name__)

Subscriber = Callable[["Event"], None]
FEED_CONDITION = "name IN ('streak.milestone', 'achievement.unlocked', 'league.promoted')"
_subscribers: dict[str, list[Subscriber]] = defaultdict(list)


class Event(Model):
    __tablename__ = "events"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), index=True)
    actor_id: Mapped[int | None] = mapped_column(index=True)
    subject_type: Mapped[str | None] = mapped_column(String(32))
    subject_id: Mapped[int | None] = mapped_column()
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, index=True)

    __table_args__ = (
        db.Index("ix_events_subject", "subject_type", "subject_id"),
        # The friends feed reads a few kinds of event by actor, newest first: a partial index keeps that a
        # short index walk however many logins and lessons the log holds (names as in puchi/social/feed.py).
        db.Index("ix_events_feed", "actor_id", "id",
                 postgresql_where=text(FEED_CONDITION), sqlite_where=text(FEED_CONDITION)),
    )


def subscribe(name: str, subscriber: Subscriber) -> None:
    """Call ``subscriber`` in-transaction whenever an event called ``name`` is recorded."""
    if subscriber not in _subscribers[name]:
        _subscribers[name].append(subscriber)


def record(
    name: str,
    *,
    actor_id: int | None = None,
    subject: tuple[str, int] | None = None,
    payload: dict[str, Any] | None = None,
) -> Event:
    """Append an event to the log in the current transaction and run its subscribers. Does not commit."""
    subject_type, subject_id = subject if subject else (None, None)
    event = Event(
        name=name,
        actor_id=actor_id,
        subject_type=subject_type,
        subject_id=subject_id,
        payload=payload or {},
        created_at=now(),
    )
    db.session.add(event)
    for subscriber in list(_subscribers.get(name, ())):
        subscriber(event)
    return event
