"""The exercise types, how each is generated from items, and which answers each accepts."""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from puchi.learning import grading
from puchi.learning.course_format import NO_SPACE_LANGUAGES
from puchi.learning.lexicon import Lexicon
from puchi.learning.models import WORD, AuthoredExercise, Course, Item
from puchi.learning.steps import SOURCE, TARGET, Direction, ExerciseType, Step

CHOOSE, TRANSLATE, TILES, MATCH = ExerciseType.CHOOSE, ExerciseType.TRANSLATE, ExerciseType.TILES, ExerciseType.MATCH
LISTEN, FILL, SPEAK = ExerciseType.LISTEN, ExerciseType.FILL, ExerciseType.SPEAK
TO_SOURCE, TO_TARGET = Direction.TO_SOURCE, Direction.TO_TARGET
CHOICES = 4
MATCH_PAIRS = 4

_TRIM = re.compile(r"^[\W_]+|[\W_]+$", re.UNICODE)


def uses_spaces(language: str) -> bool:
    return language.split("-")[0].lower() not in NO_SPACE_LANGUAGES


def split_words(text: str, language: str, vocabulary: Sequence[str] = ()) -> list[str]:
    """Words of a sentence without their punctuation; for scripts without spaces, the longest known words."""
    if uses_spaces(language):
        trimmed = (_TRIM.sub("", token) for token in text.split())
        return [word for word in trimmed if word]
    letters = "".join(char for char in text if not unicodedata.category(char).startswith(("P", "Z")))
    known = sorted({w for w in vocabulary if w}, key=len, reverse=True)
    words: list[str] = []
    index = 0
    while index < len(letters):
        match = next((w for w in known if letters.startswith(w, index)), letters[index])
        words.append(match)
        index += len(match)
    return words


@dataclass(frozen=True)
class Expectation:
    """What counts as right for a step, in which language the answer is written, and what the grader knows of it."""

    accepted: list[str]
    language: str
    exact_choice: bool = False  # a multiple-choice answer must be one of the choices
    known_words: frozenset[str] = frozenset()  # words of the answer's language in the course
    spellings: tuple[tuple[str, str], ...] = ()  # kanji → kana spellings the course gives

    def grade(self, answer: str) -> grading.Grade:
        return grading.grade(answer, self.accepted, self.language, known_words=self.known_words,
                             spellings=self.spellings)

    def key(self) -> dict[str, Any]:
        """The answer key for the offline grader (static/js/grading.js): same data, same verdicts."""
        return grading.answer_key(self.accepted, self.language, known_words=self.known_words,
                                  spellings=self.spellings).as_json()


def expectation(step: Step, item: Item | None, course: Course, lexicon: Lexicon | None = None) -> Expectation:
    side = TARGET if step.type is FILL or step.answer_side == TARGET else SOURCE
    known = lexicon.words(side) if lexicon else frozenset()
    spellings = lexicon.spellings if lexicon and side == TARGET else ()
    if step.type is FILL:
        return Expectation([step.answer], course.target_language, exact_choice=bool(step.choices),
                           known_words=known, spellings=spellings)
    assert item is not None
    if side == TARGET:
        return Expectation(item.accepted_texts(), course.target_language, exact_choice=step.type is CHOOSE,
                           known_words=known, spellings=spellings)
    return Expectation(item.accepted_translations(), course.source_language, exact_choice=step.type is CHOOSE,
                       known_words=known)


# --- Generation ----------------------------------------------------------------------------------------

def choose_step(item: Item, pool: Sequence[Item], direction: Direction, rng: random.Random) -> Step:
    def answer_of(other: Item) -> str:
        return other.translation if direction == TO_SOURCE else other.text

    correct = answer_of(item)
    same_kind = [answer_of(o) for o in pool if o.id != item.id and o.kind == item.kind]
    others = [answer_of(o) for o in pool if o.id != item.id and o.kind != item.kind]
    distractors = _distinct([c for c in rng.sample(same_kind, len(same_kind)) + rng.sample(others, len(others))
                             if c.casefold() != correct.casefold()])[: CHOICES - 1]
    choices = [correct, *distractors]
    rng.shuffle(choices)
    return Step(CHOOSE, item_id=item.id, direction=direction,
                prompt=item.text if direction == TO_SOURCE else item.translation, choices=tuple(choices))


