"""Answers stored before ratings were kept (migration 0020) get their review kind and FSRS rating from what is
stored, by the rule live answers follow: the backfill, in batches, idempotent, from a chore or a command."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select, update

from puchi.core import periodic
from puchi.core.db import action, db
from puchi.learning import backfill
from puchi.learning.models import REVIEW_DUE, REVIEW_FIRST, REVIEW_PRACTICE, Attempt, Card
from tests.conftest import AuthActions, post_form
from tests.learning.conftest import (
    SPANISH,
    answer,
    first_skill_id,
    lesson_state,
    right_answer,
    start_lesson,
    wrong_answer,
)

MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def history(logged_in, spanish, app):
    """A learner's lesson on Monday (a hint opened, some wrong answers) and a practice the day their words fall
    due; returns every answer's live labels by attempt id."""
    with time_machine.travel(MONDAY, tick=False):
        client, user = logged_in()
        assert post_form(client, "/courses", {}, action=f"/courses/{spanish}/enroll").status_code == 302
        _play(app, client, start_lesson(client, first_skill_id(app)), wrong_at={2, 5}, hinted_at={0, 3})
    with app.app_context():
        latest_due = max(db.session.scalars(select(Card.due_at)))
    with time_machine.travel(latest_due + timedelta(hours=1), tick=False):
        assert AuthActions(client).log_in(user.email).status_code == 302
        response = post_form(client, f"/courses/{SPANISH}", {}, action=f"/courses/{SPANISH}/practice")
        _play(app, client, int(re.search(r"/lessons/(\d+)", response.headers["Location"]).group(1)),
              wrong_at={1}, hinted_at={4})
    live = _labels(app)
    kinds = {kind for kind, _rating in live.values()}
    assert {REVIEW_FIRST, REVIEW_DUE, REVIEW_PRACTICE} <= kinds
    assert {rating for _kind, rating in live.values()} >= {1, 2, 3}
    return live


def _play(app, client, session_id, wrong_at=(), hinted_at=()):
    for _ in range(80):
        session = lesson_state(app, session_id)
        if session.status == "completed":
            return
        step, index = session.steps[session.position], session.position
        data = wrong_answer(app, step) if index in wrong_at else right_answer(app, step)
        if index in hinted_at:
            data = {**data, "hinted": "1"}
        assert answer(client, session_id, index, data).status_code == 200
    raise AssertionError("the lesson did not end")


def _labels(app):
    with app.app_context():
        return {a.id: (a.review_kind, a.rating) for a in db.session.scalars(select(Attempt).order_by(Attempt.id))}


def _forget(app, before=None):
    """Labels as they were before 0020 (every answer practice, no rating), for answers made before ``before``."""
    with app.app_context(), action():
        query = update(Attempt).values(review_kind=REVIEW_PRACTICE, rating=None)
        if before is not None:
            query = query.where(Attempt.created_at < before)
        db.session.execute(query)


def test_the_backfill_derives_the_labels_live_answers_got_in_bounded_batches(app, history):
    _forget(app)
    assert set(_labels(app).values()) == {(REVIEW_PRACTICE, None)}
    with app.app_context():
        pairs = len(backfill.pending_pairs(1_000))
        sizes = []
        while done := backfill.backfill_batch(2):
            sizes.append(done)
    assert pairs > 2 and sum(sizes) == pairs and max(sizes) == 2  # every pair once, two per transaction
    assert _labels(app) == history
    with app.app_context():
        assert backfill.pending_pairs(1_000) == []
        assert backfill.backfill_batch(2) == 0  # idempotent: nothing left, nothing changed
    assert _labels(app) == history


def test_answers_after_0020_keep_their_labels_and_the_older_ones_get_theirs(app, history):
    _forget(app, before=MONDAY + timedelta(hours=12))  # Monday's answers are old, the practice's live
    with app.app_context():
        assert backfill.backfill_all(batch=3) > 0
    assert _labels(app) == history


def test_the_chore_backfills_a_batch_a_minute_and_then_rests(app, history):
    _forget(app)
    with app.app_context():
        app.extensions.pop(backfill._DONE, None)  # a chore of another test's run may have found nothing left
        periodic.run_chores(datetime.now(UTC))
    assert _labels(app) == history
    with app.app_context():
        assert periodic.run_chores(datetime.now(UTC))["backfill ratings"] == 0
        assert app.extensions[backfill._DONE]


def test_the_command_backfills_everything_left(app, history):
    _forget(app)
    with app.app_context():  # as ``flask puchi backfill-ratings`` runs it
        result = app.test_cli_runner().invoke(args=["puchi", "backfill-ratings", "--batch", "4"])
    assert result.exit_code == 0, result.output
    assert re.search(r"backfilled the answers of \d+ \(learner, item\) pair", result.output)
    assert _labels(app) == history
    with app.app_context():
        again = app.test_cli_runner().invoke(args=["puchi", "backfill-ratings"])
    assert "of 0 (learner, item) pair" in again.output
