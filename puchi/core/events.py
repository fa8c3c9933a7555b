"""Domain events: an append-only log written in the caller's transaction, plus in-process subscribers.

A domain event is a frozen dataclass that subclasses :class:`DomainEvent`, with a ``name`` and a ``version``,
defined in the ``events.py`` of the domain that records it. Other domains import that class to subscribe to
the event or to read its rows, and never index a payload by string.

A subscriber runs inside the same transaction as the change that raised the event, so what it writes
commits or rolls back with it. Side effects outside the database go through the outbox, never here.
Subscribers are kept on the app (each domain's ``init_app`` adds its own), so two apps in one process never
share them.
"""

from __future__ import annotations

import dataclasses
import enum
import logging
import types
import typing
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from datetime import date, datetime
from typing import Any, ClassVar, Self, TypeVar

from flask import Flask, current_app
from sqlalchemy import BigInteger, Integer, Select, String, select
from sqlalchemy.orm import Mapped, mapped_column

from puchi.core.db import JSONType, Model, UTCDateTime, db, now

log = logging.getLogger(__name__)

VERSION_KEY = "version"
_KEY = "puchi.events"


class Event(Model):
    """One row of the log. ``payload`` is the recorded :class:`DomainEvent`'s ``to_payload()``."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), index=True)
    actor_id: Mapped[int | None] = mapped_column(index=True)
    subject_type: Mapped[str | None] = mapped_column(String(32))
    subject_id: Mapped[int | None] = mapped_column()
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, index=True)

    # Domains that read the log add their own indexes on this table (social's feed: ix_events_feed).
    __table_args__ = (db.Index("ix_events_subject", "subject_type", "subject_id"),)


class DomainEvent:
    """Base of every domain event. Subclasses are ``@dataclass(frozen=True)`` and set ``name`` (and
    ``version`` when their payload changes shape).

    The payload is the fields as JSON (datetimes and dates as ISO 8601 text, tuples as lists, enums as their
    values) plus ``version``. A field that defaults to None is left out while it is None. Rows written before
    events had versions carry none and load as version 1; a class that changes its shape raises ``version``
    and overrides :meth:`upgrade` to read the older payloads.
    """

    name: ClassVar[str]
    version: ClassVar[int] = 1

    def to_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {}
        for field in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, field.name)
            if value is None and field.default is None:
                continue
            payload[field.name] = _to_json(value)
        payload[VERSION_KEY] = self.version
        return payload

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> Self:
        """The event a payload describes, of this version or an older one.

        :raises ValueError: the payload is from a newer version, or lacks a field.
        """
        version = int(payload.get(VERSION_KEY, 1))
        if version > cls.version:
            raise ValueError(f"{cls.name} payload of version {version}; this code reads up to {cls.version}")
        data = cls.upgrade(dict(payload), version) if version < cls.version else payload
        hints = typing.get_type_hints(cls)
        values: dict[str, Any] = {}
        for field in dataclasses.fields(cls):  # type: ignore[arg-type]
            if field.name in data:
                values[field.name] = _from_json(data[field.name], hints[field.name])
            elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
                raise ValueError(f"{cls.name} payload lacks {field.name!r}")
        return cls(**values)

    @classmethod
    def upgrade(cls, payload: dict[str, Any], version: int) -> dict[str, Any]:
        """Turn a payload of an older ``version`` into the current shape (nothing to do at version 1)."""
        return payload


def _to_json(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_to_json(v) for v in value]
    if isinstance(value, dict):
        return {k: _to_json(v) for k, v in value.items()}
    return value


def _from_json(value: Any, hint: Any) -> Any:
    """``value`` read from JSON, as the field's type ``hint`` says (``X | None`` reads None as None)."""
    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        options = [h for h in typing.get_args(hint) if h is not type(None)]
        return _from_json(value, options[0]) if len(options) == 1 else value
    if origin is tuple:
        args = typing.get_args(hint)
        return tuple(_from_json(v, args[0]) for v in value) if args else tuple(value)
    if isinstance(hint, type):
        if issubclass(hint, enum.Enum):
            return hint(value)
        if issubclass(hint, datetime):
            return datetime.fromisoformat(value)
        if issubclass(hint, date):
            return date.fromisoformat(value)
    return value


