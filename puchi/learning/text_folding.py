"""Accent- and case-insensitive text for search keys (not for grading, which has its own rules)."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """Lower-case, NFKC, without diacritics: "¿Cómo ESTÁS?" → "¿como estas?"."""
    decomposed = unicodedata.normalize("NFD", unicodedata.normalize("NFKC", text).casefold())
    stripped = "".join(char for char in decomposed if unicodedata.category(char) != "Mn")
    return unicodedata.normalize("NFC", stripped)
