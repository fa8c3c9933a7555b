"""The usage page's lesson figures come from learning's per-learner, per-day rollup (``lesson_learner_days``),
kept by the lesson player in the transaction that starts or completes a session: they must equal a count over
the sessions themselves, whatever the edge (a lesson that crosses midnight, a learner on several days,
lessons never finished, offline lessons synced a day later, the range's first and last moments, an account
erased), and the page must cost the same number of queries however much there is to count."""

from __future__ import annotations

import csv
import io
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from puchi.accounts import deletion
from puchi.accounts.models import User
from puchi.core.db import db
from puchi.core.periods import Range
from puchi.learning import exercises, lessons
from puchi.learning import services as learning
from puchi.learning.models import LessonLearnerDay, LessonSession
from tests.accounts.mfa_support import enrol_totp
from tests.learning.conftest import SPANISH, first_skill_id, right_answer, spanish  # noqa: F401 - fixture
from tests.learning.test_query_counts import counting_queries

FIRST, LAST = date(2026, 3, 2), date(2026, 3, 31)
DAYS = Range(FIRST, LAST)
QUERY = f"start={FIRST.isoformat()}&end={LAST.isoformat()}"


def _at(day: date, hour: int = 12, minute: int = 0, second: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=UTC)


@contextmanager
def _clock(moment: datetime):
    with time_machine.travel(moment, tick=False):
        yield


def _user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    assert user is not None
    return user


def _start(app, user_id: int, at: datetime, *, practice: bool = False) -> int:
    with _clock(at), app.app_context():
        user = _user(user_id)
        session = (lessons.start_practice(user, SPANISH) if practice
                   else lessons.start_lesson(user, first_skill_id(app)))
        return session.id


def _finish(app, user_id: int, session_id: int, at: datetime) -> None:
    """Answer every step right at ``at`` until the session is completed."""
    with _clock(at), app.app_context():
        user = _user(user_id)
        for _ in range(80):
            session = lessons.get_session_for(user, session_id)
            if session.status == lessons.COMPLETED:
                return
            step = session.steps[session.position]
            data = right_answer(app, step)
            pairs = [data[k] for k in sorted(data) if k.startswith("pair_")] if step.type is exercises.MATCH else None
            lessons.submit_answer(user, session_id, session.position, data.get("answer", ""), pairs=pairs,
                                  duration_ms=3000)
        raise AssertionError("the lesson did not end")


def _sync_offline(app, user_id: int, session_id: int, at: datetime) -> None:
    with _clock(at), app.app_context():
        user = _user(user_id)
        steps = lessons.get_session_for(user, session_id).steps
        answers = []
        for index, step in enumerate(steps):
            data = right_answer(app, step)
            pairs = [data[k] for k in sorted(data) if k.startswith("pair_")] or None
            answers.append(lessons.OfflineAnswer(step=index, answer=data.get("answer", ""), answered_at=at,
                                                 duration_ms=3000, pairs=pairs))
        assert lessons.apply_offline(user, session_id, "offline-1", answers).status == lessons.COMPLETED


