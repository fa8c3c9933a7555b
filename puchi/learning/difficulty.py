"""P(correct): how likely a learner answers an item right in a given kind of exercise, now.

A logistic regression over features of what is stored (the learner's earlier answers on the item and overall,
the item's FSRS card, the time since it was last reviewed, the exercise kind and direction, hint use where it is
recorded, and the item's rate of right answers across learners). It is trained by a periodic job
(:mod:`puchi.learning.difficulty_jobs`) on the most recent answers and kept in the ``difficulty_models`` table as
plain numbers (no pickles), so every web process reads the same version. Until a model has been trained, a prior
stands in: a base rate per exercise kind, moved by the card's FSRS retrievability.

This module is pure: features from plain records, training from a list of them, predictions from a fitted
model's numbers. Loading the records is the caller's business (``difficulty_jobs`` and ``lessons``).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

import numpy as np
from fsrs import Card as FsrsCard
from fsrs import Rating, Scheduler

from puchi.learning import scheduler
from puchi.learning.grading import Verdict
from puchi.learning.models import Card, Item
from puchi.learning.steps import Direction, ExerciseType

RIGHT_VERDICTS = frozenset({"correct", "almost"})
SKIPPED = "skipped"
MODEL_FORMAT = 1  # bump when FEATURES change: a stored model of another format is not used
REPLAY_RETENTION = 0.9  # training replays each learner's cards with FSRS's defaults (R does not depend on it)
MATCH_TYPE = ExerciseType.MATCH.value

# The ladder of exercise kinds, from recognising an item to producing it; the builder climbs it per item.
Kind = tuple[ExerciseType, Direction | None]
CHOOSE_MEANING: Kind = (ExerciseType.CHOOSE, Direction.TO_SOURCE)
CHOOSE_WORD: Kind = (ExerciseType.CHOOSE, Direction.TO_TARGET)
TILES_MEANING: Kind = (ExerciseType.TILES, Direction.TO_SOURCE)
TILES_PHRASE: Kind = (ExerciseType.TILES, Direction.TO_TARGET)
TYPE_MEANING: Kind = (ExerciseType.TRANSLATE, Direction.TO_SOURCE)
TYPE_WORD: Kind = (ExerciseType.TRANSLATE, Direction.TO_TARGET)
LISTEN: Kind = (ExerciseType.LISTEN, Direction.TO_TARGET)
PRODUCTION_TYPES = frozenset({ExerciseType.TRANSLATE, ExerciseType.LISTEN, ExerciseType.SPEAK, ExerciseType.FILL})

# The prior: how often an answer is right per kind, for an item met before at retrievability 0.9 …
KIND_PRIOR: dict[str, float] = {
    "choose_translation": 0.93, "match_pairs": 0.93, "arrange_tiles": 0.86, "fill_blank": 0.82,
    "translate": 0.78, "listen_type": 0.72, "speak": 0.78,
}
TO_TARGET_PENALTY = 0.6  # … less in logits when answering in the language learned
NEW_ITEM_PENALTY = {"choose_translation": 0.6, "match_pairs": 0.6}  # … and for an item never reviewed
NEW_ITEM_OTHER_PENALTY = 2.5
R_SLOPE = 1.2  # logits of P per logit of retrievability away from 0.9 …
R_CEILING = 0.95  # … up to this much (a word seen a minute ago is not yet a word one can type)
YOUNG_PRODUCTION_PENALTY = {1: 1.5, 2: 0.7}  # producing an item reviewed only once or twice

LOGIT_R_RANGE = (-4.0, 5.0)  # retrievability 0.02..0.993: beyond, minutes since the last sight make no difference
_TYPES = [t.value for t in ExerciseType]
FEATURES: tuple[str, ...] = (
    *(f"type_{t}" for t in _TYPES),
    "to_target", "direction_unknown", "production", "new", "logit_r", "log_elapsed_days", "log_stability",
    "difficulty", "log_reviews", "log_lapses", "log_attempts", "item_rate", "production_rate", "last_right",
    "learner_recognition_rate", "learner_production_rate", "item_base_rate", "hint_rate", "hint_unknown",
    "production_x_new", "production_x_logit_r", "to_target_x_item_rate", "to_target_x_logit_r",
    "production_x_log_elapsed_days", "production_x_learner_production_rate", "production_x_production_rate",
    "recognition_x_logit_r", "new_x_learner_recognition_rate", "new_x_item_base_rate",
)


def _logit(p: float) -> float:
    p = min(max(p, 1e-4), 1 - 1e-4)
    return math.log(p / (1 - p))


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, x))))


# --- Records -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AttemptRecord:
    """One stored answer, as training reads it (in time order per learner)."""

    user_id: int
    item_id: int
    exercise_type: str
    direction: str | None
    verdict: str
    at: datetime
    hint_used: bool | None = None  # None where hint use is not recorded
    timezone: str = "UTC"  # the learner's: their calendar days decide which answer is the day's review

    @property
    def right(self) -> bool:
        return self.verdict in RIGHT_VERDICTS


@dataclass
class History:
    """What is known of one learner × item before an answer: counts of earlier answers."""

    attempts: int = 0
    right: float = 0  # fractional while planning: an answer not given yet counts as its chance
    production_attempts: int = 0
    production_right: float = 0
    last_right: float = 0.5  # 1 right, 0 wrong, 0.5 none yet
    hints_known: int = 0
    hints: int = 0

    def add(self, record: AttemptRecord) -> None:
        self.attempts += 1
        self.right += record.right
        if record.exercise_type in PRODUCTION_TYPES:
            self.production_attempts += 1
            self.production_right += record.right
        self.last_right = 1.0 if record.right else 0.0
        if record.hint_used is not None:
            self.hints_known += 1
            self.hints += bool(record.hint_used)


@dataclass(frozen=True)
class CardState:
    """The memory part of a card at the moment of a prediction."""

    reviews: int = 0
    lapses: int = 0
    stability: float | None = None
    difficulty: float | None = None
    retrievability: float = 0.0
    elapsed_days: float = 0.0


@dataclass
class LearnerStats:
    """The learner's answers on every item so far, recognition and production apart (a learner who is given
    harder exercises gets fewer right: the two rates tell ability from the mix)."""

    attempts: int = 0
    right: float = 0
    production_attempts: int = 0
    production_right: float = 0

    def add(self, exercise_type: str, right: float) -> None:
        self.attempts += 1
        self.right += right
        if exercise_type in PRODUCTION_TYPES:
            self.production_attempts += 1
            self.production_right += right

    @property
    def recognition_rate(self) -> float:
        return (self.right - self.production_right + 8 * 0.85) / (self.attempts - self.production_attempts + 8)

    @property
    def production_rate(self) -> float:
        return (self.production_right + 8 * 0.7) / (self.production_attempts + 8)


def features(kind: Kind | tuple[str, str | None], card: CardState, history: History, learner: LearnerStats,
             item_rate: float) -> list[float]:
    """The feature vector (in the order of ``FEATURES``) for one learner × item × kind."""
    exercise_type = str(kind[0])
    direction = kind[1]
    production = 1.0 if exercise_type in PRODUCTION_TYPES else 0.0
    to_target = 1.0 if direction == Direction.TO_TARGET else 0.0
    new = 1.0 if card.reviews == 0 else 0.0
    logit_r = 0.0 if new else min(max(_logit(card.retrievability), LOGIT_R_RANGE[0]), LOGIT_R_RANGE[1])
    own_rate = (history.right + 1) / (history.attempts + 2)
    production_rate = (history.production_right + 1) / (history.production_attempts + 2)
    hint_rate = history.hints / history.hints_known if history.hints_known else 0.0
    return [
        *(1.0 if exercise_type == t else 0.0 for t in _TYPES),
        to_target, 1.0 if direction is None else 0.0, production, new, logit_r,
        math.log1p(max(0.0, card.elapsed_days)), math.log((card.stability or 0.0) + 0.1),
        (card.difficulty or 5.0) / 10.0, math.log1p(card.reviews), math.log1p(card.lapses),
        math.log1p(history.attempts), _logit(own_rate), _logit(production_rate), history.last_right,
        _logit(learner.recognition_rate), _logit(learner.production_rate), _logit(item_rate), hint_rate,
        0.0 if history.hints_known else 1.0,
        production * new, production * logit_r, to_target * _logit(item_rate), to_target * logit_r,
        production * math.log1p(max(0.0, card.elapsed_days)), production * _logit(learner.production_rate),
        production * _logit(production_rate), (1 - production) * logit_r,
        new * _logit(learner.recognition_rate), new * _logit(item_rate),
    ]


# --- Models --------------------------------------------------------------------------------------------

class Model:
    """Something that gives P(correct) for feature rows."""

    version: int = 0

    def predict(self, rows: Sequence[Sequence[float]], kinds: Sequence[str], cards: Sequence[CardState]) -> list[float]:
        raise NotImplementedError


@dataclass
class PriorModel(Model):
    """Before any training: a base rate per exercise kind, moved by the card's FSRS retrievability."""

    version: int = 0

    def predict(self, rows: Sequence[Sequence[float]], kinds: Sequence[str], cards: Sequence[CardState]) -> list[float]:
        result = []
        for row, exercise_type, card in zip(rows, kinds, cards, strict=True):
            named = dict(zip(FEATURES, row, strict=True))
            logit = _logit(KIND_PRIOR.get(exercise_type, 0.8)) - TO_TARGET_PENALTY * named["to_target"]
            if card.reviews == 0:
                logit -= NEW_ITEM_PENALTY.get(exercise_type, NEW_ITEM_OTHER_PENALTY)
            else:
                recall = min(max(named["logit_r"], _logit(0.5)), _logit(R_CEILING))
                logit += R_SLOPE * (recall - _logit(0.9))
                if exercise_type in PRODUCTION_TYPES and card.reviews <= 2:
                    logit -= YOUNG_PRODUCTION_PENALTY[card.reviews]
            result.append(_sigmoid(logit))
        return result


