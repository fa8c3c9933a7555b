"""Lesson steps are typed: a frozen dataclass stored as the same JSON lessons always had, and one step view that
decides what the page shows (which language the prompt and the answer are in) for the server and the grader."""

import json

import pytest
from sqlalchemy import select, text

from puchi.core.db import db
from puchi.learning import exercises, lessons
from puchi.learning.grading import Verdict, grade
from puchi.learning.models import Course, Item, LessonSession
from puchi.learning.steps import Direction, ExerciseType, Step
from tests.learning.conftest import first_skill_id, start_lesson

# Steps as lessons stored them before steps were a dataclass (one of each type, with the flags they can carry).
STORED = [
    {"type": "choose_translation", "item_id": 3, "direction": "to_source", "prompt": "el gato",
     "choices": ["the dog", "the cat", "water", "a house"]},
    {"type": "translate", "item_id": 3, "direction": "to_target", "prompt": "the cat", "review": True, "due": False},
    {"type": "arrange_tiles", "item_id": 9, "direction": "to_target", "prompt": "I eat an apple",
     "tiles": ["リンゴ", "を", "食べます", "水"], "joiner": ""},
    {"type": "listen_type", "item_id": 3, "direction": "to_target", "say": "el gato", "retry": True},
    {"type": "speak", "item_id": 9, "direction": "to_target", "prompt": "Como una manzana"},
    {"type": "match_pairs", "item_id": None, "item_ids": [1, 2, 3, 4], "left": ["uno", "dos", "tres", "cuatro"],
     "right": ["three", "one", "four", "two"]},
    {"type": "fill_blank", "item_id": None, "sentence": "Yo ___ agua", "answer": "bebo", "choices": ["como", "bebo"],
     "translation": "I drink water", "review": True, "due": True, "retry": True},
    {"type": "fill_blank", "item_id": 9, "sentence": "Como una ___", "answer": "manzana", "choices": [],
     "translation": "I eat an apple"},
]


@pytest.mark.parametrize("stored", STORED, ids=[f"{s['type']}-{n}" for n, s in enumerate(STORED)])
def test_a_stored_step_loads_as_a_step_and_is_stored_again_exactly_as_it_was(stored):
    step = Step.from_dict(json.loads(json.dumps(stored)))
    assert isinstance(step.type, ExerciseType) and step.to_dict() == stored


def test_a_step_knows_its_items_and_the_side_its_prompt_and_answer_are_on():
    choose, translate, _tiles, listen, speak, match, fill, _ = (Step.from_dict(s) for s in STORED)
    assert choose.items == {3} and match.items == {1, 2, 3, 4} and fill.items == frozenset()
    assert (choose.prompt_side, choose.answer_side) == ("target", "source")
    assert (translate.prompt_side, translate.answer_side) == ("source", "target")
    assert (speak.prompt_side, speak.answer_side) == ("target", "target")
    assert listen.answer_side == fill.answer_side == "target" and match.answer_side == "source"
    assert listen.skippable and speak.skippable and not translate.skippable


def test_a_lesson_keeps_its_steps_as_plain_json(app, learner):
    client, _ = learner
    session_id = start_lesson(client, first_skill_id(app))
    with app.app_context():
        raw = db.session.execute(text("SELECT steps FROM lesson_sessions WHERE id = :id"), {"id": session_id}).scalar()
        stored = json.loads(raw) if isinstance(raw, str) else raw
        steps = db.session.get(LessonSession, session_id).steps
    assert stored == [step.to_dict() for step in steps] and all(isinstance(step, Step) for step in steps)
    assert {step["type"] for step in stored} >= {"choose_translation", "translate"}


def test_the_page_and_the_grader_agree_on_the_language_of_every_answer(app, learner):
    client, _ = learner
    session_id = start_lesson(client, first_skill_id(app))
    with app.app_context():
        session = db.session.get(LessonSession, session_id)
        course = db.session.get(Course, session.course_id)
        items = {i.id: i for i in db.session.scalars(select(Item).where(Item.course_id == course.id))}
        checked = 0
        for index, step in enumerate(session.steps):
            view = lessons.step_view(session, index=index)
            assert view.step == step and view.index == index and view.done_steps == index
            if step.type is ExerciseType.MATCH:
                continue
            expected = exercises.expectation(step, items.get(step.item_id or 0), course)
            assert view.answer_language == expected.language, step
            translating_into_target = step.direction is Direction.TO_TARGET and step.type is not ExerciseType.SPEAK
            assert view.prompt_language == (course.source_language if translating_into_target
                                            else course.target_language), step
            checked += 1
        assert checked >= 8
        after = lessons.step_view(session, index=len(session.steps))
        assert after.step is None and after.done_steps == after.total_steps == len(session.steps)


def test_grades_are_verdicts():
    assert grade("café", ["café"], "es").result is Verdict.CORRECT
    assert grade("cafe", ["café"], "es").result is Verdict.ALMOST
    assert grade("té", ["café"], "es").result is Verdict.WRONG
