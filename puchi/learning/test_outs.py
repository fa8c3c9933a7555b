""""Jump here": a unit's test-out. A learner who already knows the skills before a unit takes one test on them
instead of every lesson; passing marks each of those skills passed (level 1 at least), which opens the unit.

The rules (issue 12):

- Offered at the banner of every unit after the first whose first skill is still locked. It needs no hearts
  and costs none: the test has its own limit, :data:`MISTAKES_ALLOWED` wrong answers; one more ends it at once.
- **Failing changes nothing but the attempts**: no card, no skill, no XP, no streak; the learner may try again.
- **Passing**, in the transaction of the last answer: every skill before the unit gets the lessons of one level
  (more stay as they were), the items the test asked are rated in FSRS (answered right: Easy, the one rating
  only a test-out gives (issue 13); answered wrong: Again, so they come back soon), under the scheduler's
  one-review-a-day rule; a ``UnitTestedOut`` event is recorded and the test counts as a lesson done
  (``LessonCompleted`` of kind ``test_out``: XP, streak, daily goal).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from fsrs import Rating
from sqlalchemy import select

from puchi.accounts.models import User
from puchi.core import events
from puchi.core.db import action, db, now
from puchi.core.errors import Conflict, NotFound
from puchi.core.upserts import insert_if_missing
from puchi.learning import card_weights, exercises, lesson_builder, scheduler, services
from puchi.learning.events import LessonCompleted, UnitTestedOut
from puchi.learning.grading import Verdict
from puchi.learning.models import (
    REVIEW_PRACTICE,
    Attempt,
    Course,
    DictionaryEntry,
    Enrollment,
    Item,
    LessonSession,
    SessionKind,
    Skill,
    SkillProgress,
    Unit,
)
from puchi.learning.steps import TARGET

MISTAKES_ALLOWED = 2  # a third wrong answer fails the test
TEST_OUT = SessionKind.TEST_OUT
_ACTIVE, _COMPLETED = "active", "completed"  # lessons.ACTIVE and lessons.COMPLETED (lessons imports this module)
RIGHT_RATING = Rating.Easy  # issue 13: Easy is given only by a passed test-out


@dataclass(frozen=True)
class TestOutResult:
    """How a finished test-out went, for its end screen."""

    passed: bool
    mistakes: int
    allowed: int
    unit: Unit
    skills_passed: int  # skills before the unit (all passed when ``passed``)


def _unit_and_first_skill(unit_id: int) -> tuple[Unit, Course, Skill]:
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        raise NotFound
    course = db.session.get(Course, unit.course_id)
    first = db.session.scalar(select(Skill).where(Skill.unit_id == unit.id).order_by(Skill.path_position).limit(1))
    if course is None or not course.is_published or first is None:
        raise NotFound
    return unit, course, first


def course_slug(unit_id: int) -> str:
    """The slug of the unit's course (to go back to its map). :raises NotFound:"""
    return _unit_and_first_skill(unit_id)[1].slug


def mistakes_left(session: LessonSession) -> int:
    return max(0, MISTAKES_ALLOWED - session.wrong_count)


def _skills_before(course_id: int, first: Skill) -> list[Skill]:
    return list(db.session.scalars(select(Skill).where(Skill.course_id == course_id,
                                                       Skill.path_position < first.path_position)
                                   .order_by(Skill.path_position)))


@action
def start_test_out(user: User, unit_id: int) -> LessonSession:
    """Resume this unit's unfinished test-out, or build one. Commits.

    :raises NotFound: no such unit, or the learner is not enrolled in its course.
    :raises Conflict: the unit is open already (``unit_open``): there is nothing to jump over.
    """
    unit, course, first = _unit_and_first_skill(unit_id)
    # Locked: two tabs starting this test at once share one (PostgreSQL; SQLite's write lock already does).
    enrolment = db.session.scalar(select(Enrollment.id).where(Enrollment.user_id == user.id,
                                                              Enrollment.course_id == course.id).with_for_update())
    if enrolment is None:
        raise NotFound
    existing = db.session.scalar(select(LessonSession).where(
        LessonSession.user_id == user.id, LessonSession.skill_id == first.id, LessonSession.status == _ACTIVE,
        LessonSession.kind == TEST_OUT).order_by(LessonSession.id.desc()).limit(1))
    if existing is not None:
        return existing
    if unit.id not in services.course_map(user, course).jump_units:
        raise Conflict(_l("This unit is open already."), code="unit_open")
    skills = _skills_before(course.id, first)
    items = list(db.session.scalars(select(Item).where(Item.skill_id.in_([s.id for s in skills]))
                                    .order_by(Item.skill_id, Item.position)))
    by_skill = [[i for i in items if i.skill_id == skill.id] for skill in skills]
    vocabulary = [] if exercises.uses_spaces(course.target_language) else list(db.session.scalars(
        select(DictionaryEntry.word).where(DictionaryEntry.course_id == course.id, DictionaryEntry.language == TARGET)))
    session = LessonSession(user_id=user.id, course_id=course.id, skill_id=first.id, kind=TEST_OUT, status=_ACTIVE,
                            steps=[], position=0, started_at=now())
    db.session.add(session)
    db.session.flush()
    session.steps = lesson_builder.build_test_out(by_skill, items, course, vocabulary, seed=session.id)
    return session


