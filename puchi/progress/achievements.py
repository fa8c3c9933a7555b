"""Achievements: a table of definitions with tiers, each tier awarded once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext


@dataclass(frozen=True)
class Achievement:
    code: str
    title: object  # lazy translated
    describe: Callable[[int], str]  # the goal of a tier, given its threshold, in the reader's language
    tiers: tuple[int, ...]  # thresholds

    def goal(self, tier: int) -> str:
        """What tier ``tier`` (1-based; the next one to reach when 0) asks for."""
        index = min(max(tier, 1), len(self.tiers)) - 1
        return self.describe(self.tiers[index])


DEFINITIONS: tuple[Achievement, ...] = (
    Achievement("streak", _l("On fire"), lambda n: ngettext("Keep a streak of %(num)s day",
                                                            "Keep a streak of %(num)s days", n),
                (3, 7, 30, 100, 365)),
    Achievement("xp", _l("Scholar"), lambda n: ngettext("Earn %(num)s XP", "Earn %(num)s XP", n),
                (100, 1_000, 10_000)),
    Achievement("lessons", _l("Hard worker"), lambda n: ngettext("Finish your first lesson", "Finish %(num)s lessons",
                                                                 n), (1, 10, 50, 100, 500)),
    Achievement("perfect", _l("Flawless"), lambda n: ngettext("Finish a lesson without a mistake",
                                                              "Finish %(num)s lessons without a mistake", n),
                (1, 10, 50)),
    Achievement("words", _l("Wordsmith"), lambda n: ngettext("Learn %(num)s word or phrase",
                                                             "Learn %(num)s words and phrases", n),
                (10, 50, 100, 500, 1_000)),
    Achievement("courses", _l("Polyglot"), lambda n: ngettext("Start a course", "Start %(num)s courses", n),
                (1, 2, 3)),
    Achievement("night_owl", _l("Night owl"), lambda n: ngettext("Finish a lesson between 10 pm and 4 am",
                                                                 "Finish a lesson between 10 pm and 4 am", n), (1,)),
    Achievement("early_bird", _l("Early bird"), lambda n: ngettext("Finish a lesson between 5 am and 8 am",
                                                                   "Finish a lesson between 5 am and 8 am", n), (1,)),
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
