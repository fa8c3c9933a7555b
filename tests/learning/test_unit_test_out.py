""""Jump here": a unit's test-out. Passing marks every skill before the unit passed (the unit opens), rates the
items it asked (right: Easy), records an event and counts as a lesson; failing changes nothing but the attempts."""

import re

from sqlalchemy import func, select

from puchi.core.db import db
from puchi.core.events import Event
from puchi.learning.models import Attempt, Card, Course, Item, LessonSession, Skill, SkillProgress, Unit
from puchi.progress import services as progress
from puchi.progress.models import XpEntry
from tests.conftest import post_form
from tests.learning.conftest import SPANISH, answer, lesson_state, right_answer, wrong_answer


def _units(app):
    """(unit id, [skill ids in path order]) of the Spanish course, in order."""
    with app.app_context():
        units = db.session.scalars(select(Unit).join(Course).where(Course.slug == SPANISH)
                                   .order_by(Unit.position)).all()
        return [(u.id, list(db.session.scalars(select(Skill.id).where(Skill.unit_id == u.id)
                                               .order_by(Skill.path_position)))) for u in units]


def _start(client, unit_id):
    response = post_form(client, f"/courses/{SPANISH}", {}, action=f"/units/{unit_id}/test-out")
    assert response.status_code == 302, response.text[:300]
    match = re.search(r"/lessons/(\d+)$", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def _play(app, client, session_id, wrong_at=frozenset()):
    for _ in range(40):
        session = lesson_state(app, session_id)
        if session.status == "completed":
            return session
        step = session.steps[session.position]
        data = wrong_answer(app, step) if session.position in wrong_at else right_answer(app, step)
        assert answer(client, session_id, session.position, data).status_code == 200
    raise AssertionError("the test never ended")


def _states(client):
    page = client.get(f"/courses/{SPANISH}").text
    return re.findall(r'skill-node skill-node--(\w+)', page)


def test_the_map_offers_a_jump_at_each_locked_unit_but_the_first(app, learner):
    client, _ = learner
    page = client.get(f"/courses/{SPANISH}").text
    units = _units(app)
    assert f"/units/{units[0][0]}/test-out" not in page
    for unit_id, _skills in units[1:]:
        assert f'action="/units/{unit_id}/test-out"' in page
    assert page.count("Jump here?") == len(units) - 1


def test_the_test_asks_only_about_the_skills_before_the_unit(app, learner):
    client, _ = learner
    units = _units(app)
    session_id = _start(client, units[1][0])
    session = lesson_state(app, session_id)
    assert session.kind == "test_out" and session.skill_id == units[1][1][0]
    with app.app_context():
        skills = {db.session.get(Item, i).skill_id for step in session.steps for i in step.items}
    assert skills <= set(units[0][1]) and len(skills) == len(units[0][1]), "every skill of unit 1 is asked"
    asked = [step.item_id for step in session.steps]
    assert len(asked) == len(set(asked)) and 0 < len(asked) <= 12
    assert _start(client, units[1][0]) == session_id, "starting again resumes the same test"
    page = client.get(f"/lessons/{session_id}").text
    assert "Jump ahead test" in page and "2 mistakes left" in page


def test_passing_opens_the_unit_through_one_transaction(app, learner):
    client, user = learner
    units = _units(app)
    with app.app_context():
        hearts = progress.profile_for(user.id).hearts
    session_id = _start(client, units[1][0])
    session = _play(app, client, session_id, wrong_at={1, 3})  # two mistakes are allowed
    assert session.wrong_count == 2
    page = client.get(f"/lessons/{session_id}").text
    assert "You jumped ahead!" in page

    states = _states(client)
    first_unit = len(units[0][1])
    assert all(state == "in_progress" for state in states[:first_unit]), states
    assert states[first_unit] == "available" and states[first_unit + 1] == "locked"
    with app.app_context():
        levels = db.session.scalars(select(SkillProgress.level).where(SkillProgress.user_id == user.id)).all()
        assert sorted(levels) == [1] * first_unit
        event = db.session.scalar(select(Event).where(Event.name == "unit.tested_out"))
        assert event.actor_id == user.id and event.subject_id == units[1][0]
        assert sorted(event.payload["skills_passed"]) == sorted(units[0][1]) and event.payload["mistakes"] == 2
        # Easy for every item answered right, Again for the two answered wrong; each card reviewed once.
        ratings = dict(db.session.execute(select(Attempt.step_index, Attempt.rating)
                                          .where(Attempt.session_id == session_id)).all())
        assert ratings[1] == ratings[3] == 1 and {r for i, r in ratings.items() if i not in {1, 3}} == {4}
        cards = db.session.scalars(select(Card).where(Card.user_id == user.id)).all()
        assert len(cards) == len(session.steps) and all(c.reviews == 1 for c in cards)
        # counted as a lesson done (XP), and no heart spent on the mistakes
        assert db.session.scalar(select(XpEntry.reason).where(XpEntry.source == f"lesson_session:{session_id}")) \
            == "test_out"
        assert progress.profile_for(user.id).hearts == hearts
    # the unit is open now: no jump offered there, and its first skill starts
    page = client.get(f"/courses/{SPANISH}").text
    assert f'/units/{units[1][0]}/test-out' not in page and f'/units/{units[2][0]}/test-out' in page
    continue_form = re.search(r'<form method="post" action="(/skills/\d+/lessons)">', page).group(1)
    assert continue_form == f"/skills/{units[1][1][0]}/lessons", "Continue leads into the unit jumped to"
    assert post_form(client, f"/skills/{units[1][1][0]}", {},
                     action=f"/skills/{units[1][1][0]}/lessons").status_code == 302


def test_failing_changes_nothing_but_the_attempts(app, learner):
    client, user = learner
    units = _units(app)
    before = _states(client)
    session_id = _start(client, units[2][0])
    session = _play(app, client, session_id, wrong_at={0, 1, 2})
    assert session.position == 3, "the third mistake ends the test at once"
    assert "Not this time" in client.get(f"/lessons/{session_id}").text
    assert _states(client) == before
    with app.app_context():
        assert db.session.scalar(select(func.count(SkillProgress.id)).where(SkillProgress.user_id == user.id)) == 0
        assert db.session.scalar(select(func.count(Card.id)).where(Card.user_id == user.id)) == 0
        assert db.session.scalar(select(func.count(Event.id)).where(
            Event.name.in_(["unit.tested_out", "lesson.completed"]))) == 0
        assert db.session.scalar(select(func.count(XpEntry.id)).where(XpEntry.user_id == user.id)) == 0
        assert db.session.scalar(select(func.count(Attempt.id)).where(Attempt.session_id == session_id)) == 3
        assert progress.profile_for(user.id).hearts == 5
    # and another try is a new test
    assert _start(client, units[2][0]) != session_id


def test_an_open_unit_or_the_first_has_nothing_to_jump(app, learner):
    client, _ = learner
    units = _units(app)
    for unit_id in (units[0][0],):
        response = post_form(client, f"/courses/{SPANISH}", {}, action=f"/units/{unit_id}/test-out")
        assert response.status_code == 302 and response.headers["Location"].endswith(f"/courses/{SPANISH}")
    with app.app_context():
        assert db.session.scalar(select(func.count(LessonSession.id))) == 0


def test_learners_not_in_the_course_cannot_jump(app, logged_in, spanish):
    client, _ = logged_in(email="zoe@example.com")
    units = _units(app)
    response = post_form(client, "/courses", {}, action=f"/units/{units[1][0]}/test-out")
    assert response.status_code == 404
    assert post_form(client, "/courses", {}, action="/units/999999/test-out").status_code == 404