@dataclass
class LogisticModel(Model):
    """A fitted logistic regression, kept as numbers: standardise, dot, sigmoid."""

    mean: list[float]
    scale: list[float]
    coef: list[float]
    intercept: float
    version: int = 0

    def predict(self, rows: Sequence[Sequence[float]], kinds: Sequence[str], cards: Sequence[CardState]) -> list[float]:
        if not rows:
            return []
        matrix = (np.asarray(rows, dtype=float) - np.asarray(self.mean)) / np.asarray(self.scale)
        logits = np.clip(matrix @ np.asarray(self.coef) + self.intercept, -30, 30)
        return [float(p) for p in 1.0 / (1.0 + np.exp(-logits))]

    def to_json(self) -> dict[str, Any]:
        return {"format": MODEL_FORMAT, "features": list(FEATURES), "mean": self.mean, "scale": self.scale,
                "coef": self.coef, "intercept": self.intercept}

    @classmethod
    def from_json(cls, data: Mapping[str, Any], version: int) -> LogisticModel | None:
        """The stored model, or None when it was made for other features."""
        if data.get("format") != MODEL_FORMAT or list(data.get("features", [])) != list(FEATURES):
            return None
        return cls(mean=[float(x) for x in data["mean"]], scale=[float(x) for x in data["scale"]],
                   coef=[float(x) for x in data["coef"]], intercept=float(data["intercept"]), version=version)


