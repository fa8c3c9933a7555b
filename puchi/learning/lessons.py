"""Lesson and practice sessions: start or resume, answer one step at a time, finish exactly once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import aliased

from puchi.accounts.models import User
from puchi.core import events, hooks
from puchi.core.db import action, db, now
from puchi.core.errors import Conflict, Forbidden, Invalid, NotFound
from puchi.core.upserts import insert_if_missing, insert_or_add
from puchi.learning import (
    card_weights,
    difficulty_jobs,
    exercises,
    grading,
    lesson_builder,
    lexicon,
    scheduler,
    services,
    test_outs,
)
from puchi.learning.events import ItemReviewed, LessonCompleted
from puchi.learning.grading import Mistake, Verdict
from puchi.learning.models import (
    REVIEW_PRACTICE,
    Attempt,
    AuthoredExercise,
    Card,
    Course,
    DictionaryEntry,
    Enrollment,
    Item,
    ItemDayStats,
    LessonLearnerDay,
    LessonSession,
    SessionKind,
    Skill,
    SkillProgress,
)
from puchi.learning.steps import SOURCE, TARGET, Step

LESSON, PRACTICE = SessionKind.LESSON, SessionKind.PRACTICE
ACTIVE, COMPLETED = "active", "completed"
MAX_ANSWER_LENGTH = 500
MAX_DURATION_MS = 10 * 60 * 1000
MAX_RETRIES = 6  # wrong answers come back once each, so a hard lesson still ends


PAIR_SEPARATOR = " | "  # between a match step's chosen partners in the stored answer


@dataclass(frozen=True)
class AnswerResult:
    session: LessonSession
    step_index: int
    step: Step
    verdict: Verdict
    expected: str
    segments: tuple[grading.Segment, ...]
    answer: str
    mistake: Mistake = Mistake.NONE  # for a wrong answer one slip from right: what to check
    focus: str = ""  # ... in which word
    slip: str = ""  # for an almost right answer: grading.slip_kind (accent, spacing or typo)

    @property
    def finished(self) -> bool:
        return self.session.status == COMPLETED

    @property
    def pairs(self) -> list[str]:
        """A match step's answer as the learner gave it: the partner chosen for each left word, in order."""
        return self.answer.split(PAIR_SEPARATOR) if self.step.type is exercises.MATCH else []


@dataclass(frozen=True)
class StepView:
    """Everything the lesson page shows for one step, or for the feedback on it: decided here, so the page only
    renders it (and the offline download renders the same)."""

    session: LessonSession
    course: Course
    index: int  # of the step shown
    step: Step | None  # None once every step is answered
    item: Item | None  # the item the step practises, if one
    feedback: AnswerResult | None  # the verdict on this step, once answered
    total_steps: int
    done_steps: int
    prompt_language: str  # BCP 47 tag of the prompt's language
    answer_language: str  # ... of the answer's
    answer_language_name: str  # the course's name for it
    answer_in_target: bool  # the learner answers in the language they learn
    word_hints: dict[str, list[str]]  # word of the prompt (folded) → its meanings in the mini-dictionary
    show_special_characters: bool  # buttons for the letters a keyboard may lack
    romanisation: str  # the prompt in Latin letters, when the prompt is the item's text ("" if none)
    another_answer: str  # after a right answer: the accepted answer nearest to it, when it differs ("" if none)
    right_choice: str = ""  # after answering a multiple-choice step: the choice that was right
    match_answers: tuple[str, ...] = ()  # a match step's right partner of each left word (tap-to-match checks pairs)
    teach: Item | None = None  # a new item met for the first time: introduced (word, meaning, audio) before it is asked
    mistakes_left: int | None = None  # a test-out: wrong answers it still allows (None for other sessions)

    @property
    def completed(self) -> bool:
        return self.session.status == COMPLETED


@dataclass(frozen=True)
class Summary:
    session: LessonSession
    accuracy: int  # percent of answers right or almost right
    duration: timedelta
    items: list[Item]


# --- Starting ------------------------------------------------------------------------------------------

