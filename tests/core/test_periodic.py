"""Every-minute chores: each domain registers its own, one failing does not stop the others, and without a
worker the web process can run them (the embedded mode)."""

from datetime import time

from sqlalchemy import select

from puchi import create_app
from puchi.accounts.models import User
from puchi.core import periodic
from puchi.core.db import db, now
from puchi.learning import services as learning
from puchi.notifications import schedule
from puchi.notifications.models import Notification
from tests.conftest import settings_for_tests, wait_until
from tests.learning.conftest import spanish  # noqa: F401 - fixture


def test_league_weeks_reminders_and_weekly_reports_are_registered_chores(app):
    with app.app_context():
        assert {"close league weeks", "daily reminders", "weekly reports"} <= set(periodic.names())


def test_a_failing_chore_does_not_stop_the_others(app, monkeypatch):
    ran = []

    def broken(at):
        raise RuntimeError("boom")

    with app.app_context():
        monkeypatch.setitem(app.extensions, "puchi.chores", {})  # this app's chores are these two only
        periodic.add(app, "broken", broken)
        periodic.add(app, "fine", lambda at: ran.append(at) or "done")
        results = periodic.run_chores(now())
    assert results == {"broken": None, "fine": "done"} and len(ran) == 1


def test_without_a_worker_the_web_process_sends_reminders_itself(app, make_user, spanish, database_url,  # noqa: F811
                                                                 smtp_sink):
    learner = make_user(timezone="UTC")
    with app.app_context():
        user = db.session.get(User, learner.id)
        learning.enroll(user, spanish)
        schedule.save_schedule(user, schedule.Schedule(reminder_time=time(0, 0)))  # due all day long

    embedded = create_app(settings_for_tests(database_url, smtp_sink.url, INLINE_CHORES=True, CHORES_EVERY=0.2,
                                             RELAY_INTERVAL=0.1))
    try:
        def reminded() -> bool:
            with app.app_context():
                found = db.session.scalar(select(Notification.id).where(Notification.user_id == learner.id,
                                                                       Notification.kind == "reminder"))
                db.session.remove()
                return found is not None

        assert wait_until(reminded, timeout=10)
    finally:
        embedded.extensions["puchi_chores"].stop()