E = TypeVar("E", bound=DomainEvent)
Subscriber = Callable[[Event, E], None]


def init_app(app: Flask) -> None:
    app.extensions[_KEY] = defaultdict(list)


def _subscribers(app: Flask | None = None) -> dict[str, list[Subscriber[Any]]]:
    subscribers: dict[str, list[Subscriber[Any]]] = (app or current_app).extensions[_KEY]
    return subscribers


def subscribe(app: Flask, kind: type[E], subscriber: Subscriber[E]) -> None:
    """Call ``subscriber(row, event)`` in-transaction whenever ``app`` records an event of ``kind``."""
    if not (dataclasses.is_dataclass(kind) and kind.__dataclass_params__.frozen):
        raise TypeError(f"{kind.__name__} is not a frozen dataclass")
    subscribers = _subscribers(app)[kind.name]
    if subscriber not in subscribers:
        subscribers.append(subscriber)


def record(
    event: DomainEvent,
    *,
    actor_id: int | None = None,
    subject: tuple[str, int] | None = None,
) -> Event:
    """Append ``event`` to the log in the current transaction and run its subscribers. Does not commit."""
    subject_type, subject_id = subject if subject else (None, None)
    row = Event(
        name=event.name,
        actor_id=actor_id,
        subject_type=subject_type,
        subject_id=subject_id,
        payload=event.to_payload(),
        created_at=now(),
    )
    db.session.add(row)
    for subscriber in list(_subscribers().get(event.name, ())):
        subscriber(row, event)
    return row


# --- Reading the log (the audit log and analytics; core knows no domain, callers check who may read) -----

@dataclasses.dataclass(frozen=True)
class EventFilter:
    """Which rows of the log to read: every field left None matches everything."""

    actor_id: int | None = None
    name_prefix: str | None = None  # "user." matches every accounts event; a whole name matches itself
    subject_type: str | None = None
    subject_id: int | None = None
    start: datetime | None = None  # inclusive
    end: datetime | None = None  # exclusive


def _filtered(query: Select[tuple[Event]], where: EventFilter) -> Select[tuple[Event]]:
    if where.actor_id is not None:
        query = query.where(Event.actor_id == where.actor_id)
    if where.name_prefix:
        query = query.where(Event.name.startswith(where.name_prefix, autoescape=True))
    if where.subject_type is not None:
        query = query.where(Event.subject_type == where.subject_type)
    if where.subject_id is not None:
        query = query.where(Event.subject_id == where.subject_id)
    if where.start is not None:
        query = query.where(Event.created_at >= where.start)
    if where.end is not None:
        query = query.where(Event.created_at < where.end)
    return query


def event_page(where: EventFilter, *, before_id: int | None = None, limit: int = 50) -> list[Event]:
    """The newest rows matching ``where`` (older than ``before_id`` when given: keyset pagination, newest
    first). At most ``limit`` rows."""
    query = _filtered(select(Event), where)
    if before_id is not None:
        query = query.where(Event.id < before_id)
    return list(db.session.scalars(query.order_by(Event.id.desc()).limit(limit)))


def iter_events(where: EventFilter, *, max_rows: int, batch: int = 1000) -> Iterator[Event]:
    """Every row matching ``where``, newest first, at most ``max_rows``, read ``batch`` rows at a time."""
    before_id: int | None = None
    left = max_rows
    while left > 0:
        rows = event_page(where, before_id=before_id, limit=min(batch, left))
        if not rows:
            return
        yield from rows
        left -= len(rows)
        before_id = rows[-1].id  # the session's identity map is weak: read rows do not pile up
