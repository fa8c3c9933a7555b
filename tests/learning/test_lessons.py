"""Lessons: a learner enrols, opens the first skill, answers step by step and finishes once."""

import re

from sqlalchemy import func, select

from puchi.core.db import db
from puchi.core.events import Event
from puchi.learning import exercises
from puchi.learning.events import LessonCompleted, SessionKind
from puchi.learning.models import Attempt, Card, Enrollment, SkillProgress
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


def _play_to_the_end(app, client, session_id, choose=right_answer):
    for _ in range(60):
        session = lesson_state(app, session_id)
        if session.status == "completed":
            return session
        step = session.steps[session.position]
        response = answer(client, session_id, session.position, choose(app, step))
        assert response.status_code == 200
    raise AssertionError("the lesson never ended")


def test_the_catalogue_lists_the_bundled_courses(learner, japanese):
    client, _ = learner
    page = client.get("/courses").text
    assert "Spanish for English speakers" in page and "Japanese for English speakers" in page
    assert "Continue" in page and "Start this course" in page


def test_enrolling_opens_the_first_skill_and_locks_the_rest(app, learner):
    client, _ = learner
    page = client.get(f"/courses/{SPANISH}").text
    assert page.count("skill-node--available") == 1
    assert page.count("skill-node--locked") >= 9
    assert "Continue: <bdi>Greetings</bdi>" in page


def test_a_learner_can_take_several_courses_with_one_active(app, learner, japanese):
    client, user = learner
    post_form(client, "/courses", {}, action=f"/courses/{japanese}/enroll")
    with app.app_context():
        active = db.session.scalars(select(Enrollment.is_active).where(Enrollment.user_id == user.id)
                                    .order_by(Enrollment.id)).all()
    assert active == [False, True]
    assert "Japanese for English speakers" in client.get("/home").text


def test_a_locked_skill_cannot_be_started(app, learner):
    client, _ = learner
    locked = first_skill_id(app, position=3)
    response = post_form(client, f"/courses/{SPANISH}", {}, action=f"/skills/{locked}/lessons")
    assert response.status_code == 403


def test_a_whole_lesson_answered_right_completes_once_with_its_event(app, learner):
    client, user = learner
    session_id = start_lesson(client, first_skill_id(app))
    session = _play_to_the_end(app, client, session_id)

    assert session.wrong_count == 0 and session.correct_count >= 8
    summary = client.get(f"/lessons/{session_id}").text
    assert "Lesson complete!" in summary and "100%" in summary
    with app.app_context():
        events = db.session.scalars(select(Event).where(Event.name == "lesson.completed")).all()
        assert len(events) == 1
        completed = LessonCompleted.from_payload(events[0].payload)
        assert completed.accuracy == 100 and completed.perfect and completed.kind is SessionKind.LESSON
        assert len(completed.items) >= 4 and completed.duration_seconds >= 0
        reviewed = db.session.scalar(select(func.count(Event.id)).where(Event.name == "item.reviewed"))
        assert reviewed == db.session.scalar(select(func.count(Attempt.id)).where(
            Attempt.exercise_type != exercises.MATCH, Attempt.item_id.is_not(None)))
        progress = db.session.scalar(select(SkillProgress).where(SkillProgress.user_id == user.id))
        assert progress.lessons_completed == 1
        assert db.session.scalar(select(func.count(Card.id)).where(Card.user_id == user.id)) == 4


def test_new_items_are_met_by_recognition_before_typing(app, learner):
    client, _ = learner
    session = lesson_state(app, start_lesson(client, first_skill_id(app)))
    first_seen: dict[int, str] = {}
    for step in session.steps:
        for item_id in step.items:
            first_seen.setdefault(item_id, step.type)
    assert set(first_seen.values()) == {exercises.CHOOSE}
    assert any(step.type == exercises.TRANSLATE for step in session.steps)


def test_the_same_item_never_comes_twice_in_a_row(app, learner):
    client, user = learner
    with app.app_context():  # relaxed mode: hearts never stop this all-wrong lesson
        from puchi.accounts.models import User

        db.session.get(User, user.id).relaxed_mode = True
        db.session.commit()
    session_id = start_lesson(client, first_skill_id(app))
    session = _play_to_the_end(app, client, session_id, choose=wrong_answer)
    for before, after in zip(session.steps, session.steps[1:], strict=False):
        assert not (before.items & after.items and not after.retry)


def test_a_wrong_answer_comes_back_later_in_the_lesson(app, learner):
    client, _ = learner
    session_id = start_lesson(client, first_skill_id(app))
    session = lesson_state(app, session_id)
    steps_before = len(session.steps)
    missed = session.steps[0]

    response = answer(client, session_id, 0, wrong_answer(app, missed))
    assert "Not quite." in response.text and "Right answer:" in response.text
    session = lesson_state(app, session_id)
    assert len(session.steps) == steps_before + 1
    assert session.steps[-1].retry and session.steps[-1].items == missed.items


