"""The lesson player tells the server when a hint was opened before an answer (it lowers the FSRS rating)."""

import re

import pytest
from sqlalchemy import select

from puchi.core.db import db
from puchi.learning.models import Attempt
from tests.conftest import wait_until
from tests.e2e.conftest import got_it
from tests.learning.conftest import first_skill_id, lesson_state, right_answer

pytestmark = pytest.mark.e2e


def _attempt(app, session_id, index):
    with app.app_context():
        return db.session.scalar(select(Attempt).where(Attempt.session_id == session_id,
                                                       Attempt.step_index == index))


def _answer(page, step, data):
    if step.choices:
        page.locator(f'input[name="answer"][value="{data["answer"]}"]').check()
    else:
        page.locator('[name="answer"]').fill(data["answer"])
    page.get_by_role("button", name="Check").click()
    page.locator(".feedback").wait_for()


def test_a_hint_looked_at_is_sent_with_the_answer_and_none_otherwise(page, app, live_server, make_user, spanish):
    make_user("teo@example.com", display_name="Teo")
    page.goto("/login")
    page.get_by_label("Email").fill("teo@example.com")
    page.get_by_label("Password").fill("correct-horse-battery")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/home$"))
    page.goto("/courses")
    page.get_by_role("button", name="Start this course").first.click()
    page.wait_for_url(re.compile(r"/courses/"))
    page.goto(f"/skills/{first_skill_id(app)}")
    page.get_by_role("button", name="Start the first lesson").click()
    page.wait_for_url(re.compile(r"/lessons/\d+$"))
    session_id = int(page.url.rsplit("/", 1)[1])

    hinted_index = None
    for _ in range(12):
        session = lesson_state(app, session_id)
        index = session.position
        step = session.steps[index]
        page.wait_for_selector(f'input[name="step"][value="{index}"]', state="attached")
        got_it(page)  # a new word's card comes before its first question
        hint = page.locator("form[data-exercise] .word-hint").first
        look = hinted_index is None and hint.count() > 0
        if look:
            hint.focus()  # as a keyboard user reaches it (hovering does the same)
            assert hint.locator(".word-hint-text").is_visible()
            hinted_index = index
        _answer(page, step, right_answer(app, step))
        attempt = _attempt(app, session_id, index)
        assert attempt is not None and attempt.hinted is look
        if hinted_index is not None and index > hinted_index:
            break
        page.locator("[data-continue]").click()
        assert wait_until(lambda i=index: lesson_state(app, session_id).position == i + 1, timeout=5)
    assert hinted_index is not None, "no step of the first lesson had a word hint"
