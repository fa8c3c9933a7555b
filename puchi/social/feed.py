"""Friends' activity feed: what friends achieved, read straight from the event log, and cheers on it.

The feed has no table of its own (a cheer on it is a ``cheers`` row): it is a keyset-paginated query over
``events`` of a few kinds, limited to the viewer's friends (mutual follows) who share their progress and are
not blocked either way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import BindParameter, Select, bindparam, select
from sqlalchemy.orm import aliased

from puchi.accounts.models import User
from puchi.core.db import action, db
from puchi.core.errors import Forbidden, NotFound
from puchi.core.events import Event
from puchi.progress.events import AchievementUnlocked, LeaguePromoted, StreakMilestone
from puchi.social.models import FEED_EVENTS, PRIVATE, Cheer, Follow, SocialProfile
from puchi.social.services import _not_blocked, check_can_cheer, profile_of, send_cheer

News = StreakMilestone | AchievementUnlocked | LeaguePromoted
_KINDS: dict[str, type[News]] = {kind.name: kind for kind in FEED_EVENTS}
# Written into the SQL as literals, so the database sees the partial index ix_events_feed applies.
_FEED_NAMES: BindParameter[list[str]] = bindparam("feed_names", list(_KINDS), expanding=True, literal_execute=True)
PAGE_SIZE = 20
MAX_PAGE_SIZE = 50
MAX_ID = 2**63 - 1  # a BIGINT: a larger id from a URL would overflow the driver, not merely match nothing


@dataclass(frozen=True)
class FeedItem:
    event_id: int
    kind: str  # the event's name: the template words it
    user_id: int
    display_name: str
    username: str
    avatar_color: str
    initials: str
    at: datetime
    news: News  # what happened
    cheered: bool  # the viewer cheered this item already


@dataclass(frozen=True)
class FeedPage:
    items: list[FeedItem]
    next_before: int | None  # pass as ``before_id`` for the next (older) page; None on the last page


def friend_ids(viewer_id: int) -> Select:
    """The ids of the viewer's friends: people they follow who follow them back (a subquery)."""
    back = aliased(Follow)
    return (select(Follow.followed_id)
            .join(back, (back.follower_id == Follow.followed_id) & (back.followed_id == Follow.follower_id))
            .where(Follow.follower_id == viewer_id))


def sharing_friends(viewer_id: int) -> Select:
    """Friends whose activity the viewer may see: a private profile or a block (either way) hides it.

    Select ``User`` and ``SocialProfile.username``; callers add columns, filters and order.
    """
    return (select(User, SocialProfile.username).join(SocialProfile, SocialProfile.user_id == User.id)
            .where(User.id.in_(friend_ids(viewer_id)), SocialProfile.visibility != PRIVATE,
                   _not_blocked(viewer_id)))


def feed_for(user: User, before_id: int | None = None, limit: int = PAGE_SIZE) -> FeedPage:
    """The newest friends' milestones, achievements and promotions, older than ``before_id``.

    Two queries, however many friends or items: the items with their people, then which ones the viewer cheered.
    """
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    query = (sharing_friends(user.id).add_columns(Event).join(Event, Event.actor_id == User.id)
             .where(Event.name.in_(_FEED_NAMES)).order_by(Event.id.desc()).limit(limit + 1))
    if before_id is not None:
        query = query.where(Event.id < min(before_id, MAX_ID))
    rows = db.session.execute(query).all()
    more, rows = len(rows) > limit, rows[:limit]
    cheered = _cheered(user.id, [event.id for _user, _name, event in rows])
    items = [FeedItem(event.id, event.name, friend.id, friend.public_name, username, friend.avatar_color,
                      friend.public_initials, event.created_at, _KINDS[event.name].from_payload(event.payload),
                      event.id in cheered)
             for friend, username, event in rows]
    return FeedPage(items, items[-1].event_id if more else None)


def _cheered(viewer_id: int, event_ids: list[int]) -> set[int]:
    if not event_ids:
        return set()
    return set(db.session.scalars(select(Cheer.event_id).where(Cheer.sender_id == viewer_id,
                                                               Cheer.event_id.in_(event_ids))))


@action
def cheer_item(user: User, event_id: int) -> bool:
    """Cheer a friend's feed item, once. Commits; returns False when the viewer cheered it already.

    :raises NotFound: no such item, or one the viewer cannot see (a private profile).
    :raises Forbidden: your own item, or not a friend's.
    """
    event = db.session.get(Event, event_id) if 0 < event_id <= MAX_ID else None
    friend = db.session.get(User, event.actor_id) if event and event.name in _KINDS and event.actor_id else None
    if event is None or friend is None:
        raise NotFound
    if friend.id == user.id:
        raise Forbidden(_l("That is your own news: your friends can cheer it."), code="own_news")
    check_can_cheer(user, friend)
    if profile_of(friend).visibility == PRIVATE:
        raise NotFound
    return send_cheer(user, friend, event_id=event.id)
