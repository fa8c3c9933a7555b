"""How guessable a new password is, by zxcvbn, explained in our own translated words.

zxcvbn estimates the guesses an attacker with the usual lists (leaked passwords, words, names, keyboard
walks, dates) would need; its own feedback is English only, so we name the pattern it found instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_babel import lazy_gettext as _l
from zxcvbn import zxcvbn

# zxcvbn's score 3 is "safely unguessable" for an online attack (about 10^8 guesses); below, refuse.
MIN_SCORE = 3
# zxcvbn refuses longer input (ValueError) and slows down sharply near it; a password whose first 72
# characters are hard to guess is hard to guess.
_CHECKED_LENGTH = 72

_REASONS = {
    "personal": _l("It contains your name or email address, which others can find out."),
    "passwords": _l("It is one of the passwords people use most, so it is among the first ones tried."),
    "words": _l("A single common word or name, even with a few digits, is quickly guessed."),
    "repeat": _l("Repeats like “aaaa” or “abcabc” are barely harder to guess than the part repeated."),
    "sequence": _l("Sequences like “abcd” or “6543” are easy to guess."),
    "spatial": _l("Keyboard patterns like “qwerty” are easy to guess."),
    "date": _l("Dates and years, like a birthday, are easy to guess."),
}


def weakness(password: str, personal: Iterable[str] = ()) -> list[Any]:
    """Why ``password`` is too easy to guess (a reason, then a suggestion), or ``[]`` if it is strong enough.

    ``personal`` are things an attacker may know about the account: its email, the learner's name.
    """
    inputs = _personal_words(personal)
    result = zxcvbn(password[:_CHECKED_LENGTH], user_inputs=inputs, max_length=_CHECKED_LENGTH)
    if result["score"] >= MIN_SCORE:
        return []
    reason = _reason(result["sequence"])
    suggestion = _l("Try three or four unrelated words, or a short sentence only you would think of.")
    return [_l("That password is too easy to guess."), *([reason] if reason else []), suggestion]


def _personal_words(personal: Iterable[str]) -> list[str]:
    words = ["puchi"]
    for value in personal:
        value = value.strip().lower()
        if not value:
            continue
        local, _, domain = value.partition("@")
        parts = value.replace(".", " ").replace("@", " ").split()
        # "Ana Silva" is guessed as "anasilva" too, and ana@example.com as "ana" or "example".
        words.extend(part for part in (value, local, domain.split(".")[0], "".join(parts), *parts) if part)
    return list(dict.fromkeys(words))


def _reason(matches: list[dict[str, Any]]) -> Any:
    if any(match.get("dictionary_name") == "user_inputs" for match in matches):
        return _REASONS["personal"]
    longest = max(matches, key=lambda match: len(match["token"]), default=None)
    if longest is None:
        return None
    pattern = longest["pattern"]
    if pattern == "dictionary":
        return _REASONS["passwords" if longest.get("dictionary_name") == "passwords" else "words"]
    if pattern == "regex":
        return _REASONS["date"]
    return _REASONS.get(pattern)
