"""Social helpers: friendships, feed events and streaks made through the real services, in a few words."""

from __future__ import annotations

from datetime import date

from puchi.accounts.models import User
from puchi.core import events
from puchi.core.db import action, db
from puchi.progress import services as progress
from puchi.progress.events import LeaguePromoted
from puchi.progress.models import ProgressProfile
from puchi.social import services
from puchi.social.models import SocialProfile


def username_of(app, user_id: int) -> str:
    with app.app_context():
        return services.my_profile(db.session.get(User, user_id)).username


def follow(app, follower_id: int, followed_id: int) -> None:
    name = username_of(app, followed_id)
    with app.app_context():
        services.follow(db.session.get(User, follower_id), name)


def befriend(app, a_id: int, b_id: int) -> None:
    """Friends follow each other."""
    follow(app, a_id, b_id)
    follow(app, b_id, a_id)


def happened(app, event: events.DomainEvent, actor_id: int) -> int:
    """Record a domain event as its domain would (subscribers run); returns its id."""
    with app.app_context():
        with action():
            row = events.record(event, actor_id=actor_id, subject=("user", actor_id))
        return row.id


def promotion(to_tier: int) -> LeaguePromoted:
    """A move up to ``to_tier`` at the close of the week of 4 May 2026."""
    return LeaguePromoted(from_tier=to_tier - 1, to_tier=to_tier, rank=1, week_start=date(2026, 5, 4))


def set_streak(app, user_id: int, days: int, last_active: date | None) -> None:
    with app.app_context():
        progress.profile_for(user_id)
        row = db.session.get(ProgressProfile, user_id)
        row.current_streak, row.longest_streak, row.last_active_date = days, days, last_active
        db.session.commit()


def set_visibility(app, user_id: int, visibility: str) -> None:
    username_of(app, user_id)
    with app.app_context():
        db.session.get(SocialProfile, user_id).visibility = visibility
        db.session.commit()
