"""Lessons grade with what the course knows: its words on both sides and the kanji/kana spellings it gives."""

from sqlalchemy import select

from puchi.core.db import db
from puchi.learning import exercises, lexicon
from puchi.learning.course_import import import_course
from puchi.learning.models import Course, Item
from puchi.learning.steps import Direction
from tests.learning.conftest import (
    JAPANESE,
    SPANISH,
    answer,
    course_data,
    first_skill_id,
    lesson_state,
    right_answer,
    start_lesson,
)


def _course(slug: str) -> Course:
    return db.session.scalar(select(Course).where(Course.slug == slug))


def _item(course: Course, text: str) -> Item:
    return db.session.scalar(select(Item).where(Item.course_id == course.id, Item.text == text))


def test_the_course_lexicon_holds_its_words_on_both_sides_and_its_dictionary(app, spanish):
    with app.app_context():
        words = lexicon.for_course(_course(SPANISH))
        assert {"hombre", "hambre", "hermano", "hermana", "madre"} <= words.target_words
        assert {"mother", "father", "man", "woman"} <= words.source_words
        assert "mum" in words.source_words  # only in the mini-dictionary and as an alternative
        assert words.spellings == ()  # Spanish has no kanji


def test_a_slip_onto_another_word_of_the_course_is_wrong_and_names_the_word(app, spanish):
    with app.app_context():
        course = _course(SPANISH)
        item = _item(course, "Tengo hambre.")
        step = exercises.translate_step(item, Direction.TO_TARGET)
        expectation = exercises.expectation(step, item, course, lexicon.for_course(course))
        verdict = expectation.grade("tengo hombre")
        assert (verdict.result, verdict.mistake, verdict.focus) == ("wrong", "other_word", "hambre")
        assert expectation.grade("tengo hambe").result == "almost"  # not a word of the course: a typo
        assert "hombre" in expectation.key()["known"]


def test_kanji_stand_for_kana_where_the_japanese_course_gives_both(app, japanese):
    with app.app_context():
        course = _course(JAPANESE)
        words = lexicon.for_course(course)
        assert ("私", "わたし") in words.spellings and ("学生", "がくせい") in words.spellings
        item = _item(course, "わたしはがくせいです。")
        step = exercises.translate_step(item, Direction.TO_TARGET)
        expectation = exercises.expectation(step, item, course, words)
        assert expectation.grade("私は学生です").result == "correct"
        assert expectation.grade("watashi wa gakusee desu").result == "almost"  # romaji: compared by words
        assert exercises.expectation(step, item, course).grade("私は学生です").result == "wrong"  # no lexicon


def test_a_reimport_that_changes_the_course_rebuilds_its_lexicon(app, spanish):
    with app.app_context():
        before = lexicon.for_course(_course(SPANISH))
        assert "sombrero" not in before.target_words
        data = course_data(SPANISH)
        data.units[0].skills[0].dictionary["target"]["sombrero"] = ["hat"]
        import_course(data)
        assert "sombrero" in lexicon.for_course(_course(SPANISH)).target_words


def test_a_swapped_ending_in_a_lesson_is_wrong_and_the_feedback_says_which_ending_to_check(app, learner):
    client, _ = learner
    session_id = start_lesson(client, first_skill_id(app))
    for index, step in enumerate(lesson_state(app, session_id).steps):
        right = right_answer(app, step).get("answer", "")
        if step.type == exercises.TRANSLATE and right.rstrip(".!?").split()[-1:] and \
                not right.rstrip(".!?").endswith("s"):
            break
        answer(client, session_id, index, right_answer(app, step))
    else:
        raise AssertionError("the first lesson has no typed answer to put in the plural")
    last_word = right.rstrip(".!?").split()[-1]

    response = answer(client, session_id, index, {"answer": right.rstrip(".!?") + "s"})  # one ending too many
    assert "Not quite." in response.text
    assert "Check the ending:" in response.text
    assert f">{last_word}</strong>" in response.text  # as the right answer writes it
    assert f"<mark>{last_word}" in response.text  # the word is marked in the right answer
    assert lesson_state(app, session_id).wrong_count == 1