@action
def start_lesson(user: User, skill_id: int) -> LessonSession:
    """Resume this skill's unfinished lesson, or build a new one. Commits.

    :raises NotFound: no such skill. :raises Forbidden: not enrolled, or the skill is still locked.
    """
    skill, _state = services.get_skill_for(user, skill_id)
    _lock_enrolment(user, skill.course_id)  # two tabs starting this skill at once share one lesson
    existing = db.session.scalar(select(LessonSession).where(
        LessonSession.user_id == user.id, LessonSession.skill_id == skill.id, LessonSession.status == ACTIVE,
        LessonSession.kind == LESSON).order_by(LessonSession.id.desc()).limit(1))
    if existing is not None:
        return existing
    hooks.check("lesson.start", user=user, kind=LESSON)  # other domains may refuse (no hearts left)
    course = db.session.get(Course, skill.course_id)
    assert course is not None
    material = _material(user, course, skill)
    session = LessonSession(user_id=user.id, course_id=course.id, skill_id=skill.id, kind=LESSON, status=ACTIVE,
                            steps=[], position=0, started_at=now())
    db.session.add(session)
    db.session.flush()
    _count_started(session)
    session.steps = lesson_builder.build_lesson(material, seed=session.id)
    return session


DUE, MISTAKES, HARDEST = "due", "mistakes", "hardest"  # practice modes: the first free, the others premium's
PRACTICE_MODES = (DUE, MISTAKES, HARDEST)
MISTAKE_DAYS = 30  # "your mistakes": the words answered wrong in this many days


@action
def start_practice(user: User, course_slug: str, mode: str = DUE) -> LessonSession:
    """A practice session in the course: over what is due (``DUE``), or, with the extra practice modes
    (:func:`services.extra_practice_modes`), over the words answered wrong lately (``MISTAKES``) or those the
    learner forgets most (``HARDEST``). A practice of that mode in progress is resumed first. Commits.

    :raises NotFound: no such course or mode. :raises Forbidden: an extra mode without them
        (``extra_modes_locked``). :raises Conflict: nothing to practise in that mode yet.
    """
    if mode not in PRACTICE_MODES:
        raise NotFound
    if mode != DUE and not services.extra_practice_modes(user):
        raise Forbidden(_l("This practice is part of Super."), code="extra_modes_locked")
    course = services.get_course(course_slug)
    if services.enrollment_for(user, course) is None:
        raise NotFound
    _lock_enrolment(user, course.id)
    same_mode = (LessonSession.practice_mode == mode if mode != DUE else
                 or_(LessonSession.practice_mode == DUE, LessonSession.practice_mode.is_(None)))
    existing = db.session.scalar(select(LessonSession).where(
        LessonSession.user_id == user.id, LessonSession.course_id == course.id, LessonSession.status == ACTIVE,
        LessonSession.kind == PRACTICE, same_mode).order_by(LessonSession.id.desc()).limit(1))
    if existing is not None:
        return existing
    material = _material(user, course, None)
    if mode != DUE:
        chosen = _mistaken_items(user, course) if mode == MISTAKES else _hardest_items(material)
        material.review_items = [item for item in material.review_items if item.id in chosen]
    if not material.review_items:
        raise Conflict(_l("Finish a lesson first: then there is something to practise.") if mode == DUE else
                       _l("Nothing to practise here yet: keep learning, and come back."), code="nothing_to_practise")
    session = LessonSession(user_id=user.id, course_id=course.id, skill_id=None, kind=PRACTICE, practice_mode=mode,
                            status=ACTIVE, steps=[], position=0, started_at=now())
    db.session.add(session)
    db.session.flush()
    _count_started(session)
    session.steps = lesson_builder.build_practice(material, seed=session.id)
    return session


def _mistaken_items(user: User, course: Course) -> set[int]:
    """The course's items the learner answered wrong in the last ``MISTAKE_DAYS`` days."""
    return {item_id for item_id in db.session.scalars(
        select(Attempt.item_id).distinct().join(LessonSession, LessonSession.id == Attempt.session_id)
        .where(Attempt.user_id == user.id, LessonSession.course_id == course.id,
               Attempt.verdict == Verdict.WRONG.value, Attempt.item_id.is_not(None),
               Attempt.created_at >= now() - timedelta(days=MISTAKE_DAYS))) if item_id is not None}


def _hardest_items(material: lesson_builder.LessonMaterial) -> set[int]:
    """The items the learner forgets most: forgotten most often, then the least stable, among those met."""
    met = sorted((card for card in material.cards.values() if card.reviews),
                 key=lambda card: (-(card.lapses or 0), card.stability or 0.0))
    return {card.item_id for card in met[:2 * lesson_builder.PRACTICE_ITEMS]}


def _learner_day(session: LessonSession) -> dict[str, Any]:
    """The key of the session's row in the usage rollup: its learner and the UTC day it started."""
    return {"day": session.started_at.astimezone(UTC).date(), "user_id": session.user_id}