def test_an_almost_right_answer_shows_the_correction_with_the_letters_marked(app, learner):
    client, _ = learner
    session_id = start_lesson(client, first_skill_id(app))
    session = lesson_state(app, session_id)
    for index, step in enumerate(session.steps):
        if step.type == exercises.TRANSLATE and len(right_answer(app, step)["answer"]) >= 5:
            break
        answer(client, session_id, index, right_answer(app, step))
    else:
        raise AssertionError("the first lesson has no typed answer of five letters or more")
    expected = right_answer(app, step)["answer"]
    typo = expected + expected[-1]  # one letter too many

    response = answer(client, session_id, index, {"answer": typo})
    assert "Almost! You have a typo:" in response.text
    assert "<mark>" in response.text
    assert lesson_state(app, session_id).almost_count == 1


def test_answering_the_same_step_twice_counts_once(app, learner):
    client, _ = learner
    session_id = start_lesson(client, first_skill_id(app))
    step = lesson_state(app, session_id).steps[0]
    first = answer(client, session_id, 0, right_answer(app, step))
    again = answer(client, session_id, 0, wrong_answer(app, step))  # a double click or a retried request

    assert "Correct!" in first.text and "Correct!" in again.text
    session = lesson_state(app, session_id)
    assert (session.position, session.correct_count, session.wrong_count) == (1, 1, 0)
    with app.app_context():
        assert db.session.scalar(select(func.count(Attempt.id))) == 1


def test_an_answer_for_a_step_not_yet_shown_is_ignored(app, learner):
    client, _ = learner
    session_id = start_lesson(client, first_skill_id(app))
    response = answer(client, session_id, 5, {"answer": "x"})
    assert response.status_code == 302
    assert lesson_state(app, session_id).position == 0


def test_a_lesson_left_half_way_is_resumed_where_it_was(app, learner):
    client, _ = learner
    skill_id = first_skill_id(app)
    session_id = start_lesson(client, skill_id)
    for index in range(3):
        answer(client, session_id, index, right_answer(app, lesson_state(app, session_id).steps[index]))

    assert start_lesson(client, skill_id) == session_id
    page = client.get(f"/lessons/{session_id}").text
    assert 'name="step" value="3"' in page


def test_another_learner_cannot_see_or_answer_my_lesson(app, learner, logged_in):
    client, _ = learner
    session_id = start_lesson(client, first_skill_id(app))
    stranger, _ = logged_in()
    assert stranger.get(f"/lessons/{session_id}").status_code == 404
    response = post_form(stranger, "/home", {"step": "0", "answer": "x"}, action=f"/lessons/{session_id}/answer")
    assert response.status_code == 404


def test_every_answer_is_stored_with_its_verdict_and_time(app, learner):
    client, _ = learner
    session_id = start_lesson(client, first_skill_id(app))
    step = lesson_state(app, session_id).steps[0]
    answer(client, session_id, 0, {**right_answer(app, step), "duration_ms": "2345"})
    with app.app_context():
        attempt = db.session.scalar(select(Attempt))
        assert (attempt.verdict, attempt.duration_ms, attempt.exercise_type) == ("correct", 2345, step.type)


def test_finishing_the_lessons_of_a_skill_opens_the_next_one(app, learner):
    client, _ = learner
    skill_id = first_skill_id(app)
    for _ in range(5):
        page = client.get(f"/courses/{SPANISH}").text
        if page.count("skill-node--available") == 1 and "skill-node--in_progress" in page:
            break
        _play_to_the_end(app, client, start_lesson(client, skill_id))
    page = client.get(f"/courses/{SPANISH}").text
    assert "skill-node--in_progress" in page
    assert "skill-node--available" in page  # the second skill
    assert re.search(r"Level 1 of 5", page)


def test_practice_reviews_what_was_learned(app, learner):
    client, _ = learner
    _play_to_the_end(app, client, start_lesson(client, first_skill_id(app)))
    response = post_form(client, f"/courses/{SPANISH}", {}, action=f"/courses/{SPANISH}/practice")
    assert response.status_code == 302
    session_id = int(re.search(r"/lessons/(\d+)", response.headers["Location"]).group(1))
    session = lesson_state(app, session_id)
    assert session.kind == "practice" and session.skill_id is None
    with app.app_context():
        learned = set(db.session.scalars(select(Card.item_id)))
    assert set().union(*(s.items for s in session.steps)) <= learned


def test_practice_before_any_lesson_explains_there_is_nothing_yet(learner):
    client, _ = learner
    response = post_form(client, f"/courses/{SPANISH}", {}, action=f"/courses/{SPANISH}/practice")
    assert "nothing_to_practise=1" in response.headers["Location"]
    assert "Finish a lesson first" in client.get(response.headers["Location"]).text


def test_the_exercise_is_swapped_in_place_for_htmx(app, learner, htmx):
    client, _ = learner
    session_id = start_lesson(client, first_skill_id(app))
    fragment = client.get(f"/lessons/{session_id}", headers={"HX-Request": "true"})
    assert fragment.text.lstrip().startswith('<section id="exercise"')
    assert "HX-Request" in fragment.headers["Vary"]
