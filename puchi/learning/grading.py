"""Grading a typed answer the way a teacher would: forgive form, flag slips as "almost", refuse other words.

The comparison form (:func:`normalize`) ignores Unicode form, width, case, punctuation and spacing. An answer
that then differs from an accepted answer only by accents, or by one typo in a word of five letters or more, is
"almost" and the correction is shown; anything else is "wrong". Scripts written without spaces (Japanese,
Chinese, Thai...) are compared character by character with no typo tolerance.

The same rules run in the browser, so they stay expressible in plain JavaScript and are pinned by the shared
vectors in ``tests/learning/grading_vectors.json``. JS equivalents: ``normalize("NFKC")``, ``toLowerCase()``
for ``casefold()`` (the vectors avoid ß and final sigma, where they differ), ``/\\p{P}/u`` for the punctuation
categories, ``/[\\p{L}\\p{N}\\p{M}]/u`` for word characters, ``.split(/\\s+/)`` for whitespace; count and compare
code points (``[...word]``), not UTF-16 units; the edit distance is optimal string alignment (adjacent
transpositions count as one edit).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import NamedTuple

from rapidfuzz.distance import OSA, Levenshtein


class Verdict(StrEnum):
    """How an answer was judged (stored in ``Attempt.verdict``, sent in ``item.reviewed``)."""

    CORRECT = "correct"
    ALMOST = "almost"  # right but for accents or one typo: counts as right, the correction is shown
    WRONG = "wrong"
    SKIPPED = "skipped"  # a speaking or listening step the learner could not do: never from grade()


# Primary language subtags of scripts written without spaces between words.
_UNSPACED = frozenset({"ja", "zh", "yue", "th", "lo", "km", "my"})

# Apostrophe look-alikes learners' keyboards produce; mapped before NFKC because NFKC turns ´ into space + accent.
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u02bc": "'", "`": "'", "\u00b4": "'"})

# What counts as an accent: the generic combining diacritics (Latin, Greek, Cyrillic, pinyin tones...) and the
# optional vowel points of Hebrew and Arabic. Not every nonspacing mark: kana voicing marks (か/が) and Thai or
# Devanagari vowel and tone signs are letters of their script, and changing them makes another word.
_ACCENT_RANGES = (
    (0x0300, 0x036F), (0x1AB0, 0x1AFF), (0x1DC0, 0x1DFF), (0x20D0, 0x20FF), (0xFE20, 0xFE2F),
    (0x0591, 0x05C7), (0x0610, 0x061A), (0x064B, 0x065F), (0x0670, 0x0670),
)
_DROP_ACCENTS = {code: None for start, end in _ACCENT_RANGES for code in range(start, end + 1)}

# A typo is forgiven only in words this long: in shorter words one letter usually makes another word (el/la).
_MIN_TYPO_LETTERS = 5


@dataclass(frozen=True)
class Segment:
    text: str
    differs: bool  # True where the learner's answer differed (to mark those letters in the correction)


@dataclass(frozen=True)
class Grade:
    result: Verdict  # CORRECT, ALMOST or WRONG
    expected: str  # the accepted answer closest to what the learner wrote, as authored (for display)
    segments: tuple[Segment, ...]  # `expected` split into runs, differing letters marked


class _Form(NamedTuple):
    """An answer prepared for comparison."""

    key: str  # normalized; without any whitespace for unspaced scripts
    bare: str  # key without accents
    words: tuple[str, ...]  # bare split into words (empty for unspaced scripts, which get no typo tolerance)


def uses_spaces(language: str) -> bool:
    """False for languages whose script puts no spaces between words (ja, zh, zh-Hant, th, lo, km, my)."""
    primary = language.strip().lower().replace("_", "-").split("-", 1)[0]
    return primary not in _UNSPACED


def _is_word_char(char: str) -> bool:
    return unicodedata.category(char)[0] in "LNM"


def normalize(text: str, language: str) -> str:
    """The comparison form: NFKC, casefolded, punctuation and extra whitespace gone, in-word apostrophes kept.

    Punctuation becomes a space rather than vanishing, so "well-known" equals "well known" and a stray mark never
    fuses two words (which also keeps this idempotent). ``language`` is accepted for symmetry with :func:`grade`;
    the form itself is the same in every language.
    """
    text = unicodedata.normalize("NFKC", text.translate(_APOSTROPHES))
    # Casefolding can yield non-NFKC text (and NFKC can yield ʼ from ŉ), so settle both again.
    text = unicodedata.normalize("NFKC", text.casefold()).translate(_APOSTROPHES)
    last = len(text) - 1
    chars = []
    for index, char in enumerate(text):
        if char == "'":
            inside = 0 < index < last and _is_word_char(text[index - 1]) and _is_word_char(text[index + 1])
            chars.append(char if inside else " ")
        elif unicodedata.category(char)[0] == "P":
            chars.append(" ")
        else:
            chars.append(char)
    return " ".join("".join(chars).split())


def _strip_accents(text: str) -> str:
    return unicodedata.normalize("NFC", unicodedata.normalize("NFD", text).translate(_DROP_ACCENTS))


def _prepare(text: str, spaced: bool) -> _Form:
    key = normalize(text, "")
    if not spaced:
        key = "".join(key.split())
    bare = _strip_accents(key)
    return _Form(key, bare, tuple(bare.split()) if spaced else ())


# Accepted answers come back lesson after lesson; preparing each once keeps grading far below a millisecond.
_prepare_accepted = lru_cache(maxsize=8192)(_prepare)


def _letters(word: str) -> int:
    return len(word) - word.count("'")


def _is_slip(answer: _Form, target: _Form) -> bool:
    """Only accents differ, or (with spaces) one typo in one long word while every other word is right."""
    if answer.bare == target.bare:
        return True
    if not target.words or len(answer.words) != len(target.words):
        return False
    differing = [(given, wanted) for given, wanted in zip(answer.words, target.words, strict=True) if given != wanted]
    if len(differing) != 1:
        return False
    given, wanted = differing[0]
    return _letters(wanted) >= _MIN_TYPO_LETTERS and OSA.distance(given, wanted, score_cutoff=1) <= 1


def grade(answer: str, accepted: Sequence[str], language: str) -> Grade:
    """Grade ``answer`` against every accepted alternative; ``expected`` is the alternative nearest to it."""
    if not accepted:
        raise ValueError("an exercise needs at least one accepted answer")
    spaced = uses_spaces(language)
    given = _prepare(answer, spaced)
    if not given.key:
        return _plain(Verdict.WRONG, accepted[0])
    best: tuple[int, int, int] | None = None  # (0 almost / 1 wrong, edit distance, position): smallest wins
    for position, alternative in enumerate(accepted):
        target = _prepare_accepted(alternative, spaced)
        if given.key == target.key:
            return _plain(Verdict.CORRECT, alternative)
        rank = (0 if _is_slip(given, target) else 1, OSA.distance(given.key, target.key), position)
        if best is None or rank < best:
            best = rank
    assert best is not None
    expected = accepted[best[2]]
    if best[0] == 1:
        return _plain(Verdict.WRONG, expected)
    return Grade(Verdict.ALMOST, expected, _mark_differences(answer, expected))


def _plain(result: Verdict, expected: str) -> Grade:
    return Grade(result, expected, (Segment(expected, False),))


def _clusters(text: str) -> list[str]:
    """Split into base characters with their combining marks, so an accented letter is marked whole."""
    clusters: list[str] = []
    for char in text:
        if clusters and unicodedata.category(char)[0] == "M":
            clusters[-1] += char
        else:
            clusters.append(char)
    return clusters


def _letters_of(cluster: str) -> str:
    """The cluster as compared (folded, accents kept so they can be marked), punctuation and spaces dropped."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", cluster.translate(_APOSTROPHES)).casefold())
    return "".join(c for c in folded if c == "'" or not (c.isspace() or unicodedata.category(c)[0] == "P"))


