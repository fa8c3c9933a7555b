"""Achievements: a table of definitions with tiers, each tier awarded once."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Achievement:
    code: str
    title: object  # lazy translated
    description: object  # lazy translated, with %(count)s
    tiers: tuple[int, ...]  # thresholds


DEFINITIONS: tuple[Achievement, ...] = (
    Achievement("streak", _l("On fire"), _l("Keep a streak of %(count)s days"), (3, 7, 30, 100, 365)),
    Achievement("xp", _l("Scholar"), _l("Earn %(count)s XP"), (100, 1_000, 10_000)),
    Achievement("lessons", _l("Hard worker"), _l("Finish %(count)s lessons"), (1, 10, 50, 100, 500)),
    Achievement("perfect", _l("Flawless"), _l("Finish %(count)s lessons without a mistake"), (1, 10, 50)),
    Achievement("words", _l("Wordsmith"), _l("Learn %(count)s words and phrases"), (10, 50, 100, 500, 1_000)),
    Achievement("courses", _l("Polyglot"), _l("Start %(count)s courses"), (1, 2, 3)),
    Achievement("night_owl", _l("Night owl"), _l("Finish a lesson between 10 pm and 4 am"), (1,)),
    Achievement("early_bird", _l("Early bird"), _l("Finish a lesson between 5 am and 8 am"), (1,)),
)
BY_CODE = {a.code: a for a in DEFINITIONS}


def earned_tiers(values: dict[str, int]) -> set[tuple[str, int]]:
    """Every (code, tier) that ``values`` (code → current count) qualifies for; tiers count from 1."""
    earned: set[tuple[str, int]] = set()
    for achievement in DEFINITIONS:
        value = values.get(achievement.code, 0)
        for tier, threshold in enumerate(achievement.tiers, start=1):
            if value >= threshold:
                earned.add((achievement.code, tier))
    return earned
