"""What a lesson contains: new items of the skill, mixed with items that are due or weak, each asked in the
hardest kind of exercise the learner is likely to get right, so that the lesson lands in the target band of
success (``TARGET_SUCCESS``, 80–85 % by default) by the P(correct) model (``difficulty.py``).

Pure functions over loaded rows, so the choice is easy to test and costs no queries of its own.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from puchi.learning import difficulty, exercises, scheduler
from puchi.learning.models import WORD, AuthoredExercise, Card, Course, Item
from puchi.learning.steps import Step

NEW_PER_LESSON = 4
REVIEWS_PER_LESSON = 4
PRACTICE_ITEMS = 10
TARGET_SUCCESS = (0.80, 0.85)
TOP_LEVEL = 3
CHOICE_POOL = 3  # reviews are chosen among this many times the slots, the most urgent first …
URGENCY_WEIGHT = 0.002  # … each place down the order of urgency weighing as 0.2 % off the aim
HEADROOM = 0.05  # chances at the easiest exercise aim this much above the band's middle
# A due review is asked as production (typed, or arranged: never a pick among choices, where a guess passes for
# recall) whenever the model gives the learner at least the chance a blind pick among the choices has: below
# that the answer would mostly be a failure the learner sees coming. (bench/retention_sim.py: with recognition
# at due reviews recall fell 0.03-0.07 short of the target; with this floor it is within 0.03.)
DUE_PRODUCTION_FLOOR = 1 / exercises.CHOICES

# The kind of exercise each level of ``exercises.step_for_level`` asks, for words and for phrases (the top level
# is typed in the language learned, or heard and typed: the model is asked about typing).
LADDER: dict[bool, tuple[difficulty.Kind, ...]] = {
    True: (difficulty.CHOOSE_MEANING, difficulty.CHOOSE_WORD, difficulty.TYPE_MEANING, difficulty.TYPE_WORD),
    False: (difficulty.CHOOSE_MEANING, difficulty.TILES_MEANING, difficulty.TILES_PHRASE, difficulty.TYPE_WORD),
}


@dataclass
class LessonMaterial:
    """Everything the builder may use, loaded by the caller in a bounded number of queries."""

    course: Course
    skill_items: Sequence[Item]  # the skill being learned, in course order (empty for practice)
    cards: dict[int, Card]  # item id → the learner's card, for every item of the course they have met
    review_items: Sequence[Item]  # items of the course with cards, candidates for review
    pool: Sequence[Item]  # items to draw wrong choices and spare tiles from
    vocabulary: Sequence[str] = ()  # known target-language words, to split scripts without spaces
    authored: Sequence[AuthoredExercise] = ()
    now: datetime = field(default_factory=lambda: datetime.now().astimezone())
    desired_retention: float = 0.9
    weights: scheduler.Weights | None = None  # the FSRS weights that schedule these cards (card_weights.chosen)
    timezone: str = "UTC"  # the learner's: due dates are compared in their calendar days
    last_answered: Mapping[int, datetime] = field(default_factory=dict)  # item id → the learner's last answer
    predictor: difficulty.Predictor | None = None  # P(correct); None: the prior, from the cards alone
    target: tuple[float, float] = TARGET_SUCCESS  # the share of right answers a lesson aims at

    def predicting(self) -> difficulty.Predictor:
        if self.predictor is None:
            self.predictor = difficulty.prior_predictor({
                item_id: difficulty.card_state(card, self.now, self.desired_retention)
                for item_id, card in self.cards.items()})
        return self.predictor


def build_lesson(material: LessonMaterial, seed: int) -> list[Step]:
    rng = random.Random(seed)
    predictor = material.predicting()
    new_items = [i for i in material.skill_items if i.id not in material.cards][:NEW_PER_LESSON]

    # Meet each new item by recognising it, then use it again later in the lesson, as hard as the learner can.
    first_chances = predictor.probabilities([(i.id, difficulty.CHOOSE_MEANING) for i in new_items])
    for item, chance in zip(new_items, first_chances, strict=True):
        predictor.seen_in_lesson(item.id, difficulty.CHOOSE_MEANING, chance)
    # A new item is nearly always right, met just after its teach card and again soon after: the reviews make
    # up for it, chosen weaker, so that the lesson as a whole lands in the band.
    count = REVIEWS_PER_LESSON if new_items else NEW_PER_LESSON + REVIEWS_PER_LESSON
    new_steps = [*first_chances, *_second_sight_chances(predictor, new_items, material.target)]
    reviews = _review_choice(material, exclude={i.id for i in new_items},
                             prefer_skill={i.skill_id for i in material.skill_items}, count=count,
                             aim=review_aim(material.target, new_steps, count))
    levels = plan_levels(predictor, [*[(i, 1) for i in new_items], *[(i, 0) for i in reviews]], material.target,
                         fixed=first_chances, starts=due_starts(material, predictor, reviews))
    first_round = [exercises.step_for_level(i, 0, material.pool, material.course, material.vocabulary, rng)
                   for i in new_items]
    review_round = [_review_step(material, i, levels[i.id], rng) for i in reviews]
    second_round = [exercises.step_for_level(i, levels[i.id], material.pool, material.course, material.vocabulary,
                                             rng) for i in new_items]
    steps = _interleave(first_round, review_round) + second_round
    words = [i for i in [*new_items, *reviews] if i.kind == WORD]
    if len(words) >= exercises.MATCH_PAIRS:
        steps.append(exercises.match_step(rng.sample(words, len(words)), rng))
    if material.authored:
        steps.append(exercises.fill_step_from_authored(rng.choice(list(material.authored)), rng))
    return _no_item_twice_in_a_row(steps)


def build_practice(material: LessonMaterial, seed: int) -> list[Step]:
    """A review of what is due across the course (or, when nothing is, of the weakest items)."""
    rng = random.Random(seed)
    reviews = _review_choice(material, exclude=set(), prefer_skill=set(), count=PRACTICE_ITEMS,
                             aim=review_aim(material.target, (), PRACTICE_ITEMS))
    predictor = material.predicting()
    levels = plan_levels(predictor, [(i, 0) for i in reviews], material.target,
                         starts=due_starts(material, predictor, reviews))
    steps = [_review_step(material, i, levels[i.id], rng) for i in reviews]
    words = [i for i in reviews if i.kind == WORD]
    if len(words) >= exercises.MATCH_PAIRS:
        steps.insert(len(steps) // 2, exercises.match_step(rng.sample(words, len(words)), rng))
    return _no_item_twice_in_a_row(steps)


def review_aim(target: tuple[float, float], other_steps: Sequence[float], reviews: int) -> float:
    """The average chance at the easiest exercise the reviews are chosen to have: what brings a lesson whose
    other steps have ``other_steps`` chances to the middle of the band, plus ``HEADROOM`` (levels then make
    the reviews harder)."""
    middle = sum(target) / 2
    needed = (middle * (len(other_steps) + reviews) - sum(other_steps)) / reviews if reviews else middle
    return min(1.0, max(0.0, needed)) + HEADROOM


def _second_sight_chances(predictor: difficulty.Predictor, items: Sequence[Item],
                          target: tuple[float, float]) -> list[float]:
    """The chance of each new item's second step, at the hardest level the learner gets right ``target[0]`` of
    the time (as :func:`plan_levels` starts it)."""
    ladders = _ladder_chances(predictor, items)
    return [ladders[item.id][_hardest_ready(ladders[item.id], 0, target)] for item in items]


def _ladder_chances(predictor: difficulty.Predictor, items: Sequence[Item]) -> dict[int, list[float]]:
    """Item id → the model's chance at each level of the item's ladder, in one batch."""
    flat = predictor.probabilities([(item.id, kind) for item in items for kind in LADDER[item.kind == WORD]])
    return {item.id: flat[n * (TOP_LEVEL + 1):(n + 1) * (TOP_LEVEL + 1)] for n, item in enumerate(items)}


def _hardest_ready(chances: Sequence[float], lowest: int, target: tuple[float, float]) -> int:
    """The hardest level from ``lowest`` up that the learner gets right ``target[0]`` of the time, else ``lowest``."""
    ready = [level for level in range(lowest, TOP_LEVEL + 1) if chances[level] >= target[0]]
    return max(ready) if ready else lowest


def production_level(item: Item) -> int:
    """The lowest level of the item's ladder that is not recognition (a pick among choices)."""
    ladder = LADDER[item.kind == WORD]
    return next(n for n, kind in enumerate(ladder) if not scheduler.is_recognition(str(kind[0])))


