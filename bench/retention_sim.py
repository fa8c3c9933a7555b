"""Simulated learners with a known memory, scheduled by Puchi's own scheduler: does recall at due reviews meet the
learner's retention target, and how many items are known per hour of study, against fixed Leitner intervals?

.venv/bin/python bench/retention_sim.py [--learners 200] [--items 100] [--days 60] [--jobs 2] [--seed 1]
    [--targets 0.80,0.85,0.90,0.95] [--fit-every 10] [--daily-memory]

What it drives: the **pure functions of** ``puchi/learning/scheduler.py`` that the lesson service calls for every
answer (no database, no app: a temp SQLite database would be about 50 times slower), on transient ``Card`` and
``Item`` rows: ``review_answer`` (one review per item per learner-day, practice otherwise; ratings by exercise
kind and hints; FSRS with the seeded fuzz, the course's fitted weights, and the learner's own when ``--fit-every``
fits them with ``puchi/learning/fitting.py`` and they predict the learner's newest reviews better, as the job keeps
them: "own fits kept" counts those), ``day_end`` (what is due on the learner's day), and the lesson builder's choice of
exercise for the day's due reviews (``lesson_builder.production_starts`` and ``plan_levels``: production wherever
the P(correct) model gives the learner a fair chance, within the target band). The P(correct) model here is the
one training would learn in this world (``WorldModel``: from the scheduler's R, a hint or a guess);
``bench/difficulty_eval.py`` measures how well the real model learns it.

Each simulated learner studies once a day at 19:00 in their own time zone: every item due that day (most
overdue first), then a lesson of new items while any are left (``--new-per-day``) in which each new item is shown
on its teach card and then met by recognition (its first review: right, the card has just shown it), comes back
once as a typed production (practice, as the second sight in a lesson is), and every wrong answer comes back once
more (practice). Lessons are not padded with items that are
not due (the builder's choice, not modelled here).

Ground truths (the learner's real memory, unknown to the scheduler), half the learners each:
- **FSRS-6**: FSRS-6's own equations with the default weights scaled per learner (initial stabilities ×
  lognormal(0, 0.4), the growth weight w8 ± 0.25) and a difficulty per item (± 1.5).
- **HLR** (half-life regression, Settles & Meeder 2016): p = 2^(-Δ/h),
  h = 2^(θ·(1, √(1+right), √(1+wrong)) with θ = (0, 2, -0.6)
  + item bias + learner bias) days: exponential forgetting, unlike FSRS's power curve.
Every sight after the first changes memory, as both models say: FSRS-6 by its same-day equations (w17–w19: a
success never lowers stability, a lapse does), HLR by counting every practice, right or wrong, as the paper's
history features do. ``--daily-memory`` keeps the rule the simulation had before: memory changes at most once a
day (later same-day sights only re-teach a forgotten item), under which an item first seen today is as weak
tomorrow however often the lesson showed it (under HLR even the oracle's recall at due reviews then misses
0.90 and 0.95 by more than 0.03: ``target_reachable`` counts the reviews no daily schedule could aim).

The learner answers from memory: a recalled item is right (a typed one "almost" 5 % of the time); a forgotten
one is looked up in the hint 30 % of the time (then right, hinted), guessed among four choices in recognition,
else wrong. Time: recognition 4 s, production 8 s, a hint 3 s more, reading the correction of a wrong answer 4 s.

Printed per ground truth and scheduler: recall at due reviews (the ground truth's probability of recall at the
moment of each of the scheduler's due reviews, averaged: what FSRS's desired retention promises; not whether the
answer was right, which a guess or a hint can make it) against the target; the share of those reviews where the
target could be met (``target_reachable``: the item's recall a day after its last sight was at least the target;
when it was not, one review a day brings it back under the target whoever schedules it) and the recall at them;
items known at the last day
(expected recall summed over the items),
minutes studied, items known per hour, and the same for the Leitner baseline (boxes of 1, 2, 4, 8, 16, 32 days;
right moves up a box, wrong or hinted back to the first; its first two boxes are picks among choices, the rest
typed; "leitner-typed" types every due review, as Puchi's builder nearly always does: the same exercises, only
the intervals differ) and for the oracle (``OraclePolicy``: the learner's true recall, every due review typed,
on the day nearest the target: what once-a-day study allows).
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fsrs.scheduler import DEFAULT_PARAMETERS  # noqa: E402

from puchi.learning import difficulty, fitting, lesson_builder, scheduler  # noqa: E402
from puchi.learning.grading import Verdict  # noqa: E402
from puchi.learning.models import REVIEW_PRACTICE, Card, Item  # noqa: E402

CHOOSE, TRANSLATE = "choose_translation", "translate"
ZONES = ("Europe/Madrid", "America/New_York", "Asia/Tokyo", "UTC", "Pacific/Auckland")
START = datetime(2026, 1, 5, tzinfo=UTC)
HINT_RATE = 0.3
ALMOST_RATE = 0.05
SECONDS = {CHOOSE: 4.0, TRANSLATE: 8.0}
HINT_SECONDS, CORRECTION_SECONDS = 3.0, 4.0
LEITNER_DAYS = (1, 2, 4, 8, 16, 32)


# --- Ground truths ---------------------------------------------------------------------------------------------

class Memory(Protocol):
    last_day: int | None  # the day of the last sight

    def recall(self, day: int) -> float: ...
    def learn(self, day: int, recalled: bool) -> None: ...


@dataclass
class Fsrs6Memory:
    """One item in a learner's head, by FSRS-6's equations with the learner's and the item's own weights."""

    w: tuple[float, ...]
    item_difficulty: float
    stability: float = 0.0
    difficulty: float = 0.0
    last_day: int | None = None
    daily: bool = False  # memory changes at most once a day (--daily-memory)

    def recall(self, day: int) -> float:
        if self.last_day is None:
            return 0.0
        decay = -self.w[20]
        factor = 0.9 ** (1 / decay) - 1
        return float((1 + factor * (day - self.last_day) / self.stability) ** decay)

    def _d0(self, grade: int) -> float:
        return self.w[4] - math.exp(self.w[5] * (grade - 1)) + 1

    def _next_difficulty(self, grade: int) -> float:
        w, d = self.w, self.difficulty
        d = d - w[6] * (grade - 3) * (10 - d) / 9
        return min(10.0, max(1.0, w[7] * (self._d0(4) + self.item_difficulty) + (1 - w[7]) * d))

    def learn(self, day: int, recalled: bool) -> None:
        w, grade = self.w, 3 if recalled else 1
        if self.last_day is None:
            self.stability = w[2]
            self.difficulty = min(10.0, max(1.0, self._d0(3) + self.item_difficulty))
        elif day > self.last_day:
            r = self.recall(day)
            d, s = self.difficulty, self.stability
            if recalled:
                self.stability = s * (1 + math.exp(w[8]) * (11 - d) * s ** -w[9] * (math.exp(w[10] * (1 - r)) - 1))
            else:
                self.stability = min(s, w[11] * d ** -w[12] * ((s + 1) ** w[13] - 1) * math.exp(w[14] * (1 - r)))
            self.difficulty = self._next_difficulty(grade)
        elif not self.daily:  # FSRS-6's same-day review: a success never lowers stability
            increase = math.exp(w[17] * (grade - 3 + w[18])) * self.stability ** -w[19]
            self.stability *= max(increase, 1.0) if recalled else increase
            self.difficulty = self._next_difficulty(grade)
        else:
            return
        self.stability = max(self.stability, 0.01)
        self.last_day = day


@dataclass
class HlrMemory:
    """One item by half-life regression: h = 2^(θ·x) days, p = 2^(-Δ/h)."""

    bias: float  # the item's and the learner's together
    right: int = 0
    wrong: int = 0
    last_day: int | None = None
    theta: tuple[float, float, float] = (0.0, 2.0, -0.6)
    daily: bool = False  # memory changes at most once a day (--daily-memory)

    def recall(self, day: int) -> float:
        if self.last_day is None:
            return 0.0
        t0, t1, t2 = self.theta
        half_life = 2 ** (t0 + t1 * math.sqrt(1 + self.right) + t2 * math.sqrt(1 + self.wrong) + self.bias)
        return float(2 ** (-(day - self.last_day) / half_life))

    def learn(self, day: int, recalled: bool) -> None:
        if self.daily and self.last_day is not None and day <= self.last_day:
            return
        if self.last_day is not None:  # every practice after the first sight is history
            if recalled:
                self.right += 1
            else:
                self.wrong += 1
        self.last_day = day


def memories(truth: str, items: int, rng: random.Random, daily: bool = False) -> list[Memory]:
    if truth == "fsrs6":
        w = list(DEFAULT_PARAMETERS)
        scale = math.exp(rng.gauss(0, 0.4))
        for index in range(4):
            w[index] *= scale
        w[8] += rng.gauss(0, 0.25)
        return [Fsrs6Memory(w=tuple(w), item_difficulty=rng.gauss(0, 1.5), daily=daily) for _ in range(items)]
    learner = rng.gauss(0, 0.5)
    return [HlrMemory(bias=learner + rng.gauss(0, 0.5), daily=daily) for _ in range(items)]


# --- One learner -------------------------------------------------------------------------------------------------

@dataclass
class Outcome:
    due_reviews: int = 0
    due_recalled: float = 0.0  # the ground truth's recall at each due review, summed
    reachable_reviews: int = 0  # due reviews of items whose recall a day after their last sight met the target
    reachable_recalled: float = 0.0
    known: float = 0.0
    seconds: float = 0.0
    reviews: list[tuple[int, int, int]] = field(default_factory=list)  # (item, day, rating) for fitting
    fits: int = 0  # the learner's own fits judged, and kept
    fits_kept: int = 0


class Policy(Protocol):
    def due(self, item: int, at: datetime, day: int) -> bool: ...
    def urgency(self, item: int) -> float: ...
    def level(self, item: int) -> int: ...
    def counts(self, item: int, at: datetime) -> bool: ...
    def answer(self, item: int, verdict: Verdict, exercise: str, seconds: float, hinted: bool, at: datetime,
               day: int) -> int | None: ...


class PuchiPolicy:
    """Puchi's scheduler: every call below is the one the lesson service makes."""

    def __init__(self, items: int, target: float, timezone: str) -> None:
        self.target, self.timezone = target, timezone
        self.items = [Item(id=i + 1, course_id=1, skill_id=1, kind="word", text=f"w{i}", translation=f"t{i}")
                      for i in range(items)]
        self.cards: dict[int, Card] = {}
        self.weights: list[float] | None = None
        self._today: tuple[int, datetime] = (-1, START)  # the day and the instant it ends for the learner

    def due(self, item: int, at: datetime, day: int) -> bool:
        if self._today[0] != day:
            self._today = (day, scheduler.day_end(at, self.timezone))
        return self.cards[item].due_at < self._today[1]

    def urgency(self, item: int) -> float:
        return self.cards[item].due_at.timestamp()

    def level(self, item: int) -> int:
        return scheduler.knowledge_level(self.cards.get(item))

    def counts(self, item: int, at: datetime) -> bool:
        card = self.cards.get(item)
        return card is None or scheduler.counts_as_review(card, at, self.timezone)

    def answer(self, item: int, verdict: Verdict, exercise: str, seconds: float, hinted: bool, at: datetime,
               day: int) -> int | None:
        if item not in self.cards:
            self.cards[item] = scheduler.new_card(1, self.items[item], at)
        kind, rating = scheduler.review_answer(self.cards[item], verdict, exercise, int(seconds * 1000), 6,
                                               hinted=hinted, at=at, timezone=self.timezone,
                                               desired_retention=self.target, weights=self.weights)
        return None if kind == REVIEW_PRACTICE else int(rating)

    def due_exercises(self, due: list[int], at: datetime) -> dict[int, str]:
        """How the lesson builder asks the day's due reviews: ``build_practice``'s choice of levels (production
        wherever the P(correct) model, here its prior from the cards, says the learner can), as exercise kinds."""
        cards = {i + 1: self.cards[i] for i in due}
        predictor = difficulty.prior_predictor({item_id: difficulty.card_state(card, at, self.target)
                                                for item_id, card in cards.items()})
        predictor.model = WorldModel()
        items = [self.items[i] for i in due]
        levels = lesson_builder.plan_levels(predictor, [(i, 0) for i in items], lesson_builder.TARGET_SUCCESS,
                                            starts=lesson_builder.production_starts(predictor, items))
        return {i: TRANSLATE if levels[i + 1] >= lesson_builder.production_level(self.items[i]) else CHOOSE
                for i in due}


