"""The transactional outbox: work for outside the database, written with the change that causes it.

A service calls :func:`add` inside its action; the action hands the new rows to the job queue after its
commit (RQ when Redis is configured, otherwise run inline). Each row is run by :func:`run_message`, which
claims it atomically, so a row enqueued twice still runs once. A relay (:func:`relay_due`, run by the worker
every few seconds and by ``flask puchi jobs relay``) picks up rows whose hand-over failed (Redis down), rows
whose worker died, and retries that came due.

A handler that fails is retried with back-off, unless it was refused in the error vocabulary (a
:class:`~puchi.core.errors.ServiceError`: the account is gone, the state forbids it): that is deterministic,
so the message fails at once with the refusal's code in its error, and nobody waits for four retries.

This module is the one place that commits outside an action (``core.db.action``): a message's claim must be
committed before its job runs and its outcome after, whatever the job did, so the relay's bookkeeping has
transactions of its own. A job that changes state opens its own actions; so does a give-up handler.

Handlers are kept on the app (each domain's ``init_app`` adds its own with :func:`add_handler`), so two apps
in one process never share them; the worker builds the app, so its handlers are there too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, current_app
from sqlalchemy import String, Text, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from puchi.core.db import JSONType, Model, UTCDateTime, action, db, in_action, now, rowcount
from puchi.core.errors import ServiceError

log = logging.getLogger(__name__)

PENDING, RUNNING, DONE, FAILED = "pending", "running", "done", "failed"

Handler = Callable[[dict[str, Any]], None]
GiveUp = Callable[[dict[str, Any], str], None]
_KEY = "puchi.outbox"


@dataclass
class Handlers:
    run: dict[str, Handler] = field(default_factory=dict)
    give_up: dict[str, GiveUp] = field(default_factory=dict)


class OutboxMessage(Model):
    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    status: Mapped[str] = mapped_column(String(16), default=PENDING, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=4)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, index=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


def init_app(app: Flask) -> None:
    app.extensions[_KEY] = Handlers()


def _handlers(app: Flask | None = None) -> Handlers:
    handlers: Handlers = (app or current_app).extensions[_KEY]
    return handlers


def add_handler(app: Flask, name: str, run: Handler, *, on_give_up: GiveUp | None = None) -> None:
    """Name the function that carries out outbox messages of kind ``name`` in ``app`` (and, optionally, one
    told with the payload and last error when every attempt has failed)."""
    handlers = _handlers(app)
    handlers.run[name] = run
    if on_give_up is not None:
        handlers.give_up[name] = on_give_up


def add(job: str, payload: dict[str, Any], *, not_before: datetime | None = None) -> OutboxMessage:
    """Record work to do after the current action commits (or, given ``not_before``, from then on: the
    relay hands it over when it comes due). Does not commit.

    :raises RuntimeError: called outside an action, where nothing would ever hand the message over.
    """
    if job not in _handlers().run:  # caught when the message is written, not when a worker meets it
        raise LookupError(f"no outbox handler called {job!r}")
    if not in_action():
        raise RuntimeError(f"outbox.add({job!r}) outside an action")
    retries = len(current_app.config["JOB_RETRY_INTERVALS"])
    current = now()
    later = not_before is not None and not_before > current
    message = OutboxMessage(job=job, payload=payload, max_attempts=retries + 1,
                            next_attempt_at=not_before if later else current)
    db.session.add(message)
    if not later:
        db.session.info.setdefault("outbox_new", []).append(message)
    return message


def take_new_message_ids(session: Session) -> list[int]:
    """Flush and return the ids of the messages added in this action (called by it before its commit)."""
    messages: list[OutboxMessage] = session.info.pop("outbox_new", [])
    if not messages:
        return []
    session.flush()
    return [m.id for m in messages if m.id is not None]


def dispatch(message_ids: Iterable[int]) -> None:
    """Hand committed messages to RQ, or run them here when there is no Redis. Never raises."""
    from puchi.core import jobs

    for message_id in message_ids:
        if jobs.queue_available():
            try:
                jobs.enqueue_message(message_id)
            except Exception:  # Redis down: the row stays pending and the relay hands it over later
                log.warning("outbox %s: could not reach the queue; the relay will retry", message_id)
        else:
            run_message(message_id, raise_errors=False)


def run_message(message_id: int, *, raise_errors: bool = True) -> str:
    """Carry out one outbox message exactly once per successful run; returns what happened.

    The row is claimed with a conditional UPDATE, so a duplicate delivery of the same id finds it
    already running or done and does nothing. With ``raise_errors``, a failure that may pass later is raised
    again (RQ's retry then runs); a refusal (a ``ServiceError``) is not: the message has failed for good.
    """
    claimed_at = now()
    claim = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == PENDING)
        .values(status=RUNNING, claimed_at=claimed_at, attempts=OutboxMessage.attempts + 1)
    )
    db.session.commit()
    if rowcount(claim) != 1:
        return "skipped"
    message = db.session.get(OutboxMessage, message_id)
    assert message is not None
    handlers = _handlers()
    try:
        handlers.run[message.job](message.payload)
    except Exception as error:
        db.session.rollback()
        message = db.session.get(OutboxMessage, message_id)
        assert message is not None
        message.last_error = f"{type(error).__name__}: {error}"[:2000]  # a refusal reads "NotFound: not_found: …"
        refused = isinstance(error, ServiceError)  # the same payload would be refused again: no retry
        if refused or message.attempts >= message.max_attempts:
            message.status = FAILED
        else:
            intervals = current_app.config["JOB_RETRY_INTERVALS"]
            delay = intervals[min(message.attempts - 1, len(intervals) - 1)]
            message.status = PENDING
            message.next_attempt_at = now() + timedelta(seconds=delay)
        db.session.commit()
        log.warning("outbox %s (%s) attempt %s %s: %s", message_id, message.job, message.attempts,
                    "refused, not retried" if refused else "failed", message.last_error)
        if message.status == FAILED and message.job in handlers.give_up:
            give_up, payload, last_error = handlers.give_up[message.job], message.payload, message.last_error
            try:
                with action():
                    give_up(payload, last_error or "")
            except Exception:
                log.exception("outbox %s: the give-up handler failed", message_id)
        if raise_errors and not refused:
            raise
        return message.status
    message.status = DONE
    message.done_at = now()
    message.last_error = None
    db.session.commit()
    return DONE


def relay_due() -> int:
    """Hand over every message that should be running and is not; returns how many were handed over."""
    current = now()
    # A message handed to RQ normally runs within moments; the relay leaves it alone a while so it does
    # not enqueue every message twice. (A duplicate would be harmless: run_message claims rows atomically.)
    grace = timedelta(seconds=current_app.config["OUTBOX_RELAY_GRACE_SECONDS"])
    stale = current - timedelta(seconds=current_app.config["OUTBOX_STALE_SECONDS"])
    # A RUNNING row whose worker died long ago goes back to PENDING (its claim lapsed).
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == RUNNING, OutboxMessage.claimed_at < stale)
        .values(status=PENDING)
    )
    db.session.commit()
    due_ids = db.session.scalars(
        select(OutboxMessage.id)
        .where(
            OutboxMessage.status == PENDING,
            OutboxMessage.next_attempt_at <= current - grace,
        )
        .order_by(OutboxMessage.id)
        .limit(500)
    ).all()
    if due_ids:
        dispatch(due_ids)
    return len(due_ids)


def failed_messages(limit: int = 100) -> list[OutboxMessage]:
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.status == FAILED)
            .order_by(OutboxMessage.id.desc())
            .limit(limit)
        )
    )


def retry_failed(message_id: int) -> bool:
    """Give a failed message a fresh set of attempts and hand it over again (an operator's action)."""
    with action():
        result = db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.status == FAILED)
            .values(status=PENDING, attempts=0, next_attempt_at=now())
        )
        retried = rowcount(result) == 1
    if retried:
        dispatch([message_id])
    return retried
