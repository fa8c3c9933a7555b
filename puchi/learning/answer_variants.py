"""Other right ways to write an accepted answer, generated once so both graders (server and offline) only compare.

A teacher accepts "I am hungry" for "I'm hungry", "2 gatos" for "dos gatos", "ni3 hao3" or "ni hao" for "nǐ hǎo",
學生 for 学生, and 私 for わたし when the course itself gives both spellings. Rather than teach each rule to the
comparison (twice: Python and JavaScript), this module turns an accepted answer into its variants, and gives the
letter folds (romaji long vowels, the course's kanji spellings) applied to both sides before comparing. Everything
it returns is data that travels with the accepted answers to the offline lesson bundle.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import cache, lru_cache
from typing import Any

# At most this many variants of one accepted answer: a phrase with many contractible spots stays cheap to grade.
MAX_VARIANTS = 24

# English contractions, both ways (the second spelling of a pair is the expanded one).
_CONTRACTIONS = {
    "i'm": "i am", "you're": "you are", "we're": "we are", "they're": "they are", "he's": "he is",
    "she's": "she is", "it's": "it is", "that's": "that is", "what's": "what is", "there's": "there is",
    "here's": "here is", "who's": "who is", "where's": "where is", "let's": "let us", "i've": "i have",
    "you've": "you have", "we've": "we have", "they've": "they have", "i'll": "i will", "you'll": "you will",
    "he'll": "he will", "she'll": "she will", "we'll": "we will", "they'll": "they will", "it'll": "it will",
    "i'd": "i would", "you'd": "you would", "he'd": "he would", "she'd": "she would", "we'd": "we would",
    "they'd": "they would", "isn't": "is not", "aren't": "are not", "wasn't": "was not", "weren't": "were not",
    "don't": "do not", "doesn't": "does not", "didn't": "did not", "haven't": "have not", "hasn't": "has not",
    "hadn't": "had not", "won't": "will not", "wouldn't": "would not", "can't": "cannot", "cannot": "can not",
    "couldn't": "could not", "shouldn't": "should not", "mustn't": "must not",
}

# Small numbers as words, per language (articles that double as "one", like es "un"/"una" or fr "une", are left
# out: "un gato" is not "1 gato").
_NUMBERS: dict[str, tuple[str, ...]] = {
    "en": ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
           "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty"),
    "es": ("cero", "uno", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve", "diez", "once",
           "doce", "trece", "catorce", "quince", "dieciséis", "diecisiete", "dieciocho", "diecinueve", "veinte"),
    "fr": ("zéro", "", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix", "onze", "douze",
           "treize", "quatorze", "quinze", "seize", "dix-sept", "dix-huit", "dix-neuf", "vingt"),
    "de": ("null", "eins", "zwei", "drei", "vier", "fünf", "sechs", "sieben", "acht", "neun", "zehn", "elf",
           "zwölf"),
    "it": ("zero", "", "due", "tre", "quattro", "cinque", "sei", "sette", "otto", "nove", "dieci"),
    "pt": ("zero", "", "dois", "três", "quatro", "cinco", "seis", "sete", "oito", "nove", "dez"),
}

# Inflection endings: an edit confined to the end of a word that swaps one of these for another ("negra" for
# "negro", "perro" for "perros", "grande" for "grand") is a grammar error, never a typo.
_ENDINGS: dict[str, tuple[str, ...]] = {
    "es": ("", "a", "o", "e", "s", "as", "os", "es", "n", "an", "en", "o", "amos", "emos", "imos", "áis", "éis",
           "ís", "é", "ó", "í", "ía", "ías", "aba", "abas", "ar", "er", "ir"),
    "fr": ("", "e", "s", "es", "x", "nt", "ent", "ez", "ons", "ais", "ait", "é", "ée", "és", "ées", "er", "ir"),
    "en": ("", "s", "es", "ed", "ing", "er", "est"),
    "de": ("", "e", "en", "er", "es", "em", "n", "s", "st", "t", "et"),
    "it": ("", "a", "o", "e", "i", "ano", "ono", "iamo", "ate", "ete", "ite"),
    "pt": ("", "a", "o", "e", "s", "as", "os", "es", "m", "am", "em", "mos"),
}

# Romaji long vowels: a macron or circumflex and the doubled spelling are one sound; "oo" and "ou" both write a
# long o. Folded to one spelling on both sides. (ā is never folded to a: obāsan and obasan are different people.)
_ROMAJI_FOLDS = (
    ("ā", "aa"), ("â", "aa"), ("ī", "ii"), ("î", "ii"), ("ū", "uu"), ("û", "uu"), ("ē", "ee"), ("ê", "ee"),
    ("ō", "ou"), ("ô", "ou"), ("oo", "ou"),
)

_PINYIN_TONES = {
    char: (base, tone)
    for base, marked in (("a", "āáǎà"), ("e", "ēéěè"), ("i", "īíǐì"), ("o", "ōóǒò"), ("u", "ūúǔù"), ("ü", "ǖǘǚǜ"))
    for tone, char in enumerate(marked, start=1)
}
_PINYIN_VOWELS = "aeiouü"

_WORD = re.compile(r"[\w'’]+")


def primary(language: str) -> str:
    return language.strip().lower().replace("_", "-").split("-", 1)[0]


def endings(language: str) -> tuple[str, ...]:
    return _ENDINGS.get(primary(language), ())


def letter_folds(language: str, spellings: Sequence[tuple[str, str]] = ()) -> tuple[tuple[str, str], ...]:
    """(written, as compared) replacements made on both sides: the course's kanji → kana spellings, longest first,
    then romaji long vowels (Japanese only)."""
    folds = sorted(((source, target) for source, target in spellings if source and source != target),
                   key=lambda fold: (-len(fold[0]), fold))
    if primary(language) == "ja":
        folds.extend(_ROMAJI_FOLDS)
    return tuple(dict.fromkeys(folds))


def variants(accepted: str, language: str) -> list[str]:
    """Other right spellings of ``accepted`` in ``language`` (not including it), at most MAX_VARIANTS."""
    return list(_variants(accepted, primary(language)))


@lru_cache(maxsize=8192)
def _variants(accepted: str, language: str) -> tuple[str, ...]:
    found: list[str] = []
    if language == "en":  # twice, so "it isn't" also gives "it's not" (through "it is not")
        found.extend(_swap_words(accepted, _contraction_table()))
        found.extend(v for text in list(found) for v in _swap_words(text, _contraction_table()))
    if language in _NUMBERS:
        found.extend(v for text in [accepted, *found] for v in _swap_words(text, _number_table(language)))
    if language == "zh":
        found.extend(_pinyin_variants(accepted))
        found.extend(_chinese_script_variants(accepted))
    unique = [v for v in dict.fromkeys(found) if v != accepted]
    return tuple(unique[:MAX_VARIANTS])


@cache
def _contraction_table() -> dict[str, list[str]]:
    table: dict[str, list[str]] = {}
    for short, long in _CONTRACTIONS.items():
        table.setdefault(short, []).append(long)
        table.setdefault(long, []).append(short)
    return table


@cache
def _number_table(language: str) -> dict[str, list[str]]:
    table: dict[str, list[str]] = {}
    for number, word in enumerate(_NUMBERS[language]):
        if word:
            table.setdefault(word, []).append(str(number))
            table.setdefault(str(number), []).append(word)
    return table


def _swap_words(text: str, table: dict[str, list[str]]) -> list[str]:
    """Every way of swapping words or pairs of words of ``text`` for their table equivalents (case kept)."""
    words = [(match.start(), match.end()) for match in _WORD.finditer(text)]
    results: list[str] = []

    def walk(index: int, position: int, built: str) -> None:
        if len(results) >= MAX_VARIANTS * 2:
            return
        if index == len(words):
            results.append(built + text[position:])
            return
        start, end = words[index]
        before = built + text[position:start]
        walk(index + 1, end, before + text[start:end])
        for replacement in table.get(_plain(text[start:end]), []):
            walk(index + 1, end, before + _same_case(text[start:end], replacement))
        if index + 1 < len(words) and text[end:words[index + 1][0]] == " ":
            pair_end = words[index + 1][1]
            for replacement in table.get(_plain(text[start:pair_end]), []):
                walk(index + 2, pair_end, before + _same_case(text[start:pair_end], replacement))

    walk(0, 0, "")
    return [result for result in results if result != text]


def _plain(word: str) -> str:
    return word.replace("’", "'").casefold()


def _same_case(original: str, replacement: str) -> str:
    if original[:1].isupper():
        return replacement[:1].upper() + replacement[1:]
    return replacement


def _pinyin_variants(text: str) -> list[str]:
    """Pinyin without tone marks, and with tone numbers after each syllable (nǐ hǎo → ni hao, ni3 hao3)."""
    if not any(char in _PINYIN_TONES for char in unicodedata.normalize("NFC", text)):
        return []
    text = unicodedata.normalize("NFC", text)
    toneless = "".join(_PINYIN_TONES[c][0] if c in _PINYIN_TONES else c for c in text)
    numbered = _WORD.sub(lambda match: _numbered_word(match.group()), text)
    return [toneless, numbered]


def _numbered_word(word: str) -> str:
    out: list[str] = []
    index = 0
    while index < len(word):
        char = word[index]
        if char.casefold() not in _PINYIN_TONES and char not in _PINYIN_TONES:
            out.append(char)
            index += 1
            continue
        base, tone = _PINYIN_TONES.get(char) or _PINYIN_TONES[char.casefold()]
        out.append(base.upper() if char.isupper() else base)
        index += 1
        while index < len(word) and word[index].casefold() in _PINYIN_VOWELS:
            out.append(word[index])
            index += 1
        for coda in ("ng", "n", "r"):
            after = index + len(coda)
            if word[index:after].casefold() == coda and (after == len(word) or word[after].casefold()
                                                          not in _PINYIN_VOWELS):
                out.append(word[index:after])
                index = after
                break
        out.append(str(tone))
    return "".join(out)


def _chinese_script_variants(text: str) -> list[str]:
    """The same Chinese in the other script (simplified ↔ traditional), with OpenCC's dictionaries."""
    if not any("\u3400" <= char <= "\u9fff" for char in text):
        return []
    converters = _opencc()
    return [converter.convert(text) for converter in converters]


@cache
def _opencc() -> tuple[Any, ...]:
    import opencc  # imported on first Chinese answer: loading its dictionaries takes a moment

    return tuple(opencc.OpenCC(config) for config in ("s2t", "t2s", "s2tw"))


def known_words(texts: Iterable[str]) -> frozenset[str]:
    """The words of ``texts`` as a set to pass to the grader (it normalizes them itself)."""
    return frozenset(word for text in texts for word in _WORD.findall(text.replace("’", "'")))
