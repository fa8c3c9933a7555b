"""Learning's tables in the personal-data registry (puchi/core/personal_data.py)."""

from __future__ import annotations

from flask import Flask

from puchi.core import personal_data
from puchi.learning.models import (
    Attempt,
    AuthoredExercise,
    Card,
    Course,
    CourseDraft,
    CourseDraftRevision,
    CourseFsrsParameters,
    DictionaryEntry,
    DifficultyModel,
    Enrollment,
    Item,
    ItemDayStats,
    LearnerFsrsParameters,
    LessonLearnerDay,
    LessonSession,
    Skill,
    SkillProgress,
    Unit,
)


def register(app: Flask) -> None:
    personal_data.register_no_personal_data(
        app, *(model.__tablename__ for model in (Course, Unit, Skill, Item, AuthoredExercise, DictionaryEntry)),
        why="course content, written by course authors")
    personal_data.register_no_personal_data(
        app, CourseDraft.__tablename__, CourseDraftRevision.__tablename__,
        why="course content being edited (and its recent edits); the editor's account is a staff member's id "
            "(set to null when deleted)")
    personal_data.register_no_personal_data(app, CourseFsrsParameters.__tablename__,
                                            why="memory-model weights fitted to all learners of a course together")
    personal_data.register_no_personal_data(
        app, DifficultyModel.__tablename__,
        why="the P(correct) model: coefficients and per-item answer counts summed over all learners")
    personal_data.register_no_personal_data(app, ItemDayStats.__tablename__,
                                            why="answers per item and day, counted over all learners")
    for model in (Enrollment, SkillProgress, Card, LessonSession, LessonLearnerDay, Attempt,
                  LearnerFsrsParameters):
        personal_data.register_owned(app, model)