# --- Training ------------------------------------------------------------------------------------------

@cache
def _replay_scheduler() -> Scheduler:
    return Scheduler(desired_retention=0.9, enable_fuzzing=False)


@dataclass
class Dataset:
    rows: list[list[float]] = field(default_factory=list)
    labels: list[int] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    cards: list[CardState] = field(default_factory=list)
    users: list[int] = field(default_factory=list)
    items: list[int] = field(default_factory=list)


def item_counts(records: Iterable[AttemptRecord]) -> dict[int, tuple[int, int]]:
    """item → (right answers, answers) over ``records`` (skips aside)."""
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for record in records:
        if record.verdict != SKIPPED:
            counts[record.item_id][0] += record.right
            counts[record.item_id][1] += 1
    return {item: (right, total) for item, (right, total) in counts.items()}


def smoothed_rate(counts: tuple[int, int] | None, global_rate: float, weight: float = 5.0) -> float:
    right, total = counts or (0, 0)
    return (right + weight * global_rate) / (total + weight)


def dataset(records: Sequence[AttemptRecord], item_rates: Mapping[int, tuple[int, int]] | None = None) -> Dataset:
    """Every answer (but skips) as a feature row with the state just before it, replaying the learner's answers
    in time order: counts, and an FSRS card reviewed at the first answer of each day (later ones that day are
    practice). Item base rates come from ``item_rates`` (counts over other learners) or, by default, from
    ``records`` leaving each learner's own answers out, so that no row sees its own outcome."""
    rates = dict(item_rates) if item_rates is not None else item_counts(records)
    total_right = sum(r for r, _ in rates.values())
    total = sum(n for _, n in rates.values())
    global_rate = total_right / total if total else 0.8
    own = item_counts_by_learner(records) if item_rates is None else {}
    out = Dataset()
    by_user: dict[int, list[AttemptRecord]] = defaultdict(list)
    for record in records:
        by_user[record.user_id].append(record)
    for user_id, mine in by_user.items():
        mine.sort(key=lambda r: r.at)
        learner = LearnerStats()
        histories: dict[int, History] = defaultdict(History)
        cards: dict[int, Card] = {}
        for record in mine:
            if record.verdict == SKIPPED:
                continue
            card = cards.get(record.item_id)
            if card is None:
                card = cards[record.item_id] = scheduler.new_card(
                    user_id, Item(id=record.item_id, course_id=0, skill_id=0), record.at)
            # The card's state as a lesson built at this moment would have seen it (``card_state``, the same
            # function the predictor uses): training and predicting see the same features.
            state = card_state(card, record.at, REPLAY_RETENTION)
            right, n = rates.get(record.item_id, (0, 0))
            mine_right, mine_n = own.get((user_id, record.item_id), (0, 0))
            item_rate = smoothed_rate((right - mine_right, n - mine_n), global_rate)
            history = histories[record.item_id]
            out.rows.append(features((record.exercise_type, record.direction), state, history, learner, item_rate))
            out.labels.append(int(record.right))
            out.kinds.append(record.exercise_type)
            out.cards.append(state)
            out.users.append(user_id)
            out.items.append(record.item_id)
            history.add(record)
            learner.add(record.exercise_type, record.right)
            if record.exercise_type != MATCH_TYPE:
                # The rule live answers follow (one review per learner-day, when new or due; ratings by kind).
                scheduler.review_answer(card, Verdict(record.verdict), record.exercise_type, 0, 0,
                                        hinted=bool(record.hint_used), at=record.at, timezone=record.timezone,
                                        desired_retention=REPLAY_RETENTION)
    return out