def _mark_differences(answer: str, expected: str) -> tuple[Segment, ...]:
    """Split ``expected`` (as authored) into runs, marking the letters the learner got wrong or left out."""
    clusters = _clusters(expected)
    wanted: list[str] = []
    owner: list[int] = []  # for each compared character of `expected`, the cluster it came from
    for index, cluster in enumerate(clusters):
        for char in _letters_of(cluster):
            wanted.append(char)
            owner.append(index)
    given = [char for cluster in _clusters(answer) for char in _letters_of(cluster)]
    marked = [False] * len(clusters)
    for opcode in Levenshtein.opcodes(wanted, given):
        if opcode.tag in ("replace", "delete"):
            for position in range(opcode.src_start, opcode.src_end):
                marked[owner[position]] = True
        elif opcode.tag == "insert" and owner:
            # Extra letters in the answer: mark the expected letter where they were put (so a swap of two letters
            # marks both), or the last letter when they trail.
            marked[owner[min(opcode.src_start, len(owner) - 1)]] = True
    segments: list[Segment] = []
    for cluster, differs in zip(clusters, marked, strict=True):
        if segments and segments[-1].differs == differs:
            segments[-1] = Segment(segments[-1].text + cluster, differs)
        else:
            segments.append(Segment(cluster, differs))
    return tuple(segments)
