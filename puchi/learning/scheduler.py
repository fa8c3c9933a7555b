"""Spaced repetition with FSRS (the ``fsrs`` package): one card per learner and item.

The rules (issue 13, each has a test in ``tests/learning/test_scheduler.py``):

- **One review per item per learner-day.** The first answer about an item on a day of the learner's calendar
  (their time zone) is an FSRS review; later answers that day are *practice*: recorded as attempts, never fed to
  FSRS. So a new word met twice in one lesson is not graduated to a two-day interval by its second sight.
- **Only due items are reviewed.** An answer about an item that is not due yet (a lesson filled up with it) is
  practice too. Due is compared in the learner's days: an item due today at 23:00 is due this morning.
- **No learning steps.** FSRS's minute-scale steps assume several reviews a day; with one a day the first rating
  sets the first interval directly (Again → tomorrow).
- **Ratings by what the exercise shows.** Recognition (pick among choices, match pairs) proves less than
  production (typing, arranging, saying): a right pick is Hard once the card has been reviewed (a forgotten item
  is picked right by a guess one time in four), Good only at the card's first review (after its teach card);
  a right production is Good; a wrong answer is Again; an "almost", a hint opened, or a very slow typed answer
  is Hard. Speed never gives Easy: only a passed test-out does (:func:`review_test_out`).
- **Fuzzing on, reproducibly:** intervals of three days or more spread over FSRS's fuzz range, with the spread
  drawn from the card's id and review count, so the same answers give the same schedule.
- **Parameters per learner:** :func:`review` takes the learner's fitted FSRS weights when they have some
  (``fitting.py``), else the course's, else FSRS's defaults.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fsrs import Card as FsrsCard
from fsrs import Rating, Scheduler, State
from fsrs.scheduler import FUZZ_RANGES

from puchi.learning.grading import Verdict
from puchi.learning.models import REVIEW_DUE, REVIEW_FIRST, REVIEW_PRACTICE, Card, Item

if TYPE_CHECKING:
    from fsrs.card import CardDict

# A typed answer slower than three times this is Hard: a fluent answer's time grows with its length.
QUICK_ANSWER_BASE_MS = 3_000
QUICK_ANSWER_PER_CHAR_MS = 250
RECOGNITION_TYPES = frozenset({"choose_translation", "match_pairs"})
MAXIMUM_INTERVAL = 36_500
RECOGNITION_IS_WEAK = True

Weights = tuple[float, ...]


# --- The learner's calendar ---------------------------------------------------------------------------------

@lru_cache(maxsize=512)
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_day(at: datetime, timezone: str) -> date:
    """The calendar day of ``at`` where the learner lives (an unknown zone counts as UTC)."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(_zone(timezone)).date()


def day_end(at: datetime, timezone: str) -> datetime:
    """The instant (UTC) the learner's day of ``at`` ends: cards due before it are due that day (for queries)."""
    zone = _zone(timezone)
    tomorrow = local_day(at, timezone) + timedelta(days=1)
    return datetime(tomorrow.year, tomorrow.month, tomorrow.day, tzinfo=zone).astimezone(UTC)


def is_due(card: Card, at: datetime, timezone: str) -> bool:
    """Whether the card is due on the learner's day of ``at`` (a card never reviewed is always due)."""
    if not card.reviews:
        return True
    return local_day(card.due_at, timezone) <= local_day(at, timezone)


def counts_as_review(card: Card, at: datetime, timezone: str) -> bool:
    """Whether an answer about the card at ``at`` is an FSRS review (else it is practice): the card is new, or it
    is due and has not been reviewed yet that day."""
    if not card.reviews:
        return True
    if card.last_reviewed_at is not None and local_day(card.last_reviewed_at, timezone) == local_day(at, timezone):
        return False
    return is_due(card, at, timezone)


# --- Ratings -------------------------------------------------------------------------------------------------

def is_recognition(exercise_type: str) -> bool:
    return exercise_type in RECOGNITION_TYPES


def rating_for(verdict: Verdict, exercise_type: str, duration_ms: int, answer_length: int, *,
               hinted: bool = False, first: bool = False) -> Rating:
    """The FSRS rating of one answer. Never Easy: speed alone does not show an item is over-learned.

    A right pick among choices on a card met before is Hard, not Good: a forgotten item is still picked right by
    a lucky guess one time in four, so a recognition success is weaker evidence of recall than a typed one (rated
    Good, FSRS would stretch the interval on guesses and recall at due reviews would fall short of the target).
    ``first``: the card's first review (right after its teach card, the pick shows it was understood)."""
    if verdict is Verdict.WRONG:
        return Rating.Again
    if verdict is Verdict.ALMOST or hinted:
        return Rating.Hard
    if is_recognition(exercise_type) and not first and RECOGNITION_IS_WEAK:
        return Rating.Hard
    if not is_recognition(exercise_type):
        quick = QUICK_ANSWER_BASE_MS + QUICK_ANSWER_PER_CHAR_MS * answer_length
        if duration_ms > 3 * quick:
            return Rating.Hard
    return Rating.Good