def item_counts_by_learner(records: Iterable[AttemptRecord]) -> dict[tuple[int, int], tuple[int, int]]:
    counts: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0])
    for record in records:
        if record.verdict != SKIPPED:
            counts[(record.user_id, record.item_id)][0] += record.right
            counts[(record.user_id, record.item_id)][1] += 1
    return {key: (right, total) for key, (right, total) in counts.items()}


def fit(data: Dataset, *, regularisation: float = 1.0) -> LogisticModel:
    """Fit the logistic regression (scikit-learn) and keep its numbers."""
    from sklearn.linear_model import LogisticRegression

    matrix = np.asarray(data.rows, dtype=float)
    labels = np.asarray(data.labels, dtype=int)
    mean = matrix.mean(axis=0)
    scale = matrix.std(axis=0)
    scale[scale < 1e-9] = 1.0
    regression = LogisticRegression(C=regularisation, max_iter=1000)
    regression.fit((matrix - mean) / scale, labels)
    return LogisticModel(mean=mean.tolist(), scale=scale.tolist(), coef=regression.coef_[0].tolist(),
                         intercept=float(regression.intercept_[0]))


def log_loss(probabilities: Sequence[float], labels: Sequence[int]) -> float:
    total = 0.0
    for p, y in zip(probabilities, labels, strict=True):
        p = min(max(p, 1e-6), 1 - 1e-6)
        total -= math.log(p) if y else math.log(1 - p)
    return total / max(1, len(labels))


