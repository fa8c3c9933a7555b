"""Progress fixtures: lessons finished through the real learning services, at chosen moments."""

from __future__ import annotations

import contextlib
from datetime import datetime

import pytest
import time_machine
from sqlalchemy import select

from puchi.accounts.models import User
from puchi.core.db import db
from puchi.learning import exercises, lessons
from puchi.progress.models import ProgressProfile
from tests.learning.conftest import first_skill_id, japanese, right_answer, spanish, wrong_answer  # noqa: F401 - fixtures used here

__all__ = ["finish_lesson", "profile"]


def finish_lesson(app, user_id: int, *, at: datetime | None = None, mistakes: int = 0, skill_position: int = 0,
                  practice: bool = False) -> int:
    """Play one lesson to the end through the learning services; returns its session id.

    ``at`` travels the clock there (time-machine) so tests can choose the learner's day; ``mistakes``
    answers that many steps wrong first.
    """
    travel = time_machine.travel(at, tick=True) if at else contextlib.nullcontext()
    with travel, app.app_context():
        user = db.session.get(User, user_id)
        if practice:
            session = lessons.start_practice(user, "spanish-for-english-speakers")
        else:
            session = lessons.start_lesson(user, first_skill_id(app, position=skill_position))
        session_id = session.id
        for _ in range(80):
            session = lessons.get_session_for(user, session_id)
            if session.status == "completed":
                break
            step = session.steps[session.position]
            if mistakes > 0 and step.type is not exercises.MATCH:
                data, mistakes = wrong_answer(app, step), mistakes - 1
            else:
                data = right_answer(app, step)
            pairs = [data[k] for k in sorted(data) if k.startswith("pair_")]
            lessons.submit_answer(user, session_id, session.position, data.get("answer", ""), pairs=pairs,
                                  duration_ms=4000)
        db.session.remove()
    return session_id


def profile(app, user_id: int) -> ProgressProfile:
    with app.app_context():
        row = db.session.scalar(select(ProgressProfile).where(ProgressProfile.user_id == user_id))
        db.session.expunge_all()
        return row


@pytest.fixture
def enrolled(app, make_user, spanish):  # noqa: F811
    """Factory: a verified learner enrolled in the Spanish course."""
    def make(**kwargs):
        user = make_user(**kwargs)
        with app.app_context():
            from puchi.learning import services

            services.enroll(db.session.get(User, user.id), spanish)
        return user

    return make
