"""The learner's statistics page: a fixed handful of queries whatever the history's length."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from puchi.accounts.models import User
from puchi.core.db import db, now
from puchi.learning import services as learning
from puchi.progress import streaks
from puchi.progress.models import DailyActivity

if TYPE_CHECKING:
    from puchi.learning.models import Course

# How well a word is known, with one definition across Puchi: the learning domain's knowledge level (the one
# lessons pick exercises by: "solid" needs three right answers in a row and a memory that lasts a week), and
# "needs practice" once the chance of remembering it has dropped below 70 %. A word met yesterday is "still
# learning", never "strong".
STRENGTH_KEYS = ("strong", "good", "fading", "weak")
NEEDS_PRACTICE_BELOW = 0.7


def strength_of(recall: float, knowledge: int) -> str:
    if recall < NEEDS_PRACTICE_BELOW:
        return "weak"
    return {3: "strong", 2: "good"}.get(knowledge, "fading")


@dataclass(frozen=True)
class ExerciseAccuracy:
    exercise_type: str
    answers: int
    right: int

    @property
    def percent(self) -> int:
        return round(100 * self.right / self.answers) if self.answers else 0


@dataclass(frozen=True)
class Statistics:
    today: date
    daily_xp: dict[date, int]  # the last 365 days with activity
    xp_7: int
    xp_30: int
    seconds_total: int
    words_learned: int
    strength: dict[str, int]  # bucket → number of words
    accuracy: list[ExerciseAccuracy]
    courses: list[tuple[Course, int]]  # course, words learned in it
    retention: learning.MeasuredRetention  # due reviews remembered in the last 30 days, against the target

    def last_days(self, count: int) -> list[tuple[date, int]]:
        return [(self.today - timedelta(days=n), self.daily_xp.get(self.today - timedelta(days=n), 0))
                for n in range(count - 1, -1, -1)]


def statistics_for(user: User) -> Statistics:
    at = now()
    today = streaks.local_day(at, user.timezone)
    rows = db.session.execute(select(DailyActivity.local_date, DailyActivity.xp, DailyActivity.seconds)
                              .where(DailyActivity.user_id == user.id,
                                     DailyActivity.local_date > today - timedelta(days=371))).all()
    daily = {row.local_date: row.xp for row in rows}
    seconds_total = db.session.scalar(select(func.coalesce(func.sum(DailyActivity.seconds), 0))
                                      .where(DailyActivity.user_id == user.id)) or 0
    strength = dict.fromkeys(STRENGTH_KEYS, 0)
    per_course: dict[int, int] = {}
    words = 0
    for word in learning.words_learned(user, at):
        words += 1
        per_course[word.course_id] = per_course.get(word.course_id, 0) + 1
        strength[strength_of(word.recall, word.knowledge)] += 1
    accuracy = [ExerciseAccuracy(kind, int(total), int(right or 0))
                for kind, total, right in db.session.execute(learning.answer_accuracy(user.id))]
    courses = [(course, per_course.get(course.id, 0))
               for course in db.session.scalars(learning.enrolled_courses(user.id))]
    return Statistics(
        today=today, daily_xp=daily,
        xp_7=sum(xp for day, xp in daily.items() if day > today - timedelta(days=7)),
        xp_30=sum(xp for day, xp in daily.items() if day > today - timedelta(days=30)),
        seconds_total=int(seconds_total), words_learned=words, strength=strength, accuracy=accuracy,
        courses=courses, retention=learning.measured_retention(user, at),
    )
