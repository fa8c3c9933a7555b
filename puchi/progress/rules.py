"""How much a lesson is worth, how hearts refill, what the shop sells: the numbers in one place."""

from __future__ import annotations

from datetime import datetime, timedelta

from puchi.learning.events import LessonCompleted
from puchi.progress.models import MAX_HEARTS

LESSON_XP = 10
PERFECT_BONUS_XP = 5
MAX_REVIEW_BONUS_XP = 5
GEMS_PER_LESSON = 5
GEMS_PER_ACHIEVEMENT = 10
HEART_REFILL_INTERVAL = timedelta(hours=4)
DAILY_GOALS = (10, 20, 30, 50)

SHOP = {
    "streak_freeze": 50,  # gems; at most MAX_FREEZES equipped
    "heart_refill": 30,  # back to MAX_HEARTS
}


def xp_for_lesson(lesson: LessonCompleted) -> int:
    """Base XP, a bonus for a perfect lesson, and one XP per due item reviewed (up to five)."""
    xp = LESSON_XP
    if lesson.perfect:
        xp += PERFECT_BONUS_XP
    xp += min(MAX_REVIEW_BONUS_XP, lesson.due_reviewed)
    return xp


def hearts_now(hearts: int, updated_at: datetime, at: datetime) -> tuple[int, datetime]:
    """Hearts after the refills due since ``updated_at``, and the time the refill clock now counts from."""
    if hearts >= MAX_HEARTS:
        return MAX_HEARTS, at
    refills = int((at - updated_at) / HEART_REFILL_INTERVAL)
    if refills <= 0:
        return hearts, updated_at
    hearts = min(MAX_HEARTS, hearts + refills)
    clock = at if hearts >= MAX_HEARTS else updated_at + refills * HEART_REFILL_INTERVAL
    return hearts, clock


def next_heart_at(hearts: int, updated_at: datetime) -> datetime | None:
    return None if hearts >= MAX_HEARTS else updated_at + HEART_REFILL_INTERVAL
