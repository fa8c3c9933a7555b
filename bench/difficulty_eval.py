"""How well the P(correct) model predicts answers, and what share of right answers lessons reach with it.

Run from the repository root: ``.venv/bin/python bench/difficulty_eval.py [--learners 160] [--days 21]``.
In-process, no database: synthetic learners with a known memory drive Puchi's real lesson builder
(``lesson_builder.build_lesson`` / ``build_practice``), scheduler (FSRS cards) and model code
(``difficulty.dataset`` / ``fit``, exactly what the training job runs).

The ground truth: each learner has an ability, each item a difficulty, each exercise kind an ease; memory of an
item decays exponentially with a half-life that grows with each right answer (HLR-style) and shrinks with a
wrong one. P(right) = sigmoid(logit(recall) + ability - difficulty + ease), plus a 1-in-4 guess on multiple
choice. A lesson's first question about a new item follows its teach card (as in the player): the item is met
there, moments before.

Phase 1 plays every learner with the prior (no trained model yet). The model is then trained on four learners in
five and evaluated on the fifth: log-loss and calibration (mean predicted vs observed, per decile of the
predictions) for the model, a per-item base rate, FSRS retrievability and the prior. Phase 2 plays new learners
with the trained model (retrained after each cohort, as the daily job would) and reports the share of right
answers their lessons reached against the target band.
"""

from __future__ import annotations

import argparse
import copy
import math
import random
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from puchi.learning import difficulty, lesson_builder, scheduler  # noqa: E402
from puchi.learning.grading import Verdict  # noqa: E402
from puchi.learning.lessons import MAX_RETRIES  # noqa: E402
from puchi.learning.models import PHRASE, WORD, Card, Course, Item  # noqa: E402
from puchi.learning.steps import Direction, ExerciseType  # noqa: E402

EASE = {  # logits: how much easier than typing the word in the language learned each kind is
    (ExerciseType.CHOOSE, Direction.TO_SOURCE): 2.2, (ExerciseType.CHOOSE, Direction.TO_TARGET): 1.7,
    (ExerciseType.TILES, Direction.TO_SOURCE): 1.4, (ExerciseType.TILES, Direction.TO_TARGET): 0.9,
    (ExerciseType.TRANSLATE, Direction.TO_SOURCE): 0.6, (ExerciseType.TRANSLATE, Direction.TO_TARGET): 0.0,
    (ExerciseType.LISTEN, Direction.TO_TARGET): -0.3, (ExerciseType.SPEAK, Direction.TO_TARGET): 0.3,
    (ExerciseType.FILL, None): 0.8,
}
GUESS = {ExerciseType.CHOOSE: 0.25}
NEW_RECALL = 0.3  # a word never met is sometimes understood (cognates, context): a match or a fill, say
START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


@dataclass
class World:
    items: list[Item]
    difficulty: dict[int, float]
    course: Course
    skills: list[list[Item]]


@dataclass
class Learner:
    user_id: int
    ability: float
    half_life: dict[int, float] = field(default_factory=dict)  # item → days
    last_seen: dict[int, datetime] = field(default_factory=dict)
    cards: dict[int, Card] = field(default_factory=dict)
    histories: dict[int, difficulty.History] = field(default_factory=dict)
    stats: difficulty.LearnerStats = field(default_factory=difficulty.LearnerStats)
    records: list[difficulty.AttemptRecord] = field(default_factory=list)


def make_world(items_count: int, rng: random.Random) -> World:
    course = Course(id=1, slug="sim", title="Sim", target_language="es", target_language_name="Spanish",
                    source_language="en", source_language_name="English", special_characters=[])
    items, skills = [], []
    per_skill = 20
    for n in range(items_count):
        kind = PHRASE if n % 5 == 4 else WORD
        text = f"palabra{n}" if kind == WORD else f"la frase numero {n}"
        items.append(Item(id=n + 1, course_id=1, skill_id=n // per_skill + 1, kind=kind, text=text,
                          translation=f"word{n}" if kind == WORD else f"the phrase number {n}", alternatives=[],
                          alternative_translations=[], position=n, images=[], extra={}))
    for start in range(0, items_count, per_skill):
        skills.append(items[start:start + per_skill])
    return World(items=items, difficulty={i.id: rng.gauss(0, 0.9) for i in items}, course=course, skills=skills)


