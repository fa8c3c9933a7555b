""""Jump here" on the course map, in Chromium on a phone (390×844): a learner tests out of unit 1 from unit 2's
banner; passing shows unit 1's skills done and unit 2 open, failing leaves the map as it was."""

import re

import pytest
from sqlalchemy import select

from puchi.core.db import db
from puchi.learning.models import Course, Skill, Unit
from tests.e2e.conftest import answer_right_with_the_mouse, got_it, log_in_on_page
from tests.e2e.test_accessibility import axe_violations
from tests.learning.conftest import SPANISH, lesson_state, right_answer

pytestmark = pytest.mark.e2e


def _units(app):
    with app.app_context():
        units = db.session.scalars(select(Unit).join(Course).where(Course.slug == SPANISH)
                                   .order_by(Unit.position)).all()
        return [(u.id, list(db.session.scalars(select(Skill.id).where(Skill.unit_id == u.id)
                                               .order_by(Skill.path_position)))) for u in units]


def _jump_to_unit_2(page, app, make_user, email):
    make_user(email, display_name="Jo")
    log_in_on_page(page, email)
    page.goto("/courses")
    page.get_by_role("button", name="Start this course").first.click()
    page.wait_for_url(re.compile(r"/courses/"))
    units = _units(app)
    banner = page.locator(f"section[aria-labelledby='unit-{units[1][0]}'] .unit-banner")
    jump = banner.get_by_role("button", name="Jump here?")
    assert jump.bounding_box()["height"] >= 48, "a thumb-sized button"
    assert page.locator(f"section[aria-labelledby='unit-{units[0][0]}']").get_by_role(
        "button", name="Jump here?").count() == 0
    jump.click()
    page.wait_for_url(re.compile(r"/lessons/\d+$"))
    return units, int(page.url.rsplit("/", 1)[1])


def _answer_wrong(page, app, index, step):
    page.wait_for_selector(f'input[name="step"][value="{index}"]', state="attached")
    got_it(page)
    form = page.locator("form[data-exercise]")
    right = right_answer(app, step).get("answer")
    if step.choices:
        wrong = next(c for c in step.choices if c != right)
        form.locator(f'input[type=radio][value="{wrong}"]').check()
    elif step.type == "arrange_tiles" and form.locator("[data-tile-line]").count():
        for n in range(len(step.tiles)):  # every tile, distractors too: never the right sentence
            page.locator(f'[data-tile][data-key="{n + 1}"]').click()
    else:
        form.locator("input.answer-input").fill("zzz qqq")
    form.get_by_role("button", name="Check").click()


def _node_states(page, unit_id):
    return page.locator(f"section[aria-labelledby='unit-{unit_id}'] li.skill-node").evaluate_all(
        "nodes => nodes.map(n => [...n.classList].find(c => /^skill-node--(locked|available|in_progress|mastered)$/"
        ".test(c)).replace('skill-node--', ''))")


def test_jump_to_unit_2_and_pass(page, app, make_user, spanish):
    units, session_id = _jump_to_unit_2(page, app, make_user, "jo@example.com")
    assert page.locator("[data-mistakes-left='2']").is_visible()
    assert axe_violations(page) == []
    for _ in range(20):
        session = lesson_state(app, session_id)
        if session.status == "completed":
            break
        answer_right_with_the_mouse(page, app, session.position, session.steps[session.position])
        page.locator(".feedback--correct").wait_for()
        page.locator("[data-continue]").click()
    page.get_by_role("heading", name="You jumped ahead!").wait_for()
    assert axe_violations(page) == []
    page.get_by_role("link", name="Continue").click()
    page.wait_for_url(re.compile(r"/courses/"))
    assert _node_states(page, units[0][0]) == ["in_progress"] * len(units[0][1])
    unit_1 = page.locator(f"section[aria-labelledby='unit-{units[0][0]}']")
    assert unit_1.get_by_text("Level 1 of 5").count() == len(units[0][1]), "every skill of unit 1 is done"
    states = _node_states(page, units[1][0])
    assert states[0] == "available" and set(states[1:]) == {"locked"}, "unit 2 is open"
    current = page.locator("[data-current-node]")
    assert current.get_attribute("href") == f"/skills/{units[1][1][0]}"
    assert page.locator(f"section[aria-labelledby='unit-{units[1][0]}']").get_by_role(
        "button", name="Jump here?").count() == 0
    page.screenshot(path="test-artifacts/test-out-passed-phone.png")


def test_jump_to_unit_2_and_fail(page, app, make_user, spanish):
    units, session_id = _jump_to_unit_2(page, app, make_user, "kim@example.com")
    for expected_left in (1, 0):
        session = lesson_state(app, session_id)
        _answer_wrong(page, app, session.position, session.steps[session.position])
        page.locator(".feedback--wrong").wait_for()
        page.locator("[data-continue]").click()
        page.locator(f"[data-mistakes-left='{expected_left}']").wait_for()
    session = lesson_state(app, session_id)
    _answer_wrong(page, app, session.position, session.steps[session.position])
    page.locator(".feedback--wrong").wait_for()
    page.get_by_role("link", name="See your results").click()
    page.get_by_role("heading", name="Not this time").wait_for()
    assert axe_violations(page) == []
    page.get_by_role("link", name="Continue").click()
    page.wait_for_url(re.compile(r"/courses/"))
    first = _node_states(page, units[0][0])
    assert first[0] == "available" and set(first[1:]) == {"locked"}, "the map is as it was"
    assert set(_node_states(page, units[1][0])) == {"locked"}
    assert page.locator(f"section[aria-labelledby='unit-{units[1][0]}']").get_by_role(
        "button", name="Jump here?").count() == 1
