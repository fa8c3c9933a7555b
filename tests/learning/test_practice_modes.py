"""The Practice tab: the review of what is due for everyone; with the extra practice modes (premium, through
learning's seam), the words answered wrong lately and the words forgotten most."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from puchi.core.db import db, now
from puchi.learning import exercises
from puchi.learning import services as learning
from puchi.learning.models import Attempt, Card, LessonSession
from tests.conftest import post_form
from tests.learning.conftest import (
    SPANISH,
    answer,
    first_skill_id,
    lesson_state,
    right_answer,
    start_lesson,
    wrong_answer,
)


def _lesson_with_mistakes(app, client) -> set[int]:
    """A whole first lesson with two words answered wrong once (after their first sight); returns them."""
    session_id = start_lesson(client, first_skill_id(app))
    missed: set[int] = set()
    seen: set[int] = set()
    for _ in range(60):
        session = lesson_state(app, session_id)
        if session.status == "completed":
            break
        step = session.steps[session.position]
        (item,) = step.items if step.type != exercises.MATCH and len(step.items) == 1 else (None,)
        miss = item is not None and item in seen and item not in missed and len(missed) < 2
        if miss:
            missed.add(item)
        if item is not None:
            seen.add(item)
        answer(client, session_id, session.position, (wrong_answer if miss else right_answer)(app, step))
    with app.app_context():
        wrong = set(db.session.scalars(select(Attempt.item_id).where(Attempt.session_id == session_id,
                                                                     Attempt.verdict == "wrong")))
    assert lesson_state(app, session_id).status == "completed" and wrong
    return wrong


def _practise(client, mode: str):
    return post_form(client, "/practice", {"mode": mode}, action=f"/courses/{SPANISH}/practice")


def _practice_items(app, location: str) -> set[int]:
    session_id = int(re.search(r"/lessons/(\d+)$", location).group(1))
    session = lesson_state(app, session_id)
    assert session.kind == "practice"
    return {item for step in session.steps for item in step.items}


def test_the_practice_tab_offers_the_review_of_what_is_due(app, learner):
    client, _ = learner
    page = client.get("/practice")
    assert page.status_code == 200
    assert "Start the review" in page.text and 'name="mode" value="due"' in page.text
    assert re.search(r'<a href="/practice" aria-current="page">', page.text)  # the Practice tab, not Learn
    assert "Your mistakes" not in page.text and "/plans" not in page.text  # no extra modes; billing is off here


def test_the_extra_modes_are_refused_without_them(app, learner):
    client, user = learner
    _lesson_with_mistakes(app, client)
    refused = _practise(client, "mistakes")
    assert refused.status_code == 302 and refused.headers["Location"].endswith("/practice")
    assert "This practice is part of Super." in client.get("/practice").text
    with app.app_context():
        assert db.session.scalar(select(LessonSession.id).where(LessonSession.user_id == user.id,
                                                                LessonSession.kind == "practice")) is None


def test_an_unknown_mode_is_not_found(app, learner):
    client, _ = learner
    assert _practise(client, "everything").status_code == 404


def test_with_the_extra_modes_a_learner_practises_the_words_they_got_wrong(app, learner):
    learning.add_extra_practice_modes_check(app, lambda user: True)  # premium's answer, through the seam
    client, _ = learner
    wrong = _lesson_with_mistakes(app, client)
    page = client.get("/practice").text
    assert "Your mistakes" in page and "Hardest words" in page
    started = _practise(client, "mistakes")
    assert started.status_code == 302
    assert _practice_items(app, started.headers["Location"]) == wrong


def test_with_the_extra_modes_the_hardest_words_are_the_ones_forgotten(app, learner):
    learning.add_extra_practice_modes_check(app, lambda user: True)
    client, _ = learner
    wrong = _lesson_with_mistakes(app, client)
    started = _practise(client, "hardest")
    assert started.status_code == 302
    items = _practice_items(app, started.headers["Location"])
    assert wrong <= items  # the least stable cards come first, and a first lesson meets fewer than 20 words


def test_with_nothing_answered_wrong_the_mistakes_practice_says_so(app, learner):
    learning.add_extra_practice_modes_check(app, lambda user: True)
    client, _ = learner
    refused = _practise(client, "mistakes")
    assert refused.status_code == 302 and refused.headers["Location"].endswith("/practice?nothing_to_practise=1")
    assert "Nothing to practise here yet" in client.get(refused.headers["Location"]).text


def test_each_mode_resumes_its_own_practice_and_asking_for_another_starts_that_one(app, learner):
    learning.add_extra_practice_modes_check(app, lambda user: True)
    client, _ = learner
    wrong = _lesson_with_mistakes(app, client)
    due = _practise(client, "due").headers["Location"]
    mistakes = _practise(client, "mistakes").headers["Location"]
    assert mistakes != due and _practice_items(app, mistakes) == wrong  # not the review in progress
    assert re.search(r"<title>Your mistakes\b", client.get(mistakes).text)
    assert re.search(r"<title>Practice\b", client.get(due).text)
    assert _practise(client, "due").headers["Location"] == due
    assert _practise(client, "mistakes").headers["Location"] == mistakes
    with app.app_context():
        modes = db.session.scalars(select(LessonSession.practice_mode).where(LessonSession.kind == "practice")
                                   .order_by(LessonSession.id)).all()
    assert modes == ["due", "mistakes"]


def test_the_review_says_how_many_words_are_due_today(app, learner):
    client, user = learner
    _lesson_with_mistakes(app, client)
    assert "Nothing is due" in client.get("/practice").text  # a first lesson's words come back another day
    with app.app_context():
        cards = db.session.scalars(select(Card).where(Card.user_id == user.id).order_by(Card.id).limit(3)).all()
        for card in cards:
            card.due_at = now() - timedelta(hours=1)
        db.session.commit()
    assert "3 words are due: go over them before they fade." in client.get("/practice").text
