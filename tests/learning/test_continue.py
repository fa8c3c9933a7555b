""""Continue learning" always leads somewhere new: to the next skill with words not yet met, and lessons on a
skill whose words are all met go round all of them rather than the same few again and again."""

import re

from sqlalchemy import select

from puchi.core.db import db
from puchi.learning.models import Card, Skill
from tests.learning.conftest import answer, first_skill_id, lesson_state, right_answer, start_lesson


def _play(app, client, session_id):
    for _ in range(80):
        session = lesson_state(app, session_id)
        if session.status == "completed":
            return session
        step = session.steps[session.position]
        assert answer(client, session_id, session.position, right_answer(app, step)).status_code == 200
    raise AssertionError("the lesson never ended")


def _met(app, user_id) -> set[int]:
    with app.app_context():
        return set(db.session.scalars(select(Card.item_id).where(Card.user_id == user_id)))


def _play_until_every_word_is_met(app, client, user_id, skill_id, size) -> None:
    for _ in range(size):  # every lesson meets at least one new word, so never more lessons than words
        if len(_met(app, user_id)) >= size:
            return
        _play(app, client, start_lesson(client, skill_id))
    assert len(_met(app, user_id)) >= size, "lessons stopped bringing new words"


def _continue_skill(client) -> int:
    response = client.get("/continue")
    assert response.status_code == 302
    return int(re.search(r"/skills/(\d+)", response.headers["Location"]).group(1))


def test_every_lesson_continue_leads_to_brings_new_words_and_then_moves_to_the_next_skill(app, learner):
    client, user = learner
    first = first_skill_id(app)
    with app.app_context():
        first_size = db.session.get(Skill, first).item_count
    skills_visited = []
    for _ in range(first_size // 4 + 3):  # the first skill's lessons, then a few of the next
        skill_id = _continue_skill(client)
        skills_visited.append(skill_id)
        before = _met(app, user.id)
        _play(app, client, start_lesson(client, skill_id))
        assert _met(app, user.id) - before, f"a lesson of skill {skill_id} brought no new word"
    assert skills_visited[0] == first
    assert len(set(skills_visited)) >= 2, "continue never left the first skill"
    with app.app_context():
        first_items = set(db.session.scalars(select(Card.item_id).where(Card.skill_id == first,
                                                                        Card.user_id == user.id)))
    assert len(first_items) == first_size  # it moved on only once every word of the first skill was met
    assert skills_visited.index(skills_visited[-1]) > 0


def test_the_home_button_names_the_skill_continue_leads_to(app, learner):
    client, _ = learner
    first = first_skill_id(app)
    second = first_skill_id(app, position=1)
    with app.app_context():
        size = db.session.get(Skill, first).item_count
        second_title = db.session.get(Skill, second).title
    _play_until_every_word_is_met(app, client, learner[1].id, first, size)
    assert _continue_skill(client) == second
    assert f"Continue learning: <bdi>{second_title}</bdi>" in client.get("/home").text


def test_lessons_on_a_skill_already_met_go_round_its_words(app, learner):
    client, user = learner
    first = first_skill_id(app)
    with app.app_context():
        size = db.session.get(Skill, first).item_count
    _play_until_every_word_is_met(app, client, user.id, first, size)
    seen: list[set[int]] = []
    for _ in range(3):
        session = _play(app, client, start_lesson(client, first))
        seen.append({s.item_id for s in session.steps if s.item_id and not s.retry})
    # Each lesson practises words the one before did not, and together they cover most of the skill.
    assert seen[1] - seen[0] and seen[2] - seen[1]
    assert len(seen[0] | seen[1] | seen[2]) >= min(size, 12)
