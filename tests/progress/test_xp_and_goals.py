"""XP comes from finished lessons, once each; the day and the daily goal follow the learner's clock."""

from datetime import UTC, date, datetime

from sqlalchemy import func, select

from puchi.accounts.models import User
from puchi.core.db import db
from puchi.core.events import Event
from puchi.learning.events import LessonCompleted
from puchi.progress import services
from puchi.progress.models import DailyActivity, GemTransaction, XpEntry
from tests.progress.conftest import finish_lesson, profile


def test_a_finished_lesson_writes_xp_to_the_ledger_and_the_day(app, enrolled):
    learner = enrolled(timezone="Europe/Madrid")
    finish_lesson(app, learner.id, at=datetime(2026, 5, 4, 9, 0, tzinfo=UTC))

    with app.app_context():
        [entry] = db.session.scalars(select(XpEntry)).all()
        assert entry.amount == 15  # 10 for the lesson + 5 for no mistakes
        assert entry.local_date == date(2026, 5, 4)
        day = db.session.scalar(select(DailyActivity))
        assert (day.xp, day.lessons) == (15, 1) and day.seconds >= 0
    state = profile(app, learner.id)
    assert (state.total_xp, state.current_streak, state.lessons_completed, state.perfect_lessons) == (15, 1, 1, 1)
    assert state.gems >= 5


def test_a_lesson_event_handled_twice_awards_nothing_more(app, enrolled):
    learner = enrolled()
    session_id = finish_lesson(app, learner.id)
    with app.app_context():
        original = db.session.scalar(select(Event).where(Event.name == "lesson.completed"))
        duplicate = Event(name=original.name, actor_id=original.actor_id, subject_type=original.subject_type,
                          subject_id=original.subject_id, payload=dict(original.payload),
                          created_at=original.created_at)
        # as if the event were delivered again
        services.on_lesson_completed(duplicate, LessonCompleted.from_payload(duplicate.payload))
        db.session.commit()
        assert db.session.scalar(select(func.count(XpEntry.id))) == 1
        assert db.session.scalar(select(func.count(GemTransaction.id)).where(
            GemTransaction.reason == "lesson")) == 1
    assert profile(app, learner.id).total_xp == 15 and session_id


def test_a_mistake_costs_the_perfect_bonus(app, enrolled):
    learner = enrolled()
    finish_lesson(app, learner.id, mistakes=1)
    assert profile(app, learner.id).total_xp == 10


def test_reaching_the_daily_goal_is_recorded_once_with_an_event(app, enrolled):
    learner = enrolled(timezone="Asia/Tokyo")
    with app.app_context():
        db.session.get(User, learner.id).daily_goal = 20
        db.session.commit()
    morning = datetime(2026, 5, 4, 0, 30, tzinfo=UTC)  # 09:30 in Tokyo
    finish_lesson(app, learner.id, at=morning)
    with app.app_context():
        assert db.session.scalar(select(func.count(Event.id)).where(Event.name == "goal.reached")) == 0
    finish_lesson(app, learner.id, at=morning.replace(hour=1))
    finish_lesson(app, learner.id, at=morning.replace(hour=2))
    with app.app_context():
        assert db.session.scalar(select(func.count(Event.id)).where(Event.name == "goal.reached")) == 1
        assert db.session.scalar(select(DailyActivity.goal_reached))


def test_raising_the_goal_mid_day_keeps_the_xp_and_asks_for_more(app, enrolled):
    learner = enrolled()
    at = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
    finish_lesson(app, learner.id, at=at)
    with app.app_context():
        user = db.session.get(User, learner.id)
        user.daily_goal = 10
        assert services.overview(user, at).goal_fraction == 1.0
        user.daily_goal = 50
        db.session.commit()
        overview = services.overview(db.session.get(User, learner.id), at)
        assert (overview.xp_today, overview.daily_goal) == (15, 50)
        assert overview.goal_fraction == 0.3


def test_events_of_the_progress_domain_are_in_the_log(app, enrolled):
    learner = enrolled()
    finish_lesson(app, learner.id)
    with app.app_context():
        names = set(db.session.scalars(select(Event.name)))
    assert {"lesson.completed", "item.reviewed", "achievement.unlocked"} <= names