def _count_started(session: LessonSession) -> None:
    """Count a new session in the usage rollup (``LessonLearnerDay``), in the transaction that made it."""
    _count(session, started=1)


def _count(session: LessonSession, *, started: int = 0, completed: int = 0) -> None:
    """Add to the session's row of the usage rollup, then set the previous days of that row and of the
    learner's later ones (normally none: sessions start now) from the rows before each. Two statements."""
    key = _learner_day(session)
    insert_or_add(LessonLearnerDay, key, {"started": started, "completed": completed})
    D, earlier = LessonLearnerDay, aliased(LessonLearnerDay)
    before = (earlier.user_id == D.user_id, earlier.day < D.day)
    db.session.execute(update(D).where(D.user_id == key["user_id"], D.day >= key["day"]).values(
        previous_day=select(func.max(earlier.day)).where(*before).scalar_subquery(),
        previous_completed_day=select(func.max(earlier.day)).where(*before, earlier.completed > 0)
        .scalar_subquery()))


def _lock_enrolment(user: User, course_id: int) -> None:
    """Serialise this learner's lesson starts in the course (PostgreSQL; SQLite's write lock already does)."""
    db.session.execute(select(Enrollment.id).where(Enrollment.user_id == user.id, Enrollment.course_id == course_id)
                       .with_for_update())


def _material(user: User, course: Course, skill: Skill | None) -> lesson_builder.LessonMaterial:
    """Load what the builder needs in a fixed number of queries, whatever the course size."""
    rows = db.session.execute(
        card_weights.cards_with_weights().where(Card.user_id == user.id, Card.course_id == course.id)).all()
    cards = {card.item_id: card for card, _, _ in rows}
    weights = card_weights.chosen(rows[0][1], rows[0][2]) if rows else None  # one learner, one course
    skill_items = list(db.session.scalars(select(Item).where(Item.skill_id == skill.id).order_by(Item.position))
                       ) if skill else []
    review_items = list(db.session.scalars(select(Item).where(Item.id.in_(cards.keys())))) if cards else []
    pool_skills = [skill.id] if skill else []
    pool = list(db.session.scalars(
        select(Item).where(Item.course_id == course.id,
                           Item.skill_id.in_(pool_skills) | Item.id.in_(list(cards.keys())[:200]))
        .limit(300))) if (skill or cards) else []
    if len(pool) < exercises.CHOICES * 2:  # a tiny skill: borrow wrong choices from the whole course
        pool += list(db.session.scalars(select(Item).where(Item.course_id == course.id).limit(40)))
    authored = list(db.session.scalars(select(AuthoredExercise).where(AuthoredExercise.skill_id == skill.id))
                    ) if skill else []
    vocabulary = _vocabulary(course)
    current = now()
    # When each met item was last answered: practice answers leave the card alone, so the card cannot say.
    last_answered = {item_id: at for item_id, at in db.session.execute(
        select(Attempt.item_id, func.max(Attempt.created_at))
        .where(Attempt.user_id == user.id, Attempt.item_id.in_(list(cards.keys())))
        .group_by(Attempt.item_id)).all() if item_id is not None} if cards else {}
    predictor = difficulty_jobs.predictor_for(user.id, cards.values(), [*(i.id for i in skill_items), *cards],
                                              current, user.desired_retention)
    return lesson_builder.LessonMaterial(course=course, skill_items=skill_items, cards=cards,
                                         review_items=review_items, pool=pool, vocabulary=vocabulary,
                                         authored=authored, now=current, desired_retention=user.desired_retention,
                                         weights=weights,
                                         timezone=user.timezone, last_answered=last_answered, predictor=predictor,
                                         target=current_app.config["TARGET_SUCCESS"])


# --- Playing -------------------------------------------------------------------------------------------

def get_session_for(user: User, session_id: int) -> LessonSession:
    """:raises NotFound: no such session for this learner (another learner's looks the same)."""
    session = db.session.get(LessonSession, session_id)
    if session is None or session.user_id != user.id:
        raise NotFound
    return session


def _locked_session_for(user: User, session_id: int) -> LessonSession:
    """The session, locked for this transaction and read fresh: a double-submitted answer waits here for the
    first, then finds its attempt (PostgreSQL row lock; on SQLite the action holds the write lock already)."""
    session = db.session.scalar(select(LessonSession).where(LessonSession.id == session_id).with_for_update()
                                .execution_options(populate_existing=True))
    if session is None or session.user_id != user.id:
        raise NotFound
    return session


