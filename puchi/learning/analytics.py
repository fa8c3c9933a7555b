"""Learning's figures for the staff's analytics: lessons started and completed, and how often each item and
skill is answered right (to find what is too hard). Aggregated in SQL over a bounded range of days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, func, or_, select

from puchi.core.db import db
from puchi.core.periods import Range, as_date
from puchi.learning.models import Course, Item, ItemDayStats, LessonLearnerDay, Skill


@dataclass(frozen=True)
class LessonActivity:
    starts: dict[date, int]
    completions: dict[date, int]
    learners_started: int
    learners_completed: int


def lesson_activity(days: Range) -> LessonActivity:
    """Lessons started on each day of the range and how many of those were completed (so completions count
    by the day their lesson started), and how many learners started one and completed one. One query over
    the range's rows of the per-learner, per-day rollup (``LessonLearnerDay``), with no grouping by learner:
    each learner is counted on their first day in the range (the previous day they started, or completed, a
    lesson is before the range). Equal to counting the sessions themselves (tests/admin/test_usage_figures.py
    compares them)."""
    D = LessonLearnerDay
    first_started = or_(D.previous_day.is_(None), D.previous_day < days.first)
    first_completed = and_(D.completed > 0, or_(D.previous_completed_day.is_(None),
                                                 D.previous_completed_day < days.first))
    starts: dict[date, int] = {}
    completions: dict[date, int] = {}
    learners_started = learners_completed = 0
    for day, started, completed, new_starters, new_completers in db.session.execute(
            select(D.day, func.sum(D.started), func.sum(D.completed), func.count().filter(first_started),
                   func.count().filter(first_completed))
            .where(D.day >= days.first, D.day <= days.last).group_by(D.day)):
        starts[as_date(day)], completions[as_date(day)] = int(started), int(completed)
        learners_started += new_starters
        learners_completed += new_completers
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
