"""The learning domain's public API for courses: the catalogue, enrolment, the course map, hints.

Lesson sessions live in :mod:`puchi.learning.lessons`. Functions that change something commit once.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import Flask, current_app
from flask_babel import gettext as _
from markdown_it import MarkdownIt
from markupsafe import Markup
from sqlalchemy import Select, case, func, select, update

from puchi.accounts import services as accounts
from puchi.accounts.models import User
from puchi.core import events
from puchi.core.db import action, db, now
from puchi.core.errors import Forbidden, NotFound
from puchi.core.periods import Range
from puchi.core.upserts import insert_if_missing
from puchi.learning import analytics, card_weights, scheduler, search
from puchi.learning.analytics import Accuracy as Accuracy
from puchi.learning.analytics import LessonActivity as LessonActivity
from puchi.learning.course_transfer import ARCHIVE_FIELD as ARCHIVE_FIELD
from puchi.learning.course_transfer import MAX_UPLOAD_BYTES as MAX_UPLOAD_BYTES
from puchi.learning.course_transfer import ImportCheck as ImportCheck
from puchi.learning.course_transfer import StudioCourse as StudioCourse
from puchi.learning.course_transfer import check_course_zip as check_course_zip
from puchi.learning.course_transfer import courses_for_studio as courses_for_studio
from puchi.learning.course_transfer import export_course_zip as export_course_zip
from puchi.learning.course_transfer import import_course_zip as import_course_zip
from puchi.learning.events import CourseEnrolled
from puchi.learning.grading import Verdict
from puchi.learning.lesson_builder import NEW_PER_LESSON
from puchi.learning.media import MEDIA_FIELD as MEDIA_FIELD
from puchi.learning.media import items_with_media as items_with_media
from puchi.learning.media import media_location as media_location
from puchi.learning.media import media_url as media_url
from puchi.learning.media import open_media as open_media
from puchi.learning.media import remove_item_media as remove_item_media
from puchi.learning.media import set_item_media as set_item_media
from puchi.learning.models import (
    REVIEW_DUE,
    TARGET,
    Attempt,
    Card,
    Course,
    CourseFsrsParameters,
    DictionaryEntry,
    Enrollment,
    LearnerFsrsParameters,
    Skill,
    SkillProgress,
    Unit,
)
from puchi.learning.search import ContentHit as ContentHit
from puchi.learning.studio import DraftHistory as DraftHistory

# The content studio (studio.py: editing drafts, publishing, the preview) is part of this public face.
from puchi.learning.studio import ItemInput as ItemInput
from puchi.learning.studio import PublishPlan as PublishPlan
from puchi.learning.studio import StudioState as StudioState
from puchi.learning.studio import add_skill as add_skill
from puchi.learning.studio import add_unit as add_unit
from puchi.learning.studio import delete_dictionary_entry as delete_dictionary_entry
from puchi.learning.studio import delete_exercise as delete_exercise
from puchi.learning.studio import delete_item as delete_item
from puchi.learning.studio import delete_skill as delete_skill
from puchi.learning.studio import delete_unit as delete_unit
from puchi.learning.studio import discard_draft as discard_draft
from puchi.learning.studio import draft_history as draft_history
from puchi.learning.studio import preview as _preview_lesson
from puchi.learning.studio import preview_answer as preview_answer
from puchi.learning.studio import preview_seed as preview_seed
from puchi.learning.studio import publish_draft as publish_draft
from puchi.learning.studio import publish_plan as publish_plan
from puchi.learning.studio import reorder as _reorder_draft
from puchi.learning.studio import restore_revision as restore_revision
from puchi.learning.studio import save_course as save_course
from puchi.learning.studio import save_dictionary_entry as save_dictionary_entry
from puchi.learning.studio import save_exercise as save_exercise
from puchi.learning.studio import save_item as save_item
from puchi.learning.studio import save_skill as save_skill
from puchi.learning.studio import save_unit as save_unit
from puchi.learning.studio import studio_course as studio_course
from puchi.learning.studio import studio_courses as studio_courses
from puchi.learning.studio import undo_edit as undo_edit

MAX_LEVEL = 5
LOCKED, AVAILABLE, IN_PROGRESS, MASTERED = "locked", "available", "in_progress", "mastered"

# Course authors write tips in Markdown; raw HTML in them is shown as text, never run.
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).disable("image")


def render_tips(markdown_text: str) -> Markup:
    return Markup(_markdown.render(markdown_text))  # noqa: S704 - html is off: the renderer escapes input


preview_lesson = _preview_lesson  # the content studio's preview and drag-and-drop, under clearer names
reorder_draft = _reorder_draft


# --- Catalogue and enrolment ---------------------------------------------------------------------------

@dataclass(frozen=True)
class CatalogEntry:
    course: Course
    skills: int
    items: int
    enrolled: bool
    active: bool


def catalog(user: User | None) -> list[CatalogEntry]:
    """Every published course with its size and the learner's enrolment, in two queries."""
    sizes = dict(
        (course_id, (skills, items)) for course_id, skills, items in db.session.execute(
            select(Skill.course_id, func.count(Skill.id), func.coalesce(func.sum(Skill.item_count), 0))
            .group_by(Skill.course_id)))
    enrolments: dict[int, Enrollment] = {}
    if user is not None:
        enrolments = {e.course_id: e for e in db.session.scalars(
            select(Enrollment).where(Enrollment.user_id == user.id))}
    courses = db.session.scalars(select(Course).where(Course.is_published.is_(True)).order_by(Course.title))
    return [CatalogEntry(course=c, skills=sizes.get(c.id, (0, 0))[0], items=int(sizes.get(c.id, (0, 0))[1]),
                         enrolled=c.id in enrolments, active=bool(enrolments.get(c.id) and enrolments[c.id].is_active))
            for c in courses]