def step_view(session: LessonSession, *, index: int | None = None, feedback: AnswerResult | None = None) -> StepView:
    """What the lesson page shows: the feedback on the step just answered, else step ``index`` (by default the
    current one; the offline download asks for each step in turn). Three queries at most."""
    if feedback is not None:
        index = feedback.step_index
    elif index is None:
        index = session.position
    step = session.steps[index] if index < len(session.steps) else None
    course = services.get_course_by_id(session.course_id)
    items = _items_of(step) if step else {}
    item = items.get(step.item_id or 0) if step else None
    total = len(session.steps)
    done = min(feedback.step_index + 1 if feedback else index, total)
    if step is None:
        return StepView(session=session, course=course, index=index, step=None, item=None, feedback=feedback,
                        total_steps=total, done_steps=done, prompt_language=course.target_language,
                        answer_language=course.target_language, answer_language_name=course.target_language_name,
                        answer_in_target=True, word_hints={}, show_special_characters=False, romanisation="",
                        another_answer="", mistakes_left=test_outs.mistakes_left(session)
                        if session.kind == test_outs.TEST_OUT else None)
    in_target = step.answer_side == TARGET
    prompt_language = course.source_language if step.prompt_side == SOURCE else course.target_language
    prompt_words = exercises.split_words(step.prompt, prompt_language) if step.prompt else []
    hints = services.hints(course.id, prompt_words, step.prompt_side) if prompt_words else {}
    # A right answer worded differently from the nearest accepted one shows that one too (a choice is exact);
    # not when only case or punctuation differ, which word tiles never carry.
    answer_language = course.target_language if in_target else course.source_language
    another = (feedback.expected if feedback is not None and feedback.verdict is Verdict.CORRECT
               and step.type not in {exercises.CHOOSE, exercises.MATCH}
               and grading.normalize(feedback.expected, answer_language)
               != grading.normalize(feedback.answer, answer_language) else "")
    right_choice = ""
    if feedback is not None and step.choices and (item is not None or step.type is exercises.FILL):
        # (A step whose item a publish removed was passed over: there is no right choice to show.)
        expectation = exercises.expectation(step, item, course)  # the item's own answer (not another right one)
        right_choice = feedback.answer if feedback.verdict is Verdict.CORRECT else next(
            (choice for choice in step.choices if expectation.grade(choice).result is Verdict.CORRECT), "")
    typing = step.type in {exercises.TRANSLATE, exercises.LISTEN, exercises.SPEAK} or (
        step.type is exercises.FILL and not step.choices)
    return StepView(
        session=session, course=course, index=index, step=step, item=item, feedback=feedback, total_steps=total,
        done_steps=done, prompt_language=prompt_language,
        answer_language=answer_language,
        answer_language_name=course.target_language_name if in_target else course.source_language_name,
        answer_in_target=in_target, word_hints=hints,
        show_special_characters=in_target and typing and bool(course.special_characters),
        romanisation=(item.romanisation or "") if item and step.prompt == item.text else "",
        another_answer=another, right_choice=right_choice,
        match_answers=tuple(items[i].translation for i in step.item_ids if i in items)
        if step.type is exercises.MATCH else (),
        teach=item if feedback is None and _first_meeting(session, index, step) else None,
        mistakes_left=test_outs.mistakes_left(session) if session.kind == test_outs.TEST_OUT else None,
    )


def _first_meeting(session: LessonSession, index: int, step: Step) -> bool:
    """Is step ``index`` a lesson's first question about an item the learner has not met before?"""
    if session.kind != LESSON or step.item_id is None or step.review or step.retry \
            or step.type in {exercises.MATCH, exercises.FILL}:
        return False
    return next(n for n, s in enumerate(session.steps) if step.item_id in s.items) == index


def _items_of(*steps: Step) -> dict[int, Item]:
    """The items the steps practise (one query)."""
    ids = {i for step in steps for i in step.items}
    if not ids:
        return {}
    return {i.id: i for i in db.session.scalars(select(Item).where(Item.id.in_(ids)))}


