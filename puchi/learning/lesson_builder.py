"""What a lesson contains: new items of the skill, mixed with items that are due or weak.

Pure functions over loaded rows, so the choice is easy to test and costs no queries of its own.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from puchi.learning import exercises, scheduler
from puchi.learning.models import WORD, AuthoredExercise, Card, Course, Item
from puchi.learning.steps import Step

NEW_PER_LESSON = 4
REVIEWS_PER_LESSON = 4
PRACTICE_ITEMS = 10


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
    timezone: str = "UTC"  # the learner's: due dates are compared in their calendar days


def build_lesson(material: LessonMaterial, seed: int) -> list[Step]:
    rng = random.Random(seed)
    new_items = [i for i in material.skill_items if i.id not in material.cards][:NEW_PER_LESSON]
    reviews = _review_choice(material, exclude={i.id for i in new_items},
                             prefer_skill={i.skill_id for i in material.skill_items},
                             count=REVIEWS_PER_LESSON if new_items else NEW_PER_LESSON + REVIEWS_PER_LESSON)

    steps: list[Step] = []
    # Meet each new item by recognising it, then use it again a little harder later in the lesson.
    first_round = [exercises.step_for_level(i, 0, material.pool, material.course, material.vocabulary, rng)
                   for i in new_items]
    review_round = [_review_step(material, i, rng) for i in reviews]
    # Words alternate between recalling the meaning (typed) and picking the word; phrases become tiles.
    second_round = [exercises.translate_step(i, exercises.TO_SOURCE) if i.kind == WORD and n % 2 == 0
                    else exercises.step_for_level(i, 1, material.pool, material.course, material.vocabulary, rng)
                    for n, i in enumerate(new_items)]
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
    reviews = _review_choice(material, exclude=set(), prefer_skill=set(), count=PRACTICE_ITEMS)
    steps = [_review_step(material, i, rng) for i in reviews]
    words = [i for i in reviews if i.kind == WORD]
    if len(words) >= exercises.MATCH_PAIRS:
        steps.insert(len(steps) // 2, exercises.match_step(rng.sample(words, len(words)), rng))
    return _no_item_twice_in_a_row(steps)


def _review_step(material: LessonMaterial, item: Item, rng: random.Random) -> Step:
    card = material.cards[item.id]
    step = exercises.step_for_level(item, scheduler.knowledge_level(card), material.pool, material.course,
                                    material.vocabulary, rng)
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
                   count: int) -> list[Item]:
    """Due items first (most overdue first), then the weakest by FSRS retrievability."""
    candidates = [i for i in material.review_items if i.id not in exclude and i.id in material.cards]

    def urgency(item: Item) -> tuple[int, int, float]:
        card = material.cards[item.id]
        due = scheduler.is_due(card, material.now, material.timezone)
        weakness = scheduler.retrievability(card, material.now, material.desired_retention)
        return (0 if due else 1, 0 if item.skill_id in prefer_skill else 1, weakness)

    return sorted(candidates, key=urgency)[:count]


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
