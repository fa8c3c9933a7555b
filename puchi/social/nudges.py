"""Nudges: a friend reminds a friend whose streak ends at their own midnight unless they practise today."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from puchi.accounts.models import User
from puchi.core import events
from puchi.core.db import commit, db
from puchi.core.errors import Conflict, Forbidden, RateLimited
from puchi.progress.models import ProgressProfile
from puchi.progress.streaks import ZoneInfo, local_day
from puchi.social.events import UserNudged
from puchi.social.feed import sharing_friends
from puchi.social.models import PRIVATE
from puchi.social.services import _user_by_username, are_friends, blocked_between, profile_of

DAILY_NUDGES = 10  # per sender per day of their own calendar: a nudge should stay a friendly gesture


def streak_at_risk(progress: ProgressProfile | None, user_tz: str, at: datetime) -> bool:
    """True when the learner has a streak and last practised yesterday in *their* calendar at ``at``.

    Then the streak ends at their midnight unless they practise. (Older last days mean the streak has
    already lapsed or a freeze is covering it; today means it is safe.)
    """
    if progress is None or progress.current_streak <= 0 or progress.last_active_date is None:
        return False
    return progress.last_active_date == local_day(at, user_tz) - timedelta(days=1)


def nudge_source(sender_id: int, friend: User, at: datetime) -> str:
    """Once per sender, friend and *friend-local* day: the day whose streak is at stake."""
    return f"nudge:{sender_id}:{friend.id}:{local_day(at, friend.timezone):%Y%m%d}"


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
    from puchi.notifications.models import Notification

    utc_today = at.astimezone(UTC).date()
    # Every timezone's "yesterday" lies within two days before the UTC date: let SQL drop everyone else.
    rows = db.session.execute(
        sharing_friends(user.id).add_columns(ProgressProfile)
        .join(ProgressProfile, ProgressProfile.user_id == User.id)
        .where(ProgressProfile.current_streak > 0,
               ProgressProfile.last_active_date.between(utc_today - timedelta(days=2), utc_today))
        .order_by(ProgressProfile.current_streak.desc(), User.id).limit(500)).all()
    risky = [(friend, name, progress) for friend, name, progress in rows
             if streak_at_risk(progress, friend.timezone, at)][:limit]
    if not risky:
        return []
    keys = {nudge_source(user.id, friend, at) for friend, _name, _progress in risky}
    sent = set(db.session.scalars(select(Notification.source).where(Notification.source.in_(keys))))
    return [FriendAtRisk(friend.id, friend.display_name, name, friend.avatar_color, friend.initials,
                         progress.current_streak, nudge_source(user.id, friend, at) in sent)
            for friend, name, progress in risky]


def _start_of_day(at: datetime, timezone: str) -> datetime:
    day = local_day(at, timezone)
    try:
        zone = ZoneInfo(timezone)
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    return datetime.combine(day, time(0), zone).astimezone(UTC)


def nudges_sent_today(user: User, at: datetime) -> int:
    """How many nudges ``user`` sent since their own midnight."""
    return db.session.scalar(select(func.count(events.Event.id)).where(
        events.Event.name == UserNudged.name, events.Event.actor_id == user.id,
        events.Event.created_at >= _start_of_day(at, user.timezone))) or 0


def nudge(user: User, username: str, at: datetime) -> bool:
    """Nudge a friend whose streak is at risk. Commits; returns False when you nudged them already today.

    :raises NotFound: no such learner. :raises Forbidden: not your friend, or their progress is private.
    :raises Conflict: their streak is not at risk. :raises RateLimited: you sent today's nudges already.
    """
    from puchi.notifications.models import Notification

    friend = _user_by_username(username)
    if friend.id == user.id or blocked_between(user.id, friend.id) or not are_friends(user.id, friend.id):
        raise Forbidden(_l("You can nudge your friends: people you follow who follow you back."))
    if profile_of(friend).visibility == PRIVATE:
        raise Forbidden(_l("%(name)s keeps their progress private.", name=friend.display_name))
    progress = db.session.get(ProgressProfile, friend.id)
    if not streak_at_risk(progress, friend.timezone, at):
        raise Conflict(_l("No need: %(name)s has practised today or has no streak to keep.",
                          name=friend.display_name))
    assert progress is not None
    source = nudge_source(user.id, friend, at)
    if db.session.scalar(select(Notification.id).where(Notification.source == source)) is not None:
        return False
    if nudges_sent_today(user, at) >= DAILY_NUDGES:
        raise RateLimited(_l("You have sent %(num)s nudges today. You can nudge again tomorrow.", num=DAILY_NUDGES))
    events.record(UserNudged(source=source, days=progress.current_streak), actor_id=user.id,
                  subject=("user", friend.id))
    commit()
    return True


def nudge_offer(user: User, friend: User, at: datetime) -> FriendAtRisk | None:
    """For a friend's profile page: the friend to offer a Nudge button for, when one applies (friends whose
    progress is not private, streak at risk), with whether it was already sent today. Two queries."""
    from puchi.notifications.models import Notification

    if profile_of(friend).visibility == PRIVATE:
        return None
    progress = db.session.get(ProgressProfile, friend.id)
    if progress is None or not streak_at_risk(progress, friend.timezone, at):
        return None
    sent = db.session.scalar(select(Notification.id).where(
        Notification.source == nudge_source(user.id, friend, at))) is not None
    return FriendAtRisk(friend.id, friend.display_name, profile_of(friend).username, friend.avatar_color,
                        friend.initials, progress.current_streak, sent)
