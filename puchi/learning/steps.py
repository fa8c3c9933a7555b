"""A lesson step: one exercise, planned when the lesson is built and stored with the session, so a lesson looks
the same when it is resumed (``LessonSession.steps``, JSON: :meth:`Step.to_dict` / :meth:`Step.from_dict`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

TARGET, SOURCE = "target", "source"  # the two sides of a course: the language taught, the learner's own


class ExerciseType(StrEnum):
    CHOOSE = "choose_translation"
    TRANSLATE = "translate"
    TILES = "arrange_tiles"
    MATCH = "match_pairs"
    LISTEN = "listen_type"
    FILL = "fill_blank"
    SPEAK = "speak"


class Direction(StrEnum):
    TO_SOURCE = "to_source"  # shown in the course's language, answered in the learner's
    TO_TARGET = "to_target"  # shown in the learner's language (or heard, or read aloud), answered in the course's


# What each type stores besides its type: the JSON keeps exactly these keys, as lessons always have.
_KEYS: dict[ExerciseType, tuple[str, ...]] = {
    ExerciseType.CHOOSE: ("item_id", "direction", "prompt", "choices"),
    ExerciseType.TRANSLATE: ("item_id", "direction", "prompt"),
    ExerciseType.TILES: ("item_id", "direction", "prompt", "tiles", "joiner"),
    ExerciseType.LISTEN: ("item_id", "direction", "say"),
    ExerciseType.SPEAK: ("item_id", "direction", "prompt"),
    ExerciseType.MATCH: ("item_id", "item_ids", "left", "right"),
    ExerciseType.FILL: ("item_id", "sentence", "answer", "choices", "translation"),
}
_TUPLES = ("choices", "tiles", "item_ids", "left", "right")


@dataclass(frozen=True)
class Step:
    type: ExerciseType
    item_id: int | None = None  # the item practised (none for match, nor for an authored fill-in)
    direction: Direction | None = None
    prompt: str = ""  # what to translate, arrange or say
    choices: tuple[str, ...] = ()  # multiple choice (choose; fill when the author gave distractors)
    tiles: tuple[str, ...] = ()  # the word bank of an arrange step, right words and spare ones shuffled
    joiner: str = " "  # what goes between tiles ("" for scripts without spaces)
    say: str = ""  # what a listen step speaks
    item_ids: tuple[int, ...] = ()  # the pairs of a match step, in the order of ``left``
    left: tuple[str, ...] = ()
    right: tuple[str, ...] = ()  # translations of ``left``, shuffled
    sentence: str = ""  # a fill step's sentence, the blank written ___
    answer: str = ""  # a fill step's missing word
    translation: str = ""  # a fill step's sentence in the learner's language
    review: bool = False  # the item was met before: this step reviews it
    due: bool = False  # ... and its card was due
    retry: bool = False  # a step answered wrongly, come back later in the lesson

    @property
    def items(self) -> frozenset[int]:
        """Every item this step practises."""
        if self.item_ids:
            return frozenset(self.item_ids)
        return frozenset({self.item_id}) if self.item_id else frozenset()

    @property
    def answer_side(self) -> str:
        """TARGET when the answer is in the course's language, else SOURCE (match answers are translations)."""
        if self.type in {ExerciseType.FILL, ExerciseType.LISTEN, ExerciseType.SPEAK}:
            return TARGET
        return TARGET if self.direction is Direction.TO_TARGET else SOURCE

    @property
    def prompt_side(self) -> str:
        """The language of ``prompt``: the learner's when translating into the course's language, else the course's
        (a speak step reads out the course's language)."""
        if self.direction is Direction.TO_TARGET and self.type is not ExerciseType.SPEAK:
            return SOURCE
        return TARGET

    @property
    def skippable(self) -> bool:
        """Steps that need a voice or a microphone can be skipped (the learner may have neither)."""
        return self.type in {ExerciseType.LISTEN, ExerciseType.SPEAK}

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"type": self.type.value}
        for key in _KEYS[self.type]:
            value = getattr(self, key)
            data[key] = list(value) if key in _TUPLES else (value.value if isinstance(value, StrEnum) else value)
        if self.review:
            data.update(review=True, due=self.due)
        if self.retry:
            data["retry"] = True
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Step:
        values: dict[str, Any] = {key: data[key] for key in cls.__dataclass_fields__ if data.get(key) is not None}
        values["type"] = ExerciseType(data["type"])
        if "direction" in values:
            values["direction"] = Direction(values["direction"])
        for key in _TUPLES:
            if key in values:
                values[key] = tuple(values[key])
        for key in ("review", "due", "retry"):
            values[key] = bool(values.get(key))
        return cls(**values)
