"""Pages cost a fixed number of SQL queries, however big the course: 10 skills or 1 000."""

from contextlib import contextmanager

import pytest
from sqlalchemy import event

from puchi.core.db import db
from puchi.learning.course_format import CourseData, ItemData, SkillData, UnitData
from puchi.learning.course_import import import_course
from tests.conftest import csrf_token, post_form
from tests.learning.conftest import answer, first_skill_id, lesson_state, right_answer, start_lesson


def _course(skills: int) -> CourseData:
    units = []
    for u in range(max(1, skills // 50)):
        unit = UnitData(slug=f"unit-{u}", title=f"Unit {u}")
        units.append(unit)
    for s in range(skills):
        unit = units[s % len(units)]
        unit.skills.append(SkillData(slug=f"skill-{s}", title=f"Skill {s}", file_name=f"skill-{s}.yaml", items=[
            ItemData(kind="word", text=f"palabra{s}x{i}", translation=f"word{s}x{i}") for i in range(5)]))
    return CourseData(slug="big", title="Big course", description="", target_language="es",
                      target_language_name="Spanish", source_language="en", source_language_name="English",
                      units=units)


@contextmanager
def counting_queries(app):
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _queries_for(app, logged_in, skills: int) -> dict[str, int]:
    with app.app_context():
        import_course(_course(skills))
    client, _ = logged_in()
    post_form(client, "/courses", {}, action="/courses/big/enroll")
    session_id = start_lesson(client, first_skill_id(app, "big"))
    for index in range(3):  # some progress, so cards exist
        answer(client, session_id, index, right_answer(app, lesson_state(app, session_id).steps[index]))

    pages = {"course map": "/courses/big", "lesson step": f"/lessons/{session_id}", "home": "/home",
             "catalogue": "/courses"}
    counts = {}
    for name, url in pages.items():
        client.get(url)  # warm caches the first request fills (the session's user, babel)
        with counting_queries(app) as statements:
            assert client.get(url, headers={"HX-Request": "true"} if "lesson" in name else {}).status_code == 200
        counts[name] = len(statements)
    step = lesson_state(app, session_id).steps[3]
    token = csrf_token(client, f"/lessons/{session_id}")
    with counting_queries(app) as statements:
        client.post(f"/lessons/{session_id}/answer", data={"csrf_token": token, "step": "3",
                                                           **right_answer(app, step)})
    counts["answer submit"] = len(statements)
    return counts


@pytest.mark.parametrize("size", [1_000])
def test_query_counts_do_not_grow_with_the_course(app, logged_in, size):
    small = _queries_for(app, logged_in, 10)
    with app.app_context():
        from sqlalchemy import text

        db.session.execute(text("DELETE FROM courses"))
        db.session.commit()
    large = _queries_for(app, logged_in, size)
    assert small == large, f"10 skills: {small}; {size} skills: {large}"
    assert all(count <= 15 for name, count in large.items() if name != "answer submit"), str(large)
    # An answer writes the attempt, the item's daily rollup (staff analytics), the card and its review's rating,
    # the event and the session, then renders the next step: a fixed number, whatever the course's size.
    assert large["answer submit"] <= 28, str(large)
