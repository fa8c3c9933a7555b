"""Spaced repetition: every answer updates the item's FSRS card; the learner's retention target counts."""

from datetime import UTC, datetime, timedelta

import pytest
from fsrs import Rating

from puchi.learning import scheduler
from puchi.learning.grading import Verdict
from puchi.learning.models import Item


def _item() -> Item:
    return Item(id=7, course_id=1, skill_id=1, kind="word", text="perro", translation="dog")


@pytest.mark.parametrize(
    ("verdict", "exercise", "duration_ms", "rating"),
    [
        (Verdict.WRONG, "translate", 2_000, Rating.Again),
        (Verdict.ALMOST, "translate", 2_000, Rating.Hard),
        (Verdict.CORRECT, "translate", 2_000, Rating.Easy),
        (Verdict.CORRECT, "choose_translation", 2_000, Rating.Good),
        (Verdict.CORRECT, "translate", 6_000, Rating.Good),
        (Verdict.CORRECT, "translate", 60_000, Rating.Hard),
    ],
)
def test_the_rating_follows_correctness_and_response_time(verdict, exercise, duration_ms, rating):
    assert scheduler.rating_for(verdict, exercise, duration_ms, answer_length=3) == rating


def test_a_review_moves_the_due_date_and_a_lapse_brings_it_back():
    start = datetime(2026, 1, 5, 9, tzinfo=UTC)
    card = scheduler.new_card(1, _item(), start)
    for day in range(4):
        scheduler.review(card, Rating.Good, start + timedelta(days=day * 3), 0.9)
    assert card.due_at > start + timedelta(days=12)
    assert card.reviews == 4 and card.correct_streak == 4 and card.stability > 2

    long_due = card.due_at
    scheduler.review(card, Rating.Again, start + timedelta(days=13), 0.9)
    assert card.due_at < long_due
    assert card.correct_streak == 0 and card.lapses == 1


def test_a_higher_retention_target_brings_words_back_sooner():
    start = datetime(2026, 1, 5, 9, tzinfo=UTC)
    relaxed, thorough = scheduler.new_card(1, _item(), start), scheduler.new_card(1, _item(), start)
    for day in range(3):
        scheduler.review(relaxed, Rating.Good, start + timedelta(days=day * 2), 0.8)
        scheduler.review(thorough, Rating.Good, start + timedelta(days=day * 2), 0.95)
    assert thorough.due_at < relaxed.due_at


def test_retrievability_is_high_after_a_review_and_fades():
    start = datetime(2026, 1, 5, 9, tzinfo=UTC)
    card = scheduler.new_card(1, _item(), start)
    assert scheduler.retrievability(card, start) == 0.0
    scheduler.review(card, Rating.Good, start, 0.9)
    soon = scheduler.retrievability(card, start + timedelta(hours=1))
    later = scheduler.retrievability(card, start + timedelta(days=30))
    assert 0.9 < soon <= 1.0 and later < soon


def test_the_exercise_gets_harder_as_the_item_is_known():
    start = datetime(2026, 1, 5, 9, tzinfo=UTC)
    card = scheduler.new_card(1, _item(), start)
    levels = [scheduler.knowledge_level(None), scheduler.knowledge_level(card)]
    for day in (0, 2, 8, 30):
        scheduler.review(card, Rating.Good, start + timedelta(days=day), 0.9)
        levels.append(scheduler.knowledge_level(card))
    assert levels == sorted(levels) and levels[0] == 0 and levels[-1] == 3