@action
def submit_answer(user: User, session_id: int, step_index: int, answer: str, *, duration_ms: int | None = None,
                  pairs: list[str] | None = None, skipped: bool = False, hinted: bool = False) -> AnswerResult:
    """Grade one answer, update the item's FSRS card (if the answer is the day's review of it: see
    ``scheduler``) and the lesson. ``hinted``: the learner opened a hint first. Commits.

    Answering a step that was already answered (a double click, a retry after a network error) returns
    the first result and changes nothing.

    :raises NotFound: no such session for this learner.
    :raises Conflict: the step is not the one being shown, or the session is over.
    :raises Invalid: the answer is empty or too long. :raises Forbidden: out of hearts (``out_of_hearts``).
    """
    session = _locked_session_for(user, session_id)
    earlier = db.session.scalar(select(Attempt).where(Attempt.session_id == session.id,
                                                      Attempt.step_index == step_index))
    if earlier is not None:
        return _replay(session, earlier)
    if session.status != ACTIVE:
        raise Conflict(_l("This lesson is over."), code="lesson_over")
    if not skipped and not answer.strip() and not any(pair.strip() for pair in pairs or ()):
        # An empty Check is a slip of the thumb, not a wrong answer: it costs nothing.
        raise Invalid(fields={"answer": [_l("Choose or type an answer first.")]}, code="answer_empty")
    refusal = hearts_refusal(user, session)
    if refusal is not None:
        raise refusal  # the hearts ran out (in another tab, say): nothing is graded
    result = _apply_answer(user, session, step_index, answer, duration_ms=duration_ms, pairs=pairs,
                           skipped=skipped, hinted=hinted, current=now(), allow_retry=True)
    return result


def _apply_answer(user: User, session: LessonSession, step_index: int, answer: str, *, duration_ms: int | None,
                  pairs: list[str] | None, skipped: bool, current: datetime, allow_retry: bool,
                  hinted: bool = False) -> AnswerResult:
    """Grade one answer at ``current`` and update card, counters and position. Does not commit."""
    if step_index != session.position or not 0 <= step_index < len(session.steps):
        raise Conflict(_l("That is not the step this lesson is at."), code="not_current_step")
    if len(answer) > MAX_ANSWER_LENGTH:
        raise Invalid(fields={"answer": [_l("Keep it to %(max)s characters or fewer.", max=MAX_ANSWER_LENGTH)]},
                      code="answer_too_long")

    step = session.steps[step_index]
    course = db.session.get(Course, session.course_id)
    assert course is not None
    item = _items_of(step).get(step.item_id or 0)
    duration = _duration(session, duration_ms, current)

    mistake, focus, slip = Mistake.NONE, "", ""
    if step.type is exercises.MATCH:
        verdict, expected, segments = _grade_pairs(step, pairs or [])
        answer = PAIR_SEPARATOR.join(pairs or [])
    elif (skipped and step.skippable) or (item is None and step.type is not exercises.FILL):
        # A step whose item a publish removed since the lesson began is passed over, not failed.
        verdict, expected, segments = Verdict.SKIPPED, (item.text if item else ""), ()
    else:
        expectation = _with_other_right_choices(
            exercises.expectation(step, item, course, lexicon.for_course(course)), step, course)
        if expectation.exact_choice and answer not in step.choices:
            graded = expectation.grade("")
            verdict = Verdict.WRONG  # nothing picked, or something that was not on offer
        else:
            graded = expectation.grade(answer)
            verdict = graded.result
            if expectation.exact_choice and verdict is Verdict.ALMOST:
                verdict = Verdict.WRONG  # picking a different choice is never a typo
        expected, segments, mistake, focus = graded.expected, graded.segments, graded.mistake, graded.focus
        if verdict is Verdict.ALMOST:
            slip = grading.slip_kind(answer, expected)

    attempt = Attempt(session_id=session.id, user_id=user.id, item_id=item.id if item else None,
                      step_index=step_index, exercise_type=step.type, answer=answer, verdict=verdict,
                      direction=step.direction.value if step.direction else None,
                      expected=expected, duration_ms=duration, hinted=hinted, review_kind=REVIEW_PRACTICE,
                      rating=None, created_at=current)
    db.session.add(attempt)
    if item is not None:
        insert_or_add(ItemDayStats, {"day": current.astimezone(UTC).date(), "item_id": item.id},
                      {"attempts": 1, "correct": int(verdict in (Verdict.CORRECT, Verdict.ALMOST))})
    if verdict is Verdict.CORRECT:
        session.correct_count += 1
    elif verdict is Verdict.ALMOST:
        session.almost_count += 1
    elif verdict is Verdict.WRONG:
        session.wrong_count += 1

    testing = session.kind == test_outs.TEST_OUT  # a test-out rates its items only when passed, and never retries
    if item is not None and verdict is not Verdict.SKIPPED and step.type is not exercises.MATCH and not testing:
        _review_item(user, item, step, verdict, duration, len(answer), current, session.kind, attempt)
    retries = sum(1 for s in session.steps if s.retry)
    if allow_retry and not testing and verdict is Verdict.WRONG and not step.retry and retries < MAX_RETRIES:
        session.steps = [*session.steps, lesson_builder.retry_step(
            step, item, _retry_pool(course, item), course, _vocabulary(course), seed=session.id * 1000 + step_index)]
    session.position = step_index + 1
    if testing:
        test_outs.settle(user, session, course, current)
    elif session.position >= len(session.steps):
        _complete(user, session, course, current)
    return AnswerResult(session=session, step_index=step_index, step=step, verdict=verdict, expected=expected,
                        segments=segments, answer=answer, mistake=mistake, focus=focus, slip=slip)


