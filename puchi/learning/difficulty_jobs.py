"""The P(correct) model's life: a chore queues a training when enough new answers came, a job trains it on the
most recent answers and stores the version, and lessons load the newest version with the learner's features.

The chore (every minute, cheap) and the job (an outbox message, so at-least-once and idempotent by version) are
registered in ``wiring.py``. Training is bounded: the most recent ``DIFFICULTY_MAX_ATTEMPTS`` answers, of whole
learners where possible, so each learner's history replays from its start.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from flask import current_app
from sqlalchemy import case, func, select, update

from puchi.accounts.models import User
from puchi.core import outbox
from puchi.core.db import action, db, now
from puchi.core.upserts import insert_if_missing
from puchi.learning import difficulty
from puchi.learning.models import Attempt, Card, DifficultyModel

log = logging.getLogger(__name__)

QUEUED, READY, FAILED = "queued", "ready", "failed"
TRAIN_JOB = "learning.train_difficulty"
STALE_QUEUED = timedelta(hours=1)  # a queued training this old was lost: queue another
HOLDOUT_EVERY = 5  # one learner in five is held out to measure the new version
_HINT = getattr(Attempt, "hinted", None)  # the player records whether a hint was opened
_RIGHT = ("correct", "almost")
_PRODUCTION = tuple(t.value for t in difficulty.PRODUCTION_TYPES)


# --- Queueing and training -------------------------------------------------------------------------------

def queue_training(at: datetime) -> int:
    """The chore: queue a new version when the last is a day old (``DIFFICULTY_RETRAIN_HOURS``) and at least
    ``DIFFICULTY_MIN_ATTEMPTS`` answers came since. Returns 1 when it queued one, else 0."""
    config = current_app.config
    latest = db.session.scalar(select(DifficultyModel).order_by(DifficultyModel.version.desc()).limit(1))
    if latest is not None and latest.status == QUEUED and latest.requested_at > at - STALE_QUEUED:
        return 0
    ready = db.session.scalar(select(DifficultyModel).where(DifficultyModel.status == READY)
                              .order_by(DifficultyModel.version.desc()).limit(1))
    since = ready.trained_at if ready is not None else None
    if since is not None and since > at - timedelta(hours=config["DIFFICULTY_RETRAIN_HOURS"]):
        return 0
    fresh = select(func.count(Attempt.id)).where(Attempt.item_id.is_not(None))
    if since is not None:
        fresh = fresh.where(Attempt.created_at > since)
    if (db.session.scalar(fresh) or 0) < config["DIFFICULTY_MIN_ATTEMPTS"]:
        return 0
    with action():
        db.session.execute(update(DifficultyModel).where(DifficultyModel.status == QUEUED)
                           .values(status=FAILED, error="lost: queued again"))
        version = (latest.version if latest is not None else 0) + 1
        if not insert_if_missing(DifficultyModel, {"version": version}, status=QUEUED, requested_at=at,
                                 attempts_used=0, learners_used=0, coefficients={}, item_rates={}, metrics={}):
            return 0  # another worker's chore queued this version a moment ago
        outbox.add(TRAIN_JOB, {"version": version})
    return 1


def train_version(payload: dict[str, Any]) -> None:
    """The job: train the queued version on the most recent answers and store it. Runs once per version (a
    second delivery finds it no longer queued)."""
    version = int(payload["version"])
    row = db.session.scalar(select(DifficultyModel).where(DifficultyModel.version == version))
    if row is None or row.status != QUEUED:
        return
    config = current_app.config
    records = load_records(config["DIFFICULTY_MAX_ATTEMPTS"])
    learners = {r.user_id for r in records}
    result = train(records) if len(records) >= min(config["DIFFICULTY_MIN_ATTEMPTS"], 50) and len(learners) >= 2 \
        else None
    with action():
        row = db.session.scalar(select(DifficultyModel).where(DifficultyModel.version == version).with_for_update()
                                .execution_options(populate_existing=True))
        if row is None or row.status != QUEUED:
            return
        row.trained_at = now()
        row.attempts_used, row.learners_used = len(records), len(learners)
        if result is None:
            row.status, row.error = FAILED, "not enough answers to train on"
            return
        model, rates, metrics = result
        row.status, row.coefficients, row.item_rates, row.metrics = READY, model.to_json(), rates, metrics
    log.info("difficulty model v%s trained on %s answers of %s learners: %s", version, len(records), len(learners),
             metrics)


def train(records: Sequence[difficulty.AttemptRecord]) -> tuple[difficulty.LogisticModel, dict[str, list[int]],
                                                                 dict[str, Any]]:
    """Fit on every learner but one in ``HOLDOUT_EVERY`` to measure, then on all to keep."""
    held = [r for r in records if r.user_id % HOLDOUT_EVERY == 0]
    kept = [r for r in records if r.user_id % HOLDOUT_EVERY != 0]
    metrics: dict[str, Any] = {}
    if held and kept:
        rates = difficulty.item_counts(kept)
        trained = difficulty.fit(difficulty.dataset(kept))
        test = difficulty.dataset(held, rates)
        if test.labels:
            metrics = {"holdout_answers": len(test.labels),
                       "log_loss": round(difficulty.log_loss(trained.predict(test.rows, test.kinds, test.cards),
                                                             test.labels), 4),
                       "prior_log_loss": round(difficulty.log_loss(
                           difficulty.PriorModel().predict(test.rows, test.kinds, test.cards), test.labels), 4)}
    all_rates = difficulty.item_counts(records)
    model = difficulty.fit(difficulty.dataset(records))
    return model, {str(item): [right, total] for item, (right, total) in all_rates.items()}, metrics


def load_records(limit: int) -> list[difficulty.AttemptRecord]:
    """The most recent answers on items, at most ``limit``: whole learners, the most recently active first."""
    learners = db.session.execute(
        select(Attempt.user_id, func.count(Attempt.id)).where(Attempt.item_id.is_not(None))
        .group_by(Attempt.user_id).order_by(func.max(Attempt.created_at).desc()).limit(limit)).all()
    chosen, total = [], 0
    for user_id, count in learners:
        if total >= limit:
            break
        chosen.append(user_id)
        total += count
    if not chosen:
        return []
    hint = _HINT if _HINT is not None else None
    columns = [Attempt.user_id, Attempt.item_id, Attempt.exercise_type, Attempt.direction, Attempt.verdict,
               Attempt.created_at, User.timezone]
    rows: list[Any] = list(db.session.execute(
        select(*columns, *([hint] if hint is not None else []))
        .join(User, User.id == Attempt.user_id)
        .where(Attempt.user_id.in_(chosen), Attempt.item_id.is_not(None))
        .order_by(Attempt.created_at.desc(), Attempt.id.desc()).limit(limit)).all())
    return [difficulty.AttemptRecord(user_id=int(row[0]), item_id=int(row[1]), exercise_type=str(row[2]),
                                     direction=row[3], verdict=str(row[4]), at=row[5], timezone=row[6] or "UTC",
                                     hint_used=bool(row[7]) if hint is not None and row[7] is not None else None)
            for row in reversed(rows)]


# --- Predicting for a lesson ------------------------------------------------------------------------------

@lru_cache(maxsize=4)
def _stored_model(database: str, version: int, trained_at: datetime | None
                  ) -> tuple[difficulty.Model, dict[int, float], float]:
    """A ready version never changes, so each process keeps the last few it read (by database, version and
    training time: a database emptied and trained again is another model)."""
    row = db.session.scalar(select(DifficultyModel).where(DifficultyModel.version == version))
    model = difficulty.LogisticModel.from_json(row.coefficients, version) if row is not None else None
    if row is None or model is None:
        return difficulty.PriorModel(), {}, 0.8
    counts = {int(item): (int(right), int(total)) for item, (right, total) in row.item_rates.items()}
    right_sum = sum(r for r, _ in counts.values())
    total_sum = sum(n for _, n in counts.values())
    global_rate = right_sum / total_sum if total_sum else 0.8
    return model, {item: difficulty.smoothed_rate(c, global_rate) for item, c in counts.items()}, global_rate


def predictor_for(user_id: int, cards: Iterable[Card], item_ids: Iterable[int], at: datetime,
                  desired_retention: float) -> difficulty.Predictor:
    """What a lesson needs to predict this learner's answers on these items: the newest model, the cards, and
    the learner's answers so far. Four queries at most, whatever the number of items."""
    states = {card.item_id: difficulty.card_state(card, at, desired_retention) for card in cards}
    newest = db.session.execute(select(DifficultyModel.version, DifficultyModel.trained_at)
                                .where(DifficultyModel.status == READY)
                                .order_by(DifficultyModel.version.desc()).limit(1)).first()
    if newest is None:
        return difficulty.prior_predictor(states)
    model, rates, global_rate = _stored_model(str(db.engine.url), newest.version, newest.trained_at)
    if isinstance(model, difficulty.PriorModel):
        return difficulty.prior_predictor(states)
    wanted = sorted(set(item_ids))
    histories = _histories(user_id, wanted) if wanted else {}
    production = Attempt.exercise_type.in_(_PRODUCTION)
    right = Attempt.verdict.in_(_RIGHT)
    totals = db.session.execute(
        select(func.count(Attempt.id), func.coalesce(func.sum(case((right, 1), else_=0)), 0),
               func.coalesce(func.sum(case((production, 1), else_=0)), 0),
               func.coalesce(func.sum(case((production & right, 1), else_=0)), 0))
        .where(Attempt.user_id == user_id, Attempt.item_id.is_not(None), Attempt.verdict != "skipped")).one()
    learner = difficulty.LearnerStats(attempts=int(totals[0] or 0), right=int(totals[1] or 0),
                                      production_attempts=int(totals[2] or 0), production_right=int(totals[3] or 0))
    return difficulty.Predictor(model=model, cards=states, histories=histories, learner=learner,
                                item_rates={i: rates[i] for i in wanted if i in rates}, default_item_rate=global_rate)


