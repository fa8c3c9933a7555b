"""What progress tells the rest of Puchi: its domain events, one frozen dataclass each.

Each is recorded with the learner as actor (the friends feed shows three of them: streak milestones,
achievements and promotions).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from puchi.core.events import DomainEvent


@dataclass(frozen=True)
class GoalReached(DomainEvent):
    """The learner reached their daily XP goal on ``date`` (their local day). Subject: the learner."""

    name = "goal.reached"
    date: date
    goal: int


@dataclass(frozen=True)
class StreakMilestone(DomainEvent):
    """The streak reached a length worth telling friends about. Subject: the learner."""

    name = "streak.milestone"
    days: int


@dataclass(frozen=True)
class AchievementUnlocked(DomainEvent):
    """A tier of an achievement was reached (codes in puchi/progress/achievements.py). Subject: the learner."""

    name = "achievement.unlocked"
    code: str
    tier: int


@dataclass(frozen=True)
class LeagueMove(DomainEvent):
    """The learner left ``from_tier`` for ``to_tier`` when the league week of ``week_start`` closed.

    Subject: ``("league_cohort", id)``. Recorded as one of its two kinds below, never as itself.
    """

    from_tier: int
    to_tier: int
    rank: int
    week_start: date


@dataclass(frozen=True)
class LeaguePromoted(LeagueMove):
    name = "league.promoted"


@dataclass(frozen=True)
class LeagueDemoted(LeagueMove):
    name = "league.demoted"


@dataclass(frozen=True)
class ShopPurchased(DomainEvent):
    """Gems were spent in the shop. Subject: the learner."""

    name = "shop.purchased"
    item: str
    price: int
