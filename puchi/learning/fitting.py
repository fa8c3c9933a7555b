"""FSRS weights fitted to a review log with FSRS's own optimizer (``fsrs-rs-python``, the Rust fsrs-rs that Anki
uses; no torch). Pure: the review histories in, 21 weights out, so the job (``services``), the simulation
(``bench/retention_sim.py``) and the tests use the same fit.

A history is one card's FSRS reviews in order, as ``(day, rating)``: the learner's calendar day number of each
review (one a day, as the scheduler counts them) and the rating given (1 again … 4 easy).
"""

from __future__ import annotations

from collections.abc import Sequence

from fsrs.scheduler import LOWER_BOUNDS_PARAMETERS, UPPER_BOUNDS_PARAMETERS

MIN_REVIEWS = 400  # a learner's fit needs this many reviews (each later than a card's first counts)
MIN_COURSE_REVIEWS = 2_000  # ... a course's, the prior for its learners who have fewer

History = Sequence[tuple[int, int]]


def fit_rating(rating: int, hinted: bool) -> int:
    """The rating a fit learns from: a hinted answer, however right, was not recalled unaided (the scheduler rates
    it Hard, a pass, but fitted as a pass it teaches FSRS that memory lasts longer than it does)."""
    return 1 if hinted else rating


def review_count(histories: Sequence[History]) -> int:
    """The reviews a fit learns from: every review after a card's first."""
    return sum(max(0, len(history) - 1) for history in histories)


def fit(histories: Sequence[History]) -> list[float] | None:
    """Weights fitted to the histories, or None when there is nothing to learn from (no card seen twice)."""
    from fsrs_rs_python import DEFAULT_PARAMETERS, FSRS, FSRSItem, FSRSReview  # a compiled module: load on use

    items = []
    for history in histories:
        reviews = []
        previous: int | None = None
        for day, rating in history:
            reviews.append(FSRSReview(int(rating), 0 if previous is None else max(0, day - previous)))
            previous = day
            if len(reviews) >= 2:  # each prefix teaches the outcome of its last review
                items.append(FSRSItem(list(reviews)))
    if not items:
        return None
    weights = FSRS(list(DEFAULT_PARAMETERS)).compute_parameters(items, enable_short_term=False)
    # Keep them inside what the scheduler (py-fsrs) accepts.
    return [min(high, max(low, float(w)))
            for w, low, high in zip(weights, LOWER_BOUNDS_PARAMETERS, UPPER_BOUNDS_PARAMETERS, strict=True)]
