"""The social domain's public API: usernames and privacy, following, blocking, cheers, finding people, profiles."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, or_, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from puchi.accounts import services as accounts
from puchi.accounts.events import UserCreated, UserSignedUp
from puchi.accounts.models import User
from puchi.core import events
from puchi.core.db import action, db
from puchi.core.errors import Conflict, Forbidden, Invalid, NotFound
from puchi.core.upserts import insert_if_missing
from puchi.learning import services as learning
from puchi.progress import services as progress
from puchi.social.events import UserBlocked, UserCheered, UserFollowed
from puchi.social.models import (
    FRIENDS,
    HOURLY_CHEER,
    ITEM_CHEER,
    PRIVATE,
    PUBLIC,
    VISIBILITIES,
    Block,
    Cheer,
    Follow,
    SocialProfile,
)

USERNAME = re.compile(r"^[a-z0-9_]{3,30}$")


def _base_username(user: User) -> str:
    ascii_name = unicodedata.normalize("NFKD", user.display_name).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9_]+", "", ascii_name.lower().replace(" ", "_"))[:20]
    return base if len(base) >= 3 else (re.sub(r"[^a-z0-9]+", "", user.email.split("@")[0].lower())[:20] or "learner")


def profile_of(user: User) -> SocialProfile:
    """The learner's social profile, created with a unique username on first use."""
    profile = db.session.get(SocialProfile, user.id)
    if profile is not None:
        return profile
    base = _base_username(user).ljust(3, "0")
    taken = set(db.session.scalars(select(SocialProfile.username).where(SocialProfile.username.like(f"{base}%"))))
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}{n}"
    insert_if_missing(SocialProfile, {"user_id": user.id}, username=candidate, visibility=PUBLIC)
    profile = db.session.get(SocialProfile, user.id)
    assert profile is not None
    return profile


def my_profile(user: User) -> SocialProfile:
    """The learner's own profile (made with the account; migration 0011 gave older accounts theirs)."""
    profile = db.session.get(SocialProfile, user.id)
    if profile is None:  # reading never writes: an unsaved stand-in until the account's row exists
        return SocialProfile(user_id=user.id, username=_base_username(user).ljust(3, "0"), visibility=PUBLIC)
    return profile


@action
def update_settings(user: User, *, username: str, visibility: str) -> SocialProfile:
    """Change username and profile visibility. Commits. :raises Invalid: a field breaks a rule or is taken."""
    profile = profile_of(user)
    username = (username or "").strip().lower()
    fields: dict[str, list[str]] = {}
    if not USERNAME.match(username):
        fields["username"] = [str(_l("Use 3 to 30 lower-case letters, digits or underscores."))]
    if visibility not in VISIBILITIES:
        fields["visibility"] = [str(_l("Choose one of the options."))]
    if not fields and username != profile.username and db.session.scalar(
            select(SocialProfile.user_id).where(SocialProfile.username == username)) is not None:
        fields["username"] = [str(_l("That username is taken."))]
    if fields:
        raise Invalid(fields=fields)
    renamed = username != profile.username
    profile.username, profile.visibility = username, visibility
    try:
        db.session.flush()
    except IntegrityError as error:  # taken meanwhile
        raise Invalid(fields={"username": [_l("That username is taken.")]}, code="username_taken") from error
    if renamed:  # a profile hidden by moderation shows again once its owner changes what was reported
        accounts.lift_profile_hide_in_action(user)
    return profile


def _user_by_username(username: str) -> User:
    user = db.session.scalar(select(User).join(SocialProfile, SocialProfile.user_id == User.id)
                             .where(SocialProfile.username == (username or "").lower()))
    if user is None:
        raise NotFound
    return user


def blocked_between(a: int, b: int) -> bool:
    return db.session.scalar(select(Block.id).where(or_(
        (Block.blocker_id == a) & (Block.blocked_id == b), (Block.blocker_id == b) & (Block.blocked_id == a)))
        .limit(1)) is not None


def follows(follower_id: int, followed_id: int) -> bool:
    return db.session.scalar(select(Follow.id).where(Follow.follower_id == follower_id,
                                                     Follow.followed_id == followed_id)) is not None


def are_friends(a: int, b: int) -> bool:
    """Friends follow each other."""
    return db.session.scalar(select(func.count(Follow.id)).where(or_(
        (Follow.follower_id == a) & (Follow.followed_id == b),
        (Follow.follower_id == b) & (Follow.followed_id == a)))) == 2


@action
def follow(user: User, username: str) -> User:
    """Follow someone. Commits. :raises NotFound: no such learner (or one of you blocked the other).
    :raises Conflict: that is you."""
    target = _user_by_username(username)
    if target.id == user.id:
        raise Conflict(_l("You can't follow yourself."), code="follow_self")
    if blocked_between(user.id, target.id):
        raise NotFound
    profile_of(user)
    if insert_if_missing(Follow, {"follower_id": user.id, "followed_id": target.id}):
        events.record(UserFollowed(mutual=follows(target.id, user.id)), actor_id=user.id, subject=("user", target.id))
    return target


