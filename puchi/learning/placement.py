"""The placement test: a short adaptive quiz for newcomers who know some of the language, whose result marks
the skills before their level as passed.

How it adapts: the skills along the course path are searched like a sorted list. Each probe asks about a word
of the skill in the middle of what is still unknown: two right answers in a row mean the learner knows that
far (the next probe is harder, further along), one wrong or "I don't know" means they do not (the next is
easier). The test stops when the boundary is found or after ``MAX_QUESTIONS``: about ten questions for a course
of thirty skills, drawn from every unit the search crosses.

What it records: one ``course.placement_completed`` event and level 1 (the first round of lessons done, as a
unit test-out would) on each skill before the boundary, so the path opens after them. It makes no FSRS cards and
no review attempts: one question on one word of a skill says nothing about when each of its other words will be
forgotten, and inventing "Good" reviews for words never asked would make their intervals long and wrong. The
words of passed skills get their cards when lessons and practice first bring them (``next_skill`` leads on to
the first skill not passed, so the learner starts at their level).

The test's state lives in the learner's signed session cookie (a GET shows it without writing); it holds item
ids and the choices shown, and every answer is graded here against the database.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from puchi.accounts.models import User
from puchi.core import events
from puchi.core.db import action, db
from puchi.core.errors import Conflict, Invalid, NotFound
from puchi.core.upserts import insert_if_missing
from puchi.learning.events import PlacementCompleted
from puchi.learning.lesson_builder import NEW_PER_LESSON
from puchi.learning.models import WORD, Course, Enrollment, Item, Skill, SkillProgress

MAX_QUESTIONS = 15
RIGHT_TO_PASS = 2  # right answers in a row that show a skill is known
CHOICES = 4


@dataclass
class Question:
    item_id: int
    skill_index: int
    prompt: str  # the word or phrase in the language learned
    options: list[str]  # its meaning among others, in the learner's language


@dataclass
class PlacementState:
    """Where a test stands: the skills known (below ``low``) and not (from ``high``), and the question asked."""

    course_id: int
    skills: int
    low: int = 0  # skills [0, low) are known
    high: int = 0  # skills [high, skills) are not; the boundary lies in [low, high]
    asked: int = 0
    correct: int = 0
    streak: int = 0  # right answers in a row on the current probe
    seed: int = 0
    used: list[int] = field(default_factory=list)  # items asked already
    question: Question | None = None

    @property
    def finished(self) -> bool:
        return self.question is None

    @property
    def progress_percent(self) -> int:
        return min(100, round(100 * self.asked / MAX_QUESTIONS))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> PlacementState | None:
        """The state kept in the session, or None when it is missing or not one (a stale or altered cookie)."""
        try:
            question = data.get("question")
            return cls(**{**data, "question": Question(**question) if question else None})
        except (AttributeError, TypeError):
            return None


def start(user: User, slug: str) -> PlacementState:
    """A new test of the course (for the session, nothing is written).

    :raises NotFound: no such published course. :raises Conflict: ``not_enrolled``, the learner has not started
        the course; ``nothing_to_place``, it has no skills to test.
    """
    course = _course(slug)
    _require_enrolment(user, course)
    count = db.session.scalar(select(func.count(Skill.id)).where(Skill.course_id == course.id)) or 0
    if count < 2:
        raise Conflict(code="nothing_to_place")
    state = PlacementState(course_id=course.id, skills=count, low=0, high=count,
                           seed=random.SystemRandom().randrange(1 << 30))
    state.question = _next_question(state)
    return state


def answer(user: User, slug: str, state: PlacementState, item_id: int, choice: str | None) -> PlacementState:
    """Grade one answer (``choice`` None: "I don't know") and choose the next question, or finish.

    :raises Conflict: ``placement_stale``, the answer is not to the question asked (another tab, a replay).
    """
    course = _course(slug)
    if state.course_id != course.id or state.question is None or state.question.item_id != item_id:
        raise Conflict(code="placement_stale")
    if choice is not None and choice not in state.question.options:
        raise Invalid(fields={"answer": [_l("Choose one of the options.")]}, code="answer_unknown")
    item = db.session.get(Item, item_id)
    if item is None or item.course_id != course.id:
        raise Conflict(code="placement_stale")
    right = choice is not None and choice == item.translation
    probe = state.question.skill_index
    state.asked += 1
    state.used.append(item_id)
    if right:
        state.correct += 1
        state.streak += 1
        if state.streak >= RIGHT_TO_PASS:  # known that far: look further on
            state.low, state.streak = probe + 1, 0
    else:  # not known there: look earlier
        state.high, state.streak = probe, 0
    state.question = None if state.asked >= MAX_QUESTIONS else _next_question(state, probe if state.streak else None)
    return state


def submit(user: User, slug: str, state: PlacementState, item_id: int,
           choice: str | None) -> tuple[PlacementState, int | None]:
    """Grade one answer; when it was the last, mark the skills passed (commits). Returns the new state and, once
    finished, how many skills were passed (else None). :raises Conflict: as :func:`answer`."""
    state = answer(user, slug, state, item_id, choice)
    return state, (place(user, slug, state) if state.finished else None)


def _probe(state: PlacementState) -> int | None:
    if state.low >= state.high:
        return None
    return (state.low + state.high) // 2


def _next_question(state: PlacementState, same_probe: int | None = None) -> Question | None:
    probe = same_probe if same_probe is not None else _probe(state)
    if probe is None:
        return None
    skills = list(db.session.scalars(select(Skill.id).where(Skill.course_id == state.course_id)
                                     .order_by(Skill.path_position, Skill.id)))
    rng = random.Random(state.seed + state.asked)
    # A word of the probed skill (phrases when a skill has no words), not asked before in this test.
    candidates = [i for i in db.session.scalars(select(Item).where(Item.skill_id == skills[probe])
                                                .order_by(Item.position, Item.id)) if i.id not in state.used]
    words = [i for i in candidates if i.kind == WORD] or candidates
    if not words:  # an empty skill tells nothing: count it as known only if the next one is
        if same_probe is not None:
            state.low, state.streak = probe + 1, 0
        else:
            state.high = probe
        return _next_question(state)
    item = rng.choice(words)
    others = list(db.session.scalars(
        select(Item.translation).where(Item.course_id == state.course_id, Item.translation != item.translation,
                                       Item.kind == item.kind).distinct().order_by(Item.translation).limit(200)))
    options = rng.sample(others, min(CHOICES - 1, len(others))) + [item.translation]
    rng.shuffle(options)
    return Question(item_id=item.id, skill_index=probe, prompt=item.text, options=options)


@action
def place(user: User, slug: str, state: PlacementState) -> int:
    """Mark the skills the finished test showed as known (level 1, like one round of lessons). Commits.
    Returns how many skills were passed. Never lowers a skill the learner has already done better in.

    :raises Conflict: ``placement_unfinished``: questions remain.
    """
    course = _course(slug)
    if state.course_id != course.id or not state.finished:
        raise Conflict(code="placement_unfinished")
    _require_enrolment(user, course)
    skills = list(db.session.scalars(select(Skill).where(Skill.course_id == course.id)
                                     .order_by(Skill.path_position, Skill.id)))
    passed = skills[:max(0, min(state.low, len(skills)))]
    for skill in passed:
        insert_if_missing(SkillProgress, {"user_id": user.id, "skill_id": skill.id}, course_id=course.id,
                          level=0, lessons_completed=0)
    if passed:
        rows = db.session.scalars(select(SkillProgress).where(SkillProgress.user_id == user.id,
                                                              SkillProgress.skill_id.in_([s.id for s in passed]))
                                  .execution_options(populate_existing=True))
        per_level = {s.id: max(1, -(-s.item_count // NEW_PER_LESSON)) for s in passed}
        for row in rows:
            row.level = max(row.level, 1)
            row.lessons_completed = max(row.lessons_completed, per_level[row.skill_id])
    events.record(PlacementCompleted(questions=state.asked, correct=state.correct, skills_placed=len(passed)),
                  actor_id=user.id, subject=("course", course.id))
    return len(passed)


def _course(slug: str) -> Course:
    course = db.session.scalar(select(Course).where(Course.slug == slug, Course.is_published.is_(True)))
    if course is None:
        raise NotFound
    return course


def _require_enrolment(user: User, course: Course) -> None:
    enrolled = db.session.scalar(select(Enrollment.id).where(Enrollment.user_id == user.id,
                                                             Enrollment.course_id == course.id))
    if enrolled is None:
        raise Conflict(code="not_enrolled")
