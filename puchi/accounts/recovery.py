"""Recovery codes: ten single-use codes that stand in for the second factor when the phone is lost.

Each code is 24 characters from a 31-letter alphabet (118 random bits), so it is stored as a plain SHA-256
digest rather than with argon2: a slow hash protects guessable secrets such as passwords, while nobody can
enumerate 2^118 codes from a stolen table, fast hash or not (ASVS 5.0 6.5.2 asks for 112 bits or a salted
password hash). A fast digest also lets the lookup use a unique index.
"""

from __future__ import annotations

import hashlib
import secrets

COUNT = 10
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read off paper without doubt
_LENGTH = 24  # 31^24 ≈ 2^118.9


def new_codes() -> list[str]:
    """Ten fresh codes, grouped by four for reading: ``abcd-efgh-jkmn-pqrs-tuvw-xyz2``."""
    return [_group("".join(secrets.choice(_ALPHABET) for _ in range(_LENGTH))) for _ in range(COUNT)]


def _group(raw: str) -> str:
    return "-".join(raw[index:index + 4] for index in range(0, len(raw), 4))


def normalize(code: str) -> str:
    """What the learner typed, as it was issued: lower case, no spaces or dashes."""
    return "".join(ch for ch in code.lower() if ch.isalnum())


def looks_like_a_code(code: str) -> bool:
    return len(normalize(code)) == _LENGTH


def digest(code: str) -> str:
    return hashlib.sha256(normalize(code).encode()).hexdigest()
