"""Progress's tables in the personal-data registry (puchi/core/personal_data.py)."""

from __future__ import annotations

from flask import Flask

from puchi.core import personal_data
from puchi.progress.models import (
    DailyActivity,
    GemTransaction,
    LeagueCohort,
    LeagueMembership,
    ProgressProfile,
    UserAchievement,
    XpEntry,
)


def register(app: Flask) -> None:
    personal_data.register_no_personal_data(app, LeagueCohort.__tablename__,
                                            why="a week's league group: tier, week and size, no one in it")
    for model in (ProgressProfile, XpEntry, DailyActivity, GemTransaction, UserAchievement, LeagueMembership):
        personal_data.register_owned(app, model)