def true_chance(world: World, learner: Learner, item: Item, kind: difficulty.Kind, at: datetime) -> float:
    if item.id in learner.half_life:
        days = (at - learner.last_seen[item.id]).total_seconds() / 86400
        recall = 0.02 + 0.97 * 2 ** (-days / learner.half_life[item.id])
    else:
        recall = NEW_RECALL
    logit = math.log(recall / (1 - recall)) + learner.ability - world.difficulty[item.id] + EASE.get(kind, 0.0)
    chance = 1 / (1 + math.exp(-logit))
    guess = GUESS.get(kind[0], 0.0)
    return guess + (1 - guess) * chance


def learn(world: World, learner: Learner, item: Item, right: bool, at: datetime) -> None:
    if item.id not in learner.half_life:
        learner.half_life[item.id] = 0.8 * math.exp(0.4 * (learner.ability - world.difficulty[item.id]))
    else:
        days = (at - learner.last_seen[item.id]).total_seconds() / 86400
        spacing = min(1.0, days / max(0.05, learner.half_life[item.id]))  # massed practice helps little
        if right:
            learner.half_life[item.id] *= 1 + 2.0 * spacing * math.exp(-0.2 * world.difficulty[item.id])
        else:
            learner.half_life[item.id] = max(0.05, learner.half_life[item.id] * 0.45)
    learner.last_seen[item.id] = at


def predictor_for(learner: Learner, model: difficulty.Model | None, rates: dict[int, float], global_rate: float,
                  at: datetime) -> difficulty.Predictor | None:
    if model is None:
        return None  # the builder's own prior
    states = {item_id: difficulty.card_state(card, at, 0.9) for item_id, card in learner.cards.items()}
    return difficulty.Predictor(model=model, cards=states, histories=copy.deepcopy(learner.histories),
                                learner=copy.copy(learner.stats), item_rates=rates, default_item_rate=global_rate)


@dataclass(frozen=True)
class Session:
    expected: float  # the planned share of right answers
    observed: float  # the share reached
    plan: str  # "lesson" or "practice"
    chance_within: float  # the chance the share lands within the band ±0.05 if the plan were exact


def chance_within(chances: list[float], target: tuple[float, float], margin: float = 0.05) -> float:
    """The chance that independent answers, right with these chances, make a share within the band ±margin: with
    a dozen answers a session, even a perfect plan often lands outside (each answer moves the share by 8 %)."""
    counts = [1.0]  # counts[k]: the chance of k right answers so far
    for p in chances:
        counts = [(counts[k] if k < len(counts) else 0.0) * (1 - p) + (counts[k - 1] * p if k else 0.0)
                  for k in range(len(counts) + 1)]
    n = len(chances)
    return sum(c for k, c in enumerate(counts) if target[0] - margin - 1e-9 <= k / n <= target[1] + margin + 1e-9)


