"""A newcomer's first steps in learning: the courses they can choose (on the landing page, at sign-up and as
a guest), their enrolment in the chosen one, and the placement test's pages' data.

The course chosen at sign-up (accounts' ``UserSignedUp.course_interest``, a course slug) and the one a guest
tries (``GuestStarted.course``) are enrolled in the same transaction, so the learner lands in that course.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, select

from puchi.accounts.events import GuestStarted, UserSignedUp
from puchi.core import events
from puchi.core.db import db
from puchi.learning.models import Course, Skill
from puchi.learning.services import enrol_user_in


def published_courses() -> list[Course]:
    """The courses a newcomer can start: published, with at least one skill, by title."""
    return list(db.session.scalars(
        select(Course).where(Course.is_published.is_(True), exists().where(Skill.course_id == Course.id))
        .order_by(Course.title, Course.id)))


def course_choices() -> list[tuple[str, str]]:
    """(slug, title) of each course one can start: what accounts offers at sign-up and to guests."""
    return [(course.slug, course.title) for course in published_courses()]


def landing_courses(_visitor: Any) -> tuple[str, dict[str, Any]] | None:
    """The landing page's "what would you like to learn?": each course, to try now or to sign up for."""
    courses = published_courses()
    if not courses:
        return None
    return "learning/_landing_courses.html", {"courses": courses}


def _enrol(user_id: int | None, slug: str | None) -> None:
    if user_id is None or not slug:
        return
    course = db.session.scalar(select(Course).where(Course.slug == slug, Course.is_published.is_(True)))
    if course is not None:  # a course unpublished since it was chosen: the learner picks another later
        enrol_user_in(user_id, course)


def on_guest_started(row: events.Event, event: GuestStarted) -> None:
    _enrol(row.actor_id, event.course)


def on_signed_up(row: events.Event, event: UserSignedUp) -> None:
    _enrol(row.actor_id, event.course_interest)
