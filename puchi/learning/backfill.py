"""Ratings for answers stored before they were kept (before migration 0020): each answer's review kind (the
card's first review, a due card's review of the day, or practice) and FSRS rating, derived from what is stored
(exercise kind, verdict, hint, time, answer length) by the rule live answers follow,
``scheduler.review_answer``, replayed on a transient card of the learner's answers about the item in order.

Which answers need it: every answer of a (learner, item) pair with no ``first`` review. Since 0020 the first
answer about a new card is always recorded as its first review, so a pair without one has only old answers;
once backfilled it has one, which makes the backfill idempotent. Bounded and batched: ``PAIRS_PER_BATCH`` pairs
per transaction, run a batch a minute by a chore (``wiring``) or to the end by ``flask puchi backfill-ratings``.
Cards are left alone: they already hold what the old rules made of these answers. A pair answered both before
and after 0020 is replayed up to its first answer recorded as a due review (from there its labels are live).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from flask import Flask, current_app
from sqlalchemy import and_, exists, select, tuple_
from sqlalchemy.orm import aliased

from puchi.accounts.models import User
from puchi.core.db import action, db
from puchi.learning import scheduler
from puchi.learning.grading import Verdict
from puchi.learning.models import REVIEW_DUE, REVIEW_FIRST, REVIEW_PRACTICE, Attempt, Item
from puchi.learning.steps import ExerciseType

PAIRS_PER_BATCH = 200
_DONE = "puchi.ratings_backfilled"
_SKIPPED = Verdict.SKIPPED.value
_MATCH = ExerciseType.MATCH.value


def _reviewable() -> Any:
    """Answers the live code reviews: about an item, not skipped, not a match of pairs."""
    return and_(Attempt.item_id.is_not(None), Attempt.verdict != _SKIPPED, Attempt.exercise_type != _MATCH)


def pending_pairs(limit: int) -> list[tuple[int, int]]:
    """Up to ``limit`` (learner, item) pairs whose answers have no review kind derived yet."""
    first = aliased(Attempt)
    already = exists().where(first.user_id == Attempt.user_id, first.item_id == Attempt.item_id,
                             first.review_kind == REVIEW_FIRST)
    rows = db.session.execute(select(Attempt.user_id, Attempt.item_id).where(_reviewable(), ~already)
                              .group_by(Attempt.user_id, Attempt.item_id)
                              .order_by(Attempt.user_id, Attempt.item_id).limit(limit)).all()
    return [(user_id, item_id) for user_id, item_id in rows if item_id is not None]


def backfill_batch(limit: int = PAIRS_PER_BATCH) -> int:
    """Derive the review kind and rating of every answer of up to ``limit`` pairs, in one transaction. Returns how
    many pairs it did (0: nothing is left)."""
    pairs = pending_pairs(limit)
    if not pairs:
        return 0
    with action():
        learners = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_({u for u, _ in pairs})))}
        items = {i.id: i for i in db.session.scalars(select(Item).where(Item.id.in_({i for _, i in pairs})))}
        answers: dict[tuple[int, int], list[Attempt]] = defaultdict(list)
        for attempt in db.session.scalars(select(Attempt).where(
                tuple_(Attempt.user_id, Attempt.item_id).in_(pairs), _reviewable())
                .order_by(Attempt.created_at, Attempt.id)):
            answers[(attempt.user_id, attempt.item_id or 0)].append(attempt)
        for (user_id, item_id), mine in answers.items():
            learner, item = learners.get(user_id), items.get(item_id)
            if learner is None or item is None:
                continue
            replay(learner, item, mine)
    return len(pairs)


def replay(learner: User, item: Item, answers: list[Attempt]) -> None:
    """Label the answers (one learner's about one item, in time order) as the live code would have: a transient
    card, FSRS's default weights (a learner's fitted weights came later), the learner's target and time zone."""
    card = scheduler.new_card(learner.id, item, answers[0].created_at)
    for attempt in answers:
        if attempt.review_kind == REVIEW_DUE:
            return  # recorded live (after 0020, on the card the old answers left): the rest is labelled already
        kind, rating = scheduler.review_answer(
            card, Verdict(attempt.verdict), attempt.exercise_type, attempt.duration_ms, len(attempt.answer or ""),
            hinted=bool(attempt.hinted), at=attempt.created_at, timezone=learner.timezone,
            desired_retention=learner.desired_retention)
        attempt.review_kind = kind
        attempt.rating = None if kind == REVIEW_PRACTICE else int(rating)


def backfill_all(batch: int = PAIRS_PER_BATCH) -> int:
    """Batches until nothing is left (the command). Returns the pairs done."""
    done = 0
    while count := backfill_batch(batch):
        done += count
    return done


def backfill_chore(at: datetime) -> int:
    """The chore: one batch a minute until none is left, then nothing more in this process (one cheap query at
    each start of a process finds nothing left)."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.extensions.get(_DONE):
        return 0
    count = backfill_batch()
    if not count:
        app.extensions[_DONE] = True
    return count

