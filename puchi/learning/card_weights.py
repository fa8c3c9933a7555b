"""Which FSRS weights schedule a learner's card: the rule, and the query that reads both candidates with the card.

Every place that reviews a card or reads how well it is remembered uses these, so the rule lives here once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, select

from puchi.core.db import db
from puchi.core.upserts import insert_if_missing
from puchi.learning import scheduler
from puchi.learning.models import Card, CourseFsrsParameters, Item, LearnerFsrsParameters
from puchi.learning.scheduler import Weights


def chosen(mine: Sequence[float] | None, course: Sequence[float] | None) -> Weights | None:
    """The weights fitted to the learner, else to the card's course, else None (FSRS's defaults). A learner's
    empty list is a fit that did not predict them better than their course's (``fitting.fit_if_better``)."""
    weights = mine or course
    return tuple(weights) if weights else None


def cards_with_weights() -> Select[Card, list[float] | None, list[float] | None]:
    """Cards, each with the learner's fitted weights and its course's (either may be None): one query, for
    :func:`chosen`. Add the ``where`` clauses."""
    return (select(Card, LearnerFsrsParameters.weights, CourseFsrsParameters.weights)
            .outerjoin(LearnerFsrsParameters, LearnerFsrsParameters.user_id == Card.user_id)
            .outerjoin(CourseFsrsParameters, CourseFsrsParameters.course_id == Card.course_id))


def cards_to_review(user_id: int, items: Sequence[Item], at: datetime) -> list[tuple[Card, Weights | None]]:
    """The learner's cards of ``items`` (made if missing), locked for an update, each with the weights to schedule
    it with, by item id (one order for every writer's locks). Two tabs can meet the same new item at once: a
    missing card is inserted (or found made), then every card is locked and read again."""
    for item in sorted(items, key=lambda item: item.id):
        fresh = scheduler.new_card(user_id, item, at)
        insert_if_missing(Card, {"user_id": user_id, "item_id": item.id}, course_id=fresh.course_id,
                          skill_id=fresh.skill_id, fsrs=fresh.fsrs, due_at=fresh.due_at, reviews=0, lapses=0,
                          correct_streak=0, created_at=at)
    rows = db.session.execute(
        cards_with_weights().where(Card.user_id == user_id, Card.item_id.in_([item.id for item in items]))
        .order_by(Card.item_id).with_for_update(of=Card).execution_options(populate_existing=True)).all()
    return [(card, chosen(mine, course)) for card, mine, course in rows]
