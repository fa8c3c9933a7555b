"""Learning's figures for the staff's analytics: lessons started and completed, and how often each item and
skill is answered right (to find what is too hard). Aggregated in SQL over a bounded range of days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from puchi.core.db import db
from puchi.core.periods import Range, as_date, utc_day
from puchi.learning.models import Course, Item, ItemDayStats, LessonSession, Skill


@dataclass(frozen=True)
class LessonActivity:
    starts: dict[date, int]
    completions: dict[date, int]
    learners_started: int
    learners_completed: int


def lesson_activity(days: Range) -> LessonActivity:
    """Lessons started on each day of the range and how many of those were completed (so completions count
    by the day their lesson started), and how many learners started one and completed one. Two scans of
    the index on (started_at, user_id, completed_at)."""
    S = LessonSession
    in_range = (S.started_at >= days.start, S.started_at < days.end)
    started = utc_day(S.started_at)
    starts: dict[date, int] = {}
    completions: dict[date, int] = {}
    for day, count, done in db.session.execute(
            select(started, func.count(), func.count(S.completed_at)).where(*in_range).group_by(started)):
        starts[as_date(day)], completions[as_date(day)] = count, done
    per_learner = (select(func.max(S.completed_at).label("completed")).where(*in_range)
                   .group_by(S.user_id).subquery())  # grouped (hashed) rather than COUNT(DISTINCT) (sorted)
    started_count, completed_count = db.session.execute(
        select(func.count(), func.count(per_learner.c.completed)).select_from(per_learner)).one()
    return LessonActivity(starts, completions, started_count or 0, completed_count or 0)


@dataclass(frozen=True)
class Accuracy:
    item_id: int
    text: str
    skill_id: int
    skill_title: str
    course_title: str
    attempts: int
    correct: int

    @property
    def rate(self) -> float:
        return self.correct / self.attempts if self.attempts else 0.0


def accuracy_by_item(days: Range) -> list[Accuracy]:
    """Every item answered in the range, with its answers and right answers (an "almost" counts as right),
    summed from the per-day rollup (at most one row per item and day)."""
    S = ItemDayStats
    per_item = (select(S.item_id.label("item_id"), func.sum(S.attempts).label("attempts"),
                       func.sum(S.correct).label("correct"))
                .where(S.day >= days.first, S.day <= days.last).group_by(S.item_id).subquery())
    rows = db.session.execute(
        select(Item.id, Item.text, Skill.id, Skill.title, Course.title, per_item.c.attempts, per_item.c.correct)
        .join(per_item, per_item.c.item_id == Item.id).join(Skill, Skill.id == Item.skill_id)
        .join(Course, Course.id == Item.course_id))
    return [Accuracy(*row) for row in rows]


def accuracy_by_skill(items: list[Accuracy]) -> list[Accuracy]:
    """The items' figures summed per skill (item_id and text are the skill's)."""
    skills: dict[int, list[Accuracy]] = {}
    for item in items:
        skills.setdefault(item.skill_id, []).append(item)
    return [Accuracy(skill_id, group[0].skill_title, skill_id, group[0].skill_title, group[0].course_title,
                     sum(i.attempts for i in group), sum(i.correct for i in group))
            for skill_id, group in skills.items()]