def get_course(slug: str) -> Course:
    """:raises NotFound: no published course with this slug."""
    course = db.session.scalar(select(Course).where(Course.slug == slug, Course.is_published.is_(True)))
    if course is None:
        raise NotFound
    return course


def get_course_by_id(course_id: int) -> Course:
    course = db.session.get(Course, course_id)
    if course is None:
        raise NotFound
    return course


@action
def enroll(user: User, slug: str) -> Enrollment:
    """Start (or go back to) a course and make it the active one. Commits. :raises NotFound:

    Two tabs enrolling at once both land on the one enrolment (insert-if-missing, then read).
    """
    return enrol_user_in(user.id, get_course(slug))


def enrol_user_in(user_id: int, course: Course) -> Enrollment:
    """Inside an action: enrol the learner in ``course`` (if not yet) and make it their active course."""
    db.session.execute(update(Enrollment).where(Enrollment.user_id == user_id, Enrollment.course_id != course.id)
                       .values(is_active=False))
    if insert_if_missing(Enrollment, {"user_id": user_id, "course_id": course.id}, is_active=True):
        events.record(CourseEnrolled(slug=course.slug), actor_id=user_id, subject=("course", course.id))
    enrolment = db.session.scalar(select(Enrollment).where(Enrollment.user_id == user_id,
                                                           Enrollment.course_id == course.id)
                                  .execution_options(populate_existing=True))
    assert enrolment is not None
    enrolment.is_active = True
    return enrolment


def active_enrollment(user: User) -> Enrollment | None:
    return db.session.scalar(select(Enrollment).where(Enrollment.user_id == user.id, Enrollment.is_active.is_(True)))


def enrollment_for(user: User, course: Course) -> Enrollment | None:
    return db.session.scalar(select(Enrollment).where(Enrollment.user_id == user.id,
                                                      Enrollment.course_id == course.id))


# --- The course map ------------------------------------------------------------------------------------

@dataclass
class SkillState:
    skill: Skill
    state: str
    level: int
    introduced: int  # items the learner has met
    due: int  # items due for review now

    @property
    def due_for_review(self) -> bool:
        return self.due > 0 and self.state != LOCKED

    @property
    def progress_percent(self) -> int:
        if self.state == MASTERED:
            return 100
        return round(100 * self.level / MAX_LEVEL) if self.level else round(
            100 * self.introduced / max(1, self.skill.item_count) / MAX_LEVEL)


