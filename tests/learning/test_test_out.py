"""A passed test-out rates what it covered Easy in FSRS, once per learner-day and only when the card is new or
due, like every review (``scheduler.review_test_out``; ``test_outs`` applies it to a unit's "jump here" test)."""

from datetime import UTC, datetime, timedelta

from puchi.learning import scheduler
from puchi.learning.grading import Verdict
from puchi.learning.models import REVIEW_DUE, REVIEW_FIRST, REVIEW_PRACTICE, Item

MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _test_out(card, at, timezone="UTC"):
    return scheduler.review_test_out(card, at=at, timezone=timezone, desired_retention=0.9)


def _good_review(at):
    card = scheduler.new_card(1, Item(id=7, course_id=1, skill_id=1), at)
    scheduler.review_answer(card, Verdict.CORRECT, "translate", 2000, 4, hinted=False, at=at,
                            timezone="UTC", desired_retention=0.9)
    return card


def test_a_test_out_rates_a_new_card_easy_far_beyond_a_good_answer():
    card = scheduler.new_card(1, Item(id=7, course_id=1, skill_id=1), MONDAY)
    assert _test_out(card, MONDAY) == REVIEW_FIRST
    assert card.reviews == 1
    # Easy: FSRS's first stability for Easy (about 8 days), far beyond Good's (about 2).
    assert card.stability > 5 and card.due_at >= MONDAY + timedelta(days=5)
    assert card.stability > 2 * _good_review(MONDAY).stability


def test_a_second_test_out_the_same_learner_day_changes_nothing():
    card = scheduler.new_card(1, Item(id=7, course_id=1, skill_id=1), MONDAY)
    _test_out(card, MONDAY)
    before = (card.reviews, card.due_at, card.stability)
    assert _test_out(card, MONDAY + timedelta(hours=3)) == REVIEW_PRACTICE
    assert (card.reviews, card.due_at, card.stability) == before


def test_a_card_not_yet_due_is_left_alone_and_a_due_one_is_reviewed():
    card = scheduler.new_card(1, Item(id=7, course_id=1, skill_id=1), MONDAY)
    _test_out(card, MONDAY)
    due = card.due_at
    assert _test_out(card, due - timedelta(days=2)) == REVIEW_PRACTICE
    assert _test_out(card, due + timedelta(hours=1)) == REVIEW_DUE
    assert card.reviews == 2 and card.due_at > due + timedelta(days=10)
