"""Streak milestones (7, 14, 30 … days) become a ``streak.milestone`` event once per reaching, for friends' feeds."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from puchi.core.db import db
from puchi.core.events import Event
from puchi.learning.events import LessonCompleted
from puchi.progress import services
from puchi.progress.events import StreakMilestone
from puchi.progress.models import ProgressProfile
from puchi.progress.streaks import is_milestone
from tests.progress.conftest import finish_lesson, profile


@pytest.mark.parametrize(("days", "milestone"), [
    (1, False), (6, False), (7, True), (14, True), (30, True), (31, False), (50, True), (100, True),
    (150, True), (365, True), (366, False), (400, True), (450, False), (500, True), (1000, True)])
def test_milestones_are_the_fixed_steps_then_every_hundred_days_past_a_year(days, milestone):
    assert is_milestone(days) is milestone


def _streak_of(app, user_id: int, current: int, last_active: date) -> None:
    with app.app_context():
        services.profile_for(user_id)
        row = db.session.get(ProgressProfile, user_id)
        row.current_streak, row.longest_streak, row.last_active_date = current, current, last_active
        db.session.commit()


def _milestones(app) -> list[tuple[int, StreakMilestone]]:
    with app.app_context():
        return [(e.actor_id, StreakMilestone.from_payload(e.payload)) for e in db.session.scalars(
            select(Event).where(Event.name == StreakMilestone.name))]


def test_growing_into_a_milestone_records_it_once_even_if_the_lesson_is_delivered_again(app, enrolled):
    learner = enrolled(timezone="Europe/Madrid")
    _streak_of(app, learner.id, 6, date(2026, 5, 3))
    finish_lesson(app, learner.id, at=datetime(2026, 5, 4, 9, 0, tzinfo=UTC))
    assert profile(app, learner.id).current_streak == 7
    assert _milestones(app) == [(learner.id, StreakMilestone(days=7))]

    with app.app_context():
        original = db.session.scalar(select(Event).where(Event.name == "lesson.completed"))
        duplicate = Event(name=original.name, actor_id=original.actor_id, subject_type=original.subject_type,
                          subject_id=original.subject_id, payload=dict(original.payload),
                          created_at=original.created_at)
        # as if the event were delivered again
        services.on_lesson_completed(duplicate, LessonCompleted.from_payload(duplicate.payload))
        db.session.commit()
    assert _milestones(app) == [(learner.id, StreakMilestone(days=7))]


def test_a_second_lesson_the_same_day_or_an_ordinary_day_records_no_milestone(app, enrolled):
    learner = enrolled(timezone="Europe/Madrid")
    _streak_of(app, learner.id, 6, date(2026, 5, 3))
    finish_lesson(app, learner.id, at=datetime(2026, 5, 4, 9, 0, tzinfo=UTC))
    finish_lesson(app, learner.id, at=datetime(2026, 5, 4, 10, 0, tzinfo=UTC))  # still day 7
    finish_lesson(app, learner.id, at=datetime(2026, 5, 5, 9, 0, tzinfo=UTC))  # day 8
    assert profile(app, learner.id).current_streak == 8
    with app.app_context():
        assert db.session.scalar(select(func.count(Event.id)).where(Event.name == "streak.milestone")) == 1