@pytest.fixture
def usage_world(app, make_user, spanish):  # noqa: F811
    """Learners whose lessons sit on the edges the figures must get right."""
    root = make_user("root@example.com", role="admin")
    enrol_totp(app, root.id)
    people = {name: make_user(f"{name}@example.com", display_name=name.title()).id
              for name in ("night", "regular", "slow", "quitter", "offline", "early", "late", "erased", "outside")}
    with app.app_context():
        for user_id in people.values():
            learning.enroll(_user(user_id), spanish)
        db.session.remove()

    # A lesson begun a few seconds before midnight and finished after it: started and completed on the 10th.
    night = _start(app, people["night"], _at(date(2026, 3, 10), 23, 59, 55))
    _finish(app, people["night"], night, _at(date(2026, 3, 11), 0, 0, 20))
    # Active on several days, twice on one of them (a lesson, then a practice), one lesson left unfinished.
    for day in (date(2026, 3, 11), date(2026, 3, 12), date(2026, 3, 20)):
        _finish(app, people["regular"], _start(app, people["regular"], _at(day, 8)), _at(day, 8, 5))
    _finish(app, people["regular"], _start(app, people["regular"], _at(date(2026, 3, 12), 9), practice=True),
            _at(date(2026, 3, 12), 9, 5))
    _start(app, people["regular"], _at(date(2026, 3, 25), 18))  # abandoned
    # A practice begun on the 6th is finished on the 9th, after a lesson begun and finished on the 8th: the
    # 8th's row no longer has the first completion since the 4th.
    _finish(app, people["slow"], _start(app, people["slow"], _at(date(2026, 3, 4), 8)), _at(date(2026, 3, 4), 8, 5))
    practice = _start(app, people["slow"], _at(date(2026, 3, 6), 8), practice=True)
    _finish(app, people["slow"], _start(app, people["slow"], _at(date(2026, 3, 8), 8)), _at(date(2026, 3, 8), 8, 5))
    _finish(app, people["slow"], practice, _at(date(2026, 3, 9), 8))
    # Starts a lesson and never finishes it; coming back two days later resumes the same session.
    quitter = _start(app, people["quitter"], _at(date(2026, 3, 15), 7))
    assert _start(app, people["quitter"], _at(date(2026, 3, 17), 7)) == quitter
    # Two lessons downloaded on the 18th; one synced on the 19th (counted on the 18th, when it began).
    with _clock(_at(date(2026, 3, 18), 21)), app.app_context():
        downloaded = [s.id for s in lessons.prepare_offline(_user(people["offline"]), SPANISH)]
    assert len(downloaded) == 2
    _sync_offline(app, people["offline"], downloaded[0], _at(date(2026, 3, 19), 6))
    # The range's very first and very last moments are in it; the moments around them are not.
    _finish(app, people["early"], _start(app, people["early"], _at(FIRST, 0, 0, 0)), _at(FIRST, 0, 3))
    _finish(app, people["late"], _start(app, people["late"], _at(LAST, 23, 59, 59)),
            _at(LAST + timedelta(days=1), 0, 1))
    _finish(app, people["outside"], _start(app, people["outside"], _at(FIRST - timedelta(days=1), 23, 59, 59)),
            _at(FIRST, 0, 2))
    _start(app, people["outside"], _at(LAST + timedelta(days=1), 0, 0, 0))
    # An erased account's sessions go, and so do its rollup rows.
    _finish(app, people["erased"], _start(app, people["erased"], _at(date(2026, 3, 16), 10)),
            _at(date(2026, 3, 16), 10, 5))
    with app.app_context():
        with _clock(_at(date(2026, 3, 27))):
            from puchi.core.db import action

            with action():
                _user(people["erased"]).deletion_due_at = _at(date(2026, 3, 27))
            deletion.erase_account(people["erased"])
        db.session.remove()
    return {"root": root.id, **people}


def _raw(days: Range):
    """The figures counted over the sessions themselves (what the rollup must reproduce)."""
    starts: dict[date, int] = {}
    completions: dict[date, int] = {}
    started: set[int] = set()
    completed: set[int] = set()
    for session in db.session.scalars(select(LessonSession)):
        day = session.started_at.astimezone(UTC).date()
        if not days.first <= day <= days.last:
            continue
        starts[day] = starts.get(day, 0) + 1
        completions[day] = completions.get(day, 0) + (session.completed_at is not None)
        started.add(session.user_id)
        if session.completed_at is not None:
            completed.add(session.user_id)
    return starts, completions, len(started), len(completed)