def review_answer(card: Card, verdict: Verdict, exercise_type: str, duration_ms: int, answer_length: int, *,
                  hinted: bool, at: datetime, timezone: str, desired_retention: float,
                  weights: Sequence[float] | None = None) -> tuple[str, Rating]:
    """What FSRS makes of one answer, applied to ``card``: (the review kind, the rating). The kind is
    ``REVIEW_FIRST`` (a new card's first review), ``REVIEW_DUE`` (a due card's one review of the learner's day)
    or ``REVIEW_PRACTICE`` (the card is left alone; the rating is what it would have been).

    The one rule for live answers (``lessons``) and for the backfill of answers stored before ratings were kept
    (``backfill``), which replays a learner's answers on a transient card."""
    first = not card.reviews
    rating = rating_for(verdict, exercise_type, duration_ms, answer_length, hinted=hinted, first=first)
    return _counted(card, rating, at, timezone, desired_retention, weights), rating


def review_test_out(card: Card, *, at: datetime, timezone: str, desired_retention: float,
                    weights: Sequence[float] | None = None) -> str:
    """A passed test-out covered the card's item: Easy, the one rating speed never gives (the learner showed
    they know the item without studying it). Once per learner-day and only when due, like every review: the
    review kind, as :func:`review_answer` gives it."""
    return _counted(card, Rating.Easy, at, timezone, desired_retention, weights)


def _counted(card: Card, rating: Rating, at: datetime, timezone: str, desired_retention: float,
             weights: Sequence[float] | None) -> str:
    if not counts_as_review(card, at, timezone):
        return REVIEW_PRACTICE
    first = not card.reviews
    review(card, rating, at, desired_retention, weights)
    return REVIEW_FIRST if first else REVIEW_DUE


# --- Cards ---------------------------------------------------------------------------------------------------

@lru_cache(maxsize=256)
def scheduler(desired_retention: float, weights: Weights | None = None) -> Scheduler:
    """FSRS with no learning steps and no library fuzz (ours is seeded: :func:`_fuzzed`)."""
    options: dict[str, Any] = {"desired_retention": desired_retention, "learning_steps": (),
                               "relearning_steps": (), "enable_fuzzing": False,
                               "maximum_interval": MAXIMUM_INTERVAL}
    if weights is not None:
        options["parameters"] = weights
    return Scheduler(**options)


def new_card(user_id: int, item: Item, at: datetime) -> Card:
    fsrs_card = FsrsCard(card_id=item.id, due=at)
    return Card(user_id=user_id, item_id=item.id, course_id=item.course_id, skill_id=item.skill_id,
                fsrs=fsrs_card.to_dict(), due_at=at, reviews=0, lapses=0, correct_streak=0)


def review(card: Card, rating: Rating, at: datetime, desired_retention: float,
           weights: Sequence[float] | None = None) -> None:
    """Update the card in place with one FSRS review at ``at`` (UTC or aware)."""
    at = at.astimezone(UTC)
    before = FsrsCard.from_dict(_stored(card))
    after, _ = scheduler(desired_retention, tuple(weights) if weights else None).review_card(
        before, rating, review_datetime=at)
    if after.state == State.Review:
        after.due = at + _fuzzed(after.due - at, seed=(card.item_id, card.reviews or 0))
    card.fsrs = dict(after.to_dict())
    card.due_at = after.due
    card.stability = after.stability
    card.difficulty = after.difficulty
    card.reviews = (card.reviews or 0) + 1
    card.last_reviewed_at = at
    if rating == Rating.Again:
        card.correct_streak = 0
        if before.state in (State.Review, State.Relearning):
            card.lapses = (card.lapses or 0) + 1
    else:
        card.correct_streak = (card.correct_streak or 0) + 1


def _fuzzed(interval: timedelta, seed: tuple[int, int]) -> timedelta:
    """FSRS's fuzz range around the interval, the point in it drawn from ``seed`` (the card and its review)."""
    days = interval.days
    if days < 2.5:
        return interval
    delta = 1.0
    for fuzz in FUZZ_RANGES:
        delta += fuzz["factor"] * max(min(float(days), fuzz["end"]) - fuzz["start"], 0.0)
    low = max(2, round(days - delta))
    high = max(low, min(round(days + delta), MAXIMUM_INTERVAL))
    return timedelta(days=random.Random(f"{seed[0]}:{seed[1]}").randint(low, high))


def retrievability(card: Card, at: datetime, desired_retention: float = 0.9,
                   weights: Sequence[float] | None = None) -> float:
    """The chance the learner remembers the item now (0..1), by the forgetting curve of the weights that schedule
    the card (``card_weights.chosen``; None: FSRS's defaults); a card never reviewed counts as 0."""
    if not card.reviews:
        return 0.0
    return float(scheduler(desired_retention, tuple(weights) if weights else None).get_card_retrievability(
        FsrsCard.from_dict(_stored(card)), at.astimezone(UTC)))


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
