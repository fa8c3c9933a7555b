"""FSRS weights fitted to a review log with FSRS's own optimizer (``fsrs-rs-python``, the Rust fsrs-rs that Anki
uses; no torch). Pure: the review histories in, 21 weights out, so the job (``services``), the simulation
(``bench/retention_sim.py``) and the tests use the same fit.

A history is one card's FSRS reviews in order, as ``(day, rating)``: the learner's calendar day number of each
review (one a day, as the scheduler counts them) and the rating given (1 again … 4 easy).

A learner's own fit replaces the weights that would schedule them otherwise (their course's, else FSRS's
defaults) only when it predicts their newest reviews better (:func:`fit_if_better`): a few hundred reviews, most
a day or two apart, fit the next day well and the next month badly, and in the simulation
(``bench/retention_sim.py``) such fits, always taken, cost a tenth of the items known at day 60.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

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
    from fsrs_rs_python import DEFAULT_PARAMETERS, FSRS  # a compiled module: load on use

    items = _fsrs_items(histories)
    if not items:
        return None
    weights = FSRS(list(DEFAULT_PARAMETERS)).compute_parameters(items, enable_short_term=False)
    # Keep them inside what the scheduler (py-fsrs) accepts.
    return [min(high, max(low, float(w)))
            for w, low, high in zip(weights, LOWER_BOUNDS_PARAMETERS, UPPER_BOUNDS_PARAMETERS, strict=True)]


HELD_OUT = 0.2  # the newest fifth of a learner's reviews judges their own fit against the weights they have


@dataclass(frozen=True)
class FitChoice:
    """Whether a learner's own fit is kept: its log loss on their newest reviews against the baseline's."""

    weights: list[float] | None  # fitted to every review when kept, else None (the baseline schedules)
    fit_loss: float
    baseline_loss: float


def fit_if_better(histories: Sequence[History], baselines: Sequence[Sequence[float] | None]) -> FitChoice:
    """The learner's own weights if a fit to all but their newest reviews predicts those better than the weights
    that schedule them otherwise; ``baselines[i]`` schedules ``histories[i]`` (their course's weights, or None for
    FSRS's defaults). Kept, the weights are refitted to every review."""
    from fsrs.scheduler import DEFAULT_PARAMETERS

    days = sorted(day for history in histories for day, _ in history[1:])
    nothing = FitChoice(weights=None, fit_loss=math.nan, baseline_loss=math.nan)
    if not days:
        return nothing
    since = days[min(len(days) - 1, int(len(days) * (1 - HELD_OUT)))]
    trial = fit([[(day, rating) for day, rating in history if day < since] for history in histories])
    if trial is None:
        return nothing
    by_baseline: dict[tuple[float, ...], list[History]] = {}
    for history, baseline in zip(histories, baselines, strict=True):
        by_baseline.setdefault(tuple(baseline or DEFAULT_PARAMETERS), []).append(history)
    fit_loss = _mean_log_loss([(trial, histories)], since)
    baseline_loss = _mean_log_loss([(list(weights), group) for weights, group in by_baseline.items()], since)
    if not fit_loss < baseline_loss:  # NaN (nothing held out) keeps the baseline too
        return FitChoice(weights=None, fit_loss=fit_loss, baseline_loss=baseline_loss)
    return FitChoice(weights=fit(histories), fit_loss=fit_loss, baseline_loss=baseline_loss)


def _fsrs_items(histories: Sequence[History], since: int | None = None) -> list[Any]:
    """FSRS's training items: each prefix of a history teaches the outcome of its last review (only the reviews
    on or after day ``since``, when given)."""
    from fsrs_rs_python import FSRSItem, FSRSReview

    items = []
    for history in histories:
        reviews = []
        previous: int | None = None
        for day, rating in history:
            reviews.append(FSRSReview(int(rating), 0 if previous is None else max(0, day - previous)))
            previous = day
            if len(reviews) >= 2 and (since is None or day >= since):
                items.append(FSRSItem(list(reviews)))
    return items


def _mean_log_loss(groups: Sequence[tuple[list[float], Sequence[History]]], since: int) -> float:
    """The mean log loss of predicting each review on or after ``since`` (recalled or not), each group of
    histories by its own weights."""
    from fsrs_rs_python import FSRS

    total, count = 0.0, 0
    for weights, histories in groups:
        items = _fsrs_items(histories, since)
        if items:
            total += FSRS(weights).evaluate(items).log_loss * len(items)
            count += len(items)
    return total / count if count else math.nan
