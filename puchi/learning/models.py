"""Courses and what learners do with them: content tables, enrolments, FSRS cards, lesson sessions."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator, TypeEngine

from puchi.core.db import JSONType, Model, UTCDateTime, now
from puchi.learning.steps import SOURCE as SOURCE  # the sides of a course (DictionaryEntry.language)
from puchi.learning.steps import TARGET as TARGET
from puchi.learning.steps import Step

WORD, PHRASE = "word", "phrase"


class SessionKind(StrEnum):
    """What a lesson session is (``LessonSession.kind``)."""

    LESSON = "lesson"  # new items of a skill, with some reviews
    PRACTICE = "practice"  # a review of what is due across the course
    TEST_OUT = "test_out"  # "jump here": a test on the skills before a unit; passing opens the unit


# --- Content ---------------------------------------------------------------------------------------

class Course(Model):
    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    target_language: Mapped[str] = mapped_column(String(16), index=True)  # BCP 47, e.g. "es"
    target_language_name: Mapped[str] = mapped_column(String(60))
    source_language: Mapped[str] = mapped_column(String(16))
    source_language_name: Mapped[str] = mapped_column(String(60))
    licence_name: Mapped[str] = mapped_column(String(200), default="")
    licence_short_name: Mapped[str] = mapped_column(String(60), default="")
    licence_link: Mapped[str] = mapped_column(String(300), default="")
    repository: Mapped[str] = mapped_column(String(300), default="")
    special_characters: Mapped[list[str]] = mapped_column(JSONType, default=list)
    settings: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)  # unknown keys, kept for export
    version: Mapped[int] = mapped_column(default=1)
    is_published: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)

    units: Mapped[list[Unit]] = relationship(back_populates="course", order_by="Unit.position",
                                             cascade="all, delete-orphan", lazy="raise")


class Unit(Model):
    """A module of a course: a group of skills on the path."""

    __tablename__ = "units"
    __table_args__ = (UniqueConstraint("course_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(default=0)

    course: Mapped[Course] = relationship(back_populates="units", lazy="raise")
    skills: Mapped[list[Skill]] = relationship(back_populates="unit", order_by="Skill.position",
                                               cascade="all, delete-orphan", lazy="raise")


class Skill(Model):
    __tablename__ = "skills"
    __table_args__ = (
        UniqueConstraint("course_id", "slug"),
        Index("ix_skills_course_path", "course_id", "path_position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(120))  # the file's Id, stable across re-imports
    file_name: Mapped[str] = mapped_column(String(200), default="")
    title: Mapped[str] = mapped_column(String(120))
    tips_markdown: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(default=0)  # within the unit
    path_position: Mapped[int] = mapped_column(default=0)  # along the whole course path
    item_count: Mapped[int] = mapped_column(default=0)
    settings: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)

    unit: Mapped[Unit] = relationship(back_populates="skills", lazy="raise")
    items: Mapped[list[Item]] = relationship(back_populates="skill", order_by="Item.position",
                                             cascade="all, delete-orphan", lazy="raise")
    exercises: Mapped[list[AuthoredExercise]] = relationship(
        back_populates="skill", order_by="AuthoredExercise.position", cascade="all, delete-orphan", lazy="raise")


class Item(Model):
    """A word or phrase to learn, with every answer that counts as right in both directions."""

    __tablename__ = "items"
    __table_args__ = (UniqueConstraint("skill_id", "kind", "text"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    skill_id: Mapped[int] = mapped_column(ForeignKey("skills.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # WORD or PHRASE
    text: Mapped[str] = mapped_column(String(300))  # in the course's language
    translation: Mapped[str] = mapped_column(String(300))  # in the learner's language
    alternatives: Mapped[list[str]] = mapped_column(JSONType, default=list)  # other right texts
    alternative_translations: Mapped[list[str]] = mapped_column(JSONType, default=list)
    romanisation: Mapped[str | None] = mapped_column(String(300))
    pronunciation: Mapped[str | None] = mapped_column(String(300))
    audio: Mapped[str | None] = mapped_column(String(300))
    images: Mapped[list[str]] = mapped_column(JSONType, default=list)
    extra: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)  # unknown keys, kept for export
    position: Mapped[int] = mapped_column(default=0)
    search_text: Mapped[str] = mapped_column(Text, default="")  # accent-folded text for dictionary search
    image_key: Mapped[str | None] = mapped_column(String(300))  # an uploaded picture in the media storage
    audio_key: Mapped[str | None] = mapped_column(String(300))  # an uploaded recording, played before speech synthesis

    skill: Mapped[Skill] = relationship(back_populates="items", lazy="raise")

    def accepted_texts(self) -> list[str]:
        texts = [self.text, *self.alternatives]
        if self.romanisation:
            texts.append(self.romanisation)
        return texts

    def accepted_translations(self) -> list[str]:
        return [self.translation, *self.alternative_translations]


class AuthoredExercise(Model):
    """An exercise written by the course author (Puchi's extension), e.g. fill in the blank."""

    __tablename__ = "authored_exercises"

    id: Mapped[int] = mapped_column(primary_key=True)
    skill_id: Mapped[int] = mapped_column(ForeignKey("skills.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    position: Mapped[int] = mapped_column(default=0)

    skill: Mapped[Skill] = relationship(back_populates="exercises", lazy="raise")


class DictionaryEntry(Model):
    """The course's mini-dictionary: tap a word in a sentence to see what it means."""

    __tablename__ = "dictionary_entries"
    __table_args__ = (UniqueConstraint("course_id", "language", "word"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    skill_id: Mapped[int] = mapped_column(ForeignKey("skills.id", ondelete="CASCADE"), index=True)  # first defined in
    language: Mapped[str] = mapped_column(String(8))  # TARGET or SOURCE side of the course
    word: Mapped[str] = mapped_column(String(120))  # lower-cased
    meanings: Mapped[list[str]] = mapped_column(JSONType, default=list)


class CourseDraft(Model):
    """The content studio's working copy of a course: the course format's model as JSON (``drafts.py``).

    Learners see the published rows; publishing applies the document through the importer."""

    __tablename__ = "course_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), unique=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSONType)
    base_version: Mapped[int] = mapped_column()  # the course's version when the draft was started
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class CourseDraftRevision(Model):
    """One of a draft's recent edits (the studio keeps the last few, ``studio.HISTORY_SIZE``): the document as it
    was before the edit, so undoing it or restoring to before it puts that back."""

    __tablename__ = "course_draft_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("course_drafts.id", ondelete="CASCADE"), index=True)
    before: Mapped[dict[str, Any]] = mapped_column(JSONType)
    change: Mapped[str] = mapped_column(String(40))  # as in course.draft_edited: "item.saved", "unit.deleted", ...
    summary: Mapped[str] = mapped_column(String(200))  # what the edit was about, for people ("Hola")
    editor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


# --- Learners --------------------------------------------------------------------------------------

class Enrollment(Model):
    __tablename__ = "enrollments"
    __table_args__ = (UniqueConstraint("user_id", "course_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    last_practised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    course: Mapped[Course] = relationship(lazy="joined")


class SkillProgress(Model):
    __tablename__ = "skill_progress"
    __table_args__ = (UniqueConstraint("user_id", "skill_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    skill_id: Mapped[int] = mapped_column(ForeignKey("skills.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    lessons_completed: Mapped[int] = mapped_column(default=0)
    level: Mapped[int] = mapped_column(default=0)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)


class Card(Model):
    """One learner's memory of one item, scheduled by FSRS."""

    __tablename__ = "cards"
    __table_args__ = (
        UniqueConstraint("user_id", "item_id"),
        Index("ix_cards_user_course_due", "user_id", "course_id", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    skill_id: Mapped[int] = mapped_column(ForeignKey("skills.id", ondelete="CASCADE"), index=True)
    fsrs: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)  # fsrs.Card.to_dict()
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    stability: Mapped[float | None] = mapped_column(Float)
    difficulty: Mapped[float | None] = mapped_column(Float)
    reviews: Mapped[int] = mapped_column(default=0)
    lapses: Mapped[int] = mapped_column(default=0)
    correct_streak: Mapped[int] = mapped_column(default=0)
    last_reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class StepList(TypeDecorator[list[Step]]):
    """A lesson's steps: stored as a JSON list of :meth:`Step.to_dict`, read back as :class:`Step` objects."""

    impl = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Any) -> TypeEngine[Any]:
        return dialect.type_descriptor(JSONB() if dialect.name == "postgresql" else JSON())

    def process_bind_param(self, value: list[Step] | None, dialect: Any) -> list[dict[str, Any]] | None:
        return None if value is None else [step.to_dict() for step in value]

    def process_result_value(self, value: list[dict[str, Any]] | None, dialect: Any) -> list[Step] | None:
        return None if value is None else [Step.from_dict(data) for data in value]


class LessonSession(Model):
    """A lesson or practice session: its planned steps, where the learner is, and how it went."""

    __tablename__ = "lesson_sessions"
    __table_args__ = (
        Index("ix_lesson_sessions_user_status", "user_id", "status"),
        UniqueConstraint("user_id", "client_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    skill_id: Mapped[int | None] = mapped_column(ForeignKey("skills.id", ondelete="SET NULL"), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # a SessionKind
    practice_mode: Mapped[str | None] = mapped_column(String(12))  # a practice's mode (None: due, or not a practice)
    status: Mapped[str] = mapped_column(String(12), default="active")  # active, completed, abandoned
    steps: Mapped[list[Step]] = mapped_column(StepList, default=list)  # replaced whole, never changed in place
    position: Mapped[int] = mapped_column(default=0)  # index of the step being shown
    client_id: Mapped[str | None] = mapped_column(String(64))  # offline lessons: the browser's id
    correct_count: Mapped[int] = mapped_column(default=0)
    almost_count: Mapped[int] = mapped_column(default=0)
    wrong_count: Mapped[int] = mapped_column(default=0)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Attempt(Model):
    """One answer to one step: what was written, how it was judged, how long it took."""

    __tablename__ = "attempts"
    __table_args__ = (UniqueConstraint("session_id", "step_index"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("lesson_sessions.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id", ondelete="SET NULL"), index=True)
    step_index: Mapped[int] = mapped_column()
    exercise_type: Mapped[str] = mapped_column(String(24))
    direction: Mapped[str | None] = mapped_column(String(10))  # the step's Direction (None: before it was kept)
    answer: Mapped[str] = mapped_column(Text, default="")
    verdict: Mapped[str] = mapped_column(String(8))  # correct, almost, wrong, skipped
    expected: Mapped[str] = mapped_column(Text, default="")
    duration_ms: Mapped[int] = mapped_column(default=0)
    hinted: Mapped[bool] = mapped_column(Boolean, default=False)  # the learner opened a hint before answering
    # What FSRS made of it: REVIEW_FIRST (a new card's first rating), REVIEW_DUE (a due card's review of the day)
    # or REVIEW_PRACTICE (another answer the same day, or about a card not due: the card did not change).
    review_kind: Mapped[str] = mapped_column(String(8), default="practice")
    rating: Mapped[int | None] = mapped_column()  # the FSRS rating given (1 again … 4 easy); None for practice
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, index=True)


REVIEW_FIRST, REVIEW_DUE, REVIEW_PRACTICE = "first", "due", "practice"


class LearnerFsrsParameters(Model):
    """FSRS weights fitted to one learner's own review log (all their courses), used instead of the defaults."""

    __tablename__ = "learner_fsrs_parameters"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    weights: Mapped[list[float]] = mapped_column(JSONType, default=list)
    review_count: Mapped[int] = mapped_column(default=0)  # reviews the fit saw
    fitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class CourseFsrsParameters(Model):
    """FSRS weights fitted to every learner's reviews in one course: the prior for learners with too few."""

    __tablename__ = "course_fsrs_parameters"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), unique=True)
    weights: Mapped[list[float]] = mapped_column(JSONType, default=list)
    review_count: Mapped[int] = mapped_column(default=0)
    fitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class DifficultyModel(Model):
    """One version of the P(correct) model (``learning/difficulty.py``): queued by the periodic chore, filled in by
    the training job. The newest ready one is what lessons use; its numbers are plain JSON, never a pickle."""

    __tablename__ = "difficulty_models"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(unique=True)
    status: Mapped[str] = mapped_column(String(12), default="queued", index=True)  # queued, ready, failed
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    trained_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts_used: Mapped[int] = mapped_column(default=0)
    learners_used: Mapped[int] = mapped_column(default=0)
    coefficients: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)  # LogisticModel.to_json()
    item_rates: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)  # item id → [right, answers]
    metrics: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)  # held-out log-loss and more
    error: Mapped[str | None] = mapped_column(Text)


class ItemDayStats(Model):
    """Answers to each item on each UTC day, and how many were right (an "almost" counts as right): a rollup
    kept in step with every attempt, so the staff's accuracy figures read a few rows per item and day instead
    of millions of attempts."""

    __tablename__ = "item_day_stats"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), primary_key=True, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    correct: Mapped[int] = mapped_column(default=0)


class LessonLearnerDay(Model):
    """The lesson and practice sessions each learner started on each UTC day, and how many of those they have
    completed (counted on the day the session started): a rollup kept in step with every session started and
    completed, in the same transaction, so the staff's usage figures read one row per active learner and day
    instead of every session. Each row also names the learner's previous day with a session and previous day
    with a completed one, so the learners of a range are counted without grouping by learner: a learner is
    counted on their first day in the range, the one whose previous day falls before it. It goes with the
    learner's sessions when their data is erased (personal data, like them)."""

    __tablename__ = "lesson_learner_days"
    __table_args__ = (Index("ix_lesson_learner_days_user_day", "user_id", "day"),)

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    started: Mapped[int] = mapped_column(default=0)
    completed: Mapped[int] = mapped_column(default=0)
    previous_day: Mapped[date | None] = mapped_column(Date)  # the learner's latest earlier day here
    previous_completed_day: Mapped[date | None] = mapped_column(Date)  # … with ``completed`` above 0