class WorldModel(difficulty.Model):
    """P(correct) as the trained model would learn it in this world, from the scheduler's estimate R of recall: a
    recalled item is answered right; a forgotten one by a hint, or (picking among four) by a guess. (How well the
    real model learns P(correct) from answers is ``bench/difficulty_eval.py``'s subject.)"""

    def predict(self, rows: Sequence[Sequence[float]], kinds: Sequence[str],
                cards: Sequence[difficulty.CardState]) -> list[float]:
        result = []
        for kind, card in zip(kinds, cards, strict=True):
            lucky = HINT_RATE + (1 - HINT_RATE) * 0.25 if scheduler.is_recognition(kind) else HINT_RATE
            result.append(card.retrievability + (1 - card.retrievability) * lucky)
        return result


class OncePerDay:
    """A baseline's first answer to an item on a day is its review; later ones that day are practice."""

    def __init__(self) -> None:
        self.last_day: dict[int, int] = {}

    def counts(self, item: int, at: datetime) -> bool:
        return True

    def first_today(self, item: int, day: int) -> bool:
        if self.last_day.get(item) == day:
            return False
        self.last_day[item] = day
        return True


class LeitnerPolicy(OncePerDay):
    """Fixed intervals: boxes of 1, 2, 4, 8, 16 and 32 days; right (unhinted) moves up, else back to the first."""

    def __init__(self, items: int) -> None:
        super().__init__()
        self.box: dict[int, int] = {}
        self.next_day: dict[int, int] = {}

    def due(self, item: int, at: datetime, day: int) -> bool:
        return self.next_day[item] <= day

    def urgency(self, item: int) -> float:
        return self.next_day[item]

    def level(self, item: int) -> int:
        return min(3, self.box.get(item, 0))

    def answer(self, item: int, verdict: Verdict, exercise: str, seconds: float, hinted: bool, at: datetime,
               day: int) -> int | None:
        if not self.first_today(item, day):
            return None
        first = item not in self.box
        box = self.box.get(item, 0)
        box = 0 if verdict is Verdict.WRONG or hinted else (box if first else min(box + 1, len(LEITNER_DAYS) - 1))
        self.box[item] = box
        self.next_day[item] = day + LEITNER_DAYS[box]
        return 3 if verdict is not Verdict.WRONG else 1