def play(world: World, learner: Learner, days: int, model: difficulty.Model | None, rates: dict[int, float],
         global_rate: float, rng: random.Random, target: tuple[float, float],
         by_kind: dict[str, list[tuple[float, int]]] | None = None) -> list[Session]:
    """Every day a lesson of the first skill with unmet items (and a practice every other day); returns each
    session's (expected, observed) share of right answers and its kind. A wrong answer comes back once later in
    the session, one level easier (``lesson_builder.retry_step``, as the player appends it, up to
    ``MAX_RETRIES``): the share counts every answer, as the session's accuracy does."""
    sessions = []
    for day in range(days):
        at = START + timedelta(days=day, minutes=rng.randint(0, 600))
        plans = ["lesson", "practice"] if day % 2 else ["lesson"]
        for plan in plans:
            skill = next((s for s in world.skills if any(i.id not in learner.cards for i in s)), world.skills[-1])
            material = lesson_builder.LessonMaterial(
                course=world.course, skill_items=skill if plan == "lesson" else [], cards=learner.cards,
                review_items=[i for i in world.items if i.id in learner.cards],
                pool=world.items[:60], now=at, desired_retention=0.9,
                predictor=predictor_for(learner, model, rates, global_rate, at), target=target)
            if plan == "practice" and not material.review_items:
                continue
            build = lesson_builder.build_lesson if plan == "lesson" else lesson_builder.build_practice
            planning = copy.deepcopy(material.predicting())
            steps = build(material, seed=rng.randrange(1 << 30))
            expected, observed = [], []
            items = {i.id: i for i in world.items}
            retries = 0
            position = 0
            while position < len(steps):
                step = steps[position]
                position += 1
                if step.item_id is None or step.direction is None and step.type is not ExerciseType.FILL:
                    continue
                item = items[step.item_id]
                kind = (step.type, step.direction)
                if plan == "lesson" and item.id not in learner.half_life and not (step.review or step.retry) \
                        and step.type not in {ExerciseType.MATCH, ExerciseType.FILL}:
                    learn(world, learner, item, True, at)  # the teach card the player shows at a first meeting
                expected.append(planning.probability(item.id, kind))
                planning.seen_in_lesson(item.id, kind, expected[-1])
                chance = true_chance(world, learner, item, kind, at)
                right = rng.random() < chance
                observed.append(right)
                if by_kind is not None:
                    role = "retry" if step.retry else "review" if step.review else (
                        "new" if kind == difficulty.CHOOSE_MEANING else "again")
                    by_kind[f"{step.type.value} {step.direction.value if step.direction else ''} {role}"].append(
                        (expected[-1], int(right)))
                record = difficulty.AttemptRecord(learner.user_id, item.id, step.type.value,
                                                  step.direction.value if step.direction else None,
                                                  "correct" if right else "wrong", at)
                learner.records.append(record)
                learner.histories.setdefault(item.id, difficulty.History()).add(record)
                learner.stats.add(step.type.value, right)
                if item.id not in learner.cards:
                    learner.cards[item.id] = scheduler.new_card(learner.user_id, item, at)
                verdict = Verdict.CORRECT if right else Verdict.WRONG
                scheduler.review_answer(learner.cards[item.id], verdict, step.type, 8000, 5, hinted=False, at=at,
                                        timezone="UTC", desired_retention=0.9)  # the day's review when due
                learn(world, learner, item, right, at)
                at += timedelta(seconds=20)
                if not right and not step.retry and retries < MAX_RETRIES:
                    retries += 1
                    steps.append(lesson_builder.retry_step(step, item, world.items[:60], world.course, [],
                                                           seed=rng.randrange(1 << 30)))
            if observed:
                sessions.append(Session(sum(expected) / len(expected), sum(observed) / len(observed), plan,
                                        chance_within(expected, target)))
    return sessions


