"""Each answer to an item is also counted in the per-item, per-day rollup the staff's accuracy figures read."""

from __future__ import annotations

from sqlalchemy import select

from puchi.core.db import db
from puchi.learning.models import Attempt, ItemDayStats
from tests.learning.conftest import (
    answer,
    first_skill_id,
    lesson_state,
    right_answer,
    start_lesson,
    wrong_answer,
)


def test_answers_are_counted_per_item_and_day(app, learner):
    client, _ = learner
    session_id = start_lesson(client, first_skill_id(app))
    for n in range(4):
        session = lesson_state(app, session_id)
        step = session.steps[session.position]
        data = right_answer(app, step) if n % 2 == 0 else wrong_answer(app, step)
        assert answer(client, session_id, session.position, data).status_code in (200, 302)
    with app.app_context():
        counted: dict[int, list[int]] = {}
        for item_id, verdict in db.session.execute(select(Attempt.item_id, Attempt.verdict)
                                                   .where(Attempt.item_id.is_not(None))):
            counted.setdefault(item_id, [0, 0])
            counted[item_id][0] += 1
            counted[item_id][1] += verdict in ("correct", "almost")
        rolled = {row.item_id: [row.attempts, row.correct] for row in db.session.scalars(select(ItemDayStats))}
        assert counted and any(correct for _, correct in counted.values()), "no right answer to an item recorded"
        assert counted == rolled