class OraclePolicy(OncePerDay):
    """A scheduler that aims at the retention target knowing the learner's true memory: it reviews each item on
    the day its recall is nearest the target (the last day over it, or the first under it), typed (as Puchi's
    builder asks nearly every due review). It shows what aiming at the target allows with one session a day (an
    item that loses more in a day than its gap to the target comes back under it, whoever schedules it), and what
    the exercises cost; it is not the most items known per hour (reviewing later than the target can be cheaper)."""

    def __init__(self, memory: Sequence[Memory], target: float) -> None:
        super().__init__()
        self.memory, self.target = memory, target

    def due(self, item: int, at: datetime, day: int) -> bool:
        today, tomorrow = self.memory[item].recall(day), self.memory[item].recall(day + 1)
        return today < self.target or (tomorrow < self.target and self.target - tomorrow > today - self.target)

    def urgency(self, item: int) -> float:
        return self.last_day[item]  # the longest unseen first

    def level(self, item: int) -> int:
        return 2

    def answer(self, item: int, verdict: Verdict, exercise: str, seconds: float, hinted: bool, at: datetime,
               day: int) -> int | None:
        if not self.first_today(item, day):
            return None
        return 3 if verdict is not Verdict.WRONG else 1


def simulate_learner(truth: str, scheduler_name: str, target: float, items: int, days: int, new_per_day: int,
                     seed: int, fit_every: int, prior: list[float] | None = None,
                     production_reviews: bool = False, daily_memory: bool = False) -> Outcome:
    rng = random.Random(seed)
    memory = memories(truth, items, rng, daily_memory)
    timezone = ZONES[seed % len(ZONES)]
    policy: Policy = (LeitnerPolicy(items) if scheduler_name.startswith("leitner") else OraclePolicy(memory, target)
                      if scheduler_name == "oracle" else PuchiPolicy(items, target, timezone))
    production_reviews = production_reviews or scheduler_name == "leitner-typed"
    if isinstance(policy, PuchiPolicy):
        policy.weights = prior
    outcome = Outcome()
    introduced: list[int] = []

    def study(item: int, exercise: str, at: datetime, day: int, *, due_review: bool, taught: bool = False) -> bool:
        """One answer: from memory, else a hint or a guess. Returns whether it was right. ``taught``: the
        item's teach card was shown just before (its first sight in a lesson), so it is recalled."""
        chance = memory[item].recall(day)
        recalled = taught or rng.random() < chance
        hinted = False
        if recalled:
            verdict = Verdict.ALMOST if exercise == TRANSLATE and rng.random() < ALMOST_RATE else Verdict.CORRECT
        elif rng.random() < HINT_RATE:
            verdict, hinted = Verdict.CORRECT, True
        elif exercise == CHOOSE and rng.random() < 0.25:
            verdict = Verdict.CORRECT
        else:
            verdict = Verdict.WRONG
        seconds = SECONDS[exercise] * rng.uniform(0.6, 1.6) + (HINT_SECONDS if hinted else 0.0)
        outcome.seconds += seconds + (CORRECTION_SECONDS if verdict is Verdict.WRONG else 0.0)
        rating = policy.answer(item, verdict, exercise, seconds, hinted, at, day)
        if rating is not None:
            outcome.reviews.append((item, day, fitting.fit_rating(rating, hinted)))
            if due_review:
                outcome.due_reviews += 1
                outcome.due_recalled += chance
                if target_reachable(memory[item], target):
                    outcome.reachable_reviews += 1
                    outcome.reachable_recalled += chance
        memory[item].learn(day, recalled)  # the feedback teaches what was forgotten
        return verdict is not Verdict.WRONG

    for day in range(days):
        local_evening = START + timedelta(days=day)
        at = (local_evening.astimezone(scheduler._zone(timezone)).replace(hour=19, minute=0)
              .astimezone(UTC))
        if fit_every and day and day % fit_every == 0 and isinstance(policy, PuchiPolicy):
            histories = _histories(outcome.reviews)  # the job refits as the log grows, once it is long enough
            if fitting.review_count(histories) >= fitting.MIN_REVIEWS:  # kept only if it predicts better
                choice = fitting.fit_if_better(histories, [prior] * len(histories))
                if not math.isnan(choice.fit_loss):
                    policy.weights = choice.weights or prior
                    outcome.fits_kept += choice.weights is not None
                    outcome.fits += 1
        due = sorted((i for i in introduced if policy.due(i, at, day)), key=policy.urgency)
        retries: list[int] = []
        if production_reviews:
            kinds = dict.fromkeys(due, TRANSLATE)
        elif isinstance(policy, PuchiPolicy):
            kinds = policy.due_exercises(due, at) if due else {}
        else:
            kinds = {i: TRANSLATE if policy.level(i) > 1 else CHOOSE for i in due}  # Leitner's, the oracle's
        for item in due:
            if not study(item, kinds[item], at, day, due_review=True):
                retries.append(item)
        fresh = list(range(len(introduced), min(items, len(introduced) + new_per_day)))
        introduced.extend(fresh)
        for item in fresh:
            if not study(item, CHOOSE, at, day, due_review=False, taught=True):
                retries.append(item)
        for item in fresh:  # the second sight of a new item in its lesson: practice
            if not study(item, TRANSLATE, at, day, due_review=False):
                retries.append(item)
        for item in retries:
            study(item, CHOOSE, at, day, due_review=False)
    outcome.known = sum(memory[i].recall(days) for i in introduced)
    return outcome


