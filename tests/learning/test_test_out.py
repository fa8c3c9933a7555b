"""A passed test-out rates the items it covered Easy in FSRS, once per learner-day, like every review."""

from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import select

from puchi.accounts.models import User
from puchi.core.db import action, db
from puchi.learning import lessons
from puchi.learning.models import Card, Item
from tests.conftest import post_form
from tests.learning.conftest import first_skill_id

MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _credit(app, user_id, item_ids, at):
    with app.app_context(), time_machine.travel(at, tick=False), action():
        user = db.session.get(User, user_id)
        items = list(db.session.scalars(select(Item).where(Item.id.in_(item_ids))))
        return lessons.credit_test_out(user, items, at)


def _cards(app, item_ids):
    with app.app_context():
        return {c.item_id: (c.reviews, c.due_at, c.stability)
                for c in db.session.scalars(select(Card).where(Card.item_id.in_(item_ids)))}


def test_a_passed_test_out_rates_the_items_it_covered_easy_once_a_learner_day(app, logged_in, spanish):
    with time_machine.travel(MONDAY, tick=False):
        client, user = logged_in()
        assert post_form(client, "/courses", {}, action=f"/courses/{spanish}/enroll").status_code == 302
    with app.app_context():
        skill_items = list(db.session.scalars(select(Item.id).where(Item.skill_id == first_skill_id(app, position=1))
                                              .order_by(Item.position)))[:4]
    kinds = _credit(app, user.id, skill_items, MONDAY)
    assert kinds == dict.fromkeys(skill_items, "first")
    cards = _cards(app, skill_items)
    assert all(reviews == 1 for reviews, _due, _s in cards.values())
    # Easy: FSRS's first stability for Easy (about 8 days), far beyond Good's (about 2).
    assert all(stability > 5 and due >= MONDAY + timedelta(days=5) for _r, due, stability in cards.values())

    assert _credit(app, user.id, skill_items, MONDAY + timedelta(hours=3)) == dict.fromkeys(skill_items, "practice")
    assert _cards(app, skill_items) == cards  # once a learner-day: the second test-out that day changes nothing

    due = max(due for _r, due, _s in cards.values())
    assert set(_credit(app, user.id, skill_items, due + timedelta(hours=1)).values()) == {"due"}
    later = _cards(app, skill_items)
    assert all(later[i][0] == 2 and later[i][1] > cards[i][1] + timedelta(days=10) for i in skill_items)
