"""What learning tells the rest of Puchi: its domain events, one frozen dataclass each, and the enums their
fields use (so a subscriber compares members, not strings)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from puchi.core.events import DomainEvent
from puchi.learning.grading import Verdict
from puchi.learning.models import SessionKind

__all__ = ["CourseDraftEdited", "CourseEnrolled", "CourseExported", "CourseImported", "CoursePublished",
           "ItemMediaChanged", "ItemReviewed", "LessonCompleted", "PlacementCompleted", "SessionKind",
           "UnitTestedOut", "Verdict"]


@dataclass(frozen=True)
class LessonCompleted(DomainEvent):
    """A lesson or practice session ended. Actor: the learner; subject: ``("lesson_session", id)``."""

    name = "lesson.completed"
    kind: SessionKind
    course_id: int
    skill_id: int | None  # None for practice
    accuracy: int  # percent of answers right or almost right
    correct: int
    almost: int
    wrong: int
    duration_seconds: int
    items: tuple[int, ...]  # every item practised
    new_items: int  # items met for the first time
    perfect: bool  # no wrong answer
    due_reviewed: int  # items that were due and came back in this session
    started_at: datetime
    completed_at: datetime


@dataclass(frozen=True)
class ItemReviewed(DomainEvent):
    """One answer about one item (``counted``: it was the day's FSRS review of the item, else practice that left
    the card as it was). Actor: the learner; subject: ``("item", id)``."""

    name = "item.reviewed"
    course_id: int
    skill_id: int
    verdict: Verdict
    rating: int  # the FSRS rating given (1 again … 4 easy)
    exercise: str  # the exercise type
    duration_ms: int
    session_kind: SessionKind
    counted: bool = True


@dataclass(frozen=True)
class CourseEnrolled(DomainEvent):
    """A learner enrolled in a course. Actor: the learner; subject: ``("course", id)``."""

    name = "course.enrolled"
    slug: str


@dataclass(frozen=True)
class CourseImported(DomainEvent):
    """A course file was imported (or imported again). Subject: ``("course", id)``."""

    name = "course.imported"
    slug: str
    created: bool
    changes: int


@dataclass(frozen=True)
class CourseExported(DomainEvent):
    """Staff downloaded a course folder as a zip. Actor: the staff member; subject: ``("course", id)``."""

    name = "course.exported"
    slug: str


@dataclass(frozen=True)
class ItemMediaChanged(DomainEvent):
    """Staff gave an item a picture or recording (``key``), or took it away (``key`` None).
    Actor: the staff member; subject: ``("item", id)``."""

    name = "item.media_changed"
    item_id: int
    kind: str  # "image" or "audio"
    key: str | None


@dataclass(frozen=True)
class CourseDraftEdited(DomainEvent):
    """An editor changed a course's draft in the content studio. Actor: the editor; subject: ``("course", id)``."""

    name = "course.draft_edited"
    change: str  # what was done: "item.saved", "skill.added", "units.reordered", "draft.discarded"...
    target: str  # what it was done to: a skill's Id, an item's text, a unit's title


@dataclass(frozen=True)
class CoursePublished(DomainEvent):
    """An editor published a course's draft: learners see it now. Actor: the editor; subject: ``("course", id)``."""

    name = "course.published"
    slug: str
    course_version: int  # the course's new version
    changes: int  # how many changes the importer applied


@dataclass(frozen=True)
class PlacementCompleted(DomainEvent):
    """A learner finished a course's placement test; the first ``skills_placed`` skills of its path are marked
    passed (level 1). Actor: the learner; subject: ``("course", id)``."""

    name = "course.placement_completed"
    questions: int
    correct: int
    skills_placed: int


@dataclass(frozen=True)
class UnitTestedOut(DomainEvent):
    """A learner passed a unit's "jump here" test: every skill before the unit is passed, so the unit is open.
    Actor: the learner; subject: ``("unit", id)`` (the unit jumped to)."""

    name = "unit.tested_out"
    course_id: int
    skills_passed: tuple[int, ...]  # the skills marked passed (those before the unit that were not yet)
    mistakes: int
    steps: int