def evaluate(name: str, probabilities: list[float], labels: list[int]) -> None:
    print(f"  {name:<28} log-loss {difficulty.log_loss(probabilities, labels):.4f}")


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=56, help="learners in phase 1 (a fifth held out)")
    parser.add_argument("--new-learners", type=int, default=24, help="learners in phase 2")
    parser.add_argument("--cohorts", type=int, default=3, help="phase 2 retrains the model after each cohort")
    parser.add_argument("--days", type=int, default=15)
    parser.add_argument("--items", type=int, default=100)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--target", default="0.80-0.85")
    args = parser.parse_args(argv)
    low, _, high = args.target.partition("-")
    target = (float(low), float(high or low))
    rng = random.Random(args.seed)
    began = time.perf_counter()
    world = make_world(args.items, rng)

    learners = [Learner(user_id=n + 1, ability=rng.gauss(0, 0.8)) for n in range(args.learners)]
    prior_sessions = []
    prior_by_kind: dict[str, list[tuple[float, int]]] = defaultdict(list)
    for learner in learners:
        prior_sessions += play(world, learner, args.days, None, {}, 0.8, rng, target, prior_by_kind)
    held = [r for learner in learners if learner.user_id % 5 == 0 for r in learner.records]
    kept = [r for learner in learners if learner.user_id % 5 != 0 for r in learner.records]
    counts = difficulty.item_counts(kept)
    model = difficulty.fit(difficulty.dataset(kept))
    test = difficulty.dataset(held, counts)
    total_right = sum(r for r, _ in counts.values())
    total = sum(n for _, n in counts.values())
    global_rate = total_right / total
    rates = {item: difficulty.smoothed_rate(c, global_rate) for item, c in counts.items()}
    print(f"phase 1: {len(learners)} learners x {args.days} days with the prior; trained on {len(kept)} answers "
          f"of {len(learners) - len(learners) // 5} learners, evaluated on {len(test.labels)} answers of "
          f"{len(learners) // 5} held-out learners")
    predictions = {
        "model (logistic regression)": model.predict(test.rows, test.kinds, test.cards),
        "per-item base rate": [rates.get(item, global_rate) for item in test.items],
        "FSRS R (new items: base rate)": [card.retrievability if card.reviews else global_rate
                                          for card in test.cards],
        "prior (kind rate x FSRS R)": difficulty.PriorModel().predict(test.rows, test.kinds, test.cards),
        "constant (overall rate)": [global_rate] * len(test.labels),
    }
    results = {}
    for name, probabilities in predictions.items():
        evaluate(name, probabilities, test.labels)
        results[name] = difficulty.log_loss(probabilities, test.labels)
    for name in ("model (logistic regression)", "per-item base rate", "FSRS R (new items: base rate)"):
        print(f"  calibration of {name}: decile  expected  observed  answers")
        for n, (mean, observed, count) in enumerate(difficulty.calibration(predictions[name], test.labels)):
            print(f"    {n + 1:>2}  {mean:.3f}  {observed:.3f}  {count}")

    # New learners play with the model, in cohorts; after each the model is trained again on every answer so far,
    # as the daily job does, so it learns from lessons built with its own choices. The last cohort is reported.
    newcomers = [Learner(user_id=10_000 + n, ability=rng.gauss(0, 0.8)) for n in range(args.new_learners)]
    cohorts = [newcomers[n::args.cohorts] for n in range(args.cohorts)]
    answered = list(kept)
    for number, cohort in enumerate(cohorts):
        model_sessions: list[Session] = []
        by_kind: dict[str, list[tuple[float, int]]] = defaultdict(list)
        twin_sessions: list[Session] = []
        for learner in cohort:
            model_sessions += play(world, learner, args.days, model, rates, global_rate, rng, target, by_kind)
            answered += learner.records
            if number == len(cohorts) - 1:  # the same learner, with the prior: a like-for-like comparison
                twin = Learner(user_id=20_000 + learner.user_id, ability=learner.ability)
                twin_sessions += play(world, twin, args.days, None, {}, 0.8, rng, target)
        if number < len(cohorts) - 1:
            counts = difficulty.item_counts(answered)
            model = difficulty.fit(difficulty.dataset(answered))
            global_rate = sum(r for r, _ in counts.values()) / sum(n for _, n in counts.values())
            rates = {item: difficulty.smoothed_rate(c, global_rate) for item, c in counts.items()}

    def report(name: str, sessions: list[Session]) -> float:
        observed = sum(s.observed for s in sessions) / len(sessions)
        for plan in ("lesson", "practice"):
            part = [s for s in sessions if s.plan == plan]
            if part:
                print(f"    {plan + 's':<26} sessions {len(part):>5}  planned "
                      f"{sum(s.expected for s in part) / len(part):.3f}  "
                      f"reached {sum(s.observed for s in part) / len(part):.3f}")
        expected = sum(s.expected for s in sessions) / len(sessions)
        inside = sum(1 for s in sessions if target[0] - 0.05 <= s.observed <= target[1] + 0.05) / len(sessions)
        ceiling = sum(s.chance_within for s in sessions) / len(sessions)
        print(f"  {name:<28} sessions {len(sessions):>5}  planned {expected:.3f}  reached {observed:.3f}  "
              f"within the band ±0.05: {inside:.0%} (if each answer were right with its planned chance: "
              f"{ceiling:.0%})")
        return observed

    print(f"phase 2: share of right answers per session (target band {target[0]:.2f}-{target[1]:.2f})")
    results["reached with the prior"] = report("phase 1, with the prior", prior_sessions)
    results["reached by the same learners with the prior"] = report(
        f"cohort {args.cohorts}, with the prior", twin_sessions)
    results["reached with the model"] = report(f"cohort {args.cohorts}, with the model", model_sessions)
    for name, table in (("the prior", prior_by_kind), ("the model (last cohort)", by_kind)):
        print(f"  with {name}, by exercise kind and role: steps  planned  reached")
        for kind, pairs in sorted(table.items()):
            print(f"    {kind:<40} {len(pairs):>6}  {sum(p for p, _ in pairs) / len(pairs):.3f}  "
                  f"{sum(y for _, y in pairs) / len(pairs):.3f}")
    print(f"({time.perf_counter() - began:.0f} s)")
    return results


if __name__ == "__main__":
    main()
