"""The exercise types, how each is generated from items, and which answers each accepts.

A step is a plain dict stored with the lesson session, so a lesson looks the same when it is resumed.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from puchi.learning.course_format import NO_SPACE_LANGUAGES
from puchi.learning.models import WORD, AuthoredExercise, Course, Item

CHOOSE = "choose_translation"
TRANSLATE = "translate"
TILES = "arrange_tiles"
MATCH = "match_pairs"
LISTEN = "listen_type"
FILL = "fill_blank"
SPEAK = "speak"
TO_SOURCE, TO_TARGET = "to_source", "to_target"
CHOICES = 4
MATCH_PAIRS = 4

_TRIM = re.compile(r"^[\W_]+|[\W_]+$", re.UNICODE)


def uses_spaces(language: str) -> bool:
    return language.split("-")[0].lower() not in NO_SPACE_LANGUAGES


def split_words(text: str, language: str, vocabulary: Sequence[str] = ()) -> list[str]:
    """Words of a sentence without their punctuation; for scripts without spaces, the longest known words."""
    if uses_spaces(language):
        words = (_TRIM.sub("", token) for token in text.split())
        return [word for word in words if word]
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
    """What counts as right for a step, and in which language the answer is written."""

    accepted: list[str]
    language: str
    exact_choice: bool = False  # a multiple-choice answer must be one of the choices


def expectation(step: dict[str, Any], item: Item | None, course: Course) -> Expectation:
    kind = step["type"]
    if kind == FILL:
        return Expectation([step["answer"]], course.target_language, exact_choice=bool(step.get("choices")))
    assert item is not None
    if step.get("direction") == TO_TARGET or kind in {LISTEN, SPEAK}:
        return Expectation(item.accepted_texts(), course.target_language, exact_choice=kind == CHOOSE)
    return Expectation(item.accepted_translations(), course.source_language, exact_choice=kind == CHOOSE)


# --- Generation ----------------------------------------------------------------------------------------

def choose_step(item: Item, pool: Sequence[Item], direction: str, rng: random.Random) -> dict[str, Any]:
    def answer_of(other: Item) -> str:
        return other.translation if direction == TO_SOURCE else other.text

    correct = answer_of(item)
    same_kind = [answer_of(o) for o in pool if o.id != item.id and o.kind == item.kind]
    others = [answer_of(o) for o in pool if o.id != item.id and o.kind != item.kind]
    distractors = _distinct([c for c in rng.sample(same_kind, len(same_kind)) + rng.sample(others, len(others))
                             if c.casefold() != correct.casefold()])[: CHOICES - 1]
    choices = [correct, *distractors]
    rng.shuffle(choices)
    return {"type": CHOOSE, "item_id": item.id, "direction": direction,
            "prompt": item.text if direction == TO_SOURCE else item.translation, "choices": choices}


def translate_step(item: Item, direction: str) -> dict[str, Any]:
    return {"type": TRANSLATE, "item_id": item.id, "direction": direction,
            "prompt": item.text if direction == TO_SOURCE else item.translation}


def tiles_step(item: Item, pool: Sequence[Item], direction: str, course: Course, vocabulary: Sequence[str],
               rng: random.Random) -> dict[str, Any]:
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
    return {"type": TILES, "item_id": item.id, "direction": direction, "prompt": prompt, "tiles": bank,
            "joiner": " " if uses_spaces(language) else ""}


def listen_step(item: Item) -> dict[str, Any]:
    return {"type": LISTEN, "item_id": item.id, "direction": TO_TARGET, "say": item.text}


def speak_step(item: Item) -> dict[str, Any]:
    return {"type": SPEAK, "item_id": item.id, "direction": TO_TARGET, "prompt": item.text}


def match_step(items: Sequence[Item], rng: random.Random) -> dict[str, Any]:
    chosen = list(items[:MATCH_PAIRS])
    right = [i.translation for i in chosen]
    rng.shuffle(right)
    return {"type": MATCH, "item_id": None, "item_ids": [i.id for i in chosen], "left": [i.text for i in chosen],
            "right": right}


def fill_step_from_authored(exercise: AuthoredExercise, rng: random.Random) -> dict[str, Any]:
    data = exercise.data
    choices = _distinct([data["answer"], *data.get("distractors", [])])
    rng.shuffle(choices)
    return {"type": FILL, "item_id": None, "sentence": data["sentence"], "answer": data["answer"],
            "choices": choices if len(choices) > 1 else [], "translation": data.get("translation", "")}


def fill_step_from_phrase(item: Item, vocabulary: Sequence[str], course: Course,
                          rng: random.Random) -> dict[str, Any] | None:
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
    return {"type": FILL, "item_id": item.id, "sentence": sentence, "answer": word, "choices": [],
            "translation": item.translation}


def step_for_level(item: Item, level: int, pool: Sequence[Item], course: Course, vocabulary: Sequence[str],
                   rng: random.Random) -> dict[str, Any]:
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