def _other_right_choices(step: Step, course: Course) -> list[str]:
    """Choices of a multiple-choice step that are another word the course gives the prompt's meaning to
    ("hasta luego" also means "goodbye"): picking one is right too. One query, for choose steps only."""
    if step.type is not exercises.CHOOSE or step.direction is not exercises.TO_TARGET:
        return []
    prompt = grading.normalize(step.prompt, course.source_language)
    others = db.session.scalars(select(Item).where(Item.course_id == course.id, Item.id != step.item_id,
                                                   Item.text.in_(step.choices)))
    return [other.text for other in others
            if prompt in {grading.normalize(t, course.source_language) for t in other.accepted_translations()}]


def _with_other_right_choices(expectation: exercises.Expectation, step: Step, course: Course
                              ) -> exercises.Expectation:
    others = _other_right_choices(step, course)
    if not others:
        return expectation
    return exercises.Expectation([*expectation.accepted, *others], expectation.language,
                                 exact_choice=expectation.exact_choice, known_words=expectation.known_words,
                                 spellings=expectation.spellings)


def hearts_refusal(user: User, session: LessonSession) -> Forbidden | None:
    """Why this learner may not go on with this lesson now (out of hearts, say, from progress's gate), or None.

    Asked before each step of an unfinished lesson, so a lesson stops when the hearts run out. Reads only.
    """
    if session.status != ACTIVE:
        return None
    try:
        hooks.check("lesson.start", user=user, kind=SessionKind(session.kind))
    except Forbidden as refusal:
        return refusal
    return None


def _retry_pool(course: Course, item: Item | None) -> list[Item]:
    """Items to draw wrong choices and spare tiles from for a step that comes back: the item's skill first."""
    if item is None:
        return []
    pool = list(db.session.scalars(select(Item).where(Item.skill_id == item.skill_id).limit(40)))
    if len(pool) < exercises.CHOICES * 2:
        pool += list(db.session.scalars(select(Item).where(Item.course_id == course.id,
                                                           Item.skill_id != item.skill_id).limit(40)))
    return pool


def _vocabulary(course: Course) -> list[str]:
    if exercises.uses_spaces(course.target_language):
        return []
    return list(db.session.scalars(select(DictionaryEntry.word).where(DictionaryEntry.course_id == course.id,
                                                                      DictionaryEntry.language == TARGET)))


def _replay(session: LessonSession, attempt: Attempt) -> AnswerResult:
    step = session.steps[attempt.step_index]
    segments = (grading.Segment(attempt.expected, False),) if attempt.expected else ()
    return AnswerResult(session=session, step_index=attempt.step_index, step=step, verdict=Verdict(attempt.verdict),
                        expected=attempt.expected, segments=segments, answer=attempt.answer)


def _duration(session: LessonSession, reported: int | None, current: datetime) -> int:
    if reported is not None and 0 < reported <= MAX_DURATION_MS:
        return int(reported)
    last = db.session.scalar(select(Attempt.created_at).where(Attempt.session_id == session.id)
                             .order_by(Attempt.step_index.desc()).limit(1)) or session.started_at
    return int(min(MAX_DURATION_MS, max(0, (current - last).total_seconds() * 1000)))


def _grade_pairs(step: Step, pairs: list[str]) -> tuple[Verdict, str, tuple[grading.Segment, ...]]:
    items = _items_of(step)
    expected_pairs = [items[i].translation for i in step.item_ids if i in items]
    expected = " | ".join(f"{left} = {right}" for left, right in zip(step.left, expected_pairs, strict=False))
    verdict = Verdict.CORRECT if pairs == expected_pairs else Verdict.WRONG
    return verdict, expected, (grading.Segment(expected, False),)


