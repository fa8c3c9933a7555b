"""Streak rules, counted in the learner's own calendar.

A day is the learner's local calendar day at the moment of the lesson. Pure functions: easy to test
across timezones, DST changes and midnight.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def local_day(at: datetime, timezone: str) -> date:
    """The calendar date of ``at`` where the learner lives."""
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return at.astimezone(zone).date()


@dataclass(frozen=True)
class StreakUpdate:
    current: int
    longest: int
    last_active: date
    freezes_left: int
    frozen_days: tuple[date, ...]  # missed days a freeze covered
    extended: bool  # the streak grew by this activity (the first activity of a new day)


def record_day(*, current: int, longest: int, last_active: date | None, freezes: int, day: date) -> StreakUpdate:
    """The streak after activity on ``day``.

    The same day twice counts once. A day *before* the last active one (a move west across timezones)
    counts as that same last day: it never breaks the streak nor counts twice. Missed days are covered
    by freezes while they last, one freeze a day; otherwise the streak starts again at 1.
    """
    if last_active is None:
        return StreakUpdate(1, max(longest, 1), day, freezes, (), True)
    if day <= last_active:
        return StreakUpdate(current, longest, last_active, freezes, (), False)
    missed = (day - last_active).days - 1
    if missed == 0:
        streak = current + 1
        frozen: tuple[date, ...] = ()
    elif missed <= freezes:
        streak = current + 1
        frozen = tuple(last_active + timedelta(days=n) for n in range(1, missed + 1))
        freezes -= missed
    else:
        streak, frozen = 1, ()
    return StreakUpdate(streak, max(longest, streak), day, freezes, frozen, True)


def effective_streak(*, current: int, last_active: date | None, freezes: int, today: date) -> int:
    """The streak as it stands today: still alive while the missed days so far could be covered."""
    if last_active is None:
        return 0
    missed = (today - last_active).days - 1
    return current if missed <= freezes else 0


MILESTONES = (7, 14, 30, 50, 100, 150, 200, 250, 300, 365)


def is_milestone(days: int) -> bool:
    """A streak length worth telling friends about: the fixed steps, then every hundred days past a year."""
    return days in MILESTONES or (days > MILESTONES[-1] and days % 100 == 0)


def at_risk(*, last_active: date | None, today: date, current: int) -> bool:
    """True when the learner has a streak and has not practised yet today."""
    return current > 0 and last_active is not None and last_active < today
