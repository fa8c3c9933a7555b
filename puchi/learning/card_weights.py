"""Which FSRS weights schedule a learner's card: the rule, and the query that reads both candidates with the card.

Every place that reviews a card or reads how well it is remembered uses these two, so the rule lives here once.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, select

from puchi.learning.models import Card, CourseFsrsParameters, LearnerFsrsParameters
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