def _review_item(user: User, item: Item, step: Step, verdict: Verdict, duration: int, length: int,
                 current: datetime, session_kind: str, attempt: Attempt) -> None:
    card, weights = _locked_card(user, item, current)
    kind, rating = scheduler.review_answer(card, verdict, step.type, duration, length, hinted=attempt.hinted,
                                           at=current, timezone=user.timezone,
                                           desired_retention=user.desired_retention, weights=weights)
    counted = kind != REVIEW_PRACTICE
    if counted:
        attempt.review_kind = kind
        attempt.rating = int(rating)
    events.record(ItemReviewed(course_id=item.course_id, skill_id=item.skill_id, verdict=verdict, rating=int(rating),
                               exercise=step.type, duration_ms=duration, session_kind=SessionKind(session_kind),
                               counted=counted),
                  actor_id=user.id, subject=("item", item.id))


def _locked_card(user: User, item: Item, current: datetime) -> tuple[Card, scheduler.Weights | None]:
    """The learner's card of the item (made if missing), locked for an update, with the FSRS weights to schedule it
    with: fitted to this learner, else to the course, else None (FSRS's defaults)."""
    ((card, weights),) = card_weights.cards_to_review(user.id, [item], current)
    return card, weights


def _complete(user: User, session: LessonSession, course: Course, current: datetime) -> None:
    session.status = COMPLETED
    session.completed_at = current
    # Counted on the day it started, as the raw figure is; the start's row exists (see _count_started).
    _count(session, completed=1)
    answered = session.correct_count + session.almost_count + session.wrong_count
    accuracy = round(100 * (session.correct_count + session.almost_count) / answered) if answered else 100
    item_ids = sorted({i for step in session.steps for i in step.items})
    new_items = sum(1 for step in session.steps if not step.retry and step.direction is exercises.TO_SOURCE
                    and step.type is exercises.CHOOSE)
    if session.skill_id is not None and session.kind == LESSON:
        insert_if_missing(SkillProgress, {"user_id": user.id, "skill_id": session.skill_id}, course_id=course.id,
                          lessons_completed=0, level=0, started_at=current, updated_at=current)
        progress = db.session.scalar(select(SkillProgress).where(SkillProgress.user_id == user.id,
                                                                 SkillProgress.skill_id == session.skill_id)
                                     .with_for_update().execution_options(populate_existing=True))
        assert progress is not None
        skill = db.session.get(Skill, session.skill_id)
        progress.lessons_completed = (progress.lessons_completed or 0) + 1
        progress.level = services.level_for(progress.lessons_completed, skill.item_count if skill else 1)
    enrolment = db.session.scalar(select(Enrollment).where(Enrollment.user_id == user.id,
                                                           Enrollment.course_id == course.id))
    if enrolment is not None:
        enrolment.last_practised_at = current
    events.record(LessonCompleted(
        kind=SessionKind(session.kind), course_id=course.id, skill_id=session.skill_id, accuracy=accuracy,
        correct=session.correct_count, almost=session.almost_count, wrong=session.wrong_count,
        duration_seconds=int((current - session.started_at).total_seconds()), items=tuple(item_ids),
        new_items=new_items, perfect=session.wrong_count == 0,
        due_reviewed=len({s.item_id for s in session.steps if s.due and s.item_id}),
        started_at=session.started_at, completed_at=current,
    ), actor_id=user.id, subject=("lesson_session", session.id))


def summary(user: User, session_id: int) -> Summary:
    """Accuracy, time and words of a finished session. :raises NotFound: :raises Conflict: not finished."""
    session = get_session_for(user, session_id)
    if session.status != COMPLETED:
        raise Conflict(_l("This lesson is not finished yet."), code="lesson_not_finished")
    answered = session.correct_count + session.almost_count + session.wrong_count
    accuracy = round(100 * (session.correct_count + session.almost_count) / answered) if answered else 100
    item_ids = {i for step in session.steps for i in step.items}
    items = list(db.session.scalars(select(Item).where(Item.id.in_(item_ids)).order_by(Item.position))) \
        if item_ids else []
    duration = (session.completed_at or session.started_at) - session.started_at
    return Summary(session=session, accuracy=accuracy, duration=duration, items=items)


# --- Offline lessons ---------------------------------------------------------------------------------------

OFFLINE = "offline"
# The free plan keeps two lessons of a course downloaded at a time (played and synced, they make room for
# more). Unlimited offline downloads (premium, through learning's seam) lift that to ten: not a plan limit
# but a bound on what one download writes and the browser stores.
OFFLINE_LESSONS = 2
OFFLINE_LESSONS_UNLIMITED = 10


def offline_allowance(user: User) -> int:
    """How many lessons of one course ``user`` may keep downloaded at a time."""
    return OFFLINE_LESSONS_UNLIMITED if services.unlimited_offline_downloads(user) else OFFLINE_LESSONS