def calibration(probabilities: Sequence[float], labels: Sequence[int],
                bins: int = 10) -> list[tuple[float, float, int]]:
    """(mean predicted, observed rate, count) per decile of the predictions."""
    order = sorted(range(len(labels)), key=lambda i: probabilities[i])
    result = []
    for b in range(bins):
        chunk = order[b * len(order) // bins:(b + 1) * len(order) // bins]
        if chunk:
            result.append((sum(probabilities[i] for i in chunk) / len(chunk),
                           sum(labels[i] for i in chunk) / len(chunk), len(chunk)))
    return result


# --- Predicting in a lesson ----------------------------------------------------------------------------

@dataclass
class Predictor:
    """P(correct) for one learner's candidate items, with everything loaded: no queries of its own."""

    model: Model
    cards: dict[int, CardState]  # item → its card now (missing: never reviewed)
    histories: dict[int, History]  # item → the learner's earlier answers on it
    learner: LearnerStats
    item_rates: Mapping[int, float]  # item → its base rate across learners
    default_item_rate: float = 0.8

    def probabilities(self, requests: Sequence[tuple[int, Kind]]) -> list[float]:
        rows, kinds, cards = [], [], []
        for item_id, kind in requests:
            card = self.cards.get(item_id, CardState())
            rows.append(features(kind, card, self.histories.get(item_id, History()), self.learner,
                                 self.item_rates.get(item_id, self.default_item_rate)))
            kinds.append(str(kind[0]))
            cards.append(card)
        return self.model.predict(rows, kinds, cards)

    def probability(self, item_id: int, kind: Kind) -> float:
        return self.probabilities([(item_id, kind)])[0]

    def seen_in_lesson(self, item_id: int, kind: Kind, chance: float | None = None) -> None:
        """Plan a later step of the lesson being built on an item the learner has just answered in ``kind``:
        the answer counts as ``chance`` of a right one (by default, what the model expects)."""
        if chance is None:
            chance = self.probability(item_id, kind)
        history = self.histories.setdefault(item_id, History())
        history.attempts += 1
        history.right += chance
        if str(kind[0]) in PRODUCTION_TYPES:
            history.production_attempts += 1
            history.production_right += chance
        history.last_right = chance
        self.learner.add(str(kind[0]), chance)
        card = self.cards.get(item_id)
        if card is None or card.reviews == 0:
            self.cards[item_id] = CardState(reviews=1, stability=_FIRST_STABILITY, difficulty=_FIRST_DIFFICULTY,
                                            retrievability=0.999, elapsed_days=0.0)
        else:
            self.cards[item_id] = CardState(reviews=card.reviews, lapses=card.lapses, stability=card.stability,
                                            difficulty=card.difficulty, retrievability=0.999, elapsed_days=0.0)


def _first_review() -> tuple[float, float]:
    """Stability and difficulty of a card after one right answer (FSRS's defaults)."""
    card, _ = _replay_scheduler().review_card(FsrsCard(), Rating.Good)
    return float(card.stability or 0.0), float(card.difficulty or 5.0)


_FIRST_STABILITY, _FIRST_DIFFICULTY = _first_review()


def prior_predictor(cards: Mapping[int, CardState]) -> Predictor:
    """The predictor before anything is known but the cards."""
    return Predictor(model=PriorModel(), cards=dict(cards), histories={}, learner=LearnerStats(), item_rates={})


def card_state(card: Card, at: datetime, desired_retention: float) -> CardState:
    """A stored card's memory at ``at``. Its retrievability is a feature, read with FSRS's default curve as the
    training replay (``dataset``) reads it, whatever weights schedule the card: the model learns what that
    feature means, so training and predicting must compute it alike."""
    if not card.reviews:
        return CardState()
    elapsed = (at - card.last_reviewed_at).total_seconds() / 86400 if card.last_reviewed_at else 0.0
    return CardState(reviews=card.reviews, lapses=card.lapses or 0, stability=card.stability,
                     difficulty=card.difficulty, retrievability=scheduler.retrievability(card, at, desired_retention),
                     elapsed_days=max(0.0, elapsed))
