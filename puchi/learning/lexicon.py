"""What the grader knows of a course's two languages beyond one exercise's accepted answers.

The words of each side (items, their alternatives and romanisations, the mini-dictionary) tell a slip from another
word: "casado" is not a typo of "cansado" in a course that teaches both. The kanji and kana spellings the course
gives of one word ("わたし" and "私") let either stand for the other in any answer. Built once per course and
version in each app (a course changes only by import, which moves ``Course.updated_at``), then shared by every
answer graded and every offline lesson downloaded.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from puchi.core.db import db
from puchi.learning import answer_variants
from puchi.learning.models import WORD, Course, DictionaryEntry, Item
from puchi.learning.steps import TARGET


@dataclass(frozen=True)
class Lexicon:
    target_words: frozenset[str]
    source_words: frozenset[str]
    spellings: tuple[tuple[str, str], ...]  # (kanji spelling, kana spelling) of one word, as the course gives them

    def words(self, side: str) -> frozenset[str]:
        return self.target_words if side == TARGET else self.source_words


def for_course(course: Course) -> Lexicon:
    """The course's lexicon, built on first use of this version of the course."""
    cache: dict[tuple[int, datetime | None], Lexicon] = current_app.extensions.setdefault("puchi.lexicons", {})
    version = (course.id, course.updated_at)
    lexicon = cache.get(version)
    if lexicon is None:
        for stale in [key for key in cache if key[0] == course.id]:
            del cache[stale]
        lexicon = cache[version] = build(course.id)
    return lexicon


def build(course_id: int) -> Lexicon:
    target: list[str] = []
    source: list[str] = []
    spellings: list[tuple[str, str]] = []
    rows = db.session.execute(select(Item.kind, Item.text, Item.alternatives, Item.romanisation, Item.translation,
                                     Item.alternative_translations).where(Item.course_id == course_id))
    for kind, text, alternatives, romanisation, translation, alternative_translations in rows:
        target.extend([text, *alternatives, romanisation or ""])
        source.extend([translation, *alternative_translations])
        if kind == WORD:
            spellings.extend(_kanji_spellings([text, *alternatives]))
    entries = db.session.execute(select(DictionaryEntry.language, DictionaryEntry.word)
                                 .where(DictionaryEntry.course_id == course_id))
    for side, word in entries:
        (target if side == TARGET else source).append(word)
    return Lexicon(answer_variants.known_words(target), answer_variants.known_words(source),
                   tuple(sorted(set(spellings))))


def _kanji_spellings(forms: list[str]) -> list[tuple[str, str]]:
    """A word written both in kana and with kanji: each kanji spelling with the first kana one."""
    kana = [form for form in forms if form and all(_is_kana(char) for char in form)]
    kanji = [form for form in forms if any(_is_han(char) for char in form)]
    return [(written, kana[0]) for written in kanji] if kana else []


def _is_kana(char: str) -> bool:
    return "\u3040" <= char <= "\u30ff" or "\u31f0" <= char <= "\u31ff" or char == "ー"


def _is_han(char: str) -> bool:
    return unicodedata.name(char, "").startswith("CJK UNIFIED IDEOGRAPH")

