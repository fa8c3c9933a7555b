"""Migration 0028 fills the usage rollup (``lesson_learner_days``) from the sessions already there: one row per
learner and UTC day of a session's start, its starts and completions, and each learner's previous day with a
session and with a completed one — the same rows the lesson player would have kept."""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask_migrate import upgrade
from sqlalchemy import select

from puchi import create_app
from puchi.accounts import services as accounts
from puchi.core.db import db
from puchi.learning.models import Course, LessonLearnerDay, LessonSession, Skill, Unit
from tests.conftest import DEFAULT_PASSWORD, settings_for_tests
from tests.social.test_cheers_migration import (
    _todays_columns_meanwhile,
    empty_database,  # noqa: F401 - fixture
)


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def test_the_rollup_is_filled_from_the_sessions(empty_database, smtp_sink):  # noqa: F811
    app = create_app(settings_for_tests(empty_database, smtp_sink.url))
    with app.app_context():
        upgrade(revision="0027_admin_search")
        with _todays_columns_meanwhile():  # the setup writes through today's models
            ana = accounts.create_verified_user(email="ana@example.com", display_name="Ana",
                                                password=DEFAULT_PASSWORD).id
            ben = accounts.create_verified_user(email="ben@example.com", display_name="Ben",
                                                password=DEFAULT_PASSWORD).id
            course = Course(slug="m", title="M", target_language="es", target_language_name="Spanish",
                            source_language="en", source_language_name="English")
            db.session.add(course)
            db.session.flush()
            unit = Unit(course_id=course.id, slug="u", title="U")
            db.session.add(unit)
            db.session.flush()
            skill = Skill(course_id=course.id, unit_id=unit.id, slug="s", title="S")
            db.session.add(skill)
            db.session.flush()
            for user_id, started, completed in (
                    (ana, _at(1, 23, 59), _at(2, 0, 5)),  # crosses midnight: the 1st's
                    (ana, _at(1, 10), None),
                    (ana, _at(3, 9), None),  # never finished
                    (ana, _at(5, 9), _at(5, 9, 5)),
                    (ben, _at(2, 0, 0), _at(2, 0, 3)),
                    (ben, _at(2, 12), _at(2, 12, 5))):
                db.session.add(LessonSession(user_id=user_id, course_id=course.id, skill_id=skill.id, kind="lesson",
                                             status="completed" if completed else "active", steps=[], position=0,
                                             started_at=started, completed_at=completed))
            db.session.commit()
        upgrade()
        rows = {(row.user_id, row.day): (row.started, row.completed, row.previous_day, row.previous_completed_day)
                for row in db.session.scalars(select(LessonLearnerDay))}
        assert rows == {
            (ana, date(2026, 3, 1)): (2, 1, None, None),
            (ana, date(2026, 3, 3)): (1, 0, date(2026, 3, 1), date(2026, 3, 1)),
            (ana, date(2026, 3, 5)): (1, 1, date(2026, 3, 3), date(2026, 3, 1)),
            (ben, date(2026, 3, 2)): (2, 2, None, None),
        }
        assert db.session.scalar(select(LessonSession.id).limit(1)) is not None
        db.session.remove()
        db.engine.dispose()
