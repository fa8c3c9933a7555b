"""Direct messages between friends: stored, delivered live, counted until read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, or_, select, update

from puchi.accounts.models import User
from puchi.core import events, outbox
from puchi.core.db import action, db, now
from puchi.core.errors import Forbidden, Invalid
from puchi.social.events import MessageSent
from puchi.social.models import DirectMessage
from puchi.social.services import _user_by_username, are_friends, blocked_between, profile_of

MAX_LENGTH = 1000
THREAD_LENGTH = 100


def _check_pair(user: User, username: str) -> User:
    other = _user_by_username(username)
    if other.id == user.id or blocked_between(user.id, other.id) or not are_friends(user.id, other.id):
        raise Forbidden(_l("You can write to your friends: people you follow who follow you back."), code="not_friends")
    return other


@action
def send(user: User, username: str, body: str) -> DirectMessage:
    """Send a message to a friend; it reaches their open tabs at once. Commits.

    :raises Invalid: empty or longer than 1 000 characters. :raises Forbidden: not friends, or blocked.
    """
    other = _check_pair(user, username)
    text = (body or "").strip()
    if not text:
        raise Invalid(fields={"body": [_l("Write a message first.")]}, code="message_empty")
    if len(text) > MAX_LENGTH:
        raise Invalid(fields={"body": [_l("Keep it to %(max)s characters or fewer.", max=MAX_LENGTH)]},
                      code="message_too_long")
    message = DirectMessage(sender_id=user.id, recipient_id=other.id, body=text, created_at=now())
    _mark_theirs_read(user, other)  # answering them means their messages were read
    db.session.add(message)
    db.session.flush()
    events.record(MessageSent(message_id=message.id), actor_id=user.id, subject=("user", other.id))
    outbox.add("social.push_message", {"message_id": message.id})
    return message


def thread(user: User, username: str) -> tuple[User, list[DirectMessage]]:
    """The latest messages with a friend, oldest first. Reads only: the page marks them read with a POST
    (:func:`mark_read`) once it is shown."""
    other = _check_pair(user, username)
    messages = list(db.session.scalars(select(DirectMessage).where(or_(
        and_(DirectMessage.sender_id == user.id, DirectMessage.recipient_id == other.id),
        and_(DirectMessage.sender_id == other.id, DirectMessage.recipient_id == user.id)))
        .order_by(DirectMessage.id.desc()).limit(THREAD_LENGTH)))
    return other, list(reversed(messages))


def _mark_theirs_read(user: User, other: User) -> int:
    result = db.session.execute(update(DirectMessage).where(DirectMessage.sender_id == other.id,
                                                            DirectMessage.recipient_id == user.id,
                                                            DirectMessage.read_at.is_(None)).values(read_at=now()))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


@action
def mark_read(user: User, username: str) -> int:
    """Mark a friend's messages to the learner read (the conversation was shown): how many were unread.

    :raises Forbidden: not friends, or blocked.
    """
    return _mark_theirs_read(user, _check_pair(user, username))


@dataclass(frozen=True)
class Conversation:
    friend: User
    username: str
    unread: int
    last_at: datetime


def conversations(user: User) -> list[Conversation]:
    """Friends you have written with, newest first, with unread counts (a fixed handful of queries)."""
    pairs = db.session.execute(
        select(DirectMessage.sender_id, DirectMessage.recipient_id, func.max(DirectMessage.created_at),
               func.sum(case((and_(DirectMessage.read_at.is_(None), DirectMessage.recipient_id == user.id), 1),
                             else_=0)))
        .where(or_(DirectMessage.sender_id == user.id, DirectMessage.recipient_id == user.id))
        .group_by(DirectMessage.sender_id, DirectMessage.recipient_id)).all()
    summary: dict[int, tuple[datetime, int]] = {}
    for sender, recipient, last, unread in pairs:
        other = recipient if sender == user.id else sender
        previous_last, previous_unread = summary.get(other, (last, 0))
        summary[other] = (max(previous_last, last), previous_unread + int(unread or 0))
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(summary)))} if summary else {}
    result = [Conversation(users[i], profile_of(users[i]).username, unread, last)
              for i, (last, unread) in summary.items() if i in users]
    return sorted(result, key=lambda c: c.last_at, reverse=True)


def unread_total(user: User) -> int:
    return db.session.scalar(select(func.count(DirectMessage.id)).where(DirectMessage.recipient_id == user.id,
                                                                        DirectMessage.read_at.is_(None))) or 0
