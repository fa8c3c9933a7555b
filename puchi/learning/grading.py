"""Grading a typed answer the way a teacher would: forgive form, flag slips as "almost", refuse other words.

The comparison form (:func:`normalize`) ignores Unicode form, width, case, punctuation and spacing. An answer
that then differs from an accepted answer only by accents, by a missing apostrophe, space or hyphen, or by one
typo in a word of five letters or more, is "almost" and the correction is shown. It is "wrong" when the slip lands
on another word the course knows ("hombre" for "hambre", "ano" for "año"), or when the edit swaps an inflection
ending ("negra" for "negro", "perro" for "perros"): those say what to check. Answers written in a script without
spaces (Japanese, Chinese, Thai...) are compared character by character with no typo tolerance; the answer's own
script decides, so romaji in a Japanese course is compared by words.

Correct variants (contractions, digits, pinyin tone numbers, the other Chinese script...) are generated once into
an :class:`AnswerKey` (:mod:`answer_variants`), which is plain data: the offline bundle ships it and
``static/js/grading.js`` grades with it by the same rules, pinned by the shared vectors in
``tests/learning/grading_vectors.json``. JS equivalents: ``normalize("NFKC")``, ``toLowerCase()`` for
``casefold()`` (the vectors avoid ß and final sigma, where they differ), ``/\\p{P}/u`` for the punctuation
categories, ``/[\\p{L}\\p{N}\\p{M}]/u`` for word characters, ``.split(/\\s+/)`` for whitespace; count and compare
code points (``[...word]``), not UTF-16 units; the edit distance is optimal string alignment (adjacent
transpositions count as one edit).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Any, NamedTuple

from rapidfuzz.distance import OSA, Levenshtein

from puchi.learning import answer_variants


class Verdict(StrEnum):
    """How an answer was judged (stored in ``Attempt.verdict``, sent in ``item.reviewed``)."""

    CORRECT = "correct"
    ALMOST = "almost"  # right but for accents or one typo: counts as right, the correction is shown
    WRONG = "wrong"
    SKIPPED = "skipped"  # a speaking or listening step the learner could not do: never from grade()


class Mistake(StrEnum):
    """What made an answer that was nearly right wrong after all: the feedback says what to check."""

    NONE = ""
    ENDING = "ending"  # an inflection ending swapped: agreement or conjugation
    ACCENT = "accent"  # without (or with another) accent it is another word of the language
    OTHER_WORD = "other_word"  # one letter away, but another word of the language


# Primary language subtags of scripts written without spaces between words.
_UNSPACED = frozenset({"ja", "zh", "yue", "th", "lo", "km", "my"})

# Code point ranges of scripts written without spaces: Thai, Lao, Myanmar, Khmer, kana, Bopomofo, CJK ideographs.
_UNSPACED_RANGES = (
    (0x0E00, 0x0EFF), (0x1000, 0x109F), (0x1780, 0x17FF), (0x3040, 0x30FF), (0x3100, 0x312F), (0x31F0, 0x31FF),
    (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x3FFFF),
)

# Apostrophe look-alikes learners' keyboards produce; mapped before NFKC because NFKC turns ´ into space + accent.
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u02bc": "'", "`": "'", "\u00b4": "'"})

# Ligatures NFKC keeps but nobody types: "coeur" is "cœur".
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae"})

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
    differs: bool  # True where the learner's answer differed (to mark those letters or words in the correction)


@dataclass(frozen=True)
class Grade:
    result: Verdict  # CORRECT, ALMOST or WRONG
    expected: str  # the right answer closest to what the learner wrote (an accepted answer or its variant)
    segments: tuple[Segment, ...]  # `expected` split into runs, what the learner got wrong marked
    mistake: Mistake = Mistake.NONE  # for WRONG: what to check, when the answer was one slip from right
    focus: str = ""  # the word to check (as compared: lower case), with `mistake`


@dataclass(frozen=True)
class AnswerKey:
    """Everything the grader compares an answer with; plain data (:meth:`as_json`) for the offline grader."""

    forms: tuple[tuple[str, int], ...]  # (right answer, index of the accepted answer it spells): accepted first
    folds: tuple[tuple[str, str], ...]  # replacements made on both sides before comparing, in order
    known: frozenset[str]  # words of the language near the right answers (as compared): slips onto them are wrong
    endings: frozenset[str]  # the language's inflection endings

    def as_json(self) -> dict[str, Any]:
        return {"forms": [list(form) for form in self.forms], "folds": [list(fold) for fold in self.folds],
                "known": sorted(self.known), "endings": sorted(self.endings)}


class _Form(NamedTuple):
    """An answer prepared for comparison."""

    key: str  # normalized and folded; without any whitespace for unspaced scripts
    bare: str  # key without accents
    words: tuple[str, ...]  # bare split into words (empty for unspaced scripts, which get no typo tolerance)
    key_words: tuple[str, ...]  # key split into words (accents kept)
    squashed: str  # bare without spaces and apostrophes


def uses_spaces(language: str) -> bool:
    """False for languages whose script puts no spaces between words (ja, zh, zh-Hant, th, lo, km, my)."""
    primary = language.strip().lower().replace("_", "-").split("-", 1)[0]
    return primary not in _UNSPACED


def written_with_spaces(text: str) -> bool:
    """False when ``text`` has a letter of a script written without spaces (kana, hanzi, Thai...)."""
    return not any(start <= ord(char) <= end for char in text for start, end in _UNSPACED_RANGES)


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
    text = unicodedata.normalize("NFKC", text.casefold()).translate(_APOSTROPHES).translate(_LIGATURES)
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


def _fold(key: str, folds: Iterable[tuple[str, str]]) -> str:
    for source, target in folds:
        key = key.replace(source, target)
    return key


def _prepare(text: str, spaced: bool, folds: tuple[tuple[str, str], ...]) -> _Form:
    key = normalize(text, "")
    if not spaced:
        key = "".join(key.split())
    key = _fold(key, folds)
    bare = _strip_accents(key)
    words = tuple(bare.split()) if spaced else ()
    return _Form(key, bare, words, tuple(key.split()) if spaced else (), bare.replace(" ", "").replace("'", ""))


# Accepted answers come back lesson after lesson; preparing each once keeps grading far below a millisecond.
_prepare_accepted = lru_cache(maxsize=8192)(_prepare)


def _letters(word: str) -> int:
    return len(word) - word.count("'")


# --- The key ---------------------------------------------------------------------------------------------------

def answer_key(accepted: Sequence[str], language: str, *, known_words: Iterable[str] = (),
               spellings: Sequence[tuple[str, str]] = ()) -> AnswerKey:
    """The key for these accepted answers: their variants, the folds, and the known words that matter for them.

    ``known_words`` are words of the language (the course's vocabulary and mini-dictionary); ``spellings`` are
    (kanji, kana) spellings the course gives of one word. Only known words within one slip of a right answer's
    words are kept, which is all the grader looks at, so the key stays small enough to ship offline.
    """
    return _answer_key(tuple(accepted), language, frozenset(known_words), tuple(spellings))


@lru_cache(maxsize=4096)
def _answer_key(accepted: tuple[str, ...], language: str, known_words: frozenset[str],
                spellings: tuple[tuple[str, str], ...]) -> AnswerKey:
    if not accepted:
        raise ValueError("an exercise needs at least one accepted answer")
    folds = answer_variants.letter_folds(language, [(normalize(a, ""), normalize(b, "")) for a, b in spellings])
    forms = [(text, index) for index, text in enumerate(accepted)]
    seen = set(accepted)
    for index, text in enumerate(accepted):
        for variant in answer_variants.variants(text, language):
            if variant not in seen:
                seen.add(variant)
                forms.append((variant, index))
    targets = {word for text, _ in forms for word in _prepare(text, True, folds).words}
    by_length = _known_by_length(known_words, folds)
    known = frozenset(
        word
        for target in targets
        for length in (len(target) - 1, len(target), len(target) + 1)
        for bare, words in by_length.get(length, {}).items()
        if OSA.distance(bare, target, score_cutoff=1) <= 1
        for word in words
    )
    return AnswerKey(tuple(forms), folds, known, frozenset(answer_variants.endings(language)))


@lru_cache(maxsize=64)
def _known_by_length(known_words: frozenset[str], folds: tuple[tuple[str, str], ...]) -> dict[int, dict[str, set[str]]]:
    """A course's known words as compared, by the length of their accentless form (prepared once per course)."""
    index: dict[int, dict[str, set[str]]] = {}
    for text in known_words:
        for word in _prepare(text, True, folds).key_words:
            bare = _strip_accents(word)
            index.setdefault(len(bare), {}).setdefault(bare, set()).add(word)
    return index


# --- Grading ---------------------------------------------------------------------------------------------------

def grade(answer: str, accepted: Sequence[str], language: str, *, known_words: Iterable[str] = (),
          spellings: Sequence[tuple[str, str]] = ()) -> Grade:
    """Grade ``answer`` against every accepted alternative and its variants; ``expected`` is the one nearest to it.

    ``known_words`` and ``spellings`` describe the course's language (see :func:`answer_key`).
    """
    return grade_with_key(answer, accepted, answer_key(accepted, language, known_words=known_words,
                                                       spellings=spellings))


def grade_with_key(answer: str, accepted: Sequence[str], key: AnswerKey) -> Grade:
    """Grade ``answer`` with a key made by :func:`answer_key` (what static/js/grading.js does offline)."""
    spaced = written_with_spaces(normalize(answer, ""))
    given = _prepare(answer, spaced, key.folds)
    if not given.key:
        return _plain(Verdict.WRONG, accepted[0])
    best: tuple[int, int, int] | None = None  # (almost 0 / wrong with advice 1 / wrong 2, edit distance, form)
    judged: tuple[Verdict, Mistake, str] = (Verdict.WRONG, Mistake.NONE, "")
    nearest: _Form | None = None
    for position, (text, origin) in enumerate(key.forms):
        target = _prepare_accepted(text, spaced, key.folds)
        if given.key == target.key:
            return _plain(Verdict.CORRECT, accepted[origin])
        verdict, mistake, focus = _compare(given, target, key)
        order = 0 if verdict is Verdict.ALMOST else 1 if mistake else 2
        rank = (order, OSA.distance(given.key, target.key), position)
        if best is None or rank < best:
            best, judged, nearest = rank, (verdict, mistake, focus), target
    assert best is not None and nearest is not None
    expected = key.forms[best[2]][0]
    verdict, mistake, focus = judged
    if verdict is Verdict.ALMOST:
        return Grade(Verdict.ALMOST, expected, _mark_letters(answer, expected))
    marks = _mark_words(answer, expected) if spaced else _mark_letters(answer, expected)
    return Grade(Verdict.WRONG, expected, marks, mistake, _as_written(focus, nearest, expected))


def _as_written(focus: str, target: _Form, expected: str) -> str:
    """The word to check as the right answer writes it ("Hund", "obāsan"), not as compared ("hund", "obaasan")."""
    if not focus:
        return ""
    clusters = _clusters(expected)
    written = ["".join(clusters[index] for index in spans) for _, spans in _words_of(clusters)]
    return written[target.key_words.index(focus)] if len(written) == len(target.key_words) else focus


def _compare(given: _Form, target: _Form, key: AnswerKey) -> tuple[Verdict, Mistake, str]:
    """How near ``given`` is to one right answer it does not equal: a slip (almost), one word to check, or wrong."""
    spaced = bool(target.words)
    if given.bare == target.bare:  # only accents differ
        for word, wanted in zip(given.key_words, target.key_words, strict=True):
            if word != wanted and word in key.known:
                return Verdict.WRONG, Mistake.ACCENT, wanted
        return Verdict.ALMOST, Mistake.NONE, ""
    if spaced and given.squashed == target.squashed:  # only apostrophes, spaces or hyphens (and accents) differ
        for word in given.key_words:
            if word not in target.key_words and word in key.known:
                return Verdict.WRONG, Mistake.OTHER_WORD, _nearest(word, target.key_words)
        return Verdict.ALMOST, Mistake.NONE, ""
    if not spaced or len(given.words) != len(target.words):
        return Verdict.WRONG, Mistake.NONE, ""
    differing = [index for index, word in enumerate(given.words) if word != target.words[index]]
    if len(differing) != 1:
        return Verdict.WRONG, Mistake.NONE, ""
    index = differing[0]
    word, wanted = given.words[index], target.words[index]
    if _swaps_ending(word, wanted, key.endings):  # "cantan" for "cantamos" too: an ending may be longer
        return Verdict.WRONG, Mistake.ENDING, target.key_words[index]
    if OSA.distance(word, wanted, score_cutoff=1) > 1:
        return Verdict.WRONG, Mistake.NONE, ""
    if given.key_words[index] in key.known:
        return Verdict.WRONG, Mistake.OTHER_WORD, target.key_words[index]
    if _letters(wanted) >= _MIN_TYPO_LETTERS:
        return Verdict.ALMOST, Mistake.NONE, ""
    return Verdict.WRONG, Mistake.NONE, ""


def _swaps_ending(word: str, wanted: str, endings: frozenset[str]) -> bool:
    """The two words share a stem and end in two different inflection endings (a doubled letter is a typo)."""
    if not endings or _doubles_a_letter(word, wanted) or _doubles_a_letter(wanted, word):
        return False
    stem = 0
    while stem < min(len(word), len(wanted)) and word[stem] == wanted[stem]:
        stem += 1
    return any(word[cut:] in endings and wanted[cut:] in endings for cut in range(2, stem + 1))


def _doubles_a_letter(longer: str, shorter: str) -> bool:
    if len(longer) != len(shorter) + 1:
        return False
    for index in range(1, len(longer)):
        if longer[index] == longer[index - 1] and longer[:index] + longer[index + 1:] == shorter:
            return True
    return False


def _nearest(word: str, candidates: Sequence[str]) -> str:
    return min(candidates, key=lambda candidate: OSA.distance(word, candidate))


def _plain(result: Verdict, expected: str) -> Grade:
    return Grade(result, expected, (Segment(expected, False),))


# --- Marking what differs --------------------------------------------------------------------------------------

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


def _segments(clusters: list[str], marked: list[bool]) -> tuple[Segment, ...]:
    segments: list[Segment] = []
    for cluster, differs in zip(clusters, marked, strict=True):
        if segments and segments[-1].differs == differs:
            segments[-1] = Segment(segments[-1].text + cluster, differs)
        else:
            segments.append(Segment(cluster, differs))
    return tuple(segments)


def _mark_letters(answer: str, expected: str) -> tuple[Segment, ...]:
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
    return _segments(clusters, marked)


def _words_of(clusters: list[str]) -> list[tuple[str, list[int]]]:
    """The words of a text split into clusters: (word as compared, the clusters it spans)."""
    words: list[tuple[str, list[int]]] = []
    current, spans = "", []
    for index, cluster in enumerate(clusters):
        letters = _letters_of(cluster)
        if letters:
            current += letters
            spans.append(index)
        elif current:
            words.append((current.strip("'"), spans))
            current, spans = "", []
    if current:
        words.append((current.strip("'"), spans))
    return words


def _mark_words(answer: str, expected: str) -> tuple[Segment, ...]:
    """Split ``expected`` into runs, marking the whole words the learner got wrong, left out or added beside."""
    clusters = _clusters(expected)
    wanted = _words_of(clusters)
    given = [word for word, _ in _words_of(_clusters(answer))]
    marked = [False] * len(clusters)
    for opcode in Levenshtein.opcodes([word for word, _ in wanted], given):
        if opcode.tag in ("replace", "delete"):
            positions = range(opcode.src_start, opcode.src_end)
        elif opcode.tag == "insert" and wanted:
            positions = range(min(opcode.src_start, len(wanted) - 1), min(opcode.src_start, len(wanted) - 1) + 1)
        else:
            continue
        for position in positions:
            for cluster in wanted[position][1]:
                marked[cluster] = True
    return _segments(clusters, marked)


# --- What kind of slip an "almost" was --------------------------------------------------------------------------

ACCENT_SLIP, SPACING_SLIP, TYPO_SLIP = "accent", "spacing", "typo"


def slip_kind(answer: str, expected: str) -> str:
    """For an answer graded ALMOST against ``expected``: "accent" when only accents differ, "spacing" when only
    spaces, apostrophes or hyphens (and accents) do, else "typo" (one letter)."""
    given, wanted = _strip_accents(normalize(answer, "")), _strip_accents(normalize(expected, ""))
    if given == wanted:
        return ACCENT_SLIP
    squash = str.maketrans("", "", " '-")
    if given.translate(squash) == wanted.translate(squash):
        return SPACING_SLIP
    return TYPO_SLIP