def test_the_rollup_equals_a_count_over_the_sessions(app, usage_world):
    with app.app_context():
        root = _user(usage_world["root"])
        ranges = [DAYS, Range(date(2026, 1, 1), date(2026, 3, 1)), Range(date(2026, 3, 31), date(2026, 4, 1))]
        ranges += [Range(FIRST + timedelta(days=n), LAST) for n in range(1, 30, 2)]  # each learner's first day moves
        ranges += [Range(FIRST, FIRST + timedelta(days=n)) for n in range(0, 30, 3)]
        for days in ranges:
            raw_starts, raw_completions, learners_started, learners_completed = _raw(days)
            figures = learning.lesson_activity(root, days)
            assert figures.starts == raw_starts, days
            assert figures.completions == raw_completions, days
            assert (figures.learners_started, figures.learners_completed) == (learners_started, learners_completed)

        # What the fixture made, spelled out, so an error in the raw count above cannot hide one in the rollup.
        figures = learning.lesson_activity(root, DAYS)
        slow = {date(2026, 3, 4): 1, date(2026, 3, 6): 1, date(2026, 3, 8): 1}
        assert figures.starts == {FIRST: 1, date(2026, 3, 10): 1, date(2026, 3, 11): 1, date(2026, 3, 12): 2,
                                  date(2026, 3, 15): 1, date(2026, 3, 18): 2, date(2026, 3, 20): 1,
                                  date(2026, 3, 25): 1, LAST: 1, **slow}
        assert figures.completions == {FIRST: 1, date(2026, 3, 10): 1, date(2026, 3, 11): 1, date(2026, 3, 12): 2,
                                       date(2026, 3, 15): 0, date(2026, 3, 18): 1, date(2026, 3, 20): 1,
                                       date(2026, 3, 25): 0, LAST: 1, **slow}
        # night, regular, slow, quitter, offline, early, late started; all but quitter completed one
        assert (figures.learners_started, figures.learners_completed) == (7, 6)
        later = learning.lesson_activity(root, Range(date(2026, 3, 5), LAST))
        # early is out; slow counts once (on the 6th), not again on the 8th
        assert (later.learners_started, later.learners_completed) == (6, 5)
        # The erased learner left nothing behind, in the sessions or in the rollup.
        assert not db.session.scalars(select(LessonLearnerDay).where(
            LessonLearnerDay.user_id == usage_world["erased"])).all()
        assert not db.session.scalars(select(LessonSession).where(
            LessonSession.user_id == usage_world["erased"])).all()


def _csv(client, table: str) -> list[list[str]]:
    response = client.get(f"/admin/analytics/usage/{table}.csv?{QUERY}")
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.text)))


def test_the_page_shows_the_same_figures_as_the_sessions(app, staff_client, usage_world):
    client, _ = staff_client("admin", email="boss@example.com")
    with app.app_context():
        raw_starts, raw_completions, learners_started, learners_completed = _raw(DAYS)
    daily = _csv(client, "daily")
    header, rows = daily[0], daily[1:]
    assert len(rows) == 30
    start_col, done_col = header.index("Lessons started"), header.index("Lessons completed")
    assert {date.fromisoformat(r[0]): int(r[start_col]) for r in rows if int(r[start_col])} == raw_starts
    assert {date.fromisoformat(r[0]): int(r[done_col]) for r in rows if int(r[start_col])} == raw_completions
    funnel = {row[0]: row[1] for row in _csv(client, "funnel")[1:]}
    assert funnel["Learners who started a lesson"] == str(learners_started)
    assert funnel["Learners who completed a lesson"] == str(learners_completed)
    assert funnel["Lessons started"] == str(sum(raw_starts.values()))
    assert funnel["Lessons completed"] == str(sum(raw_completions.values()))


def test_the_usage_page_costs_the_same_queries_whatever_the_data(app, staff_client, make_user, usage_world):
    client, _ = staff_client("admin", email="boss@example.com")
    client.get(f"/admin/analytics?{QUERY}")  # warm: anything loaded once per process

    def page_queries(query: str) -> int:
        with counting_queries(app) as statements:
            assert client.get(f"/admin/analytics?{query}").status_code == 200
        return len(statements)

    week, quarter = "start=2026-03-25&end=2026-03-31", "start=2026-01-01&end=2026-03-31"
    before = {q: page_queries(q) for q in (QUERY, week, quarter)}
    assert before[QUERY] == before[week] == before[quarter]
    with app.app_context():
        spanish_slug = SPANISH
        for n in range(3):
            learner = make_user(f"more{n}@example.com")
            learning.enroll(_user(learner.id), spanish_slug)
            db.session.remove()
            for day in (date(2026, 3, 3 + n), date(2026, 3, 21 + n)):
                _finish(app, learner.id, _start(app, learner.id, _at(day, 9)), _at(day, 9, 5))
    assert {q: page_queries(q) for q in (QUERY, week, quarter)} == before
