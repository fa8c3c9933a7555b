"""The content studio's rules: drafts learners do not see, the importer's validator, publishing through the
importer (progress kept, sessions unbroken), the diff, the events, and the preview built from the draft."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from puchi.core.db import action, db
from puchi.core.errors import Conflict, Forbidden, Invalid
from puchi.core.events import Event
from puchi.learning import services, studio
from puchi.learning.course_format import CourseData, CourseFormatError, ItemData, SkillData, UnitData, validate
from puchi.learning.course_import import import_course
from puchi.learning.grading import Verdict
from puchi.learning.models import Attempt, Card, Course, CourseDraft, Item, LessonSession, Skill
from tests.accounts.mfa_support import enrol_totp
from tests.learning.conftest import SPANISH, answer, first_skill_id, lesson_state, start_lesson

PHRASE = "¡Hola! ¿Qué tal?"


def _ids(app):
    with app.app_context():
        course_id = db.session.scalar(select(Course.id).where(Course.slug == SPANISH))
        return course_id


def _index(app, course_id, slug, text):
    with app.app_context():
        data = services.studio_course(_editor_of(app), course_id).data
        skill = next(s for u in data.units for s in u.skills if s.slug == slug)
        return next(n for n, i in enumerate(skill.items) if i.text == text)


_editors: dict[int, object] = {}


def _editor_of(app):
    return _editors[id(app)]


@pytest.fixture
def editor(app, make_user):
    user = make_user(email="editor@example.com", role="editor")
    enrol_totp(app, user.id)  # staff need a second factor
    _editors[id(app)] = user
    return user


def _fix(app, editor, course_id, new_text="¡Hola! ¿Qué tal hoy?"):
    index = _index(app, course_id, "greetings", PHRASE)
    with app.app_context():
        services.save_item(editor, course_id, "greetings", index,
                           services.ItemInput(text=new_text, translation="Hi! How are you today?"))
    return index


def test_an_edit_makes_a_draft_that_learners_do_not_see(app, spanish, editor):
    course_id = _ids(app)
    _fix(app, editor, course_id)
    with app.app_context():
        assert db.session.scalar(select(func.count(Item.id)).where(Item.text == PHRASE)) == 1  # published: unchanged
        draft = db.session.scalar(select(CourseDraft).where(CourseDraft.course_id == course_id))
        assert draft is not None and draft.updated_by_id == editor.id and draft.base_version == 1
        state = services.studio_course(editor, course_id)
        texts = [i.text for u in state.data.units for s in u.skills for i in s.items]
        assert "¡Hola! ¿Qué tal hoy?" in texts and PHRASE not in texts
        edited = db.session.scalars(select(Event).where(Event.name == "course.draft_edited")).all()
        assert [(e.actor_id, e.subject_type, e.subject_id, e.payload["change"]) for e in edited] == [
            (editor.id, "course", course_id, "item.saved")]


def test_an_edit_that_breaks_a_rule_is_refused_by_the_importers_validator(app, spanish, editor):
    course_id = _ids(app)
    index = _index(app, course_id, "greetings", PHRASE)
    with app.app_context():
        with pytest.raises(Invalid) as refused:
            services.save_item(editor, course_id, "greetings", index, services.ItemInput(text=PHRASE, translation=" "))
        assert "has no Translation:" in refused.value.fields["translation"][0]
        with pytest.raises(Invalid) as duplicate:
            services.save_item(editor, course_id, "greetings", None,
                               services.ItemInput(text=PHRASE, translation="x", kind="phrase"))
        assert "text" in duplicate.value.fields
        assert db.session.scalar(select(func.count(CourseDraft.id))) == 0


def test_the_validator_is_the_importers(app):
    data = CourseData(slug="x", title="X", description="", target_language="es", target_language_name="Spanish",
                      source_language="en", source_language_name="English",
                      units=[UnitData(slug="u", title="U", skills=[SkillData(slug="s", title="S", file_name="s.yaml",
                                                                             items=[ItemData("word", "hola", "")])])])
    with app.app_context():
        problems = validate(data)
        assert [(p.file, p.where) for p in problems] == [("u/skills/s.yaml", "skill:s:item:0:translation")]
        with pytest.raises(CourseFormatError):
            import_course(data)


def test_learners_cannot_use_the_studio(app, spanish, make_user):
    learner = make_user()
    with app.app_context():
        with pytest.raises(Forbidden):
            services.studio_courses(learner)
        with pytest.raises(Forbidden):
            services.save_course(learner, _ids(app), "Hacked", "")


def test_publish_shows_the_diff_then_applies_it_keeping_progress(app, spanish, editor, make_user):
    course_id = _ids(app)
    learner = make_user()
    with app.app_context(), action():
        item = db.session.scalar(select(Item).where(Item.text == PHRASE))
        from puchi.core.db import now
        from puchi.learning import scheduler
        db.session.add(scheduler.new_card(learner.id, item, now()))
        item_id = item.id
    _fix(app, editor, course_id)
    with app.app_context():
        plan = services.publish_plan(editor, course_id)
        assert not plan.problems
        assert [(c.kind, c.what, c.label) for c in plan.changes] == [("changed", "phrase", "¡Hola! ¿Qué tal hoy?")]
        assert PHRASE in plan.changes[0].detail
        with pytest.raises(Conflict):
            services.publish_draft(editor, course_id, "1:stale")
        services.publish_draft(editor, course_id, plan.stamp)
        fixed = db.session.get(Item, item_id)
        assert fixed.text == "¡Hola! ¿Qué tal hoy?"  # the same row: the learner's card is still on it
        assert db.session.scalar(select(func.count(Card.id)).where(Card.item_id == item_id)) == 1
        assert db.session.scalar(select(Course.version).where(Course.id == course_id)) == 2
        assert db.session.scalar(select(func.count(CourseDraft.id))) == 0
        published = db.session.scalar(select(Event).where(Event.name == "course.published"))
        assert (published.actor_id, published.subject_id, published.payload["course_version"]) == (
            editor.id, course_id, 2)


def test_a_lesson_begun_before_a_publish_can_be_finished(app, learner, editor):
    client, user = learner
    with app.app_context(), action():  # relaxed mode: hearts never stop this all-wrong lesson
        from puchi.accounts.models import User

        db.session.get(User, user.id).relaxed_mode = True
    course_id = _ids(app)
    session_id = start_lesson(client, first_skill_id(app))
    session = lesson_state(app, session_id)
    item_ids = [s.item_id for s in session.steps if s.item_id]
    with app.app_context():
        removed, edited = db.session.get(Item, item_ids[0]), db.session.get(Item, item_ids[1])
        removed_text, edited_text = removed.text, edited.text
    skill = "greetings"
    with app.app_context():
        services.delete_item(editor, course_id, skill, _index(app, course_id, skill, removed_text))
        services.save_item(editor, course_id, skill, _index(app, course_id, skill, edited_text),
                           services.ItemInput(text=edited_text + "s", translation="changed"))
        services.publish_draft(editor, course_id, services.publish_plan(editor, course_id).stamp)
        assert db.session.get(Item, item_ids[0]) is None
    for _ in range(60):
        session = lesson_state(app, session_id)
        if session.status != "active":
            break
        step = session.steps[session.position]
        response = answer(client, session_id, session.position, {"answer": "whatever", "pair_0": "x"})
        assert response.status_code in (200, 302), response.text[:300]
    assert lesson_state(app, session_id).status == "completed"
    with app.app_context():
        verdicts = {a.step_index: a.verdict for a in db.session.scalars(select(Attempt).where(
            Attempt.session_id == session_id))}
    gone = [n for n, s in enumerate(session.steps) if s.item_id == item_ids[0]]
    assert gone and all(verdicts[n] == Verdict.SKIPPED for n in gone)
    del step


def test_reorder_and_the_diff_says_so(app, spanish, editor):
    course_id = _ids(app)
    with app.app_context():
        state = services.studio_course(editor, course_id)
        count = len(state.data.units)
        services.reorder_draft(editor, course_id, "units", list(reversed(range(count))))
        with pytest.raises(Invalid):
            services.reorder_draft(editor, course_id, "units", [0, 0])
        plan = services.publish_plan(editor, course_id)
        assert [(c.what, c.label) for c in plan.changes] == [("course", "order")]
        services.publish_draft(editor, course_id, plan.stamp)
        first = db.session.scalar(select(Skill).where(Skill.course_id == course_id, Skill.path_position == 0))
        assert first.slug == state.data.units[-1].skills[0].slug


def test_the_preview_plays_the_draft_and_records_nothing(app, spanish, editor):
    course_id = _ids(app)
    _fix(app, editor, course_id)
    with app.app_context():
        sessions = db.session.scalar(select(func.count(LessonSession.id)))
        preview = services.preview_lesson(editor, course_id, "greetings", seed=7)
        assert preview.steps == services.preview_lesson(editor, course_id, "greetings", seed=7).steps
        shown = {preview.items[i].text for s in preview.steps for i in s.items}
        assert shown and PHRASE not in shown
        # Answer every step right (the preview's items are the draft's), then one wrong.
        for index, step in enumerate(preview.steps):
            if step.type is studio.ExerciseType.MATCH:
                pairs = [preview.items[i].translation for i in step.item_ids]
                _, result = services.preview_answer(editor, course_id, "greetings", 7, index, "", pairs)
            elif step.type is studio.ExerciseType.FILL:
                _, result = services.preview_answer(editor, course_id, "greetings", 7, index, step.answer)
            else:
                item = preview.items[step.item_id]
                right = item.text if step.answer_side == "target" else item.translation
                _, result = services.preview_answer(editor, course_id, "greetings", 7, index, right)
            assert result.verdict is Verdict.CORRECT, (step, result)
        assert db.session.scalar(select(func.count(LessonSession.id))) == sessions
        assert db.session.scalar(select(func.count(Attempt.id))) == 0


def test_discarding_the_draft(app, spanish, editor):
    course_id = _ids(app)
    _fix(app, editor, course_id)
    with app.app_context():
        services.discard_draft(editor, course_id)
        assert db.session.scalar(select(func.count(CourseDraft.id))) == 0
        state = services.studio_course(editor, course_id)
        assert state.draft is None and any(i.text == PHRASE for u in state.data.units for s in u.skills
                                           for i in s.items)


def test_a_studio_edit_exports_and_imports_back_to_the_same_course(app, spanish, editor):
    from puchi.learning.course_export import course_zip, read_zip
    from tests.learning.test_course_export import _delete_course, dump

    course_id = _ids(app)
    _fix(app, editor, course_id)
    with app.app_context():
        services.publish_draft(editor, course_id, services.publish_plan(editor, course_id).stamp)
        before = dump(SPANISH)
        assert "¡Hola! ¿Qué tal hoy?" in [item[2] for item in before["items"]]
        exported = course_zip(SPANISH)
        _delete_course(SPANISH)
        assert import_course(read_zip(exported)).created
        assert dump(SPANISH) == before
        assert course_zip(SPANISH) == exported


def test_an_item_keeps_its_picture_through_an_edit_and_a_publish(app, spanish, editor):
    import io

    from PIL import Image

    from puchi.core.storage import storage
    from puchi.learning.media import media_key

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (0, 90, 200)).save(buffer, "PNG")
    picture = buffer.getvalue()
    with app.app_context(), action():
        item = db.session.scalar(select(Item).where(Item.text == "hola"))
        item.image_key = media_key(item.id, "image", picture, "png")
        storage().put(item.image_key, picture, "image/png")
        key = item.image_key
    course_id = _ids(app)
    _fix(app, editor, course_id)  # the draft is made from a course whose items have media
    with app.app_context():
        services.publish_draft(editor, course_id, services.publish_plan(editor, course_id).stamp)
        assert db.session.scalar(select(Item.image_key).where(Item.text == "hola")) == key
        assert storage().open(key).data == picture