@dataclass
class CourseMap:
    course: Course
    enrolled: bool
    units: list[tuple[Unit, list[SkillState]]] = field(default_factory=list)

    @property
    def skills(self) -> list[SkillState]:
        return [state for _, states in self.units for state in states]

    @property
    def next_skill(self) -> SkillState | None:
        """Where "continue" leads: the first open skill that still has words the learner has not met, so each
        lesson brings new words; once every word of every open skill is met, the first one not yet mastered.
        A skill passed (level 1 or more) by a "jump here" test-out may have words never met: it is not where
        the learner goes on, the unit they jumped to is."""
        open_skills = [s for s in self.skills if s.state in {AVAILABLE, IN_PROGRESS}]
        unmet = (s for s in open_skills if not s.level and s.introduced < s.skill.item_count)
        return next(unmet, None) or next(iter(open_skills), None)

    @property
    def due_total(self) -> int:
        return sum(s.due for s in self.skills)

    @property
    def jump_units(self) -> set[int]:
        """Units a "jump here" test-out is offered at: each after the first whose first skill is still locked
        (see ``test_outs``)."""
        if not self.enrolled:
            return set()
        return {unit.id for n, (unit, states) in enumerate(self.units) if n and states and states[0].state == LOCKED}


def lessons_per_level(item_count: int) -> int:
    """Lessons in one round that covers every item of a skill once."""
    return max(1, math.ceil(item_count / NEW_PER_LESSON))