def translate_step(item: Item, direction: Direction) -> Step:
    return Step(TRANSLATE, item_id=item.id, direction=direction,
                prompt=item.text if direction == TO_SOURCE else item.translation)


def tiles_step(item: Item, pool: Sequence[Item], direction: Direction, course: Course, vocabulary: Sequence[str],
               rng: random.Random) -> Step:
    if direction == TO_SOURCE:
        answer, language, prompt = item.translation, course.source_language, item.text
        other_texts = [o.translation for o in pool if o.id != item.id]
    else:
        answer, language, prompt = item.text, course.target_language, item.translation
        other_texts = [o.text for o in pool if o.id != item.id]
    tiles = split_words(answer, language, vocabulary)
    lowered = {t.casefold() for t in tiles}
    spare = _distinct(w for text in rng.sample(other_texts, len(other_texts))
                      for w in split_words(text, language, vocabulary) if w.casefold() not in lowered)
    bank = tiles + spare[: max(2, min(4, len(tiles) // 2 + 1))]
    rng.shuffle(bank)
    return Step(TILES, item_id=item.id, direction=direction, prompt=prompt, tiles=tuple(bank),
                joiner=" " if uses_spaces(language) else "")


def listen_step(item: Item) -> Step:
    return Step(LISTEN, item_id=item.id, direction=TO_TARGET, say=item.text)


def speak_step(item: Item) -> Step:
    return Step(SPEAK, item_id=item.id, direction=TO_TARGET, prompt=item.text)


def match_step(items: Sequence[Item], rng: random.Random) -> Step:
    chosen = list(items[:MATCH_PAIRS])
    right = [i.translation for i in chosen]
    rng.shuffle(right)
    return Step(MATCH, item_ids=tuple(i.id for i in chosen), left=tuple(i.text for i in chosen), right=tuple(right))


def fill_step_from_authored(exercise: AuthoredExercise, rng: random.Random) -> Step:
    data = exercise.data
    choices = _distinct([data["answer"], *data.get("distractors", [])])
    rng.shuffle(choices)
    return Step(FILL, sentence=data["sentence"], answer=data["answer"],
                choices=tuple(choices) if len(choices) > 1 else (), translation=data.get("translation", ""))


def fill_step_from_phrase(item: Item, vocabulary: Sequence[str], course: Course, rng: random.Random) -> Step | None:
    """Blank one known word of a phrase; the learner types it."""
    if not uses_spaces(course.target_language):
        return None
    tokens = item.text.split()
    candidates = [i for i, token in enumerate(tokens) if len(_TRIM.sub("", token)) >= 3]
    if len(tokens) < 3 or not candidates:
        return None
    index = rng.choice(candidates)
    token = tokens[index]
    word = _TRIM.sub("", token)
    blanked = token.replace(word, "___", 1)
    sentence = " ".join([*tokens[:index], blanked, *tokens[index + 1:]])
    return Step(FILL, item_id=item.id, sentence=sentence, answer=word, translation=item.translation)


def step_for_level(item: Item, level: int, pool: Sequence[Item], course: Course, vocabulary: Sequence[str],
                   rng: random.Random) -> Step:
    """Recognition first, then tiles, then free production and listening, as the item becomes known."""
    if level <= 0:
        return choose_step(item, pool, TO_SOURCE, rng)
    if level == 1:
        if item.kind == WORD:
            return choose_step(item, pool, TO_TARGET, rng)
        return tiles_step(item, pool, TO_SOURCE, course, vocabulary, rng)
    if level == 2:
        if item.kind == WORD:
            return translate_step(item, TO_SOURCE)
        step = fill_step_from_phrase(item, vocabulary, course, rng) if rng.random() < 0.4 else None
        return step or tiles_step(item, pool, TO_TARGET, course, vocabulary, rng)
    roll = rng.random()
    if roll < 0.35:
        return listen_step(item)
    if roll < 0.45 and item.kind != WORD:
        return speak_step(item)
    return translate_step(item, TO_TARGET)


def _distinct(values: Any) -> list[str]:
    seen: set[str] = set()
    result: list[str] = []
    for value in values:
        folded = value.casefold()
        if folded not in seen:
            seen.add(folded)
            result.append(value)
    return result