def check_can_cheer(user: User, target: User) -> None:
    """:raises Forbidden: ``target`` is you, or not your friend (or one of you blocked the other)."""
    if target.id == user.id or blocked_between(user.id, target.id) or not are_friends(user.id, target.id):
        raise Forbidden(_l("You can cheer on your friends: people you follow who follow you back."), code="not_friends")


def send_cheer(user: User, target: User, *, at: datetime | None = None, event_id: int | None = None) -> bool:
    """Cheer ``target`` on from ``user``: on one of their feed items (``event_id``), else once in the UTC hour
    of ``at``. Does not commit: it runs in the caller's action. Returns False when that cheer was sent already
    (of two sent at once, one is).

    The cheer row decides "once" (its unique key, inserted on conflict do nothing); the ``user.cheered`` event
    tells notifications, with ``source`` as the key of the notification it makes. Callers check who may cheer
    whom first.
    """
    keys: dict[str, object]
    if event_id is not None:
        keys, where, values = {"sender_id": user.id, "event_id": event_id}, ITEM_CHEER, {"recipient_id": target.id}
        source = f"cheer:item:{user.id}:{event_id}"
    else:
        assert at is not None, "a profile cheer is counted by the hour it is sent in"
        hour = at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        keys, where, values = {"sender_id": user.id, "recipient_id": target.id, "hour": hour}, HOURLY_CHEER, {}
        source = f"cheer:{user.id}:{target.id}:{hour:%Y%m%d%H}"
    if not insert_if_missing(Cheer, keys, where=text(where), **values):
        return False
    events.record(UserCheered(source=source, event_id=event_id), actor_id=user.id, subject=("user", target.id))
    return True


@action
def cheer(user: User, username: str, at: datetime) -> bool:
    """Cheer a friend on (at most once an hour each). Commits; returns False when already cheered this hour.

    :raises NotFound: no such learner. :raises Forbidden: you are not friends.
    """
    target = _user_by_username(username)
    check_can_cheer(user, target)
    return send_cheer(user, target, at=at)


@action
def unfollow(user: User, username: str) -> None:
    target = _user_by_username(username)
    db.session.execute(delete(Follow).where(Follow.follower_id == user.id, Follow.followed_id == target.id))


@action
def block(user: User, username: str) -> None:
    """Block someone: follows both ways end, and neither finds nor reaches the other. Commits."""
    target = _user_by_username(username)
    if target.id == user.id:
        raise Conflict(_l("You can't block yourself."), code="block_self")
    db.session.execute(delete(Follow).where(or_(
        (Follow.follower_id == user.id) & (Follow.followed_id == target.id),
        (Follow.follower_id == target.id) & (Follow.followed_id == user.id))))
    insert_if_missing(Block, {"blocker_id": user.id, "blocked_id": target.id})
    events.record(UserBlocked(), actor_id=user.id, subject=("user", target.id))


@action
def unblock(user: User, username: str) -> None:
    target = _user_by_username(username)
    db.session.execute(delete(Block).where(Block.blocker_id == user.id, Block.blocked_id == target.id))


@dataclass(frozen=True)
class PersonRow:
    user_id: int
    display_name: str
    username: str
    avatar_color: str
    initials: str
    following: bool
    hidden: bool = False  # moderation hid the profile: the name is neutral and the username not shown


def _rows(viewer: User, query) -> list[PersonRow]:
    mine = aliased(Follow)  # the outer query may join Follow itself: keep the two apart
    rows = db.session.execute(query.add_columns(
        select(mine.id).where(mine.follower_id == viewer.id, mine.followed_id == User.id)
        .correlate(User).exists().label("following"))).all()
    result = []
    for user, username, following in rows:
        result.append(PersonRow(user.id, user.public_name, username, user.avatar_color, user.public_initials,
                                bool(following), user.profile_hidden))
    return result


def _not_blocked(viewer_id: int):
    return ~select(Block.id).where(or_((Block.blocker_id == viewer_id) & (Block.blocked_id == User.id),
                                       (Block.blocker_id == User.id) & (Block.blocked_id == viewer_id))).exists()


def search_people(viewer: User, text: str, limit: int = 20) -> list[PersonRow]:
    """Learners whose username starts with, or whose name contains, ``text`` (blocked people and profiles
    hidden by moderation never appear)."""
    text = (text or "").strip()[:50]
    if len(text) < 2:
        return []
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    query = (select(User, SocialProfile.username).join(SocialProfile, SocialProfile.user_id == User.id)
             .where(User.id != viewer.id, SocialProfile.visibility != PRIVATE, _not_blocked(viewer.id),
                    User.profile_hidden_at.is_(None),  # a hidden name or username is not searchable
                    or_(SocialProfile.username.like(f"{escaped}%", escape="\\"),
                        func.lower(User.display_name).like(f"%{escaped}%", escape="\\")))
             .order_by(SocialProfile.username).limit(limit))
    return _rows(viewer, query)