def _histories(user_id: int, item_ids: list[int]) -> dict[int, difficulty.History]:
    right = case((Attempt.verdict.in_(_RIGHT), 1), else_=0)
    production = case((Attempt.exercise_type.in_(_PRODUCTION), 1), else_=0)
    production_right = case((Attempt.exercise_type.in_(_PRODUCTION) & Attempt.verdict.in_(_RIGHT), 1), else_=0)
    hint_columns: list[Any] = []
    if _HINT is not None:
        hint_columns = [func.count(_HINT).label("hints_known"),
                        func.coalesce(func.sum(case((_HINT.is_(True), 1), else_=0)), 0).label("hints")]
    summary = (select(Attempt.item_id, func.count(Attempt.id).label("attempts"), func.sum(right).label("right"),
                      func.sum(production).label("production"), func.sum(production_right).label("production_right"),
                      func.max(Attempt.id).label("last_id"), *hint_columns)
               .where(Attempt.user_id == user_id, Attempt.item_id.in_(item_ids), Attempt.verdict != "skipped")
               .group_by(Attempt.item_id).subquery())
    last = Attempt.__table__.alias("last_attempt")
    histories: dict[int, difficulty.History] = {}
    for row in db.session.execute(select(summary, last.c.verdict).join(last, last.c.id == summary.c.last_id)):
        histories[row.item_id] = difficulty.History(
            attempts=int(row.attempts), right=int(row.right or 0), production_attempts=int(row.production or 0),
            production_right=int(row.production_right or 0), last_right=1.0 if row.verdict in _RIGHT else 0.0,
            hints_known=int(getattr(row, "hints_known", 0) or 0), hints=int(getattr(row, "hints", 0) or 0))
    return histories

