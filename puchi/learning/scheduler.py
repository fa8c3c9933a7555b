"""Spaced repetition with FSRS (the ``fsrs`` package): one card per learner and item."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any, cast

from fsrs import Card as FsrsCard
from fsrs import Rating, Scheduler, State

from puchi.learning.grading import Verdict
from puchi.learning.models import Card, Item

if TYPE_CHECKING:
    from fsrs.card import CardDict

# Production exercises take longer than recognition ones: the time a fluent answer needs grows with length.
QUICK_ANSWER_BASE_MS = 3_000
QUICK_ANSWER_PER_CHAR_MS = 250
RECOGNITION_TYPES = {"choose_translation", "match_pairs"}


@cache
def scheduler(desired_retention: float) -> Scheduler:
    # No fuzzing: the same answers give the same schedule, which tests (and learners comparing notes) expect.
    return Scheduler(desired_retention=desired_retention, enable_fuzzing=False)


def rating_for(verdict: Verdict, exercise_type: str, duration_ms: int, answer_length: int) -> Rating:
    """Correctness sets the rating; a slow correct answer is Hard, a quick typed one is Easy."""
    if verdict is Verdict.WRONG:
        return Rating.Again
    if verdict is Verdict.ALMOST:
        return Rating.Hard
    quick = QUICK_ANSWER_BASE_MS + QUICK_ANSWER_PER_CHAR_MS * answer_length
    if duration_ms > 3 * quick:
        return Rating.Hard
    if exercise_type not in RECOGNITION_TYPES and 0 < duration_ms < quick:
        return Rating.Easy
    return Rating.Good


def new_card(user_id: int, item: Item, at: datetime) -> Card:
    fsrs_card = FsrsCard(card_id=item.id, due=at)
    return Card(user_id=user_id, item_id=item.id, course_id=item.course_id, skill_id=item.skill_id,
                fsrs=fsrs_card.to_dict(), due_at=at, reviews=0, lapses=0, correct_streak=0)


def review(card: Card, rating: Rating, at: datetime, desired_retention: float) -> None:
    """Update the card in place with one review."""
    before = FsrsCard.from_dict(_stored(card))
    after, _ = scheduler(desired_retention).review_card(before, rating, review_datetime=at)
    card.fsrs = dict(after.to_dict())
    card.due_at = after.due
    card.stability = after.stability
    card.difficulty = after.difficulty
    card.reviews = (card.reviews or 0) + 1
    card.last_reviewed_at = at
    if rating == Rating.Again:
        card.correct_streak = 0
        if before.state == State.Review:
            card.lapses = (card.lapses or 0) + 1
    else:
        card.correct_streak = (card.correct_streak or 0) + 1


def retrievability(card: Card, at: datetime, desired_retention: float = 0.9) -> float:
    """The chance the learner remembers the item now (0..1); a card never reviewed counts as 0."""
    if not card.reviews:
        return 0.0
    return float(scheduler(desired_retention).get_card_retrievability(FsrsCard.from_dict(_stored(card)), at))


def knowledge_level(card: Card | None) -> int:
    """How well an item is known, to pick the exercise: 0 new, 1 recognised, 2 recalled, 3 solid."""
    if card is None or not card.reviews:
        return 0
    stability = card.stability or 0.0
    if card.correct_streak >= 3 and stability >= 7:
        return 3
    if card.correct_streak >= 2 or stability >= 2:
        return 2
    if card.correct_streak >= 1:
        return 1
    return 0


def _stored(card: Card) -> CardDict:
    # The card's FSRS state is kept as the JSON that fsrs's own to_dict() made.
    state: dict[str, Any] = card.fsrs
    return cast("CardDict", state)