def _profile_shown_to(viewer_id: int):
    """Whose rows a list of someone else's connections may show the viewer: the profiles :func:`profile_view`
    shows them (their own, public ones, friends-only ones of their friends), never a private one."""
    i_follow, follows_me = aliased(Follow), aliased(Follow)  # the outer query joins Follow itself
    return or_(User.id == viewer_id, SocialProfile.visibility == PUBLIC,
               (SocialProfile.visibility == FRIENDS)
               & select(i_follow.id).where(i_follow.follower_id == viewer_id, i_follow.followed_id == User.id)
               .correlate(User).exists()
               & select(follows_me.id).where(follows_me.follower_id == User.id, follows_me.followed_id == viewer_id)
               .correlate(User).exists())


def _connections(viewer: User, user_id: int, query) -> list[PersonRow]:
    query = query.join(SocialProfile, SocialProfile.user_id == User.id).where(_not_blocked(viewer.id))
    if user_id != viewer.id:  # in your own lists you see everyone you follow and who follows you
        query = query.where(_profile_shown_to(viewer.id))
    return _rows(viewer, query.order_by(Follow.id.desc()).limit(200))


def followers(viewer: User, user_id: int) -> list[PersonRow]:
    """Who follows ``user_id``, as ``viewer`` may see them (private profiles only in the viewer's own list)."""
    return _connections(viewer, user_id, select(User, SocialProfile.username)
                        .join(Follow, Follow.follower_id == User.id).where(Follow.followed_id == user_id))


def following(viewer: User, user_id: int) -> list[PersonRow]:
    """Whom ``user_id`` follows, as ``viewer`` may see them (private profiles only in the viewer's own list)."""
    return _connections(viewer, user_id, select(User, SocialProfile.username)
                        .join(Follow, Follow.followed_id == User.id).where(Follow.follower_id == user_id))


@dataclass(frozen=True)
class ProfileView:
    user: User
    username: str
    visible: bool  # False: only the name is shown (friends-only or private profile)
    is_me: bool
    i_follow: bool
    follows_me: bool
    blocked_by_me: bool
    followers: int
    following: int
    streak: int
    total_xp: int
    league_tier: int
    achievements: int
    courses: list[str]


def profile_view(viewer: User, username: str) -> ProfileView:
    """A learner's profile as ``viewer`` may see it. :raises NotFound: no such learner, or they blocked you."""
    target = _user_by_username(username)
    profile = profile_of(target)
    if db.session.scalar(select(Block.id).where(Block.blocker_id == target.id, Block.blocked_id == viewer.id)):
        raise NotFound
    is_me = target.id == viewer.id
    i_follow, follows_me = follows(viewer.id, target.id), follows(target.id, viewer.id)
    visible = is_me or profile.visibility == PUBLIC or (profile.visibility == FRIENDS and i_follow and follows_me)
    standing = progress.summary_of(target.id)
    return ProfileView(
        user=target, username=profile.username, visible=visible, is_me=is_me, i_follow=i_follow,
        follows_me=follows_me,
        blocked_by_me=db.session.scalar(select(Block.id).where(Block.blocker_id == viewer.id,
                                                               Block.blocked_id == target.id)) is not None,
        followers=db.session.scalar(select(func.count(Follow.id)).where(Follow.followed_id == target.id)) or 0,
        following=db.session.scalar(select(func.count(Follow.id)).where(Follow.follower_id == target.id)) or 0,
        streak=standing.streak, total_xp=standing.total_xp, league_tier=standing.league_tier,
        achievements=progress.achievement_count(target.id),
        courses=[course.title for course in db.session.scalars(learning.enrolled_courses(target.id))]
        if visible else [],
    )


def on_user_created(event: events.Event, _created: UserSignedUp | UserCreated) -> None:
    """Every new account gets its username at once, so friends can find it."""
    user = db.session.get(User, event.subject_id) if event.subject_id else None
    if user is not None:
        profile_of(user)



# --- Moderation's public face (the admin's reports queue); the rules live in puchi/social/moderation.py ---------
# Imported when called: moderation builds on this module.

def reason_labels() -> dict[str, str]:
    """Each report reason and its name in the current locale."""
    from puchi.social import moderation

    return moderation.reason_labels()


def open_reports(viewer: User) -> list[Any]:
    """The open reports, oldest first. :raises Forbidden: not a moderator."""
    from puchi.social import moderation

    return moderation.open_reports(viewer)


def report_in_context(viewer: User, report_id: int) -> Any:
    """A report with the content it is about. :raises Forbidden, NotFound."""
    from puchi.social import moderation

    return moderation.report_in_context(viewer, report_id)


def resolve_report(viewer: User, report_id: int, what: str, *, reason: str = "") -> Any:
    """Dismiss, hide, warn or suspend (see ``moderation.resolve``). :raises Forbidden, Invalid, Conflict, NotFound."""
    from puchi.social import moderation

    return moderation.resolve(viewer, report_id, what, reason=reason)
