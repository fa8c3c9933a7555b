"""Fitting FSRS to learners' own review logs, in the background.

A chore (every minute, ``periodic``) looks at the learners who answered in the last hour: one with at least
``fitting.MIN_REVIEWS`` reviews and no weights yet, or ``REFIT_GROWTH`` more reviews than their last fit saw, gets
an outbox job ``learning.fit_learner`` (an RQ job with Redis, inline without), which keeps the fit only if it
predicts the learner's newest reviews better than their course's weights (``fitting.fit_if_better``). The same
for their courses, with ``fitting.MIN_COURSE_REVIEWS``: the course's weights are the prior for its learners who
have too few reviews of their own (or whose own fit does not predict them better). The chore claims the fit by
writing the review count it will see, so a minute later it does not ask again; the job fits (outside any
transaction: it is CPU work) and stores the weights. ``lessons._review_item`` schedules with them from the next
answer on.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from puchi.accounts.models import User
from puchi.core import outbox
from puchi.core.db import action, db, now
from puchi.core.upserts import insert_if_missing
from puchi.learning import fitting, scheduler
from puchi.learning.models import (
    REVIEW_DUE,
    REVIEW_FIRST,
    Attempt,
    CourseFsrsParameters,
    Item,
    LearnerFsrsParameters,
)

FIT_LEARNER, FIT_COURSE = "learning.fit_learner", "learning.fit_course"
REFIT_GROWTH = 1.2  # refit once the log is a fifth longer than the last fit saw
ACTIVE_WINDOW = timedelta(hours=1)
_COUNTED = (REVIEW_FIRST, REVIEW_DUE)


def queue_fits(at: datetime) -> int:
    """Queue a fit for every recently active learner (and course) whose log has grown enough; returns how many.
    Idempotent: a claimed fit is not asked for again until the log grows further."""
    active = select(Attempt.user_id).where(Attempt.created_at >= at - ACTIVE_WINDOW).distinct()
    learners = db.session.execute(
        select(Attempt.user_id, func.count(Attempt.id), LearnerFsrsParameters.review_count)
        .outerjoin(LearnerFsrsParameters, LearnerFsrsParameters.user_id == Attempt.user_id)
        .where(Attempt.user_id.in_(active), Attempt.review_kind == REVIEW_DUE)
        .group_by(Attempt.user_id, LearnerFsrsParameters.review_count)
        .having(func.count(Attempt.id) >= fitting.MIN_REVIEWS)).all()
    courses = db.session.execute(
        select(Item.course_id, func.count(Attempt.id), CourseFsrsParameters.review_count)
        .join(Item, Item.id == Attempt.item_id)
        .outerjoin(CourseFsrsParameters, CourseFsrsParameters.course_id == Item.course_id)
        .where(Item.course_id.in_(select(Item.course_id).join(Attempt, Attempt.item_id == Item.id)
                                  .where(Attempt.created_at >= at - ACTIVE_WINDOW)),
               Attempt.review_kind == REVIEW_DUE)
        .group_by(Item.course_id, CourseFsrsParameters.review_count)
        .having(func.count(Attempt.id) >= fitting.MIN_COURSE_REVIEWS)).all()
    queued = 0
    for user_id, count, fitted in learners:
        if fitted is None or count >= fitted * REFIT_GROWTH:
            with action():
                _claim(LearnerFsrsParameters, "user_id", user_id, count, at)
                outbox.add(FIT_LEARNER, {"user_id": user_id})
            queued += 1
    for course_id, count, fitted in courses:
        if fitted is None or count >= fitted * REFIT_GROWTH:
            with action():
                _claim(CourseFsrsParameters, "course_id", course_id, count, at)
                outbox.add(FIT_COURSE, {"course_id": course_id})
            queued += 1
    return queued


def _claim(model: type[LearnerFsrsParameters] | type[CourseFsrsParameters], key: str, value: int, count: int,
           at: datetime) -> None:
    insert_if_missing(model, {key: value}, weights=[], review_count=count, fitted_at=at)
    row = db.session.scalar(select(model).where(getattr(model, key) == value).with_for_update())
    assert isinstance(row, LearnerFsrsParameters | CourseFsrsParameters)
    row.review_count = count


def fit_learner(payload: dict[str, Any]) -> None:
    """The job: fit one learner's weights to their review log, and keep them only if they predict the learner's
    newest reviews better than the weights that schedule them now (their courses', else FSRS's defaults).
    Refused, the learner's row keeps no weights of its own: the course's schedule them."""
    user = db.session.get(User, int(payload["user_id"]))
    if user is None:
        return
    histories, course_ids = learner_histories(user)
    priors = dict(db.session.execute(
        select(CourseFsrsParameters.course_id, CourseFsrsParameters.weights)
        .where(CourseFsrsParameters.course_id.in_(set(course_ids)))).all())
    choice = fitting.fit_if_better(histories, [priors.get(course_id) or None for course_id in course_ids])
    if math.isnan(choice.fit_loss):
        return  # nothing to judge a fit by yet
    with action():
        _claim(LearnerFsrsParameters, "user_id", user.id, fitting.review_count(histories), now())
        row = db.session.scalar(select(LearnerFsrsParameters).where(LearnerFsrsParameters.user_id == user.id))
        assert row is not None
        row.weights, row.fitted_at = choice.weights or [], now()


def fit_course(payload: dict[str, Any]) -> None:
    """The job: fit a course's weights to every learner's reviews in it (the prior for newcomers)."""
    course_id = int(payload["course_id"])
    histories = course_histories(course_id)
    weights = fitting.fit(histories)
    if weights is None:
        return
    with action():
        _claim(CourseFsrsParameters, "course_id", course_id, fitting.review_count(histories), now())
        row = db.session.scalar(select(CourseFsrsParameters).where(CourseFsrsParameters.course_id == course_id))
        assert row is not None
        row.weights, row.fitted_at = weights, now()


def learner_histories(user: User) -> tuple[list[list[tuple[int, int]]], list[int]]:
    """The learner's FSRS reviews per item, as (their calendar day number, the rating a fit learns from), and
    each item's course."""
    rows = db.session.execute(
        select(Attempt.item_id, Item.course_id, Attempt.created_at, Attempt.rating, Attempt.hinted)
        .join(Item, Item.id == Attempt.item_id)
        .where(Attempt.user_id == user.id, Attempt.review_kind.in_(_COUNTED), Attempt.rating.is_not(None))
        .order_by(Attempt.item_id, Attempt.created_at, Attempt.id))
    # Keyed by (course, item), so each history's course comes with it.
    by_card = _by_card((((course_id, item_id), user.timezone, at, rating, hinted)
                        for item_id, course_id, at, rating, hinted in rows))
    return list(by_card.values()), [course_id for course_id, _item_id in by_card]


def course_histories(course_id: int) -> list[list[tuple[int, int]]]:
    rows = db.session.execute(
        select(Attempt.user_id, Attempt.item_id, User.timezone, Attempt.created_at, Attempt.rating, Attempt.hinted)
        .join(Item, Item.id == Attempt.item_id).join(User, User.id == Attempt.user_id)
        .where(Item.course_id == course_id, Attempt.review_kind.in_(_COUNTED), Attempt.rating.is_not(None))
        .order_by(Attempt.user_id, Attempt.item_id, Attempt.created_at, Attempt.id))
    return list(_by_card((((user_id, item_id), zone, at, rating, hinted)
                          for user_id, item_id, zone, at, rating, hinted in rows)).values())


def _by_card(rows: Any) -> dict[Any, list[tuple[int, int]]]:
    """Each card's reviews as (the learner's calendar day number, the rating a fit learns from), by card key."""
    by_card: dict[Any, list[tuple[int, int]]] = {}
    for card, zone, at, rating, hinted in rows:
        day = scheduler.local_day(at, zone).toordinal()
        by_card.setdefault(card, []).append((day, fitting.fit_rating(int(rating), bool(hinted))))
    return by_card
