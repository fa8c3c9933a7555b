"""Nudges: a friend reminds a friend whose streak ends at their own midnight unless they practise today."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, tuple_

from puchi.accounts.models import User
from puchi.core import events
from puchi.core.db import action, db
from puchi.core.errors import Conflict, Forbidden, RateLimited
from puchi.core.upserts import insert_if_missing
from puchi.progress import services as progress
from puchi.social.events import UserNudged
from puchi.social.feed import sharing_friends
from puchi.social.models import PRIVATE, Nudge
from puchi.social.services import _user_by_username, are_friends, blocked_between, profile_of

DAILY_NUDGES = 10  # per sender per day of their own calendar: a nudge should stay a friendly gesture


def streak_at_risk(streak: int, last_active: date | None, user_tz: str, at: datetime) -> bool:
    """True when the learner has a streak and last practised yesterday in *their* calendar at ``at``.

    Then the streak ends at their midnight unless they practise. (Older last days mean the streak has
    already lapsed or a freeze is covering it; today means it is safe.)
    """
    if streak <= 0 or last_active is None:
        return False
    return last_active == progress.local_day(at, user_tz) - timedelta(days=1)


def _nudge_day(friend: User, at: datetime) -> date:
    """Once per sender, friend and *friend-local* day: the day whose streak is at stake."""
    return progress.local_day(at, friend.timezone)


@dataclass(frozen=True)
class FriendAtRisk:
    user_id: int
    display_name: str
    username: str
    avatar_color: str
    initials: str
    streak: int
    nudged: bool  # the viewer nudged them already today (their day)


def friends_at_risk(user: User, at: datetime, limit: int = 10) -> list[FriendAtRisk]:
    """The viewer's friends whose streak is at risk now, longest streak first. Two queries, however many friends."""
    utc_today = at.astimezone(UTC).date()
    standing = progress.learner_progress().subquery()
    # Every timezone's "yesterday" lies within two days before the UTC date: let SQL drop everyone else.
    rows = db.session.execute(
        sharing_friends(user.id).add_columns(standing.c.streak, standing.c.last_active)
        .join(standing, standing.c.user_id == User.id)
        .where(standing.c.streak > 0, standing.c.last_active.between(utc_today - timedelta(days=2), utc_today))
        .order_by(standing.c.streak.desc(), User.id).limit(500)).all()
    risky = [(friend, name, streak) for friend, name, streak, last_active in rows
             if streak_at_risk(streak, last_active, friend.timezone, at)][:limit]
    if not risky:
        return []
    keys = [(friend.id, _nudge_day(friend, at)) for friend, _name, _streak in risky]
    sent = {(friend_id, day) for friend_id, day in db.session.execute(select(Nudge.recipient_id, Nudge.day).where(
        Nudge.sender_id == user.id, tuple_(Nudge.recipient_id, Nudge.day).in_(keys)))}
    return [FriendAtRisk(friend.id, friend.public_name, name, friend.avatar_color, friend.public_initials, streak,
                         key in sent)
            for (friend, name, streak), key in zip(risky, keys, strict=True)]


def _start_of_day(at: datetime, timezone: str) -> datetime:
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return datetime.combine(at.astimezone(zone).date(), time(0), zone).astimezone(UTC)


def nudges_sent_today(user: User, at: datetime) -> int:
    """How many nudges ``user`` sent since their own midnight."""
    return db.session.scalar(select(func.count(Nudge.id)).where(
        Nudge.sender_id == user.id, Nudge.created_at >= _start_of_day(at, user.timezone))) or 0


def _nudged(user: User, friend: User, at: datetime) -> bool:
    return db.session.scalar(select(Nudge.id).where(Nudge.sender_id == user.id, Nudge.recipient_id == friend.id,
                                                    Nudge.day == _nudge_day(friend, at))) is not None


@action
def nudge(user: User, username: str, at: datetime) -> bool:
    """Nudge a friend whose streak is at risk. Commits; returns False when you nudged them already today.

    :raises NotFound: no such learner. :raises Forbidden: not your friend, or their progress is private.
    :raises Conflict: their streak is not at risk. :raises RateLimited: you sent today's nudges already.
    """
    friend = _user_by_username(username)
    if friend.id == user.id or blocked_between(user.id, friend.id) or not are_friends(user.id, friend.id):
        raise Forbidden(_l("You can nudge your friends: people you follow who follow you back."), code="not_friends")
    if profile_of(friend).visibility == PRIVATE:
        raise Forbidden(_l("%(name)s keeps their progress private.", name=friend.public_name), code="progress_private")
    standing = progress.summary_of(friend.id)
    if not streak_at_risk(standing.streak, standing.last_active, friend.timezone, at):
        raise Conflict(_l("No need: %(name)s has practised today or has no streak to keep.",
                          name=friend.public_name), code="no_streak_at_risk")
    if _nudged(user, friend, at):
        return False  # asked first, so a repeat says "already" rather than "no nudges left today"
    if nudges_sent_today(user, at) >= DAILY_NUDGES:
        raise RateLimited(_l("You have sent %(num)s nudges today. You can nudge again tomorrow.", num=DAILY_NUDGES),
                          code="nudges_used_up")
    day = _nudge_day(friend, at)
    if not insert_if_missing(Nudge, {"sender_id": user.id, "recipient_id": friend.id, "day": day},
                             streak=standing.streak):
        return False  # another tab sent the same nudge a moment ago
    events.record(UserNudged(source=f"nudge:{user.id}:{friend.id}:{day:%Y%m%d}", days=standing.streak),
                  actor_id=user.id, subject=("user", friend.id))
    return True


def nudge_offer(user: User, friend: User, at: datetime) -> FriendAtRisk | None:
    """For a friend's profile page: the friend to offer a Nudge button for, when one applies (friends whose
    progress is not private, streak at risk), with whether it was already sent today. Two queries."""
    if profile_of(friend).visibility == PRIVATE:
        return None
    standing = progress.summary_of(friend.id)
    if not streak_at_risk(standing.streak, standing.last_active, friend.timezone, at):
        return None
    return FriendAtRisk(friend.id, friend.public_name, profile_of(friend).username, friend.avatar_color,
                        friend.public_initials, standing.streak, _nudged(user, friend, at))
