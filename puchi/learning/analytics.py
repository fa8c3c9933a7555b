"""Learning's figures for the staff's analytics: lessons started and completed, and how often each item and
skill is answered right (to find what is too hard). Aggregated in SQL over a bounded range of days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, func, select

from puchi.core.db import db
from puchi.core.periods import Range, as_date, utc_day
from puchi.learning.models import Attempt, Course, Item, LessonSession, Skill


@dataclass(frozen=True)
class LessonActivity:
    starts: dict[date, int]
    completions: dict[date, int]
    learners_started: int
    learners_completed: int


def lesson_activity(days: Range) -> LessonActivity:
    S = LessonSession
    started = utc_day(S.started_at)
    starts = {as_date(d): n for d, n in db.session.execute(
        select(started, func.count()).where(S.started_at >= days.start, S.started_at < days.end).group_by(started))}
    completed = utc_day(S.completed_at)
    completions = {as_date(d): n for d, n in db.session.execute(
        select(completed, func.count()).where(S.completed_at >= days.start, S.completed_at < days.end)
        .group_by(completed))}
    learners_started = db.session.scalar(select(func.count(func.distinct(S.user_id)))
                                         .where(S.started_at >= days.start, S.started_at < days.end)) or 0
    learners_completed = db.session.scalar(select(func.count(func.distinct(S.user_id)))
                                           .where(S.completed_at >= days.start, S.completed_at < days.end)) or 0
    return LessonActivity(starts, completions, learners_started, learners_completed)


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
    """Every item answered in the range, with its answers and right answers (an "almost" counts as right)."""
    A = Attempt
    per_item = (select(A.item_id.label("item_id"), func.count().label("attempts"),
                       func.sum(case((A.verdict.in_(("correct", "almost")), 1), else_=0)).label("correct"))
                .where(A.created_at >= days.start, A.created_at < days.end, A.item_id.is_not(None))
                .group_by(A.item_id).subquery())
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
