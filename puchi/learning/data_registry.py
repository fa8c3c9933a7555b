"""Learning's tables in the personal-data registry (puchi/core/personal_data.py)."""

from __future__ import annotations

from flask import Flask

from puchi.core import personal_data
from puchi.learning.models import (
    Attempt,
    AuthoredExercise,
    Card,
    Course,
    DictionaryEntry,
    Enrollment,
    Item,
    ItemDayStats,
    LessonSession,
    Skill,
    SkillProgress,
    Unit,
)


def register(app: Flask) -> None:
    personal_data.register_no_personal_data(
        app, *(model.__tablename__ for model in (Course, Unit, Skill, Item, AuthoredExercise, DictionaryEntry)),
        why="course content, written by course authors")
    personal_data.register_no_personal_data(app, ItemDayStats.__tablename__,
                                            why="answers per item and day, counted over all learners")
    for model in (Enrollment, SkillProgress, Card, LessonSession, Attempt):
        personal_data.register_owned(app, model)
