"""The audit log: the events table read by those with the AUDIT capability, filtered and exported.

Read-only by design: nothing here (nor any route) changes or deletes a row of the log. Actors are named by
their email, which only accounts knows; the rest of the filter is core's :class:`~puchi.core.events.EventFilter`.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from puchi.accounts.models import User
from puchi.accounts.permissions import require_capability
from puchi.accounts.roles import Capability
from puchi.core import events
from puchi.core.db import db
from puchi.core.events import Event, EventFilter

PAGE_SIZE = 50
MAX_EXPORT_ROWS = 50_000
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class AuditPage:
    rows: list[Event]
    actors: dict[int, str]  # actor id → email, for the rows shown
    next_before: int | None  # the id to ask for the next (older) page; None on the last one
    unknown_actor: bool  # an actor was asked for by an email no account has: nothing matches


def _actor_filter(where: EventFilter, actor: str | None) -> EventFilter | None:
    """``where`` narrowed to ``actor`` (an account id or an email); None when no account is that actor."""
    text = (actor or "").strip()
    if not text:
        return where
    if text.isascii() and text.isdigit() and len(text) <= 18:
        return replace(where, actor_id=int(text))
    found = db.session.scalar(select(User.id).where(User.email == text.lower()))
    return None if found is None else replace(where, actor_id=found)


def _emails(ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {i: e for i, e in db.session.execute(select(User.id, User.email).where(User.id.in_(wanted)))}


def audit_page(viewer: User, where: EventFilter, *, actor: str | None = None, before_id: int | None = None,
               limit: int = PAGE_SIZE) -> AuditPage:
    """One page of the log, newest first. :raises Forbidden: the viewer may not read the audit log."""
    require_capability(viewer, Capability.AUDIT)
    narrowed = _actor_filter(where, actor)
    if narrowed is None:
        return AuditPage([], {}, None, unknown_actor=True)
    rows = events.event_page(narrowed, before_id=before_id, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return AuditPage(rows, _emails(r.actor_id for r in rows), rows[-1].id if more and rows else None, False)


def safe_cell(value: Any) -> str:
    """A CSV cell a spreadsheet will not run as a formula: text starting with = + - @ (or a tab or a carriage
    return) gets a leading quote."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def csv_lines(rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """Each row as one CSV line, every cell made safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


CSV_HEADER = ("id", "created_at", "name", "actor_id", "actor_email", "subject_type", "subject_id", "payload")


def audit_csv(viewer: User, where: EventFilter, *, actor: str | None = None,
              max_rows: int = MAX_EXPORT_ROWS) -> Iterator[str]:
    """The matching rows as CSV lines (header first), newest first, at most ``max_rows``: read in batches, so
    a response can stream them. :raises Forbidden: the viewer may not read the audit log."""
    require_capability(viewer, Capability.AUDIT)  # checked now, not when the stream is first read
    narrowed = _actor_filter(where, actor)

    def rows() -> Iterator[tuple[Any, ...]]:
        yield CSV_HEADER
        if narrowed is None:
            return
        emails: dict[int, str] = {}
        batch: list[Event] = []
        for row in events.iter_events(narrowed, max_rows=max_rows):
            batch.append(row)
            if len(batch) == 500:
                yield from _csv_rows(batch, emails)
                batch = []
        yield from _csv_rows(batch, emails)

    return csv_lines(rows())


def _csv_rows(batch: list[Event], emails: dict[int, str]) -> Iterator[tuple[Any, ...]]:
    emails.update(_emails(r.actor_id for r in batch if r.actor_id not in emails))
    for r in batch:
        yield (r.id, r.created_at.isoformat(), r.name, r.actor_id, emails.get(r.actor_id or 0, ""),
               r.subject_type, r.subject_id, _json(r.payload))


def _json(payload: dict[str, Any]) -> str:
    return json.dumps(payload, sort_keys=True, ensure_ascii=False)


def parse_moment(text: str | None, *, end_of_day: bool = False) -> datetime | None:
    """A date (YYYY-MM-DD) or an ISO datetime from a filter form, in UTC; None when empty or not one."""
    value = (text or "").strip()
    if not value or len(value) > 40:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if end_of_day and len(value) == 10:
        moment += timedelta(days=1)
    return moment.astimezone(UTC)