def level_for(lessons_completed: int, item_count: int) -> int:
    """Crowns: one level per round of lessons that covers every item of the skill once."""
    return min(MAX_LEVEL, lessons_completed // lessons_per_level(item_count))


def course_map(user: User, course: Course) -> CourseMap:
    """Units and skills with each skill's state for this learner, in a fixed number of queries."""
    enrolment = enrollment_for(user, course)
    units = list(db.session.scalars(select(Unit).where(Unit.course_id == course.id).order_by(Unit.position)))
    skills = list(db.session.scalars(select(Skill).where(Skill.course_id == course.id)
                                     .order_by(Skill.path_position)))
    progress = {p.skill_id: p for p in db.session.scalars(
        select(SkillProgress).where(SkillProgress.user_id == user.id, SkillProgress.course_id == course.id))}
    today_ends = scheduler.day_end(now(), user.timezone)  # due is counted in the learner's days
    stats = {skill_id: (int(met), int(due or 0)) for skill_id, met, due in db.session.execute(
        select(Card.skill_id, func.count(Card.id), func.sum(case((Card.due_at < today_ends, 1), else_=0)))
        .where(Card.user_id == user.id, Card.course_id == course.id)
        .group_by(Card.skill_id))}

    states: dict[int, list[SkillState]] = {unit.id: [] for unit in units}
    previous_open = True
    for skill in skills:
        met, due = stats.get(skill.id, (0, 0))
        level = progress[skill.id].level if skill.id in progress else 0
        if enrolment is None:
            state = LOCKED
        elif level >= MAX_LEVEL:
            state = MASTERED
        elif skill.id in progress or met:
            state = IN_PROGRESS
        elif previous_open:
            state = AVAILABLE
        else:
            state = LOCKED
        # The next skill opens once every item of this one has been met.
        previous_open = state != LOCKED and (met >= skill.item_count or level >= 1)
        states.setdefault(skill.unit_id, []).append(SkillState(skill=skill, state=state, level=level,
                                                               introduced=met, due=due))
    result = CourseMap(course=course, enrolled=enrolment is not None)
    result.units = [(unit, states.get(unit.id, [])) for unit in units]
    return result


def due_count(user: User, course: Course) -> int:
    """How many of the learner's words in the course are due by the end of their day (what the map adds up)."""
    return db.session.scalar(select(func.count(Card.id)).where(
        Card.user_id == user.id, Card.course_id == course.id,
        Card.due_at < scheduler.day_end(now(), user.timezone))) or 0


def get_skill_for(user: User, skill_id: int) -> tuple[Skill, SkillState]:
    """The skill and the learner's state on it. :raises NotFound: :raises Forbidden: not enrolled or locked."""
    skill = db.session.get(Skill, skill_id)
    if skill is None:
        raise NotFound
    course = db.session.get(Course, skill.course_id)
    if course is None or not course.is_published:
        raise NotFound
    state = next(s for s in course_map(user, course).skills if s.skill.id == skill.id)
    if state.state == LOCKED:
        raise Forbidden(_("This skill opens once you have met every word of the one before it."), code="skill_locked")
    return skill, state


# --- Word hints ------------------------------------------------------------------------------------------

def hints(course_id: int, words: list[str], side: str = TARGET) -> dict[str, list[str]]:
    """Meanings from the course's mini-dictionary for the words of a sentence (one query)."""
    keys = {w.casefold() for w in words if w}
    if not keys:
        return {}
    rows = db.session.scalars(select(DictionaryEntry).where(DictionaryEntry.course_id == course_id,
                                                            DictionaryEntry.language == side,
                                                            DictionaryEntry.word.in_(keys)))
    return {row.word: list(row.meanings) for row in rows}


# --- What other domains read ----------------------------------------------------------------------------

def enrolled_courses(user_id: int) -> Select[Course]:
    """The learner's courses, in the order they started them (a Select to run or paginate)."""
    return (select(Course).join(Enrollment, Enrollment.course_id == Course.id)
            .where(Enrollment.user_id == user_id).order_by(Enrollment.created_at, Enrollment.id))


def enrolled_learners() -> Select[int]:
    """Who is learning: the ``user_id`` of every enrolment (a Select other domains' queries compose, e.g.
    correlated to their own rows as ``q.where(q.selected_columns.user_id == User.id).exists()``)."""
    return select(Enrollment.user_id)


@dataclass(frozen=True)
class LearnerCounts:
    words: int  # items met (each has a card)
    courses: int  # courses started


def counts_for(user_id: int) -> LearnerCounts:
    """How many words the learner has met and courses started: one query."""
    words = select(func.count(Card.id)).where(Card.user_id == user_id).scalar_subquery()
    courses = select(func.count(Enrollment.id)).where(Enrollment.user_id == user_id).scalar_subquery()
    row = db.session.execute(select(words, courses)).one()
    return LearnerCounts(int(row[0] or 0), int(row[1] or 0))


@dataclass(frozen=True)
class WordMemory:
    course_id: int
    recall: float  # the chance the learner remembers the word at the time asked (0..1)
    knowledge: int  # :func:`scheduler.knowledge_level`: 0 new, 1 recognised, 2 recalled, 3 solid


def words_learned(user: User, at: datetime) -> list[WordMemory]:
    """Every word the learner has reviewed at least once, with how well they remember it at ``at`` (by the
    forgetting curve that schedules it) and how well it is known (the measure lessons use to pick exercises).
    One query."""
    rows = db.session.execute(card_weights.cards_with_weights().where(Card.user_id == user.id, Card.reviews > 0))
    return [WordMemory(card.course_id, scheduler.retrievability(card, at, user.desired_retention,
                                                                card_weights.chosen(mine, course_prior)),
                       scheduler.knowledge_level(card))
            for card, mine, course_prior in rows]


_RIGHT = (Verdict.CORRECT.value, Verdict.ALMOST.value)  # an "almost" counts as right


def answer_accuracy(user_id: int) -> Select[str, int, int]:
    """Answers per exercise type: ``exercise_type``, ``answers`` (skips aside) and ``right`` (correct or almost),
    by type (a Select to run)."""
    return (select(Attempt.exercise_type, func.count(Attempt.id).label("answers"),
                   func.coalesce(func.sum(case((Attempt.verdict.in_(_RIGHT), 1), else_=0)), 0).label("right"))
            .where(Attempt.user_id == user_id, Attempt.verdict != Verdict.SKIPPED.value)
            .group_by(Attempt.exercise_type).order_by(Attempt.exercise_type))


SCHEDULE_OWN, SCHEDULE_COURSE, SCHEDULE_STANDARD = "own", "course", "standard"


@dataclass(frozen=True)
class MeasuredRetention:
    """How much of what came due the learner really remembered, against the retention they aim for."""

    reviews: int  # due reviews in the period (a new word's first sight and practice aside)
    recalled: int  # ... answered right without a hint
    target: float  # the learner's desired retention (0..1)
    # Whose memory model schedules their reviews: fitted to their own answers (SCHEDULE_OWN), to those of everyone
    # in a course of theirs (SCHEDULE_COURSE), or FSRS's standard one.
    schedule: str = SCHEDULE_STANDARD

    @property
    def share(self) -> float | None:
        return self.recalled / self.reviews if self.reviews else None


RETENTION_DAYS = 30


def measured_retention(user: User, at: datetime, days: int = RETENTION_DAYS) -> MeasuredRetention:
    """The share of the learner's due reviews of the last ``days`` days they recalled (right or almost, with no
    hint), with their target and whose memory model schedules them. Two or three queries."""
    recalled = case((Attempt.rating > 1, case((Attempt.hinted.is_(False), 1), else_=0)), else_=0)
    row = db.session.execute(
        select(func.count(Attempt.id), func.coalesce(func.sum(recalled), 0))
        .where(Attempt.user_id == user.id, Attempt.review_kind == REVIEW_DUE,
               Attempt.created_at >= at - timedelta(days=days))).one()
    return MeasuredRetention(reviews=int(row[0] or 0), recalled=int(row[1] or 0), target=user.desired_retention,
                             schedule=_schedule(user))


def _schedule(user: User) -> str:
    """As ``card_weights.chosen`` picks a card's weights: the learner's own fitted weights (a row with none is a
    fit that did not predict them better than their course's), else their course's, else FSRS's."""
    if db.session.scalar(select(LearnerFsrsParameters.weights).where(LearnerFsrsParameters.user_id == user.id)):
        return SCHEDULE_OWN
    priors = db.session.scalars(select(CourseFsrsParameters.weights)
                                .join(Enrollment, Enrollment.course_id == CourseFsrsParameters.course_id)
                                .where(Enrollment.user_id == user.id))
    return SCHEDULE_COURSE if any(priors) else SCHEDULE_STANDARD


# --- Contributions to other pages ------------------------------------------------------------------------

def home_section(user: User) -> tuple[str, dict[str, object]]:
    enrolment = active_enrollment(user)
    return "learning/_home_section.html", {"course_map": course_map(user, enrolment.course) if enrolment else None}


# --- Seams for another domain's perks ---------------------------------------------------------------------
# Yes/no questions that billing answers (its wiring plugs its checks in), kept on the app like core's hooks so
# two apps in one process never share them. Learning asks; it never imports billing nor reads its tables.

PerkCheck = Callable[[User], bool]
_OFFLINE_CHECKS = "puchi.learning.unlimited_offline_downloads_checks"
_PRACTICE_CHECKS = "puchi.learning.extra_practice_modes_checks"


def _add_check(app: Flask, key: str, check: PerkCheck) -> None:
    checks: list[PerkCheck] = app.extensions.setdefault(key, [])
    if check not in checks:
        checks.append(check)


def _asks_yes(key: str, user: User) -> bool:
    checks: list[PerkCheck] = current_app.extensions.get(key, [])
    return any(check(user) for check in checks)


def add_unlimited_offline_downloads_check(app: Flask, check: PerkCheck) -> None:
    """The seam for billing: ``check(user) -> bool`` lifts the free plan's offline limit (see
    ``lessons.offline_allowance``)."""
    _add_check(app, _OFFLINE_CHECKS, check)


def unlimited_offline_downloads(user: User) -> bool:
    return _asks_yes(_OFFLINE_CHECKS, user)


def add_extra_practice_modes_check(app: Flask, check: PerkCheck) -> None:
    """The seam for billing: ``check(user) -> bool`` opens the practice hub's extra modes (premium)."""
    _add_check(app, _PRACTICE_CHECKS, check)


def extra_practice_modes(user: User) -> bool:
    """Whether the practice hub's extra modes are open to ``user``. The review of what is due (``/practice``)
    is free to everyone; the hub's other modes ask here."""
    return _asks_yes(_PRACTICE_CHECKS, user)


# --- Figures for the staff's analytics (each call checks the viewer may see them) -------------------------


def lesson_activity(viewer: User, days: Range) -> analytics.LessonActivity:
    """Lessons started and completed per UTC day, and how many learners did each. :raises Forbidden:"""
    accounts.require_capability(viewer, accounts.Capability.ANALYTICS)
    return analytics.lesson_activity(days)


def accuracy(viewer: User, days: Range) -> tuple[list[analytics.Accuracy], list[analytics.Accuracy]]:
    """How often each skill and each item was answered right in the range: (per skill, per item), unsorted.
    :raises Forbidden:"""
    accounts.require_capability(viewer, accounts.Capability.ANALYTICS)
    items = analytics.accuracy_by_item(days)
    return analytics.accuracy_by_skill(items), items



def search_content(viewer: User, query: str, limit: int = search.MAX_RESULTS) -> list[search.ContentHit]:
    """Courses, skills, words and phrases matching ``query`` (accent-insensitive), drafts included, for the
    staff's search. :raises Forbidden: the viewer may not edit content."""
    accounts.require_capability(viewer, accounts.Capability.CONTENT)
    return search.search_content(query, limit)
