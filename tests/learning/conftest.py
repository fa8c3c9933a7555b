"""Fixtures for the learning domain: imported courses, enrolled learners, and a way to play steps."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from puchi.core.db import db
from puchi.learning import exercises
from puchi.learning.course_format import CourseData, read_course
from puchi.learning.course_import import import_course
from puchi.learning.models import Course, Item, LessonSession
from puchi.learning.steps import Step
from tests.conftest import post_form, seeded_courses

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = ROOT / "puchi" / "learning" / "courses"


def _shared_course(name: str) -> Path:
    """The third-party test course in ../shared/ (beside the checkout, in CI and on developers' machines)."""
    for shared in (ROOT.parent / "shared", Path("/work/shared")):
        if (shared / "courses" / name).is_dir():
            return shared / "courses" / name
    raise FileNotFoundError(f"../shared/courses/{name} is missing beside {ROOT}")


LIBRELINGO = _shared_course("librelingo-es-from-en")
SPANISH = "spanish-for-english-speakers"
JAPANESE = "japanese-for-english-speakers"


@cache
def course_data(name: str) -> CourseData:
    return read_course(BUNDLED / name)


def _seeded(app, slug: str) -> str:
    """The bundled course ``slug``, imported the first time a test asks (see tests/conftest.py)."""
    with app.app_context():
        return seeded_courses.ensure(slug, lambda: import_course(course_data(slug)))


seeded_courses.register("spanish", SPANISH)
seeded_courses.register("japanese", JAPANESE)


@pytest.fixture
def spanish(app) -> str:
    return _seeded(app, SPANISH)


@pytest.fixture
def japanese(app) -> str:
    return _seeded(app, JAPANESE)


@pytest.fixture
def learner(logged_in, spanish):
    """A signed-in learner enrolled in the Spanish course: (client, user)."""
    client, user = logged_in()
    response = post_form(client, "/courses", {}, action=f"/courses/{spanish}/enroll")
    assert response.status_code == 302
    return client, user


def first_skill_id(app, slug: str = SPANISH, position: int = 0) -> int:
    with app.app_context():
        from puchi.learning.models import Skill

        return db.session.scalar(select(Skill.id).join(Course).where(Course.slug == slug,
                                                                     Skill.path_position == position))


def start_lesson(client, skill_id: int) -> int:
    response = post_form(client, f"/skills/{skill_id}", {}, action=f"/skills/{skill_id}/lessons")
    assert response.status_code == 302, response.text[:300]
    return int(re.search(r"/lessons/(\d+)", response.headers["Location"]).group(1))


def lesson_state(app, session_id: int) -> LessonSession:
    with app.app_context():
        session = db.session.get(LessonSession, session_id)
        db.session.expunge(session)
        return session


def right_answer(app, step: Step) -> dict[str, Any]:
    """Form data that answers ``step`` correctly (what a learner who knows the item would send)."""
    with app.app_context():
        if step.type == exercises.MATCH:
            items = {i.id: i for i in db.session.scalars(select(Item).where(Item.id.in_(step.item_ids)))}
            return {f"pair_{n}": items[i].translation for n, i in enumerate(step.item_ids)}
        if step.type == exercises.FILL:
            return {"answer": step.answer}
        item = db.session.get(Item, step.item_id)
        if step.direction == exercises.TO_TARGET or step.type in {exercises.LISTEN, exercises.SPEAK}:
            return {"answer": item.text}
        return {"answer": item.translation}


def wrong_answer(app, step: Step) -> dict[str, Any]:
    if step.type == exercises.MATCH:  # every pair shifted by one: all wrong (an empty answer is refused)
        right = right_answer(app, step)
        names = sorted(right)
        return {name: right[names[(n + 1) % len(names)]] for n, name in enumerate(names)}
    if step.choices:
        right = right_answer(app, step)["answer"]
        others = [c for c in step.choices if c != right]
        assert others, f"a multiple-choice step with no wrong choice: {step}"
        return {"answer": others[0]}
    return {"answer": "zzz qqq"}


def answer(client, session_id: int, step_index: int, data: dict[str, Any]):
    return post_form(client, f"/lessons/{session_id}", {"step": str(step_index), **data},
                     action=f"/lessons/{session_id}/answer")