@action
def prepare_offline(user: User, course_slug: str, count: int | None = None) -> list[LessonSession]:
    """Build the next lessons of the course for playing offline (kept until they are synced), up to the
    learner's allowance (``offline_allowance``) unless ``count`` says otherwise. Commits.

    Lessons already downloaded and not yet synced are returned again rather than built twice.

    :raises NotFound: no such course or not enrolled. :raises Conflict: no skill is open.
    """
    course = services.get_course(course_slug)
    if services.enrollment_for(user, course) is None:
        raise NotFound
    pending = list(db.session.scalars(select(LessonSession).where(
        LessonSession.user_id == user.id, LessonSession.course_id == course.id, LessonSession.status == OFFLINE)
        .order_by(LessonSession.id)))
    next_skill = services.course_map(user, course).next_skill
    if next_skill is None and not pending:
        raise Conflict(_l("There is no lesson to download in this course now."), code="nothing_to_learn")
    count = offline_allowance(user) if count is None else count
    if len(pending) < count and next_skill is not None:
        hooks.check("lesson.start", user=user, kind=LESSON)
        skill = next_skill.skill
        planned = {i for session in pending for step in session.steps for i in step.items}
        for _ in range(count - len(pending)):
            material = _material(user, course, skill)
            # A second offline lesson teaches the next new items, as if the first had been done.
            material.skill_items = [i for i in material.skill_items if i.id not in planned] or material.skill_items
            session = LessonSession(user_id=user.id, course_id=course.id, skill_id=skill.id, kind=LESSON,
                                    status=OFFLINE, steps=[], position=0, started_at=now())
            db.session.add(session)
            db.session.flush()
            _count_started(session)
            session.steps = lesson_builder.build_lesson(material, seed=session.id)
            planned |= {i for step in session.steps for i in step.items}
            pending.append(session)
    return pending


@dataclass(frozen=True)
class OfflineAnswer:
    step: int
    answer: str
    answered_at: datetime
    duration_ms: int | None = None
    pairs: list[str] | None = None
    skipped: bool = False
    hinted: bool = False


@action
def apply_offline(user: User, session_id: int, client_id: str, answers: list[OfflineAnswer]) -> LessonSession:
    """Apply a lesson played offline, exactly once, at the times it was really played. Commits.

    The server grades every answer again (the browser's verdict is only for the learner's feedback), so the
    result does not depend on trusting the client. A second sync of the same lesson changes nothing.

    :raises NotFound: no such offline lesson for this learner. :raises Invalid: answers missing or out of order.
    """
    session = _locked_session_for(user, session_id)
    if session.status == COMPLETED:
        return session  # already applied: the browser retried after losing the first answer
    if session.status != OFFLINE:
        raise NotFound
    ordered = sorted(answers, key=lambda a: a.step)
    if [a.step for a in ordered] != list(range(len(session.steps))):
        raise Invalid(fields={"answers": [_l("Every step needs exactly one answer.")]}, code="answers_incomplete")
    session.status, session.client_id = ACTIVE, client_id[:64]
    latest = now()
    previous = session.started_at
    for offline_answer in ordered:
        # Times come from the learner's device: keep them between the download and now, in order.
        at = min(max(offline_answer.answered_at, previous), latest)
        previous = at
        _apply_answer(user, session, offline_answer.step, offline_answer.answer,
                      duration_ms=offline_answer.duration_ms, pairs=offline_answer.pairs,
                      skipped=offline_answer.skipped, hinted=offline_answer.hinted, current=at, allow_retry=False)
    return session


def offline_expectations(session: LessonSession) -> list[dict[str, Any]]:
    """For each step, what the browser needs to grade it offline (the same rules as the server)."""
    course = db.session.get(Course, session.course_id)
    assert course is not None
    items = _items_of(*session.steps)
    known = lexicon.for_course(course)
    result: list[dict[str, Any]] = []
    for index, step in enumerate(session.steps):
        if step.type is exercises.MATCH:
            result.append({"index": index, "type": step.type.value,
                           "pairs": [items[i].translation for i in step.item_ids if i in items]})
            continue
        expectation = _with_other_right_choices(
            exercises.expectation(step, items.get(step.item_id or 0), course, known), step, course)
        result.append({"index": index, "type": step.type.value, "accepted": expectation.accepted,
                       "language": expectation.language, "key": expectation.key(),
                       "exact_choice": expectation.exact_choice, "choices": list(step.choices)})
    return result
