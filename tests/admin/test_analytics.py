"""The staff's analytics: each domain's figures over a range of days, composed into pages with SVG charts,
tables and CSV, for those with the ANALYTICS capability only."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import update

from puchi.accounts import services as accounts
from puchi.accounts.models import User
from puchi.admin import analytics
from puchi.core.db import action, db
from puchi.core.errors import Forbidden
from puchi.core.periods import MAX_RANGE_DAYS, Range
from puchi.learning import services as learning
from puchi.learning.models import (
    Attempt,
    Course,
    Item,
    ItemDayStats,
    LessonLearnerDay,
    LessonSession,
    Skill,
    Unit,
)
from puchi.notifications import services as notifications
from puchi.notifications.models import Delivery
from puchi.progress import services as progress
from puchi.progress.models import DailyActivity, ProgressProfile
from tests.accounts.mfa_support import enrol_totp

LAST = date(2026, 3, 31)
DAYS = Range.ending(LAST, 30)


def _at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


@pytest.fixture
def world(app, make_user):
    """An admin, an editor and four learners who signed up on known days, with lessons, answers, activity,
    streaks and sends."""
    root = make_user("root@example.com", role="admin")
    enrol_totp(app, root.id)
    editor = make_user("eddie@example.com", role="editor")
    enrol_totp(app, editor.id)
    learners = [make_user(f"l{i}@example.com") for i in range(4)]
    ids = [u.id for u in learners]
    with app.app_context(), action():
        db.session.execute(update(User).values(created_at=_at(date(2026, 1, 1))))
        db.session.execute(update(ProgressProfile).values(created_at=_at(date(2026, 1, 1))))
        # l0 and l1 signed up on 2026-03-30 (a Monday), l2 on 2026-03-16 (a Monday, two weeks before)
        for user_id, day in ((ids[0], date(2026, 3, 30)), (ids[1], date(2026, 3, 30)), (ids[2], date(2026, 3, 16))):
            db.session.execute(update(User).where(User.id == user_id).values(created_at=_at(day)))
            db.session.execute(update(ProgressProfile).where(ProgressProfile.user_id == user_id)
                               .values(created_at=_at(day)))
        db.session.execute(update(ProgressProfile).where(ProgressProfile.user_id == ids[0]).values(current_streak=3))
        db.session.execute(update(ProgressProfile).where(ProgressProfile.user_id == ids[1]).values(current_streak=120))
        course = Course(slug="an", title="Analytics", target_language="es", target_language_name="Spanish",
                        source_language="en", source_language_name="English")
        db.session.add(course)
        db.session.flush()
        unit = Unit(course_id=course.id, slug="u", title="U")
        db.session.add(unit)
        db.session.flush()
        easy = Skill(course_id=course.id, unit_id=unit.id, slug="easy", title="Greetings")
        hard = Skill(course_id=course.id, unit_id=unit.id, slug="hard", title="Subjunctive")
        db.session.add_all([easy, hard])
        db.session.flush()
        hola = Item(course_id=course.id, skill_id=easy.id, kind="WORD", text="hola", translation="hello")
        ojala = Item(course_id=course.id, skill_id=hard.id, kind="PHRASE", text="ojalá que llueva",
                     translation="I hope it rains")
        db.session.add_all([hola, ojala])
        db.session.flush()
        session = LessonSession(user_id=ids[0], course_id=course.id, skill_id=easy.id, kind="lesson",
                                status="completed", started_at=_at(LAST), completed_at=_at(LAST, 13))
        other = LessonSession(user_id=ids[1], course_id=course.id, skill_id=hard.id, kind="lesson",
                              status="active", started_at=_at(LAST - timedelta(days=1)))
        old = LessonSession(user_id=ids[2], course_id=course.id, skill_id=hard.id, kind="lesson",
                            status="completed", started_at=_at(date(2025, 1, 1)), completed_at=_at(date(2025, 1, 1)))
        db.session.add_all([session, other, old])
        db.session.flush()
        step = 0
        for item, verdicts in ((hola, ["correct"] * 11 + ["wrong"]), (ojala, ["wrong"] * 8 + ["almost"] * 3)):
            for verdict in verdicts:
                db.session.add(Attempt(session_id=session.id, user_id=ids[0], item_id=item.id, step_index=step,
                                       exercise_type="translate", verdict=verdict, created_at=_at(LAST)))
                step += 1
        db.session.add(Attempt(session_id=old.id, user_id=ids[2], item_id=hola.id, step_index=0,
                               exercise_type="translate", verdict="wrong", created_at=_at(date(2025, 1, 1))))
        # The rollup the lesson player keeps with each answer (tests/learning/test_item_day_stats.py)
        db.session.add_all([ItemDayStats(day=LAST, item_id=hola.id, attempts=12, correct=11),
                            ItemDayStats(day=LAST, item_id=ojala.id, attempts=11, correct=3),
                            ItemDayStats(day=date(2025, 1, 1), item_id=hola.id, attempts=1, correct=0)])
        # ... and the one it keeps with each session started and completed (tests/admin/test_usage_figures.py)
        db.session.add_all([LessonLearnerDay(day=LAST, user_id=ids[0], started=1, completed=1),
                            LessonLearnerDay(day=LAST - timedelta(days=1), user_id=ids[1], started=1, completed=0),
                            LessonLearnerDay(day=date(2025, 1, 1), user_id=ids[2], started=1, completed=1)])
        for user_id, day in ((ids[0], LAST), (ids[1], LAST), (ids[0], LAST - timedelta(days=1)),
                             (ids[2], date(2026, 3, 17)), (ids[2], date(2026, 3, 24)),
                             (ids[3], LAST - timedelta(days=20))):
            db.session.add(DailyActivity(user_id=user_id, local_date=day, xp=10, lessons=1))
        for channel, status in (("email", "sent"), ("email", "sent"), ("email", "failed"), ("push", "sent")):
            db.session.add(Delivery(key=f"a:{channel}:{status}:{db.session.new.__len__()}", user_id=ids[0],
                                    channel=channel, kind="streak_reminder", status=status, created_at=_at(LAST)))
    return {"root": root.id, "editor": editor.id, "learners": ids}


def _as(user_id):
    return db.session.get(User, user_id)


def test_each_domain_counts_its_figures(app, world):
    l0, l1, l2, l3 = world["learners"]
    with app.app_context():
        root = _as(world["root"])
        assert accounts.sign_ups_per_day(root, DAYS) == {date(2026, 3, 30): 2, date(2026, 3, 16): 1}

        lessons = learning.lesson_activity(root, DAYS)
        assert lessons.starts == {LAST: 1, LAST - timedelta(days=1): 1}
        assert lessons.completions == {LAST: 1, LAST - timedelta(days=1): 0}  # by the day the lesson started
        assert (lessons.learners_started, lessons.learners_completed) == (2, 1)

        skills, items = learning.accuracy(root, DAYS)
        by_text = {i.text: (i.attempts, i.correct) for i in items}
        assert by_text == {"hola": (12, 11), "ojalá que llueva": (11, 3)}  # the 2025 answer is outside the range
        assert {s.skill_title: s.attempts for s in skills} == {"Greetings": 12, "Subjunctive": 11}

        active = progress.active_learners(root, DAYS)
        assert active.daily[LAST] == 2 and active.daily[LAST - timedelta(days=1)] == 1
        assert (active.weekly, active.monthly) == (2, 4)

        streaks = {(low, high): count for low, high, count in progress.streak_distribution(root)}
        assert streaks[(2, 6)] == 1 and streaks[(100, None)] == 1 and streaks[(0, 0)] >= 2

        cohorts = {c.week: c for c in progress.retention_cohorts(root, LAST)}
        assert len(cohorts) == 8
        two_weeks_ago = cohorts[date(2026, 3, 16)]
        assert two_weeks_ago.size == 1 and two_weeks_ago.retained == [1, 1, 0]
        this_week = cohorts[date(2026, 3, 30)]
        assert this_week.size == 2 and this_week.retained == [2]

        assert notifications.sends_by_channel(root, DAYS) == [("email", "failed", 1), ("email", "sent", 2),
                                                               ("push", "sent", 1)]


def test_only_analytics_staff_see_the_figures(app, world):
    with app.app_context():
        for who in (_as(world["editor"]), _as(world["learners"][0])):
            for call in (lambda v: accounts.sign_ups_per_day(v, DAYS), lambda v: learning.lesson_activity(v, DAYS),
                         lambda v: learning.accuracy(v, DAYS), lambda v: progress.active_learners(v, DAYS),
                         lambda v: progress.streak_distribution(v), lambda v: progress.retention_cohorts(v, LAST),
                         lambda v: notifications.sends_by_channel(v, DAYS)):
                with pytest.raises(Forbidden):
                    call(who)


def test_the_hardest_items_come_first(app, world):
    with app.app_context():
        section = analytics.section(_as(world["root"]), "learning", DAYS)
    items = next(t for t in section.tables if t.key == "items")
    assert [row[2] for row in items.rows] == ["ojalá que llueva", "hola"]
    assert items.rows[0][-1] == "27.3%"


def test_ranges_are_bounded():
    today = date(2026, 3, 31)
    assert Range.bounded(date(2020, 1, 1), None, today).first == today - timedelta(days=MAX_RANGE_DAYS - 1)
    assert Range.bounded(None, date(2030, 1, 1), today).last == today
    assert Range.bounded(date(2026, 4, 2), date(2026, 3, 1), today).first == date(2026, 3, 1)


@pytest.mark.parametrize("section", sorted(analytics.SECTIONS))
def test_each_page_draws_charts_and_tables(staff_client, world, section):
    client, _ = staff_client("admin", email="boss@example.com")
    path = "/admin/analytics" if section == "usage" else f"/admin/analytics/{section}"
    page = client.get(f"{path}?start=2026-03-02&end=2026-03-31")
    assert page.status_code == 200
    assert "<table" in page.text and ".csv" in page.text
    if section != "learning":
        assert "<svg" in page.text and "chart-bar" in page.text
    assert client.get(f"{path}?start=junk&end=%C2%B2").status_code == 200


def test_the_usage_page_shows_the_funnel(staff_client, world):
    client, _ = staff_client("admin", email="boss@example.com")
    page = client.get("/admin/analytics?start=2026-03-02&end=2026-03-31").text
    assert "Learners who completed a lesson" in page and "Monthly active learners" in page
    assert "/admin/billing" in page
    assert "/admin/analytics" in client.get("/admin/").text


def test_each_table_downloads_as_csv(staff_client, world):
    client, _ = staff_client("admin", email="boss@example.com")
    response = client.get("/admin/analytics/notifications/sends.csv?start=2026-03-02&end=2026-03-31")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows == [["Channel", "Outcome", "Sends"], ["email", "failed", "1"], ["email", "sent", "2"],
                    ["push", "sent", "1"]]
    assert client.get("/admin/analytics/notifications/nope.csv").status_code == 404
    assert client.get("/admin/analytics/nope").status_code == 404
    retention = client.get("/admin/analytics/retention/cohorts.csv?end=2026-03-31")
    assert retention.status_code == 200 and "Sign-up week" in retention.text
