"""Accounts' parts of pages other domains own."""

from __future__ import annotations

from typing import Any

from puchi.accounts.validation import COURSE_LANGUAGES


def landing_languages(_visitor: Any) -> tuple[str, dict[str, Any]]:
    """The landing page's "what would you like to learn?": each language a way into sign-up."""
    return "accounts/_landing_languages.html", {"course_languages": COURSE_LANGUAGES}
