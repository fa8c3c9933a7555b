"""The staff's one search: content for editors, learners for support, both for admins; accents and capitals
ignored, through the full-text indexes of both databases."""

from __future__ import annotations

import pytest

from puchi.accounts import search as learner_search
from puchi.accounts.models import User
from puchi.admin import search as staff_search
from puchi.core.db import action, db
from puchi.core.errors import Forbidden
from puchi.learning import services as learning
from puchi.learning.models import Course, Item, Skill, Unit
from puchi.learning.text_folding import fold
from tests.accounts.mfa_support import enrol_totp


@pytest.fixture
def people(app, make_user):
    ids = {}
    for role in ("admin", "editor", "support"):
        user = make_user(f"{role}@staff.example.com", display_name=role.title(), role=role)
        enrol_totp(app, user.id)
        ids[role] = user.id
    ids["zoe"] = make_user("zoe.martin@example.com", display_name="Zoë Núñez").id
    ids["zoey"] = make_user("zoey@example.org", display_name="Zoey").id
    ids["learner"] = make_user("ana@example.com", display_name="Ana").id
    with app.app_context(), action():
        course = Course(slug="srch", title="Español para todos", target_language="es",
                        target_language_name="Spanish", source_language="en", source_language_name="English")
        db.session.add(course)
        db.session.flush()
        unit = Unit(course_id=course.id, slug="u", title="U")
        db.session.add(unit)
        db.session.flush()
        skill = Skill(course_id=course.id, unit_id=unit.id, slug="s", title="Café y comida")
        db.session.add(skill)
        db.session.flush()
        for text, translation in (("el café está frío", "the coffee is cold"), ("la cafetería", "the café"),
                                  ("el pan", "the bread")):
            db.session.add(Item(course_id=course.id, skill_id=skill.id, kind="PHRASE", text=text,
                                translation=translation, search_text=fold(f"{text} {translation}")))
    return ids


def _as(user_id):
    return db.session.get(User, user_id)


def test_learners_are_found_by_name_or_email_without_accents(app, people):
    with app.app_context():
        support = _as(people["support"])
        assert [h.id for h in learner_search.search_learners(support, "nunez").users] == [people["zoe"]]
        assert {h.id for h in learner_search.search_learners(support, "ZOË").users} == {people["zoe"], people["zoey"]}
        assert [h.id for h in learner_search.search_learners(support, "zoe martin").users] == [people["zoe"]]
        by_email = learner_search.search_learners(support, "zoe.martin@example.com").users
        assert [h.id for h in by_email] == [people["zoe"]]
        assert [h.id for h in learner_search.search_learners(support, "example.org").users] == [people["zoey"]]
        assert learner_search.search_learners(support, "\"*') :*&|!").users == []
        assert learner_search.search_learners(support, "NEAR OR NOT").users == []  # operators are words, not syntax


def test_a_renamed_learner_is_found_by_the_new_name(app, people):
    with app.app_context(), action():
        db.session.get(User, people["learner"]).display_name = "Anaïs"
    with app.app_context():
        found = learner_search.search_learners(_as(people["support"]), "anais").users
        assert [h.id for h in found] == [people["learner"]]


def test_content_is_found_without_accents(app, people):
    with app.app_context():
        editor = _as(people["editor"])
        hits = learning.search_content(editor, "CAFE")
        assert ("skill", "Café y comida") in {(h.kind, h.title) for h in hits}
        items = [h.title for h in hits if h.kind == "item"]
        assert sorted(items) == ["el café está frío", "la cafetería"]
        assert [h.kind for h in learning.search_content(editor, "espanol")] == ["course"]
        assert [h.title for h in learning.search_content(editor, "bread")] == ["el pan"]


def test_each_role_searches_what_it_may(app, people):
    with app.app_context():
        editor = staff_search.search(_as(people["editor"]), "zoe")
        assert editor.learners is None and editor.content == []
        support = staff_search.search(_as(people["support"]), "cafe")
        assert support.content is None and support.learners == []
        admin = staff_search.search(_as(people["admin"]), "e")
        assert admin.content is not None and admin.learners is not None
        with pytest.raises(Forbidden):
            staff_search.search(_as(people["learner"]), "zoe")
        with pytest.raises(Forbidden):
            learner_search.search_learners(_as(people["editor"]), "zoe")
        with pytest.raises(Forbidden):
            learning.search_content(_as(people["support"]), "cafe")


def test_the_search_page(staff_client, people):
    support, _ = staff_client("support", email="help@staff.example.com")
    page = support.get("/admin/search?q=NUNEZ")
    assert page.status_code == 200 and "zoe.martin@example.com" in page.text and "Content" not in page.text
    editor, _ = staff_client("editor", email="ed@staff.example.com")
    page = editor.get("/admin/search?q=cafe")
    assert "la cafetería" in page.text and "zoe.martin@example.com" not in page.text
    assert editor.get("/admin/search?q=" + "x" * 5000).status_code == 200
    assert "/admin/search" in editor.get("/admin/").text