def target_reachable(memory: Memory, target: float) -> bool:
    """Whether once-a-day study could review the item at the target: its recall a day after its last sight is at
    least the target. When it is not, the item comes back under the target whoever schedules it (the next day is
    the soonest: one review per item per learner-day)."""
    return memory.last_day is not None and memory.recall(memory.last_day + 1) >= target


def _histories(reviews: list[tuple[int, int, int]]) -> list[list[tuple[int, int]]]:
    by_item: dict[int, list[tuple[int, int]]] = {}
    for item, day, rating in reviews:
        by_item.setdefault(item, []).append((day, rating))
    return list(by_item.values())


# --- The whole run ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Row:
    truth: str
    scheduler: str
    target: float
    recall_at_due: float
    due_reviews: int
    recall_where_reachable: float  # recall at the due reviews where the target could be met (target_reachable)
    reachable_reviews: int
    known: float
    minutes: float
    fits: int = 0
    fits_kept: int = 0

    @property
    def known_per_hour(self) -> float:
        return self.known / (self.minutes / 60) if self.minutes else 0.0


def run_config(truth: str, scheduler_name: str, target: float, learners: int, items: int, days: int,
               new_per_day: int, seed: int, fit_every: int, prior: list[float] | None,
               production_reviews: bool = False, daily_memory: bool = False) -> Row:
    name = scheduler_name if scheduler_name in ("leitner", "leitner-typed", "oracle") else "puchi"
    outcomes = [simulate_learner(truth, name, target, items, days, new_per_day, seed * 100_003 + n,
                                 fit_every if scheduler_name == "fitted" else 0,
                                 prior if scheduler_name == "fitted" else None, production_reviews, daily_memory)
                for n in range(learners)]
    due = sum(o.due_reviews for o in outcomes)
    reachable = sum(o.reachable_reviews for o in outcomes)
    return Row(truth=truth, scheduler=scheduler_name, target=target,
               recall_at_due=sum(o.due_recalled for o in outcomes) / due if due else float("nan"),
               due_reviews=due,
               recall_where_reachable=(sum(o.reachable_recalled for o in outcomes) / reachable if reachable
                                       else float("nan")),
               reachable_reviews=reachable, known=sum(o.known for o in outcomes) / learners,
               minutes=sum(o.seconds for o in outcomes) / 60 / learners, fits=sum(o.fits for o in outcomes),
               fits_kept=sum(o.fits_kept for o in outcomes))