def production_starts(predictor: difficulty.Predictor, items: Sequence[Item]) -> dict[int, int]:
    """Due items the model gives ``DUE_PRODUCTION_FLOOR`` or more in production: item id → that level, to start
    them at (the day's review then measures recall, not a lucky pick)."""
    levels = [production_level(i) for i in items]
    chances = predictor.probabilities([(i.id, LADDER[i.kind == WORD][level]) for i, level in zip(items, levels,
                                                                                                  strict=True)])
    return {item.id: level for item, level, chance in zip(items, levels, chances, strict=True)
            if chance >= DUE_PRODUCTION_FLOOR}


def due_starts(material: LessonMaterial, predictor: difficulty.Predictor, reviews: Sequence[Item]) -> dict[int, int]:
    """:func:`production_starts` of the reviews that are due (the others are practice: any level will do)."""
    return production_starts(predictor, [i for i in reviews
                                         if scheduler.is_due(material.cards[i.id], material.now, material.timezone)])


def plan_levels(predictor: difficulty.Predictor, entries: Sequence[tuple[Item, int]], target: tuple[float, float],
                fixed: Sequence[float] = (), starts: Mapping[int, int] | None = None) -> dict[int, int]:
    """The level (``exercises.step_for_level``) to ask each item at, from its lowest allowed one up.

    Each item starts at the hardest level the model says the learner gets right at least ``target[0]`` of the
    time (so an item moves to typing as soon as the learner can type it), or at its level in ``starts`` if that
    is harder (due reviews in production); then, while the expected share of right answers over the lesson
    (``fixed``: the chances of its other steps) is above the band, the item that loses least goes one level
    harder, and while it is below, the one that gains most goes one level easier, the items of ``starts`` last.
    """
    starts = starts or {}
    if not entries:
        return {}
    chances = _ladder_chances(predictor, [item for item, _ in entries])
    lowest = {item.id: min(start, TOP_LEVEL) for item, start in entries}
    levels = {item.id: max(_hardest_ready(chances[item.id], lowest[item.id], target), starts.get(item.id, 0))
              for item, _ in entries}
    fixed_chances = list(fixed)
    steps = len(levels) + len(fixed_chances)

    def expected() -> float:
        return (sum(chances[i][level] for i, level in levels.items()) + sum(fixed_chances)) / steps

    for _ in range(steps * TOP_LEVEL):
        share = expected()
        if share > target[1]:
            harder = [i for i, level in levels.items() if level < TOP_LEVEL]
            if not harder:
                break
            pick = max(harder, key=lambda i: chances[i][levels[i] + 1])
            if (share - (chances[pick][levels[pick]] - chances[pick][levels[pick] + 1]) / steps) < target[0]:
                break  # one step harder would overshoot the band
            levels[pick] += 1
        elif share < target[0]:
            easier = [i for i, level in levels.items() if level > lowest[i]]
            if not easier:
                break
            easier = [i for i in easier if i not in starts] or easier
            pick = max(easier, key=lambda i: chances[i][levels[i] - 1] - chances[i][levels[i]])
            levels[pick] -= 1
        else:
            break
    return levels


