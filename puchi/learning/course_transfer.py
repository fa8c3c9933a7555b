"""The content studio's course files: the list of courses, export as a zip, and import of an uploaded zip
(checked first, with the importer's problems by file and line). Each function checks the viewer may edit content.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from puchi.accounts import services as accounts
from puchi.accounts.models import User
from puchi.core import events
from puchi.core.db import action, db
from puchi.core.errors import Invalid, NotFound
from puchi.learning import course_export
from puchi.learning.course_format import CourseData, CourseFormatError
from puchi.learning.course_import import ImportReport, import_course
from puchi.learning.events import CourseExported
from puchi.learning.models import Course, Item, Skill, Unit

MAX_UPLOAD_BYTES = 2 * 1024 * 1024  # what the app takes in one request (MAX_CONTENT_LENGTH)
ARCHIVE_FIELD = "archive"


@dataclass(frozen=True)
class StudioCourse:
    slug: str
    title: str
    target_language_name: str
    source_language_name: str
    units: int
    skills: int
    items: int
    is_published: bool
    updated_at: datetime


@dataclass(frozen=True)
class ImportCheck:
    """What an uploaded course folder holds, read but not imported."""

    slug: str
    title: str
    exists: bool  # importing updates a course already here
    units: int
    skills: int
    items: int
    warnings: list[str]


def courses_for_studio(viewer: User) -> list[StudioCourse]:
    """Every course, published or not, with its size. :raises Forbidden: the viewer may not edit content."""
    accounts.require_capability(viewer, accounts.Capability.CONTENT)
    def counts(column: Any, by: Any) -> dict[int, int]:
        return {course_id: int(count) for course_id, count in db.session.execute(
            select(by, func.count(column)).group_by(by))}

    units, skills, items = (counts(Unit.id, Unit.course_id), counts(Skill.id, Skill.course_id),
                            counts(Item.id, Item.course_id))
    return [StudioCourse(slug=c.slug, title=c.title, target_language_name=c.target_language_name,
                         source_language_name=c.source_language_name, units=units.get(c.id, 0),
                         skills=skills.get(c.id, 0), items=items.get(c.id, 0), is_published=c.is_published,
                         updated_at=c.updated_at)
            for c in db.session.scalars(select(Course).order_by(Course.title, Course.slug))]


def export_course_zip(viewer: User, slug: str) -> tuple[str, bytes]:
    """The course as a zip of its course folder, and a file name for it; the export is recorded.

    :raises Forbidden: the viewer may not edit content. :raises NotFound: no such course.
    """
    accounts.require_capability(viewer, accounts.Capability.CONTENT)
    with action():
        course = db.session.scalar(select(Course).where(Course.slug == slug))
        if course is None:
            raise NotFound
        payload = course_export.course_zip(slug)
        events.record(CourseExported(slug=slug), actor_id=viewer.id, subject=("course", course.id))
    return f"{slug}.zip", payload


def check_course_zip(viewer: User, payload: bytes | None) -> ImportCheck:
    """Read an uploaded course zip without importing it.

    :raises Forbidden: the viewer may not edit content.
    :raises Invalid: on ``archive``, each problem (``file:line: message``) that stops the import.
    """
    accounts.require_capability(viewer, accounts.Capability.CONTENT)
    data = _read(payload)
    exists = db.session.scalar(select(Course.id).where(Course.slug == data.slug)) is not None
    return ImportCheck(slug=data.slug, title=data.title, exists=exists, units=len(data.units),
                       skills=sum(len(u.skills) for u in data.units), items=data.item_count(),
                       warnings=[str(w) for w in data.warnings])


def import_course_zip(viewer: User, payload: bytes | None) -> ImportReport:
    """Import an uploaded course zip: create the course or update it to match (learners' progress on kept
    items survives). Recorded as ``course.imported`` with the viewer as actor.

    :raises Forbidden: the viewer may not edit content.
    :raises Invalid: on ``archive``, each problem that stops the import; nothing is imported.
    """
    accounts.require_capability(viewer, accounts.Capability.CONTENT)
    return import_course(_read(payload), actor_id=viewer.id)


def _read(payload: bytes | None) -> CourseData:
    if not payload:
        raise Invalid(_("Choose a zip file of a course folder."), code="no_archive")
    if len(payload) > MAX_UPLOAD_BYTES:
        raise Invalid(_("The zip file is too large (at most %(mb)s MB).", mb=MAX_UPLOAD_BYTES // (1024 * 1024)),
                      code="archive_too_large")
    try:
        return course_export.read_zip(payload)
    except course_export.UnsafeArchive as refused:
        raise Invalid(_("This zip file cannot be opened safely; nothing was imported."), code="unsafe_archive",
                      fields={ARCHIVE_FIELD: [str(p) for p in refused.problems]}) from None
    except CourseFormatError as refused:
        raise Invalid(_("The course folder has problems; nothing was imported."), code="course_problems",
                      fields={ARCHIVE_FIELD: [str(p) for p in refused.problems]}) from None