def course_prior(truth: str, learners: int, items: int, days: int, new_per_day: int, seed: int,
                 production_reviews: bool = False, daily_memory: bool = False) -> list[float] | None:
    """The course's weights, as the job fits them: pooled reviews of an earlier cohort scheduled with defaults."""
    histories: list[list[tuple[int, int]]] = []
    for n in range(learners):
        outcome = simulate_learner(truth, "puchi", 0.9, items, days, new_per_day, -(seed * 100_003 + n + 1), 0,
                                   production_reviews=production_reviews, daily_memory=daily_memory)
        histories += _histories(outcome.reviews)
    return fitting.fit(histories) if fitting.review_count(histories) >= fitting.MIN_COURSE_REVIEWS else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=200, help="half per ground truth (default 200)")
    parser.add_argument("--items", type=int, default=100)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--new-per-day", type=int, default=8)
    parser.add_argument("--targets", default="0.80,0.85,0.90,0.95")
    parser.add_argument("--production-reviews", action="store_true",
                        help="every due review typed (never a pick among choices, where a guess looks like recall)")
    parser.add_argument("--variants", default="fitted,oracle",
                        help="Puchi's scheduler with FSRS's default weights, and/or fitted ones (a course prior from "
                             "an earlier cohort, then the learner's own), and/or the oracle (true recall, typed)")
    parser.add_argument("--fit-every", type=int, default=10,
                        help="every this many days, refit each learner's FSRS weights to their reviews once they have "
                             f"{fitting.MIN_REVIEWS} (default 10)")
    parser.add_argument("--prior-learners", type=int, default=20, help="the earlier cohort, per ground truth")
    parser.add_argument("--daily-memory", action="store_true",
                        help="the learner's memory changes at most once a day (the simulation's earlier rule), not at "
                             "every sight as FSRS-6 and HLR say")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    targets = [float(t) for t in args.targets.split(",")]
    variants = [v for v in args.variants.split(",") if v in ("default", "fitted", "oracle")]
    half = max(1, args.learners // 2)
    truths = ("fsrs6", "hlr")
    began = time.monotonic()
    print(f"{half * 2} learners ({half} per ground truth) x {args.items} items x {args.days} days, "
          f"{args.new_per_day} new items a day; schedulers: {', '.join(variants)}, leitner "
          f"(fitted: a prior from {args.prior_learners} earlier learners, refit every {args.fit_every} days); "
          f"due reviews: {'typed' if args.production_reviews else 'as the lesson builder asks them'}; memory changes "
          f"{'at most once a day' if args.daily_memory else 'at every sight'}", file=sys.stderr)
    with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        priors = dict.fromkeys(truths)
        if "fitted" in variants:
            futures = {truth: pool.submit(course_prior, truth, args.prior_learners, args.items, args.days,
                                          args.new_per_day, args.seed, args.production_reviews, args.daily_memory)
                       for truth in truths}
            priors = {truth: future.result() for truth, future in futures.items()}
        configs = [(truth, name, target) for truth in truths
                   for name, target in [*((v, t) for v in variants for t in targets), ("leitner", 0.0),
                                        *([] if args.production_reviews else [("leitner-typed", 0.0)])]]
        jobs = [pool.submit(run_config, truth, name, target, half, args.items, args.days, args.new_per_day,
                            args.seed, args.fit_every, priors[truth], args.production_reviews, args.daily_memory)
                for truth, name, target in configs]
        rows = [job.result() for job in jobs]
    print(f"{'truth':<6} {'scheduler':<13} {'target':>6} {'recall@due':>10} {'off':>6} {'due revs':>8} "
          f"{'reachable':>9} {'recall there':>12} {'off':>6} "
          f"{'known@end':>9} {'minutes':>8} {'known/hour':>10} {'own fits kept':>13}")
    for row in rows:
        puchi = not row.scheduler.startswith("leitner")  # Puchi's, or the oracle's, with a target
        target = f"{row.target:.2f}" if puchi else "-"
        off = f"{row.recall_at_due - row.target:+.3f}" if puchi else "-"
        share = f"{100 * row.reachable_reviews / row.due_reviews:.0f}%" if puchi and row.due_reviews else "-"
        there = f"{row.recall_where_reachable:.3f}" if puchi else "-"
        off_there = f"{row.recall_where_reachable - row.target:+.3f}" if puchi else "-"
        print(f"{row.truth:<6} {row.scheduler:<13} {target:>6} {row.recall_at_due:>10.3f} {off:>6} "
              f"{row.due_reviews:>8} {share:>9} {there:>12} {off_there:>6} "
              f"{row.known:>9.1f} {row.minutes:>8.1f} {row.known_per_hour:>10.1f} "
              f"{f'{row.fits_kept}/{row.fits}' if row.fits else '-':>13}")
    print(f"({time.monotonic() - began:.0f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