def _review_step(material: LessonMaterial, item: Item, level: int, rng: random.Random) -> Step:
    card = material.cards[item.id]
    step = exercises.step_for_level(item, level, material.pool, material.course, material.vocabulary, rng)
    return replace(step, review=True, due=scheduler.is_due(card, material.now, material.timezone))


def retry_step(step: Step, item: Item | None, material_pool: Sequence[Item], course: Course,
               vocabulary: Sequence[str], seed: int) -> Step:
    """The step a wrong answer brings back later in the lesson: the same item, one level easier."""
    rng = random.Random(seed)
    if item is None or step.type in {exercises.FILL, exercises.MATCH}:
        return replace(step, retry=True)
    level = 0 if step.type is exercises.CHOOSE else 1
    return replace(exercises.step_for_level(item, level, material_pool, course, vocabulary, rng), retry=True)


def _review_choice(material: LessonMaterial, *, exclude: set[int], prefer_skill: set[int],
                   count: int, aim: float) -> list[Item]:
    """Items to review, in order of urgency: due items (the weakest first), then the items practised longest ago
    (so lessons on a skill whose words are all met go round all of them instead of the same few).

    The most urgent quarter is always taken; the rest is chosen among the next most urgent (and, when due items
    are many, some not due) so that the items' chances at their easiest exercise average ``aim``
    (:func:`review_aim`; the levels then bring the lesson into the band): a struggling learner gets some items
    they know among the weak ones, a strong one the weakest."""
    candidates = [i for i in material.review_items if i.id not in exclude and i.id in material.cards]
    epoch = datetime.min.replace(tzinfo=material.now.tzinfo)

    def urgency(item: Item) -> tuple[int, int, datetime, float]:
        card = material.cards[item.id]
        due = scheduler.is_due(card, material.now, material.timezone)
        weakness = scheduler.retrievability(card, material.now, material.desired_retention, material.weights)
        last_seen = epoch if due else (material.last_answered.get(item.id) or card.last_reviewed_at or epoch)
        return (0 if due else 1, 0 if item.skill_id in prefer_skill else 1, last_seen, weakness)

    ordered = sorted(candidates, key=urgency)
    due = sum(1 for i in ordered if scheduler.is_due(material.cards[i.id], material.now, material.timezone))
    must = ordered[:min(count // 4 or 1, due)]
    pool = ordered[len(must):len(must) + CHOICE_POOL * count]
    # A learner with many weak due items also gets some items they know (those practised longest ago), so a
    # lesson can land in the band instead of being a run of failures.
    if due >= len(must) + len(pool):
        pool += ordered[due:due + count]
    if len(must) + len(pool) <= count:
        return must + pool
    chances = material.predicting().probabilities([(i.id, difficulty.CHOOSE_MEANING) for i in [*must, *pool]])
    total = sum(chances[:len(must)])
    chosen = list(must)
    remaining = list(range(len(pool)))
    while len(chosen) < count and remaining:
        size = len(chosen) + 1
        costs = {rank: abs((total + chances[len(must) + rank]) / size - aim) + URGENCY_WEIGHT * rank
                 for rank in remaining}
        best = min(remaining, key=costs.__getitem__)
        remaining.remove(best)
        chosen.append(pool[best])
        total += chances[len(must) + best]
    return chosen


def _interleave(first: list[Step], second: list[Step]) -> list[Step]:
    result: list[Step] = []
    for index in range(max(len(first), len(second))):
        if index < len(first):
            result.append(first[index])
        if index < len(second):
            result.append(second[index])
    return result


def _no_item_twice_in_a_row(steps: list[Step]) -> list[Step]:
    """Reorder so that no two consecutive steps practise the same item."""
    remaining = list(steps)
    ordered: list[Step] = []
    while remaining:
        previous = ordered[-1].items if ordered else frozenset()
        index = next((i for i, s in enumerate(remaining) if not (s.items & previous)), 0)
        ordered.append(remaining.pop(index))
    return ordered


TEST_OUT_STEPS = 12


def build_test_out(skills_items: Sequence[Sequence[Item]], pool: Sequence[Item], course: Course,
                   vocabulary: Sequence[str], seed: int, count: int = TEST_OUT_STEPS) -> list[Step]:
    """A "jump here" test over the skills a learner would skip: ``count`` items drawn in turn from each skill
    (the last skills first, so the skills nearest the unit are always asked), each once, at the levels that ask
    for more than recognition (choose the word in the course's language, arrange tiles, type the meaning)."""
    rng = random.Random(seed)
    queues = [rng.sample(list(items), len(items)) for items in reversed(skills_items) if items]
    chosen: list[Item] = []
    while len(chosen) < count and any(queues):
        for queue in queues:
            if queue and len(chosen) < count:
                chosen.append(queue.pop())
    rng.shuffle(chosen)
    return [exercises.step_for_level(item, rng.choice((1, 2)), pool, course, vocabulary, rng) for item in chosen]