def settle(user: User, session: LessonSession, course: Course, current: datetime) -> None:
    """After each answer of a test-out (in its action): end it failed at the mistake too many, or passed after
    its last step. Does not commit."""
    failed = session.wrong_count > MISTAKES_ALLOWED
    if not failed and session.position < len(session.steps):
        return
    session.status, session.completed_at = _COMPLETED, current
    if not failed:
        _pass(user, session, course, current)


def _pass(user: User, session: LessonSession, course: Course, current: datetime) -> None:
    first = db.session.get(Skill, session.skill_id) if session.skill_id else None
    if first is None:
        return  # the unit was removed by a publish since the test began: nothing left to open
    skills = _skills_before(course.id, first)
    for skill in skills:
        insert_if_missing(SkillProgress, {"user_id": user.id, "skill_id": skill.id}, course_id=course.id,
                          lessons_completed=0, level=0, started_at=current, updated_at=current)
    progress = {p.skill_id: p for p in db.session.scalars(
        select(SkillProgress).where(SkillProgress.user_id == user.id,
                                    SkillProgress.skill_id.in_([s.id for s in skills]))
        .with_for_update().execution_options(populate_existing=True))}
    passed: list[int] = []
    for skill in skills:
        row = progress[skill.id]
        one_level = services.lessons_per_level(skill.item_count)
        if (row.lessons_completed or 0) < one_level:
            row.lessons_completed = one_level
            passed.append(skill.id)
        row.level = max(row.level or 0, services.level_for(row.lessons_completed, skill.item_count))
    _rate_items(user, session, current)
    enrolment = db.session.scalar(select(Enrollment).where(Enrollment.user_id == user.id,
                                                           Enrollment.course_id == course.id))
    if enrolment is not None:
        enrolment.last_practised_at = current
    events.record(UnitTestedOut(course_id=course.id, skills_passed=tuple(passed), mistakes=session.wrong_count,
                                steps=len(session.steps)), actor_id=user.id, subject=("unit", first.unit_id))
    answered = session.correct_count + session.almost_count + session.wrong_count
    item_ids = sorted({i for step in session.steps for i in step.items})
    events.record(LessonCompleted(
        kind=TEST_OUT, course_id=course.id, skill_id=session.skill_id,
        accuracy=round(100 * (session.correct_count + session.almost_count) / answered) if answered else 100,
        correct=session.correct_count, almost=session.almost_count, wrong=session.wrong_count,
        duration_seconds=int((current - session.started_at).total_seconds()), items=tuple(item_ids),
        new_items=0, perfect=session.wrong_count == 0, due_reviewed=0, started_at=session.started_at,
        completed_at=current,
    ), actor_id=user.id, subject=("lesson_session", session.id))


def _rate_items(user: User, session: LessonSession, current: datetime) -> None:
    """Rate each item the test asked, once: Easy when its answer was right, Again when wrong (cards made for
    items never met). An item already reviewed today keeps its card (one review a day)."""
    attempts = list(db.session.scalars(select(Attempt).where(Attempt.session_id == session.id,
                                                             Attempt.item_id.is_not(None))
                                       .order_by(Attempt.step_index)))
    first_attempt: dict[int, Attempt] = {}
    for attempt in attempts:
        if attempt.item_id is not None and attempt.verdict != Verdict.SKIPPED.value:
            first_attempt.setdefault(attempt.item_id, attempt)
    if not first_attempt:
        return
    items = list(db.session.scalars(select(Item).where(Item.id.in_(first_attempt))))
    for card, weights in card_weights.cards_to_review(user.id, items, current):
        attempt = first_attempt[card.item_id]
        if attempt.verdict == Verdict.WRONG.value:  # Again, by the rule every answer follows
            kind, rating = scheduler.review_answer(
                card, Verdict.WRONG, attempt.exercise_type, attempt.duration_ms, len(attempt.answer),
                hinted=attempt.hinted, at=current, timezone=user.timezone,
                desired_retention=user.desired_retention, weights=weights)
        else:
            kind, rating = scheduler.review_test_out(card, at=current, timezone=user.timezone,
                                                     desired_retention=user.desired_retention,
                                                     weights=weights), RIGHT_RATING
        if kind != REVIEW_PRACTICE:
            attempt.review_kind = kind
            attempt.rating = int(rating)


def result(session: LessonSession) -> TestOutResult | None:
    """How a finished test-out went (None for any other session, or one not finished). Reads only."""
    if session.kind != TEST_OUT or session.status != _COMPLETED or session.skill_id is None:
        return None
    first = db.session.get(Skill, session.skill_id)
    unit = db.session.get(Unit, first.unit_id) if first else None
    if first is None or unit is None:
        return None
    return TestOutResult(passed=session.wrong_count <= MISTAKES_ALLOWED, mistakes=session.wrong_count,
                         allowed=MISTAKES_ALLOWED, unit=unit,
                         skills_passed=len(_skills_before(session.course_id, first)))
