"""What FSRS hears of a learner's answers: one review per item per day of their calendar, the rest practice;
hints recorded and lowering the rating."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from puchi.core.db import db
from puchi.learning.models import REVIEW_DUE, REVIEW_FIRST, REVIEW_PRACTICE, Attempt, Card
from tests.conftest import AuthActions, post_form
from tests.learning.conftest import SPANISH, answer, first_skill_id, lesson_state, right_answer, start_lesson

MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def learner(logged_in, spanish):
    """A learner enrolled on MONDAY (the clock is travelled: sign in again on later days with ``_sign_in``)."""
    with time_machine.travel(MONDAY, tick=False):
        client, user = logged_in()
        assert post_form(client, "/courses", {}, action=f"/courses/{spanish}/enroll").status_code == 302
    return client, user


def _sign_in(client, user):
    assert AuthActions(client).log_in(user.email).status_code == 302


def _play(app, client, session_id, extra=None):
    for _ in range(60):
        session = lesson_state(app, session_id)
        if session.status == "completed":
            return session
        step = session.steps[session.position]
        data = {**right_answer(app, step), **(extra or {})}
        assert answer(client, session_id, session.position, data).status_code == 200
    raise AssertionError("the lesson did not end")


def _attempts(app):
    with app.app_context():
        return [(a.item_id, a.review_kind, a.rating, a.hinted, a.exercise_type)
                for a in db.session.scalars(select(Attempt).order_by(Attempt.id))]


def _cards(app):
    with app.app_context():
        return {c.item_id: (c.reviews, c.due_at) for c in db.session.scalars(select(Card))}


def test_each_item_is_reviewed_once_on_its_first_day_and_its_later_sights_are_practice(app, learner):
    client, _ = learner
    with time_machine.travel(MONDAY, tick=False):
        _play(app, client, start_lesson(client, first_skill_id(app)))
    attempts = [a for a in _attempts(app) if a[0] is not None]
    by_item: dict[int, list[tuple[str, int | None]]] = {}
    for item_id, kind, rating, _hinted, _type in attempts:
        by_item.setdefault(item_id, []).append((kind, rating))
    for answers in by_item.values():
        assert answers[0][0] == REVIEW_FIRST and answers[0][1] in (2, 3)  # Hard or Good, never Easy
        assert all(kind == REVIEW_PRACTICE and rating is None for kind, rating in answers[1:])
    assert any(kind == REVIEW_PRACTICE for _i, kind, *_ in attempts)  # new words come twice in a lesson
    cards = _cards(app)
    assert all(reviews == 1 for reviews, _due in cards.values())
    assert all(due >= MONDAY + timedelta(days=1) for _reviews, due in cards.values())


def test_practising_the_same_day_leaves_the_cards_as_they_were(app, learner):
    client, user = learner
    with time_machine.travel(MONDAY, tick=False):
        _play(app, client, start_lesson(client, first_skill_id(app)))
        before = _cards(app)
        seen = len(_attempts(app))
    with time_machine.travel(MONDAY + timedelta(hours=13), tick=False):  # 22:00, the same day
        _sign_in(client, user)
        response = post_form(client, f"/courses/{SPANISH}", {}, action=f"/courses/{SPANISH}/practice")
        session_id = int(re.search(r"/lessons/(\d+)", response.headers["Location"]).group(1))
        _play(app, client, session_id)
    later = [a for a in _attempts(app)[seen:] if a[0] is not None]
    assert later and all(kind == REVIEW_PRACTICE and rating is None for _i, kind, rating, *_ in later)
    assert _cards(app) == before


def test_a_due_item_is_reviewed_the_day_it_falls_due_once(app, learner):
    client, user = learner
    with time_machine.travel(MONDAY, tick=False):
        _play(app, client, start_lesson(client, first_skill_id(app)))
        seen = len(_attempts(app))
    latest_due = max(due for _r, due in _cards(app).values())
    with time_machine.travel(latest_due + timedelta(hours=1), tick=False):
        _sign_in(client, user)
        response = post_form(client, f"/courses/{SPANISH}", {}, action=f"/courses/{SPANISH}/practice")
        session_id = int(re.search(r"/lessons/(\d+)", response.headers["Location"]).group(1))
        _play(app, client, session_id)
    later = [a for a in _attempts(app)[seen:] if a[0] is not None]
    reviewed = [item_id for item_id, kind, *_ in later if kind == REVIEW_DUE]
    assert reviewed and len(reviewed) == len(set(reviewed))  # one review per item that day
    assert all(_cards(app)[item_id][0] == 2 for item_id in reviewed)


def test_a_hint_opened_is_recorded_and_makes_a_right_answer_hard(app, learner):
    client, _ = learner
    with time_machine.travel(MONDAY, tick=False):
        session_id = start_lesson(client, first_skill_id(app))
        step = lesson_state(app, session_id).steps[0]
        assert answer(client, session_id, 0, {**right_answer(app, step), "hinted": "1"}).status_code == 200
        step = lesson_state(app, session_id).steps[1]
        assert answer(client, session_id, 1, right_answer(app, step)).status_code == 200  # no field: no hint
    (first, second) = _attempts(app)[:2]
    assert first[1:4] == (REVIEW_FIRST, 2, True)  # Hard
    assert second[3] is False and second[2] in (3, None)


def test_the_lesson_page_carries_the_hint_field_the_player_sets(app, learner):
    client, _ = learner
    with time_machine.travel(MONDAY, tick=False):
        session_id = start_lesson(client, first_skill_id(app))
        page = client.get(f"/lessons/{session_id}").text
    assert re.search(r'<input type="hidden" name="hinted" value="" data-hinted>', page)
