"""The placement test: a short adaptive quiz that marks the skills before the learner's level as passed, records
one event, and makes no FSRS cards (see puchi/learning/placement.py for why)."""

import re

from sqlalchemy import func, select

from puchi.core.db import db
from puchi.core.events import Event
from puchi.learning import placement
from puchi.learning.models import Card, Item, Skill, SkillProgress
from tests.conftest import post_form

ITEM_RE = re.compile(r'name="item" value="(\d+)"')


def _take(app, client, slug, knows_first: int | None):
    """Answer the test as a learner who knows the first ``knows_first`` skills (None: knows everything)."""
    assert post_form(client, f"/courses/{slug}/placement", {}).status_code == 302
    for asked in range(1, placement.MAX_QUESTIONS + 2):
        page = client.get(f"/courses/{slug}/placement")
        assert page.status_code == 200
        match = ITEM_RE.search(page.text)
        if match is None:
            raise AssertionError("no question and no result")
        item_id = int(match.group(1))
        with app.app_context():
            item = db.session.get(Item, item_id)
            order = db.session.scalars(select(Skill.id).where(Skill.course_id == item.course_id)
                                       .order_by(Skill.path_position, Skill.id))
            skill_index = list(order).index(item.skill_id)
        if knows_first is None or skill_index < knows_first:
            data = {"item": str(item_id), "answer": item.translation}
        else:
            data = {"item": str(item_id), "skip": "1"}
        response = client.post(f"/courses/{slug}/placement/answer", data={"csrf_token": _csrf(page.text), **data})
        assert response.status_code == 302
        if "/placement" not in response.headers["Location"]:
            return asked, response
    raise AssertionError("the test never ended")


def _csrf(text: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', text).group(1)


def _passed(app, user_id) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(select(SkillProgress.skill_id).where(SkillProgress.user_id == user_id,
                                                                         SkillProgress.level >= 1)))


def test_a_learner_who_knows_the_first_skills_is_placed_after_them_in_a_few_questions(app, learner, spanish):
    client, user = learner
    with app.app_context():
        skills = list(db.session.scalars(select(Skill.id).where(Skill.course_id == _course_id(spanish))
                                         .order_by(Skill.path_position, Skill.id)))
    known = len(skills) // 2
    asked, done = _take(app, client, spanish, knows_first=known)
    assert asked <= placement.MAX_QUESTIONS
    assert done.headers["Location"] == f"/courses/{spanish}"
    assert "You placed past" in client.get(f"/courses/{spanish}").text
    passed = _passed(app, user.id)
    # Two right answers in a row per probe: the boundary found is at or just below the truth, never above.
    assert set(passed) <= set(skills[:known]) and len(passed) >= known - 2
    assert skills[0] in passed
    with app.app_context():
        assert db.session.scalar(select(func.count(Card.id)).where(Card.user_id == user.id)) == 0
        event = db.session.scalar(select(Event).where(Event.name == "course.placement_completed"))
        assert event.actor_id == user.id and event.payload["skills_placed"] == len(passed)
    # The path opens after the passed skills and "continue" leads to the first one not passed.
    next_skill = skills[len(passed)]
    assert client.get("/continue").headers["Location"] == f"/skills/{next_skill}"
    assert client.get(f"/skills/{next_skill}").status_code == 200


def test_a_beginner_is_placed_at_the_start_quickly(app, learner, spanish):
    client, user = learner
    asked, _ = _take(app, client, spanish, knows_first=0)
    assert asked <= 6
    assert _passed(app, user.id) == []
    assert "start from the beginning" in client.get(f"/courses/{spanish}").text


def test_an_answer_to_another_question_does_not_count(app, learner, spanish):
    client, _user = learner
    post_form(client, f"/courses/{spanish}/placement", {})
    page = client.get(f"/courses/{spanish}/placement")
    item_id = int(ITEM_RE.search(page.text).group(1))
    stale = client.post(f"/courses/{spanish}/placement/answer",
                        data={"csrf_token": _csrf(page.text), "item": str(item_id + 100000), "answer": "x"})
    assert stale.status_code == 302
    again = client.get(f"/courses/{spanish}/placement")
    assert f'name="item" value="{item_id}"' in again.text
    empty = client.post(f"/courses/{spanish}/placement/answer",
                        data={"csrf_token": _csrf(page.text), "item": str(item_id)})
    assert empty.status_code == 422 and "I don't know" in empty.text


def test_the_placement_test_needs_the_course_started(app, logged_in, spanish):
    client, _user = logged_in()
    response = post_form(client, "/courses", {}, action=f"/courses/{spanish}/placement")
    assert response.status_code == 302 and response.headers["Location"] == f"/courses/{spanish}"
    assert 'name="item"' not in client.get(f"/courses/{spanish}/placement").text


def _course_id(slug):
    from puchi.learning.models import Course

    return db.session.scalar(select(Course.id).where(Course.slug == slug))
